/* train.h: training the U-Net on a training set (trainset.h).
 *
 * An epoch visits the set's items (2-D slices or 3-D volumes) once in a
 * seeded random order, in mini-batches. The loss is BCE from logits over
 * labelled pixels (optionally + soft Dice), with optional per-slice weights
 * by normalised slice index. A network of K >= 3 classes (unet.h) trains
 * on softmax cross-entropy instead (optionally with class weights, plus the
 * soft Dice over classes for LOSS_BCEDICE: loss.h's sce_ and mdice_). */
#ifndef SL_TRAIN_H
#define SL_TRAIN_H

#include "trainset.h"
#include "unet.h"

#include <stdint.h>
#include <stdio.h>

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
	const double *class_weights; /* K >= 3 classes: K cross-entropy class weights
	                                (loss.h, sce_forward), or NULL: all 1 */
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
 * in for the validation loss).
 *
 * Over several processes (dist.h: unet-train-mpi's ranks, each calling
 * this with the same sets and options) every rank makes the same shuffle
 * and augmentation draws for the whole batch, runs its share (dist_share)
 * of each mini-batch, and the shares' labelled counts, Dice sums and
 * gradients are summed over the ranks (the BCE of a share scaled by its
 * part of the batch's count), so the summed gradient is the whole batch's
 * to rounding and every rank makes the same optimiser step; validation is
 * split likewise. For K >= 3 classes the shares' cross-entropy normalisers
 * and Dice-over-classes sums are summed first (loss.h's split forms), and
 * each share's loss and gradient taken over the whole batch's. With one rank the arithmetic is exactly the plain one.
 * Returns the number of epochs run, or -1 (out of memory, an MPI failure,
 * or ranks whose models differ at the end). */
int train_run(struct unet *u, const struct trainset *tr, const struct trainset *va,
              const struct train_opts *o);

/* Validation figures of the current parameters over a whole set: mean
 * BCE over labelled pixels (plus soft Dice over the set for LOSS_BCEDICE;
 * no slice weights) and the DSC of (p >= 0.5) against the labels, pooled over
 * every labelled pixel (1 when both are empty). Over several ranks (dist.h)
 * each evaluates its share of the set and the figures are summed (an MPI
 * failure aborts: MPI's default error handler). */
void train_evaluate(struct unet *u, const struct trainset *va, enum lossfn loss, double *val_loss,
                    double *dsc);
/* The same with a foreground weight pos_weight in the BCE (as wbce_forward, layers.h;
 * 1 gives exactly train_evaluate). A network of K >= 3 classes: as
 * train_evaluate_classes without class weights. */
void train_evaluate_pw(struct unet *u, const struct trainset *va, enum lossfn loss,
                       double pos_weight, double *val_loss, double *dsc);
/* A network of K >= 3 classes: the softmax cross-entropy with class
 * weights cw (NULL: all 1) over the labelled pixels (plus the soft Dice
 * over classes for LOSS_BCEDICE), and the mean over the foreground classes
 * c = 1..K-1 of the DSC of (argmax_k z_k = c, ties to the lower class)
 * against (label = c), each pooled over every labelled pixel of the set (1
 * when both are empty). Split over ranks as train_evaluate. */
void train_evaluate_classes(struct unet *u, const struct trainset *va, enum lossfn loss,
                            const double *cw, double *val_loss, double *dsc);


#endif
