/* PNG files and plane rendering: PNG round trips through libpng, the
 * percentile window against sorting, plane orientation against the voxel
 * formula, and contours against a brute-force definition at several scales. */
#include "check.h"
#include "pngio.h"
#include "render.h"
#include "slab.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

int main(void)
{
	char dir[] = "/tmp/test_render.XXXXXX", path[256];
	uint8_t pix[2 * 3 * 3], *back;
	int w, h, c;
	struct slab s, m;
	struct rng g;

	progname = "test_render";
	if (!mkdtemp(dir))
		return 77;

	/* PNG round trips, gray and RGB */
	for (int i = 0; i < (int)sizeof pix; i++)
		pix[i] = (uint8_t)(i * 37 + 5);
	for (c = 1; c <= 3; c += 2) {
		int want = c;
		snprintf(path, sizeof path, "%s/a%d.png", dir, c);
		CHECK(pngio_write(path, pix, 3, 2, c) == 0);
		back = NULL;
		CHECK(pngio_read(path, &back, &w, &h, &want) == 0);
		CHECK(w == 3 && h == 2);
		CHECK(back && !memcmp(back, pix, (size_t)3 * 2 * c));
		free(back);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/no/such/dir/a.png", dir);
	CHECK(pngio_write(path, pix, 3, 2, 1) == -1);
	CHECK(pngio_write("/dev/null", pix, 0, 2, 1) == -1);
	c = 1;
	CHECK(pngio_read(path, &back, &w, &h, &c) == -1);

	/* percentile window: rank round(p/100*(n-1)) of the sorted samples */
	rng_seed(&g, 5);
	CHECK(slab_alloc(&s, "w", 7, 5, 3, 2, SLAB_F32) == 0);
	for (size_t i = 0; i < slab_count(&s); i++)
		slab_set(&s, i, rng_normal(&g));
	for (int ch = 0; ch < 2; ch++) {
		int n = 7 * 5 * 3, k = 0;
		float *a = malloc(n * sizeof *a);
		double lo, hi;
		for (int z = 0; z < 3; z++)
			for (int y = 0; y < 5; y++)
				for (int x = 0; x < 7; x++)
					a[k++] = (float)slab_get(&s, slab_index(&s, x, y, ch, z));
		qsort(a, n, sizeof *a, cmp_float);
		CHECK(render_window(&s, ch, &lo, &hi) == 0);
		CHECK(lo == a[1] && hi == a[103]); /* round(0.01*104) = 1, round(0.99*104) = 103 */
		free(a);
	}
	slab_free(&s);
	/* mostly constant: percentiles equal, so min..max */
	CHECK(slab_alloc(&s, "c", 10, 10, 1, 1, SLAB_I16) == 0);
	slab_set(&s, 17, -40);
	slab_set(&s, 3, 9);
	{
		double lo, hi;
		CHECK(render_window(&s, 0, &lo, &hi) == 0);
		CHECK(lo == -40 && hi == 9);
	}
	slab_free(&s);

	/* orientation: value 100*z + 10*y + x, window 0..255 */
	CHECK(slab_alloc(&s, "o", 3, 2, 2, 1, SLAB_F32) == 0);
	for (int z = 0; z < 2; z++)
		for (int y = 0; y < 2; y++)
			for (int x = 0; x < 3; x++)
				slab_set(&s, slab_index(&s, x, y, 0, z), 100 * z + 10 * y + x);
	{
		struct render r = {&s, 0, 0, 255, {NULL, NULL}, 1, {0, 0}};
		uint8_t cv[64];
		int ok = 1;
		render_plane(&r, VIEW_AXIAL, 1, cv, 3, 1, 0, 0);
		for (int v = 0; v < 2; v++)
			for (int u = 0; u < 3; u++)
				ok &= cv[v * 3 + u] == 100 + 10 * v + u;
		render_plane(&r, VIEW_CORONAL, 1, cv, 3, 1, 0, 0); /* y = 1, z upward */
		for (int v = 0; v < 2; v++)
			for (int u = 0; u < 3; u++)
				ok &= cv[v * 3 + u] == 100 * (1 - v) + 10 + u;
		render_plane(&r, VIEW_SAGITTAL, 2, cv, 2, 1, 0, 0); /* x = 2: u = y */
		for (int v = 0; v < 2; v++)
			for (int u = 0; u < 2; u++)
				ok &= cv[v * 2 + u] == 100 * (1 - v) + 10 * u + 2;
		CHECK(ok);
	}
	slab_free(&s);

	/* contours on random masks, at scales 1..3, against brute force */
	CHECK(slab_alloc(&s, "i", 9, 7, 4, 1, SLAB_U8) == 0);
	CHECK(slab_alloc(&m, "m", 9, 7, 4, 1, SLAB_U8) == 0);
	for (size_t i = 0; i < slab_count(&m); i++) {
		static const uint8_t vals[] = {0, 1, 1, 1, 255, 2};
		slab_set(&m, i, vals[rng_below(&g, 6)]);
		slab_set(&s, i, (double)rng_below(&g, 256));
	}
	for (int sc = 1; sc <= 3; sc++)
		for (int a = 0; a < 3; a++) {
			enum view_axis ax = (enum view_axis)a;
			struct render r = {&s, 0, 0, 255, {&m, NULL}, sc, {0, 0}};
			int pw, ph, k = 1, bad = 0;
			uint8_t *cv;
			view_plane_size(&s, ax, &pw, &ph);
			pw *= sc, ph *= sc;
			cv = calloc((size_t)pw * ph * 3, 1);
			render_plane(&r, ax, k, cv, pw, 3, 0, 0);
			for (int V = 0; V < ph; V++)
				for (int U = 0; U < pw; U++) {
					/* brute force: the voxel behind each of 5 scaled pixels */
					int f[5], du[5] = {0, -1, 1, 0, 0}, dv[5] = {0, 0, 0, -1, 1}, edge;
					for (int d = 0; d < 5; d++) {
						int uu = U + du[d], vv = V + dv[d], x, y, z, val;
						if (uu < 0 || vv < 0 || uu >= pw || vv >= ph) {
							f[d] = 0;
							continue;
						}
						uu /= sc, vv /= sc;
						x = ax == VIEW_SAGITTAL ? k : uu;
						y = ax == VIEW_AXIAL ? vv : ax == VIEW_CORONAL ? k : uu;
						z = ax == VIEW_AXIAL ? k : 3 - vv;
						val = (int)slab_get(&m, slab_index(&m, x, y, 0, z));
						f[d] = val != 0 && val != 255;
					}
					edge = f[0] && !(f[1] && f[2] && f[3] && f[4]);
					const uint8_t *px = cv + ((size_t)V * pw + U) * 3;
					if (edge)
						bad += !(px[0] == 255 && px[1] == 0 && px[2] == 0);
					else
						bad += !(px[0] == px[1] && px[1] == px[2]);
				}
			CHECK(bad == 0);
			free(cv);
		}
	slab_free(&s);
	slab_free(&m);
	rmdir(dir);
	return CHECK_DONE();
}
