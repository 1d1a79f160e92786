/* SPDX-License-Identifier: GPL-2.0 */
/*
 * madvise() advice that older C library headers do not define yet (the
 * values are the kernel's uapi ones).
 */
#ifndef MMAPDEMO_MADVISE_VALUES_H
#define MMAPDEMO_MADVISE_VALUES_H

#include <sys/mman.h>

#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED	24
#endif

#endif /* MMAPDEMO_MADVISE_VALUES_H */
