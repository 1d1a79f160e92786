// SPDX-License-Identifier: GPL-2.0
/*
 * exec() and device mappings (seed 001: "a process loses its mappings on
 * exec(), while a fork() child inherits them"): the new image has no mapping
 * of the device; an fd inherited across exec (no O_CLOEXEC) can be mapped
 * afresh there, one opened with O_CLOEXEC is gone.
 *
 * The new image is exec_probe, which reports what it sees on stdout.
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
#include "device.h"
#include "pattern.h"
#include "procfs.h"
#include "child.h"
#include "fixture.h"

#define NR_PAGES	4

static off_t region(struct __test_metadata *_metadata, int k)
{
	return test_region(_metadata, k, 4 * NR_PAGES * page_bytes());
}

DEVICE_FIXTURE(device)

TEST_F(device, exec_new_image_has_no_device_mapping)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 0);
	char *argv[] = { "exec_probe", "maps", NULL };
	char out[256];
	char *shared, *priv;
	int fd;

	fd = self->fd;
	shared = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, off);
	priv = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE, off + len);
	touch_read(shared, len);
	pattern_fill(priv, len, pattern_seed(__func__));
	/* Both are there before the exec (and the count works). */
	ASSERT_EQ(2, maps_count_path(0, MMAPDEMO_DEVICE_PATH));

	/* The helper runs in a fork child that inherited both, then execs. */
	ASSERT_EQ(0, run_helper(argv, out, sizeof(out), HELPER_TIMEOUT_S)) {
		TH_LOG("exec_probe maps: %s", out);
	}
	EXPECT_EQ(0, output_value(out, "device_vmas", -1)) {
		TH_LOG("exec_probe maps: %s", out);
	}

	munmap(shared, len);
	munmap(priv, len);
	close(fd);
}

TEST_F(device, exec_inherited_fd_can_be_mapped)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 1);
	uint64_t seed = pattern_seed(__func__);
	char fds[16], offs[32], lens[32], seeds[32], out[512];
	char *argv[] = { "exec_probe", "fd", fds, offs, lens, seeds, NULL };
	char *shared;
	int fd;

	/* Not the fixture's fd: that one is O_CLOEXEC. */
	fd = open_dev(_metadata, O_RDWR);
	/* The fd is inherited, the mapping is not. */
	shared = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, off);
	pattern_fill(shared, len, seed);

	snprintf(fds, sizeof(fds), "%d", fd);
	snprintf(offs, sizeof(offs), "%lld", (long long)off);
	snprintf(lens, sizeof(lens), "%zu", len);
	snprintf(seeds, sizeof(seeds), "%llu", (unsigned long long)seed);
	ASSERT_EQ(0, run_helper(argv, out, sizeof(out), HELPER_TIMEOUT_S)) {
		TH_LOG("exec_probe fd: %s", out);
	}
	EXPECT_EQ(0, output_value(out, "device_vmas", -1));
	EXPECT_EQ(1, output_value(out, "fd_open", -1));
	EXPECT_EQ(-1, output_value(out, "pattern_mismatch", -2));
	EXPECT_EQ(1, output_value(out, "device_vmas_after", -1));
	if (_metadata->exit_code)
		TH_LOG("exec_probe fd: %s", out);

	munmap(shared, len);
	close(fd);
}

TEST_F(device, exec_cloexec_fd_is_closed)
{
	size_t len = page_bytes();
	off_t off = region(_metadata, 2);
	char fds[16], offs[32], lens[32], out[512];
	char *argv[] = { "exec_probe", "fd", fds, offs, lens, "0", NULL };
	int fd;

	fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);
	snprintf(fds, sizeof(fds), "%d", fd);
	snprintf(offs, sizeof(offs), "%lld", (long long)off);
	snprintf(lens, sizeof(lens), "%zu", len);
	ASSERT_EQ(0, run_helper(argv, out, sizeof(out), HELPER_TIMEOUT_S)) {
		TH_LOG("exec_probe fd: %s", out);
	}
	EXPECT_EQ(0, output_value(out, "fd_open", -1));
	EXPECT_EQ(EBADF, output_value(out, "fd_errno", -1));
	close(fd);
}

TEST_HARNESS_MAIN
