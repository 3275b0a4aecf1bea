/* winograd.c: F(2x2,3x3) convolution (see winograd.h): the geometry of
 * tiles and blocks, the weight transforms, the products and the forward
 * and backward passes; the tile transforms, one file per instruction set,
 * are behind winograd_impl.h.
 *
 * Tiles are taken a few "tile rows" at a time (tile row g = n*th + ty of
 * image n covers image rows 2ty .. 2ty+1). Within a block, tile row r holds
 * ts = tw + 1 tiles: the tw tiles of the row and one dummy, so that tile u's
 * patch columns 2u-1 .. 2u+2 of a zero-padded row are the even and odd
 * lanes of consecutive vectors and every transform is vectorized over
 * tiles (loads and stores at the image's edges are masked;
 * winograd_rows.c). Transformed data: V[xi][c][t], M[xi][k][t] (xi = 4a +
 * b, the position in the 4x4 tile, t the tile in the block), U[xi][k][c];
 * the 16 products M[xi] = U[xi] V[xi] run with gemm_rows (kernels.h).
 * Narrow rows are transformed by winograd_avx512.c or winograd_generic.c.
 *
 * With AVX2 and no AVX-512 (WINO_STAGED) the transforms are vectorized
 * over the tiles of a block instead, across tile rows, with no dummy
 * (ts = tw), the rows of V and M ordered [c][xi] (winograd_avx2.c). */
#include "isa_names.h" /* compiled once per instruction set */

#include "winograd.h"

#include "kernels.h"
#include "winograd_impl.h"

#include <cblas.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC optimize("fp-contract=fast")

/* Floats of V and M per block, about (L2-sized). */
#define WINO_FLOATS 98304

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

/* Weight pairs (k, c) transformed together in the scalar tail: a cache
 * line of each xi. */
#define WPAIRS 16

/* U[xi][k][c] = (G g G^T)[xi] for g = w[k][c]: VL pairs at a time, their
 * taps gathered (the scalar loop cost 2 % of a 96x96 training step with
 * AVX-512), then the last pairs WPAIRS at a time. Adds and halvings only:
 * the same bits either way. */
static void weights_transform(float *U, const float *w, int K, int C)
{
	size_t xs = (size_t)K * C, p = 0;
	for (; p + VL <= xs; p += VL) {
		vf g[9], u[16];
		for (int j = 0; j < 9; j++)
			g[j] = vgather9(w + p * 9 + j);
		WEIGHTS_TRANSFORM(vf, g, u);
		for (int x = 0; x < 16; x++)
			vstore(U + x * xs + p, u[x]);
	}
	/* WPAIRS pairs at a time, then each xi's WPAIRS results as one
	 * contiguous run: storing each pair's 16 values straight to U hit
	 * 16 rows K*C floats apart, the same L1 set when K*C is a multiple of
	 * 1024 (measured with AVX-512: 4 % of a 176x144x4 train step). Same
	 * arithmetic per pair. */
	for (; p < xs; p += WPAIRS) {
		size_t n = xs - p < WPAIRS ? xs - p : WPAIRS;
		float u[WPAIRS][16];
		for (size_t i = 0; i < n; i++) {
			const float *g = w + (p + i) * 9;
			WEIGHTS_TRANSFORM(float, g, u[i]);
		}
		for (int x = 0; x < 16; x++)
			for (size_t i = 0; i < n; i++)
				U[x * xs + p + i] = u[i][x];
	}
}

/* dw[k][c] += G^T dU G, the adjoint of weights_transform, likewise. */
static void weights_adjoint(float *dw, const float *dU, int K, int C)
{
	size_t xs = (size_t)K * C, p = 0;
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
	for (; p < xs; p += WPAIRS) {
		size_t n = xs - p < WPAIRS ? xs - p : WPAIRS;
		float d[WPAIRS][16];
		for (int x = 0; x < 16; x++)
			for (size_t i = 0; i < n; i++)
				d[i][x] = dU[x * xs + p + i];
		for (size_t i = 0; i < n; i++) {
			float dg[9];
			WEIGHTS_ADJOINT(float, d[i], dg);
			for (int j = 0; j < 9; j++)
				dw[(p + i) * 9 + j] += dg[j];
		}
	}
}

/* Floats of scratch for the tile table of a block of L tiles. */
static size_t table_floats(const struct geo *g, size_t L)
{
#if WINO_AVX512
	return g->scalar ? wino_tiles_bytes(L) / sizeof(float) + 1 : 0;
#elif WINO_STAGED
	(void)L;
	return wino_stage_floats(g->rows, g->tw);
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
#if WINO_AVX512
	struct wino_tiles tl;
#endif
};

static void blk_start(struct blk *b, const struct geo *g, int g0, int g1, int H, int W,
                      size_t plane, float *table)
{
	b->g = g, b->g0 = g0, b->g1 = g1, b->H = H, b->W = W, b->plane = plane;
	b->L = (size_t)(g1 - g0) * g->ts;
	b->Lp = prod_len(b->L), b->Ls = row_stride(b->L), b->stage = table;
#if WINO_AVX512
	if (g->scalar) {
		wino_tiles_point(&b->tl, table, b->L);
		wino_tiles_build(&b->tl, g0, g1, H, W, g);
	}
#else
	(void)table;
#endif
}

enum { T_INPUT, T_OUTPUT, T_DOUT, T_ADJOINT };

/* A tile row's transform f: along the row, or in the generic build, for
 * narrow rows (g->scalar), tile by tile. */
#if WINO_GENERIC
#define ROW_FN(f) (g->scalar ? wino_tile_##f : wino_row_##f)
#else
#define ROW_FN(f) wino_row_##f
#endif

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
				wino_staged_input(xr, xs, t + p * b->plane, H, W, n, ty0, nr, tw, b->stage);
				break;
			case T_OUTPUT:
				wino_staged_output(to + p * b->plane, xr, xs, bias[p], relu, H, W, n, ty0,
				                   nr, tw, b->stage);
				break;
			case T_DOUT:
				wino_staged_dout(xr, xs, t + p * b->plane, H, W, n, ty0, nr, tw, b->stage);
				break;
			default:
				wino_staged_adjoint(to + p * b->plane, xr, xs, H, W, n, ty0, nr, tw,
				                    b->stage);
			}
		}
	}
	/* the columns the products run over past the last tile: 0 */
	if (what == T_INPUT || what == T_DOUT)
		for (size_t i = 0; i < 16 * (size_t)P && b->Lp > L; i++)
			memset(X + i * b->Ls + L, 0, (b->Lp - L) * sizeof *X);
#else
	for (int p = 0; p < P; p++) {
		float *x = X + p * L;
#if WINO_AVX512
		if (g->scalar) {
			switch (what) {
			case T_INPUT: wino_gather_input(x, xs, t + p * b->plane, &b->tl); break;
			case T_OUTPUT:
				wino_gather_output(to + p * b->plane, x, xs, bias[p], relu, &b->tl);
				break;
			case T_DOUT: wino_gather_dout(x, xs, t + p * b->plane, &b->tl); break;
			default: wino_gather_adjoint(to + p * b->plane, x, xs, &b->tl); break;
			}
			continue;
		}
#endif
		for (int r = b->g0; r < b->g1; r++) {
			float *xr = x + (size_t)(r - b->g0) * g->ts;
			int n = r / g->th, ty = r % g->th, H = b->H, W = b->W;
			switch (what) {
			case T_INPUT:
				ROW_FN(input)(xr, xs, t + p * b->plane, H, W, n, ty, g);
				break;
			case T_OUTPUT:
				ROW_FN(output)(to + p * b->plane, xr, xs, bias[p], relu, H, W, n, ty, g);
				break;
			case T_DOUT:
				ROW_FN(dout)(xr, xs, t + p * b->plane, H, W, n, ty, g);
				break;
			default:
				ROW_FN(adjoint)(to + p * b->plane, xr, xs, H, W, n, ty, g);
			}
		}
	}
#endif
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
	/* dout masked by the ReLU (if any) and summed for db in one pass */
	for (int k = 0; k < K; k++)
		db[k] += (float)(relu_out ? vec_relu_mask_sum(dout + k * plane, relu_out + k * plane, plane)
		                          : vec_sum(dout + k * plane, plane));
	if (din) { /* the adjoints of overlapping tiles add into din */
		weights_transform(U, w, K, C);
		memset(din, 0, C * plane * sizeof *din);
	}
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
