// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's log (/dev/kmsg) around a module load: the kernel explains
 * most load failures only there (e.g. which parameter value it rejected).
 */
#include <string.h>

#include "ctl.h"
#include "kmsg.h"

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
	char msg[sizeof(log->lines[0])];

	log->count = 0;
	if (fd < 0)
		return;
	while (log->count < KERNEL_LOG_LINES &&
	       kmsg_next(fd, msg, sizeof(msg))) {
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
