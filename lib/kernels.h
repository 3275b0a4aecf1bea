/* kernels.h: the hot loops, written with GCC vector extensions (16-float
 * vectors with AVX-512, 8 with AVX, else 4; compiled once per instruction
 * set, the one in use chosen at run time: isa.h): small matrix products without
 * packing, for convolutions with few channels and many pixels, where a
 * general BLAS spends more time copying than multiplying; and the
 * element-wise loops (the compiler does not vectorize them at -O2).
 * None of these can fail. */
#ifndef SL_KERNELS_H
#define SL_KERNELS_H

#include <stddef.h>

/* C[m*ldc + i] = bias[m] (0 if NULL) + (accumulate ? C[m*ldc + i] : 0)
 *                + sum_q A[m*sam + q*saq] * B[q][i]
 * for m < M, i < L, q < Q. A is addressed through two strides so that both
 * a matrix and its transpose can be passed; B is a table of row pointers so
 * that rows may be shifted views of one image (a direct convolution). */
void gemm_rows(int M, int L, int Q, const float *A, ptrdiff_t sam, ptrdiff_t saq,
               const float *const *B, float *C, ptrdiff_t ldc, int accumulate,
               const float *bias);

/* out[m*ldo + i] = bias[m] (0 if NULL) + (accumulate ? out[m*ldo + i] : 0)
 *                 + sum_q A[m*sam + q*saq] in[q*ldi + i]
 * for m < M, i < L, q < Q: gemm_rows over a contiguous matrix in, in
 * blocks that stay in the cache; the forward products of the layers. Not
 * sgemm, whose sums depend on the shape of the call and on a pixel's place
 * in it (seen with OpenBLAS on Zen 3), which made an image's output depend
 * on its batch: here every pixel's sum is the same whatever L and i. */
void rows_product(int M, size_t L, int Q, const float *A, ptrdiff_t sam, ptrdiff_t saq,
                  const float *in, size_t ldi, float *out, size_t ldo, const float *bias,
                  int accumulate);

/* Memory to bring into the cache while a kernel computes (the next chunk
 * of a convolution): n regions of len floats at base[0] .. base[n-1],
 * spread over the kernel's blocks. */
struct prefetch {
	const float *const *base;
	int n;
	size_t len;
};

/* gemm_rows over a block of rows x W pixels that are not contiguous:
 * pixel (y, x) of row q of B is B[q][y*ldb + x], of row m of C is
 * C[m*ldc + y*ldr + x]. The sum over q comes first, then (if accumulate)
 * C's old value is added and (if relu) the ReLU applied. Reads up to
 * gemm_lanes() - 1 floats beyond each row of W in B (unused; they must be
 * readable), writes only the W. A pixel's result does not depend on where
 * it lies in the block. */
void gemm_rows2d(int M, int rows, int W, int Q, const float *A, ptrdiff_t sam, ptrdiff_t saq,
                 const float *const *B, ptrdiff_t ldb, float *C, ptrdiff_t ldc, ptrdiff_t ldr,
                 int accumulate, const float *bias, int relu, const struct prefetch *pf);

/* gemm_rows2d (no accumulate) over rows of W floats with no zero border,
 * for a 3x3 convolution: Q is a multiple of 3, and B[q] + y*ldb + x is
 * the pixel of column x + q % 3 - 1 for output (y, x); columns -1 and W
 * are read as 0 and nothing outside [0, W) of a row is read. The same sums
 * as gemm_rows2d over zero-padded rows. */
void gemm_rows2d_edges(int M, int rows, int W, int Q, const float *A, ptrdiff_t sam,
                       ptrdiff_t saq, const float *const *B, ptrdiff_t ldb, float *C,
                       ptrdiff_t ldc, ptrdiff_t ldr, const float *bias, int relu,
                       const struct prefetch *pf);

/* Floats per vector of the set in use (16 with AVX-512, 8 with AVX2, else 4). */
int gemm_lanes(void);

/* Partial sums of D[m][j] += sum_i X[m*ldx + i] * Y[j][i] (m < M,
 * j < J, i < L), ADDED into P[m][j][0..lanes), M*J*gemm_lanes() floats,
 * zero at first; gemm_dots_finish adds the lanes into D[m*ldd + j] and
 * zeroes P again. Keeping vectors across calls spares a horizontal sum per
 * block of pixels. */
void gemm_dots(int M, int J, int L, const float *X, ptrdiff_t ldx, const float *const *Y,
               float *P);
/* gemm_dots, fetching pf (may be NULL) into the cache meanwhile. */
void gemm_dots_pf(int M, int J, int L, const float *X, ptrdiff_t ldx, const float *const *Y,
                  float *P, const struct prefetch *pf);
void gemm_dots_finish(int M, int J, float *P, float *D, ptrdiff_t ldd);

/* x[i] = max(x[i], 0). */
void vec_relu(float *x, size_t n);
/* d[i] = 0 where out[i] <= 0. */
void vec_relu_mask(float *d, const float *out, size_t n);
/* d[i] = max(s[i], 0). */
void vec_relu_copy(float *d, const float *s, size_t n);
/* d[i] = out[i] > 0 ? s[i] : 0. */
void vec_mask_copy(float *d, const float *s, const float *out, size_t n);
/* d[i] += s[i]. */
void vec_add(float *d, const float *s, size_t n);
/* d[i] += c. */
void vec_add_scalar(float *d, float c, size_t n);
/* One RMSprop step as Keras has it: v = rho v + (1 - rho) g^2,
 * w -= lr g / (sqrt(v) + eps). */
void vec_rmsprop(float *w, const float *g, float *v, size_t n, float lr, float rho, float eps);
/* The sum of x[0..n), in vector partial sums and a double total. */
double vec_sum(const float *x, size_t n);
/* vec_relu_mask(d, out, n), then vec_sum(d, n), in one pass. */
double vec_relu_mask_sum(float *d, const float *out, size_t n);
/* out[k*p + i] += b[k] for k < K, i < p: a bias over K planes of p. */
void vec_add_bias(float *out, const float *b, int K, size_t p);
/* db[k] += sum_i d[k*p + i] (vec_sum of each plane): a bias gradient. */
void vec_sum_rows(float *db, const float *d, int K, size_t p);

/* The multiply-add peak of one core: `rounds` rounds of 12 independent
 * vector FMAs (of the width above) in registers. Sets *flops to the
 * floating-point operations done (2 per lane per FMA) and returns a value
 * that depends on them all (so they are not optimised away). */
double kernels_fma_peak(long rounds, double *flops);

#endif
