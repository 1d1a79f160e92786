// SPDX-License-Identifier: GPL-2.0
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"

#include "mounts.h"

int exec_mounts_setup(struct exec_mounts *m, const char **what)
{
	dev_t devt;

	*what = "unshare(CLONE_NEWNS)";
	if (unshare(CLONE_NEWNS))
		return -1;
	*what = "make / private";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	*what = "mkdtemp";
	snprintf(m->dir, sizeof(m->dir), "/tmp/mmapdemo-mnt-XXXXXX");
	if (!mkdtemp(m->dir))
		return -1;
	snprintf(m->exec_dir, sizeof(m->exec_dir), "%s/exec", m->dir);
	snprintf(m->noexec_dir, sizeof(m->noexec_dir), "%s/noexec", m->dir);
	snprintf(m->exec_node, sizeof(m->exec_node), "%s/mmapdemo",
		 m->exec_dir);
	snprintf(m->noexec_node, sizeof(m->noexec_node), "%s/mmapdemo",
		 m->noexec_dir);
	*what = "mkdir";
	if (mkdir(m->exec_dir, 0700) || mkdir(m->noexec_dir, 0700))
		return -1;
	*what = "mount tmpfs (exec)";
	if (mount("tmpfs", m->exec_dir, "tmpfs", 0, "size=64k,mode=0700"))
		return -1;
	*what = "mount tmpfs (noexec)";
	if (mount("tmpfs", m->noexec_dir, "tmpfs", MS_NOEXEC,
		  "size=64k,mode=0700"))
		return -1;
	*what = "read " MMAPDEMO_SYSFS_DIR "/dev";
	if (device_devt(&devt))
		return -1;
	*what = "mknod";
	if (mknod(m->exec_node, S_IFCHR | 0600, devt) ||
	    mknod(m->noexec_node, S_IFCHR | 0600, devt))
		return -1;
	return 0;
}

void exec_mounts_cleanup(struct exec_mounts *m)
{
	umount2(m->exec_dir, MNT_DETACH);
	umount2(m->noexec_dir, MNT_DETACH);
	rmdir(m->exec_dir);
	rmdir(m->noexec_dir);
	rmdir(m->dir);
}
