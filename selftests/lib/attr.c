// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mmapdemo.h"

#include "attr.h"

int attr_read_value(const char *dir, const char *name, long long *value)
{
	char path[256];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", value) != 1)
		ret = -1;
	fclose(f);
	return ret;
}

int attr_write(const char *dir, const char *name, const char *value)
{
	size_t len = strlen(value);
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}

long long attr_read_decimal(const char *dir, const char *name)
{
	long long value;

	return attr_read_value(dir, name, &value) ? -1 : value;
}

long long device_attr_read(const char *name)
{
	return attr_read_decimal(MMAPDEMO_SYSFS_DIR, name);
}

long long module_param_read(const char *name)
{
	return attr_read_decimal(MODULE_PARAM_DIR, name);
}

size_t module_param_size(void)
{
	long long size = module_param_read("size");

	return size > 0 ? (size_t)size : 0;
}
