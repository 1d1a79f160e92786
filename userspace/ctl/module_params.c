// SPDX-License-Identifier: GPL-2.0
/*
 * The PARAM=VALUE arguments of load: the driver's module parameters, each
 * checked here and handed to the kernel as a plain decimal number.
 */
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

static int parse_folio_order(const char *text, uint64_t *value)
{
	/* The driver reads it with kstrtouint(): anything up to UINT_MAX. */
	return parse_decimal(text, UINT_MAX, value);
}

struct module_param {
	const char *name;
	int (*parse)(const char *text, uint64_t *value);
	const char *value_name;		/* for --help */
	const char *help;		/* one line */
	/* whether the default is the PMD order (added to the help) */
	bool pmd_order_default;
	/* why a value was refused; NULL: parse_bytes_error() says it */
	const char *expected;
};

/*
 * The driver's only parameters (driver/main.c). The kernel ignores an
 * unknown one with a log line and loads the module with the defaults,
 * so a typo would go unnoticed: load refuses it instead.
 */
static const struct module_param module_params[] = {
	{ "size", parse_bytes, "BYTES",
	  "device size, a page multiple (default 64M)", false, NULL },
	{ "max_size", parse_bytes, "BYTES",
	  "largest size resize accepts (default 1G or the RAM)", false, NULL },
	{ "folio_order", parse_folio_order, "N",
	  "allocate in folios of 2^N pages", true,
	  "expected a small non-negative integer, e.g. folio_order=0" },
};

#define NR_MODULE_PARAMS ARRAY_SIZE(module_params)

/*
 * The bytes one PMD maps on the running kernel: hpage_pmd_size, or without
 * THP what a page of 8-byte page table entries covers (2 MiB with 4 KiB
 * pages, 32 MiB with 16 KiB).
 */
static uint64_t pmd_bytes(void)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), bytes;
	char text[32];

	if (!read_text_file("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size",
			    text, sizeof(text)) &&
	    !parse_decimal(text, UINT64_MAX, &bytes) && bytes)
		return bytes;
	return page / 8 * page;
}

/* " (default 9: 2 MiB)": the PMD order and size of the running kernel. */
static void print_pmd_order_default(FILE *out)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), pmd = pmd_bytes();
	unsigned int order = 0;
	char size[32];

	while ((page << (order + 1)) <= pmd)
		order++;
	format_bytes(pmd, size, sizeof(size));
	fprintf(out, " (default %u: %s)", order, size);
}

void print_module_params(FILE *out)
{
	size_t i;

	for (i = 0; i < NR_MODULE_PARAMS; i++) {
		char word[32];

		snprintf(word, sizeof(word), "%s=%s", module_params[i].name,
			 module_params[i].value_name);
		fprintf(out, "  %-17s%s", word, module_params[i].help);
		if (module_params[i].pmd_order_default)
			print_pmd_order_default(out);
		fputc('\n', out);
	}
}

static const struct module_param *find_module_param(const char *arg,
						    size_t name_len)
{
	size_t i;

	for (i = 0; i < NR_MODULE_PARAMS; i++)
		if (strlen(module_params[i].name) == name_len &&
		    !strncmp(module_params[i].name, arg, name_len))
			return &module_params[i];
	return NULL;
}

/* Append " WORD" (no space first) to @buf of @len; false if it is full. */
static bool append_word(char *buf, size_t len, size_t *used, const char *word)
{
	int n = snprintf(buf + *used, len - *used, "%s%s", *used ? " " : "",
			 word);

	if (n < 0 || (size_t)n >= len - *used)
		return false;
	*used += n;
	return true;
}

/*
 * Check the PARAM=VALUE arguments of load and build two strings of @len
 * bytes: @given, the arguments as typed (for messages), and @options,
 * what the kernel gets: "NAME=NUMBER ...", each value as the plain
 * decimal number it means (see parse_bytes()).
 * Return: 0 or EXIT_USAGE, the message shown.
 */
int module_options(int argc, char **argv, char *given, char *options,
		   size_t len)
{
	bool seen[NR_MODULE_PARAMS] = { false };
	size_t given_used = 0, options_used = 0;
	int i;

	given[0] = '\0';
	options[0] = '\0';
	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];
		const char *eq = strchr(arg, '=');
		size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
		const struct module_param *param;
		char word[128];
		uint64_t value;
		int err;

		param = find_module_param(arg, name_len);
		if (!param)
			return usage_error("unknown module parameter '%.*s' (mmapdemo has only 'size', 'max_size' and 'folio_order')", (int)name_len, arg);
		if (!eq)
			return usage_error("parameter '%s' needs a value: %s=%s", param->name, param->name, param->value_name);
		err = param->parse(eq + 1, &value);
		if (err)
			return usage_error("invalid value '%s' for parameter '%s': %s", eq + 1, param->name, param->expected ?: parse_bytes_error(err));
		if (seen[param - module_params])
			return usage_error("parameter '%s' given more than once", param->name);
		seen[param - module_params] = true;

		snprintf(word, sizeof(word), "%s=%" PRIu64, param->name, value);
		if (!append_word(given, len, &given_used, arg) ||
		    !append_word(options, len, &options_used, word))
			return usage_error("module parameters too long");
	}
	return 0;
}
