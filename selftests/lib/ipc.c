// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <unistd.h>

#include "child.h"
#include "ipc.h"

void ipc_ping_msg(char *buf, size_t len, uint64_t nonce, int ping_pid)
{
	snprintf(buf, len, "ping %#llx from %d", (unsigned long long)nonce,
		 ping_pid);
}

void ipc_pong_msg(char *buf, size_t len, uint64_t nonce, int ping_pid,
		  int pong_pid)
{
	snprintf(buf, len, "pong %#llx to %d from %d",
		 (unsigned long long)nonce, ping_pid, pong_pid);
}

int ipc_wait_state(uint32_t *state, uint32_t want)
{
	double deadline = now_s() + IPC_WAIT_S;

	while (__atomic_load_n(state, __ATOMIC_ACQUIRE) != want) {
		if (now_s() > deadline)
			return -1;
		usleep(1000);
	}
	return 0;
}
