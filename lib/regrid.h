/* regrid.h: a volume resampled onto another voxel grid through both grids'
 * voxel-to-world transforms (a result put back onto the scan it came from).
 *
 * A grid is its dims and its 3x4 row-major transform T (world = T * (i j k 1),
 * as a slab's TRANSFORM). For each voxel (i, j, k) of the target grid, the
 * source's continuous index is p = inverse(T_src) * T_dst * (i, j, k, 1).
 * A coordinate within 1e-6 of a whole number is taken as that number, so a
 * grid that differs by whole voxels (a crop) or matches along z samples the
 * source exactly there (trilinear is then bilinear in-plane, or a copy).
 *
 * The source covers its voxels' extent, [-0.5, n - 0.5) along each axis of
 * n voxels: a target voxel whose p lies outside it along any axis is 0.
 * Inside, nearest takes the voxel floor(p + 0.5); linear (trilinear) clamps
 * p to [0, n - 1] (the edge half-voxel repeats the edge value, as
 * resample.h's bilinear resize does) and interpolates between the 8
 * neighbours. Nearest and linear thus have the same support. */
#ifndef SL_REGRID_H
#define SL_REGRID_H

#include "slab.h"

enum regrid_interp { REGRID_NEAREST = 0, REGRID_LINEAR = 1 };

/* The inverse of an affine 3x4 matrix (as 4x4 with last row 0 0 0 1).
 * 0, or -1 with a message when it is singular or not finite. */
int affine_invert(const double t[12], double inv[12]);

/* out = a * b (3x4 affines composed as 4x4). out may alias a or b. */
void affine_mul(const double a[12], const double b[12], double out[12]);

/* out = t * (x, y, z, 1). */
void affine_apply(const double t[12], double x, double y, double z, double out[3]);

/* The value of channel c of `in` at the continuous index p (as above:
 * outside -> 0; integer types read as their values). Cannot fail. */
double regrid_sample(const struct slab *in, int c, const double p[3], enum regrid_interp how);

/* Resample every channel of `in` onto the grid (nx, ny, nz, transform t):
 * `out` (allocated) has in's type, channels and name, those dims, TRANSFORM
 * t and SPACING the lengths of t's columns; no extra header lines. Integer
 * types with linear interpolation are rounded and clamped to their range.
 * 0, or -1 with a message (a singular source transform, bad dims, out of
 * memory). */
int slab_regrid(const struct slab *in, int nx, int ny, int nz, const double t[12],
                enum regrid_interp how, struct slab *out);

#endif
