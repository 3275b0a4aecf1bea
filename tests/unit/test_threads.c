/* The network split over two threads gives the single-threaded results
 * (up to rounding of the gradient sums) and the same bits every time. */
#include "check.h"
#include "layers.h"
#include "tpool.h"
#include "unet.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* One step on a batch of N: logits and gradients. */
static void step(struct unet *u, const float *in, const uint8_t *mask, int N, float *logit,
                 float *grad)
{
	size_t P = (size_t)u->H * u->W;
	unet_forward(u, in, N);
	memcpy(logit, u->a.logit, N * P * sizeof(float));
	memset(u->d.logit, 0, N * P * sizeof(float));
	bce_backward(u->d.logit, u->a.logit, mask, NULL, N, P, 1.0);
	unet_zero_grad(u);
	unet_backward(u);
	memcpy(grad, u->grads, u->nparams * sizeof(float));
}

int main(void)
{
	progname = "test_threads";
	int T = tpool_start(2);
	printf("threads: %d\n", T);
	CHECK(T == 2);
	struct unet_config cfg = {2, 8, 4, 2, 0};
	int H = 32, W = 48, B = 5;
	size_t P = (size_t)H * W;
	struct unet u1, u2;
	CHECK(unet_create_threads(&u1, &cfg, B, H, W, 1, 1) == 0);
	CHECK(unet_create_threads(&u2, &cfg, B, H, W, 1, 2) == 0);
	CHECK(u1.nrep == 1 && u2.nrep == 2);
	unet_params_init(u1.params, &cfg, 3);
	memcpy(u2.params, u1.params, u1.nparams * sizeof(float));
	struct rng r;
	rng_seed(&r, 9);
	float *in = malloc(B * 2 * P * sizeof(float));
	uint8_t *mask = malloc(B * P);
	for (size_t i = 0; i < B * 2 * P; i++)
		in[i] = (float)rng_normal(&r);
	for (size_t i = 0; i < B * P; i++)
		mask[i] = i % 7 == 0 ? 255 : in[i] > 0.2;
	size_t np = u1.nparams;
	float *l1 = malloc(B * P * 4), *l2 = malloc(B * P * 4), *l3 = malloc(B * P * 4);
	float *g1 = malloc(np * 4), *g2 = malloc(np * 4), *g3 = malloc(np * 4);
	for (int N = B; N >= 1; N -= 2) { /* full, partial and single-slice batches */
		step(&u1, in, mask, N, l1, g1);
		step(&u2, in, mask, N, l2, g2);
		step(&u2, in, mask, N, l3, g3);
		double el = 0, eg = 0, gmax = 0;
		for (size_t i = 0; i < N * P; i++)
			el = fmax(el, fabs(l1[i] - l2[i]));
		for (size_t i = 0; i < np; i++)
			eg = fmax(eg, fabs(g1[i] - g2[i])), gmax = fmax(gmax, fabs(g1[i]));
		printf("batch %d: 1 vs 2 threads: max |diff| logits %.2e, gradients %.2e (max |g| %.2e)\n",
		       N, el, eg, gmax);
		CHECK(el < 1e-5);
		CHECK(eg < 1e-4 * gmax);
		CHECK(memcmp(l2, l3, N * P * 4) == 0 && memcmp(g2, g3, np * 4) == 0);
	}
	free(in), free(mask), free(l1), free(l2), free(l3), free(g1), free(g2), free(g3);
	unet_free(&u1), unet_free(&u2);
	return CHECK_DONE();
}
