/* components.c: connected components (components.h).
 *
 * One raster scan joins each foreground voxel to the sets of its neighbours
 * that come earlier in the scan (3, 9 or 13 of them), union-find style. The
 * forest lives in the label array, one uint32 a voxel, as parent pointers
 * plus one: L[i] = parent + 1 (<= i, since a set is always rooted at its
 * lowest voxel index and parents come before children), or, at a root,
 * L[i] = i + the set's size (> i; <= the voxel count, since every member
 * comes at or after the root). A second scan in the same order then settles
 * each voxel in O(1): its parent, earlier in the scan, is already settled. */
#include "components.h"
#include "classes.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* The neighbour offsets that come earlier in the scan, for 26-connectivity;
 * 18 drops those that differ on all three axes, 6 keeps those on one axis. */
static const signed char earlier[13][3] = {
	{ -1, -1, -1 }, { 0, -1, -1 }, { 1, -1, -1 },
	{ -1, 0, -1 },  { 0, 0, -1 },  { 1, 0, -1 },
	{ -1, 1, -1 },  { 0, 1, -1 },  { 1, 1, -1 },
	{ -1, -1, 0 },  { 0, -1, 0 },  { 1, -1, 0 },
	{ -1, 0, 0 }
};

/* Check the arguments; *n = the voxel count. 0 or -1 with an error. */
static int check_grid(int nx, int ny, int nz, int conn, size_t *n)
{
	if (conn != 6 && conn != 18 && conn != 26)
		return error("components: connectivity must be 6, 18 or 26: '%d'", conn);
	if (nx < 1 || ny < 1 || nz < 1)
		return error("components: dims must be >= 1: '%d %d %d'", nx, ny, nz);
	if (mul_size((size_t)nx * (size_t)ny, (size_t)nz, n) || *n > UINT32_MAX)
		return error("components: more voxels than 32-bit labels hold: '%d %d %d'", nx, ny,
		             nz);
	return 0;
}

/* The root of voxel x's set, halving the path on the way. */
static size_t root_of(uint32_t *L, size_t x)
{
	for (;;) {
		size_t v = L[x], p, w;
		if (v > x)
			return x;
		p = v - 1;
		w = L[p];
		if (w > p)
			return p;
		L[x] = (uint32_t)w; /* point at the grandparent */
		x = w - 1;
	}
}

/* The first scan: the forest of the foreground (mask[i] != 0 when mask is
 * given, else p[i] >= thr) into L; background voxels get 0. */
static void join(const uint8_t *mask, const float *p, double thr, int nx, int ny, int nz,
                 int conn, uint32_t *L)
{
	int no = 0, k, x, y, z;
	signed char off[13][3];
	ptrdiff_t step[13];
	size_t i = 0, sxy = (size_t)nx * (size_t)ny;

	for (k = 0; k < 13; k++) {
		int axes = (earlier[k][0] != 0) + (earlier[k][1] != 0) + (earlier[k][2] != 0);
		if (axes > (conn == 6 ? 1 : conn == 18 ? 2 : 3))
			continue;
		off[no][0] = earlier[k][0], off[no][1] = earlier[k][1], off[no][2] = earlier[k][2];
		step[no++] = earlier[k][0] + (ptrdiff_t)earlier[k][1] * nx +
		             (ptrdiff_t)earlier[k][2] * (ptrdiff_t)sxy;
	}
#define FG(j) (mask ? mask[j] != 0 : p[j] >= thr)
	for (z = 0; z < nz; z++)
		for (y = 0; y < ny; y++)
			for (x = 0; x < nx; x++, i++) {
				size_t r = i;
				if (!FG(i)) {
					L[i] = 0;
					continue;
				}
				L[i] = (uint32_t)(i + 1); /* a root of size 1 */
				for (k = 0; k < no; k++) {
					int xx = x + off[k][0], yy = y + off[k][1], zz = z + off[k][2];
					size_t j, rj, lo, hi;
					if (xx < 0 || xx >= nx || yy < 0 || yy >= ny || zz < 0)
						continue;
					j = (size_t)((ptrdiff_t)i + step[k]);
					if (!FG(j))
						continue;
					rj = root_of(L, j);
					if (rj == r)
						continue;
					lo = rj < r ? rj : r, hi = rj < r ? r : rj;
					/* sizes L - index add up; the lower root keeps them */
					L[lo] = (uint32_t)(L[lo] + (L[hi] - hi));
					L[hi] = (uint32_t)(lo + 1);
					r = lo;
				}
			}
#undef FG
}

int cc_label(const uint8_t *mask, int nx, int ny, int nz, int conn, uint32_t *labels,
             uint32_t *ncomp)
{
	size_t n, i;
	uint32_t count = 0;

	if (check_grid(nx, ny, nz, conn, &n))
		return -1;
	join(mask, NULL, 0, nx, ny, nz, conn, labels);
	for (i = 0; i < n; i++) {
		size_t v = labels[i];
		if (!mask[i])
			continue;
		if (v > i)
			labels[i] = ++count;           /* a root: the component's lowest voxel */
		else
			labels[i] = labels[v - 1];     /* the parent's label, settled already */
	}
	*ncomp = count;
	return 0;
}

int cc_keep_largest(float *p, int nx, int ny, int nz, double thr, int conn, size_t *kept,
                    size_t *removed, size_t *ncomp)
{
	size_t n, i, best = 0, best_size = 0, count = 0, gone = 0;
	uint32_t *L;

	if (check_grid(nx, ny, nz, conn, &n))
		return -1;
	if (!(thr > 0))
		return error("components: the threshold must be above 0: '%g'", thr);
	if (!(L = xmalloc(n * sizeof *L)))
		return -1;
	join(NULL, p, thr, nx, ny, nz, conn, L);
	for (i = 0; i < n; i++)
		if (L[i] > i) { /* a root (background is 0, never above i) */
			size_t size = L[i] - i;
			count++;
			if (size > best_size) /* strictly: ties keep the lower index */
				best = i, best_size = size;
		}
	for (i = 0; i < n; i++) {
		size_t v = L[i], r, q, w;
		if (!(p[i] >= thr))
			continue;
		if (v > i) {
			r = i;
		} else {
			q = v - 1; /* earlier: it points at its root now, or is one */
			w = L[q];
			if (w > q) {
				r = q;
			} else {
				r = w - 1;
				L[i] = (uint32_t)w;
			}
		}
		if (r != best) {
			p[i] = 0;
			gone++;
		}
	}
	free(L);
	if (kept)
		*kept = best_size;
	if (removed)
		*removed = gone;
	if (ncomp)
		*ncomp = count;
	return 0;
}

int cc_keep_largest_classes(float *p, int nx, int ny, int nz, int nc, int conn, int merged,
                            size_t *kept, size_t *removed, size_t *ncomp)
{
	size_t n, i, per = (size_t)nx * (size_t)ny, nkept = 0, gone = 0, count = 0;
	uint8_t *cls = NULL, *mask = NULL;
	uint32_t *L = NULL, *size = NULL, nlab;
	int k, rc = -1;

	if (check_grid(nx, ny, nz, conn, &n))
		return -1;
	if (nc < 2 || nc > 255)
		return error("components: classes must be 2..255: '%d'", nc);
	/* everything allocated first: once p changes nothing can fail */
	if (!(cls = xmalloc(n)) || !(mask = xmalloc(n)) || !(L = xmalloc(n * sizeof *L)) ||
	    !(size = xmalloc((n + 1) * sizeof *size)))
		goto out;
	/* each voxel's class: argmax, ties to the lower */
	classes_argmax_raw(p, per, nz, nc, cls);
	/* merged: one pass, the mask every foreground class (k counts as 0) */
	for (k = merged ? 0 : 1; k < (merged ? 1 : nc); k++) {
		uint32_t best = 0;
		for (i = 0; i < n; i++)
			mask[i] = merged ? cls[i] != 0 : cls[i] == k;
		if (cc_label(mask, nx, ny, nz, conn, L, &nlab))
			goto out;
		if (!nlab)
			continue;
		count += nlab;
		memset(size, 0, ((size_t)nlab + 1) * sizeof *size);
		for (i = 0; i < n; i++)
			size[L[i]] += mask[i];
		for (uint32_t l = 1; l <= nlab; l++)
			if (!best || size[l] > size[best]) /* strictly: ties keep the lower label */
				best = l;
		nkept += size[best];
		for (i = 0; i < n; i++)
			if (mask[i] && L[i] != best) {
				float *v = p + (i / per * nc) * per + i % per;
				for (int c = merged ? 1 : k; c < (merged ? nc : k + 1); c++) {
					v[0] += v[c * per];
					v[c * per] = 0;
				}
				if (v[0] > 1) /* a sum's rounding: probabilities stay <= 1 */
					v[0] = 1;
				gone++;
			}
	}
	if (kept)
		*kept = nkept;
	if (removed)
		*removed = gone;
	if (ncomp)
		*ncomp = count;
	rc = 0;
out:
	free(cls), free(mask), free(L), free(size);
	return rc;
}
