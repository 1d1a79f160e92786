// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "access.h"
#include "child.h"
#include "pattern.h"
#include "procfs.h"
#include "race.h"
#include "sizes.h"

/* What race_judge() makes of one word. */
enum race_verdict { RACE_OK, RACE_TORN, RACE_BAD };

/* Pages race_check_pread() reads in one call. */
#define RACE_CHUNK_PAGES	64

struct race_state *race_state_new(uint64_t nr_pages,
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
	s->psize = page_bytes();
	return s;
}

void race_state_free(struct race_state *s)
{
	munmap(s, sizeof(*s) + 3 * s->nr_pages * RACE_MAX_WRITERS *
	       sizeof(uint64_t));
}

uint64_t *race_last(struct race_state *s, uint64_t p,
		    unsigned int w)
{
	return &s->slots[p * RACE_MAX_WRITERS + w];
}

uint64_t *race_bound(struct race_state *s, uint64_t p,
		     unsigned int w)
{
	return &s->slots[(s->nr_pages + p) * RACE_MAX_WRITERS + w];
}

uint64_t *race_zfloor(struct race_state *s, uint64_t p,
		      unsigned int w)
{
	return &s->slots[(2 * s->nr_pages + p) * RACE_MAX_WRITERS + w];
}

uint64_t race_word_off(struct race_state *s, uint64_t p,
		       unsigned int w)
{
	return p * s->psize + w * RACE_SLOT_STRIDE;
}

uint32_t race_hash(struct race_state *s, uint64_t p,
		   unsigned int w, uint64_t seq)
{
	uint64_t h = splitmix64(s->salt ^ splitmix64(p * RACE_MAX_WRITERS + w) ^ seq);

	/* Never 0: a value is never mistaken for a hole. */
	return (uint32_t)(h >> 32) | 0x80000000u;
}

uint64_t race_value(struct race_state *s, uint64_t p,
		    unsigned int w, uint64_t seq)
{
	return (uint64_t)race_hash(s, p, w, seq) << 32 | (uint32_t)seq;
}

bool race_decode(struct race_state *s, uint64_t p,
		 unsigned int w, uint64_t v, uint64_t *seq)
{
	*seq = (uint32_t)v;
	return *seq && (v >> 32) == race_hash(s, p, w, *seq);
}

void race_fail(struct race_state *s, const char *fmt, ...)
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

bool race_failed(struct race_state *s)
{
	return race_get(s->failed);
}

void race_raise(uint64_t *p, uint64_t v)
{
	uint64_t old = race_get(*p);

	while (old < v && !__atomic_compare_exchange_n(p, &old, v, false,
						       __ATOMIC_SEQ_CST,
						       __ATOMIC_SEQ_CST))
		;
}

void race_before_removal(struct race_state *s, uint64_t *done)
{
	unsigned int w;

	for (w = 0; w < s->nr_writers; w++)
		done[w] = race_get(s->done[w]);
}

void race_after_removal(struct race_state *s, uint64_t first,
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

bool race_write_one(struct race_writer *wr, uint64_t p)
{
	struct race_state *s = wr->s;
	unsigned int w = wr->id;
	uint64_t seq = race_get(s->start[w]) + 1;
	uint64_t v = race_value(s, p, w, seq), off = race_word_off(s, p, w);
	bool stored;

	race_set(s->start[w], seq);
	if (wr->map)
		stored = !guarded_store64(wr->map + (off - wr->map_off), v);
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

void *race_writer_fn(void *arg)
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

void race_wait_progress(struct race_state *s, uint64_t stores,
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

/*
 * Read writer w's word of page p through @view: 0, a signal number
 * (mapping past the end of the device or unmapped), or -1 at the end of
 * the device (pread() returned 0) or on error (*err = errno).
 */
static int race_view_read(struct race_state *s,
			  const struct race_view *view, uint64_t p,
			  unsigned int w, uint64_t *v, int *err)
{
	uint64_t off = race_word_off(s, p, w);
	ssize_t n;

	*err = 0;
	if (view->map)
		return guarded_load64(view->map + (off - view->map_off), v);
	n = pread(view->fd, v, sizeof(*v), off);
	if (n == sizeof(*v))
		return 0;
	if (n < 0)
		*err = errno;
	else if (n > 0)
		*err = EIO;	/* an 8-byte word is never cut by the end */
	return -1;
}

static enum race_verdict race_judge(struct race_state *s, uint64_t p,
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
static int race_check_word(struct race_state *s,
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
static long race_check_mapped(struct race_state *s,
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

/*
 * race_check_pages() through pread(): RACE_CHUNK_PAGES pages per call, each
 * word judged with what bound, last and zfloor were before the call; a
 * torn word is read again on its own.
 */
static long race_check_pread(struct race_state *s,
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

long race_check_pages(struct race_state *s,
		      const struct race_view *view,
		      uint64_t first, uint64_t end,
		      enum race_rule rule)
{
	if (view->map)
		return race_check_mapped(s, view, first, end, rule);
	return race_check_pread(s, view, first, end, rule);
}

long race_check_view(struct race_state *s,
		     const struct race_view *view,
		     enum race_rule rule)
{
	return race_check_pages(s, view, view->first, view->end, rule);
}

void *race_reader_fn(void *arg)
{
	struct race_reader *rd = arg;
	struct race_state *s = rd->s;
	int i;

	race_inc(s->ready);
	for (i = 0; !race_get(s->stop_readers) && !race_failed(s); i++)
		race_check_view(s, &rd->views[i % rd->nr_views], RACE_LIVE);
	return NULL;
}

void race_check_past_end(struct race_state *s, const char *map,
			 int fd, uint64_t size, const char *op)
{
	uint64_t p, v, first = size / s->psize;
	long mapped;
	off_t end;
	int sig;

	end = lseek(fd, 0, SEEK_END);
	if (end != (off_t)size)
		race_fail(s, "%s: lseek(SEEK_END) = %lld", op, (long long)end);
	mapped = pagemap_present_pages(map + size, s->nr_pages - first);
	if (mapped)
		race_fail(s, "%s: %ld pages past the end are mapped", op,
			  mapped);
	for (p = first; p < s->nr_pages && !race_failed(s); p++) {
		if (p - first >= 4 && (p - first) % 32 && p != s->nr_pages - 1)
			continue;
		sig = guarded_load64(map + p * s->psize, &v);
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

bool race_wait_count(int *counter, int count, double timeout_s)
{
	double deadline = now_s() + timeout_s;

	while (race_get(*counter) < count) {
		if (now_s() > deadline)
			return false;
		usleep(1000);
	}
	return true;
}

bool race_stop_writers(struct race_state *s, int nr,
		       double timeout_s)
{
	race_set(s->stop_writers, 1);
	return race_wait_count(&s->writers_stopped, nr, timeout_s);
}
