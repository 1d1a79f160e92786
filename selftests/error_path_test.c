// SPDX-License-Identifier: GPL-2.0
/*
 * Error paths of the calls that create VMAs of the device: mmap(), fork()
 * and mremap() made to fail at each of their allocations in turn, with the
 * kernel's per-task fault injection (/proc/thread-self/fail-nth: "the Nth
 * allocation of this task fails"; Documentation/fault-injection/). The
 * driver counts the VMAs of the device (sysfs "vmas") in .open/.close and,
 * on kernels with .mmap_prepare, in vm_operations_struct.mapped, which the
 * core calls only once the mmap() can no longer fail: the first VMA exists
 * only from then on. The claims, for shared and private mappings:
 *
 * mmap_fails_cleanly_at_each_allocation: an mmap() whose Nth allocation
 *   fails returns ENOMEM (or succeeds, if the kernel had a fallback) and
 *   leaves the count and /proc/self/maps as they were; every N up to the
 *   first that is not reached is tried, and at least one failed.
 * fork_fails_cleanly_at_each_allocation: a fork() of a process that maps
 *   the device, failing at each allocation in turn: the child's VMAs that
 *   were already copied (and opened) are closed again, the count is back
 *   to the parent's one VMA.
 * mremap_move_fails_cleanly_at_each_allocation: an mremap() that moves the
 *   mapping (a copy of the VMA, then the old one unmapped), failing at each
 *   allocation: still one VMA, at the old or the new address, whose data
 *   is the device's.
 *
 * Only kernels with CONFIG_FAULT_INJECTION and CONFIG_FAILSLAB have
 * fail-nth and failslab (the debug kernel); Debian's do not, and the tests
 * skip there saying so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "sizes.h"
#include "attr.h"
#include "device.h"
#include "pattern.h"
#include "procfs.h"
#include "child.h"
#include "fixture.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define FAILSLAB	"/sys/kernel/debug/failslab"
#define FAIL_PAGE_ALLOC	"/sys/kernel/debug/fail_page_alloc"
/* More allocations than any of these calls makes: the loop's bound. */
#define MAX_NTH		2000
#define SEED		0x5eedUL

struct injection_knob {
	const char *dir, *name, *value, *kernel_default;
};

/*
 * fail-nth counts only the allocations that the injection points would
 * consider: both ignore sleeping allocations (all of these are) unless
 * told otherwise, and fail_page_alloc ignores order 0. No stack dump per
 * failure: that would fail the VM run as a splat.
 */
static const struct injection_knob knobs[] = {
	{ FAILSLAB, "ignore-gfp-wait", "N", "Y" },
	{ FAILSLAB, "verbose", "0", "2" },
	{ FAIL_PAGE_ALLOC, "ignore-gfp-wait", "N", "Y" },
	{ FAIL_PAGE_ALLOC, "min-order", "0", "1" },
	{ FAIL_PAGE_ALLOC, "verbose", "0", "2" },
};

/* Make the @nth allocation of the calling thread fail; 0 disarms. */
static int fail_nth_arm(int fd, unsigned int nth)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", nth);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

/*
 * Whether the armed failure happened (the file reads 0 once it did), then
 * disarmed, so that the test's own allocations are not hit: 1, 0 or -1.
 */
static int fail_nth_fired(int fd)
{
	char buf[16] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0 || fail_nth_arm(fd, 0))
		return -1;
	return strtoul(buf, NULL, 10) == 0;
}

FIXTURE(error_path) {
	int fd;		/* the device */
	int nth_fd;	/* this thread's fail-nth */
	size_t len;
};

FIXTURE_VARIANT(error_path) {
	int flags;
};

FIXTURE_VARIANT_ADD(error_path, shared) {
	.flags = MAP_SHARED,
};

FIXTURE_VARIANT_ADD(error_path, private) {
	.flags = MAP_PRIVATE,
};

FIXTURE_SETUP(error_path)
{
	const char *bad = NULL;
	size_t i;

	self->nth_fd = -1;
	self->fd = device_fresh(_metadata);
	if (access(FAIL_NTH, F_OK))
		SKIP(return, "CONFIG_FAULT_INJECTION missing: %s absent",
		     FAIL_NTH);
	if (access(FAILSLAB, F_OK) || access(FAIL_PAGE_ALLOC, F_OK))
		SKIP(return, "CONFIG_FAILSLAB or CONFIG_FAIL_PAGE_ALLOC missing: %s or %s absent",
		     FAILSLAB, FAIL_PAGE_ALLOC);
	for (i = 0; i < ARRAY_SIZE(knobs) && !bad; i++)
		if (attr_write(knobs[i].dir, knobs[i].name, knobs[i].value))
			bad = knobs[i].name;
	ASSERT_EQ(NULL, bad) {
		TH_LOG("cannot set fault injection knob %s", bad ? bad : "?");
	}
	self->nth_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth_fd);
	/* Two folios with data, so that a moved or copied VMA has some. */
	self->len = 2 * device_folio_bytes();
	ASSERT_EQ(0, device_write_pattern(self->fd, self->len, 0, SEED));
	ASSERT_EQ(0, device_attr_read("vmas"));
}

FIXTURE_TEARDOWN_PARENT(error_path)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		attr_write(knobs[i].dir, knobs[i].name,
			   knobs[i].kernel_default);
	module_restore(false);
}

/* The device's VMA count is @want after a call whose @nth allocation failed. */
static void expect_vmas(struct __test_metadata *_metadata, long long want,
			unsigned int nth, const char *what)
{
	EXPECT_EQ(want, device_attr_read("vmas")) {
		TH_LOG("%s, allocation %u failed", what, nth);
	}
}

TEST_F(error_path, mmap_fails_cleanly_at_each_allocation)
{
	int prot = PROT_READ | PROT_WRITE, failed = 0, fired;
	unsigned int nth;
	char *p;

	for (nth = 1; nth < MAX_NTH; nth++) {
		ASSERT_EQ(0, fail_nth_arm(self->nth_fd, nth));
		p = mmap(NULL, self->len, prot, variant->flags, self->fd, 0);
		fired = fail_nth_fired(self->nth_fd);
		ASSERT_LE(0, fired);
		if (p == MAP_FAILED) {
			ASSERT_TRUE(fired);
			EXPECT_EQ(ENOMEM, errno) {
				TH_LOG("allocation %u: %s", nth,
				       strerror(errno));
			}
			expect_vmas(_metadata, 0, nth, "mmap");
			EXPECT_EQ(0, maps_count_path(0, MMAPDEMO_DEVICE_PATH));
			failed++;
			continue;
		}
		expect_vmas(_metadata, 1, nth, "mapped");
		EXPECT_EQ(-1, pattern_mismatch(p, self->len, SEED));
		ASSERT_EQ(0, munmap(p, self->len));
		expect_vmas(_metadata, 0, nth, "unmapped");
		if (!fired)
			break;
	}
	EXPECT_GT(MAX_NTH, (int)nth);
	EXPECT_LT(0, failed) {
		TH_LOG("no allocation of mmap() could be made to fail");
	}
	TH_LOG("%d of the first %u allocations of mmap() failed it", failed,
	       nth - 1);
}

TEST_F_TIMEOUT(error_path, fork_fails_cleanly_at_each_allocation, 600)
{
	int failed = 0, fired;
	unsigned int nth;
	pid_t pid;
	char *p;

	p = map_dev(_metadata, self->fd, self->len, PROT_READ | PROT_WRITE,
		    variant->flags, 0);
	for (nth = 1; nth < MAX_NTH; nth++) {
		ASSERT_EQ(0, fail_nth_arm(self->nth_fd, nth));
		pid = fork();
		if (pid == 0)
			_exit(pattern_mismatch(p, page_bytes(), SEED) == -1 ? 0 : 1);
		fired = fail_nth_fired(self->nth_fd);
		ASSERT_LE(0, fired);
		if (pid < 0) {
			ASSERT_TRUE(fired);
			EXPECT_TRUE(errno == ENOMEM || errno == EAGAIN) {
				TH_LOG("allocation %u: %s", nth,
				       strerror(errno));
			}
			expect_vmas(_metadata, 1, nth, "fork");
			failed++;
			continue;
		}
		EXPECT_EQ(0, wait_exit_code(pid));
		expect_vmas(_metadata, 1, nth, "child gone");
		if (!fired)
			break;
	}
	EXPECT_GT(MAX_NTH, (int)nth);
	EXPECT_LT(0, failed);
	TH_LOG("%d of the first %u allocations of fork() failed it", failed,
	       nth - 1);
	ASSERT_EQ(0, munmap(p, self->len));
	EXPECT_EQ(0, device_attr_read("vmas"));
}

TEST_F(error_path, mremap_move_fails_cleanly_at_each_allocation)
{
	int failed = 0, fired;
	unsigned int nth;
	char *p, *q, *to;

	p = map_dev(_metadata, self->fd, self->len, PROT_READ | PROT_WRITE,
		    variant->flags, 0);
	/* A free place for the move, folio-aligned so that PMDs can move. */
	to = mmap(NULL, 2 * self->len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, to);
	to = (char *)align_up((uintptr_t)to, device_folio_bytes());
	for (nth = 1; nth < MAX_NTH; nth++) {
		ASSERT_EQ(0, fail_nth_arm(self->nth_fd, nth));
		q = mremap(p, self->len, self->len,
			   MREMAP_MAYMOVE | MREMAP_FIXED, to);
		fired = fail_nth_fired(self->nth_fd);
		ASSERT_LE(0, fired);
		if (q == MAP_FAILED) {
			ASSERT_TRUE(fired);
			EXPECT_EQ(ENOMEM, errno);
			expect_vmas(_metadata, 1, nth, "mremap");
			EXPECT_EQ(-1, pattern_mismatch(p, self->len, SEED));
			failed++;
			continue;
		}
		ASSERT_EQ(to, q);
		expect_vmas(_metadata, 1, nth, "moved");
		EXPECT_EQ(-1, pattern_mismatch(q, self->len, SEED));
		/* Back where it was, without injection, for the next round. */
		to = p;
		p = q;
		if (!fired)
			break;
	}
	EXPECT_GT(MAX_NTH, (int)nth);
	EXPECT_LT(0, failed);
	TH_LOG("%d of the first %u allocations of mremap() failed it", failed,
	       nth - 1);
	ASSERT_EQ(0, munmap(p, self->len));
	EXPECT_EQ(0, device_attr_read("vmas"));
}

TEST_HARNESS_MAIN
