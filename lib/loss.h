/* loss.h: the training losses on the logits of a batch of N slices of P
 * pixels, against a u8 mask (0 or 1, or 255 = ignored), with a weight per
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

#endif
