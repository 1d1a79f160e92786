// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <unistd.h>

#include "sizes.h"

#define HPAGE_PMD_SIZE_FILE	"/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"

size_t page_bytes(void)
{
	static size_t bytes;

	if (!bytes)
		bytes = (size_t)sysconf(_SC_PAGESIZE);
	return bytes;
}

size_t pmd_bytes(void)
{
	static size_t bytes;
	unsigned long long value = 0;
	FILE *f;

	if (bytes)
		return bytes;
	f = fopen(HPAGE_PMD_SIZE_FILE, "r");
	if (f) {
		if (fscanf(f, "%llu", &value) != 1)
			value = 0;
		fclose(f);
	}
	/* A page table page holds page_bytes() / 8 entries of one page. */
	bytes = value ? (size_t)value : page_bytes() / 8 * page_bytes();
	return bytes;
}

int pmd_page_order(void)
{
	return __builtin_ctzl(pmd_bytes() / page_bytes());
}

uint64_t align_down(uint64_t x, uint64_t a)
{
	return x - x % a;
}

uint64_t align_up(uint64_t x, uint64_t a)
{
	return align_down(x + a - 1, a);
}
