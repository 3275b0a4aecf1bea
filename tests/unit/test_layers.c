/* Layers: every implementation of the 3x3 convolution (conv.h's modes and
 * the reference) against the naive one (forward and backward, with and
 * without ReLU), the batch independence of the forwards, finite-difference
 * gradient checks of every layer type, and the losses against
 * hand-computed values. */
#include "check.h"
#include "gradcheck.h"
#include "kernels.h"
#include "conv.h"
#include "conv_ref.h"
#include "layers.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static struct rng R;

static float *rnd(size_t n, double scale)
{
	float *p = malloc(n * sizeof *p);
	for (size_t i = 0; i < n; i++)
		p[i] = (float)((2 * rng_uniform(&R) - 1) * scale);
	return p;
}

static float *zeros(size_t n) { return calloc(n, sizeof(float)); }

/* Scratch enough for every conv3x3_mode. */
static size_t scratch_all(int N, int C, int K, int H, int W)
{
	size_t m = 0;
	for (enum conv_mode v = CONV_DIRECT; v < CONV_MODES; v++) {
		conv3x3_mode = v;
		size_t x = conv3x3_scratch(N, C, K, H, W);
		m = x > m ? x : m;
	}
	conv3x3_mode = CONV_AUTO;
	return m;
}

static double maxdiff(const float *a, const float *b, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs(a[i] - b[i]) > m)
			m = fabs(a[i] - b[i]);
	return m;
}

/* A layer under test: forward from the current inputs and parameters into
 * out, loss = sum r * out in double. */
enum kind { CONV3, UPCONV, CONV1, POOL, RELU };
struct layer {
	enum kind k;
	int N, C, K, H, W;
	float *in, *w, *b, *out, *r, *scratch;
	size_t nout;
};

static void run(struct layer *L)
{
	switch (L->k) {
	case CONV3:
		conv3x3_forward(L->out, L->scratch, L->in, L->w, L->b, L->N, L->C, L->K, L->H, L->W);
		break;
	case UPCONV:
		upconv2x2_forward(L->out, L->scratch, L->in, L->w, L->b, L->N, L->C, L->K, L->H, L->W);
		break;
	case CONV1:
		conv1x1_forward(L->out, L->in, L->w, L->b, L->N * L->H * L->W, L->C, L->K);
		break;
	case POOL:
		maxpool2_forward(L->out, L->in, (size_t)L->C * L->N, L->H, L->W);
		break;
	case RELU:
		memcpy(L->out, L->in, L->nout * sizeof(float));
		relu_forward(L->out, L->nout);
		break;
	}
}

static double layer_loss(void *ctx, int *ok)
{
	struct layer *L = ctx;
	double s = 0;
	run(L);
	for (size_t i = 0; i < L->nout; i++)
		s += (double)L->r[i] * L->out[i];
	*ok = 1;
	return s;
}

/* Finite-difference check of one layer; returns the worst error. */
static double check_layer(const char *name, enum kind k, int N, int C, int K, int H, int W)
{
	struct layer L = {.k = k, .N = N, .C = C, .K = K, .H = H, .W = W};
	size_t nin = (size_t)C * N * H * W, nw = 0, nb = 0;
	char label[64];
	double worst = 0;
	switch (k) {
	case CONV3: L.nout = (size_t)K * N * H * W, nw = (size_t)K * C * 9, nb = K; break;
	case UPCONV: L.nout = (size_t)K * N * 4 * H * W, nw = (size_t)C * K * 4, nb = K; break;
	case CONV1: L.nout = (size_t)K * N * H * W, nw = (size_t)K * C, nb = K; break;
	case POOL: L.nout = nin / 4; break;
	case RELU: L.nout = nin; break;
	}
	L.in = rnd(nin, 1);
	if (k == POOL) /* distinct values, far apart compared with h */
		for (size_t i = 0; i < nin; i++)
			L.in[i] = (float)(((i * 7919) % nin) * 0.1 - nin * 0.05);
	if (k == RELU)
		for (size_t i = 0; i < nin; i++)
			L.in[i] += L.in[i] > 0 ? 0.1f : -0.1f;
	L.w = rnd(nw ? nw : 1, 0.5), L.b = rnd(nb ? nb : 1, 0.5);
	L.out = zeros(L.nout), L.r = rnd(L.nout, 1);
	L.scratch = zeros(scratch_all(N, C, K, H, W) + (size_t)K * N * 4 * H * W);
	/* the convolutions WRITE din: start it dirty (max-pooling adds) */
	float *din = k == POOL ? zeros(nin) : rnd(nin, 100), *dw = zeros(nw + 1), *db = zeros(nb + 1);
	float *dout = malloc(L.nout * sizeof *dout);
	memcpy(dout, L.r, L.nout * sizeof *dout);
	run(&L);
	switch (k) {
	case CONV3:
		conv3x3_backward(din, dw, db, L.scratch, dout, L.in, L.w, N, C, K, H, W);
		break;
	case UPCONV:
		upconv2x2_backward(din, dw, db, L.scratch, dout, L.in, L.w, N, C, K, H, W);
		break;
	case CONV1:
		conv1x1_backward(din, dw, db, dout, L.in, L.w, N * H * W, C, K);
		break;
	case POOL:
		maxpool2_backward(din, dout, L.in, (size_t)C * N, H, W);
		break;
	case RELU:
		relu_backward(dout, L.out, L.nout);
		memcpy(din, dout, nin * sizeof *din);
		break;
	}
	snprintf(label, sizeof label, "%s.in", name);
	worst = fmax(worst, gc_tensor(label, L.in, din, nin, 200, 5e-2f, layer_loss, &L));
	if (nw) {
		snprintf(label, sizeof label, "%s.w", name);
		worst = fmax(worst, gc_tensor(label, L.w, dw, nw, 200, 5e-2f, layer_loss, &L));
		snprintf(label, sizeof label, "%s.b", name);
		worst = fmax(worst, gc_tensor(label, L.b, db, nb, 200, 5e-2f, layer_loss, &L));
	}
	free(L.in), free(L.w), free(L.b), free(L.out), free(L.r), free(L.scratch);
	free(din), free(dw), free(db), free(dout);
	return worst;
}

/* gemm_dots against double sums, over every remainder of J by the block
 * widths (J up to 14) and pixel counts with and without a tail of a vector,
 * the partial sums kept over two calls as the direct convolution does. */
static void dots_vs_sums(void)
{
	static const int Ms[] = {1, 3, 5, 9}, Ls[] = {1, 15, 16, 17, 53};
	double worst = 0;
	struct rng saved = R; /* the other tests' data stays as it was */
	for (int mi = 0; mi < 4; mi++)
		for (int J = 1; J <= 14; J++)
			for (int li = 0; li < 5; li++) {
				int M = Ms[mi], L = Ls[li];
				float *X = rnd((size_t)2 * M * L, 1), *Yb = rnd((size_t)2 * J * L, 1);
				float *P = zeros((size_t)M * J * gemm_lanes()), *D = rnd((size_t)M * J, 1);
				float *D0 = malloc((size_t)M * J * sizeof *D0);
				const float **Y = malloc((size_t)J * sizeof *Y);
				memcpy(D0, D, (size_t)M * J * sizeof *D0);
				for (int h = 0; h < 2; h++) {
					for (int j = 0; j < J; j++)
						Y[j] = Yb + ((size_t)h * J + j) * L;
					gemm_dots(M, J, L, X + (size_t)h * M * L, L, Y, P);
				}
				gemm_dots_finish(M, J, P, D, J);
				for (int m = 0; m < M; m++)
					for (int j = 0; j < J; j++) {
						double s = D0[m * J + j];
						for (int h = 0; h < 2; h++)
							for (int i = 0; i < L; i++)
								s += (double)X[((size_t)h * M + m) * L + i] *
								     Yb[((size_t)h * J + j) * L + i];
						worst = fmax(worst, fabs(s - D[m * J + j]));
					}
				for (size_t i = 0; i < (size_t)M * J * gemm_lanes(); i++)
					worst = fmax(worst, fabs(P[i])); /* zeroed again */
				free(X), free(Yb), free(P), free(D), free(D0), free(Y);
			}
	R = saved;
	printf("gemm_dots vs double sums (M 1..9, J 1..14, L 1..53): worst |diff| %.1e\n", worst);
	CHECK(worst < 1e-4);
}

/* Every mode, the reference by its own functions, against the direct
 * loops, forward and backward. */
static void conv_vs_naive(int N, int C, int K, int H, int W)
{
	size_t nin = (size_t)C * N * H * W, nout = (size_t)K * N * H * W, nw = (size_t)K * C * 9;
	float *in = rnd(nin, 1), *w = rnd(nw, 0.5), *b = rnd(K, 0.5), *dout = rnd(nout, 1);
	float *ref = zeros(nout), *o = zeros(nout);
	float *col = zeros(scratch_all(N, C, K, H, W));
	float *di0 = rnd(nin, 1), *dw0 = rnd(nw, 1), *db0 = rnd(K, 1);
	float *dir = malloc(nin * sizeof(float)), *dwr = malloc(nw * sizeof(float)), *dbr = malloc(K * sizeof(float));
	float *di = malloc(nin * sizeof(float)), *dw = malloc(nw * sizeof(float)), *db = malloc(K * sizeof(float));
	/* start from the same non-zero dw and db: backward must add into them;
	 * din starts dirty and must be written (the reference's starts at 0) */
	memset(dir, 0, nin * sizeof(float)), memcpy(dwr, dw0, nw * sizeof(float)), memcpy(dbr, db0, K * sizeof(float));
	conv3x3_forward_naive(ref, in, w, b, N, C, K, H, W);
	conv3x3_backward_naive(dir, dwr, dbr, dout, in, w, N, C, K, H, W);
	for (enum conv_mode v = CONV_DIRECT; v < CONV_MODES; v++) {
		memcpy(di, di0, nin * sizeof(float)), memcpy(dw, dw0, nw * sizeof(float)), memcpy(db, db0, K * sizeof(float));
		conv3x3_mode = v;
		if (v != CONV_REFERENCE) {
			conv3x3_forward(o, col, in, w, b, N, C, K, H, W);
			conv3x3_backward(di, dw, db, col, dout, in, w, N, C, K, H, W);
		} else {
			conv3x3_forward_blas(o, col, in, w, b, N, C, K, H, W);
			conv3x3_backward_blas(di, dw, db, col, dout, in, w, N, C, K, H, W);
		}
		conv3x3_mode = CONV_AUTO;
		double e[4] = {maxdiff(o, ref, nout), maxdiff(di, dir, nin), maxdiff(dw, dwr, nw),
		               maxdiff(db, dbr, K)};
		printf("conv3x3 %-12s vs naive N=%d C=%d K=%d %dx%d: max |diff| out %.1e din %.1e dw %.1e db %.1e\n",
		       conv_mode_name(v), N, C, K, W, H, e[0], e[1], e[2], e[3]);
		CHECK(e[0] < 1e-5 * C && e[1] < 1e-5 * K);
		CHECK(e[2] < 1e-6 * N * H * W && e[3] < 1e-6 * N * H * W);
	}
	/* the fused conv + ReLU against naive conv, ReLU, masked gradient */
	float *rout = malloc(nout * sizeof(float)), *dm = malloc(nout * sizeof(float));
	float *dcopy = malloc(nout * sizeof(float));
	for (size_t i = 0; i < nout; i++) {
		rout[i] = ref[i] > 0 ? ref[i] : 0;
		dm[i] = ref[i] > 0 ? dout[i] : 0;
	}
	memset(dir, 0, nin * sizeof(float)), memcpy(dwr, dw0, nw * sizeof(float)), memcpy(dbr, db0, K * sizeof(float));
	conv3x3_backward_naive(dir, dwr, dbr, dm, in, w, N, C, K, H, W);
	for (enum conv_mode v = CONV_DIRECT; v < CONV_MODES; v++) {
		memcpy(di, di0, nin * sizeof(float)), memcpy(dw, dw0, nw * sizeof(float)), memcpy(db, db0, K * sizeof(float));
		memcpy(dcopy, dout, nout * sizeof(float));
		conv3x3_mode = v;
		conv3x3_relu_forward(o, col, in, w, b, N, C, K, H, W);
		conv3x3_relu_backward(di, dw, db, col, dcopy, rout, in, w, N, C, K, H, W);
		conv3x3_mode = CONV_AUTO;
		double e[4] = {maxdiff(o, rout, nout), maxdiff(di, dir, nin), maxdiff(dw, dwr, nw),
		               maxdiff(db, dbr, K)};
		printf("conv3x3+relu %-9s vs naive N=%d C=%d K=%d %dx%d: max |diff| out %.1e din %.1e dw %.1e db %.1e\n",
		       conv_mode_name(v), N, C, K, W, H, e[0], e[1], e[2], e[3]);
		CHECK(e[0] < 1e-5 * C && e[1] < 1e-5 * K);
		CHECK(e[2] < 1e-6 * N * H * W && e[3] < 1e-6 * N * H * W);
	}
	free(rout), free(dm), free(dcopy);
	free(in), free(w), free(b), free(dout), free(ref), free(o), free(col);
	free(di0), free(dw0), free(db0), free(dir), free(dwr), free(dbr), free(di), free(dw), free(db);
}

/* Max-pooling against the scalar definition, on integer values (many ties:
 * the first maximum in scan order takes the gradient), rows of several
 * vectors and a tail. */
static void pool_known(int planes, int H, int W)
{
	size_t n = (size_t)planes * H * W, m = n / 4;
	float *in = malloc(n * sizeof(float)), *out = malloc(m * sizeof(float));
	float *g = rnd(m, 1), *din = rnd(n, 1), *ref = malloc(n * sizeof(float));
	for (size_t i = 0; i < n; i++)
		in[i] = (float)(int)(rng_uniform(&R) * 4) - 1;
	memcpy(ref, din, n * sizeof(float));
	maxpool2_forward(out, in, planes, H, W);
	maxpool2_backward(din, g, in, planes, H, W);
	int bad = 0;
	for (int q = 0; q < planes; q++)
		for (int y = 0; y < H / 2; y++)
			for (int x = 0; x < W / 2; x++) {
				size_t o = ((size_t)q * (H / 2) + y) * (W / 2) + x;
				size_t i0 = ((size_t)q * H + 2 * y) * W + 2 * x, best = i0;
				size_t c[4] = {i0, i0 + 1, i0 + W, i0 + W + 1};
				for (int k = 1; k < 4; k++)
					if (in[c[k]] > in[best])
						best = c[k];
				bad += out[o] != in[best];
				ref[best] += g[o];
			}
	for (size_t i = 0; i < n; i++)
		bad += din[i] != ref[i];
	printf("maxpool2 %d planes %dx%d against the scalar definition: %d wrong\n", planes, W, H, bad);
	CHECK(bad == 0);
	free(in), free(out), free(g), free(din), free(ref);
}

/* Up-convolution against its definition, written out. */
static void upconv_known(void)
{
	int N = 2, C = 3, K = 2, h = 2, w = 3;
	float *in = rnd((size_t)C * N * h * w, 1), *wt = rnd((size_t)C * K * 4, 1), *b = rnd(K, 1);
	float *out = zeros((size_t)K * N * 4 * h * w), *tmp = zeros((size_t)K * N * 4 * h * w);
	double e = 0;
	upconv2x2_forward(out, tmp, in, wt, b, N, C, K, h, w);
	for (int k = 0; k < K; k++)
		for (int n = 0; n < N; n++)
			for (int y = 0; y < 2 * h; y++)
				for (int x = 0; x < 2 * w; x++) {
					double s = b[k];
					for (int c = 0; c < C; c++)
						s += wt[((c * K + k) * 2 + y % 2) * 2 + x % 2] *
						     in[((c * N + n) * h + y / 2) * w + x / 2];
					e = fmax(e, fabs(s - out[((k * N + n) * 2 * h + y) * 2 * w + x]));
				}
	printf("upconv2x2 vs definition: max |diff| %.1e\n", e);
	CHECK(e < 1e-5);
	free(in), free(wt), free(b), free(out), free(tmp);
}

struct lossctx {
	float *z;
	uint8_t *m;
	float *sw;
	int N;
	size_t P;
	int dice;
};

static double loss_of(void *ctx, int *ok)
{
	struct lossctx *c = ctx;
	*ok = 1;
	return c->dice ? dice_forward(c->z, c->m, c->sw, c->N, c->P)
	               : bce_forward(c->z, c->m, c->sw, c->N, c->P, NULL);
}

static void losses(void)
{
	/* hand-computed: two slices of 3 pixels, weights 1 and 0.5
	 * slice 0: z = 0 (y 1): log 2; z = 2 (y 0): 2 + log(1+e^-2); z = -1 (255): ignored
	 * slice 1: z = -3 (y 0): log(1+e^-3); z = 1 (y 1): log(1+e^-1); z = 0 (255)
	 * loss = (log2 + 2 + log(1+e^-2) + 0.5 (log(1+e^-3) + log(1+e^-1))) / 4 */
	float z[6] = {0, 2, -1, -3, 1, 0}, sw[2] = {1, 0.5f};
	uint8_t m[6] = {1, 0, 255, 0, 1, 255};
	size_t nlab;
	double want = (log(2) + 2 + log(1 + exp(-2)) + 0.5 * (log(1 + exp(-3)) + log(1 + exp(-1)))) / 4;
	double got = bce_forward(z, m, sw, 2, 3, &nlab);
	printf("bce: %.9f, hand-computed %.9f, %zu labelled pixels\n", got, want, nlab);
	CHECK_NEAR(got, want, 1e-7);
	CHECK(nlab == 4);
	float g[6] = {0};
	bce_backward(g, z, m, sw, 2, 3, 1.0);
	/* d/dz = w (sigmoid(z) - y) / 4 */
	CHECK_NEAR(g[0], (0.5 - 1) / 4, 1e-7);
	CHECK_NEAR(g[1], 1 / (1 + exp(-2)) / 4, 1e-7);
	CHECK(g[2] == 0 && g[5] == 0);
	CHECK_NEAR(g[3], 0.5 * (1 / (1 + exp(3))) / 4, 1e-7);
	CHECK_NEAR(g[4], 0.5 * (1 / (1 + exp(-1)) - 1) / 4, 1e-7);
	/* stable for huge logits */
	float zbig[2] = {100, -100};
	uint8_t mbig[2] = {0, 1};
	CHECK_NEAR(bce_forward(zbig, mbig, NULL, 1, 2, NULL), 100, 1e-9);
	uint8_t none[2] = {255, 255};
	CHECK(bce_forward(zbig, none, NULL, 1, 2, &nlab) == 0 && nlab == 0);

	/* Dice: p = sigmoid(z): si = 1*0.5 + 0.5*s(1), ss = 1*(0.5+1 + s(2)) + 0.5*(s(-3) + s(1)+1) */
	double s1 = 1 / (1 + exp(-1.0)), s2 = 1 / (1 + exp(-2.0)), s3 = 1 / (1 + exp(3.0));
	double si = 0.5 + 0.5 * s1, ss = 0.5 + 1 + s2 + 0.5 * (s3 + s1 + 1);
	CHECK_NEAR(dice_forward(z, m, sw, 2, 3), 1 - (2 * si + 1) / (ss + 1), 1e-7);

	/* finite differences of both losses */
	int N = 3;
	size_t P = 40;
	float *zz = rnd(N * P, 3), *gg = zeros(N * P), swr[3] = {1, 0.3f, 2};
	uint8_t *mm = malloc(N * P);
	for (size_t i = 0; i < N * P; i++)
		mm[i] = rng_below(&R, 3) == 0 ? 255 : (uint8_t)rng_below(&R, 2);
	struct lossctx c = {zz, mm, swr, N, P, 0};
	bce_backward(gg, zz, mm, swr, N, P, 1.0);
	CHECK(gc_tensor("bce.logit", zz, gg, N * P, 200, 1e-2f, loss_of, &c) < 1e-3);
	memset(gg, 0, N * P * sizeof *gg);
	c.dice = 1;
	dice_backward(gg, zz, mm, swr, N, P, 1.0);
	CHECK(gc_tensor("dice.logit", zz, gg, N * P, 200, 1e-2f, loss_of, &c) < 1e-3);
	/* the one-pass loss and gradient: the same gradient bits, the same loss
	 * to rounding, 0 written at ignored pixels (dlogit starts dirty) */
	for (int k = 0; k < 2; k++) {
		double pw = k ? 2.5 : 1.0;
		float *g1 = zeros(N * P), *g2 = malloc(N * P * sizeof *g2);
		for (size_t i = 0; i < N * P; i++)
			g2[i] = 7;
		wbce_backward(g1, zz, mm, swr, N, P, pw, 0.5);
		double l1 = wbce_forward(zz, mm, swr, N, P, pw, NULL);
		double l2 = wbce_loss_grad(g2, zz, mm, swr, N, P, pw, 0.5);
		printf("wbce_loss_grad (pw %.1f): loss %.9f vs %.9f\n", pw, l2, l1);
		CHECK_NEAR(l2, l1, 1e-6 * l1);
		CHECK(memcmp(g1, g2, N * P * sizeof *g1) == 0);
		free(g1), free(g2);
	}
	{	/* slices longer than its runs of 512 pixels (1300 = 2 x 512 + 276),
		 * on data of its own (the other tests' data stays as it was) */
		struct rng saved = R;
		size_t Pl = 1300;
		float *zl = rnd(2 * Pl, 3), *gl = zeros(2 * Pl);
		uint8_t *ml = malloc(2 * Pl);
		for (size_t i = 0; i < 2 * Pl; i++)
			ml[i] = rng_below(&R, 3) == 0 ? 255 : (uint8_t)rng_below(&R, 2);
		double l1 = wbce_forward(zl, ml, swr, 2, Pl, 2.5, NULL);
		double l2 = wbce_loss_grad(gl, zl, ml, swr, 2, Pl, 2.5, 1.0);
		printf("wbce_loss_grad (2 x 1300 pixels): loss %.9f vs %.9f\n", l2, l1);
		CHECK_NEAR(l2, l1, 1e-6 * l1);
		free(zl), free(gl), free(ml);
		R = saved;
	}
	float ez[2] = {100, -100}, eg[2];
	CHECK_NEAR(wbce_loss_grad(eg, ez, mbig, NULL, 1, 2, 1.0, 1.0), 100, 1e-9);
	CHECK(wbce_loss_grad(eg, ez, none, NULL, 1, 2, 1.0, 1.0) == 0 && eg[0] == 0 && eg[1] == 0);
	free(zz), free(gg), free(mm);
}

/* An image's output does not depend on the batch it comes in (its size or
 * the image's place in it), bit for bit: every conv3x3_mode, the
 * up-convolution and the 1x1 convolution. OpenBLAS's sums are not like
 * that on every CPU, which made unet-predict's output depend on -b. */
static void batch_independent(int N, int C, int K, int H, int W)
{
	size_t hw = (size_t)H * W, p = N * hw;
	float *in = rnd(C * p, 1), *w = rnd((size_t)9 * C * K, 0.3), *b = rnd(K, 0.1);
	float *one = malloc(C * hw * sizeof *one), *out = malloc(4 * K * p * sizeof *out);
	float *o1 = malloc(4 * K * hw * sizeof *o1);
	float *col = malloc((scratch_all(N, C, K, H, W) + 4 * K * p) * sizeof *col);
	/* what: the modes but the reference, then the up- and 1x1 convolution */
	for (int what = CONV_DIRECT; what <= 6; what++) {
		int bad = 0;
		size_t ko = what == 5 ? 4 * (size_t)K : what == 6 ? 1 : (size_t)K; /* output planes per pixel */
		conv3x3_mode = what < CONV_REFERENCE ? (enum conv_mode)what : CONV_AUTO;
		if (what <= 4)
			conv3x3_relu_forward(out, col, in, w, b, N, C, K, H, W);
		else if (what == 5)
			upconv2x2_forward(out, col, in, w, b, N, C, K, H, W);
		else
			conv1x1_forward(out, in, w, b, (int)p, C, 1);
		for (int n = 0; n < N; n++) {
			for (int c = 0; c < C; c++)
				memcpy(one + c * hw, in + c * p + n * hw, hw * sizeof *one);
			if (what <= 4)
				conv3x3_relu_forward(o1, col, one, w, b, 1, C, K, H, W);
			else if (what == 5)
				upconv2x2_forward(o1, col, one, w, b, 1, C, K, H, W);
			else
				conv1x1_forward(o1, one, w, b, (int)hw, C, 1);
			size_t plane = what == 5 ? 4 * hw : hw; /* an image's floats per plane */
			size_t nk = what == 5 ? (size_t)K : ko;
			for (size_t k = 0; k < nk; k++)
				bad += memcmp(o1 + k * plane, out + (k * N + n) * plane,
				              plane * sizeof *o1) != 0;
		}
		if (bad)
			fprintf(stderr, "batch_independent(%d, %d, %d, %d, %d) %s: %d planes differ\n",
			        N, C, K, H, W,
			        what < CONV_REFERENCE ? conv_mode_name((enum conv_mode)what)
			        : what == 5 ? "upconv2x2" : "conv1x1", bad);
		CHECK(bad == 0);
	}
	conv3x3_mode = CONV_AUTO;
	free(in), free(w), free(b), free(one), free(out), free(o1), free(col);
}

/* The modes' names: each parses back to its mode, as does its number;
 * anything else is refused and leaves the mode alone. */
static void mode_names(void)
{
	static const char *const names[CONV_MODES] = {"auto", "direct", "chunked", "im2col",
	                                              "winograd", "reference"};
	for (enum conv_mode m = CONV_AUTO; m < CONV_MODES; m++) {
		enum conv_mode p = CONV_MODES, q = CONV_MODES;
		char num[2] = {(char)('0' + m), 0};
		CHECK(!strcmp(conv_mode_name(m), names[m]));
		CHECK(conv_mode_parse(names[m], &p) == 0 && p == m);
		CHECK(conv_mode_parse(num, &q) == 0 && q == m);
	}
	const char *bad[] = {"", "6", "-1", "01", "1x", "Winograd", "fast", "winograd "};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		enum conv_mode p = CONV_DIRECT;
		CHECK(conv_mode_parse(bad[i], &p) == -1 && p == CONV_DIRECT);
	}
	CHECK(!strcmp(conv_mode_name(CONV_MODES), "?"));
}

int main(void)
{
	progname = "test_layers";
	rng_seed(&R, 42);

	mode_names();
	dots_vs_sums();

	conv_vs_naive(2, 3, 4, 5, 6);
	conv_vs_naive(3, 1, 8, 8, 8);
	conv_vs_naive(1, 16, 8, 4, 3);
	conv_vs_naive(2, 5, 2, 1, 1);
	conv_vs_naive(4, 24, 19, 7, 53);   /* several chunks, ragged kernel blocks */
	conv_vs_naive(2, 130, 3, 2, 2);    /* one row per chunk */
	conv_vs_naive(2, 600, 3, 3, 2);    /* one row per chunk, rows of one element */
	conv_vs_naive(3, 300, 4, 3, 17);   /* one row per chunk, several rows per image */
	conv_vs_naive(2, 7, 5, 9, 19);     /* mode 1: rows of 2 vectors and a 3-lane tail, K, C odd */
	conv_vs_naive(3, 2, 6, 13, 11);    /* mode 1: 2 vectors a row, blocks across rows */
	conv_vs_naive(2, 3, 5, 1, 70);     /* mode 1 straight from the rows: one row, first = last */
	conv_vs_naive(2, 2, 3, 2, 65);     /* ... two rows, a last vector of one lane */
	conv_vs_naive(3, 4, 9, 9, 66);     /* ... a last vector of two lanes, rows between */
	conv_vs_naive(2, 33, 34, 5, 40);   /* Winograd by default: several tile vectors per row */
	conv_vs_naive(3, 40, 32, 7, 23);   /* Winograd: odd sizes, several blocks */
	conv_vs_naive(4, 300, 40, 6, 6);   /* Winograd on narrow rows (gathers) */
	conv_vs_naive(12, 48, 32, 8, 6);   /* Winograd on narrow rows: several blocks */
	batch_independent(7, 64, 64, 12, 12); /* sgemm-sized products */
	batch_independent(5, 128, 64, 4, 4);  /* small images */
	batch_independent(6, 16, 32, 24, 20);
	batch_independent(7, 16, 32, 10, 13); /* odd sizes */
	batch_independent(40, 48, 32, 4, 6);  /* Winograd: several blocks, images split */
	upconv_known();
	pool_known(3, 6, 70);
	pool_known(2, 4, 2);

	CHECK(check_layer("conv3x3", CONV3, 2, 3, 4, 5, 6) < 1e-3);
	CHECK(check_layer("upconv2x2", UPCONV, 2, 3, 4, 3, 2) < 1e-3);
	/* rows of a vector and more plus tails of every length class: the
	 * (de)interleaving a vector at a time, 27 = 16 + 11 = 3 * 8 + 3 */
	CHECK(check_layer("upconv2x2", UPCONV, 1, 2, 3, 2, 27) < 1e-3);
	CHECK(check_layer("conv1x1", CONV1, 2, 5, 2, 3, 4) < 1e-3);
	CHECK(check_layer("maxpool2", POOL, 2, 3, 0, 4, 6) < 1e-3);
	CHECK(check_layer("relu", RELU, 2, 3, 0, 4, 5) < 1e-3);
	losses();

	{	/* a failing comparison must be noticed: a wrong gradient */
		float x[2] = {1, 2}, g[2] = {1, 0};
		struct lossctx c = {x, (uint8_t[]){1, 0}, NULL, 1, 2, 0};
		printf("(a deliberately wrong gradient follows)\n");
		CHECK(gc_tensor("wrong", x, g, 2, 10, 1e-2f, loss_of, &c) > 0.1);
	}
	return CHECK_DONE();
}
