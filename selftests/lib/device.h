/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /dev/mmapdemo: opening it, its ioctls (0 or -errno), its sysfs
 * attributes, and reading and writing test patterns through pread() and
 * pwrite().
 */
#ifndef MMAPDEMO_DEVICE_H
#define MMAPDEMO_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mmapdemo.h"
#include "attr.h"
#include "sizes.h"

/* MMAPDEMO_IOC_INFO into *@info (zeroed first): 0 or -errno. */
int device_info_read(int fd, struct mmapdemo_info *info);

/* MMAPDEMO_IOC_RESIZE to @size: 0 or -errno. */
int device_resize(int fd, uint64_t size);

/* MMAPDEMO_IOC_PUNCH of [@offset, @offset + @length): 0 or -errno. */
int device_punch(int fd, uint64_t offset, uint64_t length);

/* An ioctl with any command and argument: 0 or -errno. */
int device_ioctl(int fd, unsigned long cmd, void *arg);

/* Size of the device from sysfs, or 0 when it cannot be read. */
size_t device_size(void);

/* Bytes of one device folio: PAGE_SIZE << folio_order; 0 when unknown. */
size_t device_folio_bytes(void);

/* Whether the device's folios are PMD-sized (folio_order is the PMD's). */
bool folio_order_is_pmd(void);

/* open() of /dev/mmapdemo with @flags: the fd, or -1 (errno). */
int device_open(int flags);

/* Read MAJOR:MINOR of the misc device from sysfs. 0 or -1. */
int device_devt(dev_t *devt);

/* The sysfs counters allocated_bytes and faults; -1 when unreadable. */
long long device_allocated_bytes(void);
long long device_faults(void);

/*
 * Bytes of the folios lying wholly inside [start, end): what a punch of
 * that range frees.
 */
uint64_t whole_folio_bytes(uint64_t start, uint64_t end, uint64_t folio);

/* pwrite()/pread() the whole buffer or fail: 0 or -1. */
int pwrite_all(int fd, const void *buf, size_t len, off_t off);
int pread_all(int fd, void *buf, size_t len, off_t off);

/* Write bytes @pos.. of pattern @seed into the device at @off (pwrite()). */
int device_write_pattern_from(int fd, size_t len, off_t off,
			      uint64_t seed, uint64_t pos);

int device_write_pattern(int fd, size_t len, off_t off,
			 uint64_t seed);

/*
 * pread() @len bytes at @off: pattern_mismatch_from() of them (-1 when
 * they hold bytes @pos.. of pattern @seed), -2 on I/O error.
 */
long device_pattern_mismatch_from(int fd, size_t len, off_t off,
				  uint64_t seed, uint64_t pos);

long device_pattern_mismatch(int fd, size_t len, off_t off,
			     uint64_t seed);

/*
 * pread() @len bytes at @off: the offset of the first that is not @c, -1
 * when all are, -2 on I/O error.
 */
long device_bytes_mismatch(int fd, off_t off, size_t len,
			   unsigned char c);

/* Read one byte of every page, so that PTEs exist before what follows. */
void touch_read(const void *p, size_t len);

#endif /* MMAPDEMO_DEVICE_H */
