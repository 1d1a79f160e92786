// SPDX-License-Identifier: GPL-2.0
/*
 * The commands about the device: info, resize and punch. Each is one
 * ioctl request, and all go one way (run_request()): open the device, ask
 * the driver what it is (MMAPDEMO_IOC_INFO), check the request against the
 * driver's rules (driver_rules.c), send it, and explain a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ctl.h"
#include "mmapdemo.h"

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
		error_msg("cannot open %s %s: %s: it is mode %04o, group %s, and you are not in group %s: run 'usermod -aG %s USER' as root and log in again, or run as root", device_path, how, strerror(err), (unsigned int)(st.st_mode & 07777), group, group, group);
	else
		error_msg("cannot open %s %s: %s: it is mode %04o, owner uid %u, group %s, and you are uid %u: run as root, or install udev/60-mmapdemo.rules (make install) and join group %s", device_path, how, strerror(err), (unsigned int)(st.st_mode & 07777), (unsigned int)st.st_uid, group, (unsigned int)geteuid(), MMAPDEMO_NAME);
}

/*
 * Open the device for the ioctls. Returns the fd, or -1 with *status set
 * (EXIT_NOT_LOADED when the module is not loaded) and the cause shown.
 */
static int open_device(int flags, int *status)
{
	const char *how = "for reading and writing";
	int fd, err;

	if ((flags & O_ACCMODE) == O_RDONLY)
		how = "for reading";

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
			error_msg("cannot open %s: mmapdemo is not loaded; load it with '" PROG_NAME " load'", device_path);
			*status = EXIT_NOT_LOADED;
		} else if (err == ENOENT) {
			error_msg("cannot open %s: no such file, although mmapdemo is loaded (is devtmpfs mounted on /dev?)", device_path);
		} else {
			error_msg("cannot open %s: %s: no driver behind this device node (stale? mmapdemo's device number is in %s/dev)", device_path, strerror(err), MMAPDEMO_SYSFS_DIR);
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
	snprintf(what, len, "character device %u:%u", major(st.st_rdev),
		 minor(st.st_rdev));
	if (read_text_file(MMAPDEMO_SYSFS_DIR "/dev", dev, sizeof(dev)) < 0 ||
	    sscanf(dev, "%u:%u", &major_nr, &minor_nr) != 2)
		return -1;
	return major(st.st_rdev) == major_nr && minor(st.st_rdev) == minor_nr;
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
	uint64_t page_size = (uint64_t)sysconf(_SC_PAGESIZE);
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
	printf("%" PRIu64, page_size << info->folio_order);
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

/* ---- the request path ------------------------------------------------ */

/* What each request needs from the device and the driver. */
static const struct request_kind {
	const char *name;
	unsigned long ioctl_nr;
	int open_flags;
	__u64 feature;		/* 0: every driver has it */
	const char *feature_name;
} request_kinds[] = {
	/* Reading is enough: INFO changes nothing. */
	[REQUEST_INFO] = { "MMAPDEMO_IOC_INFO", MMAPDEMO_IOC_INFO, O_RDONLY, 0,
			   NULL },
	[REQUEST_RESIZE] = { "MMAPDEMO_IOC_RESIZE", MMAPDEMO_IOC_RESIZE, O_RDWR,
			     MMAPDEMO_FEATURE_RESIZE, "RESIZE" },
	[REQUEST_PUNCH] = { "MMAPDEMO_IOC_PUNCH", MMAPDEMO_IOC_PUNCH, O_RDWR,
			    MMAPDEMO_FEATURE_PUNCH, "PUNCH" },
};

static void init_request(struct device_request *req, enum request_type type)
{
	memset(req, 0, sizeof(*req));
	req->type = type;
	req->name = request_kinds[type].name;
	req->device = device_path;
	req->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
}

/* ENOTTY: the driver does not know the request. Which driver is it? */
static void explain_unknown_request(int fd, const struct device_request *req)
{
	const char *error = strerror(ENOTTY);
	char what[64];

	switch (is_mmapdemo_device(fd, what, sizeof(what))) {
	case 0:
		error_msg("%s failed: %s: %s is not the mmapdemo device (it is a %s)", req->name, error, device_path, what);
		break;
	case 1:
		error_msg("%s failed: %s: the loaded mmapdemo module does not know this ioctl: it is older than this " PROG_NAME " (ABI version %d); load a current module", req->name, error, MMAPDEMO_ABI_VERSION);
		break;
	default:
		if (!module_loaded())
			error_msg("%s failed: %s: %s is not the mmapdemo device (mmapdemo is not loaded)", req->name, error, device_path);
		else
			error_msg("%s failed: %s: the driver behind %s does not know this ioctl: it is not the mmapdemo device, or an mmapdemo module older than this " PROG_NAME " (ABI version %d)", req->name, error, device_path, MMAPDEMO_ABI_VERSION);
		break;
	}
}

/* Why the driver failed @req with @err (or why it would, for @err 0). */
static void explain_failure(int fd, const struct device_request *req, int err)
{
	const struct driver_rule *rule;
	char text[512];

	rule = err ? driver_rule_for_errno(req, err) : driver_rule_broken(req);
	if (rule)
		error_msg("%s", driver_rule_explain(rule, req, err, text,
						    sizeof(text)));
	else if (err == ENOTTY)
		explain_unknown_request(fd, req);
	else
		error_msg("%s failed: %s", req->name, strerror(err));
}

static int get_info(int fd, struct mmapdemo_info *info)
{
	struct device_request req;

	memset(info, 0, sizeof(*info));
	if (ioctl(fd, MMAPDEMO_IOC_INFO, info) < 0) {
		int err = errno;

		init_request(&req, REQUEST_INFO);
		explain_failure(fd, &req, err);
		return -1;
	}
	if (info->abi_version != MMAPDEMO_ABI_VERSION)
		error_msg("warning: the driver's ABI version is %u, this " PROG_NAME " knows version %d", info->abi_version, MMAPDEMO_ABI_VERSION);
	return 0;
}

/* Send @req (not INFO) on @fd: 0 or the errno. */
static int send_request(int fd, const struct device_request *req)
{
	struct mmapdemo_resize resize;
	struct mmapdemo_punch punch;
	void *arg;

	/* Whole structures, zeroed: reserved fields must be 0. */
	memset(&resize, 0, sizeof(resize));
	memset(&punch, 0, sizeof(punch));
	if (req->type == REQUEST_RESIZE) {
		resize.size = req->size;
		resize.flags = req->flags;
		arg = &resize;
	} else {
		punch.offset = req->offset;
		punch.length = req->length;
		punch.flags = req->flags;
		arg = &punch;
	}
	if (ioctl(fd, request_kinds[req->type].ioctl_nr, arg) < 0)
		return errno;
	return 0;
}

/*
 * The one way of every request: open the device, ask INFO into @before,
 * check that the driver has the request's feature and that @req keeps the
 * driver's rules (unless @check is false), send it, and ask INFO into
 * @after. INFO itself stops after @before. Every failure is explained on
 * stderr.
 * Return: the exit status.
 */
static int run_request(struct device_request *req, bool check,
		       struct mmapdemo_info *before,
		       struct mmapdemo_info *after)
{
	const struct request_kind *kind = &request_kinds[req->type];
	int status = EXIT_FAILURE;
	int fd, err;

	fd = open_device(kind->open_flags, &status);
	if (fd < 0)
		return status;
	if (get_info(fd, before) < 0)
		goto out;
	if (req->type == REQUEST_INFO) {
		status = EXIT_SUCCESS;
		goto out;
	}
	if (kind->feature && !(before->features & kind->feature)) {
		error_msg("the loaded mmapdemo module does not support %s (its features: %#llx); load a current module", kind->feature_name, (unsigned long long)before->features);
		goto out;
	}

	req->max_size = before->max_size;
	/* What the driver would refuse is refused here, in its words. */
	if (check && driver_rule_broken(req)) {
		explain_failure(fd, req, 0);
		goto out;
	}
	err = send_request(fd, req);
	if (err) {
		explain_failure(fd, req, err);
		goto out;
	}
	if (get_info(fd, after) < 0)
		goto out;
	status = EXIT_SUCCESS;
out:
	close(fd);
	return status;
}

/* ---- info, resize, punch ---------------------------------------------- */

int cmd_info(int argc, char **argv)
{
	struct device_request req;
	struct mmapdemo_info info;
	int status;
	bool json;

	status = parse_json_option(argc, argv, &json);
	if (status >= 0)
		return status;

	init_request(&req, REQUEST_INFO);
	status = run_request(&req, true, &info, NULL);
	if (status)
		return status;
	if (json)
		print_info_json(&info);
	else
		print_info(&info);
	return EXIT_SUCCESS;
}

/*
 * "[--flags N] ARG..." of resize and punch: @nr_args byte counts named
 * @names into @args, and the flags into @req. Without --flags the request
 * is checked before it is sent (*@check); with it, it goes to the driver
 * as it is, since the option exists to see what the driver does.
 * Return: -1 to go on, else the exit status to return.
 */
static int parse_request_args(int argc, char **argv, const char *const *names,
			      uint64_t *args, int nr_args,
			      struct device_request *req, bool *check)
{
	static const struct option long_options[] = {
		{ "flags", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *command = argv[0];
	int i, opt, err;

	*check = true;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+:h", long_options, NULL)) !=
	       -1) {
		switch (opt) {
		case 'f':
			if (!parse_flags(optarg, &req->flags))
				return usage_error("%s: invalid --flags '%s': expected a 32-bit number", command, optarg);
			*check = false;
			break;
		case 'h':
			print_usage(stdout);
			return EXIT_SUCCESS;
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

		err = parse_bytes(arg, &args[i]);
		if (err)
			return usage_error("%s: invalid %s '%s': %s", command,
					   names[i], arg,
					   parse_bytes_error(err));
	}
	return -1;
}

int cmd_resize(int argc, char **argv)
{
	static const char *const names[] = { "SIZE" };
	struct mmapdemo_info before, after;
	struct device_request req;
	char old_buf[32], new_buf[32];
	int status;
	bool check;

	init_request(&req, REQUEST_RESIZE);
	status = parse_request_args(argc, argv, names, &req.size, 1, &req,
				    &check);
	if (status >= 0)
		return status;
	status = run_request(&req, check, &before, &after);
	if (status)
		return status;
	printf("resized %s from %llu (%s) to %llu (%s) bytes\n", device_path,
	       (unsigned long long)before.size,
	       format_bytes(before.size, old_buf, sizeof(old_buf)),
	       (unsigned long long)after.size,
	       format_bytes(after.size, new_buf, sizeof(new_buf)));
	return EXIT_SUCCESS;
}

int cmd_punch(int argc, char **argv)
{
	static const char *const names[] = { "OFFSET", "LENGTH" };
	char len_buf[32], old_buf[32], new_buf[32];
	struct mmapdemo_info before, after;
	struct device_request req;
	uint64_t range[2];
	int status;
	bool check;

	init_request(&req, REQUEST_PUNCH);
	status = parse_request_args(argc, argv, names, range, 2, &req, &check);
	if (status >= 0)
		return status;
	req.offset = range[0];
	req.length = range[1];
	status = run_request(&req, check, &before, &after);
	if (status)
		return status;
	printf("punched %llu (%s) bytes at offset %llu of %s; allocated_bytes %llu (%s) -> %llu (%s)\n",
	       (unsigned long long)req.length,
	       format_bytes(req.length, len_buf, sizeof(len_buf)),
	       (unsigned long long)req.offset, device_path,
	       (unsigned long long)before.allocated_bytes,
	       format_bytes(before.allocated_bytes, old_buf, sizeof(old_buf)),
	       (unsigned long long)after.allocated_bytes,
	       format_bytes(after.allocated_bytes, new_buf, sizeof(new_buf)));
	return EXIT_SUCCESS;
}
