/* loss.h: the training losses on the logits of a batch of N slices of P
 * pixels, against a u8 mask (0 or 1, or 255 = ignored; K >= 3 classes: see
 * below), with a weight per
 * slice (sw; NULL: all 1), and the logistic function they and the
 * predictions share. Forward functions return the loss; backward ones ADD
 * scale times its gradient into dlogit (layers.h's convention), except
 * wbce_loss_grad, which writes it. None of
 * these can fail. */
#ifndef SL_LOSS_H
#define SL_LOSS_H

#include <stddef.h>
#include <stdint.h>

/* Numerically safe logistic function. */
float sigmoidf(float z);

/* Binary cross-entropy from logits over N slices of P pixels.
 * mask[n*P + i]: 0 or 1, or 255 = ignored (adds nothing). sw[n] is the
 * weight of slice n (NULL: all 1). Returns
 *     sum over labelled pixels of sw[n] * bce(z, y)  /  number of labelled pixels
 * (0 when no pixel is labelled), computed stably as
 * max(z,0) - z*y + log(1 + exp(-|z|)). Also returns the count in *nlab. */
double bce_forward(const float *logit, const uint8_t *mask, const float *sw, int N,
                   size_t P, size_t *nlab);
/* Gradient of bce_forward times `scale`, ADDED into dlogit. */
void bce_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                  int N, size_t P, double scale);

/* Class-weighted binary cross-entropy from logits: as bce_forward
 * above but a foreground pixel (mask 1) counts pw times:
 *     sum over labelled pixels of sw[n] * (y ? pw : 1) * bce(z, y)
 *     / number of labelled pixels
 * (PyTorch's BCEWithLogitsLoss pos_weight, mean reduction). *nlab (if not
 * NULL) gets the count. wbce_backward ADDS scale times its gradient
 * sw[n] (y ? pw : 1) (sigmoid(z) - y) / count into dlogit. Cannot fail. */
double wbce_forward(const float *logit, const uint8_t *mask, const float *sw, int N, size_t P,
                    double pw, size_t *nlab);
void wbce_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                   int N, size_t P, double pw, double scale);
/* Both in one pass: returns wbce_forward's loss and WRITES (not adds)
 * wbce_backward's gradient into dlogit, 0 at ignored pixels; one exp per
 * pixel. The gradient equals wbce_backward's bit for bit; the loss
 * wbce_forward's to rounding (exp(-|z|) is taken in float). */
double wbce_loss_grad(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                      int N, size_t P, double pw, double scale);

/* Soft Dice loss over the labelled pixels of the whole batch:
 *     1 - (2 sum w p y + 1) / (sum w p + sum w y + 1),  p = sigmoid(z),
 * w = slice weight. Returns it; dice_backward ADDS scale times its gradient. */
double dice_forward(const float *logit, const uint8_t *mask, const float *sw, int N, size_t P);
void dice_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                   int N, size_t P, double scale);
/* The same in parts, for a batch split over processes (dist.h): the
 * sums si = sum w p y, ss = sum w p + sum w y of a part; the loss of
 * (summed) sums; and dice_backward on a part with the whole batch's sums. */
void dice_sums(const float *logit, const uint8_t *mask, const float *sw, int N, size_t P,
               double *si, double *ss);
double dice_of_sums(double si, double ss);
void dice_backward_sums(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                        int N, size_t P, double si, double ss, double scale);

/* The labelled pixels (not 255) of n mask bytes. */
size_t loss_labelled(const uint8_t *mask, size_t n);

/* ---- K >= 3 classes: softmax over K logits --------------------------------
 * logit [N][K][P] (unet.h's layout: slice n's K channels together), mask
 * [N][P] with 0..K-1 or 255 = ignored; a mask value >= K other than 255 is
 * ignored too (callers reject such masks first: trainset.h). sw: slice
 * weights (NULL: all 1); cw: class weights, K values >= 0 (NULL: all 1).
 * Softmax and its logarithm are taken with the largest logit subtracted
 * (log-sum-exp), in double. */

/* The normaliser of the cross-entropy: the sum over labelled pixels of
 * cw[y] (their count when cw is NULL). No slice weights in it. */
double sce_weight_sum(const uint8_t *mask, const double *cw, int K, size_t n);

/* Softmax cross-entropy with class weights, mean reduction as PyTorch's
 * CrossEntropyLoss(weight = cw, ignore_index = 255):
 *     sum over labelled pixels of sw[n] cw[y] (log sum_k exp z_k - z_y)
 *     / sce_weight_sum
 * (0 when that sum is 0). */
double sce_forward(const float *logit, const uint8_t *mask, const float *sw, const double *cw,
                   int N, int K, size_t P);
/* Its gradient times scale ADDED into dlogit:
 * sw[n] cw[y] (softmax_k - [k = y]) / sce_weight_sum. */
void sce_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                  const double *cw, int N, int K, size_t P, double scale);
/* The split form (a batch over processes, dist.h): with den the whole
 * batch's sce_weight_sum, returns this part's numerator / den and WRITES
 * scale times this part's gradient (as sce_backward's, over den) into
 * dlogit, 0 at ignored pixels (dlogit NULL: the loss only). */
double sce_loss_grad(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                     const double *cw, int N, int K, size_t P, double den, double scale);

/* Soft Dice over classes: the mean over the foreground classes c =
 * 1..K-1 of dice_forward's binary soft Dice on p_c = softmax_c(z) against
 * [y = c], over the labelled pixels of the whole batch, with slice weights:
 *     1 - (2 sum w p_c [y=c] + 1) / (sum w p_c + sum w [y=c] + 1)
 * (smoothing 1 in numerator and denominator, as dice_forward). */
double mdice_forward(const float *logit, const uint8_t *mask, const float *sw, int N, int K,
                     size_t P);
/* Its gradient times scale ADDED into dlogit. */
void mdice_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                    int N, int K, size_t P, double scale);
/* The split form: s gets 2 (K - 1) sums, for c = 1..K-1
 * s[2(c-1)] = sum w p_c [y=c] and s[2(c-1)+1] = sum w p_c + sum w [y=c]
 * (written, not added); mdice_of_sums is the loss of (summed) sums; and
 * mdice_backward_sums ADDS scale times the gradient of a part given the
 * whole batch's sums. */
void mdice_sums(const float *logit, const uint8_t *mask, const float *sw, int N, int K,
                size_t P, double *s);
double mdice_of_sums(const double *s, int K);
void mdice_backward_sums(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                         int N, int K, size_t P, const double *s, double scale);

/* The softmax of the K logits z[0], z[stride], ... z[(K-1) stride] into
 * p[0..K-1] (double); returns log sum_k exp z_k. Cannot fail. */
double softmax_at(const float *z, size_t stride, int K, double *p);

#endif
