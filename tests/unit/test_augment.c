/* Augmentation: flips and quarter turns are exact permutations, masks keep
 * only 0/1/255 with 255 outside the source, images interpolate bilinearly;
 * and the slice weights. */
#include "augment.h"
#include "check.h"
#include "train.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int main(void)
{
	progname = "test_augment";
	enum { C = 2, H = 12, W = 12 };
	float img[C * H * W], out[C * H * W], back[C * H * W];
	uint8_t mask[H * W], om[H * W], bm[H * W];
	struct rng r;
	rng_seed(&r, 4);
	for (int i = 0; i < C * H * W; i++)
		img[i] = (float)rng_normal(&r);
	for (int i = 0; i < H * W; i++)
		mask[i] = i % 11 == 0 ? 255 : img[i] > 0;

	struct augment id = {0, 0, 0}, fx = {1, 0, 0}, fy = {0, 1, 0}, q = {0, 0, 90}, mq = {0, 0, -90};
	augment_apply(out, om, img, mask, C, H, W, &id);
	CHECK(memcmp(out, img, sizeof img) == 0 && memcmp(om, mask, sizeof mask) == 0);
	augment_apply(out, om, img, mask, C, H, W, &fx);
	int bad = 0;
	for (int c = 0; c < C; c++)
		for (int y = 0; y < H; y++)
			for (int x = 0; x < W; x++) {
				bad += out[(c * H + y) * W + x] != img[(c * H + y) * W + W - 1 - x];
				bad += c == 0 && om[y * W + x] != mask[y * W + W - 1 - x];
			}
	augment_apply(out, om, img, mask, C, H, W, &fy);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			bad += out[y * W + x] != img[(H - 1 - y) * W + x] || om[y * W + x] != mask[(H - 1 - y) * W + x];
	CHECK(bad == 0);
	/* a quarter turn of a square is a permutation (transpose + flip), and
	 * turning back restores the slice */
	augment_apply(out, om, img, mask, C, H, W, &q);
	double e = 0;
	int perm_x = 0, perm_y = 0;
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			/* one of the two quarter-turn permutations, whichever direction */
			perm_x += fabsf(out[y * W + x] - img[x * W + (W - 1 - y)]) < 1e-5;
			perm_y += fabsf(out[y * W + x] - img[(H - 1 - x) * W + y]) < 1e-5;
		}
	printf("quarter turn: %d / %d pixels match one permutation, %d the other\n", perm_x, H * W, perm_y);
	CHECK(perm_x == H * W || perm_y == H * W);
	augment_apply(back, bm, out, om, C, H, W, &mq);
	for (int i = 0; i < C * H * W; i++)
		e = fmax(e, fabs(back[i] - img[i]));
	CHECK(e < 1e-5 && memcmp(bm, mask, sizeof mask) == 0);

	/* 45 degrees on a non-square slice: masks hold only 0, 1 and 255, the
	 * corners (outside the source) are 255, unlabelled pixels stay 255 */
	enum { H2 = 16, W2 = 32 };
	float i2[H2 * W2], o2[H2 * W2];
	uint8_t m2[H2 * W2], n2[H2 * W2];
	for (int i = 0; i < H2 * W2; i++)
		i2[i] = 3.0f, m2[i] = (i / W2) % 4 == 0 ? 255 : (i % W2) < 16;
	struct augment a45 = {1, 1, 45};
	augment_apply(o2, n2, i2, m2, 1, H2, W2, &a45);
	int other = 0, c255 = 0, inner_bad = 0;
	for (int i = 0; i < H2 * W2; i++) {
		other += n2[i] > 1 && n2[i] != 255;
		c255 += n2[i] == 255;
	}
	/* interior pixels whose four neighbours are inside: exactly 3 (constant image) */
	for (int y = 6; y < 10; y++)
		for (int x = 14; x < 18; x++)
			inner_bad += fabsf(o2[y * W2 + x] - 3.0f) > 1e-5;
	printf("45 degrees: %d masked pixels of %d are 255\n", c255, H2 * W2);
	CHECK(other == 0 && n2[0] == 255 && n2[W2 - 1] == 255 && n2[H2 * W2 - 1] == 255);
	CHECK(inner_bad == 0);
	CHECK(o2[0] < 3.0f); /* outside the source the image is 0, blended in */
	for (int i = 0; i < H2 * W2; i++)
		CHECK(o2[i] >= 0 && o2[i] <= 3.0f + 1e-5);

	/* draws: angles within range, both flips used */
	int flips = 0, ok = 1;
	for (int i = 0; i < 1000; i++) {
		struct augment a;
		augment_draw(&a, &r, 30);
		ok &= a.angle >= -30 && a.angle <= 30;
		flips += a.flip_x + a.flip_y;
	}
	CHECK(ok && flips > 900 && flips < 1100);

	/* slice weights: uniform 1, Gaussian 1 at the centre falling off, stepwise */
	CHECK(slice_weight(WEIGHT_UNIFORM, 0) == 1 && slice_weight(WEIGHT_UNIFORM, 0.7) == 1);
	CHECK_NEAR(slice_weight(WEIGHT_GAUSSIAN, 0.5), 1, 1e-12);
	CHECK_NEAR(slice_weight(WEIGHT_GAUSSIAN, 0.7), exp(-0.5), 1e-12);
	CHECK_NEAR(slice_weight(WEIGHT_GAUSSIAN, 0.1), exp(-2), 1e-12);
	CHECK(slice_weight(WEIGHT_STEPWISE, 0.5) == 1 && slice_weight(WEIGHT_STEPWISE, 0.6) == 1);
	CHECK(slice_weight(WEIGHT_STEPWISE, 0.25) == 0.5 && slice_weight(WEIGHT_STEPWISE, 0.8) == 0.5);
	CHECK(slice_weight(WEIGHT_STEPWISE, 0) == 0.25 && slice_weight(WEIGHT_STEPWISE, 1) == 0.25);
	return CHECK_DONE();
}
