/* Connected components (lib/components.h): known answers (two blobs, the
 * diagonal and corner neighbours that tell 6, 18 and 26 apart, ties, empty,
 * full, 1x1x1, a long serpentine), then cc_label and cc_keep_largest against
 * a brute force (the lowest voxel index spread over neighbours until nothing
 * changes) on random masks and probability maps of random small sizes. */
#include "check.h"
#include "components.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define IDX(x, y, z) (((size_t)(z) * ny + (y)) * nx + (x))

/* The reference labels: ref[i] = 1 + the lowest voxel index of i's
 * component, 0 on the background, by repeated min-propagation over all
 * neighbours at a Chebyshev distance of 1 that conn admits. */
static void brute(const uint8_t *m, int nx, int ny, int nz, int conn, size_t *ref)
{
	size_t n = (size_t)nx * ny * nz, i;
	int changed = 1, maxaxes = conn == 6 ? 1 : conn == 18 ? 2 : 3;
	for (i = 0; i < n; i++)
		ref[i] = m[i] ? i + 1 : 0;
	while (changed) {
		changed = 0;
		for (int z = 0; z < nz; z++)
			for (int y = 0; y < ny; y++)
				for (int x = 0; x < nx; x++) {
					size_t a = IDX(x, y, z);
					if (!m[a])
						continue;
					for (int dz = -1; dz <= 1; dz++)
						for (int dy = -1; dy <= 1; dy++)
							for (int dx = -1; dx <= 1; dx++) {
								int ax = (dx != 0) + (dy != 0) + (dz != 0);
								int xx = x + dx, yy = y + dy, zz = z + dz;
								size_t b;
								if (ax == 0 || ax > maxaxes || xx < 0 || xx >= nx ||
								    yy < 0 || yy >= ny || zz < 0 || zz >= nz)
									continue;
								b = IDX(xx, yy, zz);
								if (m[b] && ref[b] < ref[a])
									ref[a] = ref[b], changed = 1;
							}
				}
	}
}

/* cc_label agrees with brute(): the same partition, numbered in the order of
 * each component's lowest voxel. Returns 1 when it does. */
static int label_ok(const uint8_t *m, int nx, int ny, int nz, int conn)
{
	size_t n = (size_t)nx * ny * nz, i, *ref = malloc(n * sizeof *ref);
	uint32_t *lab = malloc(n * sizeof *lab), *rank = calloc(n, sizeof *rank), nc = 0, k = 0;
	int ok = ref && lab && rank && cc_label(m, nx, ny, nz, conn, lab, &nc) == 0;
	if (ok) {
		brute(m, nx, ny, nz, conn, ref);
		for (i = 0; i < n; i++)
			if (ref[i] == i + 1)
				rank[i] = ++k;
		for (i = 0; i < n && ok; i++)
			ok = lab[i] == (ref[i] ? rank[ref[i] - 1] : 0);
		ok = ok && nc == k;
	}
	free(ref), free(lab), free(rank);
	return ok;
}

/* cc_keep_largest on p agrees with brute() on the mask p >= thr: the largest
 * component (ties: the lowest index) kept, the rest of the mask 0, all other
 * voxels as they were, and the counts right. Returns 1 when it does. */
static int keep_ok(const float *p, int nx, int ny, int nz, double thr, int conn)
{
	size_t n = (size_t)nx * ny * nz, i, *ref = malloc(n * sizeof *ref), *size = calloc(n, sizeof *size);
	size_t best = 0, kept = 9, removed = 9, ncomp = 9, k = 0, gone = 0;
	uint8_t *m = calloc(n, 1);
	float *q = malloc(n * sizeof *q), *want = malloc(n * sizeof *want);
	int ok = ref && size && m && q && want;
	if (!ok)
		goto out;
	for (i = 0; i < n; i++)
		m[i] = p[i] >= thr;
	brute(m, nx, ny, nz, conn, ref);
	for (i = 0; i < n; i++)
		if (ref[i])
			size[ref[i] - 1]++;
	for (i = 0; i < n; i++) {
		k += ref[i] == i + 1;
		if (size[i] > size[best])
			best = i;
	}
	memcpy(want, p, n * sizeof *p);
	for (i = 0; i < n; i++)
		if (ref[i] && ref[i] - 1 != best)
			want[i] = 0, gone++;
	memcpy(q, p, n * sizeof *p);
	ok = cc_keep_largest(q, nx, ny, nz, thr, conn, &kept, &removed, &ncomp) == 0 &&
	     !memcmp(q, want, n * sizeof *q) && kept == size[best] && removed == gone && ncomp == k;
out:
	free(ref), free(size), free(m), free(q), free(want);
	return ok;
}

/* Components of a mask under conn, or -1 on an error. */
static long ncomp_of(const uint8_t *m, int nx, int ny, int nz, int conn)
{
	uint32_t *lab = malloc((size_t)nx * ny * nz * sizeof *lab), nc;
	long r = lab && cc_label(m, nx, ny, nz, conn, lab, &nc) == 0 ? (long)nc : -1;
	free(lab);
	return r;
}

static void known_answers(void)
{
	static const int conns[3] = { 6, 18, 26 };
	int nx = 8, ny = 8, nz = 8, c;
	uint8_t m[512];
	uint32_t lab[512], nc;
	float p[512], q[512];
	size_t kept, removed, ncomp, i;

	/* two blobs: a 2x2x2 cube at the origin, a 3x3x3 cube at (4..6)^3 */
	memset(m, 0, sizeof m);
	for (int z = 0; z < 7; z++)
		for (int y = 0; y < 7; y++)
			for (int x = 0; x < 7; x++)
				if ((x < 2 && y < 2 && z < 2) || (x >= 4 && y >= 4 && z >= 4))
					m[IDX(x, y, z)] = 1;
	for (c = 0; c < 3; c++) {
		CHECK(cc_label(m, nx, ny, nz, conns[c], lab, &nc) == 0);
		CHECK(nc == 2);
		CHECK(lab[0] == 1 && lab[IDX(1, 1, 1)] == 1 && lab[IDX(4, 4, 4)] == 2 &&
		      lab[IDX(6, 6, 6)] == 2 && lab[IDX(3, 3, 3)] == 0 && lab[IDX(7, 7, 7)] == 0);
		for (i = 0; i < 512; i++)
			p[i] = m[i] ? 0.75f : 0.25f;
		memcpy(q, p, sizeof p);
		CHECK(cc_keep_largest(q, nx, ny, nz, 0.5, conns[c], &kept, &removed, &ncomp) == 0);
		CHECK(kept == 27 && removed == 8 && ncomp == 2);
		CHECK(q[0] == 0 && q[IDX(1, 1, 1)] == 0 && q[IDX(4, 4, 4)] == 0.75f &&
		      q[IDX(3, 3, 3)] == 0.25f);
		CHECK(keep_ok(p, nx, ny, nz, 0.5, conns[c]));
	}

	/* an edge neighbour (two axes differ): one component under 18 and 26 */
	memset(m, 0, sizeof m);
	m[IDX(2, 2, 2)] = m[IDX(3, 3, 2)] = 1;
	CHECK(ncomp_of(m, nx, ny, nz, 6) == 2);
	CHECK(ncomp_of(m, nx, ny, nz, 18) == 1);
	CHECK(ncomp_of(m, nx, ny, nz, 26) == 1);
	m[IDX(3, 3, 2)] = 0, m[IDX(2, 3, 3)] = 1; /* in the y-z plane */
	CHECK(ncomp_of(m, nx, ny, nz, 6) == 2 && ncomp_of(m, nx, ny, nz, 18) == 1);
	/* a corner neighbour (all three differ): one component under 26 only,
	 * in each of the four diagonal directions, also across the scan order */
	for (int d = 0; d < 4; d++) {
		memset(m, 0, sizeof m);
		m[IDX(3, 3, 3)] = 1;
		m[IDX(d & 1 ? 2 : 4, d & 2 ? 2 : 4, 4)] = 1;
		CHECK(ncomp_of(m, nx, ny, nz, 6) == 2);
		CHECK(ncomp_of(m, nx, ny, nz, 18) == 2);
		CHECK(ncomp_of(m, nx, ny, nz, 26) == 1);
	}
	/* a U whose arms meet only through a later row: one set, joined late */
	memset(m, 0, sizeof m);
	for (int y = 0; y < 4; y++)
		m[IDX(0, y, 0)] = m[IDX(5, y, 0)] = 1;
	for (int x = 0; x < 6; x++)
		m[IDX(x, 4, 0)] = 1;
	CHECK(cc_label(m, nx, ny, nz, 6, lab, &nc) == 0 && nc == 1 && lab[5] == 1);

	/* ties: two components of 2 voxels; the one with the lower first index
	 * (starting at x = 5 of row 0) is kept, the one at row 3 goes */
	for (c = 0; c < 3; c++) {
		for (i = 0; i < 512; i++)
			p[i] = 0.25f;
		p[IDX(5, 0, 0)] = p[IDX(5, 1, 0)] = 0.5f;
		p[IDX(0, 3, 0)] = p[IDX(1, 3, 0)] = 1.0f;
		CHECK(cc_keep_largest(p, nx, ny, nz, 0.5, conns[c], &kept, &removed, &ncomp) == 0);
		CHECK(kept == 2 && removed == 2 && ncomp == 2);
		CHECK(p[IDX(5, 0, 0)] == 0.5f && p[IDX(5, 1, 0)] == 0.5f);
		CHECK(p[IDX(0, 3, 0)] == 0 && p[IDX(1, 3, 0)] == 0);
	}
	/* ... and a later, strictly larger one wins */
	p[IDX(0, 3, 0)] = p[IDX(1, 3, 0)] = p[IDX(2, 3, 0)] = 0.5f;
	CHECK(cc_keep_largest(p, nx, ny, nz, 0.5, 6, &kept, &removed, &ncomp) == 0);
	CHECK(kept == 3 && removed == 2 && p[IDX(5, 0, 0)] == 0 && p[IDX(2, 3, 0)] == 0.5f);

	/* empty: no component, nothing changes; all foreground: one, nothing removed */
	memset(m, 0, sizeof m);
	memset(lab, 0xff, sizeof lab);
	CHECK(cc_label(m, nx, ny, nz, 26, lab, &nc) == 0 && nc == 0);
	for (i = 0; i < 512; i++)
		CHECK(lab[i] == 0);
	for (i = 0; i < 512; i++)
		p[i] = q[i] = (float)i / 1024;
	CHECK(cc_keep_largest(q, nx, ny, nz, 0.5, 6, &kept, &removed, &ncomp) == 0);
	CHECK(!memcmp(p, q, sizeof p) && kept == 0 && removed == 0 && ncomp == 0);
	memset(m, 1, sizeof m);
	for (c = 0; c < 3; c++) {
		CHECK(cc_label(m, nx, ny, nz, conns[c], lab, &nc) == 0 && nc == 1);
		for (i = 0; i < 512; i++)
			CHECK(lab[i] == 1);
		for (i = 0; i < 512; i++)
			p[i] = q[i] = 1;
		CHECK(cc_keep_largest(q, nx, ny, nz, 1, conns[c], &kept, &removed, &ncomp) == 0);
		CHECK(!memcmp(p, q, sizeof p) && kept == 512 && removed == 0 && ncomp == 1);
	}

	/* 1x1x1 */
	m[0] = 1;
	CHECK(cc_label(m, 1, 1, 1, 6, lab, &nc) == 0 && nc == 1 && lab[0] == 1);
	m[0] = 0;
	CHECK(cc_label(m, 1, 1, 1, 26, lab, &nc) == 0 && nc == 0 && lab[0] == 0);
	p[0] = 0.5f;
	CHECK(cc_keep_largest(p, 1, 1, 1, 0.5, 18, &kept, &removed, &ncomp) == 0);
	CHECK(p[0] == 0.5f && kept == 1 && removed == 0 && ncomp == 1);

	/* bad arguments: an error, nothing done */
	CHECK(cc_label(m, 1, 1, 1, 8, lab, &nc) == -1);
	CHECK(cc_label(m, 0, 1, 1, 6, lab, &nc) == -1);
	CHECK(cc_keep_largest(p, 1, 1, 1, 0, 6, NULL, NULL, NULL) == -1);
	CHECK(cc_keep_largest(p, 1, 1, 1, 0.5, 4, NULL, NULL, NULL) == -1);
	CHECK(cc_keep_largest(p, 65536, 65536, 2, 0.5, 6, NULL, NULL, NULL) == -1);
	CHECK(p[0] == 0.5f);
}

/* A 64x64x64 serpentine, one voxel thick: in every even slice, the even rows
 * full and each odd row joined to the next at alternate ends (mirrored in y
 * every other even slice, so each slice starts where the last one ended),
 * the odd slices one voxel joining the end of one slice to the start of the
 * next. One path of ~70,000 voxels: a recursive flood fill would need that
 * many frames. Cut at one voxel, it falls into two paths of known sizes. */
static void serpentine(void)
{
	enum { N = 64 };
	int nx = N, ny = N, nz = N, x, y, z;
	size_t n = (size_t)N * N * N, i, total = 0, first = 0, cut, kept, removed, ncomp;
	uint8_t *m = calloc(n, 1);
	uint32_t *lab = malloc(n * sizeof *lab), nc;
	float *p = malloc(n * sizeof *p);
	if (!m || !lab || !p) {
		CHECK(!"out of memory");
		goto out;
	}
	for (z = 0; z < N; z += 2) {
		int flip = (z / 2) % 2;
		for (y = 0; y < N - 1; y++) {
			int yy = flip ? N - 2 - y : y;
			if (y % 2 == 0)
				for (x = 0; x < N; x++)
					m[IDX(x, yy, z)] = 1;
			else
				m[IDX((y / 2) % 2 ? 0 : N - 1, yy, z)] = 1;
		}
		/* the last row (y = N - 2, the 32nd) runs towards x = 0, so the path
		 * leaves the slice at x = 0 and y = N - 2 (flip: y = 0) */
		if (z + 2 < N)
			m[IDX(0, flip ? 0 : N - 2, z + 1)] = 1;
	}
	for (i = 0; i < n; i++)
		total += m[i];
	CHECK(total == (size_t)(N / 2) * ((N / 2) * N + N / 2 - 1) + N / 2 - 1);
	CHECK(ncomp_of(m, nx, ny, nz, 6) == 1);
	CHECK(ncomp_of(m, nx, ny, nz, 18) == 1);
	CHECK(ncomp_of(m, nx, ny, nz, 26) == 1);
	/* cut the first slice's third row (y = 4, running left to right) at
	 * x = 10: before the cut, rows 0 and 2 with their joints (64 + 1 + 64
	 * + 1) and 10 voxels of row 4 */
	cut = IDX(10, 4, 0);
	m[cut] = 0;
	first = 64 * 2 + 2 + 10;
	for (i = 0; i < n; i++)
		p[i] = m[i] ? 0.5f + (float)(i % 7) / 16 : (float)(i % 5) / 16;
	for (int c = 6; c <= 26; c += c == 6 ? 12 : 8) {
		CHECK(cc_label(m, nx, ny, nz, c, lab, &nc) == 0 && nc == 2);
		CHECK(lab[0] == 1 && lab[IDX(9, 4, 0)] == 1 && lab[IDX(11, 4, 0)] == 2);
		float *q = malloc(n * sizeof *q);
		if (!q)
			break;
		memcpy(q, p, n * sizeof *p);
		CHECK(cc_keep_largest(q, nx, ny, nz, 0.5, c, &kept, &removed, &ncomp) == 0);
		CHECK(kept == total - 1 - first && removed == first && ncomp == 2);
		CHECK(q[0] == 0 && q[IDX(11, 4, 0)] == p[IDX(11, 4, 0)] && q[cut] == p[cut]);
		free(q);
	}
out:
	free(m), free(lab), free(p);
}

static void random_cases(void)
{
	struct rng r;
	int trial, bad_label = 0, bad_keep = 0;
	rng_seed(&r, 20261207);
	for (trial = 0; trial < 3000; trial++) {
		int nx = 1 + (int)rng_below(&r, 7), ny = 1 + (int)rng_below(&r, 7);
		int nz = 1 + (int)rng_below(&r, 7), conn = trial % 3 == 0 ? 6 : trial % 3 == 1 ? 18 : 26;
		size_t n = (size_t)nx * ny * nz, i;
		double dens = 0.1 + 0.8 * rng_uniform(&r);
		uint8_t m[343];
		float p[343];
		for (i = 0; i < n; i++) {
			m[i] = rng_uniform(&r) < dens ? (uint8_t)(1 + rng_below(&r, 255)) : 0;
			/* probabilities around the threshold, some exactly on it, some NaN */
			switch (rng_below(&r, 8)) {
			case 0: p[i] = 0.5f; break;
			case 1: p[i] = trial % 5 ? 0 : NAN; break;
			default: p[i] = (float)(rng_uniform(&r) * 2 * dens); break;
			}
		}
		if (!label_ok(m, nx, ny, nz, conn))
			bad_label++;
		if (!keep_ok(p, nx, ny, nz, 0.5, conn))
			bad_keep++;
	}
	printf("random masks: %d of 3000 labelled unlike the brute force, %d kept unlike it\n",
	       bad_label, bad_keep);
	CHECK(bad_label == 0);
	CHECK(bad_keep == 0);
}

/* cc_keep_largest_classes on C-channel p agrees with brute() per class on
 * the argmax (written here as a plain loop): for each class k >= 1 the
 * largest component of argmax == k kept (ties: the lowest index), the other
 * voxels of class k with p_0 + p_k in channel 0 and 0 in channel k, every
 * other value unchanged; and the output's argmax is exactly that. */
static int classes_ok(const float *p, int nx, int ny, int nz, int nc, int conn)
{
	size_t n = (size_t)nx * ny * nz, per = (size_t)nx * ny, i, total = 0, gone = 0, comps = 0;
	size_t kept, removed, ncomp, *ref = malloc(n * sizeof *ref), *cnt = calloc(n + 1, sizeof *cnt);
	float *q = malloc(n * nc * sizeof *q), *want = malloc(n * nc * sizeof *want);
	uint8_t *cls = malloc(n), *m = malloc(n), *keep = calloc(n, 1);
	int ok = ref && cnt && q && want && cls && m && keep;
	for (i = 0; ok && i < n; i++) {
		size_t z = i / per, j = i % per;
		int best = 0;
		for (int c = 1; c < nc; c++)
			if (p[(z * nc + c) * per + j] > p[(z * nc + best) * per + j])
				best = c;
		cls[i] = (uint8_t)best;
	}
	for (int k = 1; ok && k < nc; k++) {
		size_t best = 0, bsize = 0;
		for (i = 0; i < n; i++)
			m[i] = cls[i] == k;
		brute(m, nx, ny, nz, conn, ref);
		memset(cnt, 0, (n + 1) * sizeof *cnt);
		for (i = 0; i < n; i++)
			if (ref[i])
				cnt[ref[i]]++;
		for (i = 1; i <= n; i++)
			if (cnt[i] > bsize)
				best = i, bsize = cnt[i];
		for (i = 1; i <= n; i++)
			comps += cnt[i] > 0;
		total += bsize;
		for (i = 0; i < n; i++)
			if (m[i] && ref[i] == best)
				keep[i] = 1;
	}
	if (ok) {
		memcpy(q, p, n * nc * sizeof *q);
		memcpy(want, p, n * nc * sizeof *q);
		for (i = 0; i < n; i++) {
			size_t z = i / per, j = i % per;
			if (cls[i] && !keep[i]) {
				want[(z * nc) * per + j] += want[(z * nc + cls[i]) * per + j];
				if (want[(z * nc) * per + j] > 1) /* probabilities stay <= 1 */
					want[(z * nc) * per + j] = 1;
				want[(z * nc + cls[i]) * per + j] = 0;
				gone++;
			}
		}
		ok = cc_keep_largest_classes(q, nx, ny, nz, nc, conn, 0, &kept, &removed, &ncomp) == 0;
		ok = ok && !memcmp(q, want, n * nc * sizeof *q) && kept == total &&
		     removed == gone && ncomp == comps;
		/* the argmax of the result: the kept classes, 0 elsewhere */
		for (i = 0; ok && i < n; i++) {
			size_t z = i / per, j = i % per;
			int best = 0;
			for (int c = 1; c < nc; c++)
				if (q[(z * nc + c) * per + j] > q[(z * nc + best) * per + j])
					best = c;
			ok = best == (keep[i] ? cls[i] : 0);
		}
	}
	free(ref), free(cnt), free(q), free(want), free(cls), free(m), free(keep);
	return ok;
}

static void classes_cases(void)
{
	/* known answer: 5x1x1, 3 classes; argmax 1 1 0 1 2 -> class 1 keeps x0-1,
	 * x3 goes to the background (p0 .25 + .5); class 2 keeps x4 */
	float p[] = { 0.25f, 0.25f, 0.5f, 0.25f, 0.25f,
		      0.5f, 0.5f, 0.25f, 0.5f, 0.25f,
		      0.25f, 0.25f, 0.25f, 0.25f, 0.5f };
	const float want[] = { 0.25f, 0.25f, 0.5f, 0.75f, 0.25f,
		               0.5f, 0.5f, 0.25f, 0, 0.25f,
		               0.25f, 0.25f, 0.25f, 0.25f, 0.5f };
	size_t kept, removed, ncomp;
	CHECK(cc_keep_largest_classes(p, 5, 1, 1, 3, 6, 0, &kept, &removed, &ncomp) == 0);
	CHECK(!memcmp(p, want, sizeof want) && kept == 3 && removed == 1 && ncomp == 3);
	/* ties: x1 is class 0 (p0 = p2 = .5: the lower class); so class 2 has
	 * two components of one voxel: the first kept, x2 to the background */
	float t[] = { 0.25f, 0.5f, 0.25f,  0.25f, 0, 0.25f,  0.5f, 0.5f, 0.5f };
	const float tw[] = { 0.25f, 0.5f, 0.75f,  0.25f, 0, 0.25f,  0.5f, 0.5f, 0 };
	CHECK(cc_keep_largest_classes(t, 3, 1, 1, 3, 26, 0, &kept, &removed, &ncomp) == 0);
	CHECK(!memcmp(t, tw, sizeof tw) && kept == 1 && removed == 1 && ncomp == 2);
	/* merged: the foreground's components; argmax 1 1 0 1 2 -> {x0, x1} and
	 * {x3, x4}, equal: the first kept, x3 and x4 give p1 and p2 to p0 */
	float mp[] = { 0.25f, 0.25f, 0.5f, 0.25f, 0.25f,
		       0.5f, 0.5f, 0.25f, 0.5f, 0.25f,
		       0.25f, 0.25f, 0.25f, 0.25f, 0.5f };
	const float mw[] = { 0.25f, 0.25f, 0.5f, 1, 1,
		             0.5f, 0.5f, 0.25f, 0, 0,
		             0.25f, 0.25f, 0.25f, 0, 0 };
	CHECK(cc_keep_largest_classes(mp, 5, 1, 1, 3, 6, 1, &kept, &removed, &ncomp) == 0);
	CHECK(!memcmp(mp, mw, sizeof mw) && kept == 2 && removed == 2 && ncomp == 2);
	/* argmax 1 2 0 2 2 2: {x3..x5} (two classes' worth of one structure per
	 * class would keep x1 of class 2 out; merged keeps x3..x5 whole) */
	float mq[] = { 0.25f, 0.25f, 0.5f, 0.25f, 0.25f, 0.25f,
		       0.5f, 0.25f, 0.25f, 0.25f, 0.25f, 0.25f,
		       0.25f, 0.5f, 0.25f, 0.5f, 0.5f, 0.5f };
	const float mqw[] = { 1, 1, 0.5f, 0.25f, 0.25f, 0.25f,
		              0, 0, 0.25f, 0.25f, 0.25f, 0.25f,
		              0, 0, 0.25f, 0.5f, 0.5f, 0.5f };
	CHECK(cc_keep_largest_classes(mq, 6, 1, 1, 3, 6, 1, &kept, &removed, &ncomp) == 0);
	CHECK(!memcmp(mq, mqw, sizeof mqw) && kept == 3 && removed == 2 && ncomp == 2);
	/* bad arguments */
	CHECK(cc_keep_largest_classes(p, 5, 1, 1, 1, 6, 0, NULL, NULL, NULL) == -1);
	CHECK(cc_keep_largest_classes(p, 5, 1, 1, 3, 8, 0, NULL, NULL, NULL) == -1);
	/* random: C 2..5, values in quarters (ties common) */
	srand(7);
	int bad = 0;
	for (int trial = 0; trial < 300; trial++) {
		int nx = 1 + rand() % 6, ny = 1 + rand() % 5, nz = 1 + rand() % 4, nc = 2 + rand() % 4;
		static const int conns[] = { 6, 18, 26 };
		int conn = conns[rand() % 3];
		size_t n = (size_t)nx * ny * nz * nc;
		float *r = malloc(n * sizeof *r);
		for (size_t i = 0; r && i < n; i++)
			r[i] = (float)(rand() % 5) / 4;
		if (!r || !classes_ok(r, nx, ny, nz, nc, conn))
			if (bad++ < 5)
				fprintf(stderr, "classes: trial %d %dx%dx%d C %d conn %d differs\n", trial,
				        nx, ny, nz, nc, conn);
		free(r);
	}
	CHECK(bad == 0);
}

int main(void)
{
	progname = "test_components";
	known_answers();
	serpentine();
	random_cases();
	classes_cases();
	return CHECK_DONE();
}
