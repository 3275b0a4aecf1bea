/* pngio.h: 8-bit gray and RGB PNG files through libpng.
 *
 * (Not named png.h: that would hide libpng's own <png.h> behind -Ilib.) */
#ifndef SL_PNGIO_H
#define SL_PNGIO_H

#include <stdint.h>

/* Write a w x h image of 8-bit samples, `channels` 1 (gray) or 3 (RGB,
 * interleaved), rows top to bottom with no padding, to `path` ("-" is
 * stdout). The file appears whole or not at all (temp file + rename).
 * Returns 0, or -1 with an error naming the path. */
int pngio_write(const char *path, const uint8_t *pix, int w, int h, int channels);

/* Read a PNG file as 8-bit samples: gray when *channels is 1 on entry, RGB
 * when 3 (libpng converts other formats). Sets *pix (free it), *w and *h.
 * Returns 0, or -1 with an error naming the path. */
int pngio_read(const char *path, uint8_t **pix, int *w, int *h, int *channels);

#endif
