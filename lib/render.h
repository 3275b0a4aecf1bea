/* render.h: slab planes as 8-bit pictures, with mask contours (slab2png).
 *
 * Planes and picture axes (u to the right, v downward):
 *   axial    z = k: u = x, v = y             (nx x ny)
 *   coronal  y = k: u = x, v = nz - 1 - z    (nx x nz, z upward)
 *   sagittal x = k: u = y, v = nz - 1 - z    (ny x nz, z upward)
 * Intensities map linearly from a window [lo, hi] to 0..255 (clamped). A
 * mask voxel is foreground when it is 1..254 (u8: 0 background, 255
 * unlabelled), > 0 (i16) or >= 0.5 (f32); channel 0 of a mask is used.
 * A mask of C >= 3 classes (render.classes[m] = C, from its CLASSES key;
 * also 2-channel probabilities of CLASSES 2) is a u8 label map (class = the value, 0 for 0 and 255) or C-channel f32
 * probabilities (class = argmax, ties to the lower); every class k >= 1 is
 * foreground and gets its own contour, so two touching classes show the
 * line between them. */
#ifndef SL_RENDER_H
#define SL_RENDER_H

#include "slab.h"

#include <stdint.h>

enum view_axis { VIEW_AXIAL = 0, VIEW_CORONAL = 1, VIEW_SAGITTAL = 2 };

/* Parse "axial", "coronal", "sagittal"; 0 or -1 (no message). */
int view_axis_parse(const char *s, enum view_axis *axis);
/* Number of planes along an axis (nz, ny or nx). */
int view_axis_count(const struct slab *s, enum view_axis axis);
/* Picture size of a plane before scaling. */
void view_plane_size(const struct slab *s, enum view_axis axis, int *w, int *h);

/* The 1st and 99th percentiles of channel c over the whole volume, by rank:
 * sorted values a[0..n-1], percentile p is a[round(p / 100 * (n - 1))].
 * When they are equal, the minimum and maximum instead. 0, or -1 when out
 * of memory (message printed). */
int render_window(const struct slab *s, int c, double *lo, double *hi);

/* Whether mask sample i is foreground (see above). */
int render_mask_fg(const struct slab *m, size_t i);

/* The class of voxel (x, y, z) of a mask of C >= 3 classes (see above):
 * 0..C-1. Cannot fail. */
int render_mask_class(const struct slab *m, int C, int x, int y, int z);

struct render {
	const struct slab *img;     /* the picture's intensities */
	int channel;                /* of img */
	double lo, hi;              /* window; hi <= lo: 0 at or below lo, else 255 */
	const struct slab *mask[2]; /* contour overlays or NULL: [0] red, [1] blue
	                               (magenta where both); dims as img */
	int scale;                  /* integer upscale, nearest neighbour, >= 1 */
	int classes[2];             /* C of a multi-class mask (C >= 3, or 2
	                               channels of CLASSES 2), else 0 */
};

/* Draw plane `index` along `axis` into a canvas cw pixels wide, with
 * `channels` 1 (gray; overlays ignored) or 3 (RGB), its top-left corner at
 * (ox, oy); the plane must fit. A contour pixel is a foreground pixel of
 * the scaled mask with one of its 4 neighbours outside the mask or outside
 * the plane (multi-class: a pixel of class k >= 1 with a 4-neighbour not
 * of class k), so contours are one pixel thick at any scale. Cannot fail. */
void render_plane(const struct render *r, enum view_axis axis, int index, uint8_t *canvas,
                  int cw, int channels, int ox, int oy);

/* A picture of several planes: where each goes on the canvas. */
struct view_panel {
	enum view_axis axis;
	int index;
	int x, y; /* top-left corner on the canvas */
};
struct view_layout {
	struct view_panel *panel; /* malloc'ed */
	int n;
	int w, h;                 /* canvas size */
};

/* Axial, coronal and sagittal planes side by side at index[VIEW_*] (each
 * in range), top-aligned, with 1-pixel gaps, each plane scaled by `scale`.
 * 0, or -1 when out of memory. */
int view_ortho(struct view_layout *l, const struct slab *s, const int index[3], int scale);

/* The planes k along `axis` with keep[k] set (keep holds
 * view_axis_count(s, axis) bytes) in a grid of ceil(sqrt(n)) columns, row
 * by row, 1-pixel gaps, scaled by `scale`. 0, or -1 when out of memory. */
int view_montage(struct view_layout *l, const struct slab *s, enum view_axis axis,
                 const unsigned char *keep, int scale);

/* Draw every panel of l onto a new canvas of l->w x l->h pixels of
 * `channels` (1 or 3) bytes, black between panels. Returns the canvas
 * (free it), or NULL with an error when it would be too large (over 2 GiB)
 * or memory runs out. */
uint8_t *render_picture(const struct render *r, const struct view_layout *l, int channels);

#endif
