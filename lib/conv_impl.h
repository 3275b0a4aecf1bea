/* conv_impl.h: the implementations behind conv.h's modes, private to the
 * conv*.c files: conv.c picks one per call. Shapes, layouts and contracts
 * as in conv.h; relu: the forward applies max(., 0) to its output. Each
 * needs the scratch its _scratch function gives (col). */
#ifndef SL_CONV_IMPL_H
#define SL_CONV_IMPL_H

#include <stddef.h>

/* CONV_DIRECT (conv_direct.c). The backward takes the ReLU's output
 * (relu_out, NULL if none) and masks its copies of dout with it; dout is
 * only read. */
size_t conv_direct_scratch(int C, int K, int H, int W);
void conv_direct_forward(float *out, float *col, const float *in, const float *w,
                         const float *b, int N, int C, int K, int H, int W, int relu);
void conv_direct_backward(float *din, float *dw, float *db, float *col, const float *dout,
                          const float *relu_out, const float *in, const float *w, int N, int C,
                          int K, int H, int W);

/* CONV_CHUNKED and CONV_IM2COL (conv_im2col.c): one forward, two
 * backwards, all on a dout already masked by the ReLU. */
size_t conv_im2col_scratch(int N, int C, int K, int H, int W);
void conv_im2col_forward(float *out, float *col, const float *in, const float *w,
                         const float *b, int N, int C, int K, int H, int W, int relu);
void conv_im2col_backward(float *din, float *dw, float *db, float *col, const float *dout,
                          const float *in, const float *w, int N, int C, int K, int H, int W);
void conv_chunked_backward(float *din, float *dw, float *db, float *col, const float *dout,
                           const float *in, const float *w, int N, int C, int K, int H, int W);

#endif
