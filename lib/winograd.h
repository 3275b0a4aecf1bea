/* winograd.h: 3x3 'same' convolutions by Winograd's F(2x2,3x3) minimal
 * filtering (Lavin & Gray 2015), forward and both backward products, on
 * the CNHW tensors of layers.h. Each 2x2 block of outputs ("tile") comes
 * from a 4x4 input patch: V = B^T d B, U = G g G^T, out = A^T (U . V) A,
 * so the 36 multiplications of a tile and channel pair become 16, done as
 * 16 products over channels of the transformed tiles. The backward pass is
 * the exact adjoint of that forward (so gradients are those of the function
 * computed). Rounding differs from direct convolution by a few ulps of the
 * products. Used by conv.c (CONV_WINOGRAD); none of these can fail. The
 * code: winograd.c and its per-instruction-set parts (winograd_impl.h). */
#ifndef SL_WINOGRAD_H
#define SL_WINOGRAD_H

#include <stddef.h>

/* Floats of scratch for a convolution of this shape. */
size_t wino_scratch(int N, int C, int K, int H, int W);
/* out [K][N][H][W] = conv(in [C][N][H][W], w [K][C][3][3]) + b, then
 * max(., 0) if relu. */
void wino_forward(float *out, float *scratch, const float *in, const float *w,
                  const float *b, int N, int C, int K, int H, int W, int relu);
/* Adds into dw and db, and writes din (if not NULL), the gradients given dout. If
 * relu_out is not NULL, dout is first zeroed where relu_out <= 0 (in
 * place: dout is changed). */
void wino_backward(float *din, float *dw, float *db, float *scratch, float *dout,
                   const float *relu_out, const float *in, const float *w, int N, int C,
                   int K, int H, int W);

#endif
