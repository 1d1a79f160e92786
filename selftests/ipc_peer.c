// SPDX-License-Identifier: GPL-2.0
/*
 * ipc_peer: one side of ipc_test's exchange through /dev/mmapdemo.
 *
 * Usage: ipc_peer ping|pong OFFSET NONCE
 * Maps the page at OFFSET itself (nothing is inherited from the test).
 * ping posts a message for pong, waits (bounded) for the answer, checks it
 * and acknowledges; pong waits (bounded) for ping's message, checks it,
 * answers, and waits for the acknowledgement. Exit 0 only if the whole
 * exchange happened; otherwise the reason goes to stderr.
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

#include "ipc.h"
#include "device.h"

static const char *role = "";

static int fail(const char *what)
{
	fprintf(stderr, "ipc_peer %s: %s\n", role, what);
	return 1;
}

static int ping(struct ipc_block *blk, uint64_t nonce)
{
	char expect[128];

	if (__atomic_load_n(&blk->state, __ATOMIC_ACQUIRE) != IPC_IDLE)
		return fail("block is not idle");

	blk->ping_pid = getpid();
	ipc_ping_msg(blk->ping_msg, sizeof(blk->ping_msg), nonce, getpid());
	__atomic_store_n(&blk->state, IPC_PING, __ATOMIC_RELEASE);

	if (ipc_wait_state(&blk->state, IPC_PONG))
		return fail("no answer from pong in time");
	if (blk->pong_pid <= 0 || blk->pong_pid == getpid())
		return fail("answer not from another process");
	ipc_pong_msg(expect, sizeof(expect), nonce, getpid(), blk->pong_pid);
	if (strncmp(expect, blk->pong_msg, sizeof(expect)))
		return fail("wrong answer");

	__atomic_store_n(&blk->state, IPC_DONE, __ATOMIC_RELEASE);
	return 0;
}

static int pong(struct ipc_block *blk, uint64_t nonce)
{
	char expect[128];

	if (ipc_wait_state(&blk->state, IPC_PING))
		return fail("no message from ping in time");
	if (blk->ping_pid <= 0 || blk->ping_pid == getpid())
		return fail("message not from another process");
	ipc_ping_msg(expect, sizeof(expect), nonce, blk->ping_pid);
	if (strncmp(expect, blk->ping_msg, sizeof(expect)))
		return fail("wrong message");

	blk->pong_pid = getpid();
	ipc_pong_msg(blk->pong_msg, sizeof(blk->pong_msg), nonce,
		     blk->ping_pid, getpid());
	__atomic_store_n(&blk->state, IPC_PONG, __ATOMIC_RELEASE);

	if (ipc_wait_state(&blk->state, IPC_DONE))
		return fail("no acknowledgement from ping in time");
	return 0;
}

int main(int argc, char **argv)
{
	struct ipc_block *blk;
	uint64_t nonce;
	off_t off;
	int fd, ret;

	if (argc != 4 || (strcmp(argv[1], "ping") && strcmp(argv[1], "pong")))
		return fail("usage: ipc_peer ping|pong OFFSET NONCE");
	role = argv[1];
	off = strtoll(argv[2], NULL, 0);
	nonce = strtoull(argv[3], NULL, 0);

	fd = device_open(O_RDWR);
	if (fd < 0)
		return fail(strerror(errno));
	blk = mmap(NULL, page_bytes(), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   off);
	if (blk == MAP_FAILED)
		return fail(strerror(errno));
	close(fd);

	/* The test wrote the block with write(): we must see it mapped. */
	if (blk->nonce != nonce)
		return fail("nonce in the device is not the test's");

	ret = strcmp(role, "ping") ? pong(blk, nonce) : ping(blk, nonce);
	munmap(blk, page_bytes());
	return ret;
}
