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
#include "mmapdemo_util.h"

#define HUGE_OFF	(off)
#define HUGE_LEN	(4 * MIB)
#define SEED_HUGE	0x4a9e0001ULL

FRESH_DEVICE_FIXTURE(huge)

TEST_F_TIMEOUT(huge, huge, 90)
{
	long long order = mmapdemo_attr(MMAPDEMO_ATTR_FOLIO_ORDER);
	bool pmd = order == pmd_order();
	size_t psize = page_size(), len = HUGE_LEN;
	long long f0, f1, alloc0, alloc1;
	char *map, *perturb[4], *resv, *fixed;
	long long off;
	long pmd_kb;
	int fd, i;

	ASSERT_LE(0, order);
	off = device_region(_metadata, 8 * MIB, HUGE_LEN);
	if (off < 0)
		SKIP(return, "the device (%zu KiB) is smaller than this test's region",
		     dev_size() / 1024);
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	TH_LOG("folio_order %lld (PMD order %d)", order, pmd_order());

	/*
	 * mmap(NULL, 4 MiB) lands 2 MiB aligned with PMD-order folios, also
	 * when small anonymous mappings shift the free address space.
	 */
	for (i = 0; i < 4; i++) {
		perturb[i] = mmap(NULL, (i + 1) * psize, PROT_READ,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, perturb[i]);
		map = map_dev(_metadata, fd, len, PROT_READ, MAP_SHARED,
			      HUGE_OFF);
		/* Braces: EXPECT_EQ() is not a single statement. */
		if (pmd) {
			EXPECT_EQ(0UL, (uintptr_t)map % PMD_SIZE);
		} else {
			TH_LOG("mapping at %p", map);
		}
		munmap(map, len);
	}
	for (i = 0; i < 4; i++)
		munmap(perturb[i], (i + 1) * psize);

	/* First touch of fresh pages, page by page, writing. */
	map = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      HUGE_OFF);
	alloc0 = mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES);
	f0 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	pattern_fill_from(map, len, SEED_HUGE, HUGE_OFF);
	f1 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	alloc1 = mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES);
	pmd_kb = smaps_kb(map, "FilePmdMapped");
	TH_LOG("%zu KiB at %p: %lld faults, FilePmdMapped %ld kB",
	       len / KIB, map, f1 - f0, pmd_kb);
	if (pmd) {
		ASSERT_EQ(0UL, (uintptr_t)map % PMD_SIZE);
		EXPECT_EQ((long)(len / KIB), pmd_kb);
		EXPECT_EQ((long long)(len / PMD_SIZE), f1 - f0);
	} else {
		EXPECT_EQ(0, pmd_kb);
		EXPECT_EQ((long long)(len / psize), f1 - f0);
	}
	EXPECT_EQ((long long)len, alloc1 - alloc0);
	EXPECT_EQ(-1, pattern_mismatch_from(map, len, SEED_HUGE, HUGE_OFF));
	EXPECT_EQ(-1, dev_pread_mismatch_from(fd, len, HUGE_OFF, SEED_HUGE,
					      HUGE_OFF));

	/*
	 * The same pages mapped one page off the 2 MiB grid: PTEs only, one
	 * fault per page, same data.
	 */
	resv = mmap(NULL, len + PMD_SIZE + psize, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, resv);
	fixed = (char *)round_up((uintptr_t)resv, PMD_SIZE) + psize;
	fixed = mmap(fixed, len, PROT_READ, MAP_SHARED | MAP_FIXED, fd,
		     HUGE_OFF);
	ASSERT_NE(MAP_FAILED, fixed);
	f0 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	EXPECT_EQ(-1, pattern_mismatch_from(fixed, len, SEED_HUGE, HUGE_OFF));
	f1 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	EXPECT_EQ(0, smaps_kb(fixed, "FilePmdMapped"));
	EXPECT_EQ((long long)(len / psize), f1 - f0);
	/* Reading pages that exist allocates nothing more. */
	EXPECT_EQ(alloc1, mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES));

	munmap(resv, len + PMD_SIZE + psize);
	munmap(map, len);
	close(fd);
}

TEST_HARNESS_MAIN
