/* train.c: the slice pool, mini-batch training with RMSprop or Adam,
 * learning-rate reduction on plateau, early stopping, best-epoch weights. */
#include "train.h"

#include "augment.h"
#include "kernels.h"
#include "layers.h"
#include "util.h"
#include "volpool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the pool --------------------------------------------------------- */

static int pool_grow(struct pool *p, size_t need)
{
	if (need <= p->cap)
		return 0;
	size_t cap = p->cap ? p->cap : 64;
	while (cap < need)
		cap *= 2;
	size_t s = (size_t)p->C * p->H * p->W, m = (size_t)p->H * p->W;
	float *img = realloc(p->img, cap * s * sizeof *img);
	if (img)
		p->img = img;
	uint8_t *mask = realloc(p->mask, cap * m);
	if (mask)
		p->mask = mask;
	float *nsi = realloc(p->nsi, cap * sizeof *nsi);
	if (nsi)
		p->nsi = nsi;
	uint8_t *gt = realloc(p->gt, cap);
	if (gt)
		p->gt = gt;
	if (!img || !mask || !nsi || !gt)
		return error("out of memory for %zu training slices", cap);
	p->cap = cap;
	return 0;
}

int pool_add(struct pool *p, const struct slab *img, const struct slab *mask, const char *src)
{
	if (p->zmult)
		return pool_add_volume(p, img, mask, src);
	if (mask->type != SLAB_U8 || mask->nc != 1)
		return error("%s: mask must be u8 with one channel, not %s with %d", src,
		             slab_type_name(mask->type), mask->nc);
	if (mask->nx != img->nx || mask->ny != img->ny || mask->nz != img->nz)
		return error("%s: mask dims %dx%dx%d differ from image dims %dx%dx%d", src, mask->nx,
		             mask->ny, mask->nz, img->nx, img->ny, img->nz);
	if (p->C == 0)
		p->W = img->nx, p->H = img->ny, p->C = img->nc;
	if (img->nx != p->W || img->ny != p->H)
		return error("%s: slice size %dx%d differs from the first volume's %dx%d", src,
		             img->nx, img->ny, p->W, p->H);
	if (img->nc != p->C)
		return error("%s: %d channels, the first volume has %d", src, img->nc, p->C);
	const char *slices = slab_get_extra(mask, "SLICES");
	size_t m = (size_t)p->W * p->H, s = m * p->C;
	const uint8_t *mk = mask->data;
	for (size_t i = 0; i < m * mask->nz; i++)
		if (mk[i] > 1 && mk[i] != 255)
			return error("%s: mask value %d at sample %zu (expected 0, 1 or 255)", src, mk[i], i);
	float *tmp = xmalloc(s * sizeof *tmp);
	if (!tmp)
		return -1;
	for (int z = 0; z < img->nz; z++) {
		const uint8_t *ms = mk + z * m;
		size_t lab = 0;
		for (size_t i = 0; i < m; i++)
			lab += ms[i] != 255;
		/* the z-th token of SLICES, if any */
		char tok = 0;
		if (slices) {
			const char *t = slices;
			for (int k = 0; *t && k <= z; k++) {
				while (*t == ' ')
					t++;
				if (k == z)
					tok = *t;
				while (*t && *t != ' ')
					t++;
			}
		}
		if (!lab)
			continue;
		if (pool_grow(p, p->n + 1)) {
			free(tmp);
			return -1;
		}
		/* one z-slice of the image with all its channels is contiguous */
		if (img->type == SLAB_F32) {
			memcpy(p->img + p->n * s, (const float *)img->data + z * s, s * sizeof(float));
		} else {
			for (size_t i = 0; i < s; i++)
				p->img[p->n * s + i] = (float)slab_get(img, z * s + i);
		}
		memcpy(p->mask + p->n * m, ms, m);
		p->nsi[p->n] = img->nz > 1 ? (float)z / (img->nz - 1) : 0.5f;
		p->gt[p->n] = !slices || tok == 'g';
		p->n++;
	}
	free(tmp);
	p->volumes++;
	return 0;
}

/* Split a line into two white-space separated words (in place). */
static int two_words(char *line, char **a, char **b)
{
	char *save, *x = strtok_r(line, " \t\r", &save), *y = x ? strtok_r(NULL, " \t\r", &save) : NULL;
	if (!x || !y || strtok_r(NULL, " \t\r", &save))
		return -1;
	*a = x, *b = y;
	return 0;
}

static int load_pair(struct pool *p, const char *ipath, const char *mpath)
{
	struct slab_reader ri, rm;
	struct slab si, sm;
	int rc = -1, a, b;
	char src[1024];
	if (slab_reader_open(&ri, ipath))
		return -1;
	if (slab_reader_open(&rm, mpath)) {
		slab_reader_close(&ri);
		return -1;
	}
	for (;;) {
		a = slab_read(&ri, &si);
		if (a < 0)
			break;
		b = slab_read(&rm, &sm);
		if (b < 0) {
			if (a)
				slab_free(&si);
			break;
		}
		if (!a || !b) {
			if (a || b)
				error("'%s' and '%s' hold different numbers of slabs", ipath, mpath);
			else
				rc = 0;
			if (a)
				slab_free(&si);
			if (b)
				slab_free(&sm);
			break;
		}
		snprintf(src, sizeof src, "'%s' + '%s'%s%s", ipath, mpath, si.name[0] ? " case " : "",
		         si.name);
		int bad = si.name[0] && sm.name[0] && strcmp(si.name, sm.name);
		if (bad)
			error("%s: image case '%s' paired with mask case '%s'", src, si.name, sm.name);
		if (bad || pool_add(p, &si, &sm, src)) {
			slab_free(&si), slab_free(&sm);
			break;
		}
		slab_free(&si), slab_free(&sm);
	}
	slab_reader_close(&ri), slab_reader_close(&rm);
	return rc;
}

int pool_load_list(struct pool *p, const char *list)
{
	size_t len;
	char *buf = read_whole(list, &len), *save = NULL, *line;
	int lineno = 0, rc = 0;
	if (!buf)
		return -1;
	if (strlen(buf) != len) {
		free(buf);
		return error("list file holds a NUL byte: '%s'", list);
	}
	/* strtok_r skips empty lines, so count them by hand */
	for (line = buf; line && *line; ) {
		char *nl = strchr(line, '\n'), *a, *b, *s = line;
		if (nl)
			*nl = '\0';
		lineno++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s && *s != '#' && *s != '\r') {
			if (two_words(s, &a, &b)) {
				rc = error("%s:%d: expected 'IMAGE.slab MASK.slab'", list, lineno);
				break;
			}
			if ((rc = load_pair(p, a, b)))
				break;
		}
		line = nl ? nl + 1 : NULL;
	}
	(void)save;
	free(buf);
	if (!rc && p->volumes == 0)
		rc = error("no image/mask pairs in list '%s'", list);
	return rc;
}

void pool_free(struct pool *p)
{
	free(p->img), free(p->mask), free(p->nsi), free(p->gt);
	memset(p, 0, sizeof *p);
}

size_t pool_keep_gt(struct pool *p)
{
	size_t m = pool_item_size(p), s = m * p->C, k = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (!p->gt[i])
			continue;
		if (k != i) {
			memmove(p->img + k * s, p->img + i * s, s * sizeof *p->img);
			memmove(p->mask + k * m, p->mask + i * m, m);
			p->nsi[k] = p->nsi[i];
			p->gt[k] = p->gt[i];
		}
		k++;
	}
	p->n = k;
	return k;
}

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

void train_evaluate(struct unet *u, const struct pool *va, enum lossfn loss, double *val_loss,
                    double *dsc)
{
	train_evaluate_pw(u, va, loss, 1, val_loss, dsc);
}

void train_evaluate_pw(struct unet *u, const struct pool *va, enum lossfn loss,
                       double pos_weight, double *val_loss, double *dsc)
{
	size_t m = pool_item_size(va), s = m * va->C;
	double bce = 0, si = 0, ss = 0;
	size_t lab = 0, tp = 0, fp = 0, fn = 0;
	for (size_t i = 0; i < va->n; i += u->B) {
		int n = (int)(va->n - i < (size_t)u->B ? va->n - i : (size_t)u->B);
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
	*val_loss = lab ? bce / lab : 0;
	if (loss == LOSS_BCEDICE)
		*val_loss += 1 - (2 * si + 1) / (ss + 1);
	*dsc = tp + fp + fn ? 2.0 * tp / (2.0 * tp + fp + fn) : 1;
}

int train_run(struct unet *u, const struct pool *tr, const struct pool *va,
              const struct train_opts *o)
{
	size_t np = u->nparams, m = pool_item_size(tr), s = m * tr->C;
	int B = o->batch < u->B ? o->batch : u->B;
	float *st1 = xcalloc(np, sizeof(float)), *st2 = xcalloc(np, sizeof(float));
	float *best = xmalloc(np * sizeof(float)), *in = xmalloc(B * s * sizeof(float));
	float *sw = xmalloc(B * sizeof(float));
	uint8_t *mk = xmalloc(B * m);
	size_t *perm = xmalloc((tr->n ? tr->n : 1) * sizeof *perm);
	double *avg = o->ema > 0 ? xmalloc(np * sizeof *avg) : NULL;
	float *raw = o->ema > 0 ? xmalloc(np * sizeof *raw) : NULL;
	struct rng r;
	int epoch = 0, ran = -1;
	if (!st1 || !st2 || !best || !in || !sw || !mk || !perm || (o->ema > 0 && (!avg || !raw)))
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
			for (int k = 0; k < n; k++) {
				size_t q = perm[i + k];
				if (!tr->zmult && (o->augment == 1 || (o->augment == 2 && tr->gt[q]))) {
					struct augment a;
					augment_draw(&a, &r, o->max_angle);
					augment_apply(in + k * s, mk + k * m, tr->img + q * s, tr->mask + q * m,
					              tr->C, tr->H, tr->W, &a);
				} else {
					memcpy(in + k * s, tr->img + q * s, s * sizeof(float));
					memcpy(mk + k * m, tr->mask + q * m, m);
				}
				sw[k] = (float)slice_weight(o->weights, tr->nsi[q]);
			}
			unet_forward(u, in, n);
			double l = wbce_loss_grad(u->d.logit, u->a.logit, mk, sw, n, m, o->pos_weight, 1.0);
			if (o->loss == LOSS_BCEDICE) {
				l += dice_forward(u->a.logit, mk, sw, n, m);
				dice_backward(u->d.logit, u->a.logit, mk, sw, n, m, 1.0);
			}
			tl += l * n;
			unet_zero_grad(u);
			unet_backward(u);
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
		tl = tr->n ? tl / tr->n : 0;
		double vl = tl, dsc = NAN;
		if (avg) {
			/* the average stands in for the weights until the next step */
			memcpy(raw, u->params, np * sizeof(float));
			for (size_t j = 0; j < np; j++)
				u->params[j] = (float)avg[j];
		}
		if (have_val)
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
	ran = epoch - 1;
out:
	free(st1), free(st2), free(best), free(in), free(sw), free(mk), free(perm);
	free(avg), free(raw);
	return ran;
}
