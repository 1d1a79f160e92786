// SPDX-License-Identifier: GPL-2.0
/*
 * Claim 14: madvise() on a device mapping.
 *
 * - MADV_DONTNEED only drops this process's page table entries: the next
 *   access faults again (the driver's `faults` counter grows) and finds
 *   the device's data. On a MAP_PRIVATE mapping it also throws away the
 *   private copy-on-write copies, so the shared content shows again.
 * - MADV_POPULATE_READ / MADV_POPULATE_WRITE (5.14+) fault everything in
 *   ahead of time: the accesses afterwards take no minor faults
 *   (getrusage). POPULATE_WRITE on a MAP_PRIVATE mapping breaks COW up
 *   front: the pages become private (anonymous) copies, which no longer
 *   follow the device and do not write to it.
 */
#include "kselftest_harness.h"
#include "mmapdemo_util.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

/* Four 2 MiB parts of the test's region at base. */
#define LEN		PMD_SIZE
#define OFF_DONTNEED	(base)
#define OFF_POP_READ	(base + 1 * PMD_SIZE)
#define OFF_POP_WRITE	(base + 2 * PMD_SIZE)
#define OFF_POP_PRIV	(base + 3 * PMD_SIZE)

/*
 * Out of line, and run once before any measurement, so that measuring
 * does not count the faults on this program's own text pages. The
 * pattern positions are device offsets, here and in fill_dev()/check_dev().
 */
static __attribute__((noinline)) long check_map(const void *map, size_t len,
						uint64_t off, uint64_t seed)
{
	return pattern_mismatch_from(map, len, seed, off);
}

static __attribute__((noinline)) void fill_map(void *map, size_t len,
					       uint64_t off, uint64_t seed)
{
	pattern_fill_from(map, len, seed, off);
}

/* The same through pwrite()/pread(), not a mapping. */
static int fill_dev(int fd, size_t len, uint64_t off, uint64_t seed)
{
	return dev_pwrite_pattern_from(fd, len, off, seed, off);
}

static long check_dev(int fd, size_t len, uint64_t off, uint64_t seed)
{
	return dev_pread_mismatch_from(fd, len, off, seed, off);
}

static void warm_up(void)
{
	static uint64_t scratch[512];

	fill_map(scratch, sizeof(scratch), 0, 1);
	check_map(scratch, sizeof(scratch), 0, 1);
	minor_faults();
	mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
}

TEST(madvise_semantics)
{
	size_t psize = page_size();
	long long f0, f1, f2;
	long m0, m1, res;
	long long base;
	char *map;
	int fd;

	base = device_region(_metadata, OFF_MADVISE, 4 * PMD_SIZE);
	if (base < 0)
		SKIP(return, "the device (%zu KiB) is smaller than this test's region",
		     dev_size() / 1024);
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	warm_up();

	/* MADV_DONTNEED, MAP_SHARED: refault finds the device's data. */
	ASSERT_EQ(0, fill_dev(fd, LEN, OFF_DONTNEED, 0xd0a1));
	map = map_dev(_metadata, fd, LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		      OFF_DONTNEED);
	EXPECT_EQ(-1, check_map(map, LEN, OFF_DONTNEED, 0xd0a1));
	f0 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	ASSERT_EQ(0, madvise(map, LEN, MADV_DONTNEED));
	f1 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	EXPECT_EQ(f0, f1);
	EXPECT_EQ(-1, check_map(map, LEN, OFF_DONTNEED, 0xd0a1));
	f2 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	EXPECT_LT(f1, f2);
	EXPECT_GE(f1 + (long long)(LEN / psize), f2);
	TH_LOG("DONTNEED shared: %lld faults to read %lu KiB again",
	       f2 - f1, LEN / KIB);
	ASSERT_EQ(0, munmap(map, LEN));

	/* MADV_DONTNEED, MAP_PRIVATE: the private copies are dropped. */
	map = map_dev(_metadata, fd, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		      OFF_DONTNEED);
	fill_map(map, 16 * psize, OFF_DONTNEED, 0xd0a2);
	EXPECT_EQ(-1, check_map(map, 16 * psize, OFF_DONTNEED, 0xd0a2));
	EXPECT_EQ(-1, check_dev(fd, LEN, OFF_DONTNEED, 0xd0a1));
	f1 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	ASSERT_EQ(0, madvise(map, LEN, MADV_DONTNEED));
	EXPECT_EQ(-1, check_map(map, LEN, OFF_DONTNEED, 0xd0a1));
	f2 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	EXPECT_LT(f1, f2);
	ASSERT_EQ(0, munmap(map, LEN));

	/*
	 * Control: without populating, reading a fresh mapping does take
	 * minor faults, so the zero counts below are not a blind spot.
	 */
	ASSERT_EQ(0, fill_dev(fd, LEN, OFF_POP_READ, 0xd0a3));
	map = map_dev(_metadata, fd, LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		      OFF_POP_READ);
	m0 = minor_faults();
	res = check_map(map, LEN, OFF_POP_READ, 0xd0a3);
	m1 = minor_faults();
	EXPECT_EQ(-1, res);
	EXPECT_LT(0, m1 - m0);
	ASSERT_EQ(0, munmap(map, LEN));

	/* MADV_POPULATE_READ, MAP_SHARED: reading takes no faults after. */
	map = map_dev(_metadata, fd, LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		      OFF_POP_READ);
	f0 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	ASSERT_EQ(0, madvise(map, LEN, MADV_POPULATE_READ)) {
		TH_LOG("MADV_POPULATE_READ: %s", strerror(errno));
	}
	f1 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	EXPECT_LT(f0, f1);
	m0 = minor_faults();
	res = check_map(map, LEN, OFF_POP_READ, 0xd0a3);
	m1 = minor_faults();
	EXPECT_EQ(-1, res);
	EXPECT_EQ(0, m1 - m0);
	EXPECT_EQ(f1, mmapdemo_attr(MMAPDEMO_ATTR_FAULTS));
	ASSERT_EQ(0, munmap(map, LEN));

	/* MADV_POPULATE_WRITE, MAP_SHARED: writing takes no faults after. */
	map = map_dev(_metadata, fd, LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		      OFF_POP_WRITE);
	ASSERT_EQ(0, madvise(map, LEN, MADV_POPULATE_WRITE)) {
		TH_LOG("MADV_POPULATE_WRITE: %s", strerror(errno));
	}
	m0 = minor_faults();
	fill_map(map, LEN, OFF_POP_WRITE, 0xd0a4);
	m1 = minor_faults();
	EXPECT_EQ(0, m1 - m0);
	EXPECT_EQ(-1, check_dev(fd, LEN, OFF_POP_WRITE, 0xd0a4));
	ASSERT_EQ(0, munmap(map, LEN));

	/*
	 * MADV_POPULATE_WRITE, MAP_PRIVATE: every page is copied now. The
	 * copies keep the data of populate time when the device changes
	 * later, take writes without faulting, and do not write through.
	 */
	ASSERT_EQ(0, fill_dev(fd, LEN, OFF_POP_PRIV, 0xd0a5));
	map = map_dev(_metadata, fd, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		      OFF_POP_PRIV);
	EXPECT_EQ(0, smaps_kb(map, "Anonymous"));
	ASSERT_EQ(0, madvise(map, LEN, MADV_POPULATE_WRITE)) {
		TH_LOG("MADV_POPULATE_WRITE: %s", strerror(errno));
	}
	EXPECT_EQ((long)(LEN / KIB), smaps_kb(map, "Anonymous"));
	ASSERT_EQ(0, fill_dev(fd, LEN, OFF_POP_PRIV, 0xd0a6));
	m0 = minor_faults();
	res = check_map(map, LEN, OFF_POP_PRIV, 0xd0a5);
	fill_map(map, LEN, OFF_POP_PRIV, 0xd0a7);
	m1 = minor_faults();
	EXPECT_EQ(-1, res);
	EXPECT_EQ(0, m1 - m0);
	EXPECT_EQ(-1, check_map(map, LEN, OFF_POP_PRIV, 0xd0a7));
	EXPECT_EQ(-1, check_dev(fd, LEN, OFF_POP_PRIV, 0xd0a6));
	ASSERT_EQ(0, munmap(map, LEN));

	close(fd);
}

TEST_HARNESS_MAIN
