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
 * folios (PAGE_SIZE << folio_order) (one test), and every slot of every
 * thread is in the device with zeros around it (a folio allocated twice
 * would lose one side's slots or count twice) (the other test). Each test
 * runs the race itself.
 *
 * Never-allocated pages: the fixture makes the device fresh (all of it
 * punched, see device_fresh()), grown if NR_ROUNDS rounds do not fit
 * (folios of 32 MiB with 16 KiB pages); the teardown puts back the size
 * and reloads the module if a failure left it unloaded. NR_ROUNDS rounds
 * use separate ranges to give the race more chances.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
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
#include "module.h"
#include "fixture.h"

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
	       (dev_page_off / page_bytes());
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
	size_t psize = page_bytes();
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

/* One round of the race, over [start, end). */
struct race {
	uint64_t start, end;	/* touched device range */
	uint64_t lo, hi;	/* that range rounded out to whole folios */
	long long alloc0, alloc1;	/* allocated_bytes before and after */
	struct toucher t[NR_THREADS];
};

/*
 * Run round @round: map, start the threads together, wait for them. The
 * threads' mappings stay for the caller to check; race_unmap() ends them.
 */
static void race_round(struct __test_metadata *_metadata, int fd,
		       uint64_t base0, uint64_t stride, int round,
		       struct race *rc)
{
	size_t psize = page_bytes(), folio = device_folio_bytes();
	pthread_barrier_t barrier;
	long long faults0;
	int i;

	/* Cross two folio boundaries: 2 pages, a folio, 2 pages. */
	rc->start = base0 + round * stride + folio - 2 * psize;
	rc->end = rc->start + folio + 4 * psize;
	rc->lo = align_down(rc->start, folio);
	rc->hi = align_up(rc->end, folio);

	rc->alloc0 = device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES);
	faults0 = device_attr_read(MMAPDEMO_ATTR_FAULTS);
	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, NR_THREADS));
	for (i = 0; i < NR_THREADS; i++) {
		rc->t[i] = (struct toucher){ .barrier = &barrier, .id = i,
					     .fd = fd, .lo = rc->lo,
					     .start = rc->start,
					     .end = rc->end };
		if (i < NR_THREADS - NR_WRITERS) {
			rc->t[i].map = map_dev(_metadata, fd, rc->hi - rc->lo,
					       PROT_READ | PROT_WRITE,
					       MAP_SHARED, rc->lo);
		}
	}
	/* Mapping allocates nothing. */
	ASSERT_EQ(rc->alloc0, device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	for (i = 0; i < NR_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&rc->t[i].thread, NULL,
					    toucher_fn, &rc->t[i]));
	for (i = 0; i < NR_THREADS; i++) {
		pthread_join(rc->t[i].thread, NULL);
		EXPECT_EQ(0, rc->t[i].errors);
	}
	pthread_barrier_destroy(&barrier);

	rc->alloc1 = device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES);
	TH_LOG("round %d: touched %llu KiB at %#llx by %d threads: allocated +%lld KiB, %lld faults",
	       round, (unsigned long long)(rc->end - rc->start) / 1024,
	       (unsigned long long)rc->start, NR_THREADS,
	       (rc->alloc1 - rc->alloc0) / 1024,
	       device_attr_read(MMAPDEMO_ATTR_FAULTS) - faults0);
}

static void race_unmap(struct race *rc)
{
	int i;

	for (i = 0; i < NR_THREADS - NR_WRITERS; i++)
		munmap(rc->t[i].map, rc->hi - rc->lo);
}

/* A fresh device, and the rounds that fit in it. */
FIXTURE(concurrency) {
	int fd;
	int nr_rounds;
	uint64_t base0, stride;
};

FIXTURE_SETUP(concurrency)
{
	size_t psize = page_bytes(), folio, need;
	struct mmapdemo_info info;

	self->fd = device_fresh(_metadata);
	folio = device_folio_bytes();
	ASSERT_LT(0UL, folio);
	/*
	 * Round r touches [base + folio - 2 pages, base + 2 folios + 2 pages)
	 * and allocates the folios of [base, base + 3 folios) (base = 0 only
	 * if the range then starts at or above 0); the rounds are 4 folios,
	 * and at least 8 MiB, apart. As many rounds as the device holds.
	 */
	self->base0 = folio >= 2 * psize ? 0 : folio;
	self->stride = align_up(8 * MIB, 4 * folio);
	/* Room for every round, if max_size allows: memory is lazy. */
	need = self->base0 + (NR_ROUNDS - 1) * self->stride + 3 * folio;
	info = info_of(_metadata, self->fd);
	if (device_size() < need && need <= info.max_size)
		resize_dev(_metadata, self->fd, need);
	self->nr_rounds = NR_ROUNDS;
	while (self->nr_rounds &&
	       self->base0 + (self->nr_rounds - 1) * self->stride +
	       3 * folio > device_size())
		self->nr_rounds--;
	/* A missing device is a failure, a small one a skip. */
	ASSERT_LT(0UL, device_size());
	if (!self->nr_rounds)
		SKIP(return, "needs %zu KiB of device, it has %zu KiB",
		     (size_t)(self->base0 + 3 * folio) / 1024,
		     device_size() / 1024);
}

/*
 * In the parent, so that it also runs after a crash. The test's process
 * is gone by then, and its fd and mappings with it.
 */
FIXTURE_TEARDOWN_PARENT(concurrency)
{
	module_restore(false);
}

/* allocated_bytes grew by exactly the touched range in whole folios. */
TEST_F_TIMEOUT(concurrency, concurrency_first_touch_allocates_each_folio_once,
	       90)
{
	struct race rc;
	int round;

	for (round = 0; round < self->nr_rounds; round++) {
		race_round(_metadata, self->fd, self->base0, self->stride,
			   round, &rc);
		EXPECT_EQ((long long)(rc.hi - rc.lo), rc.alloc1 - rc.alloc0) {
			TH_LOG("round %d", round);
		}
		race_unmap(&rc);
	}
}

/* Every slot, zeros elsewhere, over the whole folios. */
TEST_F_TIMEOUT(concurrency, concurrency_contents_consistent, 90)
{
	size_t psize = page_bytes();
	struct race rc;
	int round, i;

	for (round = 0; round < self->nr_rounds; round++) {
		unsigned char *got, *want;
		size_t len, j;
		long bad = -1;
		uint64_t pg;

		race_round(_metadata, self->fd, self->base0, self->stride,
			   round, &rc);
		len = rc.hi - rc.lo;
		got = malloc(len);
		want = calloc(1, len);
		ASSERT_NE(NULL, got);
		ASSERT_NE(NULL, want);
		for (pg = rc.start; pg < rc.end; pg += psize)
			for (i = 0; i < NR_THREADS; i++) {
				uint64_t v = slot_value(pg, i);

				memcpy(want + (pg - rc.lo) + i * SLOT_STRIDE,
				       &v, sizeof(v));
			}
		ASSERT_EQ(0, pread_all(self->fd, got, len, rc.lo));
		for (j = 0; j < len && bad < 0; j++)
			if (got[j] != want[j])
				bad = j;
		EXPECT_EQ(-1, bad) {
			TH_LOG("round %d: device offset %#llx: %#x, expected %#x",
			       round, (unsigned long long)(rc.lo + bad),
			       got[bad], want[bad]);
		}
		/* ... and the same through every thread's mapping. */
		for (i = 0; i < NR_THREADS - NR_WRITERS; i++)
			EXPECT_EQ(0, memcmp(rc.t[i].map, want, len));
		race_unmap(&rc);
		free(got);
		free(want);
	}
}

TEST_HARNESS_MAIN
