/* volpool.h: whole volumes for the 3-D U-Net: training pools (train.h's
 * struct pool with one item per volume instead of per slice) and inference.
 *
 * A pool whose zmult is set before loading (pool_load_list, pool_add) holds
 * volumes: every item is one volume in slab order, img [n][Z][C][H][W] and
 * mask [n][Z][H][W], all padded to one depth Z, the smallest multiple of
 * zmult that holds the deepest volume read. A volume keeps its slices
 * 0..nz-1; slices nz..Z-1 are padding: image 0 and mask 255 (no loss, no
 * validation figure), so a volume is padded after its last slice only. */
#ifndef SL_VOLPOOL_H
#define SL_VOLPOOL_H

#include "slab.h"
#include "train.h"
#include "unet.h"

#include <stddef.h>

/* Add one image volume (any type, C channels) and its mask (u8, one
 * channel, same dims) to a volume pool (p->zmult > 0); a volume without
 * any labelled voxel is counted but not kept. nsi is 0.5 and gt is 1 when
 * the mask has no SLICES key or one with a 'g' slice. src names the pair
 * in messages. 0 or -1 (mismatched sizes, a bad mask value, out of memory). */
int pool_add_volume(struct pool *p, const struct slab *img, const struct slab *mask,
                    const char *src);

/* Pad every volume of a volume pool to depth Z (>= p->Z, a multiple of
 * p->zmult), e.g. to give training and validation pools one depth. An
 * empty pool just takes Z. 0 or -1 (Z too small, out of memory). */
int pool_set_depth(struct pool *p, int Z);

/* Values per item and channel: H * W, times Z for a volume pool. */
size_t pool_item_size(const struct pool *p);

/* Probabilities of every voxel of one image volume s (any type, the
 * network's channels, in-plane sizes fit for it) by a 3-D network with
 * configuration c and parameters params: the volume is padded after its
 * last slice with zeros to a multiple of 2^depth (as in training),
 * predicted whole and cropped; prob gets nz*ny*nx floats in slab order.
 * With flip set, prob is the mean of the probabilities of the volume and of
 * its in-plane flips along x, y and both, each flipped back (as unet-predict
 * --flip in 2-D). *u is created on first use (zero it before) and again
 * when the padded size changes; unet_free it at the end. 0 or -1 with a
 * message. */
int unet_predict_volume(struct unet *u, const struct unet_config *c, const float *params,
                        const struct slab *s, float *prob, int flip);

#endif
