/* conv_ref.h: the references of the 3x3 'same' convolution of conv.h
 * (same tensors, layouts and contracts): the plain im2col + OpenBLAS
 * version, which the engine runs as conv.h's CONV_REFERENCE (unet-train
 * --engine reference), and direct loops in double, the tests' reference of
 * every implementation. None of these can fail. */
#ifndef SL_CONV_REF_H
#define SL_CONV_REF_H

#include <stddef.h>

/* One im2col of the whole batch and one sgemm for the forward, two for the
 * backward (which ADDS into dw and db and, if not NULL, WRITES din). col is scratch
 * of conv3x3_blas_scratch(N, C, H, W) = C*9*N*H*W floats. */
size_t conv3x3_blas_scratch(int N, int C, int H, int W);
void conv3x3_forward_blas(float *out, float *col, const float *in, const float *w,
                          const float *b, int N, int C, int K, int H, int W);
void conv3x3_backward_blas(float *din, float *dw, float *db, float *col, const float *dout,
                           const float *in, const float *w, int N, int C, int K, int H, int W);

/* Direct loops, accumulated in double: the test reference of all of these
 * (the backward adds into dw and db and writes din, like the others). */
void conv3x3_forward_naive(float *out, const float *in, const float *w, const float *b,
                           int N, int C, int K, int H, int W);
void conv3x3_backward_naive(float *din, float *dw, float *db, const float *dout,
                            const float *in, const float *w, int N, int C, int K, int H, int W);

#endif
