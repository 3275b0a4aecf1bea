/* The 3-D U-Net: its layers against naive loops and finite differences,
 * the parameter counts of the paper's Table 4, a finite-difference check of
 * every parameter tensor of a small 3-D network, 1 vs 2 threads, a tiny
 * network overfitting a fixed batch of volumes, and model files (3-D round
 * trip; a 2-D file as written before 3-D existed still loads as 2-D). */
#include "check.h"
#include "gradcheck.h"
#include "layers.h"
#include "layers3d.h"
#include "model.h"
#include "tpool.h"
#include "unet.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct rng R;

static float *rnd(size_t n, double scale)
{
	float *p = malloc((n ? n : 1) * sizeof *p);
	for (size_t i = 0; i < n; i++)
		p[i] = (float)((2 * rng_uniform(&R) - 1) * scale);
	return p;
}

static float *zeros(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

static double maxdiff(const float *a, const float *b, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs(a[i] - b[i]) > m)
			m = fabs(a[i] - b[i]);
	return m;
}

/* ---- the convolution against the naive loops ---------------------------- */

static void conv_vs_naive(int mode, int N, int C, int K, int Z, int H, int W, int chunk)
{
	size_t nin = (size_t)C * N * Z * H * W, nout = (size_t)K * N * Z * H * W;
	size_t nw = (size_t)K * C * 27;
	float *in = rnd(nin, 1), *w = rnd(nw, 0.5), *b = rnd(K, 0.5), *dout = rnd(nout, 1);
	float *ref = zeros(nout), *o = zeros(nout);
	float *di0 = rnd(nin, 1), *dw0 = rnd(nw, 1), *db0 = rnd(K, 1);
	float *dir = malloc(nin * sizeof(float)), *dwr = malloc(nw * sizeof(float));
	float *dbr = malloc(K * sizeof(float)), *di = malloc(nin * sizeof(float));
	float *dw = malloc(nw * sizeof(float)), *db = malloc(K * sizeof(float));
	/* start from the same non-zero dw and db: backward must add into them;
	 * din starts dirty and must be written (the reference's starts at 0) */
	memset(dir, 0, nin * sizeof(float)), memcpy(dwr, dw0, nw * sizeof(float));
	memcpy(dbr, db0, K * sizeof(float)), memcpy(di, di0, nin * sizeof(float));
	memcpy(dw, dw0, nw * sizeof(float)), memcpy(db, db0, K * sizeof(float));
	conv3d_chunk_rows = chunk;
	conv3d_mode = mode;
	float *col = zeros(conv3d_scratch(N, C, K, Z, H, W));
	conv3d_forward_naive(ref, in, w, b, N, C, K, Z, H, W);
	conv3d_backward_naive(dir, dwr, dbr, dout, in, w, N, C, K, Z, H, W);
	conv3d_forward(o, col, in, w, b, N, C, K, Z, H, W);
	conv3d_backward(di, dw, db, col, dout, in, w, N, C, K, Z, H, W);
	double e[4] = {maxdiff(o, ref, nout), maxdiff(di, dir, nin), maxdiff(dw, dwr, nw),
	               maxdiff(db, dbr, K)};
	printf("conv3d %s vs naive N=%d C=%d K=%d %dx%dx%d chunk %d: max |diff| out %.1e din %.1e "
	       "dw %.1e db %.1e\n", mode == 1 ? "direct" : "sgemm", N, C, K, W, H, Z, chunk, e[0],
	       e[1], e[2], e[3]);
	CHECK(e[0] < 2e-5 * C && e[1] < 2e-5 * K);
	CHECK(e[2] < 1e-6 * N * Z * H * W && e[3] < 1e-6 * N * Z * H * W);

	/* the fused ReLU: forward = max(conv, 0); backward masks dout */
	float *orelu = zeros(nout), *d2 = malloc(nout * sizeof(float));
	float *di2 = zeros(nin), *dw2 = zeros(nw), *db2 = zeros(K);
	float *di3 = zeros(nin), *dw3 = zeros(nw), *db3 = zeros(K);
	conv3d_relu_forward(orelu, col, in, w, b, N, C, K, Z, H, W);
	int relu_ok = 1;
	for (size_t i = 0; i < nout; i++) {
		relu_ok &= orelu[i] == (o[i] > 0 ? o[i] : 0);
		d2[i] = o[i] > 0 ? dout[i] : 0;
	}
	CHECK(relu_ok);
	conv3d_backward(di2, dw2, db2, col, d2, in, w, N, C, K, Z, H, W);
	memcpy(d2, dout, nout * sizeof(float));
	conv3d_relu_backward(di3, dw3, db3, col, d2, orelu, in, w, N, C, K, Z, H, W);
	CHECK(maxdiff(di2, di3, nin) == 0 && maxdiff(dw2, dw3, nw) == 0 &&
	      maxdiff(db2, db3, K) == 0);
	conv3d_chunk_rows = 0;
	conv3d_mode = 0;
	free(in), free(w), free(b), free(dout), free(ref), free(o), free(col);
	free(di0), free(dw0), free(db0), free(dir), free(dwr), free(dbr), free(di), free(dw);
	free(db), free(orelu), free(d2), free(di2), free(dw2), free(db2), free(di3), free(dw3);
	free(db3);
}

/* ---- finite differences of each layer ------------------------------------ */

enum kind { CONV, UPCONV, POOL };
struct layer {
	enum kind k;
	int N, C, K, Z, H, W;
	float *in, *w, *b, *out, *r, *scratch;
	size_t nout;
};

static void run(struct layer *L)
{
	switch (L->k) {
	case CONV:
		conv3d_forward(L->out, L->scratch, L->in, L->w, L->b, L->N, L->C, L->K, L->Z, L->H,
		               L->W);
		break;
	case UPCONV:
		upconv3d_forward(L->out, L->scratch, L->in, L->w, L->b, L->N, L->C, L->K, L->Z, L->H,
		                 L->W);
		break;
	case POOL:
		maxpool3d_forward(L->out, L->in, (size_t)L->C * L->N, L->Z, L->H, L->W);
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

static double check_layer(const char *name, enum kind k, int N, int C, int K, int Z, int H,
                          int W)
{
	struct layer L = {.k = k, .N = N, .C = C, .K = K, .Z = Z, .H = H, .W = W};
	size_t nin = (size_t)C * N * Z * H * W, nw = 0, nb = 0;
	char label[64];
	double worst = 0;
	switch (k) {
	case CONV: L.nout = (size_t)K * N * Z * H * W, nw = (size_t)K * C * 27, nb = K; break;
	case UPCONV: L.nout = (size_t)K * N * 8 * Z * H * W, nw = (size_t)C * K * 8, nb = K; break;
	case POOL: L.nout = nin / 8; break;
	}
	L.in = rnd(nin, 1);
	if (k == POOL) /* distinct values, far apart compared with h */
		for (size_t i = 0; i < nin; i++)
			L.in[i] = (float)(((i * 7919) % nin) * 0.1 - nin * 0.05);
	L.w = rnd(nw, 0.5), L.b = rnd(nb, 0.5);
	L.out = zeros(L.nout), L.r = rnd(L.nout, 1);
	L.scratch = zeros(conv3d_scratch(N, C, K, Z, H, W) + (size_t)K * N * 8 * Z * H * W);
	/* the convolutions WRITE din: start it dirty (max-pooling adds) */
	float *din = k == POOL ? zeros(nin) : rnd(nin, 100), *dw = zeros(nw), *db = zeros(nb);
	run(&L);
	switch (k) {
	case CONV:
		conv3d_backward(din, dw, db, L.scratch, L.r, L.in, L.w, N, C, K, Z, H, W);
		break;
	case UPCONV:
		upconv3d_backward(din, dw, db, L.scratch, L.r, L.in, L.w, N, C, K, Z, H, W);
		break;
	case POOL:
		maxpool3d_backward(din, L.r, L.in, (size_t)C * N, Z, H, W);
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
	free(din), free(dw), free(db);
	return worst;
}

/* Up-convolution and pooling against their definitions, written out. */
static void known_answers(void)
{
	int N = 2, C = 3, K = 2, z = 2, h = 2, w = 3;
	size_t v = (size_t)z * h * w;
	float *in = rnd(C * N * v, 1), *wt = rnd((size_t)C * K * 8, 1), *b = rnd(K, 1);
	float *out = zeros(K * N * 8 * v), *tmp = zeros(K * 8 * N * v);
	upconv3d_forward(out, tmp, in, wt, b, N, C, K, z, h, w);
	double e = 0;
	for (int k = 0; k < K; k++)
		for (int n = 0; n < N; n++)
			for (int Z = 0; Z < 2 * z; Z++)
				for (int y = 0; y < 2 * h; y++)
					for (int x = 0; x < 2 * w; x++) {
						double s = b[k];
						for (int c = 0; c < C; c++)
							s += wt[((c * K + k) * 2 + Z % 2) * 4 + (y % 2) * 2 + x % 2] *
							     in[((c * N + n) * z + Z / 2) * h * w + (y / 2) * w + x / 2];
						size_t o = ((((size_t)k * N + n) * 2 * z + Z) * 2 * h + y) * 2 * w + x;
						e = fmax(e, fabs(out[o] - s));
					}
	printf("upconv3d vs definition: max |diff| %.1e\n", e);
	CHECK(e < 1e-5);
	/* pooling: the maximum of each 2x2x2 block; ties go to the first */
	float vol[64], po[8], dv[64] = {0}, g[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	for (int i = 0; i < 64; i++)
		vol[i] = (float)((i * 37) % 64);
	vol[0] = vol[1] = 100; /* tie in block 0: the first wins */
	maxpool3d_forward(po, vol, 1, 4, 4, 4);
	maxpool3d_backward(dv, g, vol, 1, 4, 4, 4);
	int ok = 1;
	for (int bz = 0; bz < 2; bz++)
		for (int by = 0; by < 2; by++)
			for (int bx = 0; bx < 2; bx++) {
				float m = -1;
				int at = -1;
				for (int t = 0; t < 8; t++) {
					int i = ((2 * bz + (t >> 2)) * 4 + 2 * by + (t >> 1 & 1)) * 4 + 2 * bx + (t & 1);
					if (vol[i] > m)
						m = vol[i], at = i;
				}
				int o = (bz * 2 + by) * 2 + bx;
				ok &= po[o] == m && dv[at] == g[o];
			}
	float sum = 0;
	for (int i = 0; i < 64; i++)
		sum += dv[i];
	CHECK(ok && sum == 36 && dv[0] == 1 && dv[1] == 0);
	free(in), free(wt), free(b), free(out), free(tmp);
}

/* ---- the network ---------------------------------------------------------- */

static void frelu(float *x, const float *base, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = base[i] > 0 ? x[i] : 0;
}

/* 2x2x2 pooling that takes the element the base point chose */
static void fpool(float *out, const float *in, const float *base, size_t vols, int Z, int H,
                  int W)
{
	size_t v = (size_t)Z * H * W;
	for (size_t q = 0; q < vols; q++)
		for (int z = 0; z < Z; z += 2)
			for (int y = 0; y < H; y += 2)
				for (int x = 0; x < W; x += 2) {
					size_t best = 0;
					int first = 1;
					for (int t = 0; t < 8; t++) {
						size_t i = q * v + ((size_t)(z + (t >> 2)) * H + y + (t >> 1 & 1)) * W +
						           x + (t & 1);
						if (first || base[i] > base[best])
							best = i, first = 0;
					}
					out[q * v / 8 + ((size_t)(z / 2) * (H / 2) + y / 2) * (W / 2) + x / 2] = in[best];
				}
}

/* The network with every ReLU and pooling decision frozen at those of the
 * base point in u (see test_unet.c): piecewise linear becomes affine. */
static void frozen_forward(struct unet *b, const struct unet *u)
{
	const struct unet_config *c = &u->cfg;
	const struct unet_params *p = &u->p;
	const struct unet_acts *s = &u->a;
	struct unet_acts *a = &b->a;
	int N = u->N, Z = u->Z, H = u->H, W = u->W, D = c->depth;
	const float *x = s->x;
	int cin = c->in_channels;
	for (int l = 0; l <= D; l++) {
		int zl = Z >> l, hl = H >> l, wl = W >> l, f = c->base << l;
		size_t n = (size_t)f * N * zl * hl * wl;
		conv3d_forward(a->enc[l][0], b->scratch, x, p->enc_w[l][0], p->enc_b[l][0], N, cin, f,
		               zl, hl, wl);
		frelu(a->enc[l][0], s->enc[l][0], n);
		conv3d_forward(a->enc[l][1], b->scratch, a->enc[l][0], p->enc_w[l][1], p->enc_b[l][1],
		               N, f, f, zl, hl, wl);
		frelu(a->enc[l][1], s->enc[l][1], n);
		if (l < D) {
			fpool(a->pool[l], a->enc[l][1], s->enc[l][1], (size_t)f * N, zl, hl, wl);
			x = a->pool[l], cin = f;
		}
	}
	const float *up = a->enc[D][1];
	for (int l = D - 1; l >= 0; l--) {
		int zl = Z >> l, hl = H >> l, wl = W >> l, f = c->base << l;
		size_t n = (size_t)f * N * zl * hl * wl;
		upconv3d_forward(a->cat[l], b->scratch, up, p->up_w[l], p->up_b[l], N, 2 * f, f, zl / 2,
		                 hl / 2, wl / 2);
		conv3d_forward(a->dec[l][0], b->scratch, a->cat[l], p->dec_w[l][0], p->dec_b[l][0], N,
		               2 * f, f, zl, hl, wl);
		frelu(a->dec[l][0], s->dec[l][0], n);
		conv3d_forward(a->dec[l][1], b->scratch, a->dec[l][0], p->dec_w[l][1], p->dec_b[l][1],
		               N, f, f, zl, hl, wl);
		frelu(a->dec[l][1], s->dec[l][1], n);
		up = a->dec[l][1];
	}
	conv1x1_forward(a->logit, a->dec[0][1], p->out_w, p->out_b, (int)(N * u->vox), c->base, 1);
}

struct netctx {
	struct unet *u, *b;
	const float *r;
};

static double net_loss(void *ctx, int *ok)
{
	struct netctx *c = ctx;
	double s = 0;
	frozen_forward(c->b, c->u);
	for (size_t i = 0; i < (size_t)c->u->N * c->u->vox; i++)
		s += (double)c->r[i] * c->b->a.logit[i];
	*ok = 1;
	return s;
}

static void net_gradcheck(void)
{
	struct unet_config cfg = {2, 3, 2, 3, 0};
	struct unet u, b;
	int N = 2, Z = 4, H = 8, W = 4;
	size_t P = (size_t)Z * H * W;
	struct rng r;
	CHECK(unet_create_vol(&u, &cfg, 2, Z, H, W, 1, 1) == 0);
	CHECK(unet_create_vol(&b, &cfg, 2, Z, H, W, 0, 1) == 0);
	unet_params_init(u.params, &cfg, 7);
	rng_seed(&r, 3);
	for (size_t i = 0; i < u.nparams; i++) /* non-zero biases too */
		if (u.params[i] == 0)
			u.params[i] = (float)(0.2 * (rng_uniform(&r) - 0.3));
	float *in = malloc(N * cfg.in_channels * P * sizeof *in), *rr = malloc(N * P * sizeof *rr);
	for (size_t i = 0; i < N * cfg.in_channels * P; i++)
		in[i] = (float)rng_normal(&r);
	for (size_t i = 0; i < N * P; i++)
		rr[i] = (float)rng_normal(&r);
	unet_forward(&u, in, N);
	unet_forward(&b, in, N);
	struct netctx c = {&u, &b, rr};
	int ok;
	net_loss(&c, &ok);
	CHECK(memcmp(b.a.logit, u.a.logit, N * P * sizeof(float)) == 0);
	unet_zero_grad(&u);
	memcpy(u.d.logit, rr, N * P * sizeof(float));
	unet_backward(&u);

	const float *ptrs[256];
	const char *names[256];
	char nb[256][32];
	int np = 0;
	for (int l = 0; l <= cfg.depth; l++)
		for (int j = 0; j < 2; j++) {
			snprintf(nb[np], 32, "enc%d.conv%d.w", l, j), ptrs[np++] = u.g.enc_w[l][j];
			snprintf(nb[np], 32, "enc%d.conv%d.b", l, j), ptrs[np++] = u.g.enc_b[l][j];
		}
	for (int l = cfg.depth - 1; l >= 0; l--) {
		snprintf(nb[np], 32, "dec%d.up.w", l), ptrs[np++] = u.g.up_w[l];
		snprintf(nb[np], 32, "dec%d.up.b", l), ptrs[np++] = u.g.up_b[l];
		for (int j = 0; j < 2; j++) {
			snprintf(nb[np], 32, "dec%d.conv%d.w", l, j), ptrs[np++] = u.g.dec_w[l][j];
			snprintf(nb[np], 32, "dec%d.conv%d.b", l, j), ptrs[np++] = u.g.dec_b[l][j];
		}
	}
	snprintf(nb[np], 32, "out.w"), ptrs[np++] = u.g.out_w;
	snprintf(nb[np], 32, "out.b"), ptrs[np++] = u.g.out_b;
	ptrs[np] = u.grads + u.nparams;
	CHECK(ptrs[0] == u.grads);
	double worst = 0;
	for (int t = 0; t < np; t++) {
		size_t off = (size_t)(ptrs[t] - u.grads), n = (size_t)(ptrs[t + 1] - ptrs[t]);
		names[t] = nb[t];
		worst = fmax(worst, gc_tensor(names[t], u.params + off, ptrs[t], n, 40, 4.0f, net_loss, &c));
	}
	printf("whole 3-D network: worst relative error %.2e over %d tensors\n", worst, np);
	CHECK(worst < 1e-3);

	/* the same batch over 2 replicas (threads): the same logits and gradients
	 * up to rounding */
	struct unet u2;
	CHECK(unet_create_vol(&u2, &cfg, 2, Z, H, W, 1, 2) == 0);
	memcpy(u2.params, u.params, u.nparams * sizeof(float));
	unet_forward(&u, in, N);
	unet_forward(&u2, in, N);
	double dl = maxdiff(u.a.logit, u2.a.logit, N * P);
	unet_zero_grad(&u), unet_zero_grad(&u2);
	memcpy(u.d.logit, rr, N * P * sizeof(float));
	memcpy(u2.d.logit, rr, N * P * sizeof(float));
	unet_backward(&u), unet_backward(&u2);
	double dg = maxdiff(u.grads, u2.grads, u.nparams);
	printf("1 vs 2 replicas: max |diff| logits %.1e, gradients %.1e\n", dl, dg);
	CHECK(dl < 1e-4 && dg < 1e-3);
	free(in), free(rr);
	unet_free(&u), unet_free(&b), unet_free(&u2);
}

/* A tiny 3-D network and RMSprop on one fixed batch of two volumes. */
static void overfit(void)
{
	struct unet_config cfg = {1, 4, 2, 3, 0};
	struct unet u;
	int N = 2, Z = 8, H = 8, W = 8;
	size_t P = (size_t)Z * H * W, n;
	struct rng r;
	CHECK(unet_create_vol(&u, &cfg, N, Z, H, W, 1, 1) == 0);
	unet_params_init(u.params, &cfg, 1);
	float *in = malloc(N * P * sizeof *in), *ms = calloc(u.nparams, sizeof(float));
	uint8_t *mask = malloc(N * P);
	rng_seed(&r, 5);
	for (int s = 0; s < N; s++) /* a bright ball on noise is the foreground */
		for (int z = 0; z < Z; z++)
			for (int y = 0; y < H; y++)
				for (int x = 0; x < W; x++) {
					int cx = 3 + s, d2 = (x - cx) * (x - cx) + (y - 4) * (y - 4) + (z - 4) * (z - 4);
					size_t i = s * P + ((size_t)z * H + y) * W + x;
					mask[i] = d2 <= 5 + s;
					in[i] = (float)(mask[i] + 0.3 * rng_normal(&r));
					if (z == 7)
						mask[i] = 255; /* padding: no loss */
				}
	double first = 0, last = 0;
	for (int it = 0; it < 300; it++) {
		unet_forward(&u, in, N);
		last = bce_forward(u.a.logit, mask, NULL, N, P, &n);
		if (!it)
			first = last;
		unet_zero_grad(&u);
		memset(u.d.logit, 0, N * P * sizeof(float));
		bce_backward(u.d.logit, u.a.logit, mask, NULL, N, P, 1.0);
		unet_backward(&u);
		for (size_t i = 0; i < u.nparams; i++) {
			float g = u.grads[i];
			ms[i] = 0.9f * ms[i] + 0.1f * g * g;
			u.params[i] -= 1e-3f * g / (sqrtf(ms[i]) + 1e-7f);
		}
	}
	printf("overfit 3-D: loss %.3g -> %.3g after 300 steps (%zu labelled voxels)\n", first, last,
	       n);
	CHECK(n == (size_t)N * 7 * H * W);
	CHECK(last < first * 1e-2);
	free(in), free(ms), free(mask);
	unet_free(&u);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	fwrite(p, 1, n, f);
	fclose(f);
}

static void model_files(void)
{
	struct unet_config c = {1, 8, 4, 3, 0}, c2;
	size_t n = unet_param_count(&c);
	float *p = malloc(n * sizeof *p), *q;
	char dir[] = "/tmp/test_unet3d.XXXXXX", path[256], old[256];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/m.model", dir);
	snprintf(old, sizeof old, "%s/old.model", dir);
	unet_params_init(p, &c, 11);
	CHECK(model_save(path, &c, p) == 0);
	CHECK(model_load(path, &c2, &q) == 0);
	CHECK(c2.in_channels == 1 && c2.base == 8 && c2.depth == 4 && c2.dims == 3);
	CHECK(q && memcmp(p, q, n * sizeof *p) == 0);
	free(q);
	size_t len;
	unsigned char *b = (unsigned char *)read_whole(path, &len);
	CHECK(len == MODEL_HEADER_BYTES + 4 * n);
	CHECK(memcmp(b, "SLUNET3D\x01\0\0\0\x01\0\0\0\x08\0\0\0\x04\0\0\0", 24) == 0);
	CHECK(b[24] + 256 * b[25] + 65536 * b[26] == 1411769 && b[27] == 0 && b[28] == 0);
	free(b);

	/* a 2-D model file written by hand as before 3-D existed */
	struct unet_config c0 = {1, 2, 1, 2, 0};
	size_t n0 = unet_param_count(&c0);
	unsigned char h[MODEL_HEADER_BYTES + 4 * 512] = "SLUNET2D\x01\0\0\0\x01\0\0\0\x02\0\0\0\x01\0\0\0";
	CHECK(n0 == 431);
	h[24] = (unsigned char)(n0 & 255), h[25] = (unsigned char)(n0 >> 8);
	for (size_t i = 0; i < n0; i++) {
		float v = (float)i / 8;
		memcpy(h + MODEL_HEADER_BYTES + 4 * i, &v, 4);
	}
	write_bytes(old, h, MODEL_HEADER_BYTES + 4 * n0);
	CHECK(model_load(old, &c2, &q) == 0);
	CHECK(c2.dims == 2 && c2.base == 2 && c2.depth == 1 && q && q[n0 - 1] == (float)(n0 - 1) / 8);
	free(q);
	/* the same bytes with the 3-D magic need the 3-D count */
	memcpy(h, "SLUNET3D", 8);
	write_bytes(old, h, MODEL_HEADER_BYTES + 4 * n0);
	printf("expect one error:\n");
	CHECK(model_load(old, &c2, &q) == -1);
	free(p);
	unlink(path), unlink(old), rmdir(dir);
}

/* A volume's forward output does not depend on the batch it comes in, bit
 * for bit (3x3x3 convolution in both modes, up-convolution). */
static void batch_independent(int N, int C, int K, int Z, int H, int W)
{
	size_t v = (size_t)Z * H * W, p = N * v;
	float *in = rnd(C * p, 1), *w = rnd((size_t)27 * C * K, 0.3), *b = rnd(K, 0.1);
	float *one = malloc(C * v * sizeof *one), *out = malloc(8 * K * p * sizeof *out);
	float *o1 = malloc(8 * K * v * sizeof *o1);
	size_t sc = conv3d_scratch(N, C, K, Z, H, W) + 8 * K * p;
	float *col = malloc(sc * sizeof *col);
	for (int what = 1; what <= 3; what++) {
		int bad = 0;
		size_t plane = what == 3 ? 8 * v : v; /* a volume's floats per channel */
		conv3d_mode = what <= 2 ? what : 0;
		if (what <= 2)
			conv3d_relu_forward(out, col, in, w, b, N, C, K, Z, H, W);
		else
			upconv3d_forward(out, col, in, w, b, N, C, K, Z, H, W);
		for (int n = 0; n < N; n++) {
			for (int c = 0; c < C; c++)
				memcpy(one + c * v, in + c * p + n * v, v * sizeof *one);
			if (what <= 2)
				conv3d_relu_forward(o1, col, one, w, b, 1, C, K, Z, H, W);
			else
				upconv3d_forward(o1, col, one, w, b, 1, C, K, Z, H, W);
			for (int k = 0; k < K; k++)
				bad += memcmp(o1 + k * plane, out + ((size_t)k * N + n) * plane,
				              plane * sizeof *o1) != 0;
		}
		if (bad)
			fprintf(stderr, "3-D batch_independent %d: %d planes differ\n", what, bad);
		CHECK(bad == 0);
	}
	conv3d_mode = 0;
	free(in), free(w), free(b), free(one), free(out), free(o1), free(col);
}

int main(void)
{
	progname = "test_unet3d";
	rng_seed(&R, 42);
	tpool_start(2); /* two replicas really run side by side */
	struct unet_config c1 = {1, 8, 4, 3, 0}, c4 = {4, 8, 4, 3, 0};
	printf("3-D parameters: %zu (1 channel), %zu (4 channels)\n", unet_param_count(&c1),
	       unet_param_count(&c4));
	CHECK(unet_param_count(&c1) == 1411769);
	CHECK(unet_param_count(&c4) == 1412417);
	/* the layer table ends in the same total */
	char buf[8192] = "";
	FILE *f = fmemopen(buf, sizeof buf - 1, "w");
	unet_summary(f, &c1);
	fclose(f);
	CHECK(strstr(buf, "total parameters: 1411769\n") != NULL);
	CHECK(strstr(buf, "enc0_conv3x3x3_a") != NULL && strstr(buf, "dec3_upconv2x2x2") != NULL);
	printf("forward GFLOP per 32x32x32 volume: %.3f\n",
	       unet_forward_flops_vol(&c1, 32, 32, 32) / 1e9);
	CHECK(unet_check_volume(&c1, 48, 32, 32) == 0);
	printf("expect three errors:\n");
	CHECK(unet_check_volume(&c1, 40, 32, 32) == -1);
	struct unet u;
	struct unet_config c2d = {1, 8, 4, 2, 0};
	CHECK(unet_create_vol(&u, &c2d, 1, 16, 16, 16, 0, 1) == -1);
	struct unet_config bad = {1, 8, 4, 5, 0};
	CHECK(unet_config_check(&bad) == -1);

	for (int m = 1; m <= 2; m++) {
		conv_vs_naive(m, 2, 3, 4, 4, 5, 6, 0);
		conv_vs_naive(m, 1, 2, 3, 3, 4, 5, 1);
		conv_vs_naive(m, 2, 2, 2, 2, 3, 2, 3);
		conv_vs_naive(m, 1, 5, 3, 1, 1, 7, 2);
		conv_vs_naive(m, 1, 3, 2, 9, 2, 19, 0);
	}
	double worst = 0;
	worst = fmax(worst, check_layer("conv3d", CONV, 2, 3, 2, 3, 4, 5));
	worst = fmax(worst, check_layer("upconv3d", UPCONV, 2, 3, 2, 2, 2, 3));
	worst = fmax(worst, check_layer("maxpool3d", POOL, 2, 2, 1, 4, 4, 6));
	printf("3-D layers: worst relative error %.2e\n", worst);
	CHECK(worst < 1e-3);
	batch_independent(5, 48, 32, 4, 6, 10);
	known_answers();
	net_gradcheck();
	overfit();
	model_files();
	return CHECK_DONE();
}
