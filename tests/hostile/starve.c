/*
 * Makes calls the policy refuses once its supervisor has been left
 * without file descriptors: each must still be refused, and the run must
 * not pass for a success.
 *
 *   starve DIR
 *
 * Prints "ready" and waits for a line on stdin: meanwhile the test lowers
 * the supervisor's RLIMIT_NOFILE to {0, 0}, as a payload allowed
 * prlimit64 on the supervisor's process could (the payload cannot name
 * it from inside the pid namespace `run` makes, so the test does it from
 * outside). Then calls socket(AF_INET, SOCK_STREAM, 0) three times (the
 * shipped policy's [base] answers EPERM), printing "socket: ERRNO" or
 * "socket: ran"; then mkdir(DIR), which [base] answers by killing the
 * process, printing "mkdir: ..." if it returns at all; then "done".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void say(const char *what, long r) {
    if (r >= 0)
        printf("%s: ran\n", what);
    else
        printf("%s: %s\n", what, strerrorname_np(errno));
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: starve DIR\n");
        return 2;
    }
    printf("ready\n");
    fflush(stdout);
    char line[16];
    if (read(0, line, sizeof line) <= 0)
        return 3;
    for (int i = 0; i < 3; i++)
        say("socket", socket(AF_INET, SOCK_STREAM, 0));
    say("mkdir", mkdir(argv[1], 0700));
    printf("done\n");
    return 0;
}
