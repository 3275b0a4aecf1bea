/* predict.c: 2-D and 3-D prediction with test-time flips (predict.h). */
#include "predict.h"

#include "classes.h"
#include "layers.h"
#include "util.h"

#include <stdlib.h>
#include <math.h>
#include <string.h>

void predictor_init(struct predictor *p, const struct unet_config *cfg, const float *params,
                    const char *model)
{
	memset(p, 0, sizeof *p);
	p->cfg = *cfg;
	p->params = params;
	p->model = model;
	p->batch = 16;
}

void predictor_free(struct predictor *p)
{
	if (p->have_net)
		unet_free(&p->u);
	p->have_net = 0;
}

/* A network for batches of B items of depth Z (1: slices) of H x W, made
 * again only when the size changes. 0 or -1. */
static int need_net(struct predictor *p, int B, int Z, int H, int W)
{
	struct unet *u = &p->u;
	if (p->have_net && u->Z == Z && u->H == H && u->W == W)
		return 0;
	predictor_free(p);
	if (unet_create_vol(u, &p->cfg, B, Z, H, W, 0, 0))
		return -1;
	memcpy(u->params, p->params, u->nparams * sizeof(float));
	p->have_net = 1;
	return 0;
}

/* dst = src mirrored along x (fx) and/or y (fy), over planes of H x W
 * (distinct buffers). A flip is its own inverse. */
static void flip_planes(float *dst, const float *src, size_t planes, int H, int W, int fx, int fy)
{
	for (size_t p = 0; p < planes; p++)
		for (int y = 0; y < H; y++) {
			const float *s = src + (p * H + (fy ? H - 1 - y : y)) * W;
			float *d = dst + (p * H + y) * W;
			for (int x = 0; x < W; x++)
				d[x] = s[fx ? W - 1 - x : x];
		}
}

/* The probabilities of the logits of the last forward pass of u (nb items)
 * into p in the logits' layout: the sigmoid of the first nv logits, or K >=
 * 3 classes: the softmax over each pixel's K channels, all of them (nv is
 * then nb K vox). */
static void activate(const struct unet *u, int nb, size_t nv, float *p)
{
	int K = unet_outputs(&u->cfg);
	size_t v = u->vox;
	if (K == 1) {
		for (size_t i = 0; i < nv; i++)
			p[i] = sigmoidf(u->a.logit[i]);
		return;
	}
	double q[256];
	for (int n = 0; n < nb; n++) {
		const float *z = u->a.logit + (size_t)n * K * v;
		float *d = p + (size_t)n * K * v;
		for (size_t i = 0; i < v; i++) {
			softmax_at(z + i, v, K, q);
			for (int k = 0; k < K; k++)
				d[k * v + i] = (float)q[k];
		}
	}
}

/* Probabilities of the first `out` planes of H x W of the probabilities
 * (activate) of one forward pass of nb items x (in planes of H x W in all)
 * into prob. With flip: the mean over the four flips (predict.h); xf holds
 * `in` planes, pf 5 * out planes. */
static void probs(struct unet *u, const float *x, int nb, size_t in, size_t out, int H, int W,
                  int flip, float *xf, float *pf, float *prob)
{
	size_t nv = out * H * W;
	if (!flip) {
		unet_forward(u, x, nb);
		activate(u, nb, nv, prob);
		return;
	}
	/* k = 0 as is, 1 flipped along x, 2 along y, 3 both; then (p0 + p1) +
	 * (p2 + p3): a flip of the input swaps the terms within or between the
	 * pairs, so a symmetric input gives an exactly symmetric mean */
	float *tmp = pf + 4 * nv;
	for (int k = 0; k < 4; k++) {
		if (k)
			flip_planes(xf, x, in, H, W, k & 1, k >> 1);
		unet_forward(u, k ? xf : x, nb);
		activate(u, nb, nv, tmp);
		flip_planes(pf + k * nv, tmp, out, H, W, k & 1, k >> 1);
	}
	for (size_t i = 0; i < nv; i++) {
		double a = (double)pf[i] + pf[nv + i], b = (double)pf[2 * nv + i] + pf[3 * nv + i];
		prob[i] = (float)((a + b) * 0.25);
	}
}

/* Copy n samples of s from sample `from` on into x as floats. */
static void get_samples(float *x, const struct slab *s, size_t from, size_t n)
{
	if (s->type == SLAB_F32)
		memcpy(x, (const float *)s->data + from, n * sizeof *x);
	else
		for (size_t i = 0; i < n; i++)
			x[i] = (float)slab_get(s, from + i);
}

/* 2-D: slices z0..z1-1, p->batch at a time. */
static int predict_slices(struct predictor *p, const struct slab *s, int z0, int z1, float *prob)
{
	int B = p->batch;
	int K = unet_outputs(&p->cfg);
	size_t m = (size_t)s->nx * s->ny, sl = m * s->nc;
	if (need_net(p, B, 1, s->ny, s->nx))
		return -1;
	float *x = xmalloc(B * sl * sizeof *x);
	float *xf = p->flip ? xmalloc(B * sl * sizeof *xf) : NULL;
	float *pf = p->flip ? xmalloc(5 * B * K * m * sizeof *pf) : NULL;
	int rc = !x || (p->flip && (!xf || !pf)) ? -1 : 0;
	/* slice n's K channels together: the logits' layout is the slab's */
	for (int z = z0; rc == 0 && z < z1; z += B) {
		int n = z1 - z < B ? z1 - z : B;
		get_samples(x, s, z * sl, n * sl);
		probs(&p->u, x, n, (size_t)n * s->nc, (size_t)n * K, s->ny, s->nx, p->flip, xf, pf,
		      prob + z * K * m);
	}
	free(x), free(xf), free(pf);
	return rc;
}

/* 3-D: the whole volume, padded after its last slice to a multiple of 2^depth. */
static int predict_volume(struct predictor *p, const struct slab *s, float *prob)
{
	int mult = 1 << p->cfg.depth, Z = (s->nz + mult - 1) / mult * mult;
	int K = unet_outputs(&p->cfg);
	size_t hw = (size_t)s->nx * s->ny, nx = hw * s->nc * Z;
	if (need_net(p, 1, Z, s->ny, s->nx))
		return -1;
	float *x = xcalloc(nx, sizeof *x), *xf = p->flip ? xcalloc(nx, sizeof *xf) : NULL;
	/* K >= 3: all K Z planes ([K][Z] of the logits), then to the slab's [z][K] */
	size_t out = K == 1 ? (size_t)s->nz : (size_t)K * Z;
	float *pf = p->flip ? xmalloc(5 * out * hw * sizeof *pf) : NULL;
	float *all = K > 1 ? xmalloc(out * hw * sizeof *all) : NULL;
	int rc = !x || (p->flip && (!xf || !pf)) || (K > 1 && !all) ? -1 : 0;
	if (rc == 0) {
		get_samples(x, s, 0, hw * s->nc * s->nz);
		probs(&p->u, x, 1, (size_t)Z * s->nc, out, s->ny, s->nx, p->flip, xf, pf,
		      K > 1 ? all : prob);
		for (int z = 0; K > 1 && z < s->nz; z++)
			for (int k = 0; k < K; k++)
				memcpy(prob + ((size_t)z * K + k) * hw, all + ((size_t)k * Z + z) * hw,
				       hw * sizeof *prob);
	}
	free(x), free(xf), free(pf), free(all);
	return rc;
}

int predict_slab(struct predictor *p, const struct slab *s, int z0, int z1, struct slab *prob)
{
	const char *name = s->name[0] ? s->name : "(unnamed)";
	if (s->nc != p->cfg.in_channels)
		return error("case %s has %d channels, model '%s' takes %d", name, s->nc, p->model,
		             p->cfg.in_channels);
	if (z1 > s->nz)
		return error("slice range %d:%d outside the %d slices of case %s", z0, z1, s->nz, name);
	if (z0 < 0 || z0 >= z1)
		return error("empty slice range %d:%d for the %d slices of case %s", z0, z1, s->nz,
		             name);
	int K = unet_outputs(&p->cfg);
	if (unet_check_size(&p->cfg, s->ny, s->nx) ||
	    slab_alloc_like(prob, s, s->nx, s->ny, s->nz, K, SLAB_F32))
		return -1;
	if (K > 1) {
		struct classes k;
		classes_default(&k, K);
		if (classes_set(prob, &k)) {
			slab_free(prob);
			return -1;
		}
	} else {
		/* one channel, the foreground's: no classes keys an image may carry */
		slab_del_extra(prob, CLASSES_KEY);
		slab_del_extra(prob, CLASS_NAMES_KEY);
		slab_del_extra(prob, CLASS_VALUES_KEY);
	}
	float *pd = prob->data;
	size_t m = (size_t)s->nx * s->ny * K; /* values per z-slice */
	int rc = unet_dims(&p->cfg) == 3 ? predict_volume(p, s, pd)
	                                 : predict_slices(p, s, z0, z1, pd);
	if (rc) {
		slab_free(prob);
		return -1;
	}
	/* a 3-D model predicted every slice: keep the range */
	memset(pd, 0, z0 * m * sizeof *pd);
	memset(pd + z1 * m, 0, (s->nz - z1) * m * sizeof *pd);
	/* inputs far out of the training range (raw values near float's limit)
	 * overflow the network: say so rather than write NaN */
	for (size_t i = z0 * m; i < (size_t)z1 * m; i++)
		if (!isfinite(pd[i])) {
			slab_free(prob);
			return error("case %s: the network's output is not finite at slice %zu (input "
			             "values far too large; standardise them)", name, i / m);
		}
	return 0;
}

int predict_argmax(const struct slab *prob, struct slab *labels)
{
	int K = prob->nc;
	if (classes_of_prob(prob, NULL, "probabilities"))
		return -1;
	if (K == 2)
		return error("probabilities of 2 channels: want 1 (binary) or 3 or more: '%d'", K);
	/* the CLASSES keys come with the header */
	if (slab_alloc_like(labels, prob, prob->nx, prob->ny, prob->nz, 1, SLAB_U8))
		return -1;
	if (K > 1) {
		classes_argmax_raw(prob->data, (size_t)prob->nx * prob->ny, prob->nz, K, labels->data);
		return 0;
	}
	const float *p = prob->data;
	uint8_t *l = labels->data;
	for (size_t i = 0, n = slab_count(prob); i < n; i++)
		l[i] = p[i] >= 0.5f;
	return 0;
}
