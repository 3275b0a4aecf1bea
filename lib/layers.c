/* layers.c: convolution (im2col + OpenBLAS sgemm, and a naive reference),
 * up-convolution, 1x1 convolution, max-pooling, ReLU and the losses. */
#include "layers.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

float sigmoidf(float z)
{
	if (z >= 0)
		return 1.0f / (1.0f + expf(-z));
	float e = expf(z);
	return e / (1.0f + e);
}

/* ---- 3x3 convolution -------------------------------------------------- */

size_t conv3x3_scratch(int N, int C, int H, int W)
{
	return (size_t)C * 9 * N * H * W;
}

/* One shifted copy: dst[y][x] = src[y+dy][x+dx] (0 outside), one plane. */
static void shift_plane(float *dst, const float *src, int H, int W, int dy, int dx)
{
	for (int y = 0; y < H; y++) {
		float *d = dst + (size_t)y * W;
		int sy = y + dy;
		if (sy < 0 || sy >= H) {
			memset(d, 0, (size_t)W * sizeof *d);
			continue;
		}
		const float *s = src + (size_t)sy * W;
		if (dx == 0) {
			memcpy(d, s, (size_t)W * sizeof *d);
		} else if (dx < 0) {
			d[0] = 0;
			memcpy(d + 1, s, (size_t)(W - 1) * sizeof *d);
		} else {
			memcpy(d, s + 1, (size_t)(W - 1) * sizeof *d);
			d[W - 1] = 0;
		}
	}
}

/* The adjoint of shift_plane: dst[y+dy][x+dx] += src[y][x] where inside. */
static void unshift_plane_add(float *dst, const float *src, int H, int W, int dy, int dx)
{
	for (int y = 0; y < H; y++) {
		int sy = y + dy;
		if (sy < 0 || sy >= H)
			continue;
		const float *s = src + (size_t)y * W;
		float *d = dst + (size_t)sy * W;
		if (dx == 0) {
			for (int x = 0; x < W; x++)
				d[x] += s[x];
		} else if (dx < 0) {
			for (int x = 1; x < W; x++)
				d[x - 1] += s[x];
		} else {
			for (int x = 0; x < W - 1; x++)
				d[x + 1] += s[x];
		}
	}
}

void im2col3x3(float *col, const float *in, int N, int C, int H, int W)
{
	size_t hw = (size_t)H * W, p = (size_t)N * hw;
	for (int c = 0; c < C; c++)
		for (int t = 0; t < 9; t++) {
			float *row = col + ((size_t)c * 9 + t) * p;
			for (int n = 0; n < N; n++)
				shift_plane(row + n * hw, in + ((size_t)c * N + n) * hw, H, W,
				            t / 3 - 1, t % 3 - 1);
		}
}

void col2im3x3(float *din, const float *col, int N, int C, int H, int W)
{
	size_t hw = (size_t)H * W, p = (size_t)N * hw;
	for (int c = 0; c < C; c++)
		for (int t = 0; t < 9; t++) {
			const float *row = col + ((size_t)c * 9 + t) * p;
			for (int n = 0; n < N; n++)
				unshift_plane_add(din + ((size_t)c * N + n) * hw, row + n * hw, H, W,
				                  t / 3 - 1, t % 3 - 1);
		}
}

/* out[k][i] += b[k] over K rows of p. */
static void add_bias(float *out, const float *b, int K, size_t p)
{
	for (int k = 0; k < K; k++) {
		float bk = b[k], *o = out + (size_t)k * p;
		for (size_t i = 0; i < p; i++)
			o[i] += bk;
	}
}

/* db[k] += sum_i d[k][i], summed in double. */
static void sum_rows(float *db, const float *d, int K, size_t p)
{
	for (int k = 0; k < K; k++) {
		const float *r = d + (size_t)k * p;
		double s = 0;
		for (size_t i = 0; i < p; i++)
			s += r[i];
		db[k] += (float)s;
	}
}

void conv3x3_forward(float *out, float *col, const float *in, const float *w,
                     const float *b, int N, int C, int K, int H, int W)
{
	size_t p = (size_t)N * H * W;
	im2col3x3(col, in, N, C, H, W);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, K, (int)p, C * 9, 1.0f, w, C * 9,
	            col, (int)p, 0.0f, out, (int)p);
	add_bias(out, b, K, p);
}

void conv3x3_backward(float *din, float *dw, float *db, float *col, const float *dout,
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
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K * 4, (int)p, C, 1.0f, w, K * 4,
	            in, (int)p, 0.0f, tmp, (int)p);
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
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, K, P, C, 1.0f, w, C, in, P, 0.0f,
	            out, P);
	add_bias(out, b, K, (size_t)P);
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

void maxpool2_forward(float *out, const float *in, size_t planes, int H, int W)
{
	int h = H / 2, w = W / 2;
	for (size_t q = 0; q < planes; q++) {
		const float *src = in + q * H * W;
		float *dst = out + q * h * w;
		for (int y = 0; y < h; y++) {
			const float *r0 = src + (size_t)(2 * y) * W, *r1 = r0 + W;
			for (int x = 0; x < w; x++) {
				float m = r0[2 * x];
				if (r0[2 * x + 1] > m) m = r0[2 * x + 1];
				if (r1[2 * x] > m) m = r1[2 * x];
				if (r1[2 * x + 1] > m) m = r1[2 * x + 1];
				dst[(size_t)y * w + x] = m;
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
			size_t i0 = (size_t)(2 * y) * W, i1 = i0 + W;
			for (int x = 0; x < w; x++) {
				size_t best = i0 + 2 * x;
				if (src[i0 + 2 * x + 1] > src[best]) best = i0 + 2 * x + 1;
				if (src[i1 + 2 * x] > src[best]) best = i1 + 2 * x;
				if (src[i1 + 2 * x + 1] > src[best]) best = i1 + 2 * x + 1;
				d[best] += g[(size_t)y * w + x];
			}
		}
	}
}

/* ---- ReLU ------------------------------------------------------------- */

void relu_forward(float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = x[i] > 0 ? x[i] : 0;
}

void relu_backward(float *d, const float *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d[i] = out[i] > 0 ? d[i] : 0;
}

/* ---- losses ----------------------------------------------------------- */

double bce_forward(const float *logit, const uint8_t *mask, const float *sw, int N,
                   size_t P, size_t *nlab)
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
			sn += (z > 0 ? z : 0) - z * (m ? 1 : 0) + log1p(exp(-fabs(z)));
			cnt++;
		}
		s += wn * sn;
	}
	if (nlab)
		*nlab = cnt;
	return cnt ? s / cnt : 0;
}

void bce_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                  int N, size_t P, double scale)
{
	size_t cnt = 0;
	for (size_t i = 0; i < (size_t)N * P; i++)
		cnt += mask[i] != 255;
	if (!cnt)
		return;
	for (int n = 0; n < N; n++) {
		float g = (float)((sw ? sw[n] : 1.0) * scale / cnt);
		for (size_t i = 0; i < P; i++) {
			uint8_t m = mask[n * P + i];
			if (m == 255)
				continue;
			dlogit[n * P + i] += g * (sigmoidf(logit[n * P + i]) - (m ? 1.0f : 0.0f));
		}
	}
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
