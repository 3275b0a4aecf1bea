/* hd95: boundary distance between predicted and ground-truth masks, per case.
 *
 * Reads a prediction slab stream (u8 0/1 masks, or f32 probabilities taken
 * as foreground where p >= THR) and a ground-truth stream (u8 0/1), pairs
 * them by case name (or by position when the first slabs are not both
 * named), and writes one TSV row per case plus a mean ± sd summary.
 * Definitions: lib/surfdist.h and README.md, "Evaluation". */
#include "metrics.h"
#include "slab.h"
#include "surfdist.h"
#include "util.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"hd95 [-m medpy|max|hd|assd] [-c 6|18|26] [-e inf|nan|diag|error|MM]\n"
	"            [-U error|exclude] [-t THR] [-s SUMMARY] [-o OUT] PRED GT";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Surface distances between predicted and ground-truth masks, in mm.\n"
	       "  -m, --mode MODE    medpy: 95th percentile of the distances of both surfaces\n"
	       "                     pooled (default; the paper, MedPy's hd95)\n"
	       "                     max:   larger of the two directed 95th percentiles (MONAI)\n"
	       "                     hd:    Hausdorff distance, the largest distance (HD100)\n"
	       "                     assd:  mean of the two directed mean distances (MedPy)\n"
	       "  -c, --conn N       erosion connectivity for the surface: 6 (default), 18, 26\n"
	       "  -e, --empty WHAT   a mask with no voxel: inf (default: one empty -> inf, both\n"
	       "                     -> 0), nan (-> nan), diag (one -> the grid's diagonal in\n"
	       "                     mm, both -> 0), MM (one -> MM mm, both -> 0), error\n"
	       "  -U, --unlabelled WHAT  ground-truth voxels 255: error (default), or exclude\n"
	       "                     (set to background in both masks)\n"
	       "  -t, --threshold THR  f32 predictions: p >= THR is foreground (default 0.5)\n"
	       "  -s, --summary FILE  the mean ± sd summary (default stderr)\n"
	       "  -o, --output OUT   the per-case TSV (default stdout)\n"
	       "PRED and GT are slab streams, one may be - (stdin). Cases are matched by NAME\n"
	       "when the first slab of each stream is named, else by position.\n"
	       "Columns: case, hd95|hd95max|hd|assd, pred_surface, gt_surface (surface voxel\n"
	       "counts), empty (none, pred, gt or both).\n", usage);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, 0, 'm' },   { "conn", required_argument, 0, 'c' },
		{ "empty", required_argument, 0, 'e' },  { "unlabelled", required_argument, 0, 'U' },
		{ "threshold", required_argument, 0, 't' }, { "summary", required_argument, 0, 's' },
		{ "output", required_argument, 0, 'o' }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	enum hd_mode mode = HD_MEDPY;
	struct hd_empty pol = { HD_EMPTY_INF, 0 };
	long conn = 6;
	int by_name, exclude = 0, opt, rc;
	double thr = 0.5;
	const char *out = "-", *sumpath = NULL;
	struct pair_reader pr;
	struct slab ps, gs;
	char *rows = NULL, *sum = NULL, desc[128];
	size_t rowlen = 0, sumlen = 0, cases = 0;
	struct hd_tally tally;
	FILE *rf, *sf;
	struct runstat st = { 0, 0, 0 };
	struct outfile of, os;

	progname = "hd95";
	memset(&tally, 0, sizeof tally);
	while ((opt = getopt_long(argc, argv, "m:c:e:U:t:s:o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm': case 'c': case 'e': case 'U':
			if (hd_option(opt, optarg, &mode, &conn, &pol, &exclude))
				return 2;
			break;
		case 't':
			if (parse_double(optarg, 0, 1, "threshold", &thr))
				return 2;
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
	if (pair_open(&pr, argv[optind], argv[optind + 1]))
		return 1;

	/* everything is kept in memory until the end: a failed run writes nothing */
	rf = open_memstream(&rows, &rowlen);
	sf = open_memstream(&sum, &sumlen);
	if (!rf || !sf)
		die("out of memory");
	fprintf(rf, "case\t%s\tpred_surface\tgt_surface\tempty\n", hd_mode_column(mode));
	while ((rc = pair_next(&pr, &ps, &gs)) > 0) {
		size_t n = slab_count(&gs), unl, np, ng;
		uint8_t *pm = ps.type == SLAB_U8 ? ps.data : xmalloc(n);
		double v;
		int empty;
		char label[32];
		const char *name = gs.name[0] ? gs.name : ps.name;
		static const char *ename[] = { "none", "pred", "gt", "both" };

		cases++;
		if (!name[0]) {
			snprintf(label, sizeof label, "%zu", cases);
			name = label;
		}
		if (!pm || pred_mask(pm, &ps, thr, pr.pred.src) || gt_check(&gs, &unl, pr.gt.src))
			return 1;
		if (unl && !exclude)
			die("%s: ground truth has %zu unlabelled voxels (255); hd95 needs full ground "
			    "truth, or -U exclude: '%s'", pr.gt.src, unl, name);
		if (unl)
			drop_unlabelled(pm, gs.data, n);
		if (hd_compute(&v, &empty, &np, &ng, pm, gs.data, gs.nx, gs.ny, gs.nz, gs.spacing,
		               mode, (int)conn, &pol, name))
			return 1;
		fprintf(rf, "%s\t%.6g\t%zu\t%zu\t%s\n", name, v, np, ng, ename[empty]);
		if (hd_tally_add(&tally, v, empty))
			stat_add(&st, v);
		if (pm != ps.data)
			free(pm);
		slab_free(&ps);
		slab_free(&gs);
	}
	if (rc < 0)
		return 1;
	by_name = pr.by_name;
	pair_close(&pr);

	fprintf(sf, "# %s: mode %s, connectivity %ld, distances in mm; %zu cases matched by %s\n",
	        hd_mode_column(mode), hd_mode_name(mode), conn, cases,
	        by_name ? "name" : "position");
	fprintf(sf, "# empty masks: %s; sd is the sample standard deviation (n-1)\n",
	        hd_empty_describe(&pol, desc, sizeof desc));
	summary_header(sf);
	{
		char note[512];
		summary_row(sf, hd_mode_column(mode), &st, cases, 2,
		            hd_tally_note(&tally, note, sizeof note));
	}
	if (fclose(rf) || fclose(sf))
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
		if (outfile_commit(&os)) {
			outfile_abort(&of);
			return 1;
		}
	}
	if (outfile_commit(&of))
		return 1;
	if (!sumpath)
		fwrite(sum, 1, sumlen, stderr);
	free(rows);
	free(sum);
	return close_stdout() ? 1 : 0;
}
