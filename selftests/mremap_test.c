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
#include "mmapdemo_b_util.h"

#define SEED_MREMAP	0x43e3a90ULL
#define SEED_MOVED	0x43e3a91ULL

TEST(mremap_semantics)
{
	size_t psize = page_size(), len = 2 * PMD_SZ;
	size_t new_len = MIB + 3 * psize;
	off_t off = b_region(B_OFF_MREMAP, 2 * PMD_SZ);
	char *map, *resv, *target, *r;
	long long vmas0;
	struct b_vma v[4];
	int fd;

	/* A missing device is a failure, a small one a skip. */
	ASSERT_LT(0, b_dev_size());
	if (off < 0)
		SKIP(return, "the device (%lld KiB) is smaller than this test's region",
		     b_dev_size() / 1024);
	vmas0 = mmapdemo_attr(MMAPDEMO_ATTR_VMAS);
	fd = b_open_dev();
	ASSERT_LE(0, fd);
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	ASSERT_NE(MAP_FAILED, map);
	b_fill(map, len, off, SEED_MREMAP);

	/* A 2 MiB aligned target (PMDs move whole when folio_order=9). */
	resv = mmap(NULL, len + PMD_SZ, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, resv);
	target = (char *)b_round_up((uintptr_t)resv, PMD_SZ);

	/* Move, same size. */
	r = mremap(map, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	ASSERT_EQ(target, r) {
		TH_LOG("move: %s", strerror(errno));
	}
	EXPECT_EQ(-1, b_check(target, len, off, SEED_MREMAP));
	EXPECT_EQ(SIGSEGV, b_probe(map, false));
	EXPECT_EQ(SIGSEGV, b_probe(map + len - 1, false));
	ASSERT_EQ(1, b_vmas_in((uintptr_t)target, (uintptr_t)target + len,
			       v, 4));
	EXPECT_EQ((uintptr_t)target, v[0].start);
	EXPECT_EQ((uintptr_t)target + len, v[0].end);
	EXPECT_EQ((unsigned long)off, v[0].pgoff);
	EXPECT_EQ(0, b_vmas_in((uintptr_t)map, (uintptr_t)map + len, v, 4));
	EXPECT_EQ(vmas0 + 1, mmapdemo_attr(MMAPDEMO_ATTR_VMAS));
	/* The moved mapping still writes to the device. */
	b_fill(target, psize, off, SEED_MOVED);
	EXPECT_EQ(-2, b_dev_check(fd, psize, off, SEED_MOVED));
	b_fill(target, psize, off, SEED_MREMAP);
	map = target;

	/* Shrink in place, cutting inside the first 2 MiB. */
	r = mremap(map, len, new_len, 0);
	ASSERT_EQ(map, r) {
		TH_LOG("shrink: %s", strerror(errno));
	}
	EXPECT_EQ(-1, b_check(map, new_len, off, SEED_MREMAP));
	EXPECT_EQ(SIGSEGV, b_probe(map + new_len, false));
	EXPECT_EQ(SEGV_MAPERR, b_probe_code);
	EXPECT_EQ(SIGSEGV, b_probe(map + len - 1, true));
	ASSERT_EQ(1, b_vmas_in((uintptr_t)map, (uintptr_t)map + len, v, 4));
	EXPECT_EQ((uintptr_t)map + new_len, v[0].end);
	/* Shrinking the mapping does not change the device. */
	EXPECT_EQ(-2, b_dev_check(fd, len - new_len, off + new_len,
				  SEED_MREMAP));

	/*
	 * Grow in place into the free space just vacated: EFAULT, from
	 * VM_DONTEXPAND (a busy neighbour would give ENOMEM instead).
	 */
	ASSERT_EQ(0, b_vmas_in((uintptr_t)map + new_len, (uintptr_t)map + len,
			       v, 4));
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
	ASSERT_EQ(1, b_vmas_in((uintptr_t)map, (uintptr_t)map + len, v, 4));
	EXPECT_EQ((uintptr_t)map, v[0].start);
	EXPECT_EQ((uintptr_t)map + new_len, v[0].end);
	EXPECT_EQ(-1, b_check(map, new_len, off, SEED_MREMAP));
	EXPECT_EQ(vmas0 + 1, mmapdemo_attr(MMAPDEMO_ATTR_VMAS));

	ASSERT_EQ(0, munmap(resv, len + PMD_SZ));
	EXPECT_EQ(vmas0, mmapdemo_attr(MMAPDEMO_ATTR_VMAS));
	close(fd);
}

TEST_HARNESS_MAIN
