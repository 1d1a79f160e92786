// SPDX-License-Identifier: GPL-2.0
/*
 * fork() and device mappings (seed 001: "a child created by fork() inherits
 * copies of the parent's mappings, and the mapping type (MAP_PRIVATE or
 * MAP_SHARED) is inherited too"; shared mappings then share the pages,
 * private ones are copy-on-write): the child inherits both kinds, shared
 * writes are seen both ways, private writes are isolated both ways.
 *
 * The driver's `vmas` counter counts the copies: fork() calls vm_ops->open
 * for every device VMA it copies, the child's exit vm_ops->close for each,
 * on the .mmap path (6.1, 6.12) as on the .mmap_prepare + .mapped one
 * (7.2, 7.3); a MADV_DONTFORK VMA is not copied, so not counted.
 *
 * Children report through their exit status (a bit per failed check) and
 * parent and child take turns through pipes.
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

#define NR_PAGES	4

static off_t region(struct __test_metadata *_metadata, int k)
{
	return test_region(_metadata, k, 4 * NR_PAGES * page_bytes());
}

/* Hand the turn to the other side. */
static void turn_give(int fd)
{
	char c = 't';

	if (write(fd, &c, 1) != 1)
		_exit(99);
}

/* Wait for the turn: true once the other side gave it. */
static bool turn_wait(int fd)
{
	char c;

	return read(fd, &c, 1) == 1;
}

DEVICE_FIXTURE(device)

TEST_F(device, fork_child_inherits_both_mappings)
{
	size_t len = NR_PAGES * page_bytes(), pg = page_bytes();
	off_t off_s = region(_metadata, 0), off_p = region(_metadata, 1);
	uint64_t seed_s = pattern_seed(__func__);
	uint64_t seed_dev = splitmix64(seed_s), seed_copy = splitmix64(seed_dev);
	struct maps_entry e;
	char *shared, *priv;
	int fd = self->fd, go[2], rc;
	pid_t pid;

	shared = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, off_s);
	pattern_fill(shared, len, seed_s);
	priv = fill_and_map(_metadata, fd, len, off_p, seed_dev,
			    PROT_READ | PROT_WRITE, MAP_PRIVATE);
	/* Page 0 is a private copy already, the others still device pages. */
	pattern_fill(priv, pg, seed_copy);
	touch_read(priv, len);
	ASSERT_EQ(0, pipe(go));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		rc = 0;
		close(go[1]);
		if (pattern_mismatch(shared, len, seed_s) != -1)
			rc |= 1;
		if (pattern_mismatch(priv, pg, seed_copy) != -1)
			rc |= 2;
		if (pattern_mismatch_from(priv + pg, len - pg, seed_dev,
					  pg) != -1)
			rc |= 4;
		/* Stay alive while the parent reads our maps. */
		turn_wait(go[0]);
		_exit(rc);
	}
	close(go[0]);

	/* The child's VMAs: same addresses, same kinds, same offsets. */
	ASSERT_EQ(0, maps_find(pid, (unsigned long)shared, &e));
	EXPECT_EQ((unsigned long)shared + len, e.end);
	EXPECT_STREQ("rw-s", e.perms);
	EXPECT_EQ((unsigned long long)off_s, e.offset);
	EXPECT_STREQ(MMAPDEMO_DEVICE_PATH, e.path);
	ASSERT_EQ(0, maps_find(pid, (unsigned long)priv, &e));
	EXPECT_EQ((unsigned long)priv + len, e.end);
	EXPECT_STREQ("rw-p", e.perms);
	EXPECT_EQ((unsigned long long)off_p, e.offset);
	EXPECT_STREQ(MMAPDEMO_DEVICE_PATH, e.path);

	close(go[1]);
	/* 1: shared content, 2: private copy, 4: private device pages. */
	EXPECT_EQ(0, wait_exit_code(pid));

	munmap(shared, len);
	munmap(priv, len);
	close(fd);
}

TEST_F(device, fork_shared_writes_seen_both_ways)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 2);
	uint64_t seed = pattern_seed(__func__);
	uint64_t by_child = splitmix64(seed), by_parent = splitmix64(by_child);
	int fd = self->fd, to_child[2], to_parent[2];
	char *shared;
	pid_t pid;

	shared = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, off);
	pattern_fill(shared, len, seed);
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pattern_fill(shared, len, by_child);
		turn_give(to_parent[1]);
		if (!turn_wait(to_child[0]))
			_exit(2);
		_exit(pattern_mismatch(shared, len, by_parent) == -1 ? 0 : 1);
	}

	ASSERT_TRUE(turn_wait(to_parent[0]));
	EXPECT_EQ(-1, pattern_mismatch(shared, len, by_child));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, len, off, by_child));

	pattern_fill(shared, len, by_parent);
	turn_give(to_child[1]);
	/* 1: the child did not see the parent's write. */
	EXPECT_EQ(0, wait_exit_code(pid));

	munmap(shared, len);
	close(fd);
}

TEST_F(device, fork_private_writes_isolated_both_ways)
{
	size_t len = NR_PAGES * page_bytes(), pg = page_bytes();
	off_t off = region(_metadata, 3);
	uint64_t seed_dev = pattern_seed(__func__);
	uint64_t before = splitmix64(seed_dev), by_child = splitmix64(before);
	uint64_t by_parent = splitmix64(by_child);
	int fd = self->fd, to_child[2], to_parent[2];
	char *priv;
	pid_t pid;

	priv = fill_and_map(_metadata, fd, len, off, seed_dev,
			    PROT_READ | PROT_WRITE, MAP_PRIVATE);
	/*
	 * Before fork, page 0 is an anonymous copy (copy-on-write again after
	 * fork), the other pages are mapped device pages.
	 */
	touch_read(priv, len);
	pattern_fill(priv, pg, before);
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pattern_fill(priv, len, by_child);
		turn_give(to_parent[1]);
		if (!turn_wait(to_child[0]))
			_exit(2);
		_exit(pattern_mismatch(priv, len, by_child) == -1 ? 0 : 1);
	}

	/* The child's writes are not seen here nor in the device. */
	ASSERT_TRUE(turn_wait(to_parent[0]));
	EXPECT_EQ(-1, pattern_mismatch(priv, pg, before));
	EXPECT_EQ(-1, pattern_mismatch_from(priv + pg, len - pg, seed_dev,
					    pg));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, len, off, seed_dev));

	/* The parent's writes are not seen by the child. */
	pattern_fill(priv, len, by_parent);
	turn_give(to_child[1]);
	/* 1: the child's private pages changed under it. */
	EXPECT_EQ(0, wait_exit_code(pid));
	EXPECT_EQ(-1, pattern_mismatch(priv, len, by_parent));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, len, off, seed_dev));

	munmap(priv, len);
	close(fd);
}

/*
 * Two device VMAs (one MAP_SHARED, one MAP_PRIVATE) and a third marked
 * MADV_DONTFORK: fork() copies two, `vmas` goes up by two while the child
 * lives and back when it exits.
 */
TEST_F(device, fork_two_device_vmas_add_two)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 4);
	long long before, mapped;
	char *shared, *priv, *nofork;
	int go[2];
	pid_t pid;

	before = device_attr_read(MMAPDEMO_ATTR_VMAS);
	ASSERT_LE(0, before);
	shared = map_dev(_metadata, self->fd, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, off);
	priv = map_dev(_metadata, self->fd, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE, off);
	nofork = map_dev(_metadata, self->fd, len, PROT_READ, MAP_SHARED, off);
	ASSERT_EQ(0, madvise(nofork, len, MADV_DONTFORK));
	mapped = device_attr_read(MMAPDEMO_ATTR_VMAS);
	EXPECT_EQ(before + 3, mapped);
	ASSERT_EQ(0, pipe(go));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(go[1]);
		/* Stay alive, mappings and all, while the parent counts. */
		turn_wait(go[0]);
		_exit(maps_count_path(0, MMAPDEMO_DEVICE_PATH) == 2 ? 0 : 1);
	}
	close(go[0]);

	EXPECT_EQ(mapped + 2, device_attr_read(MMAPDEMO_ATTR_VMAS));
	EXPECT_EQ(2, maps_count_path(pid, MMAPDEMO_DEVICE_PATH));
	close(go[1]);
	/* 1: the child had other than its two device VMAs. */
	EXPECT_EQ(0, wait_exit_code(pid));
	EXPECT_EQ(mapped, device_attr_read(MMAPDEMO_ATTR_VMAS));

	munmap(shared, len);
	munmap(priv, len);
	munmap(nofork, len);
	EXPECT_EQ(before, device_attr_read(MMAPDEMO_ATTR_VMAS));
}

TEST_HARNESS_MAIN
