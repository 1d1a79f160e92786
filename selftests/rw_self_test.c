// SPDX-License-Identifier: GPL-2.0
/*
 * Claim 17: read() into, and write() from, the device's own mapping.
 *
 * The user buffer of read()/write() may be a mapping of the very device
 * being read or written. Copying to/from it faults, and the fault handler
 * needs the device's pages: a driver holding a lock (or a locked folio)
 * across the copy deadlocks. Covered: different pages, the same pages,
 * overlapping ranges, and buffers on pages that are not allocated yet
 * (the fault then allocates while read()/write() is in progress; with
 * the same unallocated pages, write() and the fault want the same folio).
 *
 * One test per operation. The device is reloaded first, so "not
 * allocated" is known to hold; the operation runs in a child with alarm(),
 * and the parent waits a bounded time, so a deadlock fails the test
 * (naming the operation) instead of hanging it.
 *
 * Overlapping copies have memmove() results when the destination is below
 * the source (any forward copy, in any step size, gets that right). With
 * the destination above the source the result depends on the copy's step
 * size (per folio in the driver, then per CPU copy loop), as for memcpy():
 * those two only have to complete with the full count.
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
#include "child.h"
#include "module.h"
#include "fixture.h"

#define NR_CHUNKS	14
#define CHILD_ALARM_S	20
#define CHILD_WAIT_S	30

/*
 * Chunk roles; "pre" chunks are filled before the operations. A chunk is
 * 16 pages. The pre chunks lie side by side (their folios are allocated
 * by the filling); each fresh chunk starts a folio of its own, so that no
 * other chunk's use allocates it.
 */
enum {
	K_SRC,		/* pre: source of op 1 and 2 */
	K_W_DST,	/* fresh: write() destination, buffer elsewhere */
	K_R_DST,	/* fresh: read() destination buffer */
	K_HOLE_DST,	/* pre: buffer of a read() from a hole */
	K_HOLE,		/* fresh: that hole */
	K_ZERO_SRC,	/* fresh: buffer of a write() */
	K_ZERO_DST,	/* pre: destination of that write() */
	K_SAME,		/* pre: write()/read() with buffer == file range */
	K_SAME_W_NEW,	/* fresh: same, write() */
	K_SAME_R_NEW,	/* fresh: same, read() */
	K_OVL_W,	/* pre: overlapping write(), destination lower */
	K_OVL_R,	/* pre: overlapping read(), destination lower */
	K_OVL_W_UP,	/* pre: overlapping write(), destination higher */
	K_OVL_R_UP,	/* pre: overlapping read(), destination higher */
};

static const bool chunk_prefilled[NR_CHUNKS] = {
	[K_SRC] = true, [K_HOLE_DST] = true, [K_ZERO_DST] = true,
	[K_SAME] = true, [K_OVL_W] = true, [K_OVL_R] = true,
	[K_OVL_W_UP] = true, [K_OVL_R_UP] = true,
};

#define NR_OPS	12

struct rw_results {
	volatile int step;		/* operation in progress */
	volatile int done;
	ssize_t ret[NR_OPS];
	int err[NR_OPS];
};

static const char *const op_names[NR_OPS] = {
	"write() from other mapped pages into unallocated pages",
	"read() into unallocated mapped pages",
	"read() of a hole into mapped pages",
	"write() from unallocated mapped pages",
	"write() with buffer == same file range",
	"read() with buffer == same file range",
	"write() with buffer == same unallocated range",
	"read() with buffer == same unallocated range",
	"write() overlapping, destination lower",
	"read() overlapping, destination lower",
	"write() overlapping, destination higher",
	"read() overlapping, destination higher",
};

static uint64_t chunk_off[NR_CHUNKS];	/* device offset of each chunk */
static size_t chunk;	/* bytes per chunk: 16 pages */
static size_t n_io;	/* bytes per operation: 2 pages + 120 */
static size_t o_io;	/* unaligned start inside a chunk */
static size_t d_ovl;	/* overlap distance (< n_io) */

static uint64_t ch(int k)
{
	return chunk_off[k];
}

static uint64_t seed_of(int k)
{
	return 0x5e1f0000ULL + k;
}

/*
 * The operation starts with the child's page tables for the buffer
 * zapped (MADV_DONTNEED keeps the device's pages), so that its copy
 * faults even if the mapping was touched before.
 */
#define DO(i, call) do {				\
	r->step = (i);					\
	madvise(map, map_len, MADV_DONTNEED);		\
	errno = 0;					\
	r->ret[i] = (call);				\
	r->err[i] = errno;				\
} while (0)

/* The child: the operation takes its buffer from the mapping. */
static void run_op(int op, int fd, char *map, size_t map_len,
		   struct rw_results *r)
{
#define M(off) (map + ((off) - chunk_off[K_SRC]))
	size_t o = o_io, n = n_io, d = d_ovl;

	alarm(CHILD_ALARM_S);
	switch (op) {
	case 0:
		DO(0, pwrite(fd, M(ch(K_SRC) + o), n, ch(K_W_DST) + 2 * o));
		break;
	case 1:
		DO(1, pread(fd, M(ch(K_R_DST) + o), n, ch(K_SRC) + 3 * o));
		break;
	case 2:
		DO(2, pread(fd, M(ch(K_HOLE_DST) + o), n, ch(K_HOLE) + o));
		break;
	case 3:
		DO(3, pwrite(fd, M(ch(K_ZERO_SRC) + o), n, ch(K_ZERO_DST) + o));
		break;
	case 4:
		DO(4, pwrite(fd, M(ch(K_SAME) + o), n, ch(K_SAME) + o));
		break;
	case 5:
		DO(5, pread(fd, M(ch(K_SAME) + o), n, ch(K_SAME) + o));
		break;
	case 6:
		DO(6, pwrite(fd, M(ch(K_SAME_W_NEW) + o), n,
			     ch(K_SAME_W_NEW) + o));
		break;
	case 7:
		DO(7, pread(fd, M(ch(K_SAME_R_NEW) + o), n,
			    ch(K_SAME_R_NEW) + o));
		break;
	case 8:
		DO(8, pwrite(fd, M(ch(K_OVL_W) + o + d), n, ch(K_OVL_W) + o));
		break;
	case 9:
		DO(9, pread(fd, M(ch(K_OVL_R) + o), n, ch(K_OVL_R) + o + d));
		break;
	case 10:
		DO(10, pwrite(fd, M(ch(K_OVL_W_UP) + o), n,
			      ch(K_OVL_W_UP) + o + d));
		break;
	case 11:
		DO(11, pread(fd, M(ch(K_OVL_R_UP) + o + d), n,
			     ch(K_OVL_R_UP) + o));
		break;
	}
	alarm(0);
	r->done = 1;
#undef M
}

/*
 * -1 if the device holds at dev_off the bytes that pattern seed has at
 * src_off (zeros if seed is 0), else the index of the first wrong byte.
 */
static long dev_equals(int fd, uint64_t dev_off, size_t len,
		       uint64_t src_off, uint64_t seed)
{
	unsigned char *buf = malloc(len);
	long bad = -1;
	size_t i;

	if (!buf || pread_all(fd, buf, len, dev_off)) {
		free(buf);
		return 0;
	}
	for (i = 0; i < len && bad < 0; i++)
		if (buf[i] != (seed ? pattern_byte(seed, src_off + i) : 0))
			bad = i;
	free(buf);
	return bad;
}

/* The parts of chunk k outside [k + o, k + o + len) kept their pattern. */
static long rest_intact(int fd, int k, size_t o, size_t len)
{
	long bad = dev_equals(fd, ch(k), o, ch(k), seed_of(k));

	if (bad >= 0)
		return bad;
	bad = dev_equals(fd, ch(k) + o + len, chunk - o - len,
			 ch(k) + o + len, seed_of(k));
	return bad >= 0 ? (long)(o + len) + bad : -1;
}

/* Scheduler state letter of a task ('D' = uninterruptible), '?' if gone. */
static char task_state(pid_t pid)
{
	char path[64], *stat, *p, state = '?';

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	stat = read_text_file(path);
	if (!stat)
		return state;
	p = strrchr(stat, ')');
	if (p && p[1] == ' ')
		state = p[2];
	free(stat);
	return state;
}

/*
 * A fresh device (every chunk not filled here is unallocated), the
 * prefilled chunks written, the whole layout mapped, and a shared page
 * for the child's results.
 */
FIXTURE(rw_self) {
	int fd;
	char *map;
	size_t total;		/* bytes mapped, from chunk K_SRC on */
	struct rw_results *r;
};

FIXTURE_SETUP(rw_self)
{
	size_t psize = page_bytes(), folio = device_folio_bytes();
	size_t pre_len, fresh_stride, total;
	int k, nr_pre = 0, nr_fresh = 0;

	ASSERT_LT(0UL, folio);
	chunk = 16 * psize;
	n_io = 2 * psize + 120;
	o_io = 100;
	d_ovl = psize + 36;
	for (k = 0; k < NR_CHUNKS; k++)
		nr_pre += chunk_prefilled[k];
	pre_len = align_up(nr_pre * chunk, folio);
	fresh_stride = align_up(chunk, folio);
	total = pre_len + (NR_CHUNKS - nr_pre) * fresh_stride;
	for (k = 0, nr_pre = 0; k < NR_CHUNKS; k++) {
		if (chunk_prefilled[k])
			chunk_off[k] = nr_pre++ * chunk;
		else
			chunk_off[k] = pre_len + nr_fresh++ * fresh_stride;
	}
	ASSERT_LE(4 * o_io + n_io + d_ovl, chunk);

	/*
	 * Each fresh chunk has a folio of its own: with 32 MiB folios (16 KiB
	 * pages) that is more than the default 64 MiB, and the device grows.
	 */
	self->fd = device_fresh_len(_metadata, total);
	for (k = 0; k < NR_CHUNKS; k++) {
		if (!chunk_prefilled[k])
			continue;
		ASSERT_EQ(0, device_write_pattern_from(self->fd, chunk, ch(k),
						     seed_of(k), ch(k)));
	}
	/* Exactly the folios of the prefilled chunks are allocated. */
	ASSERT_EQ((long long)pre_len,
		  device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));

	self->total = total;
	self->map = map_dev(_metadata, self->fd, total,
			    PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	self->r = mmap(NULL, sizeof(*self->r), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->r);
	self->r->step = -1;
}

/*
 * In the parent, so that it also runs after a crash. The test's process
 * is gone by then, and its fd and mappings with it.
 */
FIXTURE_TEARDOWN_PARENT(rw_self)
{
	module_restore(false);
}

/*
 * Run operation @op in a child, with a bounded wait: a deadlock fails the
 * test, naming the operation and where the child waits. The operation
 * must complete with the full count.
 */
static void run_op_checked(struct __test_metadata *_metadata,
			   FIXTURE_DATA(rw_self) *self, int op)
{
	struct rw_results *r = self->r;
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		run_op(op, self->fd, self->map, self->total, r);
		_exit(0);
	}
	status = wait_timeout(pid, CHILD_WAIT_S);
	if (status == -1) {
		char path[64], *wchan;

		snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
		wchan = read_text_file(path);
		TH_LOG("child stuck in op %d (%s), task state %c, waiting in %s",
		       r->step, r->step >= 0 ? op_names[r->step] : "-",
		       task_state(pid), wchan ? wchan : "?");
		free(wchan);
		kill(pid, SIGKILL);
		/* Do not touch the device: it may be stuck too. */
		ASSERT_TRUE(false);
	}
	ASSERT_TRUE(WIFEXITED(status) && r->done) {
		TH_LOG("child %s in op %d (%s)",
		       WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM ?
		       "timed out (deadlock?)" : "died",
		       r->step, r->step >= 0 ? op_names[r->step] : "-");
	}
	EXPECT_EQ((ssize_t)n_io, r->ret[op]) {
		TH_LOG("op %d (%s): %s", op, op_names[op],
		       strerror(r->err[op]));
	}
}

/* 0: write() from pages of K_SRC into unallocated K_W_DST. */
TEST_F_TIMEOUT(rw_self, rw_self_write_from_mapping_into_unallocated, 60)
{
	size_t o = o_io;

	run_op_checked(_metadata, self, 0);
	EXPECT_EQ(-1, dev_equals(self->fd, ch(K_W_DST) + 2 * o, n_io,
				 ch(K_SRC) + o, seed_of(K_SRC)));
}

/* 1: read() of K_SRC into unallocated mapped K_R_DST. */
TEST_F_TIMEOUT(rw_self, rw_self_read_into_unallocated_mapping, 60)
{
	size_t o = o_io;

	run_op_checked(_metadata, self, 1);
	EXPECT_EQ(-1, dev_equals(self->fd, ch(K_R_DST) + o, n_io,
				 ch(K_SRC) + 3 * o, seed_of(K_SRC)));
}

/* 2: read() of a hole: zeros, the rest of the buffer chunk intact. */
TEST_F_TIMEOUT(rw_self, rw_self_read_hole_into_mapping, 60)
{
	size_t o = o_io, n = n_io;

	run_op_checked(_metadata, self, 2);
	EXPECT_EQ(-1, dev_equals(self->fd, ch(K_HOLE_DST) + o, n, 0, 0));
	EXPECT_EQ(-1, rest_intact(self->fd, K_HOLE_DST, o, n));
}

/* 3: write() from unallocated mapped pages: zeros. */
TEST_F_TIMEOUT(rw_self, rw_self_write_from_unallocated_mapping, 60)
{
	size_t o = o_io, n = n_io;

	run_op_checked(_metadata, self, 3);
	EXPECT_EQ(-1, dev_equals(self->fd, ch(K_ZERO_DST) + o, n, 0, 0));
	EXPECT_EQ(-1, rest_intact(self->fd, K_ZERO_DST, o, n));
	EXPECT_EQ(-1, dev_equals(self->fd, ch(K_ZERO_SRC), chunk, 0, 0));
}

/* 4: same range, allocated: unchanged. */
TEST_F_TIMEOUT(rw_self, rw_self_write_same_range, 60)
{
	run_op_checked(_metadata, self, 4);
	EXPECT_EQ(-1, dev_equals(self->fd, ch(K_SAME), chunk, ch(K_SAME),
				 seed_of(K_SAME)));
}

/* 5: same range, allocated: unchanged. */
TEST_F_TIMEOUT(rw_self, rw_self_read_same_range, 60)
{
	run_op_checked(_metadata, self, 5);
	EXPECT_EQ(-1, dev_equals(self->fd, ch(K_SAME), chunk, ch(K_SAME),
				 seed_of(K_SAME)));
}

/*
 * 6: same range, unallocated: write() and the fault want the same folio;
 * zeros (and nothing else).
 */
TEST_F_TIMEOUT(rw_self, rw_self_write_same_unallocated_range, 60)
{
	run_op_checked(_metadata, self, 6);
	EXPECT_EQ(-1, dev_equals(self->fd, ch(K_SAME_W_NEW), chunk, 0, 0));
}

/* 7: same range, unallocated: zeros (and nothing else). */
TEST_F_TIMEOUT(rw_self, rw_self_read_same_unallocated_range, 60)
{
	run_op_checked(_metadata, self, 7);
	EXPECT_EQ(-1, dev_equals(self->fd, ch(K_SAME_R_NEW), chunk, 0, 0));
}

/* 8: write() overlapping, destination lower: memmove() result. */
TEST_F_TIMEOUT(rw_self, rw_self_write_overlapping_dest_lower, 60)
{
	size_t o = o_io, n = n_io, d = d_ovl;

	run_op_checked(_metadata, self, 8);
	EXPECT_EQ(-1, dev_equals(self->fd, ch(K_OVL_W) + o, n,
				 ch(K_OVL_W) + o + d, seed_of(K_OVL_W)));
	EXPECT_EQ(-1, rest_intact(self->fd, K_OVL_W, o, n));
}

/* 9: read() overlapping, destination lower: memmove() result. */
TEST_F_TIMEOUT(rw_self, rw_self_read_overlapping_dest_lower, 60)
{
	size_t o = o_io, n = n_io, d = d_ovl;

	run_op_checked(_metadata, self, 9);
	EXPECT_EQ(-1, dev_equals(self->fd, ch(K_OVL_R) + o, n,
				 ch(K_OVL_R) + o + d, seed_of(K_OVL_R)));
	EXPECT_EQ(-1, rest_intact(self->fd, K_OVL_R, o, n));
}

/*
 * 10, 11: destination higher: only the parts outside the destination are
 * defined.
 */
TEST_F_TIMEOUT(rw_self, rw_self_write_overlapping_dest_higher, 60)
{
	run_op_checked(_metadata, self, 10);
	EXPECT_EQ(-1, rest_intact(self->fd, K_OVL_W_UP, o_io + d_ovl, n_io));
}

TEST_F_TIMEOUT(rw_self, rw_self_read_overlapping_dest_higher, 60)
{
	run_op_checked(_metadata, self, 11);
	EXPECT_EQ(-1, rest_intact(self->fd, K_OVL_R_UP, o_io + d_ovl, n_io));
}

TEST_HARNESS_MAIN
