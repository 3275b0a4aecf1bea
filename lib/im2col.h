/* im2col.h: the column matrix of a 3x3 'same' convolution on the CNHW
 * tensors of layers.h, and its adjoint, for the convolutions that go
 * through a matrix product (conv.h's im2col modes and the reference,
 * conv_ref.h). None of these can fail. */
#ifndef SL_IM2COL_H
#define SL_IM2COL_H

/* col[C*9][N*H*W]: row c*9 + ky*3 + kx holds in[c][n][y+ky-1][x+kx-1] (0
 * outside the image). col2im3x3 is its adjoint: it ADDS into din, and uses
 * col as scratch (col is changed). */
void im2col3x3(float *col, const float *in, int N, int C, int H, int W);
void col2im3x3(float *din, float *col, int N, int C, int H, int W);

/* The same for the "global" rows g0..g1-1 (g = n*H + y) of every channel
 * plane only: col[c*9 + t][(g - g0)*W + x]. */
void im2col3x3_rows(float *col, const float *in, int N, int C, int H, int W, int g0, int g1);
void col2im3x3_rows(float *din, float *col, int N, int C, int H, int W, int g0, int g1);

#endif
