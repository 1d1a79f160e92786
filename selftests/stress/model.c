// SPDX-License-Identifier: GPL-2.0
/* The model of the device and the tables of each worker. */
#include "stress.h"

struct shared *sh;
uint8_t *model;		/* device content, sh->arena bytes */
struct op *oplog;	/* the epoch's operations */
uint64_t buf_size;
uint8_t *zero_page;	/* one page of zeros */
/* The page size (page_bytes()): every size and offset here is in it. */
uint64_t pg;
struct worker *ctx[MAX_WORKERS];

struct stress_options opt = {
	.ops = DEFAULT_OPS,
	.threads = 2,
	.procs = 2,
	.epoch_ops = DEFAULT_EPOCH_OPS,
};

/* The device bytes the workers use unless --arena says. */
uint64_t default_arena(void)
{
	return 6 * 1024 * 1024 + 12 * pg;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* --- random numbers (splitmix64: tiny, good enough, deterministic) --- */

uint64_t rnd(struct worker *w, uint64_t n)
{
	return n ? splitmix64_next(&w->rng) % n : 0;
}

/* Pages one PMD maps: 512 with 4 KiB pages, 2048 with 16 KiB. */
uint64_t pmd_pages(void)
{
	return pmd_bytes() / pg;
}

/*
 * The end of the user address space, which no mapping's length may reach:
 * the power of two above the top of the stack, which the kernel puts near
 * that end (x86-64: 2^47; arm64: 2^48 with 48-bit virtual addresses, 2^47
 * with 47-bit). Read once from /proc/self/maps; 2^47 if it has no stack.
 */
uint64_t user_space_end(void)
{
	static uint64_t end;
	unsigned long long lo, hi, top = 0;
	uint64_t p2 = 1ULL << 32;
	char line[256];
	FILE *f;

	if (__atomic_load_n(&end, __ATOMIC_RELAXED))
		return end;
	f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]") &&
		    sscanf(line, "%llx-%llx", &lo, &hi) == 2)
			top = hi;
	if (f)
		fclose(f);
	if (!top)
		top = 1ULL << 47;
	while (p2 < top)
		p2 <<= 1;
	__atomic_store_n(&end, p2, __ATOMIC_RELAXED);
	return p2;
}

bool chance(struct worker *w, unsigned int percent)
{
	return rnd(w, 100) < percent;
}

/* The bytes a write with pattern @seed puts at [0, n). */
void fill_pattern(uint8_t *p, uint64_t n, uint64_t seed)
{
	uint64_t s = seed ^ 0x6a09e667f3bcc908ULL, v, i;

	for (i = 0; i + 8 <= n; i += 8) {
		v = splitmix64_next(&s);
		memcpy(p + i, &v, 8);
	}
	if (i < n) {
		v = splitmix64_next(&s);
		memcpy(p + i, &v, n - i);
	}
}

/* --- output --- */

/* One line to stdout with one write(), so processes do not interleave. */
void __printf(1, 2) say(const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	ssize_t r;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	if (!n || line[n - 1] != '\n')
		line[n++] = '\n';
	r = write(STDOUT_FILENO, line, n);
	(void)r;
}

const char *errname(int err)
{
	const char *name = err ? strerrorname_np(err) : "success";

	return name ? name : "unknown errno";
}

const char *accname(int acc)
{
	return acc == ACC_OK ? "no signal" : acc == ACC_BUS ? "SIGBUS" :
	       acc == ACC_SEGV ? "SIGSEGV" : "another signal";
}

int format_op(const struct op *op, char *s, size_t n)
{
	return snprintf(s, n,
			"%u %u %u %s %u %#" PRIx64 " %#" PRIx64 " %#" PRIx64
			" %#" PRIx64 " %#" PRIx64 " %#" PRIx64
			" # ret=%" PRId64 " %s%s%s",
			op->idx, op->worker, op->depth, kind_name[op->kind],
			op->variant, op->a[0], op->a[1], op->a[2], op->a[3],
			op->a[4], op->a[5], op->ret,
			op->ret < 0 ? errname(op->err) : "",
			op->excl ? " excl" : "", op->skipped ? " skipped" : "");
}

/*
 * A difference between the device and the model, or an unexpected
 * result: print it with the operation, and stop the run (the model is
 * no longer trustworthy after it).
 */
void __printf(2, 3) finding(struct worker *w, const char *fmt, ...)
{
	struct op *op = w->cur;
	char msg[800], opline[300];
	unsigned int n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = __atomic_add_fetch(&sh->findings, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
	if (op)
		__atomic_add_fetch(&sh->kind_findings[op->kind], 1,
				   __ATOMIC_RELAXED);
	if (n > MAX_SHOWN_FINDINGS)
		return;
	opline[0] = 0;
	if (op)
		format_op(op, opline, sizeof(opline));
	say("# FINDING %u: epoch %u, op %u (worker %d%s, %s variant %u): %s",
	    n, sh->epoch, op ? op->idx : 0, w->id,
	    w->depth ? " fork child" : "", op ? kind_name[op->kind] : "-",
	    op ? op->variant : 0, msg);
	say("#   op: %s", opline);
	if (n == 1)
		snprintf(sh->first_finding, sizeof(sh->first_finding),
			 "epoch %u op %u (%s): %s", sh->epoch,
			 op ? op->idx : 0, op ? kind_name[op->kind] : "-", msg);
}

bool stopped(void)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_RELAXED);
}

/*
 * Check a syscall result. @ret < 0 means it failed with @err; @expect is
 * the errno it must fail with (0: it must succeed), @alt another errno
 * that is correct too (0: none).
 */
bool check_result(struct worker *w, const char *what, long ret,
		  int err, int expect, int alt)
{
	w->cur->ret = ret;
	w->cur->err = ret < 0 ? err : 0;
	if (expect)
		w->cur->expect_err = 1;
	if (!expect) {
		if (ret < 0) {
			finding(w, "%s failed with %s, expected success", what,
				errname(err));
			return false;
		}
		return true;
	}
	if (ret >= 0) {
		finding(w, "%s succeeded (%ld), expected %s", what, ret,
			errname(expect));
		return false;
	}
	if (err != expect && err != alt) {
		finding(w, "%s failed with %s, expected %s", what,
			errname(err), errname(expect));
		return false;
	}
	return true;
}

/* --- the model of the device --- */

uint64_t cur_size(void)
{
	return __atomic_load_n(&sh->size, __ATOMIC_ACQUIRE);
}

uint64_t size_pages(void)
{
	return cur_size() / pg;
}

uint64_t arena_pages(void)
{
	return sh->arena / pg;
}

/* Device bytes [off, off + n) as the model has them (zeros past it). */
void model_get(uint64_t off, uint8_t *dst, uint64_t n)
{
	if (off < sh->arena) {
		uint64_t k = umin(n, sh->arena - off);

		memcpy(dst, model + off, k);
		dst += k;
		n -= k;
	}
	memset(dst, 0, n);
}

const uint8_t *model_page(uint64_t page)
{
	return page < arena_pages() ? model + page * pg : zero_page;
}

void model_put(uint64_t off, const uint8_t *src, uint64_t n)
{
	if (off >= sh->arena)
		return;
	memcpy(model + off, src, umin(n, sh->arena - off));
}

void model_zero(uint64_t off, uint64_t n)
{
	if (off >= sh->arena)
		return;
	memset(model + off, 0, umin(n, sh->arena - off));
}

/* Does device page range [first, first + n) reach into another slice? */
bool dev_foreign(struct worker *w, uint64_t first, uint64_t n)
{
	uint64_t end = size_pages(), last;

	if (first >= end || !n)
		return false;
	last = n > end - first ? end : first + n;
	return first < w->sl_lo || last > w->sl_hi;
}

bool byte_foreign(struct worker *w, int64_t pos, uint64_t count)
{
	uint64_t first, last;

	if (pos < 0 || !count)
		return false;
	first = (uint64_t)pos / pg;
	last = ((uint64_t)pos + umin(count, buf_size) + pg - 1) / pg;
	return dev_foreign(w, first, last - first);
}

/* --- the per-worker tables --- */

struct fd_slot *fd_at(struct worker *w, uint64_t slot)
{
	return slot < NFD && w->fds[slot].fd >= 0 ? &w->fds[slot] : NULL;
}

struct mapping *map_at(struct worker *w, uint64_t slot)
{
	return slot < NMAP && w->maps[slot].addr ? &w->maps[slot] : NULL;
}

bool readable(int mode)
{
	return mode == FM_RD || mode == FM_RDWR;
}

bool writable(int mode)
{
	return mode == FM_WR || mode == FM_RDWR;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		say("# stress_test: out of memory");
		abort();
	}
	return p;
}

void map_init(struct mapping *m, char *addr, uint64_t npages,
	      uint64_t pgoff, bool shared, int prot, bool fd_writable)
{
	memset(m, 0, sizeof(*m));
	m->addr = addr;
	m->npages = npages;
	m->pgoff = pgoff;
	m->shared = shared;
	m->fd_writable = fd_writable;
	m->prot = xcalloc(npages, 1);
	m->state = xcalloc(npages, 1);
	m->cow = xcalloc(npages, sizeof(*m->cow));
	memset(m->prot, prot, npages);
}

void map_release(struct mapping *m)
{
	uint64_t i;

	for (i = 0; i < m->npages; i++)
		free(m->cow[i]);
	free(m->prot);
	free(m->state);
	free(m->cow);
	memset(m, 0, sizeof(*m));
}

/* Keep pages [first, first + n) of @m, which stays where they are. */
void map_keep(struct mapping *m, uint64_t first, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < m->npages; i++)
		if (i < first || i >= first + n) {
			free(m->cow[i]);
			m->cow[i] = NULL;
		}
	memmove(m->prot, m->prot + first, n);
	memmove(m->state, m->state + first, n);
	memmove(m->cow, m->cow + first, n * sizeof(*m->cow));
	m->addr += first * pg;
	m->pgoff += first;
	m->npages = n;
}

/* Move pages [first, npages) of @m into the free slot @to. */
void map_split(struct mapping *m, uint64_t first, struct mapping *to)
{
	uint64_t n = m->npages - first;

	map_init(to, m->addr + first * pg, n, m->pgoff + first, m->shared, 0,
		 m->fd_writable);
	to->fragmented = m->fragmented;
	memcpy(to->prot, m->prot + first, n);
	memcpy(to->state, m->state + first, n);
	memcpy(to->cow, m->cow + first, n * sizeof(*m->cow));
	memset(m->cow + first, 0, n * sizeof(*m->cow));
	m->npages = first;
}

/* Page @i of private @m gets its own copy, as a write fault makes one. */
void cow_take(struct mapping *m, uint64_t i)
{
	if (m->shared || m->state[i] != PS_FOLLOW)
		return;
	m->cow[i] = xcalloc(1, pg);
	memcpy(m->cow[i], model_page(m->pgoff + i), pg);
	m->state[i] = PS_COW;
}

void cow_drop(struct mapping *m, uint64_t i)
{
	free(m->cow[i]);
	m->cow[i] = NULL;
	m->state[i] = PS_FOLLOW;
}

/* A shrink to @pages took every private copy past it (even_cows). */
void apply_shrink(struct worker *w, uint64_t pages)
{
	int s;

	for (s = 0; s < NMAP; s++) {
		struct mapping *m = map_at(w, s);
		uint64_t i;

		if (!m || m->shared)
			continue;
		for (i = 0; i < m->npages; i++)
			if (m->pgoff + i >= pages && m->state[i] != PS_FOLLOW)
				cow_drop(m, i);
	}
}

/* Catch up with the shrinks other workers did since we last looked. */
void sync_shrinks(struct worker *w)
{
	uint64_t seq = __atomic_load_n(&sh->shrink_seq, __ATOMIC_ACQUIRE);
	uint64_t s;
	int k;

	if (seq == w->shrink_seen)
		return;
	if (seq - w->shrink_seen > SHRINK_RING) {
		/* Missed some: nothing private is known any more. */
		for (k = 0; k < NMAP; k++) {
			struct mapping *m = map_at(w, k);
			uint64_t i;

			for (i = 0; m && !m->shared && i < m->npages; i++)
				if (m->state[i] == PS_COW) {
					free(m->cow[i]);
					m->cow[i] = NULL;
					m->state[i] = PS_UNKNOWN;
				}
		}
		apply_shrink(w, size_pages());
	} else {
		for (s = w->shrink_seen + 1; s <= seq; s++)
			apply_shrink(w, sh->shrink_ring[s % SHRINK_RING]);
	}
	w->shrink_seen = seq;
}

/* Under the exclusive lock: the device is now @bytes; tell everyone. */
void set_size(struct worker *w, uint64_t bytes)
{
	uint64_t old = sh->size;

	if (bytes < old) {
		uint64_t seq = sh->shrink_seq + 1;

		model_zero(bytes, old - bytes);
		sh->shrink_ring[seq % SHRINK_RING] = bytes / pg;
		__atomic_store_n(&sh->shrink_seq, seq, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&sh->size, bytes, __ATOMIC_RELEASE);
	sync_shrinks(w);
}

/* What a load (or store) of page @i of @m must do. */
int expect_access(const struct mapping *m, uint64_t i, bool write)
{
	int prot = m->prot[i];

	if (!(prot & (PROT_READ | PROT_WRITE)))
		return ACC_SEGV;
	if (write && !(prot & PROT_WRITE))
		return ACC_SEGV;
	if (!m->shared && m->state[i] != PS_FOLLOW)
		return ACC_OK;
	return m->pgoff + i < size_pages() ? ACC_OK : ACC_BUS;
}

/* The bytes page @i of @m must show, or NULL when they are not known. */
const uint8_t *expect_view(const struct mapping *m, uint64_t i)
{
	if (!m->shared) {
		if (m->state[i] == PS_COW)
			return m->cow[i];
		if (m->state[i] == PS_UNKNOWN)
			return NULL;
	}
	return model_page(m->pgoff + i);
}

/* A store of @n bytes at byte @in of page @i of @m went through. */
void apply_store(struct mapping *m, uint64_t i, uint64_t in,
		 const uint8_t *src, uint64_t n)
{
	if (m->shared) {
		model_put((m->pgoff + i) * pg + in, src, n);
		return;
	}
	cow_take(m, i);
	if (m->state[i] == PS_COW)
		memcpy(m->cow[i] + in, src, n);
}

/* --- probing accesses that may fault --- */

__thread volatile uint32_t running_op = UINT32_MAX;
/* Where the last guarded access that faulted faulted. */
__thread void *probe_addr;

/*
 * A fault outside a guarded access is a real crash: say during which
 * operation (async-signal-safe), then die of it.
 */
void crash_report(int sig)
{
	char msg[96], num[16];
	uint32_t v = running_op;
	int n = 0, k = 0;

	(void)sig;
	memcpy(msg, "# stress_test: crashed during op ", 33);
	n = 33;
	do {
		num[k++] = '0' + v % 10;
		v /= 10;
	} while (v && k < 10);
	while (k)
		msg[n++] = num[--k];
	msg[n++] = '\n';
	if (write(STDOUT_FILENO, msg, n) < 0) {
		/* Nothing more can be done from a signal handler. */
	}
}

/* memcpy that reports a SIGSEGV/SIGBUS instead of dying: 0 or the signal */
int probe_copy(void *dst, const void *src, size_t n)
{
	struct access_fault fault;
	int sig = guarded_copy(dst, src, n, &fault);

	probe_addr = fault.addr;
	return sig;
}

void describe_diff(char *s, size_t n, const uint8_t *got,
		   const uint8_t *exp, uint64_t len,
		   const uint8_t *old_dev)
{
	uint64_t i, first = len, nd = 0;
	bool zeros = true, dev = old_dev;

	for (i = 0; i < len; i++) {
		if (got[i] != exp[i]) {
			if (first == len)
				first = i;
			nd++;
		}
		if (got[i])
			zeros = false;
		if (old_dev && got[i] != old_dev[i])
			dev = false;
	}
	snprintf(s, n, "byte %" PRIu64 " is %#x, expected %#x; %" PRIu64
		 " of %" PRIu64 " bytes differ%s%s", first, got[first],
		 exp[first], nd, len, zeros ? "; got all zeros" : "",
		 dev ? "; got what the device has" : "");
}

/* --- lock, barrier, log --- */

void lock_dev(bool excl)
{
	if (excl)
		pthread_rwlock_wrlock(&sh->lock);
	else
		pthread_rwlock_rdlock(&sh->lock);
}

void unlock_dev(void)
{
	pthread_rwlock_unlock(&sh->lock);
}

void pause_briefly(unsigned int *spins)
{
	struct timespec ts = { 0, 200000 };

	if (++*spins < 100)
		sched_yield();
	else
		nanosleep(&ts, NULL);
}

/* All workers meet here; false when the run stops meanwhile. */
bool barrier_wait(void)
{
	uint32_t gen = __atomic_load_n(&sh->barrier_gen, __ATOMIC_ACQUIRE);
	unsigned int spins = 0;

	if (__atomic_add_fetch(&sh->barrier_count, 1, __ATOMIC_ACQ_REL) ==
	    sh->nworkers) {
		sh->barrier_count = 0;
		__atomic_store_n(&sh->barrier_gen, gen + 1, __ATOMIC_RELEASE);
		return !stopped();
	}
	while (__atomic_load_n(&sh->barrier_gen, __ATOMIC_ACQUIRE) == gen) {
		if (stopped())
			return false;
		pause_briefly(&spins);
	}
	return !stopped();
}

struct op *log_append(struct op *op)
{
	uint32_t idx = __atomic_fetch_add(&sh->log_n, 1, __ATOMIC_RELAXED);

	op->idx = idx;
	if (idx >= sh->log_cap) {
		__atomic_store_n(&sh->log_lost, 1, __ATOMIC_RELAXED);
		return op;
	}
	oplog[idx] = *op;
	return &oplog[idx];
}

/* The worker processes start at once: claim a slot atomically. */
void register_pid(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_PIDS; i++) {
		pid_t free_slot = 0;

		if (__atomic_compare_exchange_n(&sh->pids[i], &free_slot, pid,
						false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return;
	}
}

void unregister_pid(pid_t pid)
{
	pid_t mine;
	int i;

	for (i = 0; i < MAX_PIDS; i++) {
		mine = pid;
		__atomic_compare_exchange_n(&sh->pids[i], &mine, 0, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	}
}

/* --- device helpers --- */

/* VMAs of the device in the registered processes, from /proc/PID/maps. */
long count_device_vmas(void)
{
	char path[64], line[512];
	long total = 0;
	int i;

	for (i = 0; i < MAX_PIDS; i++) {
		FILE *f;

		if (!sh->pids[i])
			continue;
		snprintf(path, sizeof(path), "/proc/%d/maps", sh->pids[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (strstr(line, " " MMAPDEMO_DEVICE_PATH))
				total++;
		fclose(f);
	}
	return total;
}

uint64_t expected_features(void)
{
	uint64_t f = MMAPDEMO_FEATURE_RESIZE | MMAPDEMO_FEATURE_PUNCH;

	/* Folios as large as a PMD: 9 with 4 KiB pages, 11 with 16 KiB. */
	if (sh->folio_order && sh->folio_order == (unsigned int)pmd_page_order())
		f |= MMAPDEMO_FEATURE_PMD_MAPPING;
	return f;
}

/* Check an INFO answer against the model. */
bool check_info(struct worker *w, const struct mmapdemo_info *info)
{
	uint64_t size = cur_size();

	if (info->abi_version != MMAPDEMO_ABI_VERSION ||
	    info->folio_order != sh->folio_order || info->size != size ||
	    info->max_size != sh->max_size ||
	    info->features != expected_features() ||
	    info->allocated_bytes > size || info->allocated_bytes % pg ||
	    info->reserved[0] || info->reserved[1] || info->reserved[2]) {
		/* One line to grep for; the model's values follow. */
		finding(w, "INFO: abi %u order %u size %llu max %llu features %#llx allocated %llu reserved %llu/%llu/%llu; model: order %u size %" PRIu64 " max %" PRIu64 " features %#" PRIx64 " allocated <= size",
			info->abi_version, info->folio_order,
			(unsigned long long)info->size,
			(unsigned long long)info->max_size,
			(unsigned long long)info->features,
			(unsigned long long)info->allocated_bytes,
			(unsigned long long)info->reserved[0],
			(unsigned long long)info->reserved[1],
			(unsigned long long)info->reserved[2], sh->folio_order,
			size, sh->max_size, expected_features());
		return false;
	}
	return true;
}

int do_info(int fd, struct mmapdemo_info *info)
{
	memset(info, 0xa5, sizeof(*info));
	return ioctl(fd, MMAPDEMO_IOC_INFO, info);
}

int do_resize(int fd, uint64_t size)
{
	struct mmapdemo_resize req = { .size = size };

	return ioctl(fd, MMAPDEMO_IOC_RESIZE, &req);
}

int do_punch(int fd, uint64_t off, uint64_t len)
{
	struct mmapdemo_punch req = { .offset = off, .length = len };

	return ioctl(fd, MMAPDEMO_IOC_PUNCH, &req);
}

/* Compare device bytes [off, off + n) (via pread) with the model. */
bool verify_device_range(struct worker *w, uint64_t off, uint64_t n)
{
	while (n) {
		uint64_t k = umin(n, buf_size);
		ssize_t r = pread(w->vfd, w->buf, k, off);
		const uint8_t *exp = model + off;
		char d[200];

		if (r != (ssize_t)k) {
			finding(w, "pread(%" PRIu64 " bytes at %#" PRIx64
				") of the device: %zd (%s)", k, off, r,
				r < 0 ? errname(errno) : "short");
			return false;
		}
		if (off + k > sh->arena) {
			model_get(off, w->buf2, k);
			exp = w->buf2;
		}
		if (memcmp(w->buf, exp, k)) {
			uint64_t i = 0;

			while (w->buf[i] == exp[i])
				i++;
			i &= ~(pg - 1);
			describe_diff(d, sizeof(d), w->buf + i, exp + i,
				      umin(pg, k - i), NULL);
			finding(w,
				"device page at %#" PRIx64 " differs from the model: %s",
				off + i, d);
			return false;
		}
		off += k;
		n -= k;
	}
	return true;
}
