/* hd95_gen: a CT-sized pair of masks for the hd95 benchmark (built and run
 * by tests/bench/hd95.sh, not a tool).
 *
 *   hd95_gen organ|body PRED.slab GT.slab
 *
 * 512 x 512 x 300 voxels of 0.8 x 0.8 x 1.5 mm. The ground truth is an
 * ellipsoid with a bumpy surface: liver-sized (organ) or filling most of the
 * volume (body, the worst case for a bounding-box method). The prediction
 * is the same shape shifted, slightly scaled and bumped differently, plus a
 * false-positive blob away from it. */
#include "slab.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void ellipsoid(struct slab *s, const double c[3], const double r[3], double bump,
                      double phase, int value)
{
	uint8_t *m = s->data;
	int x, y, z;
	for (z = 0; z < s->nz; z++)
		for (y = 0; y < s->ny; y++)
			for (x = 0; x < s->nx; x++) {
				double u = (x - c[0]) / r[0], v = (y - c[1]) / r[1], w = (z - c[2]) / r[2];
				double q = u * u + v * v + w * w;
				double b = 1 + bump * sin(5 * atan2(v, u) + phase) * cos(3 * w + phase);
				if (q <= b * b)
					m[((size_t)z * s->ny + y) * s->nx + x] = value;
			}
}

int main(int argc, char **argv)
{
	struct slab p, g;
	int body;
	double c[3] = { 256, 256, 150 }, r[3], rp[3], cp[3], blob[3] = { 90, 400, 60 },
	       rb[3] = { 12, 12, 6 };
	progname = "hd95_gen";
	if (argc != 4 || (strcmp(argv[1], "organ") && strcmp(argv[1], "body"))) {
		fprintf(stderr, "usage: hd95_gen organ|body PRED.slab GT.slab\n");
		return 2;
	}
	body = !strcmp(argv[1], "body");
	r[0] = body ? 240 : 110, r[1] = body ? 220 : 90, r[2] = body ? 140 : 70;
	rp[0] = r[0] * 0.97, rp[1] = r[1] * 1.02, rp[2] = r[2] * 0.95;
	cp[0] = c[0] + 4, cp[1] = c[1] - 3, cp[2] = c[2] + 2;
	if (slab_alloc(&p, "ct", 512, 512, 300, 1, SLAB_U8) ||
	    slab_alloc(&g, "ct", 512, 512, 300, 1, SLAB_U8))
		return 1;
	p.spacing[0] = p.spacing[1] = g.spacing[0] = g.spacing[1] = 0.8;
	p.spacing[2] = g.spacing[2] = 1.5;
	ellipsoid(&g, c, r, 0.04, 0, 1);
	ellipsoid(&p, cp, rp, 0.05, 1, 1);
	if (!body)
		ellipsoid(&p, blob, rb, 0, 0, 1);
	if (slab_save(argv[2], &p) || slab_save(argv[3], &g))
		return 1;
	return 0;
}
