/* surfdist.h: surface distances between two binary masks, and the Hausdorff
 * family of boundary metrics built on them (HD95 as MedPy, MONAI's HD95,
 * HD100, ASSD).
 *
 * Surface of a mask: the mask minus its erosion by the structuring element
 * of connectivity 6, 18 or 26 (scipy's generate_binary_structure(3, 1..3)),
 * with everything outside the grid counted as background, so a mask voxel on
 * the grid's edge is a surface voxel. Distances are Euclidean in millimetres
 * between voxel centres, each axis scaled by its spacing, from an exact
 * distance transform (edt.h). Masks are nx*ny*nz bytes, x fastest, each 0
 * (outside) or 1 (inside). */
#ifndef SL_SURFDIST_H
#define SL_SURFDIST_H

#include <stddef.h>
#include <stdint.h>

enum hd_mode {
	HD_MEDPY, /* 95th percentile of both directions' distances pooled (the paper, MedPy) */
	HD_MAX,   /* max of the two directed 95th percentiles (MONAI, MetricsReloaded) */
	HD_HD,    /* Hausdorff distance: the largest distance (HD100) */
	HD_ASSD   /* average symmetric surface distance: mean of the two directed means (MedPy) */
};

/* The TSV column name of a mode: "hd95", "hd95max", "hd", "assd". */
const char *hd_mode_column(enum hd_mode m);
/* The option value of a mode: "medpy", "max", "hd", "assd". */
const char *hd_mode_name(enum hd_mode m);

/* What a mode's value is when a mask has no voxel. */
enum hd_empty_kind {
	HD_EMPTY_INF,   /* one empty: inf; both empty: 0 (the default) */
	HD_EMPTY_NAN,   /* one or both empty: nan (undefined) */
	HD_EMPTY_DIAG,  /* one empty: the grid's diagonal in mm; both empty: 0 */
	HD_EMPTY_VALUE, /* one empty: a given value in mm; both empty: 0 */
	HD_EMPTY_ERROR  /* any empty mask is an error (as MedPy raises) */
};
struct hd_empty {
	enum hd_empty_kind kind;
	double value; /* for HD_EMPTY_VALUE */
};
/* Parse "inf", "nan", "diag", "error" or a number >= 0; 0, or -1 with a message. */
int hd_empty_parse(const char *s, struct hd_empty *e);
/* A one-line statement of the policy, e.g. "one mask empty -> inf, both -> 0". */
const char *hd_empty_describe(const struct hd_empty *e, char *buf, size_t n);

/* Which masks were empty: a bit set. */
enum { HD_PRED_EMPTY = 1, HD_GT_EMPTY = 2 };
/* The word for a set of HD_*_EMPTY bits: "none", "pred", "gt" or "both". */
const char *hd_empty_name(int empty);

/* What a summary says about the values it leaves out or got from a policy. */
struct hd_tally {
	size_t empty[4]; /* by HD_*_EMPTY bits: none, pred, gt, both */
	size_t inf, nan; /* values left out of a mean */
};
/* Count one result. Returns 1 when v belongs in a mean (finite), else 0. */
int hd_tally_add(struct hd_tally *t, double v, int empty);
/* A one-line note: "empty masks: ...; N inf left out of the mean", or "". */
const char *hd_tally_note(const struct hd_tally *t, char *buf, size_t n);

/* Mark the surface voxels of `mask` in `surf` (1, else 0) for connectivity
 * 6, 18 or 26. Returns the number of surface voxels. Cannot fail. */
size_t surface_mark(uint8_t *surf, const uint8_t *mask, int nx, int ny, int nz, int conn);

/* Surface voxel counts of `a` and `b` into *na and *nb, and when both masks
 * have a voxel, the distances (mm) from every surface voxel of a to the
 * nearest surface voxel of b into *da (*na values, malloc'ed, in no
 * particular order) and from b's to a's into *db (*nb values). When a mask is
 * empty, *da and *db are NULL. Work is done on the bounding box of a|b only.
 * Returns 0, or -1 when out of memory. */
int surface_distances(double **da, size_t *na, double **db, size_t *nb, const uint8_t *a,
                      const uint8_t *b, int nx, int ny, int nz, const double spacing[3],
                      int conn);

/* The p-th percentile (0..100) of n > 0 values by linear interpolation
 * between order statistics, as numpy.percentile's default. Reorders x.
 * Cannot fail. */
double percentile(double *x, size_t n, double p);

/* A mode's value from two non-empty distance lists (reordered). */
double hd_from_distances(enum hd_mode m, double *da, size_t na, double *db, size_t nb);

/* The voxel spacings (mm) distances are computed for: squared distances
 * across a grid must stay normal numbers in the float work buffers of
 * edt.c. hd_compute refuses others. */
#define HD_SPACING_MIN 1e-6
#define HD_SPACING_MAX 1e6

/* The whole computation for a prediction and a ground truth mask: *value in
 * mm, *empty the HD_*_EMPTY bits, *npred and *ngt the surface voxel counts.
 * Empty masks follow the policy `e`; under HD_EMPTY_ERROR an empty mask is
 * an error naming `name`. Returns 0 or -1 (message printed). */
int hd_compute(double *value, int *empty, size_t *npred, size_t *ngt, const uint8_t *pred,
               const uint8_t *gt, int nx, int ny, int nz, const double spacing[3],
               enum hd_mode mode, int conn, const struct hd_empty *e, const char *name);

#endif
