/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel log, /dev/kmsg: its records one at a time, from the start of
 * the buffer or only those logged after the open. Plain libc, so
 * userspace/mmapdemo-ctl links it too.
 */
#ifndef MMAPDEMO_KMSG_H
#define MMAPDEMO_KMSG_H

#include <stdbool.h>
#include <stddef.h>

/*
 * /dev/kmsg, non-blocking; with @only_new positioned after the last record,
 * so that only records logged from now on are read. The fd, or -1.
 */
int kmsg_open(bool only_new);

/* kmsg_open(true). */
int kmsg_open_end(void);

/*
 * The text of the next record (without "prio,seq,usec,flags;" and the
 * continuation lines) into @msg: 1, or 0 when there are no more for now.
 * Records overwritten meanwhile are skipped.
 */
int kmsg_next(int fd, char *msg, size_t len);

/*
 * Read the records logged since kmsg_open() (or the last call): true
 * if the text of one of them contains @needle, copied into @line. Every
 * record that mentions the module is appended to @all (if not NULL).
 */
bool kmsg_find(int fd, const char *needle, char *line, size_t len, char *all,
	       size_t all_len);

#endif /* MMAPDEMO_KMSG_H */
