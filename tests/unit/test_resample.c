/* Crop, resize and z-score against known answers and brute force:
 * - crop/pad: values and the world position of every voxel centre;
 * - bilinear resize of a field that is linear in world coordinates must give,
 *   at every new voxel (away from the clamped edges), that same linear
 *   function of the new voxel's world position (checks weights and the
 *   transform together), and the world-space extent of the slab is kept;
 * - nearest resize of a mask by 2 duplicates pixels;
 * - z-score against a direct two-pass computation; a constant slice -> 0. */
#include "check.h"
#include "resample.h"
#include "slab.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static void world(const double t[12], double i, double j, double k, double w[3])
{
	int r;
	for (r = 0; r < 3; r++)
		w[r] = t[4 * r] * i + t[4 * r + 1] * j + t[4 * r + 2] * k + t[4 * r + 3];
}

static const double T0[12] = {0.9, 0.2, 0.1, -30, -0.15, 1.1, 0.05, 12, 0.1, -0.1, 2.5, 7};

/* A field linear in world coordinates, channel dependent. */
static double field(const double w[3], int c)
{
	return 3.0 * w[0] - 2.0 * w[1] + 0.5 * w[2] + 10 * c + 1;
}

static void fill_linear(struct slab *s)
{
	int x, y, z, c;
	double w[3];
	for (z = 0; z < s->nz; z++)
		for (c = 0; c < s->nc; c++)
			for (y = 0; y < s->ny; y++)
				for (x = 0; x < s->nx; x++) {
					world(s->transform, x, y, z, w);
					slab_set(s, slab_index(s, x, y, c, z), field(w, c));
				}
}

static void test_crop(void)
{
	struct slab a, b;
	int x, y, z, c, sizes[3][2] = {{3, 2}, {7, 6}, {4, 9}}, k;
	CHECK(slab_alloc(&a, "c", 5, 4, 2, 2, SLAB_I16) == 0);
	memcpy(a.transform, T0, sizeof T0);
	for (z = 0; z < 2; z++)
		for (c = 0; c < 2; c++)
			for (y = 0; y < 4; y++)
				for (x = 0; x < 5; x++)
					slab_set(&a, slab_index(&a, x, y, c, z), 1 + x + 10 * y + 100 * c + 1000 * z);
	for (k = 0; k < 3; k++) {
		int w = sizes[k][0], h = sizes[k][1], ok = 1, okw = 1;
		/* brute force: new (i, j) is old (i + (5 - w) div 2, j + (4 - h) div 2) */
		int x0 = (5 - w) >= 0 ? (5 - w) / 2 : -((w - 5 + 1) / 2);
		int y0 = (4 - h) >= 0 ? (4 - h) / 2 : -((h - 4 + 1) / 2);
		CHECK(slab_crop(&a, w, h, &b) == 0);
		CHECK(b.nx == w && b.ny == h && b.nz == 2 && b.nc == 2 && b.type == SLAB_I16);
		for (z = 0; z < 2; z++)
			for (c = 0; c < 2; c++)
				for (y = 0; y < h; y++)
					for (x = 0; x < w; x++) {
						int ox = x + x0, oy = y + y0;
						double want = ox >= 0 && ox < 5 && oy >= 0 && oy < 4 ?
							slab_get(&a, slab_index(&a, ox, oy, c, z)) : 0;
						double w1[3], w2[3];
						if (slab_get(&b, slab_index(&b, x, y, c, z)) != want)
							ok = 0;
						world(b.transform, x, y, z, w1);
						world(a.transform, ox, oy, z, w2);
						if (fabs(w1[0] - w2[0]) + fabs(w1[1] - w2[1]) + fabs(w1[2] - w2[2]) > 1e-9)
							okw = 0;
					}
		CHECK(ok);
		CHECK(okw);
		CHECK(b.spacing[0] == a.spacing[0] && b.spacing[1] == a.spacing[1]);
		slab_free(&b);
	}
	slab_free(&a);
}

static void test_resize_linear(void)
{
	int sizes[4][2] = {{8, 6}, {32, 24}, {5, 9}, {13, 13}}, k;
	struct slab a, b;
	CHECK(slab_alloc(&a, "r", 16, 12, 3, 2, SLAB_F32) == 0);
	memcpy(a.transform, T0, sizeof T0);
	a.spacing[0] = 0.92, a.spacing[1] = 1.11, a.spacing[2] = 2.5;
	fill_linear(&a);
	for (k = 0; k < 4; k++) {
		int w = sizes[k][0], h = sizes[k][1], x, y, z, c, checked = 0, ok = 1;
		double fx = 16.0 / w, fy = 12.0 / h, e1[3], e2[3];
		CHECK(slab_resize(&a, w, h, 0, &b) == 0);
		CHECK(b.nx == w && b.ny == h && b.nz == 3 && b.nc == 2);
		CHECK_NEAR(b.spacing[0], 0.92 * fx, 1e-12);
		CHECK_NEAR(b.spacing[1], 1.11 * fy, 1e-12);
		for (z = 0; z < 3; z++)
			for (c = 0; c < 2; c++)
				for (y = 0; y < h; y++)
					for (x = 0; x < w; x++) {
						double ox = (x + 0.5) * fx - 0.5, oy = (y + 0.5) * fy - 0.5, wp[3];
						if (ox < 0 || ox > 15 || oy < 0 || oy > 11)
							continue; /* clamped at the edge: not linear there */
						world(b.transform, x, y, z, wp);
						if (fabs(((float *)b.data)[slab_index(&b, x, y, c, z)] - field(wp, c)) > 1e-3)
							ok = 0;
						checked++;
					}
		CHECK(ok);
		CHECK(checked > w * h); /* most voxels were checked */
		/* the outer corner of voxel (-0.5, -0.5) and (n - 0.5) stay put */
		world(a.transform, -0.5, -0.5, 0, e1);
		world(b.transform, -0.5, -0.5, 0, e2);
		CHECK_NEAR(e1[0], e2[0], 1e-9);
		CHECK_NEAR(e1[1], e2[1], 1e-9);
		CHECK_NEAR(e1[2], e2[2], 1e-9);
		world(a.transform, 15.5, 11.5, 2, e1);
		world(b.transform, w - 0.5, h - 0.5, 2, e2);
		CHECK_NEAR(e1[0], e2[0], 1e-9);
		CHECK_NEAR(e1[1], e2[1], 1e-9);
		CHECK_NEAR(e1[2], e2[2], 1e-9);
		slab_free(&b);
	}
	/* same size: identity */
	CHECK(slab_resize(&a, 16, 12, 0, &b) == 0);
	CHECK(memcmp(a.data, b.data, slab_bytes(&a)) == 0);
	CHECK(memcmp(a.transform, b.transform, sizeof a.transform) == 0);
	slab_free(&b);
	slab_free(&a);
}

static void test_resize_nearest(void)
{
	struct slab a, b;
	int x, y, ok = 1;
	CHECK(slab_alloc(&a, "m", 3, 2, 1, 1, SLAB_U8) == 0);
	for (x = 0; x < 6; x++)
		((uint8_t *)a.data)[x] = (uint8_t)(x % 2 ? 1 : x == 4 ? 255 : 0);
	CHECK(slab_resize(&a, 6, 4, 1, &b) == 0);
	for (y = 0; y < 4; y++)
		for (x = 0; x < 6; x++)
			if (((uint8_t *)b.data)[y * 6 + x] != ((uint8_t *)a.data)[(y / 2) * 3 + x / 2])
				ok = 0;
	CHECK(ok);
	slab_free(&b);
	/* down by 3 in x: voxel i takes old floor((i + 0.5) * 3) = 3i + 1 */
	slab_free(&a);
	CHECK(slab_alloc(&a, "m", 9, 1, 1, 1, SLAB_U8) == 0);
	for (x = 0; x < 9; x++)
		((uint8_t *)a.data)[x] = (uint8_t)(x * 10);
	CHECK(slab_resize(&a, 3, 1, 1, &b) == 0);
	CHECK(((uint8_t *)b.data)[0] == 10 && ((uint8_t *)b.data)[1] == 40 &&
	      ((uint8_t *)b.data)[2] == 70);
	slab_free(&b);
	slab_free(&a);
}

static void test_zscore(void)
{
	struct slab a, b;
	struct rng r;
	size_t i;
	int z, c, x;
	CHECK(slab_alloc(&a, "z", 7, 5, 3, 2, SLAB_F32) == 0);
	rng_seed(&r, 3);
	for (i = 0; i < slab_count(&a); i++)
		((float *)a.data)[i] = (float)(1000 + 50 * rng_normal(&r));
	/* slice z=1 channel 1 constant */
	for (x = 0; x < 35; x++)
		((float *)a.data)[slab_index(&a, 0, 0, 1, 1) + x] = 0.1f;
	CHECK(slab_alloc_like(&b, &a, 7, 5, 3, 2, SLAB_F32) == 0);
	memcpy(b.data, a.data, slab_bytes(&a));
	CHECK(slab_zscore(&b) == 0);
	for (z = 0; z < 3; z++)
		for (c = 0; c < 2; c++) {
			const float *p = (const float *)a.data + slab_index(&a, 0, 0, c, z);
			const float *q = (const float *)b.data + slab_index(&b, 0, 0, c, z);
			double m = 0, v = 0;
			for (x = 0; x < 35; x++)
				m += p[x];
			m /= 35;
			for (x = 0; x < 35; x++)
				v += (p[x] - m) * (p[x] - m);
			v = sqrt(v / 35);
			for (x = 0; x < 35; x++)
				CHECK_NEAR(q[x], z == 1 && c == 1 ? 0 : (p[x] - m) / v, 1e-4);
		}
	slab_free(&b);
	slab_free(&a);
	CHECK(slab_alloc(&a, "u", 2, 2, 1, 1, SLAB_U8) == 0);
	CHECK(slab_zscore(&a) == -1);
	slab_free(&a);
}

int main(void)
{
	progname = "test_resample";
	test_crop();
	test_resize_linear();
	test_resize_nearest();
	test_zscore();
	return CHECK_DONE();
}
