/* dataset.h: the cases of a dataset folder and their NIfTI files.
 *
 * Two layouts are read, told apart by dataset.json:
 * - Medical Segmentation Decathlon: a "training" list of {"image": ...,
 *   "label": ...} paths (relative to the folder; a 4-D image holds the
 *   channels) and an optional "test" list of image paths. A case is named
 *   after its image file without .nii.gz / .nii.
 * - nnU-Net v2: no "training" list, but "channel_names" (one entry per
 *   channel) and "file_ending" (".nii.gz" or ".nii"); the training cases
 *   are the files labelsTr/CASE{file_ending}, each with the images
 *   imagesTr/CASE_0000{file_ending}, CASE_0001... one per channel; the
 *   test cases are imagesTs/CASE_0000{file_ending} (and their channels).
 *   "numTraining", when given, must match. */
#ifndef SL_DATASET_H
#define SL_DATASET_H

#include <stddef.h>
#include "classes.h"
#include "nifti.h"
#include "slab.h"

enum dataset_form { DATASET_MSD = 0, DATASET_NNUNET2 = 1 };

/* One case: its name, its image file(s) and its label file. */
struct ds_case {
	char *name;
	int nimage;      /* 1 (a 3-D or 4-D file), or one 3-D file per channel */
	char **image;
	char *label;     /* NULL: no label (a test image, or -i without -m) */
};

struct dataset {
	enum dataset_form form;
	char *json;              /* the dataset.json path */
	int ntr, nts;
	struct ds_case *tr, *ts; /* each in name order */
	int outside;             /* DS_OUTSIDE was given */
};

/* dataset_read's flags. */
enum {
	DS_TEST = 1,    /* also the test images */
	DS_OUTSIDE = 2  /* dataset.json may name files outside the folder */
};

/* Read the dataset folder `dir`: its training cases and, with DS_TEST, its
 * test cases; check that every file is there and that case names are
 * usable (ds_check_name) and unique. The files dataset.json names must lie
 * inside `dir` (relative paths without a ".." part) unless DS_OUTSIDE.
 * Returns 0, or -1 with one error naming dataset.json or the missing file;
 * d is then empty. */
int dataset_read(const char *dir, int flags, struct dataset *d);

/* The label values dataset.json's "labels" lists, as classes in its order
 * (class c = the c-th entry): MSD {"0": "background", "1": "Anterior"}
 * (value: name) or nnU-Net v2 {"background": 0, "Anterior": 1} (name:
 * value). The first entry must be value 0 (the background); values are
 * whole numbers 0..CLASS_VALUE_MAX, all different, 2..CLASSES_MAX of them;
 * a name's white space and bytes outside '!'..'~' become '_' (1..
 * CLASS_NAME_MAX bytes, all different). Returns 1 with k filled, 0 when
 * dataset.json has no "labels", or -1 with one error naming dataset.json
 * (a region such as nnU-Net's [1, 2] included). */
int dataset_labels(const struct dataset *d, struct classes *k);

/* Free what a dataset holds and zero it. Safe on a zeroed dataset. */
void dataset_free(struct dataset *d);

/* Free what one case holds and zero it. */
void ds_case_free(struct ds_case *c);

/* The case name of a NIfTI path: its file name without .nii.gz or .nii, in
 * a new string (empty for a file named just ".nii.gz"); NULL when out of
 * memory (message printed). */
char *ds_case_name(const char *path);

/* The case names every tool accepts, in one place: 1..SLAB_NAME_MAX of the
 * characters A-Z a-z 0-9 . _ + -, the first neither '.' nor '-'. A name
 * becomes file names (CASE.slab) and words of the run's makefiles, so
 * nothing a shell or make reads specially (spaces, quotes, $ ; | > < & * ?
 * % # : = \ and so on) and no hidden or option-like file. */
#define DS_NAME_RULE "want 1-255 of A-Z a-z 0-9 . _ + -, not starting with . or -"
/* 1 when name follows that rule, else 0. */
int ds_name_ok(const char *name);
/* ds_name_ok, or -1 with one error line naming the name and `from` (the
 * file or list it came from). */
int ds_check_name(const char *name, const char *from);

/* DIR + "/" + rel (a leading "./" on rel dropped; an absolute rel kept), in
 * a new string; NULL when out of memory. */
char *ds_join(const char *dir, const char *rel);

/* Load a case's image into one f32 slab: its one file (channels = its 4th
 * dimension), or its per-channel 3-D files stacked as channels (same dims
 * required; the first file's transform is kept). Non-finite voxels follow
 * `nan` (nifti_load_nan); *replaced gets their total count. 0 or -1. */
int ds_load_image(const struct ds_case *c, enum nifti_nan nan, struct slab *s,
                  size_t *replaced);

#endif
