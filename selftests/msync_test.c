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
#include "kselftest_harness.h"
#include "mmapdemo_b_util.h"

TEST(msync_semantics)
{
	static const int flags[] = { MS_SYNC, MS_ASYNC, MS_INVALIDATE,
				     MS_SYNC | MS_INVALIDATE };
	size_t psize = page_size(), len = PMD_SZ;
	off_t off = b_region(B_OFF_MSYNC, PMD_SZ);
	unsigned int i;
	char *map;
	int fd;

	/* A missing device is a failure, a small one a skip. */
	ASSERT_LT(0, b_dev_size());
	if (off < 0)
		SKIP(return, "the device (%lld KiB) is smaller than this test's region",
		     b_dev_size() / 1024);
	fd = b_open_dev();
	ASSERT_LE(0, fd);
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	ASSERT_NE(MAP_FAILED, map);

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		uint64_t seed = 0x35c0000ULL + i;

		/* Mapping -> msync -> read(): every flag keeps the data. */
		b_fill(map, len, off, seed);
		EXPECT_EQ(0, msync(map, len, flags[i])) {
			TH_LOG("flags %#x: %s", flags[i], strerror(errno));
		}
		EXPECT_EQ(-2, b_dev_check(fd, len, off, seed)) {
			TH_LOG("flags %#x: read() differs", flags[i]);
		}

		/* write() -> msync -> mapping. */
		ASSERT_EQ(0, b_dev_fill(fd, len, off, seed ^ 0xffff));
		EXPECT_EQ(0, msync(map, len, flags[i]));
		EXPECT_EQ(-1, b_check(map, len, off, seed ^ 0xffff)) {
			TH_LOG("flags %#x: mapping differs", flags[i]);
		}
	}

	/* A part of the mapping, page aligned, is fine too. */
	EXPECT_EQ(0, msync(map + psize, psize, MS_SYNC));

	/* Contradicting flags. */
	errno = 0;
	EXPECT_EQ(-1, msync(map, len, MS_SYNC | MS_ASYNC));
	EXPECT_EQ(EINVAL, errno);
	/* Unknown flag. */
	errno = 0;
	EXPECT_EQ(-1, msync(map, len, 0x100 | MS_SYNC));
	EXPECT_EQ(EINVAL, errno);
	/* Address not page aligned. */
	errno = 0;
	EXPECT_EQ(-1, msync(map + 1, psize, MS_SYNC));
	EXPECT_EQ(EINVAL, errno);

	/* Range running into an unmapped page: ENOMEM. */
	ASSERT_EQ(0, munmap(map + len - psize, psize));
	errno = 0;
	EXPECT_EQ(-1, msync(map, len, MS_SYNC));
	EXPECT_EQ(ENOMEM, errno);

	ASSERT_EQ(0, munmap(map, len - psize));
	close(fd);
}

TEST_HARNESS_MAIN
