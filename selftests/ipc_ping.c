// SPDX-License-Identifier: GPL-2.0
/*
 * ipc_ping: one side of ipc_test's exchange through /dev/mmapdemo.
 *
 * Usage: ipc_ping OFFSET NONCE
 * Maps the page at OFFSET itself, posts a message for ipc_pong, waits
 * (bounded) for the answer, checks it and acknowledges. Exit 0 only if
 * the whole exchange happened; otherwise the reason goes to stderr.
 */
#include "mmapdemo_b_util.h"

static int fail(const char *what)
{
	fprintf(stderr, "ipc_ping: %s\n", what);
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
		return fail("usage: ipc_ping OFFSET NONCE");
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

	/* The test wrote the block with write(): we must see it mapped. */
	if (blk->nonce != nonce)
		return fail("nonce in the device is not the test's");
	if (__atomic_load_n(&blk->state, __ATOMIC_ACQUIRE) != B_IPC_IDLE)
		return fail("block is not idle");

	blk->ping_pid = getpid();
	b_ipc_ping_msg(blk->ping_msg, sizeof(blk->ping_msg), nonce, getpid());
	__atomic_store_n(&blk->state, B_IPC_PING, __ATOMIC_RELEASE);

	if (b_ipc_wait_state(&blk->state, B_IPC_PONG))
		return fail("no answer from ipc_pong in time");
	if (blk->pong_pid <= 0 || blk->pong_pid == getpid())
		return fail("answer not from another process");
	b_ipc_pong_msg(expect, sizeof(expect), nonce, getpid(),
		       blk->pong_pid);
	if (strncmp(expect, blk->pong_msg, sizeof(expect)))
		return fail("wrong answer");

	__atomic_store_n(&blk->state, B_IPC_DONE, __ATOMIC_RELEASE);
	munmap(blk, page_size());
	return 0;
}
