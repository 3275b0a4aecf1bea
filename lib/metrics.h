/* metrics.h: overlap metrics of a predicted mask against a ground truth,
 * summary statistics, and the pairing of prediction and ground-truth slab
 * streams that the evaluation tools share.
 *
 * Masks: prediction u8 0/1 (or f32 probabilities thresholded: p >= t is
 * foreground); ground truth u8 0/1/255, where 255 (unlabelled) voxels are
 * left out of every count. */
#ifndef SL_METRICS_H
#define SL_METRICS_H

#include "classes.h"
#include "opt.h"
#include "slab.h"
#include "surfdist.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Voxel counts of one comparison. */
struct confusion {
	uint64_t tp, fp, fn, tn;
	uint64_t ignored; /* ground truth 255: in no count */
};

/* Add the counts of n voxels (pred 0/1, gt 0/1/255) to *c. Cannot fail. */
void confusion_add(struct confusion *c, const uint8_t *pred, const uint8_t *gt, size_t n);

enum metric { M_DSC, M_IOU, M_TPR, M_TNR, M_PRECISION, M_COUNT };

/* "dsc", "iou", "tpr", "tnr", "precision". */
const char *metric_name(enum metric m);

/* The metric's value: DSC = 2TP/(2TP+FP+FN), IoU = TP/(TP+FP+FN),
 * TPR = TP/(TP+FN), TNR = TN/(TN+FP), precision = TP/(TP+FP). A ratio 0/0
 * (nothing to count) is `undef` (which may be NAN) and sets *undefined to 1,
 * else *undefined is 0. Cannot fail. */
double metric_value(const struct confusion *c, enum metric m, double undef, int *undefined);

/* What 0/0 means for a metric, for messages: e.g. "both masks empty". */
const char *metric_undefined_reason(enum metric m);

/* Turn a prediction slab into a 0/1 mask of nx*ny*nz bytes: u8 slabs must
 * hold 0 or 1; f32 slabs hold probabilities in [0,1], p >= thr is 1. One
 * channel only; `out` may be the u8 slab's own data. `src` names the stream
 * in messages. Returns 0 or -1. */
int pred_mask(uint8_t *out, const struct slab *s, double thr, const char *src);

/* Check a ground-truth slab: u8, one channel, values 0, 1 or 255. Counts the
 * 255 voxels in *unlabelled. Returns 0 or -1. */
int gt_check(const struct slab *s, size_t *unlabelled, const char *src);

/* Multi-class cases (C >= 3, lib/classes.h): the prediction is a u8 label
 * map or f32 probabilities of C channels (argmax), the ground truth a label
 * map of the same classes; each class c >= 1 is scored as a binary mask
 * (class_masks), and so is the merged foreground (every class >= 1). */

/* The classes of a pair, into *k: the ground truth's (classes_get; binary
 * without CLASSES), and the prediction's the same (a u8 prediction's
 * CLASSES keys, or f32 probabilities of C channels with CLASSES C; one
 * channel without CLASSES is binary). 0, or -1 with one error naming the
 * case. */
int pair_classes(const struct slab *pred, const struct slab *gt, struct classes *k,
                 const char *psrc, const char *gsrc);

/* The label map (0..C-1) of a multi-class prediction into out: a u8 map
 * holding 0..C-1, or f32 probabilities in [0,1] (argmax, ties to the lower
 * class). Returns 0 or -1. */
int pred_labels(uint8_t *out, const struct slab *s, const struct classes *k, const char *src);

/* The binary masks of class c >= 1 (CLASS_FG: every class >= 1) from label
 * maps pred and gt: pm = pred is c, gm = gt is c (255 stays 255). */
#define CLASS_FG 0
void class_masks(uint8_t *pm, uint8_t *gm, const uint8_t *pred, const uint8_t *gt, size_t n,
                 int c);

/* One multi-class case scored row by row: the prediction's label map
 * (pred_labels) and the ground truth checked against k
 * (classes_check_labels), its 255 voxels counted; then for row i = 1..C-1
 * (class i) and C (CLASS_FG, the merged foreground) the binary masks pm
 * and g (gt's header, the row's mask as its data). */
struct class_case {
	uint8_t *lab, *gm, *pm;
	size_t n, unl;
	struct slab g;
};
/* 0, or -1 with an error (bad maps, out of memory; cc is then freed). */
int class_case_open(struct class_case *cc, const struct slab *ps, const struct slab *gs,
                    const struct classes *k, const char *psrc, const char *gsrc);
/* Fill row i's masks; returns its class (i, or CLASS_FG for i = C). */
int class_case_row(struct class_case *cc, const struct slab *gs, const struct classes *k, int i);
void class_case_free(struct class_case *cc);

/* The word a TSV row or summary line names class c by: its name, else its
 * number; "fg" for CLASS_FG. buf holds at least 16 bytes. */
const char *class_label(const struct classes *k, int c, char *buf);

/* Mean and standard deviation of a stream of values (Welford). */
struct runstat {
	size_t n;
	double mean, m2;
};
void stat_add(struct runstat *s, double v);
/* Sample standard deviation (n - 1); NAN when n < 2. */
double stat_sd(const struct runstat *s);

/* One summary line, tab-separated: name, mean, sd, n (values in the mean),
 * cases, "mean ± sd" with `decimals` decimals, and a note (may be empty).
 * Cannot fail (write errors show when the stream is closed). */
void summary_row(FILE *f, const char *name, const struct runstat *s, size_t cases, int decimals,
                 const char *note);
/* The header line of summary rows. */
void summary_header(FILE *f);

/* Set voxels unlabelled in the ground truth (255) to 0 in both masks, so a
 * boundary metric sees only the labelled part. Cannot fail. */
void drop_unlabelled(uint8_t *pred, uint8_t *gt, size_t n);

/* A prediction stream and a ground-truth stream, read as matched pairs.
 *
 * When the first slab of each stream has a NAME, pairs are matched by name:
 * every slab of both streams must then have one, names in the ground truth
 * must be unique, and every ground-truth case needs a prediction and every
 * prediction a ground truth (an error otherwise: no case is dropped). The
 * prediction stream may be in any order (slabs read ahead are kept until
 * their case comes). Otherwise pairs are matched by position, and both
 * streams must hold the same number of slabs. Pairs come in ground-truth
 * order. */
struct pair_reader {
	struct slab_reader pred, gt;
	int by_name;           /* -1 until the first pair is read */
	struct slab *pending;  /* predictions read ahead */
	int npending, cap;
	char **seen;           /* ground-truth names so far */
	int nseen, seencap;
	int pred_eof;
	long npairs;
};

/* Open both streams ("-" is stdin, for at most one of them). 0 or -1. */
int pair_open(struct pair_reader *p, const char *pred_path, const char *gt_path);
/* Read the next pair into *pred and *gt (the caller frees both). Returns 1,
 * 0 at the end of both streams, or -1 (error printed). Checks that the dims
 * and spacing agree. */
int pair_next(struct pair_reader *p, struct slab *pred, struct slab *gt);
void pair_close(struct pair_reader *p);

/* DSC per normalised slice index bin over cases: slice z of nz has
 * nsi = z/(nz-1) (0.5 when nz = 1) and falls in bin floor(nsi*n), the last
 * bin also holding nsi 1. A slice with no labelled voxel is in no bin. */
struct nsi_bin {
	struct runstat st;    /* per-case DSC of the case's slices in this bin */
	struct confusion all; /* counts pooled over cases */
	size_t cases, slices, undefined;
};
struct nsi_bins {
	long n;
	struct nsi_bin *bin;
	struct confusion *cb; /* scratch: this case's counts per bin */
	size_t *sb;           /* scratch: this case's slices per bin */
};
/* n >= 1 empty bins. 0 or -1 (out of memory). */
int nsi_init(struct nsi_bins *b, long n);
/* Add one case: masks of nz planes of `plane` voxels; a DSC 0/0 is undef
 * (may be NAN). Cannot fail. */
void nsi_add_case(struct nsi_bins *b, const uint8_t *pred, const uint8_t *gt, size_t plane,
                  int nz, double undef);
/* The bins as a TSV: bin nsi_lo nsi_hi cases slices dsc_mean dsc_sd
 * dsc_pooled undefined. Cannot fail (write errors show at close). */
void nsi_write(FILE *f, const struct nsi_bins *b, double undef);
void nsi_free(struct nsi_bins *b);

/* The boundary-distance settings hd95 and metrics share (surfdist.h). */
struct hd_settings {
	int mode;              /* enum hd_mode */
	int conn;              /* surface connectivity: 6, 18 or 26 */
	struct hd_empty empty; /* what an empty mask gives */
	int exclude;           /* ground truth 255: 0 an error, 1 background in both masks */
};
#define HD_SETTINGS_DEFAULT { HD_MEDPY, 6, { HD_EMPTY_INF, 0 }, 0 }

/* Fill tab[0..4] with the option table entries that set *s: -m/--mode,
 * -c/--conn, -e/--empty, -U/--unlabelled and the end, for a tool's table
 * to splice in with OPT_GROUP(tab). Cannot fail. */
void hd_option_table(struct opt tab[5], struct hd_settings *s);

/* The boundary distance of one case, as hd95 and metrics report it: a
 * ground truth with `unlabelled` voxels 255 is an error naming `src` and
 * `name` unless s->exclude, which sets them to background in both masks
 * (pred and gt are changed); then hd_compute on gt's grid. *value, *empty,
 * *npred and *ngt as hd_compute; the value is counted in *tally and, when
 * finite, added to *st. Returns 0 or -1 (message printed). */
int hd_case(double *value, int *empty, size_t *npred, size_t *ngt, uint8_t *pred,
            const struct slab *gt, size_t unlabelled, const struct hd_settings *s,
            struct hd_tally *tally, struct runstat *st, const char *src, const char *name);

#endif
