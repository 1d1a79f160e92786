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
#include "mmapdemo_util.h"

#define SEED_SIGNALS	0x5167a15ULL

TEST(signals)
{
	size_t psize = page_size(), size = dev_size();
	struct access_result r;
	char *map, *last;
	off_t off;
	int fd;

	ASSERT_GT(size, psize);
	off = size - psize;

	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	/* [size - 1 page, size + 1 page): one page inside, one past the end */
	map = map_dev(_metadata, fd, 2 * psize, PROT_READ | PROT_WRITE,
		      MAP_SHARED, off);
	last = map;

	/* The last device page works, through the mapping and through read(). */
	EXPECT_EQ(0, probe_signal(last, ACCESS_WRITE, &r));
	pattern_fill_from(last, psize, SEED_SIGNALS, off);
	EXPECT_EQ(-1, pattern_mismatch_from(last, psize, SEED_SIGNALS, off));
	EXPECT_EQ(-1, dev_pread_mismatch_from(fd, psize, off, SEED_SIGNALS,
					      off));

	/* The page past the end: SIGBUS at exactly the address touched. */
	EXPECT_EQ(SIGBUS, probe_signal(map + psize, ACCESS_READ, &r));
	EXPECT_EQ((unsigned long)(map + psize), r.fault_addr);
	EXPECT_EQ(SIGBUS, probe_signal(map + 2 * psize - 1, ACCESS_WRITE, &r));
	EXPECT_EQ((unsigned long)(map + 2 * psize - 1), r.fault_addr);
	/* ... and the failed accesses did not disturb the valid page. */
	EXPECT_EQ(-1, pattern_mismatch_from(last, psize, SEED_SIGNALS, off));

	ASSERT_EQ(0, munmap(map, 2 * psize));
	/* Unmapped: SIGSEGV, "address not mapped". */
	EXPECT_EQ(SIGSEGV, probe_signal(map, ACCESS_READ, &r));
	EXPECT_EQ(SEGV_MAPERR, r.fault_code);
	EXPECT_EQ((unsigned long)map, r.fault_addr);
	EXPECT_EQ(SIGSEGV, probe_signal(map + psize, ACCESS_WRITE, &r));
	EXPECT_EQ(SEGV_MAPERR, r.fault_code);

	/* The data stays in the device after the mapping is gone. */
	EXPECT_EQ(-1, dev_pread_mismatch_from(fd, psize, off, SEED_SIGNALS,
					      off));
	close(fd);
}

TEST_HARNESS_MAIN
