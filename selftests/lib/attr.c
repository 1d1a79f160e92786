// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>

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
