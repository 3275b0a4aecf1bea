/* kernels.c: register-blocked products and vector loops (see kernels.h). */
#include "isa_names.h" /* compiled once per instruction set */

#include "kernels.h"

/* -std=c11 turns off the contraction of a*b+c into one FMA instruction;
 * these kernels are nothing but such sums. */
#pragma GCC optimize("fp-contract=fast")

#include "vec.h"

#include <math.h>
#include <string.h>

/* acc[a][r] += sum_q A[a][q] B[q][OFF] over MB rows of A and R vectors of
 * pixels, vector r at offset OFF (an expression in r) of each row of B. */
#define SUM_Q(R, OFF)                                                          \
	for (int q = 0; q < Q; q++) {                                          \
		const float *bq = B[q];                                        \
		vf bv[R];                                                      \
		_Pragma("GCC unroll 16") for (int r = 0; r < R; r++)           \
			bv[r] = vload(bq + (OFF));                             \
		_Pragma("GCC unroll 16") for (int a = 0; a < MB; a++) {        \
			vf w = vbcast(arow[a][q * saq]);                       \
			_Pragma("GCC unroll 16") for (int r = 0; r < R; r++)   \
				acc[a][r] += w * bv[r];                        \
		}                                                              \
	}

/* One block of MB rows of C (some perhaps repeats of the last real row,
 * not stored) by R vectors of pixels starting at i. */
#define ROWS_BLOCK(R)                                                                  \
	do {                                                                           \
		vf acc[MB][R];                                                         \
		_Pragma("GCC unroll 16") for (int a = 0; a < MB; a++)                                           \
			_Pragma("GCC unroll 16") for (int r = 0; r < R; r++)                                    \
				acc[a][r] = vbcast(b0[a]);                             \
		if (accumulate)                                                        \
			_Pragma("GCC unroll 16") for (int a = 0; a < mb; a++)                                   \
				_Pragma("GCC unroll 16") for (int r = 0; r < R; r++)                            \
					acc[a][r] += vload(crow[a] + i + r * VL);      \
		SUM_Q(R, i + r * VL);                                                  \
		_Pragma("GCC unroll 16") for (int a = 0; a < mb; a++)                                           \
			_Pragma("GCC unroll 16") for (int r = 0; r < R; r++)                                    \
				vstore(crow[a] + i + r * VL, acc[a][r]);               \
	} while (0)

/* The rows m0 .. m0+MB-1 of A and C and their biases (rows past M repeat
 * the last real one, computed and not stored); returns the real ones. */
static inline int rows_start(int m0, int M, const float *A, ptrdiff_t sam, float *C,
                             ptrdiff_t ldc, const float *bias, const float **arow, float **crow,
                             float *b0)
{
	int mb = M - m0 < MB ? M - m0 : MB;
	_Pragma("GCC unroll 16") for (int a = 0; a < MB; a++) {
		int m = m0 + (a < mb ? a : mb - 1);
		arow[a] = A + m * sam;
		crow[a] = C + m * ldc;
		b0[a] = bias ? bias[m] : 0;
	}
	return mb;
}

void gemm_rows(int M, int L, int Q, const float *A, ptrdiff_t sam, ptrdiff_t saq,
               const float *const *B, float *C, ptrdiff_t ldc, int accumulate,
               const float *bias)
{
	for (int m0 = 0; m0 < M; m0 += MB) {
		const float *arow[MB];
		float *crow[MB], b0[MB];
		int mb = rows_start(m0, M, A, sam, C, ldc, bias, arow, crow, b0);
		int i = 0;
		for (; i + RB * VL <= L; i += RB * VL)
			ROWS_BLOCK(RB);
		for (; i + VL <= L; i += VL)
			ROWS_BLOCK(1);
		if (i < L) { /* the last L - i < VL pixels, masked */
			int n = L - i;
			vf acc[MB];
			_Pragma("GCC unroll 16") for (int a = 0; a < MB; a++)
				acc[a] = vbcast(b0[a]);
			if (accumulate)
				for (int a = 0; a < mb; a++)
					acc[a] += vload_n(crow[a] + i, n);
			for (int q = 0; q < Q; q++) {
				vf bv = vload_n(B[q] + i, n);
				_Pragma("GCC unroll 16") for (int a = 0; a < MB; a++)
					acc[a] += vbcast(arow[a][q * saq]) * bv;
			}
			for (int a = 0; a < mb; a++)
				vstore_n(crow[a] + i, acc[a], n);
		}
	}
}

/* The blocks of rows_product: ROWS_L pixels by ROWS_Q rows of in at a time
 * stay in the L2 cache while every row of A passes over them; out
 * accumulates across the blocks of rows, which keeps each sum in the order
 * of q. */
#define ROWS_L 384
#define ROWS_Q 256
void rows_product(int M, size_t L, int Q, const float *A, ptrdiff_t sam, ptrdiff_t saq,
                  const float *in, size_t ldi, float *out, size_t ldo, const float *bias,
                  int accumulate)
{
	const float *tab[ROWS_Q];
	for (size_t i0 = 0; i0 < L; i0 += ROWS_L) {
		int n = L - i0 < ROWS_L ? (int)(L - i0) : ROWS_L;
		for (int q0 = 0; q0 < Q; q0 += ROWS_Q) {
			int nq = Q - q0 < ROWS_Q ? Q - q0 : ROWS_Q;
			for (int q = 0; q < nq; q++)
				tab[q] = in + (size_t)(q0 + q) * ldi + i0;
			gemm_rows(M, n, nq, A + q0 * saq, sam, saq, tab, out + i0, (ptrdiff_t)ldo,
			          accumulate || q0, q0 ? NULL : bias);
		}
	}
}

/* One block of MB rows of C (some perhaps repeats of the last real row,
 * not stored) by the R vectors v .. v+R-1 of the grid of pixel vectors
 * cj0 .. cj1-1 of each row, the first at row cy, vector cj (both advanced
 * past the block); each lane's sum is formed in the same order wherever it
 * lies. */
#define PIX_BLOCK(R)                                                                   \
	do {                                                                           \
		ptrdiff_t bo[R], co[R];                                                \
		int nl[R];                                                             \
		_Pragma("GCC unroll 16") for (int r = 0; r < R; r++) {                 \
			int x = cj * VL; /* vector cj of row cy, then the next */      \
			bo[r] = cy * ldb + x, co[r] = cy * ldr + x;                    \
			nl[r] = W - x < VL ? W - x : VL;                               \
			if (++cj == cj1)                                               \
				cj = cj0, cy++;                                        \
		}                                                                      \
		vf acc[MB][R];                                                         \
		_Pragma("GCC unroll 16") for (int a = 0; a < MB; a++)                  \
			_Pragma("GCC unroll 16") for (int r = 0; r < R; r++)           \
				acc[a][r] = vbcast(b0[a]);                             \
		SUM_Q(R, bo[r]);                                                       \
		_Pragma("GCC unroll 16") for (int a = 0; a < MB; a++)                  \
			_Pragma("GCC unroll 16") for (int r = 0; r < R; r++)           \
				if (a < mb)                                            \
					pix_store(crow[a] + co[r], acc[a][r], nl[r],   \
					          accumulate, relu);                   \
	} while (0)

/* The total vectors of the grid from row cy, vector cj, in blocks of RB
 * (then 2 and 1), a step of the prefetch walk per full block. */
#define PIX_GRID(total)                                                                \
	do {                                                                           \
		int v = 0;                                                             \
		for (; v + RB <= (total); v += RB) {                                   \
			pf_step(&walk);                                                \
			PIX_BLOCK(RB);                                                 \
		}                                                                      \
		if (v + 2 <= (total)) {                                                \
			PIX_BLOCK(2);                                                  \
			v += 2;                                                        \
		}                                                                      \
		if (v < (total))                                                       \
			PIX_BLOCK(1);                                                  \
	} while (0)

/* Store (or add) the n lanes of v at p, through a ReLU if relu. */
static inline void pix_store(float *p, vf v, int n, int accumulate, int relu)
{
	if (n == VL) {
		if (accumulate)
			v += vload(p);
		if (relu)
			v = vselect(v > vbcast(0), v);
		vstore(p, v);
		return;
	}
	if (accumulate)
		v += vload_n(p, n);
	if (relu)
		v = vselect(v > vbcast(0), v);
	vstore_n(p, v, n);
}

/* Walks the cache lines of a struct prefetch, a few at a time. */
struct pf_walk {
	const struct prefetch *pf;
	int region, per_step;
	size_t off; /* bytes into the region */
};

static void pf_start(struct pf_walk *w, const struct prefetch *pf, long steps)
{
	w->pf = pf && pf->n > 0 && pf->len > 0 ? pf : NULL;
	w->region = 0, w->off = 0, w->per_step = 0;
	if (w->pf) {
		long lines = (long)pf->n * (long)((pf->len * sizeof(float) + 63) / 64);
		w->per_step = (int)((lines + steps - 1) / (steps > 0 ? steps : 1));
	}
}

static inline void pf_step(struct pf_walk *w)
{
	if (!w->pf)
		return;
	size_t bytes = w->pf->len * sizeof(float);
	for (int i = 0; i < w->per_step; i++) {
		__builtin_prefetch((const char *)w->pf->base[w->region] + w->off, 0, 2);
		w->off += 64;
		if (w->off >= bytes) {
			w->off = 0;
			if (++w->region == w->pf->n) {
				w->pf = NULL;
				return;
			}
		}
	}
}

void gemm_rows2d(int M, int rows, int W, int Q, const float *A, ptrdiff_t sam, ptrdiff_t saq,
                 const float *const *B, ptrdiff_t ldb, float *C, ptrdiff_t ldc, ptrdiff_t ldr,
                 int accumulate, const float *bias, int relu, const struct prefetch *pf)
{
	int nv = (W + VL - 1) / VL, total = rows * nv, cj0 = 0, cj1 = nv;
	struct pf_walk walk;
	pf_start(&walk, pf, (long)((M + MB - 1) / MB) * ((total + RB - 1) / RB));
	for (int m0 = 0; m0 < M; m0 += MB) {
		const float *arow[MB];
		float *crow[MB], b0[MB];
		int mb = rows_start(m0, M, A, sam, C, ldc, bias, arow, crow, b0);
		int cy = 0, cj = 0;
		PIX_GRID(total);
	}
}

/* One block of MB rows of C by vector cj (the first or the last) of R
 * pixel rows from cy, its taps read through lane masks: q % 3 == 0 has no
 * column -1, q % 3 == 2 no column W, and no tap reads past the row. */
#define EDGE_BLOCK(R)                                                                  \
	do {                                                                           \
		int x = cj * VL, nl = W - x < VL ? W - x : VL;                         \
		vmask mk[3] = {vmask_range(x == 0, nl), vmask_range(0, nl),            \
		               vmask_range(0, x + nl == W ? nl - 1 : nl)};             \
		vf acc[MB][R];                                                         \
		_Pragma("GCC unroll 16") for (int a = 0; a < MB; a++)                  \
			_Pragma("GCC unroll 16") for (int r = 0; r < R; r++)           \
				acc[a][r] = vbcast(b0[a]);                             \
		for (int q = 0; q < Q; q += 3)                                         \
			_Pragma("GCC unroll 3") for (int kx = 0; kx < 3; kx++) {       \
				const float *bq = B[q + kx] + cy * ldb + x;            \
				vf bv[R];                                              \
				_Pragma("GCC unroll 16") for (int r = 0; r < R; r++)   \
					bv[r] = vload_lanes(bq + r * ldb, mk[kx]);     \
				_Pragma("GCC unroll 16") for (int a = 0; a < MB; a++) { \
					vf w = vbcast(arow[a][(q + kx) * saq]);        \
					_Pragma("GCC unroll 16") for (int r = 0; r < R; r++) \
						acc[a][r] += w * bv[r];                \
				}                                                      \
			}                                                              \
		_Pragma("GCC unroll 16") for (int a = 0; a < MB; a++)                  \
			_Pragma("GCC unroll 16") for (int r = 0; r < R; r++)           \
				if (a < mb)                                            \
					pix_store(crow[a] + (cy + r) * ldr + x, acc[a][r], nl, 0, \
					          relu);                               \
	} while (0)

void gemm_rows2d_edges(int M, int rows, int W, int Q, const float *A, ptrdiff_t sam,
                       ptrdiff_t saq, const float *const *B, ptrdiff_t ldb, float *C,
                       ptrdiff_t ldc, ptrdiff_t ldr, const float *bias, int relu,
                       const struct prefetch *pf)
{
	/* the inner vectors 1 .. nv-2 of every row as gemm_rows2d's grid, all
	 * their taps inside the row; then the rows' first vectors, a few rows
	 * at a time, and their last */
	int nv = (W + VL - 1) / VL, cj0 = 1, cj1 = nv - 1;
	int total = nv > 2 ? rows * (nv - 2) : 0, edges = nv > 1 ? 2 : 1;
	struct pf_walk walk;
	pf_start(&walk, pf,
	         (long)((M + MB - 1) / MB) * ((total + RB - 1) / RB + edges * ((rows + RB - 1) / RB)));
	for (int m0 = 0; m0 < M; m0 += MB) {
		const float *arow[MB];
		float *crow[MB], b0[MB];
		int mb = rows_start(m0, M, A, sam, C, ldc, bias, arow, crow, b0);
		int cy = 0, cj = cj0, accumulate = 0;
		PIX_GRID(total);
		for (int e = 0; e < edges; e++) {
			cj = e ? nv - 1 : 0;
			for (cy = 0; cy + RB <= rows; cy += RB) {
				pf_step(&walk);
				EDGE_BLOCK(RB);
			}
			if (cy + 2 <= rows) {
				EDGE_BLOCK(2);
				cy += 2;
			}
			if (cy < rows)
				EDGE_BLOCK(1);
		}
	}
}

int gemm_lanes(void)
{
	return VL;
}

void gemm_dots(int M, int J, int L, const float *X, ptrdiff_t ldx, const float *const *Y,
               float *P)
{
	gemm_dots_pf(M, J, L, X, ldx, Y, P, NULL);
}

/* One block of gemm_dots: the XB rows xr of X (repeats of the last real
 * row past mb, not stored) by the yb <= YB rows yr of Y. yb is a constant
 * where this is inlined, so that each width has its own unrolled loop. */
static inline __attribute__((always_inline)) void dots_block(int yb, const float *const *xr,
                                                             const float *const *yr, int mb,
                                                             int Lv, int tail, float *P, int J)
{
	vf acc[XB][YB];
	_Pragma("GCC unroll 16") for (int a = 0; a < XB; a++)
		_Pragma("GCC unroll 16") for (int b = 0; b < yb; b++)
			acc[a][b] = vbcast(0);
	vf yv[YB];
	for (int i = 0; i < Lv; i += VL) {
		/* the yb vectors of Y stay in registers, each X vector is loaded
		 * once and used yb times: XB + YB loads per XB*YB multiply-adds
		 * at full width (spilling or reloading Y costs more loads than
		 * the core issues) */
		_Pragma("GCC unroll 16") for (int b = 0; b < yb; b++)
			yv[b] = vpin(vload(yr[b] + i));
		_Pragma("GCC unroll 16") for (int a = 0; a < XB; a++) {
			vf xv = vpin(vload(xr[a] + i));
			_Pragma("GCC unroll 16") for (int b = 0; b < yb; b++)
				acc[a][b] += xv * yv[b];
		}
	}
	if (tail) {
		vf xv[XB];
		_Pragma("GCC unroll 16") for (int a = 0; a < XB; a++)
			xv[a] = vload_n(xr[a] + Lv, tail);
		_Pragma("GCC unroll 16") for (int b = 0; b < yb; b++)
			yv[b] = vload_n(yr[b] + Lv, tail);
		_Pragma("GCC unroll 16") for (int a = 0; a < XB; a++)
			_Pragma("GCC unroll 16") for (int b = 0; b < yb; b++)
				acc[a][b] += xv[a] * yv[b];
	}
	for (int a = 0; a < mb; a++)
		for (int b = 0; b < yb; b++) {
			float *pp = P + ((size_t)a * J + b) * VL;
			vstore(pp, vload(pp) + acc[a][b]);
		}
}

void gemm_dots_pf(int M, int J, int L, const float *X, ptrdiff_t ldx, const float *const *Y,
                  float *P, const struct prefetch *pf)
{
	int tail = L % VL, Lv = L - tail;
	struct pf_walk walk;
	pf_start(&walk, pf, (long)((M + XB - 1) / XB) * ((J + YB - 1) / YB));
	for (int m0 = 0; m0 < M; m0 += XB) {
		int mb = M - m0 < XB ? M - m0 : XB;
		const float *xr[XB];
		_Pragma("GCC unroll 16") for (int a = 0; a < XB; a++)
			xr[a] = X + (m0 + (a < mb ? a : mb - 1)) * ldx;
		for (int j0 = 0; j0 < J; j0 += YB) {
			pf_step(&walk);
			float *pb = P + ((size_t)m0 * J + j0) * VL;
			if (J - j0 >= YB) {
				dots_block(YB, xr, Y + j0, mb, Lv, tail, pb, J);
				continue;
			}
			/* the last rows of Y in narrower blocks: each lane's sum is
			 * the same whatever the block (J = 9C + 1 in the direct
			 * convolution left one row, a whole block's work) */
			for (int j = j0, w; j < J; j += w) {
				float *pj = pb + (size_t)(j - j0) * VL;
				w = J - j < 3 ? J - j : 3;
				if (w == 3)
					dots_block(3, xr, Y + j, mb, Lv, tail, pj, J);
				else if (w == 2)
					dots_block(2, xr, Y + j, mb, Lv, tail, pj, J);
				else
					dots_block(1, xr, Y + j, mb, Lv, tail, pj, J);
			}
		}
	}
}

void gemm_dots_finish(int M, int J, float *P, float *D, ptrdiff_t ldd)
{
	for (int m = 0; m < M; m++)
		for (int j = 0; j < J; j++) {
			float *pp = P + ((size_t)m * J + j) * VL, s = 0;
			for (int l = 0; l < VL; l++)
				s += pp[l];
			D[m * ldd + j] += s;
			memset(pp, 0, VL * sizeof *pp);
		}
}

void vec_relu(float *x, size_t n)
{
	size_t i = 0;
	vf z = vbcast(0);
	for (; i + VL <= n; i += VL) {
		vf v = vload(x + i);
		vstore(x + i, vselect(v > z, v));
	}
	for (; i < n; i++)
		x[i] = x[i] > 0 ? x[i] : 0;
}

void vec_relu_mask(float *d, const float *out, size_t n)
{
	size_t i = 0;
	vf z = vbcast(0);
	for (; i + VL <= n; i += VL)
		vstore(d + i, vselect(vload(out + i) > z, vload(d + i)));
	for (; i < n; i++)
		d[i] = out[i] > 0 ? d[i] : 0;
}

void vec_relu_copy(float *d, const float *s, size_t n)
{
	size_t i = 0;
	vf z = vbcast(0);
	for (; i + VL <= n; i += VL) {
		vf v = vload(s + i);
		vstore(d + i, vselect(v > z, v));
	}
	for (; i < n; i++)
		d[i] = s[i] > 0 ? s[i] : 0;
}

void vec_mask_copy(float *d, const float *s, const float *out, size_t n)
{
	size_t i = 0;
	vf z = vbcast(0);
	for (; i + VL <= n; i += VL)
		vstore(d + i, vselect(vload(out + i) > z, vload(s + i)));
	for (; i < n; i++)
		d[i] = out[i] > 0 ? s[i] : 0;
}

void vec_add(float *d, const float *s, size_t n)
{
	size_t i = 0;
	for (; i + VL <= n; i += VL)
		vstore(d + i, vload(d + i) + vload(s + i));
	for (; i < n; i++)
		d[i] += s[i];
}

void vec_add_scalar(float *d, float c, size_t n)
{
	size_t i = 0;
	vf cv = vbcast(c);
	for (; i + VL <= n; i += VL)
		vstore(d + i, vload(d + i) + cv);
	for (; i < n; i++)
		d[i] += c;
}

void vec_rmsprop(float *w, const float *g, float *v, size_t n, float lr, float rho, float eps)
{
	size_t i = 0;
	vf r = vbcast(rho), r1 = vbcast(1 - rho), l = vbcast(lr), e = vbcast(eps);
	for (; i + VL <= n; i += VL) {
		vf gv = vload(g + i), vv = r * vload(v + i) + r1 * gv * gv, sq;
#if defined(__AVX512F__)
		sq = (vf)_mm512_sqrt_ps((__m512)vv);
#elif defined(__AVX__)
		sq = (vf)_mm256_sqrt_ps((__m256)vv);
#else
		for (int k = 0; k < VL; k++)
			sq[k] = sqrtf(vv[k]);
#endif
		vstore(v + i, vv);
		vstore(w + i, vload(w + i) - l * gv / (sq + e));
	}
	for (; i < n; i++) {
		v[i] = rho * v[i] + (1 - rho) * g[i] * g[i];
		w[i] -= lr * g[i] / (sqrtf(v[i]) + eps);
	}
}

/* x[i] (mask NULL), or x[i] = mask[i] > 0 ? x[i] : 0 stored back: the
 * vector at x + i. */
static inline vf sum_load(float *x, const float *mask, size_t i)
{
	vf v = vload(x + i);
	if (mask) {
		v = vselect(vload(mask + i) > vbcast(0), v);
		vstore(x + i, v);
	}
	return v;
}

/* The sum of x[0..n) (in this order of partial sums, whatever mask), after
 * masking x with mask as vec_relu_mask if mask is not NULL. */
static inline double sum_masked(float *x, const float *mask, size_t n)
{
	size_t i = 0;
	vf a0 = vbcast(0), a1 = a0, a2 = a0, a3 = a0;
	for (; i + 4 * VL <= n; i += 4 * VL) {
		a0 += sum_load(x, mask, i), a1 += sum_load(x, mask, i + VL);
		a2 += sum_load(x, mask, i + 2 * VL), a3 += sum_load(x, mask, i + 3 * VL);
	}
	for (; i + VL <= n; i += VL)
		a0 += sum_load(x, mask, i);
	double s = 0;
	vf a = (a0 + a1) + (a2 + a3);
	for (int l = 0; l < VL; l++)
		s += a[l];
	for (; i < n; i++) {
		if (mask && !(mask[i] > 0))
			x[i] = 0;
		s += x[i];
	}
	return s;
}

double vec_sum(const float *x, size_t n)
{
	return sum_masked((float *)x, NULL, n); /* x is only read */
}

double vec_relu_mask_sum(float *d, const float *out, size_t n)
{
	return sum_masked(d, out, n);
}

void vec_add_bias(float *out, const float *b, int K, size_t p)
{
	for (int k = 0; k < K; k++)
		vec_add_scalar(out + (size_t)k * p, b[k], p);
}

void vec_sum_rows(float *db, const float *d, int K, size_t p)
{
	for (int k = 0; k < K; k++)
		db[k] += (float)vec_sum(d + (size_t)k * p, p);
}

/* 12 independent multiply-adds per round, in registers: enough to keep two
 * FMA units with 4-cycle latency busy. kernels.c is built with
 * fp-contract=fast, so a * m + c is one FMA where the CPU has them; the empty
 * asm keeps the accumulators in registers and the loop from being folded. */
double kernels_fma_peak(long rounds, double *flops)
{
	vf m = vload((const float[16]){0}) + 0.999999f, c = m * 1e-6f;
	vf a0 = m, a1 = m * 2, a2 = m * 3, a3 = m * 4, a4 = m * 5, a5 = m * 6;
	vf a6 = m * 7, a7 = m * 8, a8 = m * 9, a9 = m * 10, a10 = m * 11, a11 = m * 12;
	for (long r = 0; r < rounds; r++) {
		a0 = a0 * m + c, a1 = a1 * m + c, a2 = a2 * m + c, a3 = a3 * m + c;
		a4 = a4 * m + c, a5 = a5 * m + c, a6 = a6 * m + c, a7 = a7 * m + c;
		a8 = a8 * m + c, a9 = a9 * m + c, a10 = a10 * m + c, a11 = a11 * m + c;
		__asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5));
		__asm__ volatile("" : "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11));
	}
	vf s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
	*flops = 2.0 * 12 * VL * (double)rounds;
	return s[0];
}
