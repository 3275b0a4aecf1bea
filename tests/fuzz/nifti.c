/* Fuzz harness: the NIfTI reader (lib/nifti.c) on a file of the input's
 * bytes: NIfTI-1 or -2, either byte order, plain or (when the bytes are one)
 * a gzip stream, corrupt or not. nifti_check.h has the oracles. */
#include "nifti_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[600];
	fuzz_write(fuzz_path(path, sizeof path, "in.nii"), data, size);
	nifti_check(path, (unsigned)size);
	return 0;
}
