// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo-demo: a guided tour of mmap() on /dev/mmapdemo.
 *
 *   A. Two unrelated processes share data through a MAP_SHARED mapping.
 *   B. A MAP_PRIVATE mapping is copy-on-write.
 *   C. fork(): the child inherits both kinds of mapping.
 *   D. /proc/self/maps and the driver's counters, before and after.
 *
 * Every step checks what it shows; the exit status is 0 only if all
 * checks passed. Each wait is bounded, so a broken driver cannot hang it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mmapdemo.h"
#include "attr.h"
#include "sizes.h"

#define WAIT_TIMEOUT_MS		10000	/* per wait for another process */
#define WATCHDOG_SECONDS	120	/* whole run, as a last resort */
#define POLL_INTERVAL_NS	1000000	/* 1 ms between polls of a flag */
#define TEXT_MAX		96	/* longest message kept in a page */

/* Device pages used by each part (offsets are in pages). */
#define EXCHANGE_PAGE		0	/* part A */
#define COW_PAGE		1	/* part B: two pages */
#define FORK_SHARED_PAGE	3	/* part C */
#define FORK_PRIVATE_PAGE	4	/* part C */
#define DEMO_PAGES		5

static size_t page_size;
static const char *role = "demo";	/* prefix of check lines */
static int checks_run, checks_failed;

/* ---- output and checks ------------------------------------------------ */

static void section(const char *title)
{
	printf("\n=== %s ===\n", title);
}

static bool __attribute__((format(printf, 2, 3))) check(bool ok,
							const char *fmt, ...)
{
	va_list ap;

	checks_run++;
	if (!ok)
		checks_failed++;
	printf("  [%s] %s%s: ", ok ? "ok" : "FAIL", ok ? "  " : "", role);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return ok;
}

static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	checks_run++;
	checks_failed++;
	printf("  [FAIL] %s: ", role);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(": %s\n", strerror(errno));
}

static void watchdog_fired(int sig)
{
	static const char msg[] =
		"  [FAIL] watchdog: the demo took too long and was stopped\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static void start_watchdog(void)
{
	signal(SIGALRM, watchdog_fired);
	alarm(WATCHDOG_SECONDS);
}

/* ---- page contents ---------------------------------------------------- */

/* Copy the text at @p into @buf, bounded even if the page is garbage. */
static const char *text_of(const char *p, char buf[TEXT_MAX])
{
	size_t i;

	for (i = 0; i < TEXT_MAX - 1 && p[i]; i++)
		buf[i] = p[i];
	buf[i] = '\0';
	return buf;
}

/* Store @text at the start of a page (through a mapping). */
static void put_text(char *p, const char *text)
{
	size_t len = strnlen(text, TEXT_MAX - 1);

	memcpy(p, text, len);
	p[len] = '\0';
}

/* Replace a whole device page by @text and zeros, with pwrite(). */
static bool device_put_text(int fd, unsigned int page, const char *text)
{
	char *buf = calloc(1, page_size);
	ssize_t n;

	if (!buf)
		return false;
	snprintf(buf, TEXT_MAX, "%s", text);
	n = pwrite(fd, buf, page_size, (off_t)page * page_size);
	free(buf);
	if (n != (ssize_t)page_size) {
		fail("pwrite() of device page %u", page);
		return false;
	}
	return true;
}

/* The text at the start of a device page, read with pread(). */
static const char *device_text(int fd, unsigned int page, char buf[TEXT_MAX])
{
	ssize_t n = pread(fd, buf, TEXT_MAX - 1, (off_t)page * page_size);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static bool same_text(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/*
 * One check that the text at @p (a mapping) is @want. The line says
 * @what, then the text found in quotes, then @after: a failure shows
 * what was there instead.
 */
static bool check_text(const char *p, const char *want, const char *what,
		       const char *after)
{
	char text[TEXT_MAX];

	return check(same_text(text_of(p, text), want), "%s \"%s\"%s", what,
		     text, after);
}

/* Two texts written through two mappings, and said so by @who. */
static void put_texts(char *p1, const char *text1, char *p2,
		      const char *text2, const char *who)
{
	put_text(p1, text1);
	put_text(p2, text2);
	printf("  [%s] wrote \"%s\" and \"%s\"\n", who, text1, text2);
	fflush(stdout);
}

/* ---- device and counters ---------------------------------------------- */

static int open_device(void)
{
	int fd = open(MMAPDEMO_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fail("open(%s) (is the module loaded? try 'mmapdemo-ctl status')",
		     MMAPDEMO_DEVICE_PATH);
	return fd;
}

static void *map_pages(int fd, unsigned int first_page, unsigned int pages,
		       int flags)
{
	void *p = mmap(NULL, (size_t)pages * page_size,
		       PROT_READ | PROT_WRITE, flags, fd,
		       (off_t)first_page * page_size);

	if (p == MAP_FAILED) {
		fail("mmap(%s, offset %#lx)",
		     flags == MAP_SHARED ? "MAP_SHARED" : "MAP_PRIVATE",
		     (unsigned long)first_page * page_size);
		return NULL;
	}
	return p;
}

struct counters {
	long long faults;		/* calls of the driver's .fault */
	long long allocated_bytes;	/* backing pages the driver holds */
	long long vmas;			/* live VMAs of the device */
};

static struct counters read_counters(void)
{
	struct counters c = {
		.faults = device_attr_read(MMAPDEMO_ATTR_FAULTS),
		.allocated_bytes = device_attr_read(MMAPDEMO_ATTR_ALLOCATED_BYTES),
		.vmas = device_attr_read(MMAPDEMO_ATTR_VMAS),
	};

	return c;
}

static void show_counters(const char *when, const struct counters *before)
{
	struct counters now = read_counters();

	printf("  driver counters %s: faults=%lld (%+lld) allocated_bytes=%lld (%+lld) vmas=%lld (%+lld)\n",
	       when, now.faults, now.faults - before->faults,
	       now.allocated_bytes,
	       now.allocated_bytes - before->allocated_bytes,
	       now.vmas, now.vmas - before->vmas);
}

/* ---- /proc/self/maps -------------------------------------------------- */

struct maps_entry {
	char perms[8];			/* e.g. "rw-s" */
	unsigned long long offset;	/* into the mapped file, in bytes */
	char path[PATH_MAX];
	char line[PATH_MAX + 128];
};

/* Find the /proc/self/maps line of the mapping that starts at @addr. */
static bool find_mapping(const void *addr, struct maps_entry *entry)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	bool found = false;

	if (!maps)
		return false;
	while (!found && fgets(entry->line, sizeof(entry->line), maps)) {
		unsigned long start;
		int path_pos = 0;

		entry->line[strcspn(entry->line, "\n")] = '\0';
		if (sscanf(entry->line, "%lx-%*x %7s %llx %*s %*u %n", &start,
			   entry->perms, &entry->offset, &path_pos) < 3)
			continue;
		if (start != (unsigned long)addr)
			continue;
		snprintf(entry->path, sizeof(entry->path), "%s",
			 path_pos ? entry->line + path_pos : "");
		found = true;
	}
	fclose(maps);
	return found;
}

/* Count this process's mappings and descriptors of the device. */
static int device_mappings(void)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	char line[PATH_MAX + 128];
	int count = 0;

	if (!maps)
		return -1;
	while (fgets(line, sizeof(line), maps))
		if (strstr(line, " " MMAPDEMO_DEVICE_PATH "\n"))
			count++;
	fclose(maps);
	return count;
}

static int device_descriptors(void)
{
	char link[64], target[PATH_MAX];
	int fd, count = 0;

	for (fd = 0; fd < 1024; fd++) {
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (same_text(target, MMAPDEMO_DEVICE_PATH))
			count++;
	}
	return count;
}

/*
 * Print the maps line of one mapping and check what it says: the device
 * path, the offset we passed to mmap(), and 's' (MAP_SHARED) or 'p'
 * (MAP_PRIVATE) as the fourth permission letter.
 */
static void show_mapping(const char *what, const void *addr,
			 unsigned int page, char kind)
{
	struct maps_entry entry;

	if (!check(find_mapping(addr, &entry),
		   "%s at %p is listed in /proc/self/maps", what, addr))
		return;
	printf("         %s\n", entry.line);
	check(same_text(entry.path, MMAPDEMO_DEVICE_PATH) &&
	      entry.offset == (unsigned long long)page * page_size &&
	      entry.perms[3] == kind,
	      "%s: path %s, offset %#llx, flag '%c' (expected %s, %#llx, '%c')",
	      what, entry.path, entry.offset, entry.perms[3],
	      MMAPDEMO_DEVICE_PATH, (unsigned long long)page * page_size,
	      kind);
}

/* ---- bounded waiting -------------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void nap(void)
{
	struct timespec ts = { 0, POLL_INTERVAL_NS };

	nanosleep(&ts, NULL);
}

/* Wait for the child to exit; on timeout kill it. Returns its status. */
static int reap_child(pid_t pid, int *status)
{
	long long deadline = now_ms() + WAIT_TIMEOUT_MS;
	pid_t done;

	do {
		done = waitpid(pid, status, WNOHANG);
		if (done == pid)
			return 0;
		if (done < 0)
			return -1;
		nap();
	} while (now_ms() < deadline);

	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	errno = ETIMEDOUT;
	return -1;
}

static bool child_succeeded(pid_t pid, const char *who)
{
	int status = 0;

	if (reap_child(pid, &status) < 0) {
		fail("waiting for the %s (pid %d)", who, pid);
		return false;
	}
	if (WIFSIGNALED(status))
		return check(false, "the %s (pid %d) was killed by signal %d (%s)",
			     who, pid, WTERMSIG(status),
			     strsignal(WTERMSIG(status)));
	return check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		     "the %s (pid %d) exited with status %d (0: all its checks passed)",
		     who, pid, WEXITSTATUS(status));
}

/* ---- part A: two unrelated processes ---------------------------------- */

/*
 * The layout both processes agree on for the shared page. The state word
 * is the only synchronisation: each side publishes its data, then moves
 * the state on with a release store; the other side polls it with
 * acquire loads, so the data is visible once the new state is.
 */
enum exchange_state {
	EXCHANGE_EMPTY,
	EXCHANGE_READER_READY,	/* reader has mapped the page */
	EXCHANGE_MESSAGE,	/* writer has put its message */
	EXCHANGE_REPLY,		/* reader has put its reply */
};

struct exchange {
	uint32_t state;
	int32_t writer_pid;
	int32_t reader_pid;
	char message[TEXT_MAX];
	char reply[TEXT_MAX];
};

static void set_state(struct exchange *ex, enum exchange_state state)
{
	__atomic_store_n(&ex->state, state, __ATOMIC_RELEASE);
}

/* Has @child exited? It stays a zombie, for reap_child() to reap. */
static bool peer_exited(pid_t child)
{
	siginfo_t info = { 0 };

	return waitid(P_PID, child, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       info.si_pid == child;
}

/* Poll the state word; give up after the timeout or if @peer exits. */
static bool wait_state(struct exchange *ex, enum exchange_state state,
		       pid_t peer)
{
	long long deadline = now_ms() + WAIT_TIMEOUT_MS;

	do {
		if (__atomic_load_n(&ex->state, __ATOMIC_ACQUIRE) == state)
			return true;
		if (peer > 0 && peer_exited(peer))
			break;
		nap();
	} while (now_ms() < deadline);
	return __atomic_load_n(&ex->state, __ATOMIC_ACQUIRE) == state;
}

static void expected_message(char buf[TEXT_MAX], pid_t writer)
{
	snprintf(buf, TEXT_MAX, "hello from the writer, pid %d", writer);
}

static void expected_reply(char buf[TEXT_MAX], pid_t writer, pid_t reader)
{
	snprintf(buf, TEXT_MAX, "hello writer %d, this is reader %d",
		 writer, reader);
}

/* The child process of part A, after execve() of this program. */
static int run_reader(pid_t writer)
{
	char prefix[32], expected[TEXT_MAX], text[TEXT_MAX];
	pid_t self = getpid();
	struct exchange *ex;
	int fd;

	snprintf(prefix, sizeof(prefix), "reader pid %d", self);
	role = prefix;
	setvbuf(stdout, NULL, _IOLBF, 0);
	start_watchdog();
	page_size = sysconf(_SC_PAGESIZE);

	check(device_mappings() == 0 && device_descriptors() == 0,
	      "after execve() I have no mapping and no descriptor of %s: nothing was inherited",
	      MMAPDEMO_DEVICE_PATH);

	fd = open_device();
	if (fd < 0)
		return 1;
	ex = map_pages(fd, EXCHANGE_PAGE, 1, MAP_SHARED);
	if (!ex)
		return 1;
	printf("  [%s] opened %s myself and mapped page %d (MAP_SHARED) at %p:\n",
	       role, MMAPDEMO_DEVICE_PATH, EXCHANGE_PAGE, (void *)ex);
	show_mapping("my shared mapping", ex, EXCHANGE_PAGE, 's');
	check(ex->writer_pid == writer,
	      "the page already holds the writer's pid %d (found %d)",
	      writer, ex->writer_pid);

	ex->reader_pid = self;
	set_state(ex, EXCHANGE_READER_READY);
	if (check(wait_state(ex, EXCHANGE_MESSAGE, 0),
		  "the writer's message arrived within %d s",
		  WAIT_TIMEOUT_MS / 1000)) {
		expected_message(expected, writer);
		printf("  [%s] read from my mapping: \"%s\"\n", role,
		       text_of(ex->message, text));
		check(same_text(text, expected), "the message is \"%s\"",
		      expected);

		expected_reply(text, writer, self);
		put_text(ex->reply, text);
		printf("  [%s] wrote my reply: \"%s\"\n", role, text);
		set_state(ex, EXCHANGE_REPLY);
	}

	munmap(ex, page_size);
	close(fd);
	return checks_failed ? 1 : 0;
}

static void part_a(int fd, const char *self_exe)
{
	char expected[TEXT_MAX], text[TEXT_MAX], writer_pid[16];
	struct counters before = read_counters();
	pid_t self = getpid(), reader;
	struct exchange *ex;

	section("A. Two unrelated processes share a MAP_SHARED mapping");
	printf("A MAP_SHARED mapping of a file or device maps the very same physical pages\n"
	       "in every process that maps the same offset: a store by one process is\n"
	       "a load away for the others, with no copy and no system call.\n"
	       "The writer (this process, pid %d) starts a reader with fork() + execve()\n"
	       "of this program. execve() replaces the whole address space, so the\n"
	       "reader shares nothing with the writer but the device: it opens and maps\n"
	       "/dev/mmapdemo on its own. A state word in the page synchronises them.\n\n",
	       self);

	ex = map_pages(fd, EXCHANGE_PAGE, 1, MAP_SHARED);
	if (!ex)
		return;
	/* The device keeps its content while loaded: clear earlier runs. */
	memset(ex, 0, page_size);
	ex->writer_pid = self;
	set_state(ex, EXCHANGE_EMPTY);
	role = "writer";
	printf("  [writer pid %d] mapped page %d (MAP_SHARED) at %p:\n", self,
	       EXCHANGE_PAGE, (void *)ex);
	show_mapping("writer's shared mapping", ex, EXCHANGE_PAGE, 's');
	printf("  (maps columns: address range; permissions, whose 4th letter is 's' for\n"
	       "  MAP_SHARED or 'p' for MAP_PRIVATE; offset into the device in hex, as\n"
	       "  given to mmap(); device number; inode; path of the mapped file)\n");

	snprintf(writer_pid, sizeof(writer_pid), "%d", self);
	fflush(stdout);
	reader = fork();
	if (reader < 0) {
		fail("fork()");
		munmap(ex, page_size);
		return;
	}
	if (reader == 0) {
		execl(self_exe, "mmapdemo-demo", "--reader", writer_pid,
		      (char *)NULL);
		fail("execl(%s --reader)", self_exe);
		fflush(stdout);
		_exit(127);
	}
	printf("  [writer pid %d] started the reader: pid %d, %s --reader %s\n",
	       self, reader, self_exe, writer_pid);

	if (!check(wait_state(ex, EXCHANGE_READER_READY, reader),
		   "the reader mapped the page within %d s",
		   WAIT_TIMEOUT_MS / 1000))
		goto out;

	expected_message(text, self);
	put_text(ex->message, text);
	printf("  [writer pid %d] wrote into my mapping: \"%s\"\n", self, text);
	set_state(ex, EXCHANGE_MESSAGE);

	if (!check(wait_state(ex, EXCHANGE_REPLY, reader),
		   "the reader's reply arrived within %d s",
		   WAIT_TIMEOUT_MS / 1000))
		goto out;
	printf("  [writer pid %d] read the reply from my mapping: \"%s\"\n",
	       self, text_of(ex->reply, text));
	check(ex->reader_pid == reader,
	      "the page names the reader's pid %d (found %d)", reader,
	      ex->reader_pid);
	expected_reply(expected, self, reader);
	check(same_text(text, expected), "the reply is \"%s\"", expected);

	/* pread() at the same offset sees the same bytes as the mapping. */
	memset(text, 0, sizeof(text));
	if (pread(fd, text, TEXT_MAX - 1, EXCHANGE_PAGE * page_size +
		  offsetof(struct exchange, reply)) < 0)
		fail("pread()");
	check(same_text(text, expected),
	      "pread() of the device shows the reply too: read() and mmap() share the pages");
out:
	child_succeeded(reader, "reader");
	munmap(ex, page_size);
	role = "demo";
	show_counters("after part A", &before);
	check(read_counters().vmas == before.vmas,
	      "vmas is back to %lld: both processes unmapped the page",
	      before.vmas);
}

/* ---- part B: MAP_PRIVATE copy-on-write -------------------------------- */

static void part_b(int fd)
{
	static const char original1[] = "original content of page 1";
	static const char original2[] = "original content of page 2";
	static const char changed1[] = "private change of page 1";
	static const char updated1[] = "page 1 updated through pwrite()";
	static const char updated2[] = "page 2 updated through pwrite()";
	struct counters before = read_counters(), snap;
	char text[TEXT_MAX], *shared, *private;

	section("B. MAP_PRIVATE is copy-on-write");
	printf("A MAP_PRIVATE mapping starts with the device's content, but the first\n"
	       "write to one of its pages makes the kernel copy that page into anonymous\n"
	       "memory of this process (copy-on-write). The write changes only the copy:\n"
	       "neither the device, nor a MAP_SHARED mapping, nor other processes see it.\n\n");

	if (!device_put_text(fd, COW_PAGE, original1) ||
	    !device_put_text(fd, COW_PAGE + 1, original2))
		return;
	printf("  pwrite() put \"%s\" and \"%s\" into device pages %d and %d.\n",
	       original1, original2, COW_PAGE, COW_PAGE + 1);

	shared = map_pages(fd, COW_PAGE, 2, MAP_SHARED);
	private = map_pages(fd, COW_PAGE, 2, MAP_PRIVATE);
	if (!shared || !private)
		goto out;
	printf("  Mapped pages %d-%d twice; in /proc/self/maps 's' means shared, 'p' private:\n",
	       COW_PAGE, COW_PAGE + 1);
	show_mapping("shared mapping", shared, COW_PAGE, 's');
	show_mapping("private mapping", private, COW_PAGE, 'p');

	check_text(private, original1,
		   "the private mapping reads the device's content:", "");
	check_text(private + page_size, original2, "its second page too:", "");

	snap = read_counters();
	put_text(private, changed1);
	printf("  Wrote \"%s\" into the private mapping.\n", changed1);
	show_counters("after the private write", &snap);
	check_text(private, changed1,
		   "the private mapping shows the change:", "");
	check_text(shared, original1, "the shared mapping still shows", "");
	check(same_text(device_text(fd, COW_PAGE, text), original1),
	      "pread() of the device still returns \"%s\"", text);

	printf("  Now the device pages change underneath, through pwrite():\n");
	if (!device_put_text(fd, COW_PAGE, updated1) ||
	    !device_put_text(fd, COW_PAGE + 1, updated2))
		goto out;
	check_text(shared, updated1, "the shared mapping sees the update:", "");
	check_text(private, changed1,
		   "the private page that was written is a copy and keeps", "");
	check_text(private + page_size, updated2,
		   "the private page that was only read still is the device's page and shows",
		   " (Linux does this; POSIX leaves it unspecified)");
out:
	if (shared)
		munmap(shared, 2 * page_size);
	if (private)
		munmap(private, 2 * page_size);
	show_counters("after part B", &before);
	check(read_counters().vmas == before.vmas,
	      "vmas is back to %lld after munmap()", before.vmas);
}

/* ---- part C: fork ----------------------------------------------------- */

static const char fork_shared_before[] = "shared: written by the parent before fork";
static const char fork_shared_child[] = "shared: written by the child";
static const char fork_shared_answer[] = "shared: the parent's answer";
static const char fork_device_private[] = "private page: device content";
static const char fork_private_before[] = "private: the parent's copy, written before fork";
static const char fork_private_child[] = "private: the child's own copy";
static const char fork_private_after[] = "private: the parent's copy, changed after fork";

/* Send or await a one-byte "go" over a pipe, waiting at most 10 s. */
static bool send_go(int fd)
{
	return write(fd, "g", 1) == 1;
}

static bool await_go(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&pfd, 1, WAIT_TIMEOUT_MS) == 1 && read(fd, &c, 1) == 1;
}

static int run_fork_child(char *shared, char *private, int go_parent,
			  int go_child)
{
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "child pid %d", getpid());
	role = prefix;
	/* The parent counts this child as one check: report only its own. */
	checks_run = 0;
	checks_failed = 0;
	alarm(WATCHDOG_SECONDS);	/* alarms are not inherited */

	printf("  [%s] my copies of the mappings, at the same addresses:\n",
	       role);
	show_mapping("inherited shared mapping", shared, FORK_SHARED_PAGE, 's');
	show_mapping("inherited private mapping", private, FORK_PRIVATE_PAGE,
		     'p');
	check_text(shared, fork_shared_before, "the shared mapping shows", "");
	check_text(private, fork_private_before,
		   "the private mapping shows the parent's private data", "");

	put_texts(shared, fork_shared_child, private, fork_private_child, role);
	if (!send_go(go_parent) || !check(await_go(go_child),
					  "the parent answered within %d s",
					  WAIT_TIMEOUT_MS / 1000))
		return 1;

	check_text(shared, fork_shared_answer,
		   "the shared mapping shows the parent's answer", "");
	check_text(private, fork_private_child,
		   "my private page still is my copy",
		   ", the parent's private write is not here");
	return checks_failed ? 1 : 0;
}

static void part_c(int fd)
{
	struct counters before = read_counters();
	int go_parent[2] = { -1, -1 }, go_child[2] = { -1, -1 };
	char text[TEXT_MAX], who[32], *shared, *private;
	long long vmas;
	pid_t child;

	section("C. fork(): the child inherits both mappings");
	printf("fork() copies the address space: the child gets the same mappings at the\n"
	       "same addresses. A MAP_SHARED mapping keeps referring to the device pages,\n"
	       "so writes go both ways. A MAP_PRIVATE mapping stays copy-on-write in both\n"
	       "processes: the child starts with the parent's private data, and from\n"
	       "then on each side's writes stay its own.\n\n");

	if (!device_put_text(fd, FORK_SHARED_PAGE, "") ||
	    !device_put_text(fd, FORK_PRIVATE_PAGE, fork_device_private))
		return;
	shared = map_pages(fd, FORK_SHARED_PAGE, 1, MAP_SHARED);
	private = map_pages(fd, FORK_PRIVATE_PAGE, 1, MAP_PRIVATE);
	if (!shared || !private)
		goto out;
	put_text(shared, fork_shared_before);
	put_text(private, fork_private_before);
	printf("  [parent pid %d] wrote \"%s\"\n  and \"%s\" before fork():\n",
	       getpid(), fork_shared_before, fork_private_before);
	show_mapping("shared mapping", shared, FORK_SHARED_PAGE, 's');
	show_mapping("private mapping", private, FORK_PRIVATE_PAGE, 'p');

	if (pipe2(go_parent, O_CLOEXEC) || pipe2(go_child, O_CLOEXEC)) {
		fail("pipe2()");
		goto out;
	}
	fflush(stdout);
	child = fork();
	if (child < 0) {
		fail("fork()");
		goto out;
	}
	if (child == 0) {
		int status = run_fork_child(shared, private, go_parent[1],
					    go_child[0]);

		fflush(stdout);
		_exit(status);
	}

	role = "parent";
	if (check(await_go(go_parent[0]),
		  "the child (pid %d) wrote within %d s", child,
		  WAIT_TIMEOUT_MS / 1000)) {
		vmas = read_counters().vmas;
		check(vmas == before.vmas + 4,
		      "vmas is %lld: the driver counts the child's two copies too (%lld expected)",
		      vmas, before.vmas + 4);
		check_text(shared, fork_shared_child,
			   "the shared mapping shows the child's write", "");
		check_text(private, fork_private_before,
			   "the private mapping still shows my own",
			   ": the child's private write went to its copy");
		snprintf(who, sizeof(who), "parent pid %d", getpid());
		put_texts(private, fork_private_after, shared,
			  fork_shared_answer, who);
		send_go(go_child[1]);
	}
	child_succeeded(child, "child");
	vmas = read_counters().vmas;
	check(vmas == before.vmas + 2,
	      "vmas is %lld once the child has exited (%lld expected)",
	      vmas, before.vmas + 2);
	check(same_text(device_text(fd, FORK_SHARED_PAGE, text),
			fork_shared_answer),
	      "pread() of the shared page returns the last shared write \"%s\"",
	      text);
	check(same_text(device_text(fd, FORK_PRIVATE_PAGE, text),
			fork_device_private),
	      "pread() of the private page still returns \"%s\": no private write reached the device",
	      text);
out:
	role = "demo";
	if (go_parent[0] >= 0) {
		close(go_parent[0]);
		close(go_parent[1]);
	}
	if (go_child[0] >= 0) {
		close(go_child[0]);
		close(go_child[1]);
	}
	if (shared)
		munmap(shared, page_size);
	if (private)
		munmap(private, page_size);
	show_counters("after part C", &before);
	check(read_counters().vmas == before.vmas,
	      "vmas is back to %lld after munmap()", before.vmas);
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: mmapdemo-demo\n"
		"Walk through mmap() of %s: MAP_SHARED between unrelated\n"
		"processes, MAP_PRIVATE copy-on-write, fork(), /proc/self/maps and\n"
		"the driver's counters. Needs the mmapdemo module loaded and the\n"
		"first %d pages of the device (their content is overwritten).\n"
		"Exit status: 0 if every check passed, 1 otherwise.\n"
		"(\"--reader PID\" is the role the demo runs itself in.)\n",
		MMAPDEMO_DEVICE_PATH, DEMO_PAGES);
}

static void intro(int fd, const struct counters *start)
{
	long long size = device_attr_read(MMAPDEMO_ATTR_SIZE);
	long long order = device_attr_read(MMAPDEMO_ATTR_FOLIO_ORDER);

	printf("The mmapdemo driver backs %s with kernel pages that it\n"
	       "allocates only when a page is first touched: mmap() itself maps\n"
	       "nothing; each first access to a page causes a page fault, and the\n"
	       "driver's .fault handler hands the kernel the page to map.\n"
	       "Its sysfs directory %s shows:\n"
	       "  size=%lld  device size in bytes (lseek(SEEK_END) says %lld)\n"
	       "  folio_order=%lld  pages are allocated 2^%lld at a time (%lld KiB)\n"
	       "      (here a page is %zu KiB and one PMD maps %zu KiB: 2^%d pages;\n"
	       "      folios of that order are mapped with one PMD each)\n"
	       "  faults=%lld  calls of .fault since the module was loaded\n"
	       "  allocated_bytes=%lld  backing memory allocated so far\n"
	       "  vmas=%lld  mappings (VMAs) of the device alive right now\n",
	       MMAPDEMO_DEVICE_PATH, MMAPDEMO_SYSFS_DIR, size,
	       (long long)lseek(fd, 0, SEEK_END), order, order,
	       order >= 0 && order < 32 ? (long long)(page_size << order) / 1024
					: -1,
	       page_size / 1024, pmd_bytes() / 1024, pmd_page_order(),
	       start->faults, start->allocated_bytes, start->vmas);
}

int main(int argc, char **argv)
{
	struct counters start, end;
	char self_exe[PATH_MAX];
	off_t device_size;
	ssize_t n;
	int fd;

	page_size = sysconf(_SC_PAGESIZE);
	if (argc == 3 && same_text(argv[1], "--reader"))
		return run_reader((pid_t)atoi(argv[2]));
	if (argc == 2 && (same_text(argv[1], "-h") ||
			  same_text(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc != 1) {
		usage(stderr);
		return 2;
	}

	/* Line by line, so the output of the processes interleaves sanely. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	start_watchdog();

	/* execve() needs a path; /proc/self/exe would name the child itself. */
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n < 0) {
		fail("readlink(/proc/self/exe)");
		return 1;
	}
	self_exe[n] = '\0';

	printf("mmapdemo-demo: mmap() of %s, step by step\n\n",
	       MMAPDEMO_DEVICE_PATH);
	fd = open_device();
	if (fd < 0)
		return 1;
	start = read_counters();
	intro(fd, &start);
	if (!check(start.faults >= 0 && start.allocated_bytes >= 0 &&
		   start.vmas >= 0,
		   "the driver's counters are readable in %s",
		   MMAPDEMO_SYSFS_DIR))
		return 1;
	device_size = lseek(fd, 0, SEEK_END);
	if (!check(device_size >= (off_t)(DEMO_PAGES * page_size),
		   "the device (%lld bytes) has the %d pages (%zu bytes) the demo uses%s",
		   (long long)device_size, DEMO_PAGES, DEMO_PAGES * page_size,
		   device_size >= (off_t)(DEMO_PAGES * page_size) ? "" :
		   ": reload the module with a larger size, e.g. mmapdemo-ctl load size=64M"))
		return 1;

	part_a(fd, self_exe);
	part_b(fd);
	part_c(fd);

	section("D. What the driver counted");
	end = read_counters();
	printf("  faults:          %lld -> %lld (%+lld)\n", start.faults,
	       end.faults, end.faults - start.faults);
	printf("  allocated_bytes: %lld -> %lld (%+lld)\n",
	       start.allocated_bytes, end.allocated_bytes,
	       end.allocated_bytes - start.allocated_bytes);
	printf("  vmas:            %lld -> %lld (%+lld)\n", start.vmas,
	       end.vmas, end.vmas - start.vmas);
	printf("The first touch of a page through a mapping makes the kernel call the\n"
	       "driver's .fault, even if another process has that page mapped already:\n"
	       "each process has its own page tables. A write to a MAP_PRIVATE page\n"
	       "that is already mapped is copied by the kernel without the driver.\n"
	       "Backing pages stay allocated while the module is loaded (the device\n"
	       "keeps its content); they are freed when it is unloaded.\n");
	check(end.faults > start.faults,
	      "the demo caused .fault calls (%+lld)", end.faults - start.faults);
	check(end.allocated_bytes >= (long long)(DEMO_PAGES * page_size),
	      "allocated_bytes (%lld) covers at least the %d pages the demo wrote",
	      end.allocated_bytes, DEMO_PAGES);
	check(end.vmas == start.vmas,
	      "vmas is back to %lld: every mapping was unmapped", start.vmas);
	close(fd);

	printf("\nRESULT: %s (%d checks, %d failed)\n",
	       checks_failed ? "FAIL" : "PASS", checks_run, checks_failed);
	return checks_failed ? 1 : 0;
}
