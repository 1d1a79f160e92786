// SPDX-License-Identifier: GPL-2.0
/*
 * Module unload racing the release of the last user of the device.
 *
 * A holder (a child process, or threads of the test) keeps the device busy
 * with its last mapping or its last open file, uses it (faults through the
 * driver's handler, reads and writes) and then lets it go, while the test
 * calls delete_module(O_NONBLOCK) in a loop from the moment it told the
 * holder to start. The claims:
 *   - while the holder has not begun to release, unloading fails with
 *     EWOULDBLOCK (== EAGAIN), and nothing else;
 *   - an unload that succeeds does so only after the holder began its last
 *     munmap()/close() (it says so in shared memory right before the call);
 *   - once those calls have returned, the next unload succeeds: nothing
 *     else pins the module (the file's release ran before the syscall
 *     returned);
 *   - the holder's data were right all along, and the kernel log stays
 *     clean (vm-run fails the run on any splat);
 *   - afterwards `mmapdemo-ctl load -m "$MMAPDEMO_KO" $MMAPDEMO_MODULE_ARGS`
 *     works and gives the run's device again, fresh.
 * Each test runs ROUNDS rounds; the holder waits a different while before
 * letting go, from not at all to some thousands of page faults.
 *
 * unload_races_last_munmap: a child holds only a mapping (its fd closed).
 * unload_races_last_close: a child holds only an open file.
 * unload_races_thread_munmap_and_close: one thread of the test holds only
 *   a mapping, another one an open file; both let go at once.
 *
 * The fixture teardown (in the parent, so also after a crash) loads the
 * module again with the run's arguments if a failure left it unloaded.
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
#include "module.h"
#include "race.h"

#define ROUNDS		6
#define MAP_LEN		pmd_bytes()
#define HANG_S		40.0	/* a hang guard, never reached when it works */

/* Shared between the test and the holders. */
struct holders {
	int ready;		/* holders set up and waiting */
	int go;			/* the test starts unloading now */
	int releasing;		/* bits: holder about to release */
	int released;		/* bits: its release call returned */
	int failed;		/* bits: holder saw wrong data */
	uint64_t seed;
	int spins;		/* uses of the device before letting go */
};

FIXTURE(unload_race) {
	size_t size;
	long long order;
};

FIXTURE_SETUP(unload_race)
{
	ASSERT_NE(NULL, getenv("MMAPDEMO_KO")) {
		TH_LOG("the VM harness must export MMAPDEMO_KO");
	}
	ASSERT_TRUE(module_loaded());
	self->size = device_size();
	self->order = device_attr_read(MMAPDEMO_ATTR_FOLIO_ORDER);
	ASSERT_LE(MAP_LEN, self->size);
}

FIXTURE_TEARDOWN_PARENT(unload_race)
{
	module_ensure_loaded();
}

static void wait_go(struct holders *h)
{
	while (!race_get(h->go))
		sched_yield();
}

/*
 * Use a mapping @spins times: drop a page from it (MADV_DONTNEED) and
 * read it back, which faults through the driver. False on wrong data.
 */
static bool use_mapping(char *map, uint64_t seed, int spins)
{
	size_t psize = page_bytes(), off;
	int i;

	for (i = 0; i < spins; i++) {
		off = (size_t)i * 7 % (MAP_LEN / psize) * psize;
		if (madvise(map + off, psize, MADV_DONTNEED))
			return false;
		if (pattern_mismatch_from(map + off, psize, seed, off) >= 0)
			return false;
	}
	return true;
}

/* Use an open file @spins times: read back a page of the pattern. */
static bool use_file(int fd, uint64_t seed, int spins)
{
	size_t psize = page_bytes(), off;
	int i;

	for (i = 0; i < spins; i++) {
		off = (size_t)i * 7 % (MAP_LEN / psize) * psize;
		if (device_pattern_mismatch_from(fd, psize, off, seed, off) != -1)
			return false;
	}
	return true;
}

/* Holder @bit with only a mapping: map, fill, close the fd, wait, unmap. */
static void hold_mapping(struct holders *h, int bit)
{
	int fd = device_open(O_RDWR | O_CLOEXEC);
	char *map;

	if (fd < 0) {
		__atomic_or_fetch(&h->failed, bit, __ATOMIC_SEQ_CST);
		race_inc(h->ready);
		return;
	}
	map = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		__atomic_or_fetch(&h->failed, bit, __ATOMIC_SEQ_CST);
		race_inc(h->ready);
		return;
	}
	pattern_fill(map, MAP_LEN, h->seed);
	race_inc(h->ready);
	wait_go(h);
	if (!use_mapping(map, h->seed, h->spins))
		__atomic_or_fetch(&h->failed, bit, __ATOMIC_SEQ_CST);
	__atomic_or_fetch(&h->releasing, bit, __ATOMIC_SEQ_CST);
	if (munmap(map, MAP_LEN))
		__atomic_or_fetch(&h->failed, bit, __ATOMIC_SEQ_CST);
	__atomic_or_fetch(&h->released, bit, __ATOMIC_SEQ_CST);
}

/* Holder @bit with only an open file: write, wait, read, close. */
static void hold_file(struct holders *h, int bit)
{
	int fd = device_open(O_RDWR | O_CLOEXEC);

	if (fd < 0 || device_write_pattern(fd, MAP_LEN, 0, h->seed)) {
		__atomic_or_fetch(&h->failed, bit, __ATOMIC_SEQ_CST);
		race_inc(h->ready);
		return;
	}
	race_inc(h->ready);
	wait_go(h);
	if (!use_file(fd, h->seed, h->spins))
		__atomic_or_fetch(&h->failed, bit, __ATOMIC_SEQ_CST);
	__atomic_or_fetch(&h->releasing, bit, __ATOMIC_SEQ_CST);
	if (close(fd))
		__atomic_or_fetch(&h->failed, bit, __ATOMIC_SEQ_CST);
	__atomic_or_fetch(&h->released, bit, __ATOMIC_SEQ_CST);
}

static void *hold_mapping_fn(void *arg)
{
	hold_mapping(arg, 1);
	return NULL;
}

static void *hold_file_fn(void *arg)
{
	hold_file(arg, 2);
	return NULL;
}

/*
 * Tell the holders (@all: their bits) to go, and unload until it works.
 * Each attempt is judged by what the holders had said before it began.
 */
static void unload_race(struct __test_metadata *_metadata, struct holders *h,
			int all)
{
	double deadline;
	long busy = 0;
	int err, released;

	/* Holding, not releasing: the module is pinned. */
	ASSERT_EQ(-EWOULDBLOCK, module_delete());
	race_set(h->go, 1);
	deadline = now_s() + HANG_S;
	for (;;) {
		released = race_get(h->released);
		err = module_delete();
		if (!err)
			break;
		ASSERT_EQ(-EWOULDBLOCK, err) {
			TH_LOG("delete_module: %s", strerror(-err));
		}
		/* Their munmap()/close() returned: nothing may pin it now. */
		ASSERT_NE(all, released) {
			TH_LOG("still in use after the last release returned");
		}
		busy++;
		ASSERT_GT(deadline, now_s()) {
			TH_LOG("holders did not let go in %.0f s (%#x)", HANG_S,
			       race_get(h->releasing));
		}
		/*
		 * While the holders still use the device: bursts of attempts
		 * and pauses (a thread of the same process spinning on the
		 * CPU makes every TLB flush of the holder threads wait for an
		 * IPI to it). Once all release: no pause, to hit the moment.
		 */
		if (busy % 16 == 0 && race_get(h->releasing) != all)
			usleep(200);
	}
	/*
	 * Unloaded only once every holder had begun to let go: it says so
	 * before its munmap()/close(), whose release the unload waited for.
	 */
	EXPECT_EQ(all, race_get(h->releasing)) {
		TH_LOG("unloaded while a holder still held the device (released %#x)",
		       race_get(h->released));
	}
	EXPECT_FALSE(module_loaded());
	errno = 0;
	EXPECT_EQ(-1, open(MMAPDEMO_DEVICE_PATH, O_RDWR));
	EXPECT_EQ(ENOENT, errno);
	TH_LOG("spins %d: unloaded after %ld busy attempts", h->spins, busy);
}

/* Load the module again with the run's arguments: the run's device. */
static void reload(struct __test_metadata *_metadata,
		   FIXTURE_DATA(unload_race) *self)
{
	char out[512];

	ASSERT_EQ(0, module_load(NULL, out, sizeof(out))) {
		TH_LOG("mmapdemo-ctl load: %s", out);
	}
	EXPECT_EQ(self->size, device_size());
	EXPECT_EQ(self->order, device_attr_read(MMAPDEMO_ATTR_FOLIO_ORDER));
	EXPECT_EQ(0, device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	EXPECT_EQ(0, device_attr_read(MMAPDEMO_ATTR_VMAS));
}

static struct holders *holders_new(struct __test_metadata *_metadata,
				   int round)
{
	struct holders *h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, h);
	h->seed = pattern_seed(__func__) + round;
	/* 0, 100, 1000, 0, 100, 1000 faults or reads before letting go. */
	h->spins = round % 3 == 0 ? 0 : round % 3 == 1 ? 100 : 1000;
	return h;
}

/* A child process as the only holder; hold() does the holding. */
static void child_rounds(struct __test_metadata *_metadata,
			 FIXTURE_DATA(unload_race) *self,
			 void (*hold)(struct holders *, int))
{
	struct holders *h;
	int round, status;
	pid_t pid;

	for (round = 0; round < ROUNDS; round++) {
		h = holders_new(_metadata, round);
		pid = fork_tied_to_parent();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			hold(h, 1);
			_exit(h->failed ? 1 : 0);
		}
		ASSERT_TRUE(race_wait_count(&h->ready, 1, HANG_S));
		ASSERT_EQ(0, h->failed);
		unload_race(_metadata, h, 1);
		status = wait_timeout(pid, HANG_S);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			TH_LOG("holder: status %#x", status);
		}
		reload(_metadata, self);
		munmap(h, sizeof(*h));
	}
}

TEST_F_TIMEOUT(unload_race, unload_races_last_munmap, 120)
{
	child_rounds(_metadata, self, hold_mapping);
}

TEST_F_TIMEOUT(unload_race, unload_races_last_close, 120)
{
	child_rounds(_metadata, self, hold_file);
}

TEST_F_TIMEOUT(unload_race, unload_races_thread_munmap_and_close, 120)
{
	pthread_t mapper, opener;
	struct holders *h;
	int round;

	for (round = 0; round < ROUNDS; round++) {
		h = holders_new(_metadata, round);
		ASSERT_EQ(0, pthread_create(&mapper, NULL, hold_mapping_fn, h));
		ASSERT_EQ(0, pthread_create(&opener, NULL, hold_file_fn, h));
		ASSERT_TRUE(race_wait_count(&h->ready, 2, HANG_S));
		ASSERT_EQ(0, h->failed);
		unload_race(_metadata, h, 3);
		pthread_join(mapper, NULL);
		pthread_join(opener, NULL);
		EXPECT_EQ(0, h->failed);
		reload(_metadata, self);
		munmap(h, sizeof(*h));
	}
}

TEST_HARNESS_MAIN
