/* surfdist.c: surfaces, surface distances and the Hausdorff family. */
#include "surfdist.h"
#include "edt.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *hd_mode_column(enum hd_mode m)
{
	static const char *col[] = { "hd95", "hd95max", "hd", "assd" };
	return col[m];
}

const char *hd_mode_name(enum hd_mode m)
{
	static const char *name[] = { "medpy", "max", "hd", "assd" };
	return name[m];
}

const char *hd_empty_name(int empty)
{
	static const char *name[] = { "none", "pred", "gt", "both" };
	return name[empty & 3];
}

int hd_empty_parse(const char *s, struct hd_empty *e)
{
	e->value = 0;
	if (!strcmp(s, "inf"))
		e->kind = HD_EMPTY_INF;
	else if (!strcmp(s, "nan"))
		e->kind = HD_EMPTY_NAN;
	else if (!strcmp(s, "diag"))
		e->kind = HD_EMPTY_DIAG;
	else if (!strcmp(s, "error"))
		e->kind = HD_EMPTY_ERROR;
	else {
		char *end;
		double v = strtod(s, &end);
		if (!*s || *end || !isfinite(v) || v < 0)
			return error("empty-mask policy, want inf, nan, diag, error or a "
			             "distance >= 0: '%s'", s);
		e->kind = HD_EMPTY_VALUE;
		e->value = v;
	}
	return 0;
}

const char *hd_empty_describe(const struct hd_empty *e, char *buf, size_t n)
{
	switch (e->kind) {
	case HD_EMPTY_INF:
		snprintf(buf, n, "one mask empty -> inf, both empty -> 0");
		break;
	case HD_EMPTY_NAN:
		snprintf(buf, n, "one or both masks empty -> nan");
		break;
	case HD_EMPTY_DIAG:
		snprintf(buf, n, "one mask empty -> the grid's diagonal in mm, both empty -> 0");
		break;
	case HD_EMPTY_VALUE:
		snprintf(buf, n, "one mask empty -> %g mm, both empty -> 0", e->value);
		break;
	case HD_EMPTY_ERROR:
		snprintf(buf, n, "an empty mask is an error");
		break;
	}
	return buf;
}

/* Is s[0..n) all zero? */
static int row_empty(const uint8_t *s, int n)
{
	int x = 0;
	for (; x + 8 <= n; x += 8) {
		uint64_t w;
		memcpy(&w, s + x, 8);
		if (w)
			return 0;
	}
	for (; x < n; x++)
		if (s[x])
			return 0;
	return 1;
}

/* Number of bytes 1 in s[0..n), all bytes 0 or 1. */
static size_t ones(const uint8_t *s, int n)
{
	size_t c = 0;
	int x = 0;
	for (; x + 8 <= n; x += 8) {
		uint64_t w;
		memcpy(&w, s + x, 8);
		c += (size_t)__builtin_popcountll(w);
	}
	for (; x < n; x++)
		c += s[x];
	return c;
}

/* e[x] &= r[x + dx] for x in [0, n), 0 where x + dx is outside; bytes 0/1,
 * eight at a time. */
static void and_shifted(uint8_t *e, const uint8_t *r, int n, int dx)
{
	int lo = dx < 0 ? 1 : 0, hi = dx > 0 ? n - 1 : n, x;
	if (dx < 0)
		e[0] = 0;
	if (dx > 0 && n > 0)
		e[n - 1] = 0;
	for (x = lo; x + 8 <= hi; x += 8) {
		uint64_t a, b;
		memcpy(&a, e + x, 8);
		memcpy(&b, r + x + dx, 8);
		a &= b;
		memcpy(e + x, &a, 8);
	}
	for (; x < hi; x++)
		e[x] &= r[x + dx];
}

/* Surface voxels of the box lo + [0,bx) x [0,by) x [0,bz) of a grid's mask,
 * into surf (box-sized, contiguous). The mask must be 0 outside the box (a
 * bounding box), so neighbours past the box's x ends count as 0; neighbour
 * rows are read from the grid, whose edge is a border. */
static size_t mark_box(uint8_t *surf, const uint8_t *mask, int nx, int ny, int nz,
                       const int lo[3], int bx, int by, int bz, int conn)
{
	int lim = conn == 26 ? 3 : conn == 18 ? 2 : 1;
	int yb, zb, dy, dz, dx, x;
	size_t count = 0;

	for (zb = 0; zb < bz; zb++)
		for (yb = 0; yb < by; yb++) {
			int y = yb + lo[1], z = zb + lo[2], edge = 0;
			const uint8_t *m = mask + ((size_t)z * ny + y) * nx + lo[0];
			uint8_t *s = surf + ((size_t)zb * by + yb) * bx, *e = s; /* erosion first */
			if (row_empty(m, bx)) {
				memset(s, 0, bx);
				continue;
			}
			memcpy(e, m, bx);
			/* AND in every neighbour of the structuring element */
			for (dz = -1; dz <= 1 && !edge; dz++)
				for (dy = -1; dy <= 1; dy++) {
					const uint8_t *r;
					int a = abs(dy) + abs(dz);
					if (a > lim)
						continue;
					if (y + dy < 0 || y + dy >= ny || z + dz < 0 || z + dz >= nz) {
						edge = 1; /* a neighbour row outside the grid: all eroded */
						break;
					}
					r = m + ((ptrdiff_t)dz * ny + dy) * nx;
					for (dx = -1; dx <= 1; dx++)
						if (a + abs(dx) <= lim && (a || dx))
							and_shifted(e, r, bx, dx);
				}
			if (edge)
				memcpy(s, m, bx);
			else
				for (x = 0; x < bx; x++)
					s[x] = m[x] & (uint8_t)~e[x];
			count += ones(s, bx);
		}
	return count;
}

int hd_tally_add(struct hd_tally *t, double v, int empty)
{
	t->empty[empty & 3]++;
	if (isnan(v))
		t->nan++;
	else if (isinf(v))
		t->inf++;
	return isfinite(v);
}

const char *hd_tally_note(const struct hd_tally *t, char *buf, size_t n)
{
	size_t k = 0;
	buf[0] = '\0';
	if (t->empty[1] || t->empty[2] || t->empty[3])
		k += snprintf(buf + k, n - k, "empty masks: %zu prediction, %zu ground truth, %zu both; ",
		              t->empty[1], t->empty[2], t->empty[3]);
	if (t->inf && k < n)
		k += snprintf(buf + k, n - k, "%zu inf left out of the mean; ", t->inf);
	if (t->nan && k < n)
		k += snprintf(buf + k, n - k, "%zu nan left out of the mean; ", t->nan);
	if (k >= 2 && k < n)
		buf[k - 2] = '\0'; /* the last "; " */
	return buf;
}

size_t surface_mark(uint8_t *surf, const uint8_t *mask, int nx, int ny, int nz, int conn)
{
	int lo[3] = { 0, 0, 0 };
	return mark_box(surf, mask, nx, ny, nz, lo, nx, ny, nz, conn);
}

/* Linear indices of the nonzero bytes of s[0..n), or NULL (error printed). */
static size_t *indices(const uint8_t *s, size_t n, size_t count)
{
	size_t *q = xmalloc(sizeof *q * (count ? count : 1)), i, k = 0;
	if (!q)
		return NULL;
	for (i = 0; i < n;) {
		uint64_t w;
		if (i + 8 <= n && (memcpy(&w, s + i, 8), !w)) {
			i += 8;
			continue;
		}
		if (s[i])
			q[k++] = i;
		i++;
	}
	return q;
}

/* Distances (mm) from the voxels `q` to the seeds `seed`. */
static int directed(double **d, const size_t *q, size_t nq, const uint8_t *seed, int nx,
                    int ny, int nz, const double sp[3], float *work)
{
	size_t i;
	*d = xmalloc(sizeof **d * (nq ? nq : 1));
	if (!*d || edt_sq_query(*d, q, nq, seed, nx, ny, nz, sp, work))
		return -1;
	for (i = 0; i < nq; i++)
		(*d)[i] = sqrt((*d)[i]);
	return 0;
}

int surface_distances(double **da, size_t *na, double **db, size_t *nb, const uint8_t *a,
                      const uint8_t *b, int nx, int ny, int nz, const double spacing[3],
                      int conn)
{
	int lo[3] = { nx, ny, nz }, hi[3] = { -1, -1, -1 }, bx, by, bz, x, y, z;
	int has_a = 0, has_b = 0, rc = -1;
	uint8_t *sa = NULL, *sb = NULL;
	size_t *qa = NULL, *qb = NULL, n;
	float *work = NULL;

	*da = *db = NULL;
	*na = *nb = 0;
	/* bounding box of a|b: outside it nothing is in either mask, so the
	 * box's own edge is a border exactly where the grid's is or a mask ends */
	for (z = 0; z < nz; z++)
		for (y = 0; y < ny; y++) {
			size_t r = ((size_t)z * ny + y) * nx;
			int ea = row_empty(a + r, nx), eb = row_empty(b + r, nx);
			if (ea && eb)
				continue;
			has_a |= !ea, has_b |= !eb;
			if (y < lo[1]) lo[1] = y;
			if (y > hi[1]) hi[1] = y;
			if (z < lo[2]) lo[2] = z;
			if (z > hi[2]) hi[2] = z;
			for (x = 0; x < lo[0]; x++)
				if (a[r + x] || b[r + x]) {
					lo[0] = x;
					break;
				}
			for (x = nx - 1; x > hi[0]; x--)
				if (a[r + x] || b[r + x]) {
					hi[0] = x;
					break;
				}
		}
	if (!has_a && !has_b)
		return 0;
	bx = hi[0] - lo[0] + 1, by = hi[1] - lo[1] + 1, bz = hi[2] - lo[2] + 1;
	n = (size_t)bx * by * bz;
	sa = xmalloc(n), sb = xmalloc(n);
	if (!sa || !sb)
		goto out;
	*na = has_a ? mark_box(sa, a, nx, ny, nz, lo, bx, by, bz, conn) : 0;
	*nb = has_b ? mark_box(sb, b, nx, ny, nz, lo, bx, by, bz, conn) : 0;
	if (!has_a || !has_b) {
		rc = 0;
		goto out;
	}
	qa = indices(sa, n, *na), qb = indices(sb, n, *nb);
	if (!qa || !qb)
		goto out;
	work = xmalloc(sizeof *work * n);
	if (!work || directed(da, qa, *na, sb, bx, by, bz, spacing, work) ||
	    directed(db, qb, *nb, sa, bx, by, bz, spacing, work)) {
		free(*da), free(*db);
		*da = *db = NULL;
		goto out;
	}
	rc = 0;
out:
	free(sa), free(sb), free(qa), free(qb), free(work);
	return rc;
}

static void swapd(double *a, double *b)
{
	double t = *a;
	*a = *b, *b = t;
}

/* Put the k-th smallest of x[0..n) at x[k], smaller ones before it and
 * larger ones after it (Hoare's selection, median-of-three pivot). */
static void select_kth(double *x, size_t n, size_t k)
{
	ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
	while (hi > lo) {
		ptrdiff_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
		double pivot;
		if (x[mid] < x[lo]) swapd(&x[mid], &x[lo]);
		if (x[hi] < x[lo]) swapd(&x[hi], &x[lo]);
		if (x[hi] < x[mid]) swapd(&x[hi], &x[mid]);
		pivot = x[mid];
		while (i <= j) {
			while (x[i] < pivot)
				i++;
			while (x[j] > pivot)
				j--;
			if (i <= j) {
				swapd(&x[i], &x[j]);
				i++, j--;
			}
		}
		if (kk <= j)
			hi = j;
		else if (kk >= i)
			lo = i;
		else
			return;
	}
}

double percentile(double *x, size_t n, double p)
{
	double pos = (double)(n - 1) * (p / 100.0), t, a, b, diff;
	size_t lo = (size_t)floor(pos), i;
	if (lo >= n - 1) {
		lo = n - 1;
		select_kth(x, n, lo);
		return x[lo];
	}
	t = pos - (double)lo;
	select_kth(x, n, lo);
	a = x[lo];
	b = x[lo + 1];
	for (i = lo + 2; i < n; i++)
		if (x[i] < b)
			b = x[i];
	/* numpy's _lerp: exact at both ends and monotonic */
	diff = b - a;
	return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

static double maxd(const double *x, size_t n)
{
	double m = -INFINITY;
	size_t i;
	for (i = 0; i < n; i++)
		if (x[i] > m)
			m = x[i];
	return m;
}

static double meand(const double *x, size_t n)
{
	double s = 0;
	size_t i;
	for (i = 0; i < n; i++)
		s += x[i];
	return s / (double)n;
}

double hd_from_distances(enum hd_mode m, double *da, size_t na, double *db, size_t nb)
{
	double *all, v, pa, pb;
	switch (m) {
	case HD_MEDPY:
		all = malloc(sizeof *all * (na + nb));
		if (!all) {
			error("out of memory (%zu distances)", na + nb);
			return NAN; /* hd_compute turns this into an error */
		}
		memcpy(all, da, sizeof *all * na);
		memcpy(all + na, db, sizeof *all * nb);
		v = percentile(all, na + nb, 95);
		free(all);
		return v;
	case HD_MAX:
		pa = percentile(da, na, 95), pb = percentile(db, nb, 95);
		return pa > pb ? pa : pb;
	case HD_HD:
		pa = maxd(da, na), pb = maxd(db, nb);
		return pa > pb ? pa : pb;
	case HD_ASSD:
		return (meand(da, na) + meand(db, nb)) / 2;
	}
	return NAN;
}

int hd_compute(double *value, int *empty, size_t *npred, size_t *ngt, const uint8_t *pred,
               const uint8_t *gt, int nx, int ny, int nz, const double sp[3],
               enum hd_mode mode, int conn, const struct hd_empty *e, const char *name)
{
	double *da, *db;
	for (int i = 0; i < 3; i++)
		if (!(sp[i] >= HD_SPACING_MIN && sp[i] <= HD_SPACING_MAX))
			return error("%s: voxel spacing out of the range distances are computed in "
			             "(%g..%g mm): '%g %g %g'", name, HD_SPACING_MIN, HD_SPACING_MAX,
			             sp[0], sp[1], sp[2]);
	if (surface_distances(&da, npred, &db, ngt, pred, gt, nx, ny, nz, sp, conn))
		return -1;
	*empty = (*npred == 0 ? HD_PRED_EMPTY : 0) | (*ngt == 0 ? HD_GT_EMPTY : 0);
	if (!*empty) {
		*value = hd_from_distances(mode, da, *npred, db, *ngt);
		free(da), free(db);
		return isnan(*value) ? -1 : 0;
	}
	switch (e->kind) {
	case HD_EMPTY_ERROR:
		return error("%s: %s mask is empty, hd is undefined (see --empty): '%s'",
		             hd_mode_column(mode),
		             *empty == 3 ? "prediction and ground truth" :
		             *empty == HD_PRED_EMPTY ? "prediction" : "ground truth", name);
	case HD_EMPTY_NAN:
		*value = NAN;
		break;
	case HD_EMPTY_INF:
		*value = *empty == 3 ? 0 : INFINITY;
		break;
	case HD_EMPTY_DIAG:
		*value = *empty == 3 ? 0 : sqrt(pow((nx - 1) * sp[0], 2) + pow((ny - 1) * sp[1], 2) +
		                                pow((nz - 1) * sp[2], 2));
		break;
	case HD_EMPTY_VALUE:
		*value = *empty == 3 ? 0 : e->value;
		break;
	}
	return 0;
}
