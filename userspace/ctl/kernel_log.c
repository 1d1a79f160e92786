// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's log (/dev/kmsg) around a module load: the kernel explains
 * most load failures only there (e.g. which parameter value it rejected).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

/*
 * Open /dev/kmsg before the load and skip the old records; afterwards,
 * kmsg_collect() reads the new ones that mention the module.
 */
int kmsg_open_at_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static bool kmsg_is_noise(const char *msg)
{
	/* Expected taint notices for an out-of-tree, unsigned module. */
	return strstr(msg, "module verification failed") ||
	       strstr(msg, "taints kernel");
}

/*
 * Collect the new kernel log lines about @module, or about modules at all
 * (e.g. "Loading of unsigned module is rejected").
 */
void kmsg_collect(int fd, const char *module, struct kernel_log *log)
{
	char record[4096];

	log->count = 0;
	if (fd < 0)
		return;
	while (log->count < KERNEL_LOG_LINES) {
		ssize_t n = read(fd, record, sizeof(record) - 1);
		char *msg, *end;

		if (n < 0) {
			/* EPIPE: records were overwritten; go on */
			if (errno == EPIPE)
				continue;
			break;	/* EAGAIN: no more records */
		}
		record[n] = '\0';
		/* Format: "prio,seq,usec,flags;message\n[ KEY=value\n...]" */
		msg = strchr(record, ';');
		if (!msg)
			continue;
		msg++;
		end = strchr(msg, '\n');
		if (end)
			*end = '\0';
		if ((!strstr(msg, module) && !strstr(msg, "module")) ||
		    kmsg_is_noise(msg))
			continue;
		snprintf(log->lines[log->count++], sizeof(log->lines[0]), "%s",
			 msg);
	}
}

void kmsg_show(const struct kernel_log *log)
{
	int i;

	for (i = 0; i < log->count; i++)
		error_msg("kernel log: %s", log->lines[i]);
}

/*
 * The parameter the kernel refused, from its "`VALUE' invalid for
 * parameter `NAME'" line; NULL when the log does not say.
 */
const char *rejected_param(const struct kernel_log *log, char *name, size_t len)
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
