// SPDX-License-Identifier: GPL-2.0
/*
 * MAP_PRIVATE device mappings (seed 001: "a private file mapping is
 * initialised from the file; changes are private to the process and never
 * reach the file: copy-on-write"; seed 004: "changes only affect this
 * process"): reads see the device content; writes stay private (other
 * mappings and read() are unchanged); after MADV_DONTNEED the page shows the
 * device content again.
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
#include "fixture.h"

#define NR_PAGES	4

static off_t region(struct __test_metadata *_metadata, int k)
{
	return test_region(_metadata, k, 4 * NR_PAGES * page_bytes());
}

DEVICE_FIXTURE(device)

TEST_F(device, private_read_sees_device_content)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 0);
	uint64_t seed = pattern_seed(__func__);
	char *p;
	int fd = self->fd;

	p = fill_and_map(_metadata, fd, len, off, seed, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE);
	EXPECT_EQ(-1, pattern_mismatch(p, len, seed));
	munmap(p, len);

	/* Also through a read-only private mapping of a read-only fd. */
	close(fd);
	fd = open_dev(_metadata, O_RDONLY);
	p = map_dev(_metadata, fd, len, PROT_READ, MAP_PRIVATE, off);
	EXPECT_EQ(-1, pattern_mismatch(p, len, seed));
	munmap(p, len);
	close(fd);
}

TEST_F(device, private_write_stays_private)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 1);
	uint64_t seed = pattern_seed(__func__);
	uint64_t mine = splitmix64(seed);
	char *priv, *other_priv, *shared;
	int fd = self->fd;

	priv = fill_and_map(_metadata, fd, len, off, seed,
			    PROT_READ | PROT_WRITE, MAP_PRIVATE);
	other_priv = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE, off);
	shared = map_dev(_metadata, fd, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, off);
	/* The private pages are mapped from the device before the write. */
	touch_read(priv, len);
	touch_read(other_priv, len);
	touch_read(shared, len);

	pattern_fill(priv, len, mine);
	EXPECT_EQ(-1, pattern_mismatch(priv, len, mine));
	EXPECT_EQ(-1, pattern_mismatch(shared, len, seed));
	EXPECT_EQ(-1, pattern_mismatch(other_priv, len, seed));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, len, off, seed));

	munmap(priv, len);
	munmap(other_priv, len);
	munmap(shared, len);
	close(fd);
}

TEST_F(device, private_dontneed_shows_device_content_again)
{
	size_t len = NR_PAGES * page_bytes();
	off_t off = region(_metadata, 2);
	uint64_t seed = pattern_seed(__func__);
	uint64_t mine = splitmix64(seed), later = splitmix64(mine);
	char *priv;
	int fd = self->fd;

	priv = fill_and_map(_metadata, fd, len, off, seed,
			    PROT_READ | PROT_WRITE, MAP_PRIVATE);
	pattern_fill(priv, len, mine);

	/* The private copies no longer follow the device... */
	ASSERT_EQ(0, device_write_pattern(fd, len, off, later));
	EXPECT_EQ(-1, pattern_mismatch(priv, len, mine));

	/* ...until MADV_DONTNEED drops them: then the device shows again. */
	ASSERT_EQ(0, madvise(priv, len, MADV_DONTNEED));
	EXPECT_EQ(-1, pattern_mismatch(priv, len, later));
	EXPECT_EQ(-1, device_pattern_mismatch(fd, len, off, later));

	munmap(priv, len);
	close(fd);
}

TEST_HARNESS_MAIN
