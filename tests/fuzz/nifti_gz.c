/* Fuzz harness: the NIfTI reader (lib/nifti.c) on the input's bytes
 * gzip-compressed, so that mutations reach the header and samples behind a
 * valid gzip stream (the plain harness's mutations mostly break the stream
 * itself). nifti_check.h has the oracles. */
#include "nifti_check.h"

#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[600];
	z_stream z;
	uLong cap = compressBound((uLong)size) + 64;
	unsigned char *out = malloc(cap);
	FUZZ_CHECK(out != NULL);
	memset(&z, 0, sizeof z);
	/* windowBits 15 + 16: a gzip wrapper */
	FUZZ_CHECK(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	z.next_in = (unsigned char *)data, z.avail_in = (uInt)size;
	z.next_out = out, z.avail_out = (uInt)cap;
	FUZZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
	fuzz_write(fuzz_path(path, sizeof path, "in.nii.gz"), out, cap - z.avail_out);
	deflateEnd(&z);
	free(out);
	nifti_check(path, (unsigned)size);
	return 0;
}
