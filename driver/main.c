// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo: a misc device whose mmap() maps lazily allocated kernel pages
 * through a .fault handler. A reference for drivers that map kernel
 * memory, and a way to watch every mmap behaviour from user space.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>

#include "compat.h"
#include "mmapdemo.h"
#include "uapi/mmapdemo.h"

static unsigned long device_size = SZ_64M;
static unsigned int device_folio_order = MMAPDEMO_MAX_FOLIO_ORDER;

/* "size=64M": bytes with an optional K/M/G suffix, like mem= and friends. */
static int size_param_set(const char *val, const struct kernel_param *kp)
{
	unsigned long long bytes;
	char *end;

	bytes = memparse(val, &end);
	if (end == val || (*end && *end != '\n')) {
		pr_err("size=%s: not a number of bytes (K, M, G suffixes allowed)\n",
		       val);
		return -EINVAL;
	}
	if (!bytes || !PAGE_ALIGNED(bytes)) {
		pr_err("size=%llu: must be a non-zero multiple of the page size (%lu)\n",
		       bytes, PAGE_SIZE);
		return -EINVAL;
	}
	if (bytes > (unsigned long long)totalram_pages() << PAGE_SHIFT) {
		pr_err("size=%llu: larger than the machine's RAM (%llu bytes)\n",
		       bytes, (unsigned long long)totalram_pages() << PAGE_SHIFT);
		return -EINVAL;
	}
	*(unsigned long *)kp->arg = bytes;
	return 0;
}

static const struct kernel_param_ops size_param_ops = {
	.set = size_param_set,
	.get = param_get_ulong,
};
module_param_cb(size, &size_param_ops, &device_size, 0444);
MODULE_PARM_DESC(size, "Device size in bytes, a page multiple; K/M/G suffixes allowed (default 64M)");

static int folio_order_param_set(const char *val,
				 const struct kernel_param *kp)
{
	unsigned int order;

	if (kstrtouint(val, 0, &order)) {
		pr_err("folio_order=%s: not a number\n", val);
		return -EINVAL;
	}
	if (order > MMAPDEMO_MAX_FOLIO_ORDER) {
		pr_err("folio_order=%u: must be 0 ... %u on this kernel\n",
		       order, MMAPDEMO_MAX_FOLIO_ORDER);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = order;
	return 0;
}

static const struct kernel_param_ops folio_order_param_ops = {
	.set = folio_order_param_set,
	.get = param_get_uint,
};
module_param_cb(folio_order, &folio_order_param_ops, &device_folio_order,
		0444);
MODULE_PARM_DESC(folio_order, "Pages per allocation as a power of two, 0 ... PMD order (default: PMD order, for huge mappings)");

static struct mmapdemo_device mmapdemo_dev = {
	.misc = {
		.minor = MISC_DYNAMIC_MINOR,
		.name = MMAPDEMO_NAME,
		.fops = &mmapdemo_fops,
		.groups = mmapdemo_groups,
		.mode = 0600,
	},
};

static int __init mmapdemo_init(void)
{
	struct mmapdemo_device *mdev = &mmapdemo_dev;
	int err;

	mdev->size = device_size;
	err = mmapdemo_store_init(&mdev->store, device_size >> PAGE_SHIFT,
				  device_folio_order);
	if (err)
		return err;

	err = mmapdemo_mapping_init(mdev);
	if (err)
		goto err_store;

	/* Last: the device node appears only once everything behind it works. */
	err = misc_register(&mdev->misc);
	if (err)
		goto err_mapping;

	pr_info("%lu bytes, folio order %u\n", device_size, device_folio_order);
	return 0;

err_mapping:
	mmapdemo_mapping_exit(mdev);
err_store:
	mmapdemo_store_destroy(&mdev->store);
	return err;
}

/*
 * No file or VMA of the device can exist here: each holds a reference on
 * the file, and each file holds the module (fops.owner).
 */
static void __exit mmapdemo_exit(void)
{
	struct mmapdemo_device *mdev = &mmapdemo_dev;

	misc_deregister(&mdev->misc);
	mmapdemo_mapping_exit(mdev);
	mmapdemo_store_destroy(&mdev->store);
}

module_init(mmapdemo_init);
module_exit(mmapdemo_exit);

MODULE_DESCRIPTION("mmap of lazily allocated kernel pages through a fault handler");
MODULE_AUTHOR("The mmapdemo developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
