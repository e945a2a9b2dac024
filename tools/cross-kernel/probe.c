/*
 * The guest side of tools/cross-kernel: PID 1 of a throw-away initramfs.
 *
 * It knows nothing about the policy. It reads /cases, written by the host in
 * this machine's byte order:
 *
 *     header   char magic[8] = "SPXKCAS1"; u32 audit_arch; u32 nprograms;
 *              u32 ncases; u32 reserved
 *     programs nprograms times: u32 len; len x struct sock_filter
 *     cases    ncases times: u32 program; u32 nr; u64 args[6]
 *
 * Program 0 is the probe filter. Cases name one of the others and come
 * grouped by program. For each group a child is forked that attaches the
 * probe filter, then the group's program, then makes every case's call
 * `syscall(nr, args...)` and stores the return value in memory shared with
 * this process. The probe filter (built on the host) answers an errno of
 * its own for every call except the child's second
 * seccomp(SECCOMP_SET_MODE_FILTER, 0, ...); the kernel keeps the lowest
 * action of all filters, so no probed call ever runs: the return value is
 * the probe's errno when the program allows the call and the program's
 * answer otherwise (its errno, or a signal that ends the child). A child that
 * makes no system call cannot exit normally, so it ends itself with a trap
 * instruction after the last case; a child killed before that is restarted
 * after the case it died on.
 *
 * Results go to the console as lines starting with "SPXK " (kernel messages
 * may interleave): run-length tokens "r<ret>*<count>" (returned),
 * "k<signal>*<count>" (killed), "i<errno>*<count>" (a filter could not be
 * attached), with an FNV-1a hash of the cases file and of the token text so
 * the host can tell the run was complete and unmangled. Then it powers off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

enum { HEADER = 24, PROGRAM_HEADER = 4, CASE_SIZE = 56 };

enum kind { NOT_RUN = 0, RETURNED, KILLED, INSTALL_FAILED };

struct result {
	int64_t value;
	int32_t kind;
	int32_t pad;
};

struct shared {
	volatile uint32_t at;   /* the case being made */
	volatile uint32_t done; /* every case of the group was made */
	struct result results[];
};

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static const uint64_t FNV_START = 0xcbf29ce484222325ULL;

static void die(const char *what)
{
	printf("SPXK FAIL %s: %s\n", what, strerror(errno));
	fflush(stdout);
	reboot(RB_POWER_OFF);
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

static unsigned char *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open /cases");
	size_t cap = 1 << 20, n = 0;
	unsigned char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			die("malloc");
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			continue;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0)
			die("read /cases");
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return buf;
}

static uint32_t u32_at(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static uint64_t u64_at(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static int attach(const struct sock_fprog *prog)
{
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog);
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The output: tokens joined by ',' in lines of at most ~100 characters. */
static char line[160];
static size_t line_len;
static uint64_t text_hash = FNV_START;

static void flush_line(void)
{
	if (line_len) {
		printf("SPXK R %.*s\n", (int)line_len, line);
		line_len = 0;
	}
}

static void token(const struct result *r, uint32_t count)
{
	static const char kinds[] = "nrki";
	char t[64];
	int n = snprintf(t, sizeof t, "%c%lld*%u,", kinds[r->kind], (long long)r->value,
			 count);
	text_hash = fnv1a(text_hash, t, (size_t)n);
	if (line_len + (size_t)n > 100)
		flush_line();
	memcpy(line + line_len, t, (size_t)n);
	line_len += (size_t)n;
}

int main(void)
{
	double t0 = now();
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	size_t len;
	unsigned char *file = read_all("/cases", &len);
	if (len < HEADER || memcmp(file, "SPXKCAS1", 8) != 0) {
		errno = EINVAL;
		die("/cases has no SPXKCAS1 header");
	}
	uint32_t nprog = u32_at(file + 12), ncases = u32_at(file + 16);

	struct sock_fprog *progs = calloc(nprog, sizeof *progs);
	size_t off = HEADER;
	for (uint32_t i = 0; i < nprog; i++) {
		if (off + PROGRAM_HEADER > len)
			die("/cases: programs truncated");
		uint32_t n = u32_at(file + off);
		off += PROGRAM_HEADER;
		if (off + (size_t)n * sizeof(struct sock_filter) > len)
			die("/cases: program truncated");
		/* Copied to aligned memory: the file is read as bytes. */
		struct sock_filter *insns = malloc(n * sizeof *insns + 1);
		memcpy(insns, file + off, n * sizeof *insns);
		progs[i].len = (unsigned short)n;
		progs[i].filter = insns;
		off += (size_t)n * sizeof *insns;
	}
	const unsigned char *cases = file + off;
	if (off + (size_t)ncases * CASE_SIZE != len) {
		errno = EINVAL;
		die("/cases: wrong length");
	}

	size_t shm_len = sizeof(struct shared) + (size_t)ncases * sizeof(struct result);
	struct shared *sh =
		mmap(NULL, shm_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap");
	printf("SPXK BEGIN %u cases, %u programs, audit arch %#x\n", ncases, nprog,
	       u32_at(file + 8));
	fflush(stdout);

	double t1 = now();
	uint32_t children = 0;
	uint32_t start = 0;
	while (start < ncases) {
		uint32_t prog = u32_at(cases + (size_t)start * CASE_SIZE);
		uint32_t end = start;
		while (end < ncases && u32_at(cases + (size_t)end * CASE_SIZE) == prog)
			end++;
		if (prog == 0 || prog >= nprog) {
			errno = EINVAL;
			die("/cases: a case names no program");
		}
		uint32_t from = start;
		while (from < end) {
			sh->at = from;
			sh->done = 0;
			children++;
			pid_t pid = fork();
			if (pid < 0)
				die("fork");
			if (pid == 0) {
				prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
				if (attach(&progs[0]) != 0 || attach(&progs[prog]) != 0) {
					/* No filter stops _exit if the first one failed; if the
					 * second did, the trap below ends the child. */
					sh->results[from].kind = INSTALL_FAILED;
					sh->results[from].value = errno;
					sh->done = 2;
					__builtin_trap();
				}
				for (uint32_t i = from; i < end; i++) {
					const unsigned char *c = cases + (size_t)i * CASE_SIZE;
					sh->at = i;
					long r = syscall((long)(int32_t)u32_at(c + 4),
							 (long)u64_at(c + 8), (long)u64_at(c + 16),
							 (long)u64_at(c + 24), (long)u64_at(c + 32),
							 (long)u64_at(c + 40), (long)u64_at(c + 48));
					sh->results[i].kind = RETURNED;
					sh->results[i].value = r == -1 ? -(int64_t)errno : r;
				}
				sh->done = 1;
				__builtin_trap();
			}
			int status;
			if (waitpid(pid, &status, 0) != pid)
				die("waitpid");
			if (sh->done == 1) {
				from = end;
			} else if (sh->done == 2) {
				for (uint32_t i = from + 1; i < end; i++)
					sh->results[i] = sh->results[from];
				from = end;
			} else {
				uint32_t at = sh->at;
				sh->results[at].kind = KILLED;
				sh->results[at].value = WIFSIGNALED(status) ? WTERMSIG(status) : -1;
				from = at + 1;
			}
		}
		start = end;
	}
	double t2 = now();

	for (uint32_t i = 0; i < ncases;) {
		uint32_t j = i + 1;
		while (j < ncases && sh->results[j].kind == sh->results[i].kind &&
		       sh->results[j].value == sh->results[i].value)
			j++;
		token(&sh->results[i], j - i);
		i = j;
	}
	flush_line();
	printf("SPXK TIME read %.3f s, probe %.3f s, %u children\n", t1 - t0, t2 - t1, children);
	printf("SPXK END %u cases %016llx %016llx\n", ncases,
	       (unsigned long long)fnv1a(FNV_START, file, len), (unsigned long long)text_hash);
	fflush(stdout);
	reboot(RB_POWER_OFF);
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
