// SPDX-License-Identifier: GPL-2.0
/*
 * ipc_pong: the other side of ipc_test's exchange through /dev/mmapdemo.
 *
 * Usage: ipc_pong OFFSET NONCE
 * Maps the page at OFFSET itself, waits (bounded) for ipc_ping's message,
 * checks it, answers, and waits for the acknowledgement. Exit 0 only if
 * the whole exchange happened; otherwise the reason goes to stderr.
 */
#include "mmapdemo_b_util.h"

static int fail(const char *what)
{
	fprintf(stderr, "ipc_pong: %s\n", what);
	return 1;
}

int main(int argc, char **argv)
{
	struct b_ipc_block *blk;
	char expect[128];
	uint64_t nonce;
	off_t off;
	int fd;

	if (argc != 3)
		return fail("usage: ipc_pong OFFSET NONCE");
	off = strtoll(argv[1], NULL, 0);
	nonce = strtoull(argv[2], NULL, 0);

	fd = open(MMAPDEMO_DEVICE_PATH, O_RDWR);
	if (fd < 0)
		return fail(strerror(errno));
	blk = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   off);
	if (blk == MAP_FAILED)
		return fail(strerror(errno));
	close(fd);

	if (blk->nonce != nonce)
		return fail("nonce in the device is not the test's");

	if (b_ipc_wait_state(&blk->state, B_IPC_PING))
		return fail("no message from ipc_ping in time");
	if (blk->ping_pid <= 0 || blk->ping_pid == getpid())
		return fail("message not from another process");
	b_ipc_ping_msg(expect, sizeof(expect), nonce, blk->ping_pid);
	if (strncmp(expect, blk->ping_msg, sizeof(expect)))
		return fail("wrong message");

	blk->pong_pid = getpid();
	b_ipc_pong_msg(blk->pong_msg, sizeof(blk->pong_msg), nonce,
		       blk->ping_pid, getpid());
	__atomic_store_n(&blk->state, B_IPC_PONG, __ATOMIC_RELEASE);

	if (b_ipc_wait_state(&blk->state, B_IPC_DONE))
		return fail("no acknowledgement from ipc_ping in time");
	munmap(blk, page_size());
	return 0;
}
