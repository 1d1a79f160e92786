// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo-ctl: load, unload and inspect the mmapdemo kernel module.
 *
 * It does what insmod/rmmod do (through libkmod), but turns the kernel's
 * terse errno values into messages that name the likely cause and the fix.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libkmod.h>

#include "mmapdemo.h"

#define PROG_NAME	"mmapdemo-ctl"
#define PROG_VERSION	"0.1.0"

#define EXIT_USAGE	2	/* bad command line */
#define EXIT_NOT_LOADED	3	/* "status": the module is not loaded */

#define MAX_OPTIONS_LEN	1024	/* module parameter string */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static bool verbose;

static const char usage_text[] =
"Usage: " PROG_NAME " [-v] COMMAND [ARGS...]\n"
"\n"
"Load, unload and inspect the mmapdemo kernel module (" MMAPDEMO_DEVICE_PATH ").\n"
"\n"
"Commands:\n"
"  load [-m|--module PATH] [PARAM=VALUE...]\n"
"        Insert the module with the given parameters. Without -m, PATH is\n"
"        $MMAPDEMO_KO if set, else the module installed for the running\n"
"        kernel (looked up by name in /lib/modules/$(uname -r)).\n"
"        Parameters:\n"
"          size=BYTES       device size, page multiple; K, M or G suffix\n"
"                           allowed (default 64M)\n"
"          folio_order=N    backing pages are allocated in folios of 2^N\n"
"                           pages (default 9, i.e. 2 MiB)\n"
"  unload\n"
"        Remove the module. This fails while " MMAPDEMO_DEVICE_PATH " is open\n"
"        or mapped by any process.\n"
"  status\n"
"        Tell whether the module is loaded; if it is, print the device path\n"
"        and the driver's sysfs values, one \"name: value\" per line.\n"
"\n"
"Options:\n"
"  -v, --verbose   also show libkmod's own log messages\n"
"  -h, --help      show this help and exit\n"
"  -V, --version   show the version and exit\n"
"\n"
"Exit status:\n"
"  0  success (for status: the module is loaded)\n"
"  1  failure; a message on stderr names the cause\n"
"  2  usage error\n"
"  3  status only: the module is not loaded\n";

static void __attribute__((format(printf, 1, 2))) error_msg(const char *fmt,
							     ...)
{
	va_list ap;

	fputs(PROG_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry '" PROG_NAME " --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

static const char *kernel_release(void)
{
	static struct utsname uts;

	if (uname(&uts) < 0)
		return "(unknown)";
	return uts.release;
}

/* Read a small sysfs/procfs file, without the trailing newline. */
static int read_text_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static struct kmod_ctx *kmod_context(void)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);

	if (!ctx) {
		error_msg("cannot initialise libkmod");
		return NULL;
	}
	/*
	 * libkmod prints its own "ERROR: could not ..." lines; this program
	 * explains each failure itself, so keep libkmod quiet unless asked.
	 */
	kmod_set_log_priority(ctx, verbose ? LOG_INFO : LOG_EMERG);
	return ctx;
}

/* ---- kernel log capture --------------------------------------------- */

/*
 * The kernel explains most load failures only in its log (e.g. which
 * parameter value it rejected). Open /dev/kmsg before the load, skip the
 * old records, and afterwards show the new ones that mention the module.
 */
static int kmsg_open_at_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static bool kmsg_is_noise(const char *msg)
{
	/* Expected taint notices for an out-of-tree, unsigned module. */
	return strstr(msg, "module verification failed") ||
	       strstr(msg, "taints kernel");
}

#define KERNEL_LOG_LINES	16

struct kernel_log {
	char lines[KERNEL_LOG_LINES][256];
	int count;
};

/*
 * Collect the new kernel log lines about @module, or about modules at all
 * (e.g. "Loading of unsigned module is rejected").
 */
static void kmsg_collect(int fd, const char *module, struct kernel_log *log)
{
	char record[4096];

	log->count = 0;
	if (fd < 0)
		return;
	while (log->count < KERNEL_LOG_LINES) {
		ssize_t n = read(fd, record, sizeof(record) - 1);
		char *msg, *end;

		if (n < 0) {
			/* EPIPE: records were overwritten; go on */
			if (errno == EPIPE)
				continue;
			break;	/* EAGAIN: no more records */
		}
		record[n] = '\0';
		/* Format: "prio,seq,usec,flags;message\n[ KEY=value\n...]" */
		msg = strchr(record, ';');
		if (!msg)
			continue;
		msg++;
		end = strchr(msg, '\n');
		if (end)
			*end = '\0';
		if ((!strstr(msg, module) && !strstr(msg, "module")) ||
		    kmsg_is_noise(msg))
			continue;
		snprintf(log->lines[log->count++], sizeof(log->lines[0]), "%s",
			 msg);
	}
}

static void kmsg_show(const struct kernel_log *log)
{
	int i;

	for (i = 0; i < log->count; i++)
		error_msg("kernel log: %s", log->lines[i]);
}

/*
 * The parameter the kernel refused, from its "`VALUE' invalid for
 * parameter `NAME'" line; NULL when the log does not say.
 */
static const char *rejected_param(const struct kernel_log *log,
				  char *name, size_t len)
{
	static const char marker[] = "invalid for parameter ";
	int i;

	for (i = 0; i < log->count; i++) {
		const char *p = strstr(log->lines[i], marker);
		size_t n;

		if (!p)
			continue;
		p += sizeof(marker) - 1;
		p += strspn(p, "`'\"");
		n = strcspn(p, "`'\"");
		if (!n || n >= len)
			continue;
		memcpy(name, p, n);
		name[n] = '\0';
		return name;
	}
	return NULL;
}

/* The "NAME=VALUE" word of @options for parameter @name, or NULL. */
static const char *option_word(const char *options, const char *name,
			       char *word, size_t len)
{
	size_t name_len = strlen(name);
	const char *p = options;

	while (*p) {
		size_t n = strcspn(p, " ");

		if (n > name_len && p[name_len] == '=' &&
		    !strncmp(p, name, name_len) && n < len) {
			memcpy(word, p, n);
			word[n] = '\0';
			return word;
		}
		p += n;
		p += strspn(p, " ");
	}
	return NULL;
}

/* ---- load ----------------------------------------------------------- */

static bool is_unsigned_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* What the kernel's memparse() accepts: a number, an optional K/M/G/... */
static bool is_byte_count(const char *s)
{
	const char *digits = s;
	bool hex = false;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		digits = s + 2;
		hex = true;
	}
	s = digits;
	while (hex ? isxdigit((unsigned char)*s) : isdigit((unsigned char)*s))
		s++;
	if (s == digits)
		return false;
	if (*s && strchr("kKmMgGtTpPeE", *s))
		s++;
	return *s == '\0';
}

struct module_param {
	const char *name;
	bool (*valid)(const char *value);
	const char *expected;
};

/* The driver's only parameters; the kernel silently ignores unknown ones. */
static const struct module_param module_params[] = {
	{ "size", is_byte_count,
	  "a byte count with an optional K, M or G suffix, e.g. size=16M" },
	{ "folio_order", is_unsigned_number,
	  "a small non-negative integer, e.g. folio_order=0" },
};

#define NR_MODULE_PARAMS ARRAY_SIZE(module_params)

/*
 * Check PARAM=VALUE arguments and join them into the option string the
 * kernel parses. Catching typos here matters: the kernel only logs
 * "unknown parameter ignored" and loads the module with the default.
 */
static int build_options(int argc, char **argv, char *options, size_t len)
{
	bool seen[NR_MODULE_PARAMS] = { false };
	size_t used = 0;
	int i;

	options[0] = '\0';
	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];
		const char *eq = strchr(arg, '=');
		size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
		const struct module_param *param = NULL;
		size_t p;
		int n;

		for (p = 0; p < NR_MODULE_PARAMS; p++) {
			if (strlen(module_params[p].name) == name_len &&
			    !strncmp(module_params[p].name, arg, name_len)) {
				param = &module_params[p];
				break;
			}
		}
		if (!param)
			return usage_error("unknown module parameter '%.*s' (mmapdemo has only 'size' and 'folio_order')",
					   (int)name_len, arg);
		if (!eq)
			return usage_error("parameter '%s' needs a value: %s=VALUE, %s",
					   param->name, param->name,
					   param->expected);
		if (!param->valid(eq + 1))
			return usage_error("invalid value '%s' for parameter '%s': expected %s",
					   eq + 1, param->name,
					   param->expected);
		if (seen[p])
			return usage_error("parameter '%s' given more than once",
					   param->name);
		seen[p] = true;

		n = snprintf(options + used, len - used, "%s%s",
			     used ? " " : "", arg);
		if (n < 0 || (size_t)n >= len - used)
			return usage_error("module parameters too long");
		used += n;
	}
	return 0;
}

/* The module's "vermagic" (kernel it was built for), or NULL. */
static char *module_vermagic(struct kmod_module *mod)
{
	struct kmod_list *info = NULL, *entry;
	char *vermagic = NULL;

	if (kmod_module_get_info(mod, &info) < 0)
		return NULL;
	kmod_list_foreach(entry, info) {
		if (!strcmp(kmod_module_info_get_key(entry), "vermagic")) {
			vermagic = strdup(kmod_module_info_get_value(entry));
			break;
		}
	}
	/* It ends with a space ("... mod_unload modversions "). */
	if (vermagic) {
		size_t len = strlen(vermagic);

		while (len && vermagic[len - 1] == ' ')
			vermagic[--len] = '\0';
	}
	kmod_module_info_free_list(info);
	return vermagic;
}

static void explain_eperm(const char *what)
{
	char value[64];

	if (geteuid() != 0) {
		error_msg("%s: permission denied: run as root (needs CAP_SYS_MODULE)",
			  what);
		return;
	}
	if (!read_text_file("/proc/sys/kernel/modules_disabled", value,
			    sizeof(value)) && !strcmp(value, "1")) {
		error_msg("%s: not permitted: module loading and unloading are disabled (/proc/sys/kernel/modules_disabled = 1, until reboot)",
			  what);
		return;
	}
	error_msg("%s: not permitted: needs CAP_SYS_MODULE (missing in this container?), or the kernel is locked down (see /sys/kernel/security/lockdown) and refuses unsigned modules",
		  what);
}

static void explain_load_error(int err, struct kmod_module *mod,
			       const char *path, const char *options,
			       const struct kernel_log *log)
{
	char what[PATH_MAX + 32], name[64], word[MAX_OPTIONS_LEN];
	char *vermagic;

	switch (err) {
	case EEXIST:
		error_msg("cannot load %s: mmapdemo is already loaded; run '" PROG_NAME " unload' first",
			  path);
		break;
	case ENOENT:
		if (access(path, F_OK) < 0)
			error_msg("cannot load %s: module file not found", path);
		else
			error_msg("cannot load %s: the kernel could not resolve a symbol the module needs (built for another kernel?); see dmesg",
				  path);
		break;
	case EPERM:
	case EACCES:
		snprintf(what, sizeof(what), "cannot load %s", path);
		explain_eperm(what);
		break;
	case EKEYREJECTED:
	case ENOKEY:
	case EBADMSG:
		error_msg("cannot load %s: %s: the kernel only accepts signed modules (Secure Boot or module.sig_enforce=1); sign mmapdemo.ko with a key the kernel trusts, or disable signature enforcement",
			  path, strerror(err));
		break;
	case EINVAL:
	case ERANGE:
		if (!options[0]) {
			error_msg("cannot load %s: %s; see 'dmesg'", path,
				  strerror(err));
		} else if (!strchr(options, ' ') ||
			   (rejected_param(log, name, sizeof(name)) &&
			    option_word(options, name, word, sizeof(word)))) {
			error_msg("cannot load %s: the driver rejected parameter %s (%s); see 'dmesg'",
				  path, strchr(options, ' ') ? word : options,
				  strerror(err));
		} else {
			error_msg("cannot load %s: the driver rejected one of the parameters '%s' (%s); see 'dmesg' for which one",
				  path, options, strerror(err));
		}
		break;
	case ENOEXEC:
		vermagic = module_vermagic(mod);
		error_msg("cannot load %s: invalid module format: it was built for another kernel (module vermagic '%s', running kernel %s); rebuild it with scripts/build-module %s",
			  path, vermagic ? vermagic : "unknown",
			  kernel_release(), kernel_release());
		free(vermagic);
		break;
	case EBUSY:
		error_msg("cannot load %s: the kernel is busy with mmapdemo (another process is loading or unloading it); try again",
			  path);
		break;
	case ENOSYS:
		error_msg("cannot load %s: this kernel has no loadable module support (CONFIG_MODULES is off)",
			  path);
		break;
	case ENOMEM:
		error_msg("cannot load %s: out of memory%s", path,
			  options[0] ? " (parameters too large?)" : "");
		break;
	default:
		error_msg("cannot load %s: %s", path, strerror(err));
		break;
	}
}

/*
 * Find the module file: -m PATH, else $MMAPDEMO_KO, else the module
 * installed for the running kernel. Returns 0 or an exit status.
 */
static int find_module(struct kmod_ctx *ctx, const char *path,
		       struct kmod_module **mod)
{
	struct kmod_list *found = NULL;
	int err;

	if (path) {
		err = kmod_module_new_from_path(ctx, path, mod);
		if (err == -ENOENT) {
			error_msg("cannot load %s: module file not found", path);
			return EXIT_FAILURE;
		}
		if (err < 0) {
			error_msg("cannot load %s: %s", path, strerror(-err));
			return EXIT_FAILURE;
		}
		return 0;
	}

	err = kmod_module_new_from_lookup(ctx, MMAPDEMO_NAME, &found);
	if (err < 0 || !found) {
		error_msg("module mmapdemo is not installed for kernel %s (not in /lib/modules/%s); give its path with -m PATH or set MMAPDEMO_KO",
			  kernel_release(), kernel_release());
		kmod_module_unref_list(found);
		return EXIT_FAILURE;
	}
	*mod = kmod_module_get_module(found);
	kmod_module_unref_list(found);
	if (!kmod_module_get_path(*mod)) {
		error_msg("mmapdemo has no module file for kernel %s (built in?)",
			  kernel_release());
		kmod_module_unref(*mod);
		*mod = NULL;
		return EXIT_FAILURE;
	}
	return 0;
}

/* devtmpfs creates the node asynchronously; give it a moment. */
static bool wait_for_device_node(void)
{
	struct timespec delay = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 100; i++) {
		if (access(MMAPDEMO_DEVICE_PATH, F_OK) == 0)
			return true;
		nanosleep(&delay, NULL);
	}
	return false;
}

static int cmd_load(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct kernel_log kernel_log = { .count = 0 };
	char options[MAX_OPTIONS_LEN];
	struct kmod_module *mod = NULL;
	const char *path = NULL;
	struct kmod_ctx *ctx;
	int status, err, kmsg_fd, opt;

	optind = 0;	/* restart getopt on the sub-command's arguments */
	while ((opt = getopt_long(argc, argv, ":m:h", long_options,
				  NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (!*optarg)
				return usage_error("load: empty module path");
			path = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_SUCCESS;
		case ':':
			return usage_error("load: option '%s' needs a module path",
					   argv[optind - 1]);
		default:
			return usage_error("load: unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	status = build_options(argc - optind, argv + optind, options,
			       sizeof(options));
	if (status)
		return status;
	if (!path) {
		path = getenv("MMAPDEMO_KO");
		if (path && !*path)
			path = NULL;
	}

	ctx = kmod_context();
	if (!ctx)
		return EXIT_FAILURE;
	status = find_module(ctx, path, &mod);
	if (status)
		goto out;
	path = kmod_module_get_path(mod);

	/* Checked first so the message is clear even if the files differ. */
	if (kmod_module_get_initstate(mod) >= 0) {
		explain_load_error(EEXIST, mod, path, options, &kernel_log);
		status = EXIT_FAILURE;
		goto out;
	}

	kmsg_fd = kmsg_open_at_end();
	err = kmod_module_insert_module(mod, 0, options);
	if (err < 0) {
		kmsg_collect(kmsg_fd, MMAPDEMO_NAME, &kernel_log);
		explain_load_error(-err, mod, path, options, &kernel_log);
		kmsg_show(&kernel_log);
		status = EXIT_FAILURE;
	} else {
		printf("loaded %s%s%s\n", path,
		       options[0] ? " with " : "", options);
		if (!wait_for_device_node())
			error_msg("warning: %s did not appear (is devtmpfs mounted on /dev?)",
				  MMAPDEMO_DEVICE_PATH);
		status = EXIT_SUCCESS;
	}
	if (kmsg_fd >= 0)
		close(kmsg_fd);
out:
	kmod_module_unref(mod);
	kmod_unref(ctx);
	return status;
}

/* ---- unload --------------------------------------------------------- */

static bool is_device_path(const char *path)
{
	return !strcmp(path, MMAPDEMO_DEVICE_PATH);
}

static bool process_maps_device(const char *pid)
{
	char path[PATH_MAX], line[1024];
	bool found = false;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	maps = fopen(path, "re");
	if (!maps)
		return false;
	while (!found && fgets(line, sizeof(line), maps)) {
		char *name = strchr(line, '/');

		if (name) {
			name[strcspn(name, "\n")] = '\0';
			found = is_device_path(name);
		}
	}
	fclose(maps);
	return found;
}

static int process_device_fds(const char *pid)
{
	char dir_path[PATH_MAX], target[PATH_MAX];
	struct dirent *entry;
	int count = 0;
	DIR *fds;

	snprintf(dir_path, sizeof(dir_path), "/proc/%s/fd", pid);
	fds = opendir(dir_path);
	if (!fds)
		return 0;
	while ((entry = readdir(fds))) {
		ssize_t n;

		if (entry->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(fds), entry->d_name, target,
			       sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (is_device_path(target))
			count++;
	}
	closedir(fds);
	return count;
}

/* Name the processes that keep the module busy, so the user can act. */
static void show_device_users(void)
{
	struct dirent *entry;
	DIR *proc;

	proc = opendir("/proc");
	if (!proc)
		return;
	while ((entry = readdir(proc))) {
		char comm_path[PATH_MAX], comm[64] = "?";
		bool mapped;
		int fds;

		if (!is_unsigned_number(entry->d_name))
			continue;
		fds = process_device_fds(entry->d_name);
		mapped = process_maps_device(entry->d_name);
		if (!fds && !mapped)
			continue;
		snprintf(comm_path, sizeof(comm_path), "/proc/%s/comm",
			 entry->d_name);
		read_text_file(comm_path, comm, sizeof(comm));
		error_msg("  used by pid %s (%s):%s%s%s", entry->d_name, comm,
			  fds ? " open file descriptor" : "",
			  mapped ? (fds ? ", mapping" : " mapping") : "",
			  atoi(entry->d_name) == getpid() ?
			  " (this very process: inherited from its parent)" :
			  "");
	}
	closedir(proc);
}

static int cmd_unload(int argc, char **argv)
{
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	int status = EXIT_FAILURE;
	int err;

	(void)argv;
	if (argc > 1)
		return usage_error("unload takes no arguments");

	ctx = kmod_context();
	if (!ctx)
		return EXIT_FAILURE;
	err = kmod_module_new_from_name(ctx, MMAPDEMO_NAME, &mod);
	if (err < 0) {
		error_msg("cannot unload mmapdemo: %s", strerror(-err));
		goto out;
	}

	if (kmod_module_get_initstate(mod) == -ENOENT) {
		error_msg("cannot unload mmapdemo: not loaded");
		goto out;
	}

	err = kmod_module_remove_module(mod, KMOD_REMOVE_NOLOG);
	switch (-err) {
	case 0:
		printf("unloaded mmapdemo\n");
		status = EXIT_SUCCESS;
		break;
	case EWOULDBLOCK:	/* == EAGAIN on Linux */
		error_msg("cannot unload mmapdemo: in use: an open file descriptor or a mapping of %s still exists (close it / munmap first)",
			  MMAPDEMO_DEVICE_PATH);
		show_device_users();
		break;
	case EBUSY:
		error_msg("cannot unload mmapdemo: busy: it is still being loaded or unloaded, or another module depends on it; try again");
		break;
	case ENOENT:
		error_msg("cannot unload mmapdemo: not loaded");
		break;
	case EPERM:
	case EACCES:
		explain_eperm("cannot unload mmapdemo");
		break;
	case ENOSYS:
		error_msg("cannot unload mmapdemo: this kernel cannot unload modules (CONFIG_MODULE_UNLOAD is off)");
		break;
	default:
		error_msg("cannot unload mmapdemo: %s", strerror(-err));
		break;
	}
out:
	kmod_module_unref(mod);
	kmod_unref(ctx);
	return status;
}

/* ---- status --------------------------------------------------------- */

static int cmd_status(int argc, char **argv)
{
	static const char * const attrs[] = {
		MMAPDEMO_ATTR_SIZE,
		MMAPDEMO_ATTR_FOLIO_ORDER,
		MMAPDEMO_ATTR_FAULTS,
		MMAPDEMO_ATTR_ALLOCATED_BYTES,
		MMAPDEMO_ATTR_VMAS,
	};
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	int status = EXIT_FAILURE;
	int err, state;
	size_t i;

	(void)argv;
	if (argc > 1)
		return usage_error("status takes no arguments");

	ctx = kmod_context();
	if (!ctx)
		return EXIT_FAILURE;
	err = kmod_module_new_from_name(ctx, MMAPDEMO_NAME, &mod);
	if (err < 0) {
		error_msg("cannot query mmapdemo: %s", strerror(-err));
		goto out;
	}

	state = kmod_module_get_initstate(mod);
	if (state == -ENOENT) {
		printf("%s: not loaded\n", MMAPDEMO_NAME);
		status = EXIT_NOT_LOADED;
		goto out;
	}
	if (state < 0) {
		error_msg("cannot query mmapdemo: %s", strerror(-state));
		goto out;
	}
	if (state != KMOD_MODULE_LIVE) {
		/* Half loaded or half unloaded: its values are not stable. */
		printf("%s: %s\n", MMAPDEMO_NAME,
		       kmod_module_initstate_str(state));
		goto out;
	}

	printf("%s: loaded\n", MMAPDEMO_NAME);
	printf("device: %s\n", MMAPDEMO_DEVICE_PATH);
	if (access(MMAPDEMO_DEVICE_PATH, F_OK) < 0)
		error_msg("warning: %s does not exist (is devtmpfs mounted on /dev?)",
			  MMAPDEMO_DEVICE_PATH);
	status = EXIT_SUCCESS;
	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		char path[PATH_MAX], value[64];

		snprintf(path, sizeof(path), "%s/%s", MMAPDEMO_SYSFS_DIR,
			 attrs[i]);
		err = read_text_file(path, value, sizeof(value));
		if (err < 0) {
			error_msg("cannot read %s: %s", path, strerror(-err));
			status = EXIT_FAILURE;
			continue;
		}
		printf("%s: %s\n", attrs[i], value);
	}
out:
	kmod_module_unref(mod);
	kmod_unref(ctx);
	return status;
}

/* ---- main ----------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *command;
	int opt;

	opterr = 0;	/* getopt's messages would name the wrong program */
	/* "+": stop at the command; its own options are parsed later. */
	while ((opt = getopt_long(argc, argv, "+vhV", long_options,
				  NULL)) != -1) {
		switch (opt) {
		case 'v':
			verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("%s %s\n", PROG_NAME, PROG_VERSION);
			return EXIT_SUCCESS;
		default:
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("missing command (load, unload or status)");

	command = argv[optind];
	argc -= optind;
	argv += optind;
	if (!strcmp(command, "load"))
		return cmd_load(argc, argv);
	if (!strcmp(command, "unload"))
		return cmd_unload(argc, argv);
	if (!strcmp(command, "status"))
		return cmd_status(argc, argv);
	if (!strcmp(command, "help"))
		return fputs(usage_text, stdout) < 0 ? EXIT_FAILURE : 0;
	return usage_error("unknown command '%s'", command);
}
