// SPDX-License-Identifier: GPL-2.0
/*
 * Claim 13: mremap() of a device mapping.
 *
 * - Moving (MREMAP_MAYMOVE|MREMAP_FIXED, same size) keeps the contents
 *   and the file offset; the old range is unmapped.
 * - Shrinking works: the tail is unmapped (SIGSEGV), the head intact.
 * - Growing fails: the driver sets VM_DONTEXPAND, and vma_to_resize()
 *   (mm/mremap.c) returns -EFAULT for such a VMA whenever new_len >
 *   old_len, before it looks at MREMAP_MAYMOVE. So growing in place and
 *   growing with MREMAP_MAYMOVE both fail with EFAULT, even with free
 *   address space right behind the mapping.
 *
 * - The driver's `vmas` counter follows (vm_ops->open for the copy,
 *   ->close for what goes, on the .mmap and the .mmap_prepare paths alike):
 *   a whole move keeps one VMA, moving half splits it into two, and a
 *   failed mremap() (MREMAP_DONTUNMAP: EINVAL; old_len 0, which would
 *   duplicate a shared mapping: EFAULT like any growth) counts nothing.
 *
 * Every test starts from a filled MAP_SHARED mapping of two PMDs (4 MiB,
 * or 64 MiB with 16 KiB pages), and has a PMD aligned stretch of free
 * address space reserved as the target of a move.
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
#include "attr.h"
#include "device.h"
#include "pattern.h"
#include "procfs.h"
#include "access.h"
#include "fixture.h"

FIXTURE(mremap) {
	int fd;
	off_t off;
	size_t len;		/* of the mapping as made */
	size_t new_len;		/* what the shrink tests shrink it to */
	char *map;		/* where the mapping is now */
	size_t map_len;		/* its length now; 0 once it is unmapped */
	char *resv;		/* the reserved PROT_NONE range */
	size_t resv_len;
	char *target;		/* PMD aligned, inside resv */
	long long vmas0;	/* `vmas` before the mmap() */
	uint64_t seed;		/* the mapping's contents */
};

FIXTURE_SETUP(mremap)
{
	long long off;

	off = device_region(_metadata, 2 * pmd_bytes());
	if (off < 0)
		SKIP(return, "the device (%zu KiB) is smaller than this test's region",
		     device_size() / 1024);
	self->off = off;
	self->len = 2 * pmd_bytes();
	/* Cutting inside the first PMD. */
	self->new_len = pmd_bytes() / 2 + 3 * page_bytes();
	/* Unique per test and run: no earlier test's data can pass. */
	self->seed = pattern_seed(_metadata->name);
	self->vmas0 = device_attr_read(MMAPDEMO_ATTR_VMAS);
	self->fd = device_fresh(_metadata);
	self->map = map_dev(_metadata, self->fd, self->len,
			    PROT_READ | PROT_WRITE, MAP_SHARED, self->off);
	self->map_len = self->len;
	pattern_fill_from(self->map, self->len, self->seed, self->off);

	/* A PMD aligned target (PMDs move whole with PMD-order folios). */
	self->resv_len = self->len + pmd_bytes();
	self->resv = mmap(NULL, self->resv_len, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->resv);
	self->target = (char *)align_up((uintptr_t)self->resv, pmd_bytes());
}

FIXTURE_TEARDOWN(mremap)
{
	if (self->map_len)
		munmap(self->map, self->map_len);
	munmap(self->resv, self->resv_len);
	close(self->fd);
}

/* Move the mapping, same size, to the target; the old address is returned. */
static char *move_to_target(struct __test_metadata *_metadata,
			    FIXTURE_DATA(mremap) *self)
{
	char *old = self->map, *r;

	r = mremap(old, self->len, self->len, MREMAP_MAYMOVE | MREMAP_FIXED,
		   self->target);
	ASSERT_EQ(self->target, r) {
		TH_LOG("move: %s", strerror(errno));
	}
	self->map = r;
	return old;
}

/* Shrink the mapping in place to new_len. */
static void shrink(struct __test_metadata *_metadata,
		   FIXTURE_DATA(mremap) *self)
{
	char *r = mremap(self->map, self->len, self->new_len, 0);

	ASSERT_EQ(self->map, r) {
		TH_LOG("shrink: %s", strerror(errno));
	}
	self->map_len = self->new_len;
}

TEST_F(mremap, mremap_move_keeps_contents)
{
	move_to_target(_metadata, self);
	EXPECT_EQ(-1, pattern_mismatch_from(self->target, self->len,
					    self->seed, self->off));
}

/* One VMA at the target, with the same file offset, counted once. */
TEST_F(mremap, mremap_move_keeps_vma_and_offset)
{
	uintptr_t target = (uintptr_t)self->target;
	struct maps_entry v[4];

	move_to_target(_metadata, self);
	ASSERT_EQ(1, maps_in_range(target, target + self->len, v, 4));
	EXPECT_EQ(target, v[0].start);
	EXPECT_EQ(target + self->len, v[0].end);
	EXPECT_EQ((unsigned long long)self->off, v[0].offset);
	EXPECT_EQ(self->vmas0 + 1, device_attr_read(MMAPDEMO_ATTR_VMAS));
	/* Unmapping it at its new place closes that one VMA. */
	ASSERT_EQ(0, munmap(self->map, self->map_len));
	self->map_len = 0;
	EXPECT_EQ(self->vmas0, device_attr_read(MMAPDEMO_ATTR_VMAS));
}

TEST_F(mremap, mremap_move_unmaps_old_range)
{
	struct access_result ar;
	struct maps_entry v[4];
	char *old;

	old = move_to_target(_metadata, self);
	EXPECT_EQ(SIGSEGV, probe_signal(old, ACCESS_READ, &ar));
	EXPECT_EQ(SIGSEGV, probe_signal(old + self->len - 1, ACCESS_READ, &ar));
	EXPECT_EQ(0, maps_in_range((uintptr_t)old, (uintptr_t)old + self->len,
				   v, 4));
}

/* The moved mapping still writes to the device. */
TEST_F(mremap, mremap_moved_mapping_writes_device)
{
	uint64_t seed = splitmix64(self->seed);
	size_t psize = page_bytes();

	move_to_target(_metadata, self);
	pattern_fill_from(self->target, psize, seed, self->off);
	EXPECT_EQ(-1, device_pattern_mismatch_from(self->fd, psize, self->off,
					      seed, self->off));
}

/* Shrink in place, cutting inside the first PMD: the head is intact. */
TEST_F(mremap, mremap_shrink_keeps_head)
{
	shrink(_metadata, self);
	EXPECT_EQ(-1, pattern_mismatch_from(self->map, self->new_len,
					    self->seed, self->off));
}

TEST_F(mremap, mremap_shrink_unmaps_tail)
{
	uintptr_t map = (uintptr_t)self->map;
	struct access_result ar;
	struct maps_entry v[4];

	shrink(_metadata, self);
	EXPECT_EQ(SIGSEGV, probe_signal(self->map + self->new_len,
					ACCESS_READ, &ar));
	EXPECT_EQ(SEGV_MAPERR, ar.fault_code);
	EXPECT_EQ(SIGSEGV, probe_signal(self->map + self->len - 1,
					ACCESS_WRITE, &ar));
	ASSERT_EQ(1, maps_in_range(map, map + self->len, v, 4));
	EXPECT_EQ(map + self->new_len, v[0].end);
}

/* Shrinking the mapping does not change the device. */
TEST_F(mremap, mremap_shrink_keeps_device)
{
	size_t new_len = self->new_len;

	shrink(_metadata, self);
	EXPECT_EQ(-1, device_pattern_mismatch_from(self->fd, self->len - new_len,
					      self->off + new_len, self->seed,
					      self->off + new_len));
}

/* The failed attempts left the shrunk mapping as it was. */
static void check_unchanged(struct __test_metadata *_metadata,
			    FIXTURE_DATA(mremap) *self)
{
	uintptr_t map = (uintptr_t)self->map;
	struct maps_entry v[4];

	ASSERT_EQ(1, maps_in_range(map, map + self->len, v, 4));
	EXPECT_EQ(map, v[0].start);
	EXPECT_EQ(map + self->new_len, v[0].end);
	EXPECT_EQ(-1, pattern_mismatch_from(self->map, self->new_len,
					    self->seed, self->off));
	EXPECT_EQ(self->vmas0 + 1, device_attr_read(MMAPDEMO_ATTR_VMAS));
}

/*
 * Grow in place into the free space just vacated: EFAULT, from
 * VM_DONTEXPAND (a busy neighbour would give ENOMEM instead).
 */
TEST_F(mremap, mremap_grow_in_place_efault)
{
	uintptr_t map = (uintptr_t)self->map;
	struct maps_entry v[4];
	char *r;

	shrink(_metadata, self);
	ASSERT_EQ(0, maps_in_range(map + self->new_len, map + self->len,
				   v, 4));
	errno = 0;
	r = mremap(self->map, self->new_len, self->new_len + page_bytes(), 0);
	EXPECT_EQ(MAP_FAILED, r);
	EXPECT_EQ(EFAULT, errno);
	check_unchanged(_metadata, self);
}

/* Growing with MREMAP_MAYMOVE fails the same way. */
TEST_F(mremap, mremap_grow_maymove_efault)
{
	char *r;

	shrink(_metadata, self);
	errno = 0;
	r = mremap(self->map, self->new_len, 2 * self->len, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, r);
	EXPECT_EQ(EFAULT, errno);
	check_unchanged(_metadata, self);
}

/*
 * Moving the second half to the target splits the mapping: two VMAs,
 * each counted, each with its own file offset; unmapping the moved half
 * closes one.
 */
TEST_F(mremap, mremap_move_half_splits_counted)
{
	size_t half = self->len / 2;
	uintptr_t target = (uintptr_t)self->target;
	struct maps_entry e;
	char *r;

	r = mremap(self->map + half, half, half, MREMAP_MAYMOVE | MREMAP_FIXED,
		   self->target);
	ASSERT_EQ(self->target, r) {
		TH_LOG("move: %s", strerror(errno));
	}
	self->map_len = half;
	ASSERT_EQ(0, maps_find(0, target, &e));
	EXPECT_EQ(target + half, e.end);
	EXPECT_EQ((unsigned long long)(self->off + half), e.offset);
	EXPECT_EQ(2, maps_count_path(0, MMAPDEMO_DEVICE_PATH));
	EXPECT_EQ(self->vmas0 + 2, device_attr_read(MMAPDEMO_ATTR_VMAS));
	EXPECT_EQ(-1, pattern_mismatch_from(self->target, half, self->seed,
					    self->off + half));
	ASSERT_EQ(0, munmap(self->target, half));
	EXPECT_EQ(self->vmas0 + 1, device_attr_read(MMAPDEMO_ATTR_VMAS));
}

/* mremap()s that fail leave one VMA, counted once. */
TEST_F(mremap, mremap_failed_counts_nothing)
{
	char *r;

	errno = 0;
	r = mremap(self->map, self->len, self->len,
		   MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
	EXPECT_EQ(MAP_FAILED, r);
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	r = mremap(self->map, 0, self->len, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, r);
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(1, maps_count_path(0, MMAPDEMO_DEVICE_PATH));
	EXPECT_EQ(self->vmas0 + 1, device_attr_read(MMAPDEMO_ATTR_VMAS));
}

TEST_HARNESS_MAIN
