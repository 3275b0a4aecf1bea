/* annot.h: sparse annotations, which voxels of a label volume were painted.
 *
 * A user who painted a few slices of each scan hands over label files that
 * hold those slices only. The annotated planes of a volume come from the
 * table annotations.tsv (formats/annotations.md), or by default are the
 * z-slices holding any non-zero label voxel. Every voxel off an annotated
 * plane becomes SLAB_UNLABELLED (255) in the mask; the annotated voxels
 * keep their 0/1. Plane indices are on the source NIfTI grid (x, y, z =
 * the NIfTI voxel axes i, j, k), counted from 0. */
#ifndef SL_ANNOT_H
#define SL_ANNOT_H

#include "slab.h"

enum annot_axis { ANNOT_X = 0, ANNOT_Y = 1, ANNOT_Z = 2 };

/* One annotated plane: axis, index, and the table line that declared it. */
struct annot_plane {
	int axis, index, line;
};

/* The planes of one case, in table order. */
struct annot_case {
	char *name;
	int line;                  /* the first line naming it */
	int n;
	struct annot_plane *plane;
};

/* A parsed annotations.tsv. */
struct annot_table {
	char *src;                 /* the file's name, for messages */
	int n;
	struct annot_case *cases;  /* in order of first appearance */
};

/* Parse the text of an annotations table: lines "case<TAB>axis<TAB>index[,index...]",
 * axis x, y or z, indices whole numbers >= 0; blank lines, lines starting
 * with '#' and a first line "case<TAB>axis<TAB>..." (a header) are
 * skipped; a trailing CR is ignored. `src` names the text in messages.
 * Returns 0, or -1 with one error "src: line L: what is wrong: 'value'"
 * (wrong column count, empty case, bad axis, bad index, an index declared
 * twice for the same case and axis), t then empty. Free with annot_free. */
int annot_parse(const char *text, size_t len, const char *src, struct annot_table *t);

/* Read and parse the file at path (annot_parse). 0 or -1. */
int annot_read(const char *path, struct annot_table *t);

/* Free what a table holds and zero it. Safe on a zeroed table. */
void annot_free(struct annot_table *t);

/* The table's entry for case `name`, or NULL. Cannot fail. */
const struct annot_case *annot_find(const struct annot_table *t, const char *name);

/* Check that every case of the table is one of names[0..n-1]. 0, or -1
 * with an error "src: line L: unknown case: 'name'". */
int annot_check_cases(const struct annot_table *t, char *const *names, int n);

/* Apply the sparse rule to `mask` (u8 0/1, one channel, the source grid)
 * in place: voxels on no annotated plane become SLAB_UNLABELLED. The
 * planes are c's (c may come from table `t`, whose src names it in
 * messages), or with c NULL the z-slices where `label` (the raw label
 * values, same dims) holds any non-zero voxel. whole[z] (nz entries) is
 * set to 1 for a z-slice annotated as a whole plane, else 0.
 * *dropped (may be NULL) gets the count of non-zero label voxels that lie
 * on no annotated plane (painted but not declared). Returns the number of
 * annotated voxels, or -1 with an error (an index out of range for the
 * volume: "src: line L: z index out of range 0..N-1 for case 'name': 'I'",
 * dims of label and mask differ). */
long annot_sparse(struct slab *mask, const struct slab *label, const struct annot_table *t,
                  const struct annot_case *c, unsigned char *whole, size_t *dropped);

/* Central crop of a sparse mask (slab_crop) into `out`, where the padding
 * (parts of the crop outside `in`) is 0 on slices annotated whole
 * (whole[z], as from annot_sparse: outside the scan is background there)
 * and SLAB_UNLABELLED on the others. 0 or -1. */
int annot_crop(const struct slab *in, int w, int h, const unsigned char *whole,
               struct slab *out);

/* The SLICES provenance of a sparse mask: prov[z] = PROV_GT when slice z
 * holds any voxel other than SLAB_UNLABELLED, else PROV_NONE. Returns the
 * number of PROV_GT slices. Cannot fail. */
int annot_slices(const struct slab *mask, int *prov);

#endif
