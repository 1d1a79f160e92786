/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test patterns: sequences of bytes that depend on a seed and on their
 * position, so that data copied to the wrong place, a stale page or zeros
 * are all told apart.
 */
#ifndef MMAPDEMO_PATTERN_H
#define MMAPDEMO_PATTERN_H

#include <stddef.h>
#include <stdint.h>

/* The increment of splitmix64's state: 2^64 / golden ratio. */
#define SPLITMIX64_GAMMA	0x9e3779b97f4a7c15ULL

/* splitmix64's output function: mixes the bits of @z, a bijection. */
uint64_t mix_bits64(uint64_t z);

/*
 * splitmix64 of @x: mix_bits64(@x + SPLITMIX64_GAMMA). A cheap, well mixed
 * 64-bit value for fill patterns and seeds derived from seeds.
 */
uint64_t splitmix64(uint64_t x);

/* The next number of the splitmix64 generator whose state is *@state. */
uint64_t splitmix64_next(uint64_t *state);

/*
 * A seed that differs per test, per process and per run: the test name is
 * hashed in, plus the pid and the clock.
 */
uint64_t pattern_seed(const char *tag);

/*
 * Pattern @seed is a sequence of little-endian 64-bit words that depend on
 * the seed and on their position, so that data copied to the wrong place,
 * a stale page or zeros are all told apart. A position is what the test
 * makes it: the offset in the range it wrote, or the device offset. The
 * seed is mixed on its own first, so that seeds a few apart do not give
 * the same words at nearby positions.
 */
uint64_t pattern_word(uint64_t seed, uint64_t word);

/* Byte @pos of pattern @seed. */
unsigned char pattern_byte(uint64_t seed, uint64_t pos);

/*
 * Fill @buf with bytes @pos.. @pos + @len - 1 of pattern @seed. Every byte
 * is stored (volatile); a whole word at a time where @buf and the pattern
 * positions are both 8-byte aligned.
 */
void pattern_fill_from(void *buf, size_t len, uint64_t seed,
		       uint64_t pos);

void pattern_fill(void *buf, size_t len, uint64_t seed);

/*
 * Offset in @buf of the first byte that differs from bytes @pos.. of
 * pattern @seed, or -1 when all @len match. Every byte is read (volatile).
 */
long pattern_mismatch_from(const void *buf, size_t len,
			   uint64_t seed, uint64_t pos);

long pattern_mismatch(const void *buf, size_t len, uint64_t seed);

/* Offset of the first byte that is not @c, or -1. */
long bytes_mismatch(const void *buf, size_t len, unsigned char c);

#endif /* MMAPDEMO_PATTERN_H */
