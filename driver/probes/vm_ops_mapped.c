// SPDX-License-Identifier: GPL-2.0
/*
 * vm_ops->mapped(start, end, pgoff, file, &vm_private_data) (7.x), called
 * once for the VMA that an mmap() with .mmap_prepare created: where a
 * driver that has moved to .mmap_prepare keeps per-mapping state.
 */
#include <linux/mm.h>

int mmapdemo_probe(unsigned long start, unsigned long end, pgoff_t pgoff,
		   const struct file *file, void **vm_private_data);
extern const struct vm_operations_struct mmapdemo_probe_vm_ops;

int mmapdemo_probe(unsigned long start, unsigned long end, pgoff_t pgoff,
		   const struct file *file, void **vm_private_data)
{
	return 0;
}

const struct vm_operations_struct mmapdemo_probe_vm_ops = {
	.mapped = mmapdemo_probe,
};
