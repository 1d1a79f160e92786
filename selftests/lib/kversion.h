/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The version of the running kernel, for tests that pin behaviour which
 * an upstream change made differ between the kernels of the matrix: each
 * such test names the change and the release that brought it.
 */
#ifndef MMAPDEMO_KVERSION_H
#define MMAPDEMO_KVERSION_H

#include <stdbool.h>

/* uname(2)'s release ("7.3.4+deb13-amd64"), read once; "" if unknown. */
const char *kernel_release(void);

/*
 * Whether the running kernel is @major.@minor or newer, from the first two
 * numbers of kernel_release(). An unparsable release counts as older.
 */
bool kernel_at_least(int major, int minor);

#endif /* MMAPDEMO_KVERSION_H */
