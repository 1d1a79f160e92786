// SPDX-License-Identifier: GPL-2.0
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "access.h"

/*
 * The jump buffer of the guarded access running in this thread, if any.
 * SA_NODEFER: the jump leaves the handler without restoring the signal
 * mask, so the signal must not be blocked while it runs.
 */
static __thread sigjmp_buf *volatile guard_jmp;
static __thread struct access_fault guard_fault;
static void (*guard_crashed)(int sig);
static volatile sig_atomic_t guard_installed;

static void guard_handler(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *jb = guard_jmp;
	struct sigaction dfl;

	(void)uc;
	if (jb) {
		guard_fault.signo = sig;
		guard_fault.code = si->si_code;
		guard_fault.addr = si->si_addr;
		siglongjmp(*jb, 1);
	}
	/*
	 * Not ours: the default action, and returning re-executes the
	 * access, which now kills the process with the same signal.
	 */
	if (guard_crashed)
		guard_crashed(sig);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	guard_installed = 0;
}

int guard_install(void (*crashed)(int sig))
{
	struct sigaction sa;

	if (crashed)
		guard_crashed = crashed;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = guard_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) || sigaction(SIGSEGV, &sa, NULL))
		return -1;
	guard_installed = 1;
	return 0;
}

/* Keep the compiler from moving memory accesses across the guard. */
static inline void guard_barrier(void)
{
	__asm__ __volatile__("" ::: "memory");
}

/* One access of @n bytes when it can be, memcpy() otherwise. */
static void copy_once(void *dst, const void *src, size_t n)
{
	uintptr_t both = (uintptr_t)dst | (uintptr_t)src;

	if (n == 8 && !(both % 8))
		*(volatile uint64_t *)dst = *(const volatile uint64_t *)src;
	else if (n == 4 && !(both % 4))
		*(volatile uint32_t *)dst = *(const volatile uint32_t *)src;
	else if (n == 2 && !(both % 2))
		*(volatile uint16_t *)dst = *(const volatile uint16_t *)src;
	else if (n == 1)
		*(volatile uint8_t *)dst = *(const volatile uint8_t *)src;
	else
		memcpy(dst, src, n);
}

int guarded_copy(void *dst, const void *src, size_t n,
		 struct access_fault *fault)
{
	sigjmp_buf jb;

	if (!guard_installed && guard_install(NULL))
		return -1;
	if (sigsetjmp(jb, 0)) {
		guard_jmp = NULL;
		guard_barrier();
		if (fault)
			*fault = guard_fault;
		return guard_fault.signo;
	}
	guard_jmp = &jb;
	guard_barrier();
	copy_once(dst, src, n);
	guard_barrier();
	guard_jmp = NULL;
	if (fault)
		memset(fault, 0, sizeof(*fault));
	return 0;
}

int guarded_load64(const void *p, uint64_t *v)
{
	return guarded_copy(v, p, sizeof(*v), NULL);
}

int guarded_store64(void *p, uint64_t v)
{
	return guarded_copy(p, &v, sizeof(v), NULL);
}

int guarded_touch(void *addr, enum access_kind kind, unsigned char *value,
		  struct access_fault *fault)
{
	unsigned char c = value ? *value : 0;
	int sig;

	if (kind == ACCESS_WRITE)
		return guarded_copy(addr, &c, 1, fault);
	sig = guarded_copy(&c, addr, 1, fault);
	if (sig)
		return sig;
	if (value)
		*value = c;
	return 0;
}

int guarded_read_signal(void *addr)
{
	return guarded_touch(addr, ACCESS_READ, NULL, NULL);
}

int guarded_write_signal(void *addr)
{
	unsigned char v = 0x5a;

	return guarded_touch(addr, ACCESS_WRITE, &v, NULL);
}

/* --- in a fork child --- */

static int access_report_fd = -1;

static void access_report_handler(int sig, siginfo_t *si, void *uc)
{
	int msg[4] = { sig, si->si_code, 0, 0 };
	unsigned long addr = (unsigned long)si->si_addr;

	(void)uc;
	memcpy(&msg[2], &addr, sizeof(addr));
	if (write(access_report_fd, msg, sizeof(msg)) != sizeof(msg))
		_exit(100);
	/*
	 * SA_RESETHAND restored the default action: returning re-executes the
	 * faulting access, which now kills the child with the same signal.
	 */
}

int probe_access(void *addr, enum access_kind kind, struct access_result *r)
{
	struct sigaction sa;
	int pipefd[2], status, msg[4];
	unsigned long a;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(pipefd[0]);
		access_report_fd = pipefd[1];
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = access_report_handler;
		sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
		if (kind == ACCESS_WRITE)
			*(volatile unsigned char *)addr = 0x5a;
		else if (kind == ACCESS_EXEC)
			((void (*)(void))addr)();
		else
			(void)*(volatile unsigned char *)addr;
		_exit(0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], msg, sizeof(msg)) == sizeof(msg)) {
		r->fault_signo = msg[0];
		r->fault_code = msg[1];
		memcpy(&a, &msg[2], sizeof(a));
		r->fault_addr = a;
	}
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		r->termsig = WTERMSIG(status);
	else
		r->exit_code = WEXITSTATUS(status);
	return 0;
}

int probe_signal(void *addr, enum access_kind kind, struct access_result *r)
{
	if (probe_access(addr, kind, r))
		return -1;
	return r->fault_signo;
}
