/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the mmapdemo selftests of claims 10-19 (signals, munmap,
 * msync, mremap, madvise, ipc, lifetime, rw_self, concurrency, huge) and
 * their ipc_* helper programs.
 *
 * Device offsets used by these tests (default 64 MiB device). Content
 * persists while the module stays loaded, so every test writes its own
 * distinctive pattern before checking anything; the offsets are only kept
 * apart so that a failing test leaves evidence another one does not
 * overwrite. On a smaller device (module argument size=) b_region() moves
 * a region down to the highest 2 MiB aligned offset where it fits:
 *
 *   signals      last page of the device (size - 1 page)
 *   munmap       B_OFF_MUNMAP   (34 MiB, 6 MiB)
 *   msync        B_OFF_MSYNC    (40 MiB, 2 MiB)
 *   mremap       B_OFF_MREMAP   (42 MiB, 4 MiB)
 *   madvise      B_OFF_MADVISE  (46 MiB, 8 MiB)
 *   ipc          B_OFF_IPC      (54 MiB, 1 page)
 *
 * lifetime, rw_self, concurrency and huge need pages that were never
 * allocated, or a device whose memory use is known. They unload and reload
 * the module (with the run's arguments) to get a fresh, all-zero device,
 * and their fixture teardown reloads it if a failure left it unloaded.
 */
#ifndef MMAPDEMO_B_UTIL_H
#define MMAPDEMO_B_UTIL_H

#include <ctype.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "mmapdemo_util.h"

#define B_OFF_MUNMAP	(34 * MIB)
#define B_OFF_MSYNC	(40 * MIB)
#define B_OFF_MREMAP	(42 * MIB)
#define B_OFF_MADVISE	(46 * MIB)
#define B_OFF_IPC	(54 * MIB)

#define PMD_SZ		(2 * MIB)

static inline long long b_dev_size(void)
{
	return mmapdemo_attr(MMAPDEMO_ATTR_SIZE);
}

/*
 * Where a test's region of len bytes goes: at off if it fits in the
 * device, else at the highest 2 MiB aligned offset that fits; -1 if the
 * device is smaller than len.
 */
static inline long long b_region(long long off, size_t len)
{
	long long size = b_dev_size();

	if (size < (long long)len)
		return -1;
	if (off + (long long)len <= size)
		return off;
	return (size - (long long)len) / (2LL * 1024 * 1024) *
	       (2LL * 1024 * 1024);
}

static inline int b_open_dev(void)
{
	return open(MMAPDEMO_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

/* Bytes of one device folio: PAGE_SIZE << folio_order; 0 when unknown. */
static inline size_t b_folio_size(void)
{
	long long order = mmapdemo_attr(MMAPDEMO_ATTR_FOLIO_ORDER);

	if (order < 0 || order > 20)
		return 0;
	return page_size() << order;
}

static inline int b_pmd_order(void)
{
	return __builtin_ctzl(PMD_SZ / page_size());
}

static inline uint64_t b_round_down(uint64_t x, uint64_t a)
{
	return x - x % a;
}

static inline uint64_t b_round_up(uint64_t x, uint64_t a)
{
	return b_round_down(x + a - 1, a);
}

/*
 * Distinctive content: every 8-byte word encodes its device offset and a
 * per-use seed, so data copied to the wrong place, a stale page or zeros
 * are all told apart. buf and len must be 8-byte aligned.
 */
static inline uint64_t b_word(uint64_t dev_off, uint64_t seed)
{
	uint64_t x = (dev_off + 1) * 0x9e3779b97f4a7c15ULL ^ seed;

	return x ^ (x >> 29);
}

static inline void b_fill(void *buf, size_t len, uint64_t dev_off,
			  uint64_t seed)
{
	volatile uint64_t *p = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		p[i] = b_word(dev_off + i * 8, seed);
}

/* Byte index of the first wrong word, or -1 when buf holds the pattern. */
static inline long b_check(const void *buf, size_t len, uint64_t dev_off,
			   uint64_t seed)
{
	const volatile uint64_t *p = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (p[i] != b_word(dev_off + i * 8, seed))
			return i * 8;
	return -1;
}

/* The pattern's byte at any device offset (little-endian words). */
static inline unsigned char b_byte(uint64_t dev_off, uint64_t seed)
{
	return b_word(dev_off & ~7ULL, seed) >> (8 * (dev_off & 7));
}

/* Byte index of the first non-zero byte, or -1 when all are zero. */
static inline long b_check_zero(const void *buf, size_t len)
{
	const volatile unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return i;
	return -1;
}

/* pwrite/pread all of len or fail: returns 0 or -1. */
static inline int b_pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n = pwrite(fd, buf, len, off);

	return n == (ssize_t)len ? 0 : -1;
}

static inline int b_pread_all(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	return n == (ssize_t)len ? 0 : -1;
}

/* Write the pattern to the device through write(), not a mapping. */
static inline int b_dev_fill(int fd, size_t len, uint64_t dev_off,
			     uint64_t seed)
{
	void *buf = malloc(len);
	int ret;

	if (!buf)
		return -1;
	b_fill(buf, len, dev_off, seed);
	ret = b_pwrite_all(fd, buf, len, dev_off);
	free(buf);
	return ret;
}

/* -1 on I/O error, -2 if fine, else byte index of the first wrong word. */
static inline long b_dev_check(int fd, size_t len, uint64_t dev_off,
			       uint64_t seed)
{
	void *buf = malloc(len);
	long ret;

	if (!buf)
		return -1;
	if (b_pread_all(fd, buf, len, dev_off)) {
		ret = -1;
	} else {
		ret = b_check(buf, len, dev_off, seed);
		if (ret == -1)
			ret = -2;
	}
	free(buf);
	return ret;
}

/*
 * Access one byte and report the signal it raised (0 if none). The
 * faulting address and si_code of the last signal are kept for checks.
 */
static sigjmp_buf b_probe_env;
static volatile sig_atomic_t b_probe_signo;
static void *volatile b_probe_addr;
static volatile int b_probe_code;

static void b_probe_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	b_probe_signo = sig;
	b_probe_addr = si->si_addr;
	b_probe_code = si->si_code;
	siglongjmp(b_probe_env, 1);
}

static inline int b_probe(volatile char *p, bool write)
{
	struct sigaction sa = { .sa_sigaction = b_probe_handler,
				.sa_flags = SA_SIGINFO };
	struct sigaction old_bus, old_segv;
	volatile int ret = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	b_probe_signo = 0;
	b_probe_addr = NULL;
	if (sigsetjmp(b_probe_env, 1) == 0) {
		if (write)
			*p = 0x5a;
		else
			(void)*p;
	} else {
		ret = b_probe_signo;
	}
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return ret;
}

/* Read a whole (small) proc/sys file into a malloc()ed string. */
static inline char *b_read_file(const char *path)
{
	size_t cap = 64 * KIB, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *nbuf = realloc(buf, cap * 2);

			if (!nbuf)
				break;
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* One line of /proc/self/maps. */
struct b_vma {
	unsigned long start, end, pgoff;
	char perms[5];
};

/*
 * The VMAs of this process that overlap [lo, hi), in address order.
 * Returns how many there are (at most max are stored), -1 on error.
 */
static inline int b_vmas_in(unsigned long lo, unsigned long hi,
			    struct b_vma *out, int max)
{
	char *maps = b_read_file("/proc/self/maps"), *line, *save = NULL;
	int count = 0;

	if (!maps)
		return -1;
	for (line = strtok_r(maps, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct b_vma v;

		if (sscanf(line, "%lx-%lx %4s %lx", &v.start, &v.end,
			   v.perms, &v.pgoff) != 4)
			continue;
		if (v.end <= lo || v.start >= hi)
			continue;
		if (count < max)
			out[count] = v;
		count++;
	}
	free(maps);
	return count;
}

/* A "Name:  value kB" field of the smaps entry starting at addr; -1 if none. */
static inline long b_smaps_kb(const void *addr, const char *field)
{
	char *smaps = b_read_file("/proc/self/smaps"), *line, *save = NULL;
	size_t flen = strlen(field);
	bool in_vma = false;
	long value = -1;

	if (!smaps)
		return -1;
	for (line = strtok_r(smaps, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long start, end;

		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			if (in_vma)
				break;
			in_vma = start == (unsigned long)addr;
			continue;
		}
		if (in_vma && !strncmp(line, field, flen) &&
		    line[flen] == ':') {
			value = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	free(smaps);
	return value;
}

static inline double b_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * waitpid() with a deadline: the exit status, or -1 if the child is still
 * running after timeout_s seconds (it is then left alone: a task stuck in
 * the kernel would not die anyway; the caller reports it).
 */
static inline int b_wait_timeout(pid_t pid, double timeout_s)
{
	double deadline = b_now() + timeout_s;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (b_now() > deadline)
			return -1;
		usleep(5000);
	}
}

/* Scheduler state letter of a task ('D' = uninterruptible), '?' if gone. */
static inline char b_task_state(pid_t pid)
{
	char path[64], *stat, *p, state = '?';

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	stat = b_read_file(path);
	if (!stat)
		return state;
	p = strrchr(stat, ')');
	if (p && p[1] == ' ')
		state = p[2];
	free(stat);
	return state;
}

/*
 * Run argv (PATH lookup), collecting stdout and stderr into out. Returns
 * the wait status, or -1 if it could not run or did not end in time.
 */
static inline int b_run(char *const argv[], char *out, size_t outlen,
			double timeout_s)
{
	double deadline = b_now() + timeout_s;
	size_t len = 0;
	int pipefd[2];
	pid_t pid;

	if (outlen)
		out[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		char sink[256];
		ssize_t n;

		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			break;
		if (b_now() > deadline)
			break;
		if (!pfd.revents)
			continue;
		if (len + 1 < outlen)
			n = read(pipefd[0], out + len, outlen - len - 1);
		else
			n = read(pipefd[0], sink, sizeof(sink));
		if (n <= 0)
			break;
		if (len + 1 < outlen) {
			len += n;
			out[len] = '\0';
		}
	}
	close(pipefd[0]);
	return b_wait_timeout(pid, deadline - b_now() + 1);
}

/* --- module unload / reload (root, inside the test VM only) --- */

static inline bool b_module_loaded(void)
{
	return access("/sys/module/" MMAPDEMO_NAME, F_OK) == 0;
}

/* delete_module(2) without waiting: 0 or -errno. */
static inline int b_delete_module(void)
{
	if (syscall(__NR_delete_module, MMAPDEMO_NAME, O_NONBLOCK))
		return -errno;
	return 0;
}

/*
 * `mmapdemo-ctl load -m "$MMAPDEMO_KO" $MMAPDEMO_MODULE_ARGS`: the exact
 * arguments the run loaded the module with. Returns the wait status
 * (0 on success) or -1; out gets the tool's messages.
 */
static inline int b_load_module(char *out, size_t outlen)
{
	const char *ko = getenv("MMAPDEMO_KO");
	const char *args = getenv("MMAPDEMO_MODULE_ARGS");
	char *argv[32], *copy, *tok, *save = NULL;
	int argc = 0, ret;

	if (!ko || !*ko) {
		snprintf(out, outlen, "MMAPDEMO_KO is not set");
		return -1;
	}
	copy = strdup(args ? args : "");
	if (!copy)
		return -1;
	argv[argc++] = "mmapdemo-ctl";
	argv[argc++] = "load";
	argv[argc++] = "-m";
	argv[argc++] = (char *)ko;
	for (tok = strtok_r(copy, " \t\n", &save); tok && argc < 31;
	     tok = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	ret = b_run(argv, out, outlen, 60);
	free(copy);
	return ret;
}

/*
 * Unload and load again with the run's arguments, for a fresh device.
 * The caller must hold no fd or mapping of the device. 0 or -1 (why in
 * out).
 */
static inline int b_reload_module(char *out, size_t outlen)
{
	double deadline = b_now() + 3;
	int err, status;

	for (;;) {
		err = b_delete_module();
		if (!err || err != -EAGAIN || b_now() > deadline)
			break;
		usleep(20000);
	}
	if (err && err != -ENOENT) {
		snprintf(out, outlen, "delete_module: %s", strerror(-err));
		return -1;
	}
	status = b_load_module(out, outlen);
	if (status != 0)
		return -1;
	return 0;
}

/* For fixture teardowns: make sure the run's module is loaded again. */
static inline void b_ensure_loaded(void)
{
	char out[512];

	if (b_module_loaded())
		return;
	if (b_load_module(out, sizeof(out)) != 0)
		fprintf(stderr, "# reloading mmapdemo failed: %s\n", out);
}

/* Read a /proc/meminfo value in kB, -1 if absent. */
static inline long b_meminfo_kb(const char *field)
{
	char *info = b_read_file("/proc/meminfo"), *p;
	size_t flen = strlen(field);
	long value = -1;

	if (!info)
		return -1;
	for (p = info; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, field, flen) && p[flen] == ':') {
			value = strtol(p + flen + 1, NULL, 10);
			break;
		}
	}
	free(info);
	return value;
}

/*
 * Pages on the per-CPU free lists of all zones (/proc/zoneinfo "count:").
 * MemFree counts only the buddy allocator's free pages, and freed pages
 * (order 0 and, since 5.13, PMD-order ones too) first go to these lists.
 */
static inline long b_pcp_pages(void)
{
	char *info = b_read_file("/proc/zoneinfo"), *p;
	long total = 0;

	if (!info)
		return -1;
	for (p = strstr(info, "count:"); p; p = strstr(p + 6, "count:")) {
		/* Only the per-cpu pageset entries are plain "count: N". */
		total += strtol(p + 6, NULL, 10);
	}
	free(info);
	return total;
}

/* Free memory in bytes as the page allocator sees it, pcp lists included. */
static inline long long b_free_bytes(void)
{
	long free_kb = b_meminfo_kb("MemFree"), pcp = b_pcp_pages();

	if (free_kb < 0 || pcp < 0)
		return -1;
	return free_kb * 1024LL + pcp * (long long)page_size();
}

/* --- the IPC exchange of ipc_test, ipc_ping and ipc_pong --- */

/*
 * The control block at B_OFF_IPC. The test writes it with write() (nonce,
 * state B_IPC_IDLE); ipc_ping and ipc_pong each map the device themselves
 * and talk through it: ping posts a message (B_IPC_PING), pong answers
 * (B_IPC_PONG), ping acknowledges (B_IPC_DONE). The states are odd values
 * so that neither zeros nor a previous run's leftovers pass for a step.
 */
struct b_ipc_block {
	uint64_t nonce;
	uint32_t state;
	int32_t ping_pid;
	int32_t pong_pid;
	uint32_t reserved;
	char ping_msg[128];
	char pong_msg[128];
};

#define B_IPC_IDLE	0x1d1e0001U
#define B_IPC_PING	0x9147a002U
#define B_IPC_PONG	0x9047b003U
#define B_IPC_DONE	0xd09ec004U

/* How long a peer waits for the other side before giving up. */
#define B_IPC_WAIT_S	10.0

static inline void b_ipc_ping_msg(char *buf, size_t len, uint64_t nonce,
				  int ping_pid)
{
	snprintf(buf, len, "ping %#llx from %d", (unsigned long long)nonce,
		 ping_pid);
}

static inline void b_ipc_pong_msg(char *buf, size_t len, uint64_t nonce,
				  int ping_pid, int pong_pid)
{
	snprintf(buf, len, "pong %#llx to %d from %d",
		 (unsigned long long)nonce, ping_pid, pong_pid);
}

/* Wait (bounded) until the shared state is want: 0, or -1 on timeout. */
static inline int b_ipc_wait_state(uint32_t *state, uint32_t want)
{
	double deadline = b_now() + B_IPC_WAIT_S;

	while (__atomic_load_n(state, __ATOMIC_ACQUIRE) != want) {
		if (b_now() > deadline)
			return -1;
		usleep(1000);
	}
	return 0;
}

#endif /* MMAPDEMO_B_UTIL_H */
