/* conv.c: the 3x3 convolution, dispatched to the implementation of
 * conv3x3_mode or, by default, of the shape (see conv.h). */
#include "conv.h"

#include "conv_impl.h"
#include "conv_ref.h"
#include "isa.h"
#include "kernels.h"
#include "winograd.h"

#include <stdlib.h>
#include <string.h>

enum conv_mode conv3x3_mode = CONV_AUTO;

static const char *const mode_names[CONV_MODES] = {"auto", "direct", "chunked", "im2col",
                                                   "winograd", "reference"};

const char *conv_mode_name(enum conv_mode m)
{
	return (unsigned)m < CONV_MODES ? mode_names[m] : "?";
}

int conv_mode_parse(const char *s, enum conv_mode *m)
{
	for (int i = 0; i < CONV_MODES; i++)
		if (!strcmp(s, mode_names[i]) || (s[0] == '0' + i && !s[1])) {
			*m = (enum conv_mode)i;
			return 0;
		}
	return -1;
}

/* The register-blocked kernels win where channels are few and pixels many;
 * Winograd where there are enough channels and tiles to amortise its
 * transforms; OpenBLAS on small images. Measured per layer with unet-bench
 * -t layers; the rule differs with the vector width, which changes what the
 * kernels and the transforms cost against sgemm (the set chosen at run
 * time, isa.h). */
enum conv_mode conv3x3_auto_mode(int N, int C, int K, int H, int W)
{
	(void)N;
	if (isa_active() == ISA_AVX512) {
		/* measured on a Xeon and a Zen 4 (AVX-512); on images under 8x8
		 * (down to 4x4) Winograd also wins, with up to 128 + 128 channels
		 * (Xeon, CPU ms forward + backward, Winograd vs im2col: 32->64 at
		 * 4x4 0.41 vs 0.62, 64->64 0.77 vs 0.94, 128->64 equal; 64->128
		 * at 6x6 1.8 vs 2.4, 128->128 3.6 vs 4.2; at 2x2 it loses); and
		 * on larger images with up to 128 + 128 channels (Xeon, 128->128
		 * at 11x9 5.1 vs 6.2 ms, 11x11 6.1 vs 7.1, 16x16 6.2 vs 7.6,
		 * 32x32 11.8 vs 15.2; more channels were not measured) */
		if (K >= 32 && C >= 16 && H >= 4 && W >= 4 &&
		    (C + K <= 256 || (H < 8 && W < 8)))
			return CONV_WINOGRAD;
		if (W < 12)
			return CONV_IM2COL;
		return C * K <= 1024 ? CONV_DIRECT : C * K <= 2048 ? CONV_CHUNKED : CONV_IM2COL;
	}
	/* measured on a Zen 3 (AVX2, unet-bench -t layers on a quiet machine):
	 * Winograd from 16 output channels on images of 6x6 and up, except
	 * with few channels on large images, where the direct kernels win
	 * (also the generic set's rule) */
	if (H >= 6 && W >= 6 && K >= 16 && (K >= 32 || C >= 32 || (long)H * W <= 1024))
		return CONV_WINOGRAD;
	if (W < 12 || K >= 64)
		return CONV_IM2COL;
	return C * K <= 2048 ? CONV_DIRECT : CONV_IM2COL;
}

static enum conv_mode mode_of(int N, int C, int K, int H, int W)
{
	return conv3x3_mode ? conv3x3_mode : conv3x3_auto_mode(N, C, K, H, W);
}

size_t conv3x3_scratch(int N, int C, int K, int H, int W)
{
	switch (mode_of(N, C, K, H, W)) {
	case CONV_DIRECT: return conv_direct_scratch(C, K, H, W);
	case CONV_WINOGRAD: return wino_scratch(N, C, K, H, W);
	case CONV_REFERENCE: return conv3x3_blas_scratch(N, C, H, W);
	default: return conv_im2col_scratch(N, C, K, H, W); /* CHUNKED, IM2COL */
	}
}

static void conv_forward(float *out, float *col, const float *in, const float *w,
                         const float *b, int N, int C, int K, int H, int W, int relu)
{
	switch (mode_of(N, C, K, H, W)) {
	case CONV_DIRECT:
		conv_direct_forward(out, col, in, w, b, N, C, K, H, W, relu);
		break;
	case CONV_WINOGRAD:
		wino_forward(out, col, in, w, b, N, C, K, H, W, relu);
		break;
	case CONV_REFERENCE:
		conv3x3_forward_blas(out, col, in, w, b, N, C, K, H, W);
		if (relu)
			vec_relu(out, (size_t)K * N * H * W);
		break;
	default: /* CHUNKED, IM2COL */
		conv_im2col_forward(out, col, in, w, b, N, C, K, H, W, relu);
	}
}

/* relu_out: the forward's output if it had a ReLU (dout is masked with it,
 * in place unless the implementation does it on the way), else NULL. */
static void conv_backward(float *din, float *dw, float *db, float *col, float *dout,
                          const float *relu_out, const float *in, const float *w, int N,
                          int C, int K, int H, int W)
{
	enum conv_mode mode = mode_of(N, C, K, H, W);
	if (mode == CONV_WINOGRAD) {
		wino_backward(din, dw, db, col, dout, relu_out, in, w, N, C, K, H, W);
		return;
	}
	if (mode == CONV_DIRECT) {
		conv_direct_backward(din, dw, db, col, dout, relu_out, in, w, N, C, K, H, W);
		return;
	}
	if (relu_out)
		vec_relu_mask(dout, relu_out, (size_t)K * N * H * W);
	if (mode == CONV_REFERENCE)
		conv3x3_backward_blas(din, dw, db, col, dout, in, w, N, C, K, H, W);
	else if (mode == CONV_IM2COL)
		conv_im2col_backward(din, dw, db, col, dout, in, w, N, C, K, H, W);
	else
		conv_chunked_backward(din, dw, db, col, dout, in, w, N, C, K, H, W);
}

void conv3x3_forward(float *out, float *col, const float *in, const float *w,
                     const float *b, int N, int C, int K, int H, int W)
{
	conv_forward(out, col, in, w, b, N, C, K, H, W, 0);
}

void conv3x3_relu_forward(float *out, float *col, const float *in, const float *w,
                          const float *b, int N, int C, int K, int H, int W)
{
	conv_forward(out, col, in, w, b, N, C, K, H, W, 1);
}

void conv3x3_backward(float *din, float *dw, float *db, float *col, const float *dout,
                      const float *in, const float *w, int N, int C, int K, int H, int W)
{
	/* without a ReLU, dout is only read */
	conv_backward(din, dw, db, col, (float *)dout, NULL, in, w, N, C, K, H, W);
}

void conv3x3_relu_backward(float *din, float *dw, float *db, float *col, float *dout,
                           const float *out, const float *in, const float *w, int N, int C,
                           int K, int H, int W)
{
	conv_backward(din, dw, db, col, dout, out, in, w, N, C, K, H, W);
}
