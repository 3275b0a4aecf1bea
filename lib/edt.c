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
	int *v, *end;
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
		if (k < 0)
			num = -INFINITY; /* entry 0 is lowest from -infinity on */
		else
			for (;;) {
				/* the parabola at q is lowest from num/den on */
				num = gq - g[k], den = 2 * w * (q - v[k]);
				if (num * zd[k] <= zn[k] * den) { /* entry 0: -inf/1, never */
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

/* Evaluate an envelope of m > 0 parabolas at i = 0..n-1, one segment at a
 * time: parabola j is lowest for i <= zn[j+1]/zd[j+1]. The segment ends are
 * found first (independent divisions), then each segment is filled. */
static void env_eval(double *restrict d, const struct env *e, int m, int n, double w)
{
	const int *restrict v = e->v;
	const double *restrict fv = e->fv, *restrict zn = e->zn, *restrict zd = e->zd;
	int *restrict end = e->end, i = 0, j;
	for (j = 0; j + 1 < m; j++) {
		double s = zn[j + 1] / zd[j + 1];
		end[j] = s < 0 ? 0 : s >= n ? n : (int)s + 1;
	}
	end[m - 1] = n;
	for (j = 0; j < m; j++) {
		double vj = v[j], f = fv[j];
		for (; i < end[j]; i++) {
			double t = i - vj;
			d[i] = f + w * t * t;
		}
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
	free(w->e.v), free(w->e.end), free(w->e.fv), free(w->e.g), free(w->e.zn), free(w->e.zd);
	memset(w, 0, sizeof *w);
}

static int work_alloc(struct work *w, int n)
{
	memset(w, 0, sizeof *w);
	w->f = xmalloc(sizeof(double) * BLOCK * n);
	w->d = xmalloc(sizeof(double) * n);
	w->ix = xmalloc(sizeof(int) * n);
	w->e.v = xmalloc(sizeof(int) * n);
	w->e.end = xmalloc(sizeof(int) * n);
	w->e.fv = xmalloc(sizeof(double) * n);
	w->e.g = xmalloc(sizeof(double) * n);
	w->e.zn = xmalloc(sizeof(double) * n);
	w->e.zd = xmalloc(sizeof(double) * n);
	if (!w->f || !w->d || !w->ix || !w->e.v || !w->e.end || !w->e.fv || !w->e.g || !w->e.zn || !w->e.zd) {
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

/* Pass 1 for one row: out[x] = squared distance along x to the row's
 * nearest seed (sqx[k] = (k * spacing x)^2), or INFINITY. Returns 1 when
 * the row has a seed. */
static int row_pass(float *out, const uint8_t *s, int nx, const float *sqx)
{
	int a = next_seed(s, 0, nx), c, x;
	if (a == nx) {
		for (x = 0; x < nx; x++)
			out[x] = INFINITY;
		return 0;
	}
	for (x = 0; x < a; x++)
		out[x] = sqx[a - x];
	for (;;) {
		out[a] = 0;
		c = next_seed(s, a + 1, nx);
		if (c == nx)
			break;
		for (x = a + 1; x < c; x++)
			out[x] = sqx[x - a < c - x ? x - a : c - x];
		a = c;
	}
	for (x = a + 1; x < nx; x++)
		out[x] = sqx[x - a];
	return 1;
}

/* Pass 2 in place over one plane of pass-1 values, along y, BLOCK columns
 * at a time (gather, transform, scatter); only columns x with needx[x] when
 * needx is not NULL. */
static void plane_pass2(float *out, int nx, int ny, double wy, const uint8_t *needx,
                        struct work *w)
{
	int x, y, b;
	for (x = 0; x < nx; x += BLOCK) {
		int nb = nx - x < BLOCK ? nx - x : BLOCK;
		if (needx) {
			for (b = 0; b < nb && !needx[x + b]; b++)
				;
			if (b == nb)
				continue;
		}
		for (y = 0; y < ny; y++) {
			const float *o = out + (size_t)y * nx + x;
			for (b = 0; b < nb; b++)
				w->f[b * ny + y] = o[b];
		}
		for (b = 0; b < nb; b++) {
			if (needx && !needx[x + b])
				continue;
			line(w->d, w->f + b * ny, ny, wy, &w->e);
			for (y = 0; y < ny; y++)
				out[(size_t)y * nx + x + b] = (float)w->d[y];
		}
	}
}

static float *sq_table(int n, double s)
{
	float *t = xmalloc(sizeof *t * (n + 1));
	int k;
	if (t)
		for (k = 0; k <= n; k++)
			t[k] = (float)(s * s * k * k);
	return t;
}

int edt_sq(float *out, const uint8_t *seed, int nx, int ny, int nz, const double sp[3])
{
	struct work w;
	size_t plane = (size_t)nx * ny, n = plane * nz, i;
	double wy = sp[1] * sp[1], wz = sp[2] * sp[2];
	float *sqx = sq_table(nx, sp[0]);
	int x, y, z, b, any = 0;

	if (!sqx || work_alloc(&w, nx > ny ? (nx > nz ? nx : nz) : (ny > nz ? ny : nz))) {
		free(sqx);
		return -1;
	}
	for (z = 0; z < nz; z++) { /* passes 1 and 2 plane by plane, in cache */
		int seeded = 0;
		for (y = 0; y < ny; y++)
			seeded |= row_pass(out + z * plane + (size_t)y * nx, seed + z * plane + (size_t)y * nx,
			                   nx, sqx);
		if (seeded)
			plane_pass2(out + z * plane, nx, ny, wy, NULL, &w);
		any |= seeded;
	}
	free(sqx);
	if (!any) {
		for (i = 0; i < n; i++)
			out[i] = INFINITY;
		work_free(&w);
		return 0;
	}
	for (y = 0; y < ny && nz > 1; y++)
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

#define REACH 12 /* lines searched around a query, about, in y and in z */

/* Offsets (dy, dz) around a query in increasing cost wy dy^2 + wz dz^2, all
 * those cheaper than `lim`, the cost of the nearest offset left out. */
struct offsets {
	int n, ry, rz;
	int *dy, *dz;
	double *cost, lim;
};

struct offset {
	double cost;
	int dy, dz;
};

static int cmp_offset(const void *a, const void *b)
{
	const struct offset *x = a, *y = b;
	if (x->cost != y->cost)
		return x->cost < y->cost ? -1 : 1;
	if (x->dz != y->dz) /* ties in a fixed order */
		return x->dz < y->dz ? -1 : 1;
	return (x->dy > y->dy) - (x->dy < y->dy);
}

/* The offsets within ry lines along y and rz along z; all_y (all_z): ry
 * (rz) already spans the whole grid, so no farther line exists that way. */
static int offsets_make(struct offsets *o, int ry, int rz, double wy, double wz, int all_y,
                        int all_z)
{
	int m = (2 * ry + 1) * (2 * rz + 1), k = 0, dy, dz, i;
	struct offset *t = xmalloc(sizeof *t * m);
	memset(o, 0, sizeof *o);
	o->ry = ry, o->rz = rz;
	o->lim = fmin(all_y ? INFINITY : wy * (ry + 1) * (ry + 1),
	              all_z ? INFINITY : wz * (rz + 1) * (rz + 1));
	o->dy = xmalloc(sizeof(int) * m), o->dz = xmalloc(sizeof(int) * m);
	o->cost = xmalloc(sizeof(double) * m);
	if (!t || !o->dy || !o->dz || !o->cost) {
		free(t);
		return -1;
	}
	for (dz = -rz; dz <= rz; dz++)
		for (dy = -ry; dy <= ry; dy++) {
			double c = wy * dy * dy + wz * dz * dz;
			if (c < o->lim)
				t[k].cost = c, t[k].dy = dy, t[k].dz = dz, k++;
		}
	qsort(t, k, sizeof *t, cmp_offset);
	for (i = 0; i < k; i++)
		o->cost[i] = t[i].cost, o->dy[i] = t[i].dy, o->dz[i] = t[i].dz;
	o->n = k;
	free(t);
	return 0;
}

static void offsets_free(struct offsets *o)
{
	free(o->dy), free(o->dz), free(o->cost);
	memset(o, 0, sizeof *o);
}

/* The exact minimum at a query from pass-1 values alone, visiting the lines
 * around it in increasing distance and stopping as soon as no farther line
 * can be nearer. Returns 1 with *best set when that settled it, 0 when a
 * nearer seed could lie beyond the offsets; *best is then an upper bound (or
 * INFINITY). */
#define REACH 12 /* lines searched around a query, about, in y and in z */
size_t edt_query_full;

static int local_min(double *best_out, const float *g1, int nx, int ny, int nz, int x, int y,
                     int z, const struct offsets *o, const ptrdiff_t *step)
{
	const float *c = g1 + ((size_t)z * ny + y) * nx + x;
	const double *cost = o->cost;
	double best = INFINITY;
	int k, n = o->n;
	(void)x;
	if (y >= o->ry && y < ny - o->ry && z >= o->rz && z < nz - o->rz) {
		/* all offsets inside the grid: no bounds to check */
		for (k = 0; k < n && cost[k] < best; k++) {
			double v = c[step[k]] + cost[k];
			if (v < best)
				best = v;
		}
	} else
		for (k = 0; k < n && cost[k] < best; k++) {
			int yy = y + o->dy[k], zz = z + o->dz[k];
			double v;
			if (yy < 0 || yy >= ny || zz < 0 || zz >= nz)
				continue;
			v = c[step[k]] + cost[k];
			if (v < best)
				best = v;
		}
	*best_out = best;
	return k < n || best <= o->lim;
}

int edt_sq_query(double *dq, const size_t *query, size_t nq, const uint8_t *seed, int nx,
                 int ny, int nz, const double sp[3], float *work)
{
	struct work w;
	size_t plane = (size_t)nx * ny, n = plane * nz, i, c, k, nu = 0, *start = NULL,
	       *order = NULL, *un = NULL;
	double wy = sp[1] * sp[1], wz = sp[2] * sp[2];
	float *buf = work, *sqx = NULL;
	uint8_t *need = NULL;
	int z, rc = -1, any = 0, ry, rz;
	double reach;
	struct offsets off = { 0, 0, 0, NULL, NULL, NULL, 0 };
	ptrdiff_t *step = NULL;

	memset(&w, 0, sizeof w);
	edt_query_full = 0;
	if (nq == 0)
		return 0;
	if (!buf)
		buf = xmalloc(sizeof(float) * n);
	sqx = sq_table(nx, sp[0]);
	un = xmalloc(sizeof *un * nq);
	if (!buf || !sqx || !un)
		goto out;
	for (k = 0; k < plane / nx * nz; k++) /* pass 1: every row */
		any |= row_pass(buf + k * nx, seed + k * nx, nx, sqx);
	if (!any) {
		for (i = 0; i < nq; i++)
			dq[i] = INFINITY;
		rc = 0;
		goto out;
	}
	/* most queries lie near a seed: settle them from pass 1 directly, with
	 * a search of about (2 REACH)^2 lines at most, as far in mm along y as
	 * along z; stop trying when most queries cannot be settled this way */
	reach = REACH * sqrt(sp[1] * sp[2]);
	{
		/* no farther than the grid: a very anisotropic spacing (1 1 1e14)
		 * asked for millions of lines (and overflowed an int) */
		double ryd = ceil(reach / sp[1]), rzd = ceil(reach / sp[2]);
		int all_y = !(ryd < ny - 1), all_z = !(rzd < nz - 1);
		ry = all_y ? ny - 1 : (int)ryd, rz = all_z ? nz - 1 : (int)rzd;
		if (offsets_make(&off, ry, rz, wy, wz, all_y, all_z))
			goto out;
	}
	step = xmalloc(sizeof *step * (off.n ? off.n : 1));
	if (!step)
		goto out;
	for (k = 0; k < (size_t)off.n; k++)
		step[k] = (ptrdiff_t)off.dz[k] * (ptrdiff_t)plane + (ptrdiff_t)off.dy[k] * nx;
	for (i = 0; i < nq; i++) {
		size_t q = query[i];
		int tryit = i < 1000 || i < nq / 8 || 4 * nu < 3 * i;
		if (tryit && local_min(&dq[i], buf, nx, ny, nz, (int)(q % nx), (int)(q / nx % ny),
		                       (int)(q / plane), &off, step))
			continue;
		if (!tryit)
			dq[i] = INFINITY;
		un[nu++] = i;
	}
	edt_query_full = nu;
	if (nu == 0) {
		rc = 0;
		goto out;
	}
	/* the rest: pass 2 on the lines (x, z) they can reach, their nearest
	 * seed being no farther than the bound dq holds, then pass 3 at them */
	need = xcalloc((size_t)nx * nz, 1); /* need[z * nx + x]: line (x, z) */
	start = xcalloc(plane + 1, sizeof *start);
	order = xmalloc(sizeof *order * nu);
	if (!need || !start || !order || work_alloc(&w, ny > nz ? ny : nz))
		goto out;
	for (k = 0; k < nu; k++) {
		size_t q = query[un[k]];
		double r = sqrt(dq[un[k]]) / sp[2];
		int qx = (int)(q % nx), qz = (int)(q / plane);
		int lo = r >= qz ? 0 : qz - (int)r, hi = r >= nz - 1 - qz ? nz - 1 : qz + (int)r;
		for (z = lo; z <= hi; z++)
			need[(size_t)z * nx + qx] = 1;
	}
	for (z = 0; z < nz; z++)
		if (memchr(need + (size_t)z * nx, 1, nx))
			plane_pass2(buf + z * plane, nx, ny, wy, need + (size_t)z * nx, &w);
	for (k = 0; k < nu; k++)
		start[query[un[k]] % plane + 1]++;
	for (c = 0; c < plane; c++)
		start[c + 1] += start[c];
	for (k = 0; k < nu; k++)
		order[start[query[un[k]] % plane]++] = un[k];
	/* start[c] is now the end of column c's bucket */
	for (c = 0, k = 0; c < plane; c++) {
		const float *col = buf + c;
		size_t end = start[c];
		if (end - k > FEW) { /* many queries: the whole envelope once */
			for (z = 0; z < nz; z++)
				w.f[z] = col[z * plane];
			line(w.d, w.f, nz, wz, &w.e);
			for (; k < end; k++)
				dq[order[k]] = w.d[query[order[k]] / plane];
			continue;
		}
		/* few queries: the envelope's minimum at each one directly,
		 * outward from it until no farther plane can be nearer */
		for (; k < end; k++) {
			int q = (int)(query[order[k]] / plane), dz;
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
			dq[order[k]] = best;
		}
	}
	rc = 0;
out:
	work_free(&w);
	if (buf != work)
		free(buf);
	free(sqx);
	free(un);
	free(need);
	free(start);
	free(order);
	offsets_free(&off);
	free(step);
	return rc;
}
