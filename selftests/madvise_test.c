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
#include "madvise_values.h"
#include "procfs.h"
#include "fixture.h"


/* Four PMD-sized parts (2 MiB, or 32 MiB with 16 KiB pages) at base. */
#define LEN		pmd_bytes()
#define OFF_DONTNEED	(self->base)
#define OFF_POP_READ	(self->base + 1 * pmd_bytes())
#define OFF_POP_WRITE	(self->base + 2 * pmd_bytes())
#define OFF_POP_PRIV	(self->base + 3 * pmd_bytes())

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
	return device_write_pattern_from(fd, len, off, seed, off);
}

static long check_dev(int fd, size_t len, uint64_t off, uint64_t seed)
{
	return device_pattern_mismatch_from(fd, len, off, seed, off);
}

static void warm_up(void)
{
	static uint64_t scratch[512];

	fill_map(scratch, sizeof(scratch), 0, 1);
	check_map(scratch, sizeof(scratch), 0, 1);
	rusage_minor_faults();
	device_attr_read(MMAPDEMO_ATTR_FAULTS);
}

/*
 * The device open, the region found, the code warmed up (in the process
 * that runs the test: the harness forks one per test). Each test maps
 * one part of the region with map_part().
 */
FIXTURE(madvise) {
	int fd;
	long long base;
	char *map;		/* the test's mapping, NULL if none */
	uint64_t seed[3];	/* patterns unique per test and run */
};

FIXTURE_SETUP(madvise)
{
	int i;

	self->base = 0;
	self->seed[0] = pattern_seed(_metadata->name);
	for (i = 1; i < 3; i++)
		self->seed[i] = splitmix64(self->seed[i - 1]);
	/* Four PMDs do not fit in 64 MiB with 16 KiB pages: it grows. */
	self->fd = device_fresh_len(_metadata, 4 * pmd_bytes());
	warm_up();
}

FIXTURE_TEARDOWN(madvise)
{
	if (self->map)
		munmap(self->map, LEN);
	close(self->fd);
	/* Back to the load-time size if the setup grew the device. */
	module_restore(false);
}

static char *map_part(struct __test_metadata *_metadata,
		      FIXTURE_DATA(madvise) *self, int flags, off_t off)
{
	self->map = map_dev(_metadata, self->fd, LEN, PROT_READ | PROT_WRITE,
			    flags, off);
	return self->map;
}

/* MADV_DONTNEED, MAP_SHARED: refault finds the device's data. */
TEST_F(madvise, madvise_dontneed_refaults_shared_content)
{
	uint64_t seed = self->seed[0];
	long long f0, f1, f2;
	char *map;

	ASSERT_EQ(0, fill_dev(self->fd, LEN, OFF_DONTNEED, seed));
	map = map_part(_metadata, self, MAP_SHARED, OFF_DONTNEED);
	EXPECT_EQ(-1, check_map(map, LEN, OFF_DONTNEED, seed));
	f0 = device_attr_read(MMAPDEMO_ATTR_FAULTS);
	ASSERT_EQ(0, madvise(map, LEN, MADV_DONTNEED));
	f1 = device_attr_read(MMAPDEMO_ATTR_FAULTS);
	EXPECT_EQ(f0, f1);
	EXPECT_EQ(-1, check_map(map, LEN, OFF_DONTNEED, seed));
	f2 = device_attr_read(MMAPDEMO_ATTR_FAULTS);
	EXPECT_LT(f1, f2);
	EXPECT_GE(f1 + (long long)(LEN / page_bytes()), f2);
	TH_LOG("DONTNEED shared: %lld faults to read %lu KiB again",
	       f2 - f1, LEN / KIB);
}

/* MADV_DONTNEED, MAP_PRIVATE: the private copies are dropped. */
TEST_F(madvise, madvise_dontneed_drops_private_copy)
{
	uint64_t dev_seed = self->seed[0], priv_seed = self->seed[1];
	size_t psize = page_bytes();
	long long f1, f2;
	char *map;

	ASSERT_EQ(0, fill_dev(self->fd, LEN, OFF_DONTNEED, dev_seed));
	map = map_part(_metadata, self, MAP_PRIVATE, OFF_DONTNEED);
	fill_map(map, 16 * psize, OFF_DONTNEED, priv_seed);
	EXPECT_EQ(-1, check_map(map, 16 * psize, OFF_DONTNEED, priv_seed));
	EXPECT_EQ(-1, check_dev(self->fd, LEN, OFF_DONTNEED, dev_seed));
	f1 = device_attr_read(MMAPDEMO_ATTR_FAULTS);
	ASSERT_EQ(0, madvise(map, LEN, MADV_DONTNEED));
	EXPECT_EQ(-1, check_map(map, LEN, OFF_DONTNEED, dev_seed));
	f2 = device_attr_read(MMAPDEMO_ATTR_FAULTS);
	EXPECT_LT(f1, f2);
}

/*
 * Control: without populating, reading a fresh mapping does take minor
 * faults, so the zero counts of the populate tests are not a blind spot.
 */
TEST_F(madvise, madvise_unpopulated_read_takes_minor_faults)
{
	uint64_t seed = self->seed[0];
	long m0, m1, res;
	char *map;

	ASSERT_EQ(0, fill_dev(self->fd, LEN, OFF_POP_READ, seed));
	map = map_part(_metadata, self, MAP_SHARED, OFF_POP_READ);
	m0 = rusage_minor_faults();
	res = check_map(map, LEN, OFF_POP_READ, seed);
	m1 = rusage_minor_faults();
	EXPECT_EQ(-1, res);
	EXPECT_LT(0, m1 - m0);
}

/* MADV_POPULATE_READ, MAP_SHARED: reading takes no faults after. */
TEST_F(madvise, madvise_populate_read_prefaults)
{
	uint64_t seed = self->seed[0];
	long long f0, f1;
	long m0, m1, res;
	char *map;

	ASSERT_EQ(0, fill_dev(self->fd, LEN, OFF_POP_READ, seed));
	map = map_part(_metadata, self, MAP_SHARED, OFF_POP_READ);
	f0 = device_attr_read(MMAPDEMO_ATTR_FAULTS);
	ASSERT_EQ(0, madvise(map, LEN, MADV_POPULATE_READ)) {
		TH_LOG("MADV_POPULATE_READ: %s", strerror(errno));
	}
	f1 = device_attr_read(MMAPDEMO_ATTR_FAULTS);
	EXPECT_LT(f0, f1);
	/*
	 * Warm up: the first run of the checking code in this (forked) test
	 * process faults in its text and stack pages, which fork() does not
	 * copy. Page 0 is populated, so it takes no fault itself.
	 */
	check_map(map, page_bytes(), OFF_POP_READ, seed);
	m0 = rusage_minor_faults();
	res = check_map(map, LEN, OFF_POP_READ, seed);
	m1 = rusage_minor_faults();
	EXPECT_EQ(-1, res);
	EXPECT_EQ(0, m1 - m0);
	EXPECT_EQ(f1, device_attr_read(MMAPDEMO_ATTR_FAULTS));
}

/* MADV_POPULATE_WRITE, MAP_SHARED: writing takes no faults after. */
TEST_F(madvise, madvise_populate_write_prefaults)
{
	uint64_t seed = self->seed[0];
	long m0, m1;
	char *map;

	map = map_part(_metadata, self, MAP_SHARED, OFF_POP_WRITE);
	ASSERT_EQ(0, madvise(map, LEN, MADV_POPULATE_WRITE)) {
		TH_LOG("MADV_POPULATE_WRITE: %s", strerror(errno));
	}
	/*
	 * Warm up: the first run of the checking code in this (forked) test
	 * process faults in its text and stack pages, which fork() does not
	 * copy. Page 0 is populated, so it takes no fault itself.
	 */
	fill_map(map, page_bytes(), OFF_POP_WRITE, seed);
	m0 = rusage_minor_faults();
	fill_map(map, LEN, OFF_POP_WRITE, seed);
	m1 = rusage_minor_faults();
	EXPECT_EQ(0, m1 - m0);
	EXPECT_EQ(-1, check_dev(self->fd, LEN, OFF_POP_WRITE, seed));
}

/*
 * MADV_POPULATE_WRITE, MAP_PRIVATE: every page is copied now. The copies
 * keep the data of populate time when the device changes later, take
 * writes without faulting, and do not write through. Each test below
 * starts here: the device part filled with seed[0], the mapping
 * populated, then the device part overwritten with seed[1].
 */
static char *populate_private(struct __test_metadata *_metadata,
			      FIXTURE_DATA(madvise) *self)
{
	char *map;

	ASSERT_EQ(0, fill_dev(self->fd, LEN, OFF_POP_PRIV, self->seed[0]));
	map = map_part(_metadata, self, MAP_PRIVATE, OFF_POP_PRIV);
	EXPECT_EQ(0, smaps_kb(map, "Anonymous"));
	ASSERT_EQ(0, madvise(map, LEN, MADV_POPULATE_WRITE)) {
		TH_LOG("MADV_POPULATE_WRITE: %s", strerror(errno));
	}
	ASSERT_EQ(0, fill_dev(self->fd, LEN, OFF_POP_PRIV, self->seed[1]));
	return map;
}

/* Every page of the mapping is an anonymous copy now. */
TEST_F(madvise, madvise_populate_write_private_makes_copies)
{
	char *map = populate_private(_metadata, self);

	EXPECT_EQ((long)(LEN / KIB), smaps_kb(map, "Anonymous"));
}

/* The copies keep the data of populate time; reading them takes no fault. */
TEST_F(madvise, madvise_populate_write_private_copies_keep_old_data)
{
	char *map = populate_private(_metadata, self);
	long m0, m1, res;

	/*
	 * Warm up: the first run of the checking code in this (forked) test
	 * process faults in its text and stack pages, which fork() does not
	 * copy. Page 0 is populated, so it takes no fault itself.
	 */
	check_map(map, page_bytes(), OFF_POP_PRIV, self->seed[0]);
	m0 = rusage_minor_faults();
	res = check_map(map, LEN, OFF_POP_PRIV, self->seed[0]);
	m1 = rusage_minor_faults();
	EXPECT_EQ(-1, res);
	EXPECT_EQ(0, m1 - m0);
}

/* Writes to the copies take no fault and do not reach the device. */
TEST_F(madvise, madvise_populate_write_private_writes_stay_private)
{
	char *map = populate_private(_metadata, self);
	long m0, m1;

	/*
	 * Warm up: the first run of the checking code in this (forked) test
	 * process faults in its text and stack pages, which fork() does not
	 * copy. Page 0 is populated, so it takes no fault itself.
	 */
	fill_map(map, page_bytes(), OFF_POP_PRIV, self->seed[2]);
	m0 = rusage_minor_faults();
	fill_map(map, LEN, OFF_POP_PRIV, self->seed[2]);
	m1 = rusage_minor_faults();
	EXPECT_EQ(0, m1 - m0);
	EXPECT_EQ(-1, check_map(map, LEN, OFF_POP_PRIV, self->seed[2]));
	EXPECT_EQ(-1, check_dev(self->fd, LEN, OFF_POP_PRIV, self->seed[1]));
}

TEST_HARNESS_MAIN
