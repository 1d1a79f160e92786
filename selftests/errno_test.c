// SPDX-License-Identifier: GPL-2.0
/*
 * mmap() errors on a device mapping: every errno in seed 003's list that a
 * device mapping can produce.
 *
 * EBADF	a closed fd; -1 without MAP_ANONYMOUS.
 * EACCES	an O_WRONLY fd (mmap always needs read access).
 * EINVAL	neither MAP_SHARED nor MAP_PRIVATE; unaligned addr with
 *		MAP_FIXED; unaligned offset; length 0.
 * ENODEV	an fd whose file has no mmap (a pipe).
 * ENOMEM	RLIMIT_AS too small; a length larger than the address space.
 * EAGAIN	MAP_LOCKED beyond RLIMIT_MEMLOCK without CAP_IPC_LOCK.
 * EPERM	PROT_EXEC from a node on a noexec mount.
 * EOVERFLOW	(not in seed 003, but the kernel's answer for an offset that
 *		overflows) offset -1 page: file_mmap_ok() allows a char
 *		device offsets up to ULONG_MAX - len, so the largest page
 *		offset for a one-page mapping is -2 pages (which maps; access
 *		is past the device end: SIGBUS), and -1 page fails with
 *		EOVERFLOW (-4096 and -8192 with 4 KiB pages).
 *
 * Not testable with a device mapping:
 * ENFILE	mmap() of a device opens no file: the only struct file it
 *		allocates is for MAP_SHARED|MAP_ANONYMOUS (shmem), so the
 *		system-wide file limit cannot fail a device mapping.
 * ETXTBSY	was for MAP_DENYWRITE on a file open for writing; the kernel
 *		ignores MAP_DENYWRITE since 5.15, and the remaining ETXTBSY
 *		(PROT_WRITE|MAP_SHARED of an active swap file) needs a
 *		regular file used for swap, not a device node.
 * SIGSEGV/SIGBUS of the same list are signals, not errnos: prot_test and
 *		args_test (SIGSEGV), and the EOVERFLOW test here (SIGBUS).
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
#include "procfs.h"
#include "access.h"
#include "child.h"
#include "mounts.h"
#include "fixture.h"

#define NR_PAGES	4

static off_t region(struct __test_metadata *_metadata, int k)
{
	return test_region(_metadata, k, 4 * NR_PAGES * page_bytes());
}

/*
 * The raw system call, so that the kernel sees exactly these arguments
 * (the glibc wrapper checks some itself): the result or -errno.
 */
static long sys_mmap(void *addr, size_t len, int prot, int flags, int fd,
		     unsigned long off)
{
	long ret = syscall(SYS_mmap, addr, len, prot, flags, fd, off);

	return ret == -1 ? -errno : ret;
}

/* mmap() expected to fail with errno @err. */
#define EXPECT_MMAP_ERRNO(err, addr, len, prot, flags, fd, off)	     \
	do {								     \
		long __ret = sys_mmap(addr, len, prot, flags, fd, off);	     \
		EXPECT_EQ(-(long)(err), __ret) {			     \
			TH_LOG("mmap(%s, %s, %#x, %#x, %d, %#lx)",	     \
			       #addr, #len, (int)(prot), (int)(flags),	     \
			       (int)(fd), (unsigned long)(off));	     \
		}							     \
		if (__ret > 0)						     \
			munmap((void *)__ret, len);			     \
	} while (0)

DEVICE_FIXTURE(device)

TEST_F(device, errno_ebadf_closed_fd)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 0);
	void *p;
	int fd = self->fd;

	/* Control: the fd works while open. */
	p = map_dev(_metadata, fd, len, PROT_READ, MAP_SHARED, off);
	munmap(p, len);
	ASSERT_EQ(0, close(fd));
	EXPECT_MMAP_ERRNO(EBADF, NULL, len, PROT_READ, MAP_SHARED, fd, off);
	EXPECT_MMAP_ERRNO(EBADF, NULL, len, PROT_READ, MAP_PRIVATE, fd, off);
}

TEST_F(device, errno_ebadf_minus_one_without_anonymous)
{
	size_t len = NR_PAGES * page_bytes();

	EXPECT_MMAP_ERRNO(EBADF, NULL, len, PROT_READ, MAP_SHARED, -1, 0);
	EXPECT_MMAP_ERRNO(EBADF, NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE, -1, 0);
}

TEST_F(device, errno_eacces_wronly_fd)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 1);
	int fd;

	fd = open_dev(_metadata, O_WRONLY);
	EXPECT_MMAP_ERRNO(EACCES, NULL, len, PROT_READ | PROT_WRITE,
			  MAP_SHARED, fd, off);
	/* Even write-only access to the pages needs a readable fd. */
	EXPECT_MMAP_ERRNO(EACCES, NULL, len, PROT_WRITE, MAP_SHARED, fd, off);
	EXPECT_MMAP_ERRNO(EACCES, NULL, len, PROT_READ, MAP_PRIVATE, fd, off);
	close(fd);
}

TEST_F(device, errno_einval_bad_flags)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 2);
	int fd = self->fd;

	/* Neither MAP_SHARED nor MAP_PRIVATE. */
	EXPECT_MMAP_ERRNO(EINVAL, NULL, len, PROT_READ, 0, fd, off);
	EXPECT_MMAP_ERRNO(EINVAL, NULL, len, PROT_READ, MAP_POPULATE, fd, off);
	/* A mapping type that does not exist (0x04 of MAP_TYPE). */
	EXPECT_MMAP_ERRNO(EINVAL, NULL, len, PROT_READ, 0x04, fd, off);
	close(fd);
}

TEST_F(device, errno_einval_unaligned_fixed_addr)
{
	size_t pg = page_bytes(), len = NR_PAGES * pg;
	off_t off = region(_metadata, 3);
	char *p;
	int fd = self->fd;

	p = map_dev(_metadata, fd, len, PROT_READ, MAP_SHARED, off);
	EXPECT_MMAP_ERRNO(EINVAL, p + 1, len, PROT_READ,
			  MAP_SHARED | MAP_FIXED, fd, off);
	EXPECT_MMAP_ERRNO(EINVAL, p + pg / 2, len, PROT_READ,
			  MAP_PRIVATE | MAP_FIXED, fd, off);
	/* Control: the aligned address works (and replaces p). */
	EXPECT_EQ((long)p, sys_mmap(p, len, PROT_READ,
				    MAP_SHARED | MAP_FIXED, fd, off));
	munmap(p, len);
	close(fd);
}

TEST_F(device, errno_einval_unaligned_offset_or_zero_length)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 4);
	int fd = self->fd;

	EXPECT_MMAP_ERRNO(EINVAL, NULL, len, PROT_READ, MAP_SHARED, fd,
			  off + 1);
	EXPECT_MMAP_ERRNO(EINVAL, NULL, len, PROT_READ, MAP_PRIVATE, fd,
			  off + page_bytes() / 2);
	EXPECT_MMAP_ERRNO(EINVAL, NULL, 0, PROT_READ, MAP_SHARED, fd, off);
	close(fd);
}

TEST_F(device, errno_enodev_pipe)
{
	size_t len = NR_PAGES * page_bytes();
	int pipefd[2];

	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_MMAP_ERRNO(ENODEV, NULL, len, PROT_READ, MAP_SHARED,
			  pipefd[0], 0);
	EXPECT_MMAP_ERRNO(ENODEV, NULL, len, PROT_READ, MAP_PRIVATE,
			  pipefd[0], 0);
	close(pipefd[0]);
	close(pipefd[1]);
}

/*
 * In a child, because an address space limit is for the whole process:
 * RLIMIT_AS just above what is mapped now leaves no room for 16 MiB.
 */
TEST_F(device, errno_enomem_rlimit_as)
{
	size_t small = NR_PAGES * page_bytes(), big = 16 * MIB;
	off_t off = region(_metadata, 5);
	pid_t pid;
	int fd = self->fd;

	ASSERT_LE(big, device_size());
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long vm_kb = status_kb("VmSize");
		struct rlimit rl;
		void *p;

		if (vm_kb <= 0)
			_exit(10);
		rl.rlim_cur = rl.rlim_max = vm_kb * KIB + MIB;
		if (setrlimit(RLIMIT_AS, &rl))
			_exit(11);
		/* Control: a small mapping still fits. */
		p = mmap(NULL, small, PROT_READ, MAP_SHARED, fd, off);
		if (p == MAP_FAILED)
			_exit(12);
		p = mmap(NULL, big, PROT_READ, MAP_SHARED, fd, off);
		if (p != MAP_FAILED)
			_exit(13);
		_exit(errno == ENOMEM ? 0 : 14);
	}
	/* 10, 11: setup; 12: small mapping failed; 13: big one worked. */
	EXPECT_EQ(0, wait_exit_code(pid));
	close(fd);
}

TEST_F(device, errno_enomem_length_beyond_address_space)
{
	off_t off = region(_metadata, 6);
	int fd = self->fd;

	EXPECT_MMAP_ERRNO(ENOMEM, NULL, 1UL << 62, PROT_READ, MAP_SHARED, fd,
			  off);
	/* Rounding the length up to a page overflows: ENOMEM as well. */
	EXPECT_MMAP_ERRNO(ENOMEM, NULL, (size_t)-1, PROT_READ, MAP_SHARED, fd,
			  off);
	close(fd);
}

/*
 * The child opens the device as root, then drops to nobody (setresuid
 * clears its capabilities, CAP_IPC_LOCK included) under an RLIMIT_MEMLOCK
 * of 16 pages (64 KiB with 4 KiB pages): 4 pages fit, 1 MiB does not.
 */
TEST_F(device, errno_eagain_locked_beyond_memlock)
{
	size_t small = 4 * page_bytes(), big = MIB;
	rlim_t memlock = 16 * page_bytes();
	off_t off = region(_metadata, 7);
	int fd = self->fd;

	/* Exit codes: 10-12 setup, 20 + errno the mmap() failed. */
	EXPECT_EQ(20 + EAGAIN,
		  mmap_as_nobody(_metadata, memlock, big, PROT_READ,
				 MAP_SHARED | MAP_LOCKED, fd, off));
	/* Control: within the limit, or without MAP_LOCKED, it maps. */
	EXPECT_EQ(0, mmap_as_nobody(_metadata, memlock, small, PROT_READ,
				    MAP_SHARED | MAP_LOCKED, fd, off));
	EXPECT_EQ(0, mmap_as_nobody(_metadata, memlock, big, PROT_READ,
				    MAP_SHARED, fd, off));
	close(fd);
}

TEST_F(device, errno_eperm_exec_on_noexec_mount)
{
	size_t len = page_bytes();
	off_t off = region(_metadata, 8);
	struct exec_mounts m;
	long ret;
	int fd;

	setup_exec_mounts(_metadata, &m);
	fd = open(m.noexec_node, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_MMAP_ERRNO(EPERM, NULL, len, PROT_READ | PROT_EXEC, MAP_SHARED,
			  fd, off);
	EXPECT_MMAP_ERRNO(EPERM, NULL, len, PROT_EXEC, MAP_PRIVATE, fd, off);
	close(fd);
	/* Control: the node on the exec mount. */
	fd = open(m.exec_node, O_RDWR);
	ASSERT_LE(0, fd);
	ret = sys_mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_SHARED, fd, off);
	EXPECT_LT(0, ret);
	if (ret > 0)
		munmap((void *)ret, len);
	close(fd);
	exec_mounts_cleanup(&m);
}

TEST_F(device, errno_eoverflow_offset)
{
	size_t pg = page_bytes();
	struct access_result r;
	long ret;
	int fd = self->fd;

	EXPECT_MMAP_ERRNO(EOVERFLOW, NULL, pg, PROT_READ, MAP_SHARED, fd,
			  -pg);
	EXPECT_MMAP_ERRNO(EOVERFLOW, NULL, pg, PROT_READ, MAP_PRIVATE, fd,
			  -pg);
	EXPECT_MMAP_ERRNO(EOVERFLOW, NULL, 16 * pg, PROT_READ, MAP_SHARED, fd,
			  -(16 * pg));

	/* The largest offset for one page still maps... */
	ret = sys_mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, -(2 * pg));
	ASSERT_LT(0, ret) {
		TH_LOG("mmap at offset -%zu: %s", 2 * pg, strerror(-ret));
	}
	/* ...and, being far past the end of the device, gives SIGBUS. */
	ASSERT_EQ(0, probe_access((void *)ret, ACCESS_READ, &r));
	EXPECT_EQ(SIGBUS, r.termsig);
	EXPECT_EQ(SIGBUS, r.fault_signo);
	EXPECT_EQ((unsigned long)ret, r.fault_addr);
	munmap((void *)ret, pg);
	close(fd);
}

TEST_HARNESS_MAIN
