// SPDX-License-Identifier: GPL-2.0
/*
 * Claim 16: lifetime of mappings, fds and the module.
 *
 * - close(fd) after mmap() keeps the mapping usable: the VMA holds its
 *   own reference to the file.
 * - The module cannot be unloaded while an fd is open, nor while only a
 *   mapping is left: that file reference pins the module (fops owner),
 *   so delete_module(O_NONBLOCK) fails with EWOULDBLOCK (== EAGAIN) and
 *   `mmapdemo-ctl unload` reports the device in use.
 * - Once both are gone, unloading works and gives back all the device's
 *   memory; after a reload (with the run's arguments) the device is fresh:
 *   nothing allocated, all zeros.
 *
 * The memory check compares the allocator's free memory right before and
 * after delete_module(). MemFree alone misses pages parked on the per-CPU
 * free lists (order 0 and PMD order both go there), so those are counted
 * too (/proc/zoneinfo). Measured that way the freed memory matched
 * allocated_bytes within 64 KiB (6.1 and 6.12, folio_order 9 and 0; the
 * rest of the idle VM allocates or frees a few pages meanwhile). The
 * tolerance, 1 MiB plus 1/64 of the device's memory (< 2 MiB for 64 MiB),
 * absorbs that noise but not the leak of a single PMD-sized folio (2 MiB;
 * 32 MiB with 16 KiB pages).
 *
 * Each test builds its own situation from the loaded module. The fixture
 * teardown (in the parent, so it also runs after a crash) reloads the
 * module with the run's arguments if it is not loaded; the tests that
 * unload it load it again themselves.
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
#include "module.h"
#include "fixture.h"

FIXTURE(lifetime) {
	size_t size;		/* of the device */
	long long order;	/* folio_order */
	size_t len;		/* of the mappings the tests make */
	uint64_t seed;		/* unique per test and run */
};

FIXTURE_SETUP(lifetime)
{
	ASSERT_NE(NULL, getenv("MMAPDEMO_KO")) {
		TH_LOG("the VM harness must export MMAPDEMO_KO");
	}
	ASSERT_TRUE(module_loaded());
	self->size = device_size();
	ASSERT_LT(0UL, self->size);
	self->order = device_attr_read(MMAPDEMO_ATTR_FOLIO_ORDER);
	self->len = self->size < 32 * MIB ? self->size : 32 * MIB;
	self->seed = pattern_seed(_metadata->name);
}

FIXTURE_TEARDOWN_PARENT(lifetime)
{
	module_ensure_loaded();
}

/*
 * A mapping of the device's first len bytes whose fd is already closed,
 * filled with the test's pattern.
 */
static char *fdless_mapping(struct __test_metadata *_metadata,
			    FIXTURE_DATA(lifetime) *self)
{
	int fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	char *map;

	map = map_dev(_metadata, fd, self->len, PROT_READ | PROT_WRITE,
		      MAP_SHARED, 0);
	ASSERT_EQ(0, close(fd));
	pattern_fill(map, self->len, self->seed);
	return map;
}

/* Unmap @map, and check that no fd or mapping of the device is left. */
static void release_all(struct __test_metadata *_metadata,
			FIXTURE_DATA(lifetime) *self, char *map)
{
	ASSERT_EQ(0, munmap(map, self->len));
	EXPECT_EQ(0, device_attr_read(MMAPDEMO_ATTR_VMAS));
}

/* Load the module again with the run's arguments. */
static void reload(struct __test_metadata *_metadata)
{
	char out[1024];
	int status;

	status = module_load(NULL, out, sizeof(out));
	ASSERT_EQ(0, status) {
		TH_LOG("reload: %s", out);
	}
}

/* close() after mmap(): the mapping keeps working. */
TEST_F_TIMEOUT(lifetime, lifetime_close_keeps_mapping_usable, 60)
{
	char *map = fdless_mapping(_metadata, self);
	int fd;

	EXPECT_EQ(-1, pattern_mismatch(map, self->len, self->seed));
	EXPECT_LE((long long)self->len,
		  device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));

	/* Another fd sees what the fd-less mapping wrote. */
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	EXPECT_EQ(-1, device_pattern_mismatch(fd, self->len, 0, self->seed));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, munmap(map, self->len));
}

/* An open fd pins the module. */
TEST_F(lifetime, lifetime_unload_refused_while_fd_open)
{
	int fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);

	EXPECT_EQ(-EWOULDBLOCK, module_delete());
	ASSERT_TRUE(module_loaded());
	close(fd);
}

/* Only the mapping left: still pinned, for the syscall and the tool. */
TEST_F_TIMEOUT(lifetime, lifetime_unload_refused_while_mapping_lives, 60)
{
	char *ctl_unload[] = { "mmapdemo-ctl", "unload", NULL };
	char *map = fdless_mapping(_metadata, self);
	char out[1024];
	int status;

	EXPECT_EQ(-EWOULDBLOCK, module_delete());
	status = run_helper(ctl_unload, out, sizeof(out), 30);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) {
		TH_LOG("mmapdemo-ctl unload: status %#x: %s", status, out);
	}
	EXPECT_NE(NULL, strstr(out, "in use")) {
		TH_LOG("mmapdemo-ctl unload said: %s", out);
	}
	ASSERT_TRUE(module_loaded());
	EXPECT_EQ(-1, pattern_mismatch(map, self->len, self->seed));
	ASSERT_EQ(0, munmap(map, self->len));
}

/* Nothing left: unload works, and the device is gone with the module. */
TEST_F_TIMEOUT(lifetime, lifetime_unload_succeeds_after_release, 60)
{
	release_all(_metadata, self, fdless_mapping(_metadata, self));
	ASSERT_EQ(0, module_delete());
	EXPECT_FALSE(module_loaded());
	errno = 0;
	EXPECT_EQ(-1, open(MMAPDEMO_DEVICE_PATH, O_RDWR));
	EXPECT_EQ(ENOENT, errno);
	reload(_metadata);
}

/* Unloading returns every page of the device's memory. */
TEST_F_TIMEOUT(lifetime, lifetime_unload_frees_all_pages, 60)
{
	long long alloc, tol, freed = 0, before, after;
	long avail_before, avail_after;
	double deadline;

	release_all(_metadata, self, fdless_mapping(_metadata, self));
	alloc = device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES);
	ASSERT_LE((long long)self->len, alloc);
	tol = alloc / 64 + (long long)MIB;
	avail_before = proc_kb("/proc/meminfo", "MemAvailable");
	before = memory_free_bytes();
	ASSERT_LT(0, before);
	ASSERT_EQ(0, module_delete());
	/* Give deferred frees (RCU, per-CPU batches) a few seconds. */
	deadline = now_s() + 5;
	do {
		after = memory_free_bytes();
		freed = after - before;
		if (freed >= alloc - tol)
			break;
		usleep(100000);
	} while (now_s() < deadline);
	avail_after = proc_kb("/proc/meminfo", "MemAvailable");
	TH_LOG("folio_order %lld: %lld KiB allocated; free memory (pcp incl.) +%lld KiB, MemAvailable +%ld KiB",
	       self->order, alloc / 1024, freed / 1024,
	       avail_after - avail_before);
	EXPECT_GE(freed, alloc - tol);
	reload(_metadata);
}

/* Reload with the run's arguments: a fresh device. */
TEST_F_TIMEOUT(lifetime, lifetime_reload_gives_fresh_device, 60)
{
	size_t len = self->len, psize = page_bytes();
	char *map, *buf;
	int fd;

	/* Data in the device, so that fresh means something. */
	release_all(_metadata, self, fdless_mapping(_metadata, self));
	ASSERT_EQ(0, module_delete());
	reload(_metadata);
	EXPECT_EQ(self->size, device_size());
	EXPECT_EQ(self->order, device_attr_read(MMAPDEMO_ATTR_FOLIO_ORDER));
	EXPECT_EQ(0, device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	EXPECT_EQ(0, device_attr_read(MMAPDEMO_ATTR_FAULTS));
	EXPECT_EQ(0, device_attr_read(MMAPDEMO_ATTR_VMAS));

	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	memset(buf, 0xee, len);
	ASSERT_EQ(0, pread_all(fd, buf, len, 0));
	EXPECT_EQ(-1, bytes_mismatch(buf, len, 0));
	free(buf);
	map = map_dev(_metadata, fd, len, PROT_READ, MAP_SHARED, 0);
	EXPECT_EQ(-1, bytes_mismatch(map, psize, 0));
	EXPECT_EQ(-1, bytes_mismatch(map + len - psize, psize, 0));
	ASSERT_EQ(0, munmap(map, len));
	close(fd);
}

TEST_HARNESS_MAIN
