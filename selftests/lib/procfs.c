// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sizes.h"

#include "procfs.h"

char *read_text_file(const char *path)
{
	size_t cap = 64 * KIB, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *nbuf = realloc(buf, cap * 2);

			if (!nbuf)
				break;
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

const char *field_value(const char *line, const char *name)
{
	size_t len = strlen(name);

	if (strncmp(line, name, len) || line[len] != ':')
		return NULL;
	return line + len + 1;
}

long proc_kb(const char *path, const char *name)
{
	char *text = read_text_file(path), *line, *save = NULL;
	const char *value;
	long kb = -1;

	if (!text)
		return -1;
	for_each_line(line, text, save) {
		value = field_value(line, name);
		if (value) {
			kb = strtol(value, NULL, 10);
			break;
		}
	}
	free(text);
	return kb;
}

long status_kb(const char *name)
{
	return proc_kb("/proc/self/status", name);
}

int maps_parse(const char *line, struct maps_entry *e)
{
	memset(e, 0, sizeof(*e));
	if (sscanf(line, "%lx-%lx %4s %llx %x:%x %lu %255s",
		   &e->start, &e->end, e->perms, &e->offset,
		   &e->dev_major, &e->dev_minor, &e->inode, e->path) < 7)
		return -1;
	return 0;
}

char *maps_read(pid_t pid)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	return read_text_file(path);
}

int maps_lookup(pid_t pid, unsigned long addr, bool containing,
		struct maps_entry *e)
{
	char *maps = maps_read(pid), *line, *save = NULL;
	int ret = -1;

	if (!maps)
		return -1;
	for_each_line(line, maps, save) {
		if (maps_parse(line, e))
			continue;
		if (e->start == addr ||
		    (containing && e->start <= addr && addr < e->end)) {
			ret = 0;
			break;
		}
	}
	free(maps);
	return ret;
}

int maps_find(pid_t pid, unsigned long start,
	      struct maps_entry *e)
{
	return maps_lookup(pid, start, false, e);
}

bool addr_mapped(void *addr)
{
	struct maps_entry e;

	return !maps_lookup(0, (unsigned long)addr, true, &e);
}

int maps_in_range(unsigned long lo, unsigned long hi,
		  struct maps_entry *out, int max)
{
	char *maps = maps_read(0), *line, *save = NULL;
	struct maps_entry e;
	int count = 0;

	if (!maps)
		return -1;
	for_each_line(line, maps, save) {
		if (maps_parse(line, &e) || e.end <= lo || e.start >= hi)
			continue;
		if (count < max)
			out[count] = e;
		count++;
	}
	free(maps);
	return count;
}

int maps_count_path(pid_t pid, const char *dev_path)
{
	char *maps = maps_read(pid), *line, *save = NULL;
	size_t len = strlen(dev_path);
	int count = 0;

	if (!maps)
		return -1;
	for_each_line(line, maps, save) {
		char *p = strstr(line, dev_path);

		if (p && (p[len] == '\0' || p[len] == ' '))
			count++;
	}
	free(maps);
	return count;
}

int smaps_field(unsigned long start, const char *name,
		char *buf, size_t size)
{
	char *smaps = read_text_file("/proc/self/smaps"), *line, *save = NULL;
	const char *value;
	bool in_vma = false;
	int ret = -1;

	if (!smaps)
		return -1;
	for_each_line(line, smaps, save) {
		unsigned long s, e;

		/* The first line of an entry: "start-end perms ...". */
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			if (in_vma)
				break;
			in_vma = s == start;
			continue;
		}
		value = in_vma ? field_value(line, name) : NULL;
		if (value) {
			snprintf(buf, size, "%s", value);
			ret = 0;
			break;
		}
	}
	free(smaps);
	return ret;
}

long smaps_kb(const void *addr, const char *name)
{
	char value[64];

	if (smaps_field((unsigned long)addr, name, value, sizeof(value)))
		return -1;
	return strtol(value, NULL, 10);
}

bool vmflags_has(const char *flags, const char *flag)
{
	const char *p = flags;
	size_t len = strlen(flag);

	while ((p = strstr(p, flag))) {
		if ((p == flags || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\n' || p[len] == '\0'))
			return true;
		p += len;
	}
	return false;
}

long long memory_free_bytes(void)
{
	char *info = read_text_file("/proc/zoneinfo"), *p;
	long free_kb = proc_kb("/proc/meminfo", "MemFree");
	long long pcp = 0;

	if (!info || free_kb < 0) {
		free(info);
		return -1;
	}
	for (p = strstr(info, "count:"); p; p = strstr(p + 6, "count:"))
		pcp += strtol(p + 6, NULL, 10);
	free(info);
	return free_kb * 1024LL + pcp * (long long)page_bytes();
}

long pagemap_present_pages(const void *addr, uint64_t nr)
{
	uint64_t first = (uintptr_t)addr / page_bytes(), i, entry;
	long mapped = 0;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (i = 0; i < nr; i++) {
		if (pread(fd, &entry, sizeof(entry),
			  (first + i) * sizeof(entry)) != sizeof(entry)) {
			mapped = -1;
			break;
		}
		mapped += entry >> 63;
	}
	close(fd);
	return mapped;
}

long rusage_minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}
