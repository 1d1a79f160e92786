/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sizes the tests are written in: the base page and the PMD (what one
 * huge mapping entry covers), learned once from the running kernel, so a
 * port to another page size changes nothing but this file.
 */
#ifndef MMAPDEMO_SIZES_H
#define MMAPDEMO_SIZES_H

#include <stddef.h>
#include <stdint.h>

#define KIB		1024UL
#define MIB		(1024UL * 1024UL)

/* Bytes of a base page: sysconf(_SC_PAGESIZE), read once. */
size_t page_bytes(void);

/*
 * Bytes one PMD maps: /sys/kernel/mm/transparent_hugepage/hpage_pmd_size,
 * read once; without THP, what a page of page table entries covers.
 */
size_t pmd_bytes(void);

/* log2(pmd_bytes() / page_bytes()): the folio order of a PMD mapping. */
int pmd_page_order(void);

/* @x rounded down / up to a multiple of @a. */
uint64_t align_down(uint64_t x, uint64_t a);
uint64_t align_up(uint64_t x, uint64_t a);

#endif /* MMAPDEMO_SIZES_H */
