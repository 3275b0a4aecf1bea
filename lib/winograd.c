/* winograd.c: F(2x2,3x3) convolution (see winograd.h).
 *
 * Tiles are taken a few "tile rows" at a time (tile row g = n*th + ty of
 * image n covers image rows 2ty .. 2ty+1). Within a block, tile row r holds
 * ts = tw + 1 tiles: the tw tiles of the row and one dummy, so that tile u's
 * patch columns 2u-1 .. 2u+2 of a zero-padded row are the even and odd
 * lanes of consecutive vectors and every transform is vectorized over
 * tiles (loads and stores at the image's edges are masked). Transformed
 * data: V[xi][c][t], M[xi][k][t] (xi = 4a + b, the position in the 4x4
 * tile, t the tile in the block), U[xi][k][c]; the 16 products
 * M[xi] = U[xi] V[xi] run with gemm_rows (kernels.h).
 *
 * With AVX2 and no AVX-512 (WINO_STAGED) the transforms are vectorized
 * over the tiles of a block instead, across tile rows, with no dummy
 * (ts = tw), the rows of V and M ordered [c][xi]; see "staged" below. */
#include "winograd.h"

#include "kernels.h"
#include "vec.h"

#include <cblas.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC optimize("fp-contract=fast")

/* AVX2 without AVX-512: the staged transforms (below). */
#if defined(__AVX2__) && !defined(__AVX512F__)
#define WINO_STAGED 1
#else
#define WINO_STAGED 0
#endif

/* Floats of V and M per block, about (L2-sized). */
#define WINO_FLOATS 98304

struct geo {
	int th, tw, ts; /* tile rows and tiles per image row; ts = tw + 1 (a
	                   dummy), or tw for narrow rows (scalar transforms)
	                   and when staged */
	int scalar;     /* narrow rows: tiles packed without dummies and
	                   transformed one at a time (vectors would be mostly
	                   empty), the products still over all tiles */
	int rows;       /* tile rows per block */
};

/* Rows narrower than this many tiles use the scalar transforms. */
#define WINO_SCALAR_TW 8

static void geo_init(struct geo *g, int N, int C, int K, int H, int W)
{
	g->th = (H + 1) / 2, g->tw = (W + 1) / 2;
	g->scalar = !WINO_STAGED && g->tw < WINO_SCALAR_TW;
	g->ts = g->tw + !g->scalar - WINO_STAGED;
	/* about WINO_FLOATS of V and M, but at least 128 tiles: the products
	 * need some length to run near peak (measured) */
	long r = WINO_FLOATS / (16L * (C + K) * g->ts), rmin = (128 + g->ts - 1) / g->ts;
	if (r < rmin)
		r = rmin;
	long G = (long)N * g->th;
	g->rows = r < 1 ? 1 : r > G ? (int)G : (int)r;
}

static size_t table_floats(const struct geo *g, size_t L);

/* Row stride of V and M for blocks of up to L tiles, and the length of the
 * products: staged, L rounded up to whole vectors (the extra columns
 * zero), and a vector of slack for the stores past the last tile. */
static size_t prod_len(size_t L)
{
	return WINO_STAGED ? (L + VL - 1) / VL * VL : L;
}

static size_t row_stride(size_t L)
{
	return WINO_STAGED ? prod_len(L) + VL : L;
}

/* The weight gradient's products dU[xi] += M[xi] V[xi]^T: OpenBLAS copies
 * both operands at every call, which costs as much as the product with 16
 * channels in and out; with few channels gemm_dots instead, its vector
 * partial sums kept over the blocks (16 K C VL floats) and added up at the
 * end. */
static int use_dots(int K, int C)
{
	return WINO_STAGED && K * C <= 512; /* measured with AVX2: 3-13 % faster
	                                       up to 512, 7-11 % slower from 1024 */
}

static size_t dots_floats(int K, int C)
{
	return use_dots(K, C) ? 16 * (size_t)K * C * VL : 0;
}

size_t wino_scratch(int N, int C, int K, int H, int W)
{
	struct geo g;
	geo_init(&g, N, C, K, H, W);
	size_t L = (size_t)g.rows * g.ts;
	return 16 * (size_t)(C + K) * row_stride(L) + 32 * (size_t)K * C + table_floats(&g, L) +
	       dots_floats(K, C);
}

/* The weight transforms, written once for a float or a vector of VL
 * (k, c) pairs: g[j] tap j (row-major 3x3), u[xi] = (G g G^T)[xi]. */
#define WEIGHTS_TRANSFORM(T, g, u)                                                       \
	do {                                                                             \
		T t_[4][3];                                                              \
		for (int j = 0; j < 3; j++) {                                            \
			t_[0][j] = g[j];                                                 \
			t_[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);                  \
			t_[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);                  \
			t_[3][j] = g[6 + j];                                             \
		}                                                                        \
		for (int a = 0; a < 4; a++) {                                            \
			u[4 * a + 0] = t_[a][0];                                         \
			u[4 * a + 1] = 0.5f * (t_[a][0] + t_[a][1] + t_[a][2]);          \
			u[4 * a + 2] = 0.5f * (t_[a][0] - t_[a][1] + t_[a][2]);          \
			u[4 * a + 3] = t_[a][2];                                         \
		}                                                                        \
	} while (0)

/* ... and its adjoint: dg[j] = (G^T d G)[j] for d[xi]. */
#define WEIGHTS_ADJOINT(T, d, dg)                                                        \
	do {                                                                             \
		T f_[4][3];                                                              \
		for (int a = 0; a < 4; a++) {                                            \
			T d0 = d[4 * a], d1 = d[4 * a + 1], d2 = d[4 * a + 2], d3 = d[4 * a + 3]; \
			f_[a][0] = d0 + 0.5f * (d1 + d2);                                \
			f_[a][1] = 0.5f * (d1 - d2);                                     \
			f_[a][2] = 0.5f * (d1 + d2) + d3;                                \
		}                                                                        \
		for (int j = 0; j < 3; j++) {                                            \
			dg[j] = f_[0][j] + 0.5f * (f_[1][j] + f_[2][j]);                 \
			dg[3 + j] = 0.5f * (f_[1][j] - f_[2][j]);                        \
			dg[6 + j] = 0.5f * (f_[1][j] + f_[2][j]) + f_[3][j];             \
		}                                                                        \
	} while (0)

/* U[xi][k][c] = (G g G^T)[xi] for g = w[k][c]. With AVX2, VL pairs at a
 * time, their taps gathered (the scalar version cost a fifth of the time on
 * small images with many channels). */
static void weights_transform(float *U, const float *w, int K, int C)
{
	size_t xs = (size_t)K * C, p = 0;
#if WINO_STAGED
	const __m256i nine = _mm256_setr_epi32(0, 9, 18, 27, 36, 45, 54, 63);
	for (; p + VL <= xs; p += VL) {
		vf g[9], u[16];
		for (int j = 0; j < 9; j++)
			g[j] = (vf)_mm256_i32gather_ps(w + p * 9 + j, nine, 4);
		WEIGHTS_TRANSFORM(vf, g, u);
		for (int x = 0; x < 16; x++)
			vstore(U + x * xs + p, u[x]);
	}
#endif
	for (; p < xs; p++) {
		float u[16];
		const float *g = w + p * 9;
		WEIGHTS_TRANSFORM(float, g, u);
		for (int x = 0; x < 16; x++)
			U[x * xs + p] = u[x];
	}
}

/* dw[k][c] += G^T dU G, the adjoint of weights_transform. */
static void weights_adjoint(float *dw, const float *dU, int K, int C)
{
	size_t xs = (size_t)K * C, p = 0;
#if WINO_STAGED
	for (; p + VL <= xs; p += VL) {
		vf d[16], dg[9];
		float t[9][VL];
		for (int x = 0; x < 16; x++)
			d[x] = vload(dU + x * xs + p);
		WEIGHTS_ADJOINT(vf, d, dg);
		for (int j = 0; j < 9; j++)
			vstore(t[j], dg[j]);
		for (int l = 0; l < VL; l++)
			for (int j = 0; j < 9; j++)
				dw[(p + l) * 9 + j] += t[j][l];
	}
#endif
	for (; p < xs; p++) {
		float d[16], dg[9];
		for (int x = 0; x < 16; x++)
			d[x] = dU[x * xs + p];
		WEIGHTS_ADJOINT(float, d, dg);
		for (int j = 0; j < 9; j++)
			dw[p * 9 + j] += dg[j];
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

/* The scalar transforms of narrow rows, tile by tile, the same arithmetic
 * as the vector ones. in(y, x): 0 outside the image. */
static float at(const float *img, int H, int W, int y, int x)
{
	return y >= 0 && y < H && x >= 0 && x < W ? img[(size_t)y * W + x] : 0;
}

static void input_transform1(float *V, size_t xs, const float *plane, int H, int W, int n,
                             int ty, const struct geo *g)
{
	const float *img = plane + (size_t)n * H * W;
	for (int u = 0; u < g->tw; u++) {
		float d[4][4], r[4][4];
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 4; j++)
				d[i][j] = at(img, H, W, 2 * ty - 1 + i, 2 * u - 1 + j);
		for (int j = 0; j < 4; j++) {
			r[0][j] = d[0][j] - d[2][j];
			r[1][j] = d[1][j] + d[2][j];
			r[2][j] = d[2][j] - d[1][j];
			r[3][j] = d[1][j] - d[3][j];
		}
		for (int a = 0; a < 4; a++) {
			V[(4 * a + 0) * xs + u] = r[a][0] - r[a][2];
			V[(4 * a + 1) * xs + u] = r[a][1] + r[a][2];
			V[(4 * a + 2) * xs + u] = r[a][2] - r[a][1];
			V[(4 * a + 3) * xs + u] = r[a][1] - r[a][3];
		}
	}
}

static void output_transform1(float *plane, const float *M, size_t xs, float bias, int relu,
                              int H, int W, int n, int ty, const struct geo *g)
{
	float *img = plane + (size_t)n * H * W;
	for (int u = 0; u < g->tw; u++) {
		float s[2][4];
		for (int j = 0; j < 4; j++) {
			float m0 = M[j * xs + u], m1 = M[(4 + j) * xs + u];
			float m2 = M[(8 + j) * xs + u], m3 = M[(12 + j) * xs + u];
			s[0][j] = m0 + m1 + m2;
			s[1][j] = m1 - m2 - m3;
		}
		for (int r = 0; r < 2 && 2 * ty + r < H; r++) {
			float y0 = s[r][0] + s[r][1] + s[r][2] + bias;
			float y1 = s[r][1] - s[r][2] - s[r][3] + bias;
			if (relu)
				y0 = y0 > 0 ? y0 : 0, y1 = y1 > 0 ? y1 : 0;
			float *o = img + (size_t)(2 * ty + r) * W + 2 * u;
			o[0] = y0;
			if (2 * u + 1 < W)
				o[1] = y1;
		}
	}
}

static void dout_transform1(float *DM, size_t xs, const float *plane, int H, int W, int n,
                            int ty, const struct geo *g)
{
	const float *img = plane + (size_t)n * H * W;
	for (int u = 0; u < g->tw; u++) {
		float c[2][4];
		for (int r = 0; r < 2; r++) {
			float d0 = at(img, H, W, 2 * ty + r, 2 * u), d1 = at(img, H, W, 2 * ty + r, 2 * u + 1);
			c[r][0] = d0, c[r][1] = d0 + d1, c[r][2] = d0 - d1, c[r][3] = -d1;
		}
		for (int j = 0; j < 4; j++) {
			DM[j * xs + u] = c[0][j];
			DM[(4 + j) * xs + u] = c[0][j] + c[1][j];
			DM[(8 + j) * xs + u] = c[0][j] - c[1][j];
			DM[(12 + j) * xs + u] = -c[1][j];
		}
	}
}

static void input_adjoint1(float *plane, const float *DV, size_t xs, int H, int W, int n,
                           int ty, const struct geo *g)
{
	float *img = plane + (size_t)n * H * W;
	for (int u = 0; u < g->tw; u++) {
		float e[4][4];
		for (int a = 0; a < 4; a++) {
			float d0 = DV[(4 * a) * xs + u], d1 = DV[(4 * a + 1) * xs + u];
			float d2 = DV[(4 * a + 2) * xs + u], d3 = DV[(4 * a + 3) * xs + u];
			e[a][0] = d0;
			e[a][1] = d1 - d2 + d3;
			e[a][2] = d1 + d2 - d0;
			e[a][3] = -d3;
		}
		for (int i = 0; i < 4; i++) {
			int y = 2 * ty - 1 + i;
			if (y < 0 || y >= H)
				continue;
			for (int j = 0; j < 4; j++) {
				int x = 2 * u - 1 + j;
				if (x < 0 || x >= W)
					continue;
				float dd = i == 0 ? e[0][j] : i == 1 ? e[1][j] - e[2][j] + e[3][j]
				           : i == 2 ? e[1][j] + e[2][j] - e[0][j] : -e[3][j];
				img[(size_t)y * W + x] += dd;
			}
		}
	}
}

#if defined(__AVX512F__)
/* With AVX-512, narrow rows are still vectorized: 16 consecutive tiles of a
 * block (any rows, any images) at once, their patches gathered and their
 * results scattered through a table of patch origins and edge masks. */
struct tiles {
	int L, nq;         /* tiles, chunks of 16 */
	int W;
	__m512i *org;      /* [nq] patch origin (row 2ty-1, column 2u-1) offsets */
	__mmask16 (*rm)[4], (*cm)[4]; /* [nq][4]: rows / columns i of the patch
	                                 inside the image (and the lane live) */
};

static void tiles_build(struct tiles *tl, int g0, int g1, int H, int W, const struct geo *g)
{
	tl->L = (g1 - g0) * g->tw, tl->nq = (tl->L + 15) / 16, tl->W = W;
	for (int q = 0; q < tl->nq; q++) {
		int32_t o[16];
		__mmask16 rm[4] = {0}, cm[4] = {0};
		for (int l = 0; l < 16; l++) {
			int t = 16 * q + l;
			o[l] = 0;
			if (t >= tl->L)
				continue;
			int r = g0 + t / g->tw, n = r / g->th, ty = r % g->th, u = t % g->tw;
			o[l] = (int32_t)(((long)n * H + 2 * ty - 1) * W + 2 * u - 1);
			for (int i = 0; i < 4; i++) {
				if (2 * ty - 1 + i >= 0 && 2 * ty - 1 + i < H)
					rm[i] |= (__mmask16)(1u << l);
				if (2 * u - 1 + i >= 0 && 2 * u - 1 + i < W)
					cm[i] |= (__mmask16)(1u << l);
			}
		}
		tl->org[q] = _mm512_loadu_si512(o);
		memcpy(tl->rm[q], rm, sizeof rm), memcpy(tl->cm[q], cm, sizeof cm);
	}
}

/* Bytes of a table for up to L tiles. */
static size_t tiles_bytes(size_t L)
{
	size_t nq = (L + 15) / 16;
	return nq * (sizeof(__m512i) + 8 * sizeof(__mmask16)) + 64;
}

static void tiles_point(struct tiles *tl, void *mem, size_t L)
{
	size_t nq = (L + 15) / 16;
	uintptr_t a = ((uintptr_t)mem + 63) & ~(uintptr_t)63;
	tl->org = (__m512i *)a;
	tl->rm = (__mmask16(*)[4])(tl->org + nq);
	tl->cm = tl->rm + nq;
}

static inline __m512i offs(__m512i o, int d)
{
	return _mm512_add_epi32(o, _mm512_set1_epi32(d));
}

static void input_transform_g(float *V, size_t xs, const float *plane, const struct tiles *tl)
{
	int W = tl->W;
	for (int q = 0; q < tl->nq; q++) {
		vf d[4][4], r[4][4];
		_Pragma("GCC unroll 4") for (int i = 0; i < 4; i++)
			_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++)
				d[i][j] = (vf)_mm512_mask_i32gather_ps(_mm512_setzero_ps(),
				                                        tl->rm[q][i] & tl->cm[q][j],
				                                        offs(tl->org[q], i * W + j), plane, 4);
		_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
			r[0][j] = d[0][j] - d[2][j];
			r[1][j] = d[1][j] + d[2][j];
			r[2][j] = d[2][j] - d[1][j];
			r[3][j] = d[1][j] - d[3][j];
		}
		float *v = V + 16 * q;
		int m = tl->L - 16 * q;
		_Pragma("GCC unroll 4") for (int a = 0; a < 4; a++) {
			vstore_upto(v + (4 * a + 0) * xs, r[a][0] - r[a][2], m);
			vstore_upto(v + (4 * a + 1) * xs, r[a][1] + r[a][2], m);
			vstore_upto(v + (4 * a + 2) * xs, r[a][2] - r[a][1], m);
			vstore_upto(v + (4 * a + 3) * xs, r[a][1] - r[a][3], m);
		}
	}
}

static void output_transform_g(float *plane, const float *M, size_t xs, float bias, int relu,
                               const struct tiles *tl)
{
	int W = tl->W;
	vf bv = vbcast(bias), z = vbcast(0);
	for (int q = 0; q < tl->nq; q++) {
		int m = tl->L - 16 * q;
		const float *mp = M + 16 * q;
		vf s[2][4];
		_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
			vf m0 = vload_upto(mp + j * xs, m), m1 = vload_upto(mp + (4 + j) * xs, m);
			vf m2 = vload_upto(mp + (8 + j) * xs, m), m3 = vload_upto(mp + (12 + j) * xs, m);
			s[0][j] = m0 + m1 + m2;
			s[1][j] = m1 - m2 - m3;
		}
		_Pragma("GCC unroll 2") for (int r = 0; r < 2; r++) {
			vf y[2] = {s[r][0] + s[r][1] + s[r][2] + bv, s[r][1] - s[r][2] - s[r][3] + bv};
			_Pragma("GCC unroll 2") for (int c = 0; c < 2; c++) {
				vf v = relu ? vselect(y[c] > z, y[c]) : y[c];
				_mm512_mask_i32scatter_ps(plane, tl->rm[q][1 + r] & tl->cm[q][1 + c],
				                          offs(tl->org[q], (1 + r) * W + 1 + c), (__m512)v, 4);
			}
		}
	}
}

static void dout_transform_g(float *DM, size_t xs, const float *plane, const struct tiles *tl)
{
	int W = tl->W;
	for (int q = 0; q < tl->nq; q++) {
		vf c[2][4];
		_Pragma("GCC unroll 2") for (int r = 0; r < 2; r++) {
			vf d[2];
			_Pragma("GCC unroll 2") for (int k = 0; k < 2; k++)
				d[k] = (vf)_mm512_mask_i32gather_ps(_mm512_setzero_ps(),
				                                     tl->rm[q][1 + r] & tl->cm[q][1 + k],
				                                     offs(tl->org[q], (1 + r) * W + 1 + k),
				                                     plane, 4);
			c[r][0] = d[0], c[r][1] = d[0] + d[1], c[r][2] = d[0] - d[1], c[r][3] = -d[1];
		}
		float *o = DM + 16 * q;
		int m = tl->L - 16 * q;
		_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
			vstore_upto(o + j * xs, c[0][j], m);
			vstore_upto(o + (4 + j) * xs, c[0][j] + c[1][j], m);
			vstore_upto(o + (8 + j) * xs, c[0][j] - c[1][j], m);
			vstore_upto(o + (12 + j) * xs, -c[1][j], m);
		}
	}
}

static void input_adjoint_g(float *plane, const float *DV, size_t xs, const struct tiles *tl)
{
	int W = tl->W;
	for (int q = 0; q < tl->nq; q++) {
		int m = tl->L - 16 * q;
		const float *v = DV + 16 * q;
		vf e[4][4];
		_Pragma("GCC unroll 4") for (int a = 0; a < 4; a++) {
			vf d0 = vload_upto(v + 4 * a * xs, m), d1 = vload_upto(v + (4 * a + 1) * xs, m);
			vf d2 = vload_upto(v + (4 * a + 2) * xs, m), d3 = vload_upto(v + (4 * a + 3) * xs, m);
			e[a][0] = d0;
			e[a][1] = d1 - d2 + d3;
			e[a][2] = d1 + d2 - d0;
			e[a][3] = -d3;
		}
		_Pragma("GCC unroll 4") for (int i = 0; i < 4; i++)
			_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
				vf dd = i == 0 ? e[0][j] : i == 1 ? e[1][j] - e[2][j] + e[3][j]
				        : i == 2 ? e[1][j] + e[2][j] - e[0][j] : -e[3][j];
				__mmask16 k = tl->rm[q][i] & tl->cm[q][j];
				__m512i ix = offs(tl->org[q], i * W + j);
				__m512 old = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), k, ix, plane, 4);
				_mm512_mask_i32scatter_ps(plane, k, ix, _mm512_add_ps(old, (__m512)dd), 4);
			}
	}
}
#endif

#if WINO_STAGED
/* With AVX2 (8-float vectors, no masked stores worth using), rows of tiles
 * are mostly a vector and a fraction wide, and their edges cost more than
 * their insides. So the tiles of a block are vectorized over their index in
 * the block instead, across tile rows, with no dummy tile (ts = tw): the
 * image rows that a run of tile rows of one image ("a segment") reads are
 * first copied, zero border included, into small arrays where element t
 * is the value tile t needs ("staging", columns split into even and odd
 * ones), so that each transform is plain vector loads and stores; results
 * go the other way. Stores run up to a vector past a segment's last tile:
 * into the next segment (written afterwards) or the slack at the end of
 * each row of V and M (struct blk: stride Ls). */

/* Lanes x0 .. x0+VL-1 of a row of W floats, 0 where x < 0 or x >= W
 * (masked lanes are not read). */
static inline vf vload_mask(const float *row, int x0, int W)
{
	const vi iota = {0, 1, 2, 3, 4, 5, 6, 7};
	vi x = iota + x0;
	vi m = (x >= 0) & (x < W);
	return (vf)_mm256_maskload_ps(row + x0, (__m256i)m);
}

/* Even and odd lanes of a:b, in order (2 shuffles, not gcc's 3). */
static inline vf even2(vf a, vf b)
{
	__m256 t = _mm256_shuffle_ps((__m256)a, (__m256)b, 0x88);
	return (vf)_mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), 0xd8));
}

static inline vf odd2(vf a, vf b)
{
	__m256 t = _mm256_shuffle_ps((__m256)a, (__m256)b, 0xdd);
	return (vf)_mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), 0xd8));
}

/* Columns x0 .. x0 + 2VL-1 of a row (0 outside it) as even and odd ones. */
static inline void load_split(const float *row, int x0, int W, vf *ev, vf *od)
{
	vf a, b;
	if (x0 >= 0 && x0 + 2 * VL <= W)
		a = vload(row + x0), b = vload(row + x0 + VL);
	else
		a = vload_mask(row, x0, W), b = vload_mask(row, x0 + VL, W);
	*ev = even2(a, b), *od = odd2(a, b);
}

/* W floats from s to d; whole vectors, the last one overlapping. */
static void copy_row(float *d, const float *s, int W)
{
	if (W < VL) {
		for (int x = 0; x < W; x++)
			d[x] = s[x];
		return;
	}
	int x = 0;
	for (; x + VL <= W; x += VL)
		vstore(d + x, vload(s + x));
	if (x < W)
		vstore(d + W - VL, vload(s + W - VL));
}

/* Even and odd columns of the 2VL floats at p. */
static inline void split(const float *p, vf *ev, vf *od)
{
	vf a = vload(p), b = vload(p + VL);
	*ev = even2(a, b), *od = odd2(a, b);
}

/* An image row, given as pad[x + 2] = column x with zeros around (NULL: a
 * zero row), into S[0..3] + o with the horizontal half of the input
 * transform done: element u of S[j] is (d B)[j] of the row's patch columns
 * d[i] = column 2u - 1 + i. */
static void stage_row4(float *const S[4], size_t o, const float *pad, int tw)
{
	for (int u0 = 0; u0 < tw; u0 += VL) {
		vf e = vbcast(0), od = e, e1 = e, o1 = e, x;
		if (pad) {
			split(pad + 2 * u0, &x, &e);
			split(pad + 2 * u0 + 2, &od, &e1);
			split(pad + 2 * u0 + 4, &o1, &x);
		}
		vstore(S[0] + o + u0, e - e1), vstore(S[1] + o + u0, od + e1);
		vstore(S[2] + o + u0, e1 - od), vstore(S[3] + o + u0, od - o1);
	}
}

/* Floats of a padded row (pad_row), and of staging for segments of up to
 * `rows` tile rows of tw tiles. */
static size_t pad_floats(int tw)
{
	return 2 * (size_t)tw + 4 * VL;
}

static size_t stage_floats(int rows, int tw)
{
	size_t in = 8 * ((size_t)(rows + 1) * tw + 2 * VL) + 2 * (rows + 1) * pad_floats(tw) + VL;
	size_t adj = 16 * ((size_t)(rows + 2) * tw + 4 * VL) + tw + 2 * VL + 2;
	return in > adj ? in : adj;
}

/* pad[x + 2] = row[x], x < W, and 0 for x = -2, -1 and W .. 2tw + 2VL + 1. */
static void pad_row(float *pad, const float *row, int W, int tw)
{
	vstore(pad, vbcast(0));
	copy_row(pad + 2, row, W);
	for (int x = W + 2; x < (int)pad_floats(tw); x += VL)
		vstore(pad + x, vbcast(0));
}

/* input_transform for the nr tile rows from ty0 of image n into V[xi*xs + t]:
 * patch rows 0, 2 are odd image rows 2ty - 1 (+2), staged in A, rows 1, 3
 * even ones 2ty (+2) in B; tile row ty + 1's first rows are ty's last. */
static void input_staged(float *V, size_t xs, const float *plane, int H, int W, int n,
                         int ty0, int nr, int tw, float *S)
{
	size_t sl = (size_t)(nr + 1) * tw + 2 * VL, pl = pad_floats(tw);
	float *A[4], *B[4], *pad = S + 8 * sl;
	for (int j = 0; j < 4; j++)
		A[j] = S + j * sl, B[j] = S + (4 + j) * sl;
	/* all rows padded first: reading a row right after writing it, at other
	 * offsets, would stall on the stores */
	const float *img = plane + (size_t)n * H * W;
	int y0 = 2 * ty0 - 1, y1 = 2 * (ty0 + nr) + 1; /* rows y0 .. y1 */
	for (int y = y0 < 0 ? 0 : y0; y <= y1 && y < H; y++)
		pad_row(pad + (y - y0) * pl, img + (size_t)y * W, W, tw);
	for (int t = 0; t <= nr; t++)
		for (int h = 0; h < 2; h++) {
			int y = 2 * (ty0 + t) - 1 + h;
			stage_row4(h ? B : A, (size_t)t * tw, y >= 0 && y < H ? pad + (y - y0) * pl : NULL,
			           tw);
		}
	int ns = nr * tw;
	for (int s = 0; s < ns; s += VL) {
		float *v = V + s;
		_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
			vf d0 = vload(A[j] + s), d1 = vload(B[j] + s);
			vf d2 = vload(A[j] + s + tw), d3 = vload(B[j] + s + tw);
			vstore(v + j * xs, d0 - d2);
			vstore(v + (4 + j) * xs, d1 + d2);
			vstore(v + (8 + j) * xs, d2 - d1);
			vstore(v + (12 + j) * xs, d1 - d3);
		}
	}
}

/* output_transform of a segment: its image rows 2ty, 2ty + 1 are built in
 * R[0], R[1] (2tw floats per tile row), then copied into the plane. */
static void output_staged(float *plane, const float *M, size_t xs, float bias, int relu,
                          int H, int W, int n, int ty0, int nr, int tw, float *S)
{
	size_t sl = (size_t)nr * 2 * tw + 2 * VL;
	float *R[2] = {S, S + sl};
	vf bv = vbcast(bias), z = vbcast(0);
	int ns = nr * tw;
	for (int i = 0; i < ns; i += VL) {
		vf s[2][4];
		_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
			vf m0 = vload(M + j * xs + i), m1 = vload(M + (4 + j) * xs + i);
			vf m2 = vload(M + (8 + j) * xs + i), m3 = vload(M + (12 + j) * xs + i);
			s[0][j] = m0 + m1 + m2;
			s[1][j] = m1 - m2 - m3;
		}
		_Pragma("GCC unroll 2") for (int r = 0; r < 2; r++) {
			vf y0 = s[r][0] + s[r][1] + s[r][2] + bv, y1 = s[r][1] - s[r][2] - s[r][3] + bv;
			if (relu)
				y0 = vselect(y0 > z, y0), y1 = vselect(y1 > z, y1);
			vstore(R[r] + 2 * i, vilo(y0, y1));
			vstore(R[r] + 2 * i + VL, vihi(y0, y1));
		}
	}
	float *img = plane + (size_t)n * H * W;
	for (int t = 0; t < nr; t++)
		for (int r = 0; r < 2; r++) {
			int y = 2 * (ty0 + t) + r;
			if (y < H)
				copy_row(img + (size_t)y * W, R[r] + (size_t)t * 2 * tw, W);
		}
}

/* dout_transform of a segment: rows 2ty + r staged as even (D[r][0]) and
 * odd (D[r][1]) columns. */
static void dout_staged(float *DM, size_t xs, const float *plane, int H, int W, int n,
                        int ty0, int nr, int tw, float *S)
{
	size_t sl = (size_t)nr * tw + 2 * VL;
	float *D[2][2] = {{S, S + sl}, {S + 2 * sl, S + 3 * sl}};
	const float *img = plane + (size_t)n * H * W;
	for (int t = 0; t < nr; t++)
		for (int r = 0; r < 2; r++) {
			int y = 2 * (ty0 + t) + r;
			float *e = D[r][0] + (size_t)t * tw, *o = D[r][1] + (size_t)t * tw;
			for (int u0 = 0; u0 < tw; u0 += VL) {
				vf ev = vbcast(0), od = ev;
				if (y < H)
					load_split(img + (size_t)y * W, 2 * u0, W, &ev, &od);
				vstore(e + u0, ev), vstore(o + u0, od);
			}
		}
	int ns = nr * tw;
	for (int i = 0; i < ns; i += VL) {
		vf c[2][4];
		_Pragma("GCC unroll 2") for (int r = 0; r < 2; r++) {
			vf d0 = vload(D[r][0] + i), d1 = vload(D[r][1] + i);
			c[r][0] = d0, c[r][1] = d0 + d1, c[r][2] = d0 - d1, c[r][3] = -d1;
		}
		float *o = DM + i;
		_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
			vstore(o + (0 + j) * xs, c[0][j]);
			vstore(o + (4 + j) * xs, c[0][j] + c[1][j]);
			vstore(o + (8 + j) * xs, c[0][j] - c[1][j]);
			vstore(o + (12 + j) * xs, -c[1][j]);
		}
	}
}

/* input_adjoint of a segment: the 16 values each tile adds to its patch
 * go to T[i][j] (patch row i, column j) at the tile's index, plus tw for
 * rows 2, 3, so that element u of row t of T[i][.] and T[i + 2][.] both
 * belong to image row 2(ty0 + t) - 1 + i; then each image row sums its
 * four arrays, column 2u + 1 taking j = 0 of tile u + 1 and j = 2 of tile
 * u, column 2u taking j = 1 of u and j = 3 of u - 1. */
static void adjoint_staged(float *plane, const float *DV, size_t xs, int H, int W, int n,
                           int ty0, int nr, int tw, float *S)
{
	size_t sl = (size_t)(nr + 2) * tw + 4 * VL;
	float *T[4][4];
	int ns = nr * tw;
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			T[i][j] = S + (4 * i + j) * sl + VL;
	for (int s = 0; s < ns; s += VL) {
		vf e[4][4];
		_Pragma("GCC unroll 4") for (int a = 0; a < 4; a++) {
			const float *v = DV + s + 4 * a * xs;
			vf d0 = vload(v), d1 = vload(v + xs), d2 = vload(v + 2 * xs), d3 = vload(v + 3 * xs);
			e[a][0] = d0;
			e[a][1] = d1 - d2 + d3;
			e[a][2] = d1 + d2 - d0;
			e[a][3] = -d3;
		}
		_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
			vstore(T[0][j] + s, e[0][j]);
			vstore(T[1][j] + s, e[1][j] - e[2][j] + e[3][j]);
			vstore(T[2][j] + s + tw, e[1][j] + e[2][j] - e[0][j]);
			vstore(T[3][j] + s + tw, -e[3][j]);
		}
	}
	/* columns -1 and 2tw are 0, and the tile rows before the first and
	 * after the last (Z, zeros) */
	for (int i = 0; i < 4; i++) {
		size_t lo = i < 2 ? 0 : (size_t)tw;
		for (int t = 0; t <= nr; t++) {
			T[i][0][lo + (size_t)t * tw] = 0;
			T[i][3][lo + (size_t)t * tw - 1] = 0;
		}
	}
	float *Z = S + 16 * sl + 1;
	memset(Z - 1, 0, ((size_t)tw + 2 * VL + 2) * sizeof *Z);
	float *img = plane + (size_t)n * H * W;
	for (int t = 0; t <= nr; t++)
		for (int h = 0; h < 2; h++) {
			int y = 2 * (ty0 + t) - 1 + h;
			if (y < 0 || y >= H)
				continue;
			float *row = img + (size_t)y * W;
			const float *p[4], *q[4];
			for (int j = 0; j < 4; j++) {
				p[j] = t < nr ? T[h][j] + (size_t)t * tw : Z;
				q[j] = t > 0 ? T[h + 2][j] + (size_t)t * tw : Z;
			}
			for (int u = 0; u < tw && 2 * u < W; u += VL) {
				vf oc = (vload(p[1] + u) + vload(q[1] + u)) +
				        (vload(p[3] + u - 1) + vload(q[3] + u - 1));
				vf ec = (vload(p[0] + u + 1) + vload(q[0] + u + 1)) +
				        (vload(p[2] + u) + vload(q[2] + u));
				vadd_row(row, 2 * u, W, vilo(oc, ec));
				vadd_row(row, 2 * u + VL, W, vihi(oc, ec));
			}
		}
}
#endif

/* Floats of scratch for the tile table of a block of L tiles. */
static size_t table_floats(const struct geo *g, size_t L)
{
#if defined(__AVX512F__)
	return g->scalar ? tiles_bytes(L) / sizeof(float) + 1 : 0;
#elif WINO_STAGED
	(void)L;
	return stage_floats(g->rows, g->tw);
#else
	(void)g, (void)L;
	return 0;
#endif
}

/* Row (xi, p) of a block's V or M of P planes, in rows of Ls floats:
 * staged, [P][16] (each plane's transform writes one region: the stores to
 * 16 rows far apart were the staged input transform's bottleneck), else
 * [16][P]. */
static size_t row_at(int xi, int p, int P)
{
	return WINO_STAGED ? (size_t)p * 16 + xi : (size_t)xi * P + p;
}

/* The four transforms of the tile rows g0 .. g1-1 of a block, for planes
 * 0 .. P-1 of a tensor (V/M: rows of Ls floats, row_at; the products over
 * Lp tiles, L of them real). */
struct blk {
	const struct geo *g;
	int g0, g1, H, W;
	size_t L, Lp, Ls, plane;
	float *stage;
#if defined(__AVX512F__)
	struct tiles tl;
#endif
};

static void blk_start(struct blk *b, const struct geo *g, int g0, int g1, int H, int W,
                      size_t plane, float *table)
{
	b->g = g, b->g0 = g0, b->g1 = g1, b->H = H, b->W = W, b->plane = plane;
	b->L = (size_t)(g1 - g0) * g->ts;
	b->Lp = prod_len(b->L), b->Ls = row_stride(b->L), b->stage = table;
#if defined(__AVX512F__)
	if (g->scalar) {
		tiles_point(&b->tl, table, b->L);
		tiles_build(&b->tl, g0, g1, H, W, g);
	}
#else
	(void)table;
#endif
}

enum { T_INPUT, T_OUTPUT, T_DOUT, T_ADJOINT };

/* what: T_INPUT X <- t; T_OUTPUT to <- X (bias, relu); T_DOUT X <- t;
 * T_ADJOINT to += adjoint of X. */
static void blk_run(const struct blk *b, int what, float *X, const float *t, float *to,
                    int P, const float *bias, int relu)
{
	const struct geo *g = b->g;
	size_t L = b->L, xs = row_at(1, 0, P) * b->Ls;
#if WINO_STAGED
	for (int p = 0; p < P; p++) {
		float *x = X + row_at(0, p, P) * b->Ls;
		for (int r = b->g0, nr; r < b->g1; r += nr) {
			int n = r / g->th, ty0 = r % g->th, H = b->H, W = b->W, tw = g->tw;
			nr = g->th - ty0 < b->g1 - r ? g->th - ty0 : b->g1 - r;
			float *xr = x + (size_t)(r - b->g0) * tw;
			switch (what) {
			case T_INPUT:
				input_staged(xr, xs, t + p * b->plane, H, W, n, ty0, nr, tw, b->stage);
				break;
			case T_OUTPUT:
				output_staged(to + p * b->plane, xr, xs, bias[p], relu, H, W, n, ty0, nr,
				              tw, b->stage);
				break;
			case T_DOUT:
				dout_staged(xr, xs, t + p * b->plane, H, W, n, ty0, nr, tw, b->stage);
				break;
			default:
				adjoint_staged(to + p * b->plane, xr, xs, H, W, n, ty0, nr, tw, b->stage);
			}
		}
	}
	/* the columns the products run over past the last tile: 0 */
	if (what == T_INPUT || what == T_DOUT)
		for (size_t i = 0; i < 16 * (size_t)P && b->Lp > L; i++)
			memset(X + i * b->Ls + L, 0, (b->Lp - L) * sizeof *X);
	return;
#endif
	for (int p = 0; p < P; p++) {
		float *x = X + p * L;
#if defined(__AVX512F__)
		if (g->scalar) {
			switch (what) {
			case T_INPUT: input_transform_g(x, xs, t + p * b->plane, &b->tl); break;
			case T_OUTPUT:
				output_transform_g(to + p * b->plane, x, xs, bias[p], relu, &b->tl);
				break;
			case T_DOUT: dout_transform_g(x, xs, t + p * b->plane, &b->tl); break;
			default: input_adjoint_g(to + p * b->plane, x, xs, &b->tl); break;
			}
			continue;
		}
#endif
		for (int r = b->g0; r < b->g1; r++) {
			float *xr = x + (size_t)(r - b->g0) * g->ts;
			int n = r / g->th, ty = r % g->th, H = b->H, W = b->W;
			switch (what) {
			case T_INPUT:
				(g->scalar ? input_transform1 : input_transform)(xr, xs, t + p * b->plane,
				                                                 H, W, n, ty, g);
				break;
			case T_OUTPUT:
				(g->scalar ? output_transform1 : output_transform)(
					to + p * b->plane, xr, xs, bias[p], relu, H, W, n, ty, g);
				break;
			case T_DOUT:
				(g->scalar ? dout_transform1 : dout_transform)(xr, xs, t + p * b->plane, H,
				                                               W, n, ty, g);
				break;
			default:
				(g->scalar ? input_adjoint1 : input_adjoint)(to + p * b->plane, xr, xs, H,
				                                             W, n, ty, g);
			}
		}
	}
}

/* Floats of B per product chunk: half of L1 (measured with AVX2: 128
 * channels at 11x9 about 9 % faster, fewer channels the same). */
#define WINO_CHUNK_FLOATS 4096

/* Cm (M x L, row stride ldc) = A B, B given as Q row pointers, by
 * gemm_rows in chunks of columns: it reads all of B for every few rows of
 * Cm, and a chunk of B fits in L1 where the whole of it would not. Column
 * results do not depend on the chunks. tmp: Q pointers. */
static void product(int M, size_t L, int Q, const float *A, ptrdiff_t sam, ptrdiff_t saq,
                    const float **B, float *Cm, ptrdiff_t ldc, const float **tmp)
{
	size_t step = RB * VL, chunk = WINO_CHUNK_FLOATS / Q / step * step;
	if (chunk < step)
		chunk = step;
	if (!WINO_STAGED) /* not measured with AVX-512 */
		chunk = L;
	for (size_t i0 = 0; i0 < L; i0 += chunk) {
		size_t n = L - i0 < chunk ? L - i0 : chunk;
		for (int q = 0; q < Q; q++)
			tmp[q] = B[q] + i0;
		gemm_rows(M, (int)n, Q, A, sam, saq, tmp, Cm + i0, ldc, 0, NULL);
	}
}

void wino_forward(float *out, float *scratch, const float *in, const float *w,
                  const float *b, int N, int C, int K, int H, int W, int relu)
{
	struct geo g;
	geo_init(&g, N, C, K, H, W);
	size_t plane = (size_t)N * H * W, Lmax = row_stride((size_t)g.rows * g.ts);
	float *V = scratch, *M = V + 16 * (size_t)C * Lmax, *U = M + 16 * (size_t)K * Lmax;
	float *table = U + 32 * (size_t)K * C;
	const float **rows = malloc(2 * (size_t)C * sizeof *rows);
	weights_transform(U, w, K, C);
	int G = N * g.th;
	for (int g0 = 0; g0 < G; g0 += g.rows) {
		int g1 = g0 + g.rows < G ? g0 + g.rows : G;
		struct blk bk;
		blk_start(&bk, &g, g0, g1, H, W, plane, table);
		size_t L = bk.Lp, Ls = bk.Ls;
		blk_run(&bk, T_INPUT, V, in, NULL, C, NULL, 0);
		for (int xi = 0; xi < 16; xi++) {
			for (int c = 0; c < C; c++)
				rows[c] = V + row_at(xi, c, C) * Ls;
			product(K, L, C, U + (size_t)xi * K * C, C, 1, rows, M + row_at(xi, 0, K) * Ls,
			        (ptrdiff_t)(row_at(0, 1, K) * Ls), rows + C);
		}
		blk_run(&bk, T_OUTPUT, M, NULL, out, K, b, relu);
	}
	free(rows);
}

void wino_backward(float *din, float *dw, float *db, float *scratch, float *dout,
                   const float *relu_out, const float *in, const float *w, int N, int C,
                   int K, int H, int W)
{
	struct geo g;
	geo_init(&g, N, C, K, H, W);
	size_t plane = (size_t)N * H * W, Lmax = row_stride((size_t)g.rows * g.ts);
	float *V = scratch, *M = V + 16 * (size_t)C * Lmax, *U = M + 16 * (size_t)K * Lmax;
	float *dU = U + 16 * (size_t)K * C, *table = dU + 16 * (size_t)K * C;
	float *P = use_dots(K, C) ? table + table_floats(&g, (size_t)g.rows * g.ts) : NULL;
	if (P)
		memset(P, 0, dots_floats(K, C) * sizeof *P);
	const float **rows = malloc(((size_t)K + (K > C ? K : C)) * sizeof *rows);
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
		struct blk bk;
		blk_start(&bk, &g, g0, g1, H, W, plane, table);
		size_t L = bk.Lp, Ls = bk.Ls;
		blk_run(&bk, T_INPUT, V, in, NULL, C, NULL, 0);
		blk_run(&bk, T_DOUT, M, dout, NULL, K, NULL, 0);
		/* dU[xi] += M[xi] V[xi]^T */
		for (int xi = 0; xi < 16 && P; xi++) {
			for (int c = 0; c < C; c++)
				rows[K + c] = V + row_at(xi, c, C) * Ls;
			gemm_dots(K, C, (int)L, M + row_at(xi, 0, K) * Ls,
			          (ptrdiff_t)(row_at(0, 1, K) * Ls), rows + K,
			          P + (size_t)xi * K * C * VL);
		}
		for (int xi = 0; xi < 16 && !P; xi++)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, K, C, (int)L, 1.0f,
			            M + row_at(xi, 0, K) * Ls, (int)(row_at(0, 1, K) * Ls),
			            V + row_at(xi, 0, C) * Ls, (int)(row_at(0, 1, C) * Ls), 1.0f,
			            dU + (size_t)xi * K * C, C);
		if (!din)
			continue;
		/* V[xi] = U[xi]^T M[xi], then its adjoint transform into din */
		for (int xi = 0; xi < 16; xi++) {
			for (int k = 0; k < K; k++)
				rows[k] = M + row_at(xi, k, K) * Ls;
			product(C, L, K, U + (size_t)xi * K * C, 1, C, rows, V + row_at(xi, 0, C) * Ls,
			        (ptrdiff_t)(row_at(0, 1, C) * Ls), rows + K);
		}
		blk_run(&bk, T_ADJOINT, V, NULL, din, C, NULL, 0);
	}
	for (int xi = 0; xi < 16 && P; xi++)
		gemm_dots_finish(K, C, P + (size_t)xi * K * C * VL, dU + (size_t)xi * K * C, C);
	weights_adjoint(dw, dU, K, C);
	free(rows);
}
