/* loss.c: binary cross-entropy, class-weighted BCE and soft Dice on
 * logits (see loss.h). */
#include "loss.h"

#include <math.h>

float sigmoidf(float z)
{
	if (z >= 0)
		return 1.0f / (1.0f + expf(-z));
	float e = expf(z);
	return e / (1.0f + e);
}

size_t loss_labelled(const uint8_t *mask, size_t n)
{
	size_t cnt = 0;
	for (size_t i = 0; i < n; i++)
		cnt += mask[i] != 255;
	return cnt;
}

double wbce_forward(const float *logit, const uint8_t *mask, const float *sw, int N, size_t P,
                    double pw, size_t *nlab)
{
	double s = 0;
	size_t cnt = 0;
	for (int n = 0; n < N; n++) {
		double wn = sw ? sw[n] : 1.0, sn = 0;
		for (size_t i = 0; i < P; i++) {
			uint8_t m = mask[n * P + i];
			if (m == 255)
				continue;
			double z = logit[n * P + i];
			double l = (z > 0 ? z : 0) - z * (m ? 1 : 0) + log1p(exp(-fabs(z)));
			sn += m ? pw * l : l;
			cnt++;
		}
		s += wn * sn;
	}
	if (nlab)
		*nlab = cnt;
	return cnt ? s / cnt : 0;
}

void wbce_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                   int N, size_t P, double pw, double scale)
{
	size_t cnt = loss_labelled(mask, (size_t)N * P);
	if (!cnt)
		return;
	for (int n = 0; n < N; n++) {
		double g = (sw ? sw[n] : 1.0) * scale / cnt;
		float g0 = (float)g, g1 = (float)(g * pw);
		for (size_t i = 0; i < P; i++) {
			uint8_t m = mask[n * P + i];
			if (m == 255)
				continue;
			float p = sigmoidf(logit[n * P + i]);
			dlogit[n * P + i] += m ? g1 * (p - 1.0f) : g0 * p;
		}
	}
}

double wbce_loss_grad(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                      int N, size_t P, double pw, double scale)
{
	size_t cnt = loss_labelled(mask, (size_t)N * P);
	double s = 0;
	for (int n = 0; n < N; n++) {
		double wn = sw ? sw[n] : 1.0, sn = 0, g = cnt ? wn * scale / cnt : 0;
		float g0 = (float)g, g1 = (float)(g * pw);
		const float *z = logit + n * P;
		const uint8_t *m = mask + n * P;
		float *d = dlogit + n * P;
		for (size_t i = 0; i < P; i++) {
			if (m[i] == 255) {
				d[i] = 0;
				continue;
			}
			/* one exp for both: e = exp(-|z|), sigmoid(z) as sigmoidf has it */
			float e = expf(-fabsf(z[i]));
			float pr = z[i] >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
			double l = (z[i] > 0 ? z[i] : 0) - (m[i] ? z[i] : 0) + log1p((double)e);
			sn += m[i] ? pw * l : l;
			d[i] = m[i] ? g1 * (pr - 1.0f) : g0 * pr;
		}
		s += wn * sn;
	}
	return cnt ? s / cnt : 0;
}

double bce_forward(const float *logit, const uint8_t *mask, const float *sw, int N,
                   size_t P, size_t *nlab)
{
	return wbce_forward(logit, mask, sw, N, P, 1.0, nlab);
}

void bce_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                  int N, size_t P, double scale)
{
	wbce_backward(dlogit, logit, mask, sw, N, P, 1.0, scale);
}

void dice_sums(const float *logit, const uint8_t *mask, const float *sw, int N,
                      size_t P, double *si, double *ss)
{
	*si = *ss = 0;
	for (int n = 0; n < N; n++) {
		double wn = sw ? sw[n] : 1.0;
		for (size_t i = 0; i < P; i++) {
			uint8_t m = mask[n * P + i];
			if (m == 255)
				continue;
			double p = sigmoidf(logit[n * P + i]), y = m ? 1 : 0;
			*si += wn * p * y;
			*ss += wn * (p + y);
		}
	}
}

double dice_forward(const float *logit, const uint8_t *mask, const float *sw, int N, size_t P)
{
	double si, ss;
	dice_sums(logit, mask, sw, N, P, &si, &ss);
	return dice_of_sums(si, ss);
}

double dice_of_sums(double si, double ss)
{
	return 1 - (2 * si + 1) / (ss + 1);
}

void dice_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                   int N, size_t P, double scale)
{
	double si, ss;
	dice_sums(logit, mask, sw, N, P, &si, &ss);
	dice_backward_sums(dlogit, logit, mask, sw, N, P, si, ss, scale);
}

void dice_backward_sums(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                        int N, size_t P, double si, double ss, double scale)
{
	double den = (ss + 1) * (ss + 1);
	for (int n = 0; n < N; n++) {
		double wn = sw ? sw[n] : 1.0;
		for (size_t i = 0; i < P; i++) {
			uint8_t m = mask[n * P + i];
			if (m == 255)
				continue;
			double p = sigmoidf(logit[n * P + i]), y = m ? 1 : 0;
			double dp = wn * ((2 * si + 1) - 2 * y * (ss + 1)) / den;
			dlogit[n * P + i] += (float)(scale * dp * p * (1 - p));
		}
	}
}
