/* layers3d.h: the 3-D U-Net's own layers, as forward/backward pairs.
 *
 * Tensors are float arrays in "CNZHW" order: channel outermost, then batch
 * sample, then z, row, column: t[c][n][z][y][x]. As in 2-D (layers.h), a
 * convolution is a matrix product over the whole batch,
 * out[K][N*Z*H*W] = w[K][C*27] * col[C*27][N*Z*H*W], here taken a few
 * planes at a time, either as 27 shifted views of zero-padded planes (no
 * column matrix) or by im2col of a few rows and sgemm.
 *
 * The conventions are those of layers.h: outputs first, sizes last,
 * gradients prefixed d, backward functions ADD into the weight and bias
 * gradients and WRITE the input gradient (max-pooling's adds), a NULL
 * input gradient is skipped, none of these can fail.
 * Weight layouts follow PyTorch (Conv3d: [K][C][kz][ky][kx];
 * ConvTranspose3d: [C][K][kz][ky][kx]). The 1x1x1 convolution, ReLU and the
 * losses are the 2-D ones (conv1x1_*, relu_*, bce_*, dice_* over all voxels). */
#ifndef SL_LAYERS3D_H
#define SL_LAYERS3D_H

#include <stddef.h>

/* 3x3x3 'same' convolution (zero padding 1) with bias.
 * out [K][N][Z][H][W], in [C][N][Z][H][W], w [K][C][3][3][3], b [K].
 * col is scratch of conv3d_scratch(N, C, K, Z, H, W) floats. */
size_t conv3d_scratch(int N, int C, int K, int Z, int H, int W);
void conv3d_forward(float *out, float *col, const float *in, const float *w, const float *b,
                    int N, int C, int K, int Z, int H, int W);
/* dout is the gradient of the pre-activation output (only read). Adds into
 * dw, db and (if not NULL) din; in is the forward input; col is scratch. */
void conv3d_backward(float *din, float *dw, float *db, float *col, const float *dout,
                     const float *in, const float *w, int N, int C, int K, int Z, int H, int W);
/* The convolution followed by ReLU. The backward takes dout = dLoss/d(ReLU
 * output) and `out`, the forward's output, and masks dout itself (dout is
 * changed). */
void conv3d_relu_forward(float *out, float *col, const float *in, const float *w,
                         const float *b, int N, int C, int K, int Z, int H, int W);
void conv3d_relu_backward(float *din, float *dw, float *db, float *col, float *dout,
                          const float *out, const float *in, const float *w, int N, int C,
                          int K, int Z, int H, int W);
/* Direct loops accumulated in double: the test reference of the above. */
void conv3d_forward_naive(float *out, const float *in, const float *w, const float *b, int N,
                          int C, int K, int Z, int H, int W);
void conv3d_backward_naive(float *din, float *dw, float *db, const float *dout,
                           const float *in, const float *w, int N, int C, int K, int Z, int H,
                           int W);
/* How conv3d_* work: 0 chosen by the shape (default), 1 directly on
 * zero-padded planes with kernels.c, 2 by im2col of a few rows at a time
 * and sgemm. For tests and benchmarks. */
extern int conv3d_mode;
/* Planes (mode 1) or rows of W pixels (mode 2) per chunk (tests set it
 * small to cover chunk edges; 0 = chosen by the shape). */
extern int conv3d_chunk_rows;

/* 2x2x2 transposed convolution with stride 2 and bias:
 * out [K][N][2z][2h][2w], in [C][N][z][h][w], w [C][K][2][2][2], b [K],
 * out[k][n][2z+a][2y+b][2x+c] = b[k] + sum_ch w[ch][k][a][b][c] in[ch][n][z][y][x].
 * tmp is scratch of K*8*N*z*h*w floats. */
void upconv3d_forward(float *out, float *tmp, const float *in, const float *w, const float *b,
                      int N, int C, int K, int z, int h, int wd);
void upconv3d_backward(float *din, float *dw, float *db, float *tmp, const float *dout,
                       const float *in, const float *w, int N, int C, int K, int z, int h,
                       int wd);

/* 2x2x2 max-pooling with stride 2 over `vols` volumes of Z x H x W (all
 * even): out [vols][Z/2][H/2][W/2]. The backward routes each gradient to
 * the first maximum of its window in (dz, dy, dx) scan order, found again
 * from `in`, and ADDS it into din. */
void maxpool3d_forward(float *out, const float *in, size_t vols, int Z, int H, int W);
void maxpool3d_backward(float *din, const float *dout, const float *in, size_t vols, int Z,
                        int H, int W);

#endif
