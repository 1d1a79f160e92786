// SPDX-License-Identifier: GPL-2.0
/*
 * MMAPDEMO_IOC_PUNCH: discard a range, like fallocate(PUNCH_HOLE).
 *
 * - The punched range reads as zeros through read() and through shared
 *   mappings that had it mapped: their entries are zapped, so the next
 *   access faults again (the driver's `faults` counter grows by one per
 *   folio, or per page with folio_order=0) and finds zeros.
 * - Everything outside the range keeps its data, up to the byte next to
 *   each edge, also where an edge falls inside a huge folio.
 * - Folios lying wholly inside the range are freed: allocated_bytes
 *   drops by exactly their size.
 * - A range inside a PMD-sized folio (folio_order = PMD order) cannot free it: that part
 *   is zeroed in place and allocated_bytes stays; the PMD that mapped the
 *   folio is zapped, and one fault maps the whole folio again. With
 *   folio_order=0 each page is a folio, and the same punch frees them.
 * - Private copy-on-write copies of punched pages stay: the driver zaps
 *   with even_cows = 0, as shmem's and the page cache's punch-hole do
 *   (unmap_mapping_range(..., 0)): a punch discards the device's data,
 *   not what a process copied out of it. Pinned here.
 * - A page of a private mapping that was only read (so it mapped the
 *   device page itself) shows the zeros after the punch.
 * - An unaligned offset or length, a length of 0, and an offset + length
 *   that wraps around are EINVAL and change nothing. A range reaching
 *   past the end, or lying wholly past it, is not an error: beyond the
 *   end there is nothing to do.
 *
 * Each test starts from a fresh device (device_fresh(): all of it punched,
 * nothing allocated) and works at OFF, on LEN bytes: four PMDs, one PMD
 * into the device (8 MiB at 2 MiB with 4 KiB pages, 128 MiB at 32 MiB with
 * 16 KiB pages; the device grows to hold them). Hole edges are fractions
 * of a PMD, so they fall inside huge folios on every page size. The
 * teardown checks that the size did not change and leaves the module
 * loaded with the run's arguments.
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
#include "module.h"
#include "fixture.h"

#define OFF	pmd_bytes()
#define LEN	(4 * pmd_bytes())

FIXTURE(punch) {
	size_t size;	/* a punch must not change it */
};

FIXTURE_SETUP(punch)
{
	close(device_fresh_len(_metadata, OFF + LEN));
	self->size = device_size();
}

/* In the parent, so that it also runs after a crash. */
FIXTURE_TEARDOWN_PARENT(punch)
{
	EXPECT_EQ(self->size, device_size());
	module_restore(false);
}

static int open_work(struct __test_metadata *_metadata)
{
	ASSERT_LE(OFF + LEN, device_size()) {
		TH_LOG("the device (%zu bytes) is too small", device_size());
	}
	return open_dev(_metadata, O_RDWR | O_CLOEXEC);
}

/* Pattern @seed at [OFF, OFF + LEN), device offsets as positions. */
static void fill_work(struct __test_metadata *_metadata, int fd,
		      uint64_t seed)
{
	ASSERT_EQ(0, device_write_pattern_from(fd, LEN, OFF, seed, OFF));
}

/*
 * A shared mapping of [OFF, OFF + len) on a new fd (*@fd), filled with
 * pattern @seed through the mapping: its pages are mapped when punched.
 */
static char *map_filled_work(struct __test_metadata *_metadata, int *fd,
			     size_t len, uint64_t seed)
{
	char *map;

	*fd = open_work(_metadata);
	map = map_dev(_metadata, *fd, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      OFF);
	pattern_fill_from(map, len, seed, OFF);
	return map;
}

/*
 * Through @map (of [OFF, OFF + len)): zeros in [hole, hole + hole_len),
 * pattern @seed on both sides of it.
 */
static void expect_map_hole(struct __test_metadata *_metadata,
			    const char *map, size_t len, size_t hole,
			    size_t hole_len, uint64_t seed)
{
	size_t below = hole - OFF;

	EXPECT_EQ(-1, pattern_mismatch_from(map, below, seed, OFF));
	EXPECT_EQ(-1, bytes_mismatch(map + below, hole_len, 0));
	EXPECT_EQ(-1, pattern_mismatch_from(map + below + hole_len,
					    len - below - hole_len, seed,
					    hole + hole_len));
}

/* Faults one access of each page of [p, p + len) takes, per mapping kind. */
static long long refaults(size_t len)
{
	return (long long)(len / (folio_order_is_pmd() ? pmd_bytes() :
				  page_bytes()));
}

TEST_F(punch, punch_range_reads_zeros_in_read_and_shared_mappings)
{
	size_t hole = OFF + pmd_bytes(), hole_len = 2 * pmd_bytes();
	uint64_t seed = pattern_seed(__func__);
	long long f0, f1;
	char *map;
	int fd;

	map = map_filled_work(_metadata, &fd, LEN, seed);

	punch_dev(_metadata, fd, hole, hole_len);
	EXPECT_EQ(-1, device_bytes_mismatch(fd, hole, hole_len, 0));

	/* The mapping's entries were zapped: reading refaults, gets zeros. */
	f0 = device_faults();
	EXPECT_EQ(-1, bytes_mismatch(map + hole - OFF, hole_len, 0));
	f1 = device_faults();
	TH_LOG("%lld faults reading the %zu KiB hole", f1 - f0, hole_len / KIB);
	EXPECT_EQ(refaults(hole_len), f1 - f0);

	/* The rest stayed mapped: no fault. */
	EXPECT_EQ(-1, pattern_mismatch_from(map, hole - OFF, seed, OFF));
	EXPECT_EQ(-1, pattern_mismatch_from(map + hole - OFF + hole_len,
					    LEN - (hole - OFF) - hole_len,
					    seed, hole + hole_len));
	EXPECT_EQ(f1, device_faults());
	munmap(map, LEN);
	close(fd);
}

/*
 * A range whose edges are one page into a folio and one page before the
 * end of another (with PMD-order folios both are inside huge folios): the
 * bytes right next to the edges are intact, through read() and a mapping.
 */
TEST_F(punch, punch_data_outside_intact)
{
	size_t pg = page_bytes();
	size_t hole = OFF + pmd_bytes() / 2 + pg;
	size_t hole_end = OFF + 2 * pmd_bytes() + pmd_bytes() / 2 - pg;
	uint64_t seed = pattern_seed(__func__);
	char *map;
	int fd;

	map = map_filled_work(_metadata, &fd, LEN, seed);

	punch_dev(_metadata, fd, hole, hole_end - hole);

	EXPECT_EQ(-1, device_pattern_mismatch_from(fd, hole - OFF, OFF, seed, OFF));
	EXPECT_EQ(-1, device_pattern_mismatch_from(fd, OFF + LEN - hole_end,
					      hole_end, seed, hole_end));
	EXPECT_EQ(-1, device_bytes_mismatch(fd, hole, hole_end - hole, 0));
	expect_map_hole(_metadata, map, LEN, hole, hole_end - hole, seed);
	munmap(map, LEN);
	close(fd);
}

TEST_F(punch, punch_frees_whole_folios)
{
	size_t folio = device_folio_bytes(), hole = OFF + pmd_bytes() / 2;
	size_t hole_len = 3 * pmd_bytes();
	uint64_t seed = pattern_seed(__func__);
	long long before, whole;
	char *map;
	int fd;

	ASSERT_LT(0UL, folio);
	fd = open_work(_metadata);
	fill_work(_metadata, fd, seed);
	/* A mapping holding the folios does not keep them allocated. */
	map = map_dev(_metadata, fd, LEN, PROT_READ, MAP_SHARED, OFF);
	touch_read(map, LEN);
	before = device_allocated_bytes();
	EXPECT_EQ((long long)LEN, before);

	punch_dev(_metadata, fd, hole, hole_len);
	whole = whole_folio_bytes(hole, hole + hole_len, folio);
	TH_LOG("folio %zu KiB: %lld KiB of whole folios in the %zu KiB hole",
	       folio / KIB, whole / 1024, hole_len / KIB);
	EXPECT_EQ(before - whole, device_allocated_bytes());
	/* The partial folios at the edges were zeroed, not freed. */
	EXPECT_EQ(-1, device_bytes_mismatch(fd, hole, hole_len, 0));
	EXPECT_EQ(before - whole, device_allocated_bytes());
	munmap(map, LEN);
	close(fd);
}

/*
 * 4 pages in the middle of a PMD-sized folio that one PMD maps. With
 * the PMD order: zeroed in place, nothing freed, the PMD zapped; one
 * fault maps the whole folio with a PMD again. With folio_order=0: the
 * 4 pages are freed and refault one by one.
 */
TEST_F(punch, punch_inside_huge_folio_zeroes_in_place)
{
	size_t pg = page_bytes(), hole = OFF + pmd_bytes() / 2, hole_len = 4 * pg;
	uint64_t seed = pattern_seed(__func__);
	bool pmd = folio_order_is_pmd();
	long pmd_kb = pmd ? (long)(pmd_bytes() / KIB) : 0;
	long long before, f0, f1;
	char *map;
	int fd;

	map = map_filled_work(_metadata, &fd, pmd_bytes(), seed);
	ASSERT_EQ(pmd_kb, smaps_kb(map, "FilePmdMapped"));
	before = device_allocated_bytes();

	punch_dev(_metadata, fd, hole, hole_len);
	EXPECT_EQ(before - (long long)whole_folio_bytes(hole, hole + hole_len,
							device_folio_bytes()),
		  device_allocated_bytes());
	if (pmd)
		EXPECT_EQ(before, device_allocated_bytes());
	/* The whole PMD went, not just the punched pages. */
	EXPECT_EQ(0, smaps_kb(map, "FilePmdMapped"));

	f0 = device_faults();
	expect_map_hole(_metadata, map, pmd_bytes(), hole, hole_len, seed);
	f1 = device_faults();
	TH_LOG("%lld faults reading the folio again, FilePmdMapped %ld kB",
	       f1 - f0, smaps_kb(map, "FilePmdMapped"));
	EXPECT_EQ(pmd ? 1 : (long long)(hole_len / pg), f1 - f0);
	EXPECT_EQ(pmd_kb, smaps_kb(map, "FilePmdMapped"));
	EXPECT_EQ(-1, device_bytes_mismatch(fd, hole, hole_len, 0));
	EXPECT_EQ(before, device_allocated_bytes());
	munmap(map, pmd_bytes());
	close(fd);
}

/*
 * Pinned: private copy-on-write copies survive a punch (even_cows = 0, as
 * for fallocate(PUNCH_HOLE)); the shared view and read() see zeros.
 */
TEST_F(punch, punch_keeps_private_cow_copies)
{
	size_t pg = page_bytes(), cow = pmd_bytes() / 2, cow_len = 2 * pg;
	uint64_t seed = pattern_seed(__func__), cow_seed = seed ^ 0xc0;
	char *priv, *shared;
	int fd;

	fd = open_work(_metadata);
	fill_work(_metadata, fd, seed);
	shared = map_dev(_metadata, fd, LEN, PROT_READ, MAP_SHARED, OFF);
	priv = map_dev(_metadata, fd, LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE, OFF);
	touch_read(shared, LEN);
	pattern_fill(priv + cow, cow_len, cow_seed);

	punch_dev(_metadata, fd, OFF, LEN);

	EXPECT_EQ(-1, pattern_mismatch(priv + cow, cow_len, cow_seed));
	EXPECT_EQ(-1, bytes_mismatch(shared + cow, cow_len, 0));
	EXPECT_EQ(-1, device_bytes_mismatch(fd, OFF + cow, cow_len, 0));
	/* The copies are private: the device did not get them back. */
	EXPECT_EQ(-1, bytes_mismatch(shared, LEN, 0));
	munmap(priv, LEN);
	munmap(shared, LEN);
	close(fd);
}

/*
 * A private mapping's pages that were never written map the device's
 * pages themselves: after the punch they show the zeros. Pages of it that
 * were never touched at all do too.
 */
TEST_F(punch, punch_private_unwritten_page_reads_zeros)
{
	size_t half = LEN / 2;
	uint64_t seed = pattern_seed(__func__);
	char *priv;
	int fd;

	fd = open_work(_metadata);
	fill_work(_metadata, fd, seed);
	priv = map_dev(_metadata, fd, LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE, OFF);
	/* The first half read (device pages mapped), the second untouched. */
	EXPECT_EQ(-1, pattern_mismatch_from(priv, half, seed, OFF));

	punch_dev(_metadata, fd, OFF, LEN);
	EXPECT_EQ(-1, bytes_mismatch(priv, half, 0));
	EXPECT_EQ(-1, bytes_mismatch(priv + half, LEN - half, 0));
	munmap(priv, LEN);
	close(fd);
}

TEST_F(punch, punch_invalid_range_einval)
{
	uint64_t pg = page_bytes(), seed = pattern_seed(__func__);
	uint64_t top = UINT64_MAX & ~(pg - 1);	/* the last page offset */
	static const char *const why[] = {
		"offset + 1", "offset + 2048", "offset + pg - 1",
		"length 1", "length pg - 1", "length pg + 1", "length 4097",
		"length 0", "length 0 at 0",
		"wraps: last page + 2 pages", "wraps: pg + last page offset",
		"wraps: last page + last page offset",
		"sums to 2^64, which wraps to 0: last page + 1 page",
	};
	struct {
		uint64_t offset, length;
	} bad[] = {
		{ OFF + 1, pg }, { OFF + 2048, pg }, { OFF + pg - 1, pg },
		{ OFF, 1 }, { OFF, pg - 1 }, { OFF, pg + 1 }, { OFF, 4097 },
		{ OFF, 0 }, { 0, 0 },
		{ top, 2 * pg }, { pg, top }, { top, top }, { top, pg },
	};
	long long before;
	unsigned int i;
	int fd;

	fd = open_work(_metadata);
	fill_work(_metadata, fd, seed);
	before = device_allocated_bytes();
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, device_punch(fd, bad[i].offset, bad[i].length)) {
			TH_LOG("%s: offset %#llx length %#llx", why[i],
			       (unsigned long long)bad[i].offset,
			       (unsigned long long)bad[i].length);
		}
	}
	EXPECT_EQ(before, device_allocated_bytes());
	EXPECT_EQ(-1, device_pattern_mismatch_from(fd, LEN, OFF, seed, OFF));
	close(fd);
}

/*
 * Like fallocate(), a range past the end is no error: the part inside
 * the device is punched, the rest ignored; a range wholly past the end
 * (up to the highest one that does not wrap) changes nothing.
 */
TEST_F(punch, punch_past_end_is_noop)
{
	uint64_t pg = page_bytes(), size = device_size();
	uint64_t seed = pattern_seed(__func__);
	uint64_t top = UINT64_MAX & ~(pg - 1);
	long long before;
	int fd;

	fd = open_work(_metadata);
	ASSERT_EQ(0, device_write_pattern_from(fd, 2 * pg, size - 2 * pg, seed,
					     size - 2 * pg));
	before = device_allocated_bytes();

	EXPECT_EQ(0, device_punch(fd, size, 2 * pmd_bytes()));
	EXPECT_EQ(0, device_punch(fd, size + (1ULL << 30), pg));
	EXPECT_EQ(0, device_punch(fd, 1ULL << 62, pg));
	/* The highest range that does not wrap: it ends at 2^64 - 1 page. */
	EXPECT_EQ(0, device_punch(fd, top - pg, pg));
	EXPECT_EQ(before, device_allocated_bytes());
	EXPECT_EQ(size, device_size());
	EXPECT_EQ(-1, device_pattern_mismatch_from(fd, 2 * pg, size - 2 * pg, seed,
					      size - 2 * pg));

	/* Reaching past the end: the last page is punched, nothing more. */
	EXPECT_EQ(0, device_punch(fd, size - pg, 1ULL << 40));
	EXPECT_EQ(size, device_size());
	EXPECT_EQ(-1, device_bytes_mismatch(fd, size - pg, pg, 0));
	EXPECT_EQ(-1, device_pattern_mismatch_from(fd, pg, size - 2 * pg, seed,
					      size - 2 * pg));
	close(fd);
}

TEST_HARNESS_MAIN
