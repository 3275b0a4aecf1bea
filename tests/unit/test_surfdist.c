/* Surfaces and the Hausdorff family against brute force (every surface voxel
 * to every surface voxel) on random small anisotropic masks, for every mode
 * and connectivity; known answers; the empty-mask policies. */
#include "check.h"
#include "surfdist.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>

static int nx, ny, nz;
#define AT(m, x, y, z) (m)[((size_t)(z) * ny + (y)) * nx + (x)]

/* surface by the definition: in the mask and some structuring-element
 * neighbour (|dx|+|dy|+|dz| <= 1, 2 or 3) outside the mask or the grid */
static size_t brute_surface(uint8_t *s, const uint8_t *m, int conn)
{
	int lim = conn == 6 ? 1 : conn == 18 ? 2 : 3, x, y, z, i, j, k;
	size_t count = 0;
	for (z = 0; z < nz; z++)
		for (y = 0; y < ny; y++)
			for (x = 0; x < nx; x++) {
				int surf = 0;
				if (AT(m, x, y, z))
					for (k = -1; k <= 1; k++)
						for (j = -1; j <= 1; j++)
							for (i = -1; i <= 1; i++) {
								int X = x + i, Y = y + j, Z = z + k;
								if (abs(i) + abs(j) + abs(k) > lim)
									continue;
								if (X < 0 || Y < 0 || Z < 0 || X >= nx || Y >= ny ||
								    Z >= nz || !AT(m, X, Y, Z))
									surf = 1;
							}
				AT(s, x, y, z) = surf;
				count += surf;
			}
	return count;
}

/* distances from each surface voxel of sa to the nearest of sb */
static size_t brute_directed(double *d, const uint8_t *sa, const uint8_t *sb, const double sp[3])
{
	size_t n = (size_t)nx * ny * nz, i, j, k = 0;
	for (i = 0; i < n; i++) {
		double best = INFINITY;
		if (!sa[i])
			continue;
		for (j = 0; j < n; j++)
			if (sb[j]) {
				double dx = ((long)(i % nx) - (long)(j % nx)) * sp[0];
				double dy = ((long)(i / nx % ny) - (long)(j / nx % ny)) * sp[1];
				double dz = ((long)(i / nx / ny) - (long)(j / nx / ny)) * sp[2];
				double e = dx * dx + dy * dy + dz * dz;
				if (e < best)
					best = e;
			}
		d[k++] = sqrt(best);
	}
	return k;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* numpy.percentile(x, p) by sorting, the textbook way */
static double brute_percentile(const double *x, size_t n, double p)
{
	double *s = malloc(sizeof *s * n), pos = (n - 1) * p / 100, r;
	size_t lo;
	memcpy(s, x, sizeof *s * n);
	qsort(s, n, sizeof *s, cmpd);
	lo = (size_t)floor(pos);
	r = lo + 1 < n ? s[lo] + (s[lo + 1] - s[lo]) * (pos - lo) : s[lo];
	free(s);
	return r;
}

static double brute_hd(enum hd_mode m, const uint8_t *a, const uint8_t *b, const double sp[3],
                       int conn)
{
	size_t n = (size_t)nx * ny * nz, na, nb, i;
	uint8_t *sa = malloc(n), *sb = malloc(n);
	double *d = malloc(sizeof *d * 2 * n), r = 0, ma = 0, mb = 0;
	brute_surface(sa, a, conn);
	brute_surface(sb, b, conn);
	na = brute_directed(d, sa, sb, sp);
	nb = brute_directed(d + na, sb, sa, sp);
	switch (m) {
	case HD_MEDPY:
		r = brute_percentile(d, na + nb, 95);
		break;
	case HD_MAX:
		r = fmax(brute_percentile(d, na, 95), brute_percentile(d + na, nb, 95));
		break;
	case HD_HD:
		for (i = 0; i < na + nb; i++)
			r = fmax(r, d[i]);
		break;
	case HD_ASSD:
		for (i = 0; i < na; i++)
			ma += d[i] / na;
		for (i = 0; i < nb; i++)
			mb += d[na + i] / nb;
		r = (ma + mb) / 2;
		break;
	}
	free(sa), free(sb), free(d);
	return r;
}

static double hd(enum hd_mode m, const uint8_t *a, const uint8_t *b, const double sp[3], int conn)
{
	struct hd_empty e = { HD_EMPTY_INF, 0 };
	double v = -1;
	int empty;
	size_t na, nb;
	if (hd_compute(&v, &empty, &na, &nb, a, b, nx, ny, nz, sp, m, conn, &e, "test"))
		return -1;
	return v;
}

/* a random mask: a union of boxes, or noise, or empty */
static void random_mask(uint8_t *m, struct rng *r, int kind)
{
	size_t n = (size_t)nx * ny * nz, i;
	int b, x, y, z;
	memset(m, 0, n);
	if (kind == 0)
		for (i = 0; i < n; i++)
			m[i] = rng_uniform(r) < 0.3;
	else
		for (b = 0; b < kind; b++) {
			int x0 = rng_below(r, nx), y0 = rng_below(r, ny), z0 = rng_below(r, nz);
			int x1 = x0 + 1 + rng_below(r, nx - x0), y1 = y0 + 1 + rng_below(r, ny - y0);
			int z1 = z0 + 1 + rng_below(r, nz - z0);
			for (z = z0; z < z1; z++)
				for (y = y0; y < y1; y++)
					for (x = x0; x < x1; x++)
						AT(m, x, y, z) = 1;
		}
}

int main(void)
{
	struct rng r;
	int trial, bad = 0, badsurf = 0, m, conns[3] = { 6, 18, 26 };
	progname = "test_surfdist";
	rng_seed(&r, 7);

	/* percentile against the sorting definition, ties and all */
	for (trial = 0; trial < 300; trial++) {
		size_t n = 1 + rng_below(&r, 60), i;
		double x[60], p = trial % 10 == 0 ? 100 : trial % 10 == 1 ? 0 : 100 * rng_uniform(&r);
		double want;
		for (i = 0; i < n; i++)
			x[i] = trial % 3 ? (double)rng_below(&r, 5) : rng_uniform(&r);
		want = brute_percentile(x, n, p);
		if (fabs(percentile(x, n, p) - want) > 1e-12)
			bad++;
	}
	CHECK(bad == 0);

	/* random masks, every mode and connectivity, against brute force */
	bad = 0;
	for (trial = 0; trial < 300; trial++) {
		uint8_t *a, *b, *s1, *s2;
		double sp[3];
		size_t n;
		int c = conns[trial % 3], i;
		nx = 1 + rng_below(&r, 11), ny = 1 + rng_below(&r, 11), nz = 1 + rng_below(&r, 11);
		n = (size_t)nx * ny * nz;
		a = malloc(n), b = malloc(n), s1 = malloc(n), s2 = malloc(n);
		for (i = 0; i < 3; i++)
			sp[i] = trial % 4 == 0 ? 1 : 0.3 + 3 * rng_uniform(&r);
		random_mask(a, &r, trial % 5);
		random_mask(b, &r, (trial / 5) % 5);
		if (brute_surface(s1, a, c) != surface_mark(s2, a, nx, ny, nz, c) ||
		    memcmp(s1, s2, n))
			badsurf++;
		if (!memchr(a, 1, n) || !memchr(b, 1, n))
			goto next;
		for (m = HD_MEDPY; m <= HD_ASSD; m++) {
			double got = hd(m, a, b, sp, c), want = brute_hd(m, a, b, sp, c);
			if (!(fabs(got - want) <= 1e-6 * (1 + want))) {
				if (bad++ < 5)
					fprintf(stderr, "%s conn %d %dx%dx%d: %.9g, brute force %.9g\n",
					        hd_mode_name(m), c, nx, ny, nz, got, want);
			}
		}
	next:
		free(a), free(b), free(s1), free(s2);
	}
	CHECK(badsurf == 0);
	CHECK(bad == 0);

	/* known answers */
	{
		static uint8_t a[20 * 20 * 20], b[20 * 20 * 20];
		double iso[3] = { 1, 1, 1 }, an[3] = { 0.5, 1, 3 }, want[3] = { 1.5, 3, 9 };
		/* ASSD of the shifted cubes, from scipy with MedPy's definition */
		double assd[3] = { 0.5983606557377049, 1.0, 2.6598360655737703 };
		int x, y, z, ax;
		/* single voxels: every mode is their distance */
		nx = 8, ny = 6, nz = 5;
		memset(a, 0, sizeof a), memset(b, 0, sizeof b);
		AT(a, 1, 1, 1) = 1, AT(b, 4, 5, 2) = 1;
		for (m = HD_MEDPY; m <= HD_ASSD; m++)
			CHECK_NEAR(hd(m, a, b, an, 6), sqrt(1.5 * 1.5 + 16 + 9), 1e-9);
		CHECK_NEAR(hd(HD_MEDPY, a, a, an, 6), 0, 0);
		/* concentric cubes 5^3 in 9^3: inner surface all at 2, outer corners
		 * at 2*sqrt(3); values from scipy with MedPy's definition */
		nx = ny = nz = 13;
		memset(a, 0, sizeof a), memset(b, 0, sizeof b);
		for (z = 2; z < 11; z++)
			for (y = 2; y < 11; y++)
				for (x = 2; x < 11; x++) {
					AT(b, x, y, z) = 1;
					AT(a, x, y, z) = x >= 4 && x < 9 && y >= 4 && y < 9 && z >= 4 && z < 9;
				}
		CHECK_NEAR(hd(HD_MEDPY, a, b, iso, 6), 3.0, 1e-9);
		CHECK_NEAR(hd(HD_MAX, a, b, iso, 6), 3.0, 1e-9);
		CHECK_NEAR(hd(HD_HD, a, b, iso, 6), 2 * sqrt(3), 1e-9);
		CHECK_NEAR(hd(HD_ASSD, a, b, iso, 6), 2.1613139268557573, 1e-9);
		CHECK_NEAR(hd(HD_HD, a, b, iso, 26), 2 * sqrt(3), 1e-9);
		/* a 10^3 cube and a copy shifted 3 voxels along one axis, spacing
		 * 0.5 x 1 x 3 mm: HD95 and HD are 3 voxels in that axis' spacing */
		nx = ny = nz = 20;
		for (ax = 0; ax < 3; ax++) {
			memset(a, 0, sizeof a), memset(b, 0, sizeof b);
			for (z = 2; z < 12; z++)
				for (y = 2; y < 12; y++)
					for (x = 2; x < 12; x++) {
						AT(a, x, y, z) = 1;
						AT(b, x + 3 * (ax == 0), y + 3 * (ax == 1), z + 3 * (ax == 2)) = 1;
					}
			CHECK_NEAR(hd(HD_MEDPY, a, b, an, 6), want[ax], 1e-9);
			CHECK_NEAR(hd(HD_HD, a, b, an, 6), want[ax], 1e-9);
			CHECK_NEAR(hd(HD_ASSD, a, b, an, 6), assd[ax], 1e-9);
		}
		/* the grid's edge is a border: a full 5^3 grid has 98 surface voxels,
		 * a single slice is all surface */
		nx = ny = nz = 5;
		memset(a, 1, 125);
		CHECK(surface_mark(b, a, 5, 5, 5, 6) == 98);
		CHECK(surface_mark(b, a, 25, 5, 1, 26) == 125);
	}

	/* empty masks under each policy */
	{
		static uint8_t a[4 * 4 * 4], z0[4 * 4 * 4];
		double sp[3] = { 1, 2, 2 }, v;
		int empty;
		size_t na, nb;
		struct hd_empty e;
		nx = ny = nz = 4;
		a[5] = 1;
		hd_empty_parse("inf", &e);
		CHECK(hd_compute(&v, &empty, &na, &nb, z0, a, 4, 4, 4, sp, HD_MEDPY, 6, &e, "t") == 0);
		CHECK(isinf(v) && empty == HD_PRED_EMPTY && na == 0 && nb == 1);
		CHECK(hd_compute(&v, &empty, &na, &nb, z0, z0, 4, 4, 4, sp, HD_MEDPY, 6, &e, "t") == 0);
		CHECK(v == 0 && empty == (HD_PRED_EMPTY | HD_GT_EMPTY));
		hd_empty_parse("nan", &e);
		CHECK(hd_compute(&v, &empty, &na, &nb, a, z0, 4, 4, 4, sp, HD_HD, 6, &e, "t") == 0);
		CHECK(isnan(v) && empty == HD_GT_EMPTY);
		hd_empty_parse("diag", &e);
		CHECK(hd_compute(&v, &empty, &na, &nb, a, z0, 4, 4, 4, sp, HD_HD, 6, &e, "t") == 0);
		CHECK_NEAR(v, sqrt(9 + 36 + 36), 1e-12);
		hd_empty_parse("42.5", &e);
		CHECK(hd_compute(&v, &empty, &na, &nb, z0, a, 4, 4, 4, sp, HD_ASSD, 6, &e, "t") == 0);
		CHECK(v == 42.5);
		hd_empty_parse("error", &e);
		fprintf(stderr, "(an error message is expected next)\n");
		CHECK(hd_compute(&v, &empty, &na, &nb, z0, a, 4, 4, 4, sp, HD_MEDPY, 6, &e, "t") == -1);
		CHECK(hd_empty_parse("-1", &e) == -1 && hd_empty_parse("x", &e) == -1);
	}
	return CHECK_DONE();
}
