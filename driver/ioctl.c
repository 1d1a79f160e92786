// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo ioctls: INFO, RESIZE and PUNCH (see uapi/mmapdemo.h).
 *
 * Every structure is copied in whole and checked before anything
 * changes: unknown flags and non-zero reserved fields are -EINVAL, so
 * that they can be given a meaning later without breaking old callers.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "mmapdemo.h"
#include "uapi/mmapdemo.h"

static long mmapdemo_ioctl_info(struct mmapdemo_device *mdev, void __user *arg)
{
	struct mmapdemo_store *store = &mdev->store;
	u64 allocated = atomic_long_read(&store->allocated_pages);
	struct mmapdemo_info info = {
		.abi_version = MMAPDEMO_ABI_VERSION,
		.folio_order = store->folio_order,
		.size = mmapdemo_store_size(store),
		.max_size = mdev->max_size,
		.features = MMAPDEMO_FEATURE_RESIZE | MMAPDEMO_FEATURE_PUNCH,
		.allocated_bytes = allocated << PAGE_SHIFT,
	};

	if (store->folio_order == MMAPDEMO_MAX_FOLIO_ORDER &&
	    MMAPDEMO_MAX_FOLIO_ORDER)
		info.features |= MMAPDEMO_FEATURE_PMD_MAPPING;
	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long mmapdemo_ioctl_resize(struct mmapdemo_device *mdev,
				  void __user *arg)
{
	struct mmapdemo_resize req;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved)
		return -EINVAL;
	if (!req.size || !PAGE_ALIGNED(req.size) || req.size > mdev->max_size)
		return -EINVAL;
	return mmapdemo_store_resize(&mdev->store, req.size >> PAGE_SHIFT);
}

static long mmapdemo_ioctl_punch(struct mmapdemo_device *mdev, void __user *arg)
{
	struct mmapdemo_punch req;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved)
		return -EINVAL;
	if (!req.length || !PAGE_ALIGNED(req.offset) ||
	    !PAGE_ALIGNED(req.length) || req.offset + req.length < req.offset)
		return -EINVAL;
	/* Like fallocate(), a range past the end is not an error. */
	mmapdemo_store_punch(&mdev->store, req.offset >> PAGE_SHIFT,
			     req.length >> PAGE_SHIFT);
	return 0;
}

long mmapdemo_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct mmapdemo_device *mdev = mmapdemo_from_file(file);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case MMAPDEMO_IOC_INFO:
		return mmapdemo_ioctl_info(mdev, uarg);
	case MMAPDEMO_IOC_RESIZE:
		/* Changing the contents needs a writable file, as ftruncate. */
		if (!(file->f_mode & FMODE_WRITE))
			return -EBADF;
		return mmapdemo_ioctl_resize(mdev, uarg);
	case MMAPDEMO_IOC_PUNCH:
		if (!(file->f_mode & FMODE_WRITE))
			return -EBADF;
		return mmapdemo_ioctl_punch(mdev, uarg);
	default:
		return -ENOTTY;
	}
}
