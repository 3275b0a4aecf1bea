/* tsv-plot: line plot of TSV columns as a PNG (no gnuplot needed).
 *
 * The first line of the TSV names the columns; '#' lines are comments. One
 * column gives x (default the first), the others (or those of -y) one line
 * each. Empty cells, "nan", "NA" and "-" leave gaps. */
#include "opt.h"
#include "plot.h"
#include "pngio.h"
#include "tsv.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The drawn columns: x, then the y columns (those named in the
 * comma-separated ycols, else all but x) into yi; returns their number, or
 * -1 with an error. */
static int pick_columns(const struct tsv *t, const char *path, const char *xcol,
                        const char *ycols, int *xi, int *yi)
{
	int ny = 0;
	*xi = xcol ? tsv_column(t, xcol) : 0;
	if (*xi < 0)
		return error("%s: no such column: '%s'", path, xcol);
	if (ycols) {
		char *list = strdup(ycols), *tok, *save = NULL;
		if (!list)
			return error("out of memory");
		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			int i = tsv_column(t, tok);
			if (i < 0) {
				error("%s: no such column: '%s'", path, tok);
				free(list);
				return -1;
			}
			if (ny < t->ncol)
				yi[ny++] = i;
		}
		free(list);
	} else {
		for (int i = 0; i < t->ncol; i++)
			if (i != *xi)
				yi[ny++] = i;
	}
	if (!ny)
		return error("%s: no column to draw", path);
	return ny;
}

/* The drawn columns (checked by check_numbers) as series: xs holds nrow x
 * values, ys ny x nrow y values. Cannot fail. */
static void series(const struct tsv *t, int xi, const int *yi, int ny, struct plot_series *s,
                   double *xs, double *ys)
{
	for (int k = -1; k < ny; k++) {
		int c = k < 0 ? xi : yi[k];
		double *out = k < 0 ? xs : ys + (size_t)k * t->nrow;
		for (int r = 0; r < t->nrow; r++)
			tsv_number(t->cell[(size_t)r * t->ncol + c], &out[r]);
		if (k >= 0)
			s[k] = (struct plot_series){ t->names[c], xs, out, t->nrow };
	}
}

/* Text in a drawn column is an error, reported for the first such cell in
 * file order (row, then column). 0 or -1. */
static int check_numbers(const struct tsv *t, const char *path, int xi, const int *yi, int ny)
{
	for (int r = 0; r < t->nrow; r++)
		for (int c = 0; c < t->ncol; c++) {
			const char *v = t->cell[(size_t)r * t->ncol + c];
			double d;
			int drawn = c == xi;
			for (int k = 0; k < ny; k++)
				drawn |= yi[k] == c;
			if (drawn && tsv_number(v, &d))
				return error("%s: line %d: not a number: '%s' in column '%s'", path,
				             t->line[r], v, t->names[c]);
		}
	return 0;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *in = "-", *xcol = NULL, *ycols = NULL;
	struct plot p = {0};
	double yr[2] = {NAN, NAN};
	int size[2] = {640, 400}, i, xi, ny;
	const struct opt opts[] = {
		OPT_STRING('x', "x", &xcol, "COL", "the x column (default the first)"),
		OPT_STRING('y', "y", &ycols, "COL[,COL...]",
		           "the columns drawn, comma-separated (default all others)"),
		OPT_STRING('t', "title", &p.title, "TITLE", "title"),
		OPT_STRING('X', "xlabel", &p.xlabel, "XLABEL", "x axis label"),
		OPT_STRING('Y', "ylabel", &p.ylabel, "YLABEL", "y axis label"),
		OPT_DOUBLES('r', "range", yr, 2, ':', "YMIN:YMAX", -1e300, 1e300,
		            "y range (default the data's, widened to whole ticks)"),
		OPT_INTS('s', "size", size, 2, 'x', "WxH", 80, 8000,
		         "picture size, at least 120x80 (default 640x400)"),
		OPT_STRING('o', "output", &out, "OUT.png",
		           "the PNG ('-' for stdout), written whole or not at all"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "tsv-plot", .operands = "[IN.tsv]", .min_operands = 0, .max_operands = 1,
		.about = "Draw columns of a TSV file (header line first) as lines in a PNG.",
		.opts = opts, .notes = "Empty cells, nan, NA and - leave gaps in a line."
	};
	struct tsv t;

	if ((i = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(i);
	if (i < argc)
		in = argv[i];
	if (!out)
		return opt_fail("no output: give -o OUT.png");
	if (size[0] < 120)
		return opt_fail("-s/--size: width out of range 120..8000: '%dx%d'", size[0], size[1]);
	if (!isnan(yr[0])) {
		if (!(yr[1] > yr[0]))
			return opt_fail("-r/--range: empty y range: '%g:%g'", yr[0], yr[1]);
		p.ymin = yr[0], p.ymax = yr[1], p.yfixed = 1;
	}
	p.w = size[0], p.h = size[1];

	if (tsv_read(&t, in))
		return 1;
	int status = 1, *yi = xcalloc(t.ncol, sizeof *yi);
	struct plot_series *s = NULL;
	double *xs = NULL, *ys = NULL;
	uint8_t *rgb = NULL;
	if (!yi || (ny = pick_columns(&t, in, xcol, ycols, &xi, yi)) < 0 ||
	    check_numbers(&t, in, xi, yi, ny))
		goto out;
	if (!t.nrow) {
		error("%s: no data rows", in);
		goto out;
	}
	s = xcalloc(ny, sizeof *s);
	xs = xmalloc(t.nrow * sizeof *xs), ys = xmalloc((size_t)t.nrow * ny * sizeof *ys);
	if (!s || !xs || !ys)
		goto out;
	series(&t, xi, yi, ny, s, xs, ys);
	if (plot_layout(&p, s, ny))
		goto out;
	rgb = xmalloc((size_t)p.w * p.h * 3);
	if (!rgb)
		goto out;
	plot_render(&p, s, ny, rgb);
	if (pngio_write(out, rgb, p.w, p.h, 3))
		goto out;
	status = close_stdout() ? 1 : 0;
out: /* error exits free too: make SANITIZE=1 checks for leaks */
	free(rgb), free(s), free(xs), free(ys), free(yi);
	tsv_free(&t);
	return status;
}
