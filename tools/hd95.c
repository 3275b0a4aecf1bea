/* hd95: boundary distance between predicted and ground-truth masks, per case.
 *
 * Reads a prediction slab stream (u8 0/1 masks, or f32 probabilities taken
 * as foreground where p >= THR) and a ground-truth stream (u8 0/1), pairs
 * them by case name (or by position when the first slabs are not both
 * named), and writes one TSV row per case plus a mean ± sd summary.
 * Multi-class cases (C >= 3 classes, lib/classes.h) get one row per class
 * c >= 1 and one for the merged foreground, with a `class` column after
 * `case`. Definitions: lib/surfdist.h and README.md, "Evaluation". */
#include "metrics.h"
#include "opt.h"
#include "outbatch.h"
#include "slab.h"
#include "surfdist.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MEAN_SLOT CLASSES_MAX

/* The totals of a run: slot 0 the binary mask or the merged foreground,
 * c the class c >= 1, MEAN_SLOT the per-case mean over classes 1..C-1. */
struct totals {
	struct classes k; /* the first case's; k.n 0 before it */
	struct hd_tally tally[CLASSES_MAX];
	struct runstat st[CLASSES_MAX + 1];
	size_t mean_out;
};

/* One row: masks pm and gs of one class (cls, NULL: binary) into slot. */
static int hd_row(FILE *rf, struct totals *t, int slot, const char *cls, uint8_t *pm,
                  struct slab *gs, size_t unl, const struct hd_settings *hs, const char *src,
                  const char *name, double *v)
{
	size_t np, ng;
	int empty;
	if (hd_case(v, &empty, &np, &ng, pm, gs, unl, hs, &t->tally[slot], &t->st[slot], src, name))
		return -1;
	fprintf(rf, "%s%s%s\t%.6g\t%zu\t%zu\t%s\n", name, cls ? "\t" : "", cls ? cls : "", *v,
	        np, ng, hd_empty_name(empty));
	return 0;
}

/* A multi-class case: a row per class c >= 1 and the merged foreground. */
static int hd_classes(FILE *rf, struct totals *t, const struct slab *ps, const struct slab *gs,
                      const struct hd_settings *hs, const struct pair_reader *pr,
                      const char *name)
{
	struct class_case cc;
	double v, sum = 0;
	int c, cnt = 0, rc = -1;
	char buf[16];
	if (class_case_open(&cc, ps, gs, &t->k, pr->pred.src, pr->gt.src))
		return -1;
	for (c = 1; c <= t->k.n; c++) {
		int cl = class_case_row(&cc, gs, &t->k, c);
		if (hd_row(rf, t, cl, class_label(&t->k, cl, buf), cc.pm, &cc.g, cc.unl, hs,
		           pr->gt.src, name, &v))
			goto out;
		if (cl != CLASS_FG && !isnan(v))
			sum += v, cnt++;
	}
	if (cnt && isfinite(sum))
		stat_add(&t->st[MEAN_SLOT], sum / cnt);
	else
		t->mean_out++;
	rc = 0;
out:
	class_case_free(&cc);
	return rc;
}

int main(int argc, char **argv)
{
	struct hd_settings hs = HD_SETTINGS_DEFAULT;
	int by_name, i, rc;
	double thr = 0.5;
	const char *out = "-", *sumpath = NULL;
	struct opt hdopts[5];
	struct opt opts[] = {
		OPT_GROUP(hdopts),
		OPT_DOUBLE('t', "threshold", &thr, "THR", 0, 1,
		           "one-channel f32 predictions: p >= THR is foreground\n"
		           "(default 0.5; C channels take the argmax, no THR)"),
		OPT_STRING('s', "summary", &sumpath, "SUMMARY", "the mean ± sd summary (default stderr)"),
		OPT_STRING('o', "output", &out, "OUT", "the per-case TSV (default stdout)"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "hd95", .operands = "PRED GT", .min_operands = 2, .max_operands = 2,
		.about = "Surface distances between predicted and ground-truth masks, in mm.",
		.opts = opts,
		.notes = "PRED and GT are slab streams, one may be - (stdin). Cases are matched by NAME\n"
		         "when the first slab of each stream is named, else by position.\n"
		         "Columns: case, hd95|hd95max|hd|assd, pred_surface, gt_surface (surface voxel\n"
		         "counts), empty (none, pred, gt or both).\n"
		         "Multi-class (C >= 3 classes, formats/slab.md: GT a label map, PRED a label\n"
		         "map of the same classes or f32 probabilities of C channels, taken by argmax;\n"
		         "-t does not apply): after case a column class, one row per class c >= 1 (its\n"
		         "name, else its number) and one 'fg' (every class >= 1 as one mask); the\n"
		         "summary has a leading class column: each class, fg, and 'mean' (per case the\n"
		         "mean over classes 1..C-1, an infinite or undefined one leaves the case out)."
	};
	struct pair_reader pr;
	struct slab ps = { 0 }, gs = { 0 };
	char *rows = NULL, *sum = NULL, desc[128];
	size_t rowlen = 0, sumlen = 0, cases = 0;
	static struct totals t;
	FILE *rf = NULL, *sf = NULL;
	uint8_t *pm = NULL;
	int status = 1;

	hd_option_table(hdopts, &hs);
	if ((i = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(i);
	if (pair_open(&pr, argv[i], argv[i + 1]))
		return 1;

	/* everything is kept in memory until the end: a failed run writes nothing */
	rf = open_memstream(&rows, &rowlen);
	sf = open_memstream(&sum, &sumlen);
	if (!rf || !sf) {
		error("out of memory");
		goto out;
	}
	while ((rc = pair_next(&pr, &ps, &gs)) > 0) {
		size_t n = slab_count(&gs), unl;
		double v;
		char label[32];
		const char *name = gs.name[0] ? gs.name : ps.name;
		struct classes k;

		cases++;
		if (!name[0]) {
			snprintf(label, sizeof label, "%zu", cases);
			name = label;
		}
		if (pair_classes(&ps, &gs, &k, pr.pred.src, pr.gt.src))
			goto out;
		if (!t.k.n) {
			t.k = k;
			fprintf(rf, "case%s\t%s\tpred_surface\tgt_surface\tempty\n",
			        k.n > 2 ? "\tclass" : "", hd_mode_column(hs.mode));
		} else if (!classes_equal(&k, &t.k)) {
			classes_mismatch(pr.gt.src, "classes", "the first case's", &k, &t.k, name);
			goto out;
		}
		if (k.n > 2) {
			if (hd_classes(rf, &t, &ps, &gs, &hs, &pr, name))
				goto out;
			slab_free(&ps);
			slab_free(&gs);
			continue;
		}
		pm = ps.type == SLAB_U8 ? ps.data : xmalloc(n);
		if (!pm || pred_mask(pm, &ps, thr, pr.pred.src) || gt_check(&gs, &unl, pr.gt.src))
			goto out;
		if (hd_row(rf, &t, 0, NULL, pm, &gs, unl, &hs, pr.gt.src, name, &v))
			goto out;
		if (pm != ps.data)
			free(pm);
		pm = NULL;
		slab_free(&ps);
		slab_free(&gs);
	}
	if (rc < 0)
		goto out;
	by_name = pr.by_name;

	fprintf(sf, "# %s: mode %s, connectivity %d, distances in mm; %zu cases matched by %s\n",
	        hd_mode_column(hs.mode), hd_mode_name(hs.mode), hs.conn, cases,
	        by_name ? "name" : "position");
	fprintf(sf, "# empty masks: %s; sd is the sample standard deviation (n-1)\n",
	        hd_empty_describe(&hs.empty, desc, sizeof desc));
	if (t.k.n > 2) {
		fprintf(sf, "# %d classes; class: each class >= 1, fg: every class >= 1 as one mask, "
		        "mean: per case the mean over classes 1..%d\n", t.k.n, t.k.n - 1);
		fputs("class\t", sf);
	}
	summary_header(sf);
	for (i = 1; i <= (t.k.n > 2 ? t.k.n + 1 : 1); i++) {
		int slot = t.k.n <= 2 || i == t.k.n ? 0 : i == t.k.n + 1 ? MEAN_SLOT : i;
		char note[512] = "", buf[16];
		if (t.k.n > 2)
			fprintf(sf, "%s\t", slot == MEAN_SLOT ? "mean" : class_label(&t.k, slot, buf));
		if (slot != MEAN_SLOT)
			hd_tally_note(&t.tally[slot], note, sizeof note);
		else if (t.mean_out)
			snprintf(note, sizeof note, "%zu case%s with an infinite or undefined class "
			         "distance left out", t.mean_out, t.mean_out == 1 ? "" : "s");
		summary_row(sf, hd_mode_column(hs.mode), &t.st[slot], cases, 2, note);
	}
	{
		int bad = fclose(rf) | fclose(sf);
		rf = sf = NULL;
		if (bad) {
			error("out of memory");
			goto out;
		}
	}
	{
		const char *path[2] = { out, sumpath };
		char *buf[2] = { rows, sum };
		size_t len[2] = { rowlen, sumlen };
		FILE *const std[2] = { stdout, stderr };
		if (outbatch_write_all(2, path, buf, len, std))
			goto out;
	}
	status = close_stdout() ? 1 : 0;
out: /* error exits free too: make SANITIZE=1 checks for leaks */
	if (pm != ps.data)
		free(pm);
	slab_free(&ps);
	slab_free(&gs);
	pair_close(&pr);
	if (rf)
		fclose(rf);
	if (sf)
		fclose(sf);
	free(rows);
	free(sum);
	return status;
}
