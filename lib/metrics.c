/* metrics.c: overlap metrics, summary statistics, pairing of slab streams. */
#include "metrics.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void confusion_add(struct confusion *c, const uint8_t *pred, const uint8_t *gt, size_t n)
{
	/* counts of (pred, gt) per class, then combined: one pass, no branches
	 * on the data beyond the table index */
	uint64_t t[2][256] = { { 0 } };
	size_t i;
	for (i = 0; i < n; i++)
		t[pred[i] & 1][gt[i]]++;
	c->tp += t[1][1], c->fp += t[1][0], c->fn += t[0][1], c->tn += t[0][0];
	c->ignored += t[0][SLAB_UNLABELLED] + t[1][SLAB_UNLABELLED];
}

const char *metric_name(enum metric m)
{
	static const char *name[] = { "dsc", "iou", "tpr", "tnr", "precision" };
	return name[m];
}

const char *metric_undefined_reason(enum metric m)
{
	static const char *why[] = { "both masks empty", "both masks empty",
		                     "no foreground in ground truth",
		                     "no background in ground truth",
		                     "no foreground in prediction" };
	return why[m];
}

double metric_value(const struct confusion *c, enum metric m, double undef, int *undefined)
{
	double num = 0, den = 0;
	switch (m) {
	case M_DSC:
		num = 2.0 * c->tp, den = 2.0 * c->tp + c->fp + c->fn;
		break;
	case M_IOU:
		num = c->tp, den = (double)c->tp + c->fp + c->fn;
		break;
	case M_TPR:
		num = c->tp, den = (double)c->tp + c->fn;
		break;
	case M_TNR:
		num = c->tn, den = (double)c->tn + c->fp;
		break;
	case M_PRECISION:
		num = c->tp, den = (double)c->tp + c->fp;
		break;
	case M_COUNT:
		break;
	}
	*undefined = den == 0;
	return den == 0 ? undef : num / den;
}

int pred_mask(uint8_t *out, const struct slab *s, double thr, const char *src)
{
	size_t n = slab_count(s), i;
	if (s->nc != 1)
		return error("%s: a prediction has one channel, not %d: '%s'", src, s->nc, s->name);
	if (s->type == SLAB_U8) {
		const uint8_t *p = s->data;
		for (i = 0; i < n; i++) {
			uint64_t w;
			if (i + 8 <= n && (memcpy(&w, p + i, 8), !(w & 0xfefefefefefefefeULL))) {
				i += 7; /* eight bytes of 0 or 1 */
				continue;
			}
			if (p[i] > 1)
				return error("%s: a u8 prediction holds 0 or 1, not %d (voxel %zu): '%s'",
				             src, p[i], i, s->name);
		}
		if (out != p)
			memcpy(out, p, n);
		return 0;
	}
	if (s->type == SLAB_F32) {
		const float *p = s->data;
		for (i = 0; i < n; i++) {
			if (!(p[i] >= 0 && p[i] <= 1))
				return error("%s: probability out of [0,1]: %g (voxel %zu): '%s'", src,
				             p[i], i, s->name);
			out[i] = p[i] >= thr;
		}
		return 0;
	}
	return error("%s: a prediction is a u8 mask or f32 probabilities, not %s: '%s'", src,
	             slab_type_name(s->type), s->name);
}

int gt_check(const struct slab *s, size_t *unlabelled, const char *src)
{
	size_t n = slab_count(s), i, u = 0;
	const uint8_t *g = s->data;
	if (s->type != SLAB_U8)
		return error("%s: ground truth must be a u8 mask, not %s: '%s'", src,
		             slab_type_name(s->type), s->name);
	if (s->nc != 1)
		return error("%s: ground truth has one channel, not %d: '%s'", src, s->nc, s->name);
	for (i = 0; i < n; i++) {
		uint64_t w;
		if (i + 8 <= n && (memcpy(&w, g + i, 8), !(w & 0xfefefefefefefefeULL))) {
			i += 7; /* eight bytes of 0 or 1 */
			continue;
		}
		if (g[i] == SLAB_UNLABELLED)
			u++;
		else if (g[i] > 1)
			return error("%s: ground truth holds 0, 1 or 255, not %d (voxel %zu): '%s'", src,
			             g[i], i, s->name);
	}
	*unlabelled = u;
	return 0;
}

int pair_classes(const struct slab *pred, const struct slab *gt, struct classes *k,
                 const char *psrc, const char *gsrc)
{
	struct classes kp;
	const char *name = gt->name[0] ? gt->name : pred->name;
	if (classes_get(gt, k, gsrc) || classes_get(pred, &kp, psrc))
		return -1;
	if (pred->type == SLAB_F32 && pred->nc > 1 && !slab_get_extra(pred, CLASSES_KEY))
		return error("%s: a prediction of %d channels without CLASSES (formats/slab.md): '%s'",
		             psrc, pred->nc, name);
	if (pred->type == SLAB_F32 && pred->nc > 1 && kp.n != pred->nc)
		return error("%s: a prediction of %d channels with CLASSES %d: '%s'", psrc, pred->nc,
		             kp.n, name);
	if (!classes_equal(k, &kp))
		return error("classes differ: prediction %d (%s), ground truth %d (%s): '%s'", kp.n,
		             slab_get_extra(pred, CLASS_NAMES_KEY) ? slab_get_extra(pred, CLASS_NAMES_KEY)
		                                                   : "unnamed",
		             k->n, slab_get_extra(gt, CLASS_NAMES_KEY) ? slab_get_extra(gt, CLASS_NAMES_KEY)
		                                                       : "unnamed", name);
	return 0;
}

int pred_labels(uint8_t *out, const struct slab *s, const struct classes *k, const char *src)
{
	size_t n = slab_count(s), i;
	if (s->type == SLAB_U8 && s->nc == 1) {
		const uint8_t *p = s->data;
		for (i = 0; i < n; i++)
			if (p[i] >= k->n)
				return error("%s: a u8 prediction of %d classes holds 0..%d, not %d (voxel "
				             "%zu): '%s'", src, k->n, k->n - 1, p[i], i, s->name);
		memcpy(out, p, n);
		return 0;
	}
	if (s->type == SLAB_F32 && s->nc == k->n) {
		const float *p = s->data;
		for (i = 0; i < n; i++)
			if (!(p[i] >= 0 && p[i] <= 1))
				return error("%s: probability out of [0,1]: %g (value %zu): '%s'", src, p[i],
				             i, s->name);
		return classes_argmax(s, out, src);
	}
	return error("%s: a prediction of %d classes is a u8 label map or f32 with %d channels, "
	             "not %s with %d: '%s'", src, k->n, k->n, slab_type_name(s->type), s->nc,
	             s->name);
}

void class_masks(uint8_t *pm, uint8_t *gm, const uint8_t *pred, const uint8_t *gt, size_t n,
                 int c)
{
	size_t i;
	if (c == CLASS_FG)
		for (i = 0; i < n; i++) {
			pm[i] = pred[i] != 0;
			gm[i] = gt[i] == SLAB_UNLABELLED ? SLAB_UNLABELLED : gt[i] != 0;
		}
	else
		for (i = 0; i < n; i++) {
			pm[i] = pred[i] == c;
			gm[i] = gt[i] == SLAB_UNLABELLED ? SLAB_UNLABELLED : gt[i] == c;
		}
}

const char *class_label(const struct classes *k, int c, char *buf)
{
	if (c == CLASS_FG)
		return "fg";
	if (k->names[c][0])
		return k->names[c];
	snprintf(buf, 16, "%d", c);
	return buf;
}

void stat_add(struct runstat *s, double v)
{
	double d = v - s->mean;
	s->n++;
	s->mean += d / s->n;
	s->m2 += d * (v - s->mean);
}

double stat_sd(const struct runstat *s)
{
	return s->n < 2 ? NAN : sqrt(s->m2 / (s->n - 1));
}

void summary_header(FILE *f)
{
	fprintf(f, "metric\tmean\tsd\tn\tcases\tmean \u00b1 sd\tnote\n");
}

void summary_row(FILE *f, const char *name, const struct runstat *s, size_t cases, int decimals,
                 const char *note)
{
	double mean = s->n ? s->mean : NAN, sd = stat_sd(s);
	fprintf(f, "%s\t%.6g\t%.6g\t%zu\t%zu\t%.*f \u00b1 %.*f\t%s\n", name, mean, sd, s->n,
	        cases, decimals, mean, decimals, sd, note ? note : "");
}

void drop_unlabelled(uint8_t *pred, uint8_t *gt, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (gt[i] == SLAB_UNLABELLED)
			gt[i] = 0, pred[i] = 0;
}

int pair_open(struct pair_reader *p, const char *pred_path, const char *gt_path)
{
	memset(p, 0, sizeof *p);
	p->by_name = -1;
	if (!strcmp(pred_path, "-") && !strcmp(gt_path, "-"))
		return error("only one of the prediction and the ground truth can be stdin");
	if (slab_reader_open(&p->pred, pred_path))
		return -1;
	if (slab_reader_open(&p->gt, gt_path)) {
		slab_reader_close(&p->pred);
		return -1;
	}
	return 0;
}

void pair_close(struct pair_reader *p)
{
	int i;
	for (i = 0; i < p->npending; i++)
		slab_free(&p->pending[i]);
	free(p->pending);
	for (i = 0; i < p->nseen; i++)
		free(p->seen[i]);
	free(p->seen);
	slab_reader_close(&p->pred);
	slab_reader_close(&p->gt);
	memset(p, 0, sizeof *p);
}

/* Read the next prediction; 1, 0 at its end, -1. */
static int read_pred(struct pair_reader *p, struct slab *s)
{
	int rc;
	if (p->pred_eof)
		return 0;
	rc = slab_read(&p->pred, s);
	if (rc == 0)
		p->pred_eof = 1;
	return rc;
}

static int seen(const struct pair_reader *p, const char *name)
{
	int i;
	for (i = 0; i < p->nseen; i++)
		if (!strcmp(p->seen[i], name))
			return 1;
	return 0;
}

static int remember(struct pair_reader *p, const char *name)
{
	if (p->nseen == p->seencap) {
		int cap = p->seencap ? 2 * p->seencap : 64;
		char **n = realloc(p->seen, cap * sizeof *n);
		if (!n)
			return error("out of memory");
		p->seen = n, p->seencap = cap;
	}
	p->seen[p->nseen] = strdup(name);
	if (!p->seen[p->nseen])
		return error("out of memory");
	p->nseen++;
	return 0;
}

static int keep_pending(struct pair_reader *p, struct slab *s)
{
	int i;
	for (i = 0; i < p->npending; i++)
		if (!strcmp(p->pending[i].name, s->name))
			return error("%s: case appears twice: '%s'", p->pred.src, s->name);
	if (seen(p, s->name))
		return error("%s: case appears twice: '%s'", p->pred.src, s->name);
	if (p->npending == p->cap) {
		int cap = p->cap ? 2 * p->cap : 16;
		struct slab *n = realloc(p->pending, cap * sizeof *n);
		if (!n)
			return error("out of memory");
		p->pending = n, p->cap = cap;
	}
	p->pending[p->npending++] = *s;
	return 0;
}

/* The last step for a matched pair: remember its name, check dims and spacing. */
static int finish(struct pair_reader *p, struct slab *pred, struct slab *gt)
{
	char label[32];
	const char *name = gt->name[0] ? gt->name : pred->name;
	int a;
	snprintf(label, sizeof label, "slab %ld", p->npairs);
	if (!name[0])
		name = label;
	if (p->by_name && remember(p, gt->name))
		goto fail;
	if (pred->nx != gt->nx || pred->ny != gt->ny || pred->nz != gt->nz) {
		error("dims differ: prediction %dx%dx%d, ground truth %dx%dx%d: '%s'", pred->nx,
		      pred->ny, pred->nz, gt->nx, gt->ny, gt->nz, name);
		goto fail;
	}
	for (a = 0; a < 3; a++)
		if (fabs(pred->spacing[a] - gt->spacing[a]) > 1e-5 * gt->spacing[a]) {
			error("spacing differs: prediction %g %g %g, ground truth %g %g %g: '%s'",
			      pred->spacing[0], pred->spacing[1], pred->spacing[2], gt->spacing[0],
			      gt->spacing[1], gt->spacing[2], name);
			goto fail;
		}
	return 1;
fail:
	slab_free(pred);
	slab_free(gt);
	return -1;
}

/* By name: the prediction for gt, from those read ahead or further on. */
static int find_by_name(struct pair_reader *p, struct slab *pred, struct slab *gt)
{
	int i, rc;
	if (!gt->name[0]) {
		error("%s: slab %ld has no NAME, needed to match by name", p->gt.src, p->npairs);
		goto fail_gt;
	}
	if (seen(p, gt->name)) {
		error("%s: case appears twice: '%s'", p->gt.src, gt->name);
		goto fail_gt;
	}
	for (i = 0; i < p->npending; i++)
		if (!strcmp(p->pending[i].name, gt->name)) {
			*pred = p->pending[i];
			memmove(p->pending + i, p->pending + i + 1,
			        (p->npending - i - 1) * sizeof *p->pending);
			p->npending--;
			return finish(p, pred, gt);
		}
	for (;;) {
		rc = read_pred(p, pred);
		if (rc < 0)
			goto fail_gt;
		if (rc == 0) {
			error("%s: no prediction for this case: '%s'", p->pred.src, gt->name);
			goto fail_gt;
		}
		if (!pred->name[0]) {
			error("%s: a slab has no NAME, needed to match by name", p->pred.src);
			break;
		}
		if (!strcmp(pred->name, gt->name))
			return finish(p, pred, gt);
		if (keep_pending(p, pred))
			break;
	}
	slab_free(pred);
fail_gt:
	slab_free(gt);
	return -1;
}

/* By name, at the end of the ground truth: no prediction may be left over. */
static int end_by_name(struct pair_reader *p)
{
	struct slab s;
	int rc;
	if (p->npending)
		return error("%s: no ground truth for this case: '%s'", p->pred.src,
		             p->pending[0].name);
	rc = read_pred(p, &s);
	if (rc > 0) {
		error("%s: no ground truth for this case: '%s'", p->pred.src,
		      s.name[0] ? s.name : "(no name)");
		slab_free(&s);
	}
	return rc == 0 ? 0 : -1;
}

/* By position: the next prediction, and both streams end together. */
static int next_by_position(struct pair_reader *p, int rg, struct slab *pred, struct slab *gt)
{
	int rp = read_pred(p, pred);
	if (rp < 0) {
		if (rg)
			slab_free(gt);
		return -1;
	}
	if (rg == 0 && rp == 0)
		return 0;
	if (rg == 0 || rp == 0) {
		slab_free(rg ? gt : pred);
		return error("%s has more slabs than %s (matched by position, as the first slabs "
		             "are not both named)", rg ? p->gt.src : p->pred.src,
		             rg ? p->pred.src : p->gt.src);
	}
	if (gt->name[0] && pred->name[0] && strcmp(gt->name, pred->name)) {
		error("names differ at slab %ld: prediction '%s', ground truth '%s'", p->npairs,
		      pred->name, gt->name);
		slab_free(pred);
		slab_free(gt);
		return -1;
	}
	return finish(p, pred, gt);
}

int pair_next(struct pair_reader *p, struct slab *pred, struct slab *gt)
{
	int rg, rp;
	memset(pred, 0, sizeof *pred);
	rg = slab_read(&p->gt, gt);
	if (rg < 0)
		return -1;
	p->npairs += rg;
	if (p->by_name < 0) { /* the first pair decides how to match */
		if (rg == 0)
			return error("%s: no slab in the ground truth", p->gt.src);
		rp = read_pred(p, pred);
		if (rp <= 0) {
			slab_free(gt);
			return rp < 0 ? -1 : error("%s: no slab in the prediction", p->pred.src);
		}
		p->by_name = gt->name[0] && pred->name[0];
		if (!p->by_name || !strcmp(gt->name, pred->name))
			return finish(p, pred, gt);
		if (keep_pending(p, pred)) {
			slab_free(pred);
			slab_free(gt);
			return -1;
		}
		return find_by_name(p, pred, gt);
	}
	if (!p->by_name)
		return next_by_position(p, rg, pred, gt);
	if (rg == 0)
		return end_by_name(p);
	return find_by_name(p, pred, gt);
}

static int parse_conn(const char *v, void *dest)
{
	long c;
	if (parse_long(v, 6, 26, "-c/--conn", &c))
		return -1;
	if (c != 6 && c != 18 && c != 26)
		return error("-c/--conn: want 6, 18 or 26: '%s'", v);
	*(int *)dest = (int)c;
	return 0;
}

static int parse_empty(const char *v, void *dest)
{
	return hd_empty_parse(v, dest);
}

void hd_option_table(struct opt tab[5], struct hd_settings *s)
{
	static const char *const modes[] = { "medpy", "max", "hd", "assd", NULL };
	static const char *const unl[] = { "error", "exclude", NULL };
	struct opt t[5] = {
		OPT_ENUM('m', "mode", &s->mode, "MODE", modes,
		         "medpy: 95th percentile of the distances of both surfaces\n"
		         "pooled (default; the paper, MedPy's hd95)\n"
		         "max:   larger of the two directed 95th percentiles (MONAI)\n"
		         "hd:    Hausdorff distance, the largest distance (HD100)\n"
		         "assd:  mean of the two directed mean distances (MedPy)"),
		OPT_CALL('c', "conn", &s->conn, "N", parse_conn,
		         "erosion connectivity for the surface: 6 (default), 18, 26"),
		OPT_CALL('e', "empty", &s->empty, "WHAT", parse_empty,
		         "a mask with no voxel: inf (default: one empty -> inf, both\n"
		         "-> 0), nan (-> nan), diag (one -> the grid's diagonal in\n"
		         "mm, both -> 0), MM (one -> MM mm, both -> 0), error"),
		OPT_ENUM('U', "unlabelled", &s->exclude, "WHAT", unl,
		         "ground-truth voxels 255: error (default), or exclude\n"
		         "(set to background in both masks)"),
		OPT_END
	};
	memcpy(tab, t, sizeof t);
}

int hd_case(double *value, int *empty, size_t *npred, size_t *ngt, uint8_t *pred,
            const struct slab *gt, size_t unlabelled, const struct hd_settings *s,
            struct hd_tally *tally, struct runstat *st, const char *src, const char *name)
{
	if (unlabelled && !s->exclude)
		return error("%s: ground truth has %zu unlabelled voxels (255); the boundary distance "
		             "needs full ground truth, or -U exclude: '%s'", src, unlabelled, name);
	if (unlabelled)
		drop_unlabelled(pred, gt->data, slab_count(gt));
	if (hd_compute(value, empty, npred, ngt, pred, gt->data, gt->nx, gt->ny, gt->nz, gt->spacing,
	               (enum hd_mode)s->mode, s->conn, &s->empty, name))
		return -1;
	if (hd_tally_add(tally, *value, *empty))
		stat_add(st, *value);
	return 0;
}

int nsi_init(struct nsi_bins *b, long n)
{
	b->n = n;
	b->bin = xcalloc(n, sizeof *b->bin);
	b->cb = xcalloc(n, sizeof *b->cb);
	b->sb = xcalloc(n, sizeof *b->sb);
	if (!b->bin || !b->cb || !b->sb) {
		nsi_free(b);
		return -1;
	}
	return 0;
}

void nsi_add_case(struct nsi_bins *b, const uint8_t *pred, const uint8_t *gt, size_t plane,
                  int nz, double undef)
{
	long k, n = b->n;
	int z, u;
	memset(b->cb, 0, n * sizeof *b->cb);
	memset(b->sb, 0, n * sizeof *b->sb);
	for (z = 0; z < nz; z++) {
		struct confusion cz = { 0, 0, 0, 0, 0 };
		double t = nz > 1 ? (double)z / (nz - 1) : 0.5;
		k = (long)floor(t * n);
		if (k >= n)
			k = n - 1;
		confusion_add(&cz, pred + z * plane, gt + z * plane, plane);
		if (cz.tp + cz.fp + cz.fn + cz.tn == 0)
			continue; /* nothing labelled in this slice */
		b->sb[k]++;
		b->cb[k].tp += cz.tp, b->cb[k].fp += cz.fp, b->cb[k].fn += cz.fn, b->cb[k].tn += cz.tn;
	}
	for (k = 0; k < n; k++) {
		struct nsi_bin *e = &b->bin[k];
		double v;
		if (!b->sb[k])
			continue;
		v = metric_value(&b->cb[k], M_DSC, undef, &u);
		e->cases++;
		e->slices += b->sb[k];
		e->undefined += u;
		if (!isnan(v))
			stat_add(&e->st, v);
		e->all.tp += b->cb[k].tp, e->all.fp += b->cb[k].fp;
		e->all.fn += b->cb[k].fn, e->all.tn += b->cb[k].tn;
	}
}

void nsi_write(FILE *f, const struct nsi_bins *b, double undef)
{
	long k, n = b->n;
	fprintf(f, "bin\tnsi_lo\tnsi_hi\tcases\tslices\tdsc_mean\tdsc_sd\tdsc_pooled\tundefined\n");
	for (k = 0; k < n; k++) {
		const struct nsi_bin *e = &b->bin[k];
		int u;
		double pooled = e->cases ? metric_value(&e->all, M_DSC, undef, &u) : NAN;
		fprintf(f, "%ld\t%.6g\t%.6g\t%zu\t%zu\t%.6g\t%.6g\t%.6g\t%zu\n", k, (double)k / n,
		        (double)(k + 1) / n, e->cases, e->slices, e->st.n ? e->st.mean : NAN,
		        stat_sd(&e->st), pooled, e->undefined);
	}
}

void nsi_free(struct nsi_bins *b)
{
	free(b->bin), free(b->cb), free(b->sb);
	memset(b, 0, sizeof *b);
}

int class_case_open(struct class_case *cc, const struct slab *ps, const struct slab *gs,
                    const struct classes *k, const char *psrc, const char *gsrc)
{
	memset(cc, 0, sizeof *cc);
	cc->n = slab_count(gs);
	cc->g = *gs;
	cc->lab = xmalloc(cc->n), cc->gm = xmalloc(cc->n), cc->pm = xmalloc(cc->n);
	if (!cc->lab || !cc->gm || !cc->pm || pred_labels(cc->lab, ps, k, psrc) ||
	    classes_check_labels(gs, k, gsrc)) {
		class_case_free(cc);
		return -1;
	}
	for (size_t i = 0; i < cc->n; i++)
		cc->unl += ((const uint8_t *)gs->data)[i] == SLAB_UNLABELLED;
	cc->g.data = cc->gm;
	return 0;
}

int class_case_row(struct class_case *cc, const struct slab *gs, const struct classes *k, int i)
{
	int cl = i == k->n ? CLASS_FG : i;
	class_masks(cc->pm, cc->gm, cc->lab, gs->data, cc->n, cl);
	return cl;
}

void class_case_free(struct class_case *cc)
{
	free(cc->lab), free(cc->gm), free(cc->pm);
	cc->lab = cc->gm = cc->pm = NULL;
}
