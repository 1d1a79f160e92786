// SPDX-License-Identifier: GPL-2.0
/*
 * prot and device mappings (seed 003: "prot describes the desired memory
 * protection and must not conflict with the open mode of the file";
 * PROT_NONE: "pages may not be accessed"; "SIGSEGV: writing to a read-only
 * area"; seed 002: PROT_EXEC, JIT; seed 004: PROT_NONE for guard pages):
 * - O_RDONLY fd: PROT_WRITE with MAP_SHARED → EACCES, with MAP_PRIVATE
 *   allowed (the writes are private); mprotect(PROT_WRITE) on a shared
 *   mapping of it → EACCES;
 * - PROT_NONE access and a write to a PROT_READ mapping → SIGSEGV
 *   (SEGV_ACCERR: the page is mapped, the access is not allowed);
 * - PROT_EXEC: machine code written into the device (x86-64 or arm64)
 *   runs from a PROT_READ|PROT_EXEC mapping of a device node on an exec
 *   mount; on a noexec mount mmap(PROT_EXEC) → EPERM. Rewritten through a
 *   second, writable mapping, the new code runs. x86-64 keeps instruction
 *   fetch coherent with stores; arm64 does not: after storing code through
 *   one mapping it must clean the data cache and invalidate the
 *   instruction cache for the alias that runs it (__builtin___clear_cache();
 *   the kernel does it for the first executable mapping of a page,
 *   __sync_icache_dcache()). Other architectures skip with that reason.
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
#include "device.h"
#include "pattern.h"
#include "access.h"
#include "mounts.h"
#include "fixture.h"

#define NR_PAGES	4

static off_t region(struct __test_metadata *_metadata, int k)
{
	return test_region(_metadata, k, 4 * NR_PAGES * page_bytes());
}

DEVICE_FIXTURE(device)

TEST_F(device, prot_rdonly_fd_shared_write_eacces)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 0);
	void *p;
	int fd;

	fd = open_dev(_metadata, O_RDONLY);
	errno = 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	errno = 0;
	p = mmap(NULL, len, PROT_WRITE, MAP_SHARED, fd, off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	/* Control: reading is what the fd allows. */
	p = map_dev(_metadata, fd, len, PROT_READ, MAP_SHARED, off);
	munmap(p, len);
	close(fd);
}

TEST_F(device, prot_rdonly_fd_private_write_allowed)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 1);
	uint64_t seed = pattern_seed(__func__), mine = splitmix64(seed);
	int fd, rwfd;
	char *p;

	rwfd = open_dev(_metadata, O_RDWR);
	ASSERT_EQ(0, device_write_pattern(rwfd, len, off, seed));
	fd = open_dev(_metadata, O_RDONLY);
	p = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		    off);
	EXPECT_EQ(-1, pattern_mismatch(p, len, seed));
	pattern_fill(p, len, mine);
	EXPECT_EQ(-1, pattern_mismatch(p, len, mine));
	/* The device never sees a write through a read-only fd. */
	EXPECT_EQ(-1, device_pattern_mismatch(rwfd, len, off, seed));
	munmap(p, len);
	close(fd);
	close(rwfd);
}

TEST_F(device, prot_mprotect_write_on_rdonly_shared_eacces)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 2);
	int fd, rwfd;
	char *p, *q;

	fd = open_dev(_metadata, O_RDONLY);
	p = map_dev(_metadata, fd, len, PROT_READ, MAP_SHARED, off);
	errno = 0;
	EXPECT_EQ(-1, mprotect(p, len, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	/* Private mapping of the same fd: upgrading to write is fine. */
	q = map_dev(_metadata, fd, len, PROT_READ, MAP_PRIVATE, off);
	EXPECT_EQ(0, mprotect(q, len, PROT_READ | PROT_WRITE));
	munmap(q, len);
	/* Shared mapping of a read-write fd: fine as well. */
	rwfd = open_dev(_metadata, O_RDWR);
	q = map_dev(_metadata, rwfd, len, PROT_READ, MAP_SHARED, off);
	EXPECT_EQ(0, mprotect(q, len, PROT_READ | PROT_WRITE));
	munmap(q, len);
	munmap(p, len);
	close(fd);
	close(rwfd);
}

/* The same claims for a shared and a private mapping of the device. */
FIXTURE(mapping) {
	int fd;
};

FIXTURE_VARIANT(mapping) {
	int type;	/* MAP_SHARED or MAP_PRIVATE */
};

FIXTURE_VARIANT_ADD(mapping, shared) {
	.type = MAP_SHARED,
};

FIXTURE_VARIANT_ADD(mapping, private) {
	.type = MAP_PRIVATE,
};

DEVICE_FIXTURE_SETUP(mapping)

/*
 * A write or read of @addr in a child that must die of SIGSEGV with
 * SEGV_ACCERR at @addr: the page is mapped, only the protection refuses.
 */
static void expect_accerr(struct __test_metadata *_metadata, char *addr,
			  enum access_kind kind)
{
	struct access_result r;

	ASSERT_EQ(0, probe_access(addr, kind, &r));
	EXPECT_EQ(SIGSEGV, r.termsig);
	EXPECT_EQ(SIGSEGV, r.fault_signo);
	EXPECT_EQ(SEGV_ACCERR, r.fault_code);
	EXPECT_EQ((unsigned long)addr, r.fault_addr);
}

TEST_F(mapping, prot_none_access_segv)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 3);
	uint64_t seed = pattern_seed(__func__);
	int fd = self->fd;
	char *p;

	p = fill_and_map(_metadata, fd, len, off, seed, PROT_NONE,
			 variant->type);
	expect_accerr(_metadata, p + 1, ACCESS_READ);
	expect_accerr(_metadata, p + len - 1, ACCESS_WRITE);
	EXPECT_EQ(-1, device_pattern_mismatch(fd, len, off, seed));

	/* The same pages become readable with mprotect(): the device. */
	ASSERT_EQ(0, mprotect(p, len, PROT_READ));
	EXPECT_EQ(-1, pattern_mismatch(p, len, seed));
	munmap(p, len);
	close(fd);
}

TEST_F(mapping, prot_read_mapping_write_segv)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 4);
	uint64_t seed = pattern_seed(__func__);
	struct access_result r;
	int fd = self->fd;
	char *p;

	p = fill_and_map(_metadata, fd, len, off, seed, PROT_READ,
			 variant->type);
	/* Mapped and readable first, so the write is the only problem. */
	EXPECT_EQ(-1, pattern_mismatch(p, len, seed));

	expect_accerr(_metadata, p + page_bytes() + 7, ACCESS_WRITE);
	/* Control: reading the same byte in a child is fine. */
	ASSERT_EQ(0, probe_access(p + page_bytes() + 7, ACCESS_READ, &r));
	EXPECT_EQ(0, r.termsig);
	EXPECT_EQ(0, r.exit_code);

	EXPECT_EQ(-1, pattern_mismatch(p, len, seed));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, len, off, seed));
	munmap(p, len);
	close(fd);
}

#if defined(__x86_64__)
#define CODE_LEN	6
/* mov eax, imm32; ret */
static void put_code(unsigned char code[CODE_LEN], uint32_t value)
{
	code[0] = 0xb8;
	memcpy(&code[1], &value, 4);
	code[5] = 0xc3;
}
#elif defined(__aarch64__)
#define CODE_LEN	12
/* movz w0, #lo16; movk w0, #hi16, lsl #16; ret (little-endian words) */
static void put_code(unsigned char code[CODE_LEN], uint32_t value)
{
	uint32_t insn[3] = {
		htole32(0x52800000 | (value & 0xffff) << 5),
		htole32(0x72a00000 | (value >> 16) << 5),
		htole32(0xd65f03c0),
	};

	memcpy(code, insn, sizeof(insn));
}
#endif

#ifdef CODE_LEN
/*
 * Code stored through another mapping than the one that runs it: arm64
 * needs the data cache cleaned and the instruction cache invalidated for
 * the running alias; x86-64 needs nothing (a no-op there).
 */
static void code_written(char *x, size_t len)
{
	__builtin___clear_cache(x, x + len);
}
#endif

TEST_F(device, prot_exec_runs_code_from_device)
{
#ifdef CODE_LEN
	struct exec_mounts m;
	size_t len = page_bytes();
	off_t off = region(_metadata, 5);
	uint32_t value = (uint32_t)pattern_seed(__func__);
	unsigned char code[CODE_LEN];
	struct access_result r;
	int devfd, fd, ret;
	char *x, *rw, *noexec;

	setup_exec_mounts(_metadata, &m);
	devfd = open_dev(_metadata, O_RDWR);
	/* The code goes in with write() through /dev/mmapdemo... */
	put_code(code, value);
	ASSERT_EQ(0, pwrite_all(devfd, code, sizeof(code), off));

	/* ...and runs from a mapping of the node on the exec mount. */
	fd = open(m.exec_node, O_RDONLY);
	ASSERT_LE(0, fd);
	x = map_dev(_metadata, fd, len, PROT_READ | PROT_EXEC, MAP_SHARED,
		    off);
	ret = ((int (*)(void))x)();
	EXPECT_EQ((int)value, ret);

	/* Rewritten through a shared writable mapping: runs the new code. */
	rw = map_dev(_metadata, devfd, len, PROT_READ | PROT_WRITE,
		     MAP_SHARED, off);
	put_code(code, ~value);
	memcpy(rw, code, sizeof(code));
	code_written(x, sizeof(code));
	ret = ((int (*)(void))x)();
	EXPECT_EQ((int)~value, ret);

	/* Same pages from the noexec node (readable, not executable). */
	close(fd);
	fd = open(m.noexec_node, O_RDONLY);
	ASSERT_LE(0, fd);
	noexec = map_dev(_metadata, fd, len, PROT_READ, MAP_SHARED, off);
	EXPECT_EQ(0, memcmp(noexec, code, sizeof(code)));

	/* Control: without PROT_EXEC the same code faults. */
	munmap(x, len);
	x = map_dev(_metadata, devfd, len, PROT_READ, MAP_SHARED, off);
	ASSERT_EQ(0, probe_access(x, ACCESS_EXEC, &r));
	EXPECT_EQ(SIGSEGV, r.termsig);
	EXPECT_EQ(SEGV_ACCERR, r.fault_code);
	EXPECT_EQ((unsigned long)x, r.fault_addr);

	munmap(x, len);
	munmap(rw, len);
	munmap(noexec, len);
	close(fd);
	close(devfd);
	exec_mounts_cleanup(&m);
#else
	SKIP(return, "the test has machine code for x86-64 and arm64 only");
#endif
}

TEST_F(device, prot_exec_noexec_mount_eperm)
{
	struct exec_mounts m;
	size_t len = page_bytes();
	off_t off = region(_metadata, 6);
	int fd;
	void *p;

	setup_exec_mounts(_metadata, &m);
	fd = open(m.noexec_node, O_RDWR);
	ASSERT_LE(0, fd);
	errno = 0;
	p = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_SHARED, fd, off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	p = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EPERM, errno);

	/* Without exec it maps; adding exec later is refused too. */
	p = map_dev(_metadata, fd, len, PROT_READ, MAP_SHARED, off);
	errno = 0;
	EXPECT_EQ(-1, mprotect(p, len, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	munmap(p, len);
	close(fd);

	/* Control: the same call on the exec mount's node succeeds. */
	fd = open(m.exec_node, O_RDWR);
	ASSERT_LE(0, fd);
	p = map_dev(_metadata, fd, len, PROT_READ | PROT_EXEC, MAP_SHARED,
		    off);
	munmap(p, len);
	close(fd);
	exec_mounts_cleanup(&m);
}

TEST_HARNESS_MAIN
