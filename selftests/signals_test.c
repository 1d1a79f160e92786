// SPDX-License-Identifier: GPL-2.0
/*
 * Claim 10: SIGBUS and SIGSEGV on a device mapping.
 *
 * mmap() may cover offsets past the end of the device (the driver allows
 * it, like a file mapping past EOF); touching such a page raises SIGBUS,
 * while the pages inside the device work. After munmap() the addresses
 * are no longer mapped at all: SIGSEGV (SEGV_MAPERR).
 *
 * Every test maps [size - 1 page, size + 1 page): one page inside the
 * device, one past its end.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "sizes.h"
#include "device.h"
#include "pattern.h"
#include "access.h"
#include "fixture.h"

FIXTURE(last_page) {
	size_t psize;
	off_t off;		/* device offset of the last page */
	int fd;
	char *map;		/* NULL once unmapped */
	uint64_t seed;
};

FIXTURE_SETUP(last_page)
{
	size_t size = device_size();

	self->psize = page_bytes();
	ASSERT_GT(size, self->psize);
	self->off = size - self->psize;
	/* Unique per test and run: no earlier test's data can pass. */
	self->seed = pattern_seed(_metadata->name);
	self->fd = device_fresh(_metadata);
	self->map = map_dev(_metadata, self->fd, 2 * self->psize,
			    PROT_READ | PROT_WRITE, MAP_SHARED, self->off);
}

FIXTURE_TEARDOWN(last_page)
{
	if (self->map)
		munmap(self->map, 2 * self->psize);
	close(self->fd);
}

/* Fill the last device page through the mapping. */
static void fill_last_page(FIXTURE_DATA(last_page) *self)
{
	pattern_fill_from(self->map, self->psize, self->seed, self->off);
}

/* The last device page works, through the mapping and through read(). */
TEST_F(last_page, signals_last_page_inside_device_works)
{
	struct access_result r;
	char *last = self->map;

	EXPECT_EQ(0, probe_signal(last, ACCESS_WRITE, &r));
	fill_last_page(self);
	EXPECT_EQ(-1, pattern_mismatch_from(last, self->psize, self->seed,
					    self->off));
	EXPECT_EQ(-1, device_pattern_mismatch_from(self->fd, self->psize,
					      self->off, self->seed,
					      self->off));
}

/* The page past the end: SIGBUS at exactly the address touched. */
TEST_F(last_page, signals_sigbus_past_device_end)
{
	size_t psize = self->psize;
	struct access_result r;
	char *map = self->map;

	fill_last_page(self);
	EXPECT_EQ(SIGBUS, probe_signal(map + psize, ACCESS_READ, &r));
	EXPECT_EQ((unsigned long)(map + psize), r.fault_addr);
	EXPECT_EQ(SIGBUS, probe_signal(map + 2 * psize - 1, ACCESS_WRITE, &r));
	EXPECT_EQ((unsigned long)(map + 2 * psize - 1), r.fault_addr);
	/* ... and the failed accesses did not disturb the valid page. */
	EXPECT_EQ(-1, pattern_mismatch_from(map, psize, self->seed,
					    self->off));
}

/* Unmapped: SIGSEGV, "address not mapped". */
TEST_F(last_page, signals_sigsegv_after_munmap)
{
	struct access_result r;
	char *map = self->map;

	fill_last_page(self);
	ASSERT_EQ(0, munmap(map, 2 * self->psize));
	self->map = NULL;
	EXPECT_EQ(SIGSEGV, probe_signal(map, ACCESS_READ, &r));
	EXPECT_EQ(SEGV_MAPERR, r.fault_code);
	EXPECT_EQ((unsigned long)map, r.fault_addr);
	EXPECT_EQ(SIGSEGV, probe_signal(map + self->psize, ACCESS_WRITE, &r));
	EXPECT_EQ(SEGV_MAPERR, r.fault_code);
}

/* The data stays in the device after the mapping is gone. */
TEST_F(last_page, signals_device_keeps_data_after_munmap)
{
	fill_last_page(self);
	ASSERT_EQ(0, munmap(self->map, 2 * self->psize));
	self->map = NULL;
	EXPECT_EQ(-1, device_pattern_mismatch_from(self->fd, self->psize,
					      self->off, self->seed,
					      self->off));
}

TEST_HARNESS_MAIN
