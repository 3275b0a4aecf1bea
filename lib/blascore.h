/* blascore.h: never run on OpenBLAS's wrong guess of the CPU.
 *
 * A DYNAMIC_ARCH OpenBLAS picks its kernels ("core") at start-up from the
 * CPU's model number; a CPU newer than the library falls back to old
 * kernels (Debian's 0.3.21 chose its SSE3 "Prescott" kernels on an AVX-512
 * Xeon: sgemm 5x slower). blas_check() compares the core OpenBLAS guessed
 * with what the CPU supports (cpuid: AVX-512 -> SkylakeX, AVX2 + FMA ->
 * Haswell, or Zen on AMD) and, when the guess is below it, re-executes the
 * program once with OPENBLAS_CORETYPE set to the CPU's core (the only way to
 * change a shared libopenblas's choice, made before main).
 *
 * A user's own OPENBLAS_CORETYPE always wins (it is also how some machines
 * keep an OpenBLAS away from kernels that misbehave on them), and
 * SELFLABEL_BLAS=keep keeps OpenBLAS's guess. SELFLABEL_BLAS_GUESS=NAME is a
 * stand-in for tests: it is taken as OpenBLAS's guess. */
#ifndef SL_BLASCORE_H
#define SL_BLASCORE_H

/* What blas_check found, for messages and unet-bench. */
struct blas_state {
	const char *core;     /* the core OpenBLAS runs now */
	const char *best;     /* the core this CPU supports (NULL: none known) */
	const char *was;      /* the core before a correction, or NULL */
	const char *isa;      /* "avx512", "avx2" or "generic": what cpuid says
	                         (isa_cpu, isa.h) */
	int kept;             /* SELFLABEL_BLAS=keep was set */
};

/* Check OpenBLAS's core; when it is below the CPU's and SELFLABEL_BLAS is
 * not "keep", set OPENBLAS_CORETYPE and re-execute argv (through
 * /proc/self/exe) once: returns only when no correction is needed or the
 * re-execution failed (then it says so on stderr and goes on). Fills st. */
void blas_check(char **argv, struct blas_state *st);

/* One line for stderr about a correction made before this process ran
 * ("OpenBLAS chose Prescott on this avx512 CPU; running with SkylakeX
 * (SELFLABEL_BLAS=keep to keep it)"), or NULL when none was made. */
const char *blas_note(const struct blas_state *st);

#endif
