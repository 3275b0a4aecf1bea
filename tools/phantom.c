/* phantom: a seeded synthetic labelled dataset in MSD layout
 * (OUT_DIR/imagesTr/NAME.nii.gz f32, OUT_DIR/labelsTr/NAME.nii.gz u8,
 * OUT_DIR/dataset.json).
 *
 * Each case holds a bent, tapered tube running along z, like a
 * hippocampus: it spans most but not all slices, its cross-section (an
 * ellipse that turns and swells towards its head) and its path differ from
 * case to case and slice to slice. Label 1 is its head, label 2 its tail.
 * The image shows the tube brighter than a smoothly varying background,
 * plus a dark unlabelled blob nearby, a smooth multiplicative bias field and
 * Gaussian noise; further channels change the contrast. The same seed gives
 * the same dataset on every machine (up to libm rounding). */
#include "nifti.h"
#include "opt.h"
#include "outbatch.h"
#include "slab.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Random parameters of one case. */
struct shape {
	double z0, z1;             /* slice span of the tube (continuous) */
	double cx, cy;             /* centre at mid-span, voxels */
	double ax, ay, bx, by;     /* linear and quadratic drift of the path */
	double r, aspect;          /* cross-section radius and elongation */
	double th0, th1;           /* ellipse angle and its turn along the tube */
	double swell;              /* head-to-tail thickness ratio control */
	double split;              /* head/tail boundary in t (-1..1) */
	double bx0, by0, bz0, br;  /* dark blob centre and radius */
	double bias[4];            /* bias field: gradient x, y, z and curvature */
	double bg[3][4];           /* background: three cosines (kx, ky, kz, phase) */
	double contrast;           /* tube brightness over the background */
};

static double uni(struct rng *r, double a, double b) { return a + (b - a) * rng_uniform(r); }

static void make_shape(struct rng *r, int nx, int ny, int nz, struct shape *s)
{
	double m = nx < ny ? nx : ny;
	int i;
	s->z0 = uni(r, 0.03, 0.16) * nz;
	s->z1 = nz - 1 - uni(r, 0.03, 0.16) * nz;
	s->cx = nx / 2.0 + uni(r, -0.1, 0.1) * nx;
	s->cy = ny / 2.0 + uni(r, -0.1, 0.1) * ny;
	s->ax = uni(r, -0.12, 0.12) * nx;
	s->ay = uni(r, -0.12, 0.12) * ny;
	s->bx = uni(r, -0.3, 0.3) * nx;
	s->by = uni(r, -0.3, 0.3) * ny;
	s->r = uni(r, 0.11, 0.16) * m;
	s->aspect = uni(r, 1.0, 1.6);
	s->th0 = uni(r, 0, M_PI);
	s->th1 = uni(r, -0.8, 0.8);
	s->swell = uni(r, 0.15, 0.45);
	s->split = uni(r, -0.25, 0.25);
	/* the dark blob sits beside the tube's middle */
	{
		double ang = uni(r, 0, 2 * M_PI), d = uni(r, 2.2, 3.0) * s->r;
		s->bx0 = s->cx + d * cos(ang);
		s->by0 = s->cy + d * sin(ang);
		s->bz0 = uni(r, 0.3, 0.7) * nz;
		s->br = uni(r, 0.6, 1.0) * s->r;
	}
	for (i = 0; i < 3; i++)
		s->bias[i] = uni(r, -0.2, 0.2);
	s->bias[3] = uni(r, -0.15, 0.15);
	for (i = 0; i < 3; i++) {
		s->bg[i][0] = uni(r, -1, 1) * 2 * M_PI / nx;
		s->bg[i][1] = uni(r, -1, 1) * 2 * M_PI / ny;
		s->bg[i][2] = uni(r, -1, 1) * 2 * M_PI / nz;
		s->bg[i][3] = uni(r, 0, 2 * M_PI);
	}
	s->contrast = uni(r, 0.8, 1.2);
}

/* Normalised elliptic radius of (x, y) in slice z (<= 1 inside), the
 * smallest semi-axis there, and t in [-1, 1] along the tube (2 outside). */
static double tube(const struct shape *s, double x, double y, double z, double *rmin, double *t)
{
	double span = s->z1 - s->z0, tt = 2 * (z - s->z0) / span - 1, taper, w, ra, rb, c, sn, dx, dy,
	       u, v, th;
	*t = tt;
	*rmin = 0;
	if (tt <= -1 || tt >= 1)
		return 1e9;
	taper = sqrt(1 - tt * tt * tt * tt);
	w = 1 + s->swell * -tt;
	ra = s->r * taper * w * sqrt(s->aspect);
	rb = s->r * taper * w / sqrt(s->aspect);
	th = s->th0 + s->th1 * tt;
	c = cos(th), sn = sin(th);
	dx = x - (s->cx + s->ax * tt / 2 + s->bx * (tt * tt / 4 - 1.0 / 12));
	dy = y - (s->cy + s->ay * tt / 2 + s->by * (tt * tt / 4 - 1.0 / 12));
	u = (dx * c + dy * sn) / ra;
	v = (-dx * sn + dy * c) / rb;
	*rmin = ra < rb ? ra : rb;
	return sqrt(u * u + v * v);
}

/* Soft 0..1 membership from a normalised radius q and radius rmin (voxels):
 * about one voxel of partial volume at the edge. */
static double soft(double q, double rmin)
{
	double d = (1 - q) * rmin + 0.5;
	return d < 0 ? 0 : d > 1 ? 1 : d;
}

static void make_case(struct rng *r, const struct shape *s, struct slab *img, struct slab *lab)
{
	int nx = img->nx, ny = img->ny, nz = img->nz, nc = img->nc, x, y, z, c;
	for (z = 0; z < nz; z++)
		for (y = 0; y < ny; y++)
			for (x = 0; x < nx; x++) {
				double rmin, t, q = tube(s, x, y, z, &rmin, &t), in = soft(q, rmin);
				double bq = sqrt(((x - s->bx0) * (x - s->bx0) + (y - s->by0) * (y - s->by0)) /
				                 (s->br * s->br) + (z - s->bz0) * (z - s->bz0) * 2.25 /
				                 (4 * s->br * s->br));
				double blob = soft(bq, s->br), bg = 0, bias;
				double xn = (x - nx / 2.0) / nx, yn = (y - ny / 2.0) / ny, zn = (z - nz / 2.0) / nz;
				int k;
				((uint8_t *)lab->data)[slab_index(lab, x, y, 0, z)] =
					q <= 1 ? (t < s->split ? 1 : 2) : 0;
				for (k = 0; k < 3; k++)
					bg += cos(s->bg[k][0] * x + s->bg[k][1] * y + s->bg[k][2] * z + s->bg[k][3]);
				bias = 1 + s->bias[0] * xn + s->bias[1] * yn + s->bias[2] * zn +
				       s->bias[3] * (xn * xn + yn * yn - 1.0 / 6);
				for (c = 0; c < nc; c++) {
					/* channel 0: bright tube, dark blob; odd channels invert the
					 * tube, even ones above 0 weaken the contrast */
					double tube_level = c == 0 ? 80 : c % 2 ? -60 : 50;
					double blob_level = c % 2 ? 50 : -55;
					double v = 100 + 8 * bg + in * tube_level * s->contrast +
					           blob * (1 - in) * blob_level;
					v = v * bias + 10 * rng_normal(r);
					((float *)img->data)[slab_index(img, x, y, c, z)] = (float)v;
				}
			}
}

/* -d X,Y,Z: X and Y 4..2048, Z 3..2048. */
static int parse_dims(const char *v, void *dest)
{
	double d[3];
	int *dims = dest;
	if (parse_tuple(v, ',', 3, 1, 3, 2048, 0, "dims", d))
		return -1;
	if (d[0] < 4 || d[1] < 4)
		return error("dims: X and Y out of range 4..2048: '%s'", v);
	dims[0] = (int)d[0], dims[1] = (int)d[1], dims[2] = (int)d[2];
	return 0;
}

static int write_nii(struct outbatch *b, const char *path, const struct slab *s)
{
	FILE *f = outbatch_open(b, path);
	if (!f)
		return -1;
	if (nifti_write(f, s, 1)) {
		outbatch_drop(b, f);
		return error("cannot write '%s'", path);
	}
	return outbatch_close(b, f);
}

int main(int argc, char **argv)
{
	long ncase = 24, nchan = 1, seed = 1;
	int dims[3] = {32, 32, 24}, i, k, rc = 1;
	const char *outdir;
	char *path = NULL;
	size_t plen;
	struct outbatch b;
	FILE *jf;
	const struct opt opts[] = {
		OPT_LONG('n', "cases", &ncase, "CASES", 1, 9999, "number of cases (default 24)"),
		OPT_CALL('d', "dims", dims, "X,Y,Z", parse_dims,
		         "volume size in voxels (default 32,32,24)"),
		OPT_LONG('c', "channels", &nchan, "CHANNELS", 1, 64,
		         "image channels, each with its own contrast (default 1)"),
		OPT_LONG('s', "seed", &seed, "SEED", 0, 2147483647L, "random seed (default 1)"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "phantom", .operands = "OUT_DIR", .min_operands = 1, .max_operands = 1,
		.about = "Write a synthetic MSD-style dataset: OUT_DIR/imagesTr/phantom_NNN.nii.gz\n"
		         "(f32; 4-D when CHANNELS > 1), OUT_DIR/labelsTr/phantom_NNN.nii.gz (u8:\n"
		         "0 background, 1 head, 2 tail of a bent tube) and OUT_DIR/dataset.json.",
		.opts = opts,
		.notes = "Voxels are 1 x 1 x 1.5 mm. All files appear together or not at all."
	};

	if ((i = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(i);
	outdir = argv[i];
	plen = strlen(outdir) + 64;
	path = xmalloc(plen);
	outbatch_init(&b);
	if (!path)
		goto out;
	snprintf(path, plen, "%s/imagesTr", outdir);
	if (mkdir_p(path))
		goto out;
	snprintf(path, plen, "%s/labelsTr", outdir);
	if (mkdir_p(path))
		goto out;
	for (k = 0; k < ncase; k++) {
		struct rng r;
		struct shape s;
		struct slab img, lab;
		int bad;
		double tr[12] = {1, 0, 0, -dims[0] / 2.0, 0, 1, 0, -dims[1] / 2.0, 0, 0, 1.5,
		                 -dims[2] * 0.75};
		rng_seed(&r, (uint64_t)seed * 0x9e3779b97f4a7c15ULL + (uint64_t)k);
		make_shape(&r, dims[0], dims[1], dims[2], &s);
		if (slab_alloc(&img, "", dims[0], dims[1], dims[2], (int)nchan, SLAB_F32))
			goto out;
		if (slab_alloc(&lab, "", dims[0], dims[1], dims[2], 1, SLAB_U8)) {
			slab_free(&img);
			goto out;
		}
		memcpy(img.transform, tr, sizeof tr);
		memcpy(lab.transform, tr, sizeof tr);
		img.spacing[2] = lab.spacing[2] = 1.5;
		make_case(&r, &s, &img, &lab);
		snprintf(path, plen, "%s/imagesTr/phantom_%03d.nii.gz", outdir, k + 1);
		bad = write_nii(&b, path, &img);
		snprintf(path, plen, "%s/labelsTr/phantom_%03d.nii.gz", outdir, k + 1);
		bad = bad || write_nii(&b, path, &lab);
		slab_free(&img);
		slab_free(&lab);
		if (bad)
			goto out;
	}
	snprintf(path, plen, "%s/dataset.json", outdir);
	if (!(jf = outbatch_open(&b, path)))
		goto out;
	fprintf(jf, "{\n \"name\": \"Phantom\",\n"
	        " \"description\": \"selflabel synthetic bent tubes (phantom -n %ld -d %d,%d,%d -c %ld -s %ld)\",\n"
	        " \"tensorImageSize\": \"%s\",\n \"modality\": {", ncase, dims[0], dims[1], dims[2],
	        nchan, seed, nchan > 1 ? "4D" : "3D");
	for (k = 0; k < nchan; k++)
		fprintf(jf, "%s\n  \"%d\": \"synthetic %d\"", k ? "," : "", k, k);
	fprintf(jf, "\n },\n \"labels\": {\n  \"0\": \"background\",\n  \"1\": \"head\",\n"
	        "  \"2\": \"tail\"\n },\n \"numTraining\": %ld,\n \"numTest\": 0,\n \"training\": [",
	        ncase);
	for (k = 0; k < ncase; k++)
		fprintf(jf, "%s\n  {\"image\": \"./imagesTr/phantom_%03d.nii.gz\", "
		        "\"label\": \"./labelsTr/phantom_%03d.nii.gz\"}", k ? "," : "", k + 1, k + 1);
	fprintf(jf, "\n ],\n \"test\": []\n}\n");
	if (outbatch_close(&b, jf) || outbatch_commit(&b))
		goto out;
	rc = 0;
out:
	outbatch_abort(&b);
	free(path);
	if (close_stdout())
		rc = 1;
	return rc;
}
