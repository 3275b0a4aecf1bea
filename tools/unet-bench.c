/* unet-bench: time U-Net train steps or inference on random data, or
 * OpenBLAS sgemm on a square product (the ceiling). One TSV line on stdout:
 *   what  size  batch  steps  seconds  slices_per_s  gflop_s  maxrss_mib  cpu_slices_per_s
 * (the last: slices per second of CPU time of the whole process). With
 * -r R the STEPS are timed R times and the fastest block is reported (a
 * loaded machine slows some blocks; the best is the least disturbed).
 * Threads: OPENBLAS_NUM_THREADS. */
#include "blascore.h"
#include "conv.h"
#include "isa.h"
#include "kernels.h"
#include "layers.h"
#include "opt.h"
#include "unet.h"
#include "util.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double maxrss_mib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024.0;
}

static double cpu_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* CPU milliseconds of forward + backward, and of forward alone, of each 3x3
 * convolution of the network in each conv3x3_mode; the fastest of reps
 * blocks of steps. */
static int layers(int W, int H, int C, int B, int steps, int reps)
{
	struct rng r;
	rng_seed(&r, 2);
	printf("level\tcin\tk\tsize\tauto");
	for (int m = CONV_DIRECT; m < CONV_REFERENCE; m++)
		printf("\tmode%d_ms", m);
	for (int m = CONV_DIRECT; m < CONV_REFERENCE; m++)
		printf("\tfwd%d_ms", m);
	printf("\n");
	for (int l = 0; l <= 4; l++) {
		int f = 8 << l, h = H >> l, w = W >> l;
		int shapes[3][2] = {{l ? f / 2 : C, f}, {f, f}, {2 * f, f}};
		for (int s = 0; s < (l < 4 ? 3 : 2); s++) {
			int ci = shapes[s][0], k = shapes[s][1];
			size_t nin = (size_t)ci * B * h * w, nout = (size_t)k * B * h * w;
			size_t scr = 0;
			for (int m = CONV_DIRECT; m < CONV_REFERENCE; m++) {
				conv3x3_mode = (enum conv_mode)m;
				size_t x = conv3x3_scratch(B, ci, k, h, w);
				scr = x > scr ? x : scr;
			}
			conv3x3_mode = CONV_AUTO;
			float *in = xmalloc(nin * 4), *out = xmalloc(nout * 4), *din = xcalloc(nin, 4);
			float *wt = xmalloc((size_t)k * ci * 9 * 4), *dw = xcalloc((size_t)k * ci * 9, 4);
			float *bb = xcalloc(k, 4), *db = xcalloc(k, 4), *col = xmalloc(scr * 4);
			for (size_t i = 0; i < nin; i++) in[i] = (float)rng_normal(&r);
			for (size_t i = 0; i < (size_t)k * ci * 9; i++) wt[i] = (float)rng_normal(&r) * 0.1f;
			printf("%d\t%d\t%d\t%dx%d\t%d", l, ci, k, w, h,
			       (int)conv3x3_auto_mode(B, ci, k, h, w));
			double both[CONV_REFERENCE], fwd[CONV_REFERENCE];
			for (int m = CONV_DIRECT; m < CONV_REFERENCE; m++) {
				conv3x3_mode = (enum conv_mode)m;
				both[m] = fwd[m] = 1e300;
				for (int rep = 0; rep < reps; rep++) {
					double tf = 0, tb = 0;
					conv3x3_forward(out, col, in, wt, bb, B, ci, k, h, w);
					for (int it = 0; it < steps; it++) {
						double a = cpu_seconds();
						conv3x3_forward(out, col, in, wt, bb, B, ci, k, h, w);
						double b2 = cpu_seconds();
						conv3x3_backward(l || s ? din : NULL, dw, db, col, out, in, wt, B, ci,
						                 k, h, w);
						tf += b2 - a, tb += cpu_seconds() - b2;
					}
					both[m] = (tf + tb) < both[m] ? tf + tb : both[m];
					fwd[m] = tf < fwd[m] ? tf : fwd[m];
				}
			}
			for (int m = CONV_DIRECT; m < CONV_REFERENCE; m++)
				printf("\t%.2f", both[m] / steps * 1e3);
			for (int m = CONV_DIRECT; m < CONV_REFERENCE; m++)
				printf("\t%.2f", fwd[m] / steps * 1e3);
			printf("\n");
			conv3x3_mode = CONV_AUTO;
			free(in), free(out), free(din), free(wt), free(dw), free(bb), free(db), free(col);
		}
	}
	return close_stdout() ? 1 : 0;
}

/* OpenBLAS sgemm on n x n matrices: steps products, the fastest of reps blocks. */
static int bench_sgemm(int n, int steps, int reps)
{
	struct rng r;
	float *a = xmalloc((size_t)n * n * 4), *b = xmalloc((size_t)n * n * 4), *o = xmalloc((size_t)n * n * 4);
	if (!a || !b || !o) {
		free(a), free(b), free(o);
		return 1;
	}
	rng_seed(&r, 1);
	for (size_t i = 0; i < (size_t)n * n; i++)
		a[i] = (float)rng_uniform(&r), b[i] = (float)rng_uniform(&r);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, o, n);
	double t = 1e300;
	for (int k = 0; k < reps; k++) {
		double t0 = now_seconds();
		for (int i = 0; i < steps; i++)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b,
			            n, 0, o, n);
		double dt = now_seconds() - t0;
		t = dt < t ? dt : t;
	}
	printf("sgemm\t%dx%d\t-\t%d\t%.3f\t-\t%.1f\t%.0f\n", n, n, steps, t,
	       2.0 * n * n * n * steps / t / 1e9, maxrss_mib());
	free(a), free(b), free(o);
	return close_stdout() ? 1 : 0;
}

/* U-Net train steps (train) or forward passes on random data of B slices of
 * C x H x W: steps of them, the fastest of reps blocks. */
static int bench_unet(int train, int W, int H, int C, int B, int steps, int reps, double mflop)
{
	struct rng r;
	rng_seed(&r, 1);
	struct unet_config cfg = {C, 8, 4, 2, 0};
	struct unet u;
	if (unet_create(&u, &cfg, B, H, W, train))
		return 1;
	unet_params_init(u.params, &cfg, 1);
	size_t P = (size_t)H * W, np = u.nparams;
	float *in = xmalloc((size_t)B * C * P * sizeof(float)), *ms = xcalloc(np, sizeof(float));
	uint8_t *mask = xmalloc((size_t)B * P);
	if (!in || !ms || !mask) {
		free(in), free(ms), free(mask);
		unet_free(&u);
		return 1;
	}
	for (size_t i = 0; i < (size_t)B * C * P; i++)
		in[i] = (float)rng_normal(&r);
	for (size_t i = 0; i < (size_t)B * P; i++)
		mask[i] = in[i] > 0.5;
	if (!mflop)
		mflop = unet_forward_flops(&cfg, H, W) / 1e6 * (train ? 3 : 1);
	double t = 1e300, ct = 1e300;
	for (int k = 0; k < reps; k++) {
		double t0 = 0, c0 = 0;
		for (int it = k ? 0 : -2; it < steps; it++) { /* two warm-up steps */
			if (it == 0)
				t0 = now_seconds(), c0 = cpu_seconds();
			unet_forward(&u, in, B);
			if (!train)
				continue;
			wbce_loss_grad(u.d.logit, u.a.logit, mask, NULL, B, P, 1.0, 1.0);
			unet_zero_grad(&u);
			unet_backward(&u);
			vec_rmsprop(u.params, u.grads, ms, np, 1e-3f, 0.9f, 1e-7f);
		}
		double dt = now_seconds() - t0, dc = cpu_seconds() - c0;
		t = dt < t ? dt : t, ct = dc < ct ? dc : ct;
	}
	double sps = (double)B * steps / t, cps = (double)B * steps / ct;
	printf("%s\t%dx%dx%d\t%d\t%d\t%.3f\t%.1f\t%.1f\t%.0f\t%.1f\n", train ? "train" : "infer",
	       W, H, C, B, steps, t, sps, sps * mflop / 1e3, maxrss_mib(), cps);
	unet_free(&u);
	free(in), free(ms), free(mask);
	return close_stdout() ? 1 : 0;
}

enum what { TRAIN, INFER, SGEMM, LAYERS, CPU, FMA };

/* -t fma: one core's multiply-add peak (a register-only FMA loop), the
 * fastest of reps blocks of steps million rounds: the true ceiling of
 * anything that runs on one thread. */
static int bench_fma(int steps, int reps)
{
	double best = 1e300, flops = 0;
	volatile double sink = 0; /* the loops' result is used */
	for (int r = 0; r < reps; r++) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		sink += kernels_fma_peak((long)steps * 1000000, &flops);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
		best = s < best ? s : best;
	}
	printf("fma\t%s\t-\t%d\t%.3f\t-\t%.1f\t%.0f\n", isa_name(isa_active()), steps, best,
	       flops / best * 1e-9, maxrss_mib());
	return close_stdout() ? 1 : 0;
}

/* -t cpu: what the machine is and what runs on it, one "key<TAB>value" a line. */
static int cpu_report(const struct blas_state *bs)
{
	char line[512], model[256] = "?";
	FILE *f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	if (f)
		fclose(f);
	printf("cpu\t%s\n", model);
	printf("isa\t%s\n", bs->isa);
	printf("engine\t%s\n", isa_name(isa_active()));
	printf("blas_core\t%s\n", bs->core);
	printf("blas_best\t%s\n", bs->best ? bs->best : "-");
	printf("blas_corrected_from\t%s\n", bs->was ? bs->was : "-");
	return close_stdout() ? 1 : 0;
}

static int parse_mode(const char *v, void *dest)
{
	if (conv_mode_parse(v, dest) == 0)
		return 0;
	error("-B/--conv-mode: unknown mode: '%s'", v);
	return -1;
}

int main(int argc, char **argv)
{
	static const char *const whats[] = { "train", "infer", "sgemm", "layers", "cpu", "fma", NULL };
	int what = TRAIN, size[2] = {32, 32}, C = 1, B = 32, steps = 20, reps = 1, i;
	double mflop = 0;
	struct blas_state bs;
	blas_check(argv, &bs);
	const struct opt opts[] = {
		OPT_ENUM('t', "test", &what, NULL, whats,
		         "what to time (default train); layers: CPU ms of every 3x3\n"
		         "convolution of the network in each MODE, forward + backward and\n"
		         "forward alone, and the MODE chosen; cpu: the CPU, its vector\n"
		         "instructions, the engine's and the OpenBLAS core in use (TSV key,\n"
		         "value); fma:\n"
		         "one core's multiply-add peak, STEPS million rounds of 12 FMAs"),
		OPT_INTS('s', "size", size, 2, 'x', "WxH", 1, 8192,
		         "slice size (default 32x32; sgemm: W x W matrices)"),
		OPT_INT('c', "channels", &C, "CHANNELS", 1, 64, "input channels (default 1)"),
		OPT_INT('b', "batch", &B, "BATCH", 1, 4096, "slices per step (default 32)"),
		OPT_INT('n', "steps", &steps, "STEPS", 1, 1000000, "steps timed (default 20)"),
		OPT_INT('r', "repeats", &reps, "REPEATS", 1, 1000,
		        "time the STEPS this many times and report the fastest (default 1)"),
		OPT_DOUBLE('m', "mflop", &mflop, "MFLOP", 0, 1e9,
		           "count this many MFLOP per slice for GFLOP/s (default: our own count,\n"
		           "3x the forward for a train step)"),
		OPT_CALL('B', "conv-mode", &conv3x3_mode, "MODE", parse_mode,
		         "every 3x3 convolution in MODE (a name or its number): 1 direct,\n"
		         "2 chunked (im2col + sgemm, the backward in chunks), 3 im2col (+ sgemm),\n"
		         "4 winograd, 5 reference, 0 auto (by shape; the default)"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "unet-bench", .operands = "", .min_operands = 0, .max_operands = 0,
		.about = "Time U-Net train steps or inference on random data, or OpenBLAS sgemm on a\n"
		         "square product (the ceiling). One TSV line on stdout: what size batch steps\n"
		         "seconds slices_per_s gflop_s maxrss_mib cpu_slices_per_s.",
		.opts = opts,
		.notes = "Threads: OPENBLAS_NUM_THREADS. When OpenBLAS guessed kernels below what the\n"
		         "CPU supports, the tools re-run themselves with the CPU's core and say so here;\n"
		         "your OPENBLAS_CORETYPE wins, SELFLABEL_BLAS=keep keeps OpenBLAS's guess.\n"
		         "SELFLABEL_ISA=generic|avx2|avx512 caps the engine's vector instructions\n"
		         "(default: the best this CPU runs; -t cpu: isa the CPU's, engine the one in use)."
	};

	if ((i = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(i);
	if (isa_select()) /* a SELFLABEL_ISA the CPU cannot run, or no set's name */
		return 2;
	if (blas_note(&bs))
		fprintf(stderr, "%s: %s\n", progname, blas_note(&bs));
	if (what == CPU)
		return cpu_report(&bs);
	if (what == FMA)
		return bench_fma(steps, reps);
	if (what == SGEMM)
		return bench_sgemm(size[0], steps, reps);
	if (what == LAYERS)
		return layers(size[0], size[1], C, B, steps, reps);
	return bench_unet(what == TRAIN, size[0], size[1], C, B, steps, reps, mflop);
}
