/* test_multiclass: networks of K >= 3 classes. The softmax cross-entropy
 * (ignore 255, class weights, slice weights) and the soft Dice over classes
 * against hand-computed values and finite differences, their split forms
 * (a batch in two ranks' parts) against the whole batch's, the C-class
 * network's output layer against a direct computation, its gradient
 * against finite differences of the whole network with the loss, thread
 * splits, the model file (version 2), and a short training run that must
 * learn. */
#include "check.h"
#include "classes.h"
#include "gradcheck.h"
#include "layers.h"
#include "model.h"
#include "predict.h"
#include "tpool.h"
#include "train.h"
#include "unet.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- losses ------------------------------------------------------------ */

/* K = 3, two slices of two pixels, logits [n][k][p]:
 * slice 0 (w 1):   p0 z (0, 0, 0) y 1;  p1 z (1, 0, -1) y 255 (ignored)
 * slice 1 (w 0.5): p0 z (2, 0, 0) y 0;  p1 z (0, ln 2, 0) y 2 */
static void known_answers(void)
{
	float z[12] = {0, 1, 0, 0, 0, -1, /* slice 0: k0 (p0 p1), k1, k2 */
	               2, 0, 0, (float)log(2.0), 0, 0};
	uint8_t m[4] = {1, 255, 0, 2};
	float sw[2] = {1, 0.5f};
	double cw[3] = {1, 2, 3}, e2 = exp(2.0);
	/* CE: log 3; log(e^2 + 2) - 2; log(1 + 2 + 1) - 0 */
	double ce0 = log(3.0), ce1 = log(e2 + 2) - 2, ce2 = log(4.0);
	double want = (ce0 + 0.5 * (ce1 + ce2)) / 3;
	double got = sce_forward(z, m, sw, NULL, 2, 3, 2);
	printf("softmax CE: %.12f, hand-computed %.12f\n", got, want);
	CHECK_NEAR(got, want, 1e-7);
	/* class weights: numerator weighted by cw[y], divided by the sum of the
	 * labelled pixels' class weights 2 + 1 + 3 (slice weights not in it) */
	want = (2 * ce0 + 0.5 * (1 * ce1 + 3 * ce2)) / 6;
	got = sce_forward(z, m, sw, cw, 2, 3, 2);
	printf("softmax CE, class weights 1 2 3: %.12f, hand-computed %.12f\n", got, want);
	CHECK_NEAR(got, want, 1e-7);
	CHECK_NEAR(sce_weight_sum(m, cw, 3, 4), 6, 0);
	/* gradient: sw cw[y] (softmax - onehot) / 6 */
	float g[12] = {0};
	sce_backward(g, z, m, sw, cw, 2, 3, 2, 1.0);
	CHECK_NEAR(g[0], 2 * (1.0 / 3) / 6, 1e-7);
	CHECK_NEAR(g[2], 2 * (1.0 / 3 - 1) / 6, 1e-7);
	CHECK(g[1] == 0 && g[3] == 0 && g[5] == 0); /* the ignored pixel */
	CHECK_NEAR(g[6], 0.5 * (e2 / (e2 + 2) - 1) / 6, 1e-7);
	CHECK_NEAR(g[11], 0.5 * 3 * (0.25 - 1) / 6, 1e-7);
	CHECK_NEAR(g[9], 0.5 * 3 * 0.5 / 6, 1e-7);
	/* a huge logit: log-sum-exp keeps it finite */
	float zb[3] = {1000, -1000, 0};
	uint8_t mb[1] = {1};
	got = sce_forward(zb, mb, NULL, NULL, 1, 3, 1);
	CHECK(isfinite(got));
	CHECK_NEAR(got, 2000, 1e-9 * 2000);
	/* nothing labelled: 0 */
	uint8_t none[4] = {255, 255, 255, 255};
	CHECK(sce_forward(z, none, sw, NULL, 2, 3, 2) == 0);

	/* Dice over classes 1, 2; p of the three labelled pixels:
	 * (1/3, 1/3, 1/3) w 1 y 1; (e^2, 1, 1)/(e^2 + 2) w .5 y 0; (1, 2, 1)/4 w .5 y 2 */
	double q = 1 / (e2 + 2);
	double si1 = 1.0 / 3, ss1 = (1.0 / 3 + 1) + 0.5 * q + 0.5 * 0.5;
	double si2 = 0.5 * 0.25, ss2 = 1.0 / 3 + 0.5 * q + 0.5 * (0.25 + 1);
	want = ((1 - (2 * si1 + 1) / (ss1 + 1)) + (1 - (2 * si2 + 1) / (ss2 + 1))) / 2;
	got = mdice_forward(z, m, sw, 2, 3, 2);
	printf("Dice over classes: %.12f, hand-computed %.12f\n", got, want);
	CHECK_NEAR(got, want, 1e-7);
}

struct lctx {
	float *z;
	uint8_t *m;
	float *sw;
	const double *cw;
	int N, K;
	size_t P;
	int dice;
};

static double lfun(void *ctx, int *ok)
{
	struct lctx *c = ctx;
	*ok = 1;
	if (c->dice)
		return mdice_forward(c->z, c->m, c->sw, c->N, c->K, c->P);
	return sce_forward(c->z, c->m, c->sw, c->cw, c->N, c->K, c->P);
}

static void loss_gradcheck(void)
{
	struct rng r;
	rng_seed(&r, 11);
	int N = 3, K = 4;
	size_t P = 30, n = (size_t)N * K * P;
	float *z = malloc(n * sizeof *z), *g = malloc(n * sizeof *g), sw[3] = {1, 0.3f, 2};
	uint8_t *m = malloc(N * P);
	double cw[4] = {0.5, 2, 1, 3};
	for (size_t i = 0; i < n; i++)
		z[i] = (float)(2 * rng_normal(&r));
	for (size_t i = 0; i < N * P; i++)
		m[i] = rng_below(&r, 4) == 0 ? 255 : (uint8_t)rng_below(&r, K);
	const char *names[3] = {"sce(cw,sw).logit", "sce.logit", "mdice(sw).logit"};
	for (int t = 0; t < 3; t++) {
		struct lctx c = {z, m, t == 1 ? NULL : sw, t == 0 ? cw : NULL, N, K, P, t == 2};
		memset(g, 0, n * sizeof *g);
		if (t == 2)
			mdice_backward(g, z, m, c.sw, N, K, P, 1.0);
		else
			sce_backward(g, z, m, c.sw, c.cw, N, K, P, 1.0);
		CHECK(gc_tensor(names[t], z, g, n, 400, 1e-2f, lfun, &c) < 1e-3);
	}
	free(z), free(g), free(m);
}

/* A batch of 5 slices in parts of 2 and 3 (two ranks' shares, as
 * train_run): the parts' CE over the whole batch's normaliser and their
 * Dice gradients from the summed sums give the whole batch's loss and
 * gradient. */
static void split_batch(void)
{
	enum { N = 5, K = 3, P = 7 };
	float z[N * K * P], sw[N], whole[N * K * P], part[N * K * P];
	uint8_t m[N * P];
	double cw[K] = {1, 2.5, 0.5};
	struct rng r;
	rng_seed(&r, 5);
	for (int i = 0; i < N * K * P; i++)
		z[i] = (float)rng_normal(&r), whole[i] = 0;
	for (int i = 0; i < N * P; i++)
		m[i] = rng_below(&r, 3) == 0 ? 255 : (uint8_t)rng_below(&r, K);
	for (int n = 0; n < N; n++)
		sw[n] = 0.25f * (float)(n + 1);
	double lw = sce_forward(z, m, sw, cw, N, K, P) + mdice_forward(z, m, sw, N, K, P);
	sce_backward(whole, z, m, sw, cw, N, K, P, 1.0);
	mdice_backward(whole, z, m, sw, N, K, P, 1.0);
	const int cut[3] = {0, 2, N};
	double s[1 + 2 * (K - 1)] = {0}, t[2 * (K - 1)], lp = 0;
	for (int q = 0; q < 2; q++) {
		int lo = cut[q], nl = cut[q + 1] - lo;
		s[0] += sce_weight_sum(m + lo * P, cw, K, (size_t)nl * P);
		mdice_sums(z + lo * K * P, m + lo * P, sw + lo, nl, K, P, t);
		for (int c = 0; c < 2 * (K - 1); c++)
			s[1 + c] += t[c];
	}
	for (int q = 0; q < 2; q++) {
		int lo = cut[q], nl = cut[q + 1] - lo;
		lp += sce_loss_grad(part + lo * K * P, z + lo * K * P, m + lo * P, sw + lo, cw, nl, K, P,
		                    s[0], 1.0);
		mdice_backward_sums(part + lo * K * P, z + lo * K * P, m + lo * P, sw + lo, nl, K, P,
		                    s + 1, 1.0);
	}
	lp += mdice_of_sums(s + 1, K);
	CHECK_NEAR(lp, lw, 1e-12 * fabs(lw));
	for (int i = 0; i < N * K * P; i++)
		CHECK_NEAR(part[i], whole[i], 1e-6 * fabs(whole[i]) + 1e-12);
}

/* ---- the network --------------------------------------------------------- */

struct nctx {
	struct unet *u;
	const float *in;
	const uint8_t *m;
	const double *cw;
	const float *base; /* the activations at the base point */
	size_t nact;       /* floats of activations before the logits */
};

/* the loss of the real network; not usable when a ReLU changed side */
static double net_loss(void *ctx, int *ok)
{
	struct nctx *c = ctx;
	struct unet *u = c->u;
	int K = unet_outputs(&u->cfg);
	unet_forward(u, c->in, u->N);
	*ok = 1;
	for (size_t i = 0; i < c->nact; i++)
		if ((u->act_mem[i] > 0) != (c->base[i] > 0))
			*ok = 0;
	return sce_forward(u->a.logit, c->m, NULL, c->cw, u->N, K, u->vox) +
	       mdice_forward(u->a.logit, c->m, NULL, u->N, K, u->vox);
}

static void net_check(int dims)
{
	struct unet_config cfg = {2, 3, 1, dims, 4};
	struct unet u, t;
	int N = 2, Z = dims == 3 ? 4 : 1, H = 8, W = 6, K = 4;
	size_t v = (size_t)Z * H * W;
	struct rng r;
	CHECK(unet_create_vol(&u, &cfg, N, Z, H, W, 1, 1) == 0);
	CHECK(unet_outputs(&cfg) == 4 && unet_classes(&cfg) == 4);
	unet_params_init(u.params, &cfg, 3);
	rng_seed(&r, 8);
	for (size_t i = 0; i < u.nparams; i++)
		if (u.params[i] == 0)
			u.params[i] = (float)(0.2 * (rng_uniform(&r) - 0.3));
	float *in = malloc(N * 2 * v * sizeof *in);
	uint8_t *m = malloc(N * v);
	for (size_t i = 0; i < N * 2 * v; i++)
		in[i] = (float)rng_normal(&r);
	for (size_t i = 0; i < N * v; i++)
		m[i] = rng_below(&r, 5) == 0 ? 255 : (uint8_t)rng_below(&r, K);
	unet_forward(&u, in, N);
	/* the output layer by hand: logit[n][k][i] = b[k] + sum_f w[k][f] dec[f][n][i] */
	double worst = 0;
	for (int n = 0; n < N; n++)
		for (int k = 0; k < K; k++)
			for (size_t i = 0; i < v; i++) {
				double s = u.p.out_b[k];
				for (int f = 0; f < cfg.base; f++)
					s += (double)u.p.out_w[k * cfg.base + f] *
					     u.a.dec[0][1][((size_t)f * N + n) * v + i];
				worst = fmax(worst, fabs(s - u.a.logit[((size_t)n * K + k) * v + i]));
			}
	printf("%d-D, 4 classes: output layer by hand, worst difference %.2e\n", dims, worst);
	CHECK(worst < 1e-5);
	/* two threads: the same logits and gradients (to rounding) */
	CHECK(unet_create_vol(&t, &cfg, N, Z, H, W, 1, 2) == 0);
	CHECK(t.nrep == 2);
	memcpy(t.params, u.params, u.nparams * sizeof(float));
	unet_forward(&t, in, N);
	double dl = 0;
	for (size_t i = 0; i < N * K * v; i++)
		dl = fmax(dl, fabs(t.a.logit[i] - u.a.logit[i]));
	printf("two threads: logits differ by %.2e\n", dl);
	CHECK(dl < 1e-5);
	double cw[4] = {1, 2, 0.5, 1.5};
	unet_zero_grad(&u), unet_zero_grad(&t);
	memset(u.d.logit, 0, N * K * v * sizeof(float));
	memset(t.d.logit, 0, N * K * v * sizeof(float));
	sce_backward(u.d.logit, u.a.logit, m, NULL, cw, N, K, v, 1.0);
	mdice_backward(u.d.logit, u.a.logit, m, NULL, N, K, v, 1.0);
	sce_backward(t.d.logit, t.a.logit, m, NULL, cw, N, K, v, 1.0);
	mdice_backward(t.d.logit, t.a.logit, m, NULL, N, K, v, 1.0);
	unet_backward(&u), unet_backward(&t);
	double dg = 0, gm = 0;
	for (size_t i = 0; i < u.nparams; i++)
		dg = fmax(dg, fabs(t.grads[i] - u.grads[i])), gm = fmax(gm, fabs(u.grads[i]));
	CHECK(dg <= 1e-4 * gm);
	/* finite differences of the loss through the whole network */
	size_t nact = (size_t)(u.a.logit - u.act_mem);
	float *base = malloc(nact * sizeof *base);
	memcpy(base, u.act_mem, nact * sizeof *base);
	struct nctx c = {&u, in, m, cw, base, nact};
	struct { const char *name; float *p, *g; size_t n; } ts[] = {
		{"out.w", u.p.out_w, u.g.out_w, (size_t)K * cfg.base},
		{"out.b", u.p.out_b, u.g.out_b, (size_t)K},
		{"dec0.conv1.w", u.p.dec_w[0][1], u.g.dec_w[0][1],
		 (size_t)cfg.base * cfg.base * (dims == 3 ? 27 : 9)},
		{"dec0.conv1.b", u.p.dec_b[0][1], u.g.dec_b[0][1], (size_t)cfg.base},
	};
	/* the output layer is affine in its parameters: rounding only; the
	 * layer before it takes its gradient through the output layer's
	 * input gradient (float differences through a ReLU network: 1e-2) */
	for (int i = 0; i < 4; i++) {
		double e = gc_tensor(ts[i].name, ts[i].p, ts[i].g, ts[i].n, 40, 1e-2f, net_loss, &c);
		CHECK(e < (i < 2 ? 1e-3 : 1e-2));
	}
	free(base), free(in), free(m);
	unet_free(&u), unet_free(&t);
}

/* binary networks: classes 0 and 2 are the same network, K = 1 */
static void binary_same(void)
{
	struct unet_config a = {1, 4, 2, 2, 0}, b = {1, 4, 2, 2, 2}, bad = {1, 4, 2, 2, 1};
	CHECK(unet_param_count(&a) == unet_param_count(&b));
	CHECK(unet_outputs(&b) == 1 && unet_classes(&a) == 2);
	struct unet_config c3 = {1, 8, 4, 2, 3};
	CHECK(unet_param_count(&c3) == 485673 + 9 * 2);
	char why[128];
	CHECK(unet_config_explain(&bad, why, sizeof why) == -1);
	bad.classes = 256;
	CHECK(unet_config_explain(&bad, why, sizeof why) == -1);
}

/* ---- the model file, version 2 ----------------------------------------- */

static void model_v2(void)
{
	struct unet_config c = {1, 2, 1, 2, 5}, c2;
	size_t n = unet_param_count(&c);
	float *p = malloc(n * sizeof *p), *q;
	unet_params_init(p, &c, 4);
	char path[] = "/tmp/test_multiclass_XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	CHECK(model_save(path, &c, p) == 0);
	size_t len;
	unsigned char *b = (unsigned char *)read_whole(path, &len);
	CHECK(len == 36 + 4 * n);
	CHECK(b[8] == 2 && b[32] == 5 && b[33] == 0);
	CHECK(model_load(path, &c2, &q) == 0);
	CHECK(c2.classes == 5 && c2.base == 2 && !memcmp(q, p, n * sizeof *p));
	free(q);
	/* bad classes, a truncated header, trailing bytes: refused */
	FILE *f;
	unsigned char keep = b[32];
	for (int k = 0; k < 3; k++) {
		b[32] = (unsigned char)(k == 0 ? 2 : k == 1 ? 0 : keep);
		f = fopen(path, "wb");
		fwrite(b, 1, k == 2 ? len + 1 : len, f);
		fclose(f);
		CHECK(model_load(path, &c2, &q) == -1 && q == NULL);
	}
	f = fopen(path, "wb");
	fwrite(b, 1, 34, f);
	fclose(f);
	CHECK(model_load(path, &c2, &q) == -1);
	/* a binary network still writes version 1 */
	struct unet_config cb = {1, 2, 1, 2, 0};
	float *pb = calloc(unet_param_count(&cb), sizeof *pb);
	CHECK(model_save(path, &cb, pb) == 0);
	free(b);
	b = (unsigned char *)read_whole(path, &len);
	CHECK(b[8] == 1 && len == 32 + 4 * unet_param_count(&cb));
	CHECK(model_load(path, &c2, &q) == 0 && c2.classes == 0);
	free(q);
	/* that binary network as a version 2 file of 2 classes: refused (a
	 * binary network is version 1 only) */
	size_t nb = unet_param_count(&cb);
	unsigned char *v2 = calloc(36 + 4 * nb, 1);
	memcpy(v2, b, 32);
	v2[8] = 2, v2[32] = 2;
	memcpy(v2 + 36, b + 32, 4 * nb);
	f = fopen(path, "wb");
	fwrite(v2, 1, 36 + 4 * nb, f);
	fclose(f);
	CHECK(model_load(path, &c2, &q) == -1 && q == NULL);
	v2[32] = 3; /* 3 classes: then the count does not match */
	f = fopen(path, "wb");
	fwrite(v2, 1, 36 + 4 * nb, f);
	fclose(f);
	CHECK(model_load(path, &c2, &q) == -1);
	free(v2), free(pb), free(b), free(p);
	unlink(path);
}

/* predict_argmax: ties go to the lower class; a binary slab: p >= 0.5 */
static void argmax_ties(void)
{
	struct slab p, l;
	struct classes k;
	CHECK(slab_alloc(&p, "t", 4, 1, 1, 3, SLAB_F32) == 0);
	classes_default(&k, 3);
	CHECK(classes_set(&p, &k) == 0);
	float v[12] = {0.5f, 0.2f, 0.4f, 1.0f / 3, /* class 0 */
	               0.5f, 0.6f, 0.2f, 1.0f / 3, /* class 1 */
	               0.0f, 0.2f, 0.4f, 1.0f / 3}; /* class 2 */
	memcpy(p.data, v, sizeof v);
	CHECK(predict_argmax(&p, &l) == 0);
	const uint8_t *o = l.data;
	CHECK(l.nc == 1 && l.type == SLAB_U8 && !strcmp(slab_get_extra(&l, "CLASSES"), "3"));
	CHECK(o[0] == 0 && o[1] == 1 && o[2] == 0 && o[3] == 0);
	slab_free(&p), slab_free(&l);
	CHECK(slab_alloc(&p, "b", 3, 1, 1, 1, SLAB_F32) == 0);
	float b[3] = {0.5f, 0.49999997f, 1};
	memcpy(p.data, b, sizeof b);
	CHECK(predict_argmax(&p, &l) == 0);
	o = l.data;
	CHECK(o[0] == 1 && o[1] == 0 && o[2] == 1 && !slab_get_extra(&l, "CLASSES"));
	slab_free(&p), slab_free(&l);
	/* several channels without CLASSES are no probabilities: refused */
	CHECK(slab_alloc(&p, "n", 2, 1, 1, 3, SLAB_F32) == 0);
	memset(p.data, 0, 6 * sizeof(float));
	printf("(a refused argmax follows)\n");
	CHECK(predict_argmax(&p, &l) == -1);
	slab_free(&p);
}

/* ---- a short training run learns ---------------------------------------- */

/* 16x16 slices: a square of class 1 and a bar of class 2 beside it, on noise */
static void learns(void)
{
	struct trainset tr = {0}, va = {0};
	struct rng r;
	rng_seed(&r, 2);
	int H = 16, W = 16;
	size_t m = (size_t)H * W;
	for (int s = 0; s < 2; s++) {
		struct trainset *t = s ? &va : &tr;
		int n = s ? 4 : 16;
		t->W = W, t->H = H, t->C = 1, t->classes = 3, t->n = t->cap = (size_t)n;
		t->img = malloc(n * m * sizeof(float)), t->mask = malloc(n * m);
		t->nsi = malloc(n * sizeof(float)), t->gt = malloc(n);
		for (int i = 0; i < n; i++) {
			int x0 = (int)rng_below(&r, 6), y0 = (int)rng_below(&r, 8);
			t->nsi[i] = 0.5f, t->gt[i] = 1;
			for (int y = 0; y < H; y++)
				for (int x = 0; x < W; x++) {
					int in = y >= y0 && y < y0 + 6;
					int k = in && x >= x0 && x < x0 + 6 ? 1 : in && x >= x0 + 6 && x < x0 + 10 ? 2 : 0;
					t->mask[i * m + y * W + x] = (uint8_t)k;
					t->img[i * m + y * W + x] = (float)(k + 0.2 * rng_normal(&r));
				}
		}
	}
	struct unet_config cfg = {1, 8, 2, 2, 3};
	struct unet u;
	CHECK(unet_create(&u, &cfg, 4, H, W, 1) == 0);
	unet_params_init(u.params, &cfg, 1);
	double vl0, d0, vl, d;
	train_evaluate(&u, &va, LOSS_BCEDICE, &vl0, &d0);
	struct train_opts o;
	train_opts_default(&o);
	o.epochs = 40, o.batch = 4, o.opt = OPT_ADAM, o.lr = 1e-2, o.quiet = 1, o.patience = 100;
	o.loss = LOSS_BCEDICE;
	CHECK(train_run(&u, &tr, &va, &o) == 40);
	train_evaluate(&u, &va, LOSS_BCEDICE, &vl, &d);
	printf("3 classes, 40 epochs: val loss %.3f -> %.3f, mean foreground DSC %.3f -> %.3f\n",
	       vl0, vl, d0, d);
	CHECK(vl < vl0);
	CHECK(d > d0 + 0.4 && d > 0.6);
	/* the probabilities, and the argmax label map from them */
	struct slab img, prob, lab;
	CHECK(slab_alloc(&img, "v", W, H, 1, 1, SLAB_F32) == 0);
	memcpy(img.data, va.img, m * sizeof(float));
	struct predictor p;
	predictor_init(&p, &cfg, u.params, "test");
	CHECK(predict_slab(&p, &img, 0, 1, &prob) == 0);
	CHECK(prob.nc == 3 && !strcmp(slab_get_extra(&prob, "CLASSES"), "3"));
	const float *pp = prob.data;
	double worst = 0;
	for (size_t i = 0; i < m; i++)
		worst = fmax(worst, fabs(pp[i] + pp[m + i] + pp[2 * m + i] - 1));
	CHECK(worst < 1e-6);
	CHECK(predict_argmax(&prob, &lab) == 0);
	size_t agree = 0;
	for (size_t i = 0; i < m; i++)
		agree += ((uint8_t *)lab.data)[i] == va.mask[i];
	printf("argmax agrees with the labels at %zu of %zu pixels\n", agree, m);
	CHECK(agree > m * 9 / 10);
	slab_free(&img), slab_free(&prob), slab_free(&lab);
	predictor_free(&p);
	unet_free(&u);
	trainset_free(&tr), trainset_free(&va);
}

int main(void)
{
	progname = "test_multiclass";
	CHECK(tpool_start(2) == 2);
	known_answers();
	loss_gradcheck();
	split_batch();
	binary_same();
	net_check(2);
	net_check(3);
	model_v2();
	argmax_ties();
	learns();
	return CHECK_DONE();
}
