/* hd95: boundary distance between predicted and ground-truth masks, per case.
 *
 * Reads a prediction slab stream (u8 0/1 masks, or f32 probabilities taken
 * as foreground where p >= THR) and a ground-truth stream (u8 0/1), pairs
 * them by case name (or by position when the first slabs are not both
 * named), and writes one TSV row per case plus a mean ± sd summary.
 * Definitions: lib/surfdist.h and README.md, "Evaluation". */
#include "metrics.h"
#include "opt.h"
#include "outbatch.h"
#include "slab.h"
#include "surfdist.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
		           "f32 predictions: p >= THR is foreground (default 0.5)"),
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
		         "counts), empty (none, pred, gt or both)."
	};
	struct pair_reader pr;
	struct slab ps = { 0 }, gs = { 0 };
	char *rows = NULL, *sum = NULL, desc[128];
	size_t rowlen = 0, sumlen = 0, cases = 0;
	struct hd_tally tally;
	FILE *rf = NULL, *sf = NULL;
	struct runstat st = { 0, 0, 0 };
	uint8_t *pm = NULL;
	int status = 1;

	hd_option_table(hdopts, &hs);
	if ((i = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(i);
	memset(&tally, 0, sizeof tally);
	if (pair_open(&pr, argv[i], argv[i + 1]))
		return 1;

	/* everything is kept in memory until the end: a failed run writes nothing */
	rf = open_memstream(&rows, &rowlen);
	sf = open_memstream(&sum, &sumlen);
	if (!rf || !sf) {
		error("out of memory");
		goto out;
	}
	fprintf(rf, "case\t%s\tpred_surface\tgt_surface\tempty\n", hd_mode_column(hs.mode));
	while ((rc = pair_next(&pr, &ps, &gs)) > 0) {
		size_t n = slab_count(&gs), unl, np, ng;
		double v;
		int empty;
		char label[32];
		const char *name = gs.name[0] ? gs.name : ps.name;

		pm = ps.type == SLAB_U8 ? ps.data : xmalloc(n);
		cases++;
		if (!name[0]) {
			snprintf(label, sizeof label, "%zu", cases);
			name = label;
		}
		if (!pm || pred_mask(pm, &ps, thr, pr.pred.src) || gt_check(&gs, &unl, pr.gt.src))
			goto out;
		if (hd_case(&v, &empty, &np, &ng, pm, &gs, unl, &hs, &tally, &st, pr.gt.src, name))
			goto out;
		fprintf(rf, "%s\t%.6g\t%zu\t%zu\t%s\n", name, v, np, ng, hd_empty_name(empty));
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
	summary_header(sf);
	{
		char note[512];
		summary_row(sf, hd_mode_column(hs.mode), &st, cases, 2,
		            hd_tally_note(&tally, note, sizeof note));
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
