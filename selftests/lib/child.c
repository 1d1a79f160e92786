// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "device.h"

#include "child.h"

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int wait_exit_code(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int wait_timeout(pid_t pid, double timeout_s)
{
	double deadline = now_s() + timeout_s;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_s() > deadline)
			return -1;
		usleep(5000);
	}
}

void helper_path(const char *name, char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	size_t name_len = strlen(name);
	char *slash;

	if (n > 0) {
		buf[n] = '\0';
		slash = strrchr(buf, '/');
		if (slash && (size_t)(slash + 1 - buf) + name_len < size) {
			memcpy(slash + 1, name, name_len + 1);
			if (!access(buf, X_OK))
				return;
		}
	}
	if (name_len < size)
		memcpy(buf, name, name_len + 1);
	else
		buf[0] = '\0';
}

pid_t spawn_helper(char *const argv[], int out_fd)
{
	char path[PATH_MAX];
	pid_t pid;

	helper_path(argv[0], path, sizeof(path));
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (out_fd >= 0) {
			dup2(out_fd, STDOUT_FILENO);
			dup2(out_fd, STDERR_FILENO);
		}
		execvp(path, argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

int run_helper(char *const argv[], char *out, size_t outlen,
	       double timeout_s)
{
	double deadline = now_s() + timeout_s;
	size_t len = 0;
	int pipefd[2];
	pid_t pid;

	if (outlen)
		out[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	pid = spawn_helper(argv, pipefd[1]);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return -1;
	}
	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		char sink[256];
		ssize_t n;

		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			break;
		if (now_s() > deadline)
			break;
		if (!pfd.revents)
			continue;
		if (len + 1 < outlen)
			n = read(pipefd[0], out + len, outlen - len - 1);
		else
			n = read(pipefd[0], sink, sizeof(sink));
		if (n <= 0)
			break;
		if (len + 1 < outlen) {
			len += n;
			out[len] = '\0';
		}
	}
	close(pipefd[0]);
	return wait_timeout(pid, deadline - now_s() + 1);
}

long long output_value(const char *out, const char *key,
		       long long dflt)
{
	size_t len = strlen(key);
	const char *p = out;

	while ((p = strstr(p, key))) {
		if ((p == out || p[-1] == '\n') && p[len] == '=')
			return strtoll(p + len + 1, NULL, 0);
		p += len;
	}
	return dflt;
}

pid_t fork_unprivileged(rlim_t memlock)
{
	struct rlimit rl = { memlock, memlock };
	pid_t pid = fork();

	if (pid)
		return pid;
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		_exit(10);
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		_exit(11);
	/* Really unprivileged: the 0600 root node cannot be opened. */
	if (device_open(O_RDWR) >= 0 || errno != EACCES)
		_exit(12);
	return 0;
}

pid_t fork_tied_to_parent(void)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(99);
	}
	return pid;
}
