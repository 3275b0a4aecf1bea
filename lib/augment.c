/* augment.c: flips and rotations by inverse mapping. */
#include "augment.h"

#include <math.h>

void augment_draw(struct augment *a, struct rng *r, double max_deg)
{
	a->flip_x = rng_below(r, 2) == 1;
	a->flip_y = rng_below(r, 2) == 1;
	a->angle = (2 * rng_uniform(r) - 1) * max_deg;
}

void augment_apply(float *oimg, uint8_t *omask, const float *img, const uint8_t *mask, int C,
                   int H, int W, const struct augment *a)
{
	const double pi = 3.14159265358979323846;
	double t = a->angle * pi / 180, cs = cos(t), sn = sin(t);
	double cx = (W - 1) / 2.0, cy = (H - 1) / 2.0;
	size_t hw = (size_t)H * W;
	if (a->angle == 0) /* exact: no rounding of the coordinates */
		cs = 1, sn = 0;
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			/* undo the rotation, then the flips */
			double dx = x - cx, dy = y - cy;
			double sx = cx + cs * dx + sn * dy, sy = cy - sn * dx + cs * dy;
			if (a->flip_x)
				sx = W - 1 - sx;
			if (a->flip_y)
				sy = H - 1 - sy;
			size_t o = (size_t)y * W + x;
			if (omask) {
				long ix = lround(sx), iy = lround(sy);
				omask[o] = ix < 0 || iy < 0 || ix >= W || iy >= H ? 255
				           : mask[(size_t)iy * W + ix];
			}
			double fx = floor(sx), fy = floor(sy), ax = sx - fx, ay = sy - fy;
			long x0 = (long)fx, y0 = (long)fy;
			for (int c = 0; c < C; c++) {
				const float *src = img + c * hw;
				double v = 0;
				for (int j = 0; j < 2; j++)
					for (int i = 0; i < 2; i++) {
						long xx = x0 + i, yy = y0 + j;
						double wgt = (i ? ax : 1 - ax) * (j ? ay : 1 - ay);
						if (wgt != 0 && xx >= 0 && yy >= 0 && xx < W && yy < H)
							v += wgt * src[(size_t)yy * W + xx];
					}
				oimg[c * hw + o] = (float)v;
			}
		}
}
