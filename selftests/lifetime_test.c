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
 * absorbs that noise but not the leak of a single 2 MiB folio.
 *
 * The fixture teardown (in the parent, so it also runs after a crash)
 * reloads the module with the run's arguments if it is not loaded.
 */
#include "kselftest_harness.h"
#include "mmapdemo_b_util.h"

#define SEED_LIFETIME	0x11fe71e0ULL

FIXTURE(lifetime) {
	int unused;
};

FIXTURE_SETUP(lifetime)
{
	ASSERT_NE(NULL, getenv("MMAPDEMO_KO")) {
		TH_LOG("the VM harness must export MMAPDEMO_KO");
	}
	ASSERT_TRUE(b_module_loaded());
}

FIXTURE_TEARDOWN_PARENT(lifetime)
{
	b_ensure_loaded();
}

TEST_F_TIMEOUT(lifetime, lifetime, 120)
{
	char *ctl_unload[] = { "mmapdemo-ctl", "unload", NULL };
	long long size = b_dev_size();
	long long order = mmapdemo_attr(MMAPDEMO_ATTR_FOLIO_ORDER);
	long long alloc, tol, freed = 0, before, after;
	long avail_before, avail_after;
	size_t len, psize = page_size();
	char out[1024], *map, *buf;
	double deadline;
	int fd, status;

	ASSERT_LT(0, size);
	len = size < (long long)(32 * MIB) ? (size_t)size : 32 * MIB;

	/* An open fd pins the module. */
	fd = b_open_dev();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EWOULDBLOCK, b_delete_module());
	ASSERT_TRUE(b_module_loaded());

	/* close() after mmap(): the mapping keeps working. */
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, close(fd));
	b_fill(map, len, 0, SEED_LIFETIME);
	EXPECT_EQ(-1, b_check(map, len, 0, SEED_LIFETIME));
	EXPECT_LE((long long)len, mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES));

	/* Only the mapping left: still pinned, for the syscall and the tool. */
	EXPECT_EQ(-EWOULDBLOCK, b_delete_module());
	status = b_run(ctl_unload, out, sizeof(out), 30);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) {
		TH_LOG("mmapdemo-ctl unload: status %#x: %s", status, out);
	}
	EXPECT_NE(NULL, strstr(out, "in use")) {
		TH_LOG("mmapdemo-ctl unload said: %s", out);
	}
	ASSERT_TRUE(b_module_loaded());
	EXPECT_EQ(-1, b_check(map, len, 0, SEED_LIFETIME));

	/* Another fd sees what the fd-less mapping wrote. */
	fd = b_open_dev();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-2, b_dev_check(fd, len, 0, SEED_LIFETIME));
	ASSERT_EQ(0, close(fd));

	/* Nothing left: unload works and returns every page. */
	ASSERT_EQ(0, munmap(map, len));
	EXPECT_EQ(0, mmapdemo_attr(MMAPDEMO_ATTR_VMAS));
	alloc = mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES);
	ASSERT_LE((long long)len, alloc);
	tol = alloc / 64 + (long long)MIB;
	avail_before = b_meminfo_kb("MemAvailable");
	before = b_free_bytes();
	ASSERT_LT(0, before);
	ASSERT_EQ(0, b_delete_module());
	/* Give deferred frees (RCU, per-CPU batches) a few seconds. */
	deadline = b_now() + 5;
	do {
		after = b_free_bytes();
		freed = after - before;
		if (freed >= alloc - tol)
			break;
		usleep(100000);
	} while (b_now() < deadline);
	avail_after = b_meminfo_kb("MemAvailable");
	TH_LOG("folio_order %lld: %lld KiB allocated; free memory (pcp incl.) +%lld KiB, MemAvailable +%ld KiB",
	       order, alloc / 1024, freed / 1024, avail_after - avail_before);
	EXPECT_GE(freed, alloc - tol);
	EXPECT_FALSE(b_module_loaded());
	errno = 0;
	EXPECT_EQ(-1, open(MMAPDEMO_DEVICE_PATH, O_RDWR));
	EXPECT_EQ(ENOENT, errno);

	/* Reload with the run's arguments: a fresh device. */
	status = b_load_module(out, sizeof(out));
	ASSERT_EQ(0, status) {
		TH_LOG("reload: %s", out);
	}
	EXPECT_EQ(size, b_dev_size());
	EXPECT_EQ(order, mmapdemo_attr(MMAPDEMO_ATTR_FOLIO_ORDER));
	EXPECT_EQ(0, mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	EXPECT_EQ(0, mmapdemo_attr(MMAPDEMO_ATTR_FAULTS));
	EXPECT_EQ(0, mmapdemo_attr(MMAPDEMO_ATTR_VMAS));

	fd = b_open_dev();
	ASSERT_LE(0, fd);
	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	memset(buf, 0xee, len);
	ASSERT_EQ(0, b_pread_all(fd, buf, len, 0));
	EXPECT_EQ(-1, b_check_zero(buf, len));
	free(buf);
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(-1, b_check_zero(map, psize));
	EXPECT_EQ(-1, b_check_zero(map + len - psize, psize));
	ASSERT_EQ(0, munmap(map, len));
	close(fd);
}

TEST_HARNESS_MAIN
