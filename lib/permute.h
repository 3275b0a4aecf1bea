/* permute.h: reorder a slab's axes (to slice a volume along another plane)
 * and pad or crop it, keeping every voxel's world position.
 *
 * ORDER is a permutation of "xyz" naming the old axis that becomes the new
 * x, y and z: "xzy" slices a volume into x-z planes (coronal for an axial
 * stack), "zyx" into z-y planes (sagittal). Both are their own inverse. */
#ifndef SL_PERMUTE_H
#define SL_PERMUTE_H

#include "slab.h"

/* Parse ORDER into perm[new axis] = old axis (0 x, 1 y, 2 z). 0, or -1 with
 * an error naming the string. */
int permute_parse(const char *order, int perm[3]);

/* dst = src with its axes permuted by perm, then each new axis a padded
 * after its end or cropped to dims[a] (dims[a] <= 0: unchanged). Padding is
 * 255 in u8 slabs (unlabelled), 0 otherwise, but 1 in channel 0 of a
 * multi-channel slab with a CLASSES key (probabilities: certain background). Spacing and the transform
 * follow the axes; the SLICES key is kept only when z keeps its axis and
 * size. Channels are kept. Returns 0 or -1 (out of memory). */
int slab_permute(struct slab *dst, const struct slab *src, const int perm[3], const int dims[3]);

#endif
