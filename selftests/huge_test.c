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
 * The tests of one kind of mapping skip with the other folio_order. The
 * fixture reloads the module (same arguments) for fresh pages and a zero
 * `faults` counter; the teardown reloads it if a failure left it
 * unloaded.
 */
#include "kselftest_harness.h"
#include "mmapdemo_util.h"

#define HUGE_LEN	(4 * MIB)

FIXTURE(huge) {
	long long order;	/* folio_order */
	bool pmd;		/* folio_order is the PMD order */
	off_t off;		/* device offset of the test's region */
	int fd;
	uint64_t seed;		/* unique per test and run */
	/* What first_touch() saw: */
	char *map;
	long long faults, alloc0, alloc1;
	long pmd_kb;
};

FIXTURE_SETUP(huge)
{
	long long off;

	fresh_device(_metadata);
	self->order = mmapdemo_attr(MMAPDEMO_ATTR_FOLIO_ORDER);
	ASSERT_LE(0, self->order);
	self->pmd = self->order == pmd_order();
	off = device_region(_metadata, 8 * MIB, HUGE_LEN);
	if (off < 0)
		SKIP(return, "the device (%zu KiB) is smaller than this test's region",
		     dev_size() / 1024);
	self->off = off;
	self->seed = pattern_seed(_metadata->name);
	self->fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	TH_LOG("folio_order %lld (PMD order %d)", self->order, pmd_order());
}

/*
 * In the parent, so that it also runs after a crash. The test's process
 * is gone by then, and its fd and mappings with it.
 */
FIXTURE_TEARDOWN_PARENT(huge)
{
	module_ensure_loaded();
}

/* Why the tests of one kind of mapping skip with the other folio_order. */
#define NOT_PMD_ORDER	"folio_order %lld: only PMD-order folios are PMD-mapped"
#define PMD_ORDER	"folio_order %lld is the PMD order"

/*
 * First touch of fresh pages, page by page, writing, through a mapping
 * of the whole region (left mapped). Records the faults it took, the
 * memory it allocated and smaps FilePmdMapped.
 */
static void first_touch(struct __test_metadata *_metadata,
			FIXTURE_DATA(huge) *self)
{
	size_t len = HUGE_LEN;
	long long f0, f1;

	self->map = map_dev(_metadata, self->fd, len, PROT_READ | PROT_WRITE,
			    MAP_SHARED, self->off);
	self->alloc0 = mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES);
	f0 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	pattern_fill_from(self->map, len, self->seed, self->off);
	f1 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	self->alloc1 = mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES);
	self->pmd_kb = smaps_kb(self->map, "FilePmdMapped");
	self->faults = f1 - f0;
	TH_LOG("%zu KiB at %p: %lld faults, FilePmdMapped %ld kB",
	       len / KIB, self->map, self->faults, self->pmd_kb);
}

/*
 * mmap(NULL, 4 MiB) lands 2 MiB aligned with PMD-order folios, also when
 * small anonymous mappings shift the free address space.
 */
TEST_F_TIMEOUT(huge, huge_mmap_address_pmd_aligned, 60)
{
	size_t psize = page_size(), len = HUGE_LEN;
	char *map, *perturb[4];
	int i;

	if (!self->pmd)
		SKIP(return, NOT_PMD_ORDER, self->order);
	for (i = 0; i < 4; i++) {
		perturb[i] = mmap(NULL, (i + 1) * psize, PROT_READ,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, perturb[i]);
		map = map_dev(_metadata, self->fd, len, PROT_READ, MAP_SHARED,
			      self->off);
		EXPECT_EQ(0UL, (uintptr_t)map % PMD_SIZE) {
			TH_LOG("mapping at %p", map);
		}
		munmap(map, len);
	}
	for (i = 0; i < 4; i++)
		munmap(perturb[i], (i + 1) * psize);
}

/* A 2 MiB aligned mapping of PMD-order folios is mapped with PMDs. */
TEST_F_TIMEOUT(huge, huge_aligned_mapping_pmd_mapped, 60)
{
	if (!self->pmd)
		SKIP(return, NOT_PMD_ORDER, self->order);
	first_touch(_metadata, self);
	ASSERT_EQ(0UL, (uintptr_t)self->map % PMD_SIZE);
	EXPECT_EQ((long)(HUGE_LEN / KIB), self->pmd_kb);
}

/* ... and the first touch takes one fault per 2 MiB. */
TEST_F_TIMEOUT(huge, huge_one_fault_per_pmd, 60)
{
	if (!self->pmd)
		SKIP(return, NOT_PMD_ORDER, self->order);
	first_touch(_metadata, self);
	ASSERT_EQ(0UL, (uintptr_t)self->map % PMD_SIZE);
	EXPECT_EQ((long long)(HUGE_LEN / PMD_SIZE), self->faults);
}

/* With smaller folios nothing is PMD-mapped. */
TEST_F_TIMEOUT(huge, huge_small_folios_pte_mapped, 60)
{
	if (self->pmd)
		SKIP(return, PMD_ORDER, self->order);
	first_touch(_metadata, self);
	EXPECT_EQ(0, self->pmd_kb);
}

/*
 * ... and every page takes its own fault: the driver has no ->map_pages
 * (no fault-around), and finish_fault() maps one page per fault.
 */
TEST_F_TIMEOUT(huge, huge_small_folios_one_fault_per_page, 60)
{
	if (self->pmd)
		SKIP(return, PMD_ORDER, self->order);
	first_touch(_metadata, self);
	EXPECT_EQ((long long)(HUGE_LEN / page_size()), self->faults);
}

/* Any folio_order: the first touch allocates exactly what it touched. */
TEST_F_TIMEOUT(huge, huge_first_touch_allocates_length, 60)
{
	first_touch(_metadata, self);
	EXPECT_EQ((long long)HUGE_LEN, self->alloc1 - self->alloc0);
}

/* Any folio_order: the contents are the same, mapped and read(). */
TEST_F_TIMEOUT(huge, huge_first_touch_contents_correct, 60)
{
	first_touch(_metadata, self);
	EXPECT_EQ(-1, pattern_mismatch_from(self->map, HUGE_LEN, self->seed,
					    self->off));
	EXPECT_EQ(-1, dev_pread_mismatch_from(self->fd, HUGE_LEN, self->off,
					      self->seed, self->off));
}

/*
 * After first_touch(), the same pages mapped one page off the 2 MiB grid
 * (MAP_FIXED into a reservation) and read through: returns the mapping
 * and the faults that reading took.
 */
static char *read_unaligned(struct __test_metadata *_metadata,
			    FIXTURE_DATA(huge) *self, long long *faults,
			    long *mismatch)
{
	size_t psize = page_size(), len = HUGE_LEN;
	char *resv, *fixed;
	long long f0;

	resv = mmap(NULL, len + PMD_SIZE + psize, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, resv);
	fixed = (char *)round_up((uintptr_t)resv, PMD_SIZE) + psize;
	fixed = mmap(fixed, len, PROT_READ, MAP_SHARED | MAP_FIXED, self->fd,
		     self->off);
	ASSERT_NE(MAP_FAILED, fixed);
	f0 = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS);
	*mismatch = pattern_mismatch_from(fixed, len, self->seed, self->off);
	*faults = mmapdemo_attr(MMAPDEMO_ATTR_FAULTS) - f0;
	return fixed;
}

/* Off the 2 MiB grid: PTEs only, one fault per page. */
TEST_F_TIMEOUT(huge, huge_unaligned_mapping_pte_mapped, 60)
{
	long long faults;
	char *fixed;
	long bad;

	first_touch(_metadata, self);
	fixed = read_unaligned(_metadata, self, &faults, &bad);
	EXPECT_EQ(0, smaps_kb(fixed, "FilePmdMapped"));
	EXPECT_EQ((long long)(HUGE_LEN / page_size()), faults);
}

/* Off the 2 MiB grid: the same data. */
TEST_F_TIMEOUT(huge, huge_unaligned_mapping_same_data, 60)
{
	long long faults;
	long bad;

	first_touch(_metadata, self);
	read_unaligned(_metadata, self, &faults, &bad);
	EXPECT_EQ(-1, bad);
}

/* Reading pages that exist allocates nothing more. */
TEST_F_TIMEOUT(huge, huge_unaligned_mapping_allocates_nothing, 60)
{
	long long faults;
	long bad;

	first_touch(_metadata, self);
	read_unaligned(_metadata, self, &faults, &bad);
	EXPECT_EQ(self->alloc1, mmapdemo_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES));
}

TEST_HARNESS_MAIN
