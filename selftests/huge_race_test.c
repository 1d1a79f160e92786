// SPDX-License-Identifier: GPL-2.0
/*
 * Races on huge folios: removing, cutting, unmapping and moving parts of
 * PMD-mapped folios (2 MiB with 4 KiB pages, 32 MiB with 16 KiB pages)
 * while other threads access them, and forking meanwhile.
 *
 * With the PMD order as folio_order the device's folios are mapped with
 * one PMD each; with folio_order=0 the same tests run on single pages and
 * PTEs
 * (FilePmdMapped is then 0 throughout). Writers, words and the rules the
 * contents must obey are those of lib/race.h: a word is 0 or a
 * store that had not completed when a removal of its page started; a store
 * that began after the last removal of its page returned is never lost;
 * with all writers stopped every word is exactly its last store.
 *
 * In every test two threads store through a mapping and one with pwrite(),
 * a reader thread checks the mapping all the time, and a forker thread
 * forks one child after the other: each child checks the content rules on
 * the mappings it inherited (some parts may be gone: a SIGSEGV or SIGBUS
 * there is fine), and exits. The forks race with everything below.
 *
 * The region is four PMDs; sizes below are in PMDs.
 *
 * huge_punch_while_pmd_mapped: PUNCH of whole PMD-sized folios, one after
 *   the other, while they are PMD-mapped and written; then, quiescent, the
 *   transitions FilePmdMapped 4 -> 3 PMDs (punch one) -> 4 (touch).
 * huge_cut_while_pmd_mapped: RESIZE to a size inside a PMD-mapped folio
 *   (the driver replaces it by single-page copies of the pages that stay)
 *   while it is written: past the end SIGBUS, below it nothing lost; then,
 *   quiescent, in a new mapping, FilePmdMapped 4 -> 2 PMDs (cut inside
 *   the third folio; the kept pages keep their contents) -> 3 (grown
 *   back and touched: the cut range stays in small folios).
 * huge_partial_munmap_while_accessed: munmap() of pages inside the first
 *   PMD-mapped folio of a two-PMD mapping while threads write the rest: the
 *   hole raises SIGSEGV, the rest and the device keep every store, the
 *   second folio stays PMD-mapped, the VMA count grows by one.
 * huge_partial_mremap_while_accessed: mremap() moving pages from inside
 *   the first PMD-mapped folio to another address while threads write the
 *   rest: the old place raises SIGSEGV, the new one shows the same device
 *   pages (and takes new stores), nothing is lost, the second folio stays
 *   PMD-mapped, the VMA count grows by two.
 *
 * The fixture makes the device fresh (device_fresh()) and afterwards puts
 * back the size the module was loaded with.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
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
#include "access.h"
#include "child.h"
#include "race.h"
#include "fixture.h"

#define REGION		(4 * pmd_bytes())
#define MAP_LEN		(2 * pmd_bytes())	/* munmap/mremap tests */
#define NR_WRITERS	3		/* 0, 1: mapping, 2: pwrite() */
#define PUNCH_ROUNDS	12
#define CUT_ROUNDS	8
#define SPLIT_ROUNDS	6
#define CONTROL_S	10.0

/* The forker: children that check the mappings they inherit, and exit. */
struct forker {
	struct race_state *s;
	struct race_view views[RACE_MAX_VIEWS];
	int nr_views;
	int stop;
	pthread_t thread;
};

static void *forker_fn(void *arg)
{
	struct forker *fk = arg;
	struct race_state *s = fk->s;
	int i, status;
	pid_t pid;

	while (!race_get(fk->stop) && !race_failed(s)) {
		pid = fork();
		if (pid < 0) {
			race_fail(s, "fork: %s", strerror(errno));
			break;
		}
		if (pid == 0) {
			/* Only this thread lives on here: no locks, no stdio. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (i = 0; i < fk->nr_views; i++)
				if (race_check_view(s, &fk->views[i],
						    RACE_LIVE) < 0)
					_exit(1);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid)
			status = -1;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			if (!race_failed(s))
				race_fail(s, "forked child: status %#x", status);
			break;
		}
		race_inc(s->forks);
	}
	return NULL;
}

/* The threads of one racing phase. */
struct crowd {
	struct race_state *s;
	struct race_writer writers[NR_WRITERS];
	struct race_reader reader;
	struct forker forker;
};

static void crowd_start(struct __test_metadata *_metadata, struct crowd *c)
{
	int i;

	race_set(c->s->stop_writers, 0);
	race_set(c->s->writers_stopped, 0);
	race_set(c->s->stop_readers, 0);
	race_set(c->forker.stop, 0);
	for (i = 0; i < NR_WRITERS; i++)
		ASSERT_EQ(0, pthread_create(&c->writers[i].thread, NULL,
					    race_writer_fn, &c->writers[i]));
	ASSERT_EQ(0, pthread_create(&c->reader.thread, NULL, race_reader_fn,
				    &c->reader));
	ASSERT_EQ(0, pthread_create(&c->forker.thread, NULL, forker_fn,
				    &c->forker));
}

/* Stop the forker, then the writers, then the reader. */
static void crowd_stop(struct __test_metadata *_metadata, struct crowd *c)
{
	int i;

	race_set(c->forker.stop, 1);
	pthread_join(c->forker.thread, NULL);
	EXPECT_TRUE(race_stop_writers(c->s, NR_WRITERS, 30));
	for (i = 0; i < NR_WRITERS; i++)
		pthread_join(c->writers[i].thread, NULL);
	race_set(c->s->stop_readers, 1);
	pthread_join(c->reader.thread, NULL);
}

/* Wait for a fork that began after now, and for the writers to move on. */
static void crowd_wait(struct __test_metadata *_metadata, struct crowd *c,
		       uint64_t stores)
{
	int forks = race_get(c->s->forks);

	race_wait_progress(c->s, stores, 5);
	/* A failure stops the forker; else a hang guard only. */
	if (!race_failed(c->s))
		EXPECT_TRUE(race_wait_count(&c->s->forks, forks + 2, 30));
}

static void report(struct __test_metadata *_metadata, struct race_state *s,
		   int rounds)
{
	int i;

	for (i = 0; i < NR_WRITERS; i++)
		TH_LOG("writer %d: %llu stores, %llu refused", i,
		       (unsigned long long)s->done[i],
		       (unsigned long long)s->refused[i]);
	TH_LOG("%d rounds, %d forks, %llu words checked, %llu page reads refused",
	       rounds, s->forks,
	       (unsigned long long)s->words_checked,
	       (unsigned long long)s->reads_refused);
	EXPECT_FALSE(race_failed(s)) {
		TH_LOG("%s", s->failure);
	}
}

static bool pmd_folios(void)
{
	return device_attr_read(MMAPDEMO_ATTR_FOLIO_ORDER) == pmd_page_order();
}

/* FilePmdMapped of the VMA at @addr in kB, as expected with PMD folios. */
#define EXPECT_PMD_KB(addr, kb_if_pmd) do {					\
	long _want = pmd_folios() ? (long)(kb_if_pmd) : 0;			\
	long _got = smaps_kb(addr, "FilePmdMapped");				\
										\
	EXPECT_EQ(_want, _got) {						\
		TH_LOG("FilePmdMapped of the VMA at %p", (void *)(addr));	\
	}									\
} while (0)

/* Read every page of [p, p + len): faults them all in. */
static void touch(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += page_bytes())
		(void)((const volatile char *)p)[i];
}

/* Everything needed for the tests on the whole REGION-sized device. */
struct region {
	int fd;
	char *map;
	uint64_t nr_pages;
	struct race_state *s;
	struct crowd crowd;
	struct mmapdemo_info info;
};

static void region_setup(struct __test_metadata *_metadata, struct region *r)
{
	size_t psize = page_bytes();
	struct crowd *c = &r->crowd;

	r->fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	ASSERT_EQ(0, device_info_read(r->fd, &r->info));
	ASSERT_LE(REGION, r->info.max_size);
	ASSERT_EQ(0, device_resize(r->fd, REGION));
	r->nr_pages = REGION / psize;
	r->s = race_state_new(r->nr_pages, NR_WRITERS,
			      pattern_seed(_metadata->name));
	ASSERT_NE(NULL, r->s);
	r->map = map_dev(_metadata, r->fd, REGION, PROT_READ | PROT_WRITE,
			 MAP_SHARED, 0);
	if (pmd_folios())
		ASSERT_EQ(0UL, (uintptr_t)r->map % pmd_bytes());

	/* All of it PMD-mapped before the race starts. */
	touch(r->map, REGION);
	EXPECT_PMD_KB(r->map, REGION / KIB);

	memset(c, 0, sizeof(*c));
	c->s = r->s;
	c->writers[0] = (struct race_writer){ .s = r->s, .id = 0,
					      .map = r->map, .fd = r->fd,
					      .count = r->nr_pages,
					      .stride = 1 };
	c->writers[1] = (struct race_writer){ .s = r->s, .id = 1,
					      .map = r->map, .fd = r->fd,
					      .count = r->nr_pages,
					      .stride = r->nr_pages - 1 };
	c->writers[2] = (struct race_writer){ .s = r->s, .id = 2,
					      .fd = r->fd,
					      .count = r->nr_pages,
					      .stride = 5 };
	c->reader = (struct race_reader){ .s = r->s, .nr_views = 1 };
	c->reader.views[0] = (struct race_view){ .map = r->map, .fd = -1,
						 .end = r->nr_pages,
						 .name = "reader: mapping" };
	c->forker = (struct forker){ .s = r->s, .nr_views = 1 };
	c->forker.views[0] = (struct race_view){ .map = r->map, .fd = -1,
						 .end = r->nr_pages,
						 .name = "forked child: mapping" };
}

/*
 * After an ioctl returned (no other removal running): intact rule for all
 * pages below @size, through the mapping and pread(); past it nothing
 * mapped, SIGBUS and end of file.
 */
static void region_check(struct region *r, uint64_t size, enum race_rule rule,
			 const char *op)
{
	struct race_state *s = r->s;
	struct race_view map = { .map = r->map, .fd = -1,
				 .end = size / s->psize };
	struct race_view rd = { .fd = r->fd, .end = size / s->psize };
	char map_name[128], rd_name[128];

	snprintf(map_name, sizeof(map_name), "%s: mapping", op);
	snprintf(rd_name, sizeof(rd_name), "%s: pread", op);
	map.name = map_name;
	rd.name = rd_name;
	if (race_check_view(s, &map, rule) > 0)
		race_fail(s, "%s: a page below the end raised a signal",
			  map_name);
	if (race_check_view(s, &rd, rule) > 0)
		race_fail(s, "%s: end of file before the end", rd_name);
	race_check_past_end(s, r->map, r->fd, size, op);
}

/* With the crowd stopped: the final rule everywhere. */
static void region_final(struct __test_metadata *_metadata, struct region *r)
{
	race_set(r->s->final_check, 1);
	if (!race_failed(r->s))
		region_check(r, REGION, RACE_FINAL, "end");
	race_set(r->s->final_check, 0);
}

static void region_teardown(struct __test_metadata *_metadata,
			    struct region *r)
{
	ASSERT_EQ(0, device_punch(r->fd, 0, REGION));
	EXPECT_EQ(0, device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	EXPECT_EQ(-1, bytes_mismatch(r->map, REGION, 0));
	ASSERT_EQ(0, munmap(r->map, REGION));
	EXPECT_EQ(0, device_attr_read(MMAPDEMO_ATTR_VMAS));
	EXPECT_EQ(0, device_resize(r->fd, r->info.size));
	close(r->fd);
	race_state_free(r->s);
}

/*
 * region_setup() with the crowd started and every page written once:
 * the rounds begin on a device the writers have filled.
 */
static void region_start(struct __test_metadata *_metadata, struct region *r)
{
	region_setup(_metadata, r);
	crowd_start(_metadata, &r->crowd);
	crowd_wait(_metadata, &r->crowd, r->nr_pages);
}

/* After the rounds: the crowd stopped, the final checks and the report. */
static void region_stop(struct __test_metadata *_metadata, struct region *r,
			int rounds)
{
	crowd_stop(_metadata, &r->crowd);
	region_final(_metadata, r);
	report(_metadata, r->s, rounds);
}

/*
 * One removal of pages [from, to) in a round: a resize to @from when
 * @shrink, else a punch. The writers' progress is taken around it, so
 * that the checks know which stores came after it. false (and the race
 * failed) when the ioctl did.
 */
static bool region_remove(struct region *r, uint64_t from, uint64_t to,
			  bool shrink, const char *op)
{
	uint64_t done[RACE_MAX_WRITERS];
	size_t psize = r->s->psize;
	int ret;

	race_before_removal(r->s, done);
	ret = shrink ? device_resize(r->fd, from) :
		       device_punch(r->fd, from, to - from);
	if (ret) {
		race_fail(r->s, "%s: %s", op, strerror(errno));
		return false;
	}
	race_after_removal(r->s, from / psize, to / psize, done);
	return true;
}

RACE_DEVICE_FIXTURE(huge_race)

TEST_F_TIMEOUT(huge_race, huge_punch_while_pmd_mapped, 120)
{
	double deadline;
	uint64_t off;
	struct region r;
	char op[64];
	int round;

	region_start(_metadata, &r);
	deadline = now_s() + CONTROL_S;
	for (round = 0; round < PUNCH_ROUNDS && !race_failed(r.s); round++) {
		if (round >= 4 && now_s() > deadline)
			break;
		off = (uint64_t)(round % 4) * pmd_bytes();
		snprintf(op, sizeof(op), "round %d: PUNCH %#llx+PMD", round,
			 (unsigned long long)off);
		if (!region_remove(&r, off, off + pmd_bytes(), false, op))
			break;
		region_check(&r, REGION, RACE_INTACT, op);
		crowd_wait(_metadata, &r.crowd, r.nr_pages / 2);
	}
	region_stop(_metadata, &r, round);

	/* Quiescent: huge again once touched; one punch takes one PMD. */
	touch(r.map, REGION);
	EXPECT_PMD_KB(r.map, REGION / KIB);
	EXPECT_EQ((long long)REGION,
		  device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	ASSERT_EQ(0, device_punch(r.fd, pmd_bytes(), pmd_bytes()));
	EXPECT_PMD_KB(r.map, (REGION - pmd_bytes()) / KIB);
	EXPECT_EQ((long long)(REGION - pmd_bytes()),
		  device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	EXPECT_EQ(-1, bytes_mismatch(r.map + pmd_bytes(), pmd_bytes(), 0));
	EXPECT_PMD_KB(r.map, REGION / KIB);
	EXPECT_EQ((long long)REGION,
		  device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	region_teardown(_metadata, &r);
}

TEST_F_TIMEOUT(huge_race, huge_cut_while_pmd_mapped, 120)
{
	uint64_t size, cut, ps = page_bytes();
	size_t kept;
	double deadline;
	struct region r;
	char op[64];
	int round;

	region_start(_metadata, &r);
	deadline = now_s() + CONTROL_S;
	for (round = 0; round < CUT_ROUNDS && !race_failed(r.s); round++) {
		if (round >= 3 && now_s() > deadline)
			break;
		/* Inside the second, third or fourth folio. */
		cut = (uint64_t)(1 + round % 3) * pmd_bytes();
		size = cut + ((round * 37) % 510 + 1) * ps;
		snprintf(op, sizeof(op), "round %d: RESIZE to %#llx", round,
			 (unsigned long long)size);
		if (!region_remove(&r, size, REGION, true, op))
			break;
		region_check(&r, size, RACE_INTACT, op);
		race_wait_progress(r.s, 64, 2);

		/*
		 * Grow back, and punch from the cut folio on, so that the
		 * writers make huge folios there again for the next cut.
		 */
		snprintf(op, sizeof(op), "round %d: RESIZE back", round);
		if (device_resize(r.fd, REGION)) {
			race_fail(r.s, "%s: %s", op, strerror(errno));
			break;
		}
		region_check(&r, REGION, RACE_INTACT, op);
		snprintf(op, sizeof(op), "round %d: PUNCH %#llx-", round,
			 (unsigned long long)cut);
		if (!region_remove(&r, cut, REGION, false, op))
			break;
		region_check(&r, REGION, RACE_INTACT, op);
		crowd_wait(_metadata, &r.crowd, r.nr_pages);
	}
	region_stop(_metadata, &r, round);

	/*
	 * Quiescent: all huge; a cut inside the third folio takes its PMD
	 * and keeps its first pages, as single-page copies, with their
	 * contents. In a new mapping: where a VMA once mapped single pages
	 * (the copies
	 * of the cuts above) it keeps the page table, and the core maps even
	 * a huge folio there with PTEs until the VMA goes away.
	 */
	ASSERT_EQ(0, device_punch(r.fd, 0, REGION));
	ASSERT_EQ(0, munmap(r.map, REGION));
	r.map = map_dev(_metadata, r.fd, REGION, PROT_READ | PROT_WRITE,
			MAP_SHARED, 0);
	touch(r.map, REGION);
	EXPECT_PMD_KB(r.map, REGION / KIB);
	size = 2 * pmd_bytes() + pmd_bytes() / 2 + 3 * ps;
	kept = size - 2 * pmd_bytes();
	ASSERT_EQ(0, device_write_pattern(r.fd, REGION, 0, r.s->salt));
	ASSERT_EQ(0, device_resize(r.fd, size));
	EXPECT_PMD_KB(r.map, 2 * pmd_bytes() / KIB);
	EXPECT_EQ((long long)size, device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	EXPECT_EQ(-1, pattern_mismatch(r.map, size, r.s->salt));
	EXPECT_EQ(-1, device_pattern_mismatch(r.fd, size, 0, r.s->salt));
	EXPECT_PMD_KB(r.map, 2 * pmd_bytes() / KIB);
	EXPECT_EQ(SIGBUS, probe_signal(r.map + size, ACCESS_READ,
				       &(struct access_result){ 0 }));
	TH_LOG("cut at %#llx: %zu KiB kept as copies of %llu KiB pages",
	       (unsigned long long)size, kept / KIB,
	       (unsigned long long)(ps / KIB));

	/* Grown back: the cut folio's range stays in small folios. */
	ASSERT_EQ(0, device_resize(r.fd, REGION));
	touch(r.map, REGION);
	EXPECT_PMD_KB(r.map, (REGION - pmd_bytes()) / KIB);
	EXPECT_EQ((long long)REGION,
		  device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	EXPECT_EQ(-1, pattern_mismatch(r.map, size, r.s->salt));
	EXPECT_EQ(-1, bytes_mismatch(r.map + size, REGION - size, 0));
	region_teardown(_metadata, &r);
}

/*
 * The munmap and mremap tests: a MAP_LEN mapping of device offset @off,
 * PMD-mapped, with pages [hole, hole + hole_len) of it to be taken away
 * while writer 0 stores to the pages after the hole, writer 1 to those
 * before it, and writer 2 with pwrite() to all of them, the hole included.
 */
struct split {
	int fd;
	char *map;
	uint64_t off, hole, hole_len;
	struct race_state *s;
	struct crowd crowd;
};

static void split_setup(struct __test_metadata *_metadata, struct split *sp,
			int fd, struct race_state *s, int round)
{
	uint64_t ps = page_bytes(), first = 0;
	struct crowd *c = &sp->crowd;

	sp->fd = fd;
	sp->s = s;
	sp->off = (uint64_t)(round % 3) * pmd_bytes();
	sp->hole = ((round * 37) % 256 + 64) * ps;
	sp->hole_len = ((round * 13) % 128 + 1) * ps;
	sp->map = map_dev(_metadata, fd, MAP_LEN, PROT_READ | PROT_WRITE,
			  MAP_SHARED, sp->off);
	if (pmd_folios())
		ASSERT_EQ(0UL, (uintptr_t)sp->map % pmd_bytes());
	touch(sp->map, MAP_LEN);
	EXPECT_PMD_KB(sp->map, MAP_LEN / KIB);

	first = sp->off / ps;
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->writers[0] = (struct race_writer){
		.s = s, .id = 0, .map = sp->map, .map_off = sp->off, .fd = fd,
		.first = first + (sp->hole + sp->hole_len) / ps,
		.count = (MAP_LEN - sp->hole - sp->hole_len) / ps,
		.stride = 1 };
	c->writers[1] = (struct race_writer){
		.s = s, .id = 1, .map = sp->map, .map_off = sp->off, .fd = fd,
		.first = first, .count = sp->hole / ps, .stride = 1 };
	c->writers[2] = (struct race_writer){
		.s = s, .id = 2, .fd = fd, .first = first,
		.count = MAP_LEN / ps, .stride = 1 };
	c->reader = (struct race_reader){ .s = s, .nr_views = 1 };
	c->reader.views[0] = (struct race_view){
		.map = sp->map, .map_off = sp->off, .fd = -1, .first = first,
		.end = first + MAP_LEN / ps, .name = "reader: mapping" };
	c->forker = (struct forker){ .s = s, .nr_views = 1 };
	c->forker.views[0] = c->reader.views[0];
	c->forker.views[0].name = "forked child: mapping";
}

/*
 * Check the pages of @view, expecting @sig (0: readable) for those in
 * [sig_first, sig_end) and readable pages elsewhere.
 */
static void check_split_view(struct race_state *s, struct race_view *view,
			     uint64_t sig_first, uint64_t sig_end, int sig,
			     enum race_rule rule)
{
	struct race_view part = *view;
	uint64_t p, v;
	int got;

	for (p = view->first; p < view->end && !race_failed(s); p++) {
		if (p >= sig_first && p < sig_end && sig) {
			got = guarded_load64(view->map +
					(p * s->psize - view->map_off), &v);
			if (got != sig)
				race_fail(s, "%s: page %llu: %s, expected %s",
					  view->name, (unsigned long long)p,
					  got ? strsignal(got) : "no signal",
					  strsignal(sig));
			continue;
		}
		part.first = p;
		part.end = p + 1;
		if (race_check_view(s, &part, rule) > 0)
			race_fail(s, "%s: page %llu raised a signal",
				  view->name, (unsigned long long)p);
	}
}

static void split_run(struct __test_metadata *_metadata, bool move)
{
	uint64_t ps = page_bytes(), nr_pages = REGION / ps, first, moved_first;
	struct mmapdemo_info info;
	struct race_view views[3];
	struct race_writer wr;
	struct race_state *s;
	long long vmas0, vmas;
	int fd, round, nr_views, i;
	struct split sp;
	double deadline;
	char *dst, *resv = NULL;

	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	ASSERT_EQ(0, device_info_read(fd, &info));
	ASSERT_LE(REGION, info.max_size);
	ASSERT_EQ(0, device_resize(fd, REGION));
	s = race_state_new(nr_pages, NR_WRITERS, pattern_seed(_metadata->name));
	ASSERT_NE(NULL, s);
	vmas0 = device_attr_read(MMAPDEMO_ATTR_VMAS);
	deadline = now_s() + CONTROL_S;

	for (round = 0; round < SPLIT_ROUNDS && !race_failed(s); round++) {
		if (round >= 2 && now_s() > deadline)
			break;
		split_setup(_metadata, &sp, fd, s, round);
		first = sp.off / ps;
		moved_first = first + sp.hole / ps;
		dst = NULL;
		if (move) {
			/* A place for the moved pages, off the PMD grid. */
			resv = mmap(NULL, 2 * pmd_bytes(), PROT_NONE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			ASSERT_NE(MAP_FAILED, resv);
			dst = (char *)align_up((uintptr_t)resv, pmd_bytes()) +
			      16 * ps;
			/* A forked child may see it before or after the move. */
			sp.crowd.forker.views[1] = (struct race_view){
				.map = dst, .map_off = sp.off + sp.hole,
				.fd = -1, .first = moved_first,
				.end = moved_first + sp.hole_len / ps,
				.name = "forked child: moved" };
			sp.crowd.forker.nr_views = 2;
		}
		crowd_start(_metadata, &sp.crowd);
		crowd_wait(_metadata, &sp.crowd, 256);

		/* Take the hole away under the writers' feet. */
		if (move) {
			char *got = mremap(sp.map + sp.hole, sp.hole_len,
					   sp.hole_len,
					   MREMAP_MAYMOVE | MREMAP_FIXED, dst);

			ASSERT_EQ(dst, got) {
				TH_LOG("mremap: %s", strerror(errno));
			}
		} else {
			ASSERT_EQ(0, munmap(sp.map + sp.hole, sp.hole_len));
		}

		/* The old place is gone, the new one shows the same pages. */
		views[0] = sp.crowd.reader.views[0];
		views[0].name = move ? "after mremap: old mapping" :
				       "after munmap: mapping";
		check_split_view(s, &views[0], moved_first,
				 moved_first + sp.hole_len / ps, SIGSEGV,
				 RACE_INTACT);
		views[1] = (struct race_view){ .fd = fd, .first = first,
					       .end = first + MAP_LEN / ps,
					       .name = "after the split: pread" };
		nr_views = 2;
		if (move) {
			views[2] = sp.crowd.forker.views[1];
			views[2].name = "after mremap: moved";
			nr_views = 3;
		}
		for (i = 1; i < nr_views; i++)
			if (race_check_view(s, &views[i], RACE_INTACT) > 0)
				race_fail(s, "%s: unreadable page",
					  views[i].name);
		crowd_wait(_metadata, &sp.crowd, 256);
		crowd_stop(_metadata, &sp.crowd);

		/* Quiescent: the exact last stores, and the mappings' shape. */
		race_set(s->final_check, 1);
		check_split_view(s, &views[0], moved_first,
				 moved_first + sp.hole_len / ps, SIGSEGV,
				 RACE_FINAL);
		for (i = 1; i < nr_views; i++)
			if (race_check_view(s, &views[i], RACE_FINAL) > 0)
				race_fail(s, "%s: unreadable page",
					  views[i].name);
		race_set(s->final_check, 0);
		vmas = device_attr_read(MMAPDEMO_ATTR_VMAS);
		EXPECT_EQ(vmas0 + (move ? 3 : 2), vmas);
		EXPECT_PMD_KB(sp.map, 0);
		EXPECT_PMD_KB(sp.map + sp.hole + sp.hole_len, pmd_bytes() / KIB);
		if (move) {
			EXPECT_PMD_KB(dst, 0);
			/* The moved pages still write to their device pages. */
			wr = (struct race_writer){ .s = s, .id = 0, .map = dst,
						   .map_off = sp.off + sp.hole,
						   .fd = fd };
			EXPECT_TRUE(race_write_one(&wr, moved_first));
			race_check_view(s, &views[1], RACE_FINAL);
			munmap(dst, sp.hole_len);
			munmap(resv, 2 * pmd_bytes());
		}
		munmap(sp.map, MAP_LEN);
		EXPECT_EQ(vmas0, device_attr_read(MMAPDEMO_ATTR_VMAS));
	}
	report(_metadata, s, round);
	/*
	 * Nothing was removed: all that the rounds touched (two PMDs at
	 * offset 0, 1 PMD, 2 PMDs, 0, ...) is still allocated.
	 */
	EXPECT_EQ((long long)(MAP_LEN + (round < 3 ? round - 1 : 2) *
			      pmd_bytes()),
		  device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	EXPECT_EQ(0, device_resize(fd, info.size));
	close(fd);
	race_state_free(s);
}

TEST_F_TIMEOUT(huge_race, huge_partial_munmap_while_accessed, 120)
{
	split_run(_metadata, false);
}

TEST_F_TIMEOUT(huge_race, huge_partial_mremap_while_accessed, 120)
{
	split_run(_metadata, true);
}

TEST_HARNESS_MAIN
