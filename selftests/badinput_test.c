// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input, one test (or fixture variant) per input, named after it:
 *
 * Module parameters (`mmapdemo-ctl unload`, then `mmapdemo-ctl load -m
 * "$MMAPDEMO_KO" ARGS`): a bad value fails the load (exit 1, module not
 * loaded) and the kernel log has a line naming the reason; a size that is
 * not a page multiple names the page size (a 4 KiB multiple is not one
 * where pages are 16 KiB). Valid edges load: one page; 1.5 PMDs with
 * PMD-sized folios (3 MiB with 4 KiB pages, 48 MiB with 16 KiB; the tail
 * takes smaller folios, nothing is allocated past the end); max_size equal
 * to size. An unknown
 * parameter is ignored by the kernel's module loader (pinned).
 *
 * mmap() edges that errno_test, args_test, flags_test and signals_test do
 * not cover: a mapping wholly past the end maps and gets SIGBUS;
 * MAP_POPULATE and MAP_LOCKED over the end still map (the core ignores
 * populate failures); MADV_POPULATE_* over the end is EFAULT and mlock()
 * ENOMEM (pinned); a system call given a buffer past the end gets EFAULT,
 * not a signal.
 *
 * read/write/lseek offsets: a negative offset and an offset + length
 * that overflows are EINVAL (rw_verify_area(); not EOVERFLOW: pinned);
 * lseek() beyond the end or before 0 is EINVAL, SEEK_DATA/SEEK_HOLE are
 * EINVAL (fixed_size_llseek() knows only SET/CUR/END: pinned); at the
 * end read() returns 0 and write() ENOSPC; a write crossing the end is
 * short.
 *
 * open flags: O_APPEND is EINVAL at open(), and after fcntl(F_SETFL,
 * O_APPEND) at write(); O_TRUNC has no effect on a device (the content
 * stays); O_DIRECT is EINVAL at open() and at fcntl(F_SETFL); O_NONBLOCK,
 * O_SYNC and O_DSYNC are accepted and change nothing (pinned).
 *
 * The module-parameter fixtures unload the module; their teardown, in the
 * parent so that it also runs after a crash, loads it again with the
 * run's arguments ($MMAPDEMO_MODULE_ARGS). The other tests own a fresh
 * device (device_fresh(): all of it punched) and work at its start and on
 * its last pages.
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
#include <sys/uio.h>
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
#include "module.h"
#include "kmsg.h"
#include "fixture.h"

#define REGION_LEN	MIB

static off_t region(struct __test_metadata *_metadata)
{
	long long off = device_region(_metadata, REGION_LEN);

	ASSERT_LE(0, off) {
		TH_LOG("the device (%zu bytes) is too small", device_size());
	}
	return (off_t)off;
}

/* ---- module parameters ---- */

/*
 * The run's arguments with @extra's parameters replacing theirs
 * (mmapdemo-ctl refuses a parameter given twice).
 */
static void run_args_with(char *buf, size_t len, const char *extra)
{
	const char *run = getenv("MMAPDEMO_MODULE_ARGS");
	char *copy = strdup(run ? run : ""), *tok, *save = NULL;
	size_t used = 0;

	buf[0] = '\0';
	for (tok = strtok_r(copy, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		size_t name_len = strcspn(tok, "=");
		char name[64];

		snprintf(name, sizeof(name), " %.*s=", (int)name_len, tok);
		if (strstr(extra, name + 1) == extra || strstr(extra, name))
			continue;
		used += snprintf(buf + used, len - used, "%s ", tok);
	}
	snprintf(buf + used, len - used, "%s", extra);
	free(copy);
}

/*
 * finit_module() of $MMAPDEMO_KO with @args, as insmod or modprobe would
 * do it: no checks in user space. 0 or -errno.
 */
static int kernel_load(const char *args)
{
	const char *ko = getenv("MMAPDEMO_KO");
	int fd, ret;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(__NR_finit_module, fd, args, 0) ? -errno : 0;
	close(fd);
	return ret;
}

FIXTURE(module_param) {
	bool changed;
	int kmsg;
	/* The variant's strings, or those made for this kernel's PMD order. */
	const char *args, *reason, *ctl_says;
	char args_buf[64], reason_buf[128], ctl_says_buf[128];
};

/*
 * @args: the bad input; @reason: what the driver's kernel log line says;
 * @ctl_status: mmapdemo-ctl's exit status: 1 when the kernel refused the
 * load, 2 (usage error) when the tool refused the value before loading;
 * @ctl_says: what its message on stderr contains. @above_pmd_order: the
 * input is folio_order one above this kernel's PMD order (9 with 4 KiB
 * pages, 11 with 16 KiB), the strings are made from it.
 */
FIXTURE_VARIANT(module_param) {
	const char *args;
	const char *reason;
	int ctl_status;
	const char *ctl_says;
	bool above_pmd_order;
};

FIXTURE_VARIANT_ADD(module_param, size_0) {
	.args = "size=0",
	.reason = "size=0: must be a non-zero multiple of the page size",
	.ctl_status = 1,
	.ctl_says = "rejected parameter size=0",
};

FIXTURE_VARIANT_ADD(module_param, size_4097_unaligned) {
	.args = "size=4097",
	.reason = "size=4097: must be a non-zero multiple of the page size",
	.ctl_status = 1,
	.ctl_says = "rejected parameter size=4097",
};

FIXTURE_VARIANT_ADD(module_param, size_1T_above_ram) {
	.args = "size=1T",
	.reason = "size=1099511627776: larger than the machine's RAM",
	.ctl_status = 1,
	.ctl_says = "rejected parameter size=1T",
};

FIXTURE_VARIANT_ADD(module_param, size_garbage) {
	.args = "size=garbage",
	.reason = "size=garbage: not a number of bytes",
	.ctl_status = 2,
	.ctl_says = "invalid value 'garbage' for parameter 'size'",
};

FIXTURE_VARIANT_ADD(module_param, size_64M_trailing_junk) {
	.args = "size=64Mx",
	.reason = "size=64Mx: not a number of bytes",
	.ctl_status = 2,
	.ctl_says = "invalid value '64Mx' for parameter 'size'",
};

FIXTURE_VARIANT_ADD(module_param, size_empty) {
	.args = "size=",
	.reason = "size=: not a number of bytes",
	.ctl_status = 2,
	.ctl_says = "invalid value '' for parameter 'size'",
};

FIXTURE_VARIANT_ADD(module_param, max_size_below_size) {
	.args = "size=8M max_size=4M",
	.reason = "max_size=4194304: smaller than size=8388608",
	.ctl_status = 1,
	.ctl_says = "size=8M max_size=4M",
};

FIXTURE_VARIANT_ADD(module_param, max_size_4097_unaligned) {
	.args = "max_size=4097",
	.reason = "max_size=4097: must be a non-zero multiple of the page size",
	.ctl_status = 1,
	.ctl_says = "rejected parameter max_size=4097",
};

FIXTURE_VARIANT_ADD(module_param, folio_order_above_pmd_order) {
	.ctl_status = 1,
	.above_pmd_order = true,
};

FIXTURE_VARIANT_ADD(module_param, folio_order_minus_1) {
	.args = "folio_order=-1",
	.reason = "folio_order=-1: not a number",
	.ctl_status = 2,
	.ctl_says = "invalid value '-1' for parameter 'folio_order'",
};

FIXTURE_VARIANT_ADD(module_param, folio_order_garbage) {
	.args = "folio_order=huge",
	.reason = "folio_order=huge: not a number",
	.ctl_status = 2,
	.ctl_says = "invalid value 'huge' for parameter 'folio_order'",
};

/*
 * The setup unloads the module (nothing of this program holds it) and
 * starts reading the kernel log there.
 */
FIXTURE_SETUP(module_param)
{
	ASSERT_NE(NULL, getenv("MMAPDEMO_KO")) {
		TH_LOG("the VM harness must export MMAPDEMO_KO");
	}
	ASSERT_TRUE(module_loaded());
	self->args = variant->args;
	self->reason = variant->reason;
	self->ctl_says = variant->ctl_says;
	if (variant->above_pmd_order) {
		int order = pmd_page_order() + 1;

		snprintf(self->args_buf, sizeof(self->args_buf),
			 "folio_order=%d", order);
		snprintf(self->reason_buf, sizeof(self->reason_buf),
			 "folio_order=%d: must be 0 ... %d on this kernel",
			 order, order - 1);
		snprintf(self->ctl_says_buf, sizeof(self->ctl_says_buf),
			 "rejected parameter folio_order=%d", order);
		self->args = self->args_buf;
		self->reason = self->reason_buf;
		self->ctl_says = self->ctl_says_buf;
	}
	self->changed = true;
	self->kmsg = kmsg_open_end();
	ASSERT_LE(0, self->kmsg);
	ASSERT_EQ(0, module_unload());
	ASSERT_FALSE(module_loaded());
}

/* In the parent, so that it also runs after a crash. */
FIXTURE_TEARDOWN_PARENT(module_param)
{
	close(self->kmsg);
	module_restore(self->changed);
	EXPECT_TRUE(module_loaded());
	EXPECT_EQ(module_param_size(), device_size());
}

/*
 * The driver's own check, reached however the module is loaded: the load
 * fails with EINVAL and the kernel log names the reason.
 */
TEST_F(module_param, kernel_refuses_log_names_reason)
{
	char line[512], all[4096] = "";

	EXPECT_EQ(-EINVAL, kernel_load(self->args));
	EXPECT_FALSE(module_loaded());
	EXPECT_TRUE(kmsg_find(self->kmsg, self->reason, line, sizeof(line),
			      all, sizeof(all))) {
		TH_LOG("no \"%s\" in the kernel log:\n%s", self->reason,
		       all);
	}
	TH_LOG("%s: kernel log: %s", self->args, line);
}

/*
 * `mmapdemo-ctl load -m "$MMAPDEMO_KO" ARGS`: not loaded, exit 1 and the
 * driver's reason shown when the kernel refused, exit 2 when the tool's
 * own syntax check caught the value first.
 */
TEST_F(module_param, ctl_load_fails)
{
	char out[2048];
	int status;

	status = module_load(self->args, out, sizeof(out));
	EXPECT_TRUE(WIFEXITED(status) &&
		    WEXITSTATUS(status) == variant->ctl_status) {
		TH_LOG("status %#x, want exit %d", status, variant->ctl_status);
	}
	EXPECT_FALSE(module_loaded());
	EXPECT_NE(NULL, strstr(out, self->ctl_says)) {
		TH_LOG("no \"%s\" in the message", self->ctl_says);
	}
	if (variant->ctl_status == 1) {
		EXPECT_NE(NULL, strstr(out, self->reason)) {
			TH_LOG("the kernel's reason is not shown");
		}
	}
	TH_LOG("mmapdemo-ctl load %s: exit %d: %s", self->args,
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
}

/* Valid edge values: the same unload and teardown, no variants. */
FIXTURE(module_edge) {
	bool changed;
	int kmsg;
};

FIXTURE_SETUP(module_edge)
{
	ASSERT_NE(NULL, getenv("MMAPDEMO_KO"));
	ASSERT_TRUE(module_loaded());
	self->changed = true;
	self->kmsg = kmsg_open_end();
	ASSERT_LE(0, self->kmsg);
	ASSERT_EQ(0, module_unload());
}

FIXTURE_TEARDOWN_PARENT(module_edge)
{
	close(self->kmsg);
	module_restore(self->changed);
	EXPECT_TRUE(module_loaded());
	EXPECT_EQ(module_param_size(), device_size());
}

/* Load the run's arguments with @extra's replacing theirs; must work. */
static void load_edge(struct __test_metadata *_metadata, const char *extra)
{
	char args[512], out[2048];
	int status;

	run_args_with(args, sizeof(args), extra);
	status = module_load(args, out, sizeof(out));
	ASSERT_EQ(0, status) {
		TH_LOG("mmapdemo-ctl load %s: %s", args, out);
	}
	ASSERT_TRUE(module_loaded());
}

/*
 * A size of 1.25 pages (5 KiB with 4 KiB pages; with 16 KiB pages 20 KiB, a
 * multiple of 4 KiB): refused, and the log line names the page size, so
 * that a size written for 4 KiB pages explains itself on a 16 KiB kernel.
 */
TEST_F(module_edge, size_not_page_multiple_names_page_size)
{
	size_t pg = page_bytes(), size = pg + pg / 4;
	char args[64], reason[128], line[512], all[4096] = "";

	snprintf(args, sizeof(args), "size=%zu", size);
	snprintf(reason, sizeof(reason),
		 "size=%zu: must be a non-zero multiple of the page size (%zu)",
		 size, pg);
	EXPECT_EQ(-EINVAL, kernel_load(args));
	EXPECT_FALSE(module_loaded());
	EXPECT_TRUE(kmsg_find(self->kmsg, reason, line, sizeof(line), all,
			      sizeof(all))) {
		TH_LOG("no \"%s\" in the kernel log:\n%s", reason, all);
	}
	TH_LOG("%s: kernel log: %s", args, line);
}

/* One page: 4 KiB or 16 KiB, whatever this kernel's page is. */
TEST_F(module_edge, size_one_page_works)
{
	size_t pg = page_bytes();
	struct mmapdemo_info info;
	char args[64], *map;
	int fd;

	snprintf(args, sizeof(args), "size=%zu", pg);
	load_edge(_metadata, args);
	EXPECT_EQ(pg, device_size());
	EXPECT_EQ((long long)pg, module_param_read("size"));
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	info = info_of(_metadata, fd);
	EXPECT_EQ(pg, info.size);
	EXPECT_EQ((off_t)pg, lseek(fd, 0, SEEK_END));

	map = map_dev(_metadata, fd, 2 * pg, PROT_READ | PROT_WRITE,
		      MAP_SHARED, 0);
	EXPECT_EQ(0, guarded_write_signal(map + pg - 1));
	EXPECT_EQ(SIGBUS, guarded_read_signal(map + pg));
	memset(map, 0x4b, pg);
	EXPECT_EQ(-1, device_bytes_mismatch(fd, 0, pg, 0x4b));
	/* One page, of order 0 whatever folio_order says. */
	EXPECT_EQ((long long)pg, device_allocated_bytes());
	munmap(map, 2 * pg);
	close(fd);
}

/*
 * 1.5 PMDs with PMD-order folios (size=3M folio_order=9 with 4 KiB pages,
 * size=48M folio_order=11 with 16 KiB pages): one PMD-sized folio, then
 * smaller ones for the tail.
 */
TEST_F(module_edge, size_pmd_and_a_half_tail_smaller_folios)
{
	size_t size = pmd_bytes() + pmd_bytes() / 2, pg = page_bytes(), i;
	size_t len = 2 * pmd_bytes();
	uint64_t seed = pattern_seed(__func__);
	char args[64], *map;
	int fd;

	snprintf(args, sizeof(args), "size=%zu folio_order=%d", size,
		 pmd_page_order());
	load_edge(_metadata, args);
	ASSERT_EQ(size, device_size());
	ASSERT_EQ(pmd_page_order(),
		  device_attr_read(MMAPDEMO_ATTR_FOLIO_ORDER));
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	map = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE,
		      MAP_SHARED, 0);
	/* Every page, written one by one. */
	for (i = 0; i < size; i += pg)
		pattern_fill_from(map + i, pg, seed, i);
	EXPECT_EQ(-1, device_pattern_mismatch(fd, size, 0, seed));
	EXPECT_EQ(-1, pattern_mismatch(map, size, seed));
	/* Nothing past the end: the last half PMD is not in a huge folio. */
	EXPECT_LE(device_allocated_bytes(), (long long)size);
	EXPECT_EQ((long long)size, device_allocated_bytes());
	EXPECT_EQ((long)(pmd_bytes() / KIB), smaps_kb(map, "FilePmdMapped"));
	EXPECT_EQ(SIGBUS, guarded_read_signal(map + size));
	munmap(map, len);
	close(fd);
}

TEST_F(module_edge, max_size_equal_to_size_loads)
{
	size_t pg = page_bytes();
	struct mmapdemo_info info;
	int fd;

	load_edge(_metadata, "size=8M max_size=8M");
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	info = info_of(_metadata, fd);
	EXPECT_EQ(8 * MIB, info.size);
	EXPECT_EQ(8 * MIB, info.max_size);
	EXPECT_EQ(-EINVAL, device_resize(fd, 8 * MIB + pg));
	EXPECT_EQ(0, device_resize(fd, 4 * MIB));
	EXPECT_EQ(0, device_resize(fd, 8 * MIB));
	close(fd);
}

/*
 * A parameter the module does not have: the kernel's loader only logs
 * "unknown parameter 'NAME' ignored" and loads (pinned), which is why
 * mmapdemo-ctl refuses it itself (usage error, exit 2, not loaded).
 */
TEST_F(module_edge, unknown_parameter_kernel_ignores_ctl_refuses)
{
	char line[512], all[4096] = "", out[2048];
	int status;

	status = module_load("colour=blue", out, sizeof(out));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) {
		TH_LOG("mmapdemo-ctl load colour=blue: status %#x: %s",
		       status, out);
	}
	EXPECT_NE(NULL, strstr(out, "unknown module parameter 'colour'"));
	EXPECT_FALSE(module_loaded());

	EXPECT_EQ(0, kernel_load("colour=blue"));
	EXPECT_TRUE(module_loaded());
	EXPECT_TRUE(kmsg_find(self->kmsg, "unknown parameter 'colour' ignored",
			      line, sizeof(line), all, sizeof(all))) {
		TH_LOG("kernel log:\n%s", all);
	}
	EXPECT_EQ(64 * MIB, device_size());
}

DEVICE_FIXTURE(device)

/* ---- mmap() past the end of the device ---- */

TEST_F(device, mmap_wholly_past_end_maps_then_sigbus)
{
	size_t pg = page_bytes(), size = device_size();
	off_t offs[] = { (off_t)size, (off_t)size + (off_t)MIB,
			 (off_t)1 << 40 };
	unsigned int i;
	char *map;
	int fd;

	fd = self->fd;
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		map = map_dev(_metadata, fd, pg, PROT_READ | PROT_WRITE,
			      MAP_SHARED, offs[i]);
		EXPECT_EQ(SIGBUS, guarded_read_signal(map));
		EXPECT_EQ(SIGBUS, guarded_write_signal(map));
		munmap(map, pg);
		/* Private: a write needs the page to copy from. */
		map = map_dev(_metadata, fd, pg, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE, offs[i]);
		EXPECT_EQ(SIGBUS, guarded_write_signal(map)) {
			TH_LOG("offset %#llx", (unsigned long long)offs[i]);
		}
		munmap(map, pg);
	}
	close(fd);
}

/*
 * MAP_POPULATE and MAP_LOCKED prefault, and a page past the end cannot be
 * faulted: mmap() still succeeds (do_mmap ignores populate errors); the
 * page inside works, the one past the end is SIGBUS.
 */
TEST_F(device, mmap_populate_locked_over_end_succeed)
{
	size_t pg = page_bytes(), size = device_size();
	int flags[] = { MAP_SHARED | MAP_POPULATE, MAP_PRIVATE | MAP_POPULATE,
			MAP_SHARED | MAP_LOCKED };
	unsigned int i;
	char *map;
	int fd;

	fd = self->fd;
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		map = map_dev(_metadata, fd, 2 * pg, PROT_READ | PROT_WRITE,
			      flags[i], size - pg);
		EXPECT_EQ(0, guarded_read_signal(map + pg - 1));
		EXPECT_EQ(SIGBUS, guarded_read_signal(map + pg)) {
			TH_LOG("flags %#x", flags[i]);
		}
		munmap(map, 2 * pg);
	}
	close(fd);
}

/*
 * Asked explicitly, populating a page past the end fails: MADV_POPULATE_*
 * with EFAULT, mlock() with ENOMEM (its EFAULT from populating is turned
 * into ENOMEM by __mlock_posix_error_return()). Pinned.
 */
TEST_F(device, madvise_populate_mlock_over_end_fail)
{
	size_t pg = page_bytes(), size = device_size();
	char *map;
	int fd;

	fd = self->fd;
	map = map_dev(_metadata, fd, 2 * pg, PROT_READ | PROT_WRITE,
		      MAP_SHARED, size - pg);
	/* Control: the page inside can be populated and locked. */
	EXPECT_EQ(0, madvise(map, pg, MADV_POPULATE_READ));
	EXPECT_EQ(0, madvise(map, pg, MADV_POPULATE_WRITE));
	EXPECT_EQ(0, mlock(map, pg));
	EXPECT_EQ(0, munlock(map, pg));

	errno = 0;
	EXPECT_EQ(-1, madvise(map, 2 * pg, MADV_POPULATE_READ));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, madvise(map, 2 * pg, MADV_POPULATE_WRITE));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, mlock(map, 2 * pg));
	EXPECT_EQ(ENOMEM, errno);
	munlock(map, 2 * pg);
	munmap(map, 2 * pg);
	close(fd);
}

/*
 * The kernel copying from or to a mapped page past the end gets the
 * fault, and the system call returns EFAULT: no SIGBUS is sent.
 */
TEST_F(device, syscall_buffer_past_end_efault)
{
	size_t pg = page_bytes(), size = device_size();
	int fd, pipefd[2];
	char *map, *past;

	fd = self->fd;
	map = map_dev(_metadata, fd, 2 * pg, PROT_READ | PROT_WRITE,
		      MAP_SHARED, size - pg);
	past = map + pg;
	ASSERT_EQ(0, pipe(pipefd));

	errno = 0;
	EXPECT_EQ(-1, write(pipefd[1], past, 16));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, pread(fd, past, 16, region(_metadata)));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, pwrite(fd, past, 16, region(_metadata)));
	EXPECT_EQ(EFAULT, errno);
	/* Control: the page inside the device works as a buffer. */
	EXPECT_EQ(16, write(pipefd[1], map, 16));
	close(pipefd[0]);
	close(pipefd[1]);
	munmap(map, 2 * pg);
	close(fd);
}

/* ---- read/write/lseek offsets ---- */

TEST_F(device, rw_negative_offset_einval)
{
	struct iovec iov;
	char buf[16] = "";
	int fd;

	fd = self->fd;
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	errno = 0;
	EXPECT_EQ(-1, pread(fd, buf, 1, -1));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, pwrite(fd, buf, 1, -1));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, pread(fd, buf, 1, -(off_t)page_bytes()));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, preadv(fd, &iov, 1, -1));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, pwritev(fd, &iov, 1, LLONG_MIN));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/*
 * offset + length past LLONG_MAX: EINVAL for a device (rw_verify_area();
 * only files with FMODE_UNSIGNED_OFFSET, like /dev/mem, get EOVERFLOW).
 * Pinned. Just below the limit it is an offset past the end: 0 / ENOSPC.
 */
TEST_F(device, rw_offset_plus_length_overflow_einval)
{
	char buf[4096] = "";
	int fd;

	fd = self->fd;
	errno = 0;
	EXPECT_EQ(-1, pread(fd, buf, sizeof(buf), LLONG_MAX - 100));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, pwrite(fd, buf, sizeof(buf), LLONG_MAX - 100));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, pread(fd, buf, 1, LLONG_MAX));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(0, pread(fd, buf, sizeof(buf), LLONG_MAX - sizeof(buf)));
	errno = 0;
	EXPECT_EQ(-1, pwrite(fd, buf, sizeof(buf), LLONG_MAX - sizeof(buf)));
	EXPECT_EQ(ENOSPC, errno);
	close(fd);
}

/* A failed lseek() leaves the file position where it was. */
#define EXPECT_LSEEK_EINVAL(fd, off, whence, pos)			\
	do {								\
		int __fd = (fd);					\
		off_t __off = (off);					\
									\
		errno = 0;						\
		EXPECT_EQ(-1, lseek(__fd, __off, whence)) {		\
			TH_LOG("lseek(%lld, %s)", (long long)__off, #whence); \
		}							\
		EXPECT_EQ(EINVAL, errno);				\
		EXPECT_EQ((off_t)(pos), lseek(__fd, 0, SEEK_CUR));	\
	} while (0)

TEST_F(device, lseek_beyond_end_einval)
{
	off_t size = device_size(), pos = page_bytes();
	int fd;

	fd = self->fd;
	ASSERT_EQ(pos, lseek(fd, pos, SEEK_SET));
	EXPECT_LSEEK_EINVAL(fd, size + 1, SEEK_SET, pos);
	EXPECT_LSEEK_EINVAL(fd, LLONG_MAX, SEEK_SET, pos);
	EXPECT_LSEEK_EINVAL(fd, 1, SEEK_END, pos);
	EXPECT_LSEEK_EINVAL(fd, size - pos + 1, SEEK_CUR, pos);
	/* Control: exactly the end is a valid position. */
	EXPECT_EQ(size, lseek(fd, size, SEEK_SET));
	EXPECT_EQ(size, lseek(fd, 0, SEEK_END));
	close(fd);
}

TEST_F(device, lseek_negative_einval)
{
	off_t size = device_size(), pos = page_bytes();
	int fd;

	fd = self->fd;
	ASSERT_EQ(pos, lseek(fd, pos, SEEK_SET));
	EXPECT_LSEEK_EINVAL(fd, -1, SEEK_SET, pos);
	EXPECT_LSEEK_EINVAL(fd, LLONG_MIN, SEEK_SET, pos);
	EXPECT_LSEEK_EINVAL(fd, -pos - 1, SEEK_CUR, pos);
	EXPECT_LSEEK_EINVAL(fd, -size - 1, SEEK_END, pos);
	/* Control: back to exactly 0. */
	EXPECT_EQ(0, lseek(fd, -size, SEEK_END));
	close(fd);
}

/*
 * fixed_size_llseek() accepts SEEK_SET, SEEK_CUR and SEEK_END only: the
 * device cannot say where its holes are. Pinned.
 */
TEST_F(device, lseek_seek_data_seek_hole_einval)
{
	int fd;

	fd = self->fd;
	EXPECT_LSEEK_EINVAL(fd, 0, SEEK_DATA, 0);
	EXPECT_LSEEK_EINVAL(fd, 0, SEEK_HOLE, 0);
	EXPECT_LSEEK_EINVAL(fd, 0, 5, 0);
	close(fd);
}

TEST_F(device, rw_at_end_eof_enospc)
{
	off_t size = device_size();
	struct iovec iov;
	char buf[64];
	int fd;

	fd = self->fd;
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	memset(buf, 0x5e, sizeof(buf));
	EXPECT_EQ(0, pread(fd, buf, sizeof(buf), size));
	EXPECT_EQ(0, pread(fd, buf, sizeof(buf), size + (off_t)MIB));
	EXPECT_EQ(0, preadv(fd, &iov, 1, size));
	errno = 0;
	EXPECT_EQ(-1, pwrite(fd, buf, sizeof(buf), size));
	EXPECT_EQ(ENOSPC, errno);
	errno = 0;
	EXPECT_EQ(-1, pwrite(fd, buf, sizeof(buf), size + (off_t)MIB));
	EXPECT_EQ(ENOSPC, errno);
	errno = 0;
	EXPECT_EQ(-1, pwritev(fd, &iov, 1, size));
	EXPECT_EQ(ENOSPC, errno);

	/* At the file position, after seeking to the end. */
	ASSERT_EQ(size, lseek(fd, 0, SEEK_END));
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	errno = 0;
	EXPECT_EQ(-1, write(fd, buf, sizeof(buf)));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(size, lseek(fd, 0, SEEK_CUR));
	close(fd);
}

TEST_F(device, write_crossing_end_short)
{
	size_t pg = page_bytes();
	off_t size = device_size(), start = size - (off_t)pg;
	uint64_t seed = pattern_seed(__func__);
	unsigned char *buf = malloc(2 * pg);
	struct iovec iov[2];
	int fd;

	ASSERT_NE(NULL, buf);
	fd = self->fd;
	pattern_fill(buf, 2 * pg, seed);
	EXPECT_EQ((ssize_t)pg, pwrite(fd, buf, 2 * pg, start));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, pg, start, seed));
	/* Reading across the end is short the same way. */
	memset(buf, 0, 2 * pg);
	EXPECT_EQ((ssize_t)pg, pread(fd, buf, 2 * pg, start));
	EXPECT_EQ(-1, pattern_mismatch(buf, pg, seed));

	/* writev(): the first vector fits, the second is past the end. */
	pattern_fill(buf, 2 * pg, seed ^ 1);
	iov[0].iov_base = buf;
	iov[0].iov_len = pg / 2;
	iov[1].iov_base = buf + pg / 2;
	iov[1].iov_len = pg + pg / 2;
	EXPECT_EQ((ssize_t)pg, pwritev(fd, iov, 2, start));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, pg, start, seed ^ 1));

	/* write() advances to the end and stops there. */
	ASSERT_EQ(start + (off_t)pg / 2, lseek(fd, start + pg / 2, SEEK_SET));
	EXPECT_EQ((ssize_t)pg / 2, write(fd, buf, pg));
	EXPECT_EQ(size, lseek(fd, 0, SEEK_CUR));
	free(buf);
	close(fd);
}

/* ---- open flags ---- */

TEST_F(device, open_append_einval)
{
	int modes[] = { O_RDWR, O_WRONLY, O_RDONLY };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		errno = 0;
		EXPECT_EQ(-1, device_open(modes[i] | O_APPEND)) {
			TH_LOG("mode %#x", modes[i]);
		}
		EXPECT_EQ(EINVAL, errno);
	}
}

/*
 * fcntl(F_SETFL) may set O_APPEND later: the VFS allows it, the driver
 * then refuses write() and pwrite() (which appends under O_APPEND) with
 * EINVAL. Reading still works, and clearing O_APPEND restores writing.
 */
TEST_F(device, fcntl_setfl_append_then_write_einval)
{
	uint64_t seed = pattern_seed(__func__);
	char buf[64];
	off_t off;
	int fd;

	fd = self->fd;
	off = region(_metadata);
	ASSERT_EQ(0, device_write_pattern_from(fd, REGION_LEN, off, seed, off));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_APPEND));
	ASSERT_TRUE(fcntl(fd, F_GETFL) & O_APPEND);

	memset(buf, 0x41, sizeof(buf));
	errno = 0;
	EXPECT_EQ(-1, pwrite(fd, buf, sizeof(buf), off));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(off, lseek(fd, off, SEEK_SET));
	errno = 0;
	EXPECT_EQ(-1, write(fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, device_pattern_mismatch_from(fd, REGION_LEN, off, seed, off));

	ASSERT_EQ(0, fcntl(fd, F_SETFL, 0));
	EXPECT_EQ((ssize_t)sizeof(buf), pwrite(fd, buf, sizeof(buf), off));
	close(fd);
}

/* A device has no length to truncate to: O_TRUNC is ignored by the VFS. */
TEST_F(device, open_trunc_no_effect)
{
	uint64_t seed = pattern_seed(__func__);
	size_t size = device_size();
	long long before;
	off_t off;
	int fd, tfd;

	fd = self->fd;
	off = region(_metadata);
	ASSERT_EQ(0, device_write_pattern_from(fd, REGION_LEN, off, seed, off));
	before = device_allocated_bytes();

	tfd = open_dev(_metadata, O_RDWR | O_TRUNC | O_CLOEXEC);
	EXPECT_EQ(size, device_size());
	EXPECT_EQ((off_t)size, lseek(tfd, 0, SEEK_END));
	EXPECT_EQ(before, device_allocated_bytes());
	EXPECT_EQ(-1, device_pattern_mismatch_from(tfd, REGION_LEN, off, seed, off));
	close(tfd);
	tfd = open_dev(_metadata, O_WRONLY | O_TRUNC | O_CLOEXEC);
	close(tfd);
	EXPECT_EQ(-1, device_pattern_mismatch_from(fd, REGION_LEN, off, seed, off));
	close(fd);
}

/*
 * No cache to bypass: the device's address_space has no direct_IO, so the
 * VFS refuses O_DIRECT at open() and at fcntl(F_SETFL) alike.
 */
TEST_F(device, open_direct_einval)
{
	int modes[] = { O_RDWR, O_RDONLY, O_WRONLY };
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		errno = 0;
		EXPECT_EQ(-1, device_open(modes[i] | O_DIRECT)) {
			TH_LOG("mode %#x", modes[i]);
		}
		EXPECT_EQ(EINVAL, errno);
	}
	fd = self->fd;
	errno = 0;
	EXPECT_EQ(-1, fcntl(fd, F_SETFL, O_DIRECT));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_FALSE(fcntl(fd, F_GETFL) & O_DIRECT);
	close(fd);
}

/* Accepted and without effect: the device never blocks, never caches. */
TEST_F(device, open_nonblock_sync_dsync_accepted)
{
	int flags[] = { O_NONBLOCK, O_SYNC, O_DSYNC, O_NONBLOCK | O_SYNC };
	uint64_t seed = pattern_seed(__func__);
	unsigned int i;
	off_t off;
	int fd;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		fd = device_open(O_RDWR | O_CLOEXEC | flags[i]);
		ASSERT_LE(0, fd) {
			TH_LOG("flags %#x: %s", flags[i], strerror(errno));
		}
		off = region(_metadata);
		EXPECT_EQ(flags[i], fcntl(fd, F_GETFL) & flags[i]);
		EXPECT_EQ(0, device_write_pattern_from(fd, REGION_LEN, off,
						     seed + i, off));
		EXPECT_EQ(-1, device_pattern_mismatch_from(fd, REGION_LEN, off,
						      seed + i, off));
		close(fd);
	}
}

TEST_HARNESS_MAIN
