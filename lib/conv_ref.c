/* conv_ref.c: the reference convolutions (see conv_ref.h). */
#include "conv_ref.h"

#include "im2col.h"
#include "kernels.h"

#include <cblas.h>
#include <string.h>

size_t conv3x3_blas_scratch(int N, int C, int H, int W)
{
	return (size_t)C * 9 * N * H * W;
}

void conv3x3_forward_blas(float *out, float *col, const float *in, const float *w,
                          const float *b, int N, int C, int K, int H, int W)
{
	size_t p = (size_t)N * H * W;
	im2col3x3(col, in, N, C, H, W);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, K, (int)p, C * 9, 1.0f, w, C * 9,
	            col, (int)p, 0.0f, out, (int)p);
	vec_add_bias(out, b, K, p);
}

void conv3x3_backward_blas(float *din, float *dw, float *db, float *col, const float *dout,
                           const float *in, const float *w, int N, int C, int K, int H, int W)
{
	size_t p = (size_t)N * H * W;
	vec_sum_rows(db, dout, K, p);
	im2col3x3(col, in, N, C, H, W);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, K, C * 9, (int)p, 1.0f, dout, (int)p,
	            col, (int)p, 1.0f, dw, C * 9);
	if (!din)
		return;
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C * 9, (int)p, K, 1.0f, w, C * 9,
	            dout, (int)p, 0.0f, col, (int)p);
	memset(din, 0, (size_t)C * p * sizeof *din); /* col2im adds */
	col2im3x3(din, col, N, C, H, W);
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
					din[(((size_t)c * N + n) * H + y) * W + x] = (float)g;
				}
}
