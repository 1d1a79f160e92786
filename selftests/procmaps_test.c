// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/PID/maps and device mappings (seed 001: "the Linux-specific
 * /proc/PID/maps file shows everything about a process's mappings"): the
 * line of a device mapping names the device node, its inode and the
 * filesystem it lives on, the offset the mapping starts at (in hex) and 's'
 * for MAP_SHARED, 'p' for MAP_PRIVATE.
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
#include "fixture.h"

#define NR_PAGES	4

static off_t region(struct __test_metadata *_metadata, int k)
{
	return test_region(_metadata, k, 4 * NR_PAGES * page_bytes());
}

/* Find the maps line of [p, p + len) and check that it covers exactly it. */
static void find_line(struct __test_metadata *_metadata, void *p, size_t len,
		      struct maps_entry *e)
{
	ASSERT_EQ(0, maps_find(0, (unsigned long)p, e)) {
		TH_LOG("no /proc/self/maps line starts at %p", p);
	}
	ASSERT_EQ((unsigned long)p + len, e->end);
}

DEVICE_FIXTURE(device)

TEST_F(device, procmaps_lists_device_path)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 0);
	struct maps_entry e;
	struct stat st;
	void *p;
	int fd = self->fd;

	ASSERT_EQ(0, stat(MMAPDEMO_DEVICE_PATH, &st));
	p = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		    off);
	find_line(_metadata, p, len, &e);
	EXPECT_STREQ(MMAPDEMO_DEVICE_PATH, e.path);
	/* dev and inode are those of the device node that was opened. */
	EXPECT_EQ((unsigned long)st.st_ino, e.inode);
	EXPECT_EQ(major(st.st_dev), e.dev_major);
	EXPECT_EQ(minor(st.st_dev), e.dev_minor);

	/* Closing the fd does not change what the mapping refers to. */
	close(fd);
	find_line(_metadata, p, len, &e);
	EXPECT_STREQ(MMAPDEMO_DEVICE_PATH, e.path);
	munmap(p, len);
}

TEST_F(device, procmaps_shows_offset)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off_s = region(_metadata, 1) + 5 * page_bytes();
	off_t off_p = region(_metadata, 2) + 3 * page_bytes();
	/* Past the end of the device: mmap() allows it (access would not). */
	off_t off_far = (off_t)(4 * device_size() + 7 * page_bytes());
	struct maps_entry e;
	void *s, *p, *far;
	int fd = self->fd;

	s = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		    off_s);
	p = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		    off_p);
	far = map_dev(_metadata, fd, len, PROT_READ, MAP_SHARED, off_far);

	find_line(_metadata, s, len, &e);
	EXPECT_EQ((unsigned long long)off_s, e.offset);
	find_line(_metadata, p, len, &e);
	EXPECT_EQ((unsigned long long)off_p, e.offset);
	find_line(_metadata, far, len, &e);
	EXPECT_EQ((unsigned long long)off_far, e.offset);

	/* Unmapping the first page moves the start and the offset along. */
	ASSERT_EQ(0, munmap(s, page_bytes()));
	find_line(_metadata, (char *)s + page_bytes(), len - page_bytes(), &e);
	EXPECT_EQ((unsigned long long)off_s + page_bytes(), e.offset);

	munmap((char *)s + page_bytes(), len - page_bytes());
	munmap(p, len);
	munmap(far, len);
	close(fd);
}

TEST_F(device, procmaps_shared_flag_s)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 3);
	struct maps_entry e;
	int fd = self->fd, rofd;
	void *rw, *ro;

	rofd = open_dev(_metadata, O_RDONLY);
	rw = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		     off);
	/*
	 * With a read-only fd the kernel drops VM_SHARED (the mapping can
	 * never write), but maps still says 's': it shows VM_MAYSHARE.
	 */
	ro = map_dev(_metadata, rofd, len, PROT_READ, MAP_SHARED, off);

	find_line(_metadata, rw, len, &e);
	EXPECT_STREQ("rw-s", e.perms);
	find_line(_metadata, ro, len, &e);
	EXPECT_STREQ("r--s", e.perms);

	munmap(rw, len);
	munmap(ro, len);
	close(fd);
	close(rofd);
}

TEST_F(device, procmaps_private_flag_p)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 3);
	struct maps_entry e;
	void *rw, *ro;
	int fd = self->fd;

	rw = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		     off);
	ro = map_dev(_metadata, fd, len, PROT_READ, MAP_PRIVATE, off);
	/* Private copies of some pages do not make the mapping anonymous. */
	memset(rw, 0x5a, page_bytes());

	find_line(_metadata, rw, len, &e);
	EXPECT_STREQ("rw-p", e.perms);
	EXPECT_STREQ(MMAPDEMO_DEVICE_PATH, e.path);
	EXPECT_EQ((unsigned long long)off, e.offset);
	find_line(_metadata, ro, len, &e);
	EXPECT_STREQ("r--p", e.perms);
	EXPECT_STREQ(MMAPDEMO_DEVICE_PATH, e.path);

	munmap(rw, len);
	munmap(ro, len);
	close(fd);
}

TEST_HARNESS_MAIN
