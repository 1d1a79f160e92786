// SPDX-License-Identifier: GPL-2.0
/*
 * make -C userspace ctl-check: the parts of mmapdemo-ctl that need neither
 * libkmod nor the device, checked against tables of cases. Not shipped.
 *
 * - parse_bytes(): every form of the one byte-count syntax, and what it
 *   refuses; each accepted count, written as the plain number load hands
 *   the kernel, reads back the same through a copy of the kernel's
 *   memparse() (so the driver's size= sees what the user meant).
 * - module_options(): what load passes to the kernel, and what it refuses
 *   (exit status 2) before the kernel could.
 * - the driver's rules: which rule a request breaks before it is sent,
 *   which explains an errno after, and the message, word for word.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

static int failures, checks;

static void __attribute__((format(printf, 2, 3)))
check(bool ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok)
		return;
	failures++;
	fputs("FAIL: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/*
 * lib/cmdline.c memparse() of Linux 6.12 for the plain decimal numbers
 * load passes (simple_strtoull() with base 0, then a K/M/G/T/P/E suffix).
 */
static unsigned long long kernel_memparse(const char *ptr, char **retptr)
{
	unsigned long long ret = strtoull(ptr, retptr, 0);

	switch (**retptr) {
	case 'E':
	case 'e':
		ret <<= 10;
		/* fall through */
	case 'P':
	case 'p':
		ret <<= 10;
		/* fall through */
	case 'T':
	case 't':
		ret <<= 10;
		/* fall through */
	case 'G':
	case 'g':
		ret <<= 10;
		/* fall through */
	case 'M':
	case 'm':
		ret <<= 10;
		/* fall through */
	case 'K':
	case 'k':
		ret <<= 10;
		(*retptr)++;
		break;
	default:
		break;
	}
	return ret;
}

static const struct {
	const char *text;
	int err;
	uint64_t bytes;
} bytes_cases[] = {
	{ "0", 0, 0 },
	{ "4096", 0, 4096 },
	{ "010", 0, 10 },		/* decimal, not octal */
	{ "4k", 0, 4096 },
	{ "4K", 0, 4096 },
	{ "4KiB", 0, 4096 },
	{ "4KB", 0, 4096 },
	{ "2M", 0, 2 << 20 },
	{ "2m", 0, 2 << 20 },
	{ "32MiB", 0, 32 << 20 },
	{ "32MB", 0, 32 << 20 },
	{ "1G", 0, 1ULL << 30 },
	{ "1g", 0, 1ULL << 30 },
	{ "1T", 0, 1ULL << 40 },
	{ "1P", 0, 1ULL << 50 },
	{ "15E", 0, 15ULL << 60 },
	{ "15EiB", 0, 15ULL << 60 },
	{ "18446744073709551615", 0, UINT64_MAX },
	{ "0000000000000000000000000004096", 0, 4096 },
	{ "16E", -ERANGE, 0 },
	{ "16384P", -ERANGE, 0 },
	{ "18446744073709551616", -ERANGE, 0 },
	{ "", -EINVAL, 0 },
	{ "K", -EINVAL, 0 },
	{ "garbage", -EINVAL, 0 },
	{ "64Mx", -EINVAL, 0 },
	{ "0x1000", -EINVAL, 0 },	/* no hexadecimal */
	{ "-1", -EINVAL, 0 },
	{ "+1", -EINVAL, 0 },
	{ " 1", -EINVAL, 0 },
	{ "1 ", -EINVAL, 0 },
	{ "1.5G", -EINVAL, 0 },
	{ "2Mi", -EINVAL, 0 },
	{ "2Mib", -EINVAL, 0 },
	{ "2MIB", -EINVAL, 0 },
	{ "2MiBs", -EINVAL, 0 },
	{ "2MM", -EINVAL, 0 },
	{ "2B", -EINVAL, 0 },		/* B only after a suffix */
	{ "2iB", -EINVAL, 0 },
	{ "1Z", -EINVAL, 0 },
};

static void check_bytes(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bytes_cases); i++) {
		const char *text = bytes_cases[i].text;
		uint64_t bytes = 0xdead;
		char plain[32], *end;
		int err;

		err = parse_bytes(text, &bytes);
		check(err == bytes_cases[i].err,
		      "parse_bytes(\"%s\"): %d, want %d", text, err,
		      bytes_cases[i].err);
		if (err) {
			check(bytes == 0xdead,
			      "parse_bytes(\"%s\") wrote %" PRIu64
			      " and failed",
			      text, bytes);
			continue;
		}
		check(bytes == bytes_cases[i].bytes,
		      "parse_bytes(\"%s\"): %" PRIu64 ", want %" PRIu64, text,
		      bytes, bytes_cases[i].bytes);
		snprintf(plain, sizeof(plain), "%" PRIu64, bytes);
		check(kernel_memparse(plain, &end) == bytes && !*end,
		      "memparse(\"%s\") is not %" PRIu64, plain, bytes);
	}
}

static const struct {
	const char *args;	/* blank-separated */
	int status;
	const char *options;	/* what the kernel gets */
} options_cases[] = {
	{ "", 0, "" },
	{ "size=16M max_size=256M folio_order=0", 0,
	  "size=16777216 max_size=268435456 folio_order=0" },
	{ "size=32MiB", 0, "size=33554432" },
	{ "size=1T", 0, "size=1099511627776" },	/* the kernel refuses it */
	{ "size=0", 0, "size=0" },		/* the kernel refuses it */
	{ "size=4097", 0, "size=4097" },	/* the kernel refuses it */
	{ "folio_order=010", 0, "folio_order=10" },
	{ "folio_order=10", 0, "folio_order=10" }, /* the kernel refuses it */
	{ "size=0x1000", EXIT_USAGE, NULL },
	{ "size=garbage", EXIT_USAGE, NULL },
	{ "size=64Mx", EXIT_USAGE, NULL },
	{ "size=", EXIT_USAGE, NULL },
	{ "size", EXIT_USAGE, NULL },
	{ "size=16E", EXIT_USAGE, NULL },
	{ "folio_order=-1", EXIT_USAGE, NULL },
	{ "folio_order=huge", EXIT_USAGE, NULL },
	{ "folio_order=1K", EXIT_USAGE, NULL },
	{ "folio_order=4294967296", EXIT_USAGE, NULL },
	{ "colour=blue", EXIT_USAGE, NULL },
	{ "size=4K size=8K", EXIT_USAGE, NULL },
};

static void check_module_options(void)
{
	int saved_stderr = dup(STDERR_FILENO);
	int null = open("/dev/null", O_WRONLY);
	size_t i;

	/* The usage errors are expected; only their status is checked. */
	dup2(null, STDERR_FILENO);
	for (i = 0; i < ARRAY_SIZE(options_cases); i++) {
		char copy[256], given[MAX_OPTIONS_LEN],
			options[MAX_OPTIONS_LEN];
		char *argv[8], *save = NULL, *tok;
		int argc = 0, status;

		snprintf(copy, sizeof(copy), "%s", options_cases[i].args);
		for (tok = strtok_r(copy, " ", &save); tok && argc < 8;
		     tok = strtok_r(NULL, " ", &save))
			argv[argc++] = tok;
		status = module_options(argc, argv, given, options,
					sizeof(options));
		check(status == options_cases[i].status,
		      "load %s: status %d, want %d", options_cases[i].args,
		      status, options_cases[i].status);
		if (status || !options_cases[i].options)
			continue;
		check(!strcmp(options, options_cases[i].options),
		      "load %s: kernel gets \"%s\", want \"%s\"",
		      options_cases[i].args, options, options_cases[i].options);
		check(!strcmp(given, options_cases[i].args),
		      "load %s: messages quote \"%s\"", options_cases[i].args,
		      given);
	}
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	close(null);
}

#define PAGE	4096ULL
#define MAX	(1ULL << 30)

static const struct {
	enum request_type type;
	uint64_t size, offset, length;
	uint32_t flags;
	int err;		/* 0: the driver accepts it */
	const char *message;	/* for err; NULL: no rule explains it */
} rule_cases[] = {
	{ REQUEST_RESIZE, PAGE, 0, 0, 0, 0, NULL },
	{ REQUEST_RESIZE, MAX, 0, 0, 0, 0, NULL },
	{ REQUEST_RESIZE, 0, 0, 0, 0, EINVAL,
	  "cannot resize to 0: the size must be at least one page (4096 bytes)" },
	{ REQUEST_RESIZE, 4097, 0, 0, 0, EINVAL,
	  "cannot resize to 4097: not a multiple of the page size (4096 bytes)" },
	{ REQUEST_RESIZE, MAX + PAGE, 0, 0, 0, EINVAL,
	  "cannot resize to 1073745920 (1.0 GiB): above max_size 1073741824 (1 GiB); load the module with a larger max_size=" },
	{ REQUEST_RESIZE, 2 * MAX, 0, 0, 0, EINVAL,
	  "cannot resize to 2147483648 (2 GiB): above max_size 1073741824 (1 GiB); load the module with a larger max_size=" },
	/* The driver checks the flags first. */
	{ REQUEST_RESIZE, 0, 0, 0, 1, EINVAL,
	  "cannot resize to 0: the driver rejects flags 0x1 (only 0 is defined)" },
	{ REQUEST_PUNCH, 0, 0, PAGE, 0, 0, NULL },
	{ REQUEST_PUNCH, 0, 2 * MAX, PAGE, 0, 0, NULL },	/* past the end */
	{ REQUEST_PUNCH, 0, 0, 0, 0, EINVAL, "cannot punch: LENGTH is 0" },
	{ REQUEST_PUNCH, 0, 1, PAGE, 0, EINVAL,
	  "cannot punch at offset 1: not page aligned (page size 4096 bytes)" },
	{ REQUEST_PUNCH, 0, 0, 100, 0, EINVAL,
	  "cannot punch 100 bytes: LENGTH is not a multiple of the page size (4096 bytes)" },
	{ REQUEST_PUNCH, 0, UINT64_MAX - PAGE + 1, PAGE, 0, EINVAL,
	  "cannot punch: OFFSET + LENGTH overflows 64 bits" },
	{ REQUEST_PUNCH, 0, 0, PAGE, 0x80000000, EINVAL,
	  "cannot punch: the driver rejects flags 0x80000000 (only 0 is defined)" },
};

/* What the driver says after the fact, for a request it should accept. */
static const struct {
	enum request_type type;
	int err;
	const char *message;	/* NULL: no rule, device.c explains */
} errno_cases[] = {
	{ REQUEST_RESIZE, EINVAL,
	  "MMAPDEMO_IOC_RESIZE failed: Invalid argument: the driver rejected the request's values" },
	{ REQUEST_RESIZE, EBADF,
	  "MMAPDEMO_IOC_RESIZE failed: Bad file descriptor: /dev/mmapdemo is not open for writing, and the request changes the device" },
	{ REQUEST_PUNCH, EBADF,
	  "MMAPDEMO_IOC_PUNCH failed: Bad file descriptor: /dev/mmapdemo is not open for writing, and the request changes the device" },
	{ REQUEST_INFO, EBADF, NULL },
	{ REQUEST_RESIZE, ENOMEM,
	  "MMAPDEMO_IOC_RESIZE failed: Cannot allocate memory: the kernel ran out of memory; nothing was changed" },
	{ REQUEST_PUNCH, ENOMEM, NULL },
	{ REQUEST_INFO, EFAULT,
	  "MMAPDEMO_IOC_INFO failed: Bad address: the kernel could not access the request (a bug in mmapdemo-ctl?)" },
	{ REQUEST_PUNCH, ENOTTY, NULL },
};

static const char *const request_names[] = {
	[REQUEST_INFO] = "MMAPDEMO_IOC_INFO",
	[REQUEST_RESIZE] = "MMAPDEMO_IOC_RESIZE",
	[REQUEST_PUNCH] = "MMAPDEMO_IOC_PUNCH",
};

static void init(struct device_request *req, enum request_type type)
{
	memset(req, 0, sizeof(*req));
	req->type = type;
	req->name = request_names[type];
	req->device = "/dev/mmapdemo";
	req->page_size = PAGE;
	req->max_size = MAX;
}

/* That @rule explains @req, failed with @err, as @want (@what case @i). */
static void check_explanation(const struct driver_rule *rule,
			      const struct device_request *req, int err,
			      const char *want, const char *what, size_t i)
{
	char text[512];

	driver_rule_explain(rule, req, err, text, sizeof(text));
	check(!strcmp(text, want), "%s case %zu: \"%s\", want \"%s\"", what, i,
	      text, want);
}

static void check_rules(void)
{
	const struct driver_rule *before, *after;
	struct device_request req;
	char text[512];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rule_cases); i++) {
		init(&req, rule_cases[i].type);
		req.size = rule_cases[i].size;
		req.offset = rule_cases[i].offset;
		req.length = rule_cases[i].length;
		req.flags = rule_cases[i].flags;
		before = driver_rule_broken(&req);
		if (!rule_cases[i].err) {
			if (before)
				driver_rule_explain(before, &req, 0, text,
						    sizeof(text));
			check(!before, "rule case %zu: refused: %s", i,
			      before ? text : "");
			continue;
		}
		/* The same rule, found both ways, says the same. */
		after = driver_rule_for_errno(&req, rule_cases[i].err);
		check(before && before == after,
		      "rule case %zu: before %p, after %p", i, (void *)before,
		      (void *)after);
		if (before)
			check_explanation(before, &req, rule_cases[i].err,
					  rule_cases[i].message, "rule", i);
	}

	for (i = 0; i < ARRAY_SIZE(errno_cases); i++) {
		init(&req, errno_cases[i].type);
		req.size = PAGE;
		req.length = PAGE;
		after = driver_rule_for_errno(&req, errno_cases[i].err);
		if (!errno_cases[i].message) {
			check(!after, "errno case %zu: a rule explains it", i);
			continue;
		}
		check(after, "errno case %zu: no rule", i);
		if (after)
			check_explanation(after, &req, errno_cases[i].err,
					  errno_cases[i].message, "errno", i);
	}

	/* A small buffer gets a cut, terminated message. */
	init(&req, REQUEST_PUNCH);
	after = driver_rule_for_errno(&req, EINVAL);
	driver_rule_explain(after, &req, EINVAL, text, 8);
	check(!strcmp(text, "cannot "), "explanation in 8 bytes: \"%s\"", text);
}

static void check_format_bytes(void)
{
	static const struct {
		uint64_t bytes;
		const char *text;
	} cases[] = {
		{ 0, "0 B" },
		{ 4096, "4 KiB" },
		{ 1536, "1.5 KiB" },
		{ 64ULL << 20, "64 MiB" },
		{ 1ULL << 60, "1 EiB" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		check(!strcmp(format_bytes(cases[i].bytes, buf, sizeof(buf)),
			      cases[i].text),
		      "format_bytes(%" PRIu64 "): \"%s\", want \"%s\"",
		      cases[i].bytes, buf, cases[i].text);
}

int main(void)
{
	check_bytes();
	check_module_options();
	check_rules();
	check_format_bytes();
	printf("  CHECK   mmapdemo-ctl: %d of %d checks failed\n", failures,
	       checks);
	return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
