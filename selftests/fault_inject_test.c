// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: the driver when page allocations fail.
 *
 * fail_page_alloc (debugfs, CONFIG_FAIL_PAGE_ALLOC) is aimed at the
 * module's own allocations only: task-filter (only tasks with
 * /proc/<tid>/make-it-fail set) and the stack filter (require-start/end:
 * an allocation fails only if the module's code is on its stack, which
 * needs CONFIG_FAULT_INJECTION_STACKTRACE_FILTER). The filters also accept
 * sleeping and highmem allocations and order 0 (ignore-gfp-wait=N,
 * ignore-gfp-highmem=N, min-order=0), as the driver's are. A "window" is
 * probability=100 with a number of failures (times) for the test task.
 * The claims:
 *
 * write_fails_with_enomem_in_the_window: pwrite() to a hole fails with
 *   ENOMEM, one that begins in allocated memory is short, read() of a hole
 *   still works (it allocates nothing); nothing is allocated, the data that
 *   was there is intact, and the same pwrite() works after the window.
 * shrink_cut_fails_with_enomem_and_changes_nothing: (folio_order > 0) a
 *   RESIZE inside a huge folio needs single-page copies of the pages that stay:
 *   in the window it fails with ENOMEM and nothing changes (size, memory,
 *   contents, PMD mappings); after it, the same RESIZE works.
 * shrink_and_punch_need_no_memory: a RESIZE at a folio boundary and a
 *   PUNCH allocate nothing, and work in the window.
 * fault_retried_until_allocation_works: a fault whose allocation fails
 *   returns VM_FAULT_OOM; outside a memory cgroup the kernel's
 *   pagefault_out_of_memory() neither kills nor signals, it retries the
 *   access. So the access neither completes nor dies while every
 *   allocation fails, and completes by itself once the failures run out
 *   (times): no SIGBUS, no kill, the right data, memory accounted.
 *
 * Without CONFIG_FAIL_PAGE_ALLOC (Debian's kernels) the tests are skipped,
 * saying so. The fixture makes the device fresh (device_fresh()), and its
 * teardown (in the parent) switches the injection off and reloads the
 * module again.
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
#include "module.h"
#include "race.h"
#include "fixture.h"

#define FAIL_PAGE_ALLOC	"/sys/kernel/debug/fail_page_alloc"
#define WINDOW_TIMES	100000
#define HANG_S		30.0

/* Write @value to knob @name of fail_page_alloc: 0 or -errno. */
static int knob_set(const char *name, const char *value)
{
	return attr_write(FAIL_PAGE_ALLOC, name, value);
}

static long long knob_get(const char *name)
{
	long long value;

	if (attr_read_value(FAIL_PAGE_ALLOC, name, &value))
		return LLONG_MIN;
	return value;
}

/* Mark the calling thread as one whose allocations may fail: 0 or -1. */
static int make_it_fail(bool on)
{
	int fd = open("/proc/thread-self/make-it-fail", O_WRONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -1;
	ret = write(fd, on ? "1" : "0", 1) == 1 ? 0 : -1;
	close(fd);
	return ret;
}

/*
 * [start, end) of the module's memory from /proc/modules: address and
 * total size (its code starts there; nothing else is loaded after it in
 * the test VM). 0, or -1 if it is not there or the address is hidden.
 */
static int module_range(unsigned long *start, unsigned long *end)
{
	char *text = read_text_file("/proc/modules"), *line, *save = NULL;
	unsigned long size, addr;
	int ret = -1;

	if (!text)
		return -1;
	for_each_line(line, text, save) {
		if (strncmp(line, MMAPDEMO_NAME " ", strlen(MMAPDEMO_NAME) + 1))
			continue;
		if (sscanf(line, "%*s %lu %*s %*s %*s %lx", &size, &addr) == 2 &&
		    addr) {
			*start = addr;
			*end = addr + size;
			ret = 0;
		}
		break;
	}
	free(text);
	return ret;
}

/* Injection off, and the knobs back to the kernel's defaults. */
static void injection_off(void)
{
	knob_set("probability", "0");
	knob_set("times", "1");
	knob_set("task-filter", "N");
	knob_set("require-start", "0");
	knob_set("require-end", "18446744073709551615");
	knob_set("ignore-gfp-wait", "Y");
	knob_set("ignore-gfp-highmem", "Y");
	knob_set("min-order", "1");
	knob_set("verbose", "2");
}

FIXTURE(fault_inject) {};

FIXTURE_SETUP(fault_inject)
{
	static const char * const knobs[][2] = {
		{ "probability", "0" },	/* the window stays closed */
		{ "interval", "1" },
		{ "space", "0" },
		{ "times", "-1" },
		{ "task-filter", "Y" },
		{ "ignore-gfp-wait", "N" },
		{ "ignore-gfp-highmem", "N" },
		{ "min-order", "0" },
		{ "stacktrace-depth", "32" },
		/* No report per failure: a stack dump fails the VM run. */
		{ "verbose", "0" },
	};
	unsigned long start, end;
	char value[32];
	const char *bad = NULL;
	size_t i;

	if (access(FAIL_PAGE_ALLOC, F_OK))
		SKIP(return, "CONFIG_FAIL_PAGE_ALLOC missing: %s absent",
		     FAIL_PAGE_ALLOC);
	if (access(FAIL_PAGE_ALLOC "/require-start", F_OK))
		SKIP(return, "CONFIG_FAULT_INJECTION_STACKTRACE_FILTER missing: %s/require-start absent, failures cannot be aimed at the module",
		     FAIL_PAGE_ALLOC);
	fresh_device(_metadata);
	ASSERT_EQ(0, guard_install(NULL));
	ASSERT_EQ(0, module_range(&start, &end)) {
		TH_LOG("no address for %s in /proc/modules", MMAPDEMO_NAME);
	}
	for (i = 0; i < ARRAY_SIZE(knobs) && !bad; i++)
		if (knob_set(knobs[i][0], knobs[i][1]))
			bad = knobs[i][0];
	ASSERT_EQ(NULL, bad) {
		TH_LOG("cannot set %s/%s", FAIL_PAGE_ALLOC, bad ? bad : "?");
	}
	snprintf(value, sizeof(value), "%lu", start);
	ASSERT_EQ(0, knob_set("require-start", value));
	snprintf(value, sizeof(value), "%lu", end);
	ASSERT_EQ(0, knob_set("require-end", value));
	TH_LOG("failing page allocations from %#lx-%#lx (the module)", start,
	       end);
}

FIXTURE_TEARDOWN_PARENT(fault_inject)
{
	char out[512];

	injection_off();
	if (module_reload(NULL, out, sizeof(out)))
		fprintf(stderr, "# reloading mmapdemo failed: %s\n", out);
	module_ensure_loaded();
}

/* Open the window for this thread: the next @times allocations fail. */
static void window_open(struct __test_metadata *_metadata, long long times)
{
	char value[32];

	snprintf(value, sizeof(value), "%lld", times);
	ASSERT_EQ(0, knob_set("times", value));
	ASSERT_EQ(0, knob_set("probability", "100"));
	ASSERT_EQ(0, make_it_fail(true));
}

/* Close it; how many failures were injected meanwhile. */
static long long window_close(struct __test_metadata *_metadata,
			      long long times)
{
	long long left;

	EXPECT_EQ(0, make_it_fail(false));
	EXPECT_EQ(0, knob_set("probability", "0"));
	left = knob_get("times");
	return times - left;
}

TEST_F_TIMEOUT(fault_inject, write_fails_with_enomem_in_the_window, 60)
{
	size_t psize = page_bytes(), folio = device_folio_bytes();
	uint64_t seed = pattern_seed(_metadata->name);
	unsigned char *buf, *page;
	long long injected;
	ssize_t n;
	int fd;

	ASSERT_LT(0UL, folio);
	ASSERT_LE(5 * folio, device_size());
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	buf = malloc(2 * psize);
	page = malloc(psize);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, page);
	pattern_fill(buf, 2 * psize, splitmix64(seed));
	ASSERT_EQ(0, device_write_pattern(fd, folio, 0, seed));
	ASSERT_EQ((long long)folio,
		  device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));

	window_open(_metadata, WINDOW_TIMES);
	/* A hole: nothing can be written. */
	errno = 0;
	n = pwrite(fd, buf, psize, 4 * folio);
	EXPECT_EQ(-1, n);
	EXPECT_EQ(ENOMEM, errno);
	/* The last page of the folio, then a hole: short. */
	n = pwrite(fd, buf, 2 * psize, folio - psize);
	EXPECT_EQ((ssize_t)psize, n);
	/* Reading a hole allocates nothing: it works. */
	memset(page, 0xa5, psize);
	EXPECT_EQ((ssize_t)psize, pread(fd, page, psize, 4 * folio));
	injected = window_close(_metadata, WINDOW_TIMES);
	TH_LOG("%lld allocations failed in the window", injected);
	EXPECT_LT(0, injected);
	EXPECT_EQ(-1, bytes_mismatch(page, psize, 0));

	/* Nothing allocated; what was there is intact. */
	EXPECT_EQ((long long)folio,
		  device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, folio - psize, 0, seed));
	ASSERT_EQ(0, pread_all(fd, page, psize, folio - psize));
	EXPECT_EQ(0, memcmp(page, buf, psize));
	ASSERT_EQ(0, pread_all(fd, page, psize, folio));
	EXPECT_EQ(-1, bytes_mismatch(page, psize, 0));

	/* After the window the same writes work. */
	EXPECT_EQ((ssize_t)psize, pwrite(fd, buf, psize, 4 * folio));
	EXPECT_EQ((ssize_t)(2 * psize),
		  pwrite(fd, buf, 2 * psize, folio - psize));
	EXPECT_EQ((long long)(3 * folio),
		  device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	ASSERT_EQ(0, pread_all(fd, page, psize, 4 * folio));
	EXPECT_EQ(0, memcmp(page, buf, psize));
	free(buf);
	free(page);
	close(fd);
}

TEST_F_TIMEOUT(fault_inject, shrink_cut_fails_with_enomem_and_changes_nothing,
	       60)
{
	size_t folio = device_folio_bytes(), size0 = device_size(), len, cut;
	uint64_t seed = pattern_seed(_metadata->name);
	struct mmapdemo_info info;
	long long injected;
	char *map;
	int fd;

	if (folio == page_bytes())
		SKIP(return, "folio_order=0: a shrink never cuts a folio, there are no copies to allocate");
	len = 2 * folio;
	cut = folio + folio / 2;
	ASSERT_LE(len, size0);
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	ASSERT_EQ(0, device_write_pattern(fd, len, 0, seed));
	map = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      0);
	touch_read(map, len);
	if (folio == pmd_bytes())
		EXPECT_EQ((long)(len / KIB), smaps_kb(map, "FilePmdMapped"));

	window_open(_metadata, WINDOW_TIMES);
	EXPECT_EQ(-ENOMEM, device_resize(fd, cut));
	injected = window_close(_metadata, WINDOW_TIMES);
	TH_LOG("%lld allocations failed in the window", injected);
	EXPECT_LT(0, injected);

	/* Nothing changed. */
	ASSERT_EQ(0, device_info_read(fd, &info));
	EXPECT_EQ(size0, info.size);
	EXPECT_EQ(size0, device_size());
	EXPECT_EQ((off_t)size0, lseek(fd, 0, SEEK_END));
	EXPECT_EQ((long long)len, (long long)info.allocated_bytes);
	if (folio == pmd_bytes())
		EXPECT_EQ((long)(len / KIB), smaps_kb(map, "FilePmdMapped"));
	EXPECT_EQ(-1, pattern_mismatch(map, len, seed));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, len, 0, seed));

	/* After the window the same shrink works, and keeps what stays. */
	EXPECT_EQ(0, device_resize(fd, cut));
	EXPECT_EQ(cut, device_size());
	EXPECT_EQ((long long)cut,
		  device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	EXPECT_EQ(-1, pattern_mismatch(map, cut, seed));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, cut, 0, seed));
	EXPECT_EQ(SIGBUS, probe_signal(map + cut, ACCESS_READ,
				       &(struct access_result){ 0 }));
	munmap(map, len);
	EXPECT_EQ(0, device_resize(fd, size0));
	close(fd);
}

TEST_F_TIMEOUT(fault_inject, shrink_and_punch_need_no_memory, 60)
{
	size_t psize = page_bytes(), folio = device_folio_bytes(), size0 = device_size();
	uint64_t seed = pattern_seed(_metadata->name);
	int fd;

	ASSERT_LE(2 * folio, size0);
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	ASSERT_EQ(0, device_write_pattern(fd, 2 * folio, 0, seed));

	window_open(_metadata, WINDOW_TIMES);
	/* At a folio boundary: nothing to cut, nothing to copy. */
	EXPECT_EQ(0, device_resize(fd, folio));
	/* Zeroes part of a folio, or frees a single-page one. */
	EXPECT_EQ(0, device_punch(fd, 0, psize));
	window_close(_metadata, WINDOW_TIMES);

	EXPECT_EQ(folio, device_size());
	EXPECT_EQ(folio > psize ? (long long)folio : 0,
		  device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	if (folio > psize)
		EXPECT_EQ(-1, device_pattern_mismatch_from(fd, folio - psize, psize,
						      seed, psize));
	EXPECT_EQ(0, device_resize(fd, size0));
	close(fd);
}

TEST_F_TIMEOUT(fault_inject, fault_retried_until_allocation_works, 90)
{
	size_t psize = page_bytes(), folio = device_folio_bytes(), off;
	long long faults0, faults, alloc, injected;
	volatile int *go;
	int fd, status;
	char *map;
	pid_t pid;

	ASSERT_LE(4 * folio, device_size());
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	map = map_dev(_metadata, fd, 4 * folio, PROT_READ | PROT_WRITE,
		      MAP_SHARED, 0);
	go = mmap(NULL, psize, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, go);
	/* A hole in the third folio, not at its start. */
	off = 2 * folio + align_down(folio / 2, psize);
	faults0 = device_attr_read(MMAPDEMO_ATTR_FAULTS);

	/* Every allocation of the module fails, for the child only. */
	ASSERT_EQ(0, knob_set("times", "-1"));
	ASSERT_EQ(0, knob_set("probability", "100"));
	pid = fork_tied_to_parent();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (make_it_fail(true))
			_exit(10);
		race_set(*go, 1);
		/* A hole: the fault must allocate. */
		if (*(volatile char *)(map + off) != 0)
			_exit(11);
		map[off] = 0x5a;
		_exit(*(volatile char *)(map + off) == 0x5a ? 0 : 12);
	}

	/* It keeps faulting: retried, neither done nor killed. */
	ASSERT_TRUE(race_wait_count((int *)go, 1, HANG_S));
	do {
		faults = device_attr_read(MMAPDEMO_ATTR_FAULTS);
		ASSERT_EQ(0, waitpid(pid, &status, WNOHANG)) {
			TH_LOG("the child ended (status %#x) while every allocation failed",
			       status);
		}
		usleep(10000);
	} while (faults < faults0 + 5);
	EXPECT_EQ(0, device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));

	/* The last 5 failures: then the retried fault gets its memory. */
	ASSERT_EQ(0, knob_set("times", "5"));
	status = wait_timeout(pid, HANG_S);
	if (status == -1) {
		knob_set("probability", "0");
		status = wait_timeout(pid, HANG_S);
		TH_LOG("the child only finished when the injection stopped");
	}
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("child: status %#x", status);
	}
	injected = knob_get("times");
	EXPECT_EQ(0, knob_set("probability", "0"));
	EXPECT_EQ(0, injected);

	faults = device_attr_read(MMAPDEMO_ATTR_FAULTS) - faults0;
	alloc = device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES);
	TH_LOG("%lld faults for one access; then a folio of %lld KiB",
	       faults, alloc / 1024);
	EXPECT_LE(6, faults);
	/* A whole folio, maybe a smaller one: the driver falls back. */
	EXPECT_LT(0, alloc);
	EXPECT_GE((long long)folio, alloc);
	EXPECT_EQ(0, alloc & (alloc - 1));
	EXPECT_EQ(0x5a, map[off]);
	munmap((void *)go, psize);
	munmap(map, 4 * folio);
	close(fd);
}

TEST_HARNESS_MAIN
