// SPDX-License-Identifier: GPL-2.0
/*
 * The debug kernel's leak check, run after every other test program (the
 * selftests Makefile puts it last): kmemleak must report no unreferenced
 * object allocated by mmapdemo, neither while the module is loaded (after
 * everything the suite did to it) nor once it is unloaded (the exit path
 * must free all it allocated).
 *
 * kmemleak only reports objects older than 5 s and is more reliable after
 * two scans, hence the waits. A scan walks all of memory: under KASAN and
 * TCG, on the 7.3 debug kernel, two took over the harness's default 30 s,
 * so each test has 300 s. A report entry is the module's when its
 * allocation backtrace names a function of mmapdemo ("[mmapdemo]") or, once
 * the module is gone and its symbols with it, shows a raw address inside
 * the range the module's code occupied.
 *
 * Kernels without CONFIG_DEBUG_KMEMLEAK (the Debian ones) cannot look for
 * leaks: the test is skipped there, with that reason.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "procfs.h"
#include "module.h"

#define KMEMLEAK	"/sys/kernel/debug/kmemleak"

/* Where the module's code is, from /proc/modules: "name size ... addr". */
static int module_range(unsigned long *start, unsigned long *end)
{
	char *text = read_text_file("/proc/modules"), *line, *save = NULL;
	unsigned long size, addr;
	char name[64];
	int found = -1;

	if (!text)
		return -1;
	for_each_line(line, text, save) {
		if (sscanf(line, "%63s %lu %*s %*s %*s %lx", name, &size,
			   &addr) == 3 && !strcmp(name, MMAPDEMO_NAME) && addr) {
			*start = addr;
			*end = addr + size;
			found = 0;
		}
	}
	free(text);
	return found;
}

static int kmemleak_cmd(const char *cmd)
{
	int fd = open(KMEMLEAK, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, cmd, strlen(cmd));
	close(fd);
	return n == (ssize_t)strlen(cmd) ? 0 : -1;
}

/* Age every object past kmemleak's 5 s and scan twice. */
static int kmemleak_scan(void)
{
	sleep(6);
	if (kmemleak_cmd("scan"))
		return -1;
	return kmemleak_cmd("scan");
}

/* Does this report entry's backtrace point into the module? */
static bool entry_is_ours(const char *entry, unsigned long start,
			  unsigned long end)
{
	const char *p = entry;

	if (strstr(entry, "[" MMAPDEMO_NAME "]"))
		return true;
	/* "[<hashed>] 0xffffffffc0123456": %pS of a symbol that is gone. */
	while ((p = strstr(p, "0x"))) {
		unsigned long addr = strtoul(p + 2, NULL, 16);

		if (addr >= start && addr < end)
			return true;
		p += 2;
	}
	return false;
}

/* Print the module's entries of the current report; return their number. */
static int count_our_leaks(struct __test_metadata *_metadata,
			   unsigned long start, unsigned long end)
{
	char *report = read_text_file(KMEMLEAK), *entry, *next;
	int ours = 0;

	if (!report)
		return -1;
	for (entry = strstr(report, "unreferenced object"); entry;
	     entry = next) {
		next = strstr(entry + 1, "unreferenced object");
		if (next)
			next[-1] = '\0';
		if (entry_is_ours(entry, start, end)) {
			TH_LOG("leak:\n%s", entry);
			ours++;
		}
	}
	free(report);
	return ours;
}

FIXTURE(kmemleak) {
	unsigned long start, end;
};

FIXTURE_SETUP(kmemleak)
{
	if (access(KMEMLEAK, R_OK))
		SKIP(return, "no " KMEMLEAK ": kernel without CONFIG_DEBUG_KMEMLEAK");
	ASSERT_EQ(0, module_range(&self->start, &self->end)) {
		TH_LOG("mmapdemo not in /proc/modules, or its address is hidden");
	}
}

FIXTURE_TEARDOWN(kmemleak)
{
	module_ensure_loaded();
}

/* Nothing the suite did left an object of the module unreferenced. */
TEST_F_TIMEOUT(kmemleak, kmemleak_nothing_leaked_while_loaded, 300)
{
	ASSERT_EQ(0, kmemleak_scan());
	EXPECT_EQ(0, count_our_leaks(_metadata, self->start, self->end));
}

/* Unloading frees everything the module allocated. */
TEST_F_TIMEOUT(kmemleak, kmemleak_nothing_leaked_after_unload, 300)
{
	char out[512];

	ASSERT_EQ(0, module_delete());
	ASSERT_EQ(0, kmemleak_scan());
	EXPECT_EQ(0, count_our_leaks(_metadata, self->start, self->end));
	ASSERT_EQ(0, module_load(NULL, out, sizeof(out))) {
		TH_LOG("reload: %s", out);
	}
}

TEST_HARNESS_MAIN
