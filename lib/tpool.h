/* tpool.h: a fixed pool of worker threads that run one function at a time.
 *
 * tpool_run(fn, arg) calls fn(arg, t) for t = 0..tpool_size()-1, t = 0 on
 * the calling thread, and returns when all are done. Workers sleep while
 * idle. The size is chosen once: OPENBLAS_NUM_THREADS (or OpenBLAS's own
 * default), and OpenBLAS itself is then told to use one thread, since the
 * pool's threads call it side by side. */
#ifndef SL_TPOOL_H
#define SL_TPOOL_H

/* Start the pool (once; later calls return the size it has). n <= 0: the
 * OpenBLAS thread count. Returns the number of threads (>= 1; 1 when
 * threads cannot be created). Cannot fail. */
int tpool_start(int n);
/* The number of threads (starts the pool with the default if needed). */
int tpool_size(void);
/* Run fn(arg, t) on every thread and wait. */
void tpool_run(void (*fn)(void *arg, int t), void *arg);

#endif
