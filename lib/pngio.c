/* pngio.c: 8-bit gray and RGB PNG files through libpng's simplified API. */
#include "pngio.h"
#include "util.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

int pngio_write(const char *path, const uint8_t *pix, int w, int h, int channels)
{
	png_image img;
	struct outfile o;
	size_t bytes;

	if (w < 1 || h < 1 || w > 1000000 || h > 1000000 || (channels != 1 && channels != 3))
		return error("%s: cannot write a %d x %d PNG of %d channels", path, w, h, channels);
	if (mul_size((size_t)w * channels, (size_t)h, &bytes))
		return error("%s: image too large", path);
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = (png_uint_32)w;
	img.height = (png_uint_32)h;
	img.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
	if (outfile_open(&o, path))
		return -1;
	if (!png_image_write_to_stdio(&img, o.f, 0, pix, 0, NULL)) {
		error("%s: cannot write PNG: %s", path, img.message);
		png_image_free(&img);
		outfile_abort(&o);
		return -1;
	}
	png_image_free(&img);
	return outfile_commit(&o);
}

int pngio_read(const char *path, uint8_t **pix, int *w, int *h, int *channels)
{
	png_image img;
	FILE *f;
	uint8_t *buf;

	*pix = NULL;
	if (*channels != 1 && *channels != 3)
		return error("%s: cannot read a PNG as %d channels", path, *channels);
	f = open_in(path);
	if (!f)
		return -1;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_stdio(&img, f)) {
		error("%s: not a readable PNG: %s", path, img.message);
		close_in(f);
		return -1;
	}
	img.format = *channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
	buf = xmalloc(PNG_IMAGE_SIZE(img));
	if (!buf) {
		png_image_free(&img);
		close_in(f);
		return -1;
	}
	if (!png_image_finish_read(&img, NULL, buf, 0, NULL)) {
		error("%s: cannot read PNG: %s", path, img.message);
		free(buf);
		png_image_free(&img);
		close_in(f);
		return -1;
	}
	close_in(f);
	*pix = buf;
	*w = (int)img.width;
	*h = (int)img.height;
	return 0;
}
