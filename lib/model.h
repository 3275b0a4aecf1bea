/* model.h: the U-Net model file (formats/model.md): a 32-byte header
 * (magic, version, configuration, parameter count; version 2, for K >= 3
 * classes: 36 bytes, the classes last) and the parameters as
 * little-endian float32 in unet.h's order. The magic gives the
 * dimensionality: SLUNET2D (2-D networks, the only kind before 3-D) or
 * SLUNET3D. */
#ifndef SL_MODEL_H
#define SL_MODEL_H

#include "unet.h"

#define MODEL_MAGIC "SLUNET2D"
#define MODEL_MAGIC_3D "SLUNET3D"
#define MODEL_VERSION 1      /* binary networks: every file before classes existed */
#define MODEL_VERSION_CLASSES 2 /* K >= 3 classes: one more header field */
#define MODEL_HEADER_BYTES 32
#define MODEL_HEADER_BYTES_V2 36

/* Write a model to path ("-" is stdout), whole or not at all. 0 or -1. */
int model_save(const char *path, const struct unet_config *c, const float *params);

/* Write a model to an open stream (a write error shows in ferror(f)). 0, or
 * -1 when out of memory. */
int model_write(FILE *f, const struct unet_config *c, const float *params);

/* Read a model from path ("-" is stdin): sets *c and allocates *params
 * (unet_param_count(c) floats; free it; c->dims from the magic). Returns 0, or -1 with a message
 * naming the file and what is wrong: not a model file, another version, a
 * bad configuration (classes too), a wrong parameter count, a truncated file, trailing
 * bytes or non-finite parameters. */
int model_load(const char *path, struct unet_config *c, float **params);

#endif
