/* layers3d.c: 3x3x3 convolution (im2col of a few rows at a time + OpenBLAS
 * sgemm, and a naive reference), 2x2x2 up-convolution and max-pooling. */
#include "layers3d.h"

#include "kernels.h"

#include <cblas.h>
#include <string.h>

/* ---- 3x3x3 convolution ------------------------------------------------ */

int conv3d_chunk_rows;

/* Column-matrix floats per chunk: a few hundred KiB keeps the copies in
 * the cache while leaving sgemm products of some thousand columns. */
#define CHUNK3D_FLOATS 131072

static int chunk_rows3(int C, int W, long rows)
{
	long r = conv3d_chunk_rows > 0 ? conv3d_chunk_rows : CHUNK3D_FLOATS / (27L * C * W);
	if (r < 1)
		r = 1;
	return r < rows ? (int)r : (int)rows;
}

size_t conv3d_scratch(int N, int C, int K, int Z, int H, int W)
{
	(void)K;
	return (size_t)27 * C * W * chunk_rows3(C, W, (long)N * Z * H);
}

/* Global row g = (n*Z + z)*H + y of a channel's block. The row of tap
 * (dz, dy) for output row g, or NULL when it lies outside the volume. */
static const float *src_row(const float *block, int Z, int H, int W, long g, int dz, int dy)
{
	int y = (int)(g % H), z = (int)(g / H % Z);
	long n = g / ((long)H * Z);
	int sy = y + dy, sz = z + dz;
	if (sy < 0 || sy >= H || sz < 0 || sz >= Z)
		return NULL;
	return block + ((n * Z + sz) * H + sy) * (size_t)W;
}

/* col[c*27 + t][(g - g0)*W + x] = in[c] at (z+dz, y+dy, x+dx) (0 outside)
 * for global rows g0..g1-1; tap t = (dz+1)*9 + (dy+1)*3 + dx+1. */
static void im2col3d_rows(float *col, const float *in, int N, int C, int Z, int H, int W,
                          long g0, long g1)
{
	size_t plane = (size_t)N * Z * H * W, L = (size_t)(g1 - g0) * W;
	for (int c = 0; c < C; c++)
		for (int t = 0; t < 27; t++) {
			int dz = t / 9 - 1, dy = t / 3 % 3 - 1, dx = t % 3 - 1;
			float *d = col + ((size_t)c * 27 + t) * L;
			for (long g = g0; g < g1; g++, d += W) {
				const float *s = src_row(in + c * plane, Z, H, W, g, dz, dy);
				if (!s) {
					memset(d, 0, (size_t)W * sizeof *d);
				} else if (dx == 0) {
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
}

/* The adjoint of im2col3d_rows: ADDS the columns into din. */
static void col2im3d_rows(float *din, const float *col, int N, int C, int Z, int H, int W,
                          long g0, long g1)
{
	size_t plane = (size_t)N * Z * H * W, L = (size_t)(g1 - g0) * W;
	for (int c = 0; c < C; c++)
		for (int t = 0; t < 27; t++) {
			int dz = t / 9 - 1, dy = t / 3 % 3 - 1, dx = t % 3 - 1;
			const float *d = col + ((size_t)c * 27 + t) * L;
			for (long g = g0; g < g1; g++, d += W) {
				float *s = (float *)src_row(din + c * plane, Z, H, W, g, dz, dy);
				if (!s)
					continue;
				if (dx == 0)
					vec_add(s, d, (size_t)W);
				else if (dx < 0)
					vec_add(s, d + 1, (size_t)(W - 1));
				else
					vec_add(s + 1, d, (size_t)(W - 1));
			}
		}
}

static void conv_fwd(float *out, float *col, const float *in, const float *w, const float *b,
                     int N, int C, int K, int Z, int H, int W, int relu)
{
	size_t p = (size_t)N * Z * H * W;
	long rows = (long)N * Z * H;
	int rc = chunk_rows3(C, W, rows), J = 27 * C;
	for (long g0 = 0; g0 < rows; g0 += rc) {
		long g1 = g0 + rc < rows ? g0 + rc : rows;
		int L = (int)(g1 - g0) * W;
		float *o = out + (size_t)g0 * W;
		im2col3d_rows(col, in, N, C, Z, H, W, g0, g1);
		for (int k = 0; k < K; k++)
			for (int i = 0; i < L; i++)
				o[k * p + i] = b[k];
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, K, L, J, 1.0f, w, J, col, L,
		            1.0f, o, (int)p);
		if (relu)
			for (int k = 0; k < K; k++)
				vec_relu(o + k * p, (size_t)L);
	}
}

static void conv_bwd(float *din, float *dw, float *db, float *col, const float *dout,
                     const float *in, const float *w, int N, int C, int K, int Z, int H, int W)
{
	size_t p = (size_t)N * Z * H * W;
	long rows = (long)N * Z * H;
	int rc = chunk_rows3(C, W, rows), J = 27 * C;
	for (int k = 0; k < K; k++)
		db[k] += (float)vec_sum(dout + k * p, p);
	for (long g0 = 0; g0 < rows; g0 += rc) {
		long g1 = g0 + rc < rows ? g0 + rc : rows;
		int L = (int)(g1 - g0) * W;
		const float *dc = dout + (size_t)g0 * W;
		im2col3d_rows(col, in, N, C, Z, H, W, g0, g1);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, K, J, L, 1.0f, dc, (int)p, col, L,
		            1.0f, dw, J);
		if (!din)
			continue;
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, J, L, K, 1.0f, w, J, dc, (int)p,
		            0.0f, col, L);
		col2im3d_rows(din, col, N, C, Z, H, W, g0, g1);
	}
}

void conv3d_forward(float *out, float *col, const float *in, const float *w, const float *b,
                    int N, int C, int K, int Z, int H, int W)
{
	conv_fwd(out, col, in, w, b, N, C, K, Z, H, W, 0);
}

void conv3d_relu_forward(float *out, float *col, const float *in, const float *w,
                         const float *b, int N, int C, int K, int Z, int H, int W)
{
	conv_fwd(out, col, in, w, b, N, C, K, Z, H, W, 1);
}

void conv3d_backward(float *din, float *dw, float *db, float *col, const float *dout,
                     const float *in, const float *w, int N, int C, int K, int Z, int H, int W)
{
	conv_bwd(din, dw, db, col, dout, in, w, N, C, K, Z, H, W);
}

void conv3d_relu_backward(float *din, float *dw, float *db, float *col, float *dout,
                          const float *out, const float *in, const float *w, int N, int C,
                          int K, int Z, int H, int W)
{
	vec_relu_mask(dout, out, (size_t)K * N * Z * H * W);
	conv_bwd(din, dw, db, col, dout, in, w, N, C, K, Z, H, W);
}

/* in[c][n][z][y][x], or 0 outside the volume. */
static double at3(const float *in, int N, int Z, int H, int W, int c, int n, int z, int y, int x)
{
	if (z < 0 || z >= Z || y < 0 || y >= H || x < 0 || x >= W)
		return 0;
	return in[((((size_t)c * N + n) * Z + z) * H + y) * W + x];
}

void conv3d_forward_naive(float *out, const float *in, const float *w, const float *b, int N,
                          int C, int K, int Z, int H, int W)
{
	for (int k = 0; k < K; k++)
		for (int n = 0; n < N; n++)
			for (int z = 0; z < Z; z++)
				for (int y = 0; y < H; y++)
					for (int x = 0; x < W; x++) {
						double s = b[k];
						for (int c = 0; c < C; c++)
							for (int t = 0; t < 27; t++)
								s += w[((size_t)k * C + c) * 27 + t] *
								     at3(in, N, Z, H, W, c, n, z + t / 9 - 1,
								         y + t / 3 % 3 - 1, x + t % 3 - 1);
						out[((((size_t)k * N + n) * Z + z) * H + y) * W + x] = (float)s;
					}
}

void conv3d_backward_naive(float *din, float *dw, float *db, const float *dout,
                           const float *in, const float *w, int N, int C, int K, int Z, int H,
                           int W)
{
	for (int k = 0; k < K; k++) {
		double s = 0;
		for (int n = 0; n < N; n++)
			for (int z = 0; z < Z; z++)
				for (int y = 0; y < H; y++)
					for (int x = 0; x < W; x++)
						s += at3(dout, N, Z, H, W, k, n, z, y, x);
		db[k] += (float)s;
		for (int c = 0; c < C; c++)
			for (int t = 0; t < 27; t++) {
				double g = 0;
				for (int n = 0; n < N; n++)
					for (int z = 0; z < Z; z++)
						for (int y = 0; y < H; y++)
							for (int x = 0; x < W; x++)
								g += at3(dout, N, Z, H, W, k, n, z, y, x) *
								     at3(in, N, Z, H, W, c, n, z + t / 9 - 1,
								         y + t / 3 % 3 - 1, x + t % 3 - 1);
				dw[((size_t)k * C + c) * 27 + t] += (float)g;
			}
	}
	if (!din)
		return;
	/* out(z', y', x') used in(z, y, x) through tap t when z = z' + dz etc. */
	for (int c = 0; c < C; c++)
		for (int n = 0; n < N; n++)
			for (int z = 0; z < Z; z++)
				for (int y = 0; y < H; y++)
					for (int x = 0; x < W; x++) {
						double g = 0;
						for (int k = 0; k < K; k++)
							for (int t = 0; t < 27; t++)
								g += at3(dout, N, Z, H, W, k, n, z - t / 9 + 1,
								         y - t / 3 % 3 + 1, x - t % 3 + 1) *
								     w[((size_t)k * C + c) * 27 + t];
						din[((((size_t)c * N + n) * Z + z) * H + y) * W + x] += (float)g;
					}
}

/* ---- 2x2x2 stride-2 up-convolution ------------------------------------- */

/* Move between tmp[k*8 + t][n][z][y][x] (t = a*4 + b*2 + c) and
 * out[k][n][2z+a][2y+b][2x+c]: to_out 1 writes out = tmp + bias[k], 0
 * writes tmp = out. */
static void upconv_scatter(float *out, float *tmp, const float *bias, int N, int K, int z,
                           int h, int wd, int to_out)
{
	size_t v = (size_t)z * h * wd;
	int H2 = 2 * h, W2 = 2 * wd;
	for (int k = 0; k < K; k++)
		for (int n = 0; n < N; n++) {
			float *o = out + ((size_t)k * N + n) * 8 * v;
			float bk = bias ? bias[k] : 0;
			for (int t = 0; t < 8; t++) {
				int a = t >> 2, b = t >> 1 & 1, c = t & 1;
				float *tp = tmp + ((size_t)(k * 8 + t) * N + n) * v;
				for (int zz = 0; zz < z; zz++)
					for (int y = 0; y < h; y++) {
						float *row = o + ((size_t)(2 * zz + a) * H2 + 2 * y + b) * W2 + c;
						float *tr = tp + ((size_t)zz * h + y) * wd;
						if (to_out)
							for (int x = 0; x < wd; x++)
								row[2 * x] = tr[x] + bk;
						else
							for (int x = 0; x < wd; x++)
								tr[x] = row[2 * x];
					}
			}
		}
}

void upconv3d_forward(float *out, float *tmp, const float *in, const float *w, const float *b,
                      int N, int C, int K, int z, int h, int wd)
{
	size_t p = (size_t)N * z * h * wd;
	/* tmp[k*8 + t][i] = sum_c w[c][k*8 + t] in[c][i] */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K * 8, (int)p, C, 1.0f, w, K * 8, in,
	            (int)p, 0.0f, tmp, (int)p);
	upconv_scatter(out, tmp, b, N, K, z, h, wd, 1);
}

void upconv3d_backward(float *din, float *dw, float *db, float *tmp, const float *dout,
                       const float *in, const float *w, int N, int C, int K, int z, int h,
                       int wd)
{
	size_t p = (size_t)N * z * h * wd;
	for (int k = 0; k < K; k++)
		db[k] += (float)vec_sum(dout + k * 8 * p, 8 * p);
	upconv_scatter((float *)dout, tmp, NULL, N, K, z, h, wd, 0);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, C, K * 8, (int)p, 1.0f, in, (int)p,
	            tmp, (int)p, 1.0f, dw, K * 8);
	if (din)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, C, (int)p, K * 8, 1.0f, w,
		            K * 8, tmp, (int)p, 1.0f, din, (int)p);
}

/* ---- 2x2x2 max-pooling ------------------------------------------------- */

/* The index (in a volume of Z x H x W) of the first maximum of the window
 * of output voxel (z, y, x). */
static size_t argmax8(const float *s, int H, int W, int z, int y, int x)
{
	size_t best = ((size_t)(2 * z) * H + 2 * y) * W + 2 * x;
	for (int t = 1; t < 8; t++) {
		size_t i = ((size_t)(2 * z + (t >> 2)) * H + 2 * y + (t >> 1 & 1)) * W + 2 * x + (t & 1);
		if (s[i] > s[best])
			best = i;
	}
	return best;
}

void maxpool3d_forward(float *out, const float *in, size_t vols, int Z, int H, int W)
{
	int z2 = Z / 2, h = H / 2, w = W / 2;
	size_t v = (size_t)Z * H * W, o = (size_t)z2 * h * w;
	for (size_t q = 0; q < vols; q++) {
		const float *s = in + q * v;
		float *d = out + q * o;
		for (int z = 0; z < z2; z++)
			for (int y = 0; y < h; y++)
				for (int x = 0; x < w; x++)
					d[((size_t)z * h + y) * w + x] = s[argmax8(s, H, W, z, y, x)];
	}
}

void maxpool3d_backward(float *din, const float *dout, const float *in, size_t vols, int Z,
                        int H, int W)
{
	int z2 = Z / 2, h = H / 2, w = W / 2;
	size_t v = (size_t)Z * H * W, o = (size_t)z2 * h * w;
	for (size_t q = 0; q < vols; q++) {
		const float *s = in + q * v, *g = dout + q * o;
		float *d = din + q * v;
		for (int z = 0; z < z2; z++)
			for (int y = 0; y < h; y++)
				for (int x = 0; x < w; x++)
					d[argmax8(s, H, W, z, y, x)] += g[((size_t)z * h + y) * w + x];
	}
}
