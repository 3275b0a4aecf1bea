/* vec.h: the vector type and helpers shared by kernels.c and winograd.c
 * (private to lib/; static inline). GCC vector extensions: 16 floats with
 * AVX-512, 8 with AVX, else 4, by the flags of the instruction set a file of
 * the kernel group is compiled for (isa.h); only that group includes it. */
#ifndef SL_VEC_H
#define SL_VEC_H

#include <string.h>
#if defined(__AVX__)
#include <immintrin.h>
#endif

#if defined(__AVX512F__)
#define VL 16
#define MB 8  /* gemm_rows: rows of C per block */
#define RB 3  /* gemm_rows: vectors of pixels per block */
#define XB 4  /* gemm_dots: rows of X per block */
#define YB 6  /* gemm_dots: rows of Y per block */
#elif defined(__AVX__)
#define VL 8
#define MB 4
#define RB 3
#define XB 4 /* 12 accumulators, 3 Y vectors and 1 X vector: 16 registers */
#define YB 3
#else /* SSE: no wider vectors assumed (and no ABI warnings) */
#define VL 4
#define MB 4
#define RB 3
#define XB 3
#define YB 4
#endif

typedef float vf __attribute__((vector_size(VL * sizeof(float))));
typedef int vi __attribute__((vector_size(VL * sizeof(int))));

/* Where keep (all bits set or clear per lane), v; else 0. */
static inline vf vselect(vi keep, vf v)
{
	return (vf)(keep & (vi)v);
}

/* Where keep, x; else y (bit-exact). */
static inline vf vblend(vi keep, vf x, vf y)
{
	return (vf)((keep & (vi)x) | (~keep & (vi)y));
}

static inline vf vload(const float *p)
{
	vf v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline void vstore(float *p, vf v)
{
	memcpy(p, &v, sizeof v);
}

#if defined(__AVX2__) && !defined(__AVX512F__)
/* The AVX2 lane mask of the first n (0 <= n <= 8) lanes. */
static inline __m256i vmask_n(int n)
{
	static const int tbl[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
	return _mm256_loadu_si256((const __m256i *)(tbl + 8 - n));
}
#endif

/* The first n (0 < n < VL) lanes; the others 0 / untouched. Masked
 * accesses never touch memory beyond the n floats. */
static inline vf vload_n(const float *p, int n)
{
#if defined(__AVX512F__)
	return (vf)_mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p);
#elif defined(__AVX2__)
	return (vf)_mm256_maskload_ps(p, vmask_n(n));
#else
	vf v = {0};
	memcpy(&v, p, (size_t)n * sizeof(float));
	return v;
#endif
}

static inline void vstore_n(float *p, vf v, int n)
{
#if defined(__AVX512F__)
	_mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), (__m512)v);
#elif defined(__AVX2__)
	_mm256_maskstore_ps(p, vmask_n(n), (__m256)v);
#else
	memcpy(p, &v, (size_t)n * sizeof(float));
#endif
}

/* v, as a value the compiler must keep in a register: it cannot fold the
 * load that produced v into each of v's uses (GCC does that when registers
 * run short, which multiplies the loads of a register-blocked kernel). */
static inline vf vpin(vf v)
{
#if defined(__AVX512F__)
	__asm__("" : "+v"(v)); /* any of the 32 registers */
#elif defined(__AVX__) || defined(__SSE__)
	__asm__("" : "+x"(v));
#endif
	return v;
}

static inline vf vbcast(float x)
{
#if defined(__AVX512F__)
	return (vf)_mm512_set1_ps(x);
#elif defined(__AVX__)
	return (vf)_mm256_set1_ps(x);
#else
	return (vf){x, x, x, x};
#endif
}

/* Lane l = base[9 l]: the same tap of VL consecutive (k, c) pairs of 3x3
 * weights. */
static inline vf vgather9(const float *base)
{
#if defined(__AVX512F__)
	const __m512i nine = _mm512_setr_epi32(0, 9, 18, 27, 36, 45, 54, 63, 72, 81, 90, 99, 108,
	                                       117, 126, 135);
	return (vf)_mm512_i32gather_ps(nine, base, 4);
#elif defined(__AVX2__)
	const __m256i nine = _mm256_setr_epi32(0, 9, 18, 27, 36, 45, 54, 63);
	return (vf)_mm256_i32gather_ps(base, nine, 4);
#else
	vf v;
	for (int l = 0; l < VL; l++)
		v[l] = base[9 * l];
	return v;
#endif
}

/* Lane permutations of two vectors a, b: the even / odd lanes of a:b
 * (deinterleave), and the interleaving a0 b0 a1 b1 ... of their lower /
 * upper halves. */
#if VL == 16
#define VEVEN ((vi){0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30})
#define VODD ((vi){1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31})
#define VILO ((vi){0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23})
#define VIHI ((vi){8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31})
#elif VL == 8
#define VEVEN ((vi){0, 2, 4, 6, 8, 10, 12, 14})
#define VODD ((vi){1, 3, 5, 7, 9, 11, 13, 15})
#define VILO ((vi){0, 8, 1, 9, 2, 10, 3, 11})
#define VIHI ((vi){4, 12, 5, 13, 6, 14, 7, 15})
#else
#define VEVEN ((vi){0, 2, 4, 6})
#define VODD ((vi){1, 3, 5, 7})
#define VILO ((vi){0, 4, 1, 5})
#define VIHI ((vi){2, 6, 3, 7})
#endif
static inline vf veven(vf a, vf b) { return __builtin_shuffle(a, b, VEVEN); }
static inline vf vodd(vf a, vf b) { return __builtin_shuffle(a, b, VODD); }
static inline vf vilo(vf a, vf b) { return __builtin_shuffle(a, b, VILO); }
static inline vf vihi(vf a, vf b) { return __builtin_shuffle(a, b, VIHI); }

/* Load or store n lanes, any n (none when n <= 0, all when n >= VL). */

/* Load or store n lanes, any n (none when n <= 0, all when n >= VL). */
static inline vf vload_upto(const float *p, int n)
{
	return n >= VL ? vload(p) : n > 0 ? vload_n(p, n) : vbcast(0);
}

static inline void vstore_upto(float *p, vf v, int n)
{
	if (n >= VL)
		vstore(p, v);
	else if (n > 0)
		vstore_n(p, v, n);
}

/* A set of lanes [lo, hi), for masked loads and stores that touch nothing
 * outside it (0 <= lo <= hi <= VL); the other lanes load as 0. */
#if defined(__AVX512F__)
typedef __mmask16 vmask;
static inline vmask vmask_range(int lo, int hi)
{
	return (vmask)(((1u << hi) - 1) & ~((1u << lo) - 1));
}
static inline vf vload_lanes(const float *p, vmask m)
{
	return (vf)_mm512_maskz_loadu_ps(m, p);
}
static inline void vstore_lanes(float *p, vmask m, vf v)
{
	_mm512_mask_storeu_ps(p, m, (__m512)v);
}
#elif defined(__AVX2__)
typedef __m256i vmask;
static inline vmask vmask_range(int lo, int hi)
{
	const vi iota = {0, 1, 2, 3, 4, 5, 6, 7};
	return (vmask)((iota >= lo) & (iota < hi));
}
static inline vf vload_lanes(const float *p, vmask m)
{
	return (vf)_mm256_maskload_ps(p, m);
}
static inline void vstore_lanes(float *p, vmask m, vf v)
{
	_mm256_maskstore_ps(p, m, (__m256)v);
}
#else
typedef struct {
	int lo, hi;
} vmask;
static inline vmask vmask_range(int lo, int hi)
{
	return (vmask){lo, hi};
}
static inline vf vload_lanes(const float *p, vmask m)
{
	vf v = vbcast(0);
	for (int l = m.lo; l < m.hi; l++)
		v[l] = p[l];
	return v;
}
static inline void vstore_lanes(float *p, vmask m, vf v)
{
	for (int l = m.lo; l < m.hi; l++)
		p[l] = v[l];
}
#endif

/* Lanes x0 .. x0+VL-1 of a row of W floats, 0 where x < 0 or x >= W
 * (nothing outside the row is read); and adding v into those lanes. */
static inline vf vload_row(const float *row, int x0, int W)
{
	if (x0 >= 0 && x0 + VL <= W)
		return vload(row + x0);
	int lo = x0 < 0 ? -x0 : 0, hi = W - x0 < VL ? W - x0 : VL;
	return hi > lo ? vload_lanes(row + x0, vmask_range(lo, hi)) : vbcast(0);
}

static inline void vadd_row(float *row, int x0, int W, vf v)
{
	if (x0 >= 0 && x0 + VL <= W) {
		vstore(row + x0, vload(row + x0) + v);
		return;
	}
	int lo = x0 < 0 ? -x0 : 0, hi = W - x0 < VL ? W - x0 : VL;
	if (hi <= lo)
		return;
	vmask m = vmask_range(lo, hi);
	vstore_lanes(row + x0, m, vload_lanes(row + x0, m) + v);
}

#endif
