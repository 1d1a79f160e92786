// SPDX-License-Identifier: GPL-2.0
/*
 * Helper program for shared_test and exec_test: a fresh process image that
 * reports, as key=value lines on stdout, what it sees of the device.
 *
 *   exec_probe maps
 *	device_vmas=N: lines of /proc/self/maps naming the device.
 *   exec_probe fd FD OFFSET LEN SEED
 *	whether inherited fd FD is still open, and if so mmap()s it (shared,
 *	read-only) and compares LEN bytes at OFFSET with pattern SEED.
 *   exec_probe check OFFSET LEN SEED
 *	opens and maps the device itself and compares with pattern SEED.
 *   exec_probe fill OFFSET LEN SEED
 *	opens and maps the device itself and writes pattern SEED.
 *
 * Exit status 0 when the command ran (the verdict is in the output), 2 for
 * bad usage, 3 when opening or mapping failed (the output says which).
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

#include "device.h"
#include "pattern.h"
#include "procfs.h"

static int usage(void)
{
	fputs("usage: exec_probe maps | fd FD OFF LEN SEED |\n", stderr);
	fputs("       check OFF LEN SEED | fill OFF LEN SEED\n", stderr);
	return 2;
}

static int cmd_fd(int fd, off_t off, size_t len, uint64_t seed)
{
	void *p;

	printf("device_vmas=%d\n", maps_count_path(0, MMAPDEMO_DEVICE_PATH));
	if (fcntl(fd, F_GETFD) < 0) {
		printf("fd_open=0\nfd_errno=%d\n", errno);
		return 0;
	}
	printf("fd_open=1\n");
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, off);
	if (p == MAP_FAILED) {
		printf("mmap_errno=%d\n", errno);
		return 3;
	}
	printf("pattern_mismatch=%ld\n", pattern_mismatch(p, len, seed));
	printf("device_vmas_after=%d\n",
	       maps_count_path(0, MMAPDEMO_DEVICE_PATH));
	munmap(p, len);
	return 0;
}

static int cmd_map(bool fill, off_t off, size_t len, uint64_t seed)
{
	int fd = device_open(O_RDWR);
	void *p;

	if (fd < 0) {
		printf("open_errno=%d\n", errno);
		return 3;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (p == MAP_FAILED) {
		printf("mmap_errno=%d\n", errno);
		return 3;
	}
	if (fill) {
		pattern_fill(p, len, seed);
		printf("filled=1\n");
	} else {
		printf("pattern_mismatch=%ld\n",
		       pattern_mismatch(p, len, seed));
	}
	munmap(p, len);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "maps")) {
		printf("device_vmas=%d\n",
		       maps_count_path(0, MMAPDEMO_DEVICE_PATH));
		return 0;
	}
	if (argc == 6 && !strcmp(argv[1], "fd"))
		return cmd_fd(atoi(argv[2]), strtoll(argv[3], NULL, 0),
			      strtoull(argv[4], NULL, 0),
			      strtoull(argv[5], NULL, 0));
	if (argc == 5 && (!strcmp(argv[1], "check") ||
			  !strcmp(argv[1], "fill")))
		return cmd_map(!strcmp(argv[1], "fill"),
			       strtoll(argv[2], NULL, 0),
			       strtoull(argv[3], NULL, 0),
			       strtoull(argv[4], NULL, 0));
	return usage();
}
