/* trainset.h: the training set, the labelled samples a U-Net learns from.
 *
 * A set is read from (image, mask) slab pairs. The mask is u8 with one
 * channel and the image's dims: 0 background, 1 foreground, 255 unlabelled;
 * or, with a CLASSES key of C >= 3 (classes.h), 0..C-1 and 255. Every mask
 * of a set has the same C.
 * Its items are of one of two kinds, chosen before the first pair is added:
 * - slices (zmult = 0, the 2-D U-Net): every z-slice of every pair with at
 *   least one labelled pixel is one item, img [n][C][H][W], mask [n][H][W];
 * - volumes (zmult > 0, the 3-D U-Net): every pair with at least one
 *   labelled voxel is one item, img [n][Z][C][H][W], mask [n][Z][H][W], all
 *   padded to one depth Z, the smallest multiple of zmult that holds the
 *   deepest volume read (or more, trainset_set_depth). A volume keeps its
 *   slices 0..nz-1; slices nz..Z-1 are padding, image 0 and mask 255 (no
 *   loss, no validation figure).
 * Each item records whether its labels are ground truth, as the mask's
 * SLICES key says (provenance.h; a mask without the key is ground truth
 * wherever it is labelled): a slice when it is 'g', a volume when any of
 * its slices is 'g' (a volume of pseudo-labels around ground-truth slices
 * counts as ground truth), and, for slices, its normalised slice index. */
#ifndef SL_TRAINSET_H
#define SL_TRAINSET_H

#include "slab.h"

#include <stddef.h>
#include <stdint.h>

struct trainset {
	int W, H, C;        /* slice size and channels, the same for all (0: empty) */
	int classes;        /* the masks' classes, 2 (binary) or 3..255 (0: empty) */
	int zmult;          /* 0: items are slices; > 0: items are whole volumes,
	                       depths padded to a multiple of zmult (set before loading) */
	int Z;              /* volume sets: the depth of every item (slice sets: 0) */
	size_t n, cap;      /* items held */
	float *img;         /* [n][Z or 1][C][H][W] */
	uint8_t *mask;      /* [n][Z or 1][H][W]: 0, 1 or 255 */
	float *nsi;         /* [n] normalised slice index z/(nz-1) (0.5 when nz = 1;
	                       always 0.5 for volumes) */
	uint8_t *gt;        /* [n] 1: ground truth (a volume: any of its slices) */
	size_t volumes;     /* slab pairs read (with or without labels) */
};

/* Add the items of one image slab (any type, C channels) and its mask
 * (u8, one channel, same dims): its labelled slices, or the volume when it
 * has any labelled voxel (a volume without one is counted in t->volumes
 * but not kept). src names the pair in messages. 0 or -1 (size or channel
 * mismatch with the items already held, a bad or differing CLASSES key, a
 * mask value >= C other than 255, a bad SLICES key, out of memory). */
int trainset_add(struct trainset *t, const struct slab *img, const struct slab *mask,
                 const char *src);

/* Read a list file: one "IMAGE MASK" pair of slab paths per line (paths as
 * written, i.e. relative to the working folder; blank lines and lines
 * starting with '#' are skipped). Each pair of files may hold several slabs,
 * matched in order (and by NAME when both have one). 0 or -1 (also when the
 * list names no pair). */
int trainset_load_list(struct trainset *t, const char *list);

/* Free the items; *t is zeroed (zmult too). Cannot fail. */
void trainset_free(struct trainset *t);

/* Keep only the ground-truth items (gt[i] = 1), in order, for validation on
 * the labels that cannot lie. Returns how many are left (0: the set is now
 * empty). Cannot fail. */
size_t trainset_keep_gt(struct trainset *t);

/* Pad every volume of a volume set to depth Z (>= t->Z, a multiple of
 * t->zmult), e.g. to give training and validation sets one depth. An empty
 * set just takes Z. 0 or -1 (Z too small, out of memory). */
int trainset_set_depth(struct trainset *t, int Z);

/* Values per item and channel: H * W, times Z for a volume set. Cannot fail. */
size_t trainset_item_size(const struct trainset *t);

#endif
