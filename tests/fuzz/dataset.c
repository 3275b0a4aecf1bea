/* Fuzz harness: the dataset.json reader (lib/dataset.c, over lib/json.c),
 * with the input as the dataset.json of two small dataset folders made once:
 * an MSD one (imagesTr/a.nii.gz, b.nii, imagesTs/c.nii.gz and their labels)
 * and an nnU-Net v2 one (two cases of two channels, .nii.gz and .nii, and a
 * test case). The cases of an accepted dataset are loaded.
 *
 * Oracles: every file of an accepted dataset is a file inside its folder
 * (no option allows others here), every case name passes ds_check_name, and
 * an image loads with one channel per image file (or its 4th dimension). */
#include "dataset.h"
#include "fuzz.h"
#include "util.h"

#include <limits.h>

static char msd[600], v2[600], msd_real[PATH_MAX], v2_real[PATH_MAX];

static void put_nifti(const char *dir, const char *rel, int nc)
{
	char path[800];
	struct slab s;
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	FUZZ_CHECK(slab_alloc(&s, "", 3, 2, 2, nc, SLAB_F32) == 0);
	for (size_t i = 0; i < slab_count(&s); i++)
		slab_set(&s, i, (double)(i % 3));
	FUZZ_CHECK(nifti_save(path, &s) == 0);
	slab_free(&s);
}

static void setup(void)
{
	static const char *sub[] = {"imagesTr", "labelsTr", "imagesTs"};
	char p[800];
	fuzz_path(msd, sizeof msd, "msd");
	fuzz_path(v2, sizeof v2, "v2");
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s/%s", msd, sub[i]);
		FUZZ_CHECK(mkdir_p(p) == 0);
		snprintf(p, sizeof p, "%s/%s", v2, sub[i]);
		FUZZ_CHECK(mkdir_p(p) == 0);
	}
	put_nifti(msd, "imagesTr/a.nii.gz", 2);
	put_nifti(msd, "labelsTr/a.nii.gz", 1);
	put_nifti(msd, "imagesTr/b.nii", 1);
	put_nifti(msd, "labelsTr/b.nii", 1);
	put_nifti(msd, "imagesTs/c.nii.gz", 1);
	put_nifti(v2, "imagesTr/n1_0000.nii.gz", 1);
	put_nifti(v2, "imagesTr/n1_0001.nii.gz", 1);
	put_nifti(v2, "labelsTr/n1.nii.gz", 1);
	put_nifti(v2, "imagesTr/n2_0000.nii", 1);
	put_nifti(v2, "imagesTr/n2_0001.nii", 1);
	put_nifti(v2, "labelsTr/n2.nii", 1);
	put_nifti(v2, "imagesTs/t1_0000.nii.gz", 1);
	put_nifti(v2, "imagesTs/t1_0001.nii.gz", 1);
	FUZZ_CHECK(realpath(msd, msd_real) && realpath(v2, v2_real));
}

static void inside(const char *path, const char *real_dir)
{
	char r[PATH_MAX];
	size_t n = strlen(real_dir);
	FUZZ_CHECK(realpath(path, r) != NULL);
	FUZZ_CHECK(!strncmp(r, real_dir, n) && r[n] == '/');
}

static void check_cases(const struct ds_case *c, int n, const char *real_dir)
{
	for (int i = 0; i < n; i++) {
		struct slab s;
		size_t replaced;
		FUZZ_CHECK(ds_check_name(c[i].name, "fuzz") == 0);
		FUZZ_CHECK(c[i].nimage >= 1);
		for (int k = 0; k < c[i].nimage; k++)
			inside(c[i].image[k], real_dir);
		if (c[i].label)
			inside(c[i].label, real_dir);
		if (i < 4 && ds_load_image(&c[i], NII_NAN_ZERO, &s, &replaced) == 0) {
			FUZZ_CHECK(c[i].nimage == 1 || s.nc == c[i].nimage);
			slab_free(&s);
		}
	}
}

static void read_one(const char *dir, const char *real_dir, const uint8_t *data, size_t size)
{
	char p[800];
	struct dataset d;
	snprintf(p, sizeof p, "%s/dataset.json", dir);
	fuzz_write(p, data, size);
	for (int flags = 0; flags <= DS_TEST; flags += DS_TEST) {
		if (dataset_read(dir, flags, &d))
			continue;
		FUZZ_CHECK(d.ntr >= 1);
		FUZZ_CHECK(flags == DS_TEST ? d.nts >= 1 : d.nts == 0);
		check_cases(d.tr, d.ntr, real_dir);
		check_cases(d.ts, d.nts, real_dir);
		for (int i = 0; i < d.ntr; i++)
			FUZZ_CHECK(d.tr[i].label != NULL);
		dataset_free(&d);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!msd[0])
		setup();
	read_one(msd, msd_real, data, size);
	read_one(v2, v2_real, data, size);
	return 0;
}
