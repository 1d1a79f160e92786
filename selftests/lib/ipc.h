/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exchange of ipc_test through /dev/mmapdemo: the control block (at
 * the offset the test gives) and its protocol, shared by the test and its
 * helper ipc_peer.
 *
 * The test writes the block with write() (nonce, state IPC_IDLE); two
 * ipc_peer processes, ping and pong, each map the device themselves and
 * talk through it: ping posts a message (IPC_PING), pong answers
 * (IPC_PONG), ping acknowledges (IPC_DONE). The states are odd values so
 * that neither zeros nor a previous run's leftovers pass for a step.
 */
#ifndef MMAPDEMO_IPC_H
#define MMAPDEMO_IPC_H

#include <stddef.h>
#include <stdint.h>

struct ipc_block {
	uint64_t nonce;
	uint32_t state;
	int32_t ping_pid;
	int32_t pong_pid;
	uint32_t reserved;
	char ping_msg[128];
	char pong_msg[128];
};

#define IPC_IDLE	0x1d1e0001U
#define IPC_PING	0x9147a002U
#define IPC_PONG	0x9047b003U
#define IPC_DONE	0xd09ec004U

/* How long a peer waits for the other side before giving up. */
#define IPC_WAIT_S	10.0

void ipc_ping_msg(char *buf, size_t len, uint64_t nonce, int ping_pid);

void ipc_pong_msg(char *buf, size_t len, uint64_t nonce, int ping_pid,
		  int pong_pid);

/* Wait (bounded) until the shared state is want: 0, or -1 on timeout. */
int ipc_wait_state(uint32_t *state, uint32_t want);

#endif /* MMAPDEMO_IPC_H */
