/* Fuzz harness: the model file reader (lib/model.c) on a file of the
 * input's bytes.
 *
 * Oracle: the format has one way to write a model, so a model the reader
 * accepts, written back by model_save, is the input byte for byte. */
#include "fuzz.h"
#include "model.h"
#include "util.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char in[600], out[600];
	struct unet_config c;
	float *p;
	size_t n, len;
	char *back;
	fuzz_write(fuzz_path(in, sizeof in, "in.model"), data, size);
	if (model_load(in, &c, &p))
		return 0;
	n = unet_param_count(&c);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(isfinite(p[i]));
	FUZZ_CHECK(model_save(fuzz_path(out, sizeof out, "out.model"), &c, p) == 0);
	back = read_whole(out, &len);
	FUZZ_CHECK(back != NULL);
	FUZZ_CHECK(len == size && !memcmp(back, data, size));
	free(back);
	free(p);
	return 0;
}
