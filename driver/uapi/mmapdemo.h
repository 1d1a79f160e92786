/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mmapdemo user-space ABI: names shared by the driver, mmapdemo-ctl and
 * the selftests, and the ioctls of /dev/mmapdemo.
 */
#ifndef _UAPI_MMAPDEMO_H
#define _UAPI_MMAPDEMO_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define MMAPDEMO_NAME		"mmapdemo"
#define MMAPDEMO_DEVICE_PATH	"/dev/mmapdemo"
#define MMAPDEMO_SYSFS_DIR	"/sys/class/misc/mmapdemo"

/* Read-only sysfs attributes in MMAPDEMO_SYSFS_DIR, one decimal value each */
#define MMAPDEMO_ATTR_SIZE		"size"
#define MMAPDEMO_ATTR_FOLIO_ORDER	"folio_order"
#define MMAPDEMO_ATTR_FAULTS		"faults"
#define MMAPDEMO_ATTR_ALLOCATED_BYTES	"allocated_bytes"
#define MMAPDEMO_ATTR_VMAS		"vmas"

#define MMAPDEMO_ABI_VERSION	1

/* mmapdemo_info.features */
#define MMAPDEMO_FEATURE_RESIZE		_BITULL(0)
#define MMAPDEMO_FEATURE_PUNCH		_BITULL(1)
/* Aligned MAP_SHARED mappings are mapped with one PMD per huge folio. */
#define MMAPDEMO_FEATURE_PMD_MAPPING	_BITULL(2)

/*
 * Every structure is a multiple of 8 bytes with explicit padding, so that
 * 32-bit and 64-bit callers share one layout. Fields named flags and
 * reserved must be zero: the driver rejects anything else with EINVAL,
 * which keeps them free for later use.
 */
struct mmapdemo_info {
	__u32 abi_version;	/* MMAPDEMO_ABI_VERSION */
	__u32 folio_order;	/* pages per allocation, as a power of two */
	__u64 size;		/* current device size in bytes */
	__u64 max_size;		/* largest size RESIZE accepts */
	__u64 features;		/* MMAPDEMO_FEATURE_* */
	__u64 allocated_bytes;	/* backing memory allocated now */
	__u64 reserved[3];	/* zero */
};

struct mmapdemo_resize {
	__u64 size;		/* new size: a page multiple, 1 page ... max_size */
	__u32 flags;		/* must be 0 */
	__u32 reserved;		/* must be 0 */
};

struct mmapdemo_punch {
	__u64 offset;		/* page aligned */
	__u64 length;		/* page multiple; may reach past the end */
	__u32 flags;		/* must be 0 */
	__u32 reserved;		/* must be 0 */
};

/* 0xB9 is unused in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define MMAPDEMO_IOC_MAGIC	0xB9

#define MMAPDEMO_IOC_INFO	_IOR(MMAPDEMO_IOC_MAGIC, 0x00, struct mmapdemo_info)
#define MMAPDEMO_IOC_RESIZE \
	_IOW(MMAPDEMO_IOC_MAGIC, 0x01, struct mmapdemo_resize)
#define MMAPDEMO_IOC_PUNCH	_IOW(MMAPDEMO_IOC_MAGIC, 0x02, struct mmapdemo_punch)

#endif /* _UAPI_MMAPDEMO_H */
