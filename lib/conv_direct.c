/* conv_direct.c: conv.h's CONV_DIRECT, a direct 3x3 convolution a few rows
 * of one image at a time, multiplied with the register-blocked kernels of
 * kernels.h: the forward straight from the input's rows where they are 4
 * vectors or wider (gemm_rows2d_edges), else from zero-padded copies of
 * the rows (gemm_rows2d); the backward from padded copies (gemm_dots for
 * dw and db, gemm_rows2d for din). It wins where channels are few and
 * pixels many. */
#include "isa_names.h" /* compiled once per instruction set */

#include "conv_impl.h"

#include "kernels.h"
#include "vec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* CONV_DIRECT works on a few rows of one image at a time ("a chunk"), copied
 * with a zero border: padded row r, column x' holds image row y0 - 1 + r,
 * column x' - 1. Output (r, x) needs padded (r + ky, x + kx) for tap
 * (ky, kx): nine shifted views of one buffer, so the convolution is a
 * product with a table of row pointers and no column matrix
 * (gemm_rows2d, which writes the output rows in place). */
#define PAD_FLOATS 24576
static int pad_rows_per_chunk(int C, int K, int H, int W)
{
	int m = C > K ? C : K;
	long r = PAD_FLOATS / ((long)m * (W + 2)) - 2;
	if (r < 1)
		r = 1;
	return r < H ? (int)r : H;
}

/* Floats from one channel of a padded chunk of rows rows to the next: a
 * whole number of vectors, so that a row sits at the same place in every
 * channel's vectors (zeros fill the gap). */
static size_t chunk_stride(int rows, int W)
{
	size_t cs = (size_t)(rows + 2) * (W + 2);
	return (cs + VL - 1) / VL * VL;
}

/* Floats of one padded chunk of C channels and rows rows, with one float of
 * slack before and 1 + VL after (gemm_rows2d reads whole vectors past the
 * end of a row), in whole vectors. */
static size_t pad_size(int C, int rows, int W)
{
	return ((size_t)C * chunk_stride(rows, W) + 2 + 2 * VL - 1) / VL * VL;
}

/* The first padded chunk in scratch sc: where its row 1 starts (pad + 1 +
 * W + 2, the left border of the chunk's first image row) on a vector
 * boundary. Then every channel's row 1 is (the stride and the sizes are
 * whole vectors): the backward's dot products load dout's chunk from
 * there, a vector at a time, and loads that straddle two cache lines
 * measured about a tenth slower. */
static float *pad_align(float *sc, int W)
{
	size_t at = ((uintptr_t)(sc + 1 + W + 2) / sizeof(float)) % VL;
	return sc + (VL - at) % VL;
}

size_t conv_direct_scratch(int C, int K, int H, int W)
{
	/* see conv_direct_backward */
	int rows = pad_rows_per_chunk(C, K, H, W);
	return VL + pad_size(C, rows, W) + pad_size(K, rows, W) + (size_t)9 * C * K +
	       (size_t)rows * (W + 2) + (size_t)K * (9 * C + 1) * (1 + gemm_lanes());
}

/* d[0..W) = s[0..W), or 0 where out (if not NULL) is <= 0. Inline vector
 * moves: a chunk copies a few hundred short rows, where memcpy's calls
 * cost more than the moves. */
static inline void pad_row(float *d, const float *s, const float *out, int W)
{
	int x = 0;
	vf z = vbcast(0);
	for (; x + VL <= W; x += VL) {
		vf v = vload(s + x);
		vstore(d + x, out ? vselect(vload(out + x) > z, v) : v);
	}
	if (x < W) {
		vf v = vload_n(s + x, W - x);
		vstore_n(d + x, out ? vselect(vload_n(out + x, W - x) > z, v) : v, W - x);
	}
}

/* Copy rows y0-1 .. y1 of image n of a CNHW tensor (C channel planes of
 * plane floats) into a padded chunk at pad + 1 (zeros outside the image);
 * where relu_out (same layout, may be NULL) is <= 0, zeros too. */
static void pad_rows(float *pad, const float *t, const float *relu_out, int N, int C, int H,
                     int W, int n, int y0, int y1)
{
	size_t plane = (size_t)N * H * W, cs = chunk_stride(y1 - y0, W);
	size_t gap = cs - (size_t)(y1 - y0 + 2) * (W + 2);
	pad[0] = 0;
	for (int c = 0; c < C; c++) {
		const float *src = t + c * plane + (size_t)n * H * W;
		float *dst = pad + 1 + c * cs;
		memset(dst + cs - gap, 0, gap * sizeof *dst);
		for (int y = y0 - 1; y <= y1; y++, dst += W + 2) {
			if (y < 0 || y >= H) {
				memset(dst, 0, (size_t)(W + 2) * sizeof *dst);
				continue;
			}
			dst[0] = 0;
			pad_row(dst + 1, src + (size_t)y * W,
			        relu_out ? relu_out + (src - t) + (size_t)y * W : NULL, W);
			dst[W + 1] = 0;
		}
	}
	memset(pad + 1 + C * cs, 0, (1 + VL) * sizeof *pad);
}

/* Adds to base[*n ..] the C planes' rows of t that pad_rows reads for the
 * chunk after rows y0..y1-1 of image n (chunks of nr rows), less the rows
 * this chunk read too; returns their floats per plane (0: no next chunk). */
static size_t next_chunk(const float **base, int *np, const float *t, int N, int C, int H,
                         int W, int n, int y1, int nr)
{
	size_t plane = (size_t)N * H * W;
	int y0 = y1 < H ? y1 : 0, nn = y1 < H ? n : n + 1;
	if (nn >= N || !t)
		return 0;
	int e = y0 + nr + 1 < H ? y0 + nr + 1 : H;
	for (int c = 0; c < C; c++)
		base[(*np)++] = t + c * plane + ((size_t)nn * H + y0) * W;
	return (size_t)(e - y0) * W;
}

/* The forward of one chunk through a padded copy: out rows y0..y1-1 of
 * image n. rows has 10 C entries. */
static void padded_forward(float *out, float *sc, const float *in, const float *w,
                           const float *b, int N, int C, int K, int H, int W, int n, int y0,
                           int y1, const float **rows, int relu)
{
	int nr = y1 - y0, Wp = W + 2;
	size_t plane = (size_t)N * H * W, cs = chunk_stride(nr, W);
	float *pad = pad_align(sc, W);
	pad_rows(pad, in, NULL, N, C, H, W, n, y0, y1);
	for (int c = 0; c < C; c++)
		for (int t = 0; t < 9; t++)
			rows[c * 9 + t] = pad + 1 + c * cs + (t / 3) * Wp + t % 3;
	/* the next chunk's rows of in, fetched while this one computes (the
	 * copy above would wait on memory) */
	struct prefetch pf = {rows + 9 * C, 0, 0};
	pf.len = next_chunk(rows + 9 * C, &pf.n, in, N, C, H, W, n, y1, nr);
	gemm_rows2d(K, nr, W, 9 * C, w, 9 * C, 1, rows, Wp, out + ((size_t)n * H + y0) * W,
	            (ptrdiff_t)plane, W, 0, b, relu, &pf);
}

/* The forward of out rows y0..y1-1 of image n, straight from in's rows
 * (gemm_rows2d_edges reads columns -1 and W as 0): rows above and below
 * the image read zero, the row of W + 2 floats at zero. Only a chunk of
 * one row can reach them (ldb is the image's row). rows has 10 C entries. */
static void direct_forward(float *out, const float *zero, const float *in, const float *w,
                           const float *b, int N, int C, int K, int H, int W, int n, int y0,
                           int y1, const float **rows, int relu)
{
	int nr = y1 - y0;
	size_t plane = (size_t)N * H * W;
	for (int c = 0; c < C; c++)
		for (int t = 0; t < 9; t++) {
			int y = y0 + t / 3 - 1;
			const float *row = y < 0 || y >= H ? zero + 1
			                                   : in + c * plane + ((size_t)n * H + y) * W;
			rows[c * 9 + t] = row + t % 3 - 1;
		}
	/* the next chunk's rows of in, fetched while this one computes */
	struct prefetch pf = {rows + 9 * C, 0, 0};
	pf.len = next_chunk(rows + 9 * C, &pf.n, in, N, C, H, W, n, y1, nr);
	gemm_rows2d_edges(K, nr, W, 9 * C, w, 9 * C, 1, rows, W, out + ((size_t)n * H + y0) * W,
	                  (ptrdiff_t)plane, W, b, relu, &pf);
}

/* Rows of at least this many vectors are convolved straight from in's rows
 * (copying them into padded chunks cost a tenth of the forward at 176x144
 * with AVX-512); narrower ones through padded chunks, where the masked
 * edge vectors were measured up to a tenth slower (48 wide, AVX-512). */
#define EDGES_MIN_VECTORS 4

void conv_direct_forward(float *out, float *col, const float *in, const float *w,
                         const float *b, int N, int C, int K, int H, int W, int relu)
{
	int rc = pad_rows_per_chunk(C, K, H, W);
	const float **rows = malloc((size_t)10 * C * sizeof *rows);
	if ((W + VL - 1) / VL < EDGES_MIN_VECTORS) {
		for (int n = 0; n < N; n++)
			for (int y0 = 0; y0 < H; y0 += rc)
				padded_forward(out, col, in, w, b, N, C, K, H, W, n, y0,
				               y0 + rc < H ? y0 + rc : H, rows, relu);
		free(rows);
		return;
	}
	/* the first and last rows alone (their taps above and below read
	 * zero), the rows between in chunks of the backward's size */
	memset(col, 0, (size_t)(W + 2) * sizeof *col);
	for (int n = 0; n < N; n++) {
		direct_forward(out, col, in, w, b, N, C, K, H, W, n, 0, 1, rows, relu);
		for (int y0 = 1; y0 < H - 1; y0 += rc)
			direct_forward(out, col, in, w, b, N, C, K, H, W, n, y0,
			               y0 + rc < H - 1 ? y0 + rc : H - 1, rows, relu);
		if (H > 1)
			direct_forward(out, col, in, w, b, N, C, K, H, W, n, H - 1, H, rows, relu);
	}
	free(rows);
}

/* The backward of one chunk. rows has 9 max(C, K) + 1 + 2 (C + K)
 * entries; entry 9C is a row of ones, so that the dots also sum dout for
 * db; the last 2 (C + K) are for prefetches. */
static void direct_backward(float *din, float *part, float *sc, const float *dout,
                            const float *relu_out, const float *in, const float *wt, int N,
                            int C, int K, int H, int W, int n, int y0, int y1,
                            const float **rows, const float *ones)
{
	int nr = y1 - y0, Wp = W + 2, L = nr * Wp;
	size_t plane = (size_t)N * H * W, cs = chunk_stride(nr, W);
	float *ipad = pad_align(sc, W), *dpad = ipad + pad_size(C, nr, W);
	pad_rows(ipad, in, NULL, N, C, H, W, n, y0, y1);
	pad_rows(dpad, dout, relu_out, N, K, H, W, n, y0, y1);
	/* dw[k][c*9 + t] += sum_f dout[k][f] * in(c, t)[f] over the chunk's rows,
	 * and db[k] += sum_f dout[k][f] * 1; the border columns of dpad are 0 */
	for (int c = 0; c < C; c++)
		for (int t = 0; t < 9; t++)
			rows[c * 9 + t] = ipad + 1 + c * cs + (t / 3) * Wp + t % 3 - 1;
	rows[9 * C] = ones;
	/* meanwhile fetch this chunk's rows of din and the next chunk's of in,
	 * and during the din product the next chunk's of dout and relu_out:
	 * the copies and din's sums would wait on memory otherwise */
	int mx = C > K ? C : K;
	const float **pfb = rows + 9 * mx + 1;
	struct prefetch pf1 = {pfb, 0, 0}, pf2 = {pfb + 2 * C, 0, 0};
	size_t len = next_chunk(pfb, &pf1.n, in, N, C, H, W, n, y1, nr);
	if (len && din)
		for (int c = 0; c < C; c++)
			pfb[pf1.n++] = din + c * plane + ((size_t)n * H + y0) * W;
	pf1.len = len;
	pf2.len = next_chunk(pfb + 2 * C, &pf2.n, dout, N, K, H, W, n, y1, nr);
	next_chunk(pfb + 2 * C, &pf2.n, relu_out, N, K, H, W, n, y1, nr);
	if (!din) /* all of them now */
		for (int i = 0; i < pf2.n; i++)
			pfb[pf1.n++] = pfb[2 * C + i];
	gemm_dots_pf(K, 9 * C + 1, L, dpad + 1 + Wp, (ptrdiff_t)cs, rows, part, &pf1);
	if (!din)
		return;
	/* din[c](r, x) = sum_k sum_t w[k][c][t] * dpad[k](r + 2 - ky, x + 2 - kx) */
	for (int k = 0; k < K; k++)
		for (int t = 0; t < 9; t++)
			rows[k * 9 + t] = dpad + 1 + k * cs + (2 - t / 3) * Wp + 2 - t % 3;
	gemm_rows2d(C, nr, W, 9 * K, wt, 9 * K, 1, rows, Wp, din + ((size_t)n * H + y0) * W,
	            (ptrdiff_t)plane, W, 0, NULL, 0, &pf2);
}

void conv_direct_backward(float *din, float *dw, float *db, float *col, const float *dout,
                          const float *relu_out, const float *in, const float *w, int N, int C,
                          int K, int H, int W)
{
	int J = 9 * C, rc = pad_rows_per_chunk(C, K, H, W), mx = C > K ? C : K;
	/* the scratch: two padded chunks, w transposed to [C][K][9], a row
	 * of ones, dw|db and their partial sums */
	float *wt = col + VL + pad_size(C, rc, W) + pad_size(K, rc, W);
	float *ones = wt + (size_t)9 * C * K;
	float *dwb = ones + (size_t)rc * (W + 2), *part = dwb + (size_t)K * (J + 1);
	const float **rows = malloc(((size_t)9 * mx + 1 + 2 * (C + K)) * sizeof *rows);
	for (int k = 0; k < K; k++)
		for (int c = 0; c < C; c++)
			for (int t = 0; t < 9; t++)
				wt[((size_t)c * K + k) * 9 + t] = w[((size_t)k * C + c) * 9 + t];
	for (size_t i = 0; i < (size_t)rc * (W + 2); i++)
		ones[i] = 1;
	memset(dwb, 0, (size_t)K * (J + 1) * (1 + gemm_lanes()) * sizeof *dwb);
	for (int n = 0; n < N; n++)
		for (int y0 = 0; y0 < H; y0 += rc)
			direct_backward(din, part, col, dout, relu_out, in, wt, N, C, K, H, W, n, y0,
			                y0 + rc < H ? y0 + rc : H, rows, ones);
	gemm_dots_finish(K, J + 1, part, dwb, J + 1);
	for (int k = 0; k < K; k++) {
		vec_add(dw + (size_t)k * J, dwb + (size_t)k * (J + 1), (size_t)J);
		db[k] += dwb[(size_t)k * (J + 1) + J];
	}
	free(rows);
}
