/* dist.c: the two implementations of dist.h. Without SL_MPI (the library's
 * object): one rank, reductions that do nothing. With SL_MPI (the Makefile
 * compiles this file once more with the MPI compiler for
 * bin/unet-train-mpi): MPI_COMM_WORLD. */
#include "dist.h"

#include "util.h"

#include <stdint.h>

void dist_share(size_t n, size_t *lo, size_t *hi)
{
	size_t r = (size_t)dist_rank(), p = (size_t)dist_size();
	*lo = n * r / p;
	*hi = n * (r + 1) / p;
}

/* FNV-1a of n bytes. */
static uint64_t hash_bytes(const void *buf, size_t n)
{
	const unsigned char *b = buf;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

#ifndef SL_MPI

int dist_init(int *argc, char ***argv)
{
	return 0;
}

int dist_finish(int rc)
{
	return rc;
}

int dist_rank(void)
{
	return 0;
}

int dist_size(void)
{
	return 1;
}

const char *dist_kind(void)
{
	return "";
}

int dist_allreduce_sum(float *buf, size_t n)
{
	return 0;
}

int dist_allreduce_sum_d(double *buf, size_t n)
{
	return 0;
}

int dist_differs(const void *buf, size_t n)
{
	(void)hash_bytes;
	return 0;
}

#else /* SL_MPI */

#include <limits.h>
#include <mpi.h>

static int rank, size = 1, started;

int dist_init(int *argc, char ***argv)
{
	/* the thread pool's workers never call MPI: only the main thread does */
	int provided;
	if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
		return error("MPI_Init_thread failed");
	started = 1;
	if (MPI_Comm_rank(MPI_COMM_WORLD, &rank) != MPI_SUCCESS ||
	    MPI_Comm_size(MPI_COMM_WORLD, &size) != MPI_SUCCESS)
		return error("cannot query MPI_COMM_WORLD");
	return 0;
}

int dist_finish(int rc)
{
	if (!started)
		return rc;
	if (rc && size > 1)
		MPI_Abort(MPI_COMM_WORLD, rc);
	MPI_Finalize();
	started = 0;
	return rc;
}

int dist_rank(void)
{
	return rank;
}

int dist_size(void)
{
	return size;
}

const char *dist_kind(void)
{
	return "MPI";
}

/* MPI counts are int: large buffers go in pieces. */
static int allreduce(void *buf, size_t n, size_t esize, MPI_Datatype t)
{
	if (size == 1)
		return 0;
	for (size_t i = 0; i < n; i += INT_MAX / 2) {
		size_t k = n - i < INT_MAX / 2 ? n - i : INT_MAX / 2;
		if (MPI_Allreduce(MPI_IN_PLACE, (char *)buf + i * esize, (int)k, t, MPI_SUM,
		                  MPI_COMM_WORLD) != MPI_SUCCESS)
			return error("MPI_Allreduce failed");
	}
	return 0;
}

int dist_allreduce_sum(float *buf, size_t n)
{
	return allreduce(buf, n, sizeof *buf, MPI_FLOAT);
}

int dist_allreduce_sum_d(double *buf, size_t n)
{
	return allreduce(buf, n, sizeof *buf, MPI_DOUBLE);
}

int dist_differs(const void *buf, size_t n)
{
	if (size == 1)
		return 0;
	unsigned long long h[2], mm[2];
	h[0] = hash_bytes(buf, n);
	h[1] = ~h[0];
	/* the same hash everywhere when max(h) == min(h), i.e. max(h) == ~max(~h) */
	if (MPI_Allreduce(h, mm, 2, MPI_UNSIGNED_LONG_LONG, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS)
		return error("MPI_Allreduce failed");
	return mm[0] != ~mm[1];
}

#endif
