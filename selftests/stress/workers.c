// SPDX-License-Identifier: GPL-2.0
/* The workers, processes and threads, and the log of an epoch. */
#include "stress.h"

/* --- workers --- */

struct worker *worker_new(int id)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	uint64_t per = arena_pages() / sh->nworkers;
	int s;

	w->id = id;
	/* Hashed: seeds a multiple of the increment apart share a stream. */
	w->rng = mix_bits64(opt.seed ^ mix_bits64(id + 1));
	w->sl_lo = per * id;
	w->sl_hi = id == (int)sh->nworkers - 1 ? arena_pages() : per * (id + 1);
	w->shrink_seen = sh->shrink_seq;
	for (s = 0; s < NFD; s++)
		w->fds[s].fd = -1;
	w->vfd = open(MMAPDEMO_DEVICE_PATH, O_RDWR);
	w->buf = xcalloc(1, buf_size);
	w->buf2 = xcalloc(1, buf_size);
	w->iov_many = xcalloc(IOV_MAX + 1, sizeof(struct iovec));
	w->guard = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->vfd < 0 || w->guard == MAP_FAILED ||
	    mprotect(w->guard + pg, pg, PROT_NONE)) {
		say("# stress_test: worker setup failed: %s", strerror(errno));
		exit(KSFT_FAIL);
	}
	return w;
}

/* A fork child: its own operations on the inherited state, then exit. */
void __noreturn child_main(struct worker *w, uint64_t nops)
{
	struct op op;
	uint64_t i;

	for (i = 0; i < nops && !stopped(); i++) {
		gen_op(w, &op);
		run_op(w, &op);
	}
	if (!stopped())
		run_simple(w, K_CHILD_EXIT, 0, 0);
	_exit(0);
}

void one_op(struct worker *w)
{
	struct op op;

	gen_op(w, &op);
	run_op(w, &op);
	if (w->is_child)
		child_main(w, op.a[1]);
	if (w->child)
		run_simple(w, K_FORK_END, 0, 0);
}

void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t per_worker = (opt.ops + sh->nworkers - 1) / sh->nworkers;
	uint64_t done = 0, i;

	while (done < per_worker) {
		uint64_t n = umin(opt.epoch_ops, per_worker - done);

		if (!barrier_wait())
			break;
		if (w->id == 0) {
			uint64_t ap = arena_pages();

			report_progress();
			if (opt.log && sh->epoch)
				write_log_file(opt.log, true);
			sh->epoch++;
			sh->log_n = 0;
			run_simple(w, K_EPOCH, 0, (ap - rnd(w, ap / 3)) * pg);
		}
		if (!barrier_wait())
			break;
		for (i = 0; i < n && !stopped(); i++)
			one_op(w);
		if (stopped())
			break;
		run_simple(w, K_VERIFY, w->id ? VV_OWN : VV_FULL, 0);
		run_simple(w, K_CLEANUP, 0, 0);
		done += n;
	}
	if (!stopped() && barrier_wait() && w->id == 0 && opt.log)
		write_log_file(opt.log, true);
	return NULL;
}

/* One process of --threads workers. */
void __noreturn proc_main(int p)
{
	pthread_t th[MAX_WORKERS];
	unsigned int t;

	register_pid(getpid());
	for (t = 0; t < opt.threads; t++)
		ctx[p * opt.threads + t] = worker_new(p * opt.threads + t);
	for (t = 1; t < opt.threads; t++)
		if (pthread_create(&th[t], NULL, worker_main,
				   ctx[p * opt.threads + t])) {
			say("# stress_test: pthread_create failed");
			_exit(KSFT_FAIL);
		}
	worker_main(ctx[p * opt.threads]);
	for (t = 1; t < opt.threads; t++)
		pthread_join(th[t], NULL);
	_exit(0);
}

void run_workers(void)
{
	pid_t pids[MAX_WORKERS];
	unsigned int p, left;
	int st;

	fflush(stdout);
	for (p = 0; p < opt.procs; p++) {
		pids[p] = fork();
		if (pids[p] < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
		if (!pids[p])
			proc_main(p);
	}
	for (left = opt.procs; left; left--) {
		pid_t pid = wait(&st);

		if (pid < 0)
			break;
		for (p = 0; p < opt.procs; p++)
			if (pids[p] == pid)
				break;
		unregister_pid(pid);
		if (p < opt.procs && (!WIFEXITED(st) || WEXITSTATUS(st))) {
			unsigned int n = __atomic_add_fetch(&sh->findings, 1,
							    __ATOMIC_SEQ_CST);

			__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
			say("# FINDING %u: worker process %u (pid %d) %s %d",
			    n, p, pid, WIFSIGNALED(st) ? "killed by signal" :
			    "exit status", WIFSIGNALED(st) ? WTERMSIG(st) :
			    WEXITSTATUS(st));
			if (n == 1)
				snprintf(sh->first_finding,
					 sizeof(sh->first_finding),
					 "worker process %u died", p);
		}
	}
}

uint64_t ops_done(void)
{
	uint64_t total = 0;
	int k;

	for (k = 0; k < NR_TESTED; k++)
		total += __atomic_load_n(&sh->count[k], __ATOMIC_RELAXED);
	return total;
}

/* Long runs say how they are doing every half minute. */
void report_progress(void)
{
	uint64_t now = now_ns(), total = ops_done();

	if (now - sh->progress_ns < 30000000000ULL)
		return;
	sh->progress_ns = now;
	say("# progress: %" PRIu64 " ops in %.0f s (%.0f ops/s), epoch %u",
	    total, (now - sh->start_ns) / 1e9,
	    total / ((now - sh->start_ns) / 1e9), sh->epoch);
}

/* --- the log file and replay --- */

void print_log_header(FILE *f, const char *prefix)
{
	fprintf(f,
		"%sconfig arena=%" PRIu64 " workers=%u folio_order=%u seed=%" PRIu64 " epoch=%u\n",
		prefix, sh->arena, sh->nworkers, sh->folio_order, opt.seed,
		sh->epoch);
}

void write_log_file(const char *path, bool append)
{
	uint32_t n = umin(sh->log_n, sh->log_cap), i;
	char line[300];
	FILE *f = fopen(path, append ? "a" : "w");

	if (!f)
		return;
	print_log_header(f, "");
	for (i = 0; i < n; i++) {
		format_op(&oplog[i], line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	fclose(f);
}

void dump_log(void)
{
	uint32_t n = umin(sh->log_n, sh->log_cap), i;
	char line[300];

	say("# the operations of epoch %u follow (%u); replay them with:",
	    sh->epoch, n);
	say("#   stress_test --replay FILE  (FILE: these lines without the \"%s\" prefix, also in %s)",
	    REPLAY_PREFIX, opt.log ? opt.log : DEFAULT_REPLAY_FILE);
	if (sh->log_lost)
		say("# (the log overflowed: the replay is incomplete)");
	fflush(stdout);
	printf("%sconfig arena=%" PRIu64 " workers=%u folio_order=%u seed=%"
	       PRIu64 " epoch=%u\n", REPLAY_PREFIX, sh->arena, sh->nworkers,
	       sh->folio_order, opt.seed, sh->epoch);
	for (i = 0; i < n; i++) {
		format_op(&oplog[i], line, sizeof(line));
		printf("%s%s\n", REPLAY_PREFIX, line);
	}
	fflush(stdout);
	write_log_file(opt.log ? opt.log : DEFAULT_REPLAY_FILE, false);
}
