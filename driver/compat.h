/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only place that knows which kernel mmapdemo is built for: every
 * difference between Linux 6.1 and 6.12 that the driver meets is here.
 */
#ifndef MMAPDEMO_COMPAT_H
#define MMAPDEMO_COMPAT_H

#include <linux/huge_mm.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/version.h>

/*
 * Folios larger than a page need multi-index xarray entries; PMD-sized
 * ones are only mapped with one PMD when the kernel has THP.
 */
#if defined(CONFIG_TRANSPARENT_HUGEPAGE) && defined(CONFIG_XARRAY_MULTI)
#define MMAPDEMO_MAX_FOLIO_ORDER	(PMD_SHIFT - PAGE_SHIFT)
#else
#define MMAPDEMO_MAX_FOLIO_ORDER	0
#endif

/* vm_flags became write-protected behind helpers in 6.3. */
static inline void mmapdemo_vm_flags_set(struct vm_area_struct *vma,
					 unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/* The mm's default placement policy, as used for files without a hook. */
static inline unsigned long mmapdemo_default_unmapped_area(struct file *file,
							   unsigned long addr,
							   unsigned long len,
							   unsigned long pgoff,
							   unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	return mm_get_unmapped_area(current->mm, file, addr, len, pgoff, flags);
#else
	return current->mm->get_unmapped_area(file, addr, len, pgoff, flags);
#endif
}

/* PMD-aligned placement, so that huge folios can be mapped with one PMD. */
static inline unsigned long
mmapdemo_pmd_aligned_unmapped_area(struct file *file, unsigned long addr,
				   unsigned long len, unsigned long pgoff,
				   unsigned long flags)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	return thp_get_unmapped_area(file, addr, len, pgoff, flags);
#else
	return mmapdemo_default_unmapped_area(file, addr, len, pgoff, flags);
#endif
}

#endif /* MMAPDEMO_COMPAT_H */
