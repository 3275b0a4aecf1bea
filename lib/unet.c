/* unet.c: the 2-D U-Net built from layers.c, and the same network in 3-D
 * built from layers3d.c. */
#include "unet.h"

#include "kernels.h"
#include "layers.h"
#include "layers3d.h"
#include "tpool.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define F(c, l) ((c)->base << (l))
/* weights per input and output channel of a convolution, an up-convolution */
#define TAPS(c) (unet_dims(c) == 3 ? 27 : 9)
#define UTAPS(c) (unet_dims(c) == 3 ? 8 : 4)

int unet_dims(const struct unet_config *c)
{
	return c->dims == 3 ? 3 : 2;
}

int unet_outputs(const struct unet_config *c)
{
	return c->classes >= 3 ? c->classes : 1;
}

int unet_classes(const struct unet_config *c)
{
	return c->classes >= 3 ? c->classes : 2;
}

int unet_config_explain(const struct unet_config *c, char *buf, size_t n)
{
	if (c->in_channels < 1 || c->in_channels > 64)
		snprintf(buf, n, "unsupported number of input channels: '%d' (1..64)", c->in_channels);
	else if (c->base < 1 || c->base > 256)
		snprintf(buf, n, "unsupported filter base: '%d' (1..256)", c->base);
	else if (c->depth < 1 || c->depth > UNET_MAX_DEPTH)
		snprintf(buf, n, "unsupported depth: '%d' (1..%d)", c->depth, UNET_MAX_DEPTH);
	else if (c->dims != 0 && c->dims != 2 && c->dims != 3)
		snprintf(buf, n, "unsupported dimensionality: '%d' (2 or 3)", c->dims);
	else if (c->classes != 0 && (c->classes < 2 || c->classes > 255))
		snprintf(buf, n, "unsupported number of classes: '%d' (2..255)", c->classes);
	else if ((size_t)c->base << c->depth > 4096)
		snprintf(buf, n, "too many filters: base %d, depth %d", c->base, c->depth);
	else
		return 0;
	return -1;
}

int unet_config_check(const struct unet_config *c)
{
	char why[128];
	return unet_config_explain(c, why, sizeof why) ? error("%s", why) : 0;
}

/* Walk the parameter tensors in file order: call f(p, field, count) with
 * the address of each pointer field and its size. */
static size_t layout(struct unet_params *p, const struct unet_config *c, float *mem)
{
	struct unet_params dummy;
	size_t off = 0, T = TAPS(c), U = UTAPS(c);
	if (!p)
		p = &dummy;
#define TAKE(field, n) do { (field) = mem ? mem + off : NULL; off += (size_t)(n); } while (0)
	for (int l = 0; l <= c->depth; l++) {
		int cin = l ? F(c, l - 1) : c->in_channels, f = F(c, l);
		TAKE(p->enc_w[l][0], (size_t)f * cin * T);
		TAKE(p->enc_b[l][0], f);
		TAKE(p->enc_w[l][1], (size_t)f * f * T);
		TAKE(p->enc_b[l][1], f);
	}
	for (int l = c->depth - 1; l >= 0; l--) {
		int f = F(c, l);
		TAKE(p->up_w[l], (size_t)F(c, l + 1) * f * U);
		TAKE(p->up_b[l], f);
		TAKE(p->dec_w[l][0], (size_t)f * 2 * f * T);
		TAKE(p->dec_b[l][0], f);
		TAKE(p->dec_w[l][1], (size_t)f * f * T);
		TAKE(p->dec_b[l][1], f);
	}
	TAKE(p->out_w, (size_t)unet_outputs(c) * F(c, 0));
	TAKE(p->out_b, unet_outputs(c));
#undef TAKE
	return off;
}

size_t unet_param_count(const struct unet_config *c)
{
	return layout(NULL, c, NULL);
}

void unet_params_point(struct unet_params *p, const struct unet_config *c, float *mem)
{
	layout(p, c, mem);
}

/* Glorot uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)). */
static void glorot(float *w, size_t n, double fan_in, double fan_out, struct rng *r)
{
	double a = sqrt(6.0 / (fan_in + fan_out));
	for (size_t i = 0; i < n; i++)
		w[i] = (float)((2 * rng_uniform(r) - 1) * a);
}

void unet_params_init(float *mem, const struct unet_config *c, uint64_t seed)
{
	struct unet_params p;
	struct rng r;
	size_t T = TAPS(c), U = UTAPS(c);
	memset(mem, 0, unet_param_count(c) * sizeof *mem);
	unet_params_point(&p, c, mem);
	rng_seed(&r, seed);
	for (int l = 0; l <= c->depth; l++) {
		int cin = l ? F(c, l - 1) : c->in_channels, f = F(c, l);
		glorot(p.enc_w[l][0], (size_t)f * cin * T, (double)cin * T, (double)f * T, &r);
		glorot(p.enc_w[l][1], (size_t)f * f * T, (double)f * T, (double)f * T, &r);
	}
	for (int l = c->depth - 1; l >= 0; l--) {
		int f = F(c, l);
		glorot(p.up_w[l], (size_t)F(c, l + 1) * f * U, (double)F(c, l + 1) * U,
		       (double)f * U, &r);
		glorot(p.dec_w[l][0], (size_t)f * 2 * f * T, 2.0 * f * T, (double)f * T, &r);
		glorot(p.dec_w[l][1], (size_t)f * f * T, (double)f * T, (double)f * T, &r);
	}
	glorot(p.out_w, (size_t)unet_outputs(c) * F(c, 0), F(c, 0), unet_outputs(c), &r);
}

static void row(FILE *f, int d3, const char *name, int l, int ch, size_t n, size_t *total)
{
	char shape[64];
	if (d3 && l)
		snprintf(shape, sizeof shape, "Z/%d x H/%d x W/%d x %d", 1 << l, 1 << l, 1 << l, ch);
	else if (d3)
		snprintf(shape, sizeof shape, "Z x H x W x %d", ch);
	else if (l)
		snprintf(shape, sizeof shape, "H/%d x W/%d x %d", 1 << l, 1 << l, ch);
	else
		snprintf(shape, sizeof shape, "H x W x %d", ch);
	fprintf(f, "%-*s %-*s %10zu\n", d3 ? 24 : 22, name, d3 ? 28 : 22, shape, n);
	*total += n;
}

void unet_summary(FILE *f, const struct unet_config *c)
{
	size_t t = 0, T = TAPS(c), U = UTAPS(c);
	char name[64];
	int d3 = unet_dims(c) == 3;
	const char *k3 = d3 ? "3x3x3" : "3x3", *k2 = d3 ? "2x2x2" : "2x2", *k1 = d3 ? "1x1x1" : "1x1";
	fprintf(f, "%-*s %-*s %10s\n", d3 ? 24 : 22, "layer", d3 ? 28 : 22, "output shape", "params");
	row(f, d3, "input", 0, c->in_channels, 0, &t);
	for (int l = 0; l <= c->depth; l++) {
		int cin = l ? F(c, l - 1) : c->in_channels, fl = F(c, l);
		const char *what = l == c->depth ? "bottleneck" : "enc";
		if (l) {
			snprintf(name, sizeof name, "maxpool%d", l - 1);
			row(f, d3, name, l, cin, 0, &t);
		}
		snprintf(name, sizeof name, "%s%d_conv%s_a", what, l, k3);
		row(f, d3, name, l, fl, (size_t)fl * cin * T + fl, &t);
		snprintf(name, sizeof name, "%s%d_conv%s_b", what, l, k3);
		row(f, d3, name, l, fl, (size_t)fl * fl * T + fl, &t);
	}
	for (int l = c->depth - 1; l >= 0; l--) {
		int fl = F(c, l);
		snprintf(name, sizeof name, "dec%d_upconv%s", l, k2);
		row(f, d3, name, l, fl, (size_t)F(c, l + 1) * fl * U + fl, &t);
		snprintf(name, sizeof name, "dec%d_concat", l);
		row(f, d3, name, l, 2 * fl, 0, &t);
		snprintf(name, sizeof name, "dec%d_conv%s_a", l, k3);
		row(f, d3, name, l, fl, (size_t)fl * 2 * fl * T + fl, &t);
		snprintf(name, sizeof name, "dec%d_conv%s_b", l, k3);
		row(f, d3, name, l, fl, (size_t)fl * fl * T + fl, &t);
	}
	snprintf(name, sizeof name, "out_conv%s", k1);
	int K = unet_outputs(c);
	row(f, d3, name, 0, K, (size_t)K * F(c, 0) + K, &t);
	row(f, d3, K > 1 ? "softmax" : "sigmoid", 0, K, 0, &t);
	fprintf(f, "total parameters: %zu\n", t);
}

int unet_check_size(const struct unet_config *c, int H, int W)
{
	int m = 1 << c->depth;
	if (H < m || W < m || H % m || W % m)
		return error("slice size %dx%d is not a multiple of %d (the network pools %d times): "
		             "crop or resize the data", W, H, m, c->depth);
	return 0;
}

int unet_check_volume(const struct unet_config *c, int Z, int H, int W)
{
	int m = 1 << c->depth;
	if (unet_check_size(c, H, W))
		return -1;
	if (Z < m || Z % m)
		return error("volume depth %d is not a multiple of %d (the network pools %d times)", Z,
		             m, c->depth);
	return 0;
}

/* The depth of level l of a network on volumes of depth Z (Z for 2-D). */
static int zlev(const struct unet_config *c, int Z, int l)
{
	return unet_dims(c) == 3 ? Z >> l : Z;
}

/* Point the activation pointers of a batch of N slices (or volumes of
 * depth Z) into mem; returns the floats used. With mem NULL, only counts. */
static size_t acts_layout(struct unet_acts *a, const struct unet_config *c, int N, int Z,
                          int H, int W, float *mem)
{
	size_t off = 0;
#define TAKE(field, n) do { (field) = mem ? mem + off : NULL; off += (size_t)(n); } while (0)
	TAKE(a->x, (size_t)c->in_channels * N * Z * H * W);
	for (int l = 0; l <= c->depth; l++) {
		size_t plane = (size_t)N * zlev(c, Z, l) * (H >> l) * (W >> l), f = F(c, l);
		TAKE(a->enc[l][0], f * plane);
		if (l < c->depth) {
			TAKE(a->cat[l], 2 * f * plane);
			a->enc[l][1] = mem ? a->cat[l] + f * plane : NULL;
			TAKE(a->pool[l], f * N * zlev(c, Z, l + 1) * (H >> (l + 1)) * (W >> (l + 1)));
			TAKE(a->dec[l][0], f * plane);
			TAKE(a->dec[l][1], f * plane);
		} else {
			TAKE(a->enc[l][1], f * plane);
		}
	}
	TAKE(a->logit, (size_t)unet_outputs(c) * N * Z * H * W);
	a->lcn = NULL;
	if (unet_outputs(c) > 1)
		TAKE(a->lcn, (size_t)unet_outputs(c) * N * Z * H * W);
#undef TAKE
	return off;
}

static size_t scratch_size(const struct unet_config *c, int B, int Z, int H, int W)
{
	size_t m = 0;
	for (int l = 0; l <= c->depth; l++) {
		int cin = l ? F(c, l - 1) : c->in_channels, hl = H >> l, wl = W >> l;
		int zl = zlev(c, Z, l), f = F(c, l);
		/* the convolutions, and the up-convolution's product */
		size_t s[4];
		if (unet_dims(c) == 3) {
			s[0] = conv3d_scratch(B, cin, f, zl, hl, wl);
			s[1] = conv3d_scratch(B, f, f, zl, hl, wl);
			s[2] = l < c->depth ? conv3d_scratch(B, 2 * f, f, zl, hl, wl) : 0;
		} else {
			s[0] = conv3x3_scratch(B, cin, f, hl, wl);
			s[1] = conv3x3_scratch(B, f, f, hl, wl);
			s[2] = l < c->depth ? conv3x3_scratch(B, 2 * f, f, hl, wl) : 0;
		}
		s[3] = (size_t)f * B * zl * hl * wl;
		for (int i = 0; i < 4; i++)
			if (s[i] > m)
				m = s[i];
	}
	return m;
}

/* One network on one thread; params NULL: allocate them, else share. */
/* Check the configuration and the sizes: Z is 1 for 2-D. */
static int check_all(const struct unet_config *c, int Z, int H, int W)
{
	if (unet_config_check(c))
		return -1;
	if (unet_dims(c) == 2 && Z != 1)
		return error("a 2-D network takes slices, not volumes of depth %d", Z);
	return unet_dims(c) == 3 ? unet_check_volume(c, Z, H, W) : unet_check_size(c, H, W);
}

static int create1(struct unet *u, const struct unet_config *c, int B, int Z, int H, int W,
                   int train, float *params)
{
	memset(u, 0, sizeof *u);
	if (check_all(c, Z, H, W))
		return -1;
	u->cfg = *c;
	u->B = B, u->Z = Z, u->H = H, u->W = W, u->train = train, u->nrep = 1;
	u->vox = (size_t)Z * H * W;
	u->nparams = unet_param_count(c);
	u->shared = params != NULL;
	size_t na = acts_layout(&u->a, c, B, Z, H, W, NULL);
	if (!(u->params = params ? params : xcalloc(u->nparams, sizeof(float))) ||
	    !(u->act_mem = xmalloc(na * sizeof(float))) ||
	    !(u->scratch = xmalloc(scratch_size(c, B, Z, H, W) * sizeof(float))))
		goto fail;
	if (train && (!(u->grads = xcalloc(u->nparams, sizeof(float))) ||
	              !(u->dact_mem = xcalloc(na, sizeof(float)))))
		goto fail;
	unet_params_point(&u->p, c, u->params);
	if (train)
		unet_params_point(&u->g, c, u->grads);
	return 0;
fail:
	unet_free(u);
	return -1;
}

int unet_create_vol(struct unet *u, const struct unet_config *c, int B, int Z, int H, int W,
                    int train, int threads)
{
	if (threads <= 0)
		threads = tpool_size();
	int T = threads < B ? threads : B;
	if (T <= 1)
		return create1(u, c, B, Z, H, W, train, NULL);
	/* the parameters, gradients and logits here; activations in replicas */
	memset(u, 0, sizeof *u);
	if (check_all(c, Z, H, W))
		return -1;
	u->cfg = *c;
	u->B = B, u->Z = Z, u->H = H, u->W = W, u->train = train, u->nrep = T;
	u->vox = (size_t)Z * H * W;
	u->nparams = unet_param_count(c);
	size_t hw = u->vox;
	if (!(u->params = xcalloc(u->nparams, sizeof(float))) ||
	    !(u->rep = xcalloc(T, sizeof *u->rep)) ||
	    !(u->act_mem = xmalloc(2 * B * hw * unet_outputs(c) * sizeof(float))))
		goto fail;
	if (train && !(u->grads = xcalloc(u->nparams, sizeof(float))))
		goto fail;
	u->a.logit = u->act_mem, u->d.logit = u->act_mem + B * hw * unet_outputs(c);
	unet_params_point(&u->p, c, u->params);
	if (train)
		unet_params_point(&u->g, c, u->grads);
	for (int t = 0; t < T; t++)
		if (create1(&u->rep[t], c, (B + T - 1) / T, Z, H, W, train, u->params))
			goto fail;
	return 0;
fail:
	unet_free(u);
	return -1;
}

int unet_create_threads(struct unet *u, const struct unet_config *c, int B, int H, int W,
                        int train, int threads)
{
	return unet_create_vol(u, c, B, 1, H, W, train, threads < 1 ? 1 : threads);
}

int unet_create(struct unet *u, const struct unet_config *c, int B, int H, int W, int train)
{
	return unet_create_threads(u, c, B, H, W, train, tpool_size());
}

void unet_free(struct unet *u)
{
	if (u->rep)
		for (int t = 0; t < u->nrep; t++)
			unet_free(&u->rep[t]);
	if (!u->shared)
		free(u->params);
	free(u->rep), free(u->grads), free(u->act_mem), free(u->dact_mem), free(u->scratch);
	memset(u, 0, sizeof *u);
}

void unet_zero_grad(struct unet *u)
{
	memset(u->grads, 0, u->nparams * sizeof(float));
}

/* The share of replica t in a batch of N: slices [*n0, *n0 + return). */
static int share(int N, int T, int t, int *n0)
{
	int q = N / T, r = N % T;
	*n0 = t * q + (t < r ? t : r);
	return q + (t < r);
}

static void forward1(struct unet *u, const float *in, int N);
static void backward1(struct unet *u);

struct job {
	struct unet *u;
	const float *in;
	int N;
};

static void forward_job(void *arg, int t)
{
	struct job *j = arg;
	struct unet *u = j->u, *r = &u->rep[t];
	size_t hw = u->vox * unet_outputs(&u->cfg);
	int n0, n = t < u->nrep ? share(j->N, u->nrep, t, &n0) : 0;
	if (n <= 0)
		return;
	forward1(r, j->in + (size_t)n0 * u->cfg.in_channels * u->vox, n);
	memcpy(u->a.logit + n0 * hw, r->a.logit, n * hw * sizeof(float));
}

static void backward_job(void *arg, int t)
{
	struct job *j = arg;
	struct unet *u = j->u, *r = &u->rep[t];
	size_t hw = u->vox * unet_outputs(&u->cfg);
	int n0, n = t < u->nrep ? share(u->N, u->nrep, t, &n0) : 0;
	if (n <= 0)
		return;
	memcpy(r->d.logit, u->d.logit + n0 * hw, n * hw * sizeof(float));
	unet_zero_grad(r);
	backward1(r);
}

/* u->grads += the replicas' gradients, each thread a range of parameters,
 * summed in replica order (the same result for every thread count). */
static void reduce_job(void *arg, int t)
{
	struct job *j = arg;
	struct unet *u = j->u;
	int T = tpool_size(), i0;
	int n = share((int)u->nparams, T, t, &i0); /* nparams < 2^31 */
	for (int r = 0; r < u->nrep; r++) {
		int r0;
		if (share(u->N, u->nrep, r, &r0) > 0)
			vec_add(u->grads + i0, u->rep[r].grads + i0, (size_t)n);
	}
}

void unet_forward(struct unet *u, const float *in, int N)
{
	struct job j = {u, in, N};
	if (u->nrep == 1) {
		forward1(u, in, N);
		return;
	}
	u->N = N;
	tpool_run(forward_job, &j);
}

void unet_backward(struct unet *u)
{
	struct job j = {u, NULL, u->N};
	if (u->nrep == 1) {
		backward1(u);
		return;
	}
	tpool_run(backward_job, &j);
	tpool_run(reduce_job, &j);
}

/* The layers of level l, in 2-D or 3-D as the network is (sizes from u). */
struct lev {
	int z, h, w; /* level l's sizes (z = 1 in 2-D) */
	int d3;
};

static struct lev lev(const struct unet *u, int l)
{
	struct lev v = {zlev(&u->cfg, u->Z, l), u->H >> l, u->W >> l, unet_dims(&u->cfg) == 3};
	return v;
}

static void conv_f(const struct unet *u, int l, float *out, const float *in, const float *w,
                   const float *b, int C, int K)
{
	struct lev v = lev(u, l);
	if (v.d3)
		conv3d_relu_forward(out, u->scratch, in, w, b, u->N, C, K, v.z, v.h, v.w);
	else
		conv3x3_relu_forward(out, u->scratch, in, w, b, u->N, C, K, v.h, v.w);
}

static void conv_b(const struct unet *u, int l, float *din, float *dw, float *db, float *dout,
                   const float *out, const float *in, const float *w, int C, int K)
{
	struct lev v = lev(u, l);
	if (v.d3)
		conv3d_relu_backward(din, dw, db, u->scratch, dout, out, in, w, u->N, C, K, v.z, v.h,
		                     v.w);
	else
		conv3x3_relu_backward(din, dw, db, u->scratch, dout, out, in, w, u->N, C, K, v.h, v.w);
}

/* pooling from level l to l + 1 */
static void pool_f(const struct unet *u, int l, float *out, const float *in, int f)
{
	struct lev v = lev(u, l);
	if (v.d3)
		maxpool3d_forward(out, in, (size_t)f * u->N, v.z, v.h, v.w);
	else
		maxpool2_forward(out, in, (size_t)f * u->N, v.h, v.w);
}

static void pool_b(const struct unet *u, int l, float *din, const float *dout, const float *in,
                   int f)
{
	struct lev v = lev(u, l);
	if (v.d3)
		maxpool3d_backward(din, dout, in, (size_t)f * u->N, v.z, v.h, v.w);
	else
		maxpool2_backward(din, dout, in, (size_t)f * u->N, v.h, v.w);
}

/* up-convolution from level l + 1 to level l */
static void up_f(const struct unet *u, int l, float *out, const float *in, const float *w,
                 const float *b, int C, int K)
{
	struct lev v = lev(u, l + 1);
	if (v.d3)
		upconv3d_forward(out, u->scratch, in, w, b, u->N, C, K, v.z, v.h, v.w);
	else
		upconv2x2_forward(out, u->scratch, in, w, b, u->N, C, K, v.h, v.w);
}

static void up_b(const struct unet *u, int l, float *din, float *dw, float *db,
                 const float *dout, const float *in, const float *w, int C, int K)
{
	struct lev v = lev(u, l + 1);
	if (v.d3)
		upconv3d_backward(din, dw, db, u->scratch, dout, in, w, u->N, C, K, v.z, v.h, v.w);
	else
		upconv2x2_backward(din, dw, db, u->scratch, dout, in, w, u->N, C, K, v.h, v.w);
}

static void forward1(struct unet *u, const float *in, int N)
{
	const struct unet_config *c = &u->cfg;
	struct unet_acts *a = &u->a;
	const struct unet_params *p = &u->p;
	int H = u->H, W = u->W, Z = u->Z, C = c->in_channels, D = c->depth;
	size_t hw = (size_t)H * W;

	u->N = N;
	acts_layout(a, c, N, Z, H, W, u->act_mem);
	if (u->train)
		acts_layout(&u->d, c, N, Z, H, W, u->dact_mem);
	/* in[n][z][ch] slices -> x[ch][n][z] (Z = 1 in 2-D) */
	for (int n = 0; n < N; n++)
		for (int z = 0; z < Z; z++)
			for (int ch = 0; ch < C; ch++)
				memcpy(a->x + (((size_t)ch * N + n) * Z + z) * hw,
				       in + (((size_t)n * Z + z) * C + ch) * hw, hw * sizeof(float));

	const float *x = a->x;
	int cin = C;
	for (int l = 0; l <= D; l++) {
		int f = F(c, l);
		conv_f(u, l, a->enc[l][0], x, p->enc_w[l][0], p->enc_b[l][0], cin, f);
		conv_f(u, l, a->enc[l][1], a->enc[l][0], p->enc_w[l][1], p->enc_b[l][1], f, f);
		if (l < D) {
			pool_f(u, l, a->pool[l], a->enc[l][1], f);
			x = a->pool[l];
			cin = f;
		}
	}
	const float *up = a->enc[D][1];
	for (int l = D - 1; l >= 0; l--) {
		int f = F(c, l);
		up_f(u, l, a->cat[l], up, p->up_w[l], p->up_b[l], F(c, l + 1), f);
		conv_f(u, l, a->dec[l][0], a->cat[l], p->dec_w[l][0], p->dec_b[l][0], 2 * f, f);
		conv_f(u, l, a->dec[l][1], a->dec[l][0], p->dec_w[l][1], p->dec_b[l][1], f, f);
		up = a->dec[l][1];
	}
	int K = unet_outputs(c);
	if (K == 1) {
		conv1x1_forward(a->logit, a->dec[0][1], p->out_w, p->out_b, (int)(N * u->vox), F(c, 0), 1);
		return;
	}
	/* K logits as [K][N][vox], then sample by sample: [N][K][vox] */
	size_t v = u->vox;
	conv1x1_forward(a->lcn, a->dec[0][1], p->out_w, p->out_b, (int)(N * v), F(c, 0), K);
	for (int n = 0; n < N; n++)
		for (int k = 0; k < K; k++)
			memcpy(a->logit + ((size_t)n * K + k) * v, a->lcn + ((size_t)k * N + n) * v,
			       v * sizeof(float));
}

static void backward1(struct unet *u)
{
	const struct unet_config *c = &u->cfg;
	const struct unet_acts *a = &u->a;
	struct unet_acts *d = &u->d;
	const struct unet_params *p = &u->p;
	const struct unet_params *g = &u->g;
	int N = u->N, D = c->depth;

	/* Every layer's backward writes its input's gradient, and each
	 * activation gradient's first writer comes before any layer that adds
	 * into it (max-pooling adds into the skip connection's gradient after
	 * the decoder's convolution wrote it), so nothing is zeroed first
	 * (zeroing cost 3-4 % of a 2-D training step at 176x144). */

	int K = unet_outputs(c);
	if (K == 1) {
		conv1x1_backward(d->dec[0][1], g->out_w, g->out_b, d->logit, a->dec[0][1], p->out_w,
		                 (int)(N * u->vox), F(c, 0), 1);
	} else {
		size_t v = u->vox;
		for (int n = 0; n < N; n++)
			for (int k = 0; k < K; k++)
				memcpy(d->lcn + ((size_t)k * N + n) * v, d->logit + ((size_t)n * K + k) * v,
				       v * sizeof(float));
		conv1x1_backward(d->dec[0][1], g->out_w, g->out_b, d->lcn, a->dec[0][1], p->out_w,
		                 (int)(N * v), F(c, 0), K);
	}
	/* each conv_b takes the gradient of its ReLU's output */
	for (int l = 0; l < D; l++) {
		int f = F(c, l);
		conv_b(u, l, d->dec[l][0], g->dec_w[l][1], g->dec_b[l][1], d->dec[l][1], a->dec[l][1],
		       a->dec[l][0], p->dec_w[l][1], f, f);
		conv_b(u, l, d->cat[l], g->dec_w[l][0], g->dec_b[l][0], d->dec[l][0], a->dec[l][0],
		       a->cat[l], p->dec_w[l][0], 2 * f, f);
		const float *up_in = l + 1 < D ? a->dec[l + 1][1] : a->enc[D][1];
		float *dup_in = l + 1 < D ? d->dec[l + 1][1] : d->enc[D][1];
		up_b(u, l, dup_in, g->up_w[l], g->up_b[l], d->cat[l], up_in, p->up_w[l], F(c, l + 1), f);
	}
	for (int l = D; l >= 0; l--) {
		int f = F(c, l), cin = l ? F(c, l - 1) : c->in_channels;
		if (l < D)
			pool_b(u, l, d->enc[l][1], d->pool[l], a->enc[l][1], f);
		conv_b(u, l, d->enc[l][0], g->enc_w[l][1], g->enc_b[l][1], d->enc[l][1], a->enc[l][1],
		       a->enc[l][0], p->enc_w[l][1], f, f);
		conv_b(u, l, l ? d->pool[l - 1] : NULL, g->enc_w[l][0], g->enc_b[l][0], d->enc[l][0],
		       a->enc[l][0], l ? a->pool[l - 1] : a->x, p->enc_w[l][0], cin, f);
	}
}

/* Forward FLOPs of one sample of Z x H x W (Z = 1 in 2-D). */
static double flops(const struct unet_config *c, int Z, int H, int W)
{
	double t = 0, T = TAPS(c);
	for (int l = 0; l <= c->depth; l++) {
		double px = (double)zlev(c, Z, l) * (H >> l) * (W >> l), f = F(c, l);
		double cin = l ? F(c, l - 1) : c->in_channels;
		t += px * T * f * (cin + f);
		if (l < c->depth)
			t += px * f * F(c, l + 1) + px * T * f * (2 * f + f); /* up-conv, two convs */
	}
	t += (double)Z * H * W * F(c, 0) * unet_outputs(c);
	return 2 * t;
}

double unet_forward_flops(const struct unet_config *c, int H, int W)
{
	return flops(c, 1, H, W);
}

double unet_forward_flops_vol(const struct unet_config *c, int Z, int H, int W)
{
	return flops(c, Z, H, W);
}
