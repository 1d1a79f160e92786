// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mmapdemo.h"
#include "kmsg.h"

int kmsg_open(bool only_new)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && only_new && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int kmsg_open_end(void)
{
	return kmsg_open(true);
}

int kmsg_next(int fd, char *msg, size_t len)
{
	char record[4096], *text, *end;
	ssize_t n;

	for (;;) {
		n = read(fd, record, sizeof(record) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			return 0;	/* EAGAIN: no more records */
		record[n] = '\0';
		/* "prio,seq,usec,flags;message\n[ KEY=value\n...]" */
		text = strchr(record, ';');
		if (!text)
			continue;
		text++;
		end = strchr(text, '\n');
		if (end)
			*end = '\0';
		snprintf(msg, len, "%s", text);
		return 1;
	}
}

bool kmsg_find(int fd, const char *needle, char *line, size_t len, char *all,
	       size_t all_len)
{
	bool found = false;
	char msg[4096];

	if (len)
		line[0] = '\0';
	while (kmsg_next(fd, msg, sizeof(msg))) {
		if (all && strstr(msg, MMAPDEMO_NAME)) {
			size_t used = strlen(all);

			snprintf(all + used, all_len - used, "%s\n", msg);
		}
		if (!found && strstr(msg, needle)) {
			snprintf(line, len, "%s", msg);
			found = true;
		}
	}
	return found;
}
