/* The instruction set chosen at run time (isa.h): SELFLABEL_ISA forces
 * the set (tests/run runs every unit test once per set the CPU runs, so
 * this checks that the forcing is real), the entry points reach the chosen
 * set's table, and every set the CPU runs computes the same products as the
 * generic one within rounding (each set's table wired to its own kernels:
 * their vector width). */
#include "check.h"
#include "isa.h"
#include "isa_ops.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const struct isa_ops *table(enum isa i)
{
	return i == ISA_AVX512 ? &isa_table_avx512 : i == ISA_AVX2 ? &isa_table_avx2
	                                                           : &isa_table_generic;
}

static float *randoms(size_t n, unsigned seed)
{
	float *x = malloc(n * sizeof *x);
	struct rng r;
	rng_seed(&r, seed);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)rng_normal(&r);
	return x;
}

/* The largest |a - b| over the largest |b|. */
static double rel_diff(const float *a, const float *b, size_t n)
{
	double d = 0, m = 0;
	for (size_t i = 0; i < n; i++)
		d = fmax(d, fabs((double)a[i] - b[i])), m = fmax(m, fabs(b[i]));
	return m > 0 ? d / m : d;
}

/* Set t's 3x3 convolutions (Winograd and direct, forward and backward)
 * and RMSprop step against the generic set's. */
static void same_sums(enum isa s)
{
	const struct isa_ops *t = table(s), *g = table(ISA_GENERIC);
	enum { N = 2, C = 16, K = 32, H = 12, W = 13 };
	size_t in_n = (size_t)C * N * H * W, out_n = (size_t)K * N * H * W, w_n = (size_t)K * C * 9;
	float *in = randoms(in_n, 1), *w = randoms(w_n, 2), *b = randoms(K, 3);
	float *dout = randoms(out_n, 4);
	size_t sc = t->op_wino_scratch(N, C, K, H, W), sg = g->op_wino_scratch(N, C, K, H, W);
	size_t sd = t->op_conv_direct_scratch(C, K, H, W), sgd = g->op_conv_direct_scratch(C, K, H, W);
	size_t smax = sc > sg ? sc : sg;
	smax = smax > sd ? smax : sd, smax = smax > sgd ? smax : sgd;
	float *scratch = malloc(smax * sizeof *scratch);
	float *o1 = malloc(out_n * sizeof *o1), *o2 = malloc(out_n * sizeof *o2);
	float *din1 = calloc(in_n, sizeof *din1), *din2 = calloc(in_n, sizeof *din2);
	float *dw1 = calloc(w_n, sizeof *dw1), *dw2 = calloc(w_n, sizeof *dw2);
	float db1[K] = {0}, db2[K] = {0};

	t->op_wino_forward(o1, scratch, in, w, b, N, C, K, H, W, 1);
	g->op_wino_forward(o2, scratch, in, w, b, N, C, K, H, W, 1);
	double e_wf = rel_diff(o1, o2, out_n);
	t->op_wino_backward(din1, dw1, db1, scratch, dout, NULL, in, w, N, C, K, H, W);
	g->op_wino_backward(din2, dw2, db2, scratch, dout, NULL, in, w, N, C, K, H, W);
	double e_wb = fmax(rel_diff(din1, din2, in_n), rel_diff(dw1, dw2, w_n));
	t->op_conv_direct_forward(o1, scratch, in, w, b, N, C, K, H, W, 0);
	g->op_conv_direct_forward(o2, scratch, in, w, b, N, C, K, H, W, 0);
	double e_df = rel_diff(o1, o2, out_n);
	memset(din1, 0, in_n * sizeof *din1), memset(din2, 0, in_n * sizeof *din2);
	memset(dw1, 0, w_n * sizeof *dw1), memset(dw2, 0, w_n * sizeof *dw2);
	t->op_conv_direct_backward(din1, dw1, db1, scratch, dout, NULL, in, w, N, C, K, H, W);
	g->op_conv_direct_backward(din2, dw2, db2, scratch, dout, NULL, in, w, N, C, K, H, W);
	double e_db = fmax(rel_diff(din1, din2, in_n), rel_diff(dw1, dw2, w_n));
	/* RMSprop over an odd length (the vector loop and its scalar tail) */
	float *v1 = calloc(w_n, sizeof *v1), *v2 = calloc(w_n, sizeof *v2);
	memcpy(dw1, w, w_n * sizeof *w), memcpy(dw2, w, w_n * sizeof *w);
	t->op_vec_rmsprop(dw1, dout, v1, w_n - 3, 1e-3f, 0.9f, 1e-7f);
	g->op_vec_rmsprop(dw2, dout, v2, w_n - 3, 1e-3f, 0.9f, 1e-7f);
	double e_rms = rel_diff(dw1, dw2, w_n);
	printf("%s against generic: winograd %.1e / %.1e, direct %.1e / %.1e, rmsprop %.1e\n",
	       isa_name(s), e_wf, e_wb, e_df, e_db, e_rms);
	CHECK(e_wf < 1e-5 && e_wb < 1e-5 && e_df < 1e-5 && e_db < 1e-5 && e_rms < 1e-6);
	free(in), free(w), free(b), free(dout), free(scratch), free(o1), free(o2);
	free(din1), free(din2), free(dw1), free(dw2), free(v1), free(v2);
}

int main(void)
{
	progname = "test_isa";
	static const int lanes[ISA_COUNT] = {4, 8, 16};
	CHECK(!strcmp(isa_name(ISA_GENERIC), "generic") && !strcmp(isa_name(ISA_AVX2), "avx2") &&
	      !strcmp(isa_name(ISA_AVX512), "avx512") && !strcmp(isa_name(ISA_COUNT), "?"));

	/* the set in use: the CPU's best, or the one SELFLABEL_ISA names */
	const char *forced = getenv("SELFLABEL_ISA");
	enum isa cpu = isa_cpu(), now = isa_active();
	printf("CPU's set %s, running %s (SELFLABEL_ISA=%s)\n", isa_name(cpu), isa_name(now),
	       forced ? forced : "");
	CHECK(now <= cpu);
	CHECK(isa_select() == 0 || !forced);
	if (forced && *forced && strcmp(forced, "auto"))
		CHECK(!strcmp(isa_name(now), forced));
	else
		CHECK(now == cpu);
	/* the entry points call the chosen set */
	CHECK(gemm_lanes() == lanes[now]);

	/* every set the CPU runs: a full table of its own width, the sums of
	 * the generic set within rounding */
	for (int s = 0; s <= (int)cpu; s++) {
		const struct isa_ops *t = table((enum isa)s);
#define NOT_NULL(name) CHECK(t->op_##name != NULL);
		ISA_OPS(NOT_NULL)
#undef NOT_NULL
		CHECK(t->op_gemm_lanes() == lanes[s]);
		same_sums((enum isa)s);
	}
	return CHECK_DONE();
}
