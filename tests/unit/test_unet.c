/* The network: parameter counts of the paper's configurations, a
 * finite-difference check of every parameter tensor of a small network,
 * a tiny network overfitting a fixed batch, and the model file. */
#include "check.h"
#include "gradcheck.h"
#include "layers.h"
#include "model.h"
#include "unet.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The network with every ReLU decision and max-pool choice frozen at those
 * of a base point. Around that point the real network IS this function
 * (a ReLU network is piecewise linear in each weight), and this one is
 * smooth: with a loss linear in the logits it is affine in each single
 * weight, so central differences are exact up to rounding even for a large
 * step h. Uses the weights in u->p, the base activations in u->a, and b's
 * buffers for its own activations. */
static void frelu(float *x, const float *base, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = base[i] > 0 ? x[i] : 0;
}

static void fpool(float *out, const float *in, const float *base, size_t planes, int H, int W)
{
	for (size_t q = 0; q < planes; q++)
		for (int y = 0; y < H; y += 2)
			for (int x = 0; x < W; x += 2) {
				size_t i = q * H * W + (size_t)y * W + x, c[4] = {i, i + 1, i + W, i + W + 1};
				size_t best = c[0];
				for (int k = 1; k < 4; k++)
					if (base[c[k]] > base[best])
						best = c[k];
				out[q * (H / 2) * (W / 2) + (y / 2) * (W / 2) + x / 2] = in[best];
			}
}

static void frozen_forward(struct unet *b, const struct unet *u)
{
	const struct unet_config *c = &u->cfg;
	const struct unet_params *p = &u->p;
	const struct unet_acts *s = &u->a;
	struct unet_acts *a = &b->a;
	int N = u->N, H = u->H, W = u->W, D = c->depth;
	const float *x = s->x;
	int cin = c->in_channels;
	for (int l = 0; l <= D; l++) {
		int hl = H >> l, wl = W >> l, f = c->base << l;
		size_t n = (size_t)f * N * hl * wl;
		conv3x3_forward(a->enc[l][0], b->scratch, x, p->enc_w[l][0], p->enc_b[l][0], N, cin, f, hl, wl);
		frelu(a->enc[l][0], s->enc[l][0], n);
		conv3x3_forward(a->enc[l][1], b->scratch, a->enc[l][0], p->enc_w[l][1], p->enc_b[l][1], N, f, f, hl, wl);
		frelu(a->enc[l][1], s->enc[l][1], n);
		if (l < D) {
			fpool(a->pool[l], a->enc[l][1], s->enc[l][1], (size_t)f * N, hl, wl);
			x = a->pool[l], cin = f;
		}
	}
	const float *up = a->enc[D][1];
	for (int l = D - 1; l >= 0; l--) {
		int hl = H >> l, wl = W >> l, f = c->base << l;
		size_t n = (size_t)f * N * hl * wl;
		upconv2x2_forward(a->cat[l], b->scratch, up, p->up_w[l], p->up_b[l], N, 2 * f, f, hl / 2, wl / 2);
		conv3x3_forward(a->dec[l][0], b->scratch, a->cat[l], p->dec_w[l][0], p->dec_b[l][0], N, 2 * f, f, hl, wl);
		frelu(a->dec[l][0], s->dec[l][0], n);
		conv3x3_forward(a->dec[l][1], b->scratch, a->dec[l][0], p->dec_w[l][1], p->dec_b[l][1], N, f, f, hl, wl);
		frelu(a->dec[l][1], s->dec[l][1], n);
		up = a->dec[l][1];
	}
	conv1x1_forward(a->logit, a->dec[0][1], p->out_w, p->out_b, N * H * W, c->base, 1);
}

struct netctx {
	struct unet *u, *b;
	const float *r; /* loss = sum r * logit */
};

static double net_loss(void *ctx, int *ok)
{
	struct netctx *c = ctx;
	double s = 0;
	frozen_forward(c->b, c->u);
	for (size_t i = 0; i < (size_t)c->u->N * c->u->H * c->u->W; i++)
		s += (double)c->r[i] * c->b->a.logit[i];
	*ok = 1;
	return s;
}

static const char *tensor_name(const struct unet *u, const float *g, char *buf, size_t n)
{
	const struct unet_params *p = &u->g;
	for (int l = 0; l <= u->cfg.depth; l++)
		for (int j = 0; j < 2; j++) {
			if (g == p->enc_w[l][j]) return snprintf(buf, n, "enc%d.conv%d.w", l, j), buf;
			if (g == p->enc_b[l][j]) return snprintf(buf, n, "enc%d.conv%d.b", l, j), buf;
			if (l < u->cfg.depth && g == p->dec_w[l][j]) return snprintf(buf, n, "dec%d.conv%d.w", l, j), buf;
			if (l < u->cfg.depth && g == p->dec_b[l][j]) return snprintf(buf, n, "dec%d.conv%d.b", l, j), buf;
			if (l < u->cfg.depth && j == 0 && g == p->up_w[l]) return snprintf(buf, n, "dec%d.up.w", l), buf;
			if (l < u->cfg.depth && j == 0 && g == p->up_b[l]) return snprintf(buf, n, "dec%d.up.b", l), buf;
		}
	if (g == p->out_w) return "out.w";
	if (g == p->out_b) return "out.b";
	return "?";
}

/* Finite differences of the whole network (every parameter tensor). One
 * thread: frozen_forward reads u.a, which only a single-threaded network fills. */
static void net_gradcheck(void)
{
	struct unet_config cfg = {2, 3, 2, 2, 0};
	struct unet u, b;
	int N = 2, H = 8, W = 12;
	size_t P = (size_t)H * W;
	struct rng r;
	CHECK(unet_create_threads(&u, &cfg, 3, H, W, 1, 1) == 0);
	CHECK(unet_create_threads(&b, &cfg, 3, H, W, 0, 1) == 0);
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
	unet_forward(&b, in, N); /* lays out b's buffers for N */
	struct netctx c = {&u, &b, rr};
	int ok;
	net_loss(&c, &ok);
	CHECK(memcmp(b.a.logit, u.a.logit, N * P * sizeof(float)) == 0); /* same function */
	unet_zero_grad(&u);
	memcpy(u.d.logit, rr, N * P * sizeof(float));
	unet_backward(&u);

	/* the tensors in layout order */
	const float *ptrs[256];
	int np = 0;
	for (int l = 0; l <= cfg.depth; l++)
		for (int j = 0; j < 2; j++)
			ptrs[np++] = u.g.enc_w[l][j], ptrs[np++] = u.g.enc_b[l][j];
	for (int l = cfg.depth - 1; l >= 0; l--) {
		ptrs[np++] = u.g.up_w[l], ptrs[np++] = u.g.up_b[l];
		for (int j = 0; j < 2; j++)
			ptrs[np++] = u.g.dec_w[l][j], ptrs[np++] = u.g.dec_b[l][j];
	}
	ptrs[np++] = u.g.out_w, ptrs[np++] = u.g.out_b;
	ptrs[np] = u.grads + u.nparams;
	CHECK(ptrs[0] == u.grads);
	double worst = 0;
	for (int t = 0; t < np; t++) {
		char name[64];
		size_t off = (size_t)(ptrs[t] - u.grads), n = (size_t)(ptrs[t + 1] - ptrs[t]);
		double e = gc_tensor(tensor_name(&u, ptrs[t], name, sizeof name), u.params + off,
		                     ptrs[t], n, 60, 4.0f, net_loss, &c);
		worst = fmax(worst, e);
	}
	printf("whole network: worst relative error %.2e over %d tensors\n", worst, np);
	CHECK(worst < 1e-3);
	free(in), free(rr);
	unet_free(&u), unet_free(&b);
}

/* A tiny network, plain gradient descent with RMSprop, one fixed batch. */
static void overfit(void)
{
	struct unet_config cfg = {1, 4, 2, 2, 0};
	struct unet u;
	int N = 4, H = 16, W = 16;
	size_t P = (size_t)H * W, n;
	struct rng r;
	CHECK(unet_create(&u, &cfg, N, H, W, 1) == 0);
	unet_params_init(u.params, &cfg, 1);
	float *in = malloc(N * P * sizeof *in), *ms = calloc(u.nparams, sizeof(float));
	uint8_t *mask = malloc(N * P);
	rng_seed(&r, 5);
	for (int s = 0; s < N; s++) /* a bright disc on noise is the foreground */
		for (int y = 0; y < H; y++)
			for (int x = 0; x < W; x++) {
				int cx = 4 + 2 * s, cy = 8, d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
				size_t i = s * P + y * W + x;
				mask[i] = d2 <= 9 + s;
				in[i] = (float)(mask[i] + 0.3 * rng_normal(&r));
				if ((x + y) % 7 == 0)
					mask[i] = 255;
			}
	double first = 0, last = 0;
	for (int it = 0; it < 400; it++) {
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
	printf("overfit: loss %.3g -> %.3g after 400 steps\n", first, last);
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
	struct unet_config c = {4, 8, 4, 2, 0}, c2;
	size_t n = unet_param_count(&c);
	float *p = malloc(n * sizeof *p), *q;
	char dir[] = "/tmp/test_unet.XXXXXX", path[256], bad[256];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/m.model", dir);
	snprintf(bad, sizeof bad, "%s/bad.model", dir);
	unet_params_init(p, &c, 11);
	CHECK(model_save(path, &c, p) == 0);
	CHECK(model_load(path, &c2, &q) == 0);
	CHECK(c2.in_channels == 4 && c2.base == 8 && c2.depth == 4);
	CHECK(q && memcmp(p, q, n * sizeof *p) == 0);
	free(q);

	size_t len;
	unsigned char *b = (unsigned char *)read_whole(path, &len);
	CHECK(len == MODEL_HEADER_BYTES + 4 * n);
	CHECK(memcmp(b, "SLUNET2D\x01\0\0\0\x04\0\0\0\x08\0\0\0\x04\0\0\0", 24) == 0);
	CHECK(b[24] + 256 * b[25] + 65536 * b[26] == 485889 && b[27] == 0 && b[28] == 0);
	printf("expect six errors:\n");
	write_bytes(bad, b, len - 1); /* truncated */
	CHECK(model_load(bad, &c2, &q) == -1 && q == NULL);
	write_bytes(bad, b, 20); /* truncated header */
	CHECK(model_load(bad, &c2, &q) == -1);
	b[8] = 2; /* another version */
	write_bytes(bad, b, len);
	CHECK(model_load(bad, &c2, &q) == -1);
	b[8] = 1, b[0] = 'X'; /* not a model */
	write_bytes(bad, b, len);
	CHECK(model_load(bad, &c2, &q) == -1);
	b[0] = 'S', b[24]++; /* count does not match */
	write_bytes(bad, b, len);
	CHECK(model_load(bad, &c2, &q) == -1);
	b[24]--;
	memcpy(b + MODEL_HEADER_BYTES + 40, "\x00\x00\xc0\x7f", 4); /* NaN */
	write_bytes(bad, b, len);
	CHECK(model_load(bad, &c2, &q) == -1);
	CHECK(model_load("/nonexistent/m.model", &c2, &q) == -1);
	free(b), free(p);
	unlink(path), unlink(bad), rmdir(dir);
}

int main(void)
{
	progname = "test_unet";
	struct unet_config c1 = {1, 8, 4, 2, 0}, c4 = {4, 8, 4, 2, 0};
	printf("parameters: %zu (1 channel), %zu (4 channels)\n", unet_param_count(&c1),
	       unet_param_count(&c4));
	CHECK(unet_param_count(&c1) == 485673);
	CHECK(unet_param_count(&c4) == 485889);
	printf("forward MFLOP per slice: %.2f (32x32), %.2f (96x96), %.2f (176x144x4)\n",
	       unet_forward_flops(&c1, 32, 32) / 1e6, unet_forward_flops(&c1, 96, 96) / 1e6,
	       unet_forward_flops(&c4, 176, 144) / 1e6);
	CHECK(fabs(3 * unet_forward_flops(&c1, 32, 32) / 1e6 - 71.0) < 0.71);
	CHECK(fabs(3 * unet_forward_flops(&c1, 96, 96) / 1e6 - 639.4) < 6.4);
	CHECK(fabs(3 * unet_forward_flops(&c4, 176, 144) / 1e6 - 1780.1) < 17.8);
	CHECK(unet_check_size(&c1, 32, 48) == 0);
	CHECK(unet_check_size(&c1, 32, 40) == -1);
	net_gradcheck();
	overfit();
	model_files();
	return CHECK_DONE();
}
