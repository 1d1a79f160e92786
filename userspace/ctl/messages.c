// SPDX-License-Identifier: GPL-2.0
/*
 * Messages on standard error: every one starts with the program's name;
 * a usage error also says where the help is (and gives exit status 2).
 */
#include <stdarg.h>
#include <stdio.h>

#include "ctl.h"

/* "mmapdemo-ctl: " and the message, without the end of the line. */
static void print_message(const char *fmt, va_list ap)
{
	fputs(PROG_NAME ": ", stderr);
	vfprintf(stderr, fmt, ap);
}

void error_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_message(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_message(fmt, ap);
	va_end(ap);
	fputs("\nTry '" PROG_NAME " --help' for more information.\n", stderr);
	return EXIT_USAGE;
}
