// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo-ctl: load, unload and inspect the mmapdemo kernel module, and
 * drive its ioctls (INFO, RESIZE, PUNCH).
 *
 * It does what insmod/rmmod do (through libkmod), but turns the kernel's
 * terse errno values into messages that name the likely cause and the fix.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libkmod.h>

#include "mmapdemo.h"
#include "kmsg.h"

#define PROG_NAME	"mmapdemo-ctl"
#define PROG_VERSION	"0.1.0"

#define EXIT_USAGE	2	/* bad command line */
#define EXIT_NOT_LOADED	3	/* the module is not loaded */

#define MAX_OPTIONS_LEN	1024	/* module parameter string */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static bool verbose;
static const char *device_path = MMAPDEMO_DEVICE_PATH;

static const char usage_text[] =
"Usage: " PROG_NAME " [-v] [-d PATH] COMMAND [ARGS...]\n"
"\n"
"Load, unload and inspect the mmapdemo kernel module (" MMAPDEMO_DEVICE_PATH "),\n"
"and resize the device or free parts of it through its ioctls.\n"
"\n"
"Commands:\n"
"  load [-m|--module PATH] [PARAM=VALUE...]\n"
"        Insert the module with the given parameters. Without -m, PATH is\n"
"        $MMAPDEMO_KO if set, else the module installed for the running\n"
"        kernel (looked up by name in /lib/modules/$(uname -r)).\n"
"        Parameters:\n"
"          size=BYTES       device size, page multiple; K, M or G suffix\n"
"                           allowed (default 64M)\n"
"          max_size=BYTES   largest size 'resize' accepts (default 1G, or\n"
"                           the RAM if less, and at least size)\n"
"          folio_order=N    backing pages are allocated in folios of 2^N\n"
"                           pages (default 9, i.e. 2 MiB)\n"
"  unload\n"
"        Remove the module. This fails while " MMAPDEMO_DEVICE_PATH " is open\n"
"        or mapped by any process.\n"
"  status [--json]\n"
"        Tell whether the module is loaded; if it is, print the device path,\n"
"        the module version and the driver's sysfs values, one \"name: value\"\n"
"        per line. --json: one JSON object with the same values, the module\n"
"        parameters and a \"loaded\" flag.\n"
"  info [--json]\n"
"        Ask the driver (MMAPDEMO_IOC_INFO) for its ABI version, size,\n"
"        max_size, folio order, features and allocated bytes.\n"
"  resize SIZE\n"
"        Change the device size (MMAPDEMO_IOC_RESIZE): a page multiple, at\n"
"        most max_size; K, M or G suffix allowed. Shrinking frees the memory\n"
"        past the new end, and every mapping loses it (SIGBUS there).\n"
"  punch OFFSET LENGTH\n"
"        Free the memory of a byte range (MMAPDEMO_IOC_PUNCH): both page\n"
"        multiples; K, M or G suffixes allowed. The range reads as zeros\n"
"        afterwards, in every mapping; it may reach past the end.\n"
"  help\n"
"        Show this help.\n"
"\n"
"Options:\n"
"  -d, --device PATH  the device node for info, resize and punch\n"
"                     (default " MMAPDEMO_DEVICE_PATH ")\n"
"  -v, --verbose      also show libkmod's own log messages\n"
"  -h, --help         show this help and exit\n"
"  -V, --version      show the version and exit\n"
"  resize and punch also take --flags N: put N in the request's flags\n"
"  field (for testing the driver, which must reject anything but 0).\n"
"\n"
"Exit status:\n"
"  0  success (for status: the module is loaded)\n"
"  1  failure; a message on stderr names the cause\n"
"  2  usage error\n"
"  3  the module is not loaded (status, info, resize, punch)\n"
"\n"
"See mmapdemo-ctl(8).\n";

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
	char msg[sizeof(log->lines[0])];

	log->count = 0;
	if (fd < 0)
		return;
	while (log->count < KERNEL_LOG_LINES &&
	       kmsg_next(fd, msg, sizeof(msg))) {
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
	{ "max_size", is_byte_count,
	  "a byte count with an optional K, M or G suffix, e.g. max_size=1G" },
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
			return usage_error("unknown module parameter '%.*s' (mmapdemo has only 'size', 'max_size' and 'folio_order')",
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

/*
 * A field of the module's modinfo ("vermagic", "signer", ...) without
 * trailing spaces, to be freed; NULL when it has none.
 */
static char *module_info_value(struct kmod_module *mod, const char *key)
{
	struct kmod_list *info = NULL, *entry;
	char *value = NULL;

	if (kmod_module_get_info(mod, &info) < 0)
		return NULL;
	kmod_list_foreach(entry, info) {
		if (!strcmp(kmod_module_info_get_key(entry), key)) {
			value = strdup(kmod_module_info_get_value(entry));
			break;
		}
	}
	/* vermagic ends with a space ("... mod_unload modversions "). */
	if (value) {
		size_t len = strlen(value);

		while (len && value[len - 1] == ' ')
			value[--len] = '\0';
	}
	kmod_module_info_free_list(info);
	return value;
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
	char what[PATH_MAX + 32];
	char *vermagic, *signer;

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
		/* Secure Boot or module.sig_enforce=1: trusted keys only. */
		signer = module_info_value(mod, "signer");
		if (signer)
			error_msg("cannot load %s: %s: the kernel accepts only modules signed with a key it trusts, and does not trust the module's signer '%s': enrol that key (for the DKMS key: mokutil --import /var/lib/dkms/mok.pub, reboot, confirm in MokManager)",
				  path, strerror(err), signer);
		else
			error_msg("cannot load %s: %s: the kernel accepts only signed modules (Secure Boot or module.sig_enforce=1), and this one is not signed: sign it (make sign, or install it with DKMS) and enrol the key (mokutil --import /var/lib/dkms/mok.pub)",
				  path, strerror(err));
		free(signer);
		break;
	case EINVAL:
	case ERANGE: {
		char name[64], word[MAX_OPTIONS_LEN];

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
	}
	case ENOEXEC:
		vermagic = module_info_value(mod, "vermagic");
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

	kmsg_fd = kmsg_open_end();
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

/* ---- JSON output ---------------------------------------------------- */

static void json_string(const char *s)
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
static void json_key(bool *first, int indent, const char *name)
{
	printf("%s\n%*s", *first ? "" : ",", indent * 2, "");
	*first = false;
	json_string(name);
	fputs(": ", stdout);
}

/* A sysfs value: a JSON number when it is one, else a string. */
static void json_value(const char *value)
{
	if (is_unsigned_number(value) && (value[0] != '0' || !value[1]))
		fputs(value, stdout);
	else
		json_string(value);
}

/* ---- status --------------------------------------------------------- */

static const char * const status_attrs[] = {
	MMAPDEMO_ATTR_SIZE,
	MMAPDEMO_ATTR_FOLIO_ORDER,
	MMAPDEMO_ATTR_FAULTS,
	MMAPDEMO_ATTR_ALLOCATED_BYTES,
	MMAPDEMO_ATTR_VMAS,
};

#define NR_STATUS_ATTRS ARRAY_SIZE(status_attrs)
#define MODULE_SYSFS_DIR "/sys/module/" MMAPDEMO_NAME

struct status_values {
	char version[64];
	bool device_exists;
	char values[NR_STATUS_ATTRS][64];
	bool readable[NR_STATUS_ATTRS];
};

/* Read the values status shows; 0, or EXIT_FAILURE if one is unreadable. */
static int read_status_values(struct status_values *sv)
{
	int status = EXIT_SUCCESS;
	size_t i;

	if (read_text_file(MODULE_SYSFS_DIR "/version", sv->version,
			   sizeof(sv->version)) < 0)
		sv->version[0] = '\0';
	sv->device_exists = access(device_path, F_OK) == 0;
	for (i = 0; i < NR_STATUS_ATTRS; i++) {
		char path[PATH_MAX];
		int err;

		snprintf(path, sizeof(path), "%s/%s", MMAPDEMO_SYSFS_DIR,
			 status_attrs[i]);
		err = read_text_file(path, sv->values[i], sizeof(sv->values[i]));
		sv->readable[i] = !err;
		if (err) {
			error_msg("cannot read %s: %s", path, strerror(-err));
			status = EXIT_FAILURE;
		}
	}
	return status;
}

static int name_filter(const struct dirent *entry)
{
	return entry->d_name[0] != '.';
}

/* "parameters": {...}, the module's parameters as it was loaded with. */
static void json_module_params(bool *first)
{
	struct dirent **names;
	bool first_param = true;
	int n, i;

	n = scandir(MODULE_SYSFS_DIR "/parameters", &names, name_filter,
		    alphasort);
	if (n < 0)
		return;
	json_key(first, 1, "parameters");
	putchar('{');
	for (i = 0; i < n; i++) {
		char path[PATH_MAX], value[256];

		snprintf(path, sizeof(path), "%s/parameters/%s",
			 MODULE_SYSFS_DIR, names[i]->d_name);
		if (!read_text_file(path, value, sizeof(value))) {
			json_key(&first_param, 2, names[i]->d_name);
			json_value(value);
		}
		free(names[i]);
	}
	free(names);
	printf("%s}", first_param ? "" : "\n  ");
}

static void print_status_json(const char *state, bool live,
			      const struct status_values *sv)
{
	bool first = true;
	size_t i;

	putchar('{');
	json_key(&first, 1, "loaded");
	fputs(live ? "true" : "false", stdout);
	json_key(&first, 1, "state");
	json_string(state);
	json_key(&first, 1, "device");
	json_string(device_path);
	if (!live) {
		fputs("\n}\n", stdout);
		return;
	}
	json_key(&first, 1, "device_exists");
	fputs(sv->device_exists ? "true" : "false", stdout);
	json_key(&first, 1, "version");
	if (sv->version[0])
		json_string(sv->version);
	else
		fputs("null", stdout);
	for (i = 0; i < NR_STATUS_ATTRS; i++) {
		json_key(&first, 1, status_attrs[i]);
		if (sv->readable[i])
			json_value(sv->values[i]);
		else
			fputs("null", stdout);
	}
	json_module_params(&first);
	fputs("\n}\n", stdout);
}

/*
 * The options of `status` and `info`: --json and --help, no arguments.
 * Return: -1 to go on (*json set), else the exit status to return.
 */
static int parse_json_option(int argc, char **argv, const char *command,
			     bool *json)
{
	static const struct option long_options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	*json = false;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+h", long_options,
				  NULL)) != -1) {
		switch (opt) {
		case 'j':
			*json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_SUCCESS;
		default:
			return usage_error("%s: unknown option '%s'", command,
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("%s takes no arguments (only the option --json)",
				   command);
	return -1;
}

static int cmd_status(int argc, char **argv)
{
	struct status_values sv = { .device_exists = false };
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	int status = EXIT_FAILURE;
	int err, state, ret;
	bool json;
	size_t i;

	ret = parse_json_option(argc, argv, "status", &json);
	if (ret >= 0)
		return ret;

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
		if (json)
			print_status_json("not loaded", false, &sv);
		else
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
		if (json)
			print_status_json(kmod_module_initstate_str(state),
					  false, &sv);
		else
			printf("%s: %s\n", MMAPDEMO_NAME,
			       kmod_module_initstate_str(state));
		goto out;
	}

	status = read_status_values(&sv);
	if (!sv.device_exists)
		error_msg("warning: %s does not exist (is devtmpfs mounted on /dev?)",
			  device_path);
	if (json) {
		print_status_json("live", true, &sv);
		goto out;
	}
	printf("%s: loaded\n", MMAPDEMO_NAME);
	printf("device: %s\n", device_path);
	if (sv.version[0])
		printf("version: %s\n", sv.version);
	for (i = 0; i < NR_STATUS_ATTRS; i++)
		if (sv.readable[i])
			printf("%s: %s\n", status_attrs[i], sv.values[i]);
out:
	kmod_module_unref(mod);
	kmod_unref(ctx);
	return status;
}

/* ---- byte counts ---------------------------------------------------- */

/*
 * "4096", "32M", "1G": bytes with an optional K, M, G or T suffix (powers
 * of 1024, as the module's size= parameter), optionally followed by "iB"
 * or "B" ("32MiB"). False for anything else and on overflow.
 */
static bool parse_bytes(const char *s, uint64_t *bytes)
{
	unsigned int shift = 0;
	uint64_t value = 0;
	const char *p;

	if (!isdigit((unsigned char)*s))
		return false;
	for (p = s; isdigit((unsigned char)*p); p++) {
		unsigned int digit = *p - '0';

		if (value > (UINT64_MAX - digit) / 10)
			return false;
		value = value * 10 + digit;
	}
	switch (*p) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	}
	if (shift) {
		p++;
		if (!strcmp(p, "iB") || !strcmp(p, "B"))
			p += strlen(p);
	}
	if (*p || (shift && value > UINT64_MAX >> shift))
		return false;
	*bytes = value << shift;
	return true;
}

/* "64 MiB", "1.5 GiB", "4096 B": a byte count for people. */
static const char *format_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char * const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
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

static bool parse_flags(const char *s, __u32 *flags)
{
	unsigned long value;
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	value = strtoul(s, &end, 0);
	if (errno || *end || value > UINT32_MAX)
		return false;
	*flags = value;
	return true;
}

/* ---- the device and its ioctls -------------------------------------- */

static bool module_loaded(void)
{
	return access(MODULE_SYSFS_DIR, F_OK) == 0;
}

static bool in_group(gid_t gid)
{
	bool found = false;
	gid_t *groups;
	int i, n;

	if (getegid() == gid)
		return true;
	n = getgroups(0, NULL);
	if (n <= 0)
		return false;
	groups = calloc(n, sizeof(*groups));
	if (!groups)
		return false;
	n = getgroups(n, groups);
	for (i = 0; i < n && !found; i++)
		found = groups[i] == gid;
	free(groups);
	return found;
}

/* Why open() said EACCES/EPERM: the node's owner, group and mode. */
static void explain_open_denied(const char *how, int err)
{
	struct group *grp;
	struct stat st;
	char group[64];

	if (stat(device_path, &st) < 0) {
		error_msg("cannot open %s %s: %s", device_path, how,
			  strerror(err));
		return;
	}
	grp = getgrgid(st.st_gid);
	if (grp)
		snprintf(group, sizeof(group), "%s", grp->gr_name);
	else
		snprintf(group, sizeof(group), "%u", (unsigned int)st.st_gid);

	if (grp && !strcmp(grp->gr_name, MMAPDEMO_NAME) && !in_group(st.st_gid))
		error_msg("cannot open %s %s: %s: it is mode %04o, group %s, and you are not in group %s: run 'usermod -aG %s USER' as root and log in again, or run as root",
			  device_path, how, strerror(err),
			  (unsigned int)(st.st_mode & 07777), group, group,
			  group);
	else
		error_msg("cannot open %s %s: %s: it is mode %04o, owner uid %u, group %s, and you are uid %u: run as root, or install udev/60-mmapdemo.rules (make install) and join group %s",
			  device_path, how, strerror(err),
			  (unsigned int)(st.st_mode & 07777),
			  (unsigned int)st.st_uid, group,
			  (unsigned int)geteuid(), MMAPDEMO_NAME);
}

/*
 * Open the device for the ioctls. Returns the fd, or -1 with *status set
 * (EXIT_NOT_LOADED when the module is not loaded) and the cause shown.
 */
static int open_device(int flags, int *status)
{
	const char *how = (flags & O_ACCMODE) == O_RDONLY ? "for reading" :
			  "for reading and writing";
	int fd, err;

	fd = open(device_path, flags | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	err = errno;
	*status = EXIT_FAILURE;
	switch (err) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		if (!module_loaded()) {
			error_msg("cannot open %s: mmapdemo is not loaded; load it with '" PROG_NAME " load'",
				  device_path);
			*status = EXIT_NOT_LOADED;
		} else if (err == ENOENT) {
			error_msg("cannot open %s: no such file, although mmapdemo is loaded (is devtmpfs mounted on /dev?)",
				  device_path);
		} else {
			error_msg("cannot open %s: %s: no driver behind this device node (stale? mmapdemo's device number is in %s/dev)",
				  device_path, strerror(err), MMAPDEMO_SYSFS_DIR);
		}
		break;
	case EACCES:
	case EPERM:
		explain_open_denied(how, err);
		break;
	default:
		error_msg("cannot open %s %s: %s", device_path, how,
			  strerror(err));
		break;
	}
	return -1;
}

/*
 * Is @fd the mmapdemo device? Compares its device number with the one in
 * sysfs. 1: yes, 0: no (@what says what it is), -1: cannot tell.
 */
static int is_mmapdemo_device(int fd, char *what, size_t len)
{
	unsigned int major_nr, minor_nr;
	char dev[32];
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISCHR(st.st_mode)) {
		snprintf(what, len, "not a character device");
		return 0;
	}
	snprintf(what, len, "character device %u:%u",
		 major(st.st_rdev), minor(st.st_rdev));
	if (read_text_file(MMAPDEMO_SYSFS_DIR "/dev", dev, sizeof(dev)) < 0 ||
	    sscanf(dev, "%u:%u", &major_nr, &minor_nr) != 2)
		return -1;
	return major(st.st_rdev) == major_nr && minor(st.st_rdev) == minor_nr;
}

/* The causes an ioctl's errno can have, whatever the request. */
static void explain_ioctl_error(int fd, const char *request, int err)
{
	char what[64];

	switch (err) {
	case ENOTTY:
		switch (is_mmapdemo_device(fd, what, sizeof(what))) {
		case 0:
			error_msg("%s failed: %s: %s is not the mmapdemo device (it is a %s)",
				  request, strerror(err), device_path, what);
			break;
		case 1:
			error_msg("%s failed: %s: the loaded mmapdemo module does not know this ioctl: it is older than this " PROG_NAME " (ABI version %d); load a current module",
				  request, strerror(err), MMAPDEMO_ABI_VERSION);
			break;
		default:
			if (!module_loaded()) {
				error_msg("%s failed: %s: %s is not the mmapdemo device (mmapdemo is not loaded)",
					  request, strerror(err), device_path);
				break;
			}
			error_msg("%s failed: %s: the driver behind %s does not know this ioctl: it is not the mmapdemo device, or an mmapdemo module older than this " PROG_NAME " (ABI version %d)",
				  request, strerror(err), device_path,
				  MMAPDEMO_ABI_VERSION);
			break;
		}
		break;
	case EINVAL:
		error_msg("%s failed: %s: the driver rejected the request's values",
			  request, strerror(err));
		break;
	case EBADF:
		error_msg("%s failed: %s: %s is not open for writing, and the request changes the device",
			  request, strerror(err), device_path);
		break;
	case ENOMEM:
		error_msg("%s failed: %s: the kernel ran out of memory; nothing was changed",
			  request, strerror(err));
		break;
	case EFAULT:
		error_msg("%s failed: %s: the kernel could not access the request (a bug in " PROG_NAME "?)",
			  request, strerror(err));
		break;
	default:
		error_msg("%s failed: %s", request, strerror(err));
		break;
	}
}

static int get_info(int fd, struct mmapdemo_info *info)
{
	memset(info, 0, sizeof(*info));
	if (ioctl(fd, MMAPDEMO_IOC_INFO, info) < 0) {
		explain_ioctl_error(fd, "MMAPDEMO_IOC_INFO", errno);
		return -1;
	}
	if (info->abi_version != MMAPDEMO_ABI_VERSION)
		error_msg("warning: the driver's ABI version is %u, this " PROG_NAME " knows version %d",
			  info->abi_version, MMAPDEMO_ABI_VERSION);
	return 0;
}

/* Open the device and check the driver has @feature (0: any). */
static int open_with_info(int flags, __u64 feature, const char *name,
			  struct mmapdemo_info *info, int *status)
{
	int fd = open_device(flags, status);

	if (fd < 0)
		return -1;
	if (get_info(fd, info) < 0) {
		close(fd);
		*status = EXIT_FAILURE;
		return -1;
	}
	if (feature && !(info->features & feature)) {
		error_msg("the loaded mmapdemo module does not support %s (its features: %#llx); load a current module",
			  name, (unsigned long long)info->features);
		close(fd);
		*status = EXIT_FAILURE;
		return -1;
	}
	return fd;
}

/* ---- info ----------------------------------------------------------- */

static const struct feature_name {
	__u64 bit;
	const char *name;
} feature_names[] = {
	{ MMAPDEMO_FEATURE_RESIZE, "resize" },
	{ MMAPDEMO_FEATURE_PUNCH, "punch" },
	{ MMAPDEMO_FEATURE_PMD_MAPPING, "pmd_mapping" },
};

static void print_features(__u64 features, bool json)
{
	const char *sep = "";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(feature_names); i++) {
		if (!(features & feature_names[i].bit))
			continue;
		fputs(sep, stdout);
		if (json)
			json_string(feature_names[i].name);
		else
			fputs(feature_names[i].name, stdout);
		sep = json ? ", " : " ";
		features &= ~feature_names[i].bit;
	}
	/* Bits of a newer driver, by number. */
	for (i = 0; i < 64; i++) {
		char unknown[32];

		if (!(features & (1ULL << i)))
			continue;
		snprintf(unknown, sizeof(unknown), "bit%zu", i);
		fputs(sep, stdout);
		if (json)
			json_string(unknown);
		else
			fputs(unknown, stdout);
		sep = json ? ", " : " ";
	}
}

static void print_info_json(const struct mmapdemo_info *info)
{
	bool first = true;

	putchar('{');
	json_key(&first, 1, "device");
	json_string(device_path);
	json_key(&first, 1, "abi_version");
	printf("%u", info->abi_version);
	json_key(&first, 1, "size");
	printf("%llu", (unsigned long long)info->size);
	json_key(&first, 1, "max_size");
	printf("%llu", (unsigned long long)info->max_size);
	json_key(&first, 1, "folio_order");
	printf("%u", info->folio_order);
	json_key(&first, 1, "folio_bytes");
	printf("%llu", (unsigned long long)sysconf(_SC_PAGESIZE) <<
	       info->folio_order);
	json_key(&first, 1, "features");
	putchar('[');
	print_features(info->features, true);
	putchar(']');
	json_key(&first, 1, "features_mask");
	printf("%llu", (unsigned long long)info->features);
	json_key(&first, 1, "allocated_bytes");
	printf("%llu", (unsigned long long)info->allocated_bytes);
	fputs("\n}\n", stdout);
}

static void print_info(const struct mmapdemo_info *info)
{
	uint64_t folio = (uint64_t)sysconf(_SC_PAGESIZE) << info->folio_order;
	char buf[32];

	printf("device: %s\n", device_path);
	printf("abi_version: %u\n", info->abi_version);
	printf("size: %llu (%s)\n", (unsigned long long)info->size,
	       format_bytes(info->size, buf, sizeof(buf)));
	printf("max_size: %llu (%s)\n", (unsigned long long)info->max_size,
	       format_bytes(info->max_size, buf, sizeof(buf)));
	printf("folio_order: %u (%s folios)\n", info->folio_order,
	       format_bytes(folio, buf, sizeof(buf)));
	printf("features: %#llx (", (unsigned long long)info->features);
	print_features(info->features, false);
	printf(")\n");
	printf("allocated_bytes: %llu (%s)\n",
	       (unsigned long long)info->allocated_bytes,
	       format_bytes(info->allocated_bytes, buf, sizeof(buf)));
}

static int cmd_info(int argc, char **argv)
{
	struct mmapdemo_info info;
	int status = EXIT_SUCCESS;
	int fd, ret;
	bool json;

	ret = parse_json_option(argc, argv, "info", &json);
	if (ret >= 0)
		return ret;

	/* Reading is enough: INFO changes nothing. */
	fd = open_with_info(O_RDONLY, 0, NULL, &info, &status);
	if (fd < 0)
		return status;
	close(fd);
	if (json)
		print_info_json(&info);
	else
		print_info(&info);
	return EXIT_SUCCESS;
}

/* ---- resize and punch ----------------------------------------------- */

/*
 * Parse "[--flags N] ARG..." of resize and punch into @args (byte counts)
 * and @flags. Returns 0 or EXIT_USAGE (the message shown).
 */
static int parse_request_args(int argc, char **argv, const char *command,
			      const char * const *names, uint64_t *args,
			      int nr_args, __u32 *flags, bool *help)
{
	static const struct option long_options[] = {
		{ "flags", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int i, opt;

	*flags = 0;
	*help = false;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+:h", long_options,
				  NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (!parse_flags(optarg, flags))
				return usage_error("%s: invalid --flags '%s': expected a 32-bit number",
						   command, optarg);
			break;
		case 'h':
			*help = true;
			return 0;
		case ':':
			return usage_error("%s: option '%s' needs a value",
					   command, argv[optind - 1]);
		default:
			return usage_error("%s: unknown option '%s'", command,
					   argv[optind - 1]);
		}
	}
	if (argc - optind != nr_args)
		return usage_error("%s takes %d argument%s: %s%s%s", command,
				   nr_args, nr_args == 1 ? "" : "s", names[0],
				   nr_args > 1 ? " " : "",
				   nr_args > 1 ? names[1] : "");
	for (i = 0; i < nr_args; i++) {
		const char *arg = argv[optind + i];

		if (!parse_bytes(arg, &args[i]))
			return usage_error("%s: invalid %s '%s': expected a number of bytes with an optional K, M or G suffix, e.g. 2M",
					   command, names[i], arg);
	}
	return 0;
}

static int cmd_resize(int argc, char **argv)
{
	static const char * const names[] = { "SIZE" };
	uint64_t page = sysconf(_SC_PAGESIZE);
	struct mmapdemo_info before, after;
	struct mmapdemo_resize req;
	char old_buf[32], new_buf[32];
	int status = EXIT_SUCCESS;
	uint64_t size;
	__u32 flags;
	bool help;
	int fd;

	status = parse_request_args(argc, argv, "resize", names, &size, 1,
				    &flags, &help);
	if (status || help) {
		if (help)
			fputs(usage_text, stdout);
		return status;
	}

	fd = open_with_info(O_RDWR, MMAPDEMO_FEATURE_RESIZE, "RESIZE", &before,
			    &status);
	if (fd < 0)
		return status;
	memset(&req, 0, sizeof(req));
	req.size = size;
	req.flags = flags;
	if (ioctl(fd, MMAPDEMO_IOC_RESIZE, &req) < 0) {
		int err = errno;

		status = EXIT_FAILURE;
		if (err != EINVAL)
			explain_ioctl_error(fd, "MMAPDEMO_IOC_RESIZE", err);
		else if (flags)
			error_msg("cannot resize to %" PRIu64 ": the driver rejects flags %#x (only 0 is defined)",
				  size, flags);
		else if (!size)
			error_msg("cannot resize to 0: the size must be at least one page (%" PRIu64 " bytes)",
				  page);
		else if (size % page)
			error_msg("cannot resize to %" PRIu64 ": not a multiple of the page size (%" PRIu64 " bytes)",
				  size, page);
		else if (size > before.max_size)
			error_msg("cannot resize to %" PRIu64 " (%s): above max_size %llu (%s); load the module with a larger max_size=",
				  size, format_bytes(size, new_buf,
						     sizeof(new_buf)),
				  (unsigned long long)before.max_size,
				  format_bytes(before.max_size, old_buf,
					       sizeof(old_buf)));
		else
			explain_ioctl_error(fd, "MMAPDEMO_IOC_RESIZE", err);
		goto out;
	}
	if (get_info(fd, &after) < 0) {
		status = EXIT_FAILURE;
		goto out;
	}
	printf("resized %s from %llu (%s) to %llu (%s) bytes\n", device_path,
	       (unsigned long long)before.size,
	       format_bytes(before.size, old_buf, sizeof(old_buf)),
	       (unsigned long long)after.size,
	       format_bytes(after.size, new_buf, sizeof(new_buf)));
out:
	close(fd);
	return status;
}

static int cmd_punch(int argc, char **argv)
{
	static const char * const names[] = { "OFFSET", "LENGTH" };
	uint64_t page = sysconf(_SC_PAGESIZE);
	struct mmapdemo_info before, after;
	char len_buf[32], old_buf[32], new_buf[32];
	struct mmapdemo_punch req;
	int status = EXIT_SUCCESS;
	uint64_t range[2];
	__u32 flags;
	bool help;
	int fd;

	status = parse_request_args(argc, argv, "punch", names, range, 2,
				    &flags, &help);
	if (status || help) {
		if (help)
			fputs(usage_text, stdout);
		return status;
	}

	fd = open_with_info(O_RDWR, MMAPDEMO_FEATURE_PUNCH, "PUNCH", &before,
			    &status);
	if (fd < 0)
		return status;
	memset(&req, 0, sizeof(req));
	req.offset = range[0];
	req.length = range[1];
	req.flags = flags;
	if (ioctl(fd, MMAPDEMO_IOC_PUNCH, &req) < 0) {
		int err = errno;

		status = EXIT_FAILURE;
		if (err != EINVAL)
			explain_ioctl_error(fd, "MMAPDEMO_IOC_PUNCH", err);
		else if (flags)
			error_msg("cannot punch: the driver rejects flags %#x (only 0 is defined)",
				  flags);
		else if (!req.length)
			error_msg("cannot punch: LENGTH is 0");
		else if (req.offset % page)
			error_msg("cannot punch at offset %llu: not page aligned (page size %" PRIu64 " bytes)",
				  (unsigned long long)req.offset, page);
		else if (req.length % page)
			error_msg("cannot punch %llu bytes: LENGTH is not a multiple of the page size (%" PRIu64 " bytes)",
				  (unsigned long long)req.length, page);
		else if (req.offset + req.length < req.offset)
			error_msg("cannot punch: OFFSET + LENGTH overflows 64 bits");
		else
			explain_ioctl_error(fd, "MMAPDEMO_IOC_PUNCH", err);
		goto out;
	}
	if (get_info(fd, &after) < 0) {
		status = EXIT_FAILURE;
		goto out;
	}
	printf("punched %llu (%s) bytes at offset %llu of %s; allocated_bytes %llu (%s) -> %llu (%s)\n",
	       (unsigned long long)req.length,
	       format_bytes(req.length, len_buf, sizeof(len_buf)),
	       (unsigned long long)req.offset, device_path,
	       (unsigned long long)before.allocated_bytes,
	       format_bytes(before.allocated_bytes, old_buf, sizeof(old_buf)),
	       (unsigned long long)after.allocated_bytes,
	       format_bytes(after.allocated_bytes, new_buf, sizeof(new_buf)));
out:
	close(fd);
	return status;
}

/* ---- main ----------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *command;
	int opt;

	opterr = 0;	/* getopt's messages would name the wrong program */
	/* "+": stop at the command; its own options are parsed later. */
	while ((opt = getopt_long(argc, argv, "+:d:vhV", long_options,
				  NULL)) != -1) {
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
			fputs(usage_text, stdout);
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
		return usage_error("missing command (load, unload, status, info, resize or punch)");

	command = argv[optind];
	argc -= optind;
	argv += optind;
	if (!strcmp(command, "load"))
		return cmd_load(argc, argv);
	if (!strcmp(command, "unload"))
		return cmd_unload(argc, argv);
	if (!strcmp(command, "status"))
		return cmd_status(argc, argv);
	if (!strcmp(command, "info"))
		return cmd_info(argc, argv);
	if (!strcmp(command, "resize"))
		return cmd_resize(argc, argv);
	if (!strcmp(command, "punch"))
		return cmd_punch(argc, argv);
	if (!strcmp(command, "help"))
		return fputs(usage_text, stdout) < 0 ? EXIT_FAILURE : 0;
	return usage_error("unknown command '%s'", command);
}
