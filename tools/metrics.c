/* metrics: overlap metrics of predicted masks against ground truth, per case.
 *
 * Reads a prediction slab stream (u8 0/1 masks, or f32 probabilities taken
 * as foreground where p >= THR) and a ground-truth stream (u8 0/1/255),
 * pairs them by case name (or by position when the first slabs are not both
 * named), and writes one TSV row per case (DSC, IoU, TPR, TNR, precision and
 * the counts; optionally a boundary distance) and a mean ± sd summary.
 * Ground-truth voxels 255 (unlabelled) are in no count. Multi-class cases
 * (C >= 3 classes, lib/classes.h: label maps, or f32 probabilities of C
 * channels taken by argmax) get one row per class c >= 1 and one for the
 * merged foreground, with a `class` column after `case`. Definitions:
 * lib/metrics.h and README.md, "Evaluation". */
#include "metrics.h"
#include "opt.h"
#include "outbatch.h"
#include "slab.h"
#include "surfdist.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* -u: "nan", or a number in [0, 1]. */
static int parse_undef(const char *v, void *dest)
{
	if (!strcmp(v, "nan")) {
		*(double *)dest = NAN;
		return 0;
	}
	return parse_double(v, 0, 1, "-u/--undefined", dest);
}

/* The streams the run writes, kept in memory until the end. */
struct outputs {
	FILE *rows, *sum, *nsi, *slices;
	char *buf[4];
	size_t len[4];
};

/* Close the streams that are open; -1 when one failed (out of memory). */
static int close_outputs(struct outputs *o)
{
	FILE **f[4] = { &o->rows, &o->sum, &o->nsi, &o->slices };
	int i, bad = 0;
	for (i = 0; i < 4; i++)
		if (*f[i]) {
			bad |= fclose(*f[i]);
			*f[i] = NULL;
		}
	return bad ? -1 : 0;
}

/* Write every output whole or none at all (outbatch_write_all): the rows
 * to stdout with -o -, the summary to stderr without -s. */
static int commit(struct outputs *o, const char *path[4])
{
	FILE *const std[4] = { stdout, stderr, NULL, NULL };
	if (close_outputs(o))
		return error("out of memory");
	return outbatch_write_all(4, path, o->buf, o->len, std);
}

/* Score slots: 0 the binary mask (C = 2) or the merged foreground, c the
 * class c >= 1, MEAN_SLOT the per-case mean over classes 1..C-1. */
#define MEAN_SLOT CLASSES_MAX

/* The settings and the running totals of a run. */
struct run {
	double thr, undef; /* -t, -u (NAN: left out) */
	int want_hd;
	struct hd_settings hs;
	struct classes k;   /* the first case's; k.n 0 before it */
	size_t cases, ignored, nf32;
	size_t nundef[CLASSES_MAX + 1][M_COUNT], hmean_out;
	struct hd_tally tally[CLASSES_MAX];
	struct runstat st[CLASSES_MAX + 1][M_COUNT], hst[CLASSES_MAX + 1];
	struct nsi_bins bins;  /* n 0: no --nsi-bins */
};

/* The TSV header, once the first case says whether it is multi-class. */
static void write_header(FILE *f, const struct run *r)
{
	fprintf(f, "case%s\tdsc\tiou\ttpr\ttnr\tprecision\ttp\tfp\tfn\ttn\tignored",
	        r->k.n > 2 ? "\tclass" : "");
	if (r->want_hd)
		fprintf(f, "\t%s\thd_empty", hd_mode_column(r->hs.mode));
	fputc('\n', f);
}

/* One row: the binary masks pm and gs (one class, or the merged
 * foreground) of case `name`, scored into slot; cls the class column or
 * NULL (binary). v[] gets the metrics and *hd the distance. 0 or -1. */
static int score_mask(struct run *r, struct outputs *o, const char *src, const char *name,
                      const char *cls, int slot, uint8_t *pm, struct slab *gs, size_t unl,
                      double v[M_COUNT], double *hd)
{
	struct confusion c = { 0, 0, 0, 0, 0 };
	int m, u;
	confusion_add(&c, pm, gs->data, slab_count(gs));
	if (slot == 0)
		r->ignored += c.ignored;
	fprintf(o->rows, "%s", name);
	if (cls)
		fprintf(o->rows, "\t%s", cls);
	for (m = 0; m < M_COUNT; m++) {
		v[m] = metric_value(&c, m, r->undef, &u);
		r->nundef[slot][m] += u;
		if (!isnan(v[m]))
			stat_add(&r->st[slot][m], v[m]);
		fprintf(o->rows, "\t%.6g", v[m]);
	}
	fprintf(o->rows, "\t%llu\t%llu\t%llu\t%llu\t%llu", (unsigned long long)c.tp,
	        (unsigned long long)c.fp, (unsigned long long)c.fn, (unsigned long long)c.tn,
	        (unsigned long long)c.ignored);
	if (r->want_hd) {
		size_t np, ng;
		int empty;
		if (hd_case(hd, &empty, &np, &ng, pm, gs, unl, &r->hs, &r->tally[slot],
		            &r->hst[slot], src, name))
			return -1;
		fprintf(o->rows, "\t%.6g\t%s", *hd, hd_empty_name(empty));
	}
	fputc('\n', o->rows);
	return 0;
}

/* The masks' slice index bins and per-slice counts. */
static void score_slices(struct run *r, struct outputs *o, const char *name, const uint8_t *pm,
                         const struct slab *gs)
{
	size_t plane = (size_t)gs->nx * gs->ny;
	const uint8_t *gt = gs->data;
	if (r->bins.n)
		nsi_add_case(&r->bins, pm, gt, plane, gs->nz, r->undef);
	for (int z = 0; o->slices && z < gs->nz; z++) { /* per-slice counts */
		struct confusion cz = { 0, 0, 0, 0, 0 };
		confusion_add(&cz, pm + z * plane, gt + z * plane, plane);
		fprintf(o->slices, "%s\t%d\t%llu\t%llu\t%llu\t%llu\t%llu\n", name, z,
		        (unsigned long long)cz.tp, (unsigned long long)cz.fp,
		        (unsigned long long)cz.fn, (unsigned long long)cz.tn,
		        (unsigned long long)cz.ignored);
	}
}

/* A multi-class case: the label maps, a row per class c >= 1 and the
 * merged foreground's (which the slice bins and counts use), the case's
 * mean over classes. 0 or -1. */
static int score_classes(struct run *r, struct outputs *o, const struct pair_reader *pr,
                         const char *name, struct slab *ps, struct slab *gs)
{
	struct class_case cc;
	double v[M_COUNT], sum[M_COUNT] = { 0 }, hd = 0, hsum = 0;
	int m, c, cnt[M_COUNT] = { 0 }, hcnt = 0, rc = -1;
	char buf[16];
	if (class_case_open(&cc, ps, gs, &r->k, pr->pred.src, pr->gt.src))
		return -1;
	r->nf32 += ps->type == SLAB_F32;
	for (c = 1; c <= r->k.n; c++) {
		int cl = class_case_row(&cc, gs, &r->k, c);
		if (cl == CLASS_FG)
			score_slices(r, o, name, cc.pm, &cc.g);
		if (score_mask(r, o, pr->gt.src, name, class_label(&r->k, cl, buf), cl, cc.pm, &cc.g,
		               cc.unl, v, &hd))
			goto out;
		for (m = 0; cl != CLASS_FG && m < M_COUNT; m++)
			if (!isnan(v[m]))
				sum[m] += v[m], cnt[m]++;
		if (cl != CLASS_FG && r->want_hd && !isnan(hd))
			hsum += hd, hcnt++;
	}
	for (m = 0; m < M_COUNT; m++)
		if (cnt[m])
			stat_add(&r->st[MEAN_SLOT][m], sum[m] / cnt[m]);
	if (r->want_hd) {
		if (hcnt && isfinite(hsum))
			stat_add(&r->hst[MEAN_SLOT], hsum / hcnt);
		else
			r->hmean_out++;
	}
	rc = 0;
out:
	class_case_free(&cc);
	return rc;
}

/* One case: its row(s), its slices and bins, its totals. 0 or -1. */
static int score_case(struct run *r, struct outputs *o, const struct pair_reader *pr,
                      struct slab *ps, struct slab *gs)
{
	size_t n = slab_count(gs), unl;
	uint8_t *pm;
	struct classes k;
	char label[32];
	const char *name = gs->name[0] ? gs->name : ps->name;
	double v[M_COUNT], hd;
	int rc;

	r->cases++;
	if (!name[0]) {
		snprintf(label, sizeof label, "%zu", r->cases);
		name = label;
	}
	if (pair_classes(ps, gs, &k, pr->pred.src, pr->gt.src))
		return -1;
	if (!r->k.n) {
		r->k = k;
		write_header(o->rows, r);
	} else if (!classes_equal(&k, &r->k))
		return classes_mismatch(pr->gt.src, "classes", "the first case's", &k, &r->k, name);
	if (k.n > 2)
		return score_classes(r, o, pr, name, ps, gs);
	pm = ps->type == SLAB_U8 ? ps->data : xmalloc(n);
	r->nf32 += ps->type == SLAB_F32;
	rc = !pm || pred_mask(pm, ps, r->thr, pr->pred.src) || gt_check(gs, &unl, pr->gt.src);
	if (!rc) {
		score_slices(r, o, name, pm, gs);
		rc = score_mask(r, o, pr->gt.src, name, NULL, 0, pm, gs, unl, v, &hd);
	}
	if (pm != ps->data)
		free(pm);
	return rc ? -1 : 0;
}

/* The summary rows of one slot (prefix: the class column, or "" binary). */
static void summary_slot(FILE *f, const struct run *r, int slot, const char *prefix)
{
	int undef_nan = isnan(r->undef), m;
	const char *how = undef_nan ? "left out as nan" : r->undef ? "counted as 1" : "counted as 0";
	for (m = 0; m < M_COUNT; m++) {
		char note[256] = "";
		if (slot != MEAN_SLOT && r->nundef[slot][m])
			snprintf(note, sizeof note, "%zu case%s 0/0 (%s) %s", r->nundef[slot][m],
			         r->nundef[slot][m] == 1 ? "" : "s", metric_undefined_reason(m), how);
		fputs(prefix, f);
		summary_row(f, metric_name(m), &r->st[slot][m], r->cases, 3, note);
	}
	if (r->want_hd) {
		char note[512] = "";
		if (slot != MEAN_SLOT)
			hd_tally_note(&r->tally[slot], note, sizeof note);
		else if (r->hmean_out)
			snprintf(note, sizeof note, "%zu case%s with an infinite or undefined class "
			         "distance left out", r->hmean_out, r->hmean_out == 1 ? "" : "s");
		fputs(prefix, f);
		summary_row(f, hd_mode_column(r->hs.mode), &r->hst[slot], r->cases, 2, note);
	}
}

/* The summary: what was compared and how, then one row per metric (per
 * class, the merged foreground and the mean over classes when C >= 3). */
static void write_summary(FILE *f, const struct run *r, int by_name)
{
	int undef_nan = isnan(r->undef), c;
	const char *how = undef_nan ? "left out as nan" : r->undef ? "counted as 1" : "counted as 0";
	char desc[128], pre[CLASS_NAME_MAX + 2], buf[16];

	fprintf(f, "# metrics: %zu cases matched by %s; ", r->cases, by_name ? "name" : "position");
	if (r->nf32)
		fprintf(f, r->k.n > 2 ? "%zu f32 predictions taken by argmax; "
		                      : "%zu f32 predictions thresholded at p >= %g; ", r->nf32, r->thr);
	fprintf(f, "%zu unlabelled ground-truth voxels (255) left out\n", r->ignored);
	fprintf(f, "# a ratio 0/0 is %s; sd is the sample standard deviation (n-1)\n",
	        undef_nan ? "nan, left out of the mean" : how);
	if (r->want_hd)
		fprintf(f, "# %s: mode %s, connectivity %d, in mm; empty masks: %s\n",
		        hd_mode_column(r->hs.mode), hd_mode_name(r->hs.mode), r->hs.conn,
		        hd_empty_describe(&r->hs.empty, desc, sizeof desc));
	if (r->k.n <= 2) {
		summary_header(f);
		summary_slot(f, r, 0, "");
		return;
	}
	fprintf(f, "# %d classes; class: each class >= 1, fg: every class >= 1 as one mask, mean: "
	        "per case the mean over classes 1..%d (undefined values left out)\n", r->k.n,
	        r->k.n - 1);
	fputs("class\t", f);
	summary_header(f);
	for (c = 1; c <= r->k.n + 1; c++) {
		int slot = c == r->k.n ? CLASS_FG : c == r->k.n + 1 ? MEAN_SLOT : c;
		snprintf(pre, sizeof pre, "%s\t",
		         slot == MEAN_SLOT ? "mean" : class_label(&r->k, slot, buf));
		summary_slot(f, r, slot, pre);
	}
}

int main(int argc, char **argv)
{
	static struct run r = { .thr = 0.5, .undef = 1, .hs = HD_SETTINGS_DEFAULT };
	long nbins = 0;
	int i, rc;
	const char *path[4] = { "-", NULL, NULL, NULL }; /* rows, summary, nsi, slices */
	struct opt hdopts[5];
	struct opt opts[] = {
		OPT_DOUBLE('t', "threshold", &r.thr, "THR", 0, 1,
		           "one-channel f32 predictions: p >= THR is foreground\n"
		           "(default 0.5; C channels take the argmax, no THR)"),
		OPT_CALL('u', "undefined", &r.undef, "1|0|nan", parse_undef,
		         "value of a ratio 0/0, e.g. DSC when both masks are empty:\n"
		         "1 (default), 0, or nan (left out of the mean); counted\n"
		         "in the summary either way"),
		OPT_FLAG(0, "hd95", &r.want_hd, "add a boundary distance column, set by:"),
		OPT_GROUP(hdopts),
		OPT_LONG(0, "nsi-bins", &nbins, "N", 1, 100000,
		         "also write DSC per normalised slice index bin (nsi =\n"
		         "z/(nz-1), bin = floor(nsi*N), the last bin holds nsi 1)"),
		OPT_STRING(0, "nsi-out", &path[2], "FILE", "... into FILE (with --nsi-bins)"),
		OPT_STRING(0, "slices-out", &path[3], "FILE",
		           "also write the counts of every z-slice, one row per\n"
		           "case and slice: case z tp fp fn tn ignored"),
		OPT_STRING('s', "summary", &path[1], "SUMMARY", "the mean ± sd summary (default stderr)"),
		OPT_STRING('o', "output", &path[0], "OUT", "the per-case TSV (default stdout)"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "metrics", .operands = "PRED GT", .min_operands = 2, .max_operands = 2,
		.about = "Overlap metrics of predicted masks against ground truth, one TSV row per case:\n"
		         "case dsc iou tpr tnr precision tp fp fn tn ignored [hd95 hd_empty]; label maps\n"
		         "of C >= 3 classes: case class dsc ... (a row per class and 'fg').",
		.opts = opts,
		.notes = "PRED and GT are slab streams, one may be - (stdin). Cases are matched by NAME\n"
		         "when the first slab of each stream is named, else by position; a case without\n"
		         "its partner is an error. All output files appear together or not at all.\n"
		         "Multi-class (C >= 3 classes, formats/slab.md): GT a label map (0..C-1, 255),\n"
		         "PRED a label map of the same classes (count, names, values) or f32\n"
		         "probabilities of C channels, taken by argmax (ties to the lower class; -t\n"
		         "does not apply). Every case must have the first case's classes. The TSV gets\n"
		         "a column class after case: one row per class c >= 1 (its name, else its\n"
		         "number) scored as the mask 'voxel is c', and one row 'fg', every class >= 1\n"
		         "as one mask (the merged foreground); each row with its own counts and, with\n"
		         "--hd95, its own distance (-U exclude per mask as for a binary one). The\n"
		         "summary has a leading class column: each class, fg, and 'mean' (per case\n"
		         "the mean over classes 1..C-1 of the defined values, then mean ± sd over\n"
		         "cases). --nsi-bins and --slices-out count the merged foreground."
	};
	struct pair_reader pr;
	struct slab ps = { 0 }, gs = { 0 };
	struct outputs o;
	int status = 1;

	hd_option_table(hdopts, &r.hs);
	if ((i = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(i);
	if (!nbins != !path[2])
		return opt_fail("--nsi-bins and --nsi-out go together");
	if (nbins && nsi_init(&r.bins, nbins))
		return 1;
	if (pair_open(&pr, argv[i], argv[i + 1])) {
		nsi_free(&r.bins);
		return 1;
	}

	/* everything is kept in memory until the end: a failed run writes nothing */
	memset(&o, 0, sizeof o);
	o.rows = open_memstream(&o.buf[0], &o.len[0]);
	o.sum = open_memstream(&o.buf[1], &o.len[1]);
	if (nbins)
		o.nsi = open_memstream(&o.buf[2], &o.len[2]);
	if (path[3])
		o.slices = open_memstream(&o.buf[3], &o.len[3]);
	if (!o.rows || !o.sum || (nbins && !o.nsi) || (path[3] && !o.slices)) {
		error("out of memory");
		goto out;
	}
	if (o.slices)
		fprintf(o.slices, "case\tz\ttp\tfp\tfn\ttn\tignored\n");
	while ((rc = pair_next(&pr, &ps, &gs)) > 0) {
		if (score_case(&r, &o, &pr, &ps, &gs))
			goto out;
		slab_free(&ps);
		slab_free(&gs);
	}
	if (rc < 0)
		goto out;
	write_summary(o.sum, &r, pr.by_name);
	if (nbins)
		nsi_write(o.nsi, &r.bins, r.undef);
	if (commit(&o, path))
		goto out;
	status = close_stdout() ? 1 : 0;
out: /* error exits free too: make SANITIZE=1 checks for leaks */
	slab_free(&ps);
	slab_free(&gs);
	pair_close(&pr);
	close_outputs(&o);
	for (i = 0; i < 4; i++)
		free(o.buf[i]);
	nsi_free(&r.bins);
	return status;
}
