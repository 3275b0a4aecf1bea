/* conv_im2col.c: conv.h's CONV_IM2COL and CONV_CHUNKED, 3x3 convolutions
 * through the column matrix (im2col.h) and OpenBLAS sgemm; they win on
 * small images with many channels. The forward (both modes) runs one sgemm
 * per image, or on the smallest images a tap-by-tap product with
 * rows_product: OpenBLAS's sums depend on the shape of the call and on a
 * pixel's place in it (seen on Zen 3), so a product over the batch would
 * make an image's output depend on the batch it came in. */
#include "conv_impl.h"

#include "im2col.h"
#include "kernels.h"

#include <cblas.h>
#include <string.h>
#include <stddef.h>

size_t conv_im2col_scratch(int N, int C, int K, int H, int W)
{
	/* the forward's columns of in (or, on small images, CHWN copies),
	 * conv_im2col_backward's of dout, w flipped and the product for dw */
	int mx = C > K ? C : K;
	return (size_t)mx * 9 * N * H * W + (size_t)18 * C * K;
}

/* Global rows per chunk: about CHUNK_FLOATS floats of column matrix. */
#define CHUNK_FLOATS 49152
static int chunk_rows(int C, int W, int rows)
{
	long r = CHUNK_FLOATS / (9L * C * W);
	if (r < 1)
		r = 1;
	return r < rows ? (int)r : rows;
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

void conv_im2col_forward(float *out, float *col, const float *in, const float *w,
                         const float *b, int N, int C, int K, int H, int W, int relu)
{
	size_t p = (size_t)N * H * W, hw = (size_t)H * W;
	int J = 9 * C;
	if (hw <= SMALL_HW) {
		small_forward(out, col, in, w, b, N, C, K, H, W, relu);
		return;
	}
	im2col3x3(col, in, N, C, H, W);
	for (int n = 0; n < N; n++)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, K, (int)hw, J, 1.0f, w, J,
		            col + n * hw, (int)p, 0.0f, out + n * hw, (int)p);
	vec_add_bias(out, b, K, p);
	if (relu)
		vec_relu(out, K * p);
}

/* One column matrix, dout's, serves both products. din is the forward
 * convolution of dout with w flipped and transposed:
 * din[c][q] = sum_k sum_t w[k][c][8 - t] dout[k](q shifted by t),
 * products of 9K terms and nothing scattered back (no col2im); and
 * dw[k][c][t] = sum_q in[c][q] dout[k](q shifted by 8 - t), the product of
 * in with the same columns. */
void conv_im2col_backward(float *din, float *dw, float *db, float *col, const float *dout,
                          const float *in, const float *w, int N, int C, int K, int H, int W)
{
	size_t p = (size_t)N * H * W, J9 = (size_t)9 * C * K;
	float *wf = col + (size_t)K * 9 * p, *g = wf + J9;
	vec_sum_rows(db, dout, K, p);
	im2col3x3(col, dout, N, K, H, W);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, C, 9 * K, (int)p, 1.0f, in, (int)p,
	            col, (int)p, 0.0f, g, 9 * K);
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
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, C, (int)p, 9 * K, 1.0f, wf, 9 * K,
	            col, (int)p, 0.0f, din, (int)p);
}

/* dw and din a few rows at a time ("global" row g = n*H + y of every
 * channel plane), so that the column matrix of a chunk stays in the cache. */
void conv_chunked_backward(float *din, float *dw, float *db, float *col, const float *dout,
                           const float *in, const float *w, int N, int C, int K, int H, int W)
{
	size_t p = (size_t)N * H * W;
	int J = 9 * C, rows = N * H, rc = chunk_rows(C, W, rows);
	vec_sum_rows(db, dout, K, p);
	if (din) /* col2im adds */
		memset(din, 0, (size_t)C * p * sizeof *din);
	for (int g0 = 0; g0 < rows; g0 += rc) {
		int g1 = g0 + rc < rows ? g0 + rc : rows, L = (g1 - g0) * W;
		const float *dchunk = dout + (size_t)g0 * W;
		im2col3x3_rows(col, in, N, C, H, W, g0, g1);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, K, J, L, 1.0f, dchunk, (int)p,
		            col, L, 1.0f, dw, J);
		if (!din)
			continue;
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, J, L, K, 1.0f, w, J, dchunk,
		            (int)p, 0.0f, col, L);
		col2im3x3_rows(din, col, N, C, H, W, g0, g1);
	}
}
