/* im2col.c: the column matrix of a 3x3 convolution (see im2col.h). */
#include "im2col.h"

#include "kernels.h"

#include <stddef.h>
#include <string.h>

/* The shifted copies behind im2col. A channel's block of N*H rows of W
 * floats is one flat array, and shifting an image by (dy, dx) is shifting
 * that array by dy*W + dx, apart from the pixels whose source lies outside
 * their image: the first or last row of each image, the first or last
 * column of each row. Those are set to zero afterwards ("fix-ups"). */

/* Zero the fix-up pixels of global rows g0..g1-1 in d (row g0 first).
 * GCC would turn the loop over short rows back into memset calls. */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
static void zero_fixups(float *d, int H, int W, int g0, int g1, int dy, int dx)
{
	if (dx) {
		float *p = d + (dx < 0 ? 0 : W - 1);
		for (int g = g0; g < g1; g++, p += W)
			*p = 0;
	}
	if (dy) {
		/* the rows with y = 0 (dy < 0) or y = H - 1 (dy > 0) */
		int g = g0 - g0 % H + (dy < 0 ? 0 : H - 1);
		if (g < g0)
			g += H;
		if (W < 16) /* a call per row costs more than the zeros */
			for (; g < g1; g += H)
				for (float *q = d + (size_t)(g - g0) * W, *e = q + W; q < e; q++)
					*q = 0;
		else
			for (; g < g1; g += H)
				memset(d + (size_t)(g - g0) * W, 0, (size_t)W * sizeof *d);
	}
}

/* The part i0..i1-1 of rows g0..g1-1 (n = (g1 - g0) W values) whose
 * shifted source, base + off + i with base = g0 W, lies in the block of
 * `rows` rows; the rest reads outside it. */
static void shift_span(int rows, int W, int g0, int g1, int dy, int dx, ptrdiff_t *off,
                       ptrdiff_t *n, ptrdiff_t *i0, ptrdiff_t *i1)
{
	ptrdiff_t base = (ptrdiff_t)g0 * W, total = (ptrdiff_t)rows * W;
	*off = (ptrdiff_t)dy * W + dx + base;
	*n = (ptrdiff_t)(g1 - g0) * W;
	*i0 = *off < 0 ? -*off : 0;
	*i1 = *off + *n > total ? total - *off : *n;
	if (*i0 > *n)
		*i0 = *n;
	if (*i1 < *i0)
		*i1 = *i0;
}

/* dst[(g - g0)*W + x] = image row g, shifted by (dy, dx), for global rows
 * g0..g1-1 of a block of `rows` rows. */
static void shift_rows(float *dst, const float *block, int rows, int H, int W, int g0, int g1,
                       int dy, int dx)
{
	ptrdiff_t off, n, i0, i1;
	shift_span(rows, W, g0, g1, dy, dx, &off, &n, &i0, &i1);
	if (i0 > 0)
		memset(dst, 0, (size_t)i0 * sizeof *dst);
	memcpy(dst + i0, block + off + i0, (size_t)(i1 - i0) * sizeof *dst);
	if (i1 < n)
		memset(dst + i1, 0, (size_t)(n - i1) * sizeof *dst);
	zero_fixups(dst, H, W, g0, g1, dy, dx);
}

/* The adjoint: ADDS src (rows g0..g1-1; its fix-ups are zeroed first, so
 * src is changed) into the block at the shifted places. */
static void unshift_rows_add(float *block, float *src, int rows, int H, int W, int g0, int g1,
                             int dy, int dx)
{
	ptrdiff_t off, n, i0, i1;
	shift_span(rows, W, g0, g1, dy, dx, &off, &n, &i0, &i1);
	zero_fixups(src, H, W, g0, g1, dy, dx);
	vec_add(block + off + i0, src + i0, (size_t)(i1 - i0));
}

void im2col3x3_rows(float *col, const float *in, int N, int C, int H, int W, int g0, int g1)
{
	size_t plane = (size_t)N * H * W, L = (size_t)(g1 - g0) * W;
	for (int c = 0; c < C; c++)
		for (int t = 0; t < 9; t++)
			shift_rows(col + ((size_t)c * 9 + t) * L, in + c * plane, N * H, H, W, g0, g1,
			           t / 3 - 1, t % 3 - 1);
}

void col2im3x3_rows(float *din, float *col, int N, int C, int H, int W, int g0, int g1)
{
	size_t plane = (size_t)N * H * W, L = (size_t)(g1 - g0) * W;
	for (int c = 0; c < C; c++)
		for (int t = 0; t < 9; t++)
			unshift_rows_add(din + c * plane, col + ((size_t)c * 9 + t) * L, N * H, H, W, g0,
			                 g1, t / 3 - 1, t % 3 - 1);
}

void im2col3x3(float *col, const float *in, int N, int C, int H, int W)
{
	im2col3x3_rows(col, in, N, C, H, W, 0, N * H);
}

void col2im3x3(float *din, float *col, int N, int C, int H, int W)
{
	col2im3x3_rows(din, col, N, C, H, W, 0, N * H);
}
