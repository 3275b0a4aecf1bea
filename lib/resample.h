/* resample.h: in-plane crop and resize of slabs, per-slice z-scores.
 *
 * Crop and resize act on x and y only (every z-slice and channel alike)
 * and keep the voxel-to-world transform exact: after them, TRANSFORM maps
 * each new voxel centre to the world position it was sampled from, and
 * SPACING is updated to match. */
#ifndef SL_RESAMPLE_H
#define SL_RESAMPLE_H

#include "slab.h"

/* Central crop (or zero padding, where w or h exceeds the slab) to w x h:
 * the new voxel (i, j) is the old (i + x0, j + y0) with
 * x0 = floor((nx - w) / 2), y0 = floor((ny - h) / 2). Any type. `out` is
 * allocated. Returns 0 or -1 (bad size, out of memory). */
int slab_crop(const struct slab *in, int w, int h, struct slab *out);

/* The old voxel (x0, y0) that slab_crop puts at new (0, 0) for a crop of an
 * nx x ny slab to w x h (negative where it pads). Cannot fail. */
void crop_origin(int nx, int ny, int w, int h, int *x0, int *y0);

/* Resize to w x h. Voxel centres are aligned at half-pixel positions: the
 * new voxel i samples the old continuous coordinate
 * x = (i + 0.5) * nx / w - 0.5 (clamped to the slab's edge). Bilinear
 * interpolation unless `nearest` (then the old voxel floor((i + 0.5) * nx / w),
 * for masks). Integer types are rounded. Returns 0 or -1. */
int slab_resize(const struct slab *in, int w, int h, int nearest, struct slab *out);

/* The transform update of slab_crop / slab_resize on their own: shift the
 * origin to old voxel (x0, y0); scale the first two axes by fx = nx / w,
 * fy = ny / h with half-pixel alignment. Cannot fail. */
void transform_crop(double t[12], int x0, int y0);
void transform_resize(double t[12], double fx, double fy);

/* Standardise an f32 slab in place: each z-slice of each channel gets mean
 * 0 and standard deviation 1 (population sd); a constant slice becomes all
 * zeros. Returns 0, or -1 if the slab is not f32. */
int slab_zscore(struct slab *s);

#endif
