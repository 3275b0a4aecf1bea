/* blascore.c: see blascore.h. */
#include "blascore.h"

#include "isa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

char *openblas_get_corename(void);

/* OpenBLAS 0.3.21's x86-64 core names by the widest vector unit their
 * kernels use. */
static const char *const level0[] = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem",
                                     "Atom", "Opteron", "Opteron_SSE3", "Barcelona", "Bobcat",
                                     "Nano", "Katmai", "Coppermine", "Northwood", "Banias",
                                     "Athlon", NULL};
static const char *const level1[] = {"Sandybridge", "SandyBridge", "Bulldozer", "Piledriver",
                                     "Steamroller", "Excavator", NULL};
static const char *const level2[] = {"Haswell", "Zen", "SkylakeX_no_avx512", NULL};
static const char *const level3[] = {"SkylakeX", "Cooperlake", "SapphireRapids", NULL};

static int in(const char *s, const char *const *names)
{
	for (; *names; names++)
		if (!strcasecmp(s, *names))
			return 1;
	return 0;
}

/* The ISA level of an OpenBLAS core name: 0 SSE-era, 1 AVX, 2 AVX2, 3
 * AVX-512; -1 for a name it does not know (never corrected). */
static int blas_core_level(const char *core)
{
	if (!core)
		return -1;
	if (in(core, level0))
		return 0;
	if (in(core, level1))
		return 1;
	if (in(core, level2))
		return 2;
	if (in(core, level3))
		return 3;
	return -1;
}

/* The CPU's ISA (isa.h) and the OpenBLAS core that fits it. */
static void cpu_best(const char **isa, const char **best)
{
	enum isa i = isa_cpu();
	*isa = isa_name(i);
	*best = i == ISA_AVX512 ? "SkylakeX"
	        : i == ISA_AVX2 ? (__builtin_cpu_is("amd") ? "Zen" : "Haswell")
	                        : NULL;
}

void blas_check(char **argv, struct blas_state *st)
{
	const char *keep = getenv("SELFLABEL_BLAS");
	memset(st, 0, sizeof *st);
	st->core = openblas_get_corename();
	if ((st->was = getenv("SELFLABEL_BLAS_WAS"))) {
		static char was[64];
		snprintf(was, sizeof was, "%s", st->was);
		st->was = was;
		unsetenv("SELFLABEL_BLAS_WAS"); /* for this process only */
	}
	st->kept = keep && !strcmp(keep, "keep");
	cpu_best(&st->isa, &st->best);
	const char *user = getenv("OPENBLAS_CORETYPE"), *guess = getenv("SELFLABEL_BLAS_GUESS");
	if (st->kept || st->was || !st->best || (user && *user))
		return; /* the user's own OPENBLAS_CORETYPE always wins */
	if (!guess || !*guess)
		guess = st->core;
	int have = blas_core_level(guess), want = blas_core_level(st->best);
	if (have < 0 || have >= want)
		return;
	/* below the CPU: once more with the right core (SELFLABEL_BLAS_WAS stops
	 * a second round and tells the new process what was corrected) */
	if (setenv("SELFLABEL_BLAS_WAS", guess, 1) || setenv("OPENBLAS_CORETYPE", st->best, 1) ||
	    unsetenv("SELFLABEL_BLAS_GUESS"))
		return;
	fflush(NULL);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "%s: OpenBLAS runs its %s kernels on this %s CPU and re-executing with "
	        "OPENBLAS_CORETYPE=%s failed; going on (slower)\n", argv[0], guess, st->isa,
	        st->best);
	unsetenv("OPENBLAS_CORETYPE");
	unsetenv("SELFLABEL_BLAS_WAS");
}

const char *blas_note(const struct blas_state *st)
{
	static char buf[256];
	if (!st->was)
		return NULL;
	snprintf(buf, sizeof buf, "OpenBLAS chose its %s kernels on this %s CPU; running with %s "
	         "(SELFLABEL_BLAS=keep keeps OpenBLAS's choice)", st->was, st->isa, st->core);
	return buf;
}
