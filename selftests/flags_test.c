// SPDX-License-Identifier: GPL-2.0
/*
 * mmap() flags on a device mapping: every flag in the seeds' tables
 * (002: MAP_SHARED/PRIVATE, MAP_ANONYMOUS, MAP_LOCKED, MAP_HUGETLB;
 * 003: MAP_FIXED, MAP_NORESERVE, MAP_LOCKED, MAP_GROWSDOWN, MAP_ANONYMOUS,
 * MAP_ANON, MAP_FILE, MAP_32BIT, MAP_POPULATE, MAP_NONBLOCK; 004: MAP_SHARED,
 * MAP_PRIVATE, MAP_ANONYMOUS "fd must be -1", MAP_FIXED "may overwrite an
 * existing mapping", MAP_LOCKED "needs CAP_IPC_LOCK"), plus the checks that
 * go with them (MAP_FIXED_NOREPLACE, MAP_SHARED_VALIDATE).
 *
 * What the kernel does where the seeds say otherwise, pinned here:
 * - MAP_LOCKED and mlock() succeed on the device and prefault it, but the
 *   VMA is VM_DONTEXPAND (driver, see the ABI), which is VM_SPECIAL, and
 *   the kernel never sets VM_LOCKED on a VM_SPECIAL VMA (mmap_region(),
 *   mlock_fixup(): vma_supports_mlock()/VM_SPECIAL check, 6.1 and 6.12):
 *   VmLck does not grow. It does grow by the length for anonymous memory.
 * - MAP_LOCKED does not need CAP_IPC_LOCK: within RLIMIT_MEMLOCK an
 *   unprivileged process may use it (beyond: EAGAIN, see errno_test).
 * - MAP_GROWSDOWN on a file (device) mapping: mmap() fails with EINVAL on
 *   both kernels (do_mmap(): "if (vm_flags & (VM_GROWSDOWN|VM_GROWSUP))
 *   return -EINVAL" in the file branch); only anonymous private mappings
 *   can grow down.
 * - MAP_ANONYMOUS ignores fd on Linux: passing the device fd gives an
 *   anonymous (zero-filled) mapping, not the device.
 * - MAP_32BIT (0x40) exists on x86-64 only (arch/x86/include/uapi/asm/
 *   mman.h; glibc defines it only there). Elsewhere, arm64 included,
 *   include/linux/mman.h makes the kernel's MAP_32BIT 0, so bit 0x40 is
 *   an unknown flag: ignored with MAP_SHARED and MAP_PRIVATE (the place
 *   is not restricted), EOPNOTSUPP with MAP_SHARED_VALIDATE. On x86-64
 *   MAP_SHARED_VALIDATE accepts it (LEGACY_MAP_MASK) and honours it.
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
#include "child.h"
#include "fixture.h"

#define NR_PAGES	64
/* MAP_32BIT's bit on x86-64; not defined by the C library elsewhere. */
#define X86_MAP_32BIT_BIT	0x40
#ifdef MAP_32BIT
_Static_assert(MAP_32BIT == X86_MAP_32BIT_BIT, "MAP_32BIT is 0x40");
#endif
/* An extension flag bit that no kernel defines (yet). */
#define MAP_UNKNOWN_FLAG	0x200000

static off_t region(struct __test_metadata *_metadata, int k)
{
	return test_region(_metadata, k, NR_PAGES * page_bytes());
}

/* A fork child writes pattern @seed into [p, p + len) and exits. */
static int child_fills(void *p, size_t len, uint64_t seed)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		pattern_fill(p, len, seed);
		_exit(0);
	}
	return wait_exit_code(pid);
}

/* The smaps VmFlags (two-letter codes) of the VMA that starts at @p. */
#define VMFLAGS_LEN	256
static void get_vmflags(struct __test_metadata *_metadata, void *p,
			char vmflags[VMFLAGS_LEN])
{
	ASSERT_EQ(0, smaps_field((unsigned long)p, "VmFlags", vmflags,
				 VMFLAGS_LEN));
}

/* Touch every page (read, then optionally write): minor faults taken. */
static long faults_touching(char *p, size_t len, bool write)
{
	long before, after;
	size_t i;

	before = rusage_minor_faults();
	for (i = 0; i < len; i += page_bytes()) {
		(void)((volatile char *)p)[i];
		if (write)
			((volatile char *)p)[i] = (char)i;
	}
	after = rusage_minor_faults();
	return after - before;
}

/* The faults of touching a new mapping: this process's, and the device's. */
struct touch_faults {
	long proc;		/* minor faults, from getrusage() */
	long long dev;		/* the device's fault counter, its increase */
};

/*
 * A new read-write mapping of [off, off + len) with @flags, touched
 * (faults_touching()) and unmapped: the faults the touching took. The
 * device's counter is read after mmap(), so that what MAP_POPULATE does
 * inside mmap() is not counted.
 */
static struct touch_faults map_and_touch(struct __test_metadata *_metadata,
					 int fd, size_t len, off_t off,
					 int flags, bool write)
{
	struct touch_faults f;
	long long dev_faults;
	char *p;

	p = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE, flags, off);
	dev_faults = device_attr_read(MMAPDEMO_ATTR_FAULTS);
	ASSERT_LE(0, dev_faults);
	f.proc = faults_touching(p, len, write);
	f.dev = device_attr_read(MMAPDEMO_ATTR_FAULTS) - dev_faults;
	munmap(p, len);
	return f;
}

DEVICE_FIXTURE(device)

TEST_F(device, flags_fixed_replaces_mapping)
{
	size_t pg = page_bytes(), len = 4 * pg;
	off_t off = region(_metadata, 0);
	uint64_t seed_anon = pattern_seed(__func__);
	uint64_t seed_dev = splitmix64(seed_anon);
	struct maps_entry e;
	char *anon, *p;
	int fd = self->fd;

	ASSERT_EQ(0, device_write_pattern(fd, len, off, seed_dev));
	anon = mmap(NULL, 3 * len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	pattern_fill(anon, 3 * len, seed_anon);

	/* Over the middle third of the anonymous mapping. */
	p = mmap(anon + len, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, off);
	ASSERT_EQ(anon + len, p);
	EXPECT_EQ(-1, pattern_mismatch(p, len, seed_dev));
	ASSERT_EQ(0, maps_find(0, (unsigned long)p, &e));
	EXPECT_EQ((unsigned long)p + len, e.end);
	EXPECT_STREQ(MMAPDEMO_DEVICE_PATH, e.path);
	EXPECT_EQ((unsigned long long)off, e.offset);
	/* The rest of the old mapping is untouched. */
	EXPECT_EQ(-1, pattern_mismatch(anon, len, seed_anon));
	EXPECT_EQ(-1, pattern_mismatch_from(anon + 2 * len, len, seed_anon,
					    2 * len));

	/* And MAP_FIXED replaces a device mapping by an anonymous one. */
	p = mmap(p, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(anon + len, p);
	EXPECT_EQ(-1, bytes_mismatch(p, len, 0));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, len, off, seed_dev));

	munmap(anon, 3 * len);
	close(fd);
}

TEST_F(device, flags_fixed_noreplace_eexist)
{
	size_t pg = page_bytes(), len = 4 * pg;
	off_t off = region(_metadata, 1);
	uint64_t seed = pattern_seed(__func__);
	struct maps_entry e;
	char *p, *q;
	int fd = self->fd;

	p = fill_and_map(_metadata, fd, len, off, seed, PROT_READ, MAP_SHARED);

	errno = 0;
	q = mmap(p, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EEXIST, errno);
	/* A partial overlap is refused as well, device over device too. */
	errno = 0;
	q = mmap(p + len - pg, len, PROT_READ, MAP_SHARED |
		 MAP_FIXED_NOREPLACE, fd, off);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EEXIST, errno);

	/* The existing mapping is intact. */
	ASSERT_EQ(0, maps_find(0, (unsigned long)p, &e));
	EXPECT_EQ((unsigned long)p + len, e.end);
	EXPECT_STREQ(MMAPDEMO_DEVICE_PATH, e.path);
	EXPECT_EQ(-1, pattern_mismatch(p, len, seed));

	munmap(p, len);
	close(fd);
}

TEST_F(device, flags_populate_prefaults)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 2);
	struct touch_faults f;
	int fd = self->fd;

	f = map_and_touch(_metadata, fd, len, off, MAP_SHARED | MAP_POPULATE,
			  true);
	EXPECT_EQ(0, f.proc);
	EXPECT_EQ(0, f.dev);

	/* Private and writable: populated with private copies. */
	f = map_and_touch(_metadata, fd, len, off, MAP_PRIVATE | MAP_POPULATE,
			  true);
	EXPECT_EQ(0, f.proc);

	/* Control: without MAP_POPULATE the same touching faults. */
	f = map_and_touch(_metadata, fd, len, off, MAP_SHARED, true);
	EXPECT_LT(0, f.proc);
	close(fd);
}

/*
 * MAP_NONBLOCK turns MAP_POPULATE off (since 2.6.23, do_mmap() populates
 * only when (flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE).
 */
TEST_F(device, flags_populate_nonblock_still_faults)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 3);
	struct touch_faults nonblock, plain;
	int fd = self->fd;

	nonblock = map_and_touch(_metadata, fd, len, off,
				 MAP_SHARED | MAP_POPULATE | MAP_NONBLOCK,
				 false);
	EXPECT_LT(0, nonblock.dev);

	/* Exactly as many faults as without MAP_POPULATE at all. */
	plain = map_and_touch(_metadata, fd, len, off, MAP_SHARED, false);
	EXPECT_LT(0, nonblock.proc);
	EXPECT_EQ(plain.proc, nonblock.proc);
	close(fd);
}

TEST_F(device, flags_map_locked_device)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 4);
	long lck, lck_anon;
	char vmflags[VMFLAGS_LEN];
	char *p, *anon;
	int fd = self->fd;

	lck = status_kb("VmLck");
	ASSERT_LE(0, lck);
	p = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_LOCKED, off);
	/* Prefaulted like MAP_POPULATE... */
	EXPECT_EQ(0, faults_touching(p, len, true));
	/* ...but not locked: the VMA is VM_DONTEXPAND, so VM_SPECIAL. */
	EXPECT_EQ(lck, status_kb("VmLck"));
	get_vmflags(_metadata, p, vmflags);
	EXPECT_TRUE(vmflags_has(vmflags, "de")) {
		TH_LOG("VmFlags:%s", vmflags);
	}
	EXPECT_FALSE(vmflags_has(vmflags, "lo")) {
		TH_LOG("VmFlags:%s", vmflags);
	}

	/* Side by side: anonymous memory is locked and counted. */
	anon = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	lck_anon = status_kb("VmLck");
	EXPECT_EQ(lck + (long)(len / 1024), lck_anon);
	get_vmflags(_metadata, anon, vmflags);
	EXPECT_TRUE(vmflags_has(vmflags, "lo")) {
		TH_LOG("VmFlags:%s", vmflags);
	}

	munmap(anon, len);
	EXPECT_EQ(lck, status_kb("VmLck"));
	munmap(p, len);
	close(fd);
}

TEST_F(device, flags_mlock_device)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 5);
	char *p, *anon;
	long lck;
	int fd = self->fd;

	lck = status_kb("VmLck");
	ASSERT_LE(0, lck);
	p = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		    off);
	ASSERT_EQ(0, mlock(p, len));
	/* mlock() prefaults the range, but does not lock a VM_SPECIAL VMA. */
	EXPECT_EQ(0, faults_touching(p, len, true));
	EXPECT_EQ(lck, status_kb("VmLck"));
	EXPECT_EQ(0, munlock(p, len));

	anon = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	ASSERT_EQ(0, mlock(anon, len));
	EXPECT_EQ(lck + (long)(len / 1024), status_kb("VmLck"));
	EXPECT_EQ(0, munlock(anon, len));
	EXPECT_EQ(lck, status_kb("VmLck"));

	munmap(anon, len);
	munmap(p, len);
	close(fd);
}

/*
 * Seed 004 says MAP_LOCKED needs CAP_IPC_LOCK. It does not: without the
 * capability it works within RLIMIT_MEMLOCK (checked by mlock_future_ok()
 * against the length, even though the device VMA then is not locked).
 */
TEST_F(device, flags_map_locked_unprivileged_within_rlimit)
{
	size_t len = 4 * page_bytes();
	off_t off = region(_metadata, 6);
	int fd = self->fd;

	/*
	 * 16 pages: room for the 4 (64 KiB with 4 KiB pages). Exit codes:
	 * 10-12 setup failed; 20 + errno: mmap(MAP_LOCKED) failed.
	 */
	EXPECT_EQ(0, mmap_as_nobody(_metadata, 16 * page_bytes(), len,
				    PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_LOCKED, fd, off));
	close(fd);
}

TEST_F(device, flags_noreserve_accepted)
{
	size_t len = 4 * page_bytes();
	off_t off = region(_metadata, 7);
	uint64_t seed = pattern_seed(__func__);
	bool overcommit_never;
	char vmflags[VMFLAGS_LEN];
	char *s, *p;
	int fd = self->fd, mode = -1;

	mode = attr_read_decimal("/proc/sys/vm", "overcommit_memory");
	ASSERT_LE(0, mode);
	/* The kernel honours MAP_NORESERVE unless overcommit is "never". */
	overcommit_never = mode == 2;

	s = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_NORESERVE, off);
	p = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_NORESERVE, off);
	pattern_fill(s, len, seed);
	EXPECT_EQ(-1, device_pattern_mismatch(fd, len, off, seed));
	EXPECT_EQ(-1, pattern_mismatch(p, len, seed));
	pattern_fill(p, len, splitmix64(seed));
	EXPECT_EQ(-1, pattern_mismatch(s, len, seed));

	get_vmflags(_metadata, p, vmflags);
	EXPECT_EQ(!overcommit_never, vmflags_has(vmflags, "nr")) {
		TH_LOG("VmFlags:%s", vmflags);
	}
	munmap(s, len);
	munmap(p, len);
	close(fd);
}

TEST_F(device, flags_file_accepted)
{
	size_t len = 4 * page_bytes();
	off_t off = region(_metadata, 8);
	uint64_t seed = pattern_seed(__func__);
	char *p;
	int fd = self->fd;

	/* MAP_FILE is a compatibility flag: it is 0 and changes nothing. */
	EXPECT_EQ(0, MAP_FILE);
	p = fill_and_map(_metadata, fd, len, off, seed, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FILE);
	EXPECT_EQ(-1, pattern_mismatch(p, len, seed));
	pattern_fill(p, len, splitmix64(seed));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, len, off, splitmix64(seed)));
	munmap(p, len);
	close(fd);
}

TEST_F(device, flags_32bit_below_2g)
{
	size_t len = 4 * page_bytes();
	off_t off = region(_metadata, 9);
	uint64_t seed = pattern_seed(__func__);
	unsigned long limit = 2UL << 30;
	char *s, *p, *high;
	int fd = self->fd;

#ifndef __x86_64__
	SKIP(return, "MAP_32BIT is x86-64 only; flags_32bit_bit_validated_on_x86_only pins this kernel");
#endif
	s = fill_and_map(_metadata, fd, len, off, seed, PROT_READ | PROT_WRITE,
			 MAP_SHARED | X86_MAP_32BIT_BIT);
	p = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | X86_MAP_32BIT_BIT, off);
	EXPECT_GE(limit, (unsigned long)s + len) {
		TH_LOG("MAP_32BIT shared mapping at %p", s);
	}
	EXPECT_GE(limit, (unsigned long)p + len) {
		TH_LOG("MAP_32BIT private mapping at %p", p);
	}
	EXPECT_EQ(-1, pattern_mismatch(s, len, seed));
	EXPECT_EQ(-1, pattern_mismatch(p, len, seed));
	munmap(s, len);
	munmap(p, len);

	/* "Ignored with MAP_FIXED": a fixed address above 2 GiB is used. */
	high = map_dev(_metadata, fd, len, PROT_READ, MAP_SHARED, off);
	ASSERT_LT(limit, (unsigned long)high);
	p = mmap(high, len, PROT_READ, MAP_SHARED | MAP_FIXED | X86_MAP_32BIT_BIT,
		 fd, off);
	EXPECT_EQ(high, p);
	munmap(high, len);
	close(fd);
}

/*
 * Bit 0x40 with MAP_SHARED_VALIDATE: on x86-64 it is MAP_32BIT, a known
 * flag, and the mapping lands below 2 GiB; on every other architecture
 * the kernel's MAP_32BIT is 0 and the bit unknown: EOPNOTSUPP. With
 * MAP_SHARED and MAP_PRIVATE there it is ignored: the device is mapped.
 */
TEST_F(device, flags_32bit_bit_validated_on_x86_only)
{
	size_t len = 4 * page_bytes();
	off_t off = region(_metadata, 9);
	uint64_t seed = pattern_seed(__func__);
	char *p;
	int fd = self->fd;

	ASSERT_EQ(0, device_write_pattern(fd, len, off, seed));
	p = mmap(NULL, len, PROT_READ, MAP_SHARED_VALIDATE | X86_MAP_32BIT_BIT,
		 fd, off);
#ifdef __x86_64__
	TH_LOG("x86-64: bit 0x40 is MAP_32BIT, known to MAP_SHARED_VALIDATE");
	ASSERT_NE(MAP_FAILED, p) {
		TH_LOG("MAP_SHARED_VALIDATE | MAP_32BIT: %s", strerror(errno));
	}
	EXPECT_GE(2UL << 30, (unsigned long)p + len);
	EXPECT_EQ(-1, pattern_mismatch(p, len, seed));
	munmap(p, len);
#else
	static const int kinds[] = { MAP_SHARED, MAP_PRIVATE };
	size_t i;

	TH_LOG("not x86-64: the kernel's MAP_32BIT is 0, bit 0x40 is unknown");
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EOPNOTSUPP, errno);
	if (p != MAP_FAILED)
		munmap(p, len);
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		p = map_dev(_metadata, fd, len, PROT_READ,
			    kinds[i] | X86_MAP_32BIT_BIT, off);
		EXPECT_EQ(-1, pattern_mismatch(p, len, seed));
		munmap(p, len);
	}
#endif
}

/* Side by side: an anonymous private stack-like mapping works. */
TEST_F(device, flags_growsdown_anonymous_works)
{
	size_t len = 4 * page_bytes();
	char vmflags[VMFLAGS_LEN];
	void *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	get_vmflags(_metadata, p, vmflags);
	EXPECT_TRUE(vmflags_has(vmflags, "gd")) {
		TH_LOG("VmFlags:%s", vmflags);
	}
	munmap(p, len);
}

TEST_F(device, flags_shared_validate_unknown_eopnotsupp)
{
	size_t len = 4 * page_bytes();
	off_t off = region(_metadata, 11);
	uint64_t seed = pattern_seed(__func__);
	char *p;
	int fd = self->fd;

	errno = 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED_VALIDATE | MAP_UNKNOWN_FLAG, fd, off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* Known to the kernel, but not supported by the device (no DAX). */
	errno = 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED_VALIDATE | MAP_SYNC, fd, off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EOPNOTSUPP, errno);

	/* Plain MAP_SHARED silently ignores the unknown flag. */
	p = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_UNKNOWN_FLAG, off);
	munmap(p, len);

	/* Without unknown flags MAP_SHARED_VALIDATE is MAP_SHARED. */
	p = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE,
		    MAP_SHARED_VALIDATE, off);
	pattern_fill(p, len, seed);
	EXPECT_EQ(-1, device_pattern_mismatch(fd, len, off, seed));
	munmap(p, len);
	close(fd);
}

/*
 * Flags the device refuses, shared and private alike: MAP_GROWSDOWN (a
 * stack that grows over the device) and MAP_HUGETLB (hugetlbfs pages,
 * which the device is not).
 */
FIXTURE(refused) {
	int fd;
};

FIXTURE_VARIANT(refused) {
	int flags;
	bool pmd_len;	/* map one PMD, else 4 pages */
};

FIXTURE_VARIANT_ADD(refused, growsdown_shared) {
	.flags = MAP_SHARED | MAP_GROWSDOWN,
};

FIXTURE_VARIANT_ADD(refused, growsdown_private) {
	.flags = MAP_PRIVATE | MAP_GROWSDOWN,
};

FIXTURE_VARIANT_ADD(refused, hugetlb_shared) {
	.flags = MAP_SHARED | MAP_HUGETLB,
	.pmd_len = true,
};

FIXTURE_VARIANT_ADD(refused, hugetlb_private) {
	.flags = MAP_PRIVATE | MAP_HUGETLB,
	.pmd_len = true,
};

DEVICE_FIXTURE_SETUP(refused)

TEST_F(refused, flags_device_einval)
{
	size_t len = variant->pmd_len ? pmd_bytes() : 4 * page_bytes();
	off_t off = region(_metadata, 0);
	void *p;

	errno = 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, variant->flags, self->fd,
		 off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	close(self->fd);
}

/*
 * Seed 001's four kinds side by side: anonymous shared / private and
 * device shared / private, each written by a fork child.
 */
TEST_F(device, flags_anonymous_and_device_shared_vs_private)
{
	size_t len = 4 * page_bytes();
	off_t off = region(_metadata, 12);
	uint64_t seed = pattern_seed(__func__);
	uint64_t seed_child = splitmix64(seed), seed_priv = splitmix64(seed_child);
	char *anon_s, *anon_p, *anon_s2, *dev_s, *dev_p;
	int fd = self->fd;

	EXPECT_EQ(MAP_ANONYMOUS, MAP_ANON);
	anon_s = mmap(NULL, len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon_s);
	anon_s2 = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon_s2);
	anon_p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANON, -1, 0);
	ASSERT_NE(MAP_FAILED, anon_p);
	dev_s = fill_and_map(_metadata, fd, len, off, seed,
			     PROT_READ | PROT_WRITE, MAP_SHARED);
	dev_p = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE, off);

	/* Anonymous: zero-filled; the device: its content. */
	EXPECT_EQ(-1, bytes_mismatch(anon_s, len, 0));
	EXPECT_EQ(-1, bytes_mismatch(anon_p, len, 0));
	EXPECT_EQ(-1, pattern_mismatch(dev_s, len, seed));
	EXPECT_EQ(-1, pattern_mismatch(dev_p, len, seed));

	ASSERT_EQ(0, child_fills(anon_s, len, seed_child));
	ASSERT_EQ(0, child_fills(anon_p, len, seed_priv));
	ASSERT_EQ(0, child_fills(dev_s, len, seed_child));
	ASSERT_EQ(0, child_fills(dev_p, len, seed_priv));

	/* Shared: the child's writes are here; private: they are not. */
	EXPECT_EQ(-1, pattern_mismatch(anon_s, len, seed_child));
	EXPECT_EQ(-1, pattern_mismatch(dev_s, len, seed_child));
	EXPECT_EQ(-1, bytes_mismatch(anon_p, len, 0));
	/*
	 * dev_p's pages were never copied here: it still maps the device,
	 * which shows the shared child write, not the private one.
	 */
	EXPECT_EQ(-1, pattern_mismatch(dev_p, len, seed_child));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, len, off, seed_child));

	/* Each anonymous shared mmap() is a mapping of its own. */
	EXPECT_EQ(-1, bytes_mismatch(anon_s2, len, 0));

	munmap(anon_s, len);
	munmap(anon_s2, len);
	munmap(anon_p, len);
	munmap(dev_s, len);
	munmap(dev_p, len);
	close(fd);
}

TEST_F(device, flags_anonymous_ignores_fd)
{
	size_t len = 4 * page_bytes();
	off_t off = region(_metadata, 13);
	uint64_t seed = pattern_seed(__func__);
	struct maps_entry e;
	char *p;
	int fd = self->fd;

	ASSERT_EQ(0, device_write_pattern(fd, len, off, seed));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, fd, off);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, bytes_mismatch(p, len, 0));
	ASSERT_EQ(0, maps_find(0, (unsigned long)p, &e));
	EXPECT_STRNE(MMAPDEMO_DEVICE_PATH, e.path);
	memset(p, 0xee, len);
	EXPECT_EQ(-1, device_pattern_mismatch(fd, len, off, seed));
	munmap(p, len);
	close(fd);
}

TEST_HARNESS_MAIN
