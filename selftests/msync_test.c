// SPDX-License-Identifier: GPL-2.0
/*
 * Claim 12: msync() on a device mapping.
 *
 * The tutorials say changes reach the file "through msync() or at
 * munmap()". mmapdemo is RAM: the mapping and read() see the same pages,
 * so there is nothing to write back, and msync() with MS_SYNC, MS_ASYNC
 * and MS_INVALIDATE simply succeeds with the data visible to read() (and
 * a write() visible in the mapping). The argument checks are the core's:
 * MS_SYNC|MS_ASYNC together and an unaligned address are EINVAL, and a
 * range with an unmapped page is ENOMEM.
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
#include "fixture.h"

/* A MAP_SHARED mapping of one PMD (2 MiB, or 32 MiB with 16 KiB pages). */
FIXTURE(mapping) {
	int fd;
	off_t off;
	size_t len;
	char *map;
};

FIXTURE_SETUP(mapping)
{
	long long off = device_region(_metadata, pmd_bytes());

	if (off < 0)
		SKIP(return, "the device (%zu KiB) is smaller than this test's region",
		     device_size() / 1024);
	self->off = off;
	self->len = pmd_bytes();
	self->fd = device_fresh(_metadata);
	self->map = map_dev(_metadata, self->fd, self->len,
			    PROT_READ | PROT_WRITE, MAP_SHARED, self->off);
}

FIXTURE_TEARDOWN(mapping)
{
	munmap(self->map, self->len);
	close(self->fd);
}

/*
 * msync(@flags) keeps the mapping and the device in step both ways; the
 * patterns are unique per test and run, so no earlier data can pass.
 */
static void msync_both_ways(struct __test_metadata *_metadata,
			    FIXTURE_DATA(mapping) *self, int flags)
{
	uint64_t seed = pattern_seed(_metadata->name);
	size_t len = self->len;
	off_t off = self->off;

	/* Mapping -> msync -> read(). */
	pattern_fill_from(self->map, len, seed, off);
	EXPECT_EQ(0, msync(self->map, len, flags)) {
		TH_LOG("flags %#x: %s", flags, strerror(errno));
	}
	EXPECT_EQ(-1, device_pattern_mismatch_from(self->fd, len, off, seed, off)) {
		TH_LOG("flags %#x: read() differs", flags);
	}

	/* write() -> msync -> mapping. */
	ASSERT_EQ(0, device_write_pattern_from(self->fd, len, off, seed ^ 0xffff,
					     off));
	EXPECT_EQ(0, msync(self->map, len, flags));
	EXPECT_EQ(-1, pattern_mismatch_from(self->map, len, seed ^ 0xffff,
					    off)) {
		TH_LOG("flags %#x: mapping differs", flags);
	}
}

TEST_F(mapping, msync_ms_sync_succeeds)
{
	msync_both_ways(_metadata, self, MS_SYNC);
}

TEST_F(mapping, msync_ms_async_succeeds)
{
	msync_both_ways(_metadata, self, MS_ASYNC);
}

TEST_F(mapping, msync_ms_invalidate_succeeds)
{
	msync_both_ways(_metadata, self, MS_INVALIDATE);
}

TEST_F(mapping, msync_ms_sync_invalidate_succeeds)
{
	msync_both_ways(_metadata, self, MS_SYNC | MS_INVALIDATE);
}

/* A part of the mapping, page aligned, is fine too. */
TEST_F(mapping, msync_part_of_mapping_succeeds)
{
	size_t psize = page_bytes();

	EXPECT_EQ(0, msync(self->map + psize, psize, MS_SYNC)) {
		TH_LOG("%s", strerror(errno));
	}
}

/* Contradicting flags. */
TEST_F(mapping, msync_sync_with_async_einval)
{
	errno = 0;
	EXPECT_EQ(-1, msync(self->map, self->len, MS_SYNC | MS_ASYNC));
	EXPECT_EQ(EINVAL, errno);
}

/* Unknown flag. */
TEST_F(mapping, msync_unknown_flag_einval)
{
	errno = 0;
	EXPECT_EQ(-1, msync(self->map, self->len, 0x100 | MS_SYNC));
	EXPECT_EQ(EINVAL, errno);
}

/* Address not page aligned. */
TEST_F(mapping, msync_unaligned_einval)
{
	errno = 0;
	EXPECT_EQ(-1, msync(self->map + 1, page_bytes(), MS_SYNC));
	EXPECT_EQ(EINVAL, errno);
}

/* Range running into an unmapped page: ENOMEM. */
TEST_F(mapping, msync_unmapped_page_enomem)
{
	size_t psize = page_bytes();

	ASSERT_EQ(0, munmap(self->map + self->len - psize, psize));
	self->len -= psize;
	errno = 0;
	EXPECT_EQ(-1, msync(self->map, self->len + psize, MS_SYNC));
	EXPECT_EQ(ENOMEM, errno);
}

TEST_HARNESS_MAIN
