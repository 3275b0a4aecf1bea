/* winograd_rows.c: the Winograd transforms of winograd.c vectorized along
 * a tile row (vec.h, any vector width; see winograd_impl.h), for the
 * builds without AVX2 staging: AVX-512 and the generic one. */
#include "isa_names.h" /* compiled once per instruction set */

#include "winograd_impl.h"

#if !WINO_STAGED

#include <stddef.h>

#pragma GCC optimize("fp-contract=fast")

/* The tiles of tile row ty of image n of one channel plane (N*H*W floats)
 * into V[xi*xs + u], u < ts: V = B^T d B, where tile u's patch d is rows
 * 2ty-1 .. 2ty+2, columns 2u-1 .. 2u+2 (zero outside the image). */
void wino_row_input(float *V, size_t xs, const float *plane, int H, int W, int n,
                    int ty, const struct geo *g)
{
	const float *row[4];
	_Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) {
		int y = 2 * ty - 1 + i;
		row[i] = y >= 0 && y < H ? plane + ((size_t)n * H + y) * W : NULL;
	}
	for (int u0 = 0; u0 < g->ts; u0 += VL) {
		int m = g->ts - u0, x0 = 2 * u0 - 1;
		vf d[4][4], r[4][4];
		_Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) {
			if (!row[i]) {
				d[i][0] = d[i][1] = d[i][2] = d[i][3] = vbcast(0);
				continue;
			}
			vf a = vload_row(row[i], x0, W), b = vload_row(row[i], x0 + VL, W);
			vf a2 = vload_row(row[i], x0 + 2, W), b2 = vload_row(row[i], x0 + 2 + VL, W);
			d[i][0] = veven(a, b), d[i][1] = vodd(a, b);
			d[i][2] = veven(a2, b2), d[i][3] = vodd(a2, b2);
		}
		_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
			r[0][j] = d[0][j] - d[2][j];
			r[1][j] = d[1][j] + d[2][j];
			r[2][j] = d[2][j] - d[1][j];
			r[3][j] = d[1][j] - d[3][j];
		}
		float *v = V + u0;
		_Pragma("GCC unroll 4") for (int a = 0; a < 4; a++) {
			vstore_upto(v + (4 * a + 0) * xs, r[a][0] - r[a][2], m);
			vstore_upto(v + (4 * a + 1) * xs, r[a][1] + r[a][2], m);
			vstore_upto(v + (4 * a + 2) * xs, r[a][2] - r[a][1], m);
			vstore_upto(v + (4 * a + 3) * xs, r[a][1] - r[a][3], m);
		}
	}
}

/* Rows 2ty, 2ty+1 of image n of one output plane from M[xi*xs + u]:
 * A^T M A + bias, ReLU if relu. */
void wino_row_output(float *plane, const float *M, size_t xs, float bias, int relu,
                     int H, int W, int n, int ty, const struct geo *g)
{
	vf bv = vbcast(bias), z = vbcast(0);
	for (int u0 = 0; u0 < g->tw; u0 += VL) {
		int m = g->tw - u0;
		vf s[2][4];
		_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
			vf m0 = vload_upto(M + (0 + j) * xs + u0, m), m1 = vload_upto(M + (4 + j) * xs + u0, m);
			vf m2 = vload_upto(M + (8 + j) * xs + u0, m), m3 = vload_upto(M + (12 + j) * xs + u0, m);
			s[0][j] = m0 + m1 + m2;
			s[1][j] = m1 - m2 - m3;
		}
		_Pragma("GCC unroll 4") for (int r = 0; r < 2; r++) {
			int y = 2 * ty + r;
			if (y >= H)
				break;
			vf y0 = s[r][0] + s[r][1] + s[r][2] + bv, y1 = s[r][1] - s[r][2] - s[r][3] + bv;
			vf lo = vilo(y0, y1), hi = vihi(y0, y1);
			if (relu)
				lo = vselect(lo > z, lo), hi = vselect(hi > z, hi);
			float *o = plane + ((size_t)n * H + y) * W + 2 * u0;
			int np = W - 2 * u0;
			vstore_upto(o, lo, np);
			vstore_upto(o + VL, hi, np - VL);
		}
	}
}

/* The adjoint of wino_row_output (no bias): DM[xi*xs + u] = A dY A^T for
 * the tiles of tile row ty of image n of one plane of dout. */
void wino_row_dout(float *DM, size_t xs, const float *plane, int H, int W, int n,
                   int ty, const struct geo *g)
{
	for (int u0 = 0; u0 < g->ts; u0 += VL) {
		int m = g->ts - u0, np = W - 2 * u0;
		vf c[2][4];
		_Pragma("GCC unroll 4") for (int r = 0; r < 2; r++) {
			int y = 2 * ty + r;
			vf d0 = vbcast(0), d1 = d0;
			if (y < H) {
				const float *p = plane + ((size_t)n * H + y) * W + 2 * u0;
				vf a = vload_upto(p, np), b = vload_upto(p + VL, np - VL);
				d0 = veven(a, b), d1 = vodd(a, b);
			}
			c[r][0] = d0, c[r][1] = d0 + d1, c[r][2] = d0 - d1, c[r][3] = -d1;
		}
		float *o = DM + u0;
		_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
			vstore_upto(o + (0 + j) * xs, c[0][j], m);
			vstore_upto(o + (4 + j) * xs, c[0][j] + c[1][j], m);
			vstore_upto(o + (8 + j) * xs, c[0][j] - c[1][j], m);
			vstore_upto(o + (12 + j) * xs, -c[1][j], m);
		}
	}
}

/* The adjoint of wino_row_input: ADDS B dV B^T of the tiles of tile row
 * ty of image n into one plane of din. */
void wino_row_adjoint(float *plane, const float *DV, size_t xs, int H, int W, int n,
                      int ty, const struct geo *g)
{
	float *row[4];
	_Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) {
		int y = 2 * ty - 1 + i;
		row[i] = y >= 0 && y < H ? plane + ((size_t)n * H + y) * W : NULL;
	}
	for (int u0 = 0; u0 < g->tw; u0 += VL) {
		int m = g->tw - u0, x0 = 2 * u0 - 1;
		vf e[4][4];
		_Pragma("GCC unroll 4") for (int a = 0; a < 4; a++) {
			const float *v = DV + u0 + 4 * a * xs;
			vf d0 = vload_upto(v, m), d1 = vload_upto(v + xs, m);
			vf d2 = vload_upto(v + 2 * xs, m), d3 = vload_upto(v + 3 * xs, m);
			e[a][0] = d0;
			e[a][1] = d1 - d2 + d3;
			e[a][2] = d1 + d2 - d0;
			e[a][3] = -d3;
		}
		_Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) {
			if (!row[i])
				continue;
			vf dd[4];
			_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++)
				dd[j] = i == 0 ? e[0][j] : i == 1 ? e[1][j] - e[2][j] + e[3][j]
				        : i == 2 ? e[1][j] + e[2][j] - e[0][j] : -e[3][j];
			/* columns x0 .. x0 + 2VL - 1 get dd[0], dd[1] interleaved; x0 + 2 ..
			 * x0 + 2VL + 1 dd[2], dd[3]: added as one shifted pair */
			vf lo = vilo(dd[0], dd[1]), hi = vihi(dd[0], dd[1]);
			vf lo2 = vilo(dd[2], dd[3]), hi2 = vihi(dd[2], dd[3]);
			vadd_row(row[i], x0, W, lo);
			vadd_row(row[i], x0 + VL, W, hi);
			vadd_row(row[i], x0 + 2, W, lo2);
			vadd_row(row[i], x0 + 2 + VL, W, hi2);
		}
	}
}

#endif
