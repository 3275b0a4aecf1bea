/* layers.c: the U-Net's layers other than the 3x3 convolution (conv.h)
 * and the losses (loss.h): 2x2 up-convolution, 1x1 convolution, 2x2
 * max-pooling and ReLU. */
#include "isa_names.h" /* compiled once per instruction set */

#include "layers.h"

#include "kernels.h"
#include "vec.h"

#include <cblas.h>
#include <stddef.h>

/* ---- 2x2 stride-2 up-convolution -------------------------------------- */

/* row[2x] = r0[x] + b, row[2x + 1] = r1[x] + b for x < wd, a vector at a
 * time (the compiler left this loop scalar). */
static void interleave_row(float *row, const float *r0, const float *r1, float b, int wd)
{
	vf bv = vbcast(b);
	for (int x = 0; x < wd; x += VL) {
		int n = wd - x < VL ? wd - x : VL;
		vf a = vload_upto(r0 + x, n) + bv, c = vload_upto(r1 + x, n) + bv;
		vstore_upto(row + 2 * x, vilo(a, c), 2 * n);
		vstore_upto(row + 2 * x + VL, vihi(a, c), 2 * n - VL);
	}
}

/* The inverse, without the bias: r0[x] = row[2x], r1[x] = row[2x + 1]. */
static void deinterleave_row(float *r0, float *r1, const float *row, int wd)
{
	for (int x = 0; x < wd; x += VL) {
		int n = wd - x < VL ? wd - x : VL;
		vf p = vload_upto(row + 2 * x, 2 * n), q = vload_upto(row + 2 * x + VL, 2 * n - VL);
		vstore_upto(r0 + x, veven(p, q), n);
		vstore_upto(r1 + x, vodd(p, q), n);
	}
}

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
				for (int y = 0; y < h; y++)
					interleave_row(o + (size_t)(2 * y + a) * W2, t0 + (size_t)y * wd,
					               t1 + (size_t)y * wd, b[k], wd);
			}
		}
}

void upconv2x2_backward(float *din, float *dw, float *db, float *tmp, const float *dout,
                        const float *in, const float *w, int N, int C, int K, int h, int wd)
{
	size_t hw = (size_t)h * wd, p = (size_t)N * hw;
	int W2 = 2 * wd;
	vec_sum_rows(db, dout, K, 4 * p);
	for (int k = 0; k < K; k++)
		for (int n = 0; n < N; n++) {
			const float *o = dout + ((size_t)k * N + n) * 4 * hw;
			for (int a = 0; a < 2; a++) {
				float *t0 = tmp + ((size_t)(k * 4 + a * 2) * N + n) * hw;
				float *t1 = t0 + p;
				for (int y = 0; y < h; y++)
					deinterleave_row(t0 + (size_t)y * wd, t1 + (size_t)y * wd,
					                 o + (size_t)(2 * y + a) * W2, wd);
			}
		}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, C, K * 4, (int)p, 1.0f, in, (int)p,
	            tmp, (int)p, 1.0f, dw, K * 4);
	if (din)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, C, (int)p, K * 4, 1.0f, w,
		            K * 4, tmp, (int)p, 0.0f, din, (int)p);
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
	vec_sum_rows(db, dout, K, (size_t)P);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, K, C, P, 1.0f, dout, P, in, P, 1.0f,
	            dw, C);
	if (din) /* written in one pass (sgemm with beta 0 zeroed din, then added) */
		rows_product(C, (size_t)P, K, w, 1, C, dout, (size_t)P, din, (size_t)P, NULL, 0);
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
