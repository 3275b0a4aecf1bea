/* slab2nii: one slab -> NIfTI-1 (.nii.gz, or plain .nii when OUT ends in
 * .nii), keeping the voxel-to-world transform (sform and qform) so that the
 * volume lies exactly over the scan it came from. u8, i16 and f32 keep their
 * type; channels become the 4th dimension. */
#include "nifti.h"
#include "slab.h"
#include "util.h"

#include <string.h>
#include <unistd.h>

static const char usage[] = "slab2nii [-o OUT.nii.gz] [IN.slab]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Write one slab as NIfTI-1 with its TRANSFORM as sform and qform.\n"
	       "  -o OUT  output file (default stdout, gzip-compressed);\n"
	       "          a name ending in .nii is written uncompressed\n"
	       "IN holds exactly one slab (default stdin).\n", usage);
}

int main(int argc, char **argv)
{
	const char *out = "-", *in = "-";
	struct slab s;
	int opt, rc;

	progname = "slab2nii";
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		help();
		return 0;
	}
	while ((opt = getopt(argc, argv, "ho:")) != -1) {
		switch (opt) {
		case 'h': help(); return 0;
		case 'o': out = optarg; break;
		default: usage_die(usage);
		}
	}
	if (argc - optind > 1)
		usage_die(usage);
	if (argc - optind == 1)
		in = argv[optind];
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
