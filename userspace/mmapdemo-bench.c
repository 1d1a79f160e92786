// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo-bench: /dev/mmapdemo against the kernel's other ways of handing
 * out memory, measured side by side in one run (one VM boot).
 *
 * Mapping backends: mmapdemo MAP_SHARED and MAP_PRIVATE, memfd (shmem),
 * memfd with MFD_HUGETLB, anonymous MAP_PRIVATE and /dev/zero MAP_SHARED.
 * For each size and repetition, every backend is measured in turn, so slow
 * drift of the machine spreads over all of them alike:
 *
 *   first_write  write one word per page (4 or 16 KiB) of a new mapping of
 *                pages that were never allocated
 *   retouch      the same, through a new mapping of the pages allocated by
 *                first_write (munmap, mmap again); only for backends whose
 *                pages outlive a mapping
 *   first_read   read one word per page of a new mapping of fresh pages
 *
 * Only the touch loop is timed (not mmap or munmap). Faults are the minor
 * plus major faults of getrusage() over the loop, not the driver's own
 * counter. A sample of a size below 16 MiB repeats the measurement on new
 * objects until 16 MiB were touched, so that no sample lasts only a few
 * milliseconds; one untimed pass at the smallest size comes first (under
 * QEMU TCG, the first run of any code path includes its translation).
 *
 * read()/write(): pread/pwrite in 1 MiB chunks of allocated device pages
 * and of a tmpfs file, and memcpy in 1 MiB chunks through a new MAP_SHARED
 * mapping of each (mmap, copy, munmap timed).
 *
 * Fresh device pages: pages of the device stay allocated until they are
 * punched out or the module is unloaded, so each first-touch measurement
 * takes a range of the device that was never touched since the last reset
 * (a bump pointer over the device; the allocated_bytes attribute must grow
 * by exactly the range). When the rest of the device is too small, all of
 * it is freed with MMAPDEMO_IOC_PUNCH (untimed), or, with a driver that has
 * no ioctls, by reloading the module with mmapdemo-ctl and the run's
 * arguments ($MMAPDEMO_KO, $MMAPDEMO_MODULE_ARGS).
 *
 * Page, PMD and hugetlb page sizes are the running system's (sysconf(),
 * hpage_pmd_size, /proc/meminfo Hugepagesize): 4 KiB, 2 MiB and 2 MiB on
 * x86-64; 16 KiB, 32 MiB and 32 MiB on arm64 with 16 KiB pages. Sizes
 * must be multiples of the PMD and hugetlb page sizes.
 *
 * Output: a table per metric on stdout, then the results as one JSON
 * document between marker lines. A target that is missed is reported, not
 * an error: the exit status is 1 only when something failed.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mmapdemo.h"

#define PROG_NAME	"mmapdemo-bench"
#define MIB		(1024UL * 1024UL)
#define PMD_SIZE_FILE	"/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"
#define CHUNK_SIZE	MIB		/* read()/write()/memcpy unit */
#define SAMPLE_MIN	(16 * MIB)	/* bytes touched or copied per sample */
#define MAX_SIZES	16
#define MAX_SERIES	6
#define JSON_BEGIN	"@@MMAPDEMO-BENCH-JSON-BEGIN@@"
#define JSON_END	"@@MMAPDEMO-BENCH-JSON-END@@"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB	0x0004U
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- backends and metrics ---------------------------------------------- */

enum backend {
	DEV_SHARED,
	DEV_PRIVATE,
	MEMFD,
	MEMFD_HUGETLB,
	ANON,
	DEVZERO,
	NR_BACKENDS
};

struct backend_info {
	const char *key;
	const char *label;
	bool persistent;	/* pages outlive a mapping: retouch applies */
};

static const struct backend_info backends[NR_BACKENDS] = {
	[DEV_SHARED] = { "mmapdemo-shared", "mmapdemo MAP_SHARED", true },
	[DEV_PRIVATE] = { "mmapdemo-private", "mmapdemo MAP_PRIVATE", true },
	[MEMFD] = { "memfd", "memfd MAP_SHARED", true },
	[MEMFD_HUGETLB] = { "memfd-hugetlb", "memfd hugetlb MAP_SHARED",
			    true },
	[ANON] = { "anon", "anonymous MAP_PRIVATE", false },
	[DEVZERO] = { "devzero", "/dev/zero MAP_SHARED", false },
};

enum rw_series {
	RW_DEV_SYSCALL,
	RW_TMPFS_SYSCALL,
	RW_DEV_MMAP,
	RW_TMPFS_MMAP,
	NR_RW_SERIES
};

static const char *const rw_keys[NR_RW_SERIES] = {
	"mmapdemo-syscall", "tmpfs-syscall", "mmapdemo-memcpy", "tmpfs-memcpy",
};

static const char *const read_labels[NR_RW_SERIES] = {
	"mmapdemo pread()", "tmpfs pread()",
	"mmapdemo mmap+memcpy", "tmpfs mmap+memcpy",
};

static const char *const write_labels[NR_RW_SERIES] = {
	"mmapdemo pwrite()", "tmpfs pwrite()",
	"mmapdemo mmap+memcpy", "tmpfs mmap+memcpy",
};

enum metric_id {
	M_FIRST_WRITE,
	M_FIRST_WRITE_FAULTS,
	M_RETOUCH,
	M_RETOUCH_FAULTS,
	M_FIRST_READ,
	M_FIRST_READ_FAULTS,
	M_READ,
	M_WRITE,
	NR_METRICS
};

struct metric {
	const char *key;
	const char *title;
	const char *unit;
	unsigned int nr_series;
	const char *keys[MAX_SERIES];
	const char *labels[MAX_SERIES];
	double *samples;	/* [size][series][rep]; NAN: not measured */
};

static struct metric metrics[NR_METRICS] = {
	[M_FIRST_WRITE] = { "first_write", "First-touch write", "MiB/s" },
	[M_FIRST_WRITE_FAULTS] = { "first_write_faults",
				   "Faults, first-touch write", "faults/MiB" },
	[M_RETOUCH] = { "retouch", "Re-touch (new mapping, allocated pages)",
			"MiB/s" },
	[M_RETOUCH_FAULTS] = { "retouch_faults", "Faults, re-touch",
			       "faults/MiB" },
	[M_FIRST_READ] = { "first_read", "First-touch read", "MiB/s" },
	[M_FIRST_READ_FAULTS] = { "first_read_faults",
				  "Faults, first-touch read", "faults/MiB" },
	[M_READ] = { "read", "Read of allocated pages", "MiB/s" },
	[M_WRITE] = { "write", "Write of allocated pages", "MiB/s" },
};

/* ---- run state ---------------------------------------------------------- */

static size_t page_size;
static size_t pmd_size;		/* what one PMD maps */
static size_t hugetlb_size;	/* the default hugetlb page size */
static size_t sizes[MAX_SIZES];	/* bytes */
static unsigned int nr_sizes;
static unsigned int reps = 5;
static bool verbose = true;
static const char *tmp_dir = "/tmp";
static unsigned long bench_sink;	/* keeps read loops alive */
static char *chunk_buf;

static struct {
	size_t size;
	unsigned int folio_order;
	size_t next_fresh;	/* bump pointer: bytes below it were used */
	unsigned int resets;	/* times all pages were freed */
	const char *reset_method;	/* "punch" or "reload" */
} dev;

static long saved_nr_hugepages = -1;

/* MAP_PRIVATE read-only first touch: PMD mapped until written? */
struct pmd_check {
	long mapped_kib;
	long pmd_after_read_kib;
	long pmd_after_write_kib;
};

static struct pmd_check pmd_checks[MAX_SIZES];

/* ---- helpers ------------------------------------------------------------ */

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, PROG_NAME ": error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void __attribute__((format(printf, 1, 2))) progress(const char *fmt,
							   ...)
{
	va_list ap;

	if (!verbose)
		return;
	fprintf(stderr, PROG_NAME ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long fault_count(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		die("getrusage: %s", strerror(errno));
	return ru.ru_minflt + ru.ru_majflt;
}

/* The first line of @path, without the newline; false if unreadable. */
static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, len, f);
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static unsigned long long read_ull(const char *path)
{
	char buf[64], *end;
	unsigned long long val;

	if (!read_line(path, buf, sizeof(buf)))
		die("cannot read %s: %s", path, strerror(errno));
	errno = 0;
	val = strtoull(buf, &end, 10);
	if (errno || end == buf || *end)
		die("%s: not a number: '%s'", path, buf);
	return val;
}

static void write_ull(const char *path, unsigned long long val)
{
	FILE *f = fopen(path, "w");

	if (!f)
		die("cannot open %s: %s", path, strerror(errno));
	fprintf(f, "%llu\n", val);
	if (fclose(f))
		die("cannot write %llu to %s: %s", val, path, strerror(errno));
}

static unsigned long long dev_attr(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), MMAPDEMO_SYSFS_DIR "/%s", name);
	return read_ull(path);
}

static void *map_or_die(size_t len, int prot, int flags, int fd, off_t off,
			const char *what)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		die("mmap of %zu MiB (%s): %s", len / MIB, what,
		    strerror(errno));
	return p;
}

static void unmap_or_die(void *p, size_t len)
{
	if (munmap(p, len))
		die("munmap: %s", strerror(errno));
}

/* ---- module reload and fresh device ranges ----------------------------- */

/*
 * Run mmapdemo-ctl with @argv; its chatter on stdout is dropped. Not
 * fork(): it would write-protect this process's memory for copy-on-write,
 * and the next writes to the stack would count as faults of a measurement.
 */
static void run_ctl(char *const argv[])
{
	posix_spawn_file_actions_t actions;
	int status, err;
	pid_t pid;

	fflush(NULL);
	if (posix_spawn_file_actions_init(&actions) ||
	    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO,
					     "/dev/null", O_WRONLY, 0))
		die("posix_spawn_file_actions: out of memory");
	err = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	if (err)
		die("cannot run %s: %s", argv[0], strerror(err));
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("'%s %s' failed (status %d)", argv[0], argv[1],
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/*
 * Unload and load the module again with the run's arguments: the only way
 * to free the device's pages before MMAPDEMO punch exists.
 */
static void reload_module(void)
{
	const char *ko = getenv("MMAPDEMO_KO");
	const char *args = getenv("MMAPDEMO_MODULE_ARGS");
	char *argv[16], *words = NULL, *word, *save;
	unsigned int argc = 0;

	if (!ko || !*ko)
		die("the driver has no MMAPDEMO_IOC_PUNCH and MMAPDEMO_KO is not set: cannot free the device's pages (give the module a larger size=)");

	run_ctl((char *[]){ "mmapdemo-ctl", "unload", NULL });

	argv[argc++] = "mmapdemo-ctl";
	argv[argc++] = "load";
	argv[argc++] = "-m";
	argv[argc++] = (char *)ko;
	if (args) {
		words = strdup(args);
		if (!words)
			die("out of memory");
		for (word = strtok_r(words, " \t", &save); word;
		     word = strtok_r(NULL, " \t", &save)) {
			if (argc == ARRAY_SIZE(argv) - 1)
				die("too many words in MMAPDEMO_MODULE_ARGS");
			argv[argc++] = word;
		}
	}
	argv[argc] = NULL;
	run_ctl(argv);
	free(words);

	if (dev_attr(MMAPDEMO_ATTR_SIZE) != dev.size)
		die("the device size changed over a reload");
}

static int open_dev(void)
{
	int fd = open(MMAPDEMO_DEVICE_PATH, O_RDWR);

	if (fd < 0)
		die("cannot open " MMAPDEMO_DEVICE_PATH ": %s",
		    strerror(errno));
	return fd;
}

/* Free every page of the device, so that all of it is fresh again. */
static void reset_device(void)
{
	struct mmapdemo_punch punch = { .offset = 0, .length = dev.size };
	unsigned long long left;
	int fd = open_dev();
	int err = ioctl(fd, MMAPDEMO_IOC_PUNCH, &punch) ? errno : 0;

	close(fd);
	if (err == ENOTTY) {
		reload_module();
		dev.reset_method = "reload";
	} else if (err) {
		die("MMAPDEMO_IOC_PUNCH of the whole device: %s", strerror(err));
	} else {
		dev.reset_method = "punch";
	}
	left = dev_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES);
	if (left)
		die("%llu bytes still allocated after freeing the whole device (%s)",
		    left, dev.reset_method);
	dev.next_fresh = 0;
	dev.resets++;
}

/* Offset of @len bytes of the device that were never allocated. */
static off_t fresh_range(size_t len)
{
	off_t off;

	if (dev.next_fresh + len > dev.size)
		reset_device();
	off = dev.next_fresh;
	dev.next_fresh += len;
	return off;
}

/* ---- smaps --------------------------------------------------------------- */

/* @field (e.g. "FilePmdMapped") of the VMA starting at @addr, in KiB. */
static long smaps_kib(const void *addr, const char *field)
{
	size_t field_len = strlen(field);
	unsigned long start, end;
	bool in_vma = false;
	char line[512];
	long val = -1;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		die("cannot open /proc/self/smaps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		/*
		 * VMA header lines start with the lower-case hex range,
		 * field lines with a capitalised name.
		 */
		if (!isupper((unsigned char)line[0]) &&
		    sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			if (in_vma)
				break;
			in_vma = start == (unsigned long)addr;
		} else if (in_vma && !strncmp(line, field, field_len) &&
			   line[field_len] == ':') {
			val = strtol(line + field_len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	if (val < 0)
		die("no %s for the mapping at %p in /proc/self/smaps", field,
		    addr);
	return val;
}

/* ---- hugetlb pool --------------------------------------------------------- */

#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

static void restore_hugepages(void)
{
	if (saved_nr_hugepages >= 0) {
		write_ull(NR_HUGEPAGES, saved_nr_hugepages);
		saved_nr_hugepages = -1;
	}
}

/* Enough free huge pages for one mapping of the largest size. */
static void reserve_hugepages(size_t bytes)
{
	unsigned long long want, got;

	saved_nr_hugepages = read_ull(NR_HUGEPAGES);
	atexit(restore_hugepages);
	want = saved_nr_hugepages + bytes / hugetlb_size;
	write_ull(NR_HUGEPAGES, want);
	got = read_ull(NR_HUGEPAGES);
	if (got < want)
		die("could reserve only %llu of %llu huge pages of %zu KiB (" NR_HUGEPAGES ")",
		    got, want, hugetlb_size / 1024);
}

/* ---- samples ------------------------------------------------------------- */

static double *sample(enum metric_id m, unsigned int size_idx,
		      unsigned int series, unsigned int rep)
{
	return &metrics[m].samples[(size_idx * MAX_SERIES + series) * reps +
				   rep];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct stats {
	double median, min, max;
	unsigned int n;
};

static struct stats stats_of(enum metric_id m, unsigned int size_idx,
			     unsigned int series)
{
	double vals[64];
	struct stats st = { NAN, NAN, NAN, 0 };
	unsigned int rep;

	for (rep = 0; rep < reps && st.n < ARRAY_SIZE(vals); rep++) {
		double v = *sample(m, size_idx, series, rep);

		if (!isnan(v))
			vals[st.n++] = v;
	}
	if (!st.n)
		return st;
	qsort(vals, st.n, sizeof(vals[0]), cmp_double);
	st.min = vals[0];
	st.max = vals[st.n - 1];
	st.median = st.n % 2 ? vals[st.n / 2] :
		    (vals[st.n / 2 - 1] + vals[st.n / 2]) / 2;
	return st;
}

static void record(enum metric_id m, unsigned int size_idx,
		   unsigned int series, unsigned int rep, double val)
{
	*sample(m, size_idx, series, rep) = val;
}

/* ---- the touch loops -------------------------------------------------- */

static void touch_write(char *p, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += page_size)
		p[off] = 1;
}

static void touch_read(const char *p, size_t len)
{
	unsigned long sum = 0;
	size_t off;

	for (off = 0; off < len; off += page_size)
		sum += p[off];
	bench_sink += sum;
}

struct touch_result {
	double seconds;
	long faults;
};

/* Touch @len bytes at @p; add the time and the faults taken to @res. */
static void timed_touch(char *p, size_t len, bool write,
			struct touch_result *res)
{
	long faults = fault_count();
	double t0 = now_s();

	if (write)
		touch_write(p, len);
	else
		touch_read(p, len);
	res->seconds += now_s() - t0;
	res->faults += fault_count() - faults;
}

static void record_touch(enum metric_id m, unsigned int size_idx,
			 unsigned int series, unsigned int rep, size_t len,
			 const struct touch_result *res)
{
	record(m, size_idx, series, rep, len / (double)MIB / res->seconds);
	record(m + 1, size_idx, series, rep,
	       res->faults / (double)(len / MIB));
}

/* Repetitions of a measurement of @len bytes that make up one sample. */
static unsigned int passes_for(size_t len)
{
	return len >= SAMPLE_MIN ? 1 : (SAMPLE_MIN + len - 1) / len;
}

/* ---- mapping backends ---------------------------------------------------- */

/* A backing object: where a backend's mapping comes from. */
struct object {
	int fd;		/* -1 for anonymous memory */
	off_t off;
	int flags;	/* MAP_SHARED or MAP_PRIVATE (| MAP_ANONYMOUS) */
};

static struct object object_new(enum backend b, size_t len)
{
	struct object obj = { -1, 0, MAP_SHARED };

	switch (b) {
	case DEV_PRIVATE:
		obj.flags = MAP_PRIVATE;
		/* fall through */
	case DEV_SHARED:
		obj.off = fresh_range(len);
		obj.fd = open_dev();
		break;
	case MEMFD:
	case MEMFD_HUGETLB:
		obj.fd = memfd_create(backends[b].key,
				      b == MEMFD_HUGETLB ? MFD_HUGETLB : 0);
		if (obj.fd < 0)
			die("memfd_create(%s): %s", backends[b].key,
			    strerror(errno));
		if (ftruncate(obj.fd, len))
			die("ftruncate(%s, %zu MiB): %s", backends[b].key,
			    len / MIB, strerror(errno));
		break;
	case ANON:
		obj.flags = MAP_PRIVATE | MAP_ANONYMOUS;
		break;
	case DEVZERO:
		obj.fd = open("/dev/zero", O_RDWR);
		if (obj.fd < 0)
			die("cannot open /dev/zero: %s", strerror(errno));
		break;
	default:
		die("unknown backend %d", b);
	}
	return obj;
}

static void object_free(struct object *obj)
{
	if (obj->fd >= 0)
		close(obj->fd);
	obj->fd = -1;
}

static char *object_map(enum backend b, struct object *obj, size_t len)
{
	return map_or_die(len, PROT_READ | PROT_WRITE, obj->flags, obj->fd,
			  obj->off, backends[b].key);
}

/* The device must have allocated exactly @len bytes for a fresh range. */
static void check_allocated(unsigned long long before, size_t len)
{
	unsigned long long now = dev_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES);

	if (now - before != len)
		die("first touch of %zu MiB of fresh device pages allocated %lld bytes, not %zu: the range was not fresh",
		    len / MIB, (long long)(now - before), len);
}

static unsigned long long dev_allocated(enum backend b)
{
	if (b != DEV_SHARED && b != DEV_PRIVATE)
		return 0;
	return dev_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES);
}

/*
 * One pass of backend @b over @len bytes: first_write, then retouch over
 * the same pages, then first_read of other fresh pages. With @pc, also
 * check the PMD mappings of the read-only mapping.
 */
static void mapping_pass(enum backend b, size_t len,
			 struct touch_result res[3], struct pmd_check *pc)
{
	unsigned long long allocated;
	struct object obj;
	char *p;

	obj = object_new(b, len);
	allocated = dev_allocated(b);
	p = object_map(b, &obj, len);
	timed_touch(p, len, true, &res[0]);
	unmap_or_die(p, len);
	if (b == DEV_SHARED || b == DEV_PRIVATE)
		check_allocated(allocated, len);

	if (backends[b].persistent) {
		p = object_map(b, &obj, len);
		timed_touch(p, len, true, &res[1]);
		unmap_or_die(p, len);
	}
	object_free(&obj);

	obj = object_new(b, len);
	allocated = dev_allocated(b);
	p = object_map(b, &obj, len);
	timed_touch(p, len, false, &res[2]);
	if (pc) {
		/*
		 * Untimed: does the read-only mapping keep its PMDs until a
		 * write copies a page (and splits one PMD)?
		 */
		pc->mapped_kib = len / 1024;
		pc->pmd_after_read_kib = smaps_kib(p, "FilePmdMapped");
		p[0] = 1;
		pc->pmd_after_write_kib = smaps_kib(p, "FilePmdMapped");
	}
	unmap_or_die(p, len);
	if (b == DEV_SHARED || b == DEV_PRIVATE)
		check_allocated(allocated, len);
	object_free(&obj);
}

static void bench_mapping(enum backend b, unsigned int size_idx,
			  unsigned int rep)
{
	size_t len = sizes[size_idx];
	unsigned int i, passes = passes_for(len);
	struct touch_result res[3] = { { 0, 0 } };

	for (i = 0; i < passes; i++)
		mapping_pass(b, len, res,
			     b == DEV_PRIVATE && rep == 0 && i == 0 ?
			     &pmd_checks[size_idx] : NULL);
	record_touch(M_FIRST_WRITE, size_idx, b, rep, passes * len, &res[0]);
	if (backends[b].persistent)
		record_touch(M_RETOUCH, size_idx, b, rep, passes * len,
			     &res[1]);
	record_touch(M_FIRST_READ, size_idx, b, rep, passes * len, &res[2]);
}

/* ---- read()/write() --------------------------------------------------- */

static void rw_syscall(int fd, off_t base, size_t len, bool write)
{
	size_t off;
	ssize_t n;

	for (off = 0; off < len; off += CHUNK_SIZE) {
		if (write)
			n = pwrite(fd, chunk_buf, CHUNK_SIZE, base + off);
		else
			n = pread(fd, chunk_buf, CHUNK_SIZE, base + off);
		if (n != (ssize_t)CHUNK_SIZE)
			die("%s of %lu bytes at %lld returned %zd: %s",
			    write ? "pwrite" : "pread", CHUNK_SIZE,
			    (long long)(base + off), n,
			    n < 0 ? strerror(errno) : "short");
	}
}

static void rw_memcpy(int fd, off_t base, size_t len, bool write)
{
	char *p = map_or_die(len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, base,
			     "memcpy");
	size_t off;

	for (off = 0; off < len; off += CHUNK_SIZE) {
		if (write)
			memcpy(p + off, chunk_buf, CHUNK_SIZE);
		else
			memcpy(chunk_buf, p + off, CHUNK_SIZE);
	}
	unmap_or_die(p, len);
}

static double timed_rw(bool mapped, int fd, off_t base, size_t len,
		       bool write)
{
	unsigned int i, passes = passes_for(len);
	double t0 = now_s();

	for (i = 0; i < passes; i++) {
		if (mapped)
			rw_memcpy(fd, base, len, write);
		else
			rw_syscall(fd, base, len, write);
	}
	return passes * len / (double)MIB / (now_s() - t0);
}

/* Both files are written once first: only allocated pages are measured. */
static void bench_rw(unsigned int size_idx)
{
	size_t len = sizes[size_idx];
	char path[512];
	int dev_fd, tmp_fd;
	unsigned int rep;
	off_t dev_off;

	dev_off = fresh_range(len);
	dev_fd = open_dev();
	snprintf(path, sizeof(path), "%s/" PROG_NAME ".tmpfs", tmp_dir);
	tmp_fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (tmp_fd < 0)
		die("cannot create %s: %s", path, strerror(errno));
	if (ftruncate(tmp_fd, len))
		die("ftruncate(%s): %s", path, strerror(errno));
	rw_syscall(dev_fd, dev_off, len, true);
	rw_syscall(tmp_fd, 0, len, true);

	for (rep = 0; rep < reps; rep++) {
		int w;

		for (w = 0; w <= 1; w++) {
			enum metric_id m = w ? M_WRITE : M_READ;

			record(m, size_idx, RW_DEV_SYSCALL, rep,
			       timed_rw(false, dev_fd, dev_off, len, w));
			record(m, size_idx, RW_TMPFS_SYSCALL, rep,
			       timed_rw(false, tmp_fd, 0, len, w));
			record(m, size_idx, RW_DEV_MMAP, rep,
			       timed_rw(true, dev_fd, dev_off, len, w));
			record(m, size_idx, RW_TMPFS_MMAP, rep,
			       timed_rw(true, tmp_fd, 0, len, w));
		}
	}
	close(dev_fd);
	close(tmp_fd);
	unlink(path);
}

/* ---- targets ------------------------------------------------------------- */

struct target {
	const char *text;
	const char *unit;
	double measured;
	double limit;
	bool at_most;	/* measured <= limit passes, else >= */
	bool pass;
};

static struct target targets[8];
static unsigned int nr_targets;

static void add_target(const char *text, const char *unit, double measured,
		       double limit, bool at_most)
{
	struct target *t = &targets[nr_targets++];

	t->text = text;
	t->unit = unit;
	t->measured = measured;
	t->limit = limit;
	t->at_most = at_most;
	t->pass = !isnan(measured) &&
		  (at_most ? measured <= limit : measured >= limit);
}

static double median_at(enum metric_id m, unsigned int size_idx,
			unsigned int series)
{
	return stats_of(m, size_idx, series).median;
}

/* The largest median over all sizes: a fault target must hold for all. */
static double worst_median(enum metric_id m, unsigned int series)
{
	double worst = NAN;
	unsigned int i;

	for (i = 0; i < nr_sizes; i++) {
		double v = median_at(m, i, series);

		if (isnan(worst) || v > worst)
			worst = v;
	}
	return worst;
}

/*
 * Median of series @a / series @b of metric @m over the repetitions of
 * all sizes. The two samples of a pair were taken seconds apart, so their
 * ratio cancels slow changes of the machine's speed (a busy host) that
 * the ratio of two medians would not; the metrics are rates per MiB, so
 * the pairs of all sizes estimate the same ratio.
 */
static double paired_ratio(enum metric_id m, unsigned int a, unsigned int b)
{
	double ratios[MAX_SIZES * 64];
	unsigned int i, rep, n = 0;

	for (i = 0; i < nr_sizes; i++) {
		for (rep = 0; rep < reps; rep++) {
			double x = *sample(m, i, a, rep);
			double y = *sample(m, i, b, rep);

			if (!isnan(x) && !isnan(y) && y > 0)
				ratios[n++] = x / y;
		}
	}
	if (!n)
		return NAN;
	qsort(ratios, n, sizeof(ratios[0]), cmp_double);
	return n % 2 ? ratios[n / 2] : (ratios[n / 2 - 1] + ratios[n / 2]) / 2;
}

static void compute_targets(void)
{
	/* One fault per PMD: 0.5 per MiB with 2 MiB PMDs, 1/32 with 32 MiB. */
	double pmd_faults_per_mib = (double)MIB / pmd_size;
	unsigned int i;
	bool pmd_ok = true;
	double pmd_ratio = 1;

	add_target("aligned MAP_SHARED first touch: faults per MiB (all sizes)",
		   "faults/MiB", worst_median(M_FIRST_WRITE_FAULTS, DEV_SHARED),
		   pmd_faults_per_mib, true);
	add_target("aligned MAP_SHARED first touch vs memfd",
		   "x", paired_ratio(M_FIRST_WRITE, DEV_SHARED, MEMFD), 1.5,
		   false);
	add_target("aligned MAP_SHARED first touch vs hugetlb memfd",
		   "x", paired_ratio(M_FIRST_WRITE, DEV_SHARED, MEMFD_HUGETLB),
		   0.9, false);
	add_target("repeat mapping: faults per MiB (all sizes)", "faults/MiB",
		   worst_median(M_RETOUCH_FAULTS, DEV_SHARED),
		   pmd_faults_per_mib, true);

	/* Smallest share of a read-only MAP_PRIVATE mapping PMD mapped. */
	for (i = 0; i < nr_sizes; i++) {
		const struct pmd_check *pc = &pmd_checks[i];
		double r = pc->pmd_after_read_kib / (double)pc->mapped_kib;

		if (r < pmd_ratio)
			pmd_ratio = r;
		/* The first write must split exactly one PMD. */
		if (pc->pmd_after_write_kib !=
		    pc->pmd_after_read_kib - (long)(pmd_size / 1024))
			pmd_ok = false;
	}
	add_target("MAP_PRIVATE read-only: share PMD mapped (smaps FilePmdMapped)",
		   "", pmd_ratio, 1.0, false);
	add_target("MAP_PRIVATE: one write splits exactly one PMD", "",
		   pmd_ok ? 1 : 0, 1, false);
	add_target("read() vs tmpfs", "x",
		   paired_ratio(M_READ, RW_DEV_SYSCALL, RW_TMPFS_SYSCALL), 1.0,
		   false);
	add_target("write() vs tmpfs", "x",
		   paired_ratio(M_WRITE, RW_DEV_SYSCALL, RW_TMPFS_SYSCALL), 1.0,
		   false);
}

/* ---- output -------------------------------------------------------------- */

static void print_number(double v, int width)
{
	if (isnan(v))
		printf("%*s", width, "-");
	else if (v >= 100)
		printf("%*.0f", width, v);
	else if (v >= 10)
		printf("%*.1f", width, v);
	else
		printf("%*.2f", width, v);
}

static void print_tables(void)
{
	unsigned int m, s, i;

	for (m = 0; m < NR_METRICS; m++) {
		const struct metric *mt = &metrics[m];

		printf("\n%s (%s; median of %u, spread = (max-min)/median)\n",
		       mt->title, mt->unit, reps);
		printf("%-26s", "size (MiB)");
		for (i = 0; i < nr_sizes; i++)
			printf(" %9zu     ", sizes[i] / MIB);
		putchar('\n');
		for (s = 0; s < mt->nr_series; s++) {
			bool any = false;

			for (i = 0; i < nr_sizes; i++)
				any |= stats_of(m, i, s).n > 0;
			if (!any)
				continue;
			printf("%-26s", mt->labels[s]);
			for (i = 0; i < nr_sizes; i++) {
				struct stats st = stats_of(m, i, s);

				putchar(' ');
				print_number(st.median, 9);
				if (st.n && st.median > 0)
					printf(" %3.0f%%",
					       100 * (st.max - st.min) /
					       st.median);
				else
					printf("     ");
			}
			putchar('\n');
		}
	}

	printf("\nMAP_PRIVATE read-only first touch, smaps FilePmdMapped (KiB)\n");
	printf("%-12s %12s %12s %14s\n", "size (MiB)", "mapped", "after read",
	       "after 1 write");
	for (i = 0; i < nr_sizes; i++)
		printf("%-12zu %12ld %12ld %14ld\n", sizes[i] / MIB,
		       pmd_checks[i].mapped_kib,
		       pmd_checks[i].pmd_after_read_kib,
		       pmd_checks[i].pmd_after_write_kib);

	printf("\nTargets (reported, not enforced; a ratio \"x\" is the median of the\nratios of pairs measured back to back, over all sizes)\n");
	for (i = 0; i < nr_targets; i++) {
		const struct target *t = &targets[i];

		printf("  %-4s %-64s %6.2f%s%-10s (%s %.2f)\n",
		       t->pass ? "PASS" : "MISS", t->text, t->measured,
		       strcmp(t->unit, "x") && *t->unit ? " " : "", t->unit,
		       t->at_most ? "<=" : ">=", t->limit);
	}
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void json_number(double v)
{
	if (isnan(v) || isinf(v))
		printf("null");
	else
		printf("%.6g", v);
}

static void json_file_string(const char *path)
{
	char buf[256];

	if (read_line(path, buf, sizeof(buf)))
		json_string(buf);
	else
		printf("null");
}

static void print_json(double elapsed)
{
	struct utsname uts;
	unsigned int m, s, i, rep;

	uname(&uts);
	printf("%s\n{\n", JSON_BEGIN);
	printf("  \"kernel\": ");
	json_string(uts.release);
	printf(",\n  \"module_args\": ");
	json_string(getenv("MMAPDEMO_MODULE_ARGS") ?: "");
	printf(",\n  \"device_size\": %zu,\n  \"folio_order\": %u,\n",
	       dev.size, dev.folio_order);
	printf("  \"device_resets\": %u,\n  \"reset_method\": ", dev.resets);
	json_string(dev.reset_method ?: "none");
	printf(",\n");
	printf("  \"thp_enabled\": ");
	json_file_string("/sys/kernel/mm/transparent_hugepage/enabled");
	printf(",\n  \"thp_shmem_enabled\": ");
	json_file_string("/sys/kernel/mm/transparent_hugepage/shmem_enabled");
	printf(",\n  \"page_size\": %zu,\n  \"pmd_size\": %zu,\n",
	       page_size, pmd_size);
	printf("  \"hugetlb_size\": %zu,\n  \"chunk_size\": %lu,\n",
	       hugetlb_size, CHUNK_SIZE);
	printf("  \"reps\": %u,\n  \"elapsed_s\": %.1f,\n", reps, elapsed);
	printf("  \"sizes_mib\": [");
	for (i = 0; i < nr_sizes; i++)
		printf("%s%zu", i ? ", " : "", sizes[i] / MIB);
	printf("],\n  \"metrics\": [\n");
	for (m = 0; m < NR_METRICS; m++) {
		const struct metric *mt = &metrics[m];
		bool first_series = true;

		printf("    {\"key\": \"%s\", \"title\": ", mt->key);
		json_string(mt->title);
		printf(", \"unit\": \"%s\", \"series\": [\n", mt->unit);
		for (s = 0; s < mt->nr_series; s++) {
			if (!stats_of(m, 0, s).n)
				continue;
			printf("%s      {\"key\": \"%s\", \"label\": ",
			       first_series ? "" : ",\n", mt->keys[s]);
			first_series = false;
			json_string(mt->labels[s]);
			printf(", \"points\": [\n");
			for (i = 0; i < nr_sizes; i++) {
				struct stats st = stats_of(m, i, s);

				printf("        {\"size_mib\": %zu, \"median\": ",
				       sizes[i] / MIB);
				json_number(st.median);
				printf(", \"min\": ");
				json_number(st.min);
				printf(", \"max\": ");
				json_number(st.max);
				printf(", \"samples\": [");
				for (rep = 0; rep < reps; rep++) {
					printf("%s", rep ? ", " : "");
					json_number(*sample(m, i, s, rep));
				}
				printf("]}%s\n", i + 1 < nr_sizes ? "," : "");
			}
			printf("      ]}");
		}
		printf("\n    ]}%s\n", m + 1 < NR_METRICS ? "," : "");
	}
	printf("  ],\n  \"private_read_pmd\": [\n");
	for (i = 0; i < nr_sizes; i++)
		printf("    {\"size_mib\": %zu, \"mapped_kib\": %ld, \"pmd_after_read_kib\": %ld, \"pmd_after_write_kib\": %ld}%s\n",
		       sizes[i] / MIB, pmd_checks[i].mapped_kib,
		       pmd_checks[i].pmd_after_read_kib,
		       pmd_checks[i].pmd_after_write_kib,
		       i + 1 < nr_sizes ? "," : "");
	printf("  ],\n  \"targets\": [\n");
	for (i = 0; i < nr_targets; i++) {
		const struct target *t = &targets[i];

		printf("    {\"text\": ");
		json_string(t->text);
		printf(", \"unit\": ");
		json_string(t->unit);
		printf(", \"measured\": ");
		json_number(t->measured);
		printf(", \"op\": \"%s\", \"limit\": ", t->at_most ? "<=" : ">=");
		json_number(t->limit);
		printf(", \"pass\": %s}%s\n", t->pass ? "true" : "false",
		       i + 1 < nr_targets ? "," : "");
	}
	printf("  ]\n}\n%s\n", JSON_END);
}

/* ---- setup ------------------------------------------------------------- */

static void usage(FILE *f, int status)
{
	fprintf(f,
		"usage: " PROG_NAME " [-s MIB[,MIB...]] [-r REPS] [-t DIR] [-q]\n"
		"  -s  mapping sizes in MiB, multiples of the PMD and hugetlb page\n"
		"      sizes (default: 1, 4, 16 and 64 of them, up to 1 GiB:\n"
		"      2,8,32,128 with 4 KiB pages, 32,128,512 with 16 KiB pages)\n"
		"  -r  repetitions per measurement, median reported (default 5)\n"
		"  -t  tmpfs directory for the tmpfs file (default /tmp)\n"
		"  -q  no progress on stderr\n"
		"The module must be loaded with a size= of at least the largest size;\n"
		"when fresh pages run out, the device is punched empty (or, without\n"
		"ioctls, the module reloaded: $MMAPDEMO_KO, $MMAPDEMO_MODULE_ARGS).\n"
		"Needs root (hugetlb pool).\n");
	exit(status);
}

/*
 * The running system's sizes: a page, what one PMD maps (without THP, what
 * a page of page table entries covers) and the default hugetlb page.
 */
static void system_sizes(void)
{
	char line[128];
	FILE *f;

	page_size = sysconf(_SC_PAGESIZE);
	if (!access(PMD_SIZE_FILE, F_OK))
		pmd_size = read_ull(PMD_SIZE_FILE);
	else
		pmd_size = page_size / 8 * page_size;
	hugetlb_size = pmd_size;
	f = fopen("/proc/meminfo", "r");
	if (!f)
		die("cannot open /proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long kib;

		if (sscanf(line, "Hugepagesize: %llu kB", &kib) == 1)
			hugetlb_size = kib * 1024;
	}
	fclose(f);
}

/* What every size must be a multiple of: the PMD and the hugetlb page. */
static size_t unit_size(void)
{
	return pmd_size > hugetlb_size ? pmd_size : hugetlb_size;
}

static void parse_sizes(const char *arg)
{
	char *copy = strdup(arg), *tok, *save, *end;

	if (!copy)
		die("out of memory");
	nr_sizes = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned long mib = strtoul(tok, &end, 10);

		if (end == tok || *end || !mib || mib > 65536 ||
		    mib * MIB % unit_size())
			die("-s: '%s' is not a size in MiB that is a multiple of %zu MiB (PMD and hugetlb page size)",
			    tok, unit_size() / MIB);
		if (nr_sizes == MAX_SIZES)
			die("-s: at most %d sizes", MAX_SIZES);
		if (nr_sizes && mib * MIB <= sizes[nr_sizes - 1])
			die("-s: sizes must increase");
		sizes[nr_sizes++] = mib * MIB;
	}
	free(copy);
	if (!nr_sizes)
		die("-s: no sizes");
}

/* 1, 4, 16 and 64 units (2, 8, 32, 128 MiB on x86-64), up to 1 GiB. */
static void default_sizes(void)
{
	size_t unit = unit_size();
	unsigned int i;

	nr_sizes = 0;
	for (i = 0; i < 4 && (unit << 2 * i) <= 1024 * MIB; i++)
		sizes[nr_sizes++] = unit << 2 * i;
}

static void setup_metrics(void)
{
	unsigned int m, s;

	for (m = 0; m < NR_METRICS; m++) {
		struct metric *mt = &metrics[m];
		size_t n = (size_t)nr_sizes * MAX_SERIES * reps;

		if (m == M_READ || m == M_WRITE) {
			mt->nr_series = NR_RW_SERIES;
			for (s = 0; s < NR_RW_SERIES; s++) {
				mt->keys[s] = rw_keys[s];
				mt->labels[s] = m == M_READ ? read_labels[s] :
					       write_labels[s];
			}
		} else {
			mt->nr_series = NR_BACKENDS;
			for (s = 0; s < NR_BACKENDS; s++) {
				mt->keys[s] = backends[s].key;
				mt->labels[s] = backends[s].label;
			}
		}
		mt->samples = malloc(n * sizeof(*mt->samples));
		if (!mt->samples)
			die("out of memory");
		while (n--)
			mt->samples[n] = NAN;
	}
}

static void setup_device(void)
{
	size_t largest = sizes[nr_sizes - 1];

	if (access(MMAPDEMO_SYSFS_DIR, F_OK))
		die("mmapdemo is not loaded (no " MMAPDEMO_SYSFS_DIR ")");
	dev.size = dev_attr(MMAPDEMO_ATTR_SIZE);
	dev.folio_order = dev_attr(MMAPDEMO_ATTR_FOLIO_ORDER);
	if (dev.size < largest)
		die("the device has %zu MiB, the largest size is %zu MiB: load the module with size=%zuM or more",
		    dev.size / MIB, largest / MIB, largest / MIB);
	/* Start from a device with no pages allocated. */
	if (dev_attr(MMAPDEMO_ATTR_ALLOCATED_BYTES))
		reset_device();
}

int main(int argc, char **argv)
{
	unsigned int i, rep, b;
	double t0 = now_s();
	int opt;

	system_sizes();
	default_sizes();
	while ((opt = getopt(argc, argv, "s:r:t:qh")) != -1) {
		switch (opt) {
		case 's':
			parse_sizes(optarg);
			break;
		case 'r':
			reps = strtoul(optarg, NULL, 10);
			if (reps < 1 || reps > 64)
				die("-r: 1 ... 64 repetitions");
			break;
		case 't':
			tmp_dir = optarg;
			break;
		case 'q':
			verbose = false;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);

	setup_metrics();
	setup_device();
	reserve_hugepages(sizes[nr_sizes - 1]);
	chunk_buf = map_or_die(CHUNK_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "buffer");
	memset(chunk_buf, 0x5a, CHUNK_SIZE);

	progress("untimed warm-up pass at %zu MiB", sizes[0] / MIB);
	for (b = 0; b < NR_BACKENDS; b++) {
		struct touch_result unused[3] = { { 0, 0 } };

		mapping_pass(b, sizes[0], unused, NULL);
	}

	for (i = 0; i < nr_sizes; i++) {
		for (rep = 0; rep < reps; rep++) {
			progress("%zu MiB: mappings, repetition %u/%u (%.0f s)",
				 sizes[i] / MIB, rep + 1, reps, now_s() - t0);
			for (b = 0; b < NR_BACKENDS; b++)
				bench_mapping(b, i, rep);
		}
		progress("%zu MiB: read()/write() and memcpy (%.0f s)",
			 sizes[i] / MIB, now_s() - t0);
		bench_rw(i);
	}
	restore_hugepages();

	compute_targets();
	print_tables();
	print_json(now_s() - t0);
	progress("done in %.0f s; all device pages freed %u times (%s)",
		 now_s() - t0, dev.resets, dev.reset_method ?: "none");
	return 0;
}
