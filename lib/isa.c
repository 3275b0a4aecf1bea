/* isa.c: the instruction set chosen at run time (isa.h), and the entry
 * points of the kernel group: each calls the function of that name in the
 * chosen set's table (isa_ops.h). This file is built for the baseline, like
 * every file outside the group. */
#include "isa.h"

#include "isa_ops.h"
#include "util.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[ISA_COUNT] = {"generic", "avx2", "avx512"};

const char *isa_name(enum isa i)
{
	return (unsigned)i < ISA_COUNT ? names[i] : "?";
}

/* The CPU's own best set (cpuid). */
static enum isa cpu_own(void)
{
#if defined(__x86_64__) || defined(__i386__)
	/* libgcc's answers include the operating system's consent (XGETBV):
	 * no AVX or AVX-512 where the kernel does not save their registers */
	__builtin_cpu_init();
	/* x86-64-v3, what the avx2 objects are compiled for */
	int v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
	         __builtin_cpu_supports("f16c") && __builtin_cpu_supports("bmi") &&
	         __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("lzcnt") &&
	         __builtin_cpu_supports("movbe");
	/* x86-64-v4, the avx512 objects' */
	if (v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
	    __builtin_cpu_supports("avx512vl"))
		return ISA_AVX512;
	if (v3)
		return ISA_AVX2;
#endif
	return ISA_GENERIC;
}

enum isa isa_cpu(void)
{
	enum isa own = cpu_own();
	const char *standin = getenv("SELFLABEL_ISA_CPU");
	for (int i = 0; standin && i < (int)own; i++)
		if (!strcmp(standin, names[i]))
			return (enum isa)i;
	return own;
}

/* The set for SELFLABEL_ISA = cap on a CPU whose best is cpu, into *out:
 * 0, or 1 when cap is no set's name, 2 when it is above cpu (then *out =
 * cpu). */
static int choose(const char *cap, enum isa cpu, enum isa *out)
{
	*out = cpu;
	if (!cap || !*cap || !strcmp(cap, "auto"))
		return 0;
	for (int i = 0; i < ISA_COUNT; i++)
		if (!strcmp(cap, names[i])) {
			if ((enum isa)i > cpu)
				return 2;
			*out = (enum isa)i;
			return 0;
		}
	return 1;
}

/* The chosen set's table, NULL until chosen. Any thread may choose (they
 * all choose the same). */
static _Atomic(const struct isa_ops *) table;
static _Atomic int chosen;

static const struct isa_ops *table_of(enum isa i)
{
	return i == ISA_AVX512 ? &isa_table_avx512 : i == ISA_AVX2 ? &isa_table_avx2
	                                                           : &isa_table_generic;
}

static const struct isa_ops *choose_now(void)
{
	enum isa i;
	choose(getenv("SELFLABEL_ISA"), isa_cpu(), &i);
	atomic_store(&chosen, (int)i);
	atomic_store(&table, table_of(i));
	return table_of(i);
}

/* The table, chosen on first use. */
static inline const struct isa_ops *ops(void)
{
	const struct isa_ops *t = atomic_load_explicit(&table, memory_order_acquire);
	return t ? t : choose_now();
}

int isa_select(void)
{
	const char *cap = getenv("SELFLABEL_ISA");
	enum isa cpu = isa_cpu(), i;
	int rc = choose(cap, cpu, &i);
	ops();
	if (rc == 1)
		return error("SELFLABEL_ISA: want generic, avx2, avx512 or auto: '%s'", cap);
	if (rc == 2)
		return error("SELFLABEL_ISA: this CPU runs at most %s: '%s'", names[cpu], cap);
	return 0;
}

enum isa isa_active(void)
{
	ops();
	return (enum isa)atomic_load(&chosen);
}

/* ---- the entry points: kernels.h ---------------------------------------- */

void gemm_rows(int M, int L, int Q, const float *A, ptrdiff_t sam, ptrdiff_t saq,
               const float *const *B, float *C, ptrdiff_t ldc, int accumulate,
               const float *bias)
{
	ops()->op_gemm_rows(M, L, Q, A, sam, saq, B, C, ldc, accumulate, bias);
}

void rows_product(int M, size_t L, int Q, const float *A, ptrdiff_t sam, ptrdiff_t saq,
                  const float *in, size_t ldi, float *out, size_t ldo, const float *bias,
                  int accumulate)
{
	ops()->op_rows_product(M, L, Q, A, sam, saq, in, ldi, out, ldo, bias, accumulate);
}

void gemm_rows2d(int M, int rows, int W, int Q, const float *A, ptrdiff_t sam, ptrdiff_t saq,
                 const float *const *B, ptrdiff_t ldb, float *C, ptrdiff_t ldc, ptrdiff_t ldr,
                 int accumulate, const float *bias, int relu, const struct prefetch *pf)
{
	ops()->op_gemm_rows2d(M, rows, W, Q, A, sam, saq, B, ldb, C, ldc, ldr, accumulate, bias,
	                      relu, pf);
}

int gemm_lanes(void)
{
	return ops()->op_gemm_lanes();
}

void gemm_dots(int M, int J, int L, const float *X, ptrdiff_t ldx, const float *const *Y,
               float *P)
{
	ops()->op_gemm_dots(M, J, L, X, ldx, Y, P);
}

void gemm_dots_pf(int M, int J, int L, const float *X, ptrdiff_t ldx, const float *const *Y,
                  float *P, const struct prefetch *pf)
{
	ops()->op_gemm_dots_pf(M, J, L, X, ldx, Y, P, pf);
}

void gemm_dots_finish(int M, int J, float *P, float *D, ptrdiff_t ldd)
{
	ops()->op_gemm_dots_finish(M, J, P, D, ldd);
}

void vec_relu(float *x, size_t n)
{
	ops()->op_vec_relu(x, n);
}

void vec_relu_mask(float *d, const float *out, size_t n)
{
	ops()->op_vec_relu_mask(d, out, n);
}

void vec_relu_copy(float *d, const float *s, size_t n)
{
	ops()->op_vec_relu_copy(d, s, n);
}

void vec_mask_copy(float *d, const float *s, const float *out, size_t n)
{
	ops()->op_vec_mask_copy(d, s, out, n);
}

void vec_add(float *d, const float *s, size_t n)
{
	ops()->op_vec_add(d, s, n);
}

void vec_add_scalar(float *d, float c, size_t n)
{
	ops()->op_vec_add_scalar(d, c, n);
}

void vec_rmsprop(float *w, const float *g, float *v, size_t n, float lr, float rho, float eps)
{
	ops()->op_vec_rmsprop(w, g, v, n, lr, rho, eps);
}

double vec_sum(const float *x, size_t n)
{
	return ops()->op_vec_sum(x, n);
}

void vec_add_bias(float *out, const float *b, int K, size_t p)
{
	ops()->op_vec_add_bias(out, b, K, p);
}

void vec_sum_rows(float *db, const float *d, int K, size_t p)
{
	ops()->op_vec_sum_rows(db, d, K, p);
}

double kernels_fma_peak(long rounds, double *flops)
{
	return ops()->op_kernels_fma_peak(rounds, flops);
}

/* ---- winograd.h ---------------------------------------------------------- */

size_t wino_scratch(int N, int C, int K, int H, int W)
{
	return ops()->op_wino_scratch(N, C, K, H, W);
}

void wino_forward(float *out, float *scratch, const float *in, const float *w,
                  const float *b, int N, int C, int K, int H, int W, int relu)
{
	ops()->op_wino_forward(out, scratch, in, w, b, N, C, K, H, W, relu);
}

void wino_backward(float *din, float *dw, float *db, float *scratch, float *dout,
                   const float *relu_out, const float *in, const float *w, int N, int C,
                   int K, int H, int W)
{
	ops()->op_wino_backward(din, dw, db, scratch, dout, relu_out, in, w, N, C, K, H, W);
}

/* ---- conv_impl.h: CONV_DIRECT -------------------------------------------- */

size_t conv_direct_scratch(int C, int K, int H, int W)
{
	return ops()->op_conv_direct_scratch(C, K, H, W);
}

void conv_direct_forward(float *out, float *col, const float *in, const float *w,
                         const float *b, int N, int C, int K, int H, int W, int relu)
{
	ops()->op_conv_direct_forward(out, col, in, w, b, N, C, K, H, W, relu);
}

void conv_direct_backward(float *din, float *dw, float *db, float *col, const float *dout,
                          const float *relu_out, const float *in, const float *w, int N, int C,
                          int K, int H, int W)
{
	ops()->op_conv_direct_backward(din, dw, db, col, dout, relu_out, in, w, N, C, K, H, W);
}

/* ---- layers.h -------------------------------------------------------------- */

void upconv2x2_forward(float *out, float *tmp, const float *in, const float *w,
                       const float *b, int N, int C, int K, int h, int wd)
{
	ops()->op_upconv2x2_forward(out, tmp, in, w, b, N, C, K, h, wd);
}

void upconv2x2_backward(float *din, float *dw, float *db, float *tmp, const float *dout,
                        const float *in, const float *w, int N, int C, int K, int h, int wd)
{
	ops()->op_upconv2x2_backward(din, dw, db, tmp, dout, in, w, N, C, K, h, wd);
}

void conv1x1_forward(float *out, const float *in, const float *w, const float *b, int P,
                     int C, int K)
{
	ops()->op_conv1x1_forward(out, in, w, b, P, C, K);
}

void conv1x1_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                      const float *w, int P, int C, int K)
{
	ops()->op_conv1x1_backward(din, dw, db, dout, in, w, P, C, K);
}

void maxpool2_forward(float *out, const float *in, size_t planes, int H, int W)
{
	ops()->op_maxpool2_forward(out, in, planes, H, W);
}

void maxpool2_backward(float *din, const float *dout, const float *in, size_t planes, int H,
                       int W)
{
	ops()->op_maxpool2_backward(din, dout, in, planes, H, W);
}

void relu_forward(float *x, size_t n)
{
	ops()->op_relu_forward(x, n);
}

void relu_backward(float *d, const float *out, size_t n)
{
	ops()->op_relu_backward(d, out, n);
}
