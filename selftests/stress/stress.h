/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stress_test, one program in a few files (see stress_test.c for what it
 * does): the model of the device and the worker tables (model.c), the
 * operations, each a generator and an executor (ops_map.c: open, close
 * and the memory-map calls; ops_io.c: read and write, lseek, the ioctls,
 * accesses through the mappings, verification and running one
 * operation), the workers and the log (workers.c), the replay of a log
 * (replay.c), and the options and main() (stress_test.c).
 */
#ifndef MMAPDEMO_STRESS_H
#define MMAPDEMO_STRESS_H

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
#include "madvise_values.h"
#include "pattern.h"
#include "sizes.h"

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

/* A buffer of a read or write (ops_io.c). */
struct iobuf {
	uint8_t *p;
	uint64_t valid;		/* accessible bytes from p on */
	struct mapping *m;	/* BUF_MAP */
	uint64_t moff;		/* BUF_MAP: byte offset in the mapping */
	bool skip;
};

/* The operations of a log file (replay.c). */
struct replay {
	struct op *ops;
	size_t n, cap;
	unsigned int workers;
	uint64_t arena;
	unsigned int folio_order;
};

/* The command line (stress_test.c). */
struct stress_options {
	uint64_t seed;
	uint64_t ops;
	unsigned int threads, procs;
	uint64_t epoch_ops;
	uint64_t arena;
	const char *log;
	const char *replay;
};

/* Shared by the files of the program (model.c). */
extern struct shared *sh;
extern uint8_t *model;		/* device content, sh->arena bytes */
extern struct op *oplog;	/* the epoch's operations */
extern uint64_t buf_size;
extern uint8_t *zero_page;	/* one page of zeros */
/* The page size (page_bytes()): every size and offset here is in it. */
extern uint64_t pg;
extern struct worker *ctx[MAX_WORKERS];
extern struct stress_options opt;
extern __thread volatile uint32_t running_op;
extern __thread void *probe_addr;

static inline uint64_t umin(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t umax(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* --- model.c --- */

uint64_t default_arena(void);
uint64_t user_space_end(void);
uint64_t pmd_pages(void);
uint64_t now_ns(void);
uint64_t rnd(struct worker *w, uint64_t n);
bool chance(struct worker *w, unsigned int percent);
void fill_pattern(uint8_t *p, uint64_t n, uint64_t seed);
void __printf(1, 2) say(const char *fmt, ...);
const char *errname(int err);
const char *accname(int acc);
int format_op(const struct op *op, char *s, size_t n);
void __printf(2, 3) finding(struct worker *w, const char *fmt, ...);
bool stopped(void);
bool check_result(struct worker *w, const char *what, long ret,
		  int err, int expect, int alt);
uint64_t cur_size(void);
uint64_t size_pages(void);
uint64_t arena_pages(void);
void model_get(uint64_t off, uint8_t *dst, uint64_t n);
const uint8_t *model_page(uint64_t page);
void model_put(uint64_t off, const uint8_t *src, uint64_t n);
void model_zero(uint64_t off, uint64_t n);
bool dev_foreign(struct worker *w, uint64_t first, uint64_t n);
bool byte_foreign(struct worker *w, int64_t pos, uint64_t count);
struct fd_slot *fd_at(struct worker *w, uint64_t slot);
struct mapping *map_at(struct worker *w, uint64_t slot);
bool readable(int mode);
bool writable(int mode);
void *xcalloc(size_t n, size_t size);
void map_init(struct mapping *m, char *addr, uint64_t npages,
	      uint64_t pgoff, bool shared, int prot, bool fd_writable);
void map_release(struct mapping *m);
void map_keep(struct mapping *m, uint64_t first, uint64_t n);
void map_split(struct mapping *m, uint64_t first, struct mapping *to);
void cow_take(struct mapping *m, uint64_t i);
void cow_drop(struct mapping *m, uint64_t i);
void apply_shrink(struct worker *w, uint64_t pages);
void sync_shrinks(struct worker *w);
void set_size(struct worker *w, uint64_t bytes);
int expect_access(const struct mapping *m, uint64_t i, bool write);
const uint8_t *expect_view(const struct mapping *m, uint64_t i);
void apply_store(struct mapping *m, uint64_t i, uint64_t in,
		 const uint8_t *src, uint64_t n);
void crash_report(int sig);
int probe_copy(void *dst, const void *src, size_t n);
void describe_diff(char *s, size_t n, const uint8_t *got,
		   const uint8_t *exp, uint64_t len,
		   const uint8_t *old_dev);
void lock_dev(bool excl);
void unlock_dev(void);
void pause_briefly(unsigned int *spins);
bool barrier_wait(void);
struct op *log_append(struct op *op);
void register_pid(pid_t pid);
void unregister_pid(pid_t pid);
long count_device_vmas(void);
uint64_t expected_features(void);
bool check_info(struct worker *w, const struct mmapdemo_info *info);
int do_info(int fd, struct mmapdemo_info *info);
int do_resize(int fd, uint64_t size);
int do_punch(int fd, uint64_t off, uint64_t len);
bool verify_device_range(struct worker *w, uint64_t off, uint64_t n);

/* --- ops_map.c --- */

uint64_t pick_page(struct worker *w);
uint64_t pick_npages(struct worker *w);
uint64_t pick_count(struct worker *w);
int pick_used_fd(struct worker *w);
uint64_t pick_fd(struct worker *w, bool (*want)(int mode));
int pick_free_fd(struct worker *w);
int pick_map(struct worker *w);
int free_map_slot(struct worker *w);
void pick_range(struct worker *w, const struct mapping *m,
		uint64_t *first, uint64_t *n);
void gen_open(struct worker *w, struct op *op);
void exec_open(struct worker *w, struct op *op);
void publish_child_fpos(struct worker *w, int slot);
void gen_close(struct worker *w, struct op *op);
void exec_close(struct worker *w, struct op *op);
int mmap_expect(struct fd_slot *f, uint64_t off, uint64_t len,
		int prot, int flags);
bool want_readable(int mode);
bool want_writable(int mode);
void gen_mmap(struct worker *w, struct op *op);
int populate(struct mapping *m, uint64_t first, uint64_t n);
bool mmap_populates_privately(const struct op *op);
void exec_mmap(struct worker *w, struct op *op);
void gen_munmap(struct worker *w, struct op *op);
void exec_munmap(struct worker *w, struct op *op);
void gen_mremap(struct worker *w, struct op *op);
void exec_mremap(struct worker *w, struct op *op);
void gen_mprotect(struct worker *w, struct op *op);
void exec_mprotect(struct worker *w, struct op *op);
void gen_madvise(struct worker *w, struct op *op);
int madvise_effect(struct mapping *m, uint64_t first, uint64_t n,
		   int advice, bool apply);
void exec_madvise(struct worker *w, struct op *op);
void gen_msync(struct worker *w, struct op *op);
void exec_msync(struct worker *w, struct op *op);
void gen_mlock(struct worker *w, struct op *op);
bool mlock_populates(const struct op *op);
bool madvise_populates_write(const struct op *op);
void exec_mlock(struct worker *w, struct op *op);
void gen_fork(struct worker *w, struct op *op);
void exec_fork(struct worker *w, struct op *op);
void worker_reap_child(struct worker *w);
void exec_fork_end(struct worker *w, struct op *op);
void exec_child_exit(struct worker *w, struct op *op);

/* --- ops_io.c --- */

bool method_positional(int method, int64_t off);
int64_t pick_offset(struct worker *w, uint64_t count);
void pick_buffer(struct worker *w, struct op *op, uint64_t *count);
void resolve_buffer(struct worker *w, const struct op *op,
		    uint64_t count, bool kernel_writes, struct iobuf *b);
bool buffer_foreign(struct worker *w, const struct iobuf *b,
		    uint64_t count);
bool buffer_overlaps(const struct iobuf *b, uint64_t count,
		     int64_t pos, uint64_t n);
int build_iov(struct iovec *iov, uint8_t *p, uint64_t count,
	      uint64_t seed);
void gen_rw(struct worker *w, struct op *op);
int64_t rw_pos(struct worker *w, const struct op *op);
bool rw_needs_excl(struct worker *w, const struct op *op);
int rw_vfs_expect(struct worker *w, const struct op *op, bool write,
		  int *alt);
ssize_t rw_call(struct worker *w, const struct op *op, bool wr,
		int fd, uint8_t *p, uint64_t count);
void check_map_buffer(struct worker *w, const struct iobuf *b,
		      uint64_t n);
void exec_read(struct worker *w, struct op *op);
void adopt_written(struct worker *w, uint64_t from, uint64_t to,
		   const uint8_t *src);
void exec_write(struct worker *w, struct op *op);
void gen_lseek(struct worker *w, struct op *op);
void exec_lseek(struct worker *w, struct op *op);
void pick_ioctl_arg(struct worker *w, struct op *op, size_t size);
void *ioctl_arg(struct worker *w, struct op *op, size_t size,
		bool kernel_writes, int *acc, struct mapping **mp,
		uint64_t *page);
void gen_info(struct worker *w, struct op *op);
void exec_info(struct worker *w, struct op *op);
bool place_request(struct worker *w, struct op *op, void *arg,
		   struct mapping *m, uint64_t page, const void *req,
		   size_t size);
uint64_t pick_size(struct worker *w);
void gen_resize(struct worker *w, struct op *op);
void exec_resize(struct worker *w, struct op *op);
void gen_punch(struct worker *w, struct op *op);
int punch_request(const struct op *op, uint64_t size,
		  struct mmapdemo_punch *req);
bool punch_needs_excl(struct worker *w, const struct op *op);
void exec_punch(struct worker *w, struct op *op);
void gen_ioctl_bad(struct worker *w, struct op *op);
void exec_ioctl_bad(struct worker *w, struct op *op);
void gen_map_access(struct worker *w, struct op *op);
void exec_map_access(struct worker *w, struct op *op);
bool verify_mapping(struct worker *w, struct mapping *m, int slot,
		    uint64_t phase);
void exec_verify(struct worker *w, struct op *op);
void exec_epoch(struct worker *w, struct op *op);
void exec_cleanup(struct worker *w, struct op *op);
bool always_excl(const struct op *op);
bool needs_excl(struct worker *w, const struct op *op);
void exec_op(struct worker *w, struct op *op);
void run_op(struct worker *w, struct op *op);
void gen_op(struct worker *w, struct op *op);
void run_simple(struct worker *w, enum kind k, uint32_t variant,
		uint64_t a0);

/* --- workers.c --- */

struct worker *worker_new(int id);
void __noreturn child_main(struct worker *w, uint64_t nops);
void one_op(struct worker *w);
void *worker_main(void *arg);
void __noreturn proc_main(int p);
void run_workers(void);
uint64_t ops_done(void);
void report_progress(void);
void print_log_header(FILE *f, const char *prefix);
void write_log_file(const char *path, bool append);
void dump_log(void);

/* --- replay.c --- */

int kind_by_name(const char *name);
void load_replay(const char *path, struct replay *rp);
bool wait_cursor(uint32_t i, bool top);
void run_replay(const struct replay *rp);

#endif /* MMAPDEMO_STRESS_H */
