// SPDX-License-Identifier: GPL-2.0
/*
 * Claim 15: unrelated processes communicate through the device.
 *
 * The tutorials' "fast IPC like System V shared memory": two programs,
 * each started with fork()+exec() (so they inherit no mapping), open and
 * map /dev/mmapdemo themselves and exchange a message through the mapped
 * page, synchronising with acquire/release flags in it and bounded waits
 * (ipc_ping.c, ipc_pong.c). This test only uses write()/read(): it sets
 * up the block with a fresh nonce, then checks the outcome.
 */
#include "kselftest_harness.h"
#include "mmapdemo_b_util.h"

#include <libgen.h>

/* Start a helper: next to this binary if it is there, else from PATH. */
static pid_t spawn_helper(const char *name, off_t off, uint64_t nonce)
{
	char self[4096], path[4200], offs[32], nonces[32];
	ssize_t n;
	pid_t pid;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dirname(self), name);
	snprintf(offs, sizeof(offs), "%lld", (long long)off);
	snprintf(nonces, sizeof(nonces), "%#llx", (unsigned long long)nonce);

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)name, offs, nonces, NULL };

		if (access(path, X_OK) == 0)
			execv(path, argv);
		execvp(name, argv);
		fprintf(stderr, "exec %s: %s\n", name, strerror(errno));
		_exit(127);
	}
	return pid;
}

TEST(ipc)
{
	struct b_ipc_block blk = { 0 };
	char expect[128];
	uint64_t nonce;
	pid_t ping, pong;
	double deadline;
	long long off;
	int fd, st_ping, st_pong;

	off = b_region(B_OFF_IPC, sizeof(blk));
	/* A missing device is a failure, a small one a skip. */
	ASSERT_LT(0, b_dev_size());
	if (off < 0)
		SKIP(return, "the device (%lld KiB) is smaller than this test's region",
		     b_dev_size() / 1024);
	fd = b_open_dev();
	ASSERT_LE(0, fd);

	/* A nonce of this run, so that no earlier block can pass. */
	nonce = ((uint64_t)getpid() << 32) ^ (uint64_t)(b_now() * 1e6);
	blk.nonce = nonce;
	blk.state = B_IPC_IDLE;
	ASSERT_EQ(0, b_pwrite_all(fd, &blk, sizeof(blk), off));

	pong = spawn_helper("ipc_pong", off, nonce);
	ASSERT_LT(0, pong);
	ping = spawn_helper("ipc_ping", off, nonce);
	ASSERT_LT(0, ping);

	/* Both are done within one wait period of each other, or broken. */
	deadline = b_now() + 2 * B_IPC_WAIT_S;
	st_ping = b_wait_timeout(ping, deadline - b_now());
	st_pong = b_wait_timeout(pong, deadline - b_now());
	if (st_ping == -1)
		kill(ping, SIGKILL);
	if (st_pong == -1)
		kill(pong, SIGKILL);
	EXPECT_EQ(0, st_ping);
	EXPECT_EQ(0, st_pong);

	/* What the two left in the device, seen through read(). */
	ASSERT_EQ(0, b_pread_all(fd, &blk, sizeof(blk), off));
	EXPECT_EQ(nonce, blk.nonce);
	EXPECT_EQ(B_IPC_DONE, blk.state);
	EXPECT_EQ(ping, blk.ping_pid);
	EXPECT_EQ(pong, blk.pong_pid);
	b_ipc_ping_msg(expect, sizeof(expect), nonce, ping);
	blk.ping_msg[sizeof(blk.ping_msg) - 1] = '\0';
	EXPECT_STREQ(expect, blk.ping_msg);
	b_ipc_pong_msg(expect, sizeof(expect), nonce, ping, pong);
	blk.pong_msg[sizeof(blk.pong_msg) - 1] = '\0';
	EXPECT_STREQ(expect, blk.pong_msg);
	close(fd);
}

TEST_HARNESS_MAIN
