// SPDX-License-Identifier: GPL-2.0
/*
 * MMAPDEMO_IOC_RESIZE: the device size changes like a file's under
 * ftruncate().
 *
 * - Shrinking takes the pages past the new end away from every mapping
 *   of every opener, a second process too: shared mappings and the
 *   private copy-on-write copies of those pages get SIGBUS there, checked
 *   in the mapping process itself (a fork child would refault rather
 *   than inherit the page table entries, see guarded_touch()).
 * - The pages below the new end keep their data, in the mappings and
 *   for pread(); private copies of them stay, as truncate leaves them.
 * - The memory past the end is freed: allocated_bytes drops to what is
 *   left, and the page allocator gets it back even though mappings had
 *   it mapped.
 * - Growing again exposes zeros, never the old data: through pread() and
 *   through mappings made before the shrink.
 * - An end inside a huge folio (PMD-order folios, a size that is not a
 *   multiple of the PMD size) cuts that folio: the data below is kept, beyond
 *   is SIGBUS, and no PMD maps past the end any more. With folio_order=0
 *   the same checks hold page by page.
 * - Sizes of 0, not page multiples, or above max_size are EINVAL and
 *   change nothing; 1 page and max_size itself are accepted.
 * - lseek(SEEK_END), sysfs size, INFO.size and read()/write() at the end
 *   (0 / ENOSPC) follow the new size; the module parameter `size` keeps
 *   the value the module was loaded with.
 *
 * Every test starts from a fresh device (device_fresh(): all of it
 * punched, nothing allocated) at least WORK_LEN long; layouts are in PMDs
 * (2 MiB with 4 KiB pages, 32 MiB with 16 KiB pages). The teardown, in the parent so
 * that it also runs after a crash, resizes the device back to the size
 * it was loaded with (other programs expect it) or reloads the module.
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
#include "access.h"
#include "child.h"
#include "module.h"
#include "fixture.h"

/*
 * The tests work in [0, WORK_LEN) of the device: 32 MiB, at least four
 * PMDs (128 MiB with 16 KiB pages; the device grows to hold it).
 */
#define WORK_LEN	align_up(32 * MIB, 4 * pmd_bytes())

FIXTURE(resize) {
	size_t module_param_size;	/* the size to come back to */
};

FIXTURE_SETUP(resize)
{
	int fd = device_fresh(_metadata);

	self->module_param_size = module_param_size();
	ASSERT_EQ(self->module_param_size, device_size());
	if (device_size() < WORK_LEN)
		resize_dev(_metadata, fd, WORK_LEN);
	close(fd);
}

FIXTURE_TEARDOWN_PARENT(resize)
{
	module_restore(false);
	EXPECT_EQ(self->module_param_size, device_size());
}

static void fill_dev(struct __test_metadata *_metadata, int fd, size_t len,
		     uint64_t seed)
{
	ASSERT_EQ(0, device_write_pattern(fd, len, 0, seed));
}

/*
 * The setup most shrink tests share: a fresh fd with [0, len) filled from
 * @seed, mapped shared and private with @prot, every page of both mappings
 * faulted in (the private one maps the device pages read-only until
 * written), so that the shrink has entries to take away.
 */
static int open_filled_mapped(struct __test_metadata *_metadata, size_t len,
			      uint64_t seed, int prot, char **shared,
			      char **priv)
{
	int fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);

	fill_dev(_metadata, fd, len, seed);
	*shared = map_dev(_metadata, fd, len, prot, MAP_SHARED, 0);
	*priv = map_dev(_metadata, fd, len, prot, MAP_PRIVATE, 0);
	touch_read(*shared, len);
	touch_read(*priv, len);
	return fd;
}

static void unmap_both_close(char *shared, char *priv, size_t len, int fd)
{
	munmap(shared, len);
	munmap(priv, len);
	close(fd);
}

/*
 * A second opener: a fork child with its own fd and its own shared and
 * private mappings of [0, len), the private one with a copy-on-write copy
 * of the page at @cow_off. It reports on @ready when set up, waits for a
 * byte on @go (the device was shrunk to @end), then touches its mappings
 * and exits with a bit per failed check.
 */
#define CHILD_SHARED_PAST_END	0x01	/* no SIGBUS in its shared mapping */
#define CHILD_COW_PAST_END	0x02	/* its private copy survived */
#define CHILD_DATA_BELOW_END	0x04	/* its view below the end changed */
#define CHILD_SETUP		0x40

static void second_opener(int ready, int go, size_t len, size_t end,
			  size_t cow_off, uint64_t seed)
{
	int fd = device_open(O_RDWR), status = 0;
	char *shared, *priv, c = 'r';

	if (fd < 0)
		_exit(CHILD_SETUP);
	shared = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	priv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (shared == MAP_FAILED || priv == MAP_FAILED)
		_exit(CHILD_SETUP);
	touch_read(shared, len);
	priv[cow_off] = 0x3c;
	if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1)
		_exit(CHILD_SETUP);

	if (guarded_read_signal(shared + end) != SIGBUS ||
	    guarded_write_signal(shared + len - 1) != SIGBUS)
		status |= CHILD_SHARED_PAST_END;
	if (guarded_read_signal(priv + cow_off) != SIGBUS)
		status |= CHILD_COW_PAST_END;
	if (pattern_mismatch(shared, end, seed) != -1)
		status |= CHILD_DATA_BELOW_END;
	_exit(status);
}

/* SIGBUS, BUS_ADRERR, at @addr, when this process reads @addr. */
static void expect_sigbus_here(struct __test_metadata *_metadata, void *addr,
			       const char *what)
{
	struct access_fault fault;

	EXPECT_EQ(SIGBUS, guarded_touch(addr, ACCESS_READ, NULL, &fault)) {
		TH_LOG("%s: no SIGBUS", what);
	}
	EXPECT_EQ(BUS_ADRERR, fault.code);
	EXPECT_EQ(addr, fault.addr);
}

TEST_F_TIMEOUT(resize, resize_shrink_sigbus_in_every_mapping, 60)
{
	size_t pg = page_bytes(), pmd = pmd_bytes();
	size_t len = 4 * pmd, end = 2 * pmd;
	uint64_t seed = pattern_seed(__func__);
	int ready[2], go[2], fd;
	char *shared, *priv, c;
	pid_t pid;

	fd = open_filled_mapped(_metadata, len, seed, PROT_READ | PROT_WRITE,
				&shared, &priv);
	/* Private: device pages mapped read-only, and one COW copy. */
	memset(priv + 3 * pmd, 0x6c, pg);

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		second_opener(ready[1], go[0], len, end, end + pmd / 2, seed);
	}
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1));

	resize_dev(_metadata, fd, end);
	c = 'g';
	ASSERT_EQ(1, write(go[1], &c, 1));

	expect_sigbus_here(_metadata, shared + end, "shared, first page past the end");
	expect_sigbus_here(_metadata, shared + 3 * pmd, "shared, third PMD");
	EXPECT_EQ(SIGBUS, guarded_write_signal(shared + len - 1));
	expect_sigbus_here(_metadata, priv + 3 * pmd, "private copy-on-write copy");
	expect_sigbus_here(_metadata, priv + 3 * pmd + pmd / 2,
			   "private, device page");

	/* The second process: 0 when all its checks passed. */
	EXPECT_EQ(0, wait_exit_code(pid));
	close(ready[0]);
	close(go[1]);
	unmap_both_close(shared, priv, len, fd);
}

TEST_F(resize, resize_shrink_keeps_data_below_end)
{
	size_t pg = page_bytes(), pmd = pmd_bytes();
	size_t len = 4 * pmd, end = 2 * pmd, cow = pmd / 2;
	uint64_t seed = pattern_seed(__func__), cow_seed = seed ^ 0xc0;
	char *shared, *priv, byte = 0x11;
	int fd;

	fd = open_filled_mapped(_metadata, len, seed, PROT_READ | PROT_WRITE,
				&shared, &priv);
	/* A private copy of a page below the new end. */
	pattern_fill(priv + cow, pg, cow_seed);

	resize_dev(_metadata, fd, end);

	EXPECT_EQ(-1, pattern_mismatch(shared, end, seed));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, end, 0, seed));
	EXPECT_EQ(-1, pattern_mismatch(priv, cow, seed));
	EXPECT_EQ(-1, pattern_mismatch(priv + cow, pg, cow_seed));
	EXPECT_EQ(-1, pattern_mismatch_from(priv + cow + pg, end - cow - pg,
					    seed, cow + pg));
	/* Nothing to read at the end. */
	EXPECT_EQ(0, pread(fd, &byte, 1, end));
	EXPECT_EQ(1, pread(fd, &byte, 1, end - 1));
	EXPECT_EQ((char)pattern_byte(seed, end - 1), byte);
	unmap_both_close(shared, priv, len, fd);
}

/*
 * allocated_bytes drops to what is left below the end, and the page
 * allocator gets the memory back although a shared and a private
 * mapping had all of it mapped (the shrink zapped their entries, which
 * dropped the references). Free memory is counted as in lifetime_test.c,
 * with its tolerance: 1 MiB plus 1/64 of the memory freed.
 */
TEST_F_TIMEOUT(resize, resize_shrink_frees_memory, 60)
{
	size_t len = WORK_LEN, end = 3 * pmd_bytes();
	uint64_t seed = pattern_seed(__func__);
	long long before, after, freed = 0, want, tol;
	char *shared, *priv;
	double deadline;
	int fd;

	fd = open_filled_mapped(_metadata, len, seed, PROT_READ, &shared,
				&priv);
	EXPECT_EQ((long long)len, device_allocated_bytes());

	want = (long long)(len - end);
	tol = want / 64 + (long long)MIB;
	before = memory_free_bytes();
	ASSERT_LT(0, before);
	resize_dev(_metadata, fd, end);
	EXPECT_EQ((long long)end, device_allocated_bytes());
	deadline = now_s() + 5;
	do {
		after = memory_free_bytes();
		freed = after - before;
		if (freed >= want - tol)
			break;
		usleep(100000);
	} while (now_s() < deadline);
	TH_LOG("shrunk %zu -> %zu KiB: free memory +%lld KiB",
	       len / KIB, end / KIB, freed / 1024);
	EXPECT_GE(freed, want - tol);
	unmap_both_close(shared, priv, len, fd);
}

TEST_F_TIMEOUT(resize, resize_grow_exposes_zeros, 60)
{
	size_t pg = page_bytes(), pmd = pmd_bytes();
	size_t len = 4 * pmd, end = 2 * pmd;
	uint64_t seed = pattern_seed(__func__);
	size_t size = device_size();
	char *shared, *priv;
	int fd;

	/* Mappings made before the shrink, with the old data mapped. */
	fd = open_filled_mapped(_metadata, len, seed, PROT_READ | PROT_WRITE,
				&shared, &priv);
	pattern_fill(priv + 3 * pmd, pg, seed ^ 0xc0);

	resize_dev(_metadata, fd, end);
	resize_dev(_metadata, fd, size);
	/* Growing allocates nothing, and reading holes allocates nothing. */
	EXPECT_EQ((long long)end, device_allocated_bytes());
	EXPECT_EQ(-1, device_bytes_mismatch(fd, end, len - end, 0));
	EXPECT_EQ((long long)end, device_allocated_bytes());

	EXPECT_EQ(-1, bytes_mismatch(shared + end, len - end, 0));
	EXPECT_EQ(-1, bytes_mismatch(priv + end, len - end, 0));
	EXPECT_EQ(-1, pattern_mismatch(shared, end, seed));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, end, 0, seed));
	unmap_both_close(shared, priv, len, fd);
}

/*
 * The new end inside the second PMD-sized folio: 1.5 PMDs + 1 page (3 MiB
 * + 4 KiB, or 48 MiB + 16 KiB). With PMD-order folios the second folio
 * straddles it and is cut:
 * its pages below the end are kept (as single pages) and stay the
 * device's memory; the rest is gone. A mapping that had both folios
 * PMD-mapped keeps a PMD for the first one only. With folio_order=0 the
 * cut is between pages and the same data and SIGBUS checks apply.
 */
TEST_F_TIMEOUT(resize, resize_shrink_inside_huge_folio, 60)
{
	size_t pg = page_bytes(), len = 2 * pmd_bytes();
	size_t end = pmd_bytes() + pmd_bytes() / 2 + pg;
	uint64_t seed = pattern_seed(__func__), seed2 = seed ^ 0x2;
	bool pmd = folio_order_is_pmd();
	size_t size = device_size();
	char *map, *tail;
	int fd;

	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	map = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      0);
	pattern_fill(map, len, seed);
	EXPECT_EQ(pmd ? (long)(len / KIB) : 0, smaps_kb(map, "FilePmdMapped"));
	EXPECT_EQ((long long)len, device_allocated_bytes());

	resize_dev(_metadata, fd, end);

	/* Exactly the pages below the end are left. */
	EXPECT_EQ((long long)end, device_allocated_bytes());
	EXPECT_EQ(-1, pattern_mismatch(map, end, seed));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, end, 0, seed));
	expect_sigbus_here(_metadata, map + end, "first page past the end");
	expect_sigbus_here(_metadata, map + len - 1, "last byte of the folio");
	/* No PMD reaches past the end: only the first folio has one. */
	EXPECT_EQ(pmd ? (long)(pmd_bytes() / KIB) : 0,
		  smaps_kb(map, "FilePmdMapped"));

	/* A new mapping of the cut folio's range: PTEs, and still SIGBUS. */
	tail = map_dev(_metadata, fd, pmd_bytes(), PROT_READ | PROT_WRITE,
		       MAP_SHARED, pmd_bytes());
	EXPECT_EQ(-1, pattern_mismatch_from(tail, end - pmd_bytes(), seed,
					    pmd_bytes()));
	EXPECT_EQ(0, smaps_kb(tail, "FilePmdMapped"));
	expect_sigbus_here(_metadata, tail + end - pmd_bytes(), "new mapping");

	/* The kept pages are still the device: writes reach pread(). */
	pattern_fill_from(tail, end - pmd_bytes(), seed2, pmd_bytes());
	EXPECT_EQ(-1, device_pattern_mismatch_from(fd, end - pmd_bytes(), pmd_bytes(),
					      seed2, pmd_bytes()));
	EXPECT_EQ(-1, pattern_mismatch_from(map + pmd_bytes(), end - pmd_bytes(),
					    seed2, pmd_bytes()));

	/* Grown again, the cut-off part is zeros. */
	resize_dev(_metadata, fd, size);
	EXPECT_EQ(-1, device_bytes_mismatch(fd, end, len - end, 0));
	EXPECT_EQ(-1, bytes_mismatch(map + end, len - end, 0));
	EXPECT_EQ(-1, pattern_mismatch(map, pmd_bytes(), seed));
	munmap(tail, pmd_bytes());
	munmap(map, len);
	close(fd);
}

TEST_F(resize, resize_invalid_size_einval)
{
	uint64_t pg = page_bytes(), size = device_size();
	uint64_t seed = pattern_seed(__func__);
	struct mmapdemo_info info;
	uint64_t bad[] = {
		0, 1, pg - 1, pg + 1, 4097, size + 1, size - pg / 2,
		0, 0, 0, UINT64_MAX, UINT64_MAX & ~(pg - 1), 1ULL << 63,
	};
	unsigned int i;
	int fd;

	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	info = info_of(_metadata, fd);
	/* Above max_size: by a page, twice as much, and page aligned. */
	bad[7] = info.max_size + pg;
	bad[8] = info.max_size * 2;
	bad[9] = align_up(info.max_size + 1, pmd_bytes());
	fill_dev(_metadata, fd, MIB, seed);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, device_resize(fd, bad[i])) {
			TH_LOG("size %#llx accepted", (unsigned long long)bad[i]);
		}
		ASSERT_EQ(size, device_size());
	}
	EXPECT_EQ(-1, device_pattern_mismatch(fd, MIB, 0, seed));
	close(fd);
}

TEST_F(resize, resize_accepts_one_page_and_max_size)
{
	uint64_t pg = page_bytes(), seed = pattern_seed(__func__);
	struct mmapdemo_info info;
	unsigned char c = 0x77;
	int fd;

	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	info = info_of(_metadata, fd);
	fill_dev(_metadata, fd, 2 * pg, seed);

	resize_dev(_metadata, fd, pg);
	EXPECT_EQ((off_t)pg, lseek(fd, 0, SEEK_END));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, pg, 0, seed));
	EXPECT_EQ(0, pread(fd, &c, 1, pg));

	/* The largest size: lazily allocated, so it costs nothing. */
	resize_dev(_metadata, fd, info.max_size);
	EXPECT_EQ((off_t)info.max_size, lseek(fd, 0, SEEK_END));
	EXPECT_EQ((long long)pg, device_allocated_bytes());
	EXPECT_EQ(1, pwrite(fd, &c, 1, info.max_size - 1));
	c = 0;
	EXPECT_EQ(1, pread(fd, &c, 1, info.max_size - 1));
	EXPECT_EQ(0x77, c);
	EXPECT_EQ((long long)(pg + device_folio_bytes()), device_allocated_bytes());
	/* Past max_size, still nothing to write. */
	errno = 0;
	EXPECT_EQ(-1, pwrite(fd, &c, 1, info.max_size));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(-1, device_pattern_mismatch(fd, pg, 0, seed));
	close(fd);
}

/* Every way of asking for the size, after a shrink and after a growth. */
static void expect_size_everywhere(struct __test_metadata *_metadata, int fd,
				   int old_fd, size_t size)
{
	size_t pg = page_bytes();
	unsigned char *buf = calloc(2, pg);
	struct mmapdemo_info info;

	ASSERT_NE(NULL, buf);
	info = info_of(_metadata, fd);
	EXPECT_EQ(size, info.size);
	EXPECT_EQ(size, device_size());
	EXPECT_EQ((off_t)size, lseek(fd, 0, SEEK_END));
	EXPECT_EQ((off_t)size, lseek(old_fd, 0, SEEK_END));
	EXPECT_EQ(-1, lseek(fd, size + 1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(0, pread(fd, buf, 1, size));
	EXPECT_EQ(1, pread(fd, buf, 2, size - 1));
	errno = 0;
	EXPECT_EQ(-1, pwrite(fd, buf, 1, size));
	EXPECT_EQ(ENOSPC, errno);
	/* Crossing the end: short, up to the end. */
	EXPECT_EQ((ssize_t)pg, pwrite(fd, buf, 2 * pg, size - pg));
	EXPECT_EQ((ssize_t)pg, pread(old_fd, buf, 2 * pg, size - pg));
	/* read()/write() at the file position (at the end) too. */
	ASSERT_EQ((off_t)size, lseek(fd, 0, SEEK_END));
	EXPECT_EQ(0, read(fd, buf, 1));
	errno = 0;
	EXPECT_EQ(-1, write(fd, buf, 1));
	EXPECT_EQ(ENOSPC, errno);
	free(buf);
}

TEST_F(resize, resize_size_seen_by_lseek_sysfs_info_read_write)
{
	size_t pg = page_bytes(), load = module_param_size();
	size_t shrunk = 5 * MIB + 2 * pg, grown = 9 * MIB + pg;
	int fd, old_fd;

	/* Opened before any resize: it sees the new sizes as well. */
	old_fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);

	resize_dev(_metadata, fd, shrunk);
	expect_size_everywhere(_metadata, fd, old_fd, shrunk);
	resize_dev(_metadata, fd, grown);
	expect_size_everywhere(_metadata, fd, old_fd, grown);

	/* The module parameter is the load-time size. */
	EXPECT_EQ((long long)load, module_param_read("size"));
	close(old_fd);
	close(fd);
}

TEST_HARNESS_MAIN
