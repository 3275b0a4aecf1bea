/* layers3d.c: 3x3x3 convolution (direct, on zero-padded planes with the
 * register-blocked kernels of kernels.c; or im2col of a few rows at a time
 * and OpenBLAS sgemm; and a naive reference), 2x2x2 up-convolution and
 * max-pooling. */
#include "layers3d.h"

#include "kernels.h"
#include "layers.h"

#include <cblas.h>
#include <stdlib.h>
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

int conv3d_mode;

/* 1: direct (kernels.c), 2: im2col + sgemm. Few channels and many voxels
 * suit the register-blocked kernels; many channels on tiny volumes, BLAS. */
static int mode3(int C, int K, int Z, int H, int W)
{
	if (conv3d_mode)
		return conv3d_mode;
	(void)Z, (void)H;
	return W >= 8 || C * K <= 1024 ? 1 : 2;
}

/* ---- direct mode: planes with a zero border -------------------------------
 * A chunk is planes z0..z1-1 of one sample. Each channel is copied with one
 * plane of halo above and below and a zero border into (nz + 2) planes of
 * Hp = H + 2 rows of Wp = W + 2 floats. Output voxel (z0 + zo, y, x) is
 * position f = zo*Hp*Wp + y*Wp + x of the chunk, and tap (dz, dy, dx) of the
 * convolution reads position f + dz*Hp*Wp + dy*Wp + dx of the padded input:
 * 27 shifted views of one buffer, a product with a table of row pointers.
 * Positions with y >= H or x >= W are computed and dropped. */

/* Floats per padded channel of a chunk of nz planes (the slack lets the
 * last positions read past the end). */
static size_t chan3(int nz, int H, int W)
{
	return (size_t)(nz + 2) * (H + 2) * (W + 2);
}

static size_t slack3(int H, int W)
{
	return (size_t)2 * (W + 2) + 2 + 64;
}

/* Output positions of a chunk of nz planes. */
static int len3(int nz, int H, int W)
{
	return (nz - 1) * (H + 2) * (W + 2) + (H - 1) * (W + 2) + W;
}

#define PAD3_FLOATS 65536
static int planes_per_chunk(int C, int K, int Z, int H, int W)
{
	int m = C > K ? C : K;
	long r = conv3d_chunk_rows > 0 ? conv3d_chunk_rows
	                               : PAD3_FLOATS / ((long)m * (H + 2) * (W + 2)) - 2;
	if (r < 1)
		r = 1;
	return r < Z ? (int)r : Z;
}

static size_t direct_scratch(int C, int K, int Z, int H, int W)
{
	int nz = planes_per_chunk(C, K, Z, H, W), mx = C > K ? C : K;
	size_t L = (size_t)len3(nz, H, W);
	return C * chan3(nz, H, W) + K * chan3(nz, H, W) + 2 * slack3(H, W) + mx * L +
	       (size_t)27 * C * K + L + (size_t)K * (27 * C + 1) * (1 + gemm_lanes());
}

size_t conv3d_scratch(int N, int C, int K, int Z, int H, int W)
{
	size_t a = (size_t)27 * C * W * chunk_rows3(C, W, (long)N * Z * H);
	size_t b = direct_scratch(C, K, Z, H, W);
	return a > b ? a : b;
}

/* Copy planes z0-1 .. z1 of sample n of a CNZHW tensor into a padded chunk
 * (zeros outside the volume and in the border, and after the last channel);
 * where relu_out (same layout, may be NULL) is <= 0, zeros too. */
static void pad_planes(float *pad, const float *t, const float *relu_out, int N, int C, int Z,
                       int H, int W, int n, int z0, int z1)
{
	size_t vol = (size_t)N * Z * H * W, cs = chan3(z1 - z0, H, W), pp = (size_t)(H + 2) * (W + 2);
	for (int c = 0; c < C; c++) {
		float *dc = pad + c * cs;
		for (int z = z0 - 1; z <= z1; z++) {
			float *d = dc + (size_t)(z - z0 + 1) * pp;
			if (z < 0 || z >= Z) {
				memset(d, 0, pp * sizeof *d);
				continue;
			}
			size_t off = c * vol + ((size_t)n * Z + z) * H * W;
			memset(d, 0, (size_t)(W + 2) * sizeof *d);
			d += W + 2;
			for (int y = 0; y < H; y++, d += W + 2) {
				const float *s = t + off + (size_t)y * W;
				d[0] = 0;
				if (relu_out)
					vec_mask_copy(d + 1, s, relu_out + off + (size_t)y * W, (size_t)W);
				else
					memcpy(d + 1, s, (size_t)W * sizeof *d);
				d[W + 1] = 0;
			}
			memset(d, 0, (size_t)(W + 2) * sizeof *d);
		}
	}
	memset(pad + C * cs, 0, slack3(H, W) * sizeof *pad);
}

/* The views of a padded chunk: rows[c*27 + t] for tap t = (dz, dy, dx),
 * flipped (2 - dz, 2 - dy, 2 - dx) when flip is set. */
static void views(const float **rows, const float *pad, int C, int nz, int H, int W, int flip)
{
	size_t cs = chan3(nz, H, W), pp = (size_t)(H + 2) * (W + 2);
	for (int c = 0; c < C; c++)
		for (int t = 0; t < 27; t++) {
			int dz = t / 9, dy = t / 3 % 3, dx = t % 3;
			if (flip)
				dz = 2 - dz, dy = 2 - dy, dx = 2 - dx;
			rows[c * 27 + t] = pad + c * cs + dz * pp + (size_t)dy * (W + 2) + dx;
		}
}

static void direct_fwd(float *out, float *sc, const float *in, const float *w, const float *b,
                       int N, int C, int K, int Z, int H, int W, int relu)
{
	int pc = planes_per_chunk(C, K, Z, H, W);
	size_t vol = (size_t)N * Z * H * W, pp = (size_t)(H + 2) * (W + 2);
	const float **rows = malloc((size_t)27 * C * sizeof *rows);
	float *pad = sc, *o = sc + C * chan3(pc, H, W) + slack3(H, W);
	for (int n = 0; n < N; n++)
		for (int z0 = 0; z0 < Z; z0 += pc) {
			int z1 = z0 + pc < Z ? z0 + pc : Z, nz = z1 - z0, L = len3(nz, H, W);
			pad_planes(pad, in, NULL, N, C, Z, H, W, n, z0, z1);
			views(rows, pad, C, nz, H, W, 0);
			gemm_rows(K, L, 27 * C, w, 27 * C, 1, rows, o, L, 0, b);
			for (int k = 0; k < K; k++)
				for (int z = 0; z < nz; z++)
					for (int y = 0; y < H; y++) {
						float *d = out + k * vol + (((size_t)n * Z + z0 + z) * H + y) * W;
						const float *s = o + (size_t)k * L + z * pp + (size_t)y * (W + 2);
						if (relu)
							vec_relu_copy(d, s, (size_t)W);
						else
							memcpy(d, s, (size_t)W * sizeof *d);
					}
		}
	free(rows);
}

/* dout: the gradient of the convolution's output, or (relu_out not NULL)
 * of its ReLU's output, masked here while padding. */
static void direct_bwd(float *din, float *dw, float *db, float *sc, const float *dout,
                       const float *relu_out, const float *in, const float *w, int N, int C,
                       int K, int Z, int H, int W)
{
	int pc = planes_per_chunk(C, K, Z, H, W), mx = C > K ? C : K, J = 27 * C;
	size_t vol = (size_t)N * Z * H * W, pp = (size_t)(H + 2) * (W + 2);
	size_t Lmax = (size_t)len3(pc, H, W);
	float *ipad = sc, *dpad = ipad + C * chan3(pc, H, W) + slack3(H, W);
	float *o = dpad + K * chan3(pc, H, W) + slack3(H, W), *wt = o + mx * Lmax;
	float *ones = wt + (size_t)27 * C * K, *dwb = ones + Lmax;
	float *part = dwb + (size_t)K * (J + 1);
	const float **rows = malloc(((size_t)27 * mx + 1) * sizeof *rows);
	for (int k = 0; k < K; k++)
		for (int c = 0; c < C; c++)
			for (int t = 0; t < 27; t++)
				wt[((size_t)c * K + k) * 27 + t] = w[((size_t)k * C + c) * 27 + t];
	for (size_t i = 0; i < Lmax; i++)
		ones[i] = 1;
	memset(dwb, 0, (size_t)K * (J + 1) * (1 + gemm_lanes()) * sizeof *dwb);
	for (int n = 0; n < N; n++)
		for (int z0 = 0; z0 < Z; z0 += pc) {
			int z1 = z0 + pc < Z ? z0 + pc : Z, nz = z1 - z0, L = len3(nz, H, W);
			size_t cs = chan3(nz, H, W);
			pad_planes(ipad, in, NULL, N, C, Z, H, W, n, z0, z1);
			pad_planes(dpad, dout, relu_out, N, K, Z, H, W, n, z0, z1);
			/* dw[k][c*27 + t] += sum_f dout[k][f] in(c, t)[f]; db[k] += sum_f dout[k][f]
			 * (dout is 0 at the dropped positions) */
			views(rows, ipad, C, nz, H, W, 0);
			rows[J] = ones;
			gemm_dots(K, J + 1, L, dpad + pp + (W + 2) + 1, (ptrdiff_t)cs, rows, part);
			if (!din)
				continue;
			/* din[c][f] = sum_k sum_t w[k][c][t] dout[k] at f - t + 1 (flipped views) */
			views(rows, dpad, K, nz, H, W, 1);
			gemm_rows(C, L, 27 * K, wt, 27 * K, 1, rows, o, L, 0, NULL);
			for (int c = 0; c < C; c++)
				for (int z = 0; z < nz; z++)
					for (int y = 0; y < H; y++)
						memcpy(din + c * vol + (((size_t)n * Z + z0 + z) * H + y) * W,
						       o + (size_t)c * L + z * pp + (size_t)y * (W + 2),
						       (size_t)W * sizeof *din);
		}
	gemm_dots_finish(K, J + 1, part, dwb, J + 1);
	for (int k = 0; k < K; k++) {
		vec_add(dw + (size_t)k * J, dwb + (size_t)k * (J + 1), (size_t)J);
		db[k] += dwb[(size_t)k * (J + 1) + J];
	}
	free(rows);
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
	if (mode3(C, K, Z, H, W) == 1) {
		direct_fwd(out, col, in, w, b, N, C, K, Z, H, W, relu);
		return;
	}
	size_t p = (size_t)N * Z * H * W;
	long rows = (long)N * Z * H;
	int rc = chunk_rows3(C, W, rows), J = 27 * C;
	for (long g0 = 0; g0 < rows; g0 += rc) {
		long g1 = g0 + rc < rows ? g0 + rc : rows;
		int L = (int)(g1 - g0) * W;
		float *o = out + (size_t)g0 * W;
		im2col3d_rows(col, in, N, C, Z, H, W, g0, g1);
		/* not sgemm: see rows_product */
		rows_product(K, (size_t)L, J, w, J, 1, col, (size_t)L, o, p, b, 0);
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
	if (din) /* col2im adds */
		memset(din, 0, (size_t)C * p * sizeof *din);
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
	if (mode3(C, K, Z, H, W) == 1)
		direct_bwd(din, dw, db, col, dout, NULL, in, w, N, C, K, Z, H, W);
	else
		conv_bwd(din, dw, db, col, dout, in, w, N, C, K, Z, H, W);
}

void conv3d_relu_backward(float *din, float *dw, float *db, float *col, float *dout,
                          const float *out, const float *in, const float *w, int N, int C,
                          int K, int Z, int H, int W)
{
	if (mode3(C, K, Z, H, W) == 1) {
		direct_bwd(din, dw, db, col, dout, out, in, w, N, C, K, Z, H, W);
		return;
	}
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
						din[((((size_t)c * N + n) * Z + z) * H + y) * W + x] = (float)g;
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
	rows_product(K * 8, p, C, w, 1, K * 8, in, p, tmp, p, NULL, 0);
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
		            K * 8, tmp, (int)p, 0.0f, din, (int)p);
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
