// SPDX-License-Identifier: GPL-2.0
/*
 * Numbers on the command line: byte counts (one syntax for every one of
 * them), plain decimals and ioctl flags; and byte counts for people.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/*
 * The decimal digits at *@p, which must be one: moves *@p past them.
 * Return: 0, -EINVAL (no digit) or -ERANGE (above 2^64 - 1).
 */
static int take_digits(const char **p, uint64_t *value)
{
	const char *s = *p;
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned int digit = *s - '0';

		if (v > (UINT64_MAX - digit) / 10)
			return -ERANGE;
		v = v * 10 + digit;
	}
	*p = s;
	*value = v;
	return 0;
}

/*
 * Decimal digits and nothing else, at most @max. A leading 0 is still
 * decimal: only this program reads the text (see parse_bytes()).
 * Return: 0, -EINVAL (not decimal digits) or -ERANGE (above @max).
 */
int parse_decimal(const char *text, uint64_t max, uint64_t *value)
{
	uint64_t v;
	int err;

	err = take_digits(&text, &v);
	if (err)
		return err;
	if (*text)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*value = v;
	return 0;
}

bool is_decimal(const char *text)
{
	uint64_t value;

	return parse_decimal(text, UINT64_MAX, &value) != -EINVAL;
}

/*
 * The one syntax of byte counts, for every argument that is one (size=
 * and max_size= of load, SIZE of resize, OFFSET and LENGTH of punch):
 *
 *	DIGITS [ SUFFIX [ "iB" | "B" ] ]
 *
 * DIGITS are decimal; SUFFIX is K, M, G, T, P or E in either case, powers
 * of 1024 (as the kernel's memparse() reads them), so 2M, 2m, 2MiB and 2MB
 * are all 2097152. No sign, space, fraction or hexadecimal. The largest
 * count is 2^64 - 1.
 *
 * load hands the kernel the plain byte count this returns, never the text:
 * the driver's memparse() would read "010" as octal and does not know
 * "MiB", and this way the tool and the driver cannot disagree on a value.
 *
 * Return: 0, -EINVAL (not this syntax) or -ERANGE (above 2^64 - 1).
 */
int parse_bytes(const char *text, uint64_t *bytes)
{
	static const char suffixes[] = "KMGTPE";
	const char *p = text, *unit;
	unsigned int shift = 0;
	uint64_t value;
	int err;

	err = take_digits(&p, &value);
	if (err)
		return err;
	if (*p) {
		unit = strchr(suffixes, toupper((unsigned char)*p));
		if (!unit)
			return -EINVAL;
		shift = 10 * (unsigned int)(unit - suffixes + 1);
		p++;
		if (strcmp(p, "") && strcmp(p, "iB") && strcmp(p, "B"))
			return -EINVAL;
	}
	if (value > UINT64_MAX >> shift)
		return -ERANGE;
	*bytes = value << shift;
	return 0;
}

/* What is wrong with a byte count parse_bytes() refused, for messages. */
const char *parse_bytes_error(int err)
{
	if (err == -ERANGE)
		return "more than 2^64 - 1 bytes";
	return "expected " BYTES_SYNTAX_HELP ", e.g. 2M";
}

/*
 * --flags of resize and punch: a 32-bit mask, in any base strtoul() reads
 * (0x... is the natural way to write bits). Not a byte count.
 */
bool parse_flags(const char *text, uint32_t *flags)
{
	unsigned long value;
	char *end;

	if (!isdigit((unsigned char)*text))
		return false;
	errno = 0;
	value = strtoul(text, &end, 0);
	if (errno || *end || value > UINT32_MAX)
		return false;
	*flags = value;
	return true;
}

/* "64 MiB", "1.5 GiB", "4096 B": a byte count for people. */
const char *format_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B",   "KiB", "MiB", "GiB",
					     "TiB", "PiB", "EiB" };
	unsigned int unit = 0;

	while (unit + 1 < ARRAY_SIZE(units) && bytes >> (10 * (unit + 1)))
		unit++;
	if (!(bytes & ((1ULL << (10 * unit)) - 1)))
		snprintf(buf, len, "%" PRIu64 " %s", bytes >> (10 * unit),
			 units[unit]);
	else
		snprintf(buf, len, "%.1f %s",
			 (double)bytes / (double)(1ULL << (10 * unit)),
			 units[unit]);
	return buf;
}
