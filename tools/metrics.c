/* metrics: overlap metrics of predicted masks against ground truth, per case.
 *
 * Reads a prediction slab stream (u8 0/1 masks, or f32 probabilities taken
 * as foreground where p >= THR) and a ground-truth stream (u8 0/1/255),
 * pairs them by case name (or by position when the first slabs are not both
 * named), and writes one TSV row per case (DSC, IoU, TPR, TNR, precision and
 * the counts; optionally a boundary distance) and a mean ± sd summary.
 * Ground-truth voxels 255 (unlabelled) are in no count. Definitions:
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

/* The settings and the running totals of a run. */
struct run {
	double thr, undef; /* -t, -u (NAN: left out) */
	int want_hd;
	struct hd_settings hs;
	size_t cases, ignored, nundef[M_COUNT], nf32;
	struct hd_tally tally;
	struct runstat st[M_COUNT], hst;
	struct nsi_bins bins;  /* n 0: no --nsi-bins */
};

/* One case: its row, its slices and bins, its totals. 0 or -1. */
static int score_case(struct run *r, struct outputs *o, const struct pair_reader *pr,
                      struct slab *ps, struct slab *gs)
{
	size_t n = slab_count(gs), unl, plane = (size_t)gs->nx * gs->ny, np, ng;
	uint8_t *pm = ps->type == SLAB_U8 ? ps->data : xmalloc(n), *gt = gs->data;
	struct confusion c = { 0, 0, 0, 0, 0 };
	char label[32];
	const char *name = gs->name[0] ? gs->name : ps->name;
	int m, z, u;

	r->cases++;
	if (!name[0]) {
		snprintf(label, sizeof label, "%zu", r->cases);
		name = label;
	}
	r->nf32 += ps->type == SLAB_F32;
	if (!pm || pred_mask(pm, ps, r->thr, pr->pred.src) || gt_check(gs, &unl, pr->gt.src))
		goto fail;
	confusion_add(&c, pm, gt, n);
	r->ignored += c.ignored;
	fprintf(o->rows, "%s", name);
	for (m = 0; m < M_COUNT; m++) {
		double v = metric_value(&c, m, r->undef, &u);
		r->nundef[m] += u;
		if (!isnan(v))
			stat_add(&r->st[m], v);
		fprintf(o->rows, "\t%.6g", v);
	}
	fprintf(o->rows, "\t%llu\t%llu\t%llu\t%llu\t%llu", (unsigned long long)c.tp,
	        (unsigned long long)c.fp, (unsigned long long)c.fn, (unsigned long long)c.tn,
	        (unsigned long long)c.ignored);
	if (r->bins.n)
		nsi_add_case(&r->bins, pm, gt, plane, gs->nz, r->undef);
	for (z = 0; o->slices && z < gs->nz; z++) { /* per-slice counts */
		struct confusion cz = { 0, 0, 0, 0, 0 };
		confusion_add(&cz, pm + z * plane, gt + z * plane, plane);
		fprintf(o->slices, "%s\t%d\t%llu\t%llu\t%llu\t%llu\t%llu\n", name, z,
		        (unsigned long long)cz.tp, (unsigned long long)cz.fp,
		        (unsigned long long)cz.fn, (unsigned long long)cz.tn,
		        (unsigned long long)cz.ignored);
	}
	if (r->want_hd) {
		double v;
		int empty;
		if (hd_case(&v, &empty, &np, &ng, pm, gs, unl, &r->hs, &r->tally, &r->hst, pr->gt.src,
		            name))
			goto fail;
		fprintf(o->rows, "\t%.6g\t%s", v, hd_empty_name(empty));
	}
	fputc('\n', o->rows);
	if (pm != ps->data)
		free(pm);
	return 0;
fail:
	if (pm != ps->data)
		free(pm);
	return -1;
}

/* The summary: what was compared and how, then one row per metric. */
static void write_summary(FILE *f, const struct run *r, int by_name)
{
	int undef_nan = isnan(r->undef), m;
	const char *how = undef_nan ? "left out as nan" : r->undef ? "counted as 1" : "counted as 0";
	char desc[128];

	fprintf(f, "# metrics: %zu cases matched by %s; ", r->cases, by_name ? "name" : "position");
	if (r->nf32)
		fprintf(f, "%zu f32 predictions thresholded at p >= %g; ", r->nf32, r->thr);
	fprintf(f, "%zu unlabelled ground-truth voxels (255) left out\n", r->ignored);
	fprintf(f, "# a ratio 0/0 is %s; sd is the sample standard deviation (n-1)\n",
	        undef_nan ? "nan, left out of the mean" : how);
	if (r->want_hd)
		fprintf(f, "# %s: mode %s, connectivity %d, in mm; empty masks: %s\n",
		        hd_mode_column(r->hs.mode), hd_mode_name(r->hs.mode), r->hs.conn,
		        hd_empty_describe(&r->hs.empty, desc, sizeof desc));
	summary_header(f);
	for (m = 0; m < M_COUNT; m++) {
		char note[256] = "";
		if (r->nundef[m])
			snprintf(note, sizeof note, "%zu case%s 0/0 (%s) %s", r->nundef[m],
			         r->nundef[m] == 1 ? "" : "s", metric_undefined_reason(m), how);
		summary_row(f, metric_name(m), &r->st[m], r->cases, 3, note);
	}
	if (r->want_hd) {
		char note[512];
		summary_row(f, hd_mode_column(r->hs.mode), &r->hst, r->cases, 2,
		            hd_tally_note(&r->tally, note, sizeof note));
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
		           "f32 predictions: p >= THR is foreground (default 0.5)"),
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
		         "case dsc iou tpr tnr precision tp fp fn tn ignored [hd95 hd_empty].",
		.opts = opts,
		.notes = "PRED and GT are slab streams, one may be - (stdin). Cases are matched by NAME\n"
		         "when the first slab of each stream is named, else by position; a case without\n"
		         "its partner is an error. All output files appear together or not at all."
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
	fprintf(o.rows, "case\tdsc\tiou\ttpr\ttnr\tprecision\ttp\tfp\tfn\ttn\tignored");
	if (r.want_hd)
		fprintf(o.rows, "\t%s\thd_empty", hd_mode_column(r.hs.mode));
	fputc('\n', o.rows);
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
