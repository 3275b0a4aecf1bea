/* augment.h: random flips and rotations of one training slice. */
#ifndef SL_AUGMENT_H
#define SL_AUGMENT_H

#include "util.h"

#include <stdint.h>

/* One geometric transform: output(p) = input(T^-1 p). */
struct augment {
	int flip_x, flip_y; /* mirror left-right, top-bottom (applied first) */
	double angle;       /* then rotate by this many degrees about the centre */
};

/* Draw a transform: each flip with probability 1/2, angle uniform in
 * [-max_deg, max_deg]. Cannot fail. */
void augment_draw(struct augment *a, struct rng *r, double max_deg);

/* Apply a transform to an image [C][H][W] (bilinear, 0 outside the source)
 * and its mask [H][W] (nearest; 255 outside the source, and 255 stays 255)
 * into separate output buffers of the same sizes. mask/omask may be NULL.
 * Cannot fail. */
void augment_apply(float *oimg, uint8_t *omask, const float *img, const uint8_t *mask, int C,
                   int H, int W, const struct augment *a);

#endif
