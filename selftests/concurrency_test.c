// SPDX-License-Identifier: GPL-2.0
/*
 * Claim 18: concurrent first touches of the same unallocated pages.
 *
 * NR_THREADS threads wait on a barrier, then all touch the same range of
 * never-allocated pages at once: most through a mapping of their own
 * (so each fault is a separate .fault call on a separate VMA), two
 * through pwrite() (the write path allocating against the fault path).
 * Even threads walk the range upwards, odd ones downwards, so the first
 * touches of both ends collide. Every thread writes its own 8-byte slot in
 * every page.
 *
 * Afterwards each folio must have been allocated exactly once:
 * allocated_bytes grew by exactly the touched range rounded out to whole
 * folios (PAGE_SIZE << folio_order), and every slot of every thread is in
 * the device with zeros around it (a folio allocated twice would lose one
 * side's slots or count twice).
 *
 * Never-allocated pages: the fixture reloads the module for a fresh
 * device (the offsets of other tests are then irrelevant); the teardown
 * reloads it again if a failure left it unloaded. NR_ROUNDS rounds use
 * separate ranges to give the race more chances.
 */
#include "kselftest_harness.h"
#include "mmapdemo_util.h"

#include <pthread.h>

#define NR_THREADS	8
#define NR_WRITERS	2	/* the last ones use pwrite() */
#define NR_ROUNDS	4
#define SLOT_STRIDE	64

struct toucher {
	pthread_t thread;
	pthread_barrier_t *barrier;
	int id;
	int fd;
	char *map;		/* own mapping of [lo, hi), NULL: pwrite() */
	uint64_t lo;		/* device offset of map */
	uint64_t start, end;	/* touched device range */
	long errors;
};

static uint64_t slot_value(uint64_t dev_page_off, int id)
{
	return 0xc0c0c0c000000000ULL | ((uint64_t)id << 40) |
	       (dev_page_off / page_size());
}

static void touch_one(struct toucher *t, uint64_t pg)
{
	uint64_t off = pg + (uint64_t)t->id * SLOT_STRIDE;
	uint64_t v = slot_value(pg, t->id);

	if (t->map)
		*(volatile uint64_t *)(t->map + (off - t->lo)) = v;
	else if (pwrite(t->fd, &v, sizeof(v), off) != sizeof(v))
		t->errors++;
}

static void *toucher_fn(void *arg)
{
	struct toucher *t = arg;
	size_t psize = page_size();
	uint64_t pg;

	pthread_barrier_wait(t->barrier);
	if (t->id % 2 == 0) {
		for (pg = t->start; pg < t->end; pg += psize)
			touch_one(t, pg);
	} else {
		for (pg = t->end; pg > t->start; pg -= psize)
			touch_one(t, pg - psize);
	}
	return NULL;
}

FRESH_DEVICE_FIXTURE(concurrency)

TEST_F_TIMEOUT(concurrency, concurrency, 90)
{
	size_t psize = page_size(), folio = folio_size();
	struct toucher t[NR_THREADS];
	pthread_barrier_t barrier;
	int fd, i, round, nr_rounds;
	uint64_t stride, base0;

	ASSERT_LT(0UL, folio);
	/*
	 * Round r touches [base + folio - 2 pages, base + 2 folios + 2 pages)
	 * and allocates the folios of [base, base + 3 folios) (base = 0 only
	 * if the range then starts at or above 0); the rounds are 4 folios,
	 * and at least 8 MiB, apart. As many rounds as the device holds.
	 */
	base0 = folio >= 2 * psize ? 0 : folio;
	stride = round_up(8 * MIB, 4 * folio);
	nr_rounds = NR_ROUNDS;
	while (nr_rounds && base0 + (nr_rounds - 1) * stride + 3 * folio >
			    dev_size())
		nr_rounds--;
	/* A missing device is a failure, a small one a skip. */
	ASSERT_LT(0UL, dev_size());
	if (!nr_rounds)
		SKIP(return, "needs %zu KiB of device, it has %zu KiB",
		     (base0 + 3 * folio) / 1024, dev_size() / 1024);
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);

	for (round = 0; round < nr_rounds; round++) {
		/* Cross two folio boundaries: 2 pages, a folio, 2 pages. */
		uint64_t start = base0 + round * stride + folio - 2 * psize;
		uint64_t end = start + folio + 4 * psize;
		uint64_t lo = round_down(start, folio);
		uint64_t hi = round_up(end, folio);
		long long alloc0, alloc1, faults0;
		unsigned char *got, *want;
		uint64_t pg;
		long bad = -1;
		size_t j;

		alloc0 = mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES);
		faults0 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
		ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, NR_THREADS));
		for (i = 0; i < NR_THREADS; i++) {
			t[i] = (struct toucher){ .barrier = &barrier, .id = i,
						 .fd = fd, .lo = lo,
						 .start = start, .end = end };
			if (i < NR_THREADS - NR_WRITERS) {
				t[i].map = map_dev(_metadata, fd, hi - lo,
						   PROT_READ | PROT_WRITE,
						   MAP_SHARED, lo);
			}
		}
		/* Mapping allocates nothing. */
		ASSERT_EQ(alloc0,
			  mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES));
		for (i = 0; i < NR_THREADS; i++)
			ASSERT_EQ(0, pthread_create(&t[i].thread, NULL,
						    toucher_fn, &t[i]));
		for (i = 0; i < NR_THREADS; i++) {
			pthread_join(t[i].thread, NULL);
			EXPECT_EQ(0, t[i].errors);
		}
		pthread_barrier_destroy(&barrier);

		alloc1 = mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES);
		TH_LOG("round %d: touched %llu KiB at %#llx by %d threads: allocated +%lld KiB, %lld faults",
		       round, (unsigned long long)(end - start) / 1024,
		       (unsigned long long)start, NR_THREADS,
		       (alloc1 - alloc0) / 1024,
		       mmapdemo_attr(MMAPDEMO_ATTR_FAULTS) - faults0);
		EXPECT_EQ((long long)(hi - lo), alloc1 - alloc0);

		/* Every slot, zeros elsewhere, over the whole folios. */
		got = malloc(hi - lo);
		want = calloc(1, hi - lo);
		ASSERT_NE(NULL, got);
		ASSERT_NE(NULL, want);
		for (pg = start; pg < end; pg += psize)
			for (i = 0; i < NR_THREADS; i++) {
				uint64_t v = slot_value(pg, i);

				memcpy(want + (pg - lo) + i * SLOT_STRIDE, &v,
				       sizeof(v));
			}
		ASSERT_EQ(0, pread_all(fd, got, hi - lo, lo));
		for (j = 0; j < hi - lo && bad < 0; j++)
			if (got[j] != want[j])
				bad = j;
		EXPECT_EQ(-1, bad) {
			TH_LOG("device offset %#llx: %#x, expected %#x",
			       (unsigned long long)(lo + bad), got[bad],
			       want[bad]);
		}
		/* ... and the same through every thread's mapping. */
		for (i = 0; i < NR_THREADS - NR_WRITERS; i++) {
			EXPECT_EQ(0, memcmp(t[i].map, want, hi - lo));
			munmap(t[i].map, hi - lo);
		}
		free(got);
		free(want);
	}
	close(fd);
}

TEST_HARNESS_MAIN
