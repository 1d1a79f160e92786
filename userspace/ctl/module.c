// SPDX-License-Identifier: GPL-2.0
/*
 * The commands about the module: load, unload and status. They do what
 * insmod, rmmod and lsmod do, through libkmod, and turn the kernel's terse
 * errno values into messages that name the likely cause and the fix.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libkmod.h>

#include "ctl.h"
#include "kmsg.h"
#include "mmapdemo.h"

static const char *kernel_release(void)
{
	static struct utsname uts;

	if (uname(&uts) < 0)
		return "(unknown)";
	return uts.release;
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

/*
 * A libkmod context and its handle of the module named mmapdemo (loaded
 * or not), in *@ctx and *@mod; on failure a message that starts with
 * @failure ("cannot unload mmapdemo"), and false.
 */
static bool mmapdemo_module_handle(const char *failure, struct kmod_ctx **ctx,
				   struct kmod_module **mod)
{
	int err;

	*mod = NULL;
	*ctx = kmod_context();
	if (!*ctx)
		return false;
	err = kmod_module_new_from_name(*ctx, MMAPDEMO_NAME, mod);
	if (err < 0) {
		error_msg("%s: %s", failure, strerror(-err));
		kmod_unref(*ctx);
		return false;
	}
	return true;
}

/* ---- load ----------------------------------------------------------- */

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
	for (entry = info; entry; entry = kmod_list_next(info, entry)) {
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
		error_msg("%s: permission denied: run as root (needs CAP_SYS_MODULE)", what);
		return;
	}
	if (!read_text_file("/proc/sys/kernel/modules_disabled", value,
			    sizeof(value)) &&
	    !strcmp(value, "1")) {
		error_msg("%s: not permitted: module loading and unloading are disabled (/proc/sys/kernel/modules_disabled = 1, until reboot)", what);
		return;
	}
	error_msg("%s: not permitted: needs CAP_SYS_MODULE (missing in this container?), or the kernel is locked down (see /sys/kernel/security/lockdown) and refuses unsigned modules", what);
}

/*
 * @given: the parameters as the user typed them, which the messages
 * quote (the kernel got them as plain numbers, see module_options()).
 */
static void explain_load_error(int err, struct kmod_module *mod,
			       const char *path, const char *given,
			       const struct kernel_log *log)
{
	char what[PATH_MAX + 32];
	char *vermagic, *signer;

	switch (err) {
	case EEXIST:
		error_msg("cannot load %s: mmapdemo is already loaded; run '" PROG_NAME " unload' first", path);
		break;
	case ENOENT:
		if (access(path, F_OK) < 0)
			error_msg("cannot load %s: module file not found",
				  path);
		else
			error_msg("cannot load %s: the kernel could not resolve a symbol the module needs (built for another kernel?); see dmesg", path);
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
			error_msg("cannot load %s: %s: the kernel accepts only modules signed with a key it trusts, and does not trust the module's signer '%s': enrol that key (for the DKMS key: mokutil --import /var/lib/dkms/mok.pub, reboot, confirm in MokManager)", path, strerror(err), signer);
		else
			error_msg("cannot load %s: %s: the kernel accepts only signed modules (Secure Boot or module.sig_enforce=1), and this one is not signed: sign it (make sign, or install it with DKMS) and enrol the key (mokutil --import /var/lib/dkms/mok.pub)", path, strerror(err));
		free(signer);
		break;
	case EINVAL:
	case ERANGE: {
		char name[64], word[MAX_OPTIONS_LEN];

		if (!given[0]) {
			error_msg("cannot load %s: %s; see 'dmesg'", path,
				  strerror(err));
		} else if (!strchr(given, ' ') ||
			   (rejected_param(log, name, sizeof(name)) &&
			    option_word(given, name, word, sizeof(word)))) {
			error_msg("cannot load %s: the driver rejected parameter %s (%s); see 'dmesg'", path, strchr(given, ' ') ? word : given, strerror(err));
		} else {
			error_msg("cannot load %s: the driver rejected one of the parameters '%s' (%s); see 'dmesg' for which one", path, given, strerror(err));
		}
		break;
	}
	case ENOEXEC:
		vermagic = module_info_value(mod, "vermagic");
		error_msg("cannot load %s: invalid module format: it was built for another kernel (module vermagic '%s', running kernel %s); rebuild it with scripts/build-module %s", path, vermagic ? vermagic : "unknown", kernel_release(), kernel_release());
		free(vermagic);
		break;
	case EBUSY:
		error_msg("cannot load %s: the kernel is busy with mmapdemo (another process is loading or unloading it); try again", path);
		break;
	case ENOSYS:
		error_msg("cannot load %s: this kernel has no loadable module support (CONFIG_MODULES is off)", path);
		break;
	case ENOMEM:
		error_msg("cannot load %s: out of memory%s", path,
			  given[0] ? " (parameters too large?)" : "");
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
			error_msg("cannot load %s: module file not found",
				  path);
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
		error_msg("module mmapdemo is not installed for kernel %s (not in /lib/modules/%s); give its path with -m PATH or set MMAPDEMO_KO", kernel_release(), kernel_release());
		kmod_module_unref_list(found);
		return EXIT_FAILURE;
	}
	*mod = kmod_module_get_module(found);
	kmod_module_unref_list(found);
	if (!kmod_module_get_path(*mod)) {
		error_msg("mmapdemo has no module file for kernel %s (built in?)", kernel_release());
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

int cmd_load(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct kernel_log kernel_log = { .count = 0 };
	char given[MAX_OPTIONS_LEN], options[MAX_OPTIONS_LEN];
	struct kmod_module *mod = NULL;
	const char *path = NULL;
	struct kmod_ctx *ctx;
	int status, err, kmsg_fd, opt;

	optind = 0;	/* restart getopt on the sub-command's arguments */
	while ((opt = getopt_long(argc, argv, ":m:h", long_options, NULL)) !=
	       -1) {
		switch (opt) {
		case 'm':
			if (!*optarg)
				return usage_error("load: empty module path");
			path = optarg;
			break;
		case 'h':
			print_usage(stdout);
			return EXIT_SUCCESS;
		case ':':
			return usage_error("load: option '%s' needs a module path", argv[optind - 1]);
		default:
			return usage_error("load: unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	status = module_options(argc - optind, argv + optind, given, options,
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
		explain_load_error(EEXIST, mod, path, given, &kernel_log);
		status = EXIT_FAILURE;
		goto out;
	}

	kmsg_fd = kmsg_open_end();
	err = kmod_module_insert_module(mod, 0, options);
	if (err < 0) {
		kmsg_collect(kmsg_fd, MMAPDEMO_NAME, &kernel_log);
		explain_load_error(-err, mod, path, given, &kernel_log);
		kmsg_show(&kernel_log);
		status = EXIT_FAILURE;
	} else {
		printf("loaded %s%s%s\n", path, given[0] ? " with " : "",
		       given);
		if (!wait_for_device_node())
			error_msg("warning: %s did not appear (is devtmpfs mounted on /dev?)", MMAPDEMO_DEVICE_PATH);
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

		if (!is_decimal(entry->d_name))
			continue;
		fds = process_device_fds(entry->d_name);
		mapped = process_maps_device(entry->d_name);
		if (!fds && !mapped)
			continue;
		snprintf(comm_path, sizeof(comm_path), "/proc/%s/comm",
			 entry->d_name);
		read_text_file(comm_path, comm, sizeof(comm));
		error_msg("  used by pid %s (%s):%s%s%s", entry->d_name, comm, fds ? " open file descriptor" : "", mapped ? (fds ? ", mapping" : " mapping") : "", atoi(entry->d_name) == getpid() ? " (this very process: inherited from its parent)" : "");
	}
	closedir(proc);
}

int cmd_unload(int argc, char **argv)
{
	struct kmod_module *mod;
	struct kmod_ctx *ctx;
	int status = EXIT_FAILURE;
	int err;

	(void)argv;
	if (argc > 1)
		return usage_error("unload takes no arguments");

	if (!mmapdemo_module_handle("cannot unload mmapdemo", &ctx, &mod))
		return EXIT_FAILURE;

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
		error_msg("cannot unload mmapdemo: in use: an open file descriptor or a mapping of %s still exists (close it / munmap first)", MMAPDEMO_DEVICE_PATH);
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

static const char *const status_attrs[] = {
	MMAPDEMO_ATTR_SIZE,		/* bytes */
	MMAPDEMO_ATTR_FOLIO_ORDER,	/* pages per folio, log2 */
	MMAPDEMO_ATTR_FAULTS,		/* since load */
	MMAPDEMO_ATTR_ALLOCATED_BYTES,	/* now */
	MMAPDEMO_ATTR_VMAS,		/* mapping the device now */
};

#define NR_STATUS_ATTRS ARRAY_SIZE(status_attrs)

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
		err = read_text_file(path, sv->values[i],
				     sizeof(sv->values[i]));
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

int cmd_status(int argc, char **argv)
{
	struct status_values sv = { .device_exists = false };
	struct kmod_module *mod;
	struct kmod_ctx *ctx;
	int status = EXIT_FAILURE;
	int state, ret;
	bool json;
	size_t i;

	ret = parse_json_option(argc, argv, &json);
	if (ret >= 0)
		return ret;

	if (!mmapdemo_module_handle("cannot query mmapdemo", &ctx, &mod))
		return EXIT_FAILURE;

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
		error_msg("warning: %s does not exist (is devtmpfs mounted on /dev?)", device_path);
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
