/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the mmapdemo selftests. */
#ifndef MMAPDEMO_UTIL_H
#define MMAPDEMO_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "mmapdemo.h"

#define KIB 1024UL
#define MIB (1024UL * 1024UL)

/* Read one decimal attribute from MMAPDEMO_SYSFS_DIR; -1 when unreadable. */
static inline long long mmapdemo_attr(const char *name)
{
	char path[256];
	long long value;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", MMAPDEMO_SYSFS_DIR, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &value) != 1)
		value = -1;
	fclose(f);
	return value;
}

static inline size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Minor faults taken by this process so far (getrusage). */
static inline long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

#endif /* MMAPDEMO_UTIL_H */
