// SPDX-License-Identifier: GPL-2.0
/*
 * MAP_SHARED device mappings (seed 001: "changes to a shared mapping are
 * visible to all processes sharing it and are carried to the underlying
 * file"; seed 004: "other processes see the change"):
 * a write through one mapping is seen through a second mapping, by another
 * process that opens and maps the device itself, and by read(); a write()
 * is seen through the mappings.
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
#include "child.h"
#include "fixture.h"

#define NR_PAGES	4

/* Region @k of the device: 4 * NR_PAGES pages each. */
static off_t region(struct __test_metadata *_metadata, int k)
{
	return test_region(_metadata, k, 4 * NR_PAGES * page_bytes());
}

static void *map_shared(struct __test_metadata *_metadata, int fd,
			size_t len, off_t off)
{
	return map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       off);
}

/*
 * A @len byte buffer, with the file position of @fd at @off: read() and
 * write() are tested through the position, not pread()/pwrite().
 */
static unsigned char *buf_at(struct __test_metadata *_metadata, int fd,
			     off_t off, size_t len)
{
	unsigned char *buf = malloc(len);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(off, lseek(fd, off, SEEK_SET));
	return buf;
}

/* read() of @len bytes at @off: pattern_mismatch() of them with @seed. */
static long read_mismatch(struct __test_metadata *_metadata, int fd,
			  off_t off, size_t len, uint64_t seed)
{
	unsigned char *buf = buf_at(_metadata, fd, off, len);
	long mismatch;

	ASSERT_EQ((ssize_t)len, read(fd, buf, len));
	mismatch = pattern_mismatch(buf, len, seed);
	free(buf);
	return mismatch;
}

/* write() of pattern @seed, @len bytes at @off. */
static void write_pattern(struct __test_metadata *_metadata, int fd,
			  off_t off, size_t len, uint64_t seed)
{
	unsigned char *buf = buf_at(_metadata, fd, off, len);

	pattern_fill(buf, len, seed);
	ASSERT_EQ((ssize_t)len, write(fd, buf, len));
	free(buf);
}

DEVICE_FIXTURE(device)

TEST_F(device, shared_write_seen_by_second_mapping)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 0);
	uint64_t seed = pattern_seed(__func__);
	int fd1, fd2;
	char *a, *b;

	fd1 = open_dev(_metadata, O_RDWR);
	fd2 = open_dev(_metadata, O_RDWR);
	a = map_shared(_metadata, fd1, len, off);
	b = map_shared(_metadata, fd2, len, off);
	ASSERT_NE(a, b);
	touch_read(b, len);

	pattern_fill(a, len, seed);
	EXPECT_EQ(-1, pattern_mismatch(b, len, seed));

	/* And back: b → a, with a different pattern. */
	pattern_fill(b, len, splitmix64(seed));
	EXPECT_EQ(-1, pattern_mismatch(a, len, splitmix64(seed)));

	munmap(a, len);
	munmap(b, len);
	close(fd1);
	close(fd2);
}

/*
 * The other process is a fresh program (exec_probe) that opens and maps the
 * device itself: nothing is inherited from this process.
 */
TEST_F(device, shared_write_seen_by_other_process)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 1);
	uint64_t seed = pattern_seed(__func__);
	char offs[32], lens[32], seeds[32], out[512];
	char *argv[] = { "exec_probe", "check", offs, lens, seeds, NULL };
	char *p;
	int fd = self->fd;

	p = map_shared(_metadata, fd, len, off);
	pattern_fill(p, len, seed);

	snprintf(offs, sizeof(offs), "%lld", (long long)off);
	snprintf(lens, sizeof(lens), "%zu", len);

	/* This process wrote: the other one sees it. */
	snprintf(seeds, sizeof(seeds), "%llu", (unsigned long long)seed);
	ASSERT_EQ(0, run_helper(argv, out, sizeof(out), HELPER_TIMEOUT_S)) {
		TH_LOG("exec_probe check: %s", out);
	}
	EXPECT_EQ(-1, output_value(out, "pattern_mismatch", -2)) {
		TH_LOG("exec_probe check: %s", out);
	}

	/* The helper's check can fail: a different pattern mismatches. */
	snprintf(seeds, sizeof(seeds), "%llu", (unsigned long long)(seed ^ 1));
	ASSERT_EQ(0, run_helper(argv, out, sizeof(out), HELPER_TIMEOUT_S));
	EXPECT_LE(0, output_value(out, "pattern_mismatch", -2)) {
		TH_LOG("exec_probe check of a wrong pattern: %s", out);
	}

	/* The other process writes: this one sees it (mapping kept). */
	argv[1] = "fill";
	snprintf(seeds, sizeof(seeds), "%llu",
		 (unsigned long long)splitmix64(seed));
	ASSERT_EQ(0, run_helper(argv, out, sizeof(out), HELPER_TIMEOUT_S)) {
		TH_LOG("exec_probe fill: %s", out);
	}
	ASSERT_EQ(1, output_value(out, "filled", 0));
	EXPECT_EQ(-1, pattern_mismatch(p, len, splitmix64(seed)));

	munmap(p, len);
	close(fd);
}

TEST_F(device, shared_write_seen_by_read)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 2);
	uint64_t seed = pattern_seed(__func__);
	char *p;
	int fd = self->fd;

	p = map_shared(_metadata, fd, len, off);
	pattern_fill(p, len, seed);
	EXPECT_EQ(-1, read_mismatch(_metadata, fd, off, len, seed));

	/* A second write to the same, already mapped pages shows too. */
	pattern_fill(p, len, splitmix64(seed));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, len, off, splitmix64(seed)));

	munmap(p, len);
	close(fd);
}

TEST_F(device, shared_write_syscall_seen_by_mappings)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 3);
	uint64_t seed = pattern_seed(__func__);
	char *a, *b;
	int fd = self->fd;

	a = map_shared(_metadata, fd, len, off);
	b = map_shared(_metadata, fd, len, off);
	/* a has PTEs already, b is faulted in only after the write. */
	touch_read(a, len);

	write_pattern(_metadata, fd, off, len, seed);

	EXPECT_EQ(-1, pattern_mismatch(a, len, seed));
	EXPECT_EQ(-1, pattern_mismatch(b, len, seed));

	munmap(a, len);
	munmap(b, len);
	close(fd);
}

TEST_HARNESS_MAIN
