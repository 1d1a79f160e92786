/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unloading and loading the module (root, inside the test VM only):
 * `mmapdemo-ctl load -m "$MMAPDEMO_KO" ARGS`, where ARGS are the run's
 * ($MMAPDEMO_MODULE_ARGS) unless a test gives its own.
 */
#ifndef MMAPDEMO_MODULE_H
#define MMAPDEMO_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include "mmapdemo.h"

bool module_loaded(void);

/* delete_module(2) without waiting: 0 or -errno. */
int module_delete(void);

/* Unload, waiting up to 3 s for users to go away: 0 or -errno. */
int module_unload(void);

/*
 * `mmapdemo-ctl load -m "$MMAPDEMO_KO" ARGS`, @args split at blanks; NULL
 * @args: the run's (module_run_args()). The wait status (0: loaded), or -1;
 * @out gets the tool's messages.
 */
int module_load(const char *args, char *out, size_t outlen);

/* The arguments the run loaded the module with: $MMAPDEMO_MODULE_ARGS. */
const char *module_run_args(void);

/*
 * Unload (see module_unload()) and load with @args (NULL: the run's), for
 * a fresh device. The caller must hold no fd or mapping of the device.
 * 0 or -1 (why in @out).
 */
int module_reload(const char *args, char *out, size_t outlen);

/* For fixture teardowns: make sure the run's module is loaded again. */
void module_ensure_loaded(void);

/*
 * For teardowns: the module loaded with the run's arguments and at the
 * size it was loaded with. A shrunk or grown device is resized back; a
 * module that is missing, or whose arguments a test changed
 * (@args_changed), is loaded again with the run's arguments.
 */
void module_restore(bool args_changed);

#endif /* MMAPDEMO_MODULE_H */
