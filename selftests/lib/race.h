/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the race tests (race_test, huge_race_test, unload_race_test,
 * fault_inject_test): the ioctls, accesses that survive SIGBUS/SIGSEGV, and
 * the bookkeeping that makes "no old data after a removal returned" and
 * "nothing written is lost" checkable while everything runs concurrently.
 *
 * Writers and words. Writer w (a thread or a process, through a mapping or
 * pwrite()) owns one 8-byte word in every page of the device, at
 * w * RACE_SLOT_STRIDE. Its n-th store (its sequence number, seq) writes
 * race_value(page, w, seq): the low half is seq, the high half a hash of
 * (salt, page, w, seq). A word is thus 0, or tells who wrote it, for which
 * page and when; a torn or misplaced word does not decode.
 *
 * Each writer publishes, in memory shared by all processes of the test:
 *   start[w]        seq of the store it is doing, stored before the store;
 *   done[w]         seq of its last completed store, stored after it;
 *   last[page][w]   seq of its last completed store to that page.
 *
 * The one that removes pages (PUNCH, or RESIZE shrinking) records for every
 * removed page and writer, once the ioctl has returned:
 *   bound[page][w]  done[w] read before the ioctl started: every store up
 *                   to it was complete before, so it must be gone;
 *   zfloor[page][w] start[w] read after the ioctl returned: a store beyond
 *                   it began after the return, so nothing removed it.
 *
 * Rules for a word of page p, writer w, read as v (bound, last and zfloor
 * read before v):
 *   live   (any time, any reader): v is 0, or decodes with
 *          bound < seq <= start[w]: no old data ever reappears;
 *   intact (while no removal is running): also, if last > zfloor, v holds
 *          seq >= last: a store no removal could touch is not lost;
 *   final  (all writers stopped): v is exactly the last store, or 0 if that
 *          store may have been removed (last <= zfloor).
 * Stores that overlap a removal may or may not survive it: both are right.
 * A read can tear (the kernel copies with byte moves, or zeroes the page
 * meanwhile): a word that does not decode is read again until it does;
 * only one that stays malformed for RACE_TORN_S seconds is a failure.
 */
#ifndef MMAPDEMO_RACE_H
#define MMAPDEMO_RACE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define RACE_MAX_WRITERS	8
#define RACE_SLOT_STRIDE	64
#define RACE_TORN_S		10.0

#define race_get(x)		__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define race_set(x, v)		__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define race_inc(x)		__atomic_add_fetch(&(x), 1, __ATOMIC_SEQ_CST)

struct race_state {
	uint64_t salt;
	uint64_t nr_pages;
	unsigned int nr_writers;
	size_t psize;
	/* Phases, set by the test's main thread. */
	int stop_writers;
	int final_check;	/* writers stopped: final rule from now on */
	int stop_readers;
	int ready;		/* processes and threads that are running */
	int writers_stopped;
	int finished;		/* processes that did their final check */
	/* Per writer. */
	uint64_t start[RACE_MAX_WRITERS];
	uint64_t done[RACE_MAX_WRITERS];
	uint64_t refused[RACE_MAX_WRITERS];	/* SIGBUS, ENOSPC: past the end */
	/* Statistics. */
	uint64_t words_checked;
	uint64_t reads_refused;
	uint64_t removals;
	int forks;
	/* The first failure, for the main thread to report. */
	int failed;
	char failure[512];
	/*
	 * last, bound, zfloor: nr_pages * RACE_MAX_WRITERS each, in this
	 * order, indexed page * RACE_MAX_WRITERS + w.
	 */
	uint64_t slots[];
};

/*
 * A writer stores to pages [first, first + count) in the order
 * first + (i * stride) % count (stride coprime with count), through its
 * mapping of the device (map, which maps device offset map_off) or,
 * without one, with pwrite().
 */
struct race_writer {
	struct race_state *s;
	unsigned int id;
	char *map;
	uint64_t map_off;
	int fd;
	uint64_t first, count, stride;
	pthread_t thread;
};

enum race_rule { RACE_LIVE, RACE_INTACT, RACE_FINAL };

/*
 * Where a check reads from: a mapping of the device (map, mapping device
 * offset map_off) or pread() on fd (map NULL); readers check its pages
 * [first, end).
 */
struct race_view {
	const char *map;
	uint64_t map_off;
	int fd;
	uint64_t first, end;
	const char *name;	/* for messages */
};

/*
 * A reader checks its views in turn, under the live rule, until
 * stop_readers.
 */
#define RACE_MAX_VIEWS	3

struct race_reader {
	struct race_state *s;
	struct race_view views[RACE_MAX_VIEWS];
	int nr_views;
	pthread_t thread;
};

struct race_state *race_state_new(uint64_t nr_pages,
				  unsigned int nr_writers,
				  uint64_t salt);

void race_state_free(struct race_state *s);

uint64_t *race_last(struct race_state *s, uint64_t p,
		    unsigned int w);

uint64_t *race_bound(struct race_state *s, uint64_t p,
		     unsigned int w);

uint64_t *race_zfloor(struct race_state *s, uint64_t p,
		      unsigned int w);

/* Device offset of writer w's word in page p. */
uint64_t race_word_off(struct race_state *s, uint64_t p,
		       unsigned int w);

uint32_t race_hash(struct race_state *s, uint64_t p,
		   unsigned int w, uint64_t seq);

uint64_t race_value(struct race_state *s, uint64_t p,
		    unsigned int w, uint64_t seq);

/* Whether v is a value of writer w for page p; its seq in *seq. */
bool race_decode(struct race_state *s, uint64_t p,
		 unsigned int w, uint64_t v, uint64_t *seq);

/* Record the first failure and stop everything. */
void race_fail(struct race_state *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

bool race_failed(struct race_state *s);

void race_raise(uint64_t *p, uint64_t v);

/* Before a removal: what every writer has completed. */
void race_before_removal(struct race_state *s, uint64_t *done);

/* After the removal of pages [first, end) returned. */
void race_after_removal(struct race_state *s, uint64_t first,
			uint64_t end, const uint64_t *done);

/* One store; true if it happened (not past the end of the device). */
bool race_write_one(struct race_writer *wr, uint64_t p);

void *race_writer_fn(void *arg);

/*
 * Wait until every writer has begun at least @stores more stores (or the
 * test is failing), at most @timeout_s: the next removal then races
 * against fresh faults. Giving up only makes that round less busy.
 */
void race_wait_progress(struct race_state *s, uint64_t stores,
			double timeout_s);

/*
 * Check every writer's word of pages [first, end) through @view under
 * @rule. Pages that cannot be read (past the end of the device, unmapped)
 * are skipped and counted. Returns the number of pages skipped, or -1 on
 * a failure (recorded in @s).
 */
long race_check_pages(struct race_state *s,
		      const struct race_view *view,
		      uint64_t first, uint64_t end,
		      enum race_rule rule);

/* race_check_pages() of the view's own pages. */
long race_check_view(struct race_state *s,
		     const struct race_view *view,
		     enum race_rule rule);

void *race_reader_fn(void *arg);

/*
 * While the device is shrunk to @size (and nobody else resizes it): no
 * page past it is mapped in this process (pagemap), lseek(SEEK_END) is the
 * size, and touching a page past it through @map (of device offset 0)
 * raises SIGBUS while pread() there reads end of file; the last two are
 * tried on the first pages past the end, every 32nd one and the last.
 */
void race_check_past_end(struct race_state *s, const char *map,
			 int fd, uint64_t size, const char *op);

/* Wait until @count have checked in on @counter, at most timeout_s. */
bool race_wait_count(int *counter, int count, double timeout_s);

/*
 * Stop the writers (all processes; @nr are running) and wait for them, at
 * most timeout_s. False if some did not stop.
 */
bool race_stop_writers(struct race_state *s, int nr,
		       double timeout_s);

#endif /* MMAPDEMO_RACE_H */
