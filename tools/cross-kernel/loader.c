/*
 * The guest side of tools/cross-kernel/programs: PID 1 of a throw-away
 * initramfs that runs real programs (Debian's static busybox) under the
 * policy's filters.
 *
 * It knows nothing about the policy or the cases' meaning. It reads /cases,
 * written by the host: per case, NUL-terminated fields
 *
 *     name, filter (a file of raw struct sock_filter, or "-" for none),
 *     stdin (a file, or "-" for /dev/null), argc, argv[0..argc)
 *
 * and runs each case twice: first without a filter (the reference), then
 * with it. Each run is a child that takes a pipe as stdout and stderr, sets
 * no_new_privs and attaches the filter with seccomp(2) (so the filter is the
 * only one: the loader itself runs unfiltered), then execs /bin/busybox
 * with the case's argv. The loader prints what the child wrote and how it
 * ended, on lines the host reads from the console:
 *
 *     SPXP O <case> <r|f> <line>       a line of output (\xNN for bytes
 *                                      outside printable ASCII, and "\")
 *     SPXP P <case> <r|f> <text>       output after the last newline
 *     SPXP S <case> <r|f> exit <n>     or "signal <n>", or "error <what>"
 *     SPXP K <case> <r|f> <nr>         a call the filter killed the run at
 *                                      (the kernel's seccomp record)
 *     SPXP END <cases>
 *
 * then powers the machine off. The comparison and every expectation live on
 * the host (tools/cross-kernel/programs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

static void halt(void)
{
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

static void die(const char *what)
{
	printf("SPXP FAIL %s: %s\n", what, strerror(errno));
	halt();
}

static char *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (!buf)
			die("malloc");
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			continue;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0)
			die("read");
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* Prints the bytes of one line, escaped. */
static void put_escaped(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			putchar(c);
		else
			printf("\\x%02x", c);
	}
}

/* The kernel's log, read after each run for its seccomp records. */
static int kmsg = -1;

/* Prints the system call of each seccomp record (audit type 1326: the
 * kernel logs every kill) the kernel logged since the last call. */
static void seccomp_records(unsigned index, char mode)
{
	char rec[2048];
	if (kmsg < 0)
		return;
	for (;;) {
		ssize_t r = read(kmsg, rec, sizeof rec - 1);
		if (r < 0 && errno == EPIPE)
			continue; /* records were overwritten: read on */
		if (r <= 0)
			return;
		rec[r] = 0;
		if (!strstr(rec, "type=1326"))
			continue;
		const char *sc = strstr(rec, " syscall=");
		if (sc)
			printf("SPXP K %u %c %d\n", index, mode, atoi(sc + 9));
	}
}

/* Runs one case once; filter NULL: the reference run. */
static void run(unsigned index, char mode, const struct sock_fprog *filter, const char *in,
		char **argv)
{
	int fds[2];
	if (pipe(fds) != 0)
		die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* The child: nothing here may print to the console. */
		int fd = open(in, O_RDONLY);
		if (fd < 0 || dup2(fd, 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[1], 2) < 0)
			_exit(120);
		close(fds[0]);
		if (filter) {
			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
				_exit(121);
			if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, filter) != 0)
				_exit(122);
		}
		char *envp[] = {"PATH=/bin", "HOME=/", "TZ=UTC", "LC_ALL=C", NULL};
		execve("/bin/busybox", argv, envp);
		_exit(123);
	}
	close(fds[1]);
	size_t cap = 1 << 16, n = 0;
	char *out = malloc(cap);
	for (;;) {
		if (!out)
			die("malloc");
		if (n == cap) {
			cap *= 2;
			out = realloc(out, cap);
			continue;
		}
		ssize_t r = read(fds[0], out + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fds[0]);
	int status;
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	size_t from = 0;
	for (size_t i = 0; i < n; i++) {
		if (out[i] != '\n')
			continue;
		printf("SPXP O %u %c ", index, mode);
		put_escaped(out + from, i - from);
		putchar('\n');
		from = i + 1;
	}
	if (from < n) {
		printf("SPXP P %u %c ", index, mode);
		put_escaped(out + from, n - from);
		putchar('\n');
	}
	if (WIFEXITED(status))
		printf("SPXP S %u %c exit %d\n", index, mode, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		printf("SPXP S %u %c signal %d\n", index, mode, WTERMSIG(status));
	else
		printf("SPXP S %u %c error status %#x\n", index, mode, (unsigned)status);
	/* The kernel queues its audit records to a thread of its own
	 * (kauditd): after a run that failed, give it a moment to log them. */
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		usleep(100000);
	seccomp_records(index, mode);
	fflush(stdout);
	free(out);
}

int main(void)
{
	/* The kernel gives PID 1 /dev/console from the initramfs; /proc, a
	 * devtmpfs /dev (for /dev/null and /dev/urandom) and a tmpfs /tmp (for
	 * df, and the file a case writes) are the cases' own. */
	mkdir("/proc", 0555);
	mkdir("/dev", 0755);
	mkdir("/tmp", 01777);
	if (mount("proc", "/proc", "proc", 0, NULL) != 0)
		die("mount /proc");
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) != 0)
		die("mount /dev");
	if (mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m") != 0)
		die("mount /tmp");
	if (fcntl(1, F_GETFD) < 0) {
		int fd = open("/dev/console", O_RDWR);
		if (fd < 0)
			die("open /dev/console");
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The calls a filter killed, from the kernel's own seccomp records:
	 * printk's rate limit (10 in 5 s) would drop most, so it is lifted. */
	int fd = open("/proc/sys/kernel/printk_ratelimit", O_WRONLY);
	if (fd < 0 || write(fd, "0", 1) != 1)
		printf("SPXP NOTE printk_ratelimit: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg < 0 || lseek(kmsg, 0, SEEK_END) < 0)
		printf("SPXP NOTE /dev/kmsg: %s\n", strerror(errno));
	printf("SPXP START\n");

	size_t len;
	char *file = read_all("/cases", &len);
	if (!file)
		die("open /cases");
	char *p = file, *end = file + len;
	unsigned index = 0;
	while (p < end) {
		char *name = p;
		p += strlen(p) + 1;
		char *filter_path = p;
		p += strlen(p) + 1;
		char *in = p;
		p += strlen(p) + 1;
		int argc = atoi(p);
		p += strlen(p) + 1;
		char **argv = calloc((size_t)argc + 1, sizeof *argv);
		if (!argv || p > end)
			die("cases");
		for (int i = 0; i < argc; i++) {
			if (p >= end)
				die("cases: argv");
			argv[i] = p;
			p += strlen(p) + 1;
		}
		printf("SPXP CASE %u %s\n", index, name);
		const char *stdin_path = strcmp(in, "-") == 0 ? "/dev/null" : in;
		run(index, 'r', NULL, stdin_path, argv);
		if (strcmp(filter_path, "-") != 0) {
			size_t flen;
			char *bpf = read_all(filter_path, &flen);
			if (!bpf || flen == 0 || flen % sizeof(struct sock_filter) != 0) {
				printf("SPXP S %u f error filter %s\n", index, filter_path);
			} else {
				struct sock_fprog prog = {
					.len = (unsigned short)(flen / sizeof(struct sock_filter)),
					.filter = (struct sock_filter *)(void *)bpf,
				};
				run(index, 'f', &prog, stdin_path, argv);
			}
			free(bpf);
		}
		free(argv);
		index++;
	}
	printf("SPXP END %u\n", index);
	halt();
	return 0;
}
