// SPDX-License-Identifier: GPL-2.0
/*
 * The --json option of status and info, and the little JSON they print:
 * one object, keys in a fixed order, two spaces of indentation.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"

void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* "  "name": " at @indent levels of two spaces, after a comma if needed. */
void json_key(bool *first, int indent, const char *name)
{
	printf("%s\n%*s", *first ? "" : ",", indent * 2, "");
	*first = false;
	json_string(name);
	fputs(": ", stdout);
}

/* A sysfs value: a JSON number when it is one, else a string. */
void json_value(const char *value)
{
	if (is_decimal(value) && (value[0] != '0' || !value[1]))
		fputs(value, stdout);
	else
		json_string(value);
}

/*
 * The options of `status` and `info`: --json and --help, no arguments.
 * Return: -1 to go on (*json set), else the exit status to return.
 */
int parse_json_option(int argc, char **argv, bool *json)
{
	static const struct option long_options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	*json = false;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+h", long_options, NULL)) !=
	       -1) {
		switch (opt) {
		case 'j':
			*json = true;
			break;
		case 'h':
			print_usage(stdout);
			return EXIT_SUCCESS;
		default:
			return usage_error("%s: unknown option '%s'", argv[0],
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("%s takes no arguments (only the option --json)", argv[0]);
	return -1;
}
