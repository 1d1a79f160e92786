/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only place that knows which kernel mmapdemo is built for: every
 * interface that differs between the kernels the driver builds for is
 * bridged here, chosen by the feature probes Kbuild compiled against the
 * target's headers (driver/probes/, results in mmapdemo_probes.h), never
 * by version number: distributions backport.
 */
#ifndef MMAPDEMO_COMPAT_H
#define MMAPDEMO_COMPAT_H

#include <linux/huge_mm.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/uio.h>

#include "mmapdemo_probes.h"

/*
 * Folios larger than a page need multi-index xarray entries; PMD-sized
 * ones are only mapped with one PMD when the kernel has THP.
 */
#if defined(CONFIG_TRANSPARENT_HUGEPAGE) && defined(CONFIG_XARRAY_MULTI)
#define MMAPDEMO_MAX_FOLIO_ORDER	(PMD_SHIFT - PAGE_SHIFT)
#else
#define MMAPDEMO_MAX_FOLIO_ORDER	0
#endif

/*
 * Kernels with .mmap_prepare and vm_ops->mapped get the driver's
 * mmap_prepare (vm_ops.c), all others its .mmap: never both, which the
 * core refuses. .mmap_prepare alone (6.16 up to 7.x) is not enough: the
 * first VMA could not be counted without .mapped.
 */
#if defined(MMAPDEMO_HAVE_MMAP_PREPARE) && defined(MMAPDEMO_HAVE_VM_OPS_MAPPED)
#define MMAPDEMO_MMAP_PREPARE	1
#endif

/* Only used by .mmap: vm_flags became write-protected behind helpers. */
static inline void mmapdemo_vm_flags_set(struct vm_area_struct *vma,
					 unsigned long flags)
{
#if defined(MMAPDEMO_HAVE_VM_FLAGS_SET)
	vm_flags_set(vma, flags);
#elif defined(MMAPDEMO_HAVE_VM_FLAGS_ASSIGN)
	vma->vm_flags |= flags;
#else
#error "mmapdemo: probes vm_flags_set, vm_flags_assign: no way to set vm_flags"
#endif
}

/* The mm's default placement policy, as used for files without a hook. */
static inline unsigned long mmapdemo_default_unmapped_area(struct file *file,
							   unsigned long addr,
							   unsigned long len,
							   unsigned long pgoff,
							   unsigned long flags)
{
#if defined(MMAPDEMO_HAVE_MM_GET_UNMAPPED_AREA_FILE)
	return mm_get_unmapped_area(file, addr, len, pgoff, flags);
#elif defined(MMAPDEMO_HAVE_MM_GET_UNMAPPED_AREA_MM)
	return mm_get_unmapped_area(current->mm, file, addr, len, pgoff, flags);
#elif defined(MMAPDEMO_HAVE_MM_GET_UNMAPPED_AREA_HOOK)
	return current->mm->get_unmapped_area(file, addr, len, pgoff, flags);
#else
#error "mmapdemo: probes mm_get_unmapped_area_*: no default placement"
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

/*
 * Copy @bytes at @offset in @folio from @from with page faults disabled;
 * a short copy means a user page was not present. Page by page where
 * only the page variant exists: a highmem page can only be mapped alone.
 */
static inline size_t mmapdemo_copy_to_folio_atomic(struct folio *folio,
						   size_t offset, size_t bytes,
						   struct iov_iter *from)
{
#if defined(MMAPDEMO_HAVE_COPY_FOLIO_FROM_ITER_ATOMIC)
	return copy_folio_from_iter_atomic(folio, offset, bytes, from);
#elif defined(MMAPDEMO_HAVE_COPY_PAGE_FROM_ITER_ATOMIC)
	size_t done = 0;

	while (done < bytes) {
		pgoff_t nr = (offset + done) >> PAGE_SHIFT;
		size_t in_page = offset_in_page(offset + done);
		size_t n = min(bytes - done, PAGE_SIZE - in_page);
		size_t copied;

		copied = copy_page_from_iter_atomic(folio_page(folio, nr),
						    in_page, n, from);
		done += copied;
		if (copied < n)
			break;
	}
	return done;
#else
#error "mmapdemo: probes copy_*_from_iter_atomic: no atomic copy from an iov_iter"
#endif
}

#endif /* MMAPDEMO_COMPAT_H */
