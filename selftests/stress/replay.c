// SPDX-License-Identifier: GPL-2.0
/* Running a log again: --replay FILE. */
#include "stress.h"

int kind_by_name(const char *name)
{
	int k;

	for (k = 0; k < NR_KINDS; k++)
		if (!strcmp(name, kind_name[k]))
			return k;
	return -1;
}

void load_replay(const char *path, struct replay *rp)
{
	char line[512], name[32];
	FILE *f = fopen(path, "r");

	if (!f)
		ksft_exit_fail_msg("%s: %s\n", path, strerror(errno));
	memset(rp, 0, sizeof(*rp));
	while (fgets(line, sizeof(line), f)) {
		char *s = line;
		unsigned int idx, worker, depth, variant;
		unsigned long long a[6];
		struct op *op;
		int k;

		if (!strncmp(s, REPLAY_PREFIX, strlen(REPLAY_PREFIX)))
			s += strlen(REPLAY_PREFIX);
		if (!strncmp(s, "config ", 7)) {
			unsigned long long arena, seed;
			unsigned int wk, order;

			if (sscanf(s, "config arena=%llu workers=%u folio_order=%u seed=%llu",
				   &arena, &wk, &order, &seed) == 4) {
				rp->arena = arena;
				rp->workers = wk;
				rp->folio_order = order;
				opt.seed = seed;	/* for the reports */
			}
			continue;
		}
		if (sscanf(s, "%u %u %u %31s %u %llx %llx %llx %llx %llx %llx",
			   &idx, &worker, &depth, name, &variant, &a[0], &a[1],
			   &a[2], &a[3], &a[4], &a[5]) != 11)
			continue;
		k = kind_by_name(name);
		if (k < 0 || worker >= MAX_WORKERS)
			continue;
		if (rp->n == rp->cap) {
			rp->cap = rp->cap ? 2 * rp->cap : 1024;
			rp->ops = realloc(rp->ops, rp->cap * sizeof(*op));
			if (!rp->ops)
				ksft_exit_fail_msg("out of memory\n");
		}
		op = &rp->ops[rp->n++];
		memset(op, 0, sizeof(*op));
		op->worker = worker;
		op->depth = depth;
		op->kind = k;
		op->variant = variant;
		for (k = 0; k < 6; k++)
			op->a[k] = a[k];
	}
	fclose(f);
	if (!rp->workers || !rp->arena)
		ksft_exit_fail_msg("%s: no config line\n", path);
}

/*
 * Wait for record @i's turn. The top-level process (@top) also watches
 * its fork children: one that died, or none left to run the records
 * before @i, would leave it waiting forever.
 */
bool wait_cursor(uint32_t i, bool top)
{
	unsigned int spins = 0, k, live;

	while (__atomic_load_n(&sh->cursor, __ATOMIC_ACQUIRE) != i) {
		if (stopped())
			return false;
		pause_briefly(&spins);
		if (!top || spins % 64)
			continue;
		/* Fork children that died, or none left to run the record. */
		for (k = 0, live = 0; k < sh->nworkers; k++) {
			struct worker *w = ctx[k];
			int st;

			if (!w || !w->child || w->child_reaped)
				continue;
			if (waitpid(w->child, &w->child_status, WNOHANG) !=
			    w->child) {
				live++;
				continue;
			}
			w->child_reaped = true;
			st = w->child_status;
			if (!WIFEXITED(st) || WEXITSTATUS(st)) {
				w->cur = NULL;
				finding(w, "replay: fork child %d %s %d", w->child,
					WIFSIGNALED(st) ? "killed by signal" :
					"exit status", WIFSIGNALED(st) ?
					WTERMSIG(st) : WEXITSTATUS(st));
				return false;
			}
		}
		if (!live && __atomic_load_n(&sh->cursor, __ATOMIC_ACQUIRE) != i) {
			say("# replay: record %u waits for records no process runs (a truncated log?)",
			    i);
			__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
			return false;
		}
	}
	return true;
}

/*
 * Run the logged operations in their order, in this one process; a fork
 * record forks a child that runs the records of that child, taking turns
 * through sh->cursor.
 */
void run_replay(const struct replay *rp)
{
	int my_depth = 0, my_worker = -1;
	size_t i;

	register_pid(getpid());
	for (i = 0; i < sh->nworkers; i++)
		ctx[i] = worker_new(i);
	for (i = 0; i < rp->n && !stopped(); i++) {
		const struct op *r = &rp->ops[i];
		struct worker *w = ctx[r->worker];
		struct op op = *r;

		if (r->depth != my_depth ||
		    (my_depth && (int)r->worker != my_worker))
			continue;
		if (r->worker >= sh->nworkers || !wait_cursor(i, !my_depth)) {
			/* Let fork children waiting for their turn go. */
			__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
			break;
		}
		if (r->kind == K_EPOCH)
			sh->epoch++;
		if (r->kind == K_EPOCH)
			sh->log_n = 0;
		run_op(w, &op);
		if (w->is_child && !my_depth) {
			my_depth = 1;
			my_worker = r->worker;
			continue;	/* the parent moves the cursor */
		}
		__atomic_store_n(&sh->cursor, i + 1, __ATOMIC_RELEASE);
		if (my_depth && r->kind == K_CHILD_EXIT)
			_exit(0);
	}
	if (my_depth)
		_exit(0);
	for (i = 0; i < sh->nworkers; i++)
		if (ctx[i]->child && !ctx[i]->child_reaped)
			waitpid(ctx[i]->child, NULL, 0);
}
