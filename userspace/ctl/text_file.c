// SPDX-License-Identifier: GPL-2.0
/* Small text files of sysfs and procfs. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "ctl.h"

/* Read a small sysfs/procfs file, without the trailing newline. */
int read_text_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}
