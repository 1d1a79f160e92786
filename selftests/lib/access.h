/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Touching memory that may raise SIGSEGV or SIGBUS, and saying which.
 *
 * In this process (guarded_*): a handler installed on first use jumps back
 * out of the faulting access, per thread, and the access returns the
 * signal. It is what tests need to see their own page table entries (a
 * fork child of a process with a shared file mapping refaults instead of
 * inheriting them) and what threads racing against a removal use. A fault
 * outside a guarded access is not expected: it kills the process with the
 * same signal, as it would have without the handler.
 *
 * In a fork child (probe_*): the child touches the address and the parent
 * learns how it ended; for accesses that would kill the caller (exec of
 * data) or whose mapping state must not change in the caller.
 */
#ifndef MMAPDEMO_ACCESS_H
#define MMAPDEMO_ACCESS_H

#include <stddef.h>
#include <stdint.h>

/* ACCESS_EXEC calls the address as a function taking and returning nothing. */
enum access_kind { ACCESS_READ, ACCESS_WRITE, ACCESS_EXEC };

/* The signal a guarded access raised, with its si_code and si_addr. */
struct access_fault {
	int signo;
	int code;
	void *addr;
};

/*
 * Install the SIGSEGV/SIGBUS handler of the guarded accesses now (they do
 * on first use anyway): 0 or -1. @crashed, if not NULL, is called (from
 * the handler: async-signal-safe code only) on a fault outside a guarded
 * access, before the process dies of it.
 */
int guard_install(void (*crashed)(int sig));

/*
 * memcpy(@dst, @src, @n) in this process: 0, or the signal that one of
 * the accesses raised (details in *@fault if not NULL). A naturally
 * aligned copy of 1, 2, 4 or 8 bytes is one load and one store.
 */
int guarded_copy(void *dst, const void *src, size_t n,
		 struct access_fault *fault);

/* The 8 bytes at @p into *@v / @v into them: 0 or the signal. */
int guarded_load64(const void *p, uint64_t *v);
int guarded_store64(void *p, uint64_t v);

/*
 * Read or write one byte at @addr in this process: 0, or the signal that
 * the access raised (details in *@fault if not NULL). A write stores
 * *@value (0 if NULL); a read stores what it read in *@value (if not NULL).
 */
int guarded_touch(void *addr, enum access_kind kind, unsigned char *value,
		  struct access_fault *fault);

/* The signal that reading / writing (0x5a) @addr in this process raises. */
int guarded_read_signal(void *addr);
int guarded_write_signal(void *addr);

/*
 * What happened when a child process touched an address: it either exited
 * normally (termsig 0) or died of termsig; si_code and si_addr come from the
 * siginfo the child's handler saw for that signal.
 */
struct access_result {
	int termsig;
	int exit_code;
	int fault_signo;
	int fault_code;
	unsigned long fault_addr;
};

/*
 * Touch @addr in a forked child (read or write one byte, or call it) and
 * report how the child ended. Returns 0, or -1 if the child could not be run.
 */
int probe_access(void *addr, enum access_kind kind, struct access_result *r);

/*
 * probe_access(), for the signal the access raised: 0 if none, -1 if the
 * child could not be run. @r has the rest (si_code, si_addr).
 */
int probe_signal(void *addr, enum access_kind kind, struct access_result *r);

#endif /* MMAPDEMO_ACCESS_H */
