/* slab2nii: one slab -> NIfTI (.nii.gz, or plain .nii when OUT ends in
 * .nii).
 *
 * Alone: NIfTI-1 keeping the slab's voxel-to-world transform (sform and
 * qform) so that the volume lies exactly over the scan it came from. u8, i16
 * and f32 keep their type; channels become the 4th dimension.
 *
 * With -g REF: the slab resampled onto REF's voxel grid (lib/regrid.h: f32
 * trilinear, u8 and i16 nearest, 0 outside the slab) and written with REF's
 * shape and header geometry (lib/nifti.h's nifti_save_like), optionally
 * thresholded after resampling (-t) and with a label's painted planes copied
 * over it verbatim (--overlay).
 *
 * A label map with CLASSES (lib/classes.h) is written with its source
 * values (CLASS_VALUES); a probability slab of C classes becomes that label
 * map with --argmax (after resampling each channel with -g). */
#include "classes.h"
#include "nifti.h"
#include "opt.h"
#include "regrid.h"
#include "slab.h"
#include "slicelist.h"
#include "util.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --overlay-planes values, one LIST per axis x, y, z (NULL: none). */
struct planes {
	const char *list[3];
	int given;
};

static int parse_planes(const char *v, void *dest)
{
	struct planes *p = dest;
	int axis;
	if (!v[0] || v[1] != ':' || !strchr("xyz", v[0]))
		return error("--overlay-planes: want AXIS:LIST with AXIS x, y or z: '%s'", v);
	axis = v[0] - 'x';
	if (p->list[axis])
		return error("--overlay-planes: axis %c given twice: '%s'", v[0], v);
	if (slicelist_parse(v + 2, INT_MAX, NULL) < 0)
		return -1;
	p->list[axis] = v + 2;
	p->given = 1;
	return 0;
}

/* The slab's SOURCE_DIMS (when present) must be REF's grid. */
static int check_source_dims(const struct slab *s, const char *ref, const long long *dim)
{
	const char *v = slab_get_extra(s, "SOURCE_DIMS");
	double d[3];
	if (!v)
		return 0;
	if (parse_tuple(v, ' ', 3, 1, 1, 1000000, 0, "SOURCE_DIMS", d))
		return -1;
	if (d[0] != dim[1] || d[1] != dim[2] || d[2] != dim[3])
		return error("reference grid %lld %lld %lld is not the slab's SOURCE_DIMS %s: '%s'",
		             dim[1], dim[2], dim[3], v, ref);
	return 0;
}

/* Copy LABEL's voxels onto the chosen planes of `out` (REF's grid). Without
 * --overlay-planes: the z-planes holding any non-zero voxel of LABEL. */
static int overlay(struct slab *out, const char *path, const struct planes *pl,
                   const struct slab *ref)
{
	struct slab lab;
	unsigned char *keep[3] = {NULL, NULL, NULL};
	const int n[3] = {out->nx, out->ny, out->nz};
	int a, i, j, k, rc = -1;
	double scale = 0, diff = 0;
	if (nifti_load(path, &lab, NULL))
		return -1;
	if (lab.nx != out->nx || lab.ny != out->ny || lab.nz != out->nz || lab.nc != 1) {
		error("--overlay: label dims %d %d %d (%d volumes) are not the reference's %d %d %d: '%s'",
		      lab.nx, lab.ny, lab.nz, lab.nc, out->nx, out->ny, out->nz, path);
		goto out;
	}
	for (i = 0; i < 12; i++) {
		scale = fmax(scale, fabs(ref->transform[i]));
		diff = fmax(diff, fabs(ref->transform[i] - lab.transform[i]));
	}
	if (diff > 1e-4 * (1 + scale)) {
		error("--overlay: label lies on another grid than the reference (transforms differ by %g): '%s'",
		      diff, path);
		goto out;
	}
	for (a = 0; a < 3; a++) {
		if (!pl->given && a < 2)
			continue;
		keep[a] = xcalloc((size_t)n[a], 1);
		if (!keep[a])
			goto out;
		if (pl->given) {
			if (pl->list[a] && slicelist_parse(pl->list[a], n[a], keep[a]) < 0)
				goto out;
		} else {
			for (k = 0; k < lab.nz; k++)
				for (j = 0; j < lab.ny * lab.nx; j++)
					if (((const float *)lab.data)[(size_t)k * lab.nx * lab.ny + j] != 0) {
						keep[2][k] = 1;
						break;
					}
		}
	}
	for (k = 0; k < out->nz; k++)
		for (j = 0; j < out->ny; j++)
			for (i = 0; i < out->nx; i++) {
				size_t o = slab_index(out, i, j, 0, k);
				float v = ((const float *)lab.data)[o];
				if (!((keep[0] && keep[0][i]) || (keep[1] && keep[1][j]) ||
				      (keep[2] && keep[2][k])))
					continue;
				if (out->type == SLAB_F32) {
					((float *)out->data)[o] = v;
					continue;
				}
				if (v != floor(v) || v < (out->type == SLAB_U8 ? 0 : -32768) ||
				    v > (out->type == SLAB_U8 ? 255 : 32767)) {
					error("--overlay: label value %g at x %d y %d z %d does not fit %s: '%s'",
					      v, i, j, k, slab_type_name(out->type), path);
					goto out;
				}
				slab_set(out, o, v);
			}
	rc = 0;
out:
	for (a = 0; a < 3; a++)
		free(keep[a]);
	slab_free(&lab);
	return rc;
}

/* f32 -> u8 mask p >= thr, in place of s. */
static int threshold(struct slab *s, double thr)
{
	struct slab m;
	size_t i, n = slab_count(s);
	if (slab_alloc(&m, s->name, s->nx, s->ny, s->nz, s->nc, SLAB_U8))
		return -1;
	memcpy(m.transform, s->transform, sizeof m.transform);
	memcpy(m.spacing, s->spacing, sizeof m.spacing);
	for (i = 0; i < n; i++)
		((uint8_t *)m.data)[i] = ((const float *)s->data)[i] >= thr;
	slab_free(s);
	*s = m;
	return 0;
}

/* The label map of probability slab s (--argmax), in place of s. */
static int argmax(struct slab *s, const char *src)
{
	struct slab m;
	if (slab_alloc_like(&m, s, s->nx, s->ny, s->nz, 1, SLAB_U8))
		return -1;
	if (classes_argmax(s, m.data, src)) {
		slab_free(&m);
		return -1;
	}
	slab_free(s);
	*s = m;
	return 0;
}

/* A label map of k's classes -> its source values, in place of s. */
static int to_values(struct slab *s, const struct classes *k)
{
	struct slab v;
	if (classes_to_values(s, k, &v))
		return -1;
	slab_free(s);
	*s = v;
	return 0;
}

/* Resample s onto REF's grid and write it with REF's header geometry; k:
 * the classes of a label map or (with am, --argmax) probability slab, or
 * NULL. */
static int to_grid(struct slab *s, const char *refpath, double thr, const char *label,
                   const struct planes *pl, const char *out, const struct classes *k, int am)
{
	struct slab ref, g;
	struct nifti_info info;
	size_t i, n;
	int rc = -1;
	memset(&g, 0, sizeof g);
	if (nifti_load(refpath, &ref, &info))
		return -1;
	if (check_source_dims(s, refpath, info.geom.dim))
		goto out;
	if (!am && s->nc != 1 && s->nc != ref.nc) {
		error("slab has %d channels, the reference %d volumes (want 1 or %d): '%s'", s->nc,
		      ref.nc, ref.nc, refpath);
		goto out;
	}
	if (label && s->nc != 1 && !am) {
		error("--overlay needs a one-channel slab, not %d channels: '%s'", s->nc, label);
		goto out;
	}
	if (slab_regrid(s, ref.nx, ref.ny, ref.nz, ref.transform,
	                s->type == SLAB_F32 ? REGRID_LINEAR : REGRID_NEAREST, &g))
		goto out;
	if (am && argmax(&g, s->name))
		goto out;
	if (g.type == SLAB_U8) /* unlabelled is written as background */
		for (i = 0, n = slab_count(&g); i < n; i++)
			if (((uint8_t *)g.data)[i] == SLAB_UNLABELLED)
				((uint8_t *)g.data)[i] = 0;
	if (thr >= 0 && threshold(&g, thr))
		goto out;
	if (k && to_values(&g, k))
		goto out;
	if (label && overlay(&g, label, pl, &ref))
		goto out;
	rc = nifti_save_like(out, &g, &info.geom);
out:
	slab_free(&g);
	slab_free(&ref);
	return rc;
}

/* The classes of slab s read from `in` for this run, into *k (NULL: write
 * s as it is): a label map with CLASSES, or with --argmax a probability slab
 * with CLASSES as many as its channels. -t is for binary probabilities. 0,
 * or -1 with one error. */
static int run_classes(const struct slab *s, const char *in, int am, double thr,
                       struct classes *k, const struct classes **kp)
{
	int has = slab_get_extra(s, CLASSES_KEY) != NULL;
	*kp = NULL;
	if (classes_get(s, k, in))
		return -1;
	if (am) {
		if (s->type != SLAB_F32 || !has || k->n != s->nc)
			return error("--argmax needs f32 probabilities of C classes (C channels and "
			             "CLASSES C), the slab is %s with %d channels%s: '%s'",
			             slab_type_name(s->type), s->nc, has ? "" : " and no CLASSES", in);
		*kp = k;
		return 0;
	}
	if (thr >= 0 && (has || s->nc > 1))
		return error("-t thresholds one-channel binary probabilities; a slab of %d channels%s "
		             "becomes a label map with --argmax: '%s'", s->nc,
		             has ? " with CLASSES" : "", in);
	if (!has)
		return 0;
	if (s->type == SLAB_U8 && s->nc == 1) {
		if (classes_check_labels(s, k, in))
			return -1;
		*kp = k;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *out = "-", *in = "-", *ref = NULL, *label = NULL;
	double thr = -1;
	struct planes pl = {{NULL, NULL, NULL}, 0};
	struct slab s;
	struct classes k;
	const struct classes *kp;
	int i, rc, am = 0;
	const struct opt opts[] = {
		OPT_STRING('o', "output", &out, "OUT.nii.gz", "output file (default stdout, gzip-compressed);\n"
		           "a name ending in .nii is written uncompressed"),
		OPT_STRING('g', "grid", &ref, "REF.nii.gz",
		           "resample onto this NIfTI's voxel grid (the scan\n"
		           "it came from) and write REF's dims, pixdim, units,\n"
		           "qform and sform as REF stores them"),
		OPT_DOUBLE('t', "threshold", &thr, "THR", 0, 1,
		           "f32 probabilities -> u8 mask p >= THR (with -g:\n"
		           "after resampling)"),
		OPT_FLAG(0, "argmax", &am,
		         "f32 probabilities of C classes (C channels, CLASSES C)\n"
		         "-> the label map: per voxel the most probable class\n"
		         "(ties to the lower), written with its source values\n"
		         "(with -g: after resampling each channel)"),
		OPT_STRING(0, "overlay", &label, "LABEL.nii.gz",
		           "with -g: copy this label's voxels (on REF's grid)\n"
		           "verbatim onto the painted planes"),
		OPT_CALL(0, "overlay-planes", &pl, "AXIS:LIST", parse_planes,
		         "the planes --overlay copies: AXIS x, y or z\n"
		         "(NIfTI i, j, k), LIST as 12,14 or 10-12 on REF's\n"
		         "grid from 0; once per axis (default: the z-planes\n"
		         "where LABEL has a non-zero voxel)"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "slab2nii", .operands = "[IN.slab]", .min_operands = 0, .max_operands = 1,
		.about = "Write one slab as NIfTI-1 with its TRANSFORM as sform and qform; or, with\n"
		         "-g, resampled onto a reference scan's grid and header geometry.",
		.opts = opts,
		.notes = "IN holds exactly one slab (default stdin).\n"
		         "With -g REF, each REF voxel (i,j,k) takes the slab's value at the continuous\n"
		         "index inverse(TRANSFORM) * T_REF * (i,j,k,1), T_REF as msd2slab reads it\n"
		         "(sform, else qform, else pixdim): f32 trilinear (bilinear in-plane where z\n"
		         "matches), u8 and i16 nearest, 0 outside the slab's voxels; a u8 255\n"
		         "(unlabelled) is written as 0. The output is u8 (masks, -t) or f32, with\n"
		         "REF's version (NIfTI-1 or 2) and dims (one channel under a 4-D REF: its\n"
		         "3-D grid), scl_slope 1, little-endian. A slab with SOURCE_DIMS must come\n"
		         "from a grid of REF's dims.\n"
		         "Classes (formats/slab.md): a u8 label map with CLASSES is written with each\n"
		         "class's source value (CLASS_VALUES; u8 when all are <= 255, else i16;\n"
		         "unlabelled 255 as the background's value); --argmax turns f32 probabilities of\n"
		         "C classes into that label map. -t on such a slab is refused (use --argmax)."
	};

	if ((i = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(i);
	if (i < argc)
		in = argv[i];
	if (label && !ref)
		return opt_fail("--overlay needs -g REF: '%s'", label);
	if (am && thr >= 0)
		return opt_fail("--argmax and -t exclude each other");
	if (pl.given && !label)
		return opt_fail("--overlay-planes needs --overlay LABEL: '%s'",
		                pl.list[0] ? pl.list[0] : pl.list[1] ? pl.list[1] : pl.list[2]);
	if (!strcmp(out, "-") && isatty(1))
		die("will not write binary NIfTI to a terminal; use -o OUT.nii.gz");
	if (slab_load(in, &s))
		return 1;
	if (thr >= 0 && s.type != SLAB_F32) {
		error("-t needs f32 probabilities, the slab is %s: '%s'", slab_type_name(s.type), in);
		slab_free(&s);
		return 1;
	}
	if (run_classes(&s, in, am, thr, &k, &kp)) {
		slab_free(&s);
		return 1;
	}
	if (ref)
		rc = to_grid(&s, ref, thr, label, &pl, out, kp, am) ? 1 : 0;
	else
		rc = (am && argmax(&s, in)) || (thr >= 0 && threshold(&s, thr)) ||
		     (kp && to_values(&s, kp)) || nifti_save(out, &s) ? 1 : 0;
	slab_free(&s);
	if (close_stdout())
		rc = 1;
	return rc;
}
