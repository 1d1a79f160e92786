/* SPDX-License-Identifier: GPL-2.0 */
/* Device nodes of mmapdemo on exec and noexec mounts. */
#ifndef MMAPDEMO_MOUNTS_H
#define MMAPDEMO_MOUNTS_H

/*
 * Two tmpfs mounts, one of them noexec, each with a character device node
 * for mmapdemo (major:minor from sysfs). All nodes reach the same device.
 */
struct exec_mounts {
	char dir[64];
	char exec_dir[96], noexec_dir[96];
	char exec_node[128], noexec_node[128];
};

/*
 * Set up @m in a private mount namespace of the calling process, so the
 * mounts disappear with it even if the test dies half way. On failure
 * returns -1 with @what naming the step that failed (errno is kept).
 */
int exec_mounts_setup(struct exec_mounts *m, const char **what);

void exec_mounts_cleanup(struct exec_mounts *m);

#endif /* MMAPDEMO_MOUNTS_H */
