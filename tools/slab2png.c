/* slab2png: a slice, a montage of slices or three orthogonal views of a
 * slab as a PNG, with optional contours of a ground-truth and a predicted
 * mask, so a person can look at data and results. */
#include "classes.h"
#include "opt.h"
#include "pngio.h"
#include "render.h"
#include "slab.h"
#include "slicelist.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { ORTHO = 3 }; /* -v: the view axes, then ortho */

static int check_list(const char *v, void *dest)
{
	if (slicelist_parse(v, INT_MAX, NULL) < 0)
		return -1;
	*(const char **)dest = v;
	return 0;
}

/* The options that cannot be checked one by one. 0, or 2 (message printed). */
static int check_views(int view, int montage, const char *klist, const double *window,
                       const long pos[3])
{
	if (montage && view == ORTHO)
		return opt_fail("-M draws one view: not with -v ortho");
	if (klist && !montage)
		return opt_fail("-k selects the planes of a montage: give -M");
	for (int a = 0; a < 3; a++)
		if (pos[a] >= 0 && view != ORTHO && (montage || a != view))
			return opt_fail("-%c has no effect on this view", "zyx"[a]);
	if (!isnan(window[0]) && !(window[1] > window[0]))
		return opt_fail("-w: high not above low: '%g:%g'", window[0], window[1]);
	return 0;
}

/* The image and the masks, checked against each other; classes[m] = C of a
 * multi-class mask (C >= 3), else 0. 0 or -1. */
static int load_all(struct slab *img, struct slab mask[2], int classes[2], const char *in,
                    const char *gt, const char *pred, const char *name, long chan)
{
	struct classes k;
	if (slab_load_named(in, name, img))
		return -1;
	if (chan >= img->nc)
		return error("-c %ld: slab '%s' has %d channels", chan, img->name, img->nc);
	for (int m = 0; m < 2; m++) {
		const char *p = m ? pred : gt;
		if (!p)
			continue;
		if (slab_load_named(p, name, &mask[m]))
			return -1;
		if (mask[m].nx != img->nx || mask[m].ny != img->ny || mask[m].nz != img->nz)
			return error("%s: mask dims %d %d %d differ from the image's %d %d %d", p,
			             mask[m].nx, mask[m].ny, mask[m].nz, img->nx, img->ny, img->nz);
		if (classes_get(&mask[m], &k, p))
			return -1;
		if (k.n < 3 && !(mask[m].type == SLAB_F32 && mask[m].nc == 2 &&
		                 slab_get_extra(&mask[m], CLASSES_KEY)))
			continue;
		classes[m] = k.n;
		if (mask[m].type == SLAB_U8) {
			if (classes_check_labels(&mask[m], &k, p))
				return -1;
		} else if (mask[m].type != SLAB_F32 || mask[m].nc != k.n) {
			return error("%s: a mask of %d classes is a u8 label map or %d-channel f32 "
			             "probabilities: '%s, %d channels' in '%s'", p, k.n, k.n,
			             slab_type_name(mask[m].type), mask[m].nc, mask[m].name);
		}
	}
	return 0;
}

/* Where the planes go: ortho, one plane, or a montage (of klist). 0 or -1. */
static int layout(struct view_layout *l, const struct slab *img, int view, int montage,
                  const char *klist, const long pos[3], int scale)
{
	int index[3], n, rc;
	unsigned char *keep;
	for (int a = 0; a < 3; a++) {
		n = view_axis_count(img, (enum view_axis)a);
		if (pos[a] >= n && (view == ORTHO || (a == view && !montage)))
			return error("-%c %ld: out of range 0..%d", "zyx"[a], pos[a], n - 1);
		index[a] = pos[a] >= 0 ? (int)pos[a] : n / 2;
	}
	if (view == ORTHO)
		return view_ortho(l, img, index, scale);
	n = view_axis_count(img, (enum view_axis)view);
	if (!(keep = xcalloc((size_t)n, 1)))
		return -1;
	if (!montage)
		keep[index[view]] = 1;
	else if (klist) {
		if (slicelist_parse(klist, n, keep) < 0) {
			free(keep);
			return -1;
		}
	} else
		memset(keep, 1, (size_t)n);
	rc = view_montage(l, img, (enum view_axis)view, keep, scale);
	free(keep);
	return rc;
}

int main(int argc, char **argv)
{
	static const char *const views[] = { "axial", "coronal", "sagittal", "ortho", NULL };
	const char *in = "-", *out = NULL, *gt = NULL, *pred = NULL, *name = NULL, *klist = NULL;
	long pos[3] = {-1, -1, -1}, chan = 0, scale = 1;
	double window[2] = {NAN, NAN};
	int i, view = VIEW_AXIAL, montage = 0, rc;
	const struct opt opts[] = {
		OPT_ENUM('v', "view", &view, NULL, views,
		         "axial (default): the plane z = Z, x to the right, y downward;\n"
		         "coronal: y = Y, x to the right, z upward; sagittal: x = X, y to\n"
		         "the right, z upward; ortho: axial, coronal and sagittal side by\n"
		         "side (1-pixel black gaps, top-aligned)"),
		OPT_LONG('x', NULL, &pos[VIEW_SAGITTAL], "X", 0, 999999,
		         "the cut of the sagittal plane (default the central index, floor(n/2))"),
		OPT_LONG('y', NULL, &pos[VIEW_CORONAL], "Y", 0, 999999,
		         "the cut of the coronal plane (default central)"),
		OPT_LONG('z', NULL, &pos[VIEW_AXIAL], "Z", 0, 999999,
		         "the cut of the axial plane (default central); only the views\n"
		         "shown take -x, -y, -z"),
		OPT_FLAG('M', "montage", &montage,
		         "montage: every plane along the view's axis (or those of -k LIST)\n"
		         "in a grid of ceil(sqrt(n)) columns, row by row, 1-pixel black\n"
		         "gaps; not with ortho"),
		OPT_CALL('k', "planes", &klist, "LIST", check_list,
		         "the planes of the montage, e.g. 5,7,10-12"),
		OPT_LONG('c', "channel", &chan, "C", 0, 999999, "the image channel to draw (default 0)"),
		OPT_DOUBLES('w', "window", window, 2, ':', "LO:HI", -1e30, 1e30,
		            "intensity window mapped linearly to 0..255, clamped (default: the\n"
		            "1st..99th percentile of channel C over the whole volume, by rank\n"
		            "round(p/100*(n-1)) of the sorted samples; min..max if equal)"),
		OPT_LONG('S', "scale", &scale, "N", 1, 64,
		         "upscale every pixel to N x N (nearest neighbour, 1..64, default 1)"),
		OPT_STRING('g', "gt", &gt, "GT.slab",
		           "contour of this mask in red; -p PRED: in blue; magenta where both.\n"
		           "A mask has the image's dims; its foreground is 1..254 (u8; 255 =\n"
		           "unlabelled), > 0 (i16) or >= 0.5 (f32), channel 0. A contour pixel\n"
		           "is a foreground pixel with a 4-neighbour outside the mask (after\n"
		           "upscaling, so lines stay one pixel thick). A mask of C >= 3 classes\n"
		           "(CLASSES key): a u8 label map or C-channel f32 probabilities (class\n"
		           "= argmax); each class 1..C-1 gets its own contour, so the line\n"
		           "between two touching classes shows"),
		OPT_STRING('p', "pred", &pred, "PRED.slab", "the second contour (blue)"),
		OPT_STRING('n', "name", &name, "NAME",
		           "take the slab named NAME from each input stream (default: each\n"
		           "input must hold exactly one slab)"),
		OPT_STRING('o', "output", &out, "OUT.png",
		           "the PNG ('-' for stdout), written whole or not at all"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "slab2png", .operands = "[IN.slab]", .min_operands = 0, .max_operands = 1,
		.synopsis = "slab2png [-v axial|coronal|sagittal|ortho] [-x X] [-y Y] [-z Z] [-M [-k LIST]] [-c C]\n"
		            "       [-w LO:HI] [-S N] [-g GT.slab] [-p PRED.slab] [-n NAME] -o OUT.png [IN.slab]",
		.about = "Draw a slab (IN.slab, '-' or none: stdin) as an 8-bit PNG (gray, or RGB with\n"
		         "overlays).",
		.opts = opts
	};
	struct slab img, mask[2];
	struct render r = {0};
	struct view_layout l = {0};
	uint8_t *canvas = NULL;
	int status = 1;

	if ((i = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(i);
	if (i < argc)
		in = argv[i];
	if (!out)
		return opt_fail("no output: give -o OUT.png");
	if ((rc = check_views(view, montage, klist, window, pos)))
		return rc;

	memset(&img, 0, sizeof img);
	memset(mask, 0, sizeof mask);
	if (load_all(&img, mask, r.classes, in, gt, pred, name, chan))
		goto out;
	r.img = &img;
	r.mask[0] = gt ? &mask[0] : NULL;
	r.mask[1] = pred ? &mask[1] : NULL;
	r.channel = (int)chan;
	r.scale = (int)scale;
	r.lo = window[0], r.hi = window[1];
	if (isnan(window[0]) && render_window(&img, r.channel, &r.lo, &r.hi))
		goto out;
	if (layout(&l, &img, view, montage, klist, pos, r.scale) ||
	    !(canvas = render_picture(&r, &l, gt || pred ? 3 : 1)) ||
	    pngio_write(out, canvas, l.w, l.h, gt || pred ? 3 : 1))
		goto out;
	status = close_stdout() ? 1 : 0;
out: /* error exits free too: make SANITIZE=1 checks for leaks */
	free(canvas);
	free(l.panel);
	slab_free(&img);
	slab_free(&mask[0]);
	slab_free(&mask[1]);
	return status;
}
