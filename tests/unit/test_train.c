/* test_train: the class-weighted BCE (known answers, finite differences),
 * the losses of a batch split in parts as train_run splits it over ranks
 * (dist.h) against the whole batch's, trainset_keep_gt, and the moving
 * average of the weights (--ema) against a brute-force recomputation from
 * the recorded weights of every step. */
#include "check.h"
#include "dist.h"
#include "gradcheck.h"
#include "layers.h"
#include "slab.h"
#include "train.h"
#include "unet.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct wctx {
	float *z;
	uint8_t *m;
	float *sw;
	int N;
	size_t P;
	double pw;
};

static double wloss(void *ctx, int *ok)
{
	struct wctx *c = ctx;
	*ok = 1;
	return wbce_forward(c->z, c->m, c->sw, c->N, c->P, c->pw, NULL);
}

static void weighted_bce(void)
{
	/* the hand-computed case of test_layers with foreground weight 3:
	 * slice 0 (w 1): z 0 y 1: 3 log 2; z 2 y 0: 2 + log(1+e^-2); z -1: ignored
	 * slice 1 (w 0.5): z -3 y 0: log(1+e^-3); z 1 y 1: 3 log(1+e^-1); z 0: ignored */
	float z[6] = {0, 2, -1, -3, 1, 0}, sw[2] = {1, 0.5f};
	uint8_t m[6] = {1, 0, 255, 0, 1, 255};
	size_t nlab = 0;
	double want = (3 * log(2) + 2 + log(1 + exp(-2)) +
	               0.5 * (log(1 + exp(-3)) + 3 * log(1 + exp(-1)))) / 4;
	double got = wbce_forward(z, m, sw, 2, 3, 3.0, &nlab);
	printf("weighted bce (pw 3): %.9f, hand-computed %.9f\n", got, want);
	CHECK_NEAR(got, want, 1e-7);
	CHECK(nlab == 4);
	float g[6] = {0};
	wbce_backward(g, z, m, sw, 2, 3, 3.0, 1.0);
	CHECK_NEAR(g[0], 3 * (0.5 - 1) / 4, 1e-7);
	CHECK_NEAR(g[1], 1 / (1 + exp(-2)) / 4, 1e-7);
	CHECK(g[2] == 0 && g[5] == 0);
	CHECK_NEAR(g[3], 0.5 * (1 / (1 + exp(3))) / 4, 1e-7);
	CHECK_NEAR(g[4], 0.5 * 3 * (1 / (1 + exp(-1)) - 1) / 4, 1e-7);
	/* weight 1 is exactly the plain BCE */
	CHECK(wbce_forward(z, m, sw, 2, 3, 1.0, NULL) == bce_forward(z, m, sw, 2, 3, NULL));
	/* a weight multiplies the foreground part only: L(pw) is linear in pw */
	double l1 = wbce_forward(z, m, NULL, 2, 3, 1.0, NULL),
	       l2 = wbce_forward(z, m, NULL, 2, 3, 2.0, NULL),
	       l5 = wbce_forward(z, m, NULL, 2, 3, 5.0, NULL);
	CHECK_NEAR(l5 - l1, 4 * (l2 - l1), 1e-12);
	uint8_t none[2] = {255, 255};
	CHECK(wbce_forward(z, none, NULL, 1, 2, 7.0, &nlab) == 0 && nlab == 0);

	/* finite differences for a weight above and below 1 */
	struct rng r;
	rng_seed(&r, 9);
	int N = 3;
	size_t P = 40;
	float *zz = malloc(N * P * sizeof *zz), *gg = calloc(N * P, sizeof *gg), swr[3] = {1, 0.3f, 2};
	uint8_t *mm = malloc(N * P);
	for (size_t i = 0; i < N * P; i++) {
		zz[i] = (float)(3 * rng_normal(&r));
		mm[i] = rng_below(&r, 3) == 0 ? 255 : (uint8_t)rng_below(&r, 2);
	}
	double pws[2] = {4.0, 0.3};
	for (int k = 0; k < 2; k++) {
		struct wctx c = {zz, mm, swr, N, P, pws[k]};
		memset(gg, 0, N * P * sizeof *gg);
		wbce_backward(gg, zz, mm, swr, N, P, pws[k], 1.0);
		CHECK(gc_tensor(k ? "wbce(pw 0.3).logit" : "wbce(pw 4).logit", zz, gg, N * P, 200,
		                1e-2f, wloss, &c) < 1e-3);
	}
	free(zz), free(gg), free(mm);
}

/* A 16x16 image/mask pair of nz slices: a square that moves with z; the
 * mask's SLICES key (if not NULL) marks some slices 'g'. */
/* A batch of 5 slices cut in parts of 2 and 3 (two ranks' shares): each
 * part's BCE gradient scaled by its share of the labelled count, its Dice
 * gradient from the summed sums, gives the whole batch's gradient, and the
 * parts' losses add up to the whole's (the ranks' sums in train_run). */
static void split_batch(void)
{
	enum { N = 5, P = 7 };
	float z[N * P], sw[N], whole[N * P], part[N * P];
	uint8_t m[N * P];
	uint64_t x = 12345;
	for (int i = 0; i < N * P; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		z[i] = (float)((int)(x >> 40 & 0xffff) - 32768) / 8000.0f;
		int k = (int)(x >> 20 & 7);
		m[i] = k < 2 ? 255 : k < 5 ? 0 : 1; /* unlabelled pixels: unequal counts */
		whole[i] = part[i] = 0;
	}
	for (int n = 0; n < N; n++)
		sw[n] = 0.25f * (float)(n + 1);
	double lw = wbce_loss_grad(whole, z, m, sw, N, P, 2.0, 1.0);
	lw += dice_forward(z, m, sw, N, P);
	dice_backward(whole, z, m, sw, N, P, 1.0);

	const int cut[3] = {0, 2, N};
	double sums[3] = {0, 0, 0}, own[2], lp = 0;
	for (int r = 0; r < 2; r++) {
		int lo = cut[r], nl = cut[r + 1] - lo;
		double si, ss;
		own[r] = (double)loss_labelled(m + lo * P, (size_t)nl * P);
		dice_sums(z + lo * P, m + lo * P, sw + lo, nl, P, &si, &ss);
		sums[0] += own[r], sums[1] += si, sums[2] += ss;
	}
	for (int r = 0; r < 2; r++) {
		int lo = cut[r], nl = cut[r + 1] - lo;
		double share = own[r] / sums[0];
		lp += wbce_loss_grad(part + lo * P, z + lo * P, m + lo * P, sw + lo, nl, P, 2.0, share) *
		      share;
		dice_backward_sums(part + lo * P, z + lo * P, m + lo * P, sw + lo, nl, P, sums[1],
		                   sums[2], 1.0);
	}
	lp += dice_of_sums(sums[1], sums[2]);
	CHECK(own[0] != own[1] * 2 / 3); /* the parts' counts are not in the ratio of their sizes */
	CHECK_NEAR(lp, lw, 1e-12 * fabs(lw));
	for (int i = 0; i < N * P; i++)
		CHECK_NEAR(part[i], whole[i], 1e-6 * fabs(whole[i]) + 1e-12);
	/* the plain build is one rank: all of a set is its share, sums untouched */
	size_t lo, hi;
	double d[2] = {1.5, -2};
	float f[1] = {3};
	dist_share(7, &lo, &hi);
	CHECK(dist_rank() == 0 && dist_size() == 1 && lo == 0 && hi == 7);
	CHECK(dist_allreduce_sum_d(d, 2) == 0 && d[0] == 1.5 && d[1] == -2);
	CHECK(dist_allreduce_sum(f, 1) == 0 && f[0] == 3 && dist_differs(f, sizeof f) == 0);
}

static void mkpair(struct slab *img, struct slab *msk, int nz, const char *slices)
{
	CHECK(slab_alloc(img, "c", 16, 16, nz, 1, SLAB_F32) == 0);
	CHECK(slab_alloc(msk, "c", 16, 16, nz, 1, SLAB_U8) == 0);
	for (int z = 0; z < nz; z++)
		for (int y = 0; y < 16; y++)
			for (int x = 0; x < 16; x++) {
				int in = x >= z + 2 && x < z + 8 && y >= 4 && y < 10;
				size_t i = (size_t)z * 256 + y * 16 + x;
				((float *)img->data)[i] = in + 0.1f * ((x * 7 + y * 3 + z) % 5);
				((uint8_t *)msk->data)[i] = (uint8_t)in;
			}
	if (slices)
		CHECK(slab_set_extra(msk, "SLICES", slices) == 0);
}

static void keep_gt(void)
{
	struct slab img, msk, one, onem;
	struct trainset a = {0}, b = {0};
	mkpair(&img, &msk, 5, ". g 1 g 2");
	/* slice 0 unlabelled: no SLICES meaning, it has labels, so it joins */
	CHECK(trainset_add(&a, &img, &msk, "test") == 0);
	CHECK(a.n == 5);
	CHECK(a.gt[0] == 0 && a.gt[1] == 1 && a.gt[2] == 0 && a.gt[3] == 1 && a.gt[4] == 0);
	CHECK(trainset_keep_gt(&a) == 2 && a.n == 2);
	/* the same as a set of slices 1 and 3 alone */
	for (int k = 0; k < 2; k++) {
		int z = 1 + 2 * k;
		CHECK(slab_alloc(&one, "c", 16, 16, 1, 1, SLAB_F32) == 0);
		CHECK(slab_alloc(&onem, "c", 16, 16, 1, 1, SLAB_U8) == 0);
		memcpy(one.data, (float *)img.data + z * 256, 256 * sizeof(float));
		memcpy(onem.data, (uint8_t *)msk.data + z * 256, 256);
		CHECK(trainset_add(&b, &one, &onem, "one") == 0);
		slab_free(&one), slab_free(&onem);
	}
	CHECK(b.n == 2 && b.gt[0] && b.gt[1]);
	CHECK(!memcmp(a.img, b.img, 2 * 256 * sizeof(float)) && !memcmp(a.mask, b.mask, 2 * 256));
	CHECK(a.nsi[0] == 0.25f && a.nsi[1] == 0.75f);
	/* no 'g' at all: nothing left */
	trainset_free(&a);
	slab_free(&msk), slab_free(&img);
	mkpair(&img, &msk, 3, "1 2 3");
	CHECK(trainset_add(&a, &img, &msk, "test") == 0 && a.n == 3);
	CHECK(trainset_keep_gt(&a) == 0 && a.n == 0);
	/* no SLICES key: all ground truth */
	trainset_free(&a);
	slab_free(&msk), slab_free(&img);
	mkpair(&img, &msk, 3, NULL);
	CHECK(trainset_add(&a, &img, &msk, "test") == 0 && trainset_keep_gt(&a) == 3);
	trainset_free(&a), trainset_free(&b);
	slab_free(&msk), slab_free(&img);
}

/* Volume sets: a volume is ground truth when any slice of its SLICES key is
 * 'g' (or it has no key); a malformed key is an error. Depths are padded. */
static void volume_gt(void)
{
	static const char *const keys[] = {"1 2 g", "1 2 3", NULL, ". 0 2"};
	static const int want[] = {1, 0, 1, 0};
	struct slab img, msk;
	struct trainset t = {0};
	t.zmult = 4;
	for (int k = 0; k < 4; k++) {
		mkpair(&img, &msk, 3, keys[k]);
		CHECK(trainset_add(&t, &img, &msk, "vol") == 0);
		CHECK(t.n == (size_t)k + 1 && t.gt[k] == want[k] && t.nsi[k] == 0.5f);
		slab_free(&msk), slab_free(&img);
	}
	CHECK(t.Z == 4 && trainset_item_size(&t) == 4 * 256);
	CHECK(t.mask[3 * 256] == 255 && t.img[3 * 256] == 0); /* slice 3 of volume 0: padding */
	CHECK(trainset_keep_gt(&t) == 2 && t.volumes == 4);
	/* a wrong number of tokens, a bad token: errors, nothing added */
	mkpair(&img, &msk, 3, "g g");
	CHECK(trainset_add(&t, &img, &msk, "short") == -1 && t.n == 2);
	slab_free(&msk), slab_free(&img);
	mkpair(&img, &msk, 3, "g x g");
	CHECK(trainset_add(&t, &img, &msk, "bad") == -1 && t.n == 2 && t.volumes == 4);
	trainset_free(&t);
	slab_free(&msk), slab_free(&img);
}

/* ---- the moving average ------------------------------------------------ */

struct rec {
	size_t np;
	long steps, cap;
	float *w;      /* [cap][np] raw weights after each step */
	double *avg;   /* [cap][np] the average the trainer reports */
	int saw_null;
};

static void on_step(void *ctx, long step, const float *w, const double *avg, size_t np)
{
	struct rec *r = ctx;
	CHECK(step == r->steps + 1 && np == r->np && step <= r->cap);
	if (step > r->cap)
		return;
	memcpy(r->w + (step - 1) * np, w, np * sizeof *w);
	if (avg)
		memcpy(r->avg + (step - 1) * np, avg, np * sizeof *avg);
	else
		r->saw_null = 1;
	r->steps = step;
}

/* inv: validation labels opposite to the training ones, so the kept epoch
 * is an early one, not the last. Returns the kept epoch. */
static int ema(int inv)
{
	struct unet_config cfg = {1, 2, 1, 2, 0};
	struct slab img, msk;
	struct trainset tr = {0}, va = {0};
	mkpair(&img, &msk, 6, NULL);
	CHECK(trainset_add(&tr, &img, &msk, "tr") == 0);
	slab_free(&img), slab_free(&msk);
	mkpair(&img, &msk, 3, NULL);
	for (size_t i = 0; inv && i < 3 * 256; i++)
		((uint8_t *)msk.data)[i] ^= 1;
	CHECK(trainset_add(&va, &img, &msk, "va") == 0);
	slab_free(&img), slab_free(&msk);

	struct unet u;
	CHECK(unet_create_threads(&u, &cfg, 4, 16, 16, 1, 1) == 0);
	size_t np = u.nparams;
	float *w0 = malloc(np * sizeof *w0);
	unet_params_init(w0, &cfg, 3);
	const int epochs = 4, per = 2; /* 6 slices in batches of 4 */
	struct rec ra = {np, 0, epochs * per, malloc(epochs * per * np * sizeof(float)),
	                 malloc(epochs * per * np * sizeof(double)), 0};
	struct rec rb = {np, 0, epochs * per, malloc(epochs * per * np * sizeof(float)),
	                 malloc(epochs * per * np * sizeof(double)), 0};
	struct train_opts o;
	train_opts_default(&o);
	o.epochs = epochs, o.batch = 4, o.patience = 100, o.quiet = 1, o.opt = OPT_ADAM;
	o.lr = 0.05, o.seed = 4;
	/* without --ema: the raw trajectory, and no average */
	memcpy(u.params, w0, np * sizeof(float));
	o.on_step = on_step, o.step_ctx = &rb;
	CHECK(train_run(&u, &tr, &va, &o) == epochs);
	CHECK(rb.steps == epochs * per && rb.saw_null);

	/* with --ema 0.7, logging which epochs were kept */
	const double d = 0.7;
	char *logbuf = NULL;
	size_t loglen = 0;
	FILE *log = open_memstream(&logbuf, &loglen);
	memcpy(u.params, w0, np * sizeof(float));
	o.ema = d, o.step_ctx = &ra, o.log = log, o.log_note = "# a note\n";
	CHECK(train_run(&u, &tr, &va, &o) == epochs);
	fclose(log);
	CHECK(ra.steps == epochs * per && !ra.saw_null);
	/* the average does not change the raw trajectory */
	CHECK(!memcmp(ra.w, rb.w, epochs * per * np * sizeof(float)));

	/* brute force: a_n = d^n w0 + (1 - d) sum_t d^(n-t) w_t, for every step n */
	double worst = 0;
	for (long n = 1; n <= ra.steps; n++)
		for (size_t j = 0; j < np; j++) {
			double a = pow(d, (double)n) * w0[j];
			for (long t = 1; t <= n; t++)
				a += (1 - d) * pow(d, (double)(n - t)) * ra.w[(t - 1) * np + j];
			double e = fabs(a - ra.avg[(n - 1) * np + j]);
			if (e > worst)
				worst = e;
		}
	printf("ema: %ld steps of %zu weights, worst difference from the closed form %.3g\n",
	       ra.steps, np, worst);
	CHECK(worst < 1e-9);
	/* the raw weights moved away from the average */
	double apart = 0;
	for (size_t j = 0; j < np; j++)
		apart = fmax(apart, fabs(ra.w[(ra.steps - 1) * np + j] - ra.avg[(ra.steps - 1) * np + j]));
	CHECK(apart > 1e-3);

	/* the kept weights are the average at the end of the last epoch marked best */
	int kept = 0, lines = 0;
	double kept_vl = NAN;
	char *save = NULL;
	for (char *line = strtok_r(logbuf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lines++;
		if (lines == 2)
			CHECK(!strcmp(line, "# a note"));
		if (lines <= 2)
			continue;
		int ep = atoi(line);
		const char *b = strrchr(line, '\t');
		if (b && b[1] == '1') {
			kept = ep;
			const char *f = strchr(strchr(line, '\t') + 1, '\t') + 1;
			kept_vl = strtod(f, NULL);
		}
	}
	CHECK(lines == 2 + epochs && kept >= 1);
	int same = 1;
	for (size_t j = 0; j < np; j++)
		same &= u.params[j] == (float)ra.avg[(kept * per - 1) * np + j];
	printf("ema: kept epoch %d of %d, returned weights %s its average\n", kept, epochs,
	       same ? "equal" : "differ from");
	CHECK(same);
	/* and the validation figures of the kept epoch are those of the average */
	double vl, dsc;
	train_evaluate(&u, &va, LOSS_BCE, &vl, &dsc);
	printf("ema: kept epoch's logged val_loss %.6g, of the returned weights %.6g\n", kept_vl, vl);
	CHECK_NEAR(vl, kept_vl, 1e-5 * fabs(vl) + 1e-9);
	free(logbuf);
	free(ra.w), free(ra.avg), free(rb.w), free(rb.avg), free(w0);
	unet_free(&u);
	trainset_free(&tr), trainset_free(&va);
	return kept;
}

int main(void)
{
	progname = "test_train";
	weighted_bce();
	split_batch();
	keep_gt();
	volume_gt();
	CHECK(ema(0) >= 1);
	CHECK(ema(1) < 4);
	return CHECK_DONE();
}
