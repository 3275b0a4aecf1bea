/* Fuzz harness: hd95's surface distances (lib/surfdist.c over lib/edt.c)
 * on two masks made from the input.
 *
 * Input: bytes 0-2 the dims (1..32 each), byte 3 the connectivity (6, 18,
 * 26), the mode and the empty-mask policy, bytes 4-9 three spacings (u16
 * little-endian: below 0x8000 a plain value 0.25..8.125 mm, else
 * 10^((v - 0xc000) / 2048), 1e-8..1e8 mm, beyond the range hd_compute
 * takes), then 2 bits a voxel (bit 0 the prediction, bit 1 the ground
 * truth; voxels past the input's end are 0).
 *
 * Oracles, on grids of at most 512 voxels (brute force is quadratic):
 * surface voxels and both lists of distances equal a brute-force search
 * over all surface pairs (relative 1e-5: the transform works in float);
 * edt_sq and edt_sq_query equal brute-force distances to the ground truth
 * everywhere; the HD value equals the brute-force lists' percentile, max or
 * mean. On all grids: hd_compute refuses exactly the spacings out of range,
 * and a value is >= 0 (or the empty policy's). */
#include "edt.h"
#include "fuzz.h"
#include "surfdist.h"

#include <math.h>

static int dims[3], conn;
static double sp[3];

static int in_mask(const uint8_t *m, int x, int y, int z)
{
	if (x < 0 || y < 0 || z < 0 || x >= dims[0] || y >= dims[1] || z >= dims[2])
		return 0;
	return m[((size_t)z * dims[1] + y) * dims[0] + x];
}

/* A mask voxel with a neighbour (by conn) outside the mask. */
static int is_surface(const uint8_t *m, int x, int y, int z)
{
	if (!in_mask(m, x, y, z))
		return 0;
	for (int dz = -1; dz <= 1; dz++)
		for (int dy = -1; dy <= 1; dy++)
			for (int dx = -1; dx <= 1; dx++) {
				int k = abs(dx) + abs(dy) + abs(dz);
				if (k == 0 || (conn == 6 && k > 1) || (conn == 18 && k > 2))
					continue;
				if (!in_mask(m, x + dx, y + dy, z + dz))
					return 1;
			}
	return 0;
}

static double dist2(size_t i, size_t j)
{
	long ix = (long)(i % dims[0]), iy = (long)(i / dims[0] % dims[1]), iz = (long)(i / dims[0] / dims[1]);
	long jx = (long)(j % dims[0]), jy = (long)(j / dims[0] % dims[1]), jz = (long)(j / dims[0] / dims[1]);
	double dx = (double)(ix - jx) * sp[0], dy = (double)(iy - jy) * sp[1], dz = (double)(iz - jz) * sp[2];
	return dx * dx + dy * dy + dz * dz;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int close_to(double got, double want)
{
	return fabs(got - want) <= 1e-5 * fabs(want) + 1e-300;
}

/* Distances from the surface voxels of `from` to those of `to`, sorted. */
static size_t brute_lists(double *out, const uint8_t *sf, const uint8_t *st, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		double best = INFINITY;
		if (!sf[i])
			continue;
		for (size_t j = 0; j < n; j++)
			if (st[j] && dist2(i, j) < best)
				best = dist2(i, j);
		out[k++] = sqrt(best);
	}
	qsort(out, k, sizeof *out, cmpd);
	return k;
}

/* numpy.percentile's linear rule on sorted x. */
static double pct(const double *x, size_t n, double p)
{
	double pos = p / 100 * (double)(n - 1);
	size_t lo = (size_t)floor(pos), hi = lo + 1 < n ? lo + 1 : lo;
	return x[lo] + (x[hi] - x[lo]) * (pos - (double)lo);
}

static double brute_hd(enum hd_mode mode, const double *a, size_t na, const double *b, size_t nb)
{
	double *all = malloc(sizeof *all * (na + nb)), v, sa = 0, sb = 0;
	FUZZ_CHECK(all != NULL);
	memcpy(all, a, sizeof *a * na);
	memcpy(all + na, b, sizeof *b * nb);
	qsort(all, na + nb, sizeof *all, cmpd);
	for (size_t i = 0; i < na; i++)
		sa += a[i];
	for (size_t i = 0; i < nb; i++)
		sb += b[i];
	v = mode == HD_MEDPY ? pct(all, na + nb, 95) :
	    mode == HD_MAX ? fmax(pct(a, na, 95), pct(b, nb, 95)) :
	    mode == HD_HD ? all[na + nb - 1] : (sa / (double)na + sb / (double)nb) / 2;
	free(all);
	return v;
}

static void brute_check(const uint8_t *a, const uint8_t *b, size_t n, enum hd_mode mode)
{
	uint8_t *sa = malloc(n), *sb = malloc(n);
	double *ba = malloc(sizeof *ba * n), *bb = malloc(sizeof *bb * n), *da, *db, *dq;
	float *full = malloc(sizeof *full * n);
	size_t na, nb, ka = 0, kb = 0, *q = malloc(sizeof *q * n);
	FUZZ_CHECK(sa && sb && ba && bb && full && q);
	for (size_t i = 0; i < n; i++) {
		int x = (int)(i % dims[0]), y = (int)(i / dims[0] % dims[1]), z = (int)(i / dims[0] / dims[1]);
		sa[i] = (uint8_t)is_surface(a, x, y, z);
		sb[i] = (uint8_t)is_surface(b, x, y, z);
		ka += sa[i], kb += sb[i];
		q[i] = n - 1 - i;
	}
	{
		uint8_t *mark = malloc(n);
		FUZZ_CHECK(mark != NULL);
		FUZZ_CHECK(surface_mark(mark, a, dims[0], dims[1], dims[2], conn) == ka);
		FUZZ_CHECK(!memcmp(mark, sa, n));
		free(mark);
	}
	FUZZ_CHECK(surface_distances(&da, &na, &db, &nb, a, b, dims[0], dims[1], dims[2], sp,
	                             conn) == 0);
	FUZZ_CHECK(na == ka && nb == kb);
	if (ka && kb) {
		FUZZ_CHECK(brute_lists(ba, sa, sb, n) == ka);
		FUZZ_CHECK(brute_lists(bb, sb, sa, n) == kb);
		qsort(da, na, sizeof *da, cmpd);
		qsort(db, nb, sizeof *db, cmpd);
		for (size_t i = 0; i < na; i++)
			FUZZ_CHECK(close_to(da[i], ba[i]));
		for (size_t i = 0; i < nb; i++)
			FUZZ_CHECK(close_to(db[i], bb[i]));
		FUZZ_CHECK(close_to(hd_from_distances(mode, da, na, db, nb),
		                    brute_hd(mode, ba, na, bb, nb)));
	} else {
		FUZZ_CHECK(da == NULL && db == NULL);
	}
	free(da), free(db);

	/* the transform itself, to the ground truth's voxels */
	dq = malloc(sizeof *dq * n);
	FUZZ_CHECK(dq != NULL);
	FUZZ_CHECK(edt_sq(full, b, dims[0], dims[1], dims[2], sp) == 0);
	FUZZ_CHECK(edt_sq_query(dq, q, n, b, dims[0], dims[1], dims[2], sp, NULL) == 0);
	for (size_t i = 0; i < n; i++) {
		double best = INFINITY;
		for (size_t j = 0; j < n; j++)
			if (b[j] && dist2(i, j) < best)
				best = dist2(i, j);
		FUZZ_CHECK(isinf(best) ? isinf(full[i]) && isinf(dq[n - 1 - i])
		                       : close_to(full[i], best) && close_to(dq[n - 1 - i], best));
	}
	free(dq), free(sa), free(sb), free(ba), free(bb), free(full), free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int conns[3] = {6, 18, 26};
	uint8_t *a, *b;
	size_t n, npred, ngt;
	enum hd_mode mode;
	struct hd_empty e = {HD_EMPTY_INF, 0};
	double value;
	int empty, in_range = 1, rc;
	if (size < 10)
		return 0;
	for (int i = 0; i < 3; i++)
		dims[i] = data[i] % 32 + 1;
	conn = conns[data[3] % 3];
	mode = (enum hd_mode)(data[3] / 3 % 4);
	e.kind = (enum hd_empty_kind)(data[3] / 12 % 5);
	e.value = 7.5;
	for (int i = 0; i < 3; i++) {
		unsigned v = data[4 + 2 * i] | (unsigned)data[5 + 2 * i] << 8;
		sp[i] = v < 0x8000 ? 0.25 + (v % 64) / 8.0 : pow(10, ((double)v - 0xc000) / 2048);
		in_range &= sp[i] >= HD_SPACING_MIN && sp[i] <= HD_SPACING_MAX;
	}
	n = (size_t)dims[0] * dims[1] * dims[2];
	a = calloc(n, 1), b = calloc(n, 1);
	FUZZ_CHECK(a && b);
	for (size_t i = 0; i < n && 10 + i / 4 < size; i++) {
		unsigned bits = data[10 + i / 4] >> (2 * (i % 4));
		a[i] = bits & 1, b[i] = bits >> 1 & 1;
	}
	rc = hd_compute(&value, &empty, &npred, &ngt, a, b, dims[0], dims[1], dims[2], sp, mode,
	                conn, &e, "fuzz");
	if (!in_range) {
		FUZZ_CHECK(rc == -1);
	} else if (rc == 0) {
		FUZZ_CHECK(isnan(value) ? e.kind == HD_EMPTY_NAN && empty : value >= 0);
		FUZZ_CHECK(!isinf(value) || (e.kind == HD_EMPTY_INF && empty && empty != 3));
		if (n <= 512)
			brute_check(a, b, n, mode);
	} else {
		FUZZ_CHECK(e.kind == HD_EMPTY_ERROR && empty);
	}
	free(a), free(b);
	return 0;
}
