// SPDX-License-Identifier: GPL-2.0
/*
 * Claim 11: a partial munmap() splits a device mapping.
 *
 * Unmapping a page in the middle leaves two VMAs (two lines in
 * /proc/self/maps, each with its own file offset); both keep their
 * contents and stay connected to the device (writes show up in pread()).
 * The driver's `vmas` counter follows: the split calls vm_ops->open for
 * the new VMA, each munmap() calls vm_ops->close.
 *
 * Done twice: for a 3-page mapping (middle page), and for a 4 MiB
 * mapping cut inside its first 2 MiB, which with folio_order=9 is mapped
 * by one PMD that the cut has to split.
 */
#include "kselftest_harness.h"
#include "mmapdemo_util.h"

#define SEED_BEFORE	0x3a3a0001ULL
#define SEED_AFTER	0x3a3a0002ULL

/*
 * Map len bytes at device offset off, unmap [hole, hole + hole_len) inside
 * it and check the two remaining parts.
 */
static void split_and_check(struct __test_metadata *_metadata, int fd,
			    off_t off, size_t len, size_t hole,
			    size_t hole_len)
{
	size_t tail = hole + hole_len;
	long long vmas0 = mmapdemo_attr(MMAPDEMO_ATTR_VMAS);
	struct maps_entry v[4];
	struct access_result r;
	char *map;
	int n;

	ASSERT_LE(0, vmas0);
	map = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      off);
	EXPECT_EQ(vmas0 + 1, mmapdemo_attr(MMAPDEMO_ATTR_VMAS));
	n = maps_in_range((unsigned long)map, (unsigned long)map + len, v, 4);
	ASSERT_EQ(1, n);

	pattern_fill_from(map, len, SEED_BEFORE, off);
	TH_LOG("%zu KiB mapping at %p: FilePmdMapped %ld kB before the cut",
	       len / KIB, map, smaps_kb(map, "FilePmdMapped"));

	ASSERT_EQ(0, munmap(map + hole, hole_len));

	/* Two VMAs, with the file offsets of their first pages. */
	n = maps_in_range((unsigned long)map, (unsigned long)map + len, v, 4);
	ASSERT_EQ(2, n);
	EXPECT_EQ((unsigned long)map, v[0].start);
	EXPECT_EQ((unsigned long)map + hole, v[0].end);
	EXPECT_EQ((unsigned long long)off, v[0].offset);
	EXPECT_EQ((unsigned long)map + tail, v[1].start);
	EXPECT_EQ((unsigned long)map + len, v[1].end);
	EXPECT_EQ((unsigned long long)(off + tail), v[1].offset);
	EXPECT_STREQ("rw-s", v[0].perms);
	EXPECT_STREQ("rw-s", v[1].perms);
	EXPECT_EQ(vmas0 + 2, mmapdemo_attr(MMAPDEMO_ATTR_VMAS));

	/* The hole is unmapped, both sides kept their contents. */
	EXPECT_EQ(SIGSEGV, probe_signal(map + hole, ACCESS_READ, &r));
	EXPECT_EQ(SIGSEGV, probe_signal(map + tail - 1, ACCESS_READ, &r));
	EXPECT_EQ(-1, pattern_mismatch_from(map, hole, SEED_BEFORE, off));
	EXPECT_EQ(-1, pattern_mismatch_from(map + tail, len - tail,
					    SEED_BEFORE, off + tail));

	/* Both sides still write to the device. */
	pattern_fill_from(map, hole, SEED_AFTER, off);
	pattern_fill_from(map + tail, len - tail, SEED_AFTER, off + tail);
	EXPECT_EQ(-1, dev_pread_mismatch_from(fd, hole, off, SEED_AFTER, off));
	EXPECT_EQ(-1, dev_pread_mismatch_from(fd, len - tail, off + tail,
					      SEED_AFTER, off + tail));
	/* The device page behind the hole was not touched by any of it. */
	EXPECT_EQ(-1, dev_pread_mismatch_from(fd, hole_len, off + hole,
					      SEED_BEFORE, off + hole));

	/* One munmap() over both parts (and the hole) closes both VMAs. */
	ASSERT_EQ(0, munmap(map, len));
	EXPECT_EQ(0, maps_in_range((unsigned long)map,
				   (unsigned long)map + len, v, 4));
	EXPECT_EQ(vmas0, mmapdemo_attr(MMAPDEMO_ATTR_VMAS));
}

TEST(partial_munmap)
{
	size_t psize = page_size();
	long long off;
	int fd;

	off = device_region(_metadata, OFF_MUNMAP, 3 * PMD_SIZE);
	if (off < 0)
		SKIP(return, "the device (%zu KiB) is smaller than this test's region",
		     dev_size() / 1024);
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);

	/* Three pages, the middle one unmapped. */
	split_and_check(_metadata, fd, off, 3 * psize, psize, psize);
	/* 4 MiB (2 MiB aligned offset), one page cut at 1 MiB: inside a PMD. */
	split_and_check(_metadata, fd, off + PMD_SIZE, 2 * PMD_SIZE,
			MIB, psize);
	close(fd);
}

TEST_HARNESS_MAIN
