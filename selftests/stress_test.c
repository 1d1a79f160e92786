// SPDX-License-Identifier: GPL-2.0
/*
 * Random-operation stress of /dev/mmapdemo, checked against a shadow model.
 *
 * Workers (--procs processes of --threads threads) apply seeded random
 * operations: open/close with good and bad flags; mmap, munmap, mremap,
 * mprotect, madvise, msync, mlock; fork (the child runs operations of its
 * own on the inherited fds and mappings); read/write in all their forms;
 * lseek; the INFO, RESIZE and PUNCH ioctls and unknown ones; loads and
 * stores through the mappings. Arguments are valid or invalid on purpose
 * (bad flags, reserved bits, NULL and unmapped pointers, offsets that are
 * negative, past the end or overflowing).
 *
 * Every result is checked:
 *  - an error against what the kernel and the driver document (README.md,
 *    driver/uapi/mmapdemo.h);
 *  - every byte read, by a syscall or through a mapping, against a model
 *    of the device: its size, the writes, PUNCH -> zeros, shrink then grow
 *    -> zeros. A MAP_PRIVATE page shows the device until it is written
 *    privately, then its own copy; the copy survives PUNCH but not a
 *    shrink past it (SIGBUS, then the device again after a grow);
 *  - every access past the end of the device must raise SIGBUS, every
 *    access against the protection SIGSEGV (probed with guarded_copy()).
 *
 * Concurrency keeps the model exact: the device is cut into one slice per
 * worker. An operation that only reads or writes its worker's own slice
 * (a PUNCH of it too) runs under a shared lock, so workers really run in
 * parallel, in the same folios, faulting pages of each other's slices into
 * their mappings while those are written or punched; anything else (other
 * slices, RESIZE, fork, verification) runs under the exclusive lock. A
 * worker never checks bytes another worker may be changing, so a
 * difference is a bug, never a race of the test.
 *
 * The run is cut into epochs; each starts from a zeroed device (shrink to
 * one page, punch it, grow) and empty tables. Every operation is logged
 * with all its arguments, in lock order; on a finding the log of the
 * epoch is printed ("# REPLAY-LOG: " lines) and written to a file, and
 * --replay FILE runs it again, in one thread, in the same order.
 *
 * This file has the options and main(); the rest is in stress/ (see
 * stress/stress.h): the model and the tables, the operations (generators
 * and executors), the workers and the log, and the replay.
 */
#include "stress/stress.h"

/* --- main --- */

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--seed N] [--ops N] [--threads N] [--procs N]\n          [--epoch-ops N] [--arena BYTES] [--log FILE]\n          [--replay FILE]\n  --seed N       random seed (default: from the clock)\n  --ops N        operations in all (default %d)\n  --threads N    worker threads per process (default 2)\n  --procs N      worker processes (default 2)\n  --epoch-ops N  operations per worker between resets (%d)\n  --arena BYTES  device bytes the workers use (default %lu)\n  --log FILE     write every operation to FILE\n  --replay FILE  run the operations logged in FILE again\n",
		prog, DEFAULT_OPS, DEFAULT_EPOCH_OPS,
		(unsigned long)default_arena());
	exit(KSFT_FAIL);
}

static uint64_t parse_num(const char *s, const char *prog)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	if (end == s || *end)
		print_usage(prog);
	return v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'n' },
		{ "threads", required_argument, NULL, 't' },
		{ "procs", required_argument, NULL, 'p' },
		{ "epoch-ops", required_argument, NULL, 'e' },
		{ "arena", required_argument, NULL, 'a' },
		{ "log", required_argument, NULL, 'l' },
		{ "replay", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool seeded = false;
	struct timespec ts;
	int c;

	opt.arena = default_arena();

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt.seed = parse_num(optarg, argv[0]);
			seeded = true;
			break;
		case 'n':
			opt.ops = parse_num(optarg, argv[0]);
			break;
		case 't':
			opt.threads = parse_num(optarg, argv[0]);
			break;
		case 'p':
			opt.procs = parse_num(optarg, argv[0]);
			break;
		case 'e':
			opt.epoch_ops = parse_num(optarg, argv[0]);
			break;
		case 'a':
			opt.arena = parse_num(optarg, argv[0]) & ~(pg - 1);
			break;
		case 'l':
			opt.log = optarg;
			break;
		case 'r':
			opt.replay = optarg;
			break;
		default:
			print_usage(argv[0]);
		}
	}
	if (optind != argc || !opt.threads || !opt.procs || !opt.epoch_ops ||
	    opt.threads * opt.procs > MAX_WORKERS || opt.arena < 64 * pg)
		print_usage(argv[0]);
	if (!seeded) {
		clock_gettime(CLOCK_REALTIME, &ts);
		opt.seed = (uint64_t)ts.tv_sec * 1000003 + ts.tv_nsec / 1000;
	}
}

static void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		ksft_exit_fail_msg("shared memory: %s\n", strerror(errno));
	return p;
}

int main(int argc, char **argv)
{
	pthread_rwlockattr_t attr;
	struct mmapdemo_info info;
	struct replay rp;
	struct timespec t0, t1;
	uint64_t total = 0, init_size;
	unsigned int workers;
	double secs;
	int fd, k;

	setvbuf(stdout, NULL, _IOLBF, 0);
	pg = page_bytes();
	zero_page = calloc(1, pg);
	if (!zero_page)
		ksft_exit_fail_msg("out of memory\n");
	parse_args(argc, argv);
	ksft_print_header();

	fd = open(MMAPDEMO_DEVICE_PATH, O_RDWR);
	if (fd < 0)
		ksft_exit_fail_msg("open %s: %s\n", MMAPDEMO_DEVICE_PATH,
				   strerror(errno));
	if (do_info(fd, &info))
		ksft_exit_fail_msg("ioctl(INFO): %s\n", strerror(errno));
	init_size = info.size;

	if (opt.replay) {
		load_replay(opt.replay, &rp);
		opt.arena = rp.arena;
		workers = rp.workers;
		if (rp.folio_order != info.folio_order)
			ksft_print_msg("the log was made with folio_order %u, the module has %u\n",
				       rp.folio_order, info.folio_order);
	} else {
		workers = opt.threads * opt.procs;
	}
	if (workers > MAX_WORKERS)
		ksft_exit_fail_msg("too many workers\n");
	sh = shared_alloc(sizeof(*sh));
	sh->arena = umin(opt.arena, info.max_size) & ~(pg - 1);
	sh->max_size = info.max_size;
	sh->folio_order = info.folio_order;
	sh->size = info.size;
	sh->nworkers = workers;
	sh->log_cap = opt.replay ? rp.n + 16 :
		      umax(opt.epoch_ops, 64) * workers * 4 + 64;
	buf_size = sh->arena + 2 * pg;
	model = shared_alloc(sh->arena);
	oplog = shared_alloc(sh->log_cap * sizeof(*oplog));
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&sh->lock, &attr);

	if (guard_install(crash_report))
		ksft_exit_fail_msg("sigaction: %s\n", strerror(errno));

	ksft_print_msg("seed %" PRIu64 ", %s, %u workers (%u procs x %u threads), arena %" PRIu64 " bytes, folio_order %u, device size %" PRIu64 "\n",
		       opt.seed, opt.replay ? "replay" : "random run", workers,
		       opt.replay ? 1 : opt.procs,
		       opt.replay ? workers : opt.threads, sh->arena,
		       sh->folio_order, init_size);
	ksft_set_plan(NR_TESTED + 2);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	sh->start_ns = now_ns();
	sh->progress_ns = sh->start_ns;
	if (opt.replay)
		run_replay(&rp);
	else
		run_workers();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	if (sh->findings)
		dump_log();
	total = ops_done();
	for (k = 0; k < NR_TESTED; k++) {
		if (sh->kind_findings[k])
			ksft_test_result_fail("%s: %" PRIu64 " ops, %" PRIu64
					      " findings\n", kind_name[k],
					      sh->count[k],
					      sh->kind_findings[k]);
		else if (sh->count[k])
			ksft_test_result_pass("%s: %" PRIu64 " ops (%" PRIu64
					      " expected errors), %.2f s\n",
					      kind_name[k], sh->count[k],
					      sh->errs[k], sh->nsecs[k] / 1e9);
		else if (opt.replay || opt.ops < 5000 || sh->findings)
			ksft_test_result_skip("%s: not exercised\n",
					      kind_name[k]);
		else
			ksft_test_result_fail("%s: not exercised in %" PRIu64 " ops\n",
					      kind_name[k], total);
	}
	ksft_print_msg("%" PRIu64 " ops in %.1f s: %.0f ops/s; epoch resets %.2f s, cleanups %.2f s, fork ends %.2f s\n",
		       total, secs, secs > 0 ? total / secs : 0.0,
		       sh->nsecs[K_EPOCH] / 1e9, sh->nsecs[K_CLEANUP] / 1e9,
		       sh->nsecs[K_FORK_END] / 1e9);
	if (sh->findings)
		ksft_test_result_fail("no findings: %u, first: %s\n",
				      sh->findings, sh->first_finding);
	else
		ksft_test_result_pass("no findings (seed %" PRIu64 ", %" PRIu64
				      " ops, %.0f ops/s)\n", opt.seed, total,
				      secs > 0 ? total / secs : 0.0);

	/* Leave the device as we found it: size, module loaded. */
	k = do_resize(fd, init_size);
	if (!k)
		k = do_info(fd, &info);
	ksft_test_result(!k && info.size == init_size,
			 "device size restored to %" PRIu64 "\n", init_size);
	close(fd);
	ksft_finished();
}
