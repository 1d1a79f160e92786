/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the ioctl, resize, punch, badinput and security tests: the
 * ioctls as functions, module parameters, module loads with other
 * arguments, the kernel log, and an access probe that runs in the calling
 * process itself.
 *
 * Include after kselftest_harness.h and mmapdemo_util.h.
 */
#ifndef MMAPDEMO_IOCTL_UTIL_H
#define MMAPDEMO_IOCTL_UTIL_H

#include <setjmp.h>
#include <sys/ioctl.h>

#include "mmapdemo_util.h"

#define MODULE_PARAM_DIR	"/sys/module/" MMAPDEMO_NAME "/parameters"

/* --- the ioctls --- */

/* An ioctl with any command and argument: 0 or -errno. */
static inline int dev_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* --- module parameters --- */

/* A decimal module parameter (/sys/module/mmapdemo/parameters); -1. */
static inline long long module_param(const char *name)
{
	return read_decimal(MODULE_PARAM_DIR, name);
}

/*
 * The size the module was loaded with: the size every other test program
 * expects. RESIZE changes the device, not the parameter.
 */
static inline size_t load_size(void)
{
	long long size = module_param("size");

	return size > 0 ? (size_t)size : 0;
}

static inline bool folio_order_is_pmd(void)
{
	return mmapdemo_attr(MMAPDEMO_ATTR_FOLIO_ORDER) == pmd_order();
}

/*
 * Bytes of the folios lying wholly inside [start, end): what a punch of
 * that range frees.
 */
static inline uint64_t whole_folio_bytes(uint64_t start, uint64_t end,
					 uint64_t folio)
{
	uint64_t first = round_up(start, folio), last = round_down(end, folio);

	return last > first ? last - first : 0;
}

/*
 * pread() @len bytes at @off: the offset of the first that is not @c, -1
 * when all are, -2 on I/O error.
 */
static inline long bytes_mismatch_dev(int fd, off_t off, size_t len,
				      unsigned char c)
{
	unsigned char *buf = malloc(len);
	long ret = -2;

	if (!buf)
		return -2;
	memset(buf, c ^ 0xff, len);
	if (!pread_all(fd, buf, len, off))
		ret = bytes_mismatch(buf, len, c);
	free(buf);
	return ret;
}

/*
 * Free memory in bytes as the page allocator sees it: MemFree plus the
 * pages on the per-CPU free lists (/proc/zoneinfo "count:"), where freed
 * pages go first (see lifetime_test.c). -1 if unreadable.
 */
static inline long long free_bytes(void)
{
	char *info = read_file("/proc/zoneinfo"), *p;
	long free_kb = proc_kb("/proc/meminfo", "MemFree");
	long long pcp = 0;

	if (!info || free_kb < 0) {
		free(info);
		return -1;
	}
	for (p = strstr(info, "count:"); p; p = strstr(p + 6, "count:"))
		pcp += strtol(p + 6, NULL, 10);
	free(info);
	return free_kb * 1024LL + pcp * (long long)page_size();
}

/* --- the kernel log --- */

/* /dev/kmsg positioned after the last record: only new ones are read. */
static inline int kmsg_open_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * Read the records logged since kmsg_open_end() (or the last call): true
 * if the text of one of them contains @needle, copied into @line. Every
 * record that mentions the module is appended to @all (if not NULL).
 */
static inline bool kmsg_find(int fd, const char *needle, char *line,
			     size_t len, char *all, size_t all_len)
{
	bool found = false;
	char record[4096];

	if (len)
		line[0] = '\0';
	for (;;) {
		ssize_t n = read(fd, record, sizeof(record) - 1);
		char *msg, *end;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;		/* EAGAIN: no more records */
		record[n] = '\0';
		/* "prio,seq,usec,flags;message\n[ KEY=value\n...]" */
		msg = strchr(record, ';');
		if (!msg)
			continue;
		msg++;
		end = strchr(msg, '\n');
		if (end)
			*end = '\0';
		if (all && strstr(msg, MMAPDEMO_NAME)) {
			size_t used = strlen(all);

			snprintf(all + used, all_len - used, "%s\n", msg);
		}
		if (!found && strstr(msg, needle)) {
			snprintf(line, len, "%s", msg);
			found = true;
		}
	}
	return found;
}

/* --- module loads with other arguments (inside the test VM only) --- */

/*
 * `mmapdemo-ctl load -m "$MMAPDEMO_KO" ARGS`, @args split at blanks.
 * The wait status (0: loaded), or -1; @out gets the tool's messages.
 */
static inline int module_load_args(const char *args, char *out,
				   size_t outlen)
{
	const char *ko = getenv("MMAPDEMO_KO");
	char *argv[32], *copy, *tok, *save = NULL;
	int argc = 0, ret;

	if (!ko || !*ko) {
		snprintf(out, outlen, "MMAPDEMO_KO is not set");
		return -1;
	}
	copy = strdup(args);
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

/* Unload, waiting up to 3 s for users to go away: 0 or -errno. */
static inline int module_unload(void)
{
	double deadline = now_s() + 3;
	int err;

	for (;;) {
		err = module_delete();
		if (err != -EAGAIN || now_s() > deadline)
			return err == -ENOENT ? 0 : err;
		usleep(20000);
	}
}

/*
 * For teardowns: the module loaded with the run's arguments and at the
 * size it was loaded with. A shrunk or grown device is resized back; a
 * module that is missing, or whose arguments a test changed
 * (@args_changed), is loaded again with the run's arguments.
 */
static inline void module_restore(bool args_changed)
{
	size_t want = load_size();
	char out[512];
	int fd;

	if (module_loaded() && !args_changed && want && dev_size() != want) {
		fd = mmapdemo_open(O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			int err = dev_resize(fd, want);

			if (err)
				fprintf(stderr, "# RESIZE back to %zu failed: %s\n",
					want, strerror(-err));
			close(fd);
		}
		if (dev_size() == want)
			return;
		args_changed = true;
	}
	if (!module_loaded() || args_changed) {
		if (module_reload(out, sizeof(out)))
			fprintf(stderr, "# reloading mmapdemo failed: %s\n",
				out);
	}
}

/* --- an access probe in the calling process --- */

/*
 * probe_access() (mmapdemo_util.h) touches an address in a fork child. A
 * child of a process with a shared file mapping refaults instead of
 * inheriting the page table entries (fork copies them only for VMAs with
 * anonymous pages), so it cannot tell whether this process's own entries
 * were zapped. touch_here() makes the access in this process: a SIGBUS or
 * SIGSEGV handler jumps back out of the faulting access.
 */
static sigjmp_buf touch_env;
static volatile sig_atomic_t touch_signo, touch_code;
static void *volatile touch_fault_addr;

static inline void touch_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	touch_signo = sig;
	touch_code = si->si_code;
	touch_fault_addr = si->si_addr;
	siglongjmp(touch_env, 1);
}

/*
 * Read or write one byte at @addr in this process: 0, or the signal that
 * the access raised (its si_code and si_addr in touch_code and
 * touch_fault_addr). A write stores @value; a read stores what it read
 * in *@value (if not NULL).
 */
static inline int touch_here(void *addr, enum access_kind kind,
			     unsigned char *value)
{
	struct sigaction sa, old_bus, old_segv;
	volatile unsigned char *p = addr;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = touch_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	touch_signo = 0;
	touch_code = 0;
	touch_fault_addr = NULL;
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	if (!sigsetjmp(touch_env, 1)) {
		if (kind == ACCESS_WRITE) {
			*p = value ? *value : 0;
		} else {
			unsigned char c = *p;

			if (value)
				*value = c;
		}
	}
	ret = touch_signo;
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return ret;
}

/* The signal that reading @addr in this process raises, or 0. */
static inline int read_signal(void *addr)
{
	return touch_here(addr, ACCESS_READ, NULL);
}

static inline int write_signal(void *addr)
{
	unsigned char v = 0x5a;

	return touch_here(addr, ACCESS_WRITE, &v);
}

#ifdef __KSELFTEST_HARNESS_H
/* INFO, ending the test if it fails. */
static inline struct mmapdemo_info info_of(struct __test_metadata *_metadata,
					   int fd)
{
	struct mmapdemo_info info;
	int err = dev_info(fd, &info);

	ASSERT_EQ(0, err) {
		TH_LOG("MMAPDEMO_IOC_INFO: %s", strerror(-err));
	}
	return info;
}

/* RESIZE, ending the test if it fails. */
static inline void resize_dev(struct __test_metadata *_metadata, int fd,
			      uint64_t size)
{
	int err = dev_resize(fd, size);

	ASSERT_EQ(0, err) {
		TH_LOG("RESIZE to %llu: %s", (unsigned long long)size,
		       strerror(-err));
	}
	ASSERT_EQ(size, dev_size());
}

/* PUNCH, ending the test if it fails. */
static inline void punch_dev(struct __test_metadata *_metadata, int fd,
			     uint64_t offset, uint64_t length)
{
	int err = dev_punch(fd, offset, length);

	ASSERT_EQ(0, err) {
		TH_LOG("PUNCH [%#llx, +%#llx): %s", (unsigned long long)offset,
		       (unsigned long long)length, strerror(-err));
	}
}

static inline long long alloc_bytes(void)
{
	return mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES);
}

static inline long long fault_count(void)
{
	return mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
}
#endif /* __KSELFTEST_HARNESS_H */

#endif /* MMAPDEMO_IOCTL_UTIL_H */
