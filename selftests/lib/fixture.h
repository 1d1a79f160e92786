/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the harness tests share that needs kselftest_harness.h (include it
 * first): helpers that end the test on failure, like ASSERT_*, and the
 * fixtures that give a test its device.
 */
#ifndef MMAPDEMO_FIXTURE_H
#define MMAPDEMO_FIXTURE_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "access.h"
#include "child.h"
#include "device.h"
#include "module.h"
#include "mounts.h"

static inline int open_dev(struct __test_metadata *_metadata, int flags)
{
	int fd = device_open(flags);

	ASSERT_LE(0, fd) {
		TH_LOG("open(%s): %s", MMAPDEMO_DEVICE_PATH, strerror(errno));
	}
	return fd;
}

static inline void *map_dev(struct __test_metadata *_metadata, int fd,
			    size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	ASSERT_NE(MAP_FAILED, p) {
		TH_LOG("mmap(len %zu, prot %#x, flags %#x, off %#llx): %s",
		       len, prot, flags, (unsigned long long)off,
		       strerror(errno));
	}
	return p;
}

/*
 * Pattern @seed written into [@off, @off + @len) of the device, then that
 * range mapped: a mapping whose content tells where it comes from.
 */
static inline char *fill_and_map(struct __test_metadata *_metadata, int fd,
				 size_t len, off_t off, uint64_t seed,
				 int prot, int flags)
{
	ASSERT_EQ(0, device_write_pattern(fd, len, off, seed));
	return map_dev(_metadata, fd, len, prot, flags, off);
}

/*
 * mmap() of @fd in a fork_unprivileged(@memlock) child, where
 * RLIMIT_MEMLOCK applies (root's CAP_IPC_LOCK would lift it). The
 * child's exit code: 0 when it mapped, 20 + errno when mmap() failed,
 * 10-12 when its setup failed (see fork_unprivileged()).
 */
static inline int mmap_as_nobody(struct __test_metadata *_metadata,
				 rlim_t memlock, size_t len, int prot,
				 int flags, int fd, off_t off)
{
	pid_t pid = fork_unprivileged(memlock);

	ASSERT_LE(0, pid);
	if (pid == 0) {
		void *p = mmap(NULL, len, prot, flags, fd, off);

		if (p == MAP_FAILED)
			_exit(20 + (errno < 200 ? errno : 200));
		_exit(0);
	}
	return wait_exit_code(pid);
}

/* INFO, ending the test if it fails. */
static inline struct mmapdemo_info info_of(struct __test_metadata *_metadata,
					   int fd)
{
	struct mmapdemo_info info;
	int err = device_info_read(fd, &info);

	ASSERT_EQ(0, err) {
		TH_LOG("MMAPDEMO_IOC_INFO: %s", strerror(-err));
	}
	return info;
}

/* RESIZE, ending the test if it fails. */
static inline void resize_dev(struct __test_metadata *_metadata, int fd,
			      uint64_t size)
{
	int err = device_resize(fd, size);

	ASSERT_EQ(0, err) {
		TH_LOG("RESIZE to %llu: %s", (unsigned long long)size,
		       strerror(-err));
	}
	ASSERT_EQ(size, device_size());
}

/* PUNCH, ending the test if it fails. */
static inline void punch_dev(struct __test_metadata *_metadata, int fd,
			     uint64_t offset, uint64_t length)
{
	int err = device_punch(fd, offset, length);

	ASSERT_EQ(0, err) {
		TH_LOG("PUNCH [%#llx, +%#llx): %s", (unsigned long long)offset,
		       (unsigned long long)length, strerror(-err));
	}
}

/*
 * Exec and noexec tmpfs mounts, each with a node of the device, in a mount
 * namespace of the test's own: they vanish with it even if the test fails.
 */
static inline void setup_exec_mounts(struct __test_metadata *_metadata,
				     struct exec_mounts *m)
{
	const char *what;

	ASSERT_EQ(0, exec_mounts_setup(m, &what)) {
		TH_LOG("%s: %s", what, strerror(errno));
	}
}

/*
 * Make the device this test's own: at the size the module was loaded with,
 * all of it PUNCHed, so that it reads zeros and allocated_bytes is 0. Tests
 * then work from offset 0 and take fault and allocation figures as
 * differences. Returns an O_RDWR fd of the device.
 */
static inline int device_fresh(struct __test_metadata *_metadata)
{
	size_t want = module_param_size();
	int fd = open_dev(_metadata, O_RDWR | O_CLOEXEC);

	ASSERT_LT(0UL, want);
	if (device_size() != want)
		resize_dev(_metadata, fd, want);
	/* A range past the end is no error: every folio goes, whole. */
	punch_dev(_metadata, fd, 0, align_up(want, pmd_bytes()));
	ASSERT_EQ(0, device_allocated_bytes());
	return fd;
}

/*
 * device_fresh(), at least @len bytes long: a layout counted in PMDs needs
 * more than the default 64 MiB where a PMD maps 32 MiB (16 KiB pages). The
 * device grows by RESIZE (zeros, nothing allocated); the fixture's
 * teardown (module_restore()) puts its size back.
 */
static inline int device_fresh_len(struct __test_metadata *_metadata,
				   size_t len)
{
	int fd = device_fresh(_metadata);

	if (device_size() < len)
		resize_dev(_metadata, fd, align_up(len, page_bytes()));
	return fd;
}

/*
 * Offset of region @k of @len bytes in the test's own device: k * len,
 * failing the test if the device is too small for it.
 */
static inline off_t test_region(struct __test_metadata *_metadata, int k,
				size_t len)
{
	ASSERT_GE(device_size(), (k + 1) * len) {
		TH_LOG("device too small: %zu bytes", device_size());
	}
	return (off_t)(k * len);
}

/*
 * Whether the device can hold a region of @len bytes at offset 0: 0, or
 * -1 if it is too small (the test skips); a missing device fails it.
 */
static inline long long device_region(struct __test_metadata *_metadata,
				      size_t len)
{
	ASSERT_LT(0UL, device_size());
	return device_size() >= len ? 0 : -1;
}

/*
 * The setup and teardown of a fixture whose tests own the device (see
 * device_fresh()); its FIXTURE() must have an int fd, which the setup sets
 * to an O_RDWR | O_CLOEXEC fd of the device. The teardown puts the device
 * back at the size the module was loaded with. For fixtures with variants.
 */
#define DEVICE_FIXTURE_SETUP(fixture_name)					\
	FIXTURE_SETUP(fixture_name)						\
	{									\
		self->fd = device_fresh(_metadata);				\
	}									\
										\
	FIXTURE_TEARDOWN_PARENT(fixture_name)					\
	{									\
		module_restore(false);						\
	}

/* A fixture with nothing but the device: self->fd (see above). */
#define DEVICE_FIXTURE(fixture_name)						\
	FIXTURE(fixture_name) {							\
		int fd;								\
	};									\
										\
	DEVICE_FIXTURE_SETUP(fixture_name)

/*
 * Reload the module with @args (NULL: the run's arguments): a fresh
 * device, nothing allocated, all zeros, no faults counted. The fixture's
 * teardown must be a FIXTURE_TEARDOWN_PARENT() (so it also runs after a
 * crash) that calls module_restore() or module_ensure_loaded(), in case a
 * failure left the module unloaded or loaded with other arguments.
 */
static inline void fresh_module(struct __test_metadata *_metadata,
				const char *args)
{
	char out[512];

	ASSERT_NE(NULL, getenv("MMAPDEMO_KO"));
	ASSERT_EQ(0, module_reload(args, out, sizeof(out))) {
		TH_LOG("reload: %s", out);
	}
	ASSERT_EQ(0, device_allocated_bytes());
}

/*
 * For fixtures that need no fd of their own: device_fresh(), the fd
 * closed.
 */
static inline void fresh_device(struct __test_metadata *_metadata)
{
	close(device_fresh(_metadata));
}

/* A fixture that only provides a fresh device (see device_fresh()). */
#define FRESH_DEVICE_FIXTURE(fixture_name)					\
	FIXTURE(fixture_name) {};						\
										\
	FIXTURE_SETUP(fixture_name)						\
	{									\
		fresh_device(_metadata);					\
	}									\
										\
	FIXTURE_TEARDOWN_PARENT(fixture_name)					\
	{									\
		module_restore(false);						\
	}

/*
 * A fresh device for the race tests, and the run's device again afterwards:
 * the teardown (in the parent, after the test and all its threads are
 * gone) undoes any RESIZE the test left behind.
 */
#define RACE_DEVICE_FIXTURE(fixture_name)					\
	FIXTURE(fixture_name) {};						\
										\
	FIXTURE_SETUP(fixture_name)						\
	{									\
		fresh_device(_metadata);					\
		ASSERT_EQ(0, guard_install(NULL));				\
	}									\
										\
	FIXTURE_TEARDOWN_PARENT(fixture_name)					\
	{									\
		module_restore(false);						\
	}

#endif /* MMAPDEMO_FIXTURE_H */
