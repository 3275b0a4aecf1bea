/* pseudo.h: the pseudo-labelling rules, f32 probabilities -> u8 label maps
 * (0..C-1, 255 unlabelled), used by threshold-filter.
 *
 * Binary probabilities (one channel, the foreground's p; no CLASSES key or
 * CLASSES 2) give 0 background, 1 foreground, 255 unlabelled:
 * binary:   p >= t -> 1, otherwise 0 (the paper; a slice with no confident
 *           pixel becomes all background).
 * band:     p >= t -> 1, p <= 1 - theta -> 0, otherwise 255, so uncertain
 *           pixels leave the loss.
 * t is the confidence threshold theta, or with the adaptive rule a
 * per-slice threshold. Two rules look at a reference mask (u8, the dims of
 * the probabilities, e.g. the current labels) and, for each slice z, at its
 * nearest labelled slice (lib/provenance.h: prov_nearest, ties to the lower
 * z; a reference without SLICES counts a slice with any label as labelled):
 * adaptive: t = the n-th largest probability of the slice clamped to
 *           [lo, hi], n = the foreground count of that nearest slice (keep
 *           the neighbour's foreground fraction); n = 0 gives t = hi. With
 *           soft, n is at most the slice's probability sum rounded to the
 *           nearest whole number (a structure that thins out shrinks).
 * confine:  a pixel farther than radius (chessboard distance, in-plane) from
 *           every foreground pixel of that nearest slice counts as p = 0,
 *           also for the adaptive ranking and sum: a structure cannot appear
 *           from nothing or outgrow its neighbour by more than radius pixels
 *           a slice.
 *
 * Multi-class probabilities (C channels, CLASSES C, channel c = p_c, the
 * probability of class c; formats/slab.md "Classes") give labels 0..C-1
 * and 255, the rules applied per foreground class k = 1..C-1, each with
 * its own threshold t_k (theta, or class k's adaptive threshold):
 * label:    the candidates of a pixel are the foreground classes k with
 *           p_k >= t_k; with candidates it gets the one of the largest p_k
 *           (ties: the lower class). Without, binary mode gives 0; band
 *           mode gives 0 when p_0 >= theta, else 255. When every t_k is
 *           above 0.5 (theta > 0.5, and lo > 0.5 with adaptive) and the
 *           channels sum to 1, a candidate is the winning class argmax_c
 *           p_c, so the rule reads: the winning class k gets k when p_k >=
 *           t_k, else 0 (binary) or 255 (band; 0 when the background wins
 *           with p_0 >= theta). For C = 2 with p_0 = 1 - p_1 it is exactly
 *           the binary rule on p_1, for every theta, lo and hi.
 * adaptive: n_k = the count of class k in the nearest labelled slice, t_k =
 *           the n_k-th largest p_k of the slice clamped to [lo, hi] (n_k = 0
 *           gives hi; soft: n_k at most the rounded sum of p_k): a class may
 *           end while another continues.
 * confine:  a pixel farther than radius from every class-k pixel of the
 *           nearest labelled slice gives its p_k to the background (p_0 +=
 *           p_k, p_k = 0), also for the ranking and sum; for C = 2 that is
 *           p_1 = 0, p_0 = 1, as the binary rule.
 * merged:   (rule field `merged`) the rules act on the merged foreground
 *           instead: f = p_1 + ... + p_{C-1} (at most 1) is labelled by the
 *           one-class rules above (binary, band, adaptive with n = the
 *           count of every foreground class of the nearest labelled slice,
 *           confine around all its foreground pixels), and a pixel so
 *           labelled foreground gets the foreground class of the largest
 *           p_k (ties: the lower class). The foreground then grows as a
 *           binary run's would, and a class may still take over from
 *           another along the structure (per class, a class the
 *           neighbour does not show cannot appear).
 * The reference then is a label map of the same classes (classes_equal)
 * and the output carries the probabilities' header with their CLASSES,
 * CLASS_NAMES and CLASS_VALUES keys. */
#ifndef SL_PSEUDO_H
#define SL_PSEUDO_H

#include "classes.h"
#include "slab.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pseudo_rule {
	double theta;  /* confidence threshold in [0, 1] (band: >= 0.5) */
	int band;      /* 0 binary, 1 band */
	int adaptive;  /* per-slice threshold from the reference */
	double lo, hi; /* the adaptive threshold's clamp, 0 <= lo <= hi <= 1 */
	int soft;      /* adaptive: n at most the rounded probability sum */
	int radius;    /* confine radius in pixels, or -1: no confinement */
	int merged;    /* C classes: the rules on the merged foreground (above) */
};

/* threshold-filter's defaults: binary at 0.8, no reference. */
#define PSEUDO_RULE_DEFAULT { 0.8, 0, 0, 0.5, 0.99, 0, -1, 0 }

/* Does the rule need a reference mask (adaptive or confine)? */
static inline int pseudo_needs_ref(const struct pseudo_rule *r)
{
	return r->adaptive || r->radius >= 0;
}

/* q[j] = the label of probability p[j] at threshold t, for n pixels:
 * binary or band as above (band's lower cut is 1 - theta). Cannot fail. */
void pseudo_threshold(const float *p, size_t n, double t, double theta, int band, uint8_t *q);

/* The adaptive threshold of one slice of npix probabilities p for the
 * reference foreground count *n (0..npix; larger counts as npix): with soft
 * *n first becomes the rounded sum of p when that is smaller; then t = hi
 * when *n is 0, else the *n-th largest of p clamped to [lo, hi]. *n is left
 * as used. scratch holds npix floats. Returns t; cannot fail. */
double pseudo_adaptive_threshold(const float *p, size_t npix, long *n, double lo, double hi,
                                 int soft, float *scratch);

/* The multi-class label rule above on one slice of npix pixels: p holds nc
 * (>= 2) planes of npix probabilities (plane c = p_c), t[k] the threshold
 * of class k = 1..nc-1 (t[0] is not used), theta the band mode's
 * background cut; q[j] = the label of pixel j. Cannot fail. */
void pseudo_classify(const float *p, size_t npix, int nc, const double *t, double theta,
                     int band, uint8_t *q);

/* allow[i] = 1 where pixel i of the nx x ny slice m lies within chessboard
 * distance radius (>= 0) of a pixel with m == 1, else 0 (a separable
 * dilation). tmp holds nx * ny bytes. Cannot fail. */
void pseudo_confine_mask(const uint8_t *m, int nx, int ny, int radius, uint8_t *tmp,
                         uint8_t *allow);

/* The same for the pixels with m == value (a class 1..254). */
void pseudo_confine_class(const uint8_t *m, int nx, int ny, int value, int radius,
                          uint8_t *tmp, uint8_t *allow);


/* out = the u8 pseudo-labels of probability slab prob (its header, dims
 * and name) under rule r: the slices z with want[z] set are labelled, the
 * others are all 255. ref is the reference mask (u8, one channel, prob's
 * dims, the same name when both are named, the same classes, values 0..C-1
 * or 255, at least one labelled slice) when pseudo_needs_ref(r), else
 * NULL. src and refsrc name the streams in messages. With trace non-NULL
 * and the adaptive rule, one line "progname: NAME z Z: n N, t T" per
 * labelled slice goes to trace (C >= 3: "progname: NAME z Z class K: n N,
 * t T", one per foreground class). Returns 0, or -1 with an error (a bad
 * slab or reference, a probability outside [0, 1] in a wanted slice, out of
 * memory); out is then empty. */
int pseudo_label(struct slab *out, const struct slab *prob, const unsigned char *want,
                 const struct slab *ref, const struct pseudo_rule *r, const char *src,
                 const char *refsrc, FILE *trace);

#endif
