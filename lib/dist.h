/* dist.h: data-parallel training over processes (MPI ranks).
 *
 * The one home of the distribution concept. Two implementations share
 * this interface (lib/dist.c): the plain one, in libselflabel.a, is one
 * rank whose reductions do nothing; the MPI one (dist.c compiled with
 * -DSL_MPI, linked before the library into bin/unet-train-mpi only) runs
 * over MPI_COMM_WORLD. Every rank calls the same functions in the same
 * order with the same sizes (collective calls). */
#ifndef SL_DIST_H
#define SL_DIST_H

#include <stddef.h>

/* Start (MPI_Init; the plain one does nothing). Called by main before
 * anything else; 0 or -1. */
int dist_init(int *argc, char ***argv);
/* End with exit status rc, which it returns: MPI_Finalize when rc is 0,
 * or on a single rank; otherwise MPI_Abort, so the other ranks, which may
 * be waiting in a reduction, end too. Only main calls it. */
int dist_finish(int rc);

/* This process's rank (0..dist_size()-1) and the number of ranks. */
int dist_rank(void);
int dist_size(void);
/* "MPI" in the MPI build, "" in the plain one. */
const char *dist_kind(void);

/* Element-wise sums over the ranks, in place (identical on every rank;
 * with one rank the buffer is untouched). 0 or -1 (an MPI failure). */
int dist_allreduce_sum(float *buf, size_t n);
int dist_allreduce_sum_d(double *buf, size_t n);
/* 0 when buf's n bytes are the same on every rank, 1 when they differ
 * (compared by a 64-bit hash), -1 on an MPI failure. */
int dist_differs(const void *buf, size_t n);

/* The share [*lo, *hi) of items 0..n-1 of this rank: contiguous, in
 * rank order, sizes differing by at most one (may be empty). */
void dist_share(size_t n, size_t *lo, size_t *hi);

#endif
