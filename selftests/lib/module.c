// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "device.h"

#include "module.h"

bool module_loaded(void)
{
	return access("/sys/module/" MMAPDEMO_NAME, F_OK) == 0;
}

int module_delete(void)
{
	if (syscall(__NR_delete_module, MMAPDEMO_NAME, O_NONBLOCK))
		return -errno;
	return 0;
}

int module_unload(void)
{
	double deadline = now_s() + 3;
	int err;

	for (;;) {
		err = module_delete();
		if (err != -EAGAIN || now_s() > deadline)
			return err == -ENOENT ? 0 : err;
		usleep(20000);
	}
}

int module_load(const char *args, char *out, size_t outlen)
{
	const char *ko = getenv("MMAPDEMO_KO");
	char *argv[32], *copy, *tok, *save = NULL;
	int argc = 0, ret;

	if (!ko || !*ko) {
		snprintf(out, outlen, "MMAPDEMO_KO is not set");
		return -1;
	}
	if (!args)
		args = module_run_args();
	copy = strdup(args);
	if (!copy)
		return -1;
	argv[argc++] = "mmapdemo-ctl";
	argv[argc++] = "load";
	argv[argc++] = "-m";
	argv[argc++] = (char *)ko;
	for (tok = strtok_r(copy, " \t\n", &save); tok && argc < 31;
	     tok = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	ret = run_helper(argv, out, outlen, 60);
	free(copy);
	return ret;
}

const char *module_run_args(void)
{
	const char *args = getenv("MMAPDEMO_MODULE_ARGS");

	return args ? args : "";
}

int module_reload(const char *args, char *out, size_t outlen)
{
	int err = module_unload();

	if (err) {
		snprintf(out, outlen, "delete_module: %s", strerror(-err));
		return -1;
	}
	return module_load(args, out, outlen) ? -1 : 0;
}

void module_ensure_loaded(void)
{
	char out[512];

	if (module_loaded())
		return;
	if (module_load(NULL, out, sizeof(out)) != 0)
		fprintf(stderr, "# reloading mmapdemo failed: %s\n", out);
}

void module_restore(bool args_changed)
{
	size_t want = module_param_size();
	char out[512];
	int fd;

	if (module_loaded() && !args_changed && want && device_size() != want) {
		fd = device_open(O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			int err = device_resize(fd, want);

			if (err)
				fprintf(stderr, "# RESIZE back to %zu failed: %s\n",
					want, strerror(-err));
			close(fd);
		}
		if (device_size() == want)
			return;
		args_changed = true;
	}
	if (!module_loaded() || args_changed) {
		if (module_reload(NULL, out, sizeof(out)))
			fprintf(stderr, "# reloading mmapdemo failed: %s\n",
				out);
	}
}
