/* slab2png: a slice, a montage of slices or three orthogonal views of a
 * slab as a PNG, with optional contours of a ground-truth and a predicted
 * mask, so a person can look at data and results. */
#include "pngio.h"
#include "render.h"
#include "slab.h"
#include "slicelist.h"
#include "util.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"slab2png [-v axial|coronal|sagittal|ortho] [-x X] [-y Y] [-z Z] [-M [-k LIST]] [-c C]\n"
	"       [-w LO:HI] [-S N] [-g GT.slab] [-p PRED.slab] [-n NAME] -o OUT.png [IN.slab]";

static void help(void)
{
	printf("usage: %s\n"
	       "Draw a slab (IN.slab, '-' or none: stdin) as an 8-bit PNG (gray, or RGB with\n"
	       "overlays).\n"
	       "  -v VIEW  axial (default): the plane z = Z, x to the right, y downward;\n"
	       "           coronal: y = Y, x to the right, z upward; sagittal: x = X, y to\n"
	       "           the right, z upward; ortho: axial, coronal and sagittal side by\n"
	       "           side (1-pixel black gaps, top-aligned)\n"
	       "  -x/-y/-z the cut of the sagittal/coronal/axial plane (default the central\n"
	       "           index, floor(n/2)); only the views shown take them\n"
	       "  -M       montage: every plane along the view's axis (or those of -k LIST,\n"
	       "           e.g. 5,7,10-12) in a grid of ceil(sqrt(n)) columns, row by row,\n"
	       "           1-pixel black gaps; not with ortho\n"
	       "  -c C     the image channel to draw (default 0)\n"
	       "  -w LO:HI intensity window mapped linearly to 0..255, clamped (default: the\n"
	       "           1st..99th percentile of channel C over the whole volume, by rank\n"
	       "           round(p/100*(n-1)) of the sorted samples; min..max if equal)\n"
	       "  -S N     upscale every pixel to N x N (nearest neighbour, 1..64, default 1)\n"
	       "  -g GT    contour of this mask in red; -p PRED: in blue; magenta where both.\n"
	       "           A mask has the image's dims; its foreground is 1..254 (u8; 255 =\n"
	       "           unlabelled), > 0 (i16) or >= 0.5 (f32), channel 0. A contour pixel\n"
	       "           is a foreground pixel with a 4-neighbour outside the mask (after\n"
	       "           upscaling, so lines stay one pixel thick)\n"
	       "  -n NAME  take the slab named NAME from each input stream (default: each\n"
	       "           input must hold exactly one slab)\n"
	       "  -o OUT   the PNG ('-' for stdout), written whole or not at all\n",
	       usage);
}

/* Load the slab named `name` from a stream, or the only slab when name is
 * NULL. 0 or -1. */
static int load(const char *path, const char *name, struct slab *s)
{
	struct slab_reader r;
	int rc;
	if (!name)
		return slab_load(path, s);
	if (slab_reader_open(&r, path))
		return -1;
	while ((rc = slab_read(&r, s)) > 0) {
		if (!strcmp(s->name, name))
			break;
		slab_free(s);
	}
	if (rc == 0)
		error("%s: no slab named '%s'", r.src, name);
	slab_reader_close(&r);
	return rc > 0 ? 0 : -1;
}

struct panel {
	enum view_axis axis;
	int index;
	int x, y;   /* top-left corner in the canvas */
};

int main(int argc, char **argv)
{
	const char *in = "-", *out = NULL, *gt = NULL, *pred = NULL, *name = NULL,
	           *klist = NULL, *view = "axial", *window = NULL;
	long pos[3] = {-1, -1, -1}, chan = 0, scale = 1;
	int opt, montage = 0, ortho = 0, npanel = 0, cw = 0, chh = 0, channels;
	enum view_axis axis = VIEW_AXIAL;
	struct slab img, mask[2];
	struct render r = {0};
	struct panel *panels = NULL;
	uint8_t *canvas;
	size_t bytes;

	progname = "slab2png";
	memset(&img, 0, sizeof img);
	memset(mask, 0, sizeof mask);
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help")) {
			help();
			return close_stdout() ? 1 : 0;
		}
	opterr = 0;
	while ((opt = getopt(argc, argv, "hv:x:y:z:Mk:c:w:S:g:p:n:o:")) != -1) {
		switch (opt) {
		case 'h':
			help();
			return close_stdout() ? 1 : 0;
		case 'v': view = optarg; break;
		case 'x':
		case 'y':
		case 'z':
			if (parse_long(optarg, 0, 999999, opt == 'x' ? "-x" : opt == 'y' ? "-y" : "-z",
			               &pos[opt == 'z' ? VIEW_AXIAL : opt == 'y' ? VIEW_CORONAL
			                                                         : VIEW_SAGITTAL]))
				usage_die(usage);
			break;
		case 'M': montage = 1; break;
		case 'k': klist = optarg; break;
		case 'c':
			if (parse_long(optarg, 0, 999999, "-c", &chan))
				usage_die(usage);
			break;
		case 'w': window = optarg; break;
		case 'S':
			if (parse_long(optarg, 1, 64, "-S", &scale))
				usage_die(usage);
			break;
		case 'g': gt = optarg; break;
		case 'p': pred = optarg; break;
		case 'n': name = optarg; break;
		case 'o': out = optarg; break;
		default:
			if (strchr("vxyzkcwSgpno", optopt))
				error("option '-%c' needs a value", optopt);
			else
				error("unknown option: '-%c'", optopt);
			usage_die(usage);
		}
	}
	if (argc - optind > 1) {
		error("one input at most, got %d", argc - optind);
		usage_die(usage);
	}
	if (optind < argc)
		in = argv[optind];
	if (!out) {
		error("no output: give -o OUT.png");
		usage_die(usage);
	}
	if (!strcmp(view, "ortho"))
		ortho = 1;
	else if (view_axis_parse(view, &axis)) {
		error("unknown view: '%s'", view);
		usage_die(usage);
	}
	if (montage && ortho) {
		error("-M draws one view: not with -v ortho");
		usage_die(usage);
	}
	if (klist && !montage) {
		error("-k selects the planes of a montage: give -M");
		usage_die(usage);
	}
	for (int a = 0; a < 3; a++)
		if (pos[a] >= 0 && !ortho && (montage || a != (int)axis)) {
			error("-%c has no effect on this view", "zyx"[a]);
			usage_die(usage);
		}
	if (klist && slicelist_parse(klist, INT_MAX, NULL) < 0)
		usage_die(usage);
	if (window) {
		char *colon = strchr(window, ':');
		if (!colon) {
			error("-w: expected LO:HI: '%s'", window);
			usage_die(usage);
		}
		*colon = '\0';
		if (parse_double(window, -1e30, 1e30, "-w low", &r.lo) ||
		    parse_double(colon + 1, -1e30, 1e30, "-w high", &r.hi))
			usage_die(usage);
		if (!(r.hi > r.lo)) {
			error("-w: high not above low: '%s:%s'", window, colon + 1);
			usage_die(usage);
		}
	}

	/* Inputs. */
	if (load(in, name, &img))
		return 1;
	if (chan >= img.nc)
		die("-c %ld: slab '%s' has %d channels", chan, img.name, img.nc);
	for (int m = 0; m < 2; m++) {
		const char *p = m ? pred : gt;
		if (!p)
			continue;
		if (load(p, name, &mask[m]))
			return 1;
		if (mask[m].nx != img.nx || mask[m].ny != img.ny || mask[m].nz != img.nz)
			die("%s: mask dims %d %d %d differ from the image's %d %d %d", p, mask[m].nx,
			    mask[m].ny, mask[m].nz, img.nx, img.ny, img.nz);
		r.mask[m] = &mask[m];
	}
	r.img = &img;
	r.channel = (int)chan;
	r.scale = (int)scale;
	if (!window && render_window(&img, r.channel, &r.lo, &r.hi))
		return 1;

	/* Panels and their places. */
	if (ortho) {
		int w, h;
		panels = xcalloc(3, sizeof *panels);
		if (!panels)
			return 1;
		for (int a = 0; a < 3; a++) {
			int n = view_axis_count(&img, (enum view_axis)a);
			if (pos[a] >= n)
				die("-%c %ld: out of range 0..%d", "zyx"[a], pos[a], n - 1);
			view_plane_size(&img, (enum view_axis)a, &w, &h);
			panels[a] = (struct panel){(enum view_axis)a, pos[a] >= 0 ? (int)pos[a] : n / 2,
			                           cw + (a ? 1 : 0), 0};
			cw += w * r.scale + (a ? 1 : 0);
			if (h * r.scale > chh)
				chh = h * r.scale;
		}
		npanel = 3;
	} else {
		int n = view_axis_count(&img, axis), w, h, cols, rows;
		unsigned char *keep = xcalloc((size_t)n, 1);
		if (!keep)
			return 1;
		if (!montage) {
			if (pos[axis] >= n)
				die("-%c %ld: out of range 0..%d", "zyx"[axis], pos[axis], n - 1);
			keep[pos[axis] >= 0 ? pos[axis] : n / 2] = 1;
		} else if (klist) {
			if (slicelist_parse(klist, n, keep) < 0)
				return 1;
		} else {
			memset(keep, 1, (size_t)n);
		}
		for (int k = 0; k < n; k++)
			npanel += keep[k];
		cols = (int)ceil(sqrt((double)npanel));
		rows = (npanel + cols - 1) / cols;
		view_plane_size(&img, axis, &w, &h);
		w *= r.scale, h *= r.scale;
		panels = xcalloc((size_t)npanel, sizeof *panels);
		if (!panels)
			return 1;
		for (int k = 0, i = 0; k < n; k++)
			if (keep[k]) {
				panels[i] = (struct panel){axis, k, (i % cols) * (w + 1), (i / cols) * (h + 1)};
				i++;
			}
		cw = cols * (w + 1) - 1;
		chh = rows * (h + 1) - 1;
		free(keep);
	}

	/* Draw and write. */
	channels = gt || pred ? 3 : 1;
	if (mul_size((size_t)cw * chh, (size_t)channels, &bytes) || bytes > ((size_t)1 << 31))
		die("picture too large: %d x %d pixels", cw, chh);
	canvas = xcalloc(bytes, 1);
	if (!canvas)
		return 1;
	for (int i = 0; i < npanel; i++)
		render_plane(&r, panels[i].axis, panels[i].index, canvas, cw, channels, panels[i].x,
		             panels[i].y);
	if (pngio_write(out, canvas, cw, chh, channels))
		return 1;
	free(canvas);
	free(panels);
	slab_free(&img);
	slab_free(&mask[0]);
	slab_free(&mask[1]);
	return close_stdout() ? 1 : 0;
}
