/* predict.h: foreground probabilities (or K classes' probabilities) of
 * image slabs by a trained U-Net.
 *
 * A 2-D model predicts slice by slice, in batches; a 3-D model predicts a
 * volume whole: padded after its last slice with zeros to a multiple of
 * 2^depth (as in training, trainset.h), predicted, cropped back. With flip
 * set, each probability is the mean of the outputs on the slice (3-D: the
 * volume) and on its in-plane flips along x, along y and both, each flipped
 * back: (p0 + p1) + (p2 + p3), in that order, so an input symmetric under a
 * flip gets an exactly symmetric output. */
#ifndef SL_PREDICT_H
#define SL_PREDICT_H

#include "slab.h"
#include "unet.h"

struct predictor {
	struct unet_config cfg;  /* the model's configuration */
	const float *params;     /* its parameters (not owned) */
	const char *model;       /* names the model in messages */
	int batch;               /* 2-D: slices per forward pass (16); 3-D: one volume */
	int flip;                /* 1: average over the test-time flips */
	struct unet u;           /* made on first use, again when the slab size changes */
	int have_net;
};

/* A predictor for a model with configuration cfg and parameters params
 * (kept by reference, not copied), named `model` in messages; batch 16 and
 * no flips until the caller sets p->batch and p->flip. Cannot fail. */
void predictor_init(struct predictor *p, const struct unet_config *cfg, const float *params,
                    const char *model);

/* Allocate *prob, an f32 one-channel slab with s's header (name, dims,
 * spacing, transform, extra keys but the classes keys), or for a model of
 * K >= 3 classes K channels (channel c the softmax probability of class c;
 * the channels of one z-slice together) with CLASSES K, and fill it with
 * the probabilities of slices z0..z1-1 of the image slab s (any type, the model's channels and
 * in-plane sizes fit for it); the other slices hold 0. A 3-D model predicts
 * the whole volume and keeps the range. 0, or -1 with a message naming the
 * case (wrong channels, range outside the slab or empty, bad size, out of
 * memory); then *prob is not allocated. */
int predict_slab(struct predictor *p, const struct slab *s, int z0, int z1, struct slab *prob);

/* The label map of probabilities from predict_slab: u8, one channel, the
 * header of prob; binary (one channel): 1 where p >= 0.5, else 0; K >= 3
 * channels: the class of the largest probability (ties to the lower class),
 * with prob's classes keys (CLASSES K when they do not fit). 0, or -1 with a message (not such
 * probabilities, out of memory); then *labels is not allocated. */
int predict_argmax(const struct slab *prob, struct slab *labels);

/* Free the network. Cannot fail. */
void predictor_free(struct predictor *p);

#endif
