/* regrid: affine inverse against the identity; trilinear against a
 * brute-force reference (world points solved by Cramer's rule, 8 corner
 * weights summed) on rotated, scaled, sheared grids; known answers (a linear
 * field is reproduced exactly, outside is 0, the edge half-voxel repeats the
 * edge, a crop comes back as a copy, a 2x nearest upsampling comes back
 * exactly); round trips through resample.h's crop and resize. */
#include "check.h"
#include "regrid.h"
#include "resample.h"
#include "slab.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A rotation about an axis by th, times scales, plus an offset. */
static void make_affine(double th, int axis, const double sc[3], const double off[3], double shear,
                        double t[12])
{
	double r[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, c = cos(th), s = sin(th);
	int a = (axis + 1) % 3, b = (axis + 2) % 3, i, j;
	r[a][a] = c, r[a][b] = -s, r[b][a] = s, r[b][b] = c;
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 3; j++)
			t[4 * i + j] = r[i][j] * sc[j];
		t[4 * i + 3] = off[i];
	}
	t[1] += shear;
}

/* Brute force: solve T * p = w - offset by Cramer's rule. */
static void solve(const double t[12], const double w[3], double p[3])
{
	double m[3][3], rhs[3], det;
	int i, j, k;
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 3; j++)
			m[i][j] = t[4 * i + j];
		rhs[i] = w[i] - t[4 * i + 3];
	}
	det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
	      m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
	      m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
	for (k = 0; k < 3; k++) {
		double c[3][3], d;
		memcpy(c, m, sizeof c);
		for (i = 0; i < 3; i++)
			c[i][k] = rhs[i];
		d = c[0][0] * (c[1][1] * c[2][2] - c[1][2] * c[2][1]) -
		    c[0][1] * (c[1][0] * c[2][2] - c[1][2] * c[2][0]) +
		    c[0][2] * (c[1][0] * c[2][1] - c[1][1] * c[2][0]);
		p[k] = d / det;
	}
}

/* Brute force trilinear: sum over the 8 corners of max(0, 1 - |q - v|)
 * with q clamped to [0, n-1]; 0 outside [-0.5, n - 0.5). */
static double brute(const struct slab *s, const double p[3])
{
	const int n[3] = {s->nx, s->ny, s->nz};
	double q[3], v = 0;
	int a, x, y, z;
	for (a = 0; a < 3; a++) {
		if (p[a] < -0.5 || p[a] >= n[a] - 0.5)
			return 0;
		q[a] = p[a] < 0 ? 0 : p[a] > n[a] - 1 ? n[a] - 1 : p[a];
	}
	for (z = 0; z < n[2]; z++)
		for (y = 0; y < n[1]; y++)
			for (x = 0; x < n[0]; x++) {
				double w = fmax(0, 1 - fabs(q[0] - x)) * fmax(0, 1 - fabs(q[1] - y)) *
				           fmax(0, 1 - fabs(q[2] - z));
				if (w > 0)
					v += w * ((const float *)s->data)[slab_index(s, x, y, 0, z)];
			}
	return v;
}

static void test_invert(void)
{
	double t[12], inv[12], m[12], z[12] = {0};
	const double sc[3] = {0.7, 1.3, 2.5}, off[3] = {-10, 4.5, 33};
	int i;
	make_affine(0.4, 1, sc, off, 0.2, t);
	CHECK(affine_invert(t, inv) == 0);
	affine_mul(t, inv, m);
	for (i = 0; i < 12; i++)
		CHECK_NEAR(m[i], i % 5 == 0 ? 1.0 : 0.0, 1e-12);
	affine_mul(inv, t, m);
	for (i = 0; i < 12; i++)
		CHECK_NEAR(m[i], i % 5 == 0 ? 1.0 : 0.0, 1e-12);
	fprintf(stderr, "(expected) ");
	CHECK(affine_invert(z, inv) == -1);
}

/* A rotated, sheared f32 source against the brute-force sum; target grids
 * that extend past the source so that outside and edges are hit. */
static void test_brute(void)
{
	struct slab s, o;
	struct rng r;
	double ts[12], tt[12], inv[12];
	const double sc1[3] = {1.2, 0.9, 2.0}, off1[3] = {-3, 2, -5};
	const double sc2[3] = {0.8, 0.75, 1.1}, off2[3] = {-4, 0.5, -6};
	int i, j, k, worst_ok = 1;
	size_t q, inside = 0, outside = 0;
	rng_seed(&r, 7);
	CHECK(slab_alloc(&s, "b", 7, 6, 5, 1, SLAB_F32) == 0);
	for (q = 0; q < slab_count(&s); q++)
		((float *)s.data)[q] = (float)rng_uniform(&r);
	make_affine(0.3, 2, sc1, off1, 0.1, ts);
	make_affine(-0.2, 0, sc2, off2, 0, tt);
	memcpy(s.transform, ts, sizeof ts);
	CHECK(slab_regrid(&s, 13, 12, 11, tt, REGRID_LINEAR, &o) == 0);
	CHECK(o.nx == 13 && o.ny == 12 && o.nz == 11 && o.type == SLAB_F32);
	CHECK(!memcmp(o.transform, tt, sizeof tt));
	CHECK_NEAR(o.spacing[0], 0.8, 1e-12);
	CHECK(affine_invert(ts, inv) == 0);
	for (k = 0; k < 11; k++)
		for (j = 0; j < 12; j++)
			for (i = 0; i < 13; i++) {
				double w[3], p[3], want, got;
				affine_apply(tt, i, j, k, w);
				solve(ts, w, p);
				want = brute(&s, p);
				got = ((const float *)o.data)[slab_index(&o, i, j, 0, k)];
				if (fabs(got - want) > 1e-5)
					worst_ok = 0;
				if (want == 0 && (p[0] < -0.5 || p[1] < -0.5 || p[2] < -0.5 || p[0] > 6.5 ||
				                  p[1] > 5.5 || p[2] > 4.5))
					outside++;
				else
					inside++;
			}
	CHECK(worst_ok);
	CHECK(inside > 100 && outside > 100); /* both cases were exercised */
	slab_free(&o);
	/* nearest: the value at floor(p + 0.5) */
	for (q = 0; q < slab_count(&s); q++)
		((float *)s.data)[q] = (float)q;
	CHECK(slab_regrid(&s, 13, 12, 11, tt, REGRID_NEAREST, &o) == 0);
	worst_ok = 1;
	for (k = 0; k < 11; k++)
		for (j = 0; j < 12; j++)
			for (i = 0; i < 13; i++) {
				double w[3], p[3], want = 0;
				int x, y, z;
				affine_apply(tt, i, j, k, w);
				solve(ts, w, p);
				x = (int)floor(p[0] + 0.5), y = (int)floor(p[1] + 0.5), z = (int)floor(p[2] + 0.5);
				if (x >= 0 && x < 7 && y >= 0 && y < 6 && z >= 0 && z < 5)
					want = (double)slab_index(&s, x, y, 0, z);
				if (((const float *)o.data)[slab_index(&o, i, j, 0, k)] != want)
					worst_ok = 0;
			}
	CHECK(worst_ok);
	slab_free(&o);
	slab_free(&s);
}

/* Known answers on an axis-aligned pair of grids. */
static void test_known(void)
{
	struct slab s, o;
	double tt[12] = {0.5, 0, 0, -0.25, 0, 0.5, 0, -0.25, 0, 0, 1, 0}; /* 2x finer in-plane */
	double tc[12] = {1, 0, 0, -2, 0, 1, 0, -1, 0, 0, 1, 0};            /* whole-voxel shift */
	int i, j, k, ok = 1;
	size_t q;
	CHECK(slab_alloc(&s, "k", 4, 3, 2, 2, SLAB_F32) == 0);
	/* a linear field (channel 0) and its negative (channel 1) */
	for (k = 0; k < 2; k++)
		for (j = 0; j < 3; j++)
			for (i = 0; i < 4; i++) {
				((float *)s.data)[slab_index(&s, i, j, 0, k)] = (float)(1 + 2 * i + 3 * j + 5 * k);
				((float *)s.data)[slab_index(&s, i, j, 1, k)] = (float)-(1 + 2 * i + 3 * j + 5 * k);
			}
	CHECK(slab_regrid(&s, 8, 6, 2, tt, REGRID_LINEAR, &o) == 0);
	CHECK(o.nc == 2);
	for (k = 0; k < 2; k++)
		for (j = 0; j < 6; j++)
			for (i = 0; i < 8; i++) {
				/* target (i,j) is source (i/2 - 0.25, j/2 - 0.25), clamped at the edges */
				double x = fmin(fmax(i / 2.0 - 0.25, 0), 3), y = fmin(fmax(j / 2.0 - 0.25, 0), 2);
				double want = 1 + 2 * x + 3 * y + 5 * k;
				if (fabs(((float *)o.data)[slab_index(&o, i, j, 0, k)] - want) > 1e-5 ||
				    fabs(((float *)o.data)[slab_index(&o, i, j, 1, k)] + want) > 1e-5)
					ok = 0;
			}
	CHECK(ok);
	slab_free(&o);
	/* half a voxel past the edge is outside: 0 */
	{
		double p[3] = {3.49, 1, 0.5}, p2[3] = {3.5, 1, 0.5}, p3[3] = {-0.5, 0, 0},
		       p4[3] = {-0.51, 0, 0};
		CHECK_NEAR(regrid_sample(&s, 0, p, REGRID_LINEAR), 1 + 6 + 3 + 2.5, 1e-9);
		CHECK(regrid_sample(&s, 0, p2, REGRID_LINEAR) == 0);
		CHECK_NEAR(regrid_sample(&s, 0, p3, REGRID_LINEAR), 1, 1e-12);
		CHECK(regrid_sample(&s, 0, p4, REGRID_LINEAR) == 0);
		CHECK(regrid_sample(&s, 0, p2, REGRID_NEAREST) == 0);
		CHECK(regrid_sample(&s, 0, p3, REGRID_NEAREST) == 1);
	}
	/* a whole-voxel shift: a copy where it overlaps, 0 elsewhere; z matches
	 * exactly, so nothing of the other slice leaks in */
	CHECK(slab_regrid(&s, 5, 4, 2, tc, REGRID_LINEAR, &o) == 0);
	ok = 1;
	for (k = 0; k < 2; k++)
		for (j = 0; j < 4; j++)
			for (i = 0; i < 5; i++) {
				int x = i - 2, y = j - 1;
				float want = x >= 0 && x < 4 && y >= 0 && y < 3
				             ? ((float *)s.data)[slab_index(&s, x, y, 0, k)] : 0;
				if (((float *)o.data)[slab_index(&o, i, j, 0, k)] != want)
					ok = 0;
			}
	CHECK(ok);
	slab_free(&o);
	slab_free(&s);
	/* u8 nearest keeps values (255 too: the tool decides what it means) */
	CHECK(slab_alloc(&s, "u", 3, 2, 1, 1, SLAB_U8) == 0);
	for (q = 0; q < 6; q++)
		((uint8_t *)s.data)[q] = (uint8_t)(q == 5 ? 255 : q * 10);
	CHECK(slab_regrid(&s, 6, 4, 1, tt, REGRID_NEAREST, &o) == 0);
	CHECK(o.type == SLAB_U8);
	ok = 1;
	for (j = 0; j < 4; j++)
		for (i = 0; i < 6; i++)
			if (((uint8_t *)o.data)[j * 6 + i] != ((uint8_t *)s.data)[(j / 2) * 3 + i / 2])
				ok = 0;
	CHECK(ok);
	slab_free(&o);
	slab_free(&s);
}

/* resample.h's crop and resize, then back onto the original grid. */
static void test_round_trip(void)
{
	struct slab a, c, r, b;
	const double t[12] = {0, -1.5, 0, 40, 0.9, 0, 0, -7, 0, 0, 2.5, 3};
	int i, j, k, ok = 1, x0 = (17 - 12) / 2, y0 = (13 - 16) / 2 - 1;
	size_t q, agree = 0;
	CHECK(slab_alloc(&a, "rt", 17, 13, 3, 1, SLAB_U8) == 0);
	memcpy(a.transform, t, sizeof t);
	for (k = 0; k < 3; k++)
		for (j = 0; j < 13; j++)
			for (i = 0; i < 17; i++)
				((uint8_t *)a.data)[slab_index(&a, i, j, 0, k)] =
					(uint8_t)((i - 8) * (i - 8) + (j - 6) * (j - 6) < 20 + 4 * k);
	/* crop: smaller in x, larger in y (padding) */
	CHECK(slab_crop(&a, 12, 16, &c) == 0);
	CHECK(slab_regrid(&c, 17, 13, 3, a.transform, REGRID_NEAREST, &b) == 0);
	for (k = 0; k < 3; k++)
		for (j = 0; j < 13; j++)
			for (i = 0; i < 17; i++) {
				int in = i >= x0 && i < x0 + 12 && j - y0 >= 0 && j - y0 < 16;
				uint8_t v = ((uint8_t *)b.data)[slab_index(&b, i, j, 0, k)];
				if (v != (in ? ((uint8_t *)a.data)[slab_index(&a, i, j, 0, k)] : 0))
					ok = 0;
			}
	CHECK(ok);
	slab_free(&b);
	/* 2x nearest upsampling comes back exactly */
	CHECK(slab_resize(&c, 24, 32, 1, &r) == 0);
	CHECK(slab_regrid(&r, 17, 13, 3, a.transform, REGRID_NEAREST, &b) == 0);
	ok = 1;
	for (k = 0; k < 3; k++)
		for (j = 0; j < 13; j++)
			for (i = 0; i < 17; i++) {
				int in = i >= x0 && i < x0 + 12;
				uint8_t v = ((uint8_t *)b.data)[slab_index(&b, i, j, 0, k)];
				if (v != (in ? ((uint8_t *)a.data)[slab_index(&a, i, j, 0, k)] : 0))
					ok = 0;
			}
	CHECK(ok);
	slab_free(&b);
	slab_free(&r);
	/* downsampling loses detail but not position: most voxels agree */
	CHECK(slab_resize(&c, 8, 11, 1, &r) == 0);
	CHECK(slab_regrid(&r, 17, 13, 3, a.transform, REGRID_NEAREST, &b) == 0);
	for (q = 0; q < slab_count(&a); q++)
		agree += ((uint8_t *)b.data)[q] == ((uint8_t *)a.data)[q];
	CHECK(agree >= slab_count(&a) * 9 / 10);
	slab_free(&b);
	slab_free(&r);
	slab_free(&c);
	slab_free(&a);
}

int main(void)
{
	progname = "test_regrid";
	test_invert();
	test_brute();
	test_known();
	test_round_trip();
	return CHECK_DONE();
}
