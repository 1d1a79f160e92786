// SPDX-License-Identifier: GPL-2.0
/*
 * Claim 15: unrelated processes communicate through the device.
 *
 * The tutorials' "fast IPC like System V shared memory": two programs,
 * each started with fork()+exec() (so they inherit no mapping), open and
 * map /dev/mmapdemo themselves and exchange a message through the mapped
 * page, synchronising with acquire/release flags in it and bounded waits
 * (ipc_peer.c, as ping and as pong). This test only uses write()/read():
 * it sets up the block with a fresh nonce, then checks the outcome.
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

#include "kselftest_harness.h"
#include "ipc.h"
#include "device.h"
#include "child.h"
#include "fixture.h"

/* Start ipc_peer as @role for the block at @off. */
static pid_t spawn_peer(const char *role, off_t off, uint64_t nonce)
{
	char offs[32], nonces[32];
	char *argv[] = { "ipc_peer", (char *)role, offs, nonces, NULL };

	snprintf(offs, sizeof(offs), "%lld", (long long)off);
	snprintf(nonces, sizeof(nonces), "%#llx", (unsigned long long)nonce);
	return spawn_helper(argv, -1);
}

DEVICE_FIXTURE(device)

TEST_F(device, ipc_unrelated_processes_exchange_messages)
{
	struct ipc_block blk = { 0 };
	char expect[128];
	uint64_t nonce;
	pid_t ping, pong;
	double deadline;
	long long off;
	int fd, st_ping, st_pong;

	off = device_region(_metadata, sizeof(blk));
	if (off < 0)
		SKIP(return, "the device (%zu KiB) is smaller than this test's region",
		     device_size() / 1024);
	fd = self->fd;

	/* A nonce of this run, so that no earlier block can pass. */
	nonce = ((uint64_t)getpid() << 32) ^ (uint64_t)(now_s() * 1e6);
	blk.nonce = nonce;
	blk.state = IPC_IDLE;
	ASSERT_EQ(0, pwrite_all(fd, &blk, sizeof(blk), off));

	pong = spawn_peer("pong", off, nonce);
	ASSERT_LT(0, pong);
	ping = spawn_peer("ping", off, nonce);
	ASSERT_LT(0, ping);

	/* Both are done within one wait period of each other, or broken. */
	deadline = now_s() + 2 * IPC_WAIT_S;
	st_ping = wait_timeout(ping, deadline - now_s());
	st_pong = wait_timeout(pong, deadline - now_s());
	if (st_ping == -1)
		kill(ping, SIGKILL);
	if (st_pong == -1)
		kill(pong, SIGKILL);
	EXPECT_EQ(0, st_ping);
	EXPECT_EQ(0, st_pong);

	/* What the two left in the device, seen through read(). */
	ASSERT_EQ(0, pread_all(fd, &blk, sizeof(blk), off));
	EXPECT_EQ(nonce, blk.nonce);
	EXPECT_EQ(IPC_DONE, blk.state);
	EXPECT_EQ(ping, blk.ping_pid);
	EXPECT_EQ(pong, blk.pong_pid);
	ipc_ping_msg(expect, sizeof(expect), nonce, ping);
	blk.ping_msg[sizeof(blk.ping_msg) - 1] = '\0';
	EXPECT_STREQ(expect, blk.ping_msg);
	ipc_pong_msg(expect, sizeof(expect), nonce, ping, pong);
	blk.pong_msg[sizeof(blk.pong_msg) - 1] = '\0';
	EXPECT_STREQ(expect, blk.pong_msg);
	close(fd);
}

TEST_HARNESS_MAIN
