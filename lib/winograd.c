/* winograd.c: F(2x2,3x3) convolution (see winograd.h).
 *
 * Tiles are taken a few "tile rows" at a time (tile row g = n*th + ty of
 * image n covers image rows 2ty .. 2ty+1). Within a block, tile row r holds
 * ts = tw + 1 tiles: the tw tiles of the row and one dummy, so that tile u's
 * patch columns 2u-1 .. 2u+2 of a zero-padded row are the even and odd
 * lanes of consecutive vectors and every transform is vectorized over
 * tiles (loads and stores at the image's edges are masked). Transformed data: V[xi][c][t], M[xi][k][t] (xi = 4a + b, the
 * position in the 4x4 tile, t the tile in the block), U[xi][k][c]; the 16
 * products M[xi] = U[xi] V[xi] run with gemm_rows (kernels.h). */
#include "winograd.h"

#include "kernels.h"
#include "vec.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC optimize("fp-contract=fast")

/* Floats of V and M per block, about (L2-sized). */
#define WINO_FLOATS 98304

struct geo {
	int th, tw, ts; /* tile rows and tiles per image row, ts = tw + 1 */
	int rows;       /* tile rows per block */
};

static void geo_init(struct geo *g, int N, int C, int K, int H, int W)
{
	g->th = (H + 1) / 2, g->tw = (W + 1) / 2, g->ts = g->tw + 1;
	long r = WINO_FLOATS / (16L * (C + K) * g->ts);
	long G = (long)N * g->th;
	g->rows = r < 1 ? 1 : r > G ? (int)G : (int)r;
}

size_t wino_scratch(int N, int C, int K, int H, int W)
{
	struct geo g;
	geo_init(&g, N, C, K, H, W);
	size_t L = (size_t)g.rows * g.ts;
	return 16 * (size_t)(C + K) * L + 32 * (size_t)K * C;
}

/* U[xi][k][c] = (G g G^T)[a][b] for g = w[k][c]. */
static void weights_transform(float *U, const float *w, int K, int C)
{
	size_t xs = (size_t)K * C;
	for (int k = 0; k < K; k++)
		for (int c = 0; c < C; c++) {
			const float *g = w + ((size_t)k * C + c) * 9;
			float t[4][3];
			for (int j = 0; j < 3; j++) {
				t[0][j] = g[j];
				t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
				t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
				t[3][j] = g[6 + j];
			}
			float *u = U + (size_t)k * C + c;
			_Pragma("GCC unroll 4") for (int a = 0; a < 4; a++) {
				u[(4 * a + 0) * xs] = t[a][0];
				u[(4 * a + 1) * xs] = 0.5f * (t[a][0] + t[a][1] + t[a][2]);
				u[(4 * a + 2) * xs] = 0.5f * (t[a][0] - t[a][1] + t[a][2]);
				u[(4 * a + 3) * xs] = t[a][2];
			}
		}
}

/* dw[k][c] += G^T dU G, the adjoint of weights_transform. */
static void weights_adjoint(float *dw, const float *dU, int K, int C)
{
	size_t xs = (size_t)K * C;
	for (int k = 0; k < K; k++)
		for (int c = 0; c < C; c++) {
			const float *d = dU + (size_t)k * C + c;
			float f[4][3];
			_Pragma("GCC unroll 4") for (int a = 0; a < 4; a++) {
				float d0 = d[(4 * a) * xs], d1 = d[(4 * a + 1) * xs];
				float d2 = d[(4 * a + 2) * xs], d3 = d[(4 * a + 3) * xs];
				f[a][0] = d0 + 0.5f * (d1 + d2);
				f[a][1] = 0.5f * (d1 - d2);
				f[a][2] = 0.5f * (d1 + d2) + d3;
			}
			float *g = dw + ((size_t)k * C + c) * 9;
			for (int j = 0; j < 3; j++) {
				g[j] += f[0][j] + 0.5f * (f[1][j] + f[2][j]);
				g[3 + j] += 0.5f * (f[1][j] - f[2][j]);
				g[6 + j] += 0.5f * (f[1][j] + f[2][j]) + f[3][j];
			}
		}
}

/* The tiles of tile row ty of image n of one channel plane (N*H*W floats)
 * into V[xi*xs + u], u < ts: V = B^T d B, where tile u's patch d is rows
 * 2ty-1 .. 2ty+2, columns 2u-1 .. 2u+2 (zero outside the image). */
static void input_transform(float *V, size_t xs, const float *plane, int H, int W, int n,
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
static void output_transform(float *plane, const float *M, size_t xs, float bias, int relu,
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

/* The adjoint of output_transform (no bias): DM[xi*xs + u] = A dY A^T for
 * the tiles of tile row ty of image n of one plane of dout. */
static void dout_transform(float *DM, size_t xs, const float *plane, int H, int W, int n,
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

/* The adjoint of input_transform: ADDS B dV B^T of the tiles of tile row
 * ty of image n into one plane of din. */
static void input_adjoint(float *plane, const float *DV, size_t xs, int H, int W, int n,
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

void wino_forward(float *out, float *scratch, const float *in, const float *w,
                  const float *b, int N, int C, int K, int H, int W, int relu)
{
	struct geo g;
	geo_init(&g, N, C, K, H, W);
	size_t plane = (size_t)N * H * W, Lmax = (size_t)g.rows * g.ts;
	float *V = scratch, *M = V + 16 * (size_t)C * Lmax, *U = M + 16 * (size_t)K * Lmax;
	const float **rows = malloc((size_t)C * sizeof *rows);
	weights_transform(U, w, K, C);
	int G = N * g.th;
	for (int g0 = 0; g0 < G; g0 += g.rows) {
		int g1 = g0 + g.rows < G ? g0 + g.rows : G;
		size_t L = (size_t)(g1 - g0) * g.ts;
		for (int c = 0; c < C; c++)
			for (int r = g0; r < g1; r++)
				input_transform(V + c * L + (size_t)(r - g0) * g.ts, (size_t)C * L,
				                in + c * plane, H, W, r / g.th, r % g.th, &g);
		for (int xi = 0; xi < 16; xi++) {
			for (int c = 0; c < C; c++)
				rows[c] = V + ((size_t)xi * C + c) * L;
			gemm_rows(K, (int)L, C, U + (size_t)xi * K * C, C, 1, rows,
			          M + (size_t)xi * K * L, (ptrdiff_t)L, 0, NULL);
		}
		for (int k = 0; k < K; k++)
			for (int r = g0; r < g1; r++)
				output_transform(out + k * plane, M + k * L + (size_t)(r - g0) * g.ts,
				                 (size_t)K * L, b[k], relu, H, W, r / g.th, r % g.th, &g);
	}
	free(rows);
}

void wino_backward(float *din, float *dw, float *db, float *scratch, float *dout,
                   const float *relu_out, const float *in, const float *w, int N, int C,
                   int K, int H, int W)
{
	struct geo g;
	geo_init(&g, N, C, K, H, W);
	size_t plane = (size_t)N * H * W, Lmax = (size_t)g.rows * g.ts;
	float *V = scratch, *M = V + 16 * (size_t)C * Lmax, *U = M + 16 * (size_t)K * Lmax;
	float *dU = U + 16 * (size_t)K * C;
	const float **rows = malloc((size_t)K * sizeof *rows);
	if (relu_out)
		vec_relu_mask(dout, relu_out, K * plane);
	for (int k = 0; k < K; k++)
		db[k] += (float)vec_sum(dout + k * plane, plane);
	if (din)
		weights_transform(U, w, K, C);
	memset(dU, 0, 16 * (size_t)K * C * sizeof *dU);
	int G = N * g.th;
	for (int g0 = 0; g0 < G; g0 += g.rows) {
		int g1 = g0 + g.rows < G ? g0 + g.rows : G;
		size_t L = (size_t)(g1 - g0) * g.ts;
		for (int c = 0; c < C; c++)
			for (int r = g0; r < g1; r++)
				input_transform(V + c * L + (size_t)(r - g0) * g.ts, (size_t)C * L,
				                in + c * plane, H, W, r / g.th, r % g.th, &g);
		for (int k = 0; k < K; k++)
			for (int r = g0; r < g1; r++)
				dout_transform(M + k * L + (size_t)(r - g0) * g.ts, (size_t)K * L,
				               dout + k * plane, H, W, r / g.th, r % g.th, &g);
		/* dU[xi] += M[xi] V[xi]^T */
		for (int xi = 0; xi < 16; xi++)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, K, C, (int)L, 1.0f,
			            M + (size_t)xi * K * L, (int)L, V + (size_t)xi * C * L, (int)L, 1.0f,
			            dU + (size_t)xi * K * C, C);
		if (!din)
			continue;
		/* V[xi] = U[xi]^T M[xi], then its adjoint transform into din */
		for (int xi = 0; xi < 16; xi++) {
			for (int k = 0; k < K; k++)
				rows[k] = M + ((size_t)xi * K + k) * L;
			gemm_rows(C, (int)L, K, U + (size_t)xi * K * C, 1, C, rows,
			          V + (size_t)xi * C * L, (ptrdiff_t)L, 0, NULL);
		}
		for (int c = 0; c < C; c++)
			for (int r = g0; r < g1; r++)
				input_adjoint(din + c * plane, V + c * L + (size_t)(r - g0) * g.ts,
				              (size_t)C * L, H, W, r / g.th, r % g.th, &g);
	}
	weights_adjoint(dw, dU, K, C);
	free(rows);
}
