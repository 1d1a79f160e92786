// SPDX-License-Identifier: GPL-2.0
/*
 * mmap() arguments on a device mapping (seeds 001, 003, 004):
 * - "offset must be a multiple of the page size" → EINVAL otherwise;
 * - "length must be > 0" → EINVAL for 0;
 * - "length need not be a page multiple, the kernel creates the mapping in
 *   whole pages (rounds length up)": the tail of the last page is mapped
 *   (and is device memory), the page after it is not: SIGSEGV (SEGV_MAPERR,
 *   nothing is mapped there), not SIGBUS (that is for a mapped page the
 *   device cannot back, e.g. past its end);
 * - "a non-NULL addr is a hint; Linux places the mapping at a nearby page
 *   boundary": a free, unaligned hint is used rounded down to its page.
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
#include "procfs.h"
#include "access.h"
#include "fixture.h"

#define NR_PAGES	4

static off_t region(struct __test_metadata *_metadata, int k)
{
	return test_region(_metadata, k, 4 * NR_PAGES * page_bytes());
}

/*
 * An address range of @len bytes that was free a moment ago: reserve it
 * with an anonymous mapping and unmap it again. Nothing else maps memory
 * in between in these single-threaded tests.
 */
static char *free_range(struct __test_metadata *_metadata, size_t len)
{
	char *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, len));
	return p;
}

/*
 * Map @len bytes (at most 2 pages) of the device at @off, shared and
 * writable, at the start of 4 free pages: reserve them, unmap them, map
 * (rounded up) at the start, so that the pages after the mapping are free.
 */
static char *map_before_free_pages(struct __test_metadata *_metadata,
				   int fd, size_t len, off_t off)
{
	char *want = free_range(_metadata, 4 * page_bytes());
	char *p = mmap(want, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED_NOREPLACE, fd, off);

	ASSERT_EQ(want, p);
	return p;
}

DEVICE_FIXTURE(device)

TEST_F(device, args_unaligned_offset_einval)
{
	size_t pg = page_bytes(), len = NR_PAGES * pg;
	off_t base = region(_metadata, 0);
	off_t bad[] = { 1, 512, (off_t)pg / 2, (off_t)pg - 1, (off_t)pg + 1 };
	unsigned int i;
	void *p;
	int fd;

	fd = self->fd;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, base + bad[i]);
		EXPECT_EQ(MAP_FAILED, p) {
			TH_LOG("offset base + %lld was accepted",
			       (long long)bad[i]);
		}
		EXPECT_EQ(EINVAL, errno);
		errno = 0;
		p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, base + bad[i]);
		EXPECT_EQ(MAP_FAILED, p);
		EXPECT_EQ(EINVAL, errno);
	}
	/* The same call with an aligned offset works. */
	p = map_dev(_metadata, fd, len, PROT_READ, MAP_SHARED, base + pg);
	munmap(p, len);
	close(fd);
}

TEST_F(device, args_zero_length_einval)
{
	off_t off = region(_metadata, 1);
	void *p;
	int fd;

	fd = self->fd;
	errno = 0;
	p = mmap(NULL, 0, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	p = mmap(NULL, 0, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST_F(device, args_length_rounded_up_to_page)
{
	size_t pg = page_bytes(), len = pg + 100;
	off_t off = region(_metadata, 2);
	uint64_t seed = pattern_seed(__func__);
	struct maps_entry e;
	unsigned char c = 0;
	char *p;
	int fd;

	fd = self->fd;
	p = map_before_free_pages(_metadata, fd, len, off);

	/* The VMA is two whole pages. */
	ASSERT_EQ(0, maps_find(0, (unsigned long)p, &e));
	EXPECT_EQ((unsigned long)p + 2 * pg, e.end);

	/* The tail of the second page, past len, is device memory. */
	pattern_fill(p + len, 2 * pg - len, seed);
	EXPECT_EQ(-1, device_pattern_mismatch(fd, 2 * pg - len, off + len, seed));
	p[2 * pg - 1] = 0x7e;
	ASSERT_EQ(1, pread(fd, &c, 1, off + 2 * pg - 1));
	EXPECT_EQ(0x7e, c);

	munmap(p, 2 * pg);
	close(fd);
}

TEST_F(device, args_page_after_rounded_length_segv)
{
	size_t pg = page_bytes(), len = pg + 100;
	off_t off = region(_metadata, 3);
	struct access_result r;
	char *p;
	int fd;

	fd = self->fd;
	p = map_before_free_pages(_metadata, fd, len, off);
	ASSERT_TRUE(addr_mapped(p + 2 * pg - 1));
	ASSERT_FALSE(addr_mapped(p + 2 * pg));

	/* Control: the last byte of the rounded mapping is accessible. */
	ASSERT_EQ(0, probe_access(p + 2 * pg - 1, ACCESS_READ, &r));
	EXPECT_EQ(0, r.termsig);
	EXPECT_EQ(0, r.exit_code);

	ASSERT_EQ(0, probe_access(p + 2 * pg, ACCESS_READ, &r));
	EXPECT_EQ(SIGSEGV, r.termsig);
	EXPECT_EQ(SIGSEGV, r.fault_signo);
	EXPECT_EQ(SEGV_MAPERR, r.fault_code);
	EXPECT_EQ((unsigned long)(p + 2 * pg), r.fault_addr);

	ASSERT_EQ(0, probe_access(p + 2 * pg, ACCESS_WRITE, &r));
	EXPECT_EQ(SIGSEGV, r.termsig);
	EXPECT_EQ(SEGV_MAPERR, r.fault_code);

	munmap(p, 2 * pg);
	close(fd);
}

TEST_F(device, args_hint_rounded_down_to_page)
{
	size_t pg = page_bytes(), len = NR_PAGES * pg;
	off_t off = region(_metadata, 4);
	char *want, *p;
	int fd;

	fd = self->fd;
	/* A free range with room to spare around the hint. */
	want = free_range(_metadata, len + 4 * pg) + 2 * pg;
	p = mmap(want + 123, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 off);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(want, p);
	munmap(p, len);

	/* Without MAP_FIXED a used hint is no error: placed elsewhere. */
	p = map_dev(_metadata, fd, len, PROT_READ, MAP_SHARED, off);
	want = mmap(p, len, PROT_READ, MAP_SHARED, fd, off);
	ASSERT_NE(MAP_FAILED, want);
	EXPECT_NE(p, want);
	munmap(want, len);
	munmap(p, len);
	close(fd);
}

TEST_HARNESS_MAIN
