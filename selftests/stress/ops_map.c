// SPDX-License-Identifier: GPL-2.0
/* Operations: open and close, and the memory-map calls. */
#include "stress.h"

/* ====================================================================
 * Operations. gen_*() choose the arguments from the worker's random
 * stream and state; exec_*() run them and check everything. Only the
 * arguments are logged, so exec_*() must not depend on randomness.
 * ====================================================================
 */

/* A device page to work at: mostly the own slice, often the edges. */
uint64_t pick_page(struct worker *w)
{
	uint64_t end = size_pages(), ap = arena_pages(), r = rnd(w, 100);

	if (r < 55)
		return w->sl_lo + rnd(w, w->sl_hi - w->sl_lo);
	if (r < 70)
		return end > 4 ? end - 4 + rnd(w, 8) : rnd(w, 8);
	if (r < 80)
		return rnd(w, ap);
	if (r < 88) {	/* at a PMD boundary */
		uint64_t f = pmd_pages() * rnd(w, ap / pmd_pages() + 1);

		return f ? f - 1 + rnd(w, 2) : 0;
	}
	if (r < 96)
		return chance(w, 50) ? w->sl_lo : w->sl_hi - 1;
	return ap + rnd(w, 64);
}

uint64_t pick_npages(struct worker *w)
{
	uint64_t r = rnd(w, 100);

	if (r < 45)
		return 1 + rnd(w, 4);
	if (r < 75)
		return 1 + rnd(w, 32);
	if (r < 88)
		return 1 + rnd(w, 256);
	if (r < 95)
		return 1 + rnd(w, w->sl_hi - w->sl_lo);
	return 1 + rnd(w, arena_pages());
}

uint64_t pick_count(struct worker *w)
{
	uint64_t r = rnd(w, 100);

	if (r < 35)
		return 1 + rnd(w, 64);
	if (r < 65)
		return 1 + rnd(w, 3 * pg);
	if (r < 88)
		return 1 + rnd(w, 64 * 1024);
	if (r < 97)
		return rnd(w, umin(buf_size, 256 * 1024));
	return 0;
}

int pick_used_fd(struct worker *w)
{
	int s, n = 0, pick;

	for (s = 0; s < NFD; s++)
		n += w->fds[s].fd >= 0;
	if (!n)
		return -1;
	pick = rnd(w, n);
	for (s = 0; s < NFD; s++)
		if (w->fds[s].fd >= 0 && !pick--)
			return s;
	return -1;
}

/* An fd slot, preferring the modes @want accepts; sometimes none (-1). */
uint64_t pick_fd(struct worker *w, bool (*want)(int mode))
{
	int s, tries;

	if (chance(w, 3))
		return NFD;
	for (tries = 0; want && tries < 4; tries++) {
		s = pick_used_fd(w);
		if (s >= 0 && want(w->fds[s].mode))
			return s;
	}
	s = pick_used_fd(w);
	return s < 0 ? NFD : s;
}

int pick_free_fd(struct worker *w)
{
	int s, n = 0, pick;

	for (s = 0; s < NFD; s++)
		n += w->fds[s].fd < 0;
	if (!n)
		return -1;
	pick = rnd(w, n);
	for (s = 0; s < NFD; s++)
		if (w->fds[s].fd < 0 && !pick--)
			return s;
	return -1;
}

int pick_map(struct worker *w)
{
	int s, n = 0, pick;

	for (s = 0; s < NMAP; s++)
		n += !!w->maps[s].addr;
	if (!n)
		return -1;
	pick = rnd(w, n);
	for (s = 0; s < NMAP; s++)
		if (w->maps[s].addr && !pick--)
			return s;
	return -1;
}

int free_map_slot(struct worker *w)
{
	int s;

	for (s = 0; s < NMAP; s++)
		if (!w->maps[s].addr)
			return s;
	return -1;
}

/* A page range of @m: often all of it, else a piece. */
void pick_range(struct worker *w, const struct mapping *m,
		uint64_t *first, uint64_t *n)
{
	if (chance(w, 40)) {
		*first = 0;
		*n = m->npages;
		return;
	}
	*first = rnd(w, m->npages);
	*n = 1 + rnd(w, umin(m->npages - *first, chance(w, 70) ? 8 : ~0UL));
}

/*
 * A variant drawn with the weights @percent[variant] (out of 100; the
 * last variant takes what the others leave).
 */
static unsigned int pick_variant(struct worker *w, const uint8_t *percent,
				 unsigned int nr_variants)
{
	uint64_t r = rnd(w, 100);
	unsigned int v;

	for (v = 0; v + 1 < nr_variants && r >= percent[v]; v++)
		r -= percent[v];
	return v;
}

/*
 * An operation of @kind on pages [a[1], a[1] + a[2]) of the mapping in
 * slot a[0], of a variant drawn with the weights @percent. Returns that
 * mapping.
 */
static struct mapping *gen_range_op(struct worker *w, struct op *op,
				    int kind, const uint8_t *percent,
				    unsigned int nr_variants)
{
	int slot = pick_map(w);

	op->kind = kind;
	op->a[0] = slot;
	op->variant = pick_variant(w, percent, nr_variants);
	pick_range(w, &w->maps[slot], &op->a[1], &op->a[2]);
	return &w->maps[slot];
}

/*
 * The mapping of a range operation, where pages [a[1], a[1] + a[2]) of
 * it are there (and, unless @may_be_empty, at least one); NULL: skip it.
 */
static struct mapping *range_op_map(struct worker *w, const struct op *op,
				    bool may_be_empty)
{
	struct mapping *m = map_at(w, op->a[0]);

	if (!m || op->a[1] + op->a[2] > m->npages ||
	    (!op->a[2] && !may_be_empty))
		return NULL;
	return m;
}

/* --- open, close --- */

struct open_variant {
	int flags;
	int mode;	/* fd mode, or the expected errno when err */
	bool err;
	bool slash;	/* open the path with a trailing slash */
};

#define OPEN_OK(flags, mode)	{ flags, mode, false, false }
#define OPEN_BAD(flags, err)	{ flags, err, true, false }

static const struct open_variant open_variants[] = {
	OPEN_OK(O_RDONLY, FM_RD),
	OPEN_OK(O_WRONLY, FM_WR),
	OPEN_OK(O_RDWR, FM_RDWR),
	OPEN_OK(O_RDWR | O_NONBLOCK | O_CLOEXEC, FM_RDWR),
	OPEN_OK(O_RDWR | O_SYNC, FM_RDWR),
	OPEN_OK(O_RDWR | O_TRUNC, FM_RDWR),	/* ignored for a device */
	OPEN_OK(O_RDONLY | O_NOATIME, FM_RD),
	OPEN_OK(O_ACCMODE, FM_NOACC),	/* neither read nor write: ioctl */
	OPEN_OK(O_PATH, FM_PATH),
	/* the device has no page cache to bypass */
	OPEN_BAD(O_RDWR | O_DIRECT, EINVAL),
	OPEN_BAD(O_RDONLY | O_DIRECT, EINVAL),
	/* the device is always full to its end */
	OPEN_BAD(O_WRONLY | O_APPEND, EINVAL),
	OPEN_BAD(O_RDWR | O_APPEND, EINVAL),
	OPEN_BAD(O_RDONLY | O_APPEND, EINVAL),
	OPEN_BAD(O_RDWR | O_CREAT | O_EXCL, EEXIST),
	OPEN_BAD(O_RDONLY | O_DIRECTORY, ENOTDIR),
	{ O_RDWR, ENOTDIR, true, true },	/* a trailing slash */
};

#define NR_OPEN_VARIANTS ARRAY_SIZE(open_variants)
#define NR_OPEN_VALID	9

void gen_open(struct worker *w, struct op *op)
{
	int slot = pick_free_fd(w);

	op->kind = K_OPEN;
	if (slot >= 0 && chance(w, 45))
		op->variant = 2 + rnd(w, 4);	/* the O_RDWR ones */
	else if (slot >= 0 && chance(w, 65))
		op->variant = rnd(w, NR_OPEN_VALID);
	else
		op->variant = NR_OPEN_VALID +
			      rnd(w, NR_OPEN_VARIANTS - NR_OPEN_VALID);
	op->a[0] = slot < 0 ? NFD : slot;
}

void exec_open(struct worker *w, struct op *op)
{
	const struct open_variant *v;
	char what[96];
	int fd;

	if (op->variant >= NR_OPEN_VARIANTS) {
		op->skipped = 1;
		return;
	}
	v = &open_variants[op->variant];
	if (!v->err && (op->a[0] >= NFD || w->fds[op->a[0]].fd >= 0)) {
		op->skipped = 1;
		return;
	}
	fd = open(v->slash ? MMAPDEMO_DEVICE_PATH "/" : MMAPDEMO_DEVICE_PATH,
		  v->flags);
	snprintf(what, sizeof(what), "open(%s, %#x)",
		 v->slash ? MMAPDEMO_DEVICE_PATH "/" : MMAPDEMO_DEVICE_PATH,
		 v->flags);
	if (!check_result(w, what, fd, errno, v->err ? v->mode : 0, 0)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fd < 0)
		return;
	w->fds[op->a[0]].fd = fd;
	w->fds[op->a[0]].mode = v->mode;
	w->fds[op->a[0]].pos = 0;
	w->fds[op->a[0]].inherited = false;
}

void publish_child_fpos(struct worker *w, int slot)
{
	struct fd_slot *f = &w->fds[slot];

	if (w->is_child && f->inherited && f->mode != FM_PATH)
		sh->child_fpos[w->id][slot] = f->pos;
}

void gen_close(struct worker *w, struct op *op)
{
	op->kind = K_CLOSE;
	op->a[0] = pick_used_fd(w);
}

void exec_close(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	int r;

	if (!f) {
		op->skipped = 1;
		return;
	}
	publish_child_fpos(w, op->a[0]);
	r = close(f->fd);
	f->fd = -1;
	check_result(w, "close", r, errno, 0, 0);
}

/* --- mmap --- */

enum {
	MV_SHARED, MV_PRIVATE, MV_POPULATE, MV_LOCKED, MV_FAR, MV_SYNC_IGNORED,
	MV_VALIDATE, NR_MMAP_VALID,
	MV_LEN0 = NR_MMAP_VALID, MV_UNALIGNED, MV_TYPE0, MV_VALIDATE_SYNC,
	MV_HUGETLB, MV_OVERFLOW, MV_NOFD, MV_HUGE_LEN, NR_MMAP_VARIANTS
};

/* The errno mmap() must fail with, 0 for success (see mm/mmap.c). */
int mmap_expect(struct fd_slot *f, uint64_t off, uint64_t len,
		int prot, int flags)
{
	uint64_t alen = (len + pg - 1) & ~(pg - 1), pgoff = off / pg;

	if (off % pg)
		return EINVAL;		/* the syscall itself */
	if (!f || f->mode == FM_PATH)
		return EBADF;
	if (flags & MAP_HUGETLB)
		return EINVAL;		/* not a hugetlbfs file */
	if (!len)
		return EINVAL;
	if (!alen)
		return ENOMEM;
	if (alen > user_space_end() - pg)
		return ENOMEM;
	if (pgoff > (ULONG_MAX - alen) / pg)
		return EOVERFLOW;	/* file_mmap_ok() */
	switch (flags & 0x0f) {
	case MAP_SHARED:
	case MAP_SHARED_VALIDATE:
		if ((flags & 0x0f) == MAP_SHARED_VALIDATE && (flags & MAP_SYNC))
			return EOPNOTSUPP;
		if ((prot & PROT_WRITE) && !writable(f->mode))
			return EACCES;
		fallthrough;
	case MAP_PRIVATE:
		return readable(f->mode) ? 0 : EACCES;
	default:
		return EINVAL;
	}
}

bool want_readable(int mode)
{
	return readable(mode);
}

bool want_writable(int mode)
{
	return writable(mode);
}

void gen_mmap(struct worker *w, struct op *op)
{
	int slot = free_map_slot(w), prot, flags;
	uint64_t off, len, v, r;

	op->kind = K_MMAP;
	v = chance(w, 85) ? rnd(w, NR_MMAP_VALID) :
	    NR_MMAP_VALID + rnd(w, NR_MMAP_VARIANTS - NR_MMAP_VALID);
	if (slot < 0)
		v = MV_LEN0;
	op->variant = v;
	op->a[0] = v == MV_NOFD ? NFD : pick_fd(w, want_readable);
	op->a[1] = slot < 0 ? NMAP : slot;

	r = rnd(w, 100);
	prot = r < 8 ? PROT_NONE : r < 35 ? PROT_READ : PROT_READ | PROT_WRITE;
	flags = v == MV_PRIVATE || (v != MV_SHARED && chance(w, 40)) ?
		MAP_PRIVATE : MAP_SHARED;
	off = pick_page(w) * pg;
	len = umin(pick_npages(w), arena_pages() + 64) * pg;
	if (chance(w, 15))
		len -= 1 + rnd(w, pg - 1);

	switch (v) {
	case MV_POPULATE:
		flags |= MAP_POPULATE;
		break;
	case MV_LOCKED:
		flags |= MAP_LOCKED;
		break;
	case MV_FAR:
		off = (1ULL << (36 + rnd(w, 20))) + rnd(w, 16) * pg;
		len = (1 + rnd(w, 4)) * pg;
		break;
	case MV_SYNC_IGNORED:
		flags = MAP_SHARED | MAP_SYNC;	/* MAP_SHARED ignores it */
		break;
	case MV_VALIDATE:
		flags = MAP_SHARED_VALIDATE;
		break;
	case MV_LEN0:
		len = 0;
		break;
	case MV_UNALIGNED:
		off += 1 + rnd(w, pg - 1);
		break;
	case MV_TYPE0:
		flags &= ~0x0f;
		break;
	case MV_VALIDATE_SYNC:
		flags = MAP_SHARED_VALIDATE | MAP_SYNC;
		break;
	case MV_HUGETLB:
		flags |= MAP_HUGETLB;
		break;
	case MV_OVERFLOW:
		off = ULONG_MAX & ~(pg - 1);
		len = 2 * pg;
		break;
	case MV_HUGE_LEN:
		len = 1UL << 50;
		break;
	}
	op->a[2] = off;
	op->a[3] = len;
	op->a[4] = prot;
	op->a[5] = flags;
}

/*
 * What MAP_POPULATE, MAP_LOCKED and mlock() do (populate_vma_page_range):
 * fault pages [first, first + n) in ascending order; a writable private
 * page with a write fault (its own copy), anything else with a read fault.
 * A PROT_NONE page or one past the end stops it: -EFAULT, which mlock()
 * reports as ENOMEM and mmap() ignores.
 *
 * Nothing is ever locked: the driver sets VM_DONTEXPAND, one of the
 * VM_SPECIAL flags, and for those mmap_region() drops VM_LOCKED and
 * mlock_fixup() leaves the flags alone; only the population remains, for
 * MLOCK_ONFAULT too (no VM_LOCKONFAULT to skip it).
 */
int populate(struct mapping *m, uint64_t first, uint64_t n)
{
	uint64_t i;

	for (i = first; i < first + n; i++) {
		if (!(m->prot[i] & (PROT_READ | PROT_WRITE)))
			return EFAULT;
		if (expect_access(m, i, false) != ACC_OK)
			return EFAULT;
		if (!m->shared && (m->prot[i] & PROT_WRITE))
			cow_take(m, i);
	}
	return 0;
}

bool mmap_populates_privately(const struct op *op)
{
	return (op->a[5] & (MAP_POPULATE | MAP_LOCKED)) &&
	       (op->a[5] & 0x0f) == MAP_PRIVATE && (op->a[4] & PROT_WRITE);
}

void exec_mmap(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	uint64_t off = op->a[2], len = op->a[3], npages;
	int prot = op->a[4], flags = op->a[5], expect;
	struct mapping *m;
	char what[128];
	long p;

	expect = mmap_expect(f, off, len, prot, flags);
	if (!expect && (op->a[1] >= NMAP || w->maps[op->a[1]].addr)) {
		op->skipped = 1;
		return;
	}
	p = syscall(SYS_mmap, NULL, len, prot, flags, f ? f->fd : -1, off);
	snprintf(what, sizeof(what),
		 "mmap(len %#" PRIx64 ", prot %#x, flags %#x, offset %#" PRIx64 ", fd mode %d)",
		 len, prot, flags, off, f ? f->mode : -1);
	if (!check_result(w, what, p == -1 ? -1 : 0, errno, expect, 0)) {
		if (p != -1)
			munmap((void *)p, len);
		return;
	}
	if (p == -1)
		return;
	op->ret = p ? 1 : 0;	/* not the address: logs must compare */
	npages = (len + pg - 1) / pg;
	m = &w->maps[op->a[1]];
	map_init(m, (char *)p, npages, off / pg, (flags & 0x0f) != MAP_PRIVATE,
		 prot, writable(f->mode));
	if (flags & (MAP_POPULATE | MAP_LOCKED))
		populate(m, 0, npages);
}

/* --- munmap --- */

enum { UV_WHOLE, UV_HEAD, UV_TAIL, UV_MIDDLE, UV_UNALIGNED, UV_LEN0 };

static const uint8_t munmap_percent[] = {
	[UV_WHOLE] = 50, [UV_HEAD] = 15, [UV_TAIL] = 15, [UV_MIDDLE] = 10,
	[UV_UNALIGNED] = 5, [UV_LEN0] = 5,
};

void gen_munmap(struct worker *w, struct op *op)
{
	int slot = pick_map(w);
	struct mapping *m = &w->maps[slot];

	op->kind = K_MUNMAP;
	op->a[0] = slot;
	op->variant = pick_variant(w, munmap_percent,
				   ARRAY_SIZE(munmap_percent));
	if ((op->variant == UV_HEAD || op->variant == UV_TAIL) &&
	    m->npages < 2)
		op->variant = UV_WHOLE;
	if (op->variant == UV_MIDDLE &&
	    (m->npages < 3 || free_map_slot(w) < 0))
		op->variant = UV_WHOLE;
	switch (op->variant) {
	case UV_HEAD:
	case UV_TAIL:
		op->a[1] = 1 + rnd(w, m->npages - 1);
		break;
	case UV_MIDDLE:
		op->a[1] = 1 + rnd(w, m->npages - 2);
		op->a[2] = 1 + rnd(w, m->npages - op->a[1] - 1);
		op->a[3] = free_map_slot(w);
		break;
	}
}

void exec_munmap(struct worker *w, struct op *op)
{
	struct mapping *m = map_at(w, op->a[0]);
	uint64_t n = op->a[1];
	char *addr;
	size_t len;
	int r, expect = 0;

	if (!m) {
		op->skipped = 1;
		return;
	}
	addr = m->addr;
	len = m->npages * pg;
	switch (op->variant) {
	case UV_HEAD:
	case UV_TAIL:
		if (n >= m->npages) {
			op->skipped = 1;
			return;
		}
		len = n * pg;
		if (op->variant == UV_TAIL)
			addr += (m->npages - n) * pg;
		break;
	case UV_MIDDLE:
		if (!n || n + op->a[2] >= m->npages ||
		    map_at(w, op->a[3]) || op->a[3] >= NMAP) {
			op->skipped = 1;
			return;
		}
		addr += n * pg;
		len = op->a[2] * pg;
		break;
	case UV_UNALIGNED:
		addr += 1 + op->a[1] % (pg - 1);
		expect = EINVAL;
		break;
	case UV_LEN0:
		len = 0;
		expect = EINVAL;
		break;
	}
	r = munmap(addr, len);
	if (!check_result(w, "munmap", r, errno, expect, 0) || expect)
		return;
	switch (op->variant) {
	case UV_WHOLE:
		map_release(m);
		break;
	case UV_HEAD:
		map_keep(m, n, m->npages - n);
		break;
	case UV_TAIL:
		map_keep(m, 0, m->npages - n);
		break;
	case UV_MIDDLE:
		map_split(m, n + op->a[2], &w->maps[op->a[3]]);
		map_keep(m, 0, n);
		break;
	}
}

/* --- mremap --- */

enum {
	RV_SHRINK, RV_MOVE, RV_GROW, RV_GROW_MAYMOVE, RV_MOVE_SHRINK,
	RV_DONTUNMAP, RV_FIXED_ONLY, RV_LEN0, RV_BAD_FLAGS, RV_GROW_FIXED,
	RV_SAME, RV_PAST_VMA, NR_MREMAP_VARIANTS
};

void gen_mremap(struct worker *w, struct op *op)
{
	int slot = pick_map(w);
	struct mapping *m = &w->maps[slot];

	op->kind = K_MREMAP;
	op->a[0] = slot;
	op->variant = rnd(w, NR_MREMAP_VARIANTS);
	if ((op->variant == RV_SHRINK || op->variant == RV_MOVE_SHRINK) &&
	    m->npages < 2)
		op->variant = RV_MOVE;
	if ((op->variant == RV_MOVE || op->variant == RV_MOVE_SHRINK) &&
	    m->fragmented)
		op->variant = RV_GROW;
	op->a[1] = m->npages > 1 ? 1 + rnd(w, m->npages - 1) : 1;
	op->a[2] = 1 + rnd(w, 16);	/* pages to grow by */
}

void exec_mremap(struct worker *w, struct op *op)
{
	struct mapping *m = map_at(w, op->a[0]);
	uint64_t old_len, new_len = 0, flags = 0, keep;
	void *target = NULL;
	int expect = 0;
	long r;

	if (!m) {
		op->skipped = 1;
		return;
	}
	old_len = m->npages * pg;
	keep = op->a[1];
	switch (op->variant) {
	case RV_SHRINK:
	case RV_MOVE_SHRINK:
		if (keep >= m->npages || !keep) {
			op->skipped = 1;
			return;
		}
		new_len = keep * pg;
		break;
	case RV_MOVE:
	case RV_SAME:
	case RV_DONTUNMAP:
	case RV_FIXED_ONLY:
		new_len = old_len;
		break;
	case RV_GROW:
	case RV_GROW_MAYMOVE:
	case RV_GROW_FIXED:
	case RV_PAST_VMA:
		new_len = old_len + op->a[2] * pg;
		break;
	}
	if ((op->variant == RV_MOVE || op->variant == RV_MOVE_SHRINK) &&
	    m->fragmented) {
		op->skipped = 1;
		return;
	}
	switch (op->variant) {
	case RV_MOVE:
	case RV_MOVE_SHRINK:
	case RV_GROW_FIXED:
		/* A place of our own to move to: nobody else's mapping. */
		target = mmap(NULL, new_len, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (target == MAP_FAILED) {
			op->skipped = 1;
			return;
		}
		flags = MREMAP_MAYMOVE | MREMAP_FIXED;
		break;
	}
	switch (op->variant) {
	case RV_GROW:
	case RV_GROW_MAYMOVE:
	case RV_GROW_FIXED:
		expect = EFAULT;	/* VM_DONTEXPAND */
		if (op->variant == RV_GROW_MAYMOVE)
			flags = MREMAP_MAYMOVE;
		break;
	case RV_PAST_VMA:
		/* Beyond the VMA (and growing): EFAULT too. */
		old_len += pg;
		new_len = old_len + op->a[2] * pg;
		expect = EFAULT;
		break;
	case RV_DONTUNMAP:
		flags = MREMAP_MAYMOVE | MREMAP_DONTUNMAP;
		expect = EINVAL;
		break;
	case RV_FIXED_ONLY:
		flags = MREMAP_FIXED;
		target = m->addr + old_len;	/* never used: EINVAL first */
		expect = EINVAL;
		break;
	case RV_LEN0:
		new_len = 0;
		flags = MREMAP_MAYMOVE;
		expect = EINVAL;
		break;
	case RV_BAD_FLAGS:
		new_len = old_len;
		flags = 0x80;
		expect = EINVAL;
		break;
	}
	r = syscall(SYS_mremap, m->addr, old_len, new_len, flags, target);
	if (op->variant == RV_GROW_FIXED && r == -1 && errno == EFAULT)
		target = NULL;	/* mremap unmapped the target first */
	if (!check_result(w, "mremap", r == -1 ? -1 : 0, errno, expect, 0) ||
	    expect)
		return;
	op->ret = 0;
	switch (op->variant) {
	case RV_SHRINK:
		if ((char *)r != m->addr)
			finding(w, "mremap shrink moved the mapping");
		map_keep(m, 0, keep);
		break;
	case RV_SAME:
		if ((char *)r != m->addr)
			finding(w, "mremap to the same size moved it");
		break;
	case RV_MOVE:
	case RV_MOVE_SHRINK:
		if ((void *)r != target) {
			finding(w, "mremap(MREMAP_FIXED) went to %p, not %p",
				(void *)r, target);
			return;
		}
		if (op->variant == RV_MOVE_SHRINK)
			map_keep(m, 0, keep);
		m->addr = target;
		break;
	}
}

/* --- mprotect --- */

enum { PV_WHOLE, PV_PART, PV_BAD_PROT, PV_UNALIGNED };

static const uint8_t mprotect_percent[] = {
	[PV_WHOLE] = 45, [PV_PART] = 45, [PV_BAD_PROT] = 5,
	[PV_UNALIGNED] = 5,
};

void gen_mprotect(struct worker *w, struct op *op)
{
	struct mapping *m = gen_range_op(w, op, K_MPROTECT, mprotect_percent,
					 ARRAY_SIZE(mprotect_percent));
	uint64_t r;

	if (op->variant == PV_WHOLE) {
		op->a[1] = 0;
		op->a[2] = m->npages;
	}
	r = rnd(w, 100);
	op->a[3] = r < 15 ? PROT_NONE : r < 45 ? PROT_READ :
		   PROT_READ | PROT_WRITE;
}

void exec_mprotect(struct worker *w, struct op *op)
{
	struct mapping *m = range_op_map(w, op, false);
	uint64_t first = op->a[1], n = op->a[2], i;
	int prot = op->a[3], expect = 0, r;
	char *addr;
	bool changed = false;

	if (!m) {
		op->skipped = 1;
		return;
	}
	addr = m->addr + first * pg;
	if (op->variant == PV_BAD_PROT) {
		prot |= 0x100;
		expect = EINVAL;
	} else if (op->variant == PV_UNALIGNED) {
		addr += 1 + (op->a[3] * 37) % (pg - 1);
		expect = EINVAL;
	} else if (m->shared && !m->fd_writable && (prot & PROT_WRITE)) {
		expect = EACCES;	/* the fd is not open for writing */
	}
	r = mprotect(addr, n * pg, prot);
	if (!check_result(w, "mprotect", r, errno, expect, 0) || expect)
		return;
	for (i = first; i < first + n; i++) {
		changed |= m->prot[i] != prot;
		m->prot[i] = prot;
	}
	if (changed && n != m->npages)
		m->fragmented = true;
}

/* --- madvise --- */

static const int advices[] = {
	MADV_DONTNEED, MADV_DONTNEED_LOCKED, MADV_POPULATE_READ,
	MADV_POPULATE_WRITE, MADV_WILLNEED, MADV_COLD, MADV_PAGEOUT,
	MADV_REMOVE, MADV_FREE, MADV_NORMAL,
};

#define NR_ADVICES ARRAY_SIZE(advices)

/* Whether the advice of @op is MADV_POPULATE_WRITE. */
bool madvise_populates_write(const struct op *op)
{
	return op->a[3] < NR_ADVICES && advices[op->a[3]] == MADV_POPULATE_WRITE;
}

enum { AV_GOOD, AV_BAD_ADVICE, AV_UNALIGNED, AV_LEN0 };

static const uint8_t madvise_percent[] = {
	[AV_GOOD] = 88, [AV_BAD_ADVICE] = 5, [AV_UNALIGNED] = 4,
	[AV_LEN0] = 3,
};

void gen_madvise(struct worker *w, struct op *op)
{
	gen_range_op(w, op, K_MADVISE, madvise_percent,
		     ARRAY_SIZE(madvise_percent));
	op->a[3] = rnd(w, NR_ADVICES);
}

/*
 * What madvise(@advice) over pages [first, first + n) of @m returns,
 * applying its effect to the model when @apply (mm/madvise.c: VMAs in
 * ascending order, stopping at the first error). -1: not predictable.
 */
int madvise_effect(struct mapping *m, uint64_t first, uint64_t n,
		   int advice, bool apply)
{
	uint64_t i;

	if (advice == MADV_REMOVE) {
		if (!m->shared || !m->fd_writable)
			return EACCES;
		/* 6.1 checks VM_WRITE, 6.12 VM_MAYWRITE: same when RW */
		if (!(m->prot[first] & PROT_WRITE))
			return -1;
		return ENODEV;	/* vfs_fallocate() of a character device */
	}
	if (advice == MADV_FREE)
		return EINVAL;	/* only anonymous memory */
	for (i = first; i < first + n; i++) {
		switch (advice) {
		case MADV_DONTNEED:
		case MADV_DONTNEED_LOCKED:
			if (apply && !m->shared)
				cow_drop(m, i);
			break;
		case MADV_POPULATE_READ:
			if (!(m->prot[i] & (PROT_READ | PROT_WRITE)))
				return EINVAL;
			if (expect_access(m, i, false) != ACC_OK)
				return EFAULT;
			break;
		case MADV_POPULATE_WRITE:
			if (!(m->prot[i] & PROT_WRITE))
				return EINVAL;
			if (expect_access(m, i, true) != ACC_OK)
				return EFAULT;
			if (apply)
				cow_take(m, i);
			break;
		}
	}
	return 0;
}

void exec_madvise(struct worker *w, struct op *op)
{
	struct mapping *m = range_op_map(w, op, false);
	uint64_t first = op->a[1], n = op->a[2];
	int advice, expect, r;
	char what[64], *addr;
	size_t len;

	if (!m || op->a[3] >= NR_ADVICES) {
		op->skipped = 1;
		return;
	}
	advice = advices[op->a[3]];
	addr = m->addr + first * pg;
	len = n * pg;
	switch (op->variant) {
	case AV_BAD_ADVICE:
		advice = 77;
		expect = EINVAL;
		break;
	case AV_UNALIGNED:
		addr += 1 + first % (pg - 1);
		expect = EINVAL;
		break;
	case AV_LEN0:
		len = 0;
		expect = 0;
		break;
	default:
		expect = madvise_effect(m, first, n, advice, false);
		if (expect < 0) {
			op->skipped = 1;
			return;
		}
	}
	r = madvise(addr, len, advice);
	snprintf(what, sizeof(what), "madvise(%d) of %" PRIu64 " pages",
		 advice, n);
	if (!check_result(w, what, r, errno, expect, 0))
		return;
	if (op->variant == AV_GOOD)
		madvise_effect(m, first, n, advice, true);
}

/* --- msync --- */

enum { SV_GOOD, SV_SYNC_ASYNC, SV_BAD_FLAG, SV_UNALIGNED };

static const uint8_t msync_percent[] = {
	[SV_GOOD] = 85, [SV_SYNC_ASYNC] = 5, [SV_BAD_FLAG] = 5,
	[SV_UNALIGNED] = 5,
};

static const int msync_flags[] = {
	MS_SYNC, MS_ASYNC, MS_INVALIDATE, MS_SYNC | MS_INVALIDATE,
	MS_ASYNC | MS_INVALIDATE,
};

void gen_msync(struct worker *w, struct op *op)
{
	gen_range_op(w, op, K_MSYNC, msync_percent, ARRAY_SIZE(msync_percent));
	if (chance(w, 5))
		op->a[2] = 0;
	op->a[3] = rnd(w, ARRAY_SIZE(msync_flags));
}

void exec_msync(struct worker *w, struct op *op)
{
	struct mapping *m = range_op_map(w, op, true);
	uint64_t first = op->a[1], n = op->a[2];
	int flags, expect = 0, r;
	char *addr;

	if (!m || op->a[3] >= ARRAY_SIZE(msync_flags)) {
		op->skipped = 1;
		return;
	}
	flags = msync_flags[op->a[3]];
	addr = m->addr + first * pg;
	switch (op->variant) {
	case SV_SYNC_ASYNC:
		flags = MS_SYNC | MS_ASYNC;
		expect = EINVAL;
		break;
	case SV_BAD_FLAG:
		flags |= 0x100;
		expect = EINVAL;
		break;
	case SV_UNALIGNED:
		addr += 1 + first % (pg - 1);
		expect = EINVAL;
		break;
	}
	/* No EBUSY for MS_INVALIDATE: device VMAs are never VM_LOCKED. */
	r = msync(addr, n * pg, flags);
	check_result(w, "msync", r, errno, expect, 0);
}

/* --- mlock --- */

enum { LV_MLOCK, LV_MUNLOCK, LV_ONFAULT, LV_MLOCK2, LV_BAD_FLAGS };

static const uint8_t mlock_percent[] = {
	[LV_MLOCK] = 35, [LV_MUNLOCK] = 35, [LV_ONFAULT] = 15,
	[LV_MLOCK2] = 10, [LV_BAD_FLAGS] = 5,
};

void gen_mlock(struct worker *w, struct op *op)
{
	gen_range_op(w, op, K_MLOCK, mlock_percent, ARRAY_SIZE(mlock_percent));
}

bool mlock_populates(const struct op *op)
{
	return op->variant != LV_MUNLOCK && op->variant != LV_BAD_FLAGS;
}

void exec_mlock(struct worker *w, struct op *op)
{
	struct mapping *m = map_at(w, op->a[0]);
	uint64_t first = op->a[1], n = op->a[2];
	int expect = 0, r;
	char *addr;

	if (!m || first + n > m->npages || !n) {
		op->skipped = 1;
		return;
	}
	addr = m->addr + first * pg;
	switch (op->variant) {
	case LV_MLOCK:
		r = mlock(addr, n * pg);
		break;
	case LV_MLOCK2:
		r = mlock2(addr, n * pg, 0);
		break;
	case LV_ONFAULT:
		r = mlock2(addr, n * pg, MLOCK_ONFAULT);
		break;
	case LV_BAD_FLAGS:
		r = mlock2(addr, n * pg, 0x40);
		check_result(w, "mlock2", r, errno, EINVAL, 0);
		return;
	default:
		r = munlock(addr, n * pg);
		check_result(w, "munlock", r, errno, 0, 0);
		return;
	}
	/* See populate(): it only populates. */
	if (populate(m, first, n))
		expect = ENOMEM;	/* __mlock_posix_error_return(EFAULT) */
	check_result(w, "mlock", r, errno, expect, 0);
}

/* --- fork --- */

void gen_fork(struct worker *w, struct op *op)
{
	op->kind = K_FORK;
	op->a[0] = splitmix64_next(&w->rng);
	op->a[1] = 4 + rnd(w, 28);
}

void exec_fork(struct worker *w, struct op *op)
{
	pid_t pid;
	int s;

	for (s = 0; s < NFD; s++)
		sh->child_fpos[w->id][s] = -1;
	pid = fork();
	if (pid < 0) {
		check_result(w, "fork", -1, errno, 0, 0);
		return;
	}
	if (pid == 0) {
		int k;

		w->is_child = true;
		w->just_forked = true;
		w->depth = 1;
		w->rng = op->a[0];
		w->child = 0;
		for (k = 0; k < NFD; k++)
			w->fds[k].inherited = w->fds[k].fd >= 0;
		return;
	}
	register_pid(pid);
	w->child = pid;
	w->child_reaped = false;
	op->ret = 0;
}

void worker_reap_child(struct worker *w)
{
	if (!w->child || w->child_reaped)
		return;
	while (waitpid(w->child, &w->child_status, 0) < 0 && errno == EINTR)
		;
	w->child_reaped = true;
}

void exec_fork_end(struct worker *w, struct op *op)
{
	int s, st = w->child_status;

	if (!w->child) {
		op->skipped = 1;
		return;
	}
	unregister_pid(w->child);
	op->ret = st;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		finding(w, "fork child %d: %s %d", w->child,
			WIFSIGNALED(st) ? "killed by signal" : "exit status",
			WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	w->child = 0;
	/* The child moved the positions of the files it shares with us. */
	for (s = 0; s < NFD; s++) {
		struct fd_slot *f = fd_at(w, s);
		int64_t pos, want = sh->child_fpos[w->id][s];

		if (!f || f->mode == FM_PATH)
			continue;
		pos = lseek(f->fd, 0, SEEK_CUR);
		if (want >= 0 && pos != want)
			finding(w, "after the fork child: fd slot %d at %"
				PRId64 ", the child left it at %" PRId64, s,
				pos, want);
		if (pos >= 0)
			f->pos = pos;
	}
}

/*
 * The fork child leaves: under the exclusive lock it unmaps every VMA of
 * the device it has (its own and the copies of other workers'), so that
 * its exit changes nothing a check of the VMA count could see half done.
 */
void exec_child_exit(struct worker *w, struct op *op)
{
	char line[512];
	FILE *f;
	int s;

	for (s = 0; s < NFD; s++)
		if (fd_at(w, s))
			publish_child_fpos(w, s);
	f = fopen("/proc/self/maps", "r");
	if (!f) {
		check_result(w, "open /proc/self/maps", -1, errno, 0, 0);
		return;
	}
	op->ret = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;

		if (!strstr(line, " " MMAPDEMO_DEVICE_PATH) ||
		    sscanf(line, "%lx-%lx", &start, &end) != 2)
			continue;
		if (munmap((void *)start, end - start)) {
			check_result(w, "munmap at child exit", -1, errno, 0, 0);
			break;
		}
		op->ret++;
	}
	fclose(f);
	for (s = 0; s < NMAP; s++)
		if (map_at(w, s))
			map_release(&w->maps[s]);
}
