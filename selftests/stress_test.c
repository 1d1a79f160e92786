// SPDX-License-Identifier: GPL-2.0
/*
 * Random-operation stress of /dev/mmapdemo, checked against a shadow model.
 *
 * Workers (--procs processes of --threads threads) apply seeded random
 * operations: open/close with good and bad flags; mmap, munmap, mremap,
 * mprotect, madvise, msync, mlock; fork (the child runs operations of its
 * own on the inherited fds and mappings); read/write in all their forms;
 * lseek; the INFO, RESIZE and PUNCH ioctls and unknown ones; loads and
 * stores through the mappings. Arguments are valid or invalid on purpose
 * (bad flags, reserved bits, NULL and unmapped pointers, offsets that are
 * negative, past the end or overflowing).
 *
 * Every result is checked:
 *  - an error against what the kernel and the driver document (README.md,
 *    driver/uapi/mmapdemo.h);
 *  - every byte read, by a syscall or through a mapping, against a model
 *    of the device: its size, the writes, PUNCH -> zeros, shrink then grow
 *    -> zeros. A MAP_PRIVATE page shows the device until it is written
 *    privately, then its own copy; the copy survives PUNCH but not a
 *    shrink past it (SIGBUS, then the device again after a grow);
 *  - every access past the end of the device must raise SIGBUS, every
 *    access against the protection SIGSEGV (probed with guarded_copy()).
 *
 * Concurrency keeps the model exact: the device is cut into one slice per
 * worker. An operation that only reads or writes its worker's own slice
 * (a PUNCH of it too) runs under a shared lock, so workers really run in
 * parallel, in the same folios, faulting pages of each other's slices into
 * their mappings while those are written or punched; anything else (other
 * slices, RESIZE, fork, verification) runs under the exclusive lock. A
 * worker never checks bytes another worker may be changing, so a
 * difference is a bug, never a race of the test.
 *
 * The run is cut into epochs; each starts from a zeroed device (shrink to
 * one page, punch it, grow) and empty tables. Every operation is logged
 * with all its arguments, in lock order; on a finding the log of the
 * epoch is printed ("# REPLAY-LOG: " lines) and written to a file, and
 * --replay FILE runs it again, in one thread, in the same order.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "mmapdemo.h"
#include "access.h"
#include "attr.h"
#include "pattern.h"
#include "sizes.h"

#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED	24
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT		1
#endif
#ifndef RWF_NOWAIT
#define RWF_NOWAIT		0x00000008
#endif
#ifndef RWF_APPEND
#define RWF_APPEND		0x00000010
#endif
#define RWF_UNKNOWN		0x10000000	/* no such flag */
#ifndef fallthrough
#define fallthrough		__attribute__((__fallthrough__))
#endif

#define NFD			6	/* fd slots per worker */
#define NMAP			8	/* mapping slots per worker */
#define MAX_WORKERS		16
#define MAX_PIDS		(2 * MAX_WORKERS + 1)
#define SHRINK_RING		65536
#define MAX_SHOWN_FINDINGS	10
#define USER_TOP		(1UL << 47)	/* x86-64 4-level TASK_SIZE */

#define DEFAULT_OPS		15000
#define DEFAULT_EPOCH_OPS	400	/* per worker */
#define DEFAULT_REPLAY_FILE	"/tmp/stress_test.replay"
#define REPLAY_PREFIX		"# REPLAY-LOG: "

/* Operation kinds; the ones before NR_TESTED each get a TAP result. */
enum kind {
	K_OPEN, K_CLOSE, K_MMAP, K_MUNMAP, K_MREMAP, K_MPROTECT, K_MADVISE,
	K_MSYNC, K_MLOCK, K_FORK, K_READ, K_WRITE, K_LSEEK, K_INFO, K_RESIZE,
	K_PUNCH, K_IOCTL_BAD, K_MAP_READ, K_MAP_WRITE, K_VERIFY,
	NR_TESTED,
	K_EPOCH = NR_TESTED, K_CLEANUP, K_FORK_END, K_CHILD_EXIT,
	NR_KINDS
};

static const char *const kind_name[NR_KINDS] = {
	"open", "close", "mmap", "munmap", "mremap", "mprotect", "madvise",
	"msync", "mlock", "fork", "read", "write", "lseek", "ioctl_info",
	"ioctl_resize", "ioctl_punch", "ioctl_bad", "map_read", "map_write",
	"verify", "epoch", "cleanup", "fork_end", "child_exit",
};

/* Relative frequencies of the kinds a worker picks. */
static const unsigned int kind_weight[NR_TESTED] = {
	[K_OPEN] = 40, [K_CLOSE] = 22, [K_MMAP] = 75, [K_MUNMAP] = 35,
	[K_MREMAP] = 35, [K_MPROTECT] = 40, [K_MADVISE] = 50, [K_MSYNC] = 25,
	[K_MLOCK] = 30, [K_FORK] = 6, [K_READ] = 110, [K_WRITE] = 110,
	[K_LSEEK] = 35, [K_INFO] = 20, [K_RESIZE] = 18, [K_PUNCH] = 30,
	[K_IOCTL_BAD] = 12, [K_MAP_READ] = 130, [K_MAP_WRITE] = 130,
	[K_VERIFY] = 2,
};

/* How an fd was opened. */
enum fd_mode { FM_RD, FM_WR, FM_RDWR, FM_NOACC, FM_PATH };

/* Per-page state of a MAP_PRIVATE mapping. */
enum page_state {
	PS_FOLLOW,	/* never written privately: shows the device */
	PS_COW,		/* the private copy in cow[] */
	PS_UNKNOWN,	/* copied, content not known: not checked */
};

/* K_VERIFY: everything, or all but the device content. */
enum { VV_FULL, VV_OWN };

/* Outcome of one access: 0 or the signal it raised. */
#define ACC_OK		0
#define ACC_SEGV	SIGSEGV
#define ACC_BUS		SIGBUS

/* One logged operation: everything needed to run it again. */
struct op {
	uint32_t idx;		/* position in the epoch's log */
	uint16_t worker;
	uint8_t depth;		/* 1 in a fork child */
	uint8_t kind;
	uint32_t variant;
	uint8_t excl;		/* ran under the exclusive lock */
	uint8_t skipped;	/* not applicable in the state met */
	uint8_t expect_err;	/* an error was the expected result */
	uint8_t pad;
	uint64_t a[6];
	int64_t ret;
	int32_t err;
	int32_t pad2;
};

struct fd_slot {
	int fd;			/* -1: free */
	int mode;		/* enum fd_mode */
	int64_t pos;		/* the file position, as the model has it */
	bool inherited;		/* fork child: the parent's open file */
};

struct mapping {
	char *addr;		/* NULL: free slot */
	uint64_t npages;
	uint64_t pgoff;		/* device page of the first page */
	bool shared;
	bool fd_writable;	/* the fd allowed shared writes */
	bool fragmented;	/* partial mprotect: may be several VMAs */
	uint8_t *prot;		/* per page PROT_NONE/READ/READ|WRITE */
	uint8_t *state;		/* per page enum page_state (private) */
	uint8_t **cow;		/* per page private copy (private) */
};

struct worker {
	int id;
	int depth;
	uint64_t rng;
	uint64_t sl_lo, sl_hi;	/* own slice of the device, in pages */
	uint64_t shrink_seen;
	struct fd_slot fds[NFD];
	struct mapping maps[NMAP];
	int vfd;		/* O_RDWR fd of its own, for checks */
	uint8_t *buf, *buf2;	/* scratch, buf_size bytes each */
	uint8_t *guard;		/* a RW page, then a PROT_NONE page */
	struct iovec *iov_many;	/* IOV_MAX + 1 entries */
	struct op *cur;		/* the operation running */
	pid_t child;		/* fork child being waited for */
	int child_status;
	bool child_reaped;
	bool is_child;		/* this process is that fork child */
	bool just_forked;
};

/* Everything the processes share. */
struct shared {
	pthread_rwlock_t lock;
	uint64_t size;		/* device size in bytes, as modelled */
	uint64_t arena;		/* bytes the model covers; size <= arena */
	uint64_t max_size;
	uint32_t folio_order;
	uint32_t nworkers;
	uint32_t barrier_count, barrier_gen;
	uint32_t stop;
	uint32_t findings;
	uint32_t log_n, log_cap, log_lost;
	uint32_t cursor;	/* replay: next record to run */
	uint32_t epoch;
	uint64_t start_ns, progress_ns;	/* for the progress lines */
	uint64_t shrink_seq;
	uint64_t count[NR_KINDS], errs[NR_KINDS], kind_findings[NR_KINDS];
	uint64_t nsecs[NR_KINDS];	/* time spent running each kind */
	pid_t pids[MAX_PIDS];	/* processes that may map the device */
	int64_t child_fpos[MAX_WORKERS][NFD];
	char first_finding[1024];
	uint64_t shrink_ring[SHRINK_RING];	/* device pages after a shrink */
};

static struct shared *sh;
static uint8_t *model;		/* device content, sh->arena bytes */
static struct op *oplog;	/* the epoch's operations */
static uint64_t buf_size;
static uint8_t *zero_page;	/* one page of zeros */
/* The page size (page_bytes()): every size and offset here is in it. */
static uint64_t pg;
static struct worker *ctx[MAX_WORKERS];

static struct {
	uint64_t seed;
	uint64_t ops;
	unsigned int threads, procs;
	uint64_t epoch_ops;
	uint64_t arena;
	const char *log;
	const char *replay;
} opt = {
	.ops = DEFAULT_OPS,
	.threads = 2,
	.procs = 2,
	.epoch_ops = DEFAULT_EPOCH_OPS,
};

/* The device bytes the workers use unless --arena says. */
static uint64_t default_arena(void)
{
	return 6 * 1024 * 1024 + 12 * pg;
}

static inline uint64_t umin(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t umax(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* --- random numbers (splitmix64: tiny, good enough, deterministic) --- */

static uint64_t rnd(struct worker *w, uint64_t n)
{
	return n ? splitmix64_next(&w->rng) % n : 0;
}

static bool chance(struct worker *w, unsigned int percent)
{
	return rnd(w, 100) < percent;
}

/* The bytes a write with pattern @seed puts at [0, n). */
static void fill_pattern(uint8_t *p, uint64_t n, uint64_t seed)
{
	uint64_t s = seed ^ 0x6a09e667f3bcc908ULL, v, i;

	for (i = 0; i + 8 <= n; i += 8) {
		v = splitmix64_next(&s);
		memcpy(p + i, &v, 8);
	}
	if (i < n) {
		v = splitmix64_next(&s);
		memcpy(p + i, &v, n - i);
	}
}

/* --- output --- */

/* One line to stdout with one write(), so processes do not interleave. */
static void __printf(1, 2) say(const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	ssize_t r;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	if (!n || line[n - 1] != '\n')
		line[n++] = '\n';
	r = write(STDOUT_FILENO, line, n);
	(void)r;
}

static const char *errname(int err)
{
	const char *name = err ? strerrorname_np(err) : "success";

	return name ? name : "unknown errno";
}

static const char *accname(int acc)
{
	return acc == ACC_OK ? "no signal" : acc == ACC_BUS ? "SIGBUS" :
	       acc == ACC_SEGV ? "SIGSEGV" : "another signal";
}

static int format_op(const struct op *op, char *s, size_t n)
{
	return snprintf(s, n,
			"%u %u %u %s %u %#" PRIx64 " %#" PRIx64 " %#" PRIx64
			" %#" PRIx64 " %#" PRIx64 " %#" PRIx64
			" # ret=%" PRId64 " %s%s%s",
			op->idx, op->worker, op->depth, kind_name[op->kind],
			op->variant, op->a[0], op->a[1], op->a[2], op->a[3],
			op->a[4], op->a[5], op->ret,
			op->ret < 0 ? errname(op->err) : "",
			op->excl ? " excl" : "", op->skipped ? " skipped" : "");
}

/*
 * A difference between the device and the model, or an unexpected
 * result: print it with the operation, and stop the run (the model is
 * no longer trustworthy after it).
 */
static void __printf(2, 3) finding(struct worker *w, const char *fmt, ...)
{
	struct op *op = w->cur;
	char msg[800], opline[300];
	unsigned int n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = __atomic_add_fetch(&sh->findings, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
	if (op)
		__atomic_add_fetch(&sh->kind_findings[op->kind], 1,
				   __ATOMIC_RELAXED);
	if (n > MAX_SHOWN_FINDINGS)
		return;
	opline[0] = 0;
	if (op)
		format_op(op, opline, sizeof(opline));
	say("# FINDING %u: epoch %u, op %u (worker %d%s, %s variant %u): %s",
	    n, sh->epoch, op ? op->idx : 0, w->id,
	    w->depth ? " fork child" : "", op ? kind_name[op->kind] : "-",
	    op ? op->variant : 0, msg);
	say("#   op: %s", opline);
	if (n == 1)
		snprintf(sh->first_finding, sizeof(sh->first_finding),
			 "epoch %u op %u (%s): %s", sh->epoch,
			 op ? op->idx : 0, op ? kind_name[op->kind] : "-", msg);
}

static bool stopped(void)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_RELAXED);
}

/*
 * Check a syscall result. @ret < 0 means it failed with @err; @expect is
 * the errno it must fail with (0: it must succeed), @alt another errno
 * that is correct too (0: none).
 */
static bool check_result(struct worker *w, const char *what, long ret,
			 int err, int expect, int alt)
{
	w->cur->ret = ret;
	w->cur->err = ret < 0 ? err : 0;
	if (expect)
		w->cur->expect_err = 1;
	if (!expect) {
		if (ret < 0) {
			finding(w, "%s failed with %s, expected success", what,
				errname(err));
			return false;
		}
		return true;
	}
	if (ret >= 0) {
		finding(w, "%s succeeded (%ld), expected %s", what, ret,
			errname(expect));
		return false;
	}
	if (err != expect && err != alt) {
		finding(w, "%s failed with %s, expected %s", what,
			errname(err), errname(expect));
		return false;
	}
	return true;
}

/* --- the model of the device --- */

static uint64_t cur_size(void)
{
	return __atomic_load_n(&sh->size, __ATOMIC_ACQUIRE);
}

static uint64_t size_pages(void)
{
	return cur_size() / pg;
}

static uint64_t arena_pages(void)
{
	return sh->arena / pg;
}

/* Device bytes [off, off + n) as the model has them (zeros past it). */
static void model_get(uint64_t off, uint8_t *dst, uint64_t n)
{
	if (off < sh->arena) {
		uint64_t k = umin(n, sh->arena - off);

		memcpy(dst, model + off, k);
		dst += k;
		n -= k;
	}
	memset(dst, 0, n);
}

static const uint8_t *model_page(uint64_t page)
{
	return page < arena_pages() ? model + page * pg : zero_page;
}

static void model_put(uint64_t off, const uint8_t *src, uint64_t n)
{
	if (off >= sh->arena)
		return;
	memcpy(model + off, src, umin(n, sh->arena - off));
}

static void model_zero(uint64_t off, uint64_t n)
{
	if (off >= sh->arena)
		return;
	memset(model + off, 0, umin(n, sh->arena - off));
}

/* Does device page range [first, first + n) reach into another slice? */
static bool dev_foreign(struct worker *w, uint64_t first, uint64_t n)
{
	uint64_t end = size_pages(), last;

	if (first >= end || !n)
		return false;
	last = n > end - first ? end : first + n;
	return first < w->sl_lo || last > w->sl_hi;
}

static bool byte_foreign(struct worker *w, int64_t pos, uint64_t count)
{
	uint64_t first, last;

	if (pos < 0 || !count)
		return false;
	first = (uint64_t)pos / pg;
	last = ((uint64_t)pos + umin(count, buf_size) + pg - 1) / pg;
	return dev_foreign(w, first, last - first);
}

/* --- the per-worker tables --- */

static struct fd_slot *fd_at(struct worker *w, uint64_t slot)
{
	return slot < NFD && w->fds[slot].fd >= 0 ? &w->fds[slot] : NULL;
}

static struct mapping *map_at(struct worker *w, uint64_t slot)
{
	return slot < NMAP && w->maps[slot].addr ? &w->maps[slot] : NULL;
}

static bool readable(int mode)
{
	return mode == FM_RD || mode == FM_RDWR;
}

static bool writable(int mode)
{
	return mode == FM_WR || mode == FM_RDWR;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		say("# stress_test: out of memory");
		abort();
	}
	return p;
}

static void map_init(struct mapping *m, char *addr, uint64_t npages,
		     uint64_t pgoff, bool shared, int prot, bool fd_writable)
{
	memset(m, 0, sizeof(*m));
	m->addr = addr;
	m->npages = npages;
	m->pgoff = pgoff;
	m->shared = shared;
	m->fd_writable = fd_writable;
	m->prot = xcalloc(npages, 1);
	m->state = xcalloc(npages, 1);
	m->cow = xcalloc(npages, sizeof(*m->cow));
	memset(m->prot, prot, npages);
}

static void map_release(struct mapping *m)
{
	uint64_t i;

	for (i = 0; i < m->npages; i++)
		free(m->cow[i]);
	free(m->prot);
	free(m->state);
	free(m->cow);
	memset(m, 0, sizeof(*m));
}

/* Keep pages [first, first + n) of @m, which stays where they are. */
static void map_keep(struct mapping *m, uint64_t first, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < m->npages; i++)
		if (i < first || i >= first + n) {
			free(m->cow[i]);
			m->cow[i] = NULL;
		}
	memmove(m->prot, m->prot + first, n);
	memmove(m->state, m->state + first, n);
	memmove(m->cow, m->cow + first, n * sizeof(*m->cow));
	m->addr += first * pg;
	m->pgoff += first;
	m->npages = n;
}

/* Move pages [first, npages) of @m into the free slot @to. */
static void map_split(struct mapping *m, uint64_t first, struct mapping *to)
{
	uint64_t n = m->npages - first;

	map_init(to, m->addr + first * pg, n, m->pgoff + first, m->shared, 0,
		 m->fd_writable);
	to->fragmented = m->fragmented;
	memcpy(to->prot, m->prot + first, n);
	memcpy(to->state, m->state + first, n);
	memcpy(to->cow, m->cow + first, n * sizeof(*m->cow));
	memset(m->cow + first, 0, n * sizeof(*m->cow));
	m->npages = first;
}

/* Page @i of private @m gets its own copy, as a write fault makes one. */
static void cow_take(struct mapping *m, uint64_t i)
{
	if (m->shared || m->state[i] != PS_FOLLOW)
		return;
	m->cow[i] = xcalloc(1, pg);
	memcpy(m->cow[i], model_page(m->pgoff + i), pg);
	m->state[i] = PS_COW;
}

static void cow_drop(struct mapping *m, uint64_t i)
{
	free(m->cow[i]);
	m->cow[i] = NULL;
	m->state[i] = PS_FOLLOW;
}

/* A shrink to @pages took every private copy past it (even_cows). */
static void apply_shrink(struct worker *w, uint64_t pages)
{
	int s;

	for (s = 0; s < NMAP; s++) {
		struct mapping *m = map_at(w, s);
		uint64_t i;

		if (!m || m->shared)
			continue;
		for (i = 0; i < m->npages; i++)
			if (m->pgoff + i >= pages && m->state[i] != PS_FOLLOW)
				cow_drop(m, i);
	}
}

/* Catch up with the shrinks other workers did since we last looked. */
static void sync_shrinks(struct worker *w)
{
	uint64_t seq = __atomic_load_n(&sh->shrink_seq, __ATOMIC_ACQUIRE);
	uint64_t s;
	int k;

	if (seq == w->shrink_seen)
		return;
	if (seq - w->shrink_seen > SHRINK_RING) {
		/* Missed some: nothing private is known any more. */
		for (k = 0; k < NMAP; k++) {
			struct mapping *m = map_at(w, k);
			uint64_t i;

			for (i = 0; m && !m->shared && i < m->npages; i++)
				if (m->state[i] == PS_COW) {
					free(m->cow[i]);
					m->cow[i] = NULL;
					m->state[i] = PS_UNKNOWN;
				}
		}
		apply_shrink(w, size_pages());
	} else {
		for (s = w->shrink_seen + 1; s <= seq; s++)
			apply_shrink(w, sh->shrink_ring[s % SHRINK_RING]);
	}
	w->shrink_seen = seq;
}

/* Under the exclusive lock: the device is now @bytes; tell everyone. */
static void set_size(struct worker *w, uint64_t bytes)
{
	uint64_t old = sh->size;

	if (bytes < old) {
		uint64_t seq = sh->shrink_seq + 1;

		model_zero(bytes, old - bytes);
		sh->shrink_ring[seq % SHRINK_RING] = bytes / pg;
		__atomic_store_n(&sh->shrink_seq, seq, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&sh->size, bytes, __ATOMIC_RELEASE);
	sync_shrinks(w);
}

/* What a load (or store) of page @i of @m must do. */
static int expect_access(const struct mapping *m, uint64_t i, bool write)
{
	int prot = m->prot[i];

	if (!(prot & (PROT_READ | PROT_WRITE)))
		return ACC_SEGV;
	if (write && !(prot & PROT_WRITE))
		return ACC_SEGV;
	if (!m->shared && m->state[i] != PS_FOLLOW)
		return ACC_OK;
	return m->pgoff + i < size_pages() ? ACC_OK : ACC_BUS;
}

/* The bytes page @i of @m must show, or NULL when they are not known. */
static const uint8_t *expect_view(const struct mapping *m, uint64_t i)
{
	if (!m->shared) {
		if (m->state[i] == PS_COW)
			return m->cow[i];
		if (m->state[i] == PS_UNKNOWN)
			return NULL;
	}
	return model_page(m->pgoff + i);
}

/* A store of @n bytes at byte @in of page @i of @m went through. */
static void apply_store(struct mapping *m, uint64_t i, uint64_t in,
			const uint8_t *src, uint64_t n)
{
	if (m->shared) {
		model_put((m->pgoff + i) * pg + in, src, n);
		return;
	}
	cow_take(m, i);
	if (m->state[i] == PS_COW)
		memcpy(m->cow[i] + in, src, n);
}

/* --- probing accesses that may fault --- */

static __thread volatile uint32_t running_op = UINT32_MAX;
/* Where the last guarded access that faulted faulted. */
static __thread void *probe_addr;

/*
 * A fault outside a guarded access is a real crash: say during which
 * operation (async-signal-safe), then die of it.
 */
static void crash_report(int sig)
{
	char msg[96], num[16];
	uint32_t v = running_op;
	int n = 0, k = 0;

	(void)sig;
	memcpy(msg, "# stress_test: crashed during op ", 33);
	n = 33;
	do {
		num[k++] = '0' + v % 10;
		v /= 10;
	} while (v && k < 10);
	while (k)
		msg[n++] = num[--k];
	msg[n++] = '\n';
	if (write(STDOUT_FILENO, msg, n) < 0) {
		/* Nothing more can be done from a signal handler. */
	}
}

/* memcpy that reports a SIGSEGV/SIGBUS instead of dying: 0 or the signal */
static int probe_copy(void *dst, const void *src, size_t n)
{
	struct access_fault fault;
	int sig = guarded_copy(dst, src, n, &fault);

	probe_addr = fault.addr;
	return sig;
}

static void describe_diff(char *s, size_t n, const uint8_t *got,
			  const uint8_t *exp, uint64_t len,
			  const uint8_t *old_dev)
{
	uint64_t i, first = len, nd = 0;
	bool zeros = true, dev = old_dev;

	for (i = 0; i < len; i++) {
		if (got[i] != exp[i]) {
			if (first == len)
				first = i;
			nd++;
		}
		if (got[i])
			zeros = false;
		if (old_dev && got[i] != old_dev[i])
			dev = false;
	}
	snprintf(s, n, "byte %" PRIu64 " is %#x, expected %#x; %" PRIu64
		 " of %" PRIu64 " bytes differ%s%s", first, got[first],
		 exp[first], nd, len, zeros ? "; got all zeros" : "",
		 dev ? "; got what the device has" : "");
}

/* --- lock, barrier, log --- */

static void lock_dev(bool excl)
{
	if (excl)
		pthread_rwlock_wrlock(&sh->lock);
	else
		pthread_rwlock_rdlock(&sh->lock);
}

static void unlock_dev(void)
{
	pthread_rwlock_unlock(&sh->lock);
}

static void pause_briefly(unsigned int *spins)
{
	struct timespec ts = { 0, 200000 };

	if (++*spins < 100)
		sched_yield();
	else
		nanosleep(&ts, NULL);
}

/* All workers meet here; false when the run stops meanwhile. */
static bool barrier_wait(void)
{
	uint32_t gen = __atomic_load_n(&sh->barrier_gen, __ATOMIC_ACQUIRE);
	unsigned int spins = 0;

	if (__atomic_add_fetch(&sh->barrier_count, 1, __ATOMIC_ACQ_REL) ==
	    sh->nworkers) {
		sh->barrier_count = 0;
		__atomic_store_n(&sh->barrier_gen, gen + 1, __ATOMIC_RELEASE);
		return !stopped();
	}
	while (__atomic_load_n(&sh->barrier_gen, __ATOMIC_ACQUIRE) == gen) {
		if (stopped())
			return false;
		pause_briefly(&spins);
	}
	return !stopped();
}

static struct op *log_append(struct op *op)
{
	uint32_t idx = __atomic_fetch_add(&sh->log_n, 1, __ATOMIC_RELAXED);

	op->idx = idx;
	if (idx >= sh->log_cap) {
		__atomic_store_n(&sh->log_lost, 1, __ATOMIC_RELAXED);
		return op;
	}
	oplog[idx] = *op;
	return &oplog[idx];
}

/* The worker processes start at once: claim a slot atomically. */
static void register_pid(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_PIDS; i++) {
		pid_t free_slot = 0;

		if (__atomic_compare_exchange_n(&sh->pids[i], &free_slot, pid,
						false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return;
	}
}

static void unregister_pid(pid_t pid)
{
	pid_t mine;
	int i;

	for (i = 0; i < MAX_PIDS; i++) {
		mine = pid;
		__atomic_compare_exchange_n(&sh->pids[i], &mine, 0, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	}
}

/* --- device helpers --- */

/* VMAs of the device in the registered processes, from /proc/PID/maps. */
static long count_device_vmas(void)
{
	char path[64], line[512];
	long total = 0;
	int i;

	for (i = 0; i < MAX_PIDS; i++) {
		FILE *f;

		if (!sh->pids[i])
			continue;
		snprintf(path, sizeof(path), "/proc/%d/maps", sh->pids[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (strstr(line, " " MMAPDEMO_DEVICE_PATH))
				total++;
		fclose(f);
	}
	return total;
}

static uint64_t expected_features(void)
{
	uint64_t f = MMAPDEMO_FEATURE_RESIZE | MMAPDEMO_FEATURE_PUNCH;

	if (sh->folio_order == 9)
		f |= MMAPDEMO_FEATURE_PMD_MAPPING;
	return f;
}

/* Check an INFO answer against the model. */
static bool check_info(struct worker *w, const struct mmapdemo_info *info)
{
	uint64_t size = cur_size();

	if (info->abi_version != MMAPDEMO_ABI_VERSION ||
	    info->folio_order != sh->folio_order || info->size != size ||
	    info->max_size != sh->max_size ||
	    info->features != expected_features() ||
	    info->allocated_bytes > size || info->allocated_bytes % pg ||
	    info->reserved[0] || info->reserved[1] || info->reserved[2]) {
		/* One line to grep for; the model's values follow. */
		finding(w, "INFO: abi %u order %u size %llu max %llu features %#llx allocated %llu reserved %llu/%llu/%llu; model: order %u size %" PRIu64 " max %" PRIu64 " features %#" PRIx64 " allocated <= size",
			info->abi_version, info->folio_order,
			(unsigned long long)info->size,
			(unsigned long long)info->max_size,
			(unsigned long long)info->features,
			(unsigned long long)info->allocated_bytes,
			(unsigned long long)info->reserved[0],
			(unsigned long long)info->reserved[1],
			(unsigned long long)info->reserved[2], sh->folio_order,
			size, sh->max_size, expected_features());
		return false;
	}
	return true;
}

static int do_info(int fd, struct mmapdemo_info *info)
{
	memset(info, 0xa5, sizeof(*info));
	return ioctl(fd, MMAPDEMO_IOC_INFO, info);
}

static int do_resize(int fd, uint64_t size)
{
	struct mmapdemo_resize req = { .size = size };

	return ioctl(fd, MMAPDEMO_IOC_RESIZE, &req);
}

static int do_punch(int fd, uint64_t off, uint64_t len)
{
	struct mmapdemo_punch req = { .offset = off, .length = len };

	return ioctl(fd, MMAPDEMO_IOC_PUNCH, &req);
}

/* Compare device bytes [off, off + n) (via pread) with the model. */
static bool verify_device_range(struct worker *w, uint64_t off, uint64_t n)
{
	while (n) {
		uint64_t k = umin(n, buf_size);
		ssize_t r = pread(w->vfd, w->buf, k, off);
		const uint8_t *exp = model + off;
		char d[200];

		if (r != (ssize_t)k) {
			finding(w, "pread(%" PRIu64 " bytes at %#" PRIx64
				") of the device: %zd (%s)", k, off, r,
				r < 0 ? errname(errno) : "short");
			return false;
		}
		if (off + k > sh->arena) {
			model_get(off, w->buf2, k);
			exp = w->buf2;
		}
		if (memcmp(w->buf, exp, k)) {
			uint64_t i = 0;

			while (w->buf[i] == exp[i])
				i++;
			i &= ~(pg - 1);
			describe_diff(d, sizeof(d), w->buf + i, exp + i,
				      umin(pg, k - i), NULL);
			finding(w,
				"device page at %#" PRIx64 " differs from the model: %s",
				off + i, d);
			return false;
		}
		off += k;
		n -= k;
	}
	return true;
}

/* ====================================================================
 * Operations. gen_*() choose the arguments from the worker's random
 * stream and state; exec_*() run them and check everything. Only the
 * arguments are logged, so exec_*() must not depend on randomness.
 * ====================================================================
 */

/* A device page to work at: mostly the own slice, often the edges. */
static uint64_t pick_page(struct worker *w)
{
	uint64_t end = size_pages(), ap = arena_pages(), r = rnd(w, 100);

	if (r < 55)
		return w->sl_lo + rnd(w, w->sl_hi - w->sl_lo);
	if (r < 70)
		return end > 4 ? end - 4 + rnd(w, 8) : rnd(w, 8);
	if (r < 80)
		return rnd(w, ap);
	if (r < 88) {
		uint64_t f = 512 * rnd(w, ap / 512 + 1);

		return f ? f - 1 + rnd(w, 2) : 0;
	}
	if (r < 96)
		return chance(w, 50) ? w->sl_lo : w->sl_hi - 1;
	return ap + rnd(w, 64);
}

static uint64_t pick_npages(struct worker *w)
{
	uint64_t r = rnd(w, 100);

	if (r < 45)
		return 1 + rnd(w, 4);
	if (r < 75)
		return 1 + rnd(w, 32);
	if (r < 88)
		return 1 + rnd(w, 256);
	if (r < 95)
		return 1 + rnd(w, w->sl_hi - w->sl_lo);
	return 1 + rnd(w, arena_pages());
}

static uint64_t pick_count(struct worker *w)
{
	uint64_t r = rnd(w, 100);

	if (r < 35)
		return 1 + rnd(w, 64);
	if (r < 65)
		return 1 + rnd(w, 3 * pg);
	if (r < 88)
		return 1 + rnd(w, 64 * 1024);
	if (r < 97)
		return rnd(w, umin(buf_size, 256 * 1024));
	return 0;
}

static int pick_used_fd(struct worker *w)
{
	int s, n = 0, pick;

	for (s = 0; s < NFD; s++)
		n += w->fds[s].fd >= 0;
	if (!n)
		return -1;
	pick = rnd(w, n);
	for (s = 0; s < NFD; s++)
		if (w->fds[s].fd >= 0 && !pick--)
			return s;
	return -1;
}

/* An fd slot, preferring the modes @want accepts; sometimes none (-1). */
static uint64_t pick_fd(struct worker *w, bool (*want)(int mode))
{
	int s, tries;

	if (chance(w, 3))
		return NFD;
	for (tries = 0; want && tries < 4; tries++) {
		s = pick_used_fd(w);
		if (s >= 0 && want(w->fds[s].mode))
			return s;
	}
	s = pick_used_fd(w);
	return s < 0 ? NFD : s;
}

static int pick_free_fd(struct worker *w)
{
	int s, n = 0, pick;

	for (s = 0; s < NFD; s++)
		n += w->fds[s].fd < 0;
	if (!n)
		return -1;
	pick = rnd(w, n);
	for (s = 0; s < NFD; s++)
		if (w->fds[s].fd < 0 && !pick--)
			return s;
	return -1;
}

static int pick_map(struct worker *w)
{
	int s, n = 0, pick;

	for (s = 0; s < NMAP; s++)
		n += !!w->maps[s].addr;
	if (!n)
		return -1;
	pick = rnd(w, n);
	for (s = 0; s < NMAP; s++)
		if (w->maps[s].addr && !pick--)
			return s;
	return -1;
}

static int free_map_slot(struct worker *w)
{
	int s;

	for (s = 0; s < NMAP; s++)
		if (!w->maps[s].addr)
			return s;
	return -1;
}

/* A page range of @m: often all of it, else a piece. */
static void pick_range(struct worker *w, const struct mapping *m,
		       uint64_t *first, uint64_t *n)
{
	if (chance(w, 40)) {
		*first = 0;
		*n = m->npages;
		return;
	}
	*first = rnd(w, m->npages);
	*n = 1 + rnd(w, umin(m->npages - *first, chance(w, 70) ? 8 : ~0UL));
}

/* --- open, close --- */

struct open_variant {
	int flags;
	int mode;	/* fd mode, or the expected errno when err */
	bool err;
	bool slash;	/* open the path with a trailing slash */
};

#define OPEN_OK(flags, mode)	{ flags, mode, false, false }
#define OPEN_BAD(flags, err)	{ flags, err, true, false }

static const struct open_variant open_variants[] = {
	OPEN_OK(O_RDONLY, FM_RD),
	OPEN_OK(O_WRONLY, FM_WR),
	OPEN_OK(O_RDWR, FM_RDWR),
	OPEN_OK(O_RDWR | O_NONBLOCK | O_CLOEXEC, FM_RDWR),
	OPEN_OK(O_RDWR | O_SYNC, FM_RDWR),
	OPEN_OK(O_RDWR | O_TRUNC, FM_RDWR),	/* ignored for a device */
	OPEN_OK(O_RDONLY | O_NOATIME, FM_RD),
	OPEN_OK(O_ACCMODE, FM_NOACC),	/* neither read nor write: ioctl */
	OPEN_OK(O_PATH, FM_PATH),
	/* the device has no page cache to bypass */
	OPEN_BAD(O_RDWR | O_DIRECT, EINVAL),
	OPEN_BAD(O_RDONLY | O_DIRECT, EINVAL),
	/* the device is always full to its end */
	OPEN_BAD(O_WRONLY | O_APPEND, EINVAL),
	OPEN_BAD(O_RDWR | O_APPEND, EINVAL),
	OPEN_BAD(O_RDONLY | O_APPEND, EINVAL),
	OPEN_BAD(O_RDWR | O_CREAT | O_EXCL, EEXIST),
	OPEN_BAD(O_RDONLY | O_DIRECTORY, ENOTDIR),
	{ O_RDWR, ENOTDIR, true, true },	/* a trailing slash */
};

#define NR_OPEN_VARIANTS ARRAY_SIZE(open_variants)
#define NR_OPEN_VALID	9

static void gen_open(struct worker *w, struct op *op)
{
	int slot = pick_free_fd(w);

	op->kind = K_OPEN;
	if (slot >= 0 && chance(w, 45))
		op->variant = 2 + rnd(w, 4);	/* the O_RDWR ones */
	else if (slot >= 0 && chance(w, 65))
		op->variant = rnd(w, NR_OPEN_VALID);
	else
		op->variant = NR_OPEN_VALID +
			      rnd(w, NR_OPEN_VARIANTS - NR_OPEN_VALID);
	op->a[0] = slot < 0 ? NFD : slot;
}

static void exec_open(struct worker *w, struct op *op)
{
	const struct open_variant *v;
	char what[96];
	int fd;

	if (op->variant >= NR_OPEN_VARIANTS) {
		op->skipped = 1;
		return;
	}
	v = &open_variants[op->variant];
	if (!v->err && (op->a[0] >= NFD || w->fds[op->a[0]].fd >= 0)) {
		op->skipped = 1;
		return;
	}
	fd = open(v->slash ? MMAPDEMO_DEVICE_PATH "/" : MMAPDEMO_DEVICE_PATH,
		  v->flags);
	snprintf(what, sizeof(what), "open(%s, %#x)",
		 v->slash ? MMAPDEMO_DEVICE_PATH "/" : MMAPDEMO_DEVICE_PATH,
		 v->flags);
	if (!check_result(w, what, fd, errno, v->err ? v->mode : 0, 0)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fd < 0)
		return;
	w->fds[op->a[0]].fd = fd;
	w->fds[op->a[0]].mode = v->mode;
	w->fds[op->a[0]].pos = 0;
	w->fds[op->a[0]].inherited = false;
}

static void publish_child_fpos(struct worker *w, int slot)
{
	struct fd_slot *f = &w->fds[slot];

	if (w->is_child && f->inherited && f->mode != FM_PATH)
		sh->child_fpos[w->id][slot] = f->pos;
}

static void gen_close(struct worker *w, struct op *op)
{
	op->kind = K_CLOSE;
	op->a[0] = pick_used_fd(w);
}

static void exec_close(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	int r;

	if (!f) {
		op->skipped = 1;
		return;
	}
	publish_child_fpos(w, op->a[0]);
	r = close(f->fd);
	f->fd = -1;
	check_result(w, "close", r, errno, 0, 0);
}

/* --- mmap --- */

enum {
	MV_SHARED, MV_PRIVATE, MV_POPULATE, MV_LOCKED, MV_FAR, MV_SYNC_IGNORED,
	MV_VALIDATE, NR_MMAP_VALID,
	MV_LEN0 = NR_MMAP_VALID, MV_UNALIGNED, MV_TYPE0, MV_VALIDATE_SYNC,
	MV_HUGETLB, MV_OVERFLOW, MV_NOFD, MV_HUGE_LEN, NR_MMAP_VARIANTS
};

/* The errno mmap() must fail with, 0 for success (see mm/mmap.c). */
static int mmap_expect(struct fd_slot *f, uint64_t off, uint64_t len,
		       int prot, int flags)
{
	uint64_t alen = (len + pg - 1) & ~(pg - 1), pgoff = off / pg;

	if (off % pg)
		return EINVAL;		/* the syscall itself */
	if (!f || f->mode == FM_PATH)
		return EBADF;
	if (flags & MAP_HUGETLB)
		return EINVAL;		/* not a hugetlbfs file */
	if (!len)
		return EINVAL;
	if (!alen)
		return ENOMEM;
	if (alen > USER_TOP - pg)
		return ENOMEM;
	if (pgoff > (ULONG_MAX - alen) / pg)
		return EOVERFLOW;	/* file_mmap_ok() */
	switch (flags & 0x0f) {
	case MAP_SHARED:
	case MAP_SHARED_VALIDATE:
		if ((flags & 0x0f) == MAP_SHARED_VALIDATE && (flags & MAP_SYNC))
			return EOPNOTSUPP;
		if ((prot & PROT_WRITE) && !writable(f->mode))
			return EACCES;
		fallthrough;
	case MAP_PRIVATE:
		return readable(f->mode) ? 0 : EACCES;
	default:
		return EINVAL;
	}
}

static bool want_readable(int mode)
{
	return readable(mode);
}

static bool want_writable(int mode)
{
	return writable(mode);
}

static void gen_mmap(struct worker *w, struct op *op)
{
	int slot = free_map_slot(w), prot, flags;
	uint64_t off, len, v, r;

	op->kind = K_MMAP;
	v = chance(w, 85) ? rnd(w, NR_MMAP_VALID) :
	    NR_MMAP_VALID + rnd(w, NR_MMAP_VARIANTS - NR_MMAP_VALID);
	if (slot < 0)
		v = MV_LEN0;
	op->variant = v;
	op->a[0] = v == MV_NOFD ? NFD : pick_fd(w, want_readable);
	op->a[1] = slot < 0 ? NMAP : slot;

	r = rnd(w, 100);
	prot = r < 8 ? PROT_NONE : r < 35 ? PROT_READ : PROT_READ | PROT_WRITE;
	flags = v == MV_PRIVATE || (v != MV_SHARED && chance(w, 40)) ?
		MAP_PRIVATE : MAP_SHARED;
	off = pick_page(w) * pg;
	len = umin(pick_npages(w), arena_pages() + 64) * pg;
	if (chance(w, 15))
		len -= 1 + rnd(w, pg - 1);

	switch (v) {
	case MV_POPULATE:
		flags |= MAP_POPULATE;
		break;
	case MV_LOCKED:
		flags |= MAP_LOCKED;
		break;
	case MV_FAR:
		off = (1ULL << (36 + rnd(w, 20))) + rnd(w, 16) * pg;
		len = (1 + rnd(w, 4)) * pg;
		break;
	case MV_SYNC_IGNORED:
		flags = MAP_SHARED | MAP_SYNC;	/* MAP_SHARED ignores it */
		break;
	case MV_VALIDATE:
		flags = MAP_SHARED_VALIDATE;
		break;
	case MV_LEN0:
		len = 0;
		break;
	case MV_UNALIGNED:
		off += 1 + rnd(w, pg - 1);
		break;
	case MV_TYPE0:
		flags &= ~0x0f;
		break;
	case MV_VALIDATE_SYNC:
		flags = MAP_SHARED_VALIDATE | MAP_SYNC;
		break;
	case MV_HUGETLB:
		flags |= MAP_HUGETLB;
		break;
	case MV_OVERFLOW:
		off = ULONG_MAX & ~(pg - 1);
		len = 2 * pg;
		break;
	case MV_HUGE_LEN:
		len = 1UL << 50;
		break;
	}
	op->a[2] = off;
	op->a[3] = len;
	op->a[4] = prot;
	op->a[5] = flags;
}

/*
 * What MAP_POPULATE, MAP_LOCKED and mlock() do (populate_vma_page_range):
 * fault pages [first, first + n) in ascending order; a writable private
 * page with a write fault (its own copy), anything else with a read fault.
 * A PROT_NONE page or one past the end stops it: -EFAULT, which mlock()
 * reports as ENOMEM and mmap() ignores.
 *
 * Nothing is ever locked: the driver sets VM_DONTEXPAND, one of the
 * VM_SPECIAL flags, and for those mmap_region() drops VM_LOCKED and
 * mlock_fixup() leaves the flags alone; only the population remains, for
 * MLOCK_ONFAULT too (no VM_LOCKONFAULT to skip it).
 */
static int populate(struct mapping *m, uint64_t first, uint64_t n)
{
	uint64_t i;

	for (i = first; i < first + n; i++) {
		if (!(m->prot[i] & (PROT_READ | PROT_WRITE)))
			return EFAULT;
		if (expect_access(m, i, false) != ACC_OK)
			return EFAULT;
		if (!m->shared && (m->prot[i] & PROT_WRITE))
			cow_take(m, i);
	}
	return 0;
}

static bool mmap_populates_privately(const struct op *op)
{
	return (op->a[5] & (MAP_POPULATE | MAP_LOCKED)) &&
	       (op->a[5] & 0x0f) == MAP_PRIVATE && (op->a[4] & PROT_WRITE);
}

static void exec_mmap(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	uint64_t off = op->a[2], len = op->a[3], npages;
	int prot = op->a[4], flags = op->a[5], expect;
	struct mapping *m;
	char what[128];
	long p;

	expect = mmap_expect(f, off, len, prot, flags);
	if (!expect && (op->a[1] >= NMAP || w->maps[op->a[1]].addr)) {
		op->skipped = 1;
		return;
	}
	p = syscall(SYS_mmap, NULL, len, prot, flags, f ? f->fd : -1, off);
	snprintf(what, sizeof(what),
		 "mmap(len %#" PRIx64 ", prot %#x, flags %#x, offset %#" PRIx64 ", fd mode %d)",
		 len, prot, flags, off, f ? f->mode : -1);
	if (!check_result(w, what, p == -1 ? -1 : 0, errno, expect, 0)) {
		if (p != -1)
			munmap((void *)p, len);
		return;
	}
	if (p == -1)
		return;
	op->ret = p ? 1 : 0;	/* not the address: logs must compare */
	npages = (len + pg - 1) / pg;
	m = &w->maps[op->a[1]];
	map_init(m, (char *)p, npages, off / pg, (flags & 0x0f) != MAP_PRIVATE,
		 prot, writable(f->mode));
	if (flags & (MAP_POPULATE | MAP_LOCKED))
		populate(m, 0, npages);
}

/* --- munmap --- */

enum { UV_WHOLE, UV_HEAD, UV_TAIL, UV_MIDDLE, UV_UNALIGNED, UV_LEN0 };

static void gen_munmap(struct worker *w, struct op *op)
{
	int slot = pick_map(w);
	struct mapping *m = &w->maps[slot];
	uint64_t r = rnd(w, 100);

	op->kind = K_MUNMAP;
	op->a[0] = slot;
	op->variant = r < 50 ? UV_WHOLE : r < 65 ? UV_HEAD : r < 80 ? UV_TAIL :
		      r < 90 ? UV_MIDDLE : r < 95 ? UV_UNALIGNED : UV_LEN0;
	if ((op->variant == UV_HEAD || op->variant == UV_TAIL) &&
	    m->npages < 2)
		op->variant = UV_WHOLE;
	if (op->variant == UV_MIDDLE &&
	    (m->npages < 3 || free_map_slot(w) < 0))
		op->variant = UV_WHOLE;
	switch (op->variant) {
	case UV_HEAD:
	case UV_TAIL:
		op->a[1] = 1 + rnd(w, m->npages - 1);
		break;
	case UV_MIDDLE:
		op->a[1] = 1 + rnd(w, m->npages - 2);
		op->a[2] = 1 + rnd(w, m->npages - op->a[1] - 1);
		op->a[3] = free_map_slot(w);
		break;
	}
}

static void exec_munmap(struct worker *w, struct op *op)
{
	struct mapping *m = map_at(w, op->a[0]);
	uint64_t n = op->a[1];
	char *addr;
	size_t len;
	int r, expect = 0;

	if (!m) {
		op->skipped = 1;
		return;
	}
	addr = m->addr;
	len = m->npages * pg;
	switch (op->variant) {
	case UV_HEAD:
	case UV_TAIL:
		if (n >= m->npages) {
			op->skipped = 1;
			return;
		}
		len = n * pg;
		if (op->variant == UV_TAIL)
			addr += (m->npages - n) * pg;
		break;
	case UV_MIDDLE:
		if (!n || n + op->a[2] >= m->npages ||
		    map_at(w, op->a[3]) || op->a[3] >= NMAP) {
			op->skipped = 1;
			return;
		}
		addr += n * pg;
		len = op->a[2] * pg;
		break;
	case UV_UNALIGNED:
		addr += 1 + op->a[1] % (pg - 1);
		expect = EINVAL;
		break;
	case UV_LEN0:
		len = 0;
		expect = EINVAL;
		break;
	}
	r = munmap(addr, len);
	if (!check_result(w, "munmap", r, errno, expect, 0) || expect)
		return;
	switch (op->variant) {
	case UV_WHOLE:
		map_release(m);
		break;
	case UV_HEAD:
		map_keep(m, n, m->npages - n);
		break;
	case UV_TAIL:
		map_keep(m, 0, m->npages - n);
		break;
	case UV_MIDDLE:
		map_split(m, n + op->a[2], &w->maps[op->a[3]]);
		map_keep(m, 0, n);
		break;
	}
}

/* --- mremap --- */

enum {
	RV_SHRINK, RV_MOVE, RV_GROW, RV_GROW_MAYMOVE, RV_MOVE_SHRINK,
	RV_DONTUNMAP, RV_FIXED_ONLY, RV_LEN0, RV_BAD_FLAGS, RV_GROW_FIXED,
	RV_SAME, RV_PAST_VMA, NR_MREMAP_VARIANTS
};

static void gen_mremap(struct worker *w, struct op *op)
{
	int slot = pick_map(w);
	struct mapping *m = &w->maps[slot];

	op->kind = K_MREMAP;
	op->a[0] = slot;
	op->variant = rnd(w, NR_MREMAP_VARIANTS);
	if ((op->variant == RV_SHRINK || op->variant == RV_MOVE_SHRINK) &&
	    m->npages < 2)
		op->variant = RV_MOVE;
	if ((op->variant == RV_MOVE || op->variant == RV_MOVE_SHRINK) &&
	    m->fragmented)
		op->variant = RV_GROW;
	op->a[1] = m->npages > 1 ? 1 + rnd(w, m->npages - 1) : 1;
	op->a[2] = 1 + rnd(w, 16);	/* pages to grow by */
}

static void exec_mremap(struct worker *w, struct op *op)
{
	struct mapping *m = map_at(w, op->a[0]);
	uint64_t old_len, new_len = 0, flags = 0, keep;
	void *target = NULL;
	int expect = 0;
	long r;

	if (!m) {
		op->skipped = 1;
		return;
	}
	old_len = m->npages * pg;
	keep = op->a[1];
	switch (op->variant) {
	case RV_SHRINK:
	case RV_MOVE_SHRINK:
		if (keep >= m->npages || !keep) {
			op->skipped = 1;
			return;
		}
		new_len = keep * pg;
		break;
	case RV_MOVE:
	case RV_SAME:
	case RV_DONTUNMAP:
	case RV_FIXED_ONLY:
		new_len = old_len;
		break;
	case RV_GROW:
	case RV_GROW_MAYMOVE:
	case RV_GROW_FIXED:
	case RV_PAST_VMA:
		new_len = old_len + op->a[2] * pg;
		break;
	}
	if ((op->variant == RV_MOVE || op->variant == RV_MOVE_SHRINK) &&
	    m->fragmented) {
		op->skipped = 1;
		return;
	}
	switch (op->variant) {
	case RV_MOVE:
	case RV_MOVE_SHRINK:
	case RV_GROW_FIXED:
		/* A place of our own to move to: nobody else's mapping. */
		target = mmap(NULL, new_len, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (target == MAP_FAILED) {
			op->skipped = 1;
			return;
		}
		flags = MREMAP_MAYMOVE | MREMAP_FIXED;
		break;
	}
	switch (op->variant) {
	case RV_GROW:
	case RV_GROW_MAYMOVE:
	case RV_GROW_FIXED:
		expect = EFAULT;	/* VM_DONTEXPAND */
		if (op->variant == RV_GROW_MAYMOVE)
			flags = MREMAP_MAYMOVE;
		break;
	case RV_PAST_VMA:
		/* Beyond the VMA (and growing): EFAULT too. */
		old_len += pg;
		new_len = old_len + op->a[2] * pg;
		expect = EFAULT;
		break;
	case RV_DONTUNMAP:
		flags = MREMAP_MAYMOVE | MREMAP_DONTUNMAP;
		expect = EINVAL;
		break;
	case RV_FIXED_ONLY:
		flags = MREMAP_FIXED;
		target = m->addr + old_len;	/* never used: EINVAL first */
		expect = EINVAL;
		break;
	case RV_LEN0:
		new_len = 0;
		flags = MREMAP_MAYMOVE;
		expect = EINVAL;
		break;
	case RV_BAD_FLAGS:
		new_len = old_len;
		flags = 0x80;
		expect = EINVAL;
		break;
	}
	r = syscall(SYS_mremap, m->addr, old_len, new_len, flags, target);
	if (op->variant == RV_GROW_FIXED && r == -1 && errno == EFAULT)
		target = NULL;	/* mremap unmapped the target first */
	if (!check_result(w, "mremap", r == -1 ? -1 : 0, errno, expect, 0) ||
	    expect)
		return;
	op->ret = 0;
	switch (op->variant) {
	case RV_SHRINK:
		if ((char *)r != m->addr)
			finding(w, "mremap shrink moved the mapping");
		map_keep(m, 0, keep);
		break;
	case RV_SAME:
		if ((char *)r != m->addr)
			finding(w, "mremap to the same size moved it");
		break;
	case RV_MOVE:
	case RV_MOVE_SHRINK:
		if ((void *)r != target) {
			finding(w, "mremap(MREMAP_FIXED) went to %p, not %p",
				(void *)r, target);
			return;
		}
		if (op->variant == RV_MOVE_SHRINK)
			map_keep(m, 0, keep);
		m->addr = target;
		break;
	}
}

/* --- mprotect --- */

enum { PV_WHOLE, PV_PART, PV_BAD_PROT, PV_UNALIGNED };

static void gen_mprotect(struct worker *w, struct op *op)
{
	int slot = pick_map(w);
	struct mapping *m = &w->maps[slot];
	uint64_t r = rnd(w, 100);

	op->kind = K_MPROTECT;
	op->a[0] = slot;
	op->variant = r < 45 ? PV_WHOLE : r < 90 ? PV_PART :
		      r < 95 ? PV_BAD_PROT : PV_UNALIGNED;
	pick_range(w, m, &op->a[1], &op->a[2]);
	if (op->variant == PV_WHOLE) {
		op->a[1] = 0;
		op->a[2] = m->npages;
	}
	r = rnd(w, 100);
	op->a[3] = r < 15 ? PROT_NONE : r < 45 ? PROT_READ :
		   PROT_READ | PROT_WRITE;
}

static void exec_mprotect(struct worker *w, struct op *op)
{
	struct mapping *m = map_at(w, op->a[0]);
	uint64_t first = op->a[1], n = op->a[2], i;
	int prot = op->a[3], expect = 0, r;
	char *addr;
	bool changed = false;

	if (!m || first + n > m->npages || !n) {
		op->skipped = 1;
		return;
	}
	addr = m->addr + first * pg;
	if (op->variant == PV_BAD_PROT) {
		prot |= 0x100;
		expect = EINVAL;
	} else if (op->variant == PV_UNALIGNED) {
		addr += 1 + (op->a[3] * 37) % (pg - 1);
		expect = EINVAL;
	} else if (m->shared && !m->fd_writable && (prot & PROT_WRITE)) {
		expect = EACCES;	/* the fd is not open for writing */
	}
	r = mprotect(addr, n * pg, prot);
	if (!check_result(w, "mprotect", r, errno, expect, 0) || expect)
		return;
	for (i = first; i < first + n; i++) {
		changed |= m->prot[i] != prot;
		m->prot[i] = prot;
	}
	if (changed && n != m->npages)
		m->fragmented = true;
}

/* --- madvise --- */

static const int advices[] = {
	MADV_DONTNEED, MADV_DONTNEED_LOCKED, MADV_POPULATE_READ,
	MADV_POPULATE_WRITE, MADV_WILLNEED, MADV_COLD, MADV_PAGEOUT,
	MADV_REMOVE, MADV_FREE, MADV_NORMAL,
};

#define NR_ADVICES ARRAY_SIZE(advices)

enum { AV_GOOD, AV_BAD_ADVICE, AV_UNALIGNED, AV_LEN0 };

static void gen_madvise(struct worker *w, struct op *op)
{
	int slot = pick_map(w);
	uint64_t r = rnd(w, 100);

	op->kind = K_MADVISE;
	op->a[0] = slot;
	op->variant = r < 88 ? AV_GOOD : r < 93 ? AV_BAD_ADVICE :
		      r < 97 ? AV_UNALIGNED : AV_LEN0;
	pick_range(w, &w->maps[slot], &op->a[1], &op->a[2]);
	op->a[3] = rnd(w, NR_ADVICES);
}

/*
 * What madvise(@advice) over pages [first, first + n) of @m returns,
 * applying its effect to the model when @apply (mm/madvise.c: VMAs in
 * ascending order, stopping at the first error). -1: not predictable.
 */
static int madvise_effect(struct mapping *m, uint64_t first, uint64_t n,
			  int advice, bool apply)
{
	uint64_t i;

	if (advice == MADV_REMOVE) {
		if (!m->shared || !m->fd_writable)
			return EACCES;
		/* 6.1 checks VM_WRITE, 6.12 VM_MAYWRITE: same when RW */
		if (!(m->prot[first] & PROT_WRITE))
			return -1;
		return ENODEV;	/* vfs_fallocate() of a character device */
	}
	if (advice == MADV_FREE)
		return EINVAL;	/* only anonymous memory */
	for (i = first; i < first + n; i++) {
		switch (advice) {
		case MADV_DONTNEED:
		case MADV_DONTNEED_LOCKED:
			if (apply && !m->shared)
				cow_drop(m, i);
			break;
		case MADV_POPULATE_READ:
			if (!(m->prot[i] & (PROT_READ | PROT_WRITE)))
				return EINVAL;
			if (expect_access(m, i, false) != ACC_OK)
				return EFAULT;
			break;
		case MADV_POPULATE_WRITE:
			if (!(m->prot[i] & PROT_WRITE))
				return EINVAL;
			if (expect_access(m, i, true) != ACC_OK)
				return EFAULT;
			if (apply)
				cow_take(m, i);
			break;
		}
	}
	return 0;
}

static void exec_madvise(struct worker *w, struct op *op)
{
	struct mapping *m = map_at(w, op->a[0]);
	uint64_t first = op->a[1], n = op->a[2];
	int advice, expect, r;
	char what[64], *addr;
	size_t len;

	if (!m || first + n > m->npages || !n || op->a[3] >= NR_ADVICES) {
		op->skipped = 1;
		return;
	}
	advice = advices[op->a[3]];
	addr = m->addr + first * pg;
	len = n * pg;
	switch (op->variant) {
	case AV_BAD_ADVICE:
		advice = 77;
		expect = EINVAL;
		break;
	case AV_UNALIGNED:
		addr += 1 + first % (pg - 1);
		expect = EINVAL;
		break;
	case AV_LEN0:
		len = 0;
		expect = 0;
		break;
	default:
		expect = madvise_effect(m, first, n, advice, false);
		if (expect < 0) {
			op->skipped = 1;
			return;
		}
	}
	r = madvise(addr, len, advice);
	snprintf(what, sizeof(what), "madvise(%d) of %" PRIu64 " pages",
		 advice, n);
	if (!check_result(w, what, r, errno, expect, 0))
		return;
	if (op->variant == AV_GOOD)
		madvise_effect(m, first, n, advice, true);
}

/* --- msync --- */

enum { SV_GOOD, SV_SYNC_ASYNC, SV_BAD_FLAG, SV_UNALIGNED };

static const int msync_flags[] = {
	MS_SYNC, MS_ASYNC, MS_INVALIDATE, MS_SYNC | MS_INVALIDATE,
	MS_ASYNC | MS_INVALIDATE,
};

static void gen_msync(struct worker *w, struct op *op)
{
	int slot = pick_map(w);
	uint64_t r = rnd(w, 100);

	op->kind = K_MSYNC;
	op->a[0] = slot;
	op->variant = r < 85 ? SV_GOOD : r < 90 ? SV_SYNC_ASYNC :
		      r < 95 ? SV_BAD_FLAG : SV_UNALIGNED;
	pick_range(w, &w->maps[slot], &op->a[1], &op->a[2]);
	if (chance(w, 5))
		op->a[2] = 0;
	op->a[3] = rnd(w, ARRAY_SIZE(msync_flags));
}

static void exec_msync(struct worker *w, struct op *op)
{
	struct mapping *m = map_at(w, op->a[0]);
	uint64_t first = op->a[1], n = op->a[2];
	int flags, expect = 0, r;
	char *addr;

	if (!m || first + n > m->npages ||
	    op->a[3] >= ARRAY_SIZE(msync_flags)) {
		op->skipped = 1;
		return;
	}
	flags = msync_flags[op->a[3]];
	addr = m->addr + first * pg;
	switch (op->variant) {
	case SV_SYNC_ASYNC:
		flags = MS_SYNC | MS_ASYNC;
		expect = EINVAL;
		break;
	case SV_BAD_FLAG:
		flags |= 0x100;
		expect = EINVAL;
		break;
	case SV_UNALIGNED:
		addr += 1 + first % (pg - 1);
		expect = EINVAL;
		break;
	}
	/* No EBUSY for MS_INVALIDATE: device VMAs are never VM_LOCKED. */
	r = msync(addr, n * pg, flags);
	check_result(w, "msync", r, errno, expect, 0);
}

/* --- mlock --- */

enum { LV_MLOCK, LV_MUNLOCK, LV_ONFAULT, LV_MLOCK2, LV_BAD_FLAGS };

static void gen_mlock(struct worker *w, struct op *op)
{
	int slot = pick_map(w);
	uint64_t r = rnd(w, 100);

	op->kind = K_MLOCK;
	op->a[0] = slot;
	op->variant = r < 35 ? LV_MLOCK : r < 70 ? LV_MUNLOCK :
		      r < 85 ? LV_ONFAULT : r < 95 ? LV_MLOCK2 : LV_BAD_FLAGS;
	pick_range(w, &w->maps[slot], &op->a[1], &op->a[2]);
}

static bool mlock_populates(const struct op *op)
{
	return op->variant != LV_MUNLOCK && op->variant != LV_BAD_FLAGS;
}

static void exec_mlock(struct worker *w, struct op *op)
{
	struct mapping *m = map_at(w, op->a[0]);
	uint64_t first = op->a[1], n = op->a[2];
	int expect = 0, r;
	char *addr;

	if (!m || first + n > m->npages || !n) {
		op->skipped = 1;
		return;
	}
	addr = m->addr + first * pg;
	switch (op->variant) {
	case LV_MLOCK:
		r = mlock(addr, n * pg);
		break;
	case LV_MLOCK2:
		r = mlock2(addr, n * pg, 0);
		break;
	case LV_ONFAULT:
		r = mlock2(addr, n * pg, MLOCK_ONFAULT);
		break;
	case LV_BAD_FLAGS:
		r = mlock2(addr, n * pg, 0x40);
		check_result(w, "mlock2", r, errno, EINVAL, 0);
		return;
	default:
		r = munlock(addr, n * pg);
		check_result(w, "munlock", r, errno, 0, 0);
		return;
	}
	/* See populate(): it only populates. */
	if (populate(m, first, n))
		expect = ENOMEM;	/* __mlock_posix_error_return(EFAULT) */
	check_result(w, "mlock", r, errno, expect, 0);
}

/* --- fork --- */

static void gen_fork(struct worker *w, struct op *op)
{
	op->kind = K_FORK;
	op->a[0] = splitmix64_next(&w->rng);
	op->a[1] = 4 + rnd(w, 28);
}

static void exec_fork(struct worker *w, struct op *op)
{
	pid_t pid;
	int s;

	for (s = 0; s < NFD; s++)
		sh->child_fpos[w->id][s] = -1;
	pid = fork();
	if (pid < 0) {
		check_result(w, "fork", -1, errno, 0, 0);
		return;
	}
	if (pid == 0) {
		int k;

		w->is_child = true;
		w->just_forked = true;
		w->depth = 1;
		w->rng = op->a[0];
		w->child = 0;
		for (k = 0; k < NFD; k++)
			w->fds[k].inherited = w->fds[k].fd >= 0;
		return;
	}
	register_pid(pid);
	w->child = pid;
	w->child_reaped = false;
	op->ret = 0;
}

static void worker_reap_child(struct worker *w)
{
	if (!w->child || w->child_reaped)
		return;
	while (waitpid(w->child, &w->child_status, 0) < 0 && errno == EINTR)
		;
	w->child_reaped = true;
}

static void exec_fork_end(struct worker *w, struct op *op)
{
	int s, st = w->child_status;

	if (!w->child) {
		op->skipped = 1;
		return;
	}
	unregister_pid(w->child);
	op->ret = st;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		finding(w, "fork child %d: %s %d", w->child,
			WIFSIGNALED(st) ? "killed by signal" : "exit status",
			WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	w->child = 0;
	/* The child moved the positions of the files it shares with us. */
	for (s = 0; s < NFD; s++) {
		struct fd_slot *f = fd_at(w, s);
		int64_t pos, want = sh->child_fpos[w->id][s];

		if (!f || f->mode == FM_PATH)
			continue;
		pos = lseek(f->fd, 0, SEEK_CUR);
		if (want >= 0 && pos != want)
			finding(w, "after the fork child: fd slot %d at %"
				PRId64 ", the child left it at %" PRId64, s,
				pos, want);
		if (pos >= 0)
			f->pos = pos;
	}
}

/*
 * The fork child leaves: under the exclusive lock it unmaps every VMA of
 * the device it has (its own and the copies of other workers'), so that
 * its exit changes nothing a check of the VMA count could see half done.
 */
static void exec_child_exit(struct worker *w, struct op *op)
{
	char line[512];
	FILE *f;
	int s;

	for (s = 0; s < NFD; s++)
		if (fd_at(w, s))
			publish_child_fpos(w, s);
	f = fopen("/proc/self/maps", "r");
	if (!f) {
		check_result(w, "open /proc/self/maps", -1, errno, 0, 0);
		return;
	}
	op->ret = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;

		if (!strstr(line, " " MMAPDEMO_DEVICE_PATH) ||
		    sscanf(line, "%lx-%lx", &start, &end) != 2)
			continue;
		if (munmap((void *)start, end - start)) {
			check_result(w, "munmap at child exit", -1, errno, 0, 0);
			break;
		}
		op->ret++;
	}
	fclose(f);
	for (s = 0; s < NMAP; s++)
		if (map_at(w, s))
			map_release(&w->maps[s]);
}

/* --- read and write --- */

enum {
	RM_PLAIN, RM_POS, RM_VEC, RM_POSVEC, RM_V2_CUR, RM_V2_NOWAIT,
	RM_V2_BADFLAG, RM_TOOMANY, RM_FCNTL_APPEND, RM_V2_APPEND,
	NR_READ_METHODS = RM_FCNTL_APPEND, NR_WRITE_METHODS = RM_V2_APPEND + 1
};

static const char *const rw_method_name[] = {
	"plain", "pos", "vec", "posvec", "v2 cur", "v2 nowait", "v2 badflag",
	"too many iovecs", "fcntl append", "v2 append",
};

/* Buffer kinds, in the top byte of a[4]. */
enum { BUF_HEAP, BUF_GUARD, BUF_NULL, BUF_MAP };

struct iobuf {
	uint8_t *p;
	uint64_t valid;		/* accessible bytes from p on */
	struct mapping *m;	/* BUF_MAP */
	uint64_t moff;		/* BUF_MAP: byte offset in the mapping */
	bool skip;
};

static bool method_positional(int method, int64_t off)
{
	switch (method) {
	case RM_POS:
	case RM_POSVEC:
		return true;
	case RM_V2_NOWAIT:
	case RM_V2_BADFLAG:
	case RM_V2_APPEND:
		return off != -1;	/* -1: the file position */
	}
	return false;
}

static int64_t pick_offset(struct worker *w, uint64_t count)
{
	uint64_t r = rnd(w, 100);

	if (r < 82)
		return pick_page(w) * pg + (chance(w, 50) ? rnd(w, pg) : 0);
	if (r < 86)
		return -1;
	if (r < 90)
		return chance(w, 50) ? -(int64_t)pg : INT64_MIN;
	if (r < 95)
		return 1LL << 62;
	return INT64_MAX - (int64_t)rnd(w, umax(count, 1));
}

/* A buffer for @count bytes; a[4] and a[5] describe it. */
static void pick_buffer(struct worker *w, struct op *op, uint64_t *count)
{
	uint64_t r = rnd(w, 100);
	int slot = pick_map(w);

	op->a[5] = splitmix64_next(&w->rng) << 16;
	if (r < 72 || (r >= 86 && slot < 0)) {
		op->a[4] = (uint64_t)BUF_HEAP << 56;
		*count = umin(*count, buf_size);
	} else if (r < 80) {
		op->a[4] = (uint64_t)BUF_GUARD << 56 | rnd(w, pg + 1);
	} else if (r < 86) {
		op->a[4] = (uint64_t)BUF_NULL << 56;
	} else {
		struct mapping *m = &w->maps[slot];
		uint64_t page = rnd(w, m->npages), boff = rnd(w, pg);
		uint64_t room = (m->npages - page) * pg - boff;

		op->a[4] = (uint64_t)BUF_MAP << 56 | (uint64_t)slot << 32 |
			   page;
		op->a[5] |= boff;
		*count = umin(*count, room);
	}
}

/*
 * Resolve a[4]/a[5] into a buffer; @kernel_writes: the kernel stores into
 * it (read), else it loads from it (write).
 */
static void resolve_buffer(struct worker *w, const struct op *op,
			   uint64_t count, bool kernel_writes, struct iobuf *b)
{
	uint64_t spec = op->a[4], kind = spec >> 56;
	struct mapping *m;
	uint64_t page, i;

	memset(b, 0, sizeof(*b));
	switch (kind) {
	case BUF_HEAP:
		b->p = w->buf;
		b->valid = count;
		b->skip = count > buf_size;
		return;
	case BUF_GUARD:
		b->valid = umin(spec & 0xffffffff, pg);
		b->p = w->guard + pg - b->valid;
		return;
	case BUF_NULL:
		return;
	}
	m = map_at(w, (spec >> 32) & 0xff);
	page = spec & 0xffffffff;
	if (kind != BUF_MAP || !m || page >= m->npages ||
	    page * pg + (op->a[5] & (pg - 1)) + count > m->npages * pg) {
		/* Never let the kernel touch memory outside our tables. */
		b->skip = true;
		return;
	}
	b->m = m;
	b->moff = page * pg + (op->a[5] & (pg - 1));
	b->p = (uint8_t *)m->addr + b->moff;
	for (i = page; i * pg < b->moff + count; i++) {
		if (expect_access(m, i, kernel_writes) != ACC_OK)
			break;
		b->valid = i * pg + pg - b->moff;
	}
	b->valid = umin(b->valid, count);
}

/* Device pages [first, first + n) of the buffer's mapping, if any. */
static bool buffer_foreign(struct worker *w, const struct iobuf *b,
			   uint64_t count)
{
	uint64_t first, last;

	if (!b->m || b->skip || !count)
		return false;
	first = b->moff / pg;
	last = (b->moff + count + pg - 1) / pg;
	return dev_foreign(w, b->m->pgoff + first, last - first);
}

/* Do device ranges [a, a + an) and pages of the buffer overlap? */
static bool buffer_overlaps(const struct iobuf *b, uint64_t count,
			    int64_t pos, uint64_t n)
{
	uint64_t bf, bl, first, last;

	if (!b->m || !n || !count)
		return false;
	bf = b->m->pgoff + b->moff / pg;
	bl = b->m->pgoff + (b->moff + count + pg - 1) / pg;
	first = (uint64_t)pos / pg;
	last = ((uint64_t)pos + n + pg - 1) / pg;
	return bf < last && first < bl;
}

/* Split [p, p + count) into 1-4 contiguous iovecs (some maybe empty). */
static int build_iov(struct iovec *iov, uint8_t *p, uint64_t count,
		     uint64_t seed)
{
	uint64_t s = seed, done = 0;
	int n = 1 + seed % 4, i;

	for (i = 0; i < n; i++) {
		uint64_t k = i == n - 1 ? count - done :
			     splitmix64_next(&s) % (count - done + 1);

		iov[i].iov_base = p + done;
		iov[i].iov_len = k;
		done += k;
	}
	return n;
}

static void gen_rw(struct worker *w, struct op *op, bool write)
{
	uint64_t count = pick_count(w);
	uint64_t r = rnd(w, 100);

	op->kind = write ? K_WRITE : K_READ;
	op->a[0] = pick_fd(w, write ? want_writable : want_readable);
	if (r < 30)
		op->variant = RM_PLAIN;
	else if (r < 60)
		op->variant = RM_POS;
	else if (r < 70)
		op->variant = RM_VEC;
	else if (r < 80)
		op->variant = RM_POSVEC;
	else if (r < 88)
		op->variant = RM_V2_CUR;
	else
		op->variant = RM_V2_NOWAIT +
			      rnd(w, (write ? NR_WRITE_METHODS :
				      NR_READ_METHODS) - RM_V2_NOWAIT);
	op->a[2] = pick_offset(w, count);
	pick_buffer(w, op, &count);
	op->a[3] = count;
}

/* File position the operation uses, or the explicit offset. */
static int64_t rw_pos(struct worker *w, const struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);

	if (method_positional(op->variant, op->a[2]))
		return op->a[2];
	return f ? f->pos : 0;
}

static bool rw_needs_excl(struct worker *w, const struct op *op)
{
	struct iobuf b;

	resolve_buffer(w, op, op->a[3], op->kind == K_READ, &b);
	return byte_foreign(w, rw_pos(w, op), op->a[3]) ||
	       buffer_foreign(w, &b, op->a[3]);
}

/*
 * The errno a read or write must fail with before it touches the device
 * (fs/read_write.c), 0 if it gets there; *alt: another correct one.
 */
static int rw_vfs_expect(struct worker *w, const struct op *op, bool write,
			 int *alt)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	int64_t off = op->a[2], pos = rw_pos(w, op);
	uint64_t count = op->a[3];
	int m = op->variant;

	*alt = 0;
	if ((m == RM_POS || m == RM_POSVEC) && off < 0)
		return EINVAL;
	if ((m == RM_V2_NOWAIT || m == RM_V2_BADFLAG || m == RM_V2_APPEND) &&
	    off < -1)
		return EINVAL;
	if (!f || f->mode == FM_PATH)
		return EBADF;
	if (m == RM_TOOMANY) {
		/* 6.1 imports the iovecs before checking the mode */
		if (!(write ? writable(f->mode) : readable(f->mode))) {
			*alt = EINVAL;
			return EBADF;
		}
		return EINVAL;
	}
	if (!(write ? writable(f->mode) : readable(f->mode)))
		return EBADF;
	if (!count)
		return 0;
	if ((int64_t)((uint64_t)pos + count) < 0)
		return EINVAL;	/* rw_verify_area() */
	if (m == RM_V2_NOWAIT || m == RM_V2_BADFLAG)
		return EOPNOTSUPP;
	if (m == RM_V2_APPEND)
		return EINVAL;	/* the driver refuses IOCB_APPEND */
	return 0;
}

static ssize_t rw_call(struct worker *w, const struct op *op, bool wr,
		       int fd, uint8_t *p, uint64_t count)
{
	int64_t off = op->a[2];
	struct iovec iov[4];
	int n = 1;

	iov[0].iov_base = p;
	iov[0].iov_len = count;
	if ((op->a[4] >> 56) == BUF_HEAP)
		n = build_iov(iov, p, count, op->a[5] >> 16);
	switch (op->variant) {
	case RM_PLAIN:
	case RM_FCNTL_APPEND:
		return wr ? write(fd, p, count) : read(fd, p, count);
	case RM_POS:
		return wr ? pwrite(fd, p, count, off) :
			       pread(fd, p, count, off);
	case RM_VEC:
		return wr ? writev(fd, iov, n) : readv(fd, iov, n);
	case RM_POSVEC:
		return wr ? pwritev(fd, iov, n, off) :
			       preadv(fd, iov, n, off);
	case RM_V2_CUR:
		return wr ? pwritev2(fd, iov, n, -1, 0) :
			       preadv2(fd, iov, n, -1, 0);
	case RM_V2_NOWAIT:
		return wr ? pwritev2(fd, iov, n, off, RWF_NOWAIT) :
			       preadv2(fd, iov, n, off, RWF_NOWAIT);
	case RM_V2_BADFLAG:
		return wr ? pwritev2(fd, iov, n, off, RWF_UNKNOWN) :
			       preadv2(fd, iov, n, off, RWF_UNKNOWN);
	case RM_V2_APPEND:
		return pwritev2(fd, iov, n, off, RWF_APPEND);
	case RM_TOOMANY:
		for (n = 0; n <= IOV_MAX; n++) {
			w->iov_many[n].iov_base = p;
			w->iov_many[n].iov_len = 0;
		}
		return wr ? writev(fd, w->iov_many, IOV_MAX + 1) :
			       readv(fd, w->iov_many, IOV_MAX + 1);
	}
	errno = EINVAL;	/* not a method: never logged by gen_rw() */
	return -1;
}

/* Check what the mapping buffer of a read shows, after the model took it. */
static void check_map_buffer(struct worker *w, const struct iobuf *b,
			     uint64_t n)
{
	uint64_t off, end = b->moff + n;

	if (!n)
		return;
	for (off = b->moff & ~(pg - 1); off < end; off += pg) {
		uint64_t i = off / pg;
		const uint8_t *exp = expect_view(b->m, i);
		char d[200];
		int got;

		if (!exp)
			continue;
		got = probe_copy(w->buf2, b->m->addr + off, pg);
		if (got) {
			finding(w, "the read's buffer page %" PRIu64
				" raised %s", i, accname(got));
			return;
		}
		if (memcmp(w->buf2, exp, pg)) {
			describe_diff(d, sizeof(d), w->buf2, exp, pg, NULL);
			finding(w, "the read's buffer page %" PRIu64
				" (a mapping of device page %#" PRIx64 "): %s",
				i, b->m->pgoff + i, d);
			return;
		}
	}
}

static void exec_read(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	uint64_t count = op->a[3], n = 0, lo = 0, hi = 0;
	int64_t pos = rw_pos(w, op);
	bool may_fault = false;
	int expect, alt, err;
	struct iobuf b;
	char what[96];
	ssize_t r;

	resolve_buffer(w, op, count, true, &b);
	if (b.skip || op->variant >= NR_READ_METHODS) {
		op->skipped = 1;
		return;
	}
	expect = rw_vfs_expect(w, op, false, &alt);
	if (!expect && count) {
		uint64_t size = cur_size();

		n = pos >= 0 && (uint64_t)pos < size ?
		    umin(count, size - pos) : 0;
		if (n && b.valid >= n) {
			lo = n;
			hi = n;
		} else if (n && !b.valid) {
			expect = EFAULT;
		} else if (n) {
			if (b.m) {	/* partly stored into a mapping */
				op->skipped = 1;
				return;
			}
			/*
			 * Cut short by the PROT_NONE page: clear_user() of a
			 * hole may stop a few bytes before it.
			 */
			hi = b.valid;
			lo = hi > 63 ? hi - 63 : 0;
			may_fault = !lo;
		}
	}
	if (!expect && b.m && b.m->shared &&
	    buffer_overlaps(&b, count, pos, n)) {
		op->skipped = 1;	/* device to itself: order undefined */
		return;
	}
	/* The bytes it must deliver, before the buffer changes anything. */
	model_get(pos >= 0 ? pos : 0, w->buf2, n);
	r = rw_call(w, op, false, f ? f->fd : -1, b.p, count);
	err = errno;
	snprintf(what, sizeof(what), "read (%s) of %" PRIu64 " at %" PRId64,
		 rw_method_name[op->variant], count, pos);
	if (r < 0 && may_fault && err == EFAULT) {
		op->ret = r;
		op->err = err;
		return;
	}
	if (!check_result(w, what, r, err, expect, alt) || r < 0)
		return;
	if ((uint64_t)r < lo || (uint64_t)r > hi) {
		finding(w, "%s returned %zd, expected %s%" PRIu64, what, r,
			lo == hi ? "" : "at most ", hi);
		return;
	}
	if (b.m) {
		uint64_t i, done;

		/* The kernel stored the bytes through our mapping. */
		for (done = 0; done < (uint64_t)r; ) {
			uint64_t o = b.moff + done, k;

			i = o / pg;
			k = umin(pg - o % pg, r - done);
			apply_store(b.m, i, o % pg, w->buf2 + done, k);
			done += k;
		}
		check_map_buffer(w, &b, r);
	} else if (memcmp(b.p, w->buf2, r)) {
		uint64_t i = 0;
		char d[200];

		while (b.p[i] == w->buf2[i])
			i++;
		describe_diff(d, sizeof(d), b.p + (i & ~(pg - 1)),
			      w->buf2 + (i & ~(pg - 1)),
			      umin(pg, r - (i & ~(pg - 1))), NULL);
		finding(w, "%s: device offset %#" PRIx64 ": %s", what,
			pos + (i & ~(pg - 1)), d);
		return;
	}
	if (!method_positional(op->variant, op->a[2]) && f)
		f->pos += r;
}

/* Bytes [from, to) of the device after a cut-short write: old or new. */
static void adopt_written(struct worker *w, uint64_t from, uint64_t to,
			  const uint8_t *src)
{
	uint64_t i;

	if (from >= to)
		return;
	if (pread(w->vfd, w->buf2, to - from, from) != (ssize_t)(to - from)) {
		finding(w, "pread back after a short write failed");
		return;
	}
	for (i = 0; i < to - from; i++) {
		uint8_t old = from + i < sh->arena ? model[from + i] : 0;

		if (w->buf2[i] != old && w->buf2[i] != src[i]) {
			finding(w,
				"device byte %#" PRIx64 " after a short write is %#x: neither the old %#x nor the written %#x",
				from + i, w->buf2[i], old, src[i]);
			return;
		}
	}
	model_put(from, w->buf2, to - from);
}

static void exec_write(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	uint64_t count = op->a[3], n = 0, lo = 0, hi = 0;
	int64_t pos = rw_pos(w, op);
	int expect, alt, flags = 0;
	uint8_t *src = w->buf;
	struct iobuf b;
	char what[96];
	ssize_t r;

	resolve_buffer(w, op, count, false, &b);
	if (b.skip || op->variant >= NR_WRITE_METHODS) {
		op->skipped = 1;
		return;
	}
	expect = rw_vfs_expect(w, op, true, &alt);
	if (op->variant == RM_FCNTL_APPEND && !expect)
		expect = EINVAL;	/* O_APPEND set with fcntl() */
	if (!expect && count) {
		uint64_t size = cur_size();

		n = pos >= 0 && (uint64_t)pos < size ?
		    umin(count, size - pos) : 0;
		if (!n) {
			expect = ENOSPC;
		} else if (b.valid >= n) {
			lo = n;
			hi = n;
		} else if (!b.valid) {
			expect = EFAULT;
		} else if (!b.m) {
			hi = b.valid;
			lo = 1;
		} else {
			op->skipped = 1;	/* partly read from a mapping */
			return;
		}
	}
	/* What it writes: a pattern, or what our mapping shows. */
	switch (op->a[4] >> 56) {
	case BUF_HEAP:
		fill_pattern(w->buf, count, op->a[5] >> 16);
		break;
	case BUF_GUARD:
		fill_pattern(w->guard, pg, op->a[5] >> 16);
		src = b.p;
		break;
	case BUF_MAP: {
		uint64_t done, k;

		if (!b.valid)
			break;
		if (buffer_overlaps(&b, count, pos, n)) {
			uint64_t i, first = b.moff / pg;
			bool own_copies = !b.m->shared;

			/* Only private copies may be the device's target. */
			for (i = first; i * pg < b.moff + n; i++)
				own_copies &= b.m->state[i] == PS_COW;
			if (!own_copies) {
				op->skipped = 1;
				return;
			}
		}
		for (done = 0; done < umin(b.valid, count); done += k) {
			uint64_t o = b.moff + done;
			const uint8_t *v = expect_view(b.m, o / pg);

			k = umin(pg - o % pg, umin(b.valid, count) - done);
			if (!v) {
				op->skipped = 1;
				return;
			}
			memcpy(w->buf + done, v + o % pg, k);
		}
		src = w->buf;
		break;
	}
	}
	if (op->variant == RM_FCNTL_APPEND && f && f->mode != FM_PATH) {
		flags = fcntl(f->fd, F_GETFL);
		if (fcntl(f->fd, F_SETFL, flags | O_APPEND)) {
			check_result(w, "fcntl(F_SETFL, O_APPEND)", -1, errno,
				     0, 0);
			return;
		}
	}
	r = rw_call(w, op, true, f ? f->fd : -1, b.p, count);
	if (op->variant == RM_FCNTL_APPEND && f && f->mode != FM_PATH)
		fcntl(f->fd, F_SETFL, flags);
	snprintf(what, sizeof(what), "write (%s) of %" PRIu64 " at %" PRId64,
		 rw_method_name[op->variant], count, pos);
	if (!check_result(w, what, r, errno, expect, alt) || r < 0)
		return;
	if ((uint64_t)r < lo || (uint64_t)r > hi) {
		finding(w, "%s returned %zd, expected %s%" PRIu64, what, r,
			lo == hi ? "" : "at most ", hi);
		return;
	}
	model_put(pos, src, r);
	if ((uint64_t)r < hi)
		adopt_written(w, pos + r, pos + hi, src + r);
	if (!method_positional(op->variant, op->a[2]) && f)
		f->pos += r;
}

/* --- lseek --- */

static void gen_lseek(struct worker *w, struct op *op)
{
	uint64_t r = rnd(w, 100), size = cur_size();

	op->kind = K_LSEEK;
	op->a[0] = pick_fd(w, NULL);
	op->a[1] = r < 35 ? SEEK_SET : r < 60 ? SEEK_CUR : r < 85 ? SEEK_END :
		   r < 90 ? SEEK_DATA : r < 95 ? SEEK_HOLE : 99;
	r = rnd(w, 100);
	if (r < 50)
		op->a[2] = rnd(w, size + 1);
	else if (r < 70)
		op->a[2] = -(int64_t)rnd(w, size + 2);
	else if (r < 80)
		op->a[2] = size + rnd(w, 3 * pg);
	else if (r < 90)
		op->a[2] = 0;
	else
		op->a[2] = chance(w, 50) ? INT64_MIN : INT64_MAX;
}

static void exec_lseek(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	int64_t off = op->a[2], want = 0, size = cur_size();
	int whence = op->a[1], expect = 0;
	off_t r;

	if (!f || f->mode == FM_PATH) {
		expect = EBADF;
	} else {
		/* fixed_size_llseek() with the device size */
		switch (whence) {
		case SEEK_SET:
			want = off;
			break;
		case SEEK_CUR:
			if (!off) {
				want = f->pos;	/* even past the end */
				goto call;
			}
			if (__builtin_add_overflow(f->pos, off, &want))
				want = -1;
			break;
		case SEEK_END:
			if (__builtin_add_overflow(size, off, &want))
				want = -1;
			break;
		default:
			expect = EINVAL;
		}
		if (!expect && (want < 0 || want > size))
			expect = EINVAL;
	}
call:
	r = lseek(f ? f->fd : -1, off, whence);
	if (!check_result(w, "lseek", r, errno, expect, 0) || expect)
		return;
	if (r != want) {
		finding(w, "lseek(%" PRId64 ", %d) = %jd, expected %" PRId64,
			off, whence, (intmax_t)r, want);
		return;
	}
	f->pos = r;
}

/* --- ioctls --- */

/* Argument kinds of the ioctl ops, in a[2]. */
enum { ARG_HEAP, ARG_NULL, ARG_NONE_PAGE, ARG_MAP, ARG_GUARD_EDGE };

static void pick_ioctl_arg(struct worker *w, struct op *op, size_t size)
{
	uint64_t r = rnd(w, 100);
	int slot = pick_map(w);

	if (r < 80 || (r >= 92 && slot < 0)) {
		op->a[2] = ARG_HEAP;
	} else if (r < 85) {
		op->a[2] = ARG_NULL;
	} else if (r < 90) {
		op->a[2] = ARG_NONE_PAGE;
	} else if (r < 92) {
		op->a[2] = ARG_GUARD_EDGE;
	} else {
		struct mapping *m = &w->maps[slot];

		op->a[2] = ARG_MAP;
		op->a[3] = (uint64_t)slot << 32 | rnd(w, m->npages);
		op->a[4] = rnd(w, pg - size + 1) & ~7UL;
	}
}

/*
 * Where the ioctl argument of @size bytes goes; *acc: what the kernel
 * touching it meets (ACC_OK or a fault); NULL: skip the op.
 */
static void *ioctl_arg(struct worker *w, const struct op *op, size_t size,
		       bool kernel_writes, int *acc, struct mapping **mp,
		       uint64_t *page)
{
	struct mapping *m;

	*acc = ACC_OK;
	*mp = NULL;
	switch (op->a[2]) {
	case ARG_HEAP:
		return w->buf;
	case ARG_NULL:
		*acc = ACC_SEGV;
		return NULL;
	case ARG_NONE_PAGE:
		*acc = ACC_SEGV;
		return w->guard + pg;
	case ARG_GUARD_EDGE:
		*acc = ACC_SEGV;	/* the struct crosses into PROT_NONE */
		return w->guard + pg - 8;
	case ARG_MAP:
		m = map_at(w, op->a[3] >> 32);
		*page = op->a[3] & 0xffffffff;
		if (!m || *page >= m->npages || op->a[4] + size > pg)
			return NULL;
		*mp = m;
		*acc = expect_access(m, *page, kernel_writes);
		return m->addr + *page * pg + op->a[4];
	}
	return NULL;
}

enum { IV_ARG, IV_SYSFS };

static void gen_info(struct worker *w, struct op *op)
{
	op->kind = K_INFO;
	op->variant = chance(w, 20) ? IV_SYSFS : IV_ARG;
	op->a[0] = pick_fd(w, NULL);
	pick_ioctl_arg(w, op, sizeof(struct mmapdemo_info));
	if (op->variant == IV_SYSFS)
		op->a[2] = ARG_HEAP;
}

static void exec_info(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	struct mmapdemo_info info;
	struct mapping *m;
	uint64_t page = 0;
	int acc, expect, r;
	void *arg;

	arg = ioctl_arg(w, op, sizeof(info), true, &acc, &m, &page);
	if (!arg && op->a[2] == ARG_MAP) {
		op->skipped = 1;
		return;
	}
	expect = !f || f->mode == FM_PATH ? EBADF : acc ? EFAULT : 0;
	if (arg == w->buf)
		memset(w->buf, 0xa5, sizeof(info));
	r = ioctl(f ? f->fd : -1, MMAPDEMO_IOC_INFO, arg);
	if (!check_result(w, "ioctl(INFO)", r, errno, expect, 0) || expect)
		return;
	if (m) {
		/* Stored through our mapping: take it from there. */
		if (probe_copy(&info, arg, sizeof(info))) {
			finding(w, "INFO's buffer in a mapping faults");
			return;
		}
		apply_store(m, page, op->a[4], (uint8_t *)&info, sizeof(info));
	} else {
		memcpy(&info, arg, sizeof(info));
	}
	if (!check_info(w, &info) || op->variant != IV_SYSFS)
		return;

	/* Exclusive: nothing can fault or map meanwhile. */
	if (device_attr_read(MMAPDEMO_ATTR_SIZE) != (long long)cur_size() ||
	    device_attr_read(MMAPDEMO_ATTR_FOLIO_ORDER) != (long long)sh->folio_order ||
	    device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES) !=
	    (long long)info.allocated_bytes) {
		finding(w,
			"sysfs size %lld folio_order %lld allocated_bytes %lld; INFO: size %llu order %u allocated %llu",
			device_attr_read(MMAPDEMO_ATTR_SIZE),
			device_attr_read(MMAPDEMO_ATTR_FOLIO_ORDER),
			device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES),
			(unsigned long long)info.size, info.folio_order,
			(unsigned long long)info.allocated_bytes);
		return;
	}
	r = device_attr_read(MMAPDEMO_ATTR_VMAS);
	if (r != count_device_vmas())
		finding(w,
			"sysfs vmas is %d, the processes have %ld VMAs of the device",
			r, count_device_vmas());
}

/*
 * Store a RESIZE/PUNCH request where the ioctl will read it. False: the
 * op cannot go on (a finding, or a readable page we cannot write to,
 * whose bytes the kernel would take for the request: skipped).
 */
static bool place_request(struct worker *w, struct op *op, void *arg,
			  struct mapping *m, uint64_t page, const void *req,
			  size_t size)
{
	int acc;

	if (!m) {
		if (arg == w->buf)
			memcpy(arg, req, size);
		return true;
	}
	if (expect_access(m, page, false) == ACC_OK &&
	    expect_access(m, page, true) != ACC_OK) {
		op->skipped = 1;
		return false;
	}
	acc = probe_copy(arg, req, size);
	if (acc != expect_access(m, page, true)) {
		finding(w,
			"storing the request in the mapping: %s, expected %s",
			accname(acc), accname(expect_access(m, page, true)));
		return false;
	}
	if (!acc)
		apply_store(m, page, op->a[4], req, size);
	return true;
}

enum {
	ZV_GOOD, ZV_SAME, ZV_MAX_AND_BACK, ZV_ZERO, ZV_UNALIGNED, ZV_TOO_BIG,
	ZV_FLAGS, ZV_RESERVED, NR_RESIZE_VARIANTS
};

static uint64_t pick_size(struct worker *w)
{
	uint64_t ap = arena_pages(), r = rnd(w, 100), cur = size_pages();

	if (r < 40)
		return (ap - rnd(w, ap / 8)) * pg;
	if (r < 60)
		return (1 + rnd(w, ap)) * pg;
	if (r < 65)
		return pg;
	if (r < 80) {
		uint64_t f = 512 * (1 + rnd(w, ap / 512));

		return umin(f - 1 + rnd(w, 3), ap) * pg;
	}
	return umax(1, umin(cur + rnd(w, 9) - 4, ap)) * pg;
}

static void gen_resize(struct worker *w, struct op *op)
{
	uint64_t r = rnd(w, 100);

	op->kind = K_RESIZE;
	op->variant = r < 70 ? ZV_GOOD : r < 74 ? ZV_SAME :
		      r < 78 ? ZV_MAX_AND_BACK :
		      ZV_ZERO + rnd(w, NR_RESIZE_VARIANTS - ZV_ZERO);
	op->a[0] = pick_fd(w, want_writable);
	op->a[1] = pick_size(w);
	pick_ioctl_arg(w, op, sizeof(struct mmapdemo_resize));
}

static void exec_resize(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	struct mmapdemo_resize req = { .size = op->a[1] };
	uint64_t old = cur_size(), page = 0;
	struct mmapdemo_info info;
	struct mapping *m;
	int acc, expect = 0, r;
	void *arg;

	arg = ioctl_arg(w, op, sizeof(req), false, &acc, &m, &page);
	if (!arg && op->a[2] == ARG_MAP) {
		op->skipped = 1;
		return;
	}
	switch (op->variant) {
	case ZV_SAME:
		req.size = old;
		break;
	case ZV_MAX_AND_BACK:
		req.size = sh->max_size;
		break;
	case ZV_ZERO:
		req.size = 0;
		expect = EINVAL;
		break;
	case ZV_UNALIGNED:
		req.size = op->a[1] - 1;
		expect = EINVAL;
		break;
	case ZV_TOO_BIG:
		req.size = sh->max_size + pg;
		expect = EINVAL;
		break;
	case ZV_FLAGS:
		req.flags = 1U << (op->a[1] % 32);
		expect = EINVAL;
		break;
	case ZV_RESERVED:
		req.reserved = 1U << (op->a[1] % 32);
		expect = EINVAL;
		break;
	}
	if (req.size > sh->arena && op->variant != ZV_MAX_AND_BACK && !expect) {
		op->skipped = 1;
		return;
	}
	if (!f || f->mode == FM_PATH || !writable(f->mode))
		expect = EBADF;	/* checked before the argument */
	else if (acc)
		expect = EFAULT;
	if (!place_request(w, op, arg, m, page, &req, sizeof(req)))
		return;
	r = ioctl(f ? f->fd : -1, MMAPDEMO_IOC_RESIZE, arg);
	if (!check_result(w, "ioctl(RESIZE)", r, errno, expect, 0) || expect)
		return;
	set_size(w, req.size);
	if (do_info(w->vfd, &info) || !check_info(w, &info))
		return;
	if (op->variant == ZV_MAX_AND_BACK) {
		uint8_t c = 1;

		/* The far end reads as a hole; then back to where we were. */
		if (pread(w->vfd, &c, 1, req.size - 1) != 1 || c) {
			finding(w, "the last byte of the grown device reads %#x", c);
			return;
		}
		r = do_resize(w->vfd, old);
		if (!check_result(w, "ioctl(RESIZE) back", r, errno, 0, 0))
			return;
		set_size(w, old);
	}
}

enum {
	HV_GOOD, HV_WHOLE, HV_PAST_END, HV_LEN0, HV_UNALIGNED_OFF,
	HV_UNALIGNED_LEN, HV_OVERFLOW, HV_FLAGS, HV_RESERVED,
	NR_PUNCH_VARIANTS
};

static void gen_punch(struct worker *w, struct op *op)
{
	uint64_t r = rnd(w, 100);

	op->kind = K_PUNCH;
	op->variant = r < 70 ? HV_GOOD : r < 76 ? HV_WHOLE : r < 80 ?
		      HV_PAST_END : HV_LEN0 + rnd(w, NR_PUNCH_VARIANTS -
						       HV_LEN0);
	op->a[0] = pick_fd(w, want_writable);
	op->a[1] = pick_page(w) * pg;
	op->a[5] = pick_npages(w) * pg;
	if (chance(w, 30))
		op->a[5] = (1 + rnd(w, 3)) * pg;
	if (chance(w, 40)) {
		/* inside the own slice: runs in parallel with the others */
		uint64_t first = w->sl_lo + rnd(w, w->sl_hi - w->sl_lo);

		op->a[1] = first * pg;
		op->a[5] = (1 + rnd(w, umin(w->sl_hi - first, 600))) * pg;
	}
	pick_ioctl_arg(w, op, sizeof(struct mmapdemo_punch));
}

/* The PUNCH request of @op; the errno its values must fail with, or 0. */
static int punch_request(const struct op *op, uint64_t size,
			 struct mmapdemo_punch *req)
{
	memset(req, 0, sizeof(*req));
	req->offset = op->a[1];
	req->length = op->a[5];
	switch (op->variant) {
	case HV_WHOLE:
		req->offset = 0;
		req->length = size;
		break;
	case HV_PAST_END:
		req->offset = size + op->a[1] % (64 * pg);
		break;
	case HV_LEN0:
		req->length = 0;
		return EINVAL;
	case HV_UNALIGNED_OFF:
		req->offset += 1 + op->a[5] % (pg - 1);
		return EINVAL;
	case HV_UNALIGNED_LEN:
		req->length -= 1 + op->a[1] % (pg - 1);
		return EINVAL;
	case HV_OVERFLOW:
		req->offset = ULLONG_MAX & ~(pg - 1);
		req->length = 2 * pg;
		return EINVAL;
	case HV_FLAGS:
		req->flags = 1U << (op->a[1] % 32);
		return EINVAL;
	case HV_RESERVED:
		req->reserved = 1U << (op->a[5] % 32);
		return EINVAL;
	}
	return 0;
}

/*
 * A punch of pages of the worker's own slice runs under the shared lock:
 * only this worker reads or writes them, but the others may be faulting
 * them into their own mappings (populate, mlock) or using the rest of the
 * same folios meanwhile, which is the race the driver must get right.
 */
static bool punch_needs_excl(struct worker *w, const struct op *op)
{
	uint64_t size = cur_size();
	struct mmapdemo_punch req;
	struct mapping *m;

	if (op->variant == HV_WHOLE)
		return true;	/* it checks that nothing is left */
	if (op->a[2] == ARG_MAP) {
		m = map_at(w, op->a[3] >> 32);
		if (m && dev_foreign(w, m->pgoff + (op->a[3] & 0xffffffff), 1))
			return true;
	}
	if (punch_request(op, size, &req) || req.offset >= size)
		return false;	/* changes nothing */
	return dev_foreign(w, req.offset / pg,
			   (umin(req.length, size - req.offset) + pg - 1) / pg);
}

static void exec_punch(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	uint64_t size = cur_size(), page = 0;
	struct mmapdemo_info info;
	struct mmapdemo_punch req;
	struct mapping *m;
	int acc, expect, r;
	void *arg;

	arg = ioctl_arg(w, op, sizeof(req), false, &acc, &m, &page);
	if (!arg && op->a[2] == ARG_MAP) {
		op->skipped = 1;
		return;
	}
	expect = punch_request(op, size, &req);
	if (!f || f->mode == FM_PATH || !writable(f->mode))
		expect = EBADF;
	else if (acc)
		expect = EFAULT;
	if (!place_request(w, op, arg, m, page, &req, sizeof(req)))
		return;
	r = ioctl(f ? f->fd : -1, MMAPDEMO_IOC_PUNCH, arg);
	if (!check_result(w, "ioctl(PUNCH)", r, errno, expect, 0) || expect)
		return;
	if (req.offset < size)
		model_zero(req.offset, umin(req.length, size - req.offset));
	if (op->variant == HV_WHOLE) {
		/* Exclusive, whole device: every folio must be gone. */
		if (do_info(w->vfd, &info) || !check_info(w, &info))
			return;
		if (info.allocated_bytes)
			finding(w, "after punching the whole device, allocated_bytes is %llu",
				(unsigned long long)info.allocated_bytes);
	}
}

enum {
	BV_UNKNOWN_NR, BV_WRONG_SIZE, BV_WRONG_DIR, BV_ZERO, BV_FIONREAD,
	BV_OTHER_MAGIC, BV_FIOQSIZE, BV_FIONBIO, BV_FIOCLEX,
	NR_BAD_IOCTLS
};

static void gen_ioctl_bad(struct worker *w, struct op *op)
{
	op->kind = K_IOCTL_BAD;
	op->variant = rnd(w, NR_BAD_IOCTLS);
	op->a[0] = pick_fd(w, NULL);
}

static void exec_ioctl_bad(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	unsigned long cmd = 0;
	int expect = ENOTTY, fd = f ? f->fd : -1, on = 1, off = 0, r;
	void *arg = w->buf;

	memset(w->buf, 0, 64);
	switch (op->variant) {
	case BV_UNKNOWN_NR:
		cmd = _IO(MMAPDEMO_IOC_MAGIC, 0x7f);
		break;
	case BV_WRONG_SIZE:
		cmd = _IOR(MMAPDEMO_IOC_MAGIC, 0x00, __u32);
		break;
	case BV_WRONG_DIR:
		cmd = _IOR(MMAPDEMO_IOC_MAGIC, 0x01, struct mmapdemo_resize);
		break;
	case BV_ZERO:
		cmd = 0;
		break;
	case BV_FIONREAD:
		cmd = FIONREAD;	/* passed to the driver for non-files */
		break;
	case BV_OTHER_MAGIC:
		cmd = _IOW(MMAPDEMO_IOC_MAGIC - 1, 0x42, int);
		break;
	case BV_FIOQSIZE:
		cmd = FIOQSIZE;	/* only files, directories and links */
		break;
	case BV_FIONBIO:
		cmd = FIONBIO;
		arg = &on;
		expect = 0;
		break;
	case BV_FIOCLEX:
		cmd = FIOCLEX;
		expect = 0;
		break;
	default:
		op->skipped = 1;
		return;
	}
	if (!f || f->mode == FM_PATH)
		expect = EBADF;
	r = ioctl(fd, cmd, arg);
	check_result(w, "ioctl", r, errno, expect, 0);
	/* Leave the file as it was (a fork child shares it). */
	if (!r && op->variant == BV_FIONBIO)
		ioctl(fd, FIONBIO, &off);
	if (!r && op->variant == BV_FIOCLEX)
		ioctl(fd, FIONCLEX);
}

/* --- loads and stores through the mappings --- */

static void gen_map_access(struct worker *w, struct op *op, bool write)
{
	int slot = pick_map(w);
	struct mapping *m = &w->maps[slot];
	uint64_t first, n, boff;

	op->kind = write ? K_MAP_WRITE : K_MAP_READ;
	op->a[0] = slot;
	first = rnd(w, m->npages);
	/* Prefer pages of our own slice: those run in parallel. */
	if (chance(w, 70) && m->pgoff < w->sl_hi &&
	    m->pgoff + m->npages > w->sl_lo) {
		uint64_t lo = umax(m->pgoff, w->sl_lo) - m->pgoff;
		uint64_t hi = umin(m->pgoff + m->npages, w->sl_hi) - m->pgoff;

		first = lo + rnd(w, hi - lo);
	}
	n = 1 + rnd(w, umin(m->npages - first, chance(w, 80) ? 3 : 64));
	boff = chance(w, 50) ? rnd(w, pg) : 0;
	op->a[1] = first;
	op->a[2] = n;
	op->a[3] = boff;
	op->a[4] = 1 + rnd(w, n * pg - boff);
	op->a[5] = splitmix64_next(&w->rng);
}

static void exec_map_access(struct worker *w, struct op *op, bool write)
{
	struct mapping *m = map_at(w, op->a[0]);
	uint64_t start = op->a[1] * pg + op->a[3], len = op->a[4];
	uint64_t end = start + len, off, next;
	uint8_t *src = w->buf, *tmp = w->buf2;

	if (!m || !len || end > m->npages * pg || len > buf_size) {
		op->skipped = 1;
		return;
	}
	if (write)
		fill_pattern(src, len, op->a[5]);
	op->ret = 0;
	for (off = start; off < end; off = next) {
		uint64_t i = off / pg, in = off % pg, k;
		char *p = m->addr + off;
		int exp = expect_access(m, i, write), got;
		const uint8_t *view;
		char d[200];

		next = umin((i + 1) * pg, end);
		k = next - off;
		if (write)
			got = probe_copy(p, src + (off - start), k);
		else
			got = probe_copy(tmp, p, k);
		if (got != exp) {
			finding(w, "%s of page %" PRIu64 " (device page %#"
				PRIx64 ", %s, prot %d, %s): %s, expected %s",
				write ? "store" : "load", i, m->pgoff + i,
				m->shared ? "shared" : "private", m->prot[i],
				m->shared ? "-" : m->state[i] == PS_COW ?
				"private copy" : "follows the device",
				accname(got), accname(exp));
			return;
		}
		if (got) {
			uintptr_t page = (uintptr_t)(m->addr + i * pg);

			if ((uintptr_t)probe_addr < page ||
			    (uintptr_t)probe_addr >= page + pg)
				finding(w, "%s at %p reported for page %p",
					accname(got), probe_addr, (void *)page);
			op->ret++;
			continue;
		}
		if (write) {
			apply_store(m, i, in, src + (off - start), k);
			continue;
		}
		view = expect_view(m, i);
		if (view && memcmp(tmp, view + in, k)) {
			describe_diff(d, sizeof(d), tmp, view + in, k,
				      m->shared ? NULL :
				      model_page(m->pgoff + i) + in);
			finding(w,
				"load of page %" PRIu64 " bytes %" PRIu64 "-%" PRIu64 " (device page %#" PRIx64 ", %s%s): %s",
				i, in, in + k, m->pgoff + i,
				m->shared ? "shared" : "private, ",
				m->shared ? "" : m->state[i] == PS_COW ?
				"private copy" : "follows the device",
				d);
			return;
		}
	}
}

/* --- verification --- */

/*
 * The pages of @m against the model (exclusive lock): all of a small
 * mapping, every stride-th page (from @phase on) of a large one, which
 * costs too much under TCG to read whole every time.
 */
static bool verify_mapping(struct worker *w, struct mapping *m, int slot,
			   uint64_t phase)
{
	uint64_t i, stride = (m->npages + 255) / 256;
	int prev = -1;

	for (i = 0; i < m->npages; i++) {
		int exp = expect_access(m, i, false), got;
		const uint8_t *view;
		char d[200];

		if (stride > 1 && i % stride != phase % stride)
			continue;
		/* Faults are slow under TCG: probe the first of a run. */
		if (exp != ACC_OK && exp == prev && i + 1 < m->npages)
			continue;
		prev = exp;
		got = probe_copy(w->buf2, m->addr + i * pg, pg);
		if (got != exp) {
			finding(w,
				"verify: mapping %d page %" PRIu64 " (device page %#" PRIx64 ", %s, prot %d): %s, expected %s",
				slot, i, m->pgoff + i,
				m->shared ? "shared" : "private", m->prot[i],
				accname(got), accname(exp));
			return false;
		}
		view = got ? NULL : expect_view(m, i);
		if (view && memcmp(w->buf2, view, pg)) {
			describe_diff(d, sizeof(d), w->buf2, view, pg,
				      m->shared ? NULL :
				      model_page(m->pgoff + i));
			finding(w,
				"verify: mapping %d page %" PRIu64 " (device page %#" PRIx64 ", %s%s): %s",
				slot, i, m->pgoff + i,
				m->shared ? "shared" : "private, ",
				m->shared ? "" : m->state[i] == PS_COW ?
				"private copy" : "follows the device",
				d);
			return false;
		}
	}
	return true;
}

/*
 * Everything at once (exclusive lock): the whole device, every page of
 * the worker's mappings, its file positions, INFO and sysfs. VV_OWN
 * leaves out the device (another worker checks it at the epoch's end).
 */
static void exec_verify(struct worker *w, struct op *op)
{
	uint64_t size = cur_size();
	struct mmapdemo_info info;
	uint8_t c;
	int s;

	op->ret = 0;
	if (op->variant == VV_FULL) {
		if (!verify_device_range(w, 0, size))
			return;
		if (pread(w->vfd, &c, 1, size) != 0) {
			finding(w, "read at the end of the device did not return 0");
			return;
		}
	}
	for (s = 0; s < NMAP; s++)
		if (map_at(w, s) &&
		    !verify_mapping(w, &w->maps[s], s, op->a[0] + s))
			return;
	for (s = 0; s < NFD; s++) {
		struct fd_slot *f = fd_at(w, s);
		off_t pos;

		if (!f || f->mode == FM_PATH)
			continue;
		pos = lseek(f->fd, 0, SEEK_CUR);
		if (pos != f->pos) {
			finding(w, "fd slot %d is at %jd, the model says %"
				PRId64, s, (intmax_t)pos, f->pos);
			return;
		}
	}
	if (do_info(w->vfd, &info) || !check_info(w, &info))
		return;
	if (device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES) !=
	    (long long)info.allocated_bytes)
		finding(w, "sysfs allocated_bytes %lld, INFO %llu",
			device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES),
			(unsigned long long)info.allocated_bytes);
	else if (device_attr_read(MMAPDEMO_ATTR_VMAS) != count_device_vmas())
		finding(w,
			"sysfs vmas is %lld, the processes have %ld VMAs of the device",
			device_attr_read(MMAPDEMO_ATTR_VMAS), count_device_vmas());
}

/* Epoch start (exclusive, all tables empty): a zeroed device of a[0]. */
static void exec_epoch(struct worker *w, struct op *op)
{
	struct mmapdemo_info info;
	int r;

	r = do_resize(w->vfd, pg);
	if (!check_result(w, "ioctl(RESIZE) to one page", r, errno, 0, 0))
		return;
	set_size(w, pg);
	r = do_punch(w->vfd, 0, pg);
	if (!check_result(w, "ioctl(PUNCH) of page 0", r, errno, 0, 0))
		return;
	model_zero(0, pg);
	if (do_info(w->vfd, &info) || !check_info(w, &info))
		return;
	if (info.allocated_bytes) {
		finding(w, "unmapped device of one punched page: allocated_bytes %llu",
			(unsigned long long)info.allocated_bytes);
		return;
	}
	if (op->a[0] < pg || op->a[0] > sh->arena || op->a[0] % pg) {
		op->skipped = 1;
		return;
	}
	r = do_resize(w->vfd, op->a[0]);
	if (!check_result(w, "ioctl(RESIZE) for the epoch", r, errno, 0, 0))
		return;
	set_size(w, op->a[0]);
}

static void exec_cleanup(struct worker *w, struct op *op)
{
	int s;

	for (s = 0; s < NMAP; s++) {
		struct mapping *m = map_at(w, s);

		if (!m)
			continue;
		if (munmap(m->addr, m->npages * pg)) {
			check_result(w, "munmap at cleanup", -1, errno, 0, 0);
			return;
		}
		map_release(m);
	}
	for (s = 0; s < NFD; s++) {
		if (!fd_at(w, s))
			continue;
		if (close(w->fds[s].fd)) {
			check_result(w, "close at cleanup", -1, errno, 0, 0);
			return;
		}
		w->fds[s].fd = -1;
	}
	op->ret = 0;
}

/* --- running one operation --- */

static bool always_excl(const struct op *op)
{
	switch (op->kind) {
	case K_RESIZE:
	case K_FORK:
	case K_FORK_END:
	case K_CHILD_EXIT:
	case K_VERIFY:
	case K_EPOCH:
		return true;
	case K_INFO:
		return op->variant == IV_SYSFS;
	}
	return false;
}

/* Does the op read or write device bytes outside the worker's slice? */
static bool needs_excl(struct worker *w, const struct op *op)
{
	struct mapping *m = NULL;
	uint64_t first = op->a[1], n = op->a[2];

	switch (op->kind) {
	case K_READ:
	case K_WRITE:
		return rw_needs_excl(w, op);
	case K_MAP_READ:
	case K_MAP_WRITE:
		m = map_at(w, op->a[0]);
		n = (op->a[3] + op->a[4] + pg - 1) / pg;
		return m && dev_foreign(w, m->pgoff + first, n);
	case K_MMAP:
		return mmap_populates_privately(op) &&
		       dev_foreign(w, op->a[2] / pg, (op->a[3] + pg - 1) / pg);
	case K_MLOCK:
		m = map_at(w, op->a[0]);
		return m && !m->shared && mlock_populates(op) &&
		       dev_foreign(w, m->pgoff + first, n);
	case K_MADVISE:
		m = map_at(w, op->a[0]);
		return m && !m->shared && op->a[3] < NR_ADVICES &&
		       advices[op->a[3]] == MADV_POPULATE_WRITE &&
		       dev_foreign(w, m->pgoff + first, n);
	case K_PUNCH:
		return punch_needs_excl(w, op);
	case K_INFO:
		if (op->a[2] != ARG_MAP)
			return false;
		m = map_at(w, op->a[3] >> 32);
		return m && dev_foreign(w, m->pgoff + (op->a[3] & 0xffffffff),
					1);
	}
	return false;
}

static void exec_op(struct worker *w, struct op *op)
{
	switch (op->kind) {
	case K_OPEN:
		exec_open(w, op);
		break;
	case K_CLOSE:
		exec_close(w, op);
		break;
	case K_MMAP:
		exec_mmap(w, op);
		break;
	case K_MUNMAP:
		exec_munmap(w, op);
		break;
	case K_MREMAP:
		exec_mremap(w, op);
		break;
	case K_MPROTECT:
		exec_mprotect(w, op);
		break;
	case K_MADVISE:
		exec_madvise(w, op);
		break;
	case K_MSYNC:
		exec_msync(w, op);
		break;
	case K_MLOCK:
		exec_mlock(w, op);
		break;
	case K_FORK:
		exec_fork(w, op);
		break;
	case K_READ:
		exec_read(w, op);
		break;
	case K_WRITE:
		exec_write(w, op);
		break;
	case K_LSEEK:
		exec_lseek(w, op);
		break;
	case K_INFO:
		exec_info(w, op);
		break;
	case K_RESIZE:
		exec_resize(w, op);
		break;
	case K_PUNCH:
		exec_punch(w, op);
		break;
	case K_IOCTL_BAD:
		exec_ioctl_bad(w, op);
		break;
	case K_MAP_READ:
		exec_map_access(w, op, false);
		break;
	case K_MAP_WRITE:
		exec_map_access(w, op, true);
		break;
	case K_VERIFY:
		exec_verify(w, op);
		break;
	case K_EPOCH:
		exec_epoch(w, op);
		break;
	case K_CLEANUP:
		exec_cleanup(w, op);
		break;
	case K_FORK_END:
		exec_fork_end(w, op);
		break;
	case K_CHILD_EXIT:
		exec_child_exit(w, op);
		break;
	default:
		op->skipped = 1;
	}
}

/* Lock, log, execute, count. */
static void run_op(struct worker *w, struct op *op)
{
	bool excl = always_excl(op);
	struct op *rec;
	uint64_t t0;

	if (op->kind == K_FORK_END)
		worker_reap_child(w);	/* the child needs the lock to finish */
	lock_dev(excl);
	sync_shrinks(w);
	if (!excl && needs_excl(w, op)) {
		unlock_dev();
		excl = true;
		lock_dev(true);
		sync_shrinks(w);
	}
	op->worker = w->id;
	op->depth = w->depth;
	op->excl = excl;
	op->skipped = 0;
	op->expect_err = 0;
	op->ret = -1;
	op->err = 0;
	rec = log_append(op);
	w->cur = rec;
	running_op = rec->idx;
	t0 = now_ns();
	exec_op(w, rec);
	t0 = now_ns() - t0;
	running_op = UINT32_MAX;
	if (w->just_forked) {
		/* The fork child: the parent holds the lock and unlocks. */
		w->just_forked = false;
		return;
	}
	unlock_dev();
	__atomic_add_fetch(&sh->nsecs[rec->kind], t0, __ATOMIC_RELAXED);
	if (!rec->skipped) {
		__atomic_add_fetch(&sh->count[rec->kind], 1, __ATOMIC_RELAXED);
		if (rec->expect_err)
			__atomic_add_fetch(&sh->errs[rec->kind], 1,
					   __ATOMIC_RELAXED);
	}
}

/* Pick the next operation for @w. */
static void gen_op(struct worker *w, struct op *op)
{
	unsigned int total = 0, k, pick;

	memset(op, 0, sizeof(*op));
	for (k = 0; k < NR_TESTED; k++)
		total += kind_weight[k];
	pick = rnd(w, total);
	for (k = 0; pick >= kind_weight[k]; k++)
		pick -= kind_weight[k];
	if (k == K_FORK && w->depth)
		k = K_MAP_READ;
	switch (k) {
	case K_MUNMAP:
	case K_MREMAP:
	case K_MPROTECT:
	case K_MADVISE:
	case K_MSYNC:
	case K_MLOCK:
	case K_MAP_READ:
	case K_MAP_WRITE:
		if (pick_map(w) < 0)
			k = K_MMAP;
		break;
	case K_CLOSE:
		if (pick_used_fd(w) < 0)
			k = K_OPEN;
		break;
	}
	if (k == K_MMAP && pick_used_fd(w) < 0 && chance(w, 90))
		k = K_OPEN;
	if (k == K_MMAP && free_map_slot(w) < 0 && chance(w, 85))
		k = K_MUNMAP;	/* the table is full */
	switch (k) {
	case K_OPEN:
		gen_open(w, op);
		break;
	case K_CLOSE:
		gen_close(w, op);
		break;
	case K_MMAP:
		gen_mmap(w, op);
		break;
	case K_MUNMAP:
		gen_munmap(w, op);
		break;
	case K_MREMAP:
		gen_mremap(w, op);
		break;
	case K_MPROTECT:
		gen_mprotect(w, op);
		break;
	case K_MADVISE:
		gen_madvise(w, op);
		break;
	case K_MSYNC:
		gen_msync(w, op);
		break;
	case K_MLOCK:
		gen_mlock(w, op);
		break;
	case K_FORK:
		gen_fork(w, op);
		break;
	case K_READ:
	case K_WRITE:
		gen_rw(w, op, k == K_WRITE);
		break;
	case K_LSEEK:
		gen_lseek(w, op);
		break;
	case K_INFO:
		gen_info(w, op);
		break;
	case K_RESIZE:
		gen_resize(w, op);
		break;
	case K_PUNCH:
		gen_punch(w, op);
		break;
	case K_IOCTL_BAD:
		gen_ioctl_bad(w, op);
		break;
	case K_MAP_READ:
	case K_MAP_WRITE:
		gen_map_access(w, op, k == K_MAP_WRITE);
		break;
	default:
		op->kind = K_VERIFY;
		op->variant = chance(w, 50) ? VV_FULL : VV_OWN;
		op->a[0] = rnd(w, 1024);
	}
}

static void run_simple(struct worker *w, enum kind k, uint32_t variant,
		       uint64_t a0)
{
	struct op op;

	memset(&op, 0, sizeof(op));
	op.kind = k;
	op.variant = variant;
	op.a[0] = a0;
	run_op(w, &op);
}

/* --- workers --- */

static struct worker *worker_new(int id)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	uint64_t per = arena_pages() / sh->nworkers;
	int s;

	w->id = id;
	/* Hashed: seeds a multiple of the increment apart share a stream. */
	w->rng = mix_bits64(opt.seed ^ mix_bits64(id + 1));
	w->sl_lo = per * id;
	w->sl_hi = id == (int)sh->nworkers - 1 ? arena_pages() : per * (id + 1);
	w->shrink_seen = sh->shrink_seq;
	for (s = 0; s < NFD; s++)
		w->fds[s].fd = -1;
	w->vfd = open(MMAPDEMO_DEVICE_PATH, O_RDWR);
	w->buf = xcalloc(1, buf_size);
	w->buf2 = xcalloc(1, buf_size);
	w->iov_many = xcalloc(IOV_MAX + 1, sizeof(struct iovec));
	w->guard = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->vfd < 0 || w->guard == MAP_FAILED ||
	    mprotect(w->guard + pg, pg, PROT_NONE)) {
		say("# stress_test: worker setup failed: %s", strerror(errno));
		exit(KSFT_FAIL);
	}
	return w;
}

/* A fork child: its own operations on the inherited state, then exit. */
static void __noreturn child_main(struct worker *w, uint64_t nops)
{
	struct op op;
	uint64_t i;

	for (i = 0; i < nops && !stopped(); i++) {
		gen_op(w, &op);
		run_op(w, &op);
	}
	if (!stopped())
		run_simple(w, K_CHILD_EXIT, 0, 0);
	_exit(0);
}

static void one_op(struct worker *w)
{
	struct op op;

	gen_op(w, &op);
	run_op(w, &op);
	if (w->is_child)
		child_main(w, op.a[1]);
	if (w->child)
		run_simple(w, K_FORK_END, 0, 0);
}

static void write_log_file(const char *path, bool append);
static void report_progress(void);

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t per_worker = (opt.ops + sh->nworkers - 1) / sh->nworkers;
	uint64_t done = 0, i;

	while (done < per_worker) {
		uint64_t n = umin(opt.epoch_ops, per_worker - done);

		if (!barrier_wait())
			break;
		if (w->id == 0) {
			uint64_t ap = arena_pages();

			report_progress();
			if (opt.log && sh->epoch)
				write_log_file(opt.log, true);
			sh->epoch++;
			sh->log_n = 0;
			run_simple(w, K_EPOCH, 0, (ap - rnd(w, ap / 3)) * pg);
		}
		if (!barrier_wait())
			break;
		for (i = 0; i < n && !stopped(); i++)
			one_op(w);
		if (stopped())
			break;
		run_simple(w, K_VERIFY, w->id ? VV_OWN : VV_FULL, 0);
		run_simple(w, K_CLEANUP, 0, 0);
		done += n;
	}
	if (!stopped() && barrier_wait() && w->id == 0 && opt.log)
		write_log_file(opt.log, true);
	return NULL;
}

/* One process of --threads workers. */
static void __noreturn proc_main(int p)
{
	pthread_t th[MAX_WORKERS];
	unsigned int t;

	register_pid(getpid());
	for (t = 0; t < opt.threads; t++)
		ctx[p * opt.threads + t] = worker_new(p * opt.threads + t);
	for (t = 1; t < opt.threads; t++)
		if (pthread_create(&th[t], NULL, worker_main,
				   ctx[p * opt.threads + t])) {
			say("# stress_test: pthread_create failed");
			_exit(KSFT_FAIL);
		}
	worker_main(ctx[p * opt.threads]);
	for (t = 1; t < opt.threads; t++)
		pthread_join(th[t], NULL);
	_exit(0);
}

static void run_workers(void)
{
	pid_t pids[MAX_WORKERS];
	unsigned int p, left;
	int st;

	fflush(stdout);
	for (p = 0; p < opt.procs; p++) {
		pids[p] = fork();
		if (pids[p] < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
		if (!pids[p])
			proc_main(p);
	}
	for (left = opt.procs; left; left--) {
		pid_t pid = wait(&st);

		if (pid < 0)
			break;
		for (p = 0; p < opt.procs; p++)
			if (pids[p] == pid)
				break;
		unregister_pid(pid);
		if (p < opt.procs && (!WIFEXITED(st) || WEXITSTATUS(st))) {
			unsigned int n = __atomic_add_fetch(&sh->findings, 1,
							    __ATOMIC_SEQ_CST);

			__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
			say("# FINDING %u: worker process %u (pid %d) %s %d",
			    n, p, pid, WIFSIGNALED(st) ? "killed by signal" :
			    "exit status", WIFSIGNALED(st) ? WTERMSIG(st) :
			    WEXITSTATUS(st));
			if (n == 1)
				snprintf(sh->first_finding,
					 sizeof(sh->first_finding),
					 "worker process %u died", p);
		}
	}
}

static uint64_t ops_done(void)
{
	uint64_t total = 0;
	int k;

	for (k = 0; k < NR_TESTED; k++)
		total += __atomic_load_n(&sh->count[k], __ATOMIC_RELAXED);
	return total;
}

/* Long runs say how they are doing every half minute. */
static void report_progress(void)
{
	uint64_t now = now_ns(), total = ops_done();

	if (now - sh->progress_ns < 30000000000ULL)
		return;
	sh->progress_ns = now;
	say("# progress: %" PRIu64 " ops in %.0f s (%.0f ops/s), epoch %u",
	    total, (now - sh->start_ns) / 1e9,
	    total / ((now - sh->start_ns) / 1e9), sh->epoch);
}

/* --- the log file and replay --- */

static void print_log_header(FILE *f, const char *prefix)
{
	fprintf(f,
		"%sconfig arena=%" PRIu64 " workers=%u folio_order=%u seed=%" PRIu64 " epoch=%u\n",
		prefix, sh->arena, sh->nworkers, sh->folio_order, opt.seed,
		sh->epoch);
}

static void write_log_file(const char *path, bool append)
{
	uint32_t n = umin(sh->log_n, sh->log_cap), i;
	char line[300];
	FILE *f = fopen(path, append ? "a" : "w");

	if (!f)
		return;
	print_log_header(f, "");
	for (i = 0; i < n; i++) {
		format_op(&oplog[i], line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	fclose(f);
}

static void dump_log(void)
{
	uint32_t n = umin(sh->log_n, sh->log_cap), i;
	char line[300];

	say("# the operations of epoch %u follow (%u); replay them with:",
	    sh->epoch, n);
	say("#   stress_test --replay FILE  (FILE: these lines without the \"%s\" prefix, also in %s)",
	    REPLAY_PREFIX, opt.log ? opt.log : DEFAULT_REPLAY_FILE);
	if (sh->log_lost)
		say("# (the log overflowed: the replay is incomplete)");
	fflush(stdout);
	printf("%sconfig arena=%" PRIu64 " workers=%u folio_order=%u seed=%"
	       PRIu64 " epoch=%u\n", REPLAY_PREFIX, sh->arena, sh->nworkers,
	       sh->folio_order, opt.seed, sh->epoch);
	for (i = 0; i < n; i++) {
		format_op(&oplog[i], line, sizeof(line));
		printf("%s%s\n", REPLAY_PREFIX, line);
	}
	fflush(stdout);
	write_log_file(opt.log ? opt.log : DEFAULT_REPLAY_FILE, false);
}

static int kind_by_name(const char *name)
{
	int k;

	for (k = 0; k < NR_KINDS; k++)
		if (!strcmp(name, kind_name[k]))
			return k;
	return -1;
}

struct replay {
	struct op *ops;
	size_t n, cap;
	unsigned int workers;
	uint64_t arena;
	unsigned int folio_order;
};

static void load_replay(const char *path, struct replay *rp)
{
	char line[512], name[32];
	FILE *f = fopen(path, "r");

	if (!f)
		ksft_exit_fail_msg("%s: %s\n", path, strerror(errno));
	memset(rp, 0, sizeof(*rp));
	while (fgets(line, sizeof(line), f)) {
		char *s = line;
		unsigned int idx, worker, depth, variant;
		unsigned long long a[6];
		struct op *op;
		int k;

		if (!strncmp(s, REPLAY_PREFIX, strlen(REPLAY_PREFIX)))
			s += strlen(REPLAY_PREFIX);
		if (!strncmp(s, "config ", 7)) {
			unsigned long long arena, seed;
			unsigned int wk, order;

			if (sscanf(s, "config arena=%llu workers=%u folio_order=%u seed=%llu",
				   &arena, &wk, &order, &seed) == 4) {
				rp->arena = arena;
				rp->workers = wk;
				rp->folio_order = order;
				opt.seed = seed;	/* for the reports */
			}
			continue;
		}
		if (sscanf(s, "%u %u %u %31s %u %llx %llx %llx %llx %llx %llx",
			   &idx, &worker, &depth, name, &variant, &a[0], &a[1],
			   &a[2], &a[3], &a[4], &a[5]) != 11)
			continue;
		k = kind_by_name(name);
		if (k < 0 || worker >= MAX_WORKERS)
			continue;
		if (rp->n == rp->cap) {
			rp->cap = rp->cap ? 2 * rp->cap : 1024;
			rp->ops = realloc(rp->ops, rp->cap * sizeof(*op));
			if (!rp->ops)
				ksft_exit_fail_msg("out of memory\n");
		}
		op = &rp->ops[rp->n++];
		memset(op, 0, sizeof(*op));
		op->worker = worker;
		op->depth = depth;
		op->kind = k;
		op->variant = variant;
		for (k = 0; k < 6; k++)
			op->a[k] = a[k];
	}
	fclose(f);
	if (!rp->workers || !rp->arena)
		ksft_exit_fail_msg("%s: no config line\n", path);
}

/*
 * Wait for record @i's turn. The top-level process (@top) also watches
 * its fork children: one that died, or none left to run the records
 * before @i, would leave it waiting forever.
 */
static bool wait_cursor(uint32_t i, bool top)
{
	unsigned int spins = 0, k, live;

	while (__atomic_load_n(&sh->cursor, __ATOMIC_ACQUIRE) != i) {
		if (stopped())
			return false;
		pause_briefly(&spins);
		if (!top || spins % 64)
			continue;
		/* Fork children that died, or none left to run the record. */
		for (k = 0, live = 0; k < sh->nworkers; k++) {
			struct worker *w = ctx[k];
			int st;

			if (!w || !w->child || w->child_reaped)
				continue;
			if (waitpid(w->child, &w->child_status, WNOHANG) !=
			    w->child) {
				live++;
				continue;
			}
			w->child_reaped = true;
			st = w->child_status;
			if (!WIFEXITED(st) || WEXITSTATUS(st)) {
				w->cur = NULL;
				finding(w, "replay: fork child %d %s %d", w->child,
					WIFSIGNALED(st) ? "killed by signal" :
					"exit status", WIFSIGNALED(st) ?
					WTERMSIG(st) : WEXITSTATUS(st));
				return false;
			}
		}
		if (!live && __atomic_load_n(&sh->cursor, __ATOMIC_ACQUIRE) != i) {
			say("# replay: record %u waits for records no process runs (a truncated log?)",
			    i);
			__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
			return false;
		}
	}
	return true;
}

/*
 * Run the logged operations in their order, in this one process; a fork
 * record forks a child that runs the records of that child, taking turns
 * through sh->cursor.
 */
static void run_replay(const struct replay *rp)
{
	int my_depth = 0, my_worker = -1;
	size_t i;

	register_pid(getpid());
	for (i = 0; i < sh->nworkers; i++)
		ctx[i] = worker_new(i);
	for (i = 0; i < rp->n && !stopped(); i++) {
		const struct op *r = &rp->ops[i];
		struct worker *w = ctx[r->worker];
		struct op op = *r;

		if (r->depth != my_depth ||
		    (my_depth && (int)r->worker != my_worker))
			continue;
		if (r->worker >= sh->nworkers || !wait_cursor(i, !my_depth)) {
			/* Let fork children waiting for their turn go. */
			__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
			break;
		}
		if (r->kind == K_EPOCH)
			sh->epoch++;
		if (r->kind == K_EPOCH)
			sh->log_n = 0;
		run_op(w, &op);
		if (w->is_child && !my_depth) {
			my_depth = 1;
			my_worker = r->worker;
			continue;	/* the parent moves the cursor */
		}
		__atomic_store_n(&sh->cursor, i + 1, __ATOMIC_RELEASE);
		if (my_depth && r->kind == K_CHILD_EXIT)
			_exit(0);
	}
	if (my_depth)
		_exit(0);
	for (i = 0; i < sh->nworkers; i++)
		if (ctx[i]->child && !ctx[i]->child_reaped)
			waitpid(ctx[i]->child, NULL, 0);
}

/* --- main --- */

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--seed N] [--ops N] [--threads N] [--procs N]\n          [--epoch-ops N] [--arena BYTES] [--log FILE]\n          [--replay FILE]\n  --seed N       random seed (default: from the clock)\n  --ops N        operations in all (default %d)\n  --threads N    worker threads per process (default 2)\n  --procs N      worker processes (default 2)\n  --epoch-ops N  operations per worker between resets (%d)\n  --arena BYTES  device bytes the workers use (default %lu)\n  --log FILE     write every operation to FILE\n  --replay FILE  run the operations logged in FILE again\n",
		prog, DEFAULT_OPS, DEFAULT_EPOCH_OPS,
		(unsigned long)default_arena());
	exit(KSFT_FAIL);
}

static uint64_t parse_num(const char *s, const char *prog)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	if (end == s || *end)
		print_usage(prog);
	return v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'n' },
		{ "threads", required_argument, NULL, 't' },
		{ "procs", required_argument, NULL, 'p' },
		{ "epoch-ops", required_argument, NULL, 'e' },
		{ "arena", required_argument, NULL, 'a' },
		{ "log", required_argument, NULL, 'l' },
		{ "replay", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool seeded = false;
	struct timespec ts;
	int c;

	opt.arena = default_arena();

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt.seed = parse_num(optarg, argv[0]);
			seeded = true;
			break;
		case 'n':
			opt.ops = parse_num(optarg, argv[0]);
			break;
		case 't':
			opt.threads = parse_num(optarg, argv[0]);
			break;
		case 'p':
			opt.procs = parse_num(optarg, argv[0]);
			break;
		case 'e':
			opt.epoch_ops = parse_num(optarg, argv[0]);
			break;
		case 'a':
			opt.arena = parse_num(optarg, argv[0]) & ~(pg - 1);
			break;
		case 'l':
			opt.log = optarg;
			break;
		case 'r':
			opt.replay = optarg;
			break;
		default:
			print_usage(argv[0]);
		}
	}
	if (optind != argc || !opt.threads || !opt.procs || !opt.epoch_ops ||
	    opt.threads * opt.procs > MAX_WORKERS || opt.arena < 64 * pg)
		print_usage(argv[0]);
	if (!seeded) {
		clock_gettime(CLOCK_REALTIME, &ts);
		opt.seed = (uint64_t)ts.tv_sec * 1000003 + ts.tv_nsec / 1000;
	}
}

static void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		ksft_exit_fail_msg("shared memory: %s\n", strerror(errno));
	return p;
}

int main(int argc, char **argv)
{
	pthread_rwlockattr_t attr;
	struct mmapdemo_info info;
	struct replay rp;
	struct timespec t0, t1;
	uint64_t total = 0, init_size;
	unsigned int workers;
	double secs;
	int fd, k;

	setvbuf(stdout, NULL, _IOLBF, 0);
	pg = page_bytes();
	zero_page = calloc(1, pg);
	if (!zero_page)
		ksft_exit_fail_msg("out of memory\n");
	parse_args(argc, argv);
	ksft_print_header();

	fd = open(MMAPDEMO_DEVICE_PATH, O_RDWR);
	if (fd < 0)
		ksft_exit_fail_msg("open %s: %s\n", MMAPDEMO_DEVICE_PATH,
				   strerror(errno));
	if (do_info(fd, &info))
		ksft_exit_fail_msg("ioctl(INFO): %s\n", strerror(errno));
	init_size = info.size;

	if (opt.replay) {
		load_replay(opt.replay, &rp);
		opt.arena = rp.arena;
		workers = rp.workers;
		if (rp.folio_order != info.folio_order)
			ksft_print_msg("the log was made with folio_order %u, the module has %u\n",
				       rp.folio_order, info.folio_order);
	} else {
		workers = opt.threads * opt.procs;
	}
	if (workers > MAX_WORKERS)
		ksft_exit_fail_msg("too many workers\n");
	sh = shared_alloc(sizeof(*sh));
	sh->arena = umin(opt.arena, info.max_size) & ~(pg - 1);
	sh->max_size = info.max_size;
	sh->folio_order = info.folio_order;
	sh->size = info.size;
	sh->nworkers = workers;
	sh->log_cap = opt.replay ? rp.n + 16 :
		      umax(opt.epoch_ops, 64) * workers * 4 + 64;
	buf_size = sh->arena + 2 * pg;
	model = shared_alloc(sh->arena);
	oplog = shared_alloc(sh->log_cap * sizeof(*oplog));
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&sh->lock, &attr);

	if (guard_install(crash_report))
		ksft_exit_fail_msg("sigaction: %s\n", strerror(errno));

	ksft_print_msg("seed %" PRIu64 ", %s, %u workers (%u procs x %u threads), arena %" PRIu64 " bytes, folio_order %u, device size %" PRIu64 "\n",
		       opt.seed, opt.replay ? "replay" : "random run", workers,
		       opt.replay ? 1 : opt.procs,
		       opt.replay ? workers : opt.threads, sh->arena,
		       sh->folio_order, init_size);
	ksft_set_plan(NR_TESTED + 2);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	sh->start_ns = now_ns();
	sh->progress_ns = sh->start_ns;
	if (opt.replay)
		run_replay(&rp);
	else
		run_workers();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	if (sh->findings)
		dump_log();
	total = ops_done();
	for (k = 0; k < NR_TESTED; k++) {
		if (sh->kind_findings[k])
			ksft_test_result_fail("%s: %" PRIu64 " ops, %" PRIu64
					      " findings\n", kind_name[k],
					      sh->count[k],
					      sh->kind_findings[k]);
		else if (sh->count[k])
			ksft_test_result_pass("%s: %" PRIu64 " ops (%" PRIu64
					      " expected errors), %.2f s\n",
					      kind_name[k], sh->count[k],
					      sh->errs[k], sh->nsecs[k] / 1e9);
		else if (opt.replay || opt.ops < 5000 || sh->findings)
			ksft_test_result_skip("%s: not exercised\n",
					      kind_name[k]);
		else
			ksft_test_result_fail("%s: not exercised in %" PRIu64 " ops\n",
					      kind_name[k], total);
	}
	ksft_print_msg("%" PRIu64 " ops in %.1f s: %.0f ops/s; epoch resets %.2f s, cleanups %.2f s, fork ends %.2f s\n",
		       total, secs, secs > 0 ? total / secs : 0.0,
		       sh->nsecs[K_EPOCH] / 1e9, sh->nsecs[K_CLEANUP] / 1e9,
		       sh->nsecs[K_FORK_END] / 1e9);
	if (sh->findings)
		ksft_test_result_fail("no findings: %u, first: %s\n",
				      sh->findings, sh->first_finding);
	else
		ksft_test_result_pass("no findings (seed %" PRIu64 ", %" PRIu64
				      " ops, %.0f ops/s)\n", opt.seed, total,
				      secs > 0 ? total / secs : 0.0);

	/* Leave the device as we found it: size, module loaded. */
	k = do_resize(fd, init_size);
	if (!k)
		k = do_info(fd, &info);
	ksft_test_result(!k && info.size == init_size,
			 "device size restored to %" PRIu64 "\n", init_size);
	close(fd);
	ksft_finished();
}
