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
 */
#include "kselftest_harness.h"
#include "mmapdemo_util.h"

#define SEED_MREMAP	0x43e3a90ULL
#define SEED_MOVED	0x43e3a91ULL

TEST(mremap_semantics)
{
	size_t psize = page_size(), len = 2 * PMD_SIZE;
	size_t new_len = MIB + 3 * psize;
	char *map, *resv, *target, *r;
	struct maps_entry v[4];
	struct access_result ar;
	long long vmas0;
	off_t off;
	int fd;

	off = device_region(_metadata, OFF_MREMAP, 2 * PMD_SIZE);
	if (off < 0)
		SKIP(return, "the device (%zu KiB) is smaller than this test's region",
		     dev_size() / 1024);
	vmas0 = mmapdemo_attr(MMAPDEMO_ATTR_VMAS);
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	map = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      off);
	pattern_fill_from(map, len, SEED_MREMAP, off);

	/* A 2 MiB aligned target (PMDs move whole when folio_order=9). */
	resv = mmap(NULL, len + PMD_SIZE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, resv);
	target = (char *)round_up((uintptr_t)resv, PMD_SIZE);

	/* Move, same size. */
	r = mremap(map, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	ASSERT_EQ(target, r) {
		TH_LOG("move: %s", strerror(errno));
	}
	EXPECT_EQ(-1, pattern_mismatch_from(target, len, SEED_MREMAP, off));
	EXPECT_EQ(SIGSEGV, probe_signal(map, ACCESS_READ, &ar));
	EXPECT_EQ(SIGSEGV, probe_signal(map + len - 1, ACCESS_READ, &ar));
	ASSERT_EQ(1, maps_in_range((uintptr_t)target,
				   (uintptr_t)target + len, v, 4));
	EXPECT_EQ((uintptr_t)target, v[0].start);
	EXPECT_EQ((uintptr_t)target + len, v[0].end);
	EXPECT_EQ((unsigned long long)off, v[0].offset);
	EXPECT_EQ(0, maps_in_range((uintptr_t)map, (uintptr_t)map + len,
				   v, 4));
	EXPECT_EQ(vmas0 + 1, mmapdemo_attr(MMAPDEMO_ATTR_VMAS));
	/* The moved mapping still writes to the device. */
	pattern_fill_from(target, psize, SEED_MOVED, off);
	EXPECT_EQ(-1, dev_pread_mismatch_from(fd, psize, off, SEED_MOVED,
					      off));
	pattern_fill_from(target, psize, SEED_MREMAP, off);
	map = target;

	/* Shrink in place, cutting inside the first 2 MiB. */
	r = mremap(map, len, new_len, 0);
	ASSERT_EQ(map, r) {
		TH_LOG("shrink: %s", strerror(errno));
	}
	EXPECT_EQ(-1, pattern_mismatch_from(map, new_len, SEED_MREMAP, off));
	EXPECT_EQ(SIGSEGV, probe_signal(map + new_len, ACCESS_READ, &ar));
	EXPECT_EQ(SEGV_MAPERR, ar.fault_code);
	EXPECT_EQ(SIGSEGV, probe_signal(map + len - 1, ACCESS_WRITE, &ar));
	ASSERT_EQ(1, maps_in_range((uintptr_t)map, (uintptr_t)map + len,
				   v, 4));
	EXPECT_EQ((uintptr_t)map + new_len, v[0].end);
	/* Shrinking the mapping does not change the device. */
	EXPECT_EQ(-1, dev_pread_mismatch_from(fd, len - new_len, off + new_len,
					      SEED_MREMAP, off + new_len));

	/*
	 * Grow in place into the free space just vacated: EFAULT, from
	 * VM_DONTEXPAND (a busy neighbour would give ENOMEM instead).
	 */
	ASSERT_EQ(0, maps_in_range((uintptr_t)map + new_len,
				   (uintptr_t)map + len, v, 4));
	errno = 0;
	r = mremap(map, new_len, new_len + psize, 0);
	EXPECT_EQ(MAP_FAILED, r);
	EXPECT_EQ(EFAULT, errno);
	/* Growing with MREMAP_MAYMOVE fails the same way. */
	errno = 0;
	r = mremap(map, new_len, 2 * len, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, r);
	EXPECT_EQ(EFAULT, errno);

	/* The failed attempts left the mapping as it was. */
	ASSERT_EQ(1, maps_in_range((uintptr_t)map, (uintptr_t)map + len,
				   v, 4));
	EXPECT_EQ((uintptr_t)map, v[0].start);
	EXPECT_EQ((uintptr_t)map + new_len, v[0].end);
	EXPECT_EQ(-1, pattern_mismatch_from(map, new_len, SEED_MREMAP, off));
	EXPECT_EQ(vmas0 + 1, mmapdemo_attr(MMAPDEMO_ATTR_VMAS));

	ASSERT_EQ(0, munmap(resv, len + PMD_SIZE));
	EXPECT_EQ(vmas0, mmapdemo_attr(MMAPDEMO_ATTR_VMAS));
	close(fd);
}

TEST_HARNESS_MAIN
