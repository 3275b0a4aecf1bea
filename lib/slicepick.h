/* slicepick.h: pick the slice of a volume to annotate from its image alone.
 *
 * The rule: in channel `c`, the voxels brighter than the volume's mean plus
 * k standard deviations (population sd over the channel's voxels) are the
 * "foreground-like content"; each slice z weighs w(z) = sum over its pixels of
 * max(0, v - (mean + k * sd)); the pick is the weighted centre along z,
 * round(sum z w(z) / sum w(z)) (halves round up). With no voxel above the
 * level (e.g. a constant image), the central slice floor(nz/2). */
#ifndef SL_SLICEPICK_H
#define SL_SLICEPICK_H

#include "slab.h"

/* The picked slice of s (f32, i16 or u8; channel c of s->nc) at level k;
 * *centre (may be NULL) gets the unrounded weighted centre, or -1 when the
 * central slice was taken. Returns z in [0, nz), or -1 with an error when
 * c is out of range or a sample is not finite. */
int slice_pick(const struct slab *s, int c, double k, double *centre);

#endif
