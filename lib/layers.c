/* layers.c: convolution (im2col + OpenBLAS sgemm, and a naive reference),
 * up-convolution, 1x1 convolution, max-pooling, ReLU and the losses. */
#include "layers.h"

#include "kernels.h"
#include "vec.h"
#include "winograd.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

float sigmoidf(float z)
{
	if (z >= 0)
		return 1.0f / (1.0f + expf(-z));
	float e = expf(z);
	return e / (1.0f + e);
}

/* ---- 3x3 convolution -------------------------------------------------- */

/* The shifted copies behind im2col. A channel's block of N*H rows of W
 * floats is one flat array, and shifting an image by (dy, dx) is shifting
 * that array by dy*W + dx, apart from the pixels whose source lies outside
 * their image: the first or last row of each image, the first or last
 * column of each row. Those are set to zero afterwards ("fix-ups"). */

/* Zero the fix-up pixels of global rows g0..g1-1 in d (row g0 first).
 * GCC would turn the loop over short rows back into memset calls. */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
static void zero_fixups(float *d, int H, int W, int g0, int g1, int dy, int dx)
{
	if (dx) {
		float *p = d + (dx < 0 ? 0 : W - 1);
		for (int g = g0; g < g1; g++, p += W)
			*p = 0;
	}
	if (dy) {
		/* the rows with y = 0 (dy < 0) or y = H - 1 (dy > 0) */
		int g = g0 - g0 % H + (dy < 0 ? 0 : H - 1);
		if (g < g0)
			g += H;
		if (W < 16) /* a call per row costs more than the zeros */
			for (; g < g1; g += H)
				for (float *q = d + (size_t)(g - g0) * W, *e = q + W; q < e; q++)
					*q = 0;
		else
			for (; g < g1; g += H)
				memset(d + (size_t)(g - g0) * W, 0, (size_t)W * sizeof *d);
	}
}

/* dst[(g - g0)*W + x] = image row g, shifted by (dy, dx), for global rows
 * g0..g1-1 of a block of `rows` rows. */
static void shift_rows(float *dst, const float *block, int rows, int H, int W, int g0, int g1,
                       int dy, int dx)
{
	ptrdiff_t off = (ptrdiff_t)dy * W + dx, base = (ptrdiff_t)g0 * W;
	ptrdiff_t n = (ptrdiff_t)(g1 - g0) * W, total = (ptrdiff_t)rows * W;
	ptrdiff_t i0 = base + off < 0 ? -(base + off) : 0;
	ptrdiff_t i1 = base + n + off > total ? total - base - off : n;
	if (i0 > n)
		i0 = n;
	if (i1 < i0)
		i1 = i0;
	if (i0 > 0)
		memset(dst, 0, (size_t)i0 * sizeof *dst);
	memcpy(dst + i0, block + base + off + i0, (size_t)(i1 - i0) * sizeof *dst);
	if (i1 < n)
		memset(dst + i1, 0, (size_t)(n - i1) * sizeof *dst);
	zero_fixups(dst, H, W, g0, g1, dy, dx);
}

/* The adjoint: ADDS src (rows g0..g1-1; its fix-ups are zeroed first, so
 * src is changed) into the block at the shifted places. */
static void unshift_rows_add(float *block, float *src, int rows, int H, int W, int g0, int g1,
                             int dy, int dx)
{
	ptrdiff_t off = (ptrdiff_t)dy * W + dx, base = (ptrdiff_t)g0 * W;
	ptrdiff_t n = (ptrdiff_t)(g1 - g0) * W, total = (ptrdiff_t)rows * W;
	ptrdiff_t i0 = base + off < 0 ? -(base + off) : 0;
	ptrdiff_t i1 = base + n + off > total ? total - base - off : n;
	if (i0 > n)
		i0 = n;
	if (i1 < i0)
		i1 = i0;
	zero_fixups(src, H, W, g0, g1, dy, dx);
	vec_add(block + base + off + i0, src + i0, (size_t)(i1 - i0));
}

void im2col3x3(float *col, const float *in, int N, int C, int H, int W)
{
	size_t p = (size_t)N * H * W;
	for (int c = 0; c < C; c++)
		for (int t = 0; t < 9; t++)
			shift_rows(col + ((size_t)c * 9 + t) * p, in + c * p, N * H, H, W, 0, N * H,
			           t / 3 - 1, t % 3 - 1);
}

void col2im3x3(float *din, float *col, int N, int C, int H, int W)
{
	size_t p = (size_t)N * H * W;
	for (int c = 0; c < C; c++)
		for (int t = 0; t < 9; t++)
			unshift_rows_add(din + c * p, col + ((size_t)c * 9 + t) * p, N * H, H, W, 0,
			                 N * H, t / 3 - 1, t % 3 - 1);
}

/* out[k][i] += b[k] over K rows of p. */
static void add_bias(float *out, const float *b, int K, size_t p)
{
	for (int k = 0; k < K; k++)
		vec_add_scalar(out + (size_t)k * p, b[k], p);
}

/* db[k] += sum_i d[k][i]. */
static void sum_rows(float *db, const float *d, int K, size_t p)
{
	for (int k = 0; k < K; k++)
		db[k] += (float)vec_sum(d + (size_t)k * p, p);
}

void conv3x3_forward_blas(float *out, float *col, const float *in, const float *w,
                          const float *b, int N, int C, int K, int H, int W)
{
	size_t p = (size_t)N * H * W;
	im2col3x3(col, in, N, C, H, W);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, K, (int)p, C * 9, 1.0f, w, C * 9,
	            col, (int)p, 0.0f, out, (int)p);
	add_bias(out, b, K, p);
}

void conv3x3_backward_blas(float *din, float *dw, float *db, float *col, const float *dout,
                           const float *in, const float *w, int N, int C, int K, int H, int W)
{
	size_t p = (size_t)N * H * W;
	sum_rows(db, dout, K, p);
	im2col3x3(col, in, N, C, H, W);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, K, C * 9, (int)p, 1.0f, dout, (int)p,
	            col, (int)p, 1.0f, dw, C * 9);
	if (!din)
		return;
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C * 9, (int)p, K, 1.0f, w, C * 9,
	            dout, (int)p, 0.0f, col, (int)p);
	col2im3x3(din, col, N, C, H, W);
}

/* ---- the chunked convolution ------------------------------------------
 * The pixels are taken a few image rows at a time ("global" row g = n*H + y
 * of every channel plane), so that the column matrix of a chunk stays in
 * the cache, and multiplied with the register-blocked kernels of kernels.c. */

int conv3x3_mode; /* see layers.h */

/* Global rows per chunk: about CHUNK_FLOATS floats of column matrix. */
#define CHUNK_FLOATS 49152
static int chunk_rows(int C, int W, int rows)
{
	long r = CHUNK_FLOATS / (9L * C * W);
	if (r < 1)
		r = 1;
	return r < rows ? (int)r : rows;
}

/* Which implementation (layers.h): 1 chunks and kernels.c, 2 and 3 im2col
 * and sgemm (2: backward in chunks), 4 Winograd F(2x2,3x3) (winograd.h). The register-blocked
 * kernels win where channels are few and pixels many; Winograd where there
 * are enough channels and tiles to amortise its transforms; OpenBLAS on
 * small images. Measured per layer with unet-bench -t layers; the rule
 * differs with the vector width, which changes what the kernels and the
 * transforms cost against sgemm. */
int conv3x3_auto_mode(int N, int C, int K, int H, int W)
{
	(void)N;
#ifdef __AVX512F__
	/* measured on a Xeon and a Zen 4 (AVX-512) */
	if (K >= 32 && C >= 16 && C + K <= 192 && H >= 8 && W >= 8)
		return 4;
	if (W < 12)
		return 3;
	return C * K <= 1024 ? 1 : C * K <= 2048 ? 2 : 3;
#else
	/* measured on a Zen 3 (AVX2, unet-bench -t layers on a quiet machine):
	 * Winograd from 16 output channels on images of 6x6 and up, except
	 * with few channels on large images, where the direct kernels win */
	if (H >= 6 && W >= 6 && K >= 16 && (K >= 32 || C >= 32 || (long)H * W <= 1024))
		return 4;
	if (W < 12 || K >= 64)
		return 3;
	return C * K <= 2048 ? 1 : 3;
#endif
}

static int conv_mode(int N, int C, int K, int H, int W)
{
	return conv3x3_mode ? conv3x3_mode : conv3x3_auto_mode(N, C, K, H, W);
}

/* Mode 1 works on a few rows of one image at a time ("a chunk"), copied
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

/* Floats of one padded chunk of C channels and rows rows, with one float of
 * slack before and 1 + VL after (gemm_rows2d reads whole vectors past the
 * end of a row). */
static size_t pad_size(int C, int rows, int W)
{
	return (size_t)C * (rows + 2) * (W + 2) + 2 + VL;
}

size_t conv3x3_scratch(int N, int C, int K, int H, int W)
{
	int m = conv_mode(N, C, K, H, W), rows = pad_rows_per_chunk(C, K, H, W);
	int mx = C > K ? C : K;
	switch (m) {
	case 4:
		return wino_scratch(N, C, K, H, W);
	case 1: /* see conv3x3_backward */
		return pad_size(C, rows, W) + pad_size(K, rows, W) + (size_t)9 * C * K +
		       (size_t)rows * (W + 2) + (size_t)K * (9 * C + 1) * (1 + gemm_lanes());
	case 5:
		return (size_t)C * 9 * N * H * W;
	default: /* modes 2 and 3: the forward's columns of in (or, on small
	          * images, CHWN copies), conv_backward's of dout, w flipped and
	          * the product for dw */
		return (size_t)mx * 9 * N * H * W + (size_t)18 * C * K;
	}
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
	size_t plane = (size_t)N * H * W, cs = (size_t)(y1 - y0 + 2) * (W + 2);
	pad[0] = 0;
	for (int c = 0; c < C; c++) {
		const float *src = t + c * plane + (size_t)n * H * W;
		float *dst = pad + 1 + c * cs;
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

/* col[c*9 + t][(g - g0)*W + x] for global rows g0..g1-1. */
static void im2col_rows(float *col, const float *in, int N, int C, int H, int W, int g0, int g1)
{
	size_t plane = (size_t)N * H * W, L = (size_t)(g1 - g0) * W;
	for (int c = 0; c < C; c++)
		for (int t = 0; t < 9; t++)
			shift_rows(col + ((size_t)c * 9 + t) * L, in + c * plane, N * H, H, W, g0, g1,
			           t / 3 - 1, t % 3 - 1);
}

/* The adjoint of im2col_rows: ADDS the chunk's columns into din (and
 * changes col). */
static void col2im_rows(float *din, float *col, int N, int C, int H, int W, int g0, int g1)
{
	size_t plane = (size_t)N * H * W, L = (size_t)(g1 - g0) * W;
	for (int c = 0; c < C; c++)
		for (int t = 0; t < 9; t++)
			unshift_rows_add(din + c * plane, col + ((size_t)c * 9 + t) * L, N * H, H, W, g0,
			                 g1, t / 3 - 1, t % 3 - 1);
}

/* The blocks of rows_product (layers.h): PROD_L pixels by PROD_Q rows of
 * in at a time stay in the L2 cache while every row of A passes over
 * them; out accumulates across the blocks of rows, which keeps each sum in
 * the order of q. */
#define PROD_L 384
#define PROD_Q 256
void rows_product(int M, size_t L, int Q, const float *A, ptrdiff_t sam, ptrdiff_t saq,
                  const float *in, size_t ldi, float *out, size_t ldo, const float *bias,
                  int accumulate)
{
	const float *tab[PROD_Q];
	for (size_t i0 = 0; i0 < L; i0 += PROD_L) {
		int n = L - i0 < PROD_L ? (int)(L - i0) : PROD_L;
		for (int q0 = 0; q0 < Q; q0 += PROD_Q) {
			int nq = Q - q0 < PROD_Q ? Q - q0 : PROD_Q;
			for (int q = 0; q < nq; q++)
				tab[q] = in + (size_t)(q0 + q) * ldi + i0;
			gemm_rows(M, n, nq, A + q0 * saq, sam, saq, tab, out + i0, (ptrdiff_t)ldo,
			          accumulate || q0, q0 ? NULL : bias);
		}
	}
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

/* src[c][n][i] -> dst[c][i][n] for i < hw (CNHW to CHWN), or back (swap
 * the roles of hw and N). */
static void swap_inner(float *dst, const float *src, int C, int N, size_t hw)
{
	for (int c = 0; c < C; c++, src += N * hw, dst += N * hw)
		for (int n = 0; n < N; n++)
			for (size_t i = 0; i < hw; i++)
				dst[i * N + n] = src[n * hw + i];
}

/* up to 8x8: 16% of 8x8's columns are border, and its forward ran 13%
 * faster this way at 32x32 (by CPU time, median of 5 alternated runs) */
#define SMALL_HW 64

/* The forward of small images (SMALL_HW pixels or fewer), where up to half
 * of im2col's columns are the zero border: tap by tap, with only the output
 * pixels the tap reaches. In a CHWN copy the batch is innermost, so the
 * pixels a tap reaches in an image row, for all images, are one span:
 * out(span) += w[.][.][t] in(span shifted by t), a product of C terms by
 * rows_product. The centre tap, which reaches every pixel, goes first with the
 * bias; then the others in order, so every sum has the same order whatever
 * the batch. The scratch holds C*N*H*W + K*N*H*W floats. */
static void small_forward(float *out, float *sc, const float *in, const float *w,
                          const float *b, int N, int C, int K, int H, int W, int relu)
{
	size_t hw = (size_t)H * W, p = N * hw;
	float *it = sc, *ot = sc + (size_t)C * p;
	swap_inner(it, in, C, N, hw);
	for (int s = 0; s < 9; s++) {
		int t = (s + 4) % 9, dy = t / 3 - 1, dx = t % 3 - 1; /* the centre first */
		int y0 = dy < 0 ? 1 : 0, y1 = dy > 0 ? H - 1 : H;
		int x0 = dx < 0 ? 1 : 0, x1 = dx > 0 ? W - 1 : W;
		for (int y = y0; y < y1 && x0 < x1; y++)
			rows_product(K, (size_t)(x1 - x0) * N, C, w + t, (ptrdiff_t)9 * C, 9,
			             it + ((size_t)(y + dy) * W + x0 + dx) * N, p,
			             ot + ((size_t)y * W + x0) * N, p, s ? NULL : b, s > 0);
	}
	if (relu)
		vec_relu(ot, K * p);
	swap_inner(out, ot, K, (int)hw, (size_t)N);
}

/* Mode 1, one chunk: out rows y0..y1-1 of image n. rows has 10 C entries. */
static void direct_forward(float *out, float *sc, const float *in, const float *w,
                           const float *b, int N, int C, int K, int H, int W, int n, int y0,
                           int y1, const float **rows, int relu)
{
	int nr = y1 - y0, Wp = W + 2;
	size_t plane = (size_t)N * H * W, cs = (size_t)(nr + 2) * Wp;
	float *pad = sc;
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

static void conv_forward(float *out, float *col, const float *in, const float *w,
                         const float *b, int N, int C, int K, int H, int W, int relu)
{
	size_t p = (size_t)N * H * W;
	int mode = conv_mode(N, C, K, H, W);
	if (mode == 4) {
		wino_forward(out, col, in, w, b, N, C, K, H, W, relu);
		return;
	}
	if (mode == 5) {
		conv3x3_forward_blas(out, col, in, w, b, N, C, K, H, W);
		if (relu)
			vec_relu(out, K * p);
		return;
	}
	if (mode == 1) {
		int rc = pad_rows_per_chunk(C, K, H, W);
		const float **rows = malloc((size_t)10 * C * sizeof *rows);
		for (int n = 0; n < N; n++)
			for (int y0 = 0; y0 < H; y0 += rc)
				direct_forward(out, col, in, w, b, N, C, K, H, W, n, y0,
				               y0 + rc < H ? y0 + rc : H, rows, relu);
		free(rows);
		return;
	}
	/* modes 2 and 3. OpenBLAS's sums depend on the shape of the call and
	 * on a pixel's place in it (seen on Zen 3), so a product over the
	 * batch would make an image's output depend on the batch it came in:
	 * one sgemm per image, or on small images, where those would be
	 * inefficient, gemm_rows over the batch */
	size_t hw = (size_t)H * W;
	int J = 9 * C;
	if (hw <= SMALL_HW) {
		small_forward(out, col, in, w, b, N, C, K, H, W, relu);
		return;
	}
	im2col3x3(col, in, N, C, H, W);
	for (int n = 0; n < N; n++)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, K, (int)hw, J, 1.0f, w, J,
		            col + n * hw, (int)p, 0.0f, out + n * hw, (int)p);
	add_bias(out, b, K, p);
	if (relu)
		vec_relu(out, K * p);
}

void conv3x3_forward(float *out, float *col, const float *in, const float *w,
                     const float *b, int N, int C, int K, int H, int W)
{
	conv_forward(out, col, in, w, b, N, C, K, H, W, 0);
}

void conv3x3_relu_forward(float *out, float *col, const float *in, const float *w,
                          const float *b, int N, int C, int K, int H, int W)
{
	conv_forward(out, col, in, w, b, N, C, K, H, W, 1);
}

/* Mode 1 backward, one chunk. rows has 9 max(C, K) + 1 + 2 (C + K)
 * entries; entry 9C is a row of ones, so that the dots also sum dout for
 * db; the last 2 (C + K) are for prefetches. */
static void direct_backward(float *din, float *part, float *sc, const float *dout,
                            const float *relu_out, const float *in, const float *wt, int N,
                            int C, int K, int H, int W, int n, int y0, int y1,
                            const float **rows, const float *ones)
{
	int nr = y1 - y0, Wp = W + 2, L = nr * Wp;
	size_t plane = (size_t)N * H * W, cs = (size_t)(nr + 2) * Wp;
	float *ipad = sc, *dpad = ipad + pad_size(C, nr, W);
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
	/* din[c](r, x) += sum_k sum_t w[k][c][t] * dpad[k](r + 2 - ky, x + 2 - kx) */
	for (int k = 0; k < K; k++)
		for (int t = 0; t < 9; t++)
			rows[k * 9 + t] = dpad + 1 + k * cs + (2 - t / 3) * Wp + 2 - t % 3;
	gemm_rows2d(C, nr, W, 9 * K, wt, 9 * K, 1, rows, Wp, din + ((size_t)n * H + y0) * W,
	            (ptrdiff_t)plane, W, 1, NULL, 0, &pf2);
}

static void conv_backward(float *din, float *dw, float *db, float *col, float *dout,
                          const float *relu_out, const float *in, const float *w, int N,
                          int C, int K, int H, int W)
{
	size_t p = (size_t)N * H * W;
	int mode = conv_mode(N, C, K, H, W), J = 9 * C;
	if (mode == 4) {
		wino_backward(din, dw, db, col, dout, relu_out, in, w, N, C, K, H, W);
		return;
	}
	if (mode == 1) {
		int rc = pad_rows_per_chunk(C, K, H, W), mx = C > K ? C : K;
		/* the scratch: two padded chunks, w transposed to [C][K][9], a row
		 * of ones, dw|db and their partial sums */
		float *wt = col + pad_size(C, rc, W) + pad_size(K, rc, W);
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
		return;
	}
	if (relu_out)
		vec_relu_mask(dout, relu_out, K * p);
	if (mode == 5) {
		conv3x3_backward_blas(din, dw, db, col, dout, in, w, N, C, K, H, W);
		return;
	}
	if (mode == 3) {
		/* One column matrix, dout's, serves both products. din is the
		 * forward convolution of dout with w flipped and transposed:
		 * din[c][q] += sum_k sum_t w[k][c][8 - t] dout[k](q shifted by t),
		 * products of 9K terms and nothing scattered back (no col2im);
		 * and dw[k][c][t] = sum_q in[c][q] dout[k](q shifted by 8 - t),
		 * the product of in with the same columns. */
		size_t J9 = (size_t)9 * C * K;
		float *wf = col + (size_t)K * 9 * p, *g = wf + J9;
		sum_rows(db, dout, K, p);
		im2col3x3(col, dout, N, K, H, W);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, C, 9 * K, (int)p, 1.0f, in,
		            (int)p, col, (int)p, 0.0f, g, 9 * K);
		for (int k = 0; k < K; k++)
			for (int c = 0; c < C; c++)
				for (int t = 0; t < 9; t++)
					dw[((size_t)k * C + c) * 9 + t] += g[((size_t)c * K + k) * 9 + 8 - t];
		if (!din)
			return;
		for (int c = 0; c < C; c++)
			for (int k = 0; k < K; k++)
				for (int t = 0; t < 9; t++)
					wf[((size_t)c * K + k) * 9 + t] = w[((size_t)k * C + c) * 9 + 8 - t];
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, C, (int)p, 9 * K, 1.0f, wf,
		            9 * K, col, (int)p, 1.0f, din, (int)p);
		return;
	}
	sum_rows(db, dout, K, p);
	int rows = N * H, rc = chunk_rows(C, W, rows);
	for (int g0 = 0; g0 < rows; g0 += rc) {
		int g1 = g0 + rc < rows ? g0 + rc : rows, L = (g1 - g0) * W;
		const float *dchunk = dout + (size_t)g0 * W;
		im2col_rows(col, in, N, C, H, W, g0, g1);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, K, J, L, 1.0f, dchunk, (int)p,
		            col, L, 1.0f, dw, J);
		if (!din)
			continue;
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, J, L, K, 1.0f, w, J, dchunk,
		            (int)p, 0.0f, col, L);
		col2im_rows(din, col, N, C, H, W, g0, g1);
	}
}

void conv3x3_backward(float *din, float *dw, float *db, float *col, const float *dout,
                      const float *in, const float *w, int N, int C, int K, int H, int W)
{
	/* without a ReLU, dout is only read */
	conv_backward(din, dw, db, col, (float *)dout, NULL, in, w, N, C, K, H, W);
}

void conv3x3_relu_backward(float *din, float *dw, float *db, float *col, float *dout,
                           const float *out, const float *in, const float *w, int N, int C,
                           int K, int H, int W)
{
	conv_backward(din, dw, db, col, dout, out, in, w, N, C, K, H, W);
}

/* in[c][n][y][x], or 0 outside the image. */
static double at(const float *in, int N, int H, int W, int c, int n, int y, int x)
{
	if (y < 0 || y >= H || x < 0 || x >= W)
		return 0;
	return in[(((size_t)c * N + n) * H + y) * W + x];
}

void conv3x3_forward_naive(float *out, const float *in, const float *w, const float *b,
                           int N, int C, int K, int H, int W)
{
	for (int k = 0; k < K; k++)
		for (int n = 0; n < N; n++)
			for (int y = 0; y < H; y++)
				for (int x = 0; x < W; x++) {
					double s = b[k];
					for (int c = 0; c < C; c++)
						for (int ky = 0; ky < 3; ky++)
							for (int kx = 0; kx < 3; kx++)
								s += w[((size_t)k * C + c) * 9 + ky * 3 + kx] *
								     at(in, N, H, W, c, n, y + ky - 1, x + kx - 1);
					out[(((size_t)k * N + n) * H + y) * W + x] = (float)s;
				}
}

void conv3x3_backward_naive(float *din, float *dw, float *db, const float *dout,
                            const float *in, const float *w, int N, int C, int K, int H, int W)
{
	for (int k = 0; k < K; k++) {
		double s = 0;
		for (int n = 0; n < N; n++)
			for (int y = 0; y < H; y++)
				for (int x = 0; x < W; x++)
					s += at(dout, N, H, W, k, n, y, x);
		db[k] += (float)s;
		for (int c = 0; c < C; c++)
			for (int ky = 0; ky < 3; ky++)
				for (int kx = 0; kx < 3; kx++) {
					double g = 0;
					for (int n = 0; n < N; n++)
						for (int y = 0; y < H; y++)
							for (int x = 0; x < W; x++)
								g += at(dout, N, H, W, k, n, y, x) *
								     at(in, N, H, W, c, n, y + ky - 1, x + kx - 1);
					dw[((size_t)k * C + c) * 9 + ky * 3 + kx] += (float)g;
				}
	}
	if (!din)
		return;
	for (int c = 0; c < C; c++)
		for (int n = 0; n < N; n++)
			for (int y = 0; y < H; y++)
				for (int x = 0; x < W; x++) {
					double g = 0;
					/* out[y'][x'] used in[y][x] through tap (ky, kx) when
					 * y = y' + ky - 1, x = x' + kx - 1 */
					for (int k = 0; k < K; k++)
						for (int ky = 0; ky < 3; ky++)
							for (int kx = 0; kx < 3; kx++)
								g += at(dout, N, H, W, k, n, y - ky + 1, x - kx + 1) *
								     w[((size_t)k * C + c) * 9 + ky * 3 + kx];
					din[(((size_t)c * N + n) * H + y) * W + x] += (float)g;
				}
}

/* ---- 2x2 stride-2 up-convolution -------------------------------------- */

void upconv2x2_forward(float *out, float *tmp, const float *in, const float *w,
                       const float *b, int N, int C, int K, int h, int wd)
{
	size_t hw = (size_t)h * wd, p = (size_t)N * hw;
	int W2 = 2 * wd;
	/* tmp[k*4 + a*2 + bb][n][y][x] = sum_c w[c][k][a][bb] in[c][n][y][x] */
	rows_product(K * 4, p, C, w, 1, K * 4, in, p, tmp, p, NULL, 0);
	for (int k = 0; k < K; k++)
		for (int n = 0; n < N; n++) {
			float *o = out + ((size_t)k * N + n) * 4 * hw;
			for (int a = 0; a < 2; a++) {
				const float *t0 = tmp + ((size_t)(k * 4 + a * 2) * N + n) * hw;
				const float *t1 = t0 + p;
				for (int y = 0; y < h; y++) {
					float *row = o + (size_t)(2 * y + a) * W2;
					const float *r0 = t0 + (size_t)y * wd, *r1 = t1 + (size_t)y * wd;
					for (int x = 0; x < wd; x++) {
						row[2 * x] = r0[x] + b[k];
						row[2 * x + 1] = r1[x] + b[k];
					}
				}
			}
		}
}

void upconv2x2_backward(float *din, float *dw, float *db, float *tmp, const float *dout,
                        const float *in, const float *w, int N, int C, int K, int h, int wd)
{
	size_t hw = (size_t)h * wd, p = (size_t)N * hw;
	int W2 = 2 * wd;
	sum_rows(db, dout, K, 4 * p);
	for (int k = 0; k < K; k++)
		for (int n = 0; n < N; n++) {
			const float *o = dout + ((size_t)k * N + n) * 4 * hw;
			for (int a = 0; a < 2; a++) {
				float *t0 = tmp + ((size_t)(k * 4 + a * 2) * N + n) * hw;
				float *t1 = t0 + p;
				for (int y = 0; y < h; y++) {
					const float *row = o + (size_t)(2 * y + a) * W2;
					float *r0 = t0 + (size_t)y * wd, *r1 = t1 + (size_t)y * wd;
					for (int x = 0; x < wd; x++) {
						r0[x] = row[2 * x];
						r1[x] = row[2 * x + 1];
					}
				}
			}
		}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, C, K * 4, (int)p, 1.0f, in, (int)p,
	            tmp, (int)p, 1.0f, dw, K * 4);
	if (din)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, C, (int)p, K * 4, 1.0f, w,
		            K * 4, tmp, (int)p, 1.0f, din, (int)p);
}

/* ---- 1x1 convolution -------------------------------------------------- */

void conv1x1_forward(float *out, const float *in, const float *w, const float *b,
                     int P, int C, int K)
{
	rows_product(K, (size_t)P, C, w, C, 1, in, (size_t)P, out, (size_t)P, b, 0);
}

void conv1x1_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                      const float *w, int P, int C, int K)
{
	sum_rows(db, dout, K, (size_t)P);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, K, C, P, 1.0f, dout, P, in, P, 1.0f,
	            dw, C);
	if (din)
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, P, K, 1.0f, w, C, dout, P,
		            1.0f, din, P);
}

/* ---- max-pooling ------------------------------------------------------ */

/* The four values of the 2x2 windows of outputs x0 .. x0+VL-1 of output
 * row y: a (0,0), b (0,1), c (1,0), d (1,1); n outputs live. */
static inline void pool_windows(const float *r0, const float *r1, int x0, int n, vf *a, vf *b,
                                vf *c, vf *d)
{
	vf p = vload_upto(r0 + 2 * x0, 2 * n), q = vload_upto(r0 + 2 * x0 + VL, 2 * n - VL);
	vf s = vload_upto(r1 + 2 * x0, 2 * n), t = vload_upto(r1 + 2 * x0 + VL, 2 * n - VL);
	*a = veven(p, q), *b = vodd(p, q), *c = veven(s, t), *d = vodd(s, t);
}

void maxpool2_forward(float *out, const float *in, size_t planes, int H, int W)
{
	int h = H / 2, w = W / 2;
	for (size_t q = 0; q < planes; q++) {
		const float *src = in + q * H * W;
		float *dst = out + q * h * w;
		for (int y = 0; y < h; y++) {
			const float *r0 = src + (size_t)(2 * y) * W, *r1 = r0 + W;
			for (int x0 = 0; x0 < w; x0 += VL) {
				vf a, b, c, d;
				pool_windows(r0, r1, x0, w - x0, &a, &b, &c, &d);
				/* the scalar order: m = a, then b, c, d where strictly greater */
				vf m = a;
				m = vblend(b > m, b, m);
				m = vblend(c > m, c, m);
				m = vblend(d > m, d, m);
				vstore_upto(dst + (size_t)y * w + x0, m, w - x0);
			}
		}
	}
}

void maxpool2_backward(float *din, const float *dout, const float *in, size_t planes,
                       int H, int W)
{
	int h = H / 2, w = W / 2;
	for (size_t q = 0; q < planes; q++) {
		const float *src = in + q * H * W;
		float *d = din + q * H * W;
		const float *g = dout + q * h * w;
		for (int y = 0; y < h; y++) {
			const float *r0 = src + (size_t)(2 * y) * W, *r1 = r0 + W;
			float *d0 = d + (size_t)(2 * y) * W, *d1 = d0 + W;
			for (int x0 = 0; x0 < w; x0 += VL) {
				int n = w - x0;
				vf a, b, c, e, m = vbcast(0);
				pool_windows(r0, r1, x0, n, &a, &b, &c, &e);
				vi ib = b > a;
				m = vblend(ib, b, a);
				vi ic = c > m;
				m = vblend(ic, c, m);
				vi ie = e > m;
				/* which of the four: the last that was strictly greater */
				vi se = ie, sc = ic & ~ie, sb = ib & ~ic & ~ie, sa = ~ib & ~ic & ~ie;
				vf gv = vload_upto(g + (size_t)y * w + x0, n);
				vf ga = vselect(sa, gv), gb = vselect(sb, gv), gc = vselect(sc, gv);
				vf ge = vselect(se, gv);
				vstore_upto(d0 + 2 * x0, vload_upto(d0 + 2 * x0, 2 * n) + vilo(ga, gb), 2 * n);
				vstore_upto(d0 + 2 * x0 + VL,
				            vload_upto(d0 + 2 * x0 + VL, 2 * n - VL) + vihi(ga, gb),
				            2 * n - VL);
				vstore_upto(d1 + 2 * x0, vload_upto(d1 + 2 * x0, 2 * n) + vilo(gc, ge), 2 * n);
				vstore_upto(d1 + 2 * x0 + VL,
				            vload_upto(d1 + 2 * x0 + VL, 2 * n - VL) + vihi(gc, ge),
				            2 * n - VL);
			}
		}
	}
}

/* ---- ReLU ------------------------------------------------------------- */

void relu_forward(float *x, size_t n)
{
	vec_relu(x, n);
}

void relu_backward(float *d, const float *out, size_t n)
{
	vec_relu_mask(d, out, n);
}

/* ---- losses ----------------------------------------------------------- */

/* The labelled pixels of a mask (not 255). */
static size_t labelled(const uint8_t *mask, size_t n)
{
	size_t cnt = 0;
	for (size_t i = 0; i < n; i++)
		cnt += mask[i] != 255;
	return cnt;
}

double wbce_forward(const float *logit, const uint8_t *mask, const float *sw, int N, size_t P,
                    double pw, size_t *nlab)
{
	double s = 0;
	size_t cnt = 0;
	for (int n = 0; n < N; n++) {
		double wn = sw ? sw[n] : 1.0, sn = 0;
		for (size_t i = 0; i < P; i++) {
			uint8_t m = mask[n * P + i];
			if (m == 255)
				continue;
			double z = logit[n * P + i];
			double l = (z > 0 ? z : 0) - z * (m ? 1 : 0) + log1p(exp(-fabs(z)));
			sn += m ? pw * l : l;
			cnt++;
		}
		s += wn * sn;
	}
	if (nlab)
		*nlab = cnt;
	return cnt ? s / cnt : 0;
}

void wbce_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                   int N, size_t P, double pw, double scale)
{
	size_t cnt = labelled(mask, (size_t)N * P);
	if (!cnt)
		return;
	for (int n = 0; n < N; n++) {
		double g = (sw ? sw[n] : 1.0) * scale / cnt;
		float g0 = (float)g, g1 = (float)(g * pw);
		for (size_t i = 0; i < P; i++) {
			uint8_t m = mask[n * P + i];
			if (m == 255)
				continue;
			float p = sigmoidf(logit[n * P + i]);
			dlogit[n * P + i] += m ? g1 * (p - 1.0f) : g0 * p;
		}
	}
}

double wbce_loss_grad(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                      int N, size_t P, double pw, double scale)
{
	size_t cnt = labelled(mask, (size_t)N * P);
	double s = 0;
	for (int n = 0; n < N; n++) {
		double wn = sw ? sw[n] : 1.0, sn = 0, g = cnt ? wn * scale / cnt : 0;
		float g0 = (float)g, g1 = (float)(g * pw);
		const float *z = logit + n * P;
		const uint8_t *m = mask + n * P;
		float *d = dlogit + n * P;
		for (size_t i = 0; i < P; i++) {
			if (m[i] == 255) {
				d[i] = 0;
				continue;
			}
			/* one exp for both: e = exp(-|z|), sigmoid(z) as sigmoidf has it */
			float e = expf(-fabsf(z[i]));
			float pr = z[i] >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
			double l = (z[i] > 0 ? z[i] : 0) - (m[i] ? z[i] : 0) + log1p((double)e);
			sn += m[i] ? pw * l : l;
			d[i] = m[i] ? g1 * (pr - 1.0f) : g0 * pr;
		}
		s += wn * sn;
	}
	return cnt ? s / cnt : 0;
}

double bce_forward(const float *logit, const uint8_t *mask, const float *sw, int N,
                   size_t P, size_t *nlab)
{
	return wbce_forward(logit, mask, sw, N, P, 1.0, nlab);
}

void bce_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                  int N, size_t P, double scale)
{
	wbce_backward(dlogit, logit, mask, sw, N, P, 1.0, scale);
}

/* The sums of the soft Dice: si = sum w p y, ss = sum w p + sum w y. */
static void dice_sums(const float *logit, const uint8_t *mask, const float *sw, int N,
                      size_t P, double *si, double *ss)
{
	*si = *ss = 0;
	for (int n = 0; n < N; n++) {
		double wn = sw ? sw[n] : 1.0;
		for (size_t i = 0; i < P; i++) {
			uint8_t m = mask[n * P + i];
			if (m == 255)
				continue;
			double p = sigmoidf(logit[n * P + i]), y = m ? 1 : 0;
			*si += wn * p * y;
			*ss += wn * (p + y);
		}
	}
}

double dice_forward(const float *logit, const uint8_t *mask, const float *sw, int N, size_t P)
{
	double si, ss;
	dice_sums(logit, mask, sw, N, P, &si, &ss);
	return 1 - (2 * si + 1) / (ss + 1);
}

void dice_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                   int N, size_t P, double scale)
{
	double si, ss;
	dice_sums(logit, mask, sw, N, P, &si, &ss);
	double den = (ss + 1) * (ss + 1);
	for (int n = 0; n < N; n++) {
		double wn = sw ? sw[n] : 1.0;
		for (size_t i = 0; i < P; i++) {
			uint8_t m = mask[n * P + i];
			if (m == 255)
				continue;
			double p = sigmoidf(logit[n * P + i]), y = m ? 1 : 0;
			double dp = wn * ((2 * si + 1) - 2 * y * (ss + 1)) / den;
			dlogit[n * P + i] += (float)(scale * dp * p * (1 - p));
		}
	}
}
