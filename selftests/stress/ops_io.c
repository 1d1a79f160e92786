// SPDX-License-Identifier: GPL-2.0
/*
 * Operations: read and write, lseek, the ioctls, accesses through the
 * mappings, verification, and running one operation.
 */
#include "stress.h"

/* --- read and write --- */

enum {
	RM_PLAIN, RM_POS, RM_VEC, RM_POSVEC, RM_V2_CUR, RM_V2_NOWAIT,
	RM_V2_BADFLAG, RM_TOOMANY, RM_FCNTL_APPEND, RM_V2_APPEND,
	NR_READ_METHODS = RM_FCNTL_APPEND, NR_WRITE_METHODS = RM_V2_APPEND + 1
};

static const char *const rw_method_name[] = {
	"plain", "pos", "vec", "posvec", "v2 cur", "v2 nowait", "v2 badflag",
	"too many iovecs", "fcntl append", "v2 append",
};

/* Buffer kinds, in the top byte of a[4]. */
enum { BUF_HEAP, BUF_GUARD, BUF_NULL, BUF_MAP };

bool method_positional(int method, int64_t off)
{
	switch (method) {
	case RM_POS:
	case RM_POSVEC:
		return true;
	case RM_V2_NOWAIT:
	case RM_V2_BADFLAG:
	case RM_V2_APPEND:
		return off != -1;	/* -1: the file position */
	}
	return false;
}

int64_t pick_offset(struct worker *w, uint64_t count)
{
	uint64_t r = rnd(w, 100);

	if (r < 82)
		return pick_page(w) * pg + (chance(w, 50) ? rnd(w, pg) : 0);
	if (r < 86)
		return -1;
	if (r < 90)
		return chance(w, 50) ? -(int64_t)pg : INT64_MIN;
	if (r < 95)
		return 1LL << 62;
	return INT64_MAX - (int64_t)rnd(w, umax(count, 1));
}

/* A buffer for @count bytes; a[4] and a[5] describe it. */
void pick_buffer(struct worker *w, struct op *op, uint64_t *count)
{
	uint64_t r = rnd(w, 100);
	int slot = pick_map(w);

	op->a[5] = splitmix64_next(&w->rng) << 16;
	if (r < 72 || (r >= 86 && slot < 0)) {
		op->a[4] = (uint64_t)BUF_HEAP << 56;
		*count = umin(*count, buf_size);
	} else if (r < 80) {
		op->a[4] = (uint64_t)BUF_GUARD << 56 | rnd(w, pg + 1);
	} else if (r < 86) {
		op->a[4] = (uint64_t)BUF_NULL << 56;
	} else {
		struct mapping *m = &w->maps[slot];
		uint64_t page = rnd(w, m->npages), boff = rnd(w, pg);
		uint64_t room = (m->npages - page) * pg - boff;

		op->a[4] = (uint64_t)BUF_MAP << 56 | (uint64_t)slot << 32 |
			   page;
		op->a[5] |= boff;
		*count = umin(*count, room);
	}
}

/*
 * Resolve a[4]/a[5] into a buffer; @kernel_writes: the kernel stores into
 * it (read), else it loads from it (write).
 */
void resolve_buffer(struct worker *w, const struct op *op,
		    uint64_t count, bool kernel_writes, struct iobuf *b)
{
	uint64_t spec = op->a[4], kind = spec >> 56;
	struct mapping *m;
	uint64_t page, i;

	memset(b, 0, sizeof(*b));
	switch (kind) {
	case BUF_HEAP:
		b->p = w->buf;
		b->valid = count;
		b->skip = count > buf_size;
		return;
	case BUF_GUARD:
		b->valid = umin(spec & 0xffffffff, pg);
		b->p = w->guard + pg - b->valid;
		return;
	case BUF_NULL:
		return;
	}
	m = map_at(w, (spec >> 32) & 0xff);
	page = spec & 0xffffffff;
	if (kind != BUF_MAP || !m || page >= m->npages ||
	    page * pg + (op->a[5] & (pg - 1)) + count > m->npages * pg) {
		/* Never let the kernel touch memory outside our tables. */
		b->skip = true;
		return;
	}
	b->m = m;
	b->moff = page * pg + (op->a[5] & (pg - 1));
	b->p = (uint8_t *)m->addr + b->moff;
	for (i = page; i * pg < b->moff + count; i++) {
		if (expect_access(m, i, kernel_writes) != ACC_OK)
			break;
		b->valid = i * pg + pg - b->moff;
	}
	b->valid = umin(b->valid, count);
}

/* Device pages [first, first + n) of the buffer's mapping, if any. */
bool buffer_foreign(struct worker *w, const struct iobuf *b,
		    uint64_t count)
{
	uint64_t first, last;

	if (!b->m || b->skip || !count)
		return false;
	first = b->moff / pg;
	last = (b->moff + count + pg - 1) / pg;
	return dev_foreign(w, b->m->pgoff + first, last - first);
}

/* Do device ranges [a, a + an) and pages of the buffer overlap? */
bool buffer_overlaps(const struct iobuf *b, uint64_t count,
		     int64_t pos, uint64_t n)
{
	uint64_t bf, bl, first, last;

	if (!b->m || !n || !count)
		return false;
	bf = b->m->pgoff + b->moff / pg;
	bl = b->m->pgoff + (b->moff + count + pg - 1) / pg;
	first = (uint64_t)pos / pg;
	last = ((uint64_t)pos + n + pg - 1) / pg;
	return bf < last && first < bl;
}

/* Split [p, p + count) into 1-4 contiguous iovecs (some maybe empty). */
int build_iov(struct iovec *iov, uint8_t *p, uint64_t count,
	      uint64_t seed)
{
	uint64_t s = seed, done = 0;
	int n = 1 + seed % 4, i;

	for (i = 0; i < n; i++) {
		uint64_t k = i == n - 1 ? count - done :
			     splitmix64_next(&s) % (count - done + 1);

		iov[i].iov_base = p + done;
		iov[i].iov_len = k;
		done += k;
	}
	return n;
}

/* A read or a write, as op->kind says. */
void gen_rw(struct worker *w, struct op *op)
{
	bool write = op->kind == K_WRITE;
	uint64_t count = pick_count(w);
	uint64_t r = rnd(w, 100);

	op->a[0] = pick_fd(w, write ? want_writable : want_readable);
	if (r < 30)
		op->variant = RM_PLAIN;
	else if (r < 60)
		op->variant = RM_POS;
	else if (r < 70)
		op->variant = RM_VEC;
	else if (r < 80)
		op->variant = RM_POSVEC;
	else if (r < 88)
		op->variant = RM_V2_CUR;
	else
		op->variant = RM_V2_NOWAIT +
			      rnd(w, (write ? NR_WRITE_METHODS :
				      NR_READ_METHODS) - RM_V2_NOWAIT);
	op->a[2] = pick_offset(w, count);
	pick_buffer(w, op, &count);
	op->a[3] = count;
}

/* File position the operation uses, or the explicit offset. */
int64_t rw_pos(struct worker *w, const struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);

	if (method_positional(op->variant, op->a[2]))
		return op->a[2];
	return f ? f->pos : 0;
}

bool rw_needs_excl(struct worker *w, const struct op *op)
{
	struct iobuf b;

	resolve_buffer(w, op, op->a[3], op->kind == K_READ, &b);
	return byte_foreign(w, rw_pos(w, op), op->a[3]) ||
	       buffer_foreign(w, &b, op->a[3]);
}

/*
 * The errno a read or write must fail with before it touches the device
 * (fs/read_write.c), 0 if it gets there; *alt: another correct one.
 */
int rw_vfs_expect(struct worker *w, const struct op *op, bool write,
		  int *alt)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	int64_t off = op->a[2], pos = rw_pos(w, op);
	uint64_t count = op->a[3];
	int m = op->variant;

	*alt = 0;
	if ((m == RM_POS || m == RM_POSVEC) && off < 0)
		return EINVAL;
	if ((m == RM_V2_NOWAIT || m == RM_V2_BADFLAG || m == RM_V2_APPEND) &&
	    off < -1)
		return EINVAL;
	if (!f || f->mode == FM_PATH)
		return EBADF;
	if (m == RM_TOOMANY) {
		/* 6.1 imports the iovecs before checking the mode */
		if (!(write ? writable(f->mode) : readable(f->mode))) {
			*alt = EINVAL;
			return EBADF;
		}
		return EINVAL;
	}
	if (!(write ? writable(f->mode) : readable(f->mode)))
		return EBADF;
	if (!count)
		return 0;
	if ((int64_t)((uint64_t)pos + count) < 0)
		return EINVAL;	/* rw_verify_area() */
	if (m == RM_V2_NOWAIT || m == RM_V2_BADFLAG)
		return EOPNOTSUPP;
	if (m == RM_V2_APPEND)
		return EINVAL;	/* the driver refuses IOCB_APPEND */
	return 0;
}

ssize_t rw_call(struct worker *w, const struct op *op, bool wr,
		int fd, uint8_t *p, uint64_t count)
{
	int64_t off = op->a[2];
	struct iovec iov[4];
	int n = 1;

	iov[0].iov_base = p;
	iov[0].iov_len = count;
	if ((op->a[4] >> 56) == BUF_HEAP)
		n = build_iov(iov, p, count, op->a[5] >> 16);
	switch (op->variant) {
	case RM_PLAIN:
	case RM_FCNTL_APPEND:
		return wr ? write(fd, p, count) : read(fd, p, count);
	case RM_POS:
		return wr ? pwrite(fd, p, count, off) :
			       pread(fd, p, count, off);
	case RM_VEC:
		return wr ? writev(fd, iov, n) : readv(fd, iov, n);
	case RM_POSVEC:
		return wr ? pwritev(fd, iov, n, off) :
			       preadv(fd, iov, n, off);
	case RM_V2_CUR:
		return wr ? pwritev2(fd, iov, n, -1, 0) :
			       preadv2(fd, iov, n, -1, 0);
	case RM_V2_NOWAIT:
		return wr ? pwritev2(fd, iov, n, off, RWF_NOWAIT) :
			       preadv2(fd, iov, n, off, RWF_NOWAIT);
	case RM_V2_BADFLAG:
		return wr ? pwritev2(fd, iov, n, off, RWF_UNKNOWN) :
			       preadv2(fd, iov, n, off, RWF_UNKNOWN);
	case RM_V2_APPEND:
		return pwritev2(fd, iov, n, off, RWF_APPEND);
	case RM_TOOMANY:
		for (n = 0; n <= IOV_MAX; n++) {
			w->iov_many[n].iov_base = p;
			w->iov_many[n].iov_len = 0;
		}
		return wr ? writev(fd, w->iov_many, IOV_MAX + 1) :
			       readv(fd, w->iov_many, IOV_MAX + 1);
	}
	errno = EINVAL;	/* not a method: never logged by gen_rw() */
	return -1;
}

/* Check what the mapping buffer of a read shows, after the model took it. */
void check_map_buffer(struct worker *w, const struct iobuf *b,
		      uint64_t n)
{
	uint64_t off, end = b->moff + n;

	if (!n)
		return;
	for (off = b->moff & ~(pg - 1); off < end; off += pg) {
		uint64_t i = off / pg;
		const uint8_t *exp = expect_view(b->m, i);
		char d[200];
		int got;

		if (!exp)
			continue;
		got = probe_copy(w->buf2, b->m->addr + off, pg);
		if (got) {
			finding(w, "the read's buffer page %" PRIu64
				" raised %s", i, accname(got));
			return;
		}
		if (memcmp(w->buf2, exp, pg)) {
			describe_diff(d, sizeof(d), w->buf2, exp, pg, NULL);
			finding(w, "the read's buffer page %" PRIu64
				" (a mapping of device page %#" PRIx64 "): %s",
				i, b->m->pgoff + i, d);
			return;
		}
	}
}

/*
 * The buffer of a read or write (@write) of @count bytes and what it must
 * fail with (rw_vfs_expect()); false: the operation is skipped.
 */
static bool rw_prepare(struct worker *w, struct op *op, uint64_t count,
		       bool write, struct iobuf *b, int *expect, int *alt)
{
	resolve_buffer(w, op, count, !write, b);
	if (b->skip || op->variant >= (write ? NR_WRITE_METHODS :
					       NR_READ_METHODS)) {
		op->skipped = 1;
		return false;
	}
	*expect = rw_vfs_expect(w, op, write, alt);
	return true;
}

/* How many of @count bytes at @pos are before the end of the device. */
static uint64_t bytes_before_end(int64_t pos, uint64_t count)
{
	uint64_t size = cur_size();

	return pos >= 0 && (uint64_t)pos < size ? umin(count, size - pos) : 0;
}

/* Whether a read or write returned from @lo to @hi bytes; else a finding. */
static bool check_rw_count(struct worker *w, const char *what, ssize_t r,
			   uint64_t lo, uint64_t hi)
{
	if ((uint64_t)r >= lo && (uint64_t)r <= hi)
		return true;
	finding(w, "%s returned %zd, expected %s%" PRIu64, what, r,
		lo == hi ? "" : "at most ", hi);
	return false;
}

void exec_read(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	uint64_t count = op->a[3], n = 0, lo = 0, hi = 0;
	int64_t pos = rw_pos(w, op);
	bool may_fault = false;
	int expect, alt, err;
	struct iobuf b;
	char what[96];
	ssize_t r;

	if (!rw_prepare(w, op, count, false, &b, &expect, &alt))
		return;
	if (!expect && count) {
		n = bytes_before_end(pos, count);
		if (n && b.valid >= n) {
			lo = n;
			hi = n;
		} else if (n && !b.valid) {
			expect = EFAULT;
		} else if (n) {
			if (b.m) {	/* partly stored into a mapping */
				op->skipped = 1;
				return;
			}
			/*
			 * Cut short by the PROT_NONE page: clear_user() of a
			 * hole may stop a few bytes before it.
			 */
			hi = b.valid;
			lo = hi > 63 ? hi - 63 : 0;
			may_fault = !lo;
		}
	}
	if (!expect && b.m && b.m->shared &&
	    buffer_overlaps(&b, count, pos, n)) {
		op->skipped = 1;	/* device to itself: order undefined */
		return;
	}
	/* The bytes it must deliver, before the buffer changes anything. */
	model_get(pos >= 0 ? pos : 0, w->buf2, n);
	r = rw_call(w, op, false, f ? f->fd : -1, b.p, count);
	err = errno;
	snprintf(what, sizeof(what), "read (%s) of %" PRIu64 " at %" PRId64,
		 rw_method_name[op->variant], count, pos);
	if (r < 0 && may_fault && err == EFAULT) {
		op->ret = r;
		op->err = err;
		return;
	}
	if (!check_result(w, what, r, err, expect, alt) || r < 0)
		return;
	if (!check_rw_count(w, what, r, lo, hi))
		return;
	if (b.m) {
		uint64_t i, done;

		/* The kernel stored the bytes through our mapping. */
		for (done = 0; done < (uint64_t)r; ) {
			uint64_t o = b.moff + done, k;

			i = o / pg;
			k = umin(pg - o % pg, r - done);
			apply_store(b.m, i, o % pg, w->buf2 + done, k);
			done += k;
		}
		check_map_buffer(w, &b, r);
	} else if (memcmp(b.p, w->buf2, r)) {
		uint64_t i = 0;
		char d[200];

		while (b.p[i] == w->buf2[i])
			i++;
		describe_diff(d, sizeof(d), b.p + (i & ~(pg - 1)),
			      w->buf2 + (i & ~(pg - 1)),
			      umin(pg, r - (i & ~(pg - 1))), NULL);
		finding(w, "%s: device offset %#" PRIx64 ": %s", what,
			pos + (i & ~(pg - 1)), d);
		return;
	}
	if (!method_positional(op->variant, op->a[2]) && f)
		f->pos += r;
}

/* Bytes [from, to) of the device after a cut-short write: old or new. */
void adopt_written(struct worker *w, uint64_t from, uint64_t to,
		   const uint8_t *src)
{
	uint64_t i;

	if (from >= to)
		return;
	if (pread(w->vfd, w->buf2, to - from, from) != (ssize_t)(to - from)) {
		finding(w, "pread back after a short write failed");
		return;
	}
	for (i = 0; i < to - from; i++) {
		uint8_t old = from + i < sh->arena ? model[from + i] : 0;

		if (w->buf2[i] != old && w->buf2[i] != src[i]) {
			finding(w,
				"device byte %#" PRIx64 " after a short write is %#x: neither the old %#x nor the written %#x",
				from + i, w->buf2[i], old, src[i]);
			return;
		}
	}
	model_put(from, w->buf2, to - from);
}

void exec_write(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	uint64_t count = op->a[3], n = 0, lo = 0, hi = 0;
	int64_t pos = rw_pos(w, op);
	int expect, alt, flags = 0;
	uint8_t *src = w->buf;
	struct iobuf b;
	char what[96];
	ssize_t r;

	if (!rw_prepare(w, op, count, true, &b, &expect, &alt))
		return;
	if (op->variant == RM_FCNTL_APPEND && !expect)
		expect = EINVAL;	/* O_APPEND set with fcntl() */
	if (!expect && count) {
		n = bytes_before_end(pos, count);
		if (!n) {
			expect = ENOSPC;
		} else if (b.valid >= n) {
			lo = n;
			hi = n;
		} else if (!b.valid) {
			expect = EFAULT;
		} else if (!b.m) {
			hi = b.valid;
			lo = 1;
		} else {
			op->skipped = 1;	/* partly read from a mapping */
			return;
		}
	}
	/* What it writes: a pattern, or what our mapping shows. */
	switch (op->a[4] >> 56) {
	case BUF_HEAP:
		fill_pattern(w->buf, count, op->a[5] >> 16);
		break;
	case BUF_GUARD:
		fill_pattern(w->guard, pg, op->a[5] >> 16);
		src = b.p;
		break;
	case BUF_MAP: {
		uint64_t done, k;

		if (!b.valid)
			break;
		if (buffer_overlaps(&b, count, pos, n)) {
			uint64_t i, first = b.moff / pg;
			bool own_copies = !b.m->shared;

			/* Only private copies may be the device's target. */
			for (i = first; i * pg < b.moff + n; i++)
				own_copies &= b.m->state[i] == PS_COW;
			if (!own_copies) {
				op->skipped = 1;
				return;
			}
		}
		for (done = 0; done < umin(b.valid, count); done += k) {
			uint64_t o = b.moff + done;
			const uint8_t *v = expect_view(b.m, o / pg);

			k = umin(pg - o % pg, umin(b.valid, count) - done);
			if (!v) {
				op->skipped = 1;
				return;
			}
			memcpy(w->buf + done, v + o % pg, k);
		}
		src = w->buf;
		break;
	}
	}
	if (op->variant == RM_FCNTL_APPEND && f && f->mode != FM_PATH) {
		flags = fcntl(f->fd, F_GETFL);
		if (fcntl(f->fd, F_SETFL, flags | O_APPEND)) {
			check_result(w, "fcntl(F_SETFL, O_APPEND)", -1, errno,
				     0, 0);
			return;
		}
	}
	r = rw_call(w, op, true, f ? f->fd : -1, b.p, count);
	if (op->variant == RM_FCNTL_APPEND && f && f->mode != FM_PATH)
		fcntl(f->fd, F_SETFL, flags);
	snprintf(what, sizeof(what), "write (%s) of %" PRIu64 " at %" PRId64,
		 rw_method_name[op->variant], count, pos);
	if (!check_result(w, what, r, errno, expect, alt) || r < 0)
		return;
	if (!check_rw_count(w, what, r, lo, hi))
		return;
	model_put(pos, src, r);
	if ((uint64_t)r < hi)
		adopt_written(w, pos + r, pos + hi, src + r);
	if (!method_positional(op->variant, op->a[2]) && f)
		f->pos += r;
}

/* --- lseek --- */

void gen_lseek(struct worker *w, struct op *op)
{
	uint64_t r = rnd(w, 100), size = cur_size();

	op->kind = K_LSEEK;
	op->a[0] = pick_fd(w, NULL);
	op->a[1] = r < 35 ? SEEK_SET : r < 60 ? SEEK_CUR : r < 85 ? SEEK_END :
		   r < 90 ? SEEK_DATA : r < 95 ? SEEK_HOLE : 99;
	r = rnd(w, 100);
	if (r < 50)
		op->a[2] = rnd(w, size + 1);
	else if (r < 70)
		op->a[2] = -(int64_t)rnd(w, size + 2);
	else if (r < 80)
		op->a[2] = size + rnd(w, 3 * pg);
	else if (r < 90)
		op->a[2] = 0;
	else
		op->a[2] = chance(w, 50) ? INT64_MIN : INT64_MAX;
}

void exec_lseek(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	int64_t off = op->a[2], want = 0, size = cur_size();
	int whence = op->a[1], expect = 0;
	off_t r;

	if (!f || f->mode == FM_PATH) {
		expect = EBADF;
	} else {
		/* fixed_size_llseek() with the device size */
		switch (whence) {
		case SEEK_SET:
			want = off;
			break;
		case SEEK_CUR:
			if (!off) {
				want = f->pos;	/* even past the end */
				goto call;
			}
			if (__builtin_add_overflow(f->pos, off, &want))
				want = -1;
			break;
		case SEEK_END:
			if (__builtin_add_overflow(size, off, &want))
				want = -1;
			break;
		default:
			expect = EINVAL;
		}
		if (!expect && (want < 0 || want > size))
			expect = EINVAL;
	}
call:
	r = lseek(f ? f->fd : -1, off, whence);
	if (!check_result(w, "lseek", r, errno, expect, 0) || expect)
		return;
	if (r != want) {
		finding(w, "lseek(%" PRId64 ", %d) = %jd, expected %" PRId64,
			off, whence, (intmax_t)r, want);
		return;
	}
	f->pos = r;
}

/* --- ioctls --- */

/* Argument kinds of the ioctl ops, in a[2]. */
enum { ARG_HEAP, ARG_NULL, ARG_NONE_PAGE, ARG_MAP, ARG_GUARD_EDGE };

void pick_ioctl_arg(struct worker *w, struct op *op, size_t size)
{
	uint64_t r = rnd(w, 100);
	int slot = pick_map(w);

	if (r < 80 || (r >= 92 && slot < 0)) {
		op->a[2] = ARG_HEAP;
	} else if (r < 85) {
		op->a[2] = ARG_NULL;
	} else if (r < 90) {
		op->a[2] = ARG_NONE_PAGE;
	} else if (r < 92) {
		op->a[2] = ARG_GUARD_EDGE;
	} else {
		struct mapping *m = &w->maps[slot];

		op->a[2] = ARG_MAP;
		op->a[3] = (uint64_t)slot << 32 | rnd(w, m->npages);
		op->a[4] = rnd(w, pg - size + 1) & ~7UL;
	}
}

/*
 * Where the ioctl argument of @size bytes goes; *acc: what the kernel
 * touching it meets (ACC_OK or a fault). A mapping's page that is not
 * there marks the op skipped.
 */
void *ioctl_arg(struct worker *w, struct op *op, size_t size,
		bool kernel_writes, int *acc, struct mapping **mp,
		uint64_t *page)
{
	struct mapping *m;

	*acc = ACC_OK;
	*mp = NULL;
	switch (op->a[2]) {
	case ARG_HEAP:
		return w->buf;
	case ARG_NULL:
		*acc = ACC_SEGV;
		return NULL;
	case ARG_NONE_PAGE:
		*acc = ACC_SEGV;
		return w->guard + pg;
	case ARG_GUARD_EDGE:
		*acc = ACC_SEGV;	/* the struct crosses into PROT_NONE */
		return w->guard + pg - 8;
	case ARG_MAP:
		m = map_at(w, op->a[3] >> 32);
		*page = op->a[3] & 0xffffffff;
		if (!m || *page >= m->npages || op->a[4] + size > pg) {
			op->skipped = 1;
			return NULL;
		}
		*mp = m;
		*acc = expect_access(m, *page, kernel_writes);
		return m->addr + *page * pg + op->a[4];
	}
	return NULL;
}

enum { IV_ARG, IV_SYSFS };

void gen_info(struct worker *w, struct op *op)
{
	op->kind = K_INFO;
	op->variant = chance(w, 20) ? IV_SYSFS : IV_ARG;
	op->a[0] = pick_fd(w, NULL);
	pick_ioctl_arg(w, op, sizeof(struct mmapdemo_info));
	if (op->variant == IV_SYSFS)
		op->a[2] = ARG_HEAP;
}

void exec_info(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	struct mmapdemo_info info;
	struct mapping *m;
	uint64_t page = 0;
	int acc, expect, r;
	void *arg;

	arg = ioctl_arg(w, op, sizeof(info), true, &acc, &m, &page);
	if (op->skipped)
		return;
	expect = !f || f->mode == FM_PATH ? EBADF : acc ? EFAULT : 0;
	if (arg == w->buf)
		memset(w->buf, 0xa5, sizeof(info));
	r = ioctl(f ? f->fd : -1, MMAPDEMO_IOC_INFO, arg);
	if (!check_result(w, "ioctl(INFO)", r, errno, expect, 0) || expect)
		return;
	if (m) {
		/* Stored through our mapping: take it from there. */
		if (probe_copy(&info, arg, sizeof(info))) {
			finding(w, "INFO's buffer in a mapping faults");
			return;
		}
		apply_store(m, page, op->a[4], (uint8_t *)&info, sizeof(info));
	} else {
		memcpy(&info, arg, sizeof(info));
	}
	if (!check_info(w, &info) || op->variant != IV_SYSFS)
		return;

	/* Exclusive: nothing can fault or map meanwhile. */
	if (device_attr_read(MMAPDEMO_ATTR_SIZE) != (long long)cur_size() ||
	    device_attr_read(MMAPDEMO_ATTR_FOLIO_ORDER) != (long long)sh->folio_order ||
	    device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES) !=
	    (long long)info.allocated_bytes) {
		finding(w,
			"sysfs size %lld folio_order %lld allocated_bytes %lld; INFO: size %llu order %u allocated %llu",
			device_attr_read(MMAPDEMO_ATTR_SIZE),
			device_attr_read(MMAPDEMO_ATTR_FOLIO_ORDER),
			device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES),
			(unsigned long long)info.size, info.folio_order,
			(unsigned long long)info.allocated_bytes);
		return;
	}
	r = device_attr_read(MMAPDEMO_ATTR_VMAS);
	if (r != count_device_vmas())
		finding(w,
			"sysfs vmas is %d, the processes have %ld VMAs of the device",
			r, count_device_vmas());
}

/*
 * Store a RESIZE/PUNCH request where the ioctl will read it. False: the
 * op cannot go on (a finding, or a readable page we cannot write to,
 * whose bytes the kernel would take for the request: skipped).
 */
bool place_request(struct worker *w, struct op *op, void *arg,
		   struct mapping *m, uint64_t page, const void *req,
		   size_t size)
{
	int acc;

	if (!m) {
		if (arg == w->buf)
			memcpy(arg, req, size);
		return true;
	}
	if (expect_access(m, page, false) == ACC_OK &&
	    expect_access(m, page, true) != ACC_OK) {
		op->skipped = 1;
		return false;
	}
	acc = probe_copy(arg, req, size);
	if (acc != expect_access(m, page, true)) {
		finding(w,
			"storing the request in the mapping: %s, expected %s",
			accname(acc), accname(expect_access(m, page, true)));
		return false;
	}
	if (!acc)
		apply_store(m, page, op->a[4], req, size);
	return true;
}

enum {
	ZV_GOOD, ZV_SAME, ZV_MAX_AND_BACK, ZV_ZERO, ZV_UNALIGNED, ZV_TOO_BIG,
	ZV_FLAGS, ZV_RESERVED, NR_RESIZE_VARIANTS
};

uint64_t pick_size(struct worker *w)
{
	uint64_t ap = arena_pages(), r = rnd(w, 100), cur = size_pages();

	if (r < 40)
		return (ap - rnd(w, ap / 8)) * pg;
	if (r < 60)
		return (1 + rnd(w, ap)) * pg;
	if (r < 65)
		return pg;
	if (r < 80) {	/* at a PMD boundary */
		uint64_t f = pmd_pages() * (1 + rnd(w, ap / pmd_pages()));

		return umin(f - 1 + rnd(w, 3), ap) * pg;
	}
	return umax(1, umin(cur + rnd(w, 9) - 4, ap)) * pg;
}

void gen_resize(struct worker *w, struct op *op)
{
	uint64_t r = rnd(w, 100);

	op->kind = K_RESIZE;
	op->variant = r < 70 ? ZV_GOOD : r < 74 ? ZV_SAME :
		      r < 78 ? ZV_MAX_AND_BACK :
		      ZV_ZERO + rnd(w, NR_RESIZE_VARIANTS - ZV_ZERO);
	op->a[0] = pick_fd(w, want_writable);
	op->a[1] = pick_size(w);
	pick_ioctl_arg(w, op, sizeof(struct mmapdemo_resize));
}

/*
 * The errno of a request that changes the device (RESIZE, PUNCH) whose
 * values the driver refuses with @values_errno (or 0), sent through @f
 * with an argument the kernel meets @acc in: the fd is checked first,
 * then the argument is copied, then its values are.
 */
static int change_request_errno(const struct fd_slot *f, int acc,
				int values_errno)
{
	if (!f || f->mode == FM_PATH || !writable(f->mode))
		return EBADF;
	return acc ? EFAULT : values_errno;
}

void exec_resize(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	struct mmapdemo_resize req = { .size = op->a[1] };
	uint64_t old = cur_size(), page = 0;
	struct mmapdemo_info info;
	struct mapping *m;
	int acc, expect = 0, r;
	void *arg;

	arg = ioctl_arg(w, op, sizeof(req), false, &acc, &m, &page);
	if (op->skipped)
		return;
	switch (op->variant) {
	case ZV_SAME:
		req.size = old;
		break;
	case ZV_MAX_AND_BACK:
		req.size = sh->max_size;
		break;
	case ZV_ZERO:
		req.size = 0;
		expect = EINVAL;
		break;
	case ZV_UNALIGNED:
		req.size = op->a[1] - 1;
		expect = EINVAL;
		break;
	case ZV_TOO_BIG:
		req.size = sh->max_size + pg;
		expect = EINVAL;
		break;
	case ZV_FLAGS:
		req.flags = 1U << (op->a[1] % 32);
		expect = EINVAL;
		break;
	case ZV_RESERVED:
		req.reserved = 1U << (op->a[1] % 32);
		expect = EINVAL;
		break;
	}
	if (req.size > sh->arena && op->variant != ZV_MAX_AND_BACK && !expect) {
		op->skipped = 1;
		return;
	}
	expect = change_request_errno(f, acc, expect);
	if (!place_request(w, op, arg, m, page, &req, sizeof(req)))
		return;
	r = ioctl(f ? f->fd : -1, MMAPDEMO_IOC_RESIZE, arg);
	if (!check_result(w, "ioctl(RESIZE)", r, errno, expect, 0) || expect)
		return;
	set_size(w, req.size);
	if (do_info(w->vfd, &info) || !check_info(w, &info))
		return;
	if (op->variant == ZV_MAX_AND_BACK) {
		uint8_t c = 1;

		/* The far end reads as a hole; then back to where we were. */
		if (pread(w->vfd, &c, 1, req.size - 1) != 1 || c) {
			finding(w, "the last byte of the grown device reads %#x", c);
			return;
		}
		r = do_resize(w->vfd, old);
		if (!check_result(w, "ioctl(RESIZE) back", r, errno, 0, 0))
			return;
		set_size(w, old);
	}
}

enum {
	HV_GOOD, HV_WHOLE, HV_PAST_END, HV_LEN0, HV_UNALIGNED_OFF,
	HV_UNALIGNED_LEN, HV_OVERFLOW, HV_FLAGS, HV_RESERVED,
	NR_PUNCH_VARIANTS
};

void gen_punch(struct worker *w, struct op *op)
{
	uint64_t r = rnd(w, 100);

	op->kind = K_PUNCH;
	op->variant = r < 70 ? HV_GOOD : r < 76 ? HV_WHOLE : r < 80 ?
		      HV_PAST_END : HV_LEN0 + rnd(w, NR_PUNCH_VARIANTS -
						       HV_LEN0);
	op->a[0] = pick_fd(w, want_writable);
	op->a[1] = pick_page(w) * pg;
	op->a[5] = pick_npages(w) * pg;
	if (chance(w, 30))
		op->a[5] = (1 + rnd(w, 3)) * pg;
	if (chance(w, 40)) {
		/* inside the own slice: runs in parallel with the others */
		uint64_t first = w->sl_lo + rnd(w, w->sl_hi - w->sl_lo);

		op->a[1] = first * pg;
		op->a[5] = (1 + rnd(w, umin(w->sl_hi - first, 600))) * pg;
	}
	pick_ioctl_arg(w, op, sizeof(struct mmapdemo_punch));
}

/* The PUNCH request of @op; the errno its values must fail with, or 0. */
int punch_request(const struct op *op, uint64_t size,
		  struct mmapdemo_punch *req)
{
	memset(req, 0, sizeof(*req));
	req->offset = op->a[1];
	req->length = op->a[5];
	switch (op->variant) {
	case HV_WHOLE:
		req->offset = 0;
		req->length = size;
		break;
	case HV_PAST_END:
		req->offset = size + op->a[1] % (64 * pg);
		break;
	case HV_LEN0:
		req->length = 0;
		return EINVAL;
	case HV_UNALIGNED_OFF:
		req->offset += 1 + op->a[5] % (pg - 1);
		return EINVAL;
	case HV_UNALIGNED_LEN:
		req->length -= 1 + op->a[1] % (pg - 1);
		return EINVAL;
	case HV_OVERFLOW:
		req->offset = ULLONG_MAX & ~(pg - 1);
		req->length = 2 * pg;
		return EINVAL;
	case HV_FLAGS:
		req->flags = 1U << (op->a[1] % 32);
		return EINVAL;
	case HV_RESERVED:
		req->reserved = 1U << (op->a[5] % 32);
		return EINVAL;
	}
	return 0;
}

/*
 * A punch of pages of the worker's own slice runs under the shared lock:
 * only this worker reads or writes them, but the others may be faulting
 * them into their own mappings (populate, mlock) or using the rest of the
 * same folios meanwhile, which is the race the driver must get right.
 */
bool punch_needs_excl(struct worker *w, const struct op *op)
{
	uint64_t size = cur_size();
	struct mmapdemo_punch req;
	struct mapping *m;

	if (op->variant == HV_WHOLE)
		return true;	/* it checks that nothing is left */
	if (op->a[2] == ARG_MAP) {
		m = map_at(w, op->a[3] >> 32);
		if (m && dev_foreign(w, m->pgoff + (op->a[3] & 0xffffffff), 1))
			return true;
	}
	if (punch_request(op, size, &req) || req.offset >= size)
		return false;	/* changes nothing */
	return dev_foreign(w, req.offset / pg,
			   (umin(req.length, size - req.offset) + pg - 1) / pg);
}

void exec_punch(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	uint64_t size = cur_size(), page = 0;
	struct mmapdemo_info info;
	struct mmapdemo_punch req;
	struct mapping *m;
	int acc, expect, r;
	void *arg;

	arg = ioctl_arg(w, op, sizeof(req), false, &acc, &m, &page);
	if (op->skipped)
		return;
	expect = change_request_errno(f, acc, punch_request(op, size, &req));
	if (!place_request(w, op, arg, m, page, &req, sizeof(req)))
		return;
	r = ioctl(f ? f->fd : -1, MMAPDEMO_IOC_PUNCH, arg);
	if (!check_result(w, "ioctl(PUNCH)", r, errno, expect, 0) || expect)
		return;
	if (req.offset < size)
		model_zero(req.offset, umin(req.length, size - req.offset));
	if (op->variant == HV_WHOLE) {
		/* Exclusive, whole device: every folio must be gone. */
		if (do_info(w->vfd, &info) || !check_info(w, &info))
			return;
		if (info.allocated_bytes)
			finding(w, "after punching the whole device, allocated_bytes is %llu",
				(unsigned long long)info.allocated_bytes);
	}
}

enum {
	BV_UNKNOWN_NR, BV_WRONG_SIZE, BV_WRONG_DIR, BV_ZERO, BV_FIONREAD,
	BV_OTHER_MAGIC, BV_FIOQSIZE, BV_FIONBIO, BV_FIOCLEX,
	NR_BAD_IOCTLS
};

void gen_ioctl_bad(struct worker *w, struct op *op)
{
	op->kind = K_IOCTL_BAD;
	op->variant = rnd(w, NR_BAD_IOCTLS);
	op->a[0] = pick_fd(w, NULL);
}

void exec_ioctl_bad(struct worker *w, struct op *op)
{
	struct fd_slot *f = fd_at(w, op->a[0]);
	unsigned long cmd = 0;
	int expect = ENOTTY, fd = f ? f->fd : -1, on = 1, off = 0, r;
	void *arg = w->buf;

	memset(w->buf, 0, 64);
	switch (op->variant) {
	case BV_UNKNOWN_NR:
		cmd = _IO(MMAPDEMO_IOC_MAGIC, 0x7f);
		break;
	case BV_WRONG_SIZE:
		cmd = _IOR(MMAPDEMO_IOC_MAGIC, 0x00, __u32);
		break;
	case BV_WRONG_DIR:
		cmd = _IOR(MMAPDEMO_IOC_MAGIC, 0x01, struct mmapdemo_resize);
		break;
	case BV_ZERO:
		cmd = 0;
		break;
	case BV_FIONREAD:
		cmd = FIONREAD;	/* passed to the driver for non-files */
		break;
	case BV_OTHER_MAGIC:
		cmd = _IOW(MMAPDEMO_IOC_MAGIC - 1, 0x42, int);
		break;
	case BV_FIOQSIZE:
		cmd = FIOQSIZE;	/* only files, directories and links */
		break;
	case BV_FIONBIO:
		cmd = FIONBIO;
		arg = &on;
		expect = 0;
		break;
	case BV_FIOCLEX:
		cmd = FIOCLEX;
		expect = 0;
		break;
	default:
		op->skipped = 1;
		return;
	}
	if (!f || f->mode == FM_PATH)
		expect = EBADF;
	r = ioctl(fd, cmd, arg);
	check_result(w, "ioctl", r, errno, expect, 0);
	/* Leave the file as it was (a fork child shares it). */
	if (!r && op->variant == BV_FIONBIO)
		ioctl(fd, FIONBIO, &off);
	if (!r && op->variant == BV_FIOCLEX)
		ioctl(fd, FIONCLEX);
}

/* --- loads and stores through the mappings --- */

/* A load or a store (op->kind K_MAP_READ, K_MAP_WRITE). */
void gen_map_access(struct worker *w, struct op *op)
{
	int slot = pick_map(w);
	struct mapping *m = &w->maps[slot];
	uint64_t first, n, boff;

	op->a[0] = slot;
	first = rnd(w, m->npages);
	/* Prefer pages of our own slice: those run in parallel. */
	if (chance(w, 70) && m->pgoff < w->sl_hi &&
	    m->pgoff + m->npages > w->sl_lo) {
		uint64_t lo = umax(m->pgoff, w->sl_lo) - m->pgoff;
		uint64_t hi = umin(m->pgoff + m->npages, w->sl_hi) - m->pgoff;

		first = lo + rnd(w, hi - lo);
	}
	n = 1 + rnd(w, umin(m->npages - first, chance(w, 80) ? 3 : 64));
	boff = chance(w, 50) ? rnd(w, pg) : 0;
	op->a[1] = first;
	op->a[2] = n;
	op->a[3] = boff;
	op->a[4] = 1 + rnd(w, n * pg - boff);
	op->a[5] = splitmix64_next(&w->rng);
}

void exec_map_access(struct worker *w, struct op *op)
{
	bool write = op->kind == K_MAP_WRITE;
	struct mapping *m = map_at(w, op->a[0]);
	uint64_t start = op->a[1] * pg + op->a[3], len = op->a[4];
	uint64_t end = start + len, off, next;
	uint8_t *src = w->buf, *tmp = w->buf2;

	if (!m || !len || end > m->npages * pg || len > buf_size) {
		op->skipped = 1;
		return;
	}
	if (write)
		fill_pattern(src, len, op->a[5]);
	op->ret = 0;
	for (off = start; off < end; off = next) {
		uint64_t i = off / pg, in = off % pg, k;
		char *p = m->addr + off;
		int exp = expect_access(m, i, write), got;
		const uint8_t *view;
		char d[200];

		next = umin((i + 1) * pg, end);
		k = next - off;
		if (write)
			got = probe_copy(p, src + (off - start), k);
		else
			got = probe_copy(tmp, p, k);
		if (got != exp) {
			finding(w, "%s of page %" PRIu64 " (device page %#"
				PRIx64 ", %s, prot %d, %s): %s, expected %s",
				write ? "store" : "load", i, m->pgoff + i,
				m->shared ? "shared" : "private", m->prot[i],
				m->shared ? "-" : m->state[i] == PS_COW ?
				"private copy" : "follows the device",
				accname(got), accname(exp));
			return;
		}
		if (got) {
			uintptr_t page = (uintptr_t)(m->addr + i * pg);

			if ((uintptr_t)probe_addr < page ||
			    (uintptr_t)probe_addr >= page + pg)
				finding(w, "%s at %p reported for page %p",
					accname(got), probe_addr, (void *)page);
			op->ret++;
			continue;
		}
		if (write) {
			apply_store(m, i, in, src + (off - start), k);
			continue;
		}
		view = expect_view(m, i);
		if (view && memcmp(tmp, view + in, k)) {
			describe_diff(d, sizeof(d), tmp, view + in, k,
				      m->shared ? NULL :
				      model_page(m->pgoff + i) + in);
			finding(w,
				"load of page %" PRIu64 " bytes %" PRIu64 "-%" PRIu64 " (device page %#" PRIx64 ", %s%s): %s",
				i, in, in + k, m->pgoff + i,
				m->shared ? "shared" : "private, ",
				m->shared ? "" : m->state[i] == PS_COW ?
				"private copy" : "follows the device",
				d);
			return;
		}
	}
}

/* --- verification --- */

/*
 * The pages of @m against the model (exclusive lock): all of a small
 * mapping, every stride-th page (from @phase on) of a large one, which
 * costs too much under TCG to read whole every time.
 */
bool verify_mapping(struct worker *w, struct mapping *m, int slot,
		    uint64_t phase)
{
	uint64_t i, stride = (m->npages + 255) / 256;
	int prev = -1;

	for (i = 0; i < m->npages; i++) {
		int exp = expect_access(m, i, false), got;
		const uint8_t *view;
		char d[200];

		if (stride > 1 && i % stride != phase % stride)
			continue;
		/* Faults are slow under TCG: probe the first of a run. */
		if (exp != ACC_OK && exp == prev && i + 1 < m->npages)
			continue;
		prev = exp;
		got = probe_copy(w->buf2, m->addr + i * pg, pg);
		if (got != exp) {
			finding(w,
				"verify: mapping %d page %" PRIu64 " (device page %#" PRIx64 ", %s, prot %d): %s, expected %s",
				slot, i, m->pgoff + i,
				m->shared ? "shared" : "private", m->prot[i],
				accname(got), accname(exp));
			return false;
		}
		view = got ? NULL : expect_view(m, i);
		if (view && memcmp(w->buf2, view, pg)) {
			describe_diff(d, sizeof(d), w->buf2, view, pg,
				      m->shared ? NULL :
				      model_page(m->pgoff + i));
			finding(w,
				"verify: mapping %d page %" PRIu64 " (device page %#" PRIx64 ", %s%s): %s",
				slot, i, m->pgoff + i,
				m->shared ? "shared" : "private, ",
				m->shared ? "" : m->state[i] == PS_COW ?
				"private copy" : "follows the device",
				d);
			return false;
		}
	}
	return true;
}

/*
 * Everything at once (exclusive lock): the whole device, every page of
 * the worker's mappings, its file positions, INFO and sysfs. VV_OWN
 * leaves out the device (another worker checks it at the epoch's end).
 */
void exec_verify(struct worker *w, struct op *op)
{
	uint64_t size = cur_size();
	struct mmapdemo_info info;
	uint8_t c;
	int s;

	op->ret = 0;
	if (op->variant == VV_FULL) {
		if (!verify_device_range(w, 0, size))
			return;
		if (pread(w->vfd, &c, 1, size) != 0) {
			finding(w, "read at the end of the device did not return 0");
			return;
		}
	}
	for (s = 0; s < NMAP; s++)
		if (map_at(w, s) &&
		    !verify_mapping(w, &w->maps[s], s, op->a[0] + s))
			return;
	for (s = 0; s < NFD; s++) {
		struct fd_slot *f = fd_at(w, s);
		off_t pos;

		if (!f || f->mode == FM_PATH)
			continue;
		pos = lseek(f->fd, 0, SEEK_CUR);
		if (pos != f->pos) {
			finding(w, "fd slot %d is at %jd, the model says %"
				PRId64, s, (intmax_t)pos, f->pos);
			return;
		}
	}
	if (do_info(w->vfd, &info) || !check_info(w, &info))
		return;
	if (device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES) !=
	    (long long)info.allocated_bytes)
		finding(w, "sysfs allocated_bytes %lld, INFO %llu",
			device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES),
			(unsigned long long)info.allocated_bytes);
	else if (device_attr_read(MMAPDEMO_ATTR_VMAS) != count_device_vmas())
		finding(w,
			"sysfs vmas is %lld, the processes have %ld VMAs of the device",
			device_attr_read(MMAPDEMO_ATTR_VMAS), count_device_vmas());
}

/* Epoch start (exclusive, all tables empty): a zeroed device of a[0]. */
void exec_epoch(struct worker *w, struct op *op)
{
	struct mmapdemo_info info;
	int r;

	r = do_resize(w->vfd, pg);
	if (!check_result(w, "ioctl(RESIZE) to one page", r, errno, 0, 0))
		return;
	set_size(w, pg);
	r = do_punch(w->vfd, 0, pg);
	if (!check_result(w, "ioctl(PUNCH) of page 0", r, errno, 0, 0))
		return;
	model_zero(0, pg);
	if (do_info(w->vfd, &info) || !check_info(w, &info))
		return;
	if (info.allocated_bytes) {
		finding(w, "unmapped device of one punched page: allocated_bytes %llu",
			(unsigned long long)info.allocated_bytes);
		return;
	}
	if (op->a[0] < pg || op->a[0] > sh->arena || op->a[0] % pg) {
		op->skipped = 1;
		return;
	}
	r = do_resize(w->vfd, op->a[0]);
	if (!check_result(w, "ioctl(RESIZE) for the epoch", r, errno, 0, 0))
		return;
	set_size(w, op->a[0]);
}

void exec_cleanup(struct worker *w, struct op *op)
{
	int s;

	for (s = 0; s < NMAP; s++) {
		struct mapping *m = map_at(w, s);

		if (!m)
			continue;
		if (munmap(m->addr, m->npages * pg)) {
			check_result(w, "munmap at cleanup", -1, errno, 0, 0);
			return;
		}
		map_release(m);
	}
	for (s = 0; s < NFD; s++) {
		if (!fd_at(w, s))
			continue;
		if (close(w->fds[s].fd)) {
			check_result(w, "close at cleanup", -1, errno, 0, 0);
			return;
		}
		w->fds[s].fd = -1;
	}
	op->ret = 0;
}

/* --- running one operation --- */

bool always_excl(const struct op *op)
{
	switch (op->kind) {
	case K_RESIZE:
	case K_FORK:
	case K_FORK_END:
	case K_CHILD_EXIT:
	case K_VERIFY:
	case K_EPOCH:
		return true;
	case K_INFO:
		return op->variant == IV_SYSFS;
	}
	return false;
}

/* Does the op read or write device bytes outside the worker's slice? */
bool needs_excl(struct worker *w, const struct op *op)
{
	struct mapping *m = NULL;
	uint64_t first = op->a[1], n = op->a[2];

	switch (op->kind) {
	case K_READ:
	case K_WRITE:
		return rw_needs_excl(w, op);
	case K_MAP_READ:
	case K_MAP_WRITE:
		m = map_at(w, op->a[0]);
		n = (op->a[3] + op->a[4] + pg - 1) / pg;
		return m && dev_foreign(w, m->pgoff + first, n);
	case K_MMAP:
		return mmap_populates_privately(op) &&
		       dev_foreign(w, op->a[2] / pg, (op->a[3] + pg - 1) / pg);
	case K_MLOCK:
		m = map_at(w, op->a[0]);
		return m && !m->shared && mlock_populates(op) &&
		       dev_foreign(w, m->pgoff + first, n);
	case K_MADVISE:
		m = map_at(w, op->a[0]);
		return m && !m->shared && madvise_populates_write(op) &&
		       dev_foreign(w, m->pgoff + first, n);
	case K_PUNCH:
		return punch_needs_excl(w, op);
	case K_INFO:
		if (op->a[2] != ARG_MAP)
			return false;
		m = map_at(w, op->a[3] >> 32);
		return m && dev_foreign(w, m->pgoff + (op->a[3] & 0xffffffff),
					1);
	}
	return false;
}

static void gen_verify(struct worker *w, struct op *op)
{
	op->kind = K_VERIFY;
	op->variant = chance(w, 50) ? VV_FULL : VV_OWN;
	op->a[0] = rnd(w, 1024);
}

/*
 * What makes an operation of each kind up (the kinds workers pick; the
 * others are made where they happen) and what runs it. Both find the
 * kind in op->kind.
 */
static const struct {
	void (*gen)(struct worker *w, struct op *op);
	void (*exec)(struct worker *w, struct op *op);
} kind_ops[NR_KINDS] = {
	[K_OPEN] = { gen_open, exec_open },
	[K_CLOSE] = { gen_close, exec_close },
	[K_MMAP] = { gen_mmap, exec_mmap },
	[K_MUNMAP] = { gen_munmap, exec_munmap },
	[K_MREMAP] = { gen_mremap, exec_mremap },
	[K_MPROTECT] = { gen_mprotect, exec_mprotect },
	[K_MADVISE] = { gen_madvise, exec_madvise },
	[K_MSYNC] = { gen_msync, exec_msync },
	[K_MLOCK] = { gen_mlock, exec_mlock },
	[K_FORK] = { gen_fork, exec_fork },
	[K_READ] = { gen_rw, exec_read },
	[K_WRITE] = { gen_rw, exec_write },
	[K_LSEEK] = { gen_lseek, exec_lseek },
	[K_INFO] = { gen_info, exec_info },
	[K_RESIZE] = { gen_resize, exec_resize },
	[K_PUNCH] = { gen_punch, exec_punch },
	[K_IOCTL_BAD] = { gen_ioctl_bad, exec_ioctl_bad },
	[K_MAP_READ] = { gen_map_access, exec_map_access },
	[K_MAP_WRITE] = { gen_map_access, exec_map_access },
	[K_VERIFY] = { gen_verify, exec_verify },
	[K_EPOCH] = { NULL, exec_epoch },
	[K_CLEANUP] = { NULL, exec_cleanup },
	[K_FORK_END] = { NULL, exec_fork_end },
	[K_CHILD_EXIT] = { NULL, exec_child_exit },
};

void exec_op(struct worker *w, struct op *op)
{
	if (op->kind < NR_KINDS && kind_ops[op->kind].exec)
		kind_ops[op->kind].exec(w, op);
	else
		op->skipped = 1;
}

/* Lock, log, execute, count. */
void run_op(struct worker *w, struct op *op)
{
	bool excl = always_excl(op);
	struct op *rec;
	uint64_t t0;

	if (op->kind == K_FORK_END)
		worker_reap_child(w);	/* the child needs the lock to finish */
	lock_dev(excl);
	sync_shrinks(w);
	if (!excl && needs_excl(w, op)) {
		unlock_dev();
		excl = true;
		lock_dev(true);
		sync_shrinks(w);
	}
	op->worker = w->id;
	op->depth = w->depth;
	op->excl = excl;
	op->skipped = 0;
	op->expect_err = 0;
	op->ret = -1;
	op->err = 0;
	rec = log_append(op);
	w->cur = rec;
	running_op = rec->idx;
	t0 = now_ns();
	exec_op(w, rec);
	t0 = now_ns() - t0;
	running_op = UINT32_MAX;
	if (w->just_forked) {
		/* The fork child: the parent holds the lock and unlocks. */
		w->just_forked = false;
		return;
	}
	unlock_dev();
	__atomic_add_fetch(&sh->nsecs[rec->kind], t0, __ATOMIC_RELAXED);
	if (!rec->skipped) {
		__atomic_add_fetch(&sh->count[rec->kind], 1, __ATOMIC_RELAXED);
		if (rec->expect_err)
			__atomic_add_fetch(&sh->errs[rec->kind], 1,
					   __ATOMIC_RELAXED);
	}
}

/* Pick the next operation for @w. */
void gen_op(struct worker *w, struct op *op)
{
	unsigned int total = 0, k, pick;

	memset(op, 0, sizeof(*op));
	for (k = 0; k < NR_TESTED; k++)
		total += kind_weight[k];
	pick = rnd(w, total);
	for (k = 0; pick >= kind_weight[k]; k++)
		pick -= kind_weight[k];
	if (k == K_FORK && w->depth)
		k = K_MAP_READ;
	switch (k) {
	case K_MUNMAP:
	case K_MREMAP:
	case K_MPROTECT:
	case K_MADVISE:
	case K_MSYNC:
	case K_MLOCK:
	case K_MAP_READ:
	case K_MAP_WRITE:
		if (pick_map(w) < 0)
			k = K_MMAP;
		break;
	case K_CLOSE:
		if (pick_used_fd(w) < 0)
			k = K_OPEN;
		break;
	}
	if (k == K_MMAP && pick_used_fd(w) < 0 && chance(w, 90))
		k = K_OPEN;
	if (k == K_MMAP && free_map_slot(w) < 0 && chance(w, 85))
		k = K_MUNMAP;	/* the table is full */
	op->kind = k;
	kind_ops[k].gen(w, op);
}

void run_simple(struct worker *w, enum kind k, uint32_t variant,
		uint64_t a0)
{
	struct op op;

	memset(&op, 0, sizeof(op));
	op.kind = k;
	op.variant = variant;
	op.a[0] = a0;
	run_op(w, &op);
}
