// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo-ctl: load, unload and inspect the mmapdemo kernel module, and
 * drive its ioctls (INFO, RESIZE, PUNCH).
 *
 * This file has the table of commands, which the dispatcher and --help
 * both read, and the options that come before the command. The commands
 * live in one file per group: module.c (load, unload, status) and
 * device.c (info, resize, punch).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "mmapdemo.h"

bool verbose;
const char *device_path = MMAPDEMO_DEVICE_PATH;

static int cmd_help(int argc, char **argv);

static const struct ctl_command commands[] = {
	{ "load", cmd_load, "[-m PATH] [PARAM=VALUE...]", "insert the module" },
	{ "unload", cmd_unload, "",
	  "remove it (fails while the device is used)" },
	{ "status", cmd_status, "[--json]",
	  "loaded or not, version, sysfs values" },
	{ "info", cmd_info, "[--json]",
	  "the driver's sizes, folio order, features" },
	{ "resize", cmd_resize, "[--flags N] SIZE",
	  "change the device size (like ftruncate)" },
	{ "punch", cmd_punch, "[--flags N] OFFSET LENGTH",
	  "free a byte range; it then reads as zeros" },
	{ "help", cmd_help, "", "show this help" },
};

static const char usage_head[] =
	"Usage: " PROG_NAME " [-v] [-d PATH] COMMAND [ARGS...]\n"
	"\n"
	"Load, unload and inspect the mmapdemo kernel module, and resize its\n"
	"device " MMAPDEMO_DEVICE_PATH " or free parts of it (its ioctls).\n"
	"\n"
	"Commands:\n";

static const char usage_load[] =
	"\n"
	"load takes the module from -m PATH, else $MMAPDEMO_KO, else the one\n"
	"installed for the running kernel, and these parameters:\n";

static const char usage_tail[] =
	"\n"
	"Byte counts (BYTES, SIZE, OFFSET, LENGTH) are decimal, with an optional\n"
	"suffix K, M, G, T, P or E (powers of 1024, either case), which may be\n"
	"followed by iB or B: 2M = 2m = 2MiB = 2MB = 2097152.\n"
	"\n"
	"Options:\n"
	"  -d, --device PATH  the device node for status, info, resize and punch\n"
	"                     (default " MMAPDEMO_DEVICE_PATH ")\n"
	"  -v, --verbose      also show libkmod's own log messages\n"
	"  -h, --help         show this help and exit\n"
	"  -V, --version      show the version and exit\n"
	"  --flags N          (resize, punch) put N in the request's flags field\n"
	"                     and send it unchecked, to see the driver refuse it\n"
	"\n"
	"Exit status:\n"
	"  0  success (for status: the module is loaded)\n"
	"  1  failure; a message on stderr names the cause\n"
	"  2  usage error\n"
	"  3  the module is not loaded (status, info, resize, punch)\n"
	"\n"
	"See mmapdemo-ctl(8).\n";

void print_usage(FILE *out)
{
	int width = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		int n = strlen(commands[i].name) + 1 + strlen(commands[i].args);

		if (n > width)
			width = n;
	}
	fputs(usage_head, out);
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		char synopsis[64];

		snprintf(synopsis, sizeof(synopsis), "%s %s", commands[i].name,
			 commands[i].args);
		fprintf(out, "  %-*s  %s\n", width, synopsis, commands[i].help);
	}
	fputs(usage_load, out);
	print_module_params(out);
	fputs(usage_tail, out);
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	print_usage(stdout);
	return fflush(stdout) ? EXIT_FAILURE : EXIT_SUCCESS;
}

static const struct ctl_command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* "load, unload, ... or punch": the commands that do something. */
static int missing_command(void)
{
	size_t i, nr_listed = 0, listed = 0, used = 0;
	char list[256] = "";

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		nr_listed += commands[i].run != cmd_help;
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		const char *sep;

		if (commands[i].run == cmd_help)
			continue;
		sep = ++listed < nr_listed ? ", " : " or ";
		used += snprintf(list + used, sizeof(list) - used, "%s%s",
				 used ? sep : "", commands[i].name);
	}
	return usage_error("missing command (%s)", list);
}

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct ctl_command *command;
	int opt;

	opterr = 0; /* getopt's messages would name the wrong program */
	/* "+": stop at the command; its own options are parsed later. */
	while ((opt = getopt_long(argc, argv, "+:d:vhV", long_options, NULL)) !=
	       -1) {
		switch (opt) {
		case 'd':
			if (!*optarg)
				return usage_error("empty device path");
			device_path = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			print_usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("%s %s (mmapdemo ABI version %d)\n", PROG_NAME,
			       PROG_VERSION, MMAPDEMO_ABI_VERSION);
			return EXIT_SUCCESS;
		case ':':
			return usage_error("option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return missing_command();

	command = find_command(argv[optind]);
	if (!command)
		return usage_error("unknown command '%s'", argv[optind]);
	return command->run(argc - optind, argv + optind);
}
