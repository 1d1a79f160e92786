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
#ifndef MMAPDEMO_RACE_UTIL_H
#define MMAPDEMO_RACE_UTIL_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#include "mmapdemo_util.h"

/* --- accesses that may raise SIGBUS or SIGSEGV --- */

/*
 * The handler jumps back into the guarded access of the thread that
 * faulted; an unguarded fault is not expected and kills the process as
 * it would have without the handler. SA_NODEFER: the jump leaves the
 * handler without restoring the signal mask, so the signal must not be
 * blocked while it runs.
 */
static __thread sigjmp_buf *volatile race_guard;
static __thread volatile int race_guard_sig;

static inline void race_guard_handler(int sig)
{
	sigjmp_buf *jb = race_guard;

	if (jb) {
		race_guard_sig = sig;
		siglongjmp(*jb, 1);
	}
	signal(sig, SIG_DFL);
}

static inline int race_guard_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = race_guard_handler;
	sa.sa_flags = SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) || sigaction(SIGSEGV, &sa, NULL))
		return -1;
	return 0;
}

/* Keep the compiler from moving memory accesses across the guard. */
static inline void race_barrier(void)
{
	__asm__ __volatile__("" ::: "memory");
}

/* *v = the 8 bytes at p: 0, or the signal the access raised. */
static inline int race_load(const void *p, uint64_t *v)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 0)) {
		race_guard = NULL;
		race_barrier();
		return race_guard_sig;
	}
	race_guard = &jb;
	race_barrier();
	*v = *(const volatile uint64_t *)p;
	race_barrier();
	race_guard = NULL;
	return 0;
}

/* Store v at p: 0, or the signal the access raised. */
static inline int race_store(void *p, uint64_t v)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 0)) {
		race_guard = NULL;
		race_barrier();
		return race_guard_sig;
	}
	race_guard = &jb;
	race_barrier();
	*(volatile uint64_t *)p = v;
	race_barrier();
	race_guard = NULL;
	return 0;
}

/* --- shared bookkeeping --- */

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

/* Shared (MAP_SHARED | MAP_ANONYMOUS) with every child forked later. */
static inline struct race_state *race_state_new(uint64_t nr_pages,
						unsigned int nr_writers,
						uint64_t salt)
{
	size_t len = sizeof(struct race_state) +
		     3 * nr_pages * RACE_MAX_WRITERS * sizeof(uint64_t);
	struct race_state *s;

	if (nr_writers > RACE_MAX_WRITERS)
		return NULL;
	s = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0);
	if (s == MAP_FAILED)
		return NULL;
	s->salt = salt;
	s->nr_pages = nr_pages;
	s->nr_writers = nr_writers;
	s->psize = page_size();
	return s;
}

static inline void race_state_free(struct race_state *s)
{
	munmap(s, sizeof(*s) + 3 * s->nr_pages * RACE_MAX_WRITERS *
	       sizeof(uint64_t));
}

static inline uint64_t *race_last(struct race_state *s, uint64_t p,
				  unsigned int w)
{
	return &s->slots[p * RACE_MAX_WRITERS + w];
}

static inline uint64_t *race_bound(struct race_state *s, uint64_t p,
				   unsigned int w)
{
	return &s->slots[(s->nr_pages + p) * RACE_MAX_WRITERS + w];
}

static inline uint64_t *race_zfloor(struct race_state *s, uint64_t p,
				    unsigned int w)
{
	return &s->slots[(2 * s->nr_pages + p) * RACE_MAX_WRITERS + w];
}

/* Device offset of writer w's word in page p. */
static inline uint64_t race_word_off(struct race_state *s, uint64_t p,
				     unsigned int w)
{
	return p * s->psize + w * RACE_SLOT_STRIDE;
}

static inline uint32_t race_hash(struct race_state *s, uint64_t p,
				 unsigned int w, uint64_t seq)
{
	uint64_t h = mix64(s->salt ^ mix64(p * RACE_MAX_WRITERS + w) ^ seq);

	/* Never 0: a value is never mistaken for a hole. */
	return (uint32_t)(h >> 32) | 0x80000000u;
}

static inline uint64_t race_value(struct race_state *s, uint64_t p,
				  unsigned int w, uint64_t seq)
{
	return (uint64_t)race_hash(s, p, w, seq) << 32 | (uint32_t)seq;
}

/* Whether v is a value of writer w for page p; its seq in *seq. */
static inline bool race_decode(struct race_state *s, uint64_t p,
			       unsigned int w, uint64_t v, uint64_t *seq)
{
	*seq = (uint32_t)v;
	return *seq && (v >> 32) == race_hash(s, p, w, *seq);
}

/* Record the first failure and stop everything. */
static inline void race_fail(struct race_state *s, const char *fmt, ...)
{
	va_list ap;
	int expected = 0;

	if (__atomic_compare_exchange_n(&s->failed, &expected, 1, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		va_start(ap, fmt);
		vsnprintf(s->failure, sizeof(s->failure), fmt, ap);
		va_end(ap);
	}
	race_set(s->stop_writers, 1);
}

static inline bool race_failed(struct race_state *s)
{
	return race_get(s->failed);
}

static inline void race_raise(uint64_t *p, uint64_t v)
{
	uint64_t old = race_get(*p);

	while (old < v && !__atomic_compare_exchange_n(p, &old, v, false,
						       __ATOMIC_SEQ_CST,
						       __ATOMIC_SEQ_CST))
		;
}

/* --- the remover's side --- */

/* Before a removal: what every writer has completed. */
static inline void race_before_removal(struct race_state *s, uint64_t *done)
{
	unsigned int w;

	for (w = 0; w < s->nr_writers; w++)
		done[w] = race_get(s->done[w]);
}

/* After the removal of pages [first, end) returned. */
static inline void race_after_removal(struct race_state *s, uint64_t first,
				      uint64_t end, const uint64_t *done)
{
	uint64_t started[RACE_MAX_WRITERS], p;
	unsigned int w;

	for (w = 0; w < s->nr_writers; w++)
		started[w] = race_get(s->start[w]);
	for (p = first; p < end && p < s->nr_pages; p++)
		for (w = 0; w < s->nr_writers; w++) {
			race_raise(race_bound(s, p, w), done[w]);
			race_raise(race_zfloor(s, p, w), started[w]);
		}
	race_inc(s->removals);
}

/* --- writers --- */

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

/* One store; true if it happened (not past the end of the device). */
static inline bool race_write_one(struct race_writer *wr, uint64_t p)
{
	struct race_state *s = wr->s;
	unsigned int w = wr->id;
	uint64_t seq = race_get(s->start[w]) + 1;
	uint64_t v = race_value(s, p, w, seq), off = race_word_off(s, p, w);
	bool stored;

	race_set(s->start[w], seq);
	if (wr->map)
		stored = !race_store(wr->map + (off - wr->map_off), v);
	else
		stored = pwrite(wr->fd, &v, sizeof(v), off) == sizeof(v);
	if (!stored) {
		race_inc(s->refused[w]);
		return false;
	}
	race_set(*race_last(s, p, w), seq);
	race_set(s->done[w], seq);
	return true;
}

static inline void *race_writer_fn(void *arg)
{
	struct race_writer *wr = arg;
	struct race_state *s = wr->s;
	uint64_t i;

	race_inc(s->ready);
	for (i = 0; !race_get(s->stop_writers); i++)
		race_write_one(wr, wr->first + (i * wr->stride) % wr->count);
	race_inc(s->writers_stopped);
	return NULL;
}

/*
 * Wait until every writer has begun at least @stores more stores (or the
 * test is failing), at most @timeout_s: the next removal then races
 * against fresh faults. Giving up only makes that round less busy.
 */
static inline void race_wait_progress(struct race_state *s, uint64_t stores,
				      double timeout_s)
{
	uint64_t from[RACE_MAX_WRITERS];
	double deadline = now_s() + timeout_s;
	unsigned int w;

	for (w = 0; w < s->nr_writers; w++)
		from[w] = race_get(s->start[w]);
	for (w = 0; w < s->nr_writers && !race_failed(s);) {
		if (race_get(s->start[w]) >= from[w] + stores) {
			w++;
			continue;
		}
		if (now_s() > deadline)
			break;
		usleep(1000);
	}
}

/* --- readers and checks --- */

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
 * Read writer w's word of page p through @view: 0, a signal number
 * (mapping past the end of the device or unmapped), or -1 at the end of
 * the device (pread() returned 0) or on error (*err = errno).
 */
static inline int race_view_read(struct race_state *s,
				 const struct race_view *view, uint64_t p,
				 unsigned int w, uint64_t *v, int *err)
{
	uint64_t off = race_word_off(s, p, w);
	ssize_t n;

	*err = 0;
	if (view->map)
		return race_load(view->map + (off - view->map_off), v);
	n = pread(view->fd, v, sizeof(*v), off);
	if (n == sizeof(*v))
		return 0;
	if (n < 0)
		*err = errno;
	else if (n > 0)
		*err = EIO;	/* an 8-byte word is never cut by the end */
	return -1;
}

enum race_verdict { RACE_OK, RACE_TORN, RACE_BAD };

static inline enum race_verdict race_judge(struct race_state *s, uint64_t p,
					   unsigned int w, uint64_t v,
					   uint64_t bound, uint64_t last,
					   uint64_t zfloor, enum race_rule rule,
					   const char *where)
{
	uint64_t seq, started;
	bool must = rule != RACE_LIVE && last > zfloor;

	if (!v) {
		if (!must)
			return RACE_OK;
		race_fail(s, "%s: page %llu writer %u: 0, but its store %llu began after the last removal (which started no later than store %llu)",
			  where, (unsigned long long)p, w,
			  (unsigned long long)last,
			  (unsigned long long)zfloor);
		return RACE_BAD;
	}
	if (!race_decode(s, p, w, v, &seq))
		return RACE_TORN;
	if (seq <= bound) {
		race_fail(s, "%s: page %llu writer %u: OLD DATA: store %llu, complete before a removal of this page that has returned (stores up to %llu were complete before it started)",
			  where, (unsigned long long)p, w,
			  (unsigned long long)seq, (unsigned long long)bound);
		return RACE_BAD;
	}
	started = race_get(s->start[w]);
	if (seq > started) {
		race_fail(s, "%s: page %llu writer %u: store %llu was never begun (writer at %llu)",
			  where, (unsigned long long)p, w,
			  (unsigned long long)seq, (unsigned long long)started);
		return RACE_BAD;
	}
	if (must && seq < last) {
		race_fail(s, "%s: page %llu writer %u: LOST STORE: store %llu, but store %llu was complete and began after the last removal",
			  where, (unsigned long long)p, w,
			  (unsigned long long)seq, (unsigned long long)last);
		return RACE_BAD;
	}
	if (rule == RACE_FINAL && seq != last) {
		race_fail(s, "%s: page %llu writer %u: store %llu after all writers stopped, but their last store to it was %llu",
			  where, (unsigned long long)p, w,
			  (unsigned long long)seq, (unsigned long long)last);
		return RACE_BAD;
	}
	return RACE_OK;
}

/*
 * Check writer w's word of page p through @view under @rule, reading it
 * again while it is torn. Returns 0 (checked), a signal number or -1 (not
 * readable: see race_view_read()), or -2 (failed: recorded).
 */
static inline int race_check_word(struct race_state *s,
				  const struct race_view *view, uint64_t p,
				  unsigned int w, enum race_rule rule)
{
	double torn_since = 0;
	uint64_t bound, last, zfloor, v = 0;
	enum race_verdict verdict;
	int ret, err;

	for (;;) {
		bound = race_get(*race_bound(s, p, w));
		last = race_get(*race_last(s, p, w));
		zfloor = race_get(*race_zfloor(s, p, w));
		ret = race_view_read(s, view, p, w, &v, &err);
		if (ret) {
			if (err) {
				race_fail(s, "%s: page %llu: read: %s",
					  view->name, (unsigned long long)p,
					  strerror(err));
				return -2;
			}
			return ret;
		}
		verdict = race_judge(s, p, w, v, bound, last, zfloor, rule,
				     view->name);
		if (verdict == RACE_OK) {
			race_inc(s->words_checked);
			return 0;
		}
		if (verdict == RACE_BAD)
			return -2;
		if (!torn_since) {
			torn_since = now_s();
		} else if (now_s() - torn_since > RACE_TORN_S) {
			race_fail(s, "%s: page %llu writer %u: %#llx is no value of this writer for this page, for %.0f s",
				  view->name, (unsigned long long)p, w,
				  (unsigned long long)v, RACE_TORN_S);
			return -2;
		}
		sched_yield();
	}
}

/* race_check_pages() through a mapping: word by word. */
static inline long race_check_mapped(struct race_state *s,
				     const struct race_view *view,
				     uint64_t first, uint64_t end,
				     enum race_rule rule)
{
	long skipped = 0;
	unsigned int w;
	uint64_t p;
	int ret;

	for (p = first; p < end; p++) {
		for (w = 0; w < s->nr_writers; w++) {
			ret = race_check_word(s, view, p, w, rule);
			if (ret == -2)
				return -1;
			if (ret) {
				skipped++;
				race_inc(s->reads_refused);
				break;
			}
		}
	}
	return skipped;
}

#define RACE_CHUNK_PAGES	64

/*
 * race_check_pages() through pread(): RACE_CHUNK_PAGES pages per call, each
 * word judged with what bound, last and zfloor were before the call; a
 * torn word is read again on its own.
 */
static inline long race_check_pread(struct race_state *s,
				    const struct race_view *view,
				    uint64_t first, uint64_t end,
				    enum race_rule rule)
{
	uint64_t meta[3][RACE_CHUNK_PAGES][RACE_MAX_WRITERS];
	size_t psize = s->psize;
	uint64_t p, i, n, got_pages;
	long skipped = 0;
	unsigned int w;
	ssize_t got;
	char *buf;

	buf = malloc(RACE_CHUNK_PAGES * psize);
	if (!buf) {
		race_fail(s, "%s: out of memory", view->name);
		return -1;
	}
	for (p = first; p < end; p += n) {
		n = end - p < RACE_CHUNK_PAGES ? end - p : RACE_CHUNK_PAGES;
		/* cppcheck-suppress knownConditionTrueFalse ; n >= 1 here */
		for (i = 0; i < n; i++)
			for (w = 0; w < s->nr_writers; w++) {
				meta[0][i][w] = race_get(*race_bound(s, p + i, w));
				meta[1][i][w] = race_get(*race_last(s, p + i, w));
				meta[2][i][w] = race_get(*race_zfloor(s, p + i, w));
			}
		got = pread(view->fd, buf, n * psize, p * psize);
		if (got < 0 || got % psize) {
			race_fail(s, "%s: pread(%llu pages at page %llu) = %zd: %s",
				  view->name, (unsigned long long)n,
				  (unsigned long long)p, got,
				  got < 0 ? strerror(errno) : "not whole pages");
			free(buf);
			return -1;
		}
		/* Short at the end of the device. */
		got_pages = got / psize;
		skipped += n - got_pages;
		for (i = 0; i < got_pages; i++) {
			for (w = 0; w < s->nr_writers; w++) {
				uint64_t v;
				enum race_verdict verdict;

				memcpy(&v, buf + i * psize + w * RACE_SLOT_STRIDE,
				       sizeof(v));
				verdict = race_judge(s, p + i, w, v,
						     meta[0][i][w],
						     meta[1][i][w],
						     meta[2][i][w], rule,
						     view->name);
				if (verdict == RACE_TORN) {
					/* Again on its own; gone past the end: skip. */
					verdict = race_check_word(s, view, p + i, w,
								  rule) == -2 ?
						  RACE_BAD : RACE_OK;
				} else if (verdict == RACE_OK) {
					race_inc(s->words_checked);
				}
				if (verdict == RACE_BAD) {
					free(buf);
					return -1;
				}
			}
		}
	}
	free(buf);
	return skipped;
}

/*
 * Check every writer's word of pages [first, end) through @view under
 * @rule. Pages that cannot be read (past the end of the device, unmapped)
 * are skipped and counted. Returns the number of pages skipped, or -1 on
 * a failure (recorded in @s).
 */
static inline long race_check_pages(struct race_state *s,
				    const struct race_view *view,
				    uint64_t first, uint64_t end,
				    enum race_rule rule)
{
	if (view->map)
		return race_check_mapped(s, view, first, end, rule);
	return race_check_pread(s, view, first, end, rule);
}

/* race_check_pages() of the view's own pages. */
static inline long race_check_view(struct race_state *s,
				   const struct race_view *view,
				   enum race_rule rule)
{
	return race_check_pages(s, view, view->first, view->end, rule);
}

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

static inline void *race_reader_fn(void *arg)
{
	struct race_reader *rd = arg;
	struct race_state *s = rd->s;
	int i;

	race_inc(s->ready);
	for (i = 0; !race_get(s->stop_readers) && !race_failed(s); i++)
		race_check_view(s, &rd->views[i % rd->nr_views], RACE_LIVE);
	return NULL;
}

/*
 * How many of the @nr pages at @addr this process has mapped (present in
 * /proc/self/pagemap, by a PTE or a PMD), or -1 on error.
 */
static inline long race_pages_mapped(const void *addr, uint64_t nr)
{
	uint64_t first = (uintptr_t)addr / page_size(), i, entry;
	long mapped = 0;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (i = 0; i < nr; i++) {
		if (pread(fd, &entry, sizeof(entry),
			  (first + i) * sizeof(entry)) != sizeof(entry)) {
			mapped = -1;
			break;
		}
		mapped += entry >> 63;
	}
	close(fd);
	return mapped;
}

/*
 * While the device is shrunk to @size (and nobody else resizes it): no
 * page past it is mapped in this process (pagemap), lseek(SEEK_END) is the
 * size, and touching a page past it through @map (of device offset 0)
 * raises SIGBUS while pread() there reads end of file; the last two are
 * tried on the first pages past the end, every 32nd one and the last.
 */
static inline void race_check_past_end(struct race_state *s, const char *map,
				       int fd, uint64_t size, const char *op)
{
	uint64_t p, v, first = size / s->psize;
	long mapped;
	off_t end;
	int sig;

	end = lseek(fd, 0, SEEK_END);
	if (end != (off_t)size)
		race_fail(s, "%s: lseek(SEEK_END) = %lld", op, (long long)end);
	mapped = race_pages_mapped(map + size, s->nr_pages - first);
	if (mapped)
		race_fail(s, "%s: %ld pages past the end are mapped", op,
			  mapped);
	for (p = first; p < s->nr_pages && !race_failed(s); p++) {
		if (p - first >= 4 && (p - first) % 32 && p != s->nr_pages - 1)
			continue;
		sig = race_load(map + p * s->psize, &v);
		if (sig != SIGBUS)
			race_fail(s, "%s: page %llu past the end: %s%s (%#llx)",
				  op, (unsigned long long)p,
				  sig ? "signal " : "read without a signal",
				  sig ? strsignal(sig) : "",
				  (unsigned long long)v);
		if (pread(fd, &v, sizeof(v), p * s->psize) != 0)
			race_fail(s, "%s: pread at page %llu past the end did not return 0",
				  op, (unsigned long long)p);
	}
}

/* Wait until @count have checked in on @counter, at most timeout_s. */
static inline bool race_wait_count(int *counter, int count, double timeout_s)
{
	double deadline = now_s() + timeout_s;

	while (race_get(*counter) < count) {
		if (now_s() > deadline)
			return false;
		usleep(1000);
	}
	return true;
}

/*
 * Stop the writers (all processes; @nr are running) and wait for them, at
 * most timeout_s. False if some did not stop.
 */
static inline bool race_stop_writers(struct race_state *s, int nr,
				     double timeout_s)
{
	race_set(s->stop_writers, 1);
	return race_wait_count(&s->writers_stopped, nr, timeout_s);
}

/*
 * Fork a child that dies with the thread that forked it (the test's
 * process: its children must not outlive a failed test). Like fork().
 */
static inline pid_t race_fork(void)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(99);
	}
	return pid;
}

/* --- module and device --- */

/* Read the module parameter @name of the loaded module, or -1. */
static inline long long module_param_value(const char *name)
{
	char path[128];
	long long value;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s",
		 MMAPDEMO_NAME, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &value) != 1)
		value = -1;
	fclose(f);
	return value;
}

#ifdef __KSELFTEST_HARNESS_H
/*
 * A fresh device for the race tests, and the run's device again afterwards:
 * the setup reloads the module (nothing allocated, all zeros), the teardown
 * (in the parent, after the test and all its threads are gone) reloads it
 * again, which also undoes any RESIZE the test left behind.
 */
#define RACE_DEVICE_FIXTURE(fixture_name)					\
	FIXTURE(fixture_name) {};							\
										\
	FIXTURE_SETUP(fixture_name)						\
	{									\
		char out[512];							\
										\
		ASSERT_NE(NULL, getenv("MMAPDEMO_KO"));				\
		ASSERT_EQ(0, module_reload(out, sizeof(out))) {			\
			TH_LOG("reload: %s", out);				\
		}								\
		ASSERT_EQ(0, mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES));	\
		ASSERT_EQ(0, race_guard_install());				\
	}									\
										\
	FIXTURE_TEARDOWN_PARENT(fixture_name)					\
	{									\
		char out[512];							\
										\
		if (module_reload(out, sizeof(out)))				\
			fprintf(stderr, "# reloading mmapdemo failed: %s\n",	\
				out);						\
		module_ensure_loaded();						\
	}
#endif /* __KSELFTEST_HARNESS_H */

#endif /* MMAPDEMO_RACE_UTIL_H */
