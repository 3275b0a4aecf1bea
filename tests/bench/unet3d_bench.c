/* unet3d_bench: the 3-D U-Net's train step (forward, BCE, backward,
 * RMSprop) and inference on a Z x H x W single-channel batch, against
 * OpenBLAS sgemm on a square product measured in the same run.
 * usage: unet3d_bench [Z H W BATCH STEPS SGEMM_N]; one line per figure. */
#include "kernels.h"
#include "layers.h"
#include "unet.h"
#include "util.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long arg(int argc, char **argv, int i, long def)
{
	long v;
	if (argc <= i)
		return def;
	if (parse_long(argv[i], 1, 100000, "size", &v))
		exit(2);
	return v;
}

int main(int argc, char **argv)
{
	progname = "unet3d_bench";
	int Z = (int)arg(argc, argv, 1, 32), H = (int)arg(argc, argv, 2, 32);
	int W = (int)arg(argc, argv, 3, 32), B = (int)arg(argc, argv, 4, 2);
	int steps = (int)arg(argc, argv, 5, 5), n = (int)arg(argc, argv, 6, 2048);

	/* the ceiling: sgemm n^3, best of three */
	float *a = xmalloc((size_t)n * n * sizeof *a), *b = xmalloc((size_t)n * n * sizeof *b);
	float *c = xmalloc((size_t)n * n * sizeof *c);
	struct rng r;
	rng_seed(&r, 1);
	for (size_t i = 0; i < (size_t)n * n; i++)
		a[i] = (float)rng_uniform(&r), b[i] = (float)rng_uniform(&r);
	double best = 1e30;
	for (int t = 0; t < 3; t++) {
		double t0 = now_seconds();
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
		double dt = now_seconds() - t0;
		best = dt < best ? dt : best;
	}
	double ceil = 2.0 * n * n * n / best / 1e9;
	printf("sgemm %d^3: %.1f GFLOP/s (the ceiling)\n", n, ceil);
	free(a), free(b), free(c);

	struct unet_config cfg = {1, 8, 4, 3, 0};
	struct unet u;
	if (unet_create_vol(&u, &cfg, B, Z, H, W, 1, 0))
		return 1;
	unet_params_init(u.params, &cfg, 1);
	size_t P = (size_t)Z * H * W;
	float *in = xmalloc(B * P * sizeof *in), *v = xcalloc(u.nparams, sizeof *v);
	uint8_t *mask = xmalloc(B * P);
	for (size_t i = 0; i < B * P; i++) {
		in[i] = (float)rng_normal(&r);
		mask[i] = in[i] > 0.5f;
	}
	double flop = unet_forward_flops_vol(&cfg, Z, H, W) * B;
	for (int pass = 0; pass < 2; pass++) {
		int train = pass == 0;
		unet_forward(&u, in, B); /* warm-up */
		double t0 = now_seconds();
		for (int s = 0; s < steps; s++) {
			unet_forward(&u, in, B);
			if (!train)
				continue;
			bce_forward(u.a.logit, mask, NULL, B, P, NULL);
			memset(u.d.logit, 0, B * P * sizeof(float));
			bce_backward(u.d.logit, u.a.logit, mask, NULL, B, P, 1.0);
			unet_zero_grad(&u);
			unet_backward(&u);
			vec_rmsprop(u.params, u.grads, v, u.nparams, 1e-3f, 0.9f, 1e-7f);
		}
		double dt = (now_seconds() - t0) / steps, gf = flop * (train ? 3 : 1) / dt / 1e9;
		printf("3-D %s %dx%dx%d x1, batch %d: %.0f voxels/s, %.2f s/step, %.1f GFLOP/s "
		       "(%.0f%% of sgemm; %.2f GFLOP per step)\n", train ? "train step" : "inference ",
		       W, H, Z, B, B * P / dt, dt, gf, 100 * gf / ceil, flop * (train ? 3 : 1) / 1e9);
	}
	unet_free(&u);
	free(in), free(v), free(mask);
	return 0;
}
