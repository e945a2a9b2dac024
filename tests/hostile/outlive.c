/* A hostile payload: leave processes running that outlive the sandbox.
 *
 * usage: outlive WAY
 *   daemon      fork, setsid, fork again: a daemon in a session of its own,
 *               its parent gone (needs setsid: learn mode only)
 *   setpgid     a child in a process group of its own (CODE_EXEC)
 *   nodeathsig  clear the parent-death signal (refused by the shipped
 *               policy: it goes on all the same), then wait to be orphaned
 *   tree        a child and a grandchild, all waiting (CODE_EXEC)
 *
 * Every process left behind closes its standard streams (so pipes to the
 * sandbox see their end) and sleeps for a minute. Once all are in place it
 * prints `started`; then `daemon` and `setpgid` exit 0, the others sleep
 * too. Any failed step prints `WAY: STEP: ERRNO` and exits 3.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *way;

static void failed(const char *step) {
    printf("%s: %s: %s\n", way, step, strerrorname_np(errno));
    fflush(stdout);
    _exit(3);
}

/* A process left behind: tell the top one it is in place, then linger. */
static void linger(int ready) {
    if (write(ready, "x", 1) != 1) failed("write");
    close(ready);
    close(0);
    close(1);
    close(2);
    sleep(60);
    _exit(0);
}

/* In the top process: wait until one process left behind is in place. */
static void wait_ready(int ready) {
    char c;
    if (read(ready, &c, 1) != 1) failed("read");
}

static void started(void) {
    printf("started\n");
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    way = argv[1];
    int p[2];
    if (pipe(p) != 0) failed("pipe");
    if (strcmp(way, "daemon") == 0) {
        pid_t child = fork();
        if (child < 0) failed("fork");
        if (child == 0) {
            if (setsid() < 0) failed("setsid");
            pid_t grandchild = fork();
            if (grandchild < 0) failed("fork");
            if (grandchild == 0) linger(p[1]);
            _exit(0);
        }
        waitpid(child, NULL, 0);
        wait_ready(p[0]);
        started();
        return 0;
    }
    if (strcmp(way, "setpgid") == 0) {
        pid_t child = fork();
        if (child < 0) failed("fork");
        if (child == 0) {
            if (setpgid(0, 0) != 0) failed("setpgid");
            linger(p[1]);
        }
        wait_ready(p[0]);
        started();
        return 0;
    }
    if (strcmp(way, "nodeathsig") == 0) {
        /* The shipped policy refuses this with EPERM; the payload goes on
         * as if it had worked, so the test still shows that the pid
         * namespace, not the refusal, ends it. */
        if (prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) != 0) {
            if (errno != EPERM) failed("prctl");
            fprintf(stderr, "nodeathsig: prctl refused with EPERM; going on\n");
        }
        started();
        sleep(60);
        return 0;
    }
    if (strcmp(way, "tree") == 0) {
        pid_t child = fork();
        if (child < 0) failed("fork");
        if (child == 0) {
            pid_t grandchild = fork();
            if (grandchild < 0) failed("fork");
            if (grandchild == 0) linger(p[1]);
            linger(p[1]);
        }
        wait_ready(p[0]);
        wait_ready(p[0]);
        started();
        sleep(60);
        return 0;
    }
    return 2;
}
