/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the mmapdemo selftests and their helper programs
 * (exec_probe, ipc_peer): the device and its sysfs attributes, where each
 * test works in the device, test patterns, /proc parsing, child processes
 * and module reloads.
 *
 * Plain libc, so the helper programs can use it too; the helpers at the end
 * that use ASSERT_* exist only if kselftest_harness.h came first.
 */
#ifndef MMAPDEMO_UTIL_H
#define MMAPDEMO_UTIL_H

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

#include "mmapdemo.h"

#define KIB		1024UL
#define MIB		(1024UL * 1024UL)
#define PMD_SIZE	(2 * MIB)

/* --- the device and its sysfs attributes --- */

/* The decimal number a file in @dir holds; -1 when unreadable. */
static inline long long read_decimal(const char *dir, const char *name)
{
	char path[256];
	long long value;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &value) != 1)
		value = -1;
	fclose(f);
	return value;
}

/* Read one decimal attribute from MMAPDEMO_SYSFS_DIR; -1 when unreadable. */
static inline long long mmapdemo_attr(const char *name)
{
	return read_decimal(MMAPDEMO_SYSFS_DIR, name);
}

/* --- the ioctls: 0 or -errno --- */

static inline int dev_info(int fd, struct mmapdemo_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(fd, MMAPDEMO_IOC_INFO, info) ? -errno : 0;
}

static inline int dev_resize(int fd, uint64_t size)
{
	struct mmapdemo_resize req = { .size = size };

	return ioctl(fd, MMAPDEMO_IOC_RESIZE, &req) ? -errno : 0;
}

static inline int dev_punch(int fd, uint64_t offset, uint64_t length)
{
	struct mmapdemo_punch req = { .offset = offset, .length = length };

	return ioctl(fd, MMAPDEMO_IOC_PUNCH, &req) ? -errno : 0;
}

static inline size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Size of the device from sysfs, or 0 when it cannot be read. */
static inline size_t dev_size(void)
{
	long long size = mmapdemo_attr(MMAPDEMO_ATTR_SIZE);

	return size > 0 ? (size_t)size : 0;
}

/* Bytes of one device folio: PAGE_SIZE << folio_order; 0 when unknown. */
static inline size_t folio_size(void)
{
	long long order = mmapdemo_attr(MMAPDEMO_ATTR_FOLIO_ORDER);

	if (order < 0 || order > 20)
		return 0;
	return page_size() << order;
}

static inline int pmd_order(void)
{
	return __builtin_ctzl(PMD_SIZE / page_size());
}

static inline int mmapdemo_open(int flags)
{
	return open(MMAPDEMO_DEVICE_PATH, flags);
}

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

/* Minor faults taken by this process so far (getrusage). */
static inline long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* --- where each test works in the device --- */

/*
 * Content persists while the module stays loaded, so every test writes its
 * own distinctive pattern before checking anything: the fill patterns are
 * unique per test (and per run where pattern_seed() makes them), so
 * leftovers can never make a check pass. The places are only kept apart so
 * that a failing test leaves evidence that another program does not
 * overwrite.
 *
 * shared, private, fork, exec, procmaps, args, prot, flags and errno each
 * work in their own slot of the device (1/16 of its size: 4 MiB of the
 * default 64 MiB). Slots 0-8 (0-36 MiB, errno_test only using the first
 * pages of slot 8) stay clear of the fixed offsets below (34 MiB and up).
 *
 * The others use fixed offsets (default 64 MiB device); on a smaller device
 * (module argument size=) region_at() moves a region down to the highest
 * 2 MiB aligned offset where it fits:
 *
 *   signals      last page of the device (size - 1 page)
 *   munmap       OFF_MUNMAP   (34 MiB, 6 MiB)
 *   msync        OFF_MSYNC    (40 MiB, 2 MiB)
 *   mremap       OFF_MREMAP   (42 MiB, 4 MiB)
 *   madvise      OFF_MADVISE  (46 MiB, 8 MiB)
 *   ipc          OFF_IPC      (54 MiB, 1 page)
 *
 * lifetime, rw_self, concurrency and huge need pages that were never
 * allocated, or a device whose memory use is known. They unload and reload
 * the module (with the run's arguments) to get a fresh, all-zero device,
 * and their fixture teardown reloads it if a failure left it unloaded.
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

#define OFF_MUNMAP	(34 * MIB)
#define OFF_MSYNC	(40 * MIB)
#define OFF_MREMAP	(42 * MIB)
#define OFF_MADVISE	(46 * MIB)
#define OFF_IPC		(54 * MIB)

/* Byte size of one slot, page aligned. */
static inline size_t slot_size(void)
{
	return dev_size() / NR_SLOTS / page_size() * page_size();
}

static inline off_t slot_offset(enum mmapdemo_slot slot)
{
	return (off_t)(slot * slot_size());
}

/*
 * Where a test's region of len bytes goes: at off if it fits in the
 * device, else at the highest 2 MiB aligned offset that fits; -1 if the
 * device is smaller than len.
 */
static inline long long region_at(long long off, size_t len)
{
	long long size = dev_size();

	if (size < (long long)len)
		return -1;
	if (off + (long long)len <= size)
		return off;
	return (size - (long long)len) / (long long)PMD_SIZE *
	       (long long)PMD_SIZE;
}

static inline uint64_t round_down(uint64_t x, uint64_t a)
{
	return x - x % a;
}

static inline uint64_t round_up(uint64_t x, uint64_t a)
{
	return round_down(x + a - 1, a);
}

/* CLOCK_MONOTONIC in seconds. */
static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- test patterns --- */

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

/*
 * Pattern @seed is a sequence of little-endian 64-bit words that depend on
 * the seed and on their position, so that data copied to the wrong place,
 * a stale page or zeros are all told apart. A position is what the test
 * makes it: the offset in the range it wrote, or the device offset. The
 * seed is mixed on its own first, so that seeds a few apart do not give
 * the same words at nearby positions.
 */
static inline uint64_t pattern_word(uint64_t seed, uint64_t word)
{
	return mix64(mix64(seed) ^ word);
}

/* Byte @pos of pattern @seed. */
static inline unsigned char pattern_byte(uint64_t seed, uint64_t pos)
{
	return (unsigned char)(pattern_word(seed, pos / 8) >> (8 * (pos % 8)));
}

/*
 * Fill @buf with bytes @pos.. @pos + @len - 1 of pattern @seed. Every byte
 * is stored (volatile); a whole word at a time where @buf and the pattern
 * positions are both 8-byte aligned.
 */
static inline void pattern_fill_from(void *buf, size_t len, uint64_t seed,
				     uint64_t pos)
{
	volatile unsigned char *p = buf;
	size_t i = 0;

	if (((uintptr_t)p - pos) % 8 == 0) {
		for (; i < len && (pos + i) % 8; i++)
			p[i] = pattern_byte(seed, pos + i);
		for (; len - i >= 8; i += 8)
			*(volatile uint64_t *)(p + i) =
				htole64(pattern_word(seed, (pos + i) / 8));
	}
	for (; i < len; i++)
		p[i] = pattern_byte(seed, pos + i);
}

static inline void pattern_fill(void *buf, size_t len, uint64_t seed)
{
	pattern_fill_from(buf, len, seed, 0);
}

/*
 * Offset in @buf of the first byte that differs from bytes @pos.. of
 * pattern @seed, or -1 when all @len match. Every byte is read (volatile).
 */
static inline long pattern_mismatch_from(const void *buf, size_t len,
					 uint64_t seed, uint64_t pos)
{
	const volatile unsigned char *p = buf;
	size_t i = 0;

	if (((uintptr_t)p - pos) % 8 == 0) {
		for (; i < len && (pos + i) % 8; i++)
			if (p[i] != pattern_byte(seed, pos + i))
				return (long)i;
		/* A word that differs: the byte loop below finds the byte. */
		for (; len - i >= 8; i += 8)
			if (*(const volatile uint64_t *)(p + i) !=
			    htole64(pattern_word(seed, (pos + i) / 8)))
				break;
	}
	for (; i < len; i++)
		if (p[i] != pattern_byte(seed, pos + i))
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
static inline int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

static inline int pread_all(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

/* Write bytes @pos.. of pattern @seed into the device at @off (pwrite()). */
static inline int dev_pwrite_pattern_from(int fd, size_t len, off_t off,
					  uint64_t seed, uint64_t pos)
{
	unsigned char *buf = malloc(len);
	int ret;

	if (!buf)
		return -1;
	pattern_fill_from(buf, len, seed, pos);
	ret = pwrite_all(fd, buf, len, off);
	free(buf);
	return ret;
}

static inline int dev_pwrite_pattern(int fd, size_t len, off_t off,
				     uint64_t seed)
{
	return dev_pwrite_pattern_from(fd, len, off, seed, 0);
}

/*
 * pread() @len bytes at @off: pattern_mismatch_from() of them (-1 when
 * they hold bytes @pos.. of pattern @seed), -2 on I/O error.
 */
static inline long dev_pread_mismatch_from(int fd, size_t len, off_t off,
					   uint64_t seed, uint64_t pos)
{
	unsigned char *buf = malloc(len);
	long ret = -2;

	if (!buf)
		return -2;
	if (!pread_all(fd, buf, len, off))
		ret = pattern_mismatch_from(buf, len, seed, pos);
	free(buf);
	return ret;
}

static inline long dev_pread_mismatch(int fd, size_t len, off_t off,
				      uint64_t seed)
{
	return dev_pread_mismatch_from(fd, len, off, seed, 0);
}

/* --- /proc --- */

/* Read a whole (small) proc/sys file into a malloc()ed string. */
static inline char *read_file(const char *path)
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

/* Walk the lines of @text, which it cuts up (strtok_r()). */
#define for_each_line(line, text, save)				\
	for (line = strtok_r(text, "\n", &save); line;		\
	     line = strtok_r(NULL, "\n", &save))

/* What follows "@name:" if @line is that field ("VmLck:   4 kB"), or NULL. */
static inline const char *field_value(const char *line, const char *name)
{
	size_t len = strlen(name);

	if (strncmp(line, name, len) || line[len] != ':')
		return NULL;
	return line + len + 1;
}

/* A "Name:   <value> kB" field of a file like /proc/meminfo in kB, or -1. */
static inline long proc_kb(const char *path, const char *name)
{
	char *text = read_file(path), *line, *save = NULL;
	const char *value;
	long kb = -1;

	if (!text)
		return -1;
	for_each_line(line, text, save) {
		value = field_value(line, name);
		if (value) {
			kb = strtol(value, NULL, 10);
			break;
		}
	}
	free(text);
	return kb;
}

/* A "Name:   <value> kB" field of /proc/self/status in kB, or -1. */
static inline long status_kb(const char *name)
{
	return proc_kb("/proc/self/status", name);
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

/* Parse a line of /proc/PID/maps into @e: 0, or -1 if it is not one. */
static inline int maps_parse(const char *line, struct maps_entry *e)
{
	memset(e, 0, sizeof(*e));
	if (sscanf(line, "%lx-%lx %4s %llx %x:%x %lu %255s",
		   &e->start, &e->end, e->perms, &e->offset,
		   &e->dev_major, &e->dev_minor, &e->inode, e->path) < 7)
		return -1;
	return 0;
}

/* /proc/@pid/maps (pid 0: self) as a malloc()ed string, or NULL. */
static inline char *maps_read(pid_t pid)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	return read_file(path);
}

/*
 * Find the line of /proc/@pid/maps (pid 0: self) that starts at @addr, or
 * with @containing, the line whose range contains @addr.
 * Returns 0 and fills @e, or -1 when there is no such line.
 */
static inline int maps_lookup(pid_t pid, unsigned long addr, bool containing,
			      struct maps_entry *e)
{
	char *maps = maps_read(pid), *line, *save = NULL;
	int ret = -1;

	if (!maps)
		return -1;
	for_each_line(line, maps, save) {
		if (maps_parse(line, e))
			continue;
		if (e->start == addr ||
		    (containing && e->start <= addr && addr < e->end)) {
			ret = 0;
			break;
		}
	}
	free(maps);
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

/*
 * The VMAs of this process that overlap [lo, hi), in address order.
 * Returns how many there are (at most max are stored), -1 on error.
 */
static inline int maps_in_range(unsigned long lo, unsigned long hi,
				struct maps_entry *out, int max)
{
	char *maps = maps_read(0), *line, *save = NULL;
	struct maps_entry e;
	int count = 0;

	if (!maps)
		return -1;
	for_each_line(line, maps, save) {
		if (maps_parse(line, &e) || e.end <= lo || e.start >= hi)
			continue;
		if (count < max)
			out[count] = e;
		count++;
	}
	free(maps);
	return count;
}

/* Number of lines of /proc/@pid/maps (0: self) whose path is @dev_path. */
static inline int maps_count_path(pid_t pid, const char *dev_path)
{
	char *maps = maps_read(pid), *line, *save = NULL;
	size_t len = strlen(dev_path);
	int count = 0;

	if (!maps)
		return -1;
	for_each_line(line, maps, save) {
		char *p = strstr(line, dev_path);

		if (p && (p[len] == '\0' || p[len] == ' '))
			count++;
	}
	free(maps);
	return count;
}

/*
 * What follows "@name:" in the /proc/self/smaps entry of the VMA starting
 * at @start, copied into @buf. 0, or -1 if there is no such VMA or field.
 */
static inline int smaps_field(unsigned long start, const char *name,
			      char *buf, size_t size)
{
	char *smaps = read_file("/proc/self/smaps"), *line, *save = NULL;
	const char *value;
	bool in_vma = false;
	int ret = -1;

	if (!smaps)
		return -1;
	for_each_line(line, smaps, save) {
		unsigned long s, e;

		/* The first line of an entry: "start-end perms ...". */
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			if (in_vma)
				break;
			in_vma = s == start;
			continue;
		}
		value = in_vma ? field_value(line, name) : NULL;
		if (value) {
			snprintf(buf, size, "%s", value);
			ret = 0;
			break;
		}
	}
	free(smaps);
	return ret;
}

/* A "Name:  value kB" field of the smaps entry starting at addr; -1 if none. */
static inline long smaps_kb(const void *addr, const char *name)
{
	char value[64];

	if (smaps_field((unsigned long)addr, name, value, sizeof(value)))
		return -1;
	return strtol(value, NULL, 10);
}

/* Whether the space separated smaps VmFlags string holds the code @flag. */
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

/* --- child processes --- */

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
 * probe_access(), for the signal the access raised: 0 if none, -1 if the
 * child could not be run. @r has the rest (si_code, si_addr).
 */
static inline int probe_signal(void *addr, enum access_kind kind,
			       struct access_result *r)
{
	if (probe_access(addr, kind, r))
		return -1;
	return r->fault_signo;
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
 * waitpid() with a deadline: the exit status, or -1 if the child is still
 * running after timeout_s seconds (it is then left alone: a task stuck in
 * the kernel would not die anyway; the caller reports it).
 */
static inline int wait_timeout(pid_t pid, double timeout_s)
{
	double deadline = now_s() + timeout_s;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_s() > deadline)
			return -1;
		usleep(5000);
	}
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
 * Start helper @argv[0] (a name, see helper_path()) in a fork child, with
 * its stdout and stderr on @out_fd unless that is -1. The pid, or -1.
 */
static inline pid_t spawn_helper(char *const argv[], int out_fd)
{
	char path[PATH_MAX];
	pid_t pid;

	helper_path(argv[0], path, sizeof(path));
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (out_fd >= 0) {
			dup2(out_fd, STDOUT_FILENO);
			dup2(out_fd, STDERR_FILENO);
		}
		execvp(path, argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* For a quick helper program: well within the harness's 30 s per test. */
#define HELPER_TIMEOUT_S	20

/*
 * Run helper @argv[0] (see spawn_helper()), collecting its stdout and
 * stderr into @out (NUL terminated). Returns the wait status, or -1 if it
 * could not run or did not end within @timeout_s seconds.
 */
static inline int run_helper(char *const argv[], char *out, size_t outlen,
			     double timeout_s)
{
	double deadline = now_s() + timeout_s;
	size_t len = 0;
	int pipefd[2];
	pid_t pid;

	if (outlen)
		out[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	pid = spawn_helper(argv, pipefd[1]);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return -1;
	}
	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		char sink[256];
		ssize_t n;

		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			break;
		if (now_s() > deadline)
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
	return wait_timeout(pid, deadline - now_s() + 1);
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
 * fork() a child that limits its locked memory to @memlock bytes and then
 * becomes nobody (setresuid() clears the capabilities, CAP_IPC_LOCK
 * included). Like fork(): 0 in the child, which exits with a status that
 * names the step that failed: 10 setrlimit, 11 setresuid, 12 the device
 * could still be opened.
 */
static inline pid_t fork_unprivileged(rlim_t memlock)
{
	struct rlimit rl = { memlock, memlock };
	pid_t pid = fork();

	if (pid)
		return pid;
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		_exit(10);
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		_exit(11);
	/* Really unprivileged: the 0600 root node cannot be opened. */
	if (mmapdemo_open(O_RDWR) >= 0 || errno != EACCES)
		_exit(12);
	return 0;
}

/* --- module unload / reload (root, inside the test VM only) --- */

static inline bool module_loaded(void)
{
	return access("/sys/module/" MMAPDEMO_NAME, F_OK) == 0;
}

/* delete_module(2) without waiting: 0 or -errno. */
static inline int module_delete(void)
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
static inline int module_load(char *out, size_t outlen)
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
	ret = run_helper(argv, out, outlen, 60);
	free(copy);
	return ret;
}

/*
 * Unload and load again with the run's arguments, for a fresh device.
 * The caller must hold no fd or mapping of the device. 0 or -1 (why in
 * out).
 */
static inline int module_reload(char *out, size_t outlen)
{
	double deadline = now_s() + 3;
	int err, status;

	for (;;) {
		err = module_delete();
		if (!err || err != -EAGAIN || now_s() > deadline)
			break;
		usleep(20000);
	}
	if (err && err != -ENOENT) {
		snprintf(out, outlen, "delete_module: %s", strerror(-err));
		return -1;
	}
	status = module_load(out, outlen);
	if (status != 0)
		return -1;
	return 0;
}

/* For fixture teardowns: make sure the run's module is loaded again. */
static inline void module_ensure_loaded(void)
{
	char out[512];

	if (module_loaded())
		return;
	if (module_load(out, sizeof(out)) != 0)
		fprintf(stderr, "# reloading mmapdemo failed: %s\n", out);
}

/* --- device nodes on exec and noexec mounts --- */

/*
 * Two tmpfs mounts, one of them noexec, each with a character device node
 * for mmapdemo (major:minor from sysfs). All nodes reach the same device.
 */
struct exec_mounts {
	char dir[64];
	char exec_dir[96], noexec_dir[96];
	char exec_node[128], noexec_node[128];
};

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

/*
 * region_at(), where a missing device fails the test; -1 means that the
 * device is too small for the region (the test skips).
 */
static inline long long device_region(struct __test_metadata *_metadata,
				      long long off, size_t len)
{
	ASSERT_LT(0UL, dev_size());
	return region_at(off, len);
}

static inline int open_dev(struct __test_metadata *_metadata, int flags)
{
	int fd = mmapdemo_open(flags);

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

/*
 * Exec and noexec tmpfs mounts, each with a node of the device, in a mount
 * namespace of the test's own: they vanish with it even if the test fails.
 */
static inline void setup_exec_mounts(struct __test_metadata *_metadata,
				     struct exec_mounts *m)
{
	const char *what;

	ASSERT_EQ(0, exec_mounts_setup(m, &what)) {
		TH_LOG("%s: %s", what, strerror(errno));
	}
}

/*
 * For the setup of a fixture that needs a fresh device: nothing allocated,
 * all zeros, no faults counted. Unloads the module and loads it again with
 * the run's arguments. The fixture's teardown must be a
 * FIXTURE_TEARDOWN_PARENT() (so it also runs after a crash) that calls
 * module_ensure_loaded(), in case a failure left the module unloaded.
 */
static inline void fresh_device(struct __test_metadata *_metadata)
{
	char out[512];

	ASSERT_NE(NULL, getenv("MMAPDEMO_KO"));
	ASSERT_EQ(0, module_reload(out, sizeof(out))) {
		TH_LOG("reload: %s", out);
	}
	ASSERT_EQ(0, mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES));
}

/* A fixture that only provides a fresh device (see fresh_device()). */
#define FRESH_DEVICE_FIXTURE(fixture_name)					\
	FIXTURE(fixture_name) {};							\
										\
	FIXTURE_SETUP(fixture_name)						\
	{									\
		fresh_device(_metadata);					\
	}									\
										\
	FIXTURE_TEARDOWN_PARENT(fixture_name)					\
	{									\
		module_ensure_loaded();						\
	}
#endif /* __KSELFTEST_HARNESS_H */

#endif /* MMAPDEMO_UTIL_H */
