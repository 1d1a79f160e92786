/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decimal files: the sysfs attributes of the device and the parameters of
 * the module; and knobs written with one write(). Plain libc, so userspace/mmapdemo-demo links it too.
 */
#ifndef MMAPDEMO_ATTR_H
#define MMAPDEMO_ATTR_H

#include <stddef.h>

#include "mmapdemo.h"

/* The parameters of the loaded module. */
#define MODULE_PARAM_DIR	"/sys/module/" MMAPDEMO_NAME "/parameters"

/*
 * The decimal number file @dir/@name holds (a sysfs attribute, a module
 * parameter, a debugfs or /proc/sys knob) into *@value: 0, or -1 when it
 * cannot be read or holds no number.
 */
int attr_read_value(const char *dir, const char *name, long long *value);

/*
 * Write @value into file @dir/@name (a debugfs or sysfs knob) with one
 * write(): 0, or -errno.
 */
int attr_write(const char *dir, const char *name, const char *value);

/* attr_read_value() for values that are never negative: -1 if unreadable. */
long long attr_read_decimal(const char *dir, const char *name);

/* Read one decimal attribute from MMAPDEMO_SYSFS_DIR; -1 when unreadable. */
long long device_attr_read(const char *name);

/* A decimal module parameter (/sys/module/mmapdemo/parameters); -1. */
long long module_param_read(const char *name);

/*
 * The size the module was loaded with: the size every other test program
 * expects. RESIZE changes the device, not the parameter.
 */
size_t module_param_size(void);

#endif /* MMAPDEMO_ATTR_H */
