// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo file operations: open, read/write/llseek and mmap placement,
 * and the address_space that all open files of the device share.
 */
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
	/* finish_fault() maps a huge folio only below i_size (6.12). */
	i_size_write(inode, mdev->size);
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

	return fixed_size_llseek(file, offset, whence, mdev->size);
}

/*
 * Copy between the device and user memory one folio at a time, holding
 * only a folio reference: the user buffer may be a mapping of this very
 * device, and faulting it in must not wait for anything held here.
 */
static ssize_t mmapdemo_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct mmapdemo_device *mdev = mmapdemo_from_file(iocb->ki_filp);
	loff_t pos = iocb->ki_pos;
	size_t count, done = 0;
	ssize_t err = -EFAULT;

	if (pos >= mdev->size || !iov_iter_count(to))
		return 0;
	count = min_t(u64, iov_iter_count(to), mdev->size - pos);

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

static ssize_t mmapdemo_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct mmapdemo_device *mdev = mmapdemo_from_file(iocb->ki_filp);
	loff_t pos = iocb->ki_pos;
	size_t count, done = 0;
	ssize_t err = -EFAULT;

	if (!iov_iter_count(from))
		return 0;
	if (pos >= mdev->size)
		return -ENOSPC;
	count = min_t(u64, iov_iter_count(from), mdev->size - pos);

	while (count) {
		struct folio *folio;
		size_t offset, chunk, copied;

		folio = mmapdemo_store_get_folio(&mdev->store,
						 pos >> PAGE_SHIFT, true);
		if (IS_ERR(folio)) {
			err = PTR_ERR(folio);
			break;
		}
		offset = pos - folio_pos(folio);
		chunk = min(count, folio_size(folio) - offset);
		copied = copy_page_from_iter(folio_page(folio, 0), offset,
					     chunk, from);
		folio_put(folio);

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
	.mmap = mmapdemo_mmap,
	.get_unmapped_area = mmapdemo_get_unmapped_area,
	/* RAM only: there is never anything to write back. */
	.fsync = noop_fsync,
};
