/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mmapdemo user-space ABI: names shared by the driver, mmapdemo-ctl and
 * the selftests.
 */
#ifndef _UAPI_MMAPDEMO_H
#define _UAPI_MMAPDEMO_H

#define MMAPDEMO_NAME		"mmapdemo"
#define MMAPDEMO_DEVICE_PATH	"/dev/mmapdemo"
#define MMAPDEMO_SYSFS_DIR	"/sys/class/misc/mmapdemo"

/* Read-only sysfs attributes in MMAPDEMO_SYSFS_DIR, one decimal value each */
#define MMAPDEMO_ATTR_SIZE		"size"
#define MMAPDEMO_ATTR_FOLIO_ORDER	"folio_order"
#define MMAPDEMO_ATTR_FAULTS		"faults"
#define MMAPDEMO_ATTR_ALLOCATED_BYTES	"allocated_bytes"
#define MMAPDEMO_ATTR_VMAS		"vmas"

#endif /* _UAPI_MMAPDEMO_H */
