/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Child processes: waiting for them (with a deadline), running the helper
 * programs and reading their output, unprivileged children, and children
 * that die with their parent.
 */
#ifndef MMAPDEMO_CHILD_H
#define MMAPDEMO_CHILD_H

#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

/* For a quick helper program: well within the harness's 30 s per test. */
#define HELPER_TIMEOUT_S	20

/* CLOCK_MONOTONIC in seconds. */
double now_s(void);

/*
 * Wait for @pid: its exit code, 128 + signal if it was killed, -1 on error.
 */
int wait_exit_code(pid_t pid);

/*
 * waitpid() with a deadline: the exit status, or -1 if the child is still
 * running after timeout_s seconds (it is then left alone: a task stuck in
 * the kernel would not die anyway; the caller reports it).
 */
int wait_timeout(pid_t pid, double timeout_s);

/*
 * Path of helper program @name: next to this executable if it is there,
 * else the bare name (found through PATH by execvp).
 */
void helper_path(const char *name, char *buf, size_t size);

/*
 * Start helper @argv[0] (a name, see helper_path()) in a fork child, with
 * its stdout and stderr on @out_fd unless that is -1. The pid, or -1.
 */
pid_t spawn_helper(char *const argv[], int out_fd);

/*
 * Run helper @argv[0] (see spawn_helper()), collecting its stdout and
 * stderr into @out (NUL terminated). Returns the wait status, or -1 if it
 * could not run or did not end within @timeout_s seconds.
 */
int run_helper(char *const argv[], char *out, size_t outlen,
	       double timeout_s);

/* Value of "key=<number>" in helper output, or @dflt if missing. */
long long output_value(const char *out, const char *key,
		       long long dflt);

/*
 * fork() a child that limits its locked memory to @memlock bytes and then
 * becomes nobody (setresuid() clears the capabilities, CAP_IPC_LOCK
 * included). Like fork(): 0 in the child, which exits with a status that
 * names the step that failed: 10 setrlimit, 11 setresuid, 12 the device
 * could still be opened.
 */
pid_t fork_unprivileged(rlim_t memlock);

/*
 * Fork a child that dies with the thread that forked it (the test's
 * process: its children must not outlive a failed test). Like fork().
 */
pid_t fork_tied_to_parent(void);

#endif /* MMAPDEMO_CHILD_H */
