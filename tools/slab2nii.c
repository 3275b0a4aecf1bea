/* slab2nii: one slab -> NIfTI-1 (.nii.gz, or plain .nii when OUT ends in
 * .nii), keeping the voxel-to-world transform (sform and qform) so that the
 * volume lies exactly over the scan it came from. u8, i16 and f32 keep their
 * type; channels become the 4th dimension. */
#include "nifti.h"
#include "opt.h"
#include "slab.h"
#include "util.h"

#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *out = "-", *in = "-";
	struct slab s;
	int i, rc;
	const struct opt opts[] = {
		OPT_STRING('o', "output", &out, "OUT.nii.gz", "output file (default stdout, gzip-compressed);\n"
		           "a name ending in .nii is written uncompressed"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "slab2nii", .operands = "[IN.slab]", .min_operands = 0, .max_operands = 1,
		.about = "Write one slab as NIfTI-1 with its TRANSFORM as sform and qform.",
		.opts = opts, .notes = "IN holds exactly one slab (default stdin)."
	};

	if ((i = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(i);
	if (i < argc)
		in = argv[i];
	if (!strcmp(out, "-") && isatty(1))
		die("will not write binary NIfTI to a terminal; use -o OUT.nii.gz");
	if (slab_load(in, &s))
		return 1;
	rc = nifti_save(out, &s) ? 1 : 0;
	slab_free(&s);
	if (close_stdout())
		rc = 1;
	return rc;
}
