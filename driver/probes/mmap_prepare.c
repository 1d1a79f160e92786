// SPDX-License-Identifier: GPL-2.0
/*
 * f_op->mmap_prepare(struct vm_area_desc *) ("mm: introduce new
 * .mmap_prepare() file callback", v6.16) with the bitmap VMA flags of the
 * descriptor set by bit number, vma_desc_set_flags(desc, VMA_*_BIT, ...)
 * (vma_flags_t, 7.x).
 */
#include <linux/fs.h>
#include <linux/mm.h>

static int mmapdemo_probe_mmap_prepare(struct vm_area_desc *desc)
{
	vma_desc_set_flags(desc, VMA_DONTEXPAND_BIT, VMA_DONTDUMP_BIT);
	desc->vm_ops = NULL;
	desc->private_data = desc->file->private_data;
	return 0;
}

static const struct file_operations mmapdemo_probe_fops = {
	.mmap_prepare = mmapdemo_probe_mmap_prepare,
};

const struct file_operations *mmapdemo_probe(void);

const struct file_operations *mmapdemo_probe(void)
{
	return &mmapdemo_probe_fops;
}
