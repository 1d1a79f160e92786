// SPDX-License-Identifier: GPL-2.0
/*
 * Security properties of /dev/mmapdemo.
 *
 * - Fresh pages are zero: no process ever sees what earlier users of the
 *   memory left there. Checked where the driver hands out new memory
 *   after old memory was freed, so that a missing __GFP_ZERO would most
 *   likely hand the old pattern back (freed pages are reused first): after
 *   a module reload, after a shrink and grow, after a punch, and for a
 *   private mapping of a page never touched. The pages are read through
 *   mappings, whose faults allocate them (read() of a hole would return
 *   zeros without allocating anything). Debian's kernels zero every page
 *   allocation themselves (init_on_alloc=1 by default), which would hide
 *   a driver that forgot to: each of these tests logs which case the run
 *   is; booted with init_on_alloc=0 they fail without __GFP_ZERO.
 * - No kernel address leaks: every sysfs attribute of the device, every
 *   module parameter, the INFO structure, the output of `mmapdemo-ctl
 *   status` and `info` (plain and --json) and the driver's kernel log
 *   lines hold nothing that looks like a kernel pointer (0xffff...,
 *   or the same as a decimal number).
 * - /dev/mmapdemo is a character device, mode 0600, owned by root:root,
 *   and a process without privileges (setresuid(65534), no capabilities)
 *   cannot open it for reading or writing (EACCES), nor unload the
 *   module (EPERM).
 * - The device's memory is charged to the memory cgroup of the process
 *   that touches it first (__GFP_ACCOUNT), and uncharged when freed: a
 *   child in a cgroup of its own writes CG_LEN of fresh device pages and
 *   the group's memory.current grows by at least that; punching them
 *   gives it back. No memory.max is set: the memcg OOM killer's report
 *   would fail the run.
 *
 * Every test starts from a fresh device (device_fresh()); those about what
 * a load leaves behind reload the module. The teardown, in the parent so
 * that it also runs after a crash, removes the cgroup (and what it set up
 * for it) and leaves the module loaded with the run's arguments at its
 * load-time size.
 */

#include <dirent.h>
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
#include "kmsg.h"
#include "fixture.h"

/*
 * Lengths and offsets in whole PMDs, so that a punch frees what it covers:
 * 4, 8 and 16 MiB with 4 KiB pages, each rounded up to one 32 MiB PMD
 * with 16 KiB pages.
 */
#define REGION_LEN	align_up(4 * MIB, pmd_bytes())
#define CG_LEN		align_up(8 * MIB, pmd_bytes())
#define CG_OFF		align_up(16 * MIB, pmd_bytes())

/* What the memcg test set up, for its cleanup and the teardown. */
struct cgroup_state {
	char root[128];		/* the cgroup2 mount */
	char group[256];	/* the test's group, "" when none */
	bool mounted;		/* root was mounted by the test */
	bool enabled_memory;	/* +memory was written to root */
};

FIXTURE(security) {
	struct cgroup_state cg;
};

FIXTURE_SETUP(security)
{
	ASSERT_NE(NULL, getenv("MMAPDEMO_KO"));
	ASSERT_TRUE(module_loaded());
	memset(self, 0, sizeof(*self));
	close(device_fresh(_metadata));
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -errno;
}

/* Undo what the memcg test set up, whatever state it got to. */
static void cgroup_cleanup(struct cgroup_state *cg)
{
	char path[300];
	double deadline = now_s() + 3;

	if (cg->group[0]) {
		/* The child is gone; the group may take a moment to empty. */
		while (rmdir(cg->group) && errno == EBUSY &&
		       now_s() < deadline)
			usleep(20000);
		cg->group[0] = '\0';
	}
	if (cg->enabled_memory) {
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control",
			 cg->root);
		while (write_text(path, "-memory") == -EBUSY &&
		       now_s() < deadline)
			usleep(20000);
		cg->enabled_memory = false;
	}
	if (cg->mounted) {
		umount2(cg->root, MNT_DETACH);
		rmdir(cg->root);
		cg->mounted = false;
	}
}

FIXTURE_TEARDOWN_PARENT(security)
{
	cgroup_cleanup(&self->cg);
	module_restore(false);
	EXPECT_TRUE(module_loaded());
	EXPECT_EQ(module_param_size(), device_size());
}

static off_t region(struct __test_metadata *_metadata)
{
	long long off = device_region(_metadata, REGION_LEN);

	ASSERT_LE(0, off) {
		TH_LOG("the device (%zu bytes) is too small", device_size());
	}
	return (off_t)off;
}

/*
 * A new fd, with the region (*@off) filled from @seed: the old data that
 * the fresh-page tests must never see again.
 */
static int open_filled_region(struct __test_metadata *_metadata,
			      uint64_t seed, off_t *off)
{
	int fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);

	*off = region(_metadata);
	ASSERT_EQ(0, device_write_pattern_from(fd, REGION_LEN, *off, seed,
					       *off));
	return fd;
}

/*
 * Debian's kernels are built with CONFIG_INIT_ON_ALLOC_DEFAULT_ON: then
 * the page allocator zeroes every allocation itself, and the fresh-page
 * checks hold even without the driver's __GFP_ZERO. They were seen to
 * fail without it when booted with init_on_alloc=0. Say which case this
 * run is (the boot log's "mem auto-init:" line).
 */
static void log_kernel_zeroing(struct __test_metadata *_metadata)
{
	int fd = kmsg_open(false);
	char line[256];

	if (fd < 0 || !kmsg_find(fd, "mem auto-init:", line, sizeof(line),
				 NULL, 0))
		snprintf(line, sizeof(line), "mem auto-init: not in the log");
	if (fd >= 0)
		close(fd);
	TH_LOG("%s", line);
	if (strstr(line, "heap alloc:on"))
		TH_LOG("the kernel zeroes all pages (init_on_alloc): %s",
		       "the driver's own zeroing is tested only without it");
}

/*
 * Read [off, off + len) of the device through a new shared mapping, which
 * allocates every folio that is not there yet: the offset of the first
 * non-zero byte, or -1.
 */
static long mapped_nonzero(struct __test_metadata *_metadata, int fd,
			   off_t off, size_t len)
{
	char *map = map_dev(_metadata, fd, len, PROT_READ, MAP_SHARED, off);
	long ret = bytes_mismatch(map, len, 0);

	munmap(map, len);
	return ret;
}

TEST_F_TIMEOUT(security, fresh_pages_zero_after_reload, 90)
{
	size_t len = 32 * MIB;
	uint64_t seed = pattern_seed(__func__);
	char out[512];
	int fd;

	log_kernel_zeroing(_metadata);

	ASSERT_LE(len, device_size());
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	ASSERT_EQ(0, device_write_pattern(fd, len, 0, seed));
	close(fd);
	ASSERT_EQ(0, module_reload(NULL, out, sizeof(out))) {
		TH_LOG("reload: %s", out);
	}
	ASSERT_EQ(0, device_allocated_bytes());

	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	EXPECT_EQ(-1, mapped_nonzero(_metadata, fd, 0, len));
	/* The mapping allocated them all: these are new pages, not holes. */
	EXPECT_EQ((long long)len, device_allocated_bytes());
	EXPECT_EQ(-1, device_bytes_mismatch(fd, 0, len, 0));
	close(fd);
}

TEST_F_TIMEOUT(security, fresh_pages_zero_after_shrink_and_grow, 60)
{
	/* 4 and 16 MiB, or one PMD each: folio boundaries, nothing cut. */
	size_t end = align_up(4 * MIB, pmd_bytes());
	size_t len = align_up(16 * MIB, pmd_bytes()), size = device_size();
	uint64_t seed = pattern_seed(__func__);
	long long before;
	int fd;

	log_kernel_zeroing(_metadata);

	ASSERT_LE(end + len, size);
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	ASSERT_EQ(0, device_write_pattern_from(fd, len, end, seed, end));
	resize_dev(_metadata, fd, end);
	resize_dev(_metadata, fd, size);
	before = device_allocated_bytes();

	EXPECT_EQ(-1, mapped_nonzero(_metadata, fd, end, len));
	EXPECT_EQ(before + (long long)len, device_allocated_bytes());
	close(fd);
}

TEST_F(security, fresh_pages_zero_after_punch)
{
	uint64_t seed = pattern_seed(__func__);
	long long before;
	off_t off;
	int fd;

	log_kernel_zeroing(_metadata);

	fd = open_filled_region(_metadata, seed, &off);
	before = device_allocated_bytes();
	punch_dev(_metadata, fd, off, REGION_LEN);
	EXPECT_EQ(before - (long long)REGION_LEN, device_allocated_bytes());

	EXPECT_EQ(-1, mapped_nonzero(_metadata, fd, off, REGION_LEN));
	EXPECT_EQ(before, device_allocated_bytes());
	close(fd);
}

/*
 * A private mapping of pages nobody touched: reading them maps new device
 * pages, writing one copies a new device page. Both are all zeros
 * besides what was written.
 */
TEST_F(security, fresh_pages_zero_private_mapping_untouched_page)
{
	size_t pg = page_bytes(), half = REGION_LEN / 2;
	uint64_t seed = pattern_seed(__func__);
	char *priv;
	off_t off;
	int fd;

	log_kernel_zeroing(_metadata);

	fd = open_filled_region(_metadata, seed, &off);
	punch_dev(_metadata, fd, off, REGION_LEN);

	priv = map_dev(_metadata, fd, REGION_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE, off);
	EXPECT_EQ(-1, bytes_mismatch(priv, half, 0));
	/* Written first: the copy-on-write copy of a fresh page. */
	priv[half + pg / 2] = 0x42;
	EXPECT_EQ(-1, bytes_mismatch(priv + half, pg / 2, 0));
	EXPECT_EQ(-1, bytes_mismatch(priv + half + pg / 2 + 1,
				     REGION_LEN - half - pg / 2 - 1, 0));
	EXPECT_EQ(0x42, priv[half + pg / 2]);
	munmap(priv, REGION_LEN);
	close(fd);
}

/* ---- no kernel addresses ---- */

/*
 * Where kernel addresses start: 0xffff8000_00000000 on x86-64 (4-level
 * paging); on arm64 0xffff0000_00000000 with 48-bit and 0xffff8000_...
 * with 47-bit virtual addresses (16 KiB pages), 0xfff00000_00000000 with
 * 52-bit ones, so the prefix is one digit shorter there.
 */
#ifdef __aarch64__
#define KERNEL_VA_START		0xfff0000000000000ULL
#define KERNEL_HEX_PREFIX	"fff"
#else
#define KERNEL_VA_START		0xffff800000000000ULL
#define KERNEL_HEX_PREFIX	"ffff"
#endif

/*
 * Whether @text holds something that looks like a kernel address
 * (KERNEL_VA_START and up): a run of at least 12 hex digits starting with
 * KERNEL_HEX_PREFIX, a decimal number that large, or a negative decimal
 * number below -2^32 (kernel addresses printed with %ld are -2^52 ... -1;
 * nothing the driver reports is negative). The first such word goes to
 * @hit.
 */
static bool has_kernel_pointer(const char *text, char *hit, size_t len)
{
	const unsigned long long kernel_start = KERNEL_VA_START;
	const char *p = text;

	while (*p) {
		size_t hex = strspn(p, "0123456789abcdefABCDEF");
		size_t dec = strspn(p, "0123456789");
		bool neg = p > text && p[-1] == '-';
		bool found = false;

		if (!hex) {
			p++;
			continue;
		}
		if (hex >= 12 && !strncasecmp(p, KERNEL_HEX_PREFIX,
					      strlen(KERNEL_HEX_PREFIX)))
			found = true;
		if (dec == hex) {
			unsigned long long v;

			errno = 0;
			v = strtoull(p, NULL, 10);
			if (errno == ERANGE || (!neg && v >= kernel_start) ||
			    (neg && v >= (1ULL << 32)))
				found = true;
		}
		if (found) {
			snprintf(hit, len, "%.*s%.*s", neg ? 1 : 0, "-",
				 (int)hex, p);
			return true;
		}
		p += hex;
	}
	return false;
}

/*
 * Check every readable regular file of @dir, and of its subdirectories
 * down to @depth levels (symlinks are not followed): the number read.
 */
static int scan_dir(struct __test_metadata *_metadata, const char *dir,
		    int depth)
{
	struct dirent *de;
	int files = 0;
	DIR *d;

	d = opendir(dir);
	ASSERT_NE(NULL, d) {
		TH_LOG("opendir(%s): %s", dir, strerror(errno));
	}
	while ((de = readdir(d))) {
		char path[512], hit[64];
		struct stat st;
		char *text;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode) && depth > 0) {
			files += scan_dir(_metadata, path, depth - 1);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !(st.st_mode & 0444))
			continue;
		text = read_text_file(path);
		if (!text)
			continue;	/* e.g. power/autosuspend_delay_ms: EIO */
		files++;
		EXPECT_FALSE(has_kernel_pointer(text, hit, sizeof(hit))) {
			TH_LOG("%s: %s", path, hit);
		}
		free(text);
	}
	closedir(d);
	return files;
}

/* The scanner itself: it must find addresses in each form it claims. */
TEST_F(security, kernel_pointer_scanner_self_check)
{
	char hit[64];

	EXPECT_TRUE(has_kernel_pointer("x 0xffff888003a1c000\n", hit, 64));
	EXPECT_TRUE(has_kernel_pointer("ffffffffc0a01000", hit, 64));
	/* arm64's linear map with 48-bit virtual addresses. */
	EXPECT_TRUE(has_kernel_pointer("pa 0xffff00000a1b2000", hit, 64));
	EXPECT_TRUE(has_kernel_pointer("at 18446612682130751488.", hit, 64));
	EXPECT_TRUE(has_kernel_pointer("val=-131387346239488", hit, 64));
	EXPECT_FALSE(has_kernel_pointer("size: 67108864 (64 MiB)\n", hit, 64));
	EXPECT_FALSE(has_kernel_pointer("features 0x7 max 1073741824", hit, 64));
	EXPECT_FALSE(has_kernel_pointer("10:123\nDEVNAME=mmapdemo", hit, 64));
}

TEST_F(security, no_kernel_pointer_in_sysfs_and_parameters)
{
	int files;

	/* The driver's attributes, dev, uevent and power/. */
	files = scan_dir(_metadata, MMAPDEMO_SYSFS_DIR, 1);
	TH_LOG("%d files read in %s", files, MMAPDEMO_SYSFS_DIR);
	EXPECT_LE(7, files);
	files = scan_dir(_metadata, MODULE_PARAM_DIR, 0);
	EXPECT_EQ(3, files);
}

TEST_F(security, no_kernel_pointer_in_info)
{
	struct mmapdemo_info info;
	char text[512], hit[64];
	int fd;

	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	info = info_of(_metadata, fd);
	snprintf(text, sizeof(text), "%u %u %llu %llu %llu %llu %llu %llu %llu",
		 info.abi_version, info.folio_order,
		 (unsigned long long)info.size,
		 (unsigned long long)info.max_size,
		 (unsigned long long)info.features,
		 (unsigned long long)info.allocated_bytes,
		 (unsigned long long)info.reserved[0],
		 (unsigned long long)info.reserved[1],
		 (unsigned long long)info.reserved[2]);
	EXPECT_FALSE(has_kernel_pointer(text, hit, sizeof(hit))) {
		TH_LOG("INFO: %s: %s", text, hit);
	}
	close(fd);
}

TEST_F(security, no_kernel_pointer_in_ctl_output)
{
	static char *const cmds[][4] = {
		{ "mmapdemo-ctl", "status", NULL },
		{ "mmapdemo-ctl", "status", "--json", NULL },
		{ "mmapdemo-ctl", "info", NULL },
		{ "mmapdemo-ctl", "info", "--json", NULL },
	};
	char out[8192], hit[64];
	unsigned int i;
	int status;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		status = run_helper(cmds[i], out, sizeof(out), HELPER_TIMEOUT_S);
		EXPECT_EQ(0, status) {
			TH_LOG("mmapdemo-ctl %s %s: %s", cmds[i][1],
			       cmds[i][2] ? cmds[i][2] : "", out);
		}
		/* Something was said: the size, at least. */
		EXPECT_NE(NULL, strstr(out, "size"));
		EXPECT_FALSE(has_kernel_pointer(out, hit, sizeof(hit))) {
			TH_LOG("mmapdemo-ctl %s %s: %s in:\n%s", cmds[i][1],
			       cmds[i][2] ? cmds[i][2] : "", hit, out);
		}
	}
}

/* What the driver logs when it loads (a reload with the run's arguments). */
TEST_F(security, no_kernel_pointer_in_kernel_log)
{
	char out[512], line[512], all[4096] = "", hit[64];
	int kmsg = kmsg_open_end();

	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, module_reload(NULL, out, sizeof(out))) {
		TH_LOG("reload: %s", out);
	}
	EXPECT_TRUE(kmsg_find(kmsg, "mmapdemo: ", line, sizeof(line), all,
			      sizeof(all)));
	TH_LOG("kernel log:\n%s", all);
	EXPECT_FALSE(has_kernel_pointer(all, hit, sizeof(hit))) {
		TH_LOG("%s", hit);
	}
	close(kmsg);
}

/* ---- access ---- */

TEST_F(security, device_node_0600_root_root)
{
	struct stat st;
	dev_t devt;

	ASSERT_EQ(0, stat(MMAPDEMO_DEVICE_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600U, st.st_mode & 07777) {
		TH_LOG("mode %#o", st.st_mode & 07777);
	}
	EXPECT_EQ(0U, st.st_uid);
	EXPECT_EQ(0U, st.st_gid);
	ASSERT_EQ(0, device_devt(&devt));
	EXPECT_EQ(devt, st.st_rdev);
}

/*
 * fork_unprivileged() (lib/child.h) checks O_RDWR itself (exit 12);
 * then O_RDONLY and O_WRONLY, and delete_module() without
 * CAP_SYS_MODULE.
 */
TEST_F(security, unprivileged_open_eacces)
{
	pid_t pid = fork_unprivileged(64 * KIB);

	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (getuid() != 65534 || geteuid() != 65534)
			_exit(20);
		if (device_open(O_RDONLY) >= 0 || errno != EACCES)
			_exit(21);
		if (device_open(O_WRONLY) >= 0 || errno != EACCES)
			_exit(22);
		if (module_delete() != -EPERM)
			_exit(23);
		_exit(0);
	}
	/* 10, 11: setup; 12: O_RDWR opened; 20-23: as above. */
	EXPECT_EQ(0, wait_exit_code(pid));
	EXPECT_TRUE(module_loaded());
}

/* ---- memory cgroup ---- */

/* The cgroup2 mount point, mounting one at a temporary dir if needed. */
static void cgroup2_root(struct __test_metadata *_metadata,
			 struct cgroup_state *cg)
{
	char *mounts = read_text_file("/proc/self/mounts"), *line, *save = NULL;

	ASSERT_NE(NULL, mounts);
	for_each_line(line, mounts, save) {
		char dev[64], dir[128], type[32];

		if (sscanf(line, "%63s %127s %31s", dev, dir, type) == 3 &&
		    !strcmp(type, "cgroup2")) {
			snprintf(cg->root, sizeof(cg->root), "%s", dir);
			break;
		}
	}
	free(mounts);
	if (cg->root[0])
		return;
	snprintf(cg->root, sizeof(cg->root), "/tmp/mmapdemo-cgroup-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(cg->root));
	ASSERT_EQ(0, mount("cgroup2", cg->root, "cgroup2", 0, NULL)) {
		TH_LOG("mount cgroup2: %s", strerror(errno));
		rmdir(cg->root);
	}
	cg->mounted = true;
}

/* memory.current of @group in bytes, -1 if unreadable. */
static long long memory_current(const char *group)
{
	char path[300], *text;
	long long v;

	snprintf(path, sizeof(path), "%s/memory.current", group);
	text = read_text_file(path);
	if (!text)
		return -1;
	v = strtoll(text, NULL, 10);
	free(text);
	return v;
}

TEST_F_TIMEOUT(security, memory_charged_to_callers_cgroup, 60)
{
	char path[300], pidstr[32], *text, c;
	long long base, peak, after;
	int ready[2], go[2], done[2];
	off_t off = CG_OFF;
	pid_t pid;
	int fd;

	/* The device grows if CG_LEN at CG_OFF does not fit in it. */
	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	if (device_size() < off + CG_LEN)
		resize_dev(_metadata, fd, off + CG_LEN);
	/*
	 * Without /proc/cgroups the kernel has no cgroups at all (the small
	 * debug kernel). Newer kernels list there only the controllers that
	 * cgroup v1 has (7.3's proc_cgroupstats_show() skips those for which
	 * cgroup1_subsys_absent(): memcg without CONFIG_MEMCG_V1, as in
	 * Debian's 7.x), so memcg itself is looked up in cgroup2's
	 * controllers.
	 */
	text = read_text_file("/proc/cgroups");
	if (!text)
		SKIP(return, "kernel without CONFIG_CGROUPS: nothing to charge to");
	free(text);
	cgroup2_root(_metadata, &self->cg);
	snprintf(path, sizeof(path), "%s/cgroup.controllers", self->cg.root);
	text = read_text_file(path);
	ASSERT_NE(NULL, text);
	if (!strstr(text, "memory")) {
		free(text);
		cgroup_cleanup(&self->cg);
		SKIP(return, "kernel without CONFIG_MEMCG: no memory controller in cgroup2");
	}
	free(text);
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control",
		 self->cg.root);
	text = read_text_file(path);
	ASSERT_NE(NULL, text);
	if (!strstr(text, "memory")) {
		ASSERT_EQ(0, write_text(path, "+memory"));
		self->cg.enabled_memory = true;
	}
	free(text);
	snprintf(self->cg.group, sizeof(self->cg.group),
		 "%s/mmapdemo-security-%d", self->cg.root, getpid());
	ASSERT_EQ(0, mkdir(self->cg.group, 0755)) {
		self->cg.group[0] = '\0';
	}

	/* Fresh pages: nothing there, so the child's touch allocates. */
	punch_dev(_metadata, fd, off, CG_LEN);

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *map;

		if (read(go[0], &c, 1) != 1)
			_exit(10);
		map = mmap(NULL, CG_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, off);
		if (map == MAP_FAILED)
			_exit(11);
		memset(map, 0x6d, CG_LEN);
		if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) != 1)
			_exit(12);
		_exit(0);
	}
	/* Only the child writes these: EOF if it dies. */
	close(ready[1]);
	close(go[0]);
	close(done[0]);
	snprintf(path, sizeof(path), "%s/cgroup.procs", self->cg.group);
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	EXPECT_EQ(0, write_text(path, pidstr));
	base = memory_current(self->cg.group);
	ASSERT_LE(0, base);
	c = 'g';
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(1, read(ready[0], &c, 1));
	peak = memory_current(self->cg.group);
	ASSERT_EQ(1, write(done[1], &c, 1));
	EXPECT_EQ(0, wait_exit_code(pid));

	/* Freed (the child's mapping is gone with it): uncharged. */
	punch_dev(_metadata, fd, off, CG_LEN);
	after = memory_current(self->cg.group);
	TH_LOG("memory.current, KiB: %lld; %lld after writing %lu; %lld after the punch",
	       base / 1024, peak / 1024, CG_LEN / KIB, after / 1024);
	EXPECT_GE(peak - base, (long long)CG_LEN);
	/* 1 MiB: the per-CPU charge stock and the child's own pages. */
	EXPECT_LE(after, peak - (long long)CG_LEN + (long long)MIB);
	close(fd);
	cgroup_cleanup(&self->cg);
}

TEST_HARNESS_MAIN
