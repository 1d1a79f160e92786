// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo vm operations: how device pages reach user page tables.
 *
 * Nothing is mapped at mmap() time. Each first access faults, and .fault
 * hands the core a page with a reference (vmf->page); the core installs
 * the PTE, or one PMD for a whole PMD-sized folio in a suitably aligned
 * VMA, and for MAP_PRIVATE write faults copies the page into an anonymous
 * one. Because the pages are ordinary refcounted pages, the VMA is not
 * VM_PFNMAP/VM_MIXEDMAP/VM_IO, and copy-on-write, GUP (O_DIRECT,
 * process_vm_readv), MAP_POPULATE and madvise all just work. (mlock only
 * populates: VM_DONTEXPAND makes the VMA "special", never locked.)
 */
#include <linux/mm.h>
#include <linux/pagemap.h>

#include "compat.h"
#include "mmapdemo.h"

static void mmapdemo_vm_open(struct vm_area_struct *vma)
{
	struct mmapdemo_device *mdev = vma->vm_private_data;

	atomic_inc(&mdev->vmas);
}

static void mmapdemo_vm_close(struct vm_area_struct *vma)
{
	struct mmapdemo_device *mdev = vma->vm_private_data;

	atomic_dec(&mdev->vmas);
}

/*
 * The folio is returned locked (VM_FAULT_LOCKED) and the core keeps it
 * locked until the PTE or PMD is installed: the page cache's protocol
 * against truncation. Removal from the store happens under the same lock
 * and is followed by unmap_mapping_range(), so a fault either installs
 * its entry before a punch or shrink (which then zaps it) or finds the
 * folio gone and takes the new one (see page_store.c).
 */
static vm_fault_t mmapdemo_vm_fault(struct vm_fault *vmf)
{
	struct mmapdemo_device *mdev = vmf->vma->vm_private_data;
	struct folio *folio;

	atomic_long_inc(&mdev->faults);
	folio = mmapdemo_store_lock_folio(&mdev->store, vmf->pgoff);
	if (IS_ERR(folio)) {
		/* Past the end of the device, as past the end of a file. */
		if (PTR_ERR(folio) == -ENXIO)
			return VM_FAULT_SIGBUS;
		return vmf_error(PTR_ERR(folio));
	}

	/*
	 * A read-only long-term pin (FOLL_LONGTERM without FOLL_WRITE) of a
	 * private mapping asks for an anonymous copy: the core splits our
	 * PMD and faults here with FAULT_FLAG_UNSHARE, and do_set_pmd() of
	 * 6.12 to 7.3 maps a PMD-sized folio with a PMD again ("mm: do not
	 * install PMD mappings when handling a COW fault" is in none of
	 * them), so GUP would retry for ever. Only GUP unshares: such a pin
	 * fails with EFAULT instead of spinning.
	 */
	if ((vmf->flags & FAULT_FLAG_UNSHARE) &&
	    folio_test_pmd_mappable(folio)) {
		folio_unlock(folio);
		folio_put(folio);
		return VM_FAULT_SIGBUS;
	}

	vmf->page = folio_file_page(folio, vmf->pgoff);
	return VM_FAULT_LOCKED;
}

#ifdef MMAPDEMO_MMAP_PREPARE
/*
 * The VMA an mmap() created, counted once it is sure to stay: the core
 * calls .mapped after the last point where the mmap() can fail, and not
 * for a range merged into a neighbour (never ours: VM_DONTEXPAND makes a
 * VMA unmergeable, and a merge would add no VMA anyway). It does not call
 * .open for that VMA, so each VMA is counted exactly once; .open still
 * counts the copies (fork, split, mremap) and .close every removal. An
 * error here would unmap the VMA through .close, so this never fails.
 */
static int mmapdemo_vm_mapped(unsigned long start, unsigned long end,
			      pgoff_t pgoff, const struct file *file,
			      void **vm_private_data)
{
	struct mmapdemo_device *mdev = *vm_private_data;

	atomic_inc(&mdev->vmas);
	return 0;
}
#endif

static const struct vm_operations_struct mmapdemo_vm_ops = {
	.open = mmapdemo_vm_open,
	.close = mmapdemo_vm_close,
#ifdef MMAPDEMO_MMAP_PREPARE
	.mapped = mmapdemo_vm_mapped,
#endif
	.fault = mmapdemo_vm_fault,
};

#ifdef MMAPDEMO_MMAP_PREPARE
/*
 * Only describes the VMA to be: the mmap() may still fail or be undone
 * after this returns, so nothing is counted here (see .mapped).
 */
int mmapdemo_mmap_prepare(struct vm_area_desc *desc)
{
	/*
	 * The device has a fixed size: mremap() must not grow a mapping over
	 * it, and a core dump should not read all of it.
	 */
	vma_desc_set_flags(desc, VMA_DONTEXPAND_BIT, VMA_DONTDUMP_BIT);
	desc->vm_ops = &mmapdemo_vm_ops;
	desc->private_data = mmapdemo_from_file(desc->file);
	return 0;
}
#else
int mmapdemo_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mmapdemo_device *mdev = mmapdemo_from_file(file);

	/*
	 * The device has a fixed size: mremap() must not grow a mapping over
	 * it, and a core dump should not read all of it.
	 */
	mmapdemo_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &mmapdemo_vm_ops;
	vma->vm_private_data = mdev;
	/* ->open is called for copies (fork, split), not the first VMA. */
	mmapdemo_vm_open(vma);
	return 0;
}
#endif
