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

/*
 * 64 MiB is a whole number of PMDs on every kernel mmapdemo supports: 32
 * of 2 MiB with 4 KiB pages (x86-64, arm64), 2 of 32 MiB with 16 KiB pages
 * (arm64), so every folio of the default device can be PMD-mapped.
 * Kernels whose PMD is larger (64 KiB pages: 512 MiB) fail here.
 */
#define MMAPDEMO_DEFAULT_SIZE	SZ_64M
static_assert(IS_ALIGNED(MMAPDEMO_DEFAULT_SIZE, PMD_SIZE),
	      "the default size must be a multiple of the PMD size");

static unsigned long device_size = MMAPDEMO_DEFAULT_SIZE;
static unsigned long device_max_size;	/* 0: see mmapdemo_default_max_size() */
static unsigned int device_folio_order = MMAPDEMO_MAX_FOLIO_ORDER;

/* "size=64M": bytes with an optional K/M/G suffix, like mem= and friends. */
static int bytes_param_set(const char *val, const struct kernel_param *kp)
{
	unsigned long long bytes, ram;
	char *end;

	bytes = memparse(val, &end);
	if (end == val || (*end && *end != '\n')) {
		pr_err("%s=%s: not a number of bytes (K, M, G suffixes allowed)\n",
		       kp->name, val);
		return -EINVAL;
	}
	if (!bytes || !PAGE_ALIGNED(bytes)) {
		pr_err("%s=%llu: must be a non-zero multiple of the page size (%lu)\n",
		       kp->name, bytes, PAGE_SIZE);
		return -EINVAL;
	}
	ram = (unsigned long long)totalram_pages() << PAGE_SHIFT;
	if (bytes > ram) {
		pr_err("%s=%llu: larger than the machine's RAM (%llu bytes)\n",
		       kp->name, bytes, ram);
		return -EINVAL;
	}
	*(unsigned long *)kp->arg = bytes;
	return 0;
}

static const struct kernel_param_ops bytes_param_ops = {
	.set = bytes_param_set,
	.get = param_get_ulong,
};
module_param_cb(size, &bytes_param_ops, &device_size, 0444);
MODULE_PARM_DESC(size, "Device size in bytes, a page multiple; K/M/G suffixes allowed (default 64M)");
module_param_cb(max_size, &bytes_param_ops, &device_max_size, 0444);
MODULE_PARM_DESC(max_size, "Largest size the RESIZE ioctl accepts, at least size (default: 1G or RAM if less, and not below size)");

static unsigned long mmapdemo_default_max_size(void)
{
	unsigned long ram = totalram_pages() << PAGE_SHIFT;

	return max(device_size, min_t(unsigned long, SZ_1G, ram));
}

static int folio_order_param_set(const char *val, const struct kernel_param *kp)
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
module_param_cb(folio_order, &folio_order_param_ops, &device_folio_order, 0444);
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

	if (!device_max_size)
		device_max_size = mmapdemo_default_max_size();
	if (device_max_size < device_size) {
		pr_err("max_size=%lu: smaller than size=%lu\n", device_max_size,
		       device_size);
		return -EINVAL;
	}
	mdev->max_size = device_max_size;

	err = mmapdemo_mapping_init(mdev);
	if (err)
		return err;
	mmapdemo_store_init(&mdev->store, mdev->inode->i_mapping,
			    device_size >> PAGE_SHIFT, device_folio_order);

	/* Last: the device node appears only once everything behind it works. */
	err = misc_register(&mdev->misc);
	if (err) {
		mmapdemo_mapping_exit(mdev);
		return err;
	}

	pr_info("%lu bytes (at most %lu), folio order %u\n", device_size,
		device_max_size, device_folio_order);
	return 0;
}

/*
 * No file or VMA of the device can exist here: each holds a reference on
 * the file, and each file holds the module (fops.owner).
 */
static void __exit mmapdemo_exit(void)
{
	struct mmapdemo_device *mdev = &mmapdemo_dev;

	misc_deregister(&mdev->misc);
	mmapdemo_store_destroy(&mdev->store);
	mmapdemo_mapping_exit(mdev);
}

module_init(mmapdemo_init);
module_exit(mmapdemo_exit);

MODULE_DESCRIPTION("mmap of lazily allocated kernel pages through a fault handler");
MODULE_AUTHOR("The mmapdemo developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
