/* The fast training engine against the reference: the paper's network
 * (base 8, depth 4) on 32x32 and 64x48 slices, forward and all gradients
 * with the convolutions chosen by shape (CONV_AUTO: direct kernels,
 * Winograd, sgemm) against every convolution done by the reference
 * (CONV_REFERENCE: im2col + sgemm over the batch, itself tested against
 * naive loops in test_layers); the same bits twice; and a short fixed-seed
 * training follows the reference's loss curve. */
#include "check.h"
#include "conv.h"
#include "kernels.h"
#include "layers.h"
#include "unet.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Logits and gradients of one forward/backward in conv3x3_mode `mode`. */
static void run(enum conv_mode mode, int C, int N, int H, int W, float *logit, float *grad)
{
	struct unet_config cfg = {C, 8, 4, 2, 0};
	struct unet u;
	struct rng r;
	size_t P = (size_t)H * W;
	conv3x3_mode = mode;
	if (unet_create_threads(&u, &cfg, N, H, W, 1, 1))
		exit(1);
	unet_params_init(u.params, &cfg, 3);
	float *in = malloc((size_t)N * C * P * sizeof *in);
	uint8_t *mask = malloc((size_t)N * P);
	rng_seed(&r, 5);
	for (size_t i = 0; i < (size_t)N * C * P; i++)
		in[i] = (float)rng_normal(&r);
	for (size_t i = 0; i < (size_t)N * P; i++)
		mask[i] = rng_uniform(&r) < 0.3;
	unet_forward(&u, in, N);
	memcpy(logit, u.a.logit, (size_t)N * P * sizeof *logit);
	memset(u.d.logit, 0, (size_t)N * P * sizeof(float));
	bce_backward(u.d.logit, u.a.logit, mask, NULL, N, P, 1.0);
	unet_zero_grad(&u);
	unet_backward(&u);
	memcpy(grad, u.grads, u.nparams * sizeof *grad);
	unet_free(&u);
	free(in), free(mask);
	conv3x3_mode = CONV_AUTO;
}

static void compare(int C, int N, int H, int W)
{
	struct unet_config cfg = {C, 8, 4, 2, 0};
	size_t np = unet_param_count(&cfg), nl = (size_t)N * H * W;
	float *l0 = malloc(nl * 4), *l1 = malloc(nl * 4), *l2 = malloc(nl * 4);
	float *g0 = malloc(np * 4), *g1 = malloc(np * 4), *g2 = malloc(np * 4);
	run(CONV_REFERENCE, C, N, H, W, l0, g0);
	run(CONV_AUTO, C, N, H, W, l1, g1);
	run(CONV_AUTO, C, N, H, W, l2, g2);
	double el = 0, ml = 0, eg = 0, mg = 0;
	for (size_t i = 0; i < nl; i++)
		el = fmax(el, fabs(l1[i] - l0[i])), ml = fmax(ml, fabs(l0[i]));
	/* gradients: worst difference relative to the largest gradient of its
	 * tensor would need the layout; the global largest is used */
	size_t ndiff = 0;
	for (size_t i = 0; i < np; i++) {
		eg = fmax(eg, fabs(g1[i] - g0[i])), mg = fmax(mg, fabs(g0[i]));
		ndiff += g1[i] != g0[i];
	}
	printf("engine vs reference %dx%dx%d batch %d: logits max|diff| %.2e (max %.2f), "
	       "gradients max|diff| %.2e (max %.3g, %zu of %zu differ)\n", W, H, C, N, el, ml, eg, mg,
	       ndiff, np);
	CHECK(ndiff > 0); /* the two paths do differ */
	CHECK(el <= 1e-4 * (ml + 1));
	CHECK(eg <= 1e-4 * mg);
	CHECK(memcmp(l1, l2, nl * 4) == 0 && memcmp(g1, g2, np * 4) == 0);
	free(l0), free(l1), free(l2), free(g0), free(g1), free(g2);
}

/* Losses of `steps` RMSprop steps on one fixed random batch (a blob to
 * segment) in conv3x3_mode `mode`. */
static void train(enum conv_mode mode, int steps, double *loss)
{
	struct unet_config cfg = {1, 8, 4, 2, 0};
	int N = 4, H = 32, W = 32;
	size_t P = (size_t)H * W;
	struct unet u;
	struct rng r;
	conv3x3_mode = mode;
	if (unet_create_threads(&u, &cfg, N, H, W, 1, 1))
		exit(1);
	unet_params_init(u.params, &cfg, 11);
	float *in = malloc((size_t)N * P * sizeof *in), *ms = calloc(u.nparams, sizeof *ms);
	uint8_t *mask = malloc((size_t)N * P);
	rng_seed(&r, 9);
	for (int n = 0; n < N; n++)
		for (int y = 0; y < H; y++)
			for (int x = 0; x < W; x++) {
				int fg = (x - 10 - 3 * n) * (x - 10 - 3 * n) + (y - 16) * (y - 16) < 40;
				mask[n * P + y * W + x] = (uint8_t)fg;
				in[n * P + y * W + x] = (float)(fg + 0.5 * rng_normal(&r));
			}
	for (int s = 0; s < steps; s++) {
		unet_forward(&u, in, N);
		loss[s] = bce_forward(u.a.logit, mask, NULL, N, P, NULL);
		memset(u.d.logit, 0, (size_t)N * P * sizeof(float));
		bce_backward(u.d.logit, u.a.logit, mask, NULL, N, P, 1.0);
		unet_zero_grad(&u);
		unet_backward(&u);
		vec_rmsprop(u.params, u.grads, ms, u.nparams, 1e-3f, 0.9f, 1e-7f);
	}
	unet_free(&u);
	free(in), free(ms), free(mask);
	conv3x3_mode = CONV_AUTO;
}

int main(void)
{
	progname = "test_engine";
	compare(1, 4, 32, 32);
	compare(4, 2, 48, 64);

	/* a short training: the same loss curve within float noise. RMSprop
	 * turns the rounding differences of tiny gradients into full steps, so
	 * curves drift apart; the noise is gauged by two exact implementations
	 * (the direct kernels everywhere, CONV_DIRECT, against the reference) */
	enum { STEPS = 30 };
	double a[STEPS], b[STEPS], c[STEPS], worst = 0, noise = 0;
	train(CONV_REFERENCE, STEPS, a);
	train(CONV_AUTO, STEPS, b);
	train(CONV_DIRECT, STEPS, c);
	for (int s = 0; s < STEPS; s++) {
		worst = fmax(worst, fabs(a[s] - b[s]) / a[s]);
		noise = fmax(noise, fabs(a[s] - c[s]) / a[s]);
	}
	printf("training %d steps: loss %.4f -> %.4f (reference), %.4f -> %.4f (engine), "
	       "%.4f -> %.4f (direct kernels); worst rel. diff engine %.1e, direct %.1e\n",
	       STEPS, a[0], a[STEPS - 1], b[0], b[STEPS - 1], c[0], c[STEPS - 1], worst, noise);
	CHECK(a[STEPS - 1] < 0.5 * a[0]);
	CHECK(worst < 0.1 && worst < 4 * noise + 1e-3);
	return CHECK_DONE();
}
