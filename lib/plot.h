/* plot.h: line plots into an RGB picture (tsv-plot, the loop's report).
 *
 * A plot is a frame with ticks, grid, numeric tick labels, a title, axis
 * labels and a legend, drawn with a built-in 5x7 font (upper case, digits,
 * a little punctuation), and one coloured line with square markers per
 * series. No dependency beyond libc: the caller writes the pixels out
 * (pngio_write). */
#ifndef SL_PLOT_H
#define SL_PLOT_H

#include <stdint.h>

/* One line: n points (x[i], y[i]); a NAN y leaves a gap. */
struct plot_series {
	const char *name;
	const double *x, *y;
	int n;
};

struct plot {
	int w, h;                  /* picture size, at least 120 x 80 */
	const char *title, *xlabel, *ylabel; /* may be NULL */
	double xmin, xmax, ymin, ymax; /* data ranges; plot_layout fills them
	                              unless fixed */
	int xfixed, yfixed;        /* 1: keep the range given */
	/* set by plot_layout: the data area in pixels, inclusive */
	int left, right, top, bottom;
	double xstep, ystep;       /* tick spacing */
};

/* Choose ranges (the data's, widened to whole tick steps, unless fixed) and
 * the data area for these series. 0, or -1 with an error when the picture
 * is too small or there is no finite point and no fixed range. */
int plot_layout(struct plot *p, const struct plot_series *s, int ns);

/* Pixel of data point (x, y) after plot_layout (may lie outside the area). */
void plot_map(const struct plot *p, double x, double y, int *px, int *py);

/* Colour of series i (a fixed palette, repeating), as r, g, b. */
void plot_color(int i, uint8_t rgb[3]);

/* Draw the whole plot into rgb (w*h*3 bytes, rows top to bottom) after
 * plot_layout. Cannot fail. */
void plot_render(const struct plot *p, const struct plot_series *s, int ns, uint8_t *rgb);

/* Draw text with the 5x7 font at (x, y) = its top-left corner, each font
 * pixel as a scale x scale block; letters are drawn upper case, characters
 * without a glyph as '?'. Returns the width drawn. Clips at the edges. */
int plot_text(uint8_t *rgb, int w, int h, int x, int y, const char *text,
              const uint8_t color[3], int scale);

/* Width in pixels of text at a scale (6 pixels a character, less the last gap). */
int plot_text_width(const char *text, int scale);

#endif
