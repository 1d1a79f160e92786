// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo file operations: open, read/write/llseek and mmap placement,
 * and the address_space that all open files of the device share.
 */
#include <linux/cacheflush.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>

#include "compat.h"
#include "mmapdemo.h"

#define MMAPDEMO_FS_MAGIC	0x6d6d6170	/* "mmap" */

static int mmapdemo_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, MMAPDEMO_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * A private pseudo filesystem gives the device an inode of its own, as
 * DRM does. No .owner: the kernel mount below lives as long as the
 * module, and a module reference held by it would make unloading
 * impossible.
 */
static struct file_system_type mmapdemo_fs_type = {
	.name = "mmapdemo",
	.init_fs_context = mmapdemo_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

static struct vfsmount *mmapdemo_mnt;
static int mmapdemo_mnt_count;

int mmapdemo_mapping_init(struct mmapdemo_device *mdev)
{
	struct inode *inode;
	int err;

	err = simple_pin_fs(&mmapdemo_fs_type, &mmapdemo_mnt,
			    &mmapdemo_mnt_count);
	if (err)
		return err;

	inode = alloc_anon_inode(mmapdemo_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		simple_release_fs(&mmapdemo_mnt, &mmapdemo_mnt_count);
		return PTR_ERR(inode);
	}
	mdev->inode = inode;
	return 0;
}

void mmapdemo_mapping_exit(struct mmapdemo_device *mdev)
{
	iput(mdev->inode);
	simple_release_fs(&mmapdemo_mnt, &mmapdemo_mnt_count);
}

static int mmapdemo_open(struct inode *inode, struct file *file)
{
	struct mmapdemo_device *mdev = mmapdemo_from_file(file);

	/* The device is always full to its end: appending has no meaning. */
	if (file->f_flags & O_APPEND)
		return -EINVAL;

	/*
	 * Every device node (and every opener) reaches the same pages, so
	 * every VMA is linked into the one i_mmap tree that
	 * unmap_mapping_range() walks.
	 */
	file->f_mapping = mdev->inode->i_mapping;
	return 0;
}

static loff_t mmapdemo_llseek(struct file *file, loff_t offset, int whence)
{
	struct mmapdemo_device *mdev = mmapdemo_from_file(file);

	return fixed_size_llseek(file, offset, whence,
				 mmapdemo_store_size(&mdev->store));
}

/*
 * read() copies from a folio it holds only a reference on: the user
 * buffer may be a mapping of this very device, and faulting it in must
 * not wait for anything held here. A read racing a punch may see the
 * old bytes; one that starts after the punch returned cannot.
 */
static ssize_t mmapdemo_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct mmapdemo_device *mdev = mmapdemo_from_file(iocb->ki_filp);
	loff_t size = mmapdemo_store_size(&mdev->store);
	loff_t pos = iocb->ki_pos;
	size_t count, done = 0;
	ssize_t err = -EFAULT;

	if (pos >= size || !iov_iter_count(to))
		return 0;
	count = min_t(u64, iov_iter_count(to), size - pos);

	while (count) {
		struct folio *folio;
		size_t chunk, copied;

		folio = mmapdemo_store_get_folio(&mdev->store,
						 pos >> PAGE_SHIFT, false);
		if (folio) {
			size_t offset = pos - folio_pos(folio);

			chunk = min(count, folio_size(folio) - offset);
			copied = copy_page_to_iter(folio_page(folio, 0), offset,
						   chunk, to);
			folio_put(folio);
		} else {
			/* A hole reads as zeros and stays unallocated. */
			chunk = min_t(size_t, count,
				      PAGE_SIZE - offset_in_page(pos));
			copied = iov_iter_zero(chunk, to);
		}

		pos += copied;
		done += copied;
		count -= copied;
		if (copied < chunk)
			break;
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		cond_resched();
	}

	iocb->ki_pos = pos;
	return done ? done : err;
}

/*
 * write() copies under the folio lock, so that a punch or shrink cannot
 * free the folio under it and lose the data. The lock forbids faulting
 * (the source may be this device's own mapping, whose fault takes the
 * same lock), so, like generic_perform_write(), the source is faulted in
 * first and copied with faults disabled, and a copy cut short by a
 * page that went away again is retried.
 */
static ssize_t mmapdemo_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct mmapdemo_device *mdev = mmapdemo_from_file(iocb->ki_filp);
	loff_t pos = iocb->ki_pos;
	size_t count, done = 0;
	ssize_t err = 0;

	/* O_APPEND can also be set later, with fcntl(F_SETFL). */
	if (iocb->ki_flags & IOCB_APPEND)
		return -EINVAL;
	count = iov_iter_count(from);
	if (!count)
		return 0;

	while (count) {
		size_t offset, chunk, copied, missing;
		struct folio *folio;

		folio = mmapdemo_store_lock_folio(&mdev->store,
						  pos >> PAGE_SHIFT);
		if (IS_ERR(folio)) {
			err = PTR_ERR(folio);
			/* The device is full, as a disk would be. */
			if (err == -ENXIO)
				err = -ENOSPC;
			break;
		}
		offset = pos - folio_pos(folio);
		chunk = min(count, folio_size(folio) - offset);
		copied = mmapdemo_copy_to_folio_atomic(folio, offset, chunk,
						       from);
		/*
		 * Written through the kernel's mapping: where the instruction
		 * cache is synced lazily (arm64), this makes the folio's next
		 * executable mapping sync it (core-api/cachetlb.rst). A no-op
		 * on x86-64.
		 */
		flush_dcache_folio(folio);
		folio_unlock(folio);
		folio_put(folio);

		pos += copied;
		done += copied;
		count -= copied;
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		/* Short: fault the rest in, unlocked, and try again. */
		missing = chunk - copied;
		if (missing &&
		    fault_in_iov_iter_readable(from, missing) == missing) {
			err = -EFAULT;
			break;
		}
		cond_resched();
	}

	iocb->ki_pos = pos;
	return done ? done : err;
}

/* Place mappings so that huge folios line up with PMDs. */
static unsigned long mmapdemo_get_unmapped_area(struct file *file,
						unsigned long addr,
						unsigned long len,
						unsigned long pgoff,
						unsigned long flags)
{
	struct mmapdemo_device *mdev = mmapdemo_from_file(file);

	if (mdev->store.folio_order)
		return mmapdemo_pmd_aligned_unmapped_area(file, addr, len,
							  pgoff, flags);
	return mmapdemo_default_unmapped_area(file, addr, len, pgoff, flags);
}

const struct file_operations mmapdemo_fops = {
	.owner = THIS_MODULE,
	.open = mmapdemo_open,
	.llseek = mmapdemo_llseek,
	.read_iter = mmapdemo_read_iter,
	.write_iter = mmapdemo_write_iter,
#ifdef MMAPDEMO_MMAP_PREPARE
	.mmap_prepare = mmapdemo_mmap_prepare,
#else
	.mmap = mmapdemo_mmap,
#endif
	.get_unmapped_area = mmapdemo_get_unmapped_area,
	/* RAM only: there is never anything to write back. */
	.fsync = noop_fsync,
	.unlocked_ioctl = mmapdemo_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};
