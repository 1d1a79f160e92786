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
#include "mmapdemo_util.h"

TEST(msync_semantics)
{
	static const int flags[] = { MS_SYNC, MS_ASYNC, MS_INVALIDATE,
				     MS_SYNC | MS_INVALIDATE };
	size_t psize = page_size(), len = PMD_SIZE;
	unsigned int i;
	char *map;
	off_t off;
	int fd;

	off = device_region(_metadata, OFF_MSYNC, PMD_SIZE);
	if (off < 0)
		SKIP(return, "the device (%zu KiB) is smaller than this test's region",
		     dev_size() / 1024);
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	map = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      off);

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		uint64_t seed = 0x35c0000ULL + i;

		/* Mapping -> msync -> read(): every flag keeps the data. */
		pattern_fill_from(map, len, seed, off);
		EXPECT_EQ(0, msync(map, len, flags[i])) {
			TH_LOG("flags %#x: %s", flags[i], strerror(errno));
		}
		EXPECT_EQ(-1, dev_pread_mismatch_from(fd, len, off, seed,
						      off)) {
			TH_LOG("flags %#x: read() differs", flags[i]);
		}

		/* write() -> msync -> mapping. */
		ASSERT_EQ(0, dev_pwrite_pattern_from(fd, len, off,
						     seed ^ 0xffff, off));
		EXPECT_EQ(0, msync(map, len, flags[i]));
		EXPECT_EQ(-1, pattern_mismatch_from(map, len, seed ^ 0xffff,
						    off)) {
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
