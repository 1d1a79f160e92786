// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl ABI of /dev/mmapdemo (uapi/mmapdemo.h): INFO, RESIZE, PUNCH.
 *
 * - The structures and command numbers are pinned at build time
 *   (static_assert): every field's offset, sizes that are multiples of
 *   8 bytes, and each command's direction, type, number and size. A
 *   change to any of them fails the build of this test.
 * - INFO reports ABI version 1, the same size, max_size and folio_order
 *   as sysfs and the module parameters, the RESIZE and PUNCH features
 *   (PMD_MAPPING exactly when folio_order is the PMD order), zeroed
 *   reserved words, and allocated_bytes as sysfs counts it.
 * - The checks every ioctl makes before anything changes: an unknown
 *   command (other magic, other number, a known number with another size
 *   or direction) is ENOTTY; non-zero flags or reserved fields EINVAL;
 *   an argument pointer that is NULL, unmapped, or (for INFO, which the
 *   kernel writes) read-only is EFAULT; RESIZE and PUNCH need a writable
 *   file, like ftruncate() (EBADF on O_RDONLY), INFO does not.
 *
 * 32-bit callers: every structure has the same layout for i386 and
 * x86-64, and for 32-bit Arm (EABI) and arm64 (explicit padding, 8-byte
 * multiples, pinned below; the asserts hold for both LP64 ABIs, x86-64 and
 * arm64, whose _IOC encodings are the generic ones), and the driver's
 * .compat_ioctl is compat_ptr_ioctl, which only converts the pointer.
 * Calling it from a 32-bit process is out of scope here: the build machine
 * has no 32-bit libc (-m32 cannot link).
 *
 * Each test owns a fresh device (device_fresh()); those that allocate and
 * punch work at its start. RESIZE calls that are
 * meant to fail ask for the current size, so that one accepted by
 * mistake changes nothing.
 */

#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
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
#include "fixture.h"

/* One PMD: a whole folio with either folio order. */
#define REGION_LEN	pmd_bytes()

/* --- the ABI, pinned at build time --- */

static_assert(sizeof(struct mmapdemo_info) == 64, "info size");
static_assert(offsetof(struct mmapdemo_info, abi_version) == 0, "info");
static_assert(offsetof(struct mmapdemo_info, folio_order) == 4, "info");
static_assert(offsetof(struct mmapdemo_info, size) == 8, "info");
static_assert(offsetof(struct mmapdemo_info, max_size) == 16, "info");
static_assert(offsetof(struct mmapdemo_info, features) == 24, "info");
static_assert(offsetof(struct mmapdemo_info, allocated_bytes) == 32, "info");
static_assert(offsetof(struct mmapdemo_info, reserved) == 40, "info");
static_assert(sizeof(((struct mmapdemo_info *)0)->reserved) == 24, "info");

static_assert(sizeof(struct mmapdemo_resize) == 16, "resize size");
static_assert(offsetof(struct mmapdemo_resize, size) == 0, "resize");
static_assert(offsetof(struct mmapdemo_resize, flags) == 8, "resize");
static_assert(offsetof(struct mmapdemo_resize, reserved) == 12, "resize");

static_assert(sizeof(struct mmapdemo_punch) == 24, "punch size");
static_assert(offsetof(struct mmapdemo_punch, offset) == 0, "punch");
static_assert(offsetof(struct mmapdemo_punch, length) == 8, "punch");
static_assert(offsetof(struct mmapdemo_punch, flags) == 16, "punch");
static_assert(offsetof(struct mmapdemo_punch, reserved) == 20, "punch");

/* Multiples of 8: the same layout for 32-bit and 64-bit callers. */
static_assert(sizeof(struct mmapdemo_info) % 8 == 0, "info padding");
static_assert(sizeof(struct mmapdemo_resize) % 8 == 0, "resize padding");
static_assert(sizeof(struct mmapdemo_punch) % 8 == 0, "punch padding");

static_assert(MMAPDEMO_IOC_MAGIC == 0xB9, "magic");
static_assert(_IOC_DIR(MMAPDEMO_IOC_INFO) == _IOC_READ, "INFO dir");
static_assert(_IOC_TYPE(MMAPDEMO_IOC_INFO) == 0xB9, "INFO type");
static_assert(_IOC_NR(MMAPDEMO_IOC_INFO) == 0, "INFO nr");
static_assert(_IOC_SIZE(MMAPDEMO_IOC_INFO) == 64, "INFO size");
static_assert(_IOC_DIR(MMAPDEMO_IOC_RESIZE) == _IOC_WRITE, "RESIZE dir");
static_assert(_IOC_TYPE(MMAPDEMO_IOC_RESIZE) == 0xB9, "RESIZE type");
static_assert(_IOC_NR(MMAPDEMO_IOC_RESIZE) == 1, "RESIZE nr");
static_assert(_IOC_SIZE(MMAPDEMO_IOC_RESIZE) == 16, "RESIZE size");
static_assert(_IOC_DIR(MMAPDEMO_IOC_PUNCH) == _IOC_WRITE, "PUNCH dir");
static_assert(_IOC_TYPE(MMAPDEMO_IOC_PUNCH) == 0xB9, "PUNCH type");
static_assert(_IOC_NR(MMAPDEMO_IOC_PUNCH) == 2, "PUNCH nr");
static_assert(_IOC_SIZE(MMAPDEMO_IOC_PUNCH) == 24, "PUNCH size");

static_assert(MMAPDEMO_ABI_VERSION == 1, "ABI version");
static_assert(MMAPDEMO_FEATURE_RESIZE == 1, "feature bit 0");
static_assert(MMAPDEMO_FEATURE_PUNCH == 2, "feature bit 1");
static_assert(MMAPDEMO_FEATURE_PMD_MAPPING == 4, "feature bit 2");

#define KNOWN_FEATURES	(MMAPDEMO_FEATURE_RESIZE | MMAPDEMO_FEATURE_PUNCH | \
			 MMAPDEMO_FEATURE_PMD_MAPPING)

/* Where this program allocates and punches; the device must hold it. */
static off_t region(struct __test_metadata *_metadata)
{
	long long off = device_region(_metadata, REGION_LEN);

	ASSERT_LE(0, off) {
		TH_LOG("the device (%zu bytes) is smaller than %lu",
		       device_size(), REGION_LEN);
	}
	return (off_t)off;
}

/*
 * The region, filled with a test's pattern, and the device's size: what a
 * refused ioctl must leave as they are.
 */
struct filled_region {
	off_t off;
	uint64_t seed;
	size_t size;
};

/* The region filled with the pattern of @test (device offsets as positions). */
static struct filled_region fill_region(struct __test_metadata *_metadata,
					int fd, const char *test)
{
	struct filled_region r = {
		.off = region(_metadata),
		.seed = pattern_seed(test),
		.size = device_size(),
	};

	ASSERT_EQ(0, device_write_pattern_from(fd, REGION_LEN, r.off, r.seed,
					       r.off));
	return r;
}

static void expect_region_intact(struct __test_metadata *_metadata, int fd,
				 const struct filled_region *r)
{
	EXPECT_EQ(-1, device_pattern_mismatch_from(fd, REGION_LEN, r->off,
						   r->seed, r->off));
}

/* After a refused ioctl: the device kept its size and the region its data. */
static void expect_unchanged(struct __test_metadata *_metadata, int fd,
			     const struct filled_region *r)
{
	EXPECT_EQ(r->size, device_size());
	expect_region_intact(_metadata, fd, r);
}

DEVICE_FIXTURE(device)

/*
 * The numbers a 64-bit and a 32-bit caller both use, written out: the
 * same facts as the static_asserts above, shown in the TAP.
 */
TEST_F(device, ioctl_command_numbers_pinned)
{
	TH_LOG("INFO %#lx RESIZE %#lx PUNCH %#lx",
	       (unsigned long)MMAPDEMO_IOC_INFO,
	       (unsigned long)MMAPDEMO_IOC_RESIZE,
	       (unsigned long)MMAPDEMO_IOC_PUNCH);
	EXPECT_EQ(0x8040B900UL, (unsigned long)MMAPDEMO_IOC_INFO);
	EXPECT_EQ(0x4010B901UL, (unsigned long)MMAPDEMO_IOC_RESIZE);
	EXPECT_EQ(0x4018B902UL, (unsigned long)MMAPDEMO_IOC_PUNCH);
}

TEST_F(device, ioctl_info_abi_version_1)
{
	struct mmapdemo_info info;
	int fd = self->fd;

	info = info_of(_metadata, fd);
	EXPECT_EQ(1U, info.abi_version);
	EXPECT_EQ((unsigned int)MMAPDEMO_ABI_VERSION, info.abi_version);
	close(fd);
}

/* size, max_size and folio_order: INFO, sysfs and the module parameters. */
TEST_F(device, ioctl_info_matches_sysfs_and_parameters)
{
	long long order = device_attr_read(MMAPDEMO_ATTR_FOLIO_ORDER);
	struct mmapdemo_info info;
	int fd = open_dev(_metadata, O_RDONLY | O_CLOEXEC);
	unsigned int i;

	/* Every byte of the answer is written: reserved must come back 0. */
	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, device_ioctl(fd, MMAPDEMO_IOC_INFO, &info));
	TH_LOG("size %llu max_size %llu folio_order %u features %#llx allocated %llu",
	       (unsigned long long)info.size,
	       (unsigned long long)info.max_size, info.folio_order,
	       (unsigned long long)info.features,
	       (unsigned long long)info.allocated_bytes);

	EXPECT_EQ((unsigned long long)device_size(), info.size);
	EXPECT_EQ(module_param_read("size"), (long long)info.size);
	EXPECT_EQ(module_param_read("max_size"), (long long)info.max_size);
	EXPECT_LE(info.size, info.max_size);
	EXPECT_EQ(order, (long long)info.folio_order);
	EXPECT_EQ(module_param_read("folio_order"), (long long)info.folio_order);
	for (i = 0; i < ARRAY_SIZE(info.reserved); i++)
		EXPECT_EQ(0ULL, info.reserved[i]);
	close(fd);
}

TEST_F(device, ioctl_info_features)
{
	bool pmd = folio_order_is_pmd();
	struct mmapdemo_info info;
	int fd = self->fd;

	info = info_of(_metadata, fd);
	EXPECT_TRUE(!!(info.features & MMAPDEMO_FEATURE_RESIZE));
	EXPECT_TRUE(!!(info.features & MMAPDEMO_FEATURE_PUNCH));
	EXPECT_EQ(pmd, !!(info.features & MMAPDEMO_FEATURE_PMD_MAPPING)) {
		TH_LOG("folio_order %u, PMD order %d, features %#llx",
		       info.folio_order, pmd_page_order(),
		       (unsigned long long)info.features);
	}
	/* A bit this ABI version does not define would be a surprise. */
	EXPECT_EQ(0ULL, info.features & ~(unsigned long long)KNOWN_FEATURES);
	close(fd);
}

/*
 * allocated_bytes of INFO and of sysfs are the same counter: both grow by
 * one folio when a byte of a hole is written, and shrink when it is
 * punched.
 */
TEST_F(device, ioctl_info_allocated_bytes_tracks_sysfs)
{
	size_t folio = device_folio_bytes();
	int fd = self->fd;
	off_t off = region(_metadata);
	struct mmapdemo_info info;
	long long before;
	char c = 1;

	ASSERT_LT(0UL, folio);
	ASSERT_LE(folio, REGION_LEN);
	punch_dev(_metadata, fd, off, REGION_LEN);
	info = info_of(_metadata, fd);
	before = device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES);
	EXPECT_EQ(before, (long long)info.allocated_bytes);

	ASSERT_EQ(1, pwrite(fd, &c, 1, off));
	info = info_of(_metadata, fd);
	EXPECT_EQ(before + (long long)folio, (long long)info.allocated_bytes);
	EXPECT_EQ(before + (long long)folio,
		  device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));

	punch_dev(_metadata, fd, off, REGION_LEN);
	info = info_of(_metadata, fd);
	EXPECT_EQ(before, (long long)info.allocated_bytes);
	EXPECT_EQ(before, device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES));
	close(fd);
}

/*
 * The driver matches whole command numbers: magic, number, direction and
 * size. The argument is valid for RESIZE (the current size) and for PUNCH
 * (a page past the end), so even a command taken for one of them by
 * mistake would change nothing; the region's data shows that it did not.
 */
TEST_F(device, ioctl_unknown_command_enotty)
{
	static const struct {
		unsigned long cmd;
		const char *what;
	} cmds[] = {
		{ _IOR(0xB8, 0x00, struct mmapdemo_info), "other magic, INFO's nr" },
		{ _IOW(0xBA, 0x01, struct mmapdemo_resize), "other magic, RESIZE's nr" },
		{ _IOR(MMAPDEMO_IOC_MAGIC, 0x03, struct mmapdemo_info), "nr 3" },
		{ _IOW(MMAPDEMO_IOC_MAGIC, 0x7f, struct mmapdemo_punch), "nr 0x7f" },
		{ _IO(MMAPDEMO_IOC_MAGIC, 0xff), "nr 0xff, no data" },
		{ _IOW(MMAPDEMO_IOC_MAGIC, 0x00, struct mmapdemo_info), "INFO as _IOW" },
		{ _IOWR(MMAPDEMO_IOC_MAGIC, 0x00, struct mmapdemo_info), "INFO as _IOWR" },
		{ _IOR(MMAPDEMO_IOC_MAGIC, 0x00, __u64), "INFO, 8 bytes" },
		{ _IOR(MMAPDEMO_IOC_MAGIC, 0x00, struct mmapdemo_resize), "INFO, 16 bytes" },
		{ _IOW(MMAPDEMO_IOC_MAGIC, 0x01, struct mmapdemo_punch), "RESIZE, 24 bytes" },
		{ _IOR(MMAPDEMO_IOC_MAGIC, 0x01, struct mmapdemo_resize), "RESIZE as _IOR" },
		{ _IO(MMAPDEMO_IOC_MAGIC, 0x01), "RESIZE, no data" },
		{ _IOW(MMAPDEMO_IOC_MAGIC, 0x02, struct mmapdemo_resize), "PUNCH, 16 bytes" },
		{ _IOWR(MMAPDEMO_IOC_MAGIC, 0x02, struct mmapdemo_punch), "PUNCH as _IOWR" },
		{ 0, "0" },
	};
	int fd = self->fd;
	struct filled_region r = fill_region(_metadata, fd, __func__);
	__u64 arg[8] = { r.size, page_bytes() };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(-ENOTTY, device_ioctl(fd, cmds[i].cmd, arg)) {
			TH_LOG("cmd %#lx (%s)", cmds[i].cmd, cmds[i].what);
		}
	}
	/* A terminal's request: the device is not a tty. */
	errno = 0;
	EXPECT_EQ(0, isatty(fd));
	EXPECT_EQ(ENOTTY, errno);

	expect_unchanged(_metadata, fd, &r);
	close(fd);
}

/*
 * Fields that must be zero so that they can get a meaning later: flags
 * and reserved of RESIZE and PUNCH. Any bit set is EINVAL and changes
 * nothing; the same requests with the field 0 work.
 */
FIXTURE(must_be_zero) {
	int fd;
};

FIXTURE_VARIANT(must_be_zero) {
	bool reserved;		/* the reserved field, else flags */
	unsigned int values[3];
};

FIXTURE_VARIANT_ADD(must_be_zero, flags) {
	.values = { 1, 2, 0x80000000 },
};

FIXTURE_VARIANT_ADD(must_be_zero, reserved) {
	.reserved = true,
	.values = { 1, 0x100, 0x80000000 },
};

DEVICE_FIXTURE_SETUP(must_be_zero)

/*
 * RESIZE to the size the device has, then PUNCH of the region, with @value
 * in the field under test: harmless requests, so that only the field
 * decides. Each result (0 or -errno) is checked against @want.
 */
static void resize_and_punch(struct __test_metadata *_metadata,
			     const FIXTURE_VARIANT(must_be_zero) *variant,
			     int fd, const struct filled_region *r,
			     unsigned int value, int want)
{
	struct mmapdemo_resize resize = { .size = r->size };
	struct mmapdemo_punch punch = {
		.offset = r->off,
		.length = REGION_LEN,
	};

	if (variant->reserved) {
		resize.reserved = value;
		punch.reserved = value;
	} else {
		resize.flags = value;
		punch.flags = value;
	}
	EXPECT_EQ(want, device_ioctl(fd, MMAPDEMO_IOC_RESIZE, &resize)) {
		TH_LOG("RESIZE with %#x", value);
	}
	EXPECT_EQ(want, device_ioctl(fd, MMAPDEMO_IOC_PUNCH, &punch)) {
		TH_LOG("PUNCH with %#x", value);
	}
}

TEST_F(must_be_zero, ioctl_nonzero_einval)
{
	int fd = self->fd;
	struct filled_region r = fill_region(_metadata, fd, __func__);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(variant->values); i++)
		resize_and_punch(_metadata, variant, fd, &r,
				 variant->values[i], -EINVAL);
	expect_unchanged(_metadata, fd, &r);
	close(fd);
}

/* Control: the same requests, refused first, work with the field 0. */
TEST_F(must_be_zero, ioctl_zero_accepted)
{
	int fd = self->fd;
	struct filled_region r = fill_region(_metadata, fd, __func__);

	resize_and_punch(_metadata, variant, fd, &r, variant->values[0],
			 -EINVAL);
	resize_and_punch(_metadata, variant, fd, &r, 0, 0);
	EXPECT_EQ(r.size, device_size());
	EXPECT_EQ(-1, device_bytes_mismatch(fd, r.off, REGION_LEN, 0));
	close(fd);
}

/* INFO, RESIZE and PUNCH with @arg: each must fail with EFAULT. */
static void expect_efault_all(struct __test_metadata *_metadata, int fd,
			      void *arg)
{
	EXPECT_EQ(-EFAULT, device_ioctl(fd, MMAPDEMO_IOC_INFO, arg));
	EXPECT_EQ(-EFAULT, device_ioctl(fd, MMAPDEMO_IOC_RESIZE, arg));
	EXPECT_EQ(-EFAULT, device_ioctl(fd, MMAPDEMO_IOC_PUNCH, arg));
}

/* @nr private anonymous pages: buffers to hand the ioctls. */
static char *anon_pages(struct __test_metadata *_metadata, size_t nr)
{
	char *page = mmap(NULL, nr * page_bytes(), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, page);
	return page;
}

TEST_F(device, ioctl_null_pointer_efault)
{
	int fd = self->fd;
	struct filled_region r = fill_region(_metadata, fd, __func__);

	expect_efault_all(_metadata, fd, NULL);
	expect_unchanged(_metadata, fd, &r);
	close(fd);
}

/*
 * A pointer to a page that was unmapped, and a structure that begins on a
 * mapped page but ends on the unmapped one after it.
 */
TEST_F(device, ioctl_unmapped_pointer_efault)
{
	size_t pg = page_bytes();
	int fd = self->fd;
	struct filled_region r = fill_region(_metadata, fd, __func__);
	char *page;

	page = anon_pages(_metadata, 2);
	ASSERT_EQ(0, munmap(page + pg, pg));

	expect_efault_all(_metadata, fd, page + pg);

	/* Straddling: the first 8 bytes are mapped, the rest is not. */
	((struct mmapdemo_punch *)(page + pg - 8))->offset = r.off;
	expect_efault_all(_metadata, fd, page + pg - 8);

	expect_unchanged(_metadata, fd, &r);
	munmap(page, pg);
	close(fd);
}

/*
 * INFO writes its argument: a read-only page is EFAULT. RESIZE and PUNCH
 * only read theirs, so a read-only page is fine for them (the control).
 */
TEST_F(device, ioctl_info_readonly_buffer_efault)
{
	size_t pg = page_bytes();
	int fd = self->fd;
	struct filled_region r = fill_region(_metadata, fd, __func__);
	struct mmapdemo_resize *resize;
	struct mmapdemo_punch *punch;
	char *page;

	page = anon_pages(_metadata, 1);
	resize = (struct mmapdemo_resize *)page;
	punch = (struct mmapdemo_punch *)(page + 64);
	resize->size = r.size;
	punch->offset = r.off;
	punch->length = REGION_LEN;
	ASSERT_EQ(0, mprotect(page, pg, PROT_READ));

	EXPECT_EQ(-EFAULT, device_ioctl(fd, MMAPDEMO_IOC_INFO, page + 128));
	expect_region_intact(_metadata, fd, &r);

	EXPECT_EQ(0, device_ioctl(fd, MMAPDEMO_IOC_RESIZE, resize));
	EXPECT_EQ(r.size, device_size());
	EXPECT_EQ(0, device_ioctl(fd, MMAPDEMO_IOC_PUNCH, punch));
	EXPECT_EQ(-1, device_bytes_mismatch(fd, r.off, REGION_LEN, 0));
	munmap(page, pg);
	close(fd);
}

/*
 * RESIZE and PUNCH change the contents: they need a writable file, as
 * ftruncate() and fallocate() do (EBADF). INFO only reads: any open mode.
 */
TEST_F(device, ioctl_rdonly_fd_resize_punch_ebadf)
{
	int wfd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	struct filled_region r = fill_region(_metadata, wfd, __func__);
	struct mmapdemo_info info;
	int fd, wofd;

	fd = open_dev(_metadata, O_RDONLY | O_CLOEXEC);
	EXPECT_EQ(-EBADF, device_resize(fd, r.size));
	EXPECT_EQ(-EBADF, device_resize(fd, r.size - page_bytes()));
	EXPECT_EQ(-EBADF, device_punch(fd, r.off, REGION_LEN));
	expect_unchanged(_metadata, wfd, &r);

	EXPECT_EQ(0, device_info_read(fd, &info));
	EXPECT_EQ(r.size, info.size);

	wofd = open_dev(_metadata, O_WRONLY | O_CLOEXEC);
	EXPECT_EQ(0, device_info_read(wofd, &info));
	EXPECT_EQ(r.size, info.size);
	close(wofd);
	close(fd);
	close(wfd);
}

TEST_HARNESS_MAIN
