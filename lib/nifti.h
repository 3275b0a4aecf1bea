/* nifti.h: read NIfTI-1 and NIfTI-2 volumes into slabs, write NIfTI-1.
 *
 * Reading accepts single-file NIfTI-1 ("n+1") and NIfTI-2 ("n+2"), plain or
 * gzip-compressed (told apart by their bytes, not by the file name), little-
 * or big-endian (told by sizeof_hdr), datatypes u8, i8, i16, u16, i32, f32
 * and f64, 3-D or 4-D (the 4th dimension becomes slab channels). Samples
 * come back as f32 with scl_slope/scl_inter applied (slope 0 or non-finite
 * means no scaling). The voxel-to-world transform is the sform when
 * sform_code > 0, else the qform when qform_code > 0, else diag(pixdim).
 *
 * Writing makes a single-file NIfTI-1 (gzip-compressed unless asked not to)
 * from a u8, i16 or f32 slab, with both sform and qform (code 1, scanner)
 * set from the slab's TRANSFORM; or, given the geometry of a file that was
 * read (nifti_write_like), a file of that file's version whose dims,
 * pixdim, units, qform and sform (codes and parameters) are the reference's
 * own values, so that viewers see exactly the reference's grid. */
#ifndef SL_NIFTI_H
#define SL_NIFTI_H

#include <stdio.h>
#include "slab.h"

/* NIfTI datatype codes this module reads. */
enum {
	NII_U8 = 2, NII_I16 = 4, NII_I32 = 8, NII_F32 = 16, NII_F64 = 64,
	NII_I8 = 256, NII_U16 = 512
};

/* Where the transform of a read volume came from. */
enum nifti_xform { NII_FROM_PIXDIM = 0, NII_FROM_QFORM = 1, NII_FROM_SFORM = 2 };

/* The grid of a file as its header stores it: every field that places the
 * voxels in the world, decoded to doubles (a NIfTI-1 float converts back
 * to the same float), so that a writer can copy them bit for bit. */
struct nifti_geom {
	int version;            /* 1 or 2 */
	long long dim[8];       /* dim[0] = number of dimensions, dim[1..7] */
	double pixdim[8];       /* pixdim[0] = qfac, pixdim[1..7] */
	int xyzt_units;         /* units code of pixdim */
	int qform_code, sform_code;
	double quatern[3];      /* quatern_b, _c, _d */
	double qoffset[3];      /* qoffset_x, _y, _z */
	double srow[12];        /* srow_x, srow_y, srow_z */
};

/* Facts about a file that was read, beyond what the slab holds. */
struct nifti_info {
	int version;            /* 1 or 2 */
	int big_endian;         /* the file's byte order */
	int gzipped;            /* the file was gzip-compressed */
	int datatype;           /* NIfTI datatype code of the stored samples */
	int qform_code, sform_code;
	enum nifti_xform xform; /* which one gave slab->transform */
	double pixdim[4];       /* pixdim[0] (qfac) .. pixdim[3] as stored */
	struct nifti_geom geom; /* the header's grid, for nifti_write_like */
};

/* Read a NIfTI file ("-" is stdin) into an f32 slab (channels = 4th dim,
 * name empty, SPACING the lengths of the transform's columns). `info` may
 * be NULL. Returns 0, or -1 with one message naming the file: cannot open,
 * truncated or corrupt gzip data, bad sizeof_hdr, bad magic, unsupported
 * datatype or dimensions, data shorter than the header says, a NaN or
 * infinite voxel. Bounded (util.h's limits): a header may declare at most
 * limits.voxels voxels (all volumes of a 4-D file), at most limits.bytes of
 * stored voxel data and a vox_offset of at most limits.text bytes; the
 * input is inflated no further than that declared size plus 1 MiB (more is
 * refused); a header claiming huge dims costs no allocation before its
 * data has actually arrived. A FIFO is never waited on (util.h's
 * open_input). */
int nifti_load(const char *path, struct slab *s, struct nifti_info *info);

/* What nifti_load_nan does with NaN and infinite voxels: refuse them (as
 * nifti_load), or replace them by 0, or by the finite minimum of their
 * volume (the channel, the 3-D volume of a 4-D file). */
enum nifti_nan { NII_NAN_REFUSE = 0, NII_NAN_ZERO = 1, NII_NAN_MIN = 2 };

/* nifti_load with a policy for non-finite voxels; *replaced (may be NULL)
 * gets how many were replaced. Returns 0, or -1 as nifti_load, and with
 * NII_NAN_MIN also when a volume holds no finite voxel at all. */
int nifti_load_nan(const char *path, struct slab *s, struct nifti_info *info,
                   enum nifti_nan policy, size_t *replaced);

/* Write a slab as single-file NIfTI-1 to `f`, gzip-compressed when `gz`.
 * u8, i16 and f32 keep their type; channels become the 4th dimension.
 * Returns 0, or -1 (message printed, nothing written) when a dim exceeds
 * 32767 or a transform value is beyond a float's range (the header's
 * fields are floats), or on a write or compression error. */
int nifti_write(FILE *f, const struct slab *s, int gz);

/* Write a slab to `path` ("-" is stdout) whole or not at all; plain .nii
 * when the path ends in ".nii", gzip-compressed otherwise. 0 or -1. */
int nifti_save(const char *path, const struct slab *s);

/* Write a slab as a single-file NIfTI of geom's version (1 or 2) with
 * geom's grid: dims 1..3 must equal the slab's nx ny nz; channels 1 (a
 * 3-D file, dim[4] = 1, also under a 4-D reference) or geom's dim[4] (the
 * reference's dims as they are). pixdim, xyzt_units, qform_code,
 * sform_code, quaternion, offsets and srow are geom's values (little-endian
 * whatever the reference's byte order); datatype from the slab (u8, i16,
 * f32); scl_slope 1, scl_inter 0, no intent. 0, or -1 with a message (dims
 * that do not match, a write error). */
int nifti_write_like(FILE *f, const struct slab *s, const struct nifti_geom *geom, int gz);

/* nifti_write_like to `path` ("-" is stdout) whole or not at all; plain
 * .nii when the path ends in ".nii", gzip-compressed otherwise. 0 or -1. */
int nifti_save_like(const char *path, const struct slab *s, const struct nifti_geom *geom);

/* The 3x4 voxel-to-world matrix (row-major) of a NIfTI quaternion: b, c, d,
 * offsets x y z, voxel sizes dx dy dz and qfac (pixdim[0]; < 0 flips the
 * third axis), as the NIfTI-1 standard defines it. Cannot fail. */
void nifti_quatern_to_mat(double b, double c, double d, double qx, double qy, double qz,
                          double dx, double dy, double dz, double qfac, double m[12]);

/* The quaternion closest to a 3x4 matrix (the inverse of the above for a
 * rotation times positive scales, possibly with a flip): b, c, d, voxel
 * sizes and qfac; offsets are m[3], m[7], m[11]. Cannot fail. */
void nifti_mat_to_quatern(const double m[12], double *b, double *c, double *d,
                          double *dx, double *dy, double *dz, double *qfac);

/* Name of a NIfTI datatype code ("uint8", ...) or "unknown". */
const char *nifti_type_name(int datatype);

#endif
