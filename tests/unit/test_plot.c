/* Line plots: ranges and ticks, the data-to-pixel map, lines, markers and
 * gaps in the picture, the 5x7 font. */
#include "check.h"
#include "plot.h"
#include "util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t *px(const uint8_t *rgb, int w, int x, int y)
{
	return rgb + ((size_t)y * w + x) * 3;
}

static int is(const uint8_t *p, const uint8_t c[3])
{
	return p[0] == c[0] && p[1] == c[1] && p[2] == c[2];
}

int main(void)
{
	progname = "test_plot";
	double x[] = {0.05, 0.15, 0.25, 0.35, 0.45}, y1[] = {0.1, 0.2, NAN, 0.6, 0.8},
	       y2[] = {3, 3, 3, 3, 3};
	struct plot_series s[2] = {{"a", x, y1, 5}, {"b", x, y2, 5}};
	struct plot p = {0};
	uint8_t c0[3], c1[3], white[3] = {255, 255, 255};
	int x0, y0, xa, ya;

	/* ranges widen to whole ticks: x 0.05..0.45 -> 0..0.5 by 0.1 */
	p.w = 400, p.h = 300;
	CHECK(plot_layout(&p, s, 1) == 0);
	CHECK_NEAR(p.xmin, 0, 1e-12);
	CHECK_NEAR(p.xmax, 0.5, 1e-12);
	CHECK_NEAR(p.xstep, 0.1, 1e-12);
	CHECK_NEAR(p.ymin, 0.1, 1e-12); /* 0.1..0.8 by 0.1 */
	CHECK_NEAR(p.ymax, 0.8, 1e-12);
	/* a fixed range stays */
	memset(&p, 0, sizeof p);
	p.w = 400, p.h = 300, p.ymin = 0, p.ymax = 1, p.yfixed = 1;
	CHECK(plot_layout(&p, s, 1) == 0);
	CHECK_NEAR(p.ymax, 1, 0);
	CHECK_NEAR(p.ystep, 0.2, 1e-12);
	/* the map: range ends on the area's edges, y upward */
	plot_map(&p, p.xmin, p.ymin, &x0, &y0);
	CHECK(x0 == p.left && y0 == p.bottom);
	plot_map(&p, p.xmax, p.ymax, &x0, &y0);
	CHECK(x0 == p.right && y0 == p.top);

	/* pixels: markers and lines in the series colours, a gap at NAN */
	uint8_t *rgb = malloc((size_t)p.w * p.h * 3);
	memset(&p, 0, sizeof p);
	p.w = 400, p.h = 300, p.ymin = 0, p.ymax = 4, p.yfixed = 1;
	CHECK(plot_layout(&p, s, 2) == 0);
	plot_render(&p, s, 2, rgb);
	plot_color(0, c0);
	plot_color(1, c1);
	CHECK(!is(c0, c1));
	plot_map(&p, 0.05, 0.1, &x0, &y0);
	CHECK(is(px(rgb, p.w, x0, y0), c0));
	plot_map(&p, 0.10, 0.15, &xa, &ya); /* midway on the first segment */
	CHECK(is(px(rgb, p.w, xa, ya), c0));
	plot_map(&p, 0.32, 0.45, &xa, &ya); /* across the gap, off the grid: nothing */
	CHECK(is(px(rgb, p.w, xa, ya), white));
	plot_map(&p, 0.30, 3, &xa, &ya); /* the flat line b */
	CHECK(is(px(rgb, p.w, xa, ya), c1));
	/* nothing drawn outside the picture's data area but frame, text, grid */
	CHECK(is(px(rgb, p.w, p.w - 1, p.h - 1), white));

	/* the font: '1' is a vertical stroke with a foot */
	uint8_t *t = calloc(20 * 10 * 3, 1), black[3] = {0, 0, 0}, red[3] = {255, 0, 0};
	memset(t, 255, 20 * 10 * 3);
	CHECK(plot_text(t, 20, 10, 0, 0, "1", red, 1) == 6);
	for (int r = 0; r < 7; r++)
		CHECK(is(px(t, 20, 2, r), red));
	CHECK(is(px(t, 20, 1, 6), red) && is(px(t, 20, 3, 6), red));
	CHECK(is(px(t, 20, 0, 0), white));
	CHECK(plot_text_width("ab", 2) == 22);
	(void)black;

	/* errors */
	memset(&p, 0, sizeof p);
	p.w = 50, p.h = 50;
	CHECK(plot_layout(&p, s, 1) == -1);
	double nx[] = {NAN};
	struct plot_series e = {"e", nx, nx, 1};
	memset(&p, 0, sizeof p);
	p.w = 400, p.h = 300;
	CHECK(plot_layout(&p, &e, 1) == -1);
	free(rgb);
	free(t);
	return CHECK_DONE();
}
