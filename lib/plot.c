/* plot.c: line plots into an RGB picture (see plot.h). */
#include "plot.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 5x7 glyphs, one byte a row, top row first, bit 4 the leftmost pixel. */
static const struct {
	char c;
	uint8_t row[7];
} font[] = {
	{'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}},
	{'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
	{'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}},
	{'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
	{'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}},
	{'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
	{'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}},
	{'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
	{'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}},
	{'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
	{'A', {0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11}},
	{'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
	{'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}},
	{'D', {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}},
	{'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}},
	{'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
	{'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}},
	{'H', {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
	{'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}},
	{'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}},
	{'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}},
	{'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
	{'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}},
	{'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
	{'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
	{'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}},
	{'Q', {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}},
	{'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}},
	{'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}},
	{'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
	{'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
	{'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}},
	{'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}},
	{'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}},
	{'Y', {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}},
	{'Z', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}},
	{' ', {0, 0, 0, 0, 0, 0, 0}},
	{'.', {0, 0, 0, 0, 0, 0x0C, 0x0C}},
	{',', {0, 0, 0, 0, 0x0C, 0x04, 0x08}},
	{'-', {0, 0, 0, 0x1F, 0, 0, 0}},
	{'_', {0, 0, 0, 0, 0, 0, 0x1F}},
	{':', {0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0}},
	{'/', {0, 0x01, 0x02, 0x04, 0x08, 0x10, 0}},
	{'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}},
	{')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
	{'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}},
	{'+', {0, 0x04, 0x04, 0x1F, 0x04, 0x04, 0}},
	{'=', {0, 0, 0x1F, 0, 0x1F, 0, 0}},
	{'#', {0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A}},
	{'?', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04}},
};

static const uint8_t *glyph(char c)
{
	size_t i;
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	for (i = 0; i < sizeof font / sizeof font[0]; i++)
		if (font[i].c == c)
			return font[i].row;
	return glyph('?');
}

static void put(uint8_t *rgb, int w, int h, int x, int y, const uint8_t c[3])
{
	if (x < 0 || y < 0 || x >= w || y >= h)
		return;
	memcpy(rgb + ((size_t)y * w + x) * 3, c, 3);
}

int plot_text_width(const char *text, int scale)
{
	size_t n = strlen(text);
	return n ? (int)(6 * n - 1) * scale : 0;
}

int plot_text(uint8_t *rgb, int w, int h, int x, int y, const char *text,
              const uint8_t color[3], int scale)
{
	int x0 = x;
	for (; *text; text++, x += 6 * scale) {
		const uint8_t *g = glyph(*text);
		for (int r = 0; r < 7; r++)
			for (int b = 0; b < 5; b++)
				if (g[r] & (0x10 >> b))
					for (int i = 0; i < scale; i++)
						for (int j = 0; j < scale; j++)
							put(rgb, w, h, x + b * scale + j, y + r * scale + i, color);
	}
	return x - x0;
}

void plot_color(int i, uint8_t rgb[3])
{
	static const uint8_t pal[][3] = {
		{31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {214, 39, 40},
		{148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127},
	};
	memcpy(rgb, pal[i % 8], 3);
}

/* A tick step of 1, 2 or 5 times a power of ten giving about 5 ticks. */
static double nice_step(double range)
{
	double raw = range / 5, mag = pow(10, floor(log10(raw))), f = raw / mag;
	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

static void fit(double *lo, double *hi, int fixed, double *step)
{
	if (!(*hi - *lo > 1e-12 * (fabs(*lo) + fabs(*hi) + 1e-300))) {
		*lo -= 0.5;
		*hi += 0.5;
	}
	*step = nice_step(*hi - *lo);
	if (!fixed) {
		*lo = floor(*lo / *step + 1e-9) * *step;
		*hi = ceil(*hi / *step - 1e-9) * *step;
	}
}

/* A tick label: as many decimals as the step needs. */
static void tick_label(char *buf, size_t n, double v, double step)
{
	int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	if (fabs(v) < step * 1e-6)
		v = 0;
	snprintf(buf, n, "%.*f", dec, v);
}

int plot_layout(struct plot *p, const struct plot_series *s, int ns)
{
	double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
	char buf[64];
	int lw = 0;
	if (p->w < 120 || p->h < 80)
		return error("plot too small: '%dx%d'", p->w, p->h);
	for (int k = 0; k < ns; k++)
		for (int i = 0; i < s[k].n; i++) {
			if (!isfinite(s[k].x[i]) || !isfinite(s[k].y[i]))
				continue;
			xlo = fmin(xlo, s[k].x[i]), xhi = fmax(xhi, s[k].x[i]);
			ylo = fmin(ylo, s[k].y[i]), yhi = fmax(yhi, s[k].y[i]);
		}
	if ((!p->xfixed && !isfinite(xlo)) || (!p->yfixed && !isfinite(ylo)))
		return error("nothing to plot: no finite point");
	if (!p->xfixed)
		p->xmin = xlo, p->xmax = xhi;
	if (!p->yfixed)
		p->ymin = ylo, p->ymax = yhi;
	if ((p->xfixed && !(p->xmax > p->xmin)) || (p->yfixed && !(p->ymax > p->ymin)))
		return error("empty plot range");
	fit(&p->xmin, &p->xmax, p->xfixed, &p->xstep);
	fit(&p->ymin, &p->ymax, p->yfixed, &p->ystep);
	for (double v = ceil(p->ymin / p->ystep - 1e-9) * p->ystep; v <= p->ymax + p->ystep * 1e-9;
	     v += p->ystep) {
		tick_label(buf, sizeof buf, v, p->ystep);
		if (plot_text_width(buf, 1) > lw)
			lw = plot_text_width(buf, 1);
	}
	p->left = lw + 10;
	p->right = p->w - 16;
	p->top = (p->title ? 26 : 10) + (p->ylabel ? 12 : 0);
	p->bottom = p->h - 1 - (p->xlabel ? 30 : 16);
	if (p->right - p->left < 40 || p->bottom - p->top < 30)
		return error("plot too small: '%dx%d'", p->w, p->h);
	return 0;
}

void plot_map(const struct plot *p, double x, double y, int *px, int *py)
{
	*px = p->left + (int)lround((x - p->xmin) / (p->xmax - p->xmin) * (p->right - p->left));
	*py = p->bottom - (int)lround((y - p->ymin) / (p->ymax - p->ymin) * (p->bottom - p->top));
}

/* A 2-pixel-thick line from (x0, y0) to (x1, y1), clipped to the data area. */
static void line(const struct plot *p, uint8_t *rgb, int x0, int y0, int x1, int y1,
                 const uint8_t c[3])
{
	int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
	int err = dx + dy;
	for (;;) {
		for (int i = 0; i < 2; i++)
			for (int j = 0; j < 2; j++) {
				int x = x0 + j, y = y0 + i;
				if (x >= p->left && x <= p->right && y >= p->top && y <= p->bottom)
					put(rgb, p->w, p->h, x, y, c);
			}
		if (x0 == x1 && y0 == y1)
			break;
		int e2 = 2 * err;
		if (e2 >= dy)
			err += dy, x0 += sx;
		if (e2 <= dx)
			err += dx, y0 += sy;
	}
}

void plot_render(const struct plot *p, const struct plot_series *s, int ns, uint8_t *rgb)
{
	static const uint8_t black[3] = {0, 0, 0}, grid[3] = {225, 225, 225},
	                     frame[3] = {90, 90, 90};
	char buf[64];
	int x, y, px, py;
	memset(rgb, 255, (size_t)p->w * p->h * 3);
	/* grid, ticks and tick labels */
	for (double v = ceil(p->ymin / p->ystep - 1e-9) * p->ystep; v <= p->ymax + p->ystep * 1e-9;
	     v += p->ystep) {
		plot_map(p, p->xmin, v, &px, &py);
		for (x = p->left; x <= p->right; x++)
			put(rgb, p->w, p->h, x, py, grid);
		tick_label(buf, sizeof buf, v, p->ystep);
		plot_text(rgb, p->w, p->h, p->left - 6 - plot_text_width(buf, 1), py - 3, buf, black, 1);
	}
	for (double v = ceil(p->xmin / p->xstep - 1e-9) * p->xstep; v <= p->xmax + p->xstep * 1e-9;
	     v += p->xstep) {
		plot_map(p, v, p->ymin, &px, &py);
		for (y = p->top; y <= p->bottom; y++)
			put(rgb, p->w, p->h, px, y, grid);
		tick_label(buf, sizeof buf, v, p->xstep);
		plot_text(rgb, p->w, p->h, px - plot_text_width(buf, 1) / 2, p->bottom + 5, buf, black, 1);
	}
	for (x = p->left; x <= p->right; x++)
		put(rgb, p->w, p->h, x, p->top, frame), put(rgb, p->w, p->h, x, p->bottom, frame);
	for (y = p->top; y <= p->bottom; y++)
		put(rgb, p->w, p->h, p->left, y, frame), put(rgb, p->w, p->h, p->right, y, frame);
	if (p->title)
		plot_text(rgb, p->w, p->h, (p->w - plot_text_width(p->title, 2)) / 2, 5, p->title, black,
		          2);
	if (p->ylabel)
		plot_text(rgb, p->w, p->h, 4, p->top - 12, p->ylabel, black, 1);
	if (p->xlabel)
		plot_text(rgb, p->w, p->h, (p->left + p->right - plot_text_width(p->xlabel, 1)) / 2,
		          p->bottom + 18, p->xlabel, black, 1);
	/* the series: lines between consecutive finite points, square markers */
	for (int k = 0; k < ns; k++) {
		uint8_t c[3];
		int have = 0, lx = 0, ly = 0;
		plot_color(k, c);
		for (int i = 0; i < s[k].n; i++) {
			if (!isfinite(s[k].x[i]) || !isfinite(s[k].y[i])) {
				have = 0;
				continue;
			}
			plot_map(p, s[k].x[i], s[k].y[i], &px, &py);
			if (have)
				line(p, rgb, lx, ly, px, py, c);
			for (int i2 = -2; i2 <= 2; i2++)
				for (int j = -2; j <= 2; j++)
					if (px + j >= p->left && px + j <= p->right && py + i2 >= p->top &&
					    py + i2 <= p->bottom)
						put(rgb, p->w, p->h, px + j, py + i2, c);
			have = 1, lx = px, ly = py;
		}
	}
	/* legend, top right inside the data area */
	int lw = 0;
	for (int k = 0; k < ns; k++)
		if (s[k].name && plot_text_width(s[k].name, 1) > lw)
			lw = plot_text_width(s[k].name, 1);
	if (ns > 0 && lw > 0) {
		int bx = p->right - lw - 28, by = p->top + 4, bh = ns * 11 + 5;
		for (y = by; y <= by + bh; y++)
			for (x = bx; x <= p->right - 4; x++)
				put(rgb, p->w, p->h, x, y,
				    (y == by || y == by + bh || x == bx || x == p->right - 4) ? frame
				                                                           : (uint8_t[3]){255, 255, 255});
		for (int k = 0; k < ns; k++) {
			uint8_t c[3];
			plot_color(k, c);
			for (x = bx + 4; x < bx + 16; x++)
				for (int t = 0; t < 2; t++)
					put(rgb, p->w, p->h, x, by + 7 + k * 11 + t, c);
			if (s[k].name)
				plot_text(rgb, p->w, p->h, bx + 20, by + 4 + k * 11, s[k].name, black, 1);
		}
	}
}
