/* layers.h: the U-Net's layers as forward/backward pairs of free functions.
 *
 * Tensors are float arrays in "CNHW" order: channel outermost, then batch
 * sample, then row, then column, i.e. t[c][n][y][x]. A whole batch of one
 * channel is one contiguous block, so every convolution is ONE matrix
 * product over the batch (out[K][N*H*W] = w[K][C*9] * col[C*9][N*H*W]),
 * and concatenating along channels is just two adjacent blocks.
 *
 * Conventions (llm.c style): outputs first, sizes last; gradients are
 * prefixed d; a backward function ADDS into the gradients it produces
 * (weights, biases, inputs), so the caller zeroes them first. A NULL input
 * gradient means "not needed" and is skipped. None of these can fail.
 * Weight layouts follow PyTorch (conv: [K][C][kh][kw]; transposed conv:
 * [C][K][kh][kw]) so weights move between the two unchanged. */
#ifndef SL_LAYERS_H
#define SL_LAYERS_H

#include <stddef.h>
#include <stdint.h>

/* 3x3 'same' convolution (zero padding 1) with bias.
 * out [K][N][H][W], in [C][N][H][W], w [K][C][3][3], b [K].
 * col is scratch of conv3x3_scratch(N, C, K, H, W) floats. */
size_t conv3x3_scratch(int N, int C, int K, int H, int W);
void conv3x3_forward(float *out, float *col, const float *in, const float *w,
                     const float *b, int N, int C, int K, int H, int W);
/* dout is the gradient of the pre-activation output. Adds into dw, db and
 * (if not NULL) din. in must be the forward input; col is scratch. */
void conv3x3_backward(float *din, float *dw, float *db, float *col, const float *dout,
                      const float *in, const float *w, int N, int C, int K, int H, int W);
/* A 3x3 convolution followed by ReLU: out = max(conv, 0) (fused where
 * possible). The backward takes dout = dLoss/d(ReLU output) and `out`, the
 * forward's output, and masks dout itself; dout may be changed. */
void conv3x3_relu_forward(float *out, float *col, const float *in, const float *w,
                          const float *b, int N, int C, int K, int H, int W);
void conv3x3_relu_backward(float *din, float *dw, float *db, float *col, float *dout,
                           const float *out, const float *in, const float *w, int N, int C,
                           int K, int H, int W);
/* The same by one im2col of the whole batch and two OpenBLAS sgemm calls:
 * the plain, tested reference of the fast versions above. col is scratch
 * of C*9*N*H*W floats. */
void conv3x3_forward_blas(float *out, float *col, const float *in, const float *w,
                          const float *b, int N, int C, int K, int H, int W);
void conv3x3_backward_blas(float *din, float *dw, float *db, float *col, const float *dout,
                           const float *in, const float *w, int N, int C, int K, int H, int W);
/* How conv3x3_forward/backward work: 0 chosen by the shape (default),
 * 1 a few rows at a time with kernels.c, 2 as 3 forward and a few rows at
 * a time with cblas_sgemm backward, 3 im2col and sgemm (forward one sgemm
 * per image, small images tap by tap), 4 Winograd F(2x2,3x3) (winograd.h; rounding differs slightly),
 * 5 the _blas versions, the reference (unet-train --engine reference).
 * For tests, benchmarks and that check. */
extern int conv3x3_mode;
/* out[m*ldo + i] = bias[m] (0 if NULL) + (accumulate ? out[m*ldo + i] : 0)
 *                 + sum_q A[m*sam + q*saq] in[q*ldi + i]
 * for m < M, i < L, q < Q: the forward products. Not sgemm, whose sums
 * depend on the shape of the call and on a pixel's place in it (seen with
 * OpenBLAS on Zen 3), which made an image's output depend on its batch:
 * here every pixel's sum is the same whatever L and i. */
void rows_product(int M, size_t L, int Q, const float *A, ptrdiff_t sam, ptrdiff_t saq,
                  const float *in, size_t ldi, float *out, size_t ldo, const float *bias,
                  int accumulate);
/* The mode 0 picks for this shape (1 to 4). */
int conv3x3_auto_mode(int N, int C, int K, int H, int W);
/* Direct loops, accumulated in double: the test reference of all of these. */
void conv3x3_forward_naive(float *out, const float *in, const float *w, const float *b,
                           int N, int C, int K, int H, int W);
void conv3x3_backward_naive(float *din, float *dw, float *db, const float *dout,
                            const float *in, const float *w, int N, int C, int K, int H, int W);

/* The column matrix of a 3x3 'same' convolution: col[C*9][N*H*W], row
 * c*9 + ky*3 + kx holds in[c][n][y+ky-1][x+kx-1] (0 outside), and its
 * adjoint (ADDS into din; col is used as scratch and changed). */
void im2col3x3(float *col, const float *in, int N, int C, int H, int W);
void col2im3x3(float *din, float *col, int N, int C, int H, int W);

/* 2x2 transposed convolution with stride 2 and bias ("up-convolution"):
 * out [K][N][2h][2w], in [C][N][h][w], w [C][K][2][2], b [K].
 * out[k][n][2y+a][2x+b] = b[k] + sum_c w[c][k][a][b] * in[c][n][y][x].
 * tmp is scratch of K*4*N*h*w floats. */
void upconv2x2_forward(float *out, float *tmp, const float *in, const float *w,
                       const float *b, int N, int C, int K, int h, int wd);
void upconv2x2_backward(float *din, float *dw, float *db, float *tmp, const float *dout,
                        const float *in, const float *w, int N, int C, int K, int h, int wd);

/* 1x1 convolution with bias: out [K][P], in [C][P], w [K][C], b [K], where
 * P = N*H*W pixels. */
void conv1x1_forward(float *out, const float *in, const float *w, const float *b,
                     int P, int C, int K);
void conv1x1_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                      const float *w, int P, int C, int K);

/* 2x2 max-pooling with stride 2 over `planes` planes of H x W (H, W even):
 * out [planes][H/2][W/2]. The backward pass routes each gradient to the
 * first maximum of its window (scan order (0,0) (0,1) (1,0) (1,1)), found
 * again from `in`, and ADDS it into din. */
void maxpool2_forward(float *out, const float *in, size_t planes, int H, int W);
void maxpool2_backward(float *din, const float *dout, const float *in, size_t planes,
                       int H, int W);

/* ReLU in place: x = max(x, 0). */
void relu_forward(float *x, size_t n);
/* Turn the gradient of a ReLU's output into that of its input, in place:
 * d[i] = 0 where out[i] <= 0 (out is the ReLU's output). */
void relu_backward(float *d, const float *out, size_t n);

/* Binary cross-entropy from logits over N slices of P pixels.
 * mask[n*P + i]: 0 or 1, or 255 = ignored (adds nothing). sw[n] is the
 * weight of slice n (NULL: all 1). Returns
 *     sum over labelled pixels of sw[n] * bce(z, y)  /  number of labelled pixels
 * (0 when no pixel is labelled), computed stably as
 * max(z,0) - z*y + log(1 + exp(-|z|)). Also returns the count in *nlab. */
double bce_forward(const float *logit, const uint8_t *mask, const float *sw, int N,
                   size_t P, size_t *nlab);
/* Gradient of bce_forward times `scale`, ADDED into dlogit. */
void bce_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                  int N, size_t P, double scale);

/* Class-weighted binary cross-entropy from logits: as bce_forward
 * above but a foreground pixel (mask 1) counts pw times:
 *     sum over labelled pixels of sw[n] * (y ? pw : 1) * bce(z, y)
 *     / number of labelled pixels
 * (PyTorch's BCEWithLogitsLoss pos_weight, mean reduction). *nlab (if not
 * NULL) gets the count. wbce_backward ADDS scale times its gradient
 * sw[n] (y ? pw : 1) (sigmoid(z) - y) / count into dlogit. Cannot fail. */
double wbce_forward(const float *logit, const uint8_t *mask, const float *sw, int N, size_t P,
                    double pw, size_t *nlab);
void wbce_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                   int N, size_t P, double pw, double scale);
/* Both in one pass: returns wbce_forward's loss and WRITES (not adds)
 * wbce_backward's gradient into dlogit, 0 at ignored pixels; one exp per
 * pixel. The gradient equals wbce_backward's bit for bit; the loss
 * wbce_forward's to rounding (exp(-|z|) is taken in float). */
double wbce_loss_grad(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                      int N, size_t P, double pw, double scale);

/* Soft Dice loss over the labelled pixels of the whole batch:
 *     1 - (2 sum w p y + 1) / (sum w p + sum w y + 1),  p = sigmoid(z),
 * w = slice weight. Returns it; dice_backward ADDS scale times its gradient. */
double dice_forward(const float *logit, const uint8_t *mask, const float *sw, int N, size_t P);
void dice_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                   int N, size_t P, double scale);

/* Numerically safe logistic function. */
float sigmoidf(float z);

#endif
