/* tsv-plot: line plot of TSV columns as a PNG (no gnuplot needed).
 *
 * The first line of the TSV names the columns; '#' lines are comments. One
 * column gives x (default the first), the others (or those of -y) one line
 * each. Empty cells, "nan", "NA" and "-" leave gaps. */
#include "plot.h"
#include "pngio.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"tsv-plot [-x COL] [-y COL[,COL...]] [-t TITLE] [-X XLABEL] [-Y YLABEL] [-r YMIN:YMAX]\n"
	"       [-s WxH] -o OUT.png [IN.tsv]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Draw columns of a TSV file (header line first) as lines in a PNG.\n"
	       "  -x COL    the x column (default the first)\n"
	       "  -y COLS   the columns drawn, comma-separated (default all others)\n"
	       "  -t TITLE  title; -X, -Y: axis labels\n"
	       "  -r A:B    y range (default the data's, widened to whole ticks)\n"
	       "  -s WxH    picture size (default 640x400)\n"
	       "  -o OUT    the PNG ('-' for stdout), written whole or not at all\n"
	       "Empty cells, nan, NA and - leave gaps in a line.\n", usage);
}

/* Split s at tabs in place into at most max fields; returns the count
 * (which may exceed max: the extra fields are not stored). */
static int split_tabs(char *s, char **f, int max)
{
	int n = 0;
	for (;;) {
		if (n < max)
			f[n] = s;
		n++;
		s = strchr(s, '\t');
		if (!s)
			return n;
		*s++ = 0;
	}
}

static int col_index(char **names, int n, const char *want)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], want))
			return i;
	return -1;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *in = "-", *xcol = NULL, *ycols = NULL;
	struct plot p = {0};
	int opt;
	p.w = 640, p.h = 400;

	progname = "tsv-plot";
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		help();
		return 0;
	}
	while ((opt = getopt(argc, argv, "x:y:t:X:Y:r:s:o:h")) != -1) {
		switch (opt) {
		case 'x': xcol = optarg; break;
		case 'y': ycols = optarg; break;
		case 't': p.title = optarg; break;
		case 'X': p.xlabel = optarg; break;
		case 'Y': p.ylabel = optarg; break;
		case 'o': out = optarg; break;
		case 'h': help(); return 0;
		case 'r': {
			char *c = strchr(optarg, ':');
			if (!c)
				return error("y range wants A:B: '%s'", optarg), 2;
			*c = 0;
			if (parse_double(optarg, -1e300, 1e300, "y range start", &p.ymin) ||
			    parse_double(c + 1, -1e300, 1e300, "y range end", &p.ymax))
				return 2;
			if (!(p.ymax > p.ymin))
				return error("empty y range: '%s:%s'", optarg, c + 1), 2;
			p.yfixed = 1;
			break;
		}
		case 's': {
			char *c = strchr(optarg, 'x');
			long w, h;
			if (!c)
				return error("size wants WxH: '%s'", optarg), 2;
			*c = 0;
			if (parse_long(optarg, 120, 8000, "width", &w) ||
			    parse_long(c + 1, 80, 8000, "height", &h))
				return 2;
			p.w = (int)w, p.h = (int)h;
			break;
		}
		default: usage_die(usage);
		}
	}
	if (!out || argc - optind > 1)
		usage_die(usage);
	if (optind < argc)
		in = argv[optind];

	size_t len;
	char *text = read_whole(in, &len), *line, *save = NULL;
	if (!text)
		return 1;
	if (memchr(text, 0, len))
		die("%s: not a text file", in);
	/* header */
	char **names = NULL;
	int ncol = 0, lineno = 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		line[strcspn(line, "\r")] = 0;
		if (*line != '#')
			break;
	}
	if (!line)
		die("%s: no header line", in);
	ncol = 1;
	for (const char *t = line; (t = strchr(t, '\t')); t++)
		ncol++;
	names = xcalloc(ncol, sizeof *names);
	if (!names)
		return 1;
	split_tabs(line, names, ncol);
	int xi = xcol ? col_index(names, ncol, xcol) : 0;
	if (xi < 0)
		die("%s: no such column: '%s'", in, xcol);
	/* the drawn columns */
	int *yi = xcalloc(ncol, sizeof *yi), ny = 0;
	if (!yi)
		return 1;
	if (ycols) {
		char *list = strdup(ycols), *tok, *s2 = NULL;
		if (!list)
			die("out of memory");
		for (tok = strtok_r(list, ",", &s2); tok; tok = strtok_r(NULL, ",", &s2)) {
			int i = col_index(names, ncol, tok);
			if (i < 0)
				die("%s: no such column: '%s'", in, tok);
			if (ny < ncol)
				yi[ny++] = i;
		}
	} else {
		for (int i = 0; i < ncol; i++)
			if (i != xi)
				yi[ny++] = i;
	}
	if (!ny)
		die("%s: no column to draw", in);
	/* the rows */
	int nrow = 0, cap = 0;
	double *val = NULL; /* nrow x ncol */
	char **f = xcalloc(ncol, sizeof *f);
	if (!f)
		return 1;
	for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		line[strcspn(line, "\r")] = 0;
		if (*line == '#' || !*line)
			continue;
		int n = split_tabs(line, f, ncol);
		if (n != ncol)
			die("%s: line %d has %d fields, want %d", in, lineno, n, ncol);
		if (nrow == cap) {
			cap = cap ? 2 * cap : 64;
			double *nv = realloc(val, (size_t)cap * ncol * sizeof *nv);
			if (!nv)
				die("out of memory");
			val = nv;
		}
		for (int i = 0; i < ncol; i++) {
			const char *v = f[i];
			double d;
			if (!*v || !strcmp(v, "-") || !strcasecmp(v, "nan") || !strcmp(v, "NA")) {
				d = NAN;
			} else {
				char *end;
				d = strtod(v, &end);
				if (*end || !isfinite(d)) {
					int drawn = i == xi;
					for (int k = 0; k < ny; k++)
						drawn |= yi[k] == i;
					if (drawn)
						die("%s: line %d: not a number: '%s' in column '%s'", in, lineno,
						    v, names[i]);
					d = NAN; /* a column not drawn may hold text */
				}
			}
			val[(size_t)nrow * ncol + i] = d;
		}
		nrow++;
	}
	if (!nrow)
		die("%s: no data rows", in);
	/* columns as series */
	struct plot_series *s = xcalloc(ny, sizeof *s);
	double *xs = xmalloc(nrow * sizeof *xs), *ys = xmalloc((size_t)nrow * ny * sizeof *ys);
	if (!s || !xs || !ys)
		return 1;
	for (int r = 0; r < nrow; r++)
		xs[r] = val[(size_t)r * ncol + xi];
	for (int k = 0; k < ny; k++) {
		for (int r = 0; r < nrow; r++)
			ys[(size_t)k * nrow + r] = val[(size_t)r * ncol + yi[k]];
		s[k].name = names[yi[k]];
		s[k].x = xs;
		s[k].y = ys + (size_t)k * nrow;
		s[k].n = nrow;
	}
	if (plot_layout(&p, s, ny))
		return 1;
	uint8_t *rgb = xmalloc((size_t)p.w * p.h * 3);
	if (!rgb)
		return 1;
	plot_render(&p, s, ny, rgb);
	if (pngio_write(out, rgb, p.w, p.h, 3))
		return 1;
	free(rgb), free(s), free(xs), free(ys), free(val), free(f), free(yi), free(names), free(text);
	return close_stdout() ? 1 : 0;
}
