/* Distance transform: edt_1d, edt_sq and edt_sq_query against brute force
 * on small random volumes with anisotropic spacing, empty and full seeds. */
#include "check.h"
#include "edt.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>

/* min over seeds of the squared distance in mm, INFINITY without seeds */
static double brute(const uint8_t *seed, int nx, int ny, int nz, const double sp[3], int x,
                    int y, int z)
{
	double best = INFINITY;
	int i, j, k;
	for (k = 0; k < nz; k++)
		for (j = 0; j < ny; j++)
			for (i = 0; i < nx; i++)
				if (seed[((size_t)k * ny + j) * nx + i]) {
					double dx = (i - x) * sp[0], dy = (j - y) * sp[1], dz = (k - z) * sp[2];
					double d = dx * dx + dy * dy + dz * dz;
					if (d < best)
						best = d;
				}
	return best;
}

static int same(double a, double b)
{
	if (isinf(a) || isinf(b))
		return isinf(a) && isinf(b);
	return fabs(a - b) <= 1e-6 * (1 + fabs(b));
}

int main(void)
{
	struct rng r;
	int trial, bad = 0, bad_q = 0, n1 = 0;
	progname = "test_edt";
	rng_seed(&r, 12345);

	/* 1-D: random functions with some infinite samples */
	for (trial = 0; trial < 2000; trial++) {
		int n = 1 + (int)rng_below(&r, 40), i, j;
		double f[40], d[40], z[41], w = 0.1 + 5 * rng_uniform(&r);
		int v[40];
		for (i = 0; i < n; i++)
			f[i] = rng_uniform(&r) < 0.3 ? INFINITY : 50 * rng_uniform(&r);
		if (trial % 7 == 0)
			for (i = 0; i < n; i++)
				f[i] = INFINITY;
		if (trial % 11 == 0)
			for (i = 0; i < n; i++)
				f[i] = (double)(i % 3); /* ties */
		edt_1d(d, f, n, w, v, z);
		for (i = 0; i < n; i++) {
			double b = INFINITY;
			for (j = 0; j < n; j++)
				if (f[j] + w * (i - j) * (i - j) < b)
					b = f[j] + w * (i - j) * (i - j);
			if (!same(d[i], b))
				n1++;
		}
	}
	CHECK(n1 == 0);

	/* 3-D: random dims 1..10, spacing 0.2..4 mm per axis, seed density 0..1 */
	for (trial = 0; trial < 400; trial++) {
		int nx = 1 + (int)rng_below(&r, 10), ny = 1 + (int)rng_below(&r, 10);
		int nz = 1 + (int)rng_below(&r, 10), x, y, z;
		double sp[3], p;
		size_t n = (size_t)nx * ny * nz, i, nq;
		uint8_t *seed = malloc(n);
		float *out = malloc(sizeof *out * n);
		size_t *q = malloc(sizeof *q * 2 * n);
		double *dq = malloc(sizeof *dq * 2 * n);
		for (i = 0; i < 3; i++)
			sp[i] = 0.2 + 3.8 * rng_uniform(&r);
		if (trial % 5 == 0)
			sp[0] = sp[1] = sp[2] = 1;
		p = trial % 9 == 0 ? 0 : trial % 13 == 0 ? 1 : rng_uniform(&r) * rng_uniform(&r);
		for (i = 0; i < n; i++)
			seed[i] = rng_uniform(&r) < p;
		if (trial % 17 == 0) { /* a single seed */
			memset(seed, 0, n);
			seed[rng_below(&r, n)] = 1;
		}
		CHECK(edt_sq(out, seed, nx, ny, nz, sp) == 0);
		for (z = 0; z < nz; z++)
			for (y = 0; y < ny; y++)
				for (x = 0; x < nx; x++) {
					double b = brute(seed, nx, ny, nz, sp, x, y, z);
					if (!same(out[((size_t)z * ny + y) * nx + x], b)) {
						if (bad++ < 5)
							fprintf(stderr, "edt_sq %dx%dx%d at %d,%d,%d: %g, brute %g\n",
							        nx, ny, nz, x, y, z,
							        out[((size_t)z * ny + y) * nx + x], b);
					}
				}
		/* queries in random order, with repeats */
		nq = rng_below(&r, 2 * n + 1);
		for (i = 0; i < nq; i++)
			q[i] = rng_below(&r, n);
		CHECK(edt_sq_query(dq, q, nq, seed, nx, ny, nz, sp, trial % 2 ? out : NULL) == 0);
		for (i = 0; i < nq; i++) {
			size_t k = q[i];
			x = k % nx, y = (k / nx) % ny, z = k / ((size_t)nx * ny);
			if (!same(dq[i], brute(seed, nx, ny, nz, sp, x, y, z)))
				bad_q++;
		}
		free(seed), free(out), free(q), free(dq);
	}
	CHECK(bad == 0);
	CHECK(bad_q == 0);

	/* larger grids with few seeds, so that some queries are settled near
	 * themselves and others need the full passes */
	{
		size_t full = 0, near = 0;
		bad_q = 0;
		for (trial = 0; trial < 60; trial++) {
			int nx = 10 + (int)rng_below(&r, 30), ny = 10 + (int)rng_below(&r, 30);
			int nz = 10 + (int)rng_below(&r, 30), x, y, z, k;
			double sp[3];
			size_t n = (size_t)nx * ny * nz, i, nq = 300;
			uint8_t *seed = calloc(n, 1);
			size_t *q = malloc(sizeof *q * nq);
			double *dq = malloc(sizeof *dq * nq);
			for (i = 0; i < 3; i++)
				sp[i] = trial % 3 == 0 ? 1 : 0.3 + 3 * rng_uniform(&r);
			for (k = 1 + (int)rng_below(&r, 20); k > 0; k--)
				seed[rng_below(&r, n)] = 1;
			for (i = 0; i < nq; i++)
				q[i] = rng_below(&r, n);
			CHECK(edt_sq_query(dq, q, nq, seed, nx, ny, nz, sp, NULL) == 0);
			full += edt_query_full, near += nq - edt_query_full;
			for (i = 0; i < nq; i++) {
				x = q[i] % nx, y = (q[i] / nx) % ny, z = q[i] / ((size_t)nx * ny);
				if (!same(dq[i], brute(seed, nx, ny, nz, sp, x, y, z)))
					bad_q++;
			}
			free(seed), free(q), free(dq);
		}
		CHECK(bad_q == 0);
		CHECK(full > 1000 && near > 1000); /* both paths taken */
		printf("queries: %zu settled near, %zu by the full passes\n", near, full);
	}

	/* a known answer: one seed at the corner, spacing 0.5 x 2 x 3 */
	{
		uint8_t s[4 * 3 * 2] = { 0 };
		float o[4 * 3 * 2];
		double sp[3] = { 0.5, 2, 3 };
		s[0] = 1;
		CHECK(edt_sq(o, s, 4, 3, 2, sp) == 0);
		CHECK_NEAR(o[3], 1.5 * 1.5, 1e-9);                       /* x = 3 */
		CHECK_NEAR(o[2 * 4], 4.0 * 4.0, 1e-9);                   /* y = 2 */
		CHECK_NEAR(o[12 + 2 * 4 + 3], 1.5 * 1.5 + 16 + 9, 1e-6); /* far corner */
	}
	return CHECK_DONE();
}
