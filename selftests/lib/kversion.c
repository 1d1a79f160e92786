// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "kversion.h"

const char *kernel_release(void)
{
	static struct utsname u;
	static bool read;

	if (!read) {
		if (uname(&u))
			u.release[0] = '\0';
		read = true;
	}
	return u.release;
}

bool kernel_at_least(int major, int minor)
{
	int maj, min;

	if (sscanf(kernel_release(), "%d.%d", &maj, &min) != 2)
		return false;
	return maj > major || (maj == major && min >= minor);
}
