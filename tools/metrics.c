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
#include "slab.h"
#include "surfdist.h"
#include "util.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"metrics [-t THR] [-u 1|0|nan] [--hd95] [-m MODE] [-c CONN] [-e EMPTY] [-U error|exclude]\n"
	"               [--nsi-bins N --nsi-out FILE] [--slices-out FILE] [-s SUMMARY] [-o OUT] PRED GT";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Overlap metrics of predicted masks against ground truth, one TSV row per case:\n"
	       "case dsc iou tpr tnr precision tp fp fn tn ignored [hd95 hd_empty].\n"
	       "  -t, --threshold THR  f32 predictions: p >= THR is foreground (default 0.5)\n"
	       "  -u, --undefined V  value of a ratio 0/0, e.g. DSC when both masks are empty:\n"
	       "                     1 (default), 0, or nan (left out of the mean); counted\n"
	       "                     in the summary either way\n"
	       "      --hd95         add a boundary distance column (see hd95 -h); with\n"
	       "  -m, --mode MODE    medpy (default), max, hd or assd\n"
	       "  -c, --conn N       surface connectivity 6 (default), 18 or 26\n"
	       "  -e, --empty WHAT   empty-mask policy: inf (default), nan, diag, MM, error\n"
	       "  -U, --unlabelled WHAT  for the distance, ground-truth 255: error (default) or\n"
	       "                     exclude (background in both masks)\n"
	       "      --nsi-bins N   also write DSC per normalised slice index bin (nsi =\n"
	       "      --nsi-out FILE z/(nz-1), bin = floor(nsi*N), the last bin holds nsi 1)\n"
	       "      --slices-out FILE  also write the counts of every z-slice, one row per\n"
	       "                     case and slice: case z tp fp fn tn ignored\n"
	       "  -s, --summary FILE  the mean ± sd summary (default stderr)\n"
	       "  -o, --output OUT   the per-case TSV (default stdout)\n"
	       "PRED and GT are slab streams, one may be - (stdin). Cases are matched by NAME\n"
	       "when the first slab of each stream is named, else by position; a case without\n"
	       "its partner is an error.\n", usage);
}

/* One NSI bin over all cases. */
struct bin {
	struct runstat st;       /* per-case DSC in this bin */
	struct confusion all; /* pooled over cases */
	size_t cases, slices, undefined;
};

int main(int argc, char **argv)
{
	enum { OPT_HD = 256, OPT_BINS, OPT_NSI, OPT_SLICES };
	static const struct option longopts[] = {
		{ "threshold", required_argument, 0, 't' }, { "undefined", required_argument, 0, 'u' },
		{ "hd95", no_argument, 0, OPT_HD },         { "mode", required_argument, 0, 'm' },
		{ "conn", required_argument, 0, 'c' },      { "empty", required_argument, 0, 'e' },
		{ "unlabelled", required_argument, 0, 'U' }, { "nsi-bins", required_argument, 0, OPT_BINS },
		{ "nsi-out", required_argument, 0, OPT_NSI }, { "slices-out", required_argument, 0, OPT_SLICES },
		{ "summary", required_argument, 0, 's' },
		{ "output", required_argument, 0, 'o' },    { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	enum hd_mode mode = HD_MEDPY;
	struct hd_empty pol = { HD_EMPTY_INF, 0 };
	long conn = 6, nbins = 0;
	int by_name, exclude = 0, want_hd = 0, opt, rc, m, undef_nan = 0;
	double thr = 0.5, undef = 1;
	const char *out = "-", *sumpath = NULL, *nsipath = NULL, *slpath = NULL;
	struct pair_reader pr;
	struct slab ps, gs;
	char *rows = NULL, *sum = NULL, *nsi = NULL, *sl = NULL, desc[128];
	size_t rowlen = 0, sumlen = 0, nsilen = 0, sllen = 0, cases = 0, ignored = 0, nundef[M_COUNT] = { 0 },
	       nf32 = 0;
	struct hd_tally tally;
	FILE *rf, *sf, *nf = NULL, *lf = NULL;
	struct runstat st[M_COUNT], hst;
	struct bin *bins = NULL;
	struct confusion *cb = NULL;
	size_t *sb = NULL;
	struct outfile of, os, on, ol;

	progname = "metrics";
	memset(&tally, 0, sizeof tally);
	memset(st, 0, sizeof st);
	memset(&hst, 0, sizeof hst);
	while ((opt = getopt_long(argc, argv, "t:u:m:c:e:U:s:o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (parse_double(optarg, 0, 1, "threshold", &thr))
				return 2;
			break;
		case 'u':
			if (!strcmp(optarg, "nan"))
				undef = NAN, undef_nan = 1;
			else if (parse_double(optarg, 0, 1, "value of 0/0", &undef))
				return 2;
			else
				undef_nan = 0;
			break;
		case OPT_HD:
			want_hd = 1;
			break;
		case 'm': case 'c': case 'e': case 'U':
			if (hd_option(opt, optarg, &mode, &conn, &pol, &exclude))
				return 2;
			break;
		case OPT_BINS:
			if (parse_long(optarg, 1, 100000, "number of nsi bins", &nbins))
				return 2;
			break;
		case OPT_NSI:
			nsipath = optarg;
			break;
		case OPT_SLICES:
			slpath = optarg;
			break;
		case 's':
			sumpath = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			help();
			return 0;
		default:
			usage_die(usage);
		}
	}
	if (argc - optind != 2)
		usage_die(usage);
	if (!nbins != !nsipath)
		return error("--nsi-bins and --nsi-out go together"), 2;
	if (nbins) {
		bins = xcalloc(nbins, sizeof *bins);
		cb = xcalloc(nbins, sizeof *cb);
		sb = xcalloc(nbins, sizeof *sb);
		if (!bins || !cb || !sb)
			return 1;
	}
	if (pair_open(&pr, argv[optind], argv[optind + 1]))
		return 1;

	/* everything is kept in memory until the end: a failed run writes nothing */
	rf = open_memstream(&rows, &rowlen);
	sf = open_memstream(&sum, &sumlen);
	if (slpath && !(lf = open_memstream(&sl, &sllen)))
		die("out of memory");
	if (!rf || !sf)
		die("out of memory");
	if (lf)
		fprintf(lf, "case\tz\ttp\tfp\tfn\ttn\tignored\n");
	fprintf(rf, "case\tdsc\tiou\ttpr\ttnr\tprecision\ttp\tfp\tfn\ttn\tignored");
	if (want_hd)
		fprintf(rf, "\t%s\thd_empty", hd_mode_column(mode));
	fputc('\n', rf);
	while ((rc = pair_next(&pr, &ps, &gs)) > 0) {
		size_t n = slab_count(&gs), unl, plane = (size_t)gs.nx * gs.ny, np, ng;
		uint8_t *pm = ps.type == SLAB_U8 ? ps.data : xmalloc(n), *gt = gs.data;
		struct confusion c = { 0, 0, 0, 0, 0 };
		char label[32];
		const char *name = gs.name[0] ? gs.name : ps.name;
		int b, z, u;

		cases++;
		if (!name[0]) {
			snprintf(label, sizeof label, "%zu", cases);
			name = label;
		}
		nf32 += ps.type == SLAB_F32;
		if (!pm || pred_mask(pm, &ps, thr, pr.pred.src) || gt_check(&gs, &unl, pr.gt.src))
			return 1;
		confusion_add(&c, pm, gt, n);
		ignored += c.ignored;
		fprintf(rf, "%s", name);
		for (m = 0; m < M_COUNT; m++) {
			double v = metric_value(&c, m, undef, &u);
			nundef[m] += u;
			if (!isnan(v))
				stat_add(&st[m], v);
			fprintf(rf, "\t%.6g", v);
		}
		fprintf(rf, "\t%llu\t%llu\t%llu\t%llu\t%llu", (unsigned long long)c.tp,
		        (unsigned long long)c.fp, (unsigned long long)c.fn,
		        (unsigned long long)c.tn, (unsigned long long)c.ignored);
		if (nbins) { /* per-slice counts into this case's bins */
			memset(cb, 0, nbins * sizeof *cb);
			memset(sb, 0, nbins * sizeof *sb);
			for (z = 0; z < gs.nz; z++) {
				struct confusion cz = { 0, 0, 0, 0, 0 };
				double t = gs.nz > 1 ? (double)z / (gs.nz - 1) : 0.5;
				b = (int)floor(t * nbins);
				if (b >= nbins)
					b = nbins - 1;
				confusion_add(&cz, pm + z * plane, gt + z * plane, plane);
				if (cz.tp + cz.fp + cz.fn + cz.tn == 0)
					continue; /* nothing labelled in this slice */
				sb[b]++;
				cb[b].tp += cz.tp, cb[b].fp += cz.fp, cb[b].fn += cz.fn, cb[b].tn += cz.tn;
			}
			for (b = 0; b < nbins; b++) {
				double v;
				if (!sb[b])
					continue;
				v = metric_value(&cb[b], M_DSC, undef, &u);
				bins[b].cases++;
				bins[b].slices += sb[b];
				bins[b].undefined += u;
				if (!isnan(v))
					stat_add(&bins[b].st, v);
				bins[b].all.tp += cb[b].tp, bins[b].all.fp += cb[b].fp;
				bins[b].all.fn += cb[b].fn, bins[b].all.tn += cb[b].tn;
			}
		}
		for (z = 0; lf && z < gs.nz; z++) { /* per-slice counts */
			struct confusion cz = { 0, 0, 0, 0, 0 };
			confusion_add(&cz, pm + z * plane, gt + z * plane, plane);
			fprintf(lf, "%s\t%d\t%llu\t%llu\t%llu\t%llu\t%llu\n", name, z,
			        (unsigned long long)cz.tp, (unsigned long long)cz.fp,
			        (unsigned long long)cz.fn, (unsigned long long)cz.tn,
			        (unsigned long long)cz.ignored);
		}
		if (want_hd) {
			double v;
			int empty;
			static const char *ename[] = { "none", "pred", "gt", "both" };
			if (unl && !exclude)
				die("%s: ground truth has %zu unlabelled voxels (255); the boundary distance "
				    "needs full ground truth, or -U exclude: '%s'", pr.gt.src, unl, name);
			if (unl)
				drop_unlabelled(pm, gt, n);
			if (hd_compute(&v, &empty, &np, &ng, pm, gt, gs.nx, gs.ny, gs.nz, gs.spacing,
			               mode, (int)conn, &pol, name))
				return 1;
			fprintf(rf, "\t%.6g\t%s", v, ename[empty]);
			if (hd_tally_add(&tally, v, empty))
				stat_add(&hst, v);
		}
		fputc('\n', rf);
		if (pm != ps.data)
			free(pm);
		slab_free(&ps);
		slab_free(&gs);
	}
	if (rc < 0)
		return 1;
	by_name = pr.by_name;
	pair_close(&pr);

	fprintf(sf, "# metrics: %zu cases matched by %s; ", cases, by_name ? "name" : "position");
	if (nf32)
		fprintf(sf, "%zu f32 predictions thresholded at p >= %g; ", nf32, thr);
	fprintf(sf, "%zu unlabelled ground-truth voxels (255) left out\n", ignored);
	fprintf(sf, "# a ratio 0/0 is %s; sd is the sample standard deviation (n-1)\n",
	        undef_nan ? "nan, left out of the mean" : undef ? "counted as 1" : "counted as 0");
	if (want_hd)
		fprintf(sf, "# %s: mode %s, connectivity %ld, in mm; empty masks: %s\n",
		        hd_mode_column(mode), hd_mode_name(mode), conn,
		        hd_empty_describe(&pol, desc, sizeof desc));
	summary_header(sf);
	for (m = 0; m < M_COUNT; m++) {
		char note[256] = "";
		if (nundef[m])
			snprintf(note, sizeof note, "%zu case%s 0/0 (%s) %s", nundef[m],
			         nundef[m] == 1 ? "" : "s", metric_undefined_reason(m),
			         undef_nan ? "left out as nan" : undef ? "counted as 1" : "counted as 0");
		summary_row(sf, metric_name(m), &st[m], cases, 3, note);
	}
	if (want_hd) {
		char note[512];
		summary_row(sf, hd_mode_column(mode), &hst, cases, 2,
		            hd_tally_note(&tally, note, sizeof note));
	}
	if (nbins) {
		long b;
		nf = open_memstream(&nsi, &nsilen);
		if (!nf)
			die("out of memory");
		fprintf(nf, "bin\tnsi_lo\tnsi_hi\tcases\tslices\tdsc_mean\tdsc_sd\tdsc_pooled\tundefined\n");
		for (b = 0; b < nbins; b++) {
			int u;
			double pooled = bins[b].cases ? metric_value(&bins[b].all, M_DSC, undef, &u) : NAN;
			fprintf(nf, "%ld\t%.6g\t%.6g\t%zu\t%zu\t%.6g\t%.6g\t%.6g\t%zu\n", b,
			        (double)b / nbins, (double)(b + 1) / nbins, bins[b].cases,
			        bins[b].slices, bins[b].st.n ? bins[b].st.mean : NAN,
			        stat_sd(&bins[b].st), pooled, bins[b].undefined);
		}
		if (fclose(nf))
			die("out of memory");
	}
	if (fclose(rf) || fclose(sf) || (lf && fclose(lf)))
		die("out of memory");
	if (outfile_open(&of, out))
		return 1;
	fwrite(rows, 1, rowlen, of.f);
	if (sumpath) {
		if (outfile_open(&os, sumpath)) {
			outfile_abort(&of);
			return 1;
		}
		fwrite(sum, 1, sumlen, os.f);
	}
	if (slpath) {
		if (outfile_open(&ol, slpath)) {
			outfile_abort(&of);
			if (sumpath)
				outfile_abort(&os);
			return 1;
		}
		fwrite(sl, 1, sllen, ol.f);
		if (outfile_commit(&ol)) {
			outfile_abort(&of);
			if (sumpath)
				outfile_abort(&os);
			return 1;
		}
	}
	if (nbins) {
		if (outfile_open(&on, nsipath)) {
			outfile_abort(&of);
			if (sumpath)
				outfile_abort(&os);
			return 1;
		}
		fwrite(nsi, 1, nsilen, on.f);
		if (outfile_commit(&on)) {
			outfile_abort(&of);
			if (sumpath)
				outfile_abort(&os);
			return 1;
		}
	}
	if (sumpath && outfile_commit(&os)) {
		outfile_abort(&of);
		return 1;
	}
	if (outfile_commit(&of))
		return 1;
	if (!sumpath)
		fwrite(sum, 1, sumlen, stderr);
	free(rows), free(sum), free(nsi), free(sl), free(bins), free(cb), free(sb);
	return close_stdout() ? 1 : 0;
}
