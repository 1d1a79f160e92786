/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /proc parsing: whole files, "Name: value kB" fields, /proc/PID/maps,
 * /proc/self/smaps, /proc/self/pagemap and /proc/zoneinfo.
 */
#ifndef MMAPDEMO_PROCFS_H
#define MMAPDEMO_PROCFS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

/* Walk the lines of @text, which it cuts up (strtok_r()). */
#define for_each_line(line, text, save)				\
	for (line = strtok_r(text, "\n", &save); line;		\
	     line = strtok_r(NULL, "\n", &save))

/* One parsed line of /proc/PID/maps. */
struct maps_entry {
	unsigned long start, end;
	char perms[5];
	unsigned long long offset;
	unsigned int dev_major, dev_minor;
	unsigned long inode;
	char path[256];
};

/* Read a whole (small) proc/sys file into a malloc()ed string. */
char *read_text_file(const char *path);

/* What follows "@name:" if @line is that field ("VmLck:   4 kB"), or NULL. */
const char *field_value(const char *line, const char *name);

/* A "Name:   <value> kB" field of a file like /proc/meminfo in kB, or -1. */
long proc_kb(const char *path, const char *name);

/* A "Name:   <value> kB" field of /proc/self/status in kB, or -1. */
long status_kb(const char *name);

/* Parse a line of /proc/PID/maps into @e: 0, or -1 if it is not one. */
int maps_parse(const char *line, struct maps_entry *e);

/* /proc/@pid/maps (pid 0: self) as a malloc()ed string, or NULL. */
char *maps_read(pid_t pid);

/*
 * Find the line of /proc/@pid/maps (pid 0: self) that starts at @addr, or
 * with @containing, the line whose range contains @addr.
 * Returns 0 and fills @e, or -1 when there is no such line.
 */
int maps_lookup(pid_t pid, unsigned long addr, bool containing,
		struct maps_entry *e);

int maps_find(pid_t pid, unsigned long start,
	      struct maps_entry *e);

/* Whether any mapping of this process contains @addr. */
bool addr_mapped(void *addr);

/*
 * The VMAs of this process that overlap [lo, hi), in address order.
 * Returns how many there are (at most max are stored), -1 on error.
 */
int maps_in_range(unsigned long lo, unsigned long hi,
		  struct maps_entry *out, int max);

/* Number of lines of /proc/@pid/maps (0: self) whose path is @dev_path. */
int maps_count_path(pid_t pid, const char *dev_path);

/*
 * What follows "@name:" in the /proc/self/smaps entry of the VMA starting
 * at @start, copied into @buf. 0, or -1 if there is no such VMA or field.
 */
int smaps_field(unsigned long start, const char *name,
		char *buf, size_t size);

/* A "Name:  value kB" field of the smaps entry starting at addr; -1 if none. */
long smaps_kb(const void *addr, const char *name);

/* Whether the space separated smaps VmFlags string holds the code @flag. */
bool vmflags_has(const char *flags, const char *flag);

/*
 * Free memory in bytes as the page allocator sees it: MemFree plus the
 * pages on the per-CPU free lists (/proc/zoneinfo "count:"): MemFree
 * counts only the buddy allocator's free pages, and freed pages (order 0
 * and, since 5.13, PMD-order ones too) first go to these lists. -1 if
 * unreadable.
 */
long long memory_free_bytes(void);

/*
 * How many of the @nr pages at @addr this process has mapped (present in
 * /proc/self/pagemap, by a PTE or a PMD), or -1 on error.
 */
long pagemap_present_pages(const void *addr, uint64_t nr);

/* Minor faults taken by this process so far (getrusage). */
long rusage_minor_faults(void);

#endif /* MMAPDEMO_PROCFS_H */
