// SPDX-License-Identifier: GPL-2.0
/*
 * vm_ops->mapped(start, end, pgoff, file, &vm_private_data) (7.x), called
 * once for the VMA that an mmap() with .mmap_prepare created: where a
 * driver that has moved to .mmap_prepare keeps per-mapping state.
 */
#include <linux/mm.h>

static int mmapdemo_probe_mapped(unsigned long start, unsigned long end,
				 pgoff_t pgoff, const struct file *file,
				 void **vm_private_data)
{
	return 0;
}

static const struct vm_operations_struct mmapdemo_probe_vm_ops = {
	.mapped = mmapdemo_probe_mapped,
};

const struct vm_operations_struct *mmapdemo_probe(void);

const struct vm_operations_struct *mmapdemo_probe(void)
{
	return &mmapdemo_probe_vm_ops;
}
