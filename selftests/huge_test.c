// SPDX-License-Identifier: GPL-2.0
/*
 * Claim 19: huge (PMD) mappings of the device.
 *
 * With folio_order = PMD order (9 on x86-64) the driver allocates 2 MiB
 * folios and places mappings 2 MiB aligned (thp_get_unmapped_area), so a
 * MAP_SHARED mapping of a 2 MiB aligned offset is mapped with PMDs: smaps
 * FilePmdMapped equals the length, and the first touch of fresh pages
 * takes one fault per 2 MiB. Placed off the 2 MiB grid (MAP_FIXED), the
 * same pages can only be mapped with PTEs.
 *
 * With a smaller folio_order (0 in the run with folio_order=0) nothing is
 * PMD-mapped, and every page takes its own fault: the driver has no
 * ->map_pages (no fault-around), and finish_fault() maps one page per
 * fault for files other than anonymous shmem. The contents are the same.
 *
 * The fixture reloads the module (same arguments) for fresh pages and a
 * zero `faults` counter; the teardown reloads it if a failure left it
 * unloaded.
 */
#include "kselftest_harness.h"
#include "mmapdemo_b_util.h"

#define HUGE_OFF	(off)
#define HUGE_LEN	(4 * MIB)
#define SEED_HUGE	0x4a9e0001ULL

FIXTURE(huge) {
	int unused;
};

FIXTURE_SETUP(huge)
{
	char out[512];

	ASSERT_NE(NULL, getenv("MMAPDEMO_KO"));
	ASSERT_EQ(0, b_reload_module(out, sizeof(out))) {
		TH_LOG("reload: %s", out);
	}
	ASSERT_EQ(0, mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES));
}

FIXTURE_TEARDOWN_PARENT(huge)
{
	b_ensure_loaded();
}

TEST_F_TIMEOUT(huge, huge, 90)
{
	long long order = mmapdemo_attr(MMAPDEMO_ATTR_FOLIO_ORDER);
	bool pmd = order == b_pmd_order();
	size_t psize = page_size(), len = HUGE_LEN;
	long long f0, f1, alloc0, alloc1;
	char *map, *perturb[4], *resv, *fixed;
	long long off;
	long pmd_kb;
	int fd, i;

	ASSERT_LE(0, order);
	off = b_region(8 * MIB, HUGE_LEN);
	/* A missing device is a failure, a small one a skip. */
	ASSERT_LT(0, b_dev_size());
	if (off < 0)
		SKIP(return, "the device (%lld KiB) is smaller than this test's region",
		     b_dev_size() / 1024);
	fd = b_open_dev();
	ASSERT_LE(0, fd);
	TH_LOG("folio_order %lld (PMD order %d)", order, b_pmd_order());

	/*
	 * mmap(NULL, 4 MiB) lands 2 MiB aligned with PMD-order folios, also
	 * when small anonymous mappings shift the free address space.
	 */
	for (i = 0; i < 4; i++) {
		perturb[i] = mmap(NULL, (i + 1) * psize, PROT_READ,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, perturb[i]);
		map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, HUGE_OFF);
		ASSERT_NE(MAP_FAILED, map);
		/* Braces: EXPECT_EQ() is not a single statement. */
		if (pmd) {
			EXPECT_EQ(0UL, (uintptr_t)map % PMD_SZ);
		} else {
			TH_LOG("mapping at %p", map);
		}
		munmap(map, len);
	}
	for (i = 0; i < 4; i++)
		munmap(perturb[i], (i + 1) * psize);

	/* First touch of fresh pages, page by page, writing. */
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   HUGE_OFF);
	ASSERT_NE(MAP_FAILED, map);
	alloc0 = mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES);
	f0 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	b_fill(map, len, HUGE_OFF, SEED_HUGE);
	f1 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	alloc1 = mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES);
	pmd_kb = b_smaps_kb(map, "FilePmdMapped");
	TH_LOG("%zu KiB at %p: %lld faults, FilePmdMapped %ld kB",
	       len / KIB, map, f1 - f0, pmd_kb);
	if (pmd) {
		ASSERT_EQ(0UL, (uintptr_t)map % PMD_SZ);
		EXPECT_EQ((long)(len / KIB), pmd_kb);
		EXPECT_EQ((long long)(len / PMD_SZ), f1 - f0);
	} else {
		EXPECT_EQ(0, pmd_kb);
		EXPECT_EQ((long long)(len / psize), f1 - f0);
	}
	EXPECT_EQ((long long)len, alloc1 - alloc0);
	EXPECT_EQ(-1, b_check(map, len, HUGE_OFF, SEED_HUGE));
	EXPECT_EQ(-2, b_dev_check(fd, len, HUGE_OFF, SEED_HUGE));

	/*
	 * The same pages mapped one page off the 2 MiB grid: PTEs only, one
	 * fault per page, same data.
	 */
	resv = mmap(NULL, len + PMD_SZ + psize, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, resv);
	fixed = (char *)b_round_up((uintptr_t)resv, PMD_SZ) + psize;
	fixed = mmap(fixed, len, PROT_READ, MAP_SHARED | MAP_FIXED, fd,
		     HUGE_OFF);
	ASSERT_NE(MAP_FAILED, fixed);
	f0 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	EXPECT_EQ(-1, b_check(fixed, len, HUGE_OFF, SEED_HUGE));
	f1 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	EXPECT_EQ(0, b_smaps_kb(fixed, "FilePmdMapped"));
	EXPECT_EQ((long long)(len / psize), f1 - f0);
	/* Reading pages that exist allocates nothing more. */
	EXPECT_EQ(alloc1, mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES));

	munmap(resv, len + PMD_SZ + psize);
	munmap(map, len);
	close(fd);
}

TEST_HARNESS_MAIN
