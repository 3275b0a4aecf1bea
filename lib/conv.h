/* conv.h: the 3x3 'same' convolution (zero padding 1) with bias, and the
 * choice of how it is computed. Tensors, weight layout and the
 * forward/backward conventions are layers.h's: out [K][N][H][W],
 * in [C][N][H][W], w [K][C][3][3], b [K]; a backward ADDS into dw and db
 * and WRITES din (if not NULL): the network's activation gradients need no
 * zeroing first. None of these can fail. */
#ifndef SL_CONV_H
#define SL_CONV_H

#include <stddef.h>

/* How conv3x3_forward/backward work. The fast modes' results differ from
 * the reference's by rounding only, and depend on nothing but the batch
 * they are given: an image's output is the same in any batch, except in
 * CONV_REFERENCE, whose sgemm over the whole batch sums in an order that
 * depends on the call's shape. */
enum conv_mode {
	CONV_AUTO,      /* "auto": chosen by the shape, conv3x3_auto_mode (default) */
	CONV_DIRECT,    /* "direct": a few zero-padded rows at a time with the
	                   register-blocked kernels of kernels.h; no column matrix */
	CONV_CHUNKED,   /* "chunked": forward as CONV_IM2COL, backward a few rows at
	                   a time by im2col and cblas_sgemm */
	CONV_IM2COL,    /* "im2col": forward im2col and one sgemm per image (small
	                   images tap by tap), backward one column matrix of dout */
	CONV_WINOGRAD,  /* "winograd": F(2x2,3x3), winograd.h; rounding differs slightly */
	CONV_REFERENCE, /* "reference": conv_ref.h's im2col + sgemm over the batch
	                   (unet-train --engine reference) */
	CONV_MODES      /* how many */
};

/* The mode every 3x3 convolution runs in (CONV_AUTO unless a test, a
 * benchmark or the reference check sets it). */
extern enum conv_mode conv3x3_mode;

/* The mode's name above ("?" if m is not a mode). */
const char *conv_mode_name(enum conv_mode m);
/* The mode named s, or given by its number (0 .. CONV_MODES-1), into *m:
 * 0, or -1 (*m unchanged) if s is neither. */
int conv_mode_parse(const char *s, enum conv_mode *m);
/* The mode CONV_AUTO picks for this shape (never CONV_AUTO or
 * CONV_REFERENCE): measured per layer with unet-bench -t layers, one rule
 * for AVX-512 and one for narrower vectors. */
enum conv_mode conv3x3_auto_mode(int N, int C, int K, int H, int W);

/* Floats of scratch (col below) a convolution of this shape needs in the
 * current mode, forward or backward. */
size_t conv3x3_scratch(int N, int C, int K, int H, int W);
void conv3x3_forward(float *out, float *col, const float *in, const float *w,
                     const float *b, int N, int C, int K, int H, int W);
/* dout is the gradient of the pre-activation output. Adds into dw and db,
 * writes din (if not NULL). in must be the forward input; col is scratch. */
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

#endif
