// SPDX-License-Identifier: GPL-2.0
/*
 * Claim 11: a partial munmap() splits a device mapping.
 *
 * Unmapping a page in the middle leaves two VMAs (two lines in
 * /proc/self/maps, each with its own file offset); both keep their
 * contents and stay connected to the device (writes show up in pread()).
 * The driver's `vmas` counter follows: the split calls vm_ops->open for
 * the new VMA, each munmap() calls vm_ops->close.
 *
 * Each test runs twice (fixture variants): for a 3-page mapping (middle
 * page), and for a mapping of two PMDs (4 MiB, or 64 MiB with 16 KiB
 * pages) cut inside its first PMD, which with PMD-order folios is mapped
 * by one PMD that the cut has to split.
 *
 * The `vmas` fixture checks the counter where the two ways the driver
 * counts a new VMA could go wrong: vm_ops->open from .mmap (6.1, 6.12) or
 * vm_ops->mapped after .mmap_prepare (7.2, 7.3). An mprotect() split is
 * counted like a munmap() one. A failed mmap() counts nothing: with
 * MAP_FIXED_NOREPLACE over a mapping, and with MAP_FIXED over a device
 * mapping beyond RLIMIT_AS, where 6.12 and later have already detached
 * the old VMA (vms_gather_munmap_vmas(), and split it if it covers part
 * of it) when may_expand_vm() fails, and put it back. In every case the
 * counter is the number of device VMAs in /proc/PID/maps. (Both fail
 * before the driver's hook: in 7.3 __mmap_region() can fail after
 * .mmap_prepare only on allocation failures, in 6.1 and 6.12
 * mmap_region() after .mmap likewise, which only fault injection makes
 * happen.)
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
#include "access.h"
#include "child.h"
#include "fixture.h"

FIXTURE(cut) {
	int fd;
	off_t off;		/* device offset of the mapping */
	size_t len;		/* length of the mapping */
	size_t hole, hole_len;	/* the unmapped range inside it */
	size_t tail;		/* hole + hole_len: start of the second part */
	char *map;		/* NULL once all of it is unmapped */
	long long vmas0;	/* `vmas` before the mmap() */
	long long vmas_mapped;	/* `vmas` right after the mmap() */
	uint64_t seed_before;	/* written before the cut */
	uint64_t seed_after;	/* written after it */
};

FIXTURE_VARIANT(cut) {
	bool in_pmd;
};

/* Three pages, the middle one unmapped. */
FIXTURE_VARIANT_ADD(cut, three_pages) {
	.in_pmd = false,
};

/* Two PMDs (PMD aligned offset), one page cut half a PMD in: inside a PMD. */
FIXTURE_VARIANT_ADD(cut, inside_pmd) {
	.in_pmd = true,
};

/*
 * Map the variant's range, fill it through the mapping and unmap the hole.
 * What the cut did is left to the tests to check.
 */
FIXTURE_SETUP(cut)
{
	size_t psize = page_bytes();
	struct maps_entry v[4];
	int n;

	if (variant->in_pmd) {
		self->off = pmd_bytes();
		self->len = 2 * pmd_bytes();
		self->hole = pmd_bytes() / 2;
	} else {
		self->off = 0;
		self->len = 3 * psize;
		self->hole = psize;
	}
	self->hole_len = psize;
	self->tail = self->hole + self->hole_len;
	/* Unique per test and run: no earlier test's data can pass. */
	self->seed_before = pattern_seed(_metadata->name);
	self->seed_after = splitmix64(self->seed_before);

	/* Three PMDs do not fit in 64 MiB with 16 KiB pages: it grows. */
	self->fd = device_fresh_len(_metadata, 3 * pmd_bytes());
	self->vmas0 = device_attr_read(MMAPDEMO_ATTR_VMAS);
	ASSERT_LE(0, self->vmas0);
	self->map = map_dev(_metadata, self->fd, self->len,
			    PROT_READ | PROT_WRITE, MAP_SHARED, self->off);
	self->vmas_mapped = device_attr_read(MMAPDEMO_ATTR_VMAS);
	n = maps_in_range((unsigned long)self->map,
			  (unsigned long)self->map + self->len, v, 4);
	ASSERT_EQ(1, n);

	pattern_fill_from(self->map, self->len, self->seed_before, self->off);
	TH_LOG("%zu KiB mapping at %p: FilePmdMapped %ld kB before the cut",
	       self->len / KIB, self->map,
	       smaps_kb(self->map, "FilePmdMapped"));

	ASSERT_EQ(0, munmap(self->map + self->hole, self->hole_len));
}

FIXTURE_TEARDOWN(cut)
{
	if (self->map)
		munmap(self->map, self->len);
	close(self->fd);
	/* Back to the load-time size if the setup grew the device. */
	module_restore(false);
}

/* Two VMAs, with the file offsets of their first pages. */
TEST_F(cut, partial_munmap_splits_mapping)
{
	unsigned long map = (unsigned long)self->map;
	struct maps_entry v[4];
	int n;

	n = maps_in_range(map, map + self->len, v, 4);
	ASSERT_EQ(2, n);
	EXPECT_EQ(map, v[0].start);
	EXPECT_EQ(map + self->hole, v[0].end);
	EXPECT_EQ((unsigned long long)self->off, v[0].offset);
	EXPECT_EQ(map + self->tail, v[1].start);
	EXPECT_EQ(map + self->len, v[1].end);
	EXPECT_EQ((unsigned long long)(self->off + self->tail), v[1].offset);
	EXPECT_STREQ("rw-s", v[0].perms);
	EXPECT_STREQ("rw-s", v[1].perms);
}

/* The hole is unmapped. */
TEST_F(cut, partial_munmap_hole_segv)
{
	struct access_result r;

	EXPECT_EQ(SIGSEGV, probe_signal(self->map + self->hole, ACCESS_READ,
					&r));
	EXPECT_EQ(SIGSEGV, probe_signal(self->map + self->tail - 1,
					ACCESS_READ, &r));
}

/* Both sides kept their contents. */
TEST_F(cut, partial_munmap_both_sides_keep_contents)
{
	EXPECT_EQ(-1, pattern_mismatch_from(self->map, self->hole,
					    self->seed_before, self->off));
	EXPECT_EQ(-1, pattern_mismatch_from(self->map + self->tail,
					    self->len - self->tail,
					    self->seed_before,
					    self->off + self->tail));
}

/* Both sides still write to the device. */
TEST_F(cut, partial_munmap_both_sides_write_device)
{
	size_t hole = self->hole, tail = self->tail, len = self->len;
	uint64_t seed = self->seed_after;
	off_t off = self->off;

	pattern_fill_from(self->map, hole, seed, off);
	pattern_fill_from(self->map + tail, len - tail, seed, off + tail);
	EXPECT_EQ(-1, device_pattern_mismatch_from(self->fd, hole, off, seed,
					      off));
	EXPECT_EQ(-1, device_pattern_mismatch_from(self->fd, len - tail,
					      off + tail, seed, off + tail));
	/* The device page behind the hole was not touched by any of it. */
	EXPECT_EQ(-1, device_pattern_mismatch_from(self->fd, self->hole_len,
					      off + hole, self->seed_before,
					      off + hole));
}

/* vm_ops->open for the new VMA, vm_ops->close for each munmap()ed one. */
TEST_F(cut, partial_munmap_vmas_counter_follows)
{
	EXPECT_EQ(self->vmas0 + 1, self->vmas_mapped);
	EXPECT_EQ(self->vmas0 + 2, device_attr_read(MMAPDEMO_ATTR_VMAS));
	ASSERT_EQ(0, munmap(self->map, self->len));
	self->map = NULL;
	EXPECT_EQ(self->vmas0, device_attr_read(MMAPDEMO_ATTR_VMAS));
}

/* One munmap() over both parts (and the hole) closes both VMAs. */
TEST_F(cut, partial_munmap_one_munmap_removes_both_parts)
{
	unsigned long map = (unsigned long)self->map;
	struct maps_entry v[4];

	ASSERT_EQ(0, munmap(self->map, self->len));
	self->map = NULL;
	EXPECT_EQ(0, maps_in_range(map, map + self->len, v, 4));
	EXPECT_EQ(self->vmas0, device_attr_read(MMAPDEMO_ATTR_VMAS));
}

/* The `vmas` counter of the driver against the device VMAs in maps. */
DEVICE_FIXTURE(vmas)

#define VMAS_PAGES	4
/* What the failing MAP_FIXED mmap()s ask for. */
#define VMAS_BIG	(16 * MIB)

/* How many VMAs of this process map the device. */
static int dev_vmas(void)
{
	return maps_count_path(0, MMAPDEMO_DEVICE_PATH);
}

/*
 * mprotect() of the middle page splits the mapping into three, each
 * counted; changing it back merges nothing (VM_DONTEXPAND makes the VMAs
 * unmergeable); munmap() of the whole range closes them all.
 */
TEST_F(vmas, vmas_mprotect_split_counted)
{
	size_t psize = page_bytes(), len = VMAS_PAGES * psize;
	long long v0 = device_attr_read(MMAPDEMO_ATTR_VMAS);
	char *map;

	ASSERT_LE(0, v0);
	map = map_dev(_metadata, self->fd, len, PROT_READ | PROT_WRITE,
		      MAP_SHARED, 0);
	EXPECT_EQ(v0 + 1, device_attr_read(MMAPDEMO_ATTR_VMAS));
	ASSERT_EQ(0, mprotect(map + psize, psize, PROT_READ));
	ASSERT_EQ(3, dev_vmas());
	EXPECT_EQ(v0 + 3, device_attr_read(MMAPDEMO_ATTR_VMAS));
	ASSERT_EQ(0, mprotect(map + psize, psize, PROT_READ | PROT_WRITE));
	EXPECT_EQ(v0 + dev_vmas(), device_attr_read(MMAPDEMO_ATTR_VMAS));
	ASSERT_EQ(0, munmap(map, len));
	EXPECT_EQ(0, dev_vmas());
	EXPECT_EQ(v0, device_attr_read(MMAPDEMO_ATTR_VMAS));
}

/* MAP_FIXED_NOREPLACE over the mapping, whole or in part: EEXIST. */
TEST_F(vmas, vmas_failed_fixed_noreplace_counts_nothing)
{
	size_t psize = page_bytes(), len = VMAS_PAGES * psize;
	long long v0 = device_attr_read(MMAPDEMO_ATTR_VMAS);
	char *map, *p;

	ASSERT_LE(0, v0);
	map = map_dev(_metadata, self->fd, len, PROT_READ, MAP_SHARED, 0);
	p = mmap(map, len, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE,
		 self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EEXIST, errno);
	p = mmap(map + 2 * psize, len, PROT_READ,
		 MAP_SHARED | MAP_FIXED_NOREPLACE, self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(1, dev_vmas());
	EXPECT_EQ(v0 + 1, device_attr_read(MMAPDEMO_ATTR_VMAS));
	ASSERT_EQ(0, munmap(map, len));
	EXPECT_EQ(v0, device_attr_read(MMAPDEMO_ATTR_VMAS));
}

/*
 * In a child, because an address space limit is for the whole process: a
 * device mapping of 4 pages with 16 MiB free after it, RLIMIT_AS with
 * room for 4 MiB more (the child's own mallocs), then MAP_FIXED of 16 MiB
 * at the mapping (over all of it) and at its third page (over half of it)
 * must fail with ENOMEM. The old mapping stays, with its data, and `vmas`
 * matches the device VMAs of the child after each. The child's exit code
 * says which check failed.
 */
TEST_F(vmas, vmas_failed_fixed_over_mapping_counts_nothing)
{
	size_t psize = page_bytes(), len = VMAS_PAGES * psize;
	long long v0 = device_attr_read(MMAPDEMO_ATTR_VMAS);
	uint64_t seed = pattern_seed(_metadata->name);
	int fd = self->fd;
	pid_t pid;

	ASSERT_LE(0, v0);
	ASSERT_EQ(0, device_write_pattern(fd, len, 0, seed));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct maps_entry e;
		struct rlimit rl;
		char *resv, *map;
		long vm_kb;

		resv = mmap(NULL, len + VMAS_BIG, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (resv == MAP_FAILED || munmap(resv + len, VMAS_BIG))
			_exit(10);
		map = mmap(resv, len, PROT_READ, MAP_SHARED | MAP_FIXED, fd,
			   0);
		if (map != resv)
			_exit(11);
		vm_kb = status_kb("VmSize");
		if (vm_kb <= 0)
			_exit(12);
		rl.rlim_cur = rl.rlim_max = vm_kb * KIB + VMAS_BIG / 4;
		if (setrlimit(RLIMIT_AS, &rl))
			_exit(13);
		/* Over all of it, and over its second half. */
		if (mmap(map, VMAS_BIG, PROT_READ, MAP_SHARED | MAP_FIXED, fd,
			 0) != MAP_FAILED || errno != ENOMEM)
			_exit(20);
		if (device_attr_read(MMAPDEMO_ATTR_VMAS) != v0 + dev_vmas())
			_exit(21);
		if (mmap(map + 2 * psize, VMAS_BIG, PROT_READ,
			 MAP_SHARED | MAP_FIXED, fd, 0) != MAP_FAILED ||
		    errno != ENOMEM)
			_exit(22);
		if (device_attr_read(MMAPDEMO_ATTR_VMAS) != v0 + dev_vmas())
			_exit(23);
		/* The old mapping, maybe split, still maps the device. */
		if (maps_lookup(0, (unsigned long)map, false, &e) ||
		    maps_lookup(0, (unsigned long)map + len - 1, true, &e) ||
		    e.end != (unsigned long)map + len)
			_exit(24);
		if (pattern_mismatch(map, len, seed) != -1)
			_exit(25);
		if (munmap(map, len) || dev_vmas() != 0 ||
		    device_attr_read(MMAPDEMO_ATTR_VMAS) != v0)
			_exit(26);
		_exit(0);
	}
	/*
	 * 10-13: setup; 20, 22: a MAP_FIXED mmap() did not fail with ENOMEM;
	 * 21, 23: `vmas` is not the number of device VMAs after it; 24: the
	 * old mapping is gone; 25: its data changed; 26: munmap() left some.
	 */
	EXPECT_EQ(0, wait_exit_code(pid));
	EXPECT_EQ(v0, device_attr_read(MMAPDEMO_ATTR_VMAS));
}

TEST_HARNESS_MAIN
