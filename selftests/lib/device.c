// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "pattern.h"

#include "device.h"

int device_info_read(int fd, struct mmapdemo_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(fd, MMAPDEMO_IOC_INFO, info) ? -errno : 0;
}

int device_resize(int fd, uint64_t size)
{
	struct mmapdemo_resize req = { .size = size };

	return ioctl(fd, MMAPDEMO_IOC_RESIZE, &req) ? -errno : 0;
}

int device_punch(int fd, uint64_t offset, uint64_t length)
{
	struct mmapdemo_punch req = { .offset = offset, .length = length };

	return ioctl(fd, MMAPDEMO_IOC_PUNCH, &req) ? -errno : 0;
}

int device_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

size_t device_size(void)
{
	long long size = device_attr_read(MMAPDEMO_ATTR_SIZE);

	return size > 0 ? (size_t)size : 0;
}

size_t device_folio_bytes(void)
{
	long long order = device_attr_read(MMAPDEMO_ATTR_FOLIO_ORDER);

	if (order < 0 || order > 20)
		return 0;
	return page_bytes() << order;
}

bool folio_order_is_pmd(void)
{
	return device_attr_read(MMAPDEMO_ATTR_FOLIO_ORDER) == pmd_page_order();
}

int device_open(int flags)
{
	return open(MMAPDEMO_DEVICE_PATH, flags);
}

int device_devt(dev_t *devt)
{
	unsigned int major, minor;
	FILE *f = fopen(MMAPDEMO_SYSFS_DIR "/dev", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%u:%u", &major, &minor);
	fclose(f);
	if (n != 2)
		return -1;
	*devt = makedev(major, minor);
	return 0;
}

long long device_allocated_bytes(void)
{
	return device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES);
}

long long device_faults(void)
{
	return device_attr_read(MMAPDEMO_ATTR_FAULTS);
}

uint64_t whole_folio_bytes(uint64_t start, uint64_t end,
			   uint64_t folio)
{
	uint64_t first = align_up(start, folio), last = align_down(end, folio);

	return last > first ? last - first : 0;
}

int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

int pread_all(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

int device_write_pattern_from(int fd, size_t len, off_t off,
			      uint64_t seed, uint64_t pos)
{
	unsigned char *buf = malloc(len);
	int ret;

	if (!buf)
		return -1;
	pattern_fill_from(buf, len, seed, pos);
	ret = pwrite_all(fd, buf, len, off);
	free(buf);
	return ret;
}

int device_write_pattern(int fd, size_t len, off_t off,
			 uint64_t seed)
{
	return device_write_pattern_from(fd, len, off, seed, 0);
}

/* @len bytes of the device at @off in a new buffer, or NULL. */
static unsigned char *device_read_copy(int fd, size_t len, off_t off)
{
	unsigned char *buf = malloc(len);

	if (buf && pread_all(fd, buf, len, off)) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

long device_pattern_mismatch_from(int fd, size_t len, off_t off,
				  uint64_t seed, uint64_t pos)
{
	unsigned char *buf = device_read_copy(fd, len, off);
	long ret = buf ? pattern_mismatch_from(buf, len, seed, pos) : -2;

	free(buf);
	return ret;
}

long device_pattern_mismatch(int fd, size_t len, off_t off,
			     uint64_t seed)
{
	return device_pattern_mismatch_from(fd, len, off, seed, 0);
}

long device_bytes_mismatch(int fd, off_t off, size_t len,
			   unsigned char c)
{
	unsigned char *buf = device_read_copy(fd, len, off);
	long ret = buf ? bytes_mismatch(buf, len, c) : -2;

	free(buf);
	return ret;
}

void touch_read(const void *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += page_bytes())
		(void)((const volatile char *)p)[i];
}
