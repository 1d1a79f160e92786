// SPDX-License-Identifier: GPL-2.0
/*
 * Claim 10: SIGBUS and SIGSEGV on a device mapping.
 *
 * mmap() may cover offsets past the end of the device (the driver allows
 * it, like a file mapping past EOF); touching such a page raises SIGBUS,
 * while the pages inside the device work. After munmap() the addresses
 * are no longer mapped at all: SIGSEGV (SEGV_MAPERR).
 */
#include "kselftest_harness.h"
#include "mmapdemo_b_util.h"

#define SEED_SIGNALS	0x5167a15ULL

TEST(signals)
{
	size_t psize = page_size();
	long long size = b_dev_size();
	volatile char *map;
	char *last;
	off_t off;
	int fd;

	ASSERT_GT(size, (long long)psize);
	off = size - psize;

	fd = b_open_dev();
	ASSERT_LE(0, fd);
	/* [size - 1 page, size + 1 page): one page inside, one past the end */
	map = mmap(NULL, 2 * psize, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   off);
	ASSERT_NE(MAP_FAILED, map);
	last = (char *)map;

	/* The last device page works, through the mapping and through read(). */
	EXPECT_EQ(0, b_probe(last, true));
	b_fill(last, psize, off, SEED_SIGNALS);
	EXPECT_EQ(-1, b_check(last, psize, off, SEED_SIGNALS));
	EXPECT_EQ(-2, b_dev_check(fd, psize, off, SEED_SIGNALS));

	/* The page past the end: SIGBUS at exactly the address touched. */
	EXPECT_EQ(SIGBUS, b_probe(map + psize, false));
	EXPECT_EQ((void *)(map + psize), b_probe_addr);
	EXPECT_EQ(SIGBUS, b_probe(map + 2 * psize - 1, true));
	EXPECT_EQ((void *)(map + 2 * psize - 1), b_probe_addr);
	/* ... and the failed accesses did not disturb the valid page. */
	EXPECT_EQ(-1, b_check(last, psize, off, SEED_SIGNALS));

	ASSERT_EQ(0, munmap((void *)map, 2 * psize));
	/* Unmapped: SIGSEGV, "address not mapped". */
	EXPECT_EQ(SIGSEGV, b_probe(map, false));
	EXPECT_EQ(SEGV_MAPERR, b_probe_code);
	EXPECT_EQ((void *)map, b_probe_addr);
	EXPECT_EQ(SIGSEGV, b_probe(map + psize, true));
	EXPECT_EQ(SEGV_MAPERR, b_probe_code);

	/* The data stays in the device after the mapping is gone. */
	EXPECT_EQ(-2, b_dev_check(fd, psize, off, SEED_SIGNALS));
	close(fd);
}

TEST_HARNESS_MAIN
