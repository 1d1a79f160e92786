// SPDX-License-Identifier: GPL-2.0
/*
 * Claim 19: huge (PMD) mappings of the device.
 *
 * With folio_order = PMD order (9 with 4 KiB pages, 11 with 16 KiB) the
 * driver allocates PMD-sized folios (2 MiB, 32 MiB) and places mappings
 * PMD aligned (thp_get_unmapped_area), so a MAP_SHARED mapping of a PMD
 * aligned offset is mapped with PMDs: smaps FilePmdMapped equals the
 * length, and the first touch of fresh pages takes one fault per PMD.
 * Placed off the PMD grid (MAP_FIXED), the same pages can only be mapped
 * with PTEs. The region is two PMDs (4 MiB or 64 MiB).
 *
 * With a smaller folio_order (0 in the run with folio_order=0) nothing is
 * PMD-mapped. The driver has no ->map_pages (no fault-around), so how many
 * faults a first touch takes is finish_fault()'s choice, and that is where
 * the kernels of the matrix differ; two tests pin it per kernel version:
 *
 * - folio_order=4 (the test reloads the module with it): before 6.18,
 *   finish_fault() maps one page per fault for files other than anonymous
 *   shmem; since 6.18 (19773df031bc "mm/fault: try to map the entire file
 *   folio in finish_fault()") it maps every page of the folio that fits in
 *   the VMA and its page table, with PTEs, in one fault.
 * - MADV_NOHUGEPAGE on an aligned mapping of a PMD-sized folio: 6.1's
 *   do_set_pmd() does not look at VM_NOHUGEPAGE and maps the PMD anyway;
 *   since 6.12 (2b0f922323cc "mm: don't install PMD mappings when THPs are
 *   disabled by the hw/process/vma"; it failed to apply to 6.1-stable) it
 *   refuses, and finish_fault() falls back to PTEs: one page per fault on
 *   6.12, the whole folio in one fault since 6.18.
 *
 * A read-only long-term pin (FOLL_LONGTERM without FOLL_WRITE: ublk's
 * read-only buffers, V4L2 USERPTR output queues) of a MAP_PRIVATE mapping
 * makes the core copy the page first ("unshare"). For a PMD-mapped folio
 * that copy never comes on 6.12 to 7.3, which lack "mm: do not install
 * PMD mappings when handling a COW fault": the driver refuses such a
 * fault and the pin fails with EFAULT instead of retrying for ever (see
 * driver/vm_ops.c); a smaller folio is copied and the pin works. The two
 * tests take their pins through the kernel's GUP test interface
 * (CONFIG_GUP_TEST, the debug kernel's; Debian's kernels lack it and the
 * tests skip, saying so).
 *
 * The tests of one kind of mapping skip with the other folio_order. The
 * fixture makes the device fresh (device_fresh(): every folio punched) and
 * the tests count faults and allocations as differences; the teardown
 * loads the module again with the run's parameters if a test changed
 * them, or if a failure left it unloaded.
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
#include "module.h"
#include "kversion.h"
#include "child.h"
#include "fixture.h"

/* Two PMDs: the device grows to hold them if it must. */
#define HUGE_LEN	(2 * pmd_bytes())

FIXTURE(huge) {
	long long order;	/* folio_order */
	bool pmd;		/* folio_order is the PMD order */
	off_t off;		/* device offset of the test's region */
	int fd;
	bool args_changed;	/* the test reloaded the module with its own */
	uint64_t seed;		/* unique per test and run */
	/* What first_touch() saw: */
	char *map;
	long long faults, alloc0, alloc1;
	long pmd_kb;
};

FIXTURE_SETUP(huge)
{
	self->order = device_attr_read(MMAPDEMO_ATTR_FOLIO_ORDER);
	ASSERT_LE(0, self->order);
	self->pmd = self->order == pmd_page_order();
	self->off = 0;
	self->seed = pattern_seed(_metadata->name);
	self->fd = device_fresh_len(_metadata, HUGE_LEN);
	TH_LOG("folio_order %lld (PMD order %d)", self->order, pmd_page_order());
}

/*
 * In the parent, so that it also runs after a crash. The test's process
 * is gone by then, and its fd and mappings with it.
 */
FIXTURE_TEARDOWN_PARENT(huge)
{
	module_restore(self->args_changed);
}

/* Why the tests of one kind of mapping skip with the other folio_order. */
#define NOT_PMD_ORDER	"folio_order %lld: only PMD-order folios are PMD-mapped"
#define PMD_ORDER	"folio_order %lld is the PMD order"

/*
 * First touch of fresh pages, page by page, writing, through a mapping
 * of the whole region (left mapped). Records the faults it took, the
 * memory it allocated and smaps FilePmdMapped.
 */
static void first_touch(struct __test_metadata *_metadata,
			FIXTURE_DATA(huge) *self)
{
	size_t len = HUGE_LEN;
	long long f0, f1;

	self->map = map_dev(_metadata, self->fd, len, PROT_READ | PROT_WRITE,
			    MAP_SHARED, self->off);
	self->alloc0 = device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES);
	f0 = device_attr_read(MMAPDEMO_ATTR_FAULTS);
	pattern_fill_from(self->map, len, self->seed, self->off);
	f1 = device_attr_read(MMAPDEMO_ATTR_FAULTS);
	self->alloc1 = device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES);
	self->pmd_kb = smaps_kb(self->map, "FilePmdMapped");
	self->faults = f1 - f0;
	TH_LOG("%zu KiB at %p: %lld faults, FilePmdMapped %ld kB",
	       len / KIB, self->map, self->faults, self->pmd_kb);
}

/*
 * mmap(NULL, two PMDs) lands PMD aligned with PMD-order folios, also when
 * small anonymous mappings shift the free address space.
 */
TEST_F_TIMEOUT(huge, huge_mmap_address_pmd_aligned, 60)
{
	size_t psize = page_bytes(), len = HUGE_LEN;
	char *map, *perturb[4];
	int i;

	if (!self->pmd)
		SKIP(return, NOT_PMD_ORDER, self->order);
	for (i = 0; i < 4; i++) {
		perturb[i] = mmap(NULL, (i + 1) * psize, PROT_READ,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, perturb[i]);
		map = map_dev(_metadata, self->fd, len, PROT_READ, MAP_SHARED,
			      self->off);
		EXPECT_EQ(0UL, (uintptr_t)map % pmd_bytes()) {
			TH_LOG("mapping at %p", map);
		}
		munmap(map, len);
	}
	for (i = 0; i < 4; i++)
		munmap(perturb[i], (i + 1) * psize);
}

/* A PMD aligned mapping of PMD-order folios is mapped with PMDs. */
TEST_F_TIMEOUT(huge, huge_aligned_mapping_pmd_mapped, 60)
{
	if (!self->pmd)
		SKIP(return, NOT_PMD_ORDER, self->order);
	first_touch(_metadata, self);
	ASSERT_EQ(0UL, (uintptr_t)self->map % pmd_bytes());
	EXPECT_EQ((long)(HUGE_LEN / KIB), self->pmd_kb);
}

/* ... and the first touch takes one fault per PMD. */
TEST_F_TIMEOUT(huge, huge_one_fault_per_pmd, 60)
{
	if (!self->pmd)
		SKIP(return, NOT_PMD_ORDER, self->order);
	first_touch(_metadata, self);
	ASSERT_EQ(0UL, (uintptr_t)self->map % pmd_bytes());
	EXPECT_EQ((long long)(HUGE_LEN / pmd_bytes()), self->faults);
}

/* With smaller folios nothing is PMD-mapped. */
TEST_F_TIMEOUT(huge, huge_small_folios_pte_mapped, 60)
{
	if (self->pmd)
		SKIP(return, PMD_ORDER, self->order);
	first_touch(_metadata, self);
	EXPECT_EQ(0, self->pmd_kb);
}

/* The folio order huge_order4_one_fault_per_folio_since_6_18 and
 * huge_private_ro_longterm_pin_of_small_folio_copies load.
 */
#define SMALL_ORDER	4
/* The upstream changes the two tests below pin (6.18, 6.12). */
#define FINISH_FAULT_WHOLE_FOLIO \
	"\"mm/fault: try to map the entire file folio in finish_fault()\""
#define DO_SET_PMD_THP_DISABLED \
	"\"mm: don't install PMD mappings when THPs are disabled by the hw/process/vma\""

/*
 * Pins finish_fault() of each kernel: the driver has no ->map_pages (no
 * fault-around), so every fault is one finish_fault(). Before 6.18 it maps
 * one page per fault for files other than anonymous shmem; since 6.18,
 * "mm/fault: try to map the entire file folio in finish_fault()" maps all
 * pages of the folio that lie in the VMA and in the faulting page table,
 * with PTEs, so the first touch takes one fault per folio. With
 * folio_order=4 in any suite: the test reloads the module with it, and
 * the teardown loads the run's parameters again.
 */
TEST_F_TIMEOUT(huge, huge_order4_one_fault_per_folio_since_6_18, 120)
{
	long long pages = HUGE_LEN / page_bytes();
	long long folios = pages >> SMALL_ORDER;
	bool whole = kernel_at_least(6, 18);
	char args[512];

	close(self->fd);
	/* The run's size; its folio_order would be given twice. */
	snprintf(args, sizeof(args), "size=%zu folio_order=%d",
		 module_param_size(), SMALL_ORDER);
	self->args_changed = true;
	fresh_module(_metadata, args);
	ASSERT_EQ(SMALL_ORDER, device_attr_read(MMAPDEMO_ATTR_FOLIO_ORDER));
	self->fd = device_fresh_len(_metadata, HUGE_LEN);
	first_touch(_metadata, self);
	EXPECT_EQ(0, self->pmd_kb);
	TH_LOG("kernel %s: one fault per %s expected (%s 6.18: %s)",
	       kernel_release(), whole ? "folio" : "page",
	       whole ? "since" : "before", FINISH_FAULT_WHOLE_FOLIO);
	EXPECT_EQ(whole ? folios : pages, self->faults);
}

/*
 * Pins do_set_pmd() and finish_fault() of each kernel for a PMD-sized
 * folio under a PMD aligned MAP_SHARED mapping that MADV_NOHUGEPAGE
 * marked VM_NOHUGEPAGE before the first touch:
 *
 * - 6.1: do_set_pmd() checks only that the VMA and the folio suit a PMD
 *   (transhuge_vma_suitable(), the order), not VM_NOHUGEPAGE: PMD-mapped,
 *   one fault.
 * - 6.12: "mm: don't install PMD mappings when THPs are disabled by the
 *   hw/process/vma" makes do_set_pmd() return VM_FAULT_FALLBACK when
 *   vma_thp_disabled(); finish_fault() then maps one page per fault.
 * - 6.18 and later: do_set_pmd() still refuses, and finish_fault() maps
 *   the whole folio with PTEs in that one fault ("mm/fault: try to map
 *   the entire file folio in finish_fault()").
 */
TEST_F_TIMEOUT(huge, huge_nohugepage_pmd_until_6_12_whole_folio_since_6_18, 60)
{
	size_t len = pmd_bytes();
	long long f0, faults, want;
	long pmd_kb, want_kb;
	const char *why;

	if (!self->pmd)
		SKIP(return, NOT_PMD_ORDER, self->order);
	self->map = map_dev(_metadata, self->fd, len, PROT_READ | PROT_WRITE,
			    MAP_SHARED, self->off);
	ASSERT_EQ(0UL, (uintptr_t)self->map % pmd_bytes());
	ASSERT_EQ(0, madvise(self->map, len, MADV_NOHUGEPAGE)) {
		TH_LOG("madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
	}
	f0 = device_attr_read(MMAPDEMO_ATTR_FAULTS);
	pattern_fill_from(self->map, len, self->seed, self->off);
	faults = device_attr_read(MMAPDEMO_ATTR_FAULTS) - f0;
	pmd_kb = smaps_kb(self->map, "FilePmdMapped");

	if (!kernel_at_least(6, 12)) {
		why = "before 6.12 do_set_pmd() ignores VM_NOHUGEPAGE: one PMD";
		want_kb = len / KIB;
		want = 1;
	} else if (!kernel_at_least(6, 18)) {
		why = "6.12 to 6.17: " DO_SET_PMD_THP_DISABLED
		      ", finish_fault() maps one page per fault";
		want_kb = 0;
		want = len / page_bytes();
	} else {
		why = "since 6.18: " DO_SET_PMD_THP_DISABLED ", and "
		      FINISH_FAULT_WHOLE_FOLIO;
		want_kb = 0;
		want = 1;
	}
	TH_LOG("kernel %s: %lld faults, FilePmdMapped %ld kB; %s",
	       kernel_release(), faults, pmd_kb, why);
	EXPECT_EQ(want_kb, pmd_kb);
	EXPECT_EQ(want, faults);
	EXPECT_EQ(-1, device_pattern_mismatch_from(self->fd, len, self->off,
						   self->seed, self->off));
}

/*
 * mm/gup_test.h, the kernel's interface for testing pin_user_pages(), as
 * the mm selftests (cow.c) use it for long-term pins. It is no uapi
 * header, so its ioctls are spelled out here.
 */
#define GUP_TEST_PATH			"/sys/kernel/debug/gup_test"
struct pin_longterm_test {
	uint64_t addr;
	/* cppcheck-suppress unusedStructMember ; read by the kernel */
	uint64_t size;
	/* cppcheck-suppress unusedStructMember ; read by the kernel */
	uint32_t flags;
};
#define PIN_LONGTERM_TEST_START		_IOW('g', 7, struct pin_longterm_test)
#define PIN_LONGTERM_TEST_STOP		_IO('g', 8)
#define PIN_LONGTERM_TEST_READ		_IOW('g', 9, uint64_t)
#define PIN_LONGTERM_TEST_FLAG_USE_FAST	2
#define NO_GUP_TEST \
	"CONFIG_GUP_TEST missing (Debian's kernels do not set it): %s absent; the debug kernel runs this test"
/* The fix whose absence the driver works around (not in 6.12 to 7.3). */
#define DO_SET_PMD_NOT_FOR_COW \
	"\"mm: do not install PMD mappings when handling a COW fault\""
/* A pin that takes longer is retrying for ever. */
#define PIN_WAIT_S			20

/*
 * Read-only long-term pin of the first page of @map in a child, reading
 * the page first: how it ended, as an exit code (0 pinned, else the
 * errno, 128 + SIGALRM if it was still retrying after PIN_WAIT_S). In a
 * child because only a fatal signal stops GUP's retries.
 */
static int pin_in_child(void *map, uint32_t flags)
{
	struct pin_longterm_test args = {
		.addr = (uintptr_t)map, .size = page_bytes(), .flags = flags,
	};
	pid_t pid = fork_tied_to_parent();
	int gup_fd;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		alarm(PIN_WAIT_S);
		(void)*(volatile char *)map;
		gup_fd = open(GUP_TEST_PATH, O_RDWR);
		if (gup_fd < 0 || ioctl(gup_fd, PIN_LONGTERM_TEST_START, &args))
			_exit(errno);
		_exit(0);	/* exit closes gup_fd, which unpins */
	}
	return wait_exit_code(pid);
}

/*
 * A read-only long-term pin of a PMD-mapped MAP_PRIVATE mapping, through
 * pin_user_pages() and pin_user_pages_fast(), fails with EFAULT within
 * PIN_WAIT_S: the driver refuses the unsharing fault of a PMD-sized folio.
 * Without that, 6.12 to 7.3 would split the PMD, map it again and retry
 * for ever (killable only).
 */
TEST_F_TIMEOUT(huge, huge_private_ro_longterm_pin_refused_not_retried, 120)
{
	static const struct {
		const char *name;
		uint32_t flags;
	} gups[] = {
		{ "pin_user_pages()", 0 },
		{ "pin_user_pages_fast()", PIN_LONGTERM_TEST_FLAG_USE_FAST },
	};
	size_t len = pmd_bytes(), i;
	char *map;
	int code;

	if (!self->pmd)
		SKIP(return, NOT_PMD_ORDER, self->order);
	if (access(GUP_TEST_PATH, F_OK))
		SKIP(return, NO_GUP_TEST, GUP_TEST_PATH);
	map = map_dev(_metadata, self->fd, len, PROT_READ, MAP_PRIVATE,
		      self->off);
	ASSERT_EQ(0UL, (uintptr_t)map % pmd_bytes());
	(void)*(volatile char *)map;
	ASSERT_EQ((long)(len / KIB), smaps_kb(map, "FilePmdMapped"));
	for (i = 0; i < ARRAY_SIZE(gups); i++) {
		code = pin_in_child(map, gups[i].flags);
		if (code == 128 + SIGALRM)
			TH_LOG("kernel %s, %s: still retrying after %d s, killed",
			       kernel_release(), gups[i].name, PIN_WAIT_S);
		else
			TH_LOG("kernel %s, %s: %s", kernel_release(),
			       gups[i].name, code ? strerror(code) : "pinned");
		EXPECT_EQ(EFAULT, code) {
			TH_LOG("unsharing a PMD-sized folio must fail: 6.12 to 7.3 lack "
			       DO_SET_PMD_NOT_FOR_COW);
		}
	}
}

/*
 * With folios smaller than a PMD the pin works: the core copies the page
 * for the private mapping, and pin and mapping share that copy, so a
 * later store through the mapping is seen through the pin, and the
 * device keeps its data. The test reloads the module with folio_order 4
 * (PTE-mapped large folios).
 */
TEST_F_TIMEOUT(huge, huge_private_ro_longterm_pin_of_small_folio_copies, 120)
{
	size_t psize = page_bytes();
	struct pin_longterm_test args = { .size = psize };
	char args_text[512], *map, *buf;
	uint64_t to;
	int gup_fd;

	if (access(GUP_TEST_PATH, F_OK))
		SKIP(return, NO_GUP_TEST, GUP_TEST_PATH);
	close(self->fd);
	snprintf(args_text, sizeof(args_text), "size=%zu folio_order=%d",
		 module_param_size(), SMALL_ORDER);
	self->args_changed = true;
	fresh_module(_metadata, args_text);
	self->fd = device_fresh_len(_metadata, HUGE_LEN);
	buf = malloc(psize);
	ASSERT_NE(NULL, buf);
	memset(buf, 'D', psize);
	ASSERT_EQ((ssize_t)psize, pwrite(self->fd, buf, psize, self->off));
	map = map_dev(_metadata, self->fd, HUGE_LEN, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE, self->off);
	ASSERT_EQ('D', *(volatile char *)map);
	EXPECT_EQ(0, smaps_kb(map, "FilePmdMapped"));

	gup_fd = open(GUP_TEST_PATH, O_RDWR);
	ASSERT_LE(0, gup_fd);
	args.addr = (uintptr_t)map;
	ASSERT_EQ(0, ioctl(gup_fd, PIN_LONGTERM_TEST_START, &args)) {
		TH_LOG("PIN_LONGTERM_TEST_START: %s", strerror(errno));
	}
	map[0] = 'P';
	to = (uintptr_t)buf;
	ASSERT_EQ(0, ioctl(gup_fd, PIN_LONGTERM_TEST_READ, &to));
	EXPECT_EQ('P', buf[0]) {
		TH_LOG("the pinned page is not the one the mapping maps");
	}
	ASSERT_EQ(0, ioctl(gup_fd, PIN_LONGTERM_TEST_STOP));
	close(gup_fd);
	ASSERT_EQ((ssize_t)psize, pread(self->fd, buf, psize, self->off));
	EXPECT_EQ('D', buf[0]);
	free(buf);
}

/* Any folio_order: the first touch allocates exactly what it touched. */
TEST_F_TIMEOUT(huge, huge_first_touch_allocates_length, 60)
{
	first_touch(_metadata, self);
	EXPECT_EQ((long long)HUGE_LEN, self->alloc1 - self->alloc0);
}

/* Any folio_order: the contents are the same, mapped and read(). */
TEST_F_TIMEOUT(huge, huge_first_touch_contents_correct, 60)
{
	first_touch(_metadata, self);
	EXPECT_EQ(-1, pattern_mismatch_from(self->map, HUGE_LEN, self->seed,
					    self->off));
	EXPECT_EQ(-1, device_pattern_mismatch_from(self->fd, HUGE_LEN, self->off,
					      self->seed, self->off));
}

/*
 * After first_touch(), the same pages mapped one page off the PMD grid
 * (MAP_FIXED into a reservation) and read through: returns the mapping
 * and the faults that reading took.
 */
static char *read_unaligned(struct __test_metadata *_metadata,
			    FIXTURE_DATA(huge) *self, long long *faults,
			    long *mismatch)
{
	size_t psize = page_bytes(), len = HUGE_LEN;
	char *resv, *fixed;
	long long f0;

	resv = mmap(NULL, len + pmd_bytes() + psize, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, resv);
	fixed = (char *)align_up((uintptr_t)resv, pmd_bytes()) + psize;
	fixed = mmap(fixed, len, PROT_READ, MAP_SHARED | MAP_FIXED, self->fd,
		     self->off);
	ASSERT_NE(MAP_FAILED, fixed);
	f0 = device_attr_read(MMAPDEMO_ATTR_FAULTS);
	*mismatch = pattern_mismatch_from(fixed, len, self->seed, self->off);
	*faults = device_attr_read(MMAPDEMO_ATTR_FAULTS) - f0;
	return fixed;
}

/* Off the PMD grid: PTEs only, one fault per page. */
TEST_F_TIMEOUT(huge, huge_unaligned_mapping_pte_mapped, 60)
{
	long long faults;
	char *fixed;
	long bad;

	first_touch(_metadata, self);
	fixed = read_unaligned(_metadata, self, &faults, &bad);
	EXPECT_EQ(0, smaps_kb(fixed, "FilePmdMapped"));
	EXPECT_EQ((long long)(HUGE_LEN / page_bytes()), faults);
}

/* Off the PMD grid: the same data. */
TEST_F_TIMEOUT(huge, huge_unaligned_mapping_same_data, 60)
{
	long long faults;
	long bad;

	first_touch(_metadata, self);
	read_unaligned(_metadata, self, &faults, &bad);
	EXPECT_EQ(-1, bad);
}

/* Reading pages that exist allocates nothing more. */
TEST_F_TIMEOUT(huge, huge_unaligned_mapping_allocates_nothing, 60)
{
	long long faults;
	long bad;

	first_touch(_metadata, self);
	read_unaligned(_metadata, self, &faults, &bad);
	EXPECT_EQ(self->alloc1, device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));
}

TEST_HARNESS_MAIN
