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
#include "mmapdemo_util.h"

#define SEED_LIFETIME	0x11fe71e0ULL

/*
 * Pages on the per-CPU free lists of all zones (/proc/zoneinfo "count:").
 * MemFree counts only the buddy allocator's free pages, and freed pages
 * (order 0 and, since 5.13, PMD-order ones too) first go to these lists.
 */
static long pcp_pages(void)
{
	char *info = read_file("/proc/zoneinfo"), *p;
	long total = 0;

	if (!info)
		return -1;
	for (p = strstr(info, "count:"); p; p = strstr(p + 6, "count:")) {
		/* Only the per-cpu pageset entries are plain "count: N". */
		total += strtol(p + 6, NULL, 10);
	}
	free(info);
	return total;
}

/* Free memory in bytes as the page allocator sees it, pcp lists included. */
static long long free_bytes(void)
{
	long free_kb = proc_kb("/proc/meminfo", "MemFree"), pcp = pcp_pages();

	if (free_kb < 0 || pcp < 0)
		return -1;
	return free_kb * 1024LL + pcp * (long long)page_size();
}

FIXTURE(lifetime) {
	int unused;
};

FIXTURE_SETUP(lifetime)
{
	ASSERT_NE(NULL, getenv("MMAPDEMO_KO")) {
		TH_LOG("the VM harness must export MMAPDEMO_KO");
	}
	ASSERT_TRUE(module_loaded());
}

FIXTURE_TEARDOWN_PARENT(lifetime)
{
	module_ensure_loaded();
}

TEST_F_TIMEOUT(lifetime, lifetime, 120)
{
	char *ctl_unload[] = { "mmapdemo-ctl", "unload", NULL };
	size_t len, psize = page_size(), size = dev_size();
	long long order = mmapdemo_attr(MMAPDEMO_ATTR_FOLIO_ORDER);
	long long alloc, tol, freed = 0, before, after;
	long avail_before, avail_after;
	char out[1024], *map, *buf;
	double deadline;
	int fd, status;

	ASSERT_LT(0UL, size);
	len = size < 32 * MIB ? size : 32 * MIB;

	/* An open fd pins the module. */
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	EXPECT_EQ(-EWOULDBLOCK, module_delete());
	ASSERT_TRUE(module_loaded());

	/* close() after mmap(): the mapping keeps working. */
	map = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      0);
	ASSERT_EQ(0, close(fd));
	pattern_fill(map, len, SEED_LIFETIME);
	EXPECT_EQ(-1, pattern_mismatch(map, len, SEED_LIFETIME));
	EXPECT_LE((long long)len, mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES));

	/* Only the mapping left: still pinned, for the syscall and the tool. */
	EXPECT_EQ(-EWOULDBLOCK, module_delete());
	status = run_helper(ctl_unload, out, sizeof(out), 30);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) {
		TH_LOG("mmapdemo-ctl unload: status %#x: %s", status, out);
	}
	EXPECT_NE(NULL, strstr(out, "in use")) {
		TH_LOG("mmapdemo-ctl unload said: %s", out);
	}
	ASSERT_TRUE(module_loaded());
	EXPECT_EQ(-1, pattern_mismatch(map, len, SEED_LIFETIME));

	/* Another fd sees what the fd-less mapping wrote. */
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	EXPECT_EQ(-1, dev_pread_mismatch(fd, len, 0, SEED_LIFETIME));
	ASSERT_EQ(0, close(fd));

	/* Nothing left: unload works and returns every page. */
	ASSERT_EQ(0, munmap(map, len));
	EXPECT_EQ(0, mmapdemo_attr(MMAPDEMO_ATTR_VMAS));
	alloc = mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES);
	ASSERT_LE((long long)len, alloc);
	tol = alloc / 64 + (long long)MIB;
	avail_before = proc_kb("/proc/meminfo", "MemAvailable");
	before = free_bytes();
	ASSERT_LT(0, before);
	ASSERT_EQ(0, module_delete());
	/* Give deferred frees (RCU, per-CPU batches) a few seconds. */
	deadline = now_s() + 5;
	do {
		after = free_bytes();
		freed = after - before;
		if (freed >= alloc - tol)
			break;
		usleep(100000);
	} while (now_s() < deadline);
	avail_after = proc_kb("/proc/meminfo", "MemAvailable");
	TH_LOG("folio_order %lld: %lld KiB allocated; free memory (pcp incl.) +%lld KiB, MemAvailable +%ld KiB",
	       order, alloc / 1024, freed / 1024, avail_after - avail_before);
	EXPECT_GE(freed, alloc - tol);
	EXPECT_FALSE(module_loaded());
	errno = 0;
	EXPECT_EQ(-1, open(MMAPDEMO_DEVICE_PATH, O_RDWR));
	EXPECT_EQ(ENOENT, errno);

	/* Reload with the run's arguments: a fresh device. */
	status = module_load(out, sizeof(out));
	ASSERT_EQ(0, status) {
		TH_LOG("reload: %s", out);
	}
	EXPECT_EQ(size, dev_size());
	EXPECT_EQ(order, mmapdemo_attr(MMAPDEMO_ATTR_FOLIO_ORDER));
	EXPECT_EQ(0, mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	EXPECT_EQ(0, mmapdemo_attr(MMAPDEMO_ATTR_FAULTS));
	EXPECT_EQ(0, mmapdemo_attr(MMAPDEMO_ATTR_VMAS));

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
