// SPDX-License-Identifier: GPL-2.0
/*
 * Races that must be proven safe: faults and writes racing PUNCH and
 * RESIZE on the same pages.
 *
 * The device is resized to REGION, four PMDs (8 MiB: four 2 MiB folios
 * with PMD-order folios and 4 KiB pages, 2048 pages with folio_order=0;
 * 128 MiB, four 32 MiB folios, with 16 KiB pages). Four writers store into
 * every page all the time, each into its own word (see
 * lib/race.h): one thread of the test through a shared mapping,
 * one with pwrite(), and one thread in each of two forked processes, each
 * through its own mapping of its own open file. A reader thread in every
 * process checks every word through its mapping (and the test's reader also
 * with pread()) the whole time.
 *
 * Meanwhile the controller punches (whole PMD-sized folios, ranges crossing
 * folios at odd pages, single pages, everything) or shrinks the device
 * (inside a folio, at a folio boundary, to one page) and grows it back.
 * The claims, each checked after every ioctl returns, and all the time by
 * the readers of all processes:
 *   - no mapping, in any process, and no read() sees old data in the
 *     punched or removed range: a word there is 0 or was written by a
 *     store that had not completed when the ioctl started;
 *   - past a shrunk end, nothing is mapped, a page of a mapping raises
 *     SIGBUS and read() returns end of file, until the device grows again;
 *   - nothing else is lost: a store that began after the last removal of
 *     its page returned is there (or a newer one), also in the part of a
 *     huge folio that a shrink cut and copied;
 *   - at the end, with all writers stopped, every word is exactly its
 *     writer's last store (or 0 where a removal may have taken it), in
 *     every process's mapping and through read();
 *   - allocated_bytes never exceeds the size, and is 0 once everything is
 *     punched; no VMA is left; the kernel log stays clean (vm-run fails
 *     the run on any splat).
 * Stores that overlap an ioctl may or may not survive it: both are right,
 * so no check depends on timing. Each test stops starting rounds after
 * CONTROL_S seconds (after at least one round of every kind).
 *
 * punch_races_faults_and_writes: PUNCH only, the intact rule after each.
 * shrink_races_faults_and_writes: RESIZE shrink and grow only, likewise.
 * punch_and_resize_race_each_other: both at once from two threads; the
 *   intact rule then only holds at the end (a removal may be running).
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
#include "child.h"
#include "race.h"
#include "fixture.h"

#define REGION		(4 * pmd_bytes())
#define NR_CHILDREN	2
/* 0: the test's mapping, 1: the test's pwrite(), 2...: the children. */
#define NR_WRITERS	(2 + NR_CHILDREN)
#define NR_KINDS	5	/* kinds of PUNCH, and of RESIZE */
#define MAX_ROUNDS	60
#define CONTROL_S	10.0

enum { DO_PUNCH = 1, DO_RESIZE = 2 };

struct controller {
	struct race_state *s;
	int fd;
	char *map;
	uint64_t region;
	unsigned int what;	/* DO_PUNCH or DO_RESIZE */
	bool alone;		/* the only one removing: intact rule */
	double deadline;
	int rounds;
	pthread_t thread;
};

/* The child processes: a writer and a reader on their own mapping. */
static int child_run(struct race_state *s, unsigned int id, uint64_t region)
{
	uint64_t nr_pages = region / page_bytes();
	struct race_writer wr;
	struct race_reader rd;
	char *map;
	int fd;

	fd = device_open(O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		race_fail(s, "child %u: open: %s", id, strerror(errno));
		return 1;
	}
	map = mmap(NULL, region, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		race_fail(s, "child %u: mmap: %s", id, strerror(errno));
		return 1;
	}
	wr = (struct race_writer){ .s = s, .id = id, .map = map, .fd = fd,
				   .first = 0, .count = nr_pages,
				   .stride = 2 * id + 1 };
	rd = (struct race_reader){ .s = s, .nr_views = 1 };
	rd.views[0] = (struct race_view){ .map = map, .fd = -1,
					  .end = nr_pages,
					  .name = id == 2 ? "child 1 mapping" :
							    "child 2 mapping" };
	if (pthread_create(&wr.thread, NULL, race_writer_fn, &wr) ||
	    pthread_create(&rd.thread, NULL, race_reader_fn, &rd)) {
		race_fail(s, "child %u: pthread_create failed", id);
		return 1;
	}
	pthread_join(wr.thread, NULL);
	while (!race_get(s->final_check) && !race_failed(s))
		usleep(1000);
	if (!race_failed(s) && race_check_view(s, &rd.views[0], RACE_FINAL))
		race_fail(s, "child %u: pages unreadable at the end", id);
	race_inc(s->finished);
	while (!race_get(s->stop_readers))
		usleep(1000);
	pthread_join(rd.thread, NULL);
	munmap(map, region);
	close(fd);
	return race_failed(s) ? 1 : 0;
}

/*
 * After an ioctl returned: every page below @size is readable and obeys
 * the rule (intact if this controller is the only one removing), through
 * the test's mapping and through pread(); allocated_bytes <= size.
 */
static void check_below(struct controller *c, uint64_t size, const char *op)
{
	struct race_state *s = c->s;
	enum race_rule rule = c->alone ? RACE_INTACT : RACE_LIVE;
	uint64_t nr_pages = size / s->psize;
	struct race_view map = { .map = c->map, .fd = -1 };
	struct race_view rd = { .fd = c->fd };
	char map_name[128], rd_name[128];
	long long alloc;
	long skipped;

	snprintf(map_name, sizeof(map_name), "after %s: mapping", op);
	snprintf(rd_name, sizeof(rd_name), "after %s: pread", op);
	map.name = map_name;
	rd.name = rd_name;
	skipped = race_check_pages(s, &map, 0, nr_pages, rule);
	if (skipped > 0 && c->alone)
		race_fail(s, "%s: %ld pages below the end (%llu) raised a signal",
			  map_name, skipped, (unsigned long long)size);
	skipped = race_check_pages(s, &rd, 0, nr_pages, rule);
	if (skipped > 0 && c->alone)
		race_fail(s, "%s: end of file before the end (%llu)", rd_name,
			  (unsigned long long)size);
	if (c->alone) {
		alloc = device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES);
		if (alloc < 0 || alloc > (long long)size)
			race_fail(s, "after %s: allocated_bytes %lld, size %llu",
				  op, alloc, (unsigned long long)size);
	}
}

/*
 * PUNCH kind @k of round @r, within [0, region): whole PMD-sized chunks,
 * ranges crossing a PMD boundary at odd pages, single pages, the head of
 * a chunk, and everything (reaching past the end).
 */
static void punch_range(struct controller *c, int r, int k, uint64_t *off,
			uint64_t *len)
{
	uint64_t ps = c->s->psize, chunks = c->region / pmd_bytes();
	uint64_t chunk = (uint64_t)(r / NR_KINDS) % chunks * pmd_bytes();

	switch (k) {
	case 0:
		*off = chunk;
		*len = pmd_bytes();
		break;
	case 1:
		*off = (uint64_t)(r / NR_KINDS) % (chunks - 1) * pmd_bytes() +
		       pmd_bytes() / 2 + ((r * 7) % 61 + 1) * ps;
		*len = pmd_bytes() + ((r * 13) % 67 + 1) * ps;
		break;
	case 2:
		*off = (uint64_t)(r * 389) % c->s->nr_pages * ps;
		*len = ps;
		break;
	case 3:
		*off = chunk;
		*len = ((r * 11) % 500 + 1) * ps;
		break;
	default:
		*off = 0;
		*len = 2 * c->region;
		break;
	}
}

/* RESIZE kind @k of round @r: the size to shrink to. */
static uint64_t shrink_size(struct controller *c, int r, int k)
{
	uint64_t ps = c->s->psize;

	switch (k) {
	case 0:	/* inside the third PMD-sized folio */
		return 3 * pmd_bytes() - ((r * 5) % 500 + 1) * ps;
	case 1:	/* at a folio boundary */
		return 2 * pmd_bytes();
	case 2:	/* inside the second */
		return pmd_bytes() + ((r * 3) % 510 + 1) * ps;
	case 3:
		return ps;
	default: /* inside the last one */
		return c->region - ((r * 17) % 511 + 1) * ps;
	}
}

static void do_punch(struct controller *c, int r)
{
	struct race_state *s = c->s;
	uint64_t done[RACE_MAX_WRITERS], off, len, end;
	char op[96];
	int err;

	punch_range(c, r, r % NR_KINDS, &off, &len);
	snprintf(op, sizeof(op), "round %d: PUNCH %#llx+%#llx", r,
		 (unsigned long long)off, (unsigned long long)len);
	race_before_removal(s, done);
	err = device_punch(c->fd, off, len);
	if (err) {
		race_fail(s, "%s: %s", op, strerror(-err));
		return;
	}
	end = off + len < c->region ? off + len : c->region;
	race_after_removal(s, off / s->psize, end / s->psize, done);
	check_below(c, c->region, op);
}

static void do_resize(struct controller *c, int r)
{
	struct race_state *s = c->s;
	uint64_t done[RACE_MAX_WRITERS], size;
	char op[96];
	int err;

	size = shrink_size(c, r, r % NR_KINDS);
	snprintf(op, sizeof(op), "round %d: RESIZE to %#llx", r,
		 (unsigned long long)size);
	race_before_removal(s, done);
	err = device_resize(c->fd, size);
	if (err) {
		race_fail(s, "%s: %s", op, strerror(-err));
		return;
	}
	race_after_removal(s, size / s->psize, s->nr_pages, done);
	race_check_past_end(s, c->map, c->fd, size, op);
	check_below(c, size, op);
	/* Only now can other writers store past the old end again. */
	race_wait_progress(s, 64, 2);
	snprintf(op, sizeof(op), "round %d: RESIZE back to %#llx", r,
		 (unsigned long long)c->region);
	err = device_resize(c->fd, c->region);
	if (err) {
		race_fail(s, "%s: %s", op, strerror(-err));
		return;
	}
	check_below(c, c->region, op);
}

static void *controller_fn(void *arg)
{
	struct controller *c = arg;
	int r;

	for (r = 0; r < MAX_ROUNDS && !race_failed(c->s); r++) {
		if (r >= NR_KINDS && now_s() > c->deadline)
			break;
		if (c->what == DO_PUNCH)
			do_punch(c, r);
		else
			do_resize(c, r);
		c->rounds++;
		race_wait_progress(c->s, c->s->nr_pages / 4, 5);
	}
	return NULL;
}

static void race_run(struct __test_metadata *_metadata, unsigned int what)
{
	size_t psize = page_bytes();
	uint64_t nr_pages = REGION / psize;
	struct race_writer writers[2];
	struct race_reader reader;
	struct controller ctl[2];
	struct mmapdemo_info info;
	struct race_state *s;
	pid_t children[NR_CHILDREN];
	int fd, i, nr_ctl = 0, status;
	double t_start = now_s(), t_race, t_final, t_end;
	long long alloc;
	char *map, *buf;
	long skipped;

	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	ASSERT_EQ(0, device_info_read(fd, &info));
	if (info.max_size < REGION)
		SKIP(return, "max_size %llu < %lu", info.max_size, REGION);
	ASSERT_EQ(0, device_resize(fd, REGION));
	s = race_state_new(nr_pages, NR_WRITERS, pattern_seed(_metadata->name));
	ASSERT_NE(NULL, s);

	/* Children first: a fork with threads running copies only one. */
	for (i = 0; i < NR_CHILDREN; i++) {
		children[i] = fork_tied_to_parent();
		ASSERT_LE(0, children[i]);
		if (children[i] == 0)
			_exit(child_run(s, 2 + i, REGION));
	}

	map = map_dev(_metadata, fd, REGION, PROT_READ | PROT_WRITE,
		      MAP_SHARED, 0);
	writers[0] = (struct race_writer){ .s = s, .id = 0, .map = map,
					   .fd = fd, .count = nr_pages,
					   .stride = 1 };
	/* Downwards, with pwrite(). */
	writers[1] = (struct race_writer){ .s = s, .id = 1, .fd = fd,
					   .count = nr_pages,
					   .stride = nr_pages - 1 };
	reader = (struct race_reader){ .s = s, .nr_views = 2 };
	reader.views[0] = (struct race_view){ .map = map, .fd = -1,
					      .end = nr_pages,
					      .name = "test's mapping" };
	reader.views[1] = (struct race_view){ .fd = fd, .end = nr_pages,
					      .name = "test's pread" };
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&writers[i].thread, NULL,
					    race_writer_fn, &writers[i]));
	ASSERT_EQ(0, pthread_create(&reader.thread, NULL, race_reader_fn,
				    &reader));
	EXPECT_TRUE(race_wait_count(&s->ready, 3 + 2 * NR_CHILDREN, 30));
	race_wait_progress(s, nr_pages / 4, 5);

	t_race = now_s();
	for (i = 0; i < 2; i++) {
		unsigned int bit = i ? DO_RESIZE : DO_PUNCH;

		if (!(what & bit))
			continue;
		ctl[nr_ctl++] = (struct controller){
			.s = s, .fd = fd, .map = map, .region = REGION,
			.what = bit, .alone = what == bit,
			.deadline = now_s() + CONTROL_S };
	}
	if (nr_ctl == 1) {
		controller_fn(&ctl[0]);
	} else {
		for (i = 0; i < nr_ctl; i++)
			ASSERT_EQ(0, pthread_create(&ctl[i].thread, NULL,
						    controller_fn, &ctl[i]));
		for (i = 0; i < nr_ctl; i++)
			pthread_join(ctl[i].thread, NULL);
	}

	/* Every writer stops; then the final rule, in every process. */
	t_final = now_s();
	EXPECT_TRUE(race_stop_writers(s, NR_WRITERS, 30)) {
		TH_LOG("writers did not stop: %d of %d", s->writers_stopped,
		       NR_WRITERS);
	}
	for (i = 0; i < 2; i++)
		pthread_join(writers[i].thread, NULL);
	EXPECT_EQ(REGION, (uint64_t)lseek(fd, 0, SEEK_END));
	race_set(s->final_check, 1);
	if (!race_failed(s)) {
		struct race_view views[2] = {
			{ .map = map, .fd = -1, .name = "end: test's mapping" },
			{ .fd = fd, .name = "end: test's pread" },
		};

		for (i = 0; i < 2; i++) {
			skipped = race_check_pages(s, &views[i], 0, nr_pages,
						   RACE_FINAL);
			EXPECT_EQ(0, skipped);
		}
	}
	EXPECT_TRUE(race_wait_count(&s->finished, NR_CHILDREN, 60));
	t_end = now_s();
	race_set(s->stop_readers, 1);
	pthread_join(reader.thread, NULL);
	for (i = 0; i < NR_CHILDREN; i++) {
		status = wait_timeout(children[i], 30);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			TH_LOG("child %d: status %#x", i + 1, status);
		}
	}

	TH_LOG("setup %.1f s, race %.1f s, final checks %.1f s",
	       t_race - t_start, t_final - t_race, t_end - t_final);
	for (i = 0; i < nr_ctl; i++)
		TH_LOG("%s: %d rounds", ctl[i].what == DO_PUNCH ? "PUNCH" :
		       "RESIZE", ctl[i].rounds);
	for (i = 0; i < NR_WRITERS; i++)
		TH_LOG("writer %d: %llu stores, %llu refused past the end", i,
		       (unsigned long long)s->done[i],
		       (unsigned long long)s->refused[i]);
	TH_LOG("%llu words checked, %llu page reads refused (past the end), %llu removals",
	       (unsigned long long)s->words_checked,
	       (unsigned long long)s->reads_refused,
	       (unsigned long long)s->removals);
	EXPECT_FALSE(race_failed(s)) {
		TH_LOG("%s", s->failure);
	}

	/* No leak: within the size, and nothing once all is punched. */
	alloc = device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES);
	TH_LOG("allocated_bytes %lld of %lu", alloc, REGION);
	EXPECT_LE(0, alloc);
	EXPECT_GE((long long)REGION, alloc);
	ASSERT_EQ(0, device_punch(fd, 0, REGION));
	EXPECT_EQ(0, device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	buf = malloc(REGION);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pread_all(fd, buf, REGION, 0));
	EXPECT_EQ(-1, bytes_mismatch(buf, REGION, 0));
	EXPECT_EQ(-1, bytes_mismatch(map, REGION, 0));
	free(buf);
	ASSERT_EQ(0, munmap(map, REGION));
	EXPECT_EQ(0, device_attr_read(MMAPDEMO_ATTR_VMAS));
	EXPECT_EQ(0, device_resize(fd, info.size));
	close(fd);
	race_state_free(s);
}

RACE_DEVICE_FIXTURE(race)

/*
 * The races run a fixed number of rounds, not for a fixed time: on the
 * debug kernel (KASAN, lockdep) under TCG the shrink race alone took 66 s,
 * and more with another VM beside it. The limits only catch a hang.
 */
TEST_F_TIMEOUT(race, punch_races_faults_and_writes, 300)
{
	race_run(_metadata, DO_PUNCH);
}

TEST_F_TIMEOUT(race, shrink_races_faults_and_writes, 300)
{
	race_run(_metadata, DO_RESIZE);
}

TEST_F_TIMEOUT(race, punch_and_resize_race_each_other, 300)
{
	race_run(_metadata, DO_PUNCH | DO_RESIZE);
}

TEST_HARNESS_MAIN
