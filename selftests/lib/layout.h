/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMAPDEMO_LAYOUT_H
#define MMAPDEMO_LAYOUT_H

#include "device.h"

/* --- where each test works in the device --- */

/*
 * Content persists while the module stays loaded, so every test writes its
 * own distinctive pattern before checking anything: the fill patterns are
 * unique per test (and per run where pattern_seed() makes them), so
 * leftovers can never make a check pass. The places are only kept apart so
 * that a failing test leaves evidence that another program does not
 * overwrite.
 *
 * shared, private, fork, exec, procmaps, args, prot, flags and errno each
 * work in their own slot of the device (1/16 of its size: 4 MiB of the
 * default 64 MiB). Slots 0-8 (0-36 MiB, errno_test only using the first
 * pages of slot 8) stay clear of the fixed offsets below (34 MiB and up).
 *
 * The others use fixed offsets (default 64 MiB device); on a smaller device
 * (module argument size=) region_at() moves a region down to the highest
 * 2 MiB aligned offset where it fits:
 *
 *   signals      last page of the device (size - 1 page)
 *   munmap       OFF_MUNMAP   (34 MiB, 6 MiB)
 *   msync        OFF_MSYNC    (40 MiB, 2 MiB)
 *   mremap       OFF_MREMAP   (42 MiB, 4 MiB)
 *   madvise      OFF_MADVISE  (46 MiB, 8 MiB)
 *   ipc          OFF_IPC      (54 MiB, 1 page)
 *
 * lifetime, rw_self, concurrency and huge need pages that were never
 * allocated, or a device whose memory use is known. They unload and reload
 * the module (with the run's arguments) to get a fresh, all-zero device,
 * and their fixture teardown reloads it if a failure left it unloaded.
 */
enum mmapdemo_slot {
	SLOT_SHARED,
	SLOT_PRIVATE,
	SLOT_FORK,
	SLOT_EXEC,
	SLOT_PROCMAPS,
	SLOT_ARGS,
	SLOT_PROT,
	SLOT_FLAGS,
	SLOT_ERRNO,
	NR_SLOTS = 16,
};

#define OFF_MUNMAP	(34 * MIB)
#define OFF_MSYNC	(40 * MIB)
#define OFF_MREMAP	(42 * MIB)
#define OFF_MADVISE	(46 * MIB)
#define OFF_IPC		(54 * MIB)

/* Byte size of one slot, page aligned. */
static inline size_t slot_size(void)
{
	return device_size() / NR_SLOTS / page_bytes() * page_bytes();
}

static inline off_t slot_offset(enum mmapdemo_slot slot)
{
	return (off_t)(slot * slot_size());
}

/*
 * Where a test's region of len bytes goes: at off if it fits in the
 * device, else at the highest 2 MiB aligned offset that fits; -1 if the
 * device is smaller than len.
 */
static inline long long region_at(long long off, size_t len)
{
	long long size = device_size();

	if (size < (long long)len)
		return -1;
	if (off + (long long)len <= size)
		return off;
	return (size - (long long)len) / (long long)pmd_bytes() *
	       (long long)pmd_bytes();
}

/* Offset of region @k (@len bytes each) of @slot. */
#ifdef __KSELFTEST_HARNESS_H
static inline off_t slot_region(struct __test_metadata *_metadata,
				enum mmapdemo_slot slot, int k, size_t len)
{
	ASSERT_GE(slot_size(), (k + 1) * len) {
		TH_LOG("device too small: slot of %zu bytes", slot_size());
	}
	return slot_offset(slot) + (off_t)(k * len);
}

/*
 * region_at(), where a missing device fails the test; -1 means that the
 * device is too small for the region (the test skips).
 */
static inline long long device_region(struct __test_metadata *_metadata,
				      long long off, size_t len)
{
	ASSERT_LT(0UL, device_size());
	return region_at(off, len);
}
#endif

#endif /* MMAPDEMO_LAYOUT_H */
