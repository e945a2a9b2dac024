/*
 * A flood of refused calls: THREADS threads each call
 * socket(AF_INET, SOCK_STREAM, 0), which the shipped policy's [base]
 * answers with EPERM, CALLS times, or until SECONDS have passed. Prints
 * "calls N refused M": the calls made, and how many failed with EPERM.
 *
 *   flood THREADS CALLS SECONDS
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long calls_each;
static struct timespec deadline;
static atomic_long made, refused;

static int past_deadline(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > deadline.tv_sec ||
           (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

static void *work(void *unused) {
    (void)unused;
    for (long i = 0; i < calls_each && !past_deadline(); i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        atomic_fetch_add(&made, 1);
        if (fd >= 0)
            close(fd);
        else if (errno == EPERM)
            atomic_fetch_add(&refused, 1);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: flood THREADS CALLS SECONDS\n");
        return 2;
    }
    int threads = atoi(argv[1]);
    calls_each = atol(argv[2]);
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += atol(argv[3]);
    pthread_t t[1024];
    if (threads < 1 || threads > 1024)
        return 2;
    for (int i = 0; i < threads; i++)
        if (pthread_create(&t[i], NULL, work, NULL) != 0) {
            perror("pthread_create");
            return 3;
        }
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    printf("calls %ld refused %ld\n", atomic_load(&made), atomic_load(&refused));
    return 0;
}
