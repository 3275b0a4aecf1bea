/* source.h: the grid a slab was converted from, the SOURCE_DIMS and
 * SOURCE_TRANSFORM header keys (formats/slab.md, "The SOURCE keys").
 *
 * msd2slab records on every slab it writes the source NIfTI grid's dims
 * and its voxel-to-world transform, i.e. the slab's DIMS (x, y, z) and
 * TRANSFORM before any crop or resize, so a result can be put back onto
 * the scan's own grid. Tools that pass a slab on keep them unchanged. */
#ifndef SL_SOURCE_H
#define SL_SOURCE_H

#include "slab.h"

#define SOURCE_DIMS_KEY "SOURCE_DIMS"
#define SOURCE_TRANSFORM_KEY "SOURCE_TRANSFORM"

/* The source grid: dims nx ny nz and the 3x4 transform, row-major. */
struct source_grid {
	int dims[3];
	double transform[12];
};

/* Record s's current dims and transform as its source grid (sets both keys,
 * numbers written exactly as TRANSFORM is). 0 or -1 (out of memory). */
int source_set(struct slab *s);

/* Read the source grid of s. Returns 1, 0 when s has neither key, or -1
 * with an error "src: bad SOURCE_DIMS ..." (a key without the other, not
 * three whole numbers 1..1000000, not twelve finite numbers). */
int source_get(const struct slab *s, struct source_grid *g, const char *src);

#endif
