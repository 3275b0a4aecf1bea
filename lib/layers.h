/* layers.h: the U-Net's layers as forward/backward pairs of free functions.
 *
 * Tensors are float arrays in "CNHW" order: channel outermost, then batch
 * sample, then row, then column, i.e. t[c][n][y][x]. A whole batch of one
 * channel is one contiguous block, so every convolution is ONE matrix
 * product over the batch (out[K][N*H*W] = w[K][C*9] * col[C*9][N*H*W]),
 * and concatenating along channels is just two adjacent blocks.
 *
 * Conventions (llm.c style): outputs first, sizes last; gradients are
 * prefixed d; a backward function ADDS into the weight and bias gradients
 * (the caller zeroes them once per step) and WRITES the input gradient,
 * except max-pooling's backward, which adds (its input's gradient also
 * comes through the skip connection). A NULL input gradient means "not
 * needed" and is skipped. None of these can fail.
 * Weight layouts follow PyTorch (conv: [K][C][kh][kw]; transposed conv:
 * [C][K][kh][kw]) so weights move between the two unchanged. */
#ifndef SL_LAYERS_H
#define SL_LAYERS_H

#include <stddef.h>
#include <stdint.h>

/* The 3x3 convolution and the losses have their own headers, included
 * here for the network code: */
#include "conv.h"
#include "loss.h"

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

#endif
