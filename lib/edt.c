/* edt.c: exact separable Euclidean distance transform (Felzenszwalb and
 * Huttenlocher), anisotropic spacing, linear in the number of voxels.
 *
 * Pass 1 runs along x over the binary seeds (nearest seed to the left and to
 * the right), pass 2 along y is the lower envelope of parabolas, plane by
 * plane so a plane stays in cache. Pass 3 along z is the same envelope; for
 * queries it is evaluated only at the queried voxels (see edt_sq_query).
 * Intermediate values are stored as float (relative error about 6e-8);
 * every envelope is computed in double. */
#include "edt.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 16 /* columns gathered together: one cache line of floats */
#define FEW 4    /* a column with more queries than this gets a full envelope */

/* The lower envelope of the parabolas f[q] + w (i - q)^2 over finite f[q]:
 * entry j is the parabola at v[j] (value fv[j] there, fv[j] + w v[j]^2 in g[j]);
 * it is lowest from zn[j]/zd[j] on (zd > 0; entry 0 from -infinity on).
 * Fractions instead of divisions keep the inner loop short. */
struct env {
	int *v;
	double *fv, *g, *zn, *zd;
};

/* Build the envelope of f[0..n); returns the number of parabolas (0 when
 * every sample is infinite). */
static int env_build(struct env *e, const double *restrict f, int n, double w)
{
	int *restrict v = e->v, k = -1, q;
	double *restrict fv = e->fv, *restrict g = e->g, *restrict zn = e->zn, *restrict zd = e->zd;
	for (q = 0; q < n; q++) {
		double gq, num = 0, den = 1;
		if (isinf(f[q]))
			continue;
		gq = f[q] + w * q * q;
		if (k >= 0)
			for (;;) {
				/* the parabola at q is lowest from num/den on */
				num = gq - g[k], den = 2 * w * (q - v[k]);
				if (k > 0 && num * zd[k] <= zn[k] * den) {
					k--; /* the one at v[k] is nowhere lowest any more */
					continue;
				}
				break;
			}
		k++;
		v[k] = q, fv[k] = f[q], g[k] = gq, zn[k] = num, zd[k] = den;
	}
	return k + 1;
}

/* Evaluate an envelope of m > 0 parabolas at i = 0..n-1. */
static void env_eval(double *restrict d, const struct env *e, int m, int n, double w)
{
	const int *restrict v = e->v;
	const double *restrict fv = e->fv, *restrict zn = e->zn, *restrict zd = e->zd;
	int i, j = 0;
	for (i = 0; i < n; i++) {
		double t;
		while (j + 1 < m && zn[j + 1] < i * zd[j + 1])
			j++;
		t = i - v[j];
		d[i] = fv[j] + w * t * t;
	}
}

/* Work space for lines of up to n samples, BLOCK lines at once. */
struct work {
	double *f, *d;
	struct env e;
	int *ix;
};

static void work_free(struct work *w)
{
	free(w->f), free(w->d), free(w->ix);
	free(w->e.v), free(w->e.fv), free(w->e.g), free(w->e.zn), free(w->e.zd);
	memset(w, 0, sizeof *w);
}

static int work_alloc(struct work *w, int n)
{
	memset(w, 0, sizeof *w);
	w->f = xmalloc(sizeof(double) * BLOCK * n);
	w->d = xmalloc(sizeof(double) * n);
	w->ix = xmalloc(sizeof(int) * n);
	w->e.v = xmalloc(sizeof(int) * n);
	w->e.fv = xmalloc(sizeof(double) * n);
	w->e.g = xmalloc(sizeof(double) * n);
	w->e.zn = xmalloc(sizeof(double) * n);
	w->e.zd = xmalloc(sizeof(double) * n);
	if (!w->f || !w->d || !w->ix || !w->e.v || !w->e.fv || !w->e.g || !w->e.zn || !w->e.zd) {
		work_free(w);
		return -1;
	}
	return 0;
}

void edt_1d(double *d, const double *f, int n, double w, int *v, double *z)
{
	/* the textbook form, kept beside the fast one as its test reference */
	int k = -1, q, i;
	for (q = 0; q < n; q++) {
		double gq;
		if (isinf(f[q]))
			continue;
		gq = f[q] + w * q * q;
		if (k < 0) {
			k = 0, v[0] = q, z[0] = -INFINITY, z[1] = INFINITY;
			continue;
		}
		for (;;) {
			int p = v[k];
			double s = (gq - (f[p] + w * p * p)) / (2 * w * (q - p));
			if (s <= z[k]) {
				k--; /* z[0] = -inf stops this */
				continue;
			}
			k++, v[k] = q, z[k] = s, z[k + 1] = INFINITY;
			break;
		}
	}
	if (k < 0) {
		for (i = 0; i < n; i++)
			d[i] = INFINITY;
		return;
	}
	for (k = 0, i = 0; i < n; i++) {
		double t;
		while (z[k + 1] < i)
			k++;
		t = i - v[k];
		d[i] = w * t * t + f[v[k]];
	}
}

/* One line through the envelope, or INFINITY throughout. */
static void line(double *d, const double *f, int n, double w, struct env *e)
{
	int m = env_build(e, f, n, w), i;
	if (m)
		env_eval(d, e, m, n, w);
	else
		for (i = 0; i < n; i++)
			d[i] = INFINITY;
}

/* Index of the first nonzero byte of s[from..n), or n. */
static int next_seed(const uint8_t *s, int from, int n)
{
	while (from < n && (from & 7))
		if (s[from++])
			return from - 1;
	while (from + 8 <= n) {
		uint64_t w;
		memcpy(&w, s + from, 8);
		if (w)
			break;
		from += 8;
	}
	while (from < n && !s[from])
		from++;
	return from;
}

/* Passes 1 and 2 for one plane: out holds the squared in-plane distance to
 * the plane's nearest seed. Returns 1 when the plane has a seed, else 0. */
static int plane_pass(float *out, const uint8_t *seed, int nx, int ny, const double sp[3],
                      struct work *w, const float *sqx)
{
	int x, y, b, any = 0;
	double wy = sp[1] * sp[1];

	for (y = 0; y < ny; y++) {
		const uint8_t *s = seed + (size_t)y * nx;
		float *o = out + (size_t)y * nx;
		int a = next_seed(s, 0, nx), c;
		if (a == nx) {
			for (x = 0; x < nx; x++)
				o[x] = INFINITY;
			continue;
		}
		any = 1;
		for (x = 0; x < a; x++)
			o[x] = sqx[a - x];
		for (;;) {
			o[a] = 0;
			c = next_seed(s, a + 1, nx);
			if (c == nx)
				break;
			for (x = a + 1; x < c; x++)
				o[x] = sqx[x - a < c - x ? x - a : c - x];
			a = c;
		}
		for (x = a + 1; x < nx; x++)
			o[x] = sqx[x - a];
	}
	if (!any)
		return 0;
	/* along y, BLOCK columns at a time: gather, transform, scatter */
	for (x = 0; x < nx; x += BLOCK) {
		int nb = nx - x < BLOCK ? nx - x : BLOCK;
		for (y = 0; y < ny; y++) {
			const float *o = out + (size_t)y * nx + x;
			for (b = 0; b < nb; b++)
				w->f[b * ny + y] = o[b];
		}
		for (b = 0; b < nb; b++) {
			line(w->d, w->f + b * ny, ny, wy, &w->e);
			for (y = 0; y < ny; y++)
				out[(size_t)y * nx + x + b] = (float)w->d[y];
		}
	}
	return 1;
}

/* Passes 1 and 2 over every plane. Returns the number of planes with a seed,
 * or -1 when out of memory. */
static long planes_pass(float *out, const uint8_t *seed, int nx, int ny, int nz,
                        const double sp[3])
{
	struct work w;
	size_t plane = (size_t)nx * ny;
	long seeded = 0;
	float *sqx = xmalloc(sizeof *sqx * (nx + 1));
	int k;
	if (!sqx || work_alloc(&w, nx > ny ? nx : ny)) {
		free(sqx);
		return -1;
	}
	for (k = 0; k <= nx; k++)
		sqx[k] = (float)(sp[0] * sp[0] * k * k);
	for (k = 0; k < nz; k++)
		seeded += plane_pass(out + k * plane, seed + k * plane, nx, ny, sp, &w, sqx);
	work_free(&w);
	free(sqx);
	return seeded;
}

int edt_sq(float *out, const uint8_t *seed, int nx, int ny, int nz, const double sp[3])
{
	struct work w;
	size_t plane = (size_t)nx * ny, n = plane * nz, i;
	double wz = sp[2] * sp[2];
	long seeded;
	int x, y, z, b;

	seeded = planes_pass(out, seed, nx, ny, nz, sp);
	if (seeded < 0)
		return -1;
	if (seeded == 0) {
		for (i = 0; i < n; i++)
			out[i] = INFINITY;
		return 0;
	}
	if (nz == 1)
		return 0;
	if (work_alloc(&w, nz))
		return -1;
	for (y = 0; y < ny; y++)
		for (x = 0; x < nx; x += BLOCK) {
			int nb = nx - x < BLOCK ? nx - x : BLOCK;
			size_t c = (size_t)y * nx + x;
			for (z = 0; z < nz; z++)
				for (b = 0; b < nb; b++)
					w.f[b * nz + z] = out[z * plane + c + b];
			for (b = 0; b < nb; b++) {
				line(w.d, w.f + b * nz, nz, wz, &w.e);
				for (z = 0; z < nz; z++)
					out[z * plane + c + b] = (float)w.d[z];
			}
		}
	work_free(&w);
	return 0;
}

int edt_sq_query(double *dq, const size_t *query, size_t nq, const uint8_t *seed, int nx,
                 int ny, int nz, const double sp[3])
{
	struct work w;
	size_t plane = (size_t)nx * ny, n = plane * nz, i, c, *start = NULL, *order = NULL;
	double wz = sp[2] * sp[2];
	float *buf = NULL;
	long seeded;
	int z, rc = -1;

	memset(&w, 0, sizeof w);
	if (nq == 0)
		return 0;
	buf = xmalloc(sizeof(float) * n);
	if (!buf)
		goto out;
	seeded = planes_pass(buf, seed, nx, ny, nz, sp);
	if (seeded < 0)
		goto out;
	if (seeded == 0 || nz == 1) { /* nothing left to do along z */
		for (i = 0; i < nq; i++)
			dq[i] = seeded ? buf[query[i]] : INFINITY;
		rc = 0;
		goto out;
	}
	/* bucket the queries by column (x, y) */
	start = xcalloc(plane + 1, sizeof *start);
	order = xmalloc(sizeof *order * nq);
	if (!start || !order || work_alloc(&w, nz))
		goto out;
	for (i = 0; i < nq; i++)
		start[query[i] % plane + 1]++;
	for (c = 0; c < plane; c++)
		start[c + 1] += start[c];
	for (i = 0; i < nq; i++)
		order[start[query[i] % plane]++] = i;
	/* start[c] is now the end of column c's bucket */
	for (c = 0, i = 0; c < plane; c++) {
		const float *col = buf + c;
		size_t end = start[c];
		if (end - i > FEW) { /* many queries: the whole envelope once */
			for (z = 0; z < nz; z++)
				w.f[z] = col[z * plane];
			line(w.d, w.f, nz, wz, &w.e);
			for (; i < end; i++)
				dq[order[i]] = w.d[query[order[i]] / plane];
			continue;
		}
		/* few queries: the envelope's minimum at each one directly,
		 * outward from it until no farther plane can be nearer */
		for (; i < end; i++) {
			int q = (int)(query[order[i]] / plane), dz;
			double best = col[(size_t)q * plane];
			for (dz = 1; dz < nz; dz++) {
				double t = wz * dz * dz;
				if (t >= best)
					break;
				if (q - dz >= 0 && col[(size_t)(q - dz) * plane] + t < best)
					best = col[(size_t)(q - dz) * plane] + t;
				if (q + dz < nz && col[(size_t)(q + dz) * plane] + t < best)
					best = col[(size_t)(q + dz) * plane] + t;
			}
			dq[order[i]] = best;
		}
	}
	rc = 0;
out:
	work_free(&w);
	free(buf);
	free(start);
	free(order);
	return rc;
}
