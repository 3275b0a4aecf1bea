/* train.h: training the U-Net on a pool of labelled 2-D slices.
 *
 * Every z-slice with at least one labelled pixel (mask value 0 or 1; 255 is
 * unlabelled) of any number of (image, mask) slab pairs joins one pool;
 * an epoch visits the pool once in a seeded random order, in mini-batches.
 * The loss is BCE from logits over labelled pixels (optionally + soft
 * Dice), with optional per-slice weights by normalised slice index. */
#ifndef SL_TRAIN_H
#define SL_TRAIN_H

#include "slab.h"
#include "unet.h"

#include <stdint.h>
#include <stdio.h>

struct pool {
	int W, H, C;        /* slice size and channels, the same for all (0: empty) */
	size_t n, cap;      /* slices held */
	float *img;         /* [n][C][H][W] */
	uint8_t *mask;      /* [n][H][W]: 0, 1 or 255 */
	float *nsi;         /* [n] normalised slice index z/(nz-1) (0.5 when nz = 1) */
	uint8_t *gt;        /* [n] 1: ground truth ('g' in the mask's SLICES key, or no key) */
	size_t volumes;     /* slab pairs read */
	int zmult;          /* > 0: a pool of whole volumes (volpool.h), depths padded to a
	                       multiple of zmult; set before loading */
	int Z;              /* volume pools: the depth of every item (slices: 0) */
};

/* Add the labelled slices of one image slab (any type, C channels) and its
 * mask (u8, one channel, same dims). src names them in messages. 0 or -1
 * (size or channel mismatch with slices already in the pool, a bad mask
 * value, out of memory). */
int pool_add(struct pool *p, const struct slab *img, const struct slab *mask, const char *src);

/* Read a list file: one "IMAGE MASK" pair of slab paths per line (paths as
 * written, i.e. relative to the working folder; blank lines and lines
 * starting with '#' are skipped). Each pair of files may hold several slabs,
 * matched in order (and by NAME when both have one). 0 or -1. */
int pool_load_list(struct pool *p, const char *list);
void pool_free(struct pool *p);

/* Keep only the ground-truth slices of a pool (gt[i] = 1), in order, for
 * validation on the labels that cannot lie. Returns how many are left (0:
 * the pool is now empty). Cannot fail. */
size_t pool_keep_gt(struct pool *p);

enum weighting { WEIGHT_UNIFORM, WEIGHT_GAUSSIAN, WEIGHT_STEPWISE };
/* The weight of a slice at normalised index nsi:
 * uniform 1; gaussian exp(-(nsi - 0.5)^2 / (2 * 0.2^2)); stepwise 1 within
 * 1/6 of the centre (the central third), 0.5 within 1/3, else 0.25. */
double slice_weight(enum weighting w, double nsi);

enum optimizer { OPT_RMSPROP, OPT_ADAM, OPT_SGD };
enum lossfn { LOSS_BCE, LOSS_BCEDICE };
enum selection { SELECT_LOSS, SELECT_DSC };

struct train_opts {
	int epochs;          /* at most this many epochs (150) */
	int batch;           /* mini-batch size (32) */
	double lr;           /* initial learning rate (1e-3) */
	int patience;        /* early stopping: epochs without improvement (6) */
	int lr_patience;     /* epochs without val-loss improvement before lr *= lr_factor (3) */
	double lr_factor;    /* 0.1 */
	uint64_t seed;       /* shuffling, augmentation */
	int augment;         /* 0 none, 1 every slice, 2 ground-truth slices only */
	double max_angle;    /* rotation range in degrees (90) */
	enum weighting weights;
	enum optimizer opt;
	enum lossfn loss;
	enum selection select;
	FILE *log;           /* per-epoch TSV, or NULL */
	const char *log_note; /* written verbatim after the log's header line (e.g.
	                         "# ...\n" comment lines), or NULL */
	int quiet;           /* no progress on stderr */
	double pos_weight;   /* BCE weight of foreground pixels (1: plain BCE) */
	double ema;          /* 0: off; else the decay of an exponential moving
	                        average of the weights (see train_run) */
	/* Test hook, or NULL: called after every optimiser step with the step
	 * number (1, 2, ...), the raw weights and the average (NULL without ema). */
	void (*on_step)(void *ctx, long step, const float *w, const double *avg, size_t np);
	void *step_ctx;
};

/* Defaults as in the paper. */
void train_opts_default(struct train_opts *o);

/* Train u (created with train = 1 and a batch capacity >= o->batch; its
 * parameters are the starting point) on `tr`, validating on `va` (may be
 * empty: then the training loss stands in for the validation loss). On
 * return u->params holds the best epoch's parameters (by o->select).
 * With o->ema = d, an average a of the weights w is kept: a starts as the
 * starting weights (no bias correction) and after every optimiser step
 * a = d a + (1 - d) w (in double). Validation, the learning-rate schedule,
 * early stopping, the kept epoch and the returned parameters then use a,
 * not w (with an empty `va`, the epoch's training loss of w still stands
 * in for the validation loss). Returns the number of epochs run, or -1
 * (out of memory). */
int train_run(struct unet *u, const struct pool *tr, const struct pool *va,
              const struct train_opts *o);

/* Validation figures of the current parameters over a whole pool: mean
 * BCE over labelled pixels (plus soft Dice over the pool for LOSS_BCEDICE;
 * no slice weights) and the DSC of (p >= 0.5) against the labels, pooled over
 * every labelled pixel (1 when both are empty). */
void train_evaluate(struct unet *u, const struct pool *va, enum lossfn loss, double *val_loss,
                    double *dsc);
/* The same with a foreground weight pos_weight in the BCE (as wbce_forward, layers.h;
 * 1 gives exactly train_evaluate). */
void train_evaluate_pw(struct unet *u, const struct pool *va, enum lossfn loss,
                       double pos_weight, double *val_loss, double *dsc);


#endif
