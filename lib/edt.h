/* edt.h: exact Euclidean distance transform with anisotropic voxel spacing.
 *
 * The separable algorithm of Felzenszwalb and Huttenlocher ("Distance
 * transforms of sampled functions", 2012): one pass per axis, each the lower
 * envelope of parabolas along a line, so the cost is linear in the number of
 * voxels. Distances are in millimetres (squared where the name says so);
 * axis a is weighted by spacing[a]. Grids are x fastest, then y, then z. */
#ifndef SL_EDT_H
#define SL_EDT_H

#include <stddef.h>
#include <stdint.h>

/* The 1-D squared transform of a sampled function:
 *     d[i] = min_j ( f[j] + w * (i - j)^2 ),  0 <= i, j < n,
 * where f[j] may be INFINITY (no parabola at j). All d are INFINITY when
 * every f is. `v` (n ints) and `z` (n + 1 doubles) are work space; d and f
 * may not overlap. Cannot fail. */
void edt_1d(double *d, const double *f, int n, double w, int *v, double *z);

/* Squared distance (mm^2) from every voxel of an nx*ny*nz grid to the
 * nearest voxel with seed[i] != 0, into out (nx*ny*nz floats); INFINITY
 * everywhere when there is no seed. Returns 0, or -1 when out of memory
 * (message printed). */
int edt_sq(float *out, const uint8_t *seed, int nx, int ny, int nz, const double spacing[3]);

/* The same distances, only at nq query voxels given by their linear indices
 * (any order, repeats allowed): dq[k] = squared distance (mm^2) at query[k].
 * Skips the work no query needs, so it is much faster than edt_sq when
 * queries are sparse (surfaces): after pass 1, a query whose nearest seed is
 * settled within a few lines around it (outward search, stopped when no
 * farther line can be nearer) needs nothing more; only the x columns the
 * other queries lie in get pass 2, and pass 3 runs only at those queries.
 * `work` is nx*ny*nz floats of scratch, or NULL to allocate it. Returns 0,
 * or -1 when out of memory. */
int edt_sq_query(double *dq, const size_t *query, size_t nq, const uint8_t *seed, int nx,
                 int ny, int nz, const double spacing[3], float *work);

/* How many queries of the last edt_sq_query call took passes 2 and 3 (for
 * tests and benchmarks). */
extern size_t edt_query_full;

#endif
