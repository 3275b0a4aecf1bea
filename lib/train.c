/* train.c: mini-batch training with RMSprop or Adam, learning-rate
 * reduction on plateau, early stopping, best-epoch weights. */
#include "train.h"

#include "augment.h"
#include "classes.h"
#include "dist.h"
#include "kernels.h"
#include "layers.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double slice_weight(enum weighting w, double nsi)
{
	double d = fabs(nsi - 0.5);
	switch (w) {
	case WEIGHT_GAUSSIAN:
		return exp(-d * d / (2 * 0.2 * 0.2));
	case WEIGHT_STEPWISE:
		return d <= 1.0 / 6 + 1e-9 ? 1 : d <= 1.0 / 3 + 1e-9 ? 0.5 : 0.25;
	default:
		return 1;
	}
}

/* ---- training --------------------------------------------------------- */

void train_opts_default(struct train_opts *o)
{
	memset(o, 0, sizeof *o);
	o->epochs = 150;
	o->batch = 32;
	o->lr = 1e-3;
	o->patience = 6;
	o->lr_patience = 3;
	o->lr_factor = 0.1;
	o->seed = 1;
	o->max_angle = 90;
	o->pos_weight = 1;
}

void train_evaluate(struct unet *u, const struct trainset *va, enum lossfn loss, double *val_loss,
                    double *dsc)
{
	train_evaluate_pw(u, va, loss, 1, val_loss, dsc);
}

void train_evaluate_classes(struct unet *u, const struct trainset *va, enum lossfn loss,
                            const double *cw, double *val_loss, double *dsc)
{
	int K = unet_outputs(&u->cfg), F = K - 1;
	size_t m = trainset_item_size(va), s = m * va->C, lo, hi, nt = 2 + 5 * (size_t)F;
	/* t: numerator, normaliser, Dice sums [2F], tp fp fn of classes 1..K-1 [3F] */
	double *t = xcalloc(nt, sizeof *t), ds[2 * 254];
	uint8_t *am = xmalloc((size_t)u->B * m);
	if (!t || !am) { /* (out of memory: no figures) */
		*val_loss = *dsc = NAN;
		free(t), free(am);
		return;
	}
	double *dsum = t + 2, *cnt = t + 2 + 2 * F;
	dist_share(va->n, &lo, &hi);
	for (size_t i = lo; i < hi; i += u->B) {
		int n = (int)(hi - i < (size_t)u->B ? hi - i : (size_t)u->B);
		const uint8_t *mk = va->mask + i * m;
		unet_forward(u, va->img + i * s, n);
		t[0] += sce_loss_grad(NULL, u->a.logit, mk, NULL, cw, n, K, m, 1.0, 1.0);
		t[1] += sce_weight_sum(mk, cw, K, (size_t)n * m);
		if (loss == LOSS_BCEDICE) {
			mdice_sums(u->a.logit, mk, NULL, n, K, m, ds);
			for (int c = 0; c < 2 * F; c++)
				dsum[c] += ds[c];
		}
		/* the logits are [n][K][m], a slab's order: the argmax of the softmax */
		classes_argmax_raw(u->a.logit, m, n, K, am);
		for (size_t j = 0; j < (size_t)n * m; j++) {
			int y = mk[j], pr = am[j];
			if (y >= K)
				continue;
			if (pr == y) {
				if (y)
					cnt[3 * (y - 1)]++;
			} else {
				if (pr)
					cnt[3 * (pr - 1) + 1]++;
				if (y)
					cnt[3 * (y - 1) + 2]++;
			}
		}
	}
	if (dist_size() > 1)
		(void)dist_allreduce_sum_d(t, nt); /* MPI errors are fatal */
	*val_loss = t[1] > 0 ? t[0] / t[1] : 0;
	if (loss == LOSS_BCEDICE)
		*val_loss += mdice_of_sums(dsum, K);
	double d = 0;
	for (int c = 0; c < F; c++) {
		double tp = cnt[3 * c], fp = cnt[3 * c + 1], fn = cnt[3 * c + 2];
		d += tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 1;
	}
	*dsc = d / F;
	free(t), free(am);
}

void train_evaluate_pw(struct unet *u, const struct trainset *va, enum lossfn loss,
                       double pos_weight, double *val_loss, double *dsc)
{
	if (unet_outputs(&u->cfg) > 1) {
		train_evaluate_classes(u, va, loss, NULL, val_loss, dsc);
		return;
	}
	size_t m = trainset_item_size(va), s = m * va->C, lo, hi;
	double bce = 0, si = 0, ss = 0;
	size_t lab = 0, tp = 0, fp = 0, fn = 0;
	dist_share(va->n, &lo, &hi); /* this rank's items; all of them on one */
	for (size_t i = lo; i < hi; i += u->B) {
		int n = (int)(hi - i < (size_t)u->B ? hi - i : (size_t)u->B);
		size_t cnt;
		const uint8_t *mk = va->mask + i * m;
		unet_forward(u, va->img + i * s, n);
		bce += wbce_forward(u->a.logit, mk, NULL, n, m, pos_weight, &cnt) * cnt;
		lab += cnt;
		for (size_t j = 0; j < n * m; j++) {
			if (mk[j] == 255)
				continue;
			float z = u->a.logit[j];
			int pr = z >= 0, y = mk[j];
			tp += pr && y, fp += pr && !y, fn += !pr && y;
			if (loss == LOSS_BCEDICE) {
				double p = sigmoidf(z);
				si += p * y, ss += p + y;
			}
		}
	}
	if (dist_size() > 1) {
		/* the counts are exact in a double up to 2^53; MPI errors are fatal */
		double t[7] = {bce, (double)lab, (double)tp, (double)fp, (double)fn, si, ss};
		(void)dist_allreduce_sum_d(t, 7);
		bce = t[0], si = t[5], ss = t[6];
		lab = (size_t)t[1], tp = (size_t)t[2], fp = (size_t)t[3], fn = (size_t)t[4];
	}
	*val_loss = lab ? bce / lab : 0;
	if (loss == LOSS_BCEDICE)
		*val_loss += 1 - (2 * si + 1) / (ss + 1);
	*dsc = tp + fp + fn ? 2.0 * tp / (2.0 * tp + fp + fn) : 1;
}

int train_run(struct unet *u, const struct trainset *tr, const struct trainset *va,
              const struct train_opts *o)
{
	size_t np = u->nparams, m = trainset_item_size(tr), s = m * tr->C;
	int B = o->batch < u->B ? o->batch : u->B;
	float *st1 = xcalloc(np, sizeof(float)), *st2 = xcalloc(np, sizeof(float));
	float *best = xmalloc(np * sizeof(float)), *in = xmalloc(B * s * sizeof(float));
	float *sw = xmalloc(B * sizeof(float));
	uint8_t *mk = xmalloc(B * m);
	size_t *perm = xmalloc((tr->n ? tr->n : 1) * sizeof *perm);
	double *avg = o->ema > 0 ? xmalloc(np * sizeof *avg) : NULL;
	int K = unet_outputs(&u->cfg);
	double *ms = xcalloc(1 + 2 * (size_t)K, sizeof *ms); /* K >= 3: the batch's sums */
	float *raw = o->ema > 0 ? xmalloc(np * sizeof *raw) : NULL;
	struct rng r;
	int epoch = 0, ran = -1;
	if (!st1 || !st2 || !best || !in || !sw || !mk || !perm || !ms ||
	    (o->ema > 0 && (!avg || !raw)))
		goto out;
	/* Over several ranks: the same sets and start everywhere, or a rank
	 * would wait in a sum the others never make. */
	uint64_t sig[5] = {tr->n, va ? va->n : 0, np, (uint64_t)B, s};
	int differs = dist_differs(sig, sizeof sig);
	if (!differs)
		differs = dist_differs(u->params, np * sizeof(float));
	if (differs > 0)
		error("the ranks' training sets or starting models differ");
	if (differs)
		goto out;
	rng_seed(&r, o->seed);
	memcpy(best, u->params, np * sizeof(float));
	for (size_t j = 0; avg && j < np; j++)
		avg[j] = u->params[j];

	double lr = o->lr, best_mon = INFINITY, best_rlr = INFINITY;
	int wait = 0, rlr_wait = 0, have_val = va && va->n > 0;
	long step = 0;
	if (o->log) {
		fprintf(o->log, "epoch\ttrain_loss\tval_loss\tval_dsc\tlr\tseconds\tslices_per_s\tbest\n");
		if (o->log_note)
			fputs(o->log_note, o->log);
	}
	for (epoch = 1; epoch <= o->epochs; epoch++) {
		double t0 = now_seconds(), tl = 0;
		for (size_t i = 0; i < tr->n; i++)
			perm[i] = i;
		for (size_t i = tr->n; i > 1; i--) {
			size_t j = rng_below(&r, i), t = perm[i - 1];
			perm[i - 1] = perm[j], perm[j] = t;
		}
		for (size_t i = 0; i < tr->n; i += B) {
			int n = (int)(tr->n - i < (size_t)B ? tr->n - i : (size_t)B);
			/* This rank's share [lo, hi) of the batch; every rank draws the
			 * augmentation of every item, so the random sequence is one run's. */
			size_t lo, hi;
			dist_share((size_t)n, &lo, &hi);
			int nl = (int)(hi - lo);
			for (int k = 0; k < n; k++) {
				size_t q = perm[i + k], kk = (size_t)k - lo;
				int mine = (size_t)k >= lo && (size_t)k < hi;
				if (!tr->zmult && (o->augment == 1 || (o->augment == 2 && tr->gt[q]))) {
					struct augment a;
					augment_draw(&a, &r, o->max_angle);
					if (mine)
						augment_apply(in + kk * s, mk + kk * m, tr->img + q * s,
						              tr->mask + q * m, tr->C, tr->H, tr->W, &a);
				} else if (mine) {
					memcpy(in + kk * s, tr->img + q * s, s * sizeof(float));
					memcpy(mk + kk * m, tr->mask + q * m, m);
				}
				if (mine)
					sw[kk] = (float)slice_weight(o->weights, tr->nsi[q]);
			}
			/* The losses are means over the whole batch's labelled pixels
			 * (and Dice's sums over the whole batch): the shares' counts and
			 * sums are summed first, and each share's BCE gradient scaled by
			 * its part of the count, so the ranks' gradients add up to the
			 * batch's (on one rank: share = 1 exactly, the plain arithmetic). */
			double sums[3] = {0, 0, 0}, l = 0;
			if (K > 1) {
				/* K classes: the normaliser of the cross-entropy and the Dice
				 * sums of the whole batch first; each share's loss and
				 * gradient are then over the whole batch's normaliser */
				size_t nms = 1 + 2 * (size_t)(K - 1);
				memset(ms, 0, nms * sizeof *ms);
				if (nl) {
					unet_forward(u, in, nl);
					ms[0] = sce_weight_sum(mk, o->class_weights, K, (size_t)nl * m);
					if (o->loss == LOSS_BCEDICE)
						mdice_sums(u->a.logit, mk, sw, nl, K, m, ms + 1);
				}
				if (dist_allreduce_sum_d(ms, nms))
					goto out;
				if (nl)
					l = sce_loss_grad(u->d.logit, u->a.logit, mk, sw, o->class_weights, nl,
					                  K, m, ms[0], 1.0);
				if (o->loss == LOSS_BCEDICE) {
					if (dist_rank() == 0)
						l += mdice_of_sums(ms + 1, K);
					if (nl)
						mdice_backward_sums(u->d.logit, u->a.logit, mk, sw, nl, K, m, ms + 1,
						                    1.0);
				}
			} else if (nl) {
				unet_forward(u, in, nl);
				sums[0] = (double)loss_labelled(mk, (size_t)nl * m);
				if (o->loss == LOSS_BCEDICE)
					dice_sums(u->a.logit, mk, sw, nl, m, &sums[1], &sums[2]);
			}
			double own = sums[0];
			if (K == 1 && dist_allreduce_sum_d(sums, 3))
				goto out;
			double share = sums[0] > 0 ? own / sums[0] : 1;
			if (K == 1 && nl)
				l = wbce_loss_grad(u->d.logit, u->a.logit, mk, sw, nl, m, o->pos_weight,
				                   share) * share;
			if (K == 1 && o->loss == LOSS_BCEDICE) {
				if (dist_rank() == 0)
					l += dice_of_sums(sums[1], sums[2]);
				if (nl)
					dice_backward_sums(u->d.logit, u->a.logit, mk, sw, nl, m, sums[1],
					                   sums[2], 1.0);
			}
			tl += l * n; /* summed over the ranks at the epoch's end */
			unet_zero_grad(u);
			if (nl)
				unet_backward(u);
			if (dist_allreduce_sum(u->grads, np))
				goto out;
			step++;
			float *w = u->params, *g = u->grads, flr = (float)lr;
			if (o->opt == OPT_RMSPROP) {
				/* Keras: v = rho v + (1 - rho) g^2; w -= lr g / (sqrt(v) + eps) */
				vec_rmsprop(w, g, st1, np, flr, 0.9f, 1e-7f);
			} else if (o->opt == OPT_SGD) {
				for (size_t j = 0; j < np; j++)
					w[j] -= flr * g[j];
			} else {
				/* Adam (beta 0.9, 0.999, eps 1e-7), bias-corrected step size */
				float a = (float)(lr * sqrt(1 - pow(0.999, step)) / (1 - pow(0.9, step)));
				for (size_t j = 0; j < np; j++) {
					st1[j] = 0.9f * st1[j] + 0.1f * g[j];
					st2[j] = 0.999f * st2[j] + 0.001f * g[j] * g[j];
					w[j] -= a * st1[j] / (sqrtf(st2[j]) + 1e-7f);
				}
			}
			if (avg) {
				double d = o->ema, e = 1 - o->ema;
				for (size_t j = 0; j < np; j++)
					avg[j] = d * avg[j] + e * w[j];
			}
			if (o->on_step)
				o->on_step(o->step_ctx, step, w, avg, np);
		}
		if (dist_allreduce_sum_d(&tl, 1))
			goto out;
		tl = tr->n ? tl / tr->n : 0;
		double vl = tl, dsc = NAN;
		if (avg) {
			/* the average stands in for the weights until the next step */
			memcpy(raw, u->params, np * sizeof(float));
			for (size_t j = 0; j < np; j++)
				u->params[j] = (float)avg[j];
		}
		if (have_val && K > 1)
			train_evaluate_classes(u, va, o->loss, o->class_weights, &vl, &dsc);
		else if (have_val)
			train_evaluate_pw(u, va, o->loss, o->pos_weight, &vl, &dsc);
		double secs = now_seconds() - t0;
		/* the monitored quantity: smaller is better */
		double mon = o->select == SELECT_DSC && have_val ? -dsc : vl;
		int improved = mon < best_mon;
		if (improved) {
			best_mon = mon, wait = 0;
			memcpy(best, u->params, np * sizeof(float));
		} else {
			wait++;
		}
		if (avg)
			memcpy(u->params, raw, np * sizeof(float));
		if (o->log) {
			fprintf(o->log, "%d\t%.6g\t%.6g\t%.6g\t%.3g\t%.3f\t%.1f\t%d\n", epoch, tl, vl, dsc, lr,
			        secs, tr->n / secs, improved);
			fflush(o->log);
		}
		if (!o->quiet)
			fprintf(stderr, "%s: epoch %d/%d  loss %.4f  val_loss %.4f  val_dsc %.4f  lr %.0e  "
			        "%.0f slices/s%s\n", progname, epoch, o->epochs, tl, vl, dsc, lr,
			        tr->n / secs, improved ? "  *" : "");
		if (wait >= o->patience) {
			epoch++;
			break;
		}
		/* Keras ReduceLROnPlateau on the validation loss, min_delta 1e-4 */
		if (vl < best_rlr - 1e-4) {
			best_rlr = vl, rlr_wait = 0;
		} else if (++rlr_wait >= o->lr_patience) {
			lr *= o->lr_factor, rlr_wait = 0;
		}
	}
	memcpy(u->params, best, np * sizeof(float));
	/* the ranks kept one model: a check of the MPI's sums being the same everywhere */
	differs = dist_differs(u->params, np * sizeof(float));
	if (differs > 0)
		error("the ranks' models differ after training (an MPI sum that is not the same on every rank)");
	if (differs)
		goto out;
	ran = epoch - 1;
out:
	free(st1), free(st2), free(best), free(in), free(sw), free(mk), free(perm);
	free(avg), free(raw), free(ms);
	return ran;
}
