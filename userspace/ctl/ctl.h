/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmapdemo-ctl: what its files share. One file per group of commands
 * (module.c: load, unload, status; device.c: info, resize, punch), main.c
 * with the table of commands, and the helpers those use.
 */
#ifndef MMAPDEMO_CTL_H
#define MMAPDEMO_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROG_NAME	"mmapdemo-ctl"
#define PROG_VERSION	"0.1.0"

#define EXIT_USAGE	2	/* bad command line */
#define EXIT_NOT_LOADED	3	/* the module is not loaded */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The module's own sysfs directory (MMAPDEMO_SYSFS_DIR is the device's) */
#define MODULE_SYSFS_DIR	"/sys/module/mmapdemo"

/* main.c: the global options */
extern bool verbose;
extern const char *device_path;

/* A command: the dispatcher and --help both read the table in main.c. */
struct ctl_command {
	const char *name;
	int (*run)(int argc, char **argv);	/* argv[0] is the name */
	const char *args;			/* synopsis after the name */
	const char *help;			/* one line */
};

void print_usage(FILE *out);

/* messages.c */
void error_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* text_file.c */
int read_text_file(const char *path, char *buf, size_t len);

/* bytes.c: the one syntax of byte counts, and the other numbers */
#define BYTES_SYNTAX_HELP \
	"a decimal number with an optional K, M, G, T, P or E suffix"

int parse_bytes(const char *text, uint64_t *bytes);
const char *parse_bytes_error(int err);
int parse_decimal(const char *text, uint64_t max, uint64_t *value);
bool is_decimal(const char *text);
bool parse_flags(const char *text, uint32_t *flags);
const char *format_bytes(uint64_t bytes, char *buf, size_t len);

/* json.c */
void json_string(const char *s);
void json_key(bool *first, int indent, const char *name);
void json_value(const char *value);
int parse_json_option(int argc, char **argv, bool *json);

/* kernel_log.c: the kernel's log lines about a load */
#define KERNEL_LOG_LINES	16

struct kernel_log {
	char lines[KERNEL_LOG_LINES][256];
	int count;
};

void kmsg_collect(int fd, const char *module, struct kernel_log *log);
void kmsg_show(const struct kernel_log *log);
const char *rejected_param(const struct kernel_log *log, char *name,
			   size_t len);

/* module_params.c: PARAM=VALUE of load */
#define MAX_OPTIONS_LEN	1024

int module_options(int argc, char **argv, char *given, char *options,
		   size_t len);
void print_module_params(FILE *out);

/* module.c */
int cmd_load(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_status(int argc, char **argv);

/* driver_rules.c: what the driver refuses, to check and to explain */
enum request_type {
	REQUEST_INFO,
	REQUEST_RESIZE,
	REQUEST_PUNCH,
};

/* One ioctl request, and the facts the driver's rules about it need. */
struct device_request {
	enum request_type type;
	const char *name;	/* "MMAPDEMO_IOC_RESIZE", for messages */
	const char *device;	/* the device node, for messages */
	uint64_t size;		/* RESIZE */
	uint64_t offset;	/* PUNCH */
	uint64_t length;	/* PUNCH */
	uint32_t flags;		/* RESIZE, PUNCH */
	uint64_t page_size;
	uint64_t max_size;	/* as MMAPDEMO_IOC_INFO said */
};

struct driver_rule;

const struct driver_rule *driver_rule_broken(const struct device_request *req);
const struct driver_rule *
driver_rule_for_errno(const struct device_request *req, int err);
const char *driver_rule_explain(const struct driver_rule *rule,
				const struct device_request *req, int err,
				char *buf, size_t len);

/* device.c */
int cmd_info(int argc, char **argv);
int cmd_resize(int argc, char **argv);
int cmd_punch(int argc, char **argv);

#endif /* MMAPDEMO_CTL_H */
