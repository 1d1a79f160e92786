/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the mmap argument/semantics selftests (shared, private, fork,
 * exec, procmaps, args, prot, flags, errno) and their exec_* helpers.
 * Plain libc, so the helper programs can use it too; the few helpers at the
 * end that use ASSERT_* exist only if kselftest_harness.h came first.
 */
#ifndef MMAPDEMO_ARGS_UTIL_H
#define MMAPDEMO_ARGS_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mmapdemo_util.h"

/*
 * Each test program works in its own slot of the device (1/16 of its size:
 * 4 MiB of the default 64 MiB) so that a failing test leaves evidence that
 * another program does not overwrite. Slots 0-8 (0-36 MiB, errno_test only
 * using the first pages of slot 8) stay clear of the offsets of the tests
 * in mmapdemo_b_util.h (34 MiB and up). The fill patterns are unique per
 * run anyway, so leftovers can never make a check pass.
 */
enum mmapdemo_slot {
	SLOT_SHARED,
	SLOT_PRIVATE,
	SLOT_FORK,
	SLOT_EXEC,
	SLOT_PROCMAPS,
	SLOT_ARGS,
	SLOT_PROT,
	SLOT_FLAGS,
	SLOT_ERRNO,
	NR_SLOTS = 16,
};

/* Size of the device from sysfs, or 0 when it cannot be read. */
static inline size_t dev_size(void)
{
	long long size = mmapdemo_attr(MMAPDEMO_ATTR_SIZE);

	return size > 0 ? (size_t)size : 0;
}

/* Byte size of one slot, page aligned. */
static inline size_t slot_size(void)
{
	return dev_size() / NR_SLOTS / page_size() * page_size();
}

static inline off_t slot_offset(enum mmapdemo_slot slot)
{
	return (off_t)(slot * slot_size());
}

static inline int dev_open(int flags)
{
	return open(MMAPDEMO_DEVICE_PATH, flags);
}

/* splitmix64: a cheap, well mixed 64-bit sequence for fill patterns. */
static inline uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * A seed that differs per test, per process and per run: the test name is
 * hashed in, plus the pid and the clock.
 */
static inline uint64_t pattern_seed(const char *tag)
{
	struct timespec ts;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*tag) {
		h ^= (unsigned char)*tag++;
		h *= 0x100000001b3ULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return mix64(h ^ ((uint64_t)getpid() << 32) ^
		     (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 40));
}

/* Byte @i of the pattern @seed; it depends on the position. */
static inline unsigned char pattern_byte(uint64_t seed, size_t i)
{
	return (unsigned char)(mix64(seed ^ (i / 8)) >> (8 * (i % 8)));
}

/* Fill @buf with bytes @first.. @first + @len - 1 of pattern @seed. */
static inline void pattern_fill_from(void *buf, size_t len, uint64_t seed,
				     size_t first)
{
	volatile unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern_byte(seed, first + i);
}

static inline void pattern_fill(void *buf, size_t len, uint64_t seed)
{
	pattern_fill_from(buf, len, seed, 0);
}

/*
 * Offset in @buf of the first byte that differs from bytes @first.. of
 * pattern @seed, or -1 when all @len match.
 */
static inline long pattern_mismatch_from(const void *buf, size_t len,
					 uint64_t seed, size_t first)
{
	const volatile unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern_byte(seed, first + i))
			return (long)i;
	return -1;
}

static inline long pattern_mismatch(const void *buf, size_t len, uint64_t seed)
{
	return pattern_mismatch_from(buf, len, seed, 0);
}

/* Offset of the first byte that is not @c, or -1. */
static inline long bytes_mismatch(const void *buf, size_t len, unsigned char c)
{
	const volatile unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return (long)i;
	return -1;
}

/* pwrite()/pread() the whole buffer or fail: 0 or -1. */
static inline int dev_pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

static inline int dev_pread_all(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

/* Write the pattern @seed into the device at @off with pwrite(). */
static inline int dev_pwrite_pattern(int fd, size_t len, off_t off,
				     uint64_t seed)
{
	unsigned char *buf = malloc(len);
	int ret;

	if (!buf)
		return -1;
	pattern_fill(buf, len, seed);
	ret = dev_pwrite_all(fd, buf, len, off);
	free(buf);
	return ret;
}

/* pread() @len bytes at @off: pattern_mismatch() of them, -2 on I/O error. */
static inline long dev_pread_mismatch(int fd, size_t len, off_t off,
				      uint64_t seed)
{
	unsigned char *buf = malloc(len);
	long ret = -2;

	if (!buf)
		return -2;
	if (!dev_pread_all(fd, buf, len, off))
		ret = pattern_mismatch(buf, len, seed);
	free(buf);
	return ret;
}

/* One parsed line of /proc/PID/maps. */
struct maps_entry {
	unsigned long start, end;
	char perms[5];
	unsigned long long offset;
	unsigned int dev_major, dev_minor;
	unsigned long inode;
	char path[256];
};

/*
 * Find the line of /proc/@pid/maps (pid 0: self) that starts at @addr, or
 * with @containing, the line whose range contains @addr.
 * Returns 0 and fills @e, or -1 when there is no such line.
 */
static inline int maps_lookup(pid_t pid, unsigned long addr, bool containing,
			      struct maps_entry *e)
{
	char path[64], line[512];
	int ret = -1;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		int n;

		memset(e, 0, sizeof(*e));
		n = sscanf(line, "%lx-%lx %4s %llx %x:%x %lu %255s",
			   &e->start, &e->end, e->perms, &e->offset,
			   &e->dev_major, &e->dev_minor, &e->inode, e->path);
		if (n < 7)
			continue;
		if (n == 7)
			e->path[0] = '\0';
		if (e->start == addr ||
		    (containing && e->start <= addr && addr < e->end)) {
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static inline int maps_find(pid_t pid, unsigned long start,
			    struct maps_entry *e)
{
	return maps_lookup(pid, start, false, e);
}

/* Whether any mapping of this process contains @addr. */
static inline bool addr_mapped(void *addr)
{
	struct maps_entry e;

	return !maps_lookup(0, (unsigned long)addr, true, &e);
}

/* Number of lines of /proc/@pid/maps (0: self) whose path is @dev_path. */
static inline int maps_count_path(pid_t pid, const char *dev_path)
{
	char path[64], line[512];
	size_t len = strlen(dev_path);
	int count = 0;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, dev_path);

		if (p && (p[len] == '\n' || p[len] == '\0' || p[len] == ' '))
			count++;
	}
	fclose(f);
	return count;
}

/* A "Name:   <value> kB" field of /proc/self/status in kB, or -1. */
static inline long status_kb(const char *name)
{
	size_t len = strlen(name);
	char line[256];
	long value = -1;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, len) && line[len] == ':') {
			value = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return value;
}

/*
 * The "VmFlags:" line of /proc/self/smaps for the VMA starting at @start,
 * copied into @flags (space separated two-letter codes). 0 or -1.
 */
static inline int smaps_vmflags(unsigned long start, char *flags, size_t size)
{
	char line[512];
	bool in_vma = false;
	int ret = -1;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in_vma = (s == start);
			continue;
		}
		if (in_vma && !strncmp(line, "VmFlags:", 8)) {
			size_t n = strlen(line + 8);

			if (n >= size)
				n = size - 1;
			memcpy(flags, line + 8, n);
			flags[n] = '\0';
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* Whether the space separated VmFlags string holds the code @flag. */
static inline bool vmflags_has(const char *flags, const char *flag)
{
	const char *p = flags;
	size_t len = strlen(flag);

	while ((p = strstr(p, flag))) {
		if ((p == flags || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\n' || p[len] == '\0'))
			return true;
		p += len;
	}
	return false;
}

/*
 * What happened when a child process touched an address: it either exited
 * normally (termsig 0) or died of termsig; si_code and si_addr come from the
 * siginfo the child's handler saw for that signal.
 */
struct access_result {
	int termsig;
	int exit_code;
	int fault_signo;
	int fault_code;
	unsigned long fault_addr;
};

static int access_report_fd = -1;

static inline void access_report_handler(int sig, siginfo_t *si, void *uc)
{
	int msg[4] = { sig, si->si_code, 0, 0 };
	unsigned long addr = (unsigned long)si->si_addr;

	(void)uc;
	memcpy(&msg[2], &addr, sizeof(addr));
	if (write(access_report_fd, msg, sizeof(msg)) != sizeof(msg))
		_exit(100);
	/*
	 * SA_RESETHAND restored the default action: returning re-executes the
	 * faulting access, which now kills the child with the same signal.
	 */
}

/* ACCESS_EXEC calls @addr as a function taking and returning nothing. */
enum access_kind { ACCESS_READ, ACCESS_WRITE, ACCESS_EXEC };

/*
 * Touch @addr in a forked child (read or write one byte, or call it) and
 * report how the child ended. Returns 0, or -1 if the child could not be run.
 */
static inline int probe_access(void *addr, enum access_kind kind,
			       struct access_result *r)
{
	struct sigaction sa;
	int pipefd[2], status, msg[4];
	unsigned long a;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(pipefd[0]);
		access_report_fd = pipefd[1];
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = access_report_handler;
		sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
		if (kind == ACCESS_WRITE)
			*(volatile unsigned char *)addr = 0x5a;
		else if (kind == ACCESS_EXEC)
			((void (*)(void))addr)();
		else
			(void)*(volatile unsigned char *)addr;
		_exit(0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], msg, sizeof(msg)) == sizeof(msg)) {
		r->fault_signo = msg[0];
		r->fault_code = msg[1];
		memcpy(&a, &msg[2], sizeof(a));
		r->fault_addr = a;
	}
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		r->termsig = WTERMSIG(status);
	else
		r->exit_code = WEXITSTATUS(status);
	return 0;
}

/*
 * Wait for @pid: its exit code, 128 + signal if it was killed, -1 on error.
 */
static inline int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * Path of helper program @name: next to this executable if it is there,
 * else the bare name (found through PATH by execvp).
 */
static inline void helper_path(const char *name, char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	size_t name_len = strlen(name);
	char *slash;

	if (n > 0) {
		buf[n] = '\0';
		slash = strrchr(buf, '/');
		if (slash && (size_t)(slash + 1 - buf) + name_len < size) {
			memcpy(slash + 1, name, name_len + 1);
			if (!access(buf, X_OK))
				return;
		}
	}
	if (name_len < size)
		memcpy(buf, name, name_len + 1);
	else
		buf[0] = '\0';
}

/*
 * Run helper @argv[0] (a name, see helper_path()) with its stdout captured
 * into @out (NUL terminated). Returns what wait_child() returns; 127 if the
 * exec failed.
 */
static inline int run_helper(char *const argv[], char *out, size_t size)
{
	char path[PATH_MAX];
	size_t used = 0;
	int pipefd[2];
	ssize_t n;
	pid_t pid;

	helper_path(argv[0], path, sizeof(path));
	if (pipe(pipefd))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(pipefd[0]);
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[1]);
		execvp(path, argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (used + 1 < size &&
	       (n = read(pipefd[0], out + used, size - 1 - used)) > 0)
		used += n;
	out[used] = '\0';
	close(pipefd[0]);
	return wait_child(pid);
}

/* Value of "key=<number>" in helper output, or @dflt if missing. */
static inline long long output_value(const char *out, const char *key,
				     long long dflt)
{
	size_t len = strlen(key);
	const char *p = out;

	while ((p = strstr(p, key))) {
		if ((p == out || p[-1] == '\n') && p[len] == '=')
			return strtoll(p + len + 1, NULL, 0);
		p += len;
	}
	return dflt;
}

/*
 * Two tmpfs mounts, one of them noexec, each with a character device node
 * for mmapdemo (major:minor from sysfs). All nodes reach the same device.
 */
struct exec_mounts {
	char dir[64];
	char exec_dir[96], noexec_dir[96];
	char exec_node[128], noexec_node[128];
};

/* Read MAJOR:MINOR of the misc device from sysfs. 0 or -1. */
static inline int mmapdemo_devt(dev_t *devt)
{
	unsigned int major, minor;
	FILE *f = fopen(MMAPDEMO_SYSFS_DIR "/dev", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%u:%u", &major, &minor);
	fclose(f);
	if (n != 2)
		return -1;
	*devt = makedev(major, minor);
	return 0;
}

/*
 * Set up @m in a private mount namespace of the calling process, so the
 * mounts disappear with it even if the test dies half way. On failure
 * returns -1 with @what naming the step that failed (errno is kept).
 */
static inline int exec_mounts_setup(struct exec_mounts *m, const char **what)
{
	dev_t devt;

	*what = "unshare(CLONE_NEWNS)";
	if (unshare(CLONE_NEWNS))
		return -1;
	*what = "make / private";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	*what = "mkdtemp";
	snprintf(m->dir, sizeof(m->dir), "/tmp/mmapdemo-mnt-XXXXXX");
	if (!mkdtemp(m->dir))
		return -1;
	snprintf(m->exec_dir, sizeof(m->exec_dir), "%s/exec", m->dir);
	snprintf(m->noexec_dir, sizeof(m->noexec_dir), "%s/noexec", m->dir);
	snprintf(m->exec_node, sizeof(m->exec_node), "%s/mmapdemo",
		 m->exec_dir);
	snprintf(m->noexec_node, sizeof(m->noexec_node), "%s/mmapdemo",
		 m->noexec_dir);
	*what = "mkdir";
	if (mkdir(m->exec_dir, 0700) || mkdir(m->noexec_dir, 0700))
		return -1;
	*what = "mount tmpfs (exec)";
	if (mount("tmpfs", m->exec_dir, "tmpfs", 0, "size=64k,mode=0700"))
		return -1;
	*what = "mount tmpfs (noexec)";
	if (mount("tmpfs", m->noexec_dir, "tmpfs", MS_NOEXEC,
		  "size=64k,mode=0700"))
		return -1;
	*what = "read " MMAPDEMO_SYSFS_DIR "/dev";
	if (mmapdemo_devt(&devt))
		return -1;
	*what = "mknod";
	if (mknod(m->exec_node, S_IFCHR | 0600, devt) ||
	    mknod(m->noexec_node, S_IFCHR | 0600, devt))
		return -1;
	return 0;
}

static inline void exec_mounts_cleanup(struct exec_mounts *m)
{
	umount2(m->exec_dir, MNT_DETACH);
	umount2(m->noexec_dir, MNT_DETACH);
	rmdir(m->exec_dir);
	rmdir(m->noexec_dir);
	rmdir(m->dir);
}

#ifdef __KSELFTEST_HARNESS_H
/*
 * Helpers for harness tests (the test programs include kselftest_harness.h
 * first). They end the test on failure, like ASSERT_*.
 */

/* Offset of region @k (@len bytes each) of @slot. */
static inline off_t slot_region(struct __test_metadata *_metadata,
				enum mmapdemo_slot slot, int k, size_t len)
{
	ASSERT_GE(slot_size(), (k + 1) * len) {
		TH_LOG("device too small: slot of %zu bytes", slot_size());
	}
	return slot_offset(slot) + (off_t)(k * len);
}

static inline int open_dev(struct __test_metadata *_metadata, int flags)
{
	int fd = dev_open(flags);

	ASSERT_LE(0, fd) {
		TH_LOG("open(%s): %s", MMAPDEMO_DEVICE_PATH, strerror(errno));
	}
	return fd;
}

static inline void *map_dev(struct __test_metadata *_metadata, int fd,
			    size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	ASSERT_NE(MAP_FAILED, p) {
		TH_LOG("mmap(len %zu, prot %#x, flags %#x, off %#llx): %s",
		       len, prot, flags, (unsigned long long)off,
		       strerror(errno));
	}
	return p;
}

/* Read one byte of every page, so that PTEs exist before what follows. */
static inline void touch_read(const void *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += page_size())
		(void)((const volatile char *)p)[i];
}
#endif /* __KSELFTEST_HARNESS_H */

#endif /* MMAPDEMO_ARGS_UTIL_H */
