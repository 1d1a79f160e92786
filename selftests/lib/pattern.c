// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <time.h>
#include <unistd.h>

#include "pattern.h"

uint64_t mix_bits64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t splitmix64(uint64_t x)
{
	return mix_bits64(x + SPLITMIX64_GAMMA);
}

uint64_t splitmix64_next(uint64_t *state)
{
	*state += SPLITMIX64_GAMMA;
	return mix_bits64(*state);
}

uint64_t pattern_seed(const char *tag)
{
	struct timespec ts;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*tag) {
		h ^= (unsigned char)*tag++;
		h *= 0x100000001b3ULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return splitmix64(h ^ ((uint64_t)getpid() << 32) ^
		     (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 40));
}

uint64_t pattern_word(uint64_t seed, uint64_t word)
{
	return splitmix64(splitmix64(seed) ^ word);
}

unsigned char pattern_byte(uint64_t seed, uint64_t pos)
{
	return (unsigned char)(pattern_word(seed, pos / 8) >> (8 * (pos % 8)));
}

void pattern_fill_from(void *buf, size_t len, uint64_t seed,
		       uint64_t pos)
{
	volatile unsigned char *p = buf;
	size_t i = 0;

	if (((uintptr_t)p - pos) % 8 == 0) {
		for (; i < len && (pos + i) % 8; i++)
			p[i] = pattern_byte(seed, pos + i);
		for (; len - i >= 8; i += 8)
			*(volatile uint64_t *)(p + i) =
				htole64(pattern_word(seed, (pos + i) / 8));
	}
	for (; i < len; i++)
		p[i] = pattern_byte(seed, pos + i);
}

void pattern_fill(void *buf, size_t len, uint64_t seed)
{
	pattern_fill_from(buf, len, seed, 0);
}

long pattern_mismatch_from(const void *buf, size_t len,
			   uint64_t seed, uint64_t pos)
{
	const volatile unsigned char *p = buf;
	size_t i = 0;

	if (((uintptr_t)p - pos) % 8 == 0) {
		for (; i < len && (pos + i) % 8; i++)
			if (p[i] != pattern_byte(seed, pos + i))
				return (long)i;
		/* A word that differs: the byte loop below finds the byte. */
		for (; len - i >= 8; i += 8)
			if (*(const volatile uint64_t *)(p + i) !=
			    htole64(pattern_word(seed, (pos + i) / 8)))
				break;
	}
	for (; i < len; i++)
		if (p[i] != pattern_byte(seed, pos + i))
			return (long)i;
	return -1;
}

long pattern_mismatch(const void *buf, size_t len, uint64_t seed)
{
	return pattern_mismatch_from(buf, len, seed, 0);
}

long bytes_mismatch(const void *buf, size_t len, unsigned char c)
{
	const volatile unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return (long)i;
	return -1;
}
