/* isa.h: the vector instruction set the engine runs, chosen once at run
 * time. The hot kernels (kernels.c, winograd*.c, conv_direct.c, layers.c;
 * the list is in the Makefile) are compiled once per instruction set into
 * differently named functions (isa_names.h) and reached through one table
 * (isa_ops.h); the rest of the program is built for plain x86-64.
 *
 * The choice: the best set the CPU supports (cpuid, with the operating
 * system's consent to the wider registers), capped by the environment
 * variable SELFLABEL_ISA = generic | avx2 | avx512 (auto or unset: no cap).
 *   avx512  AVX-512 F, BW, CD, DQ, VL (x86-64-v4)
 *   avx2    AVX2 + FMA and the rest of x86-64-v3
 *   generic SSE2 (any x86-64)
 * A name the CPU cannot run is refused (isa_select), never quietly
 * lowered: the sums of each set are rounded their own way, so a model
 * trained under a forced set is byte-identical to one trained by a
 * single-set build of that set, on any CPU that runs it. */
#ifndef SL_ISA_H
#define SL_ISA_H

enum isa { ISA_GENERIC, ISA_AVX2, ISA_AVX512, ISA_COUNT };

/* The best set this CPU (and its operating system) supports. Cannot fail.
 * SELFLABEL_ISA_CPU=NAME, a stand-in for tests, is taken as the CPU's best
 * set when it is a set below the real one (never above: no set the CPU
 * cannot run is ever chosen). */
enum isa isa_cpu(void);

/* "generic", "avx2", "avx512" ("?" for anything else). */
const char *isa_name(enum isa i);

/* Choose the set from the CPU and SELFLABEL_ISA, if not chosen yet (the
 * first choice stays). Returns 0, or -1 with an error when SELFLABEL_ISA is
 * neither a set's name nor "auto", or names a set above the CPU's (the
 * engine would then run the CPU's best set). The tools that run the engine
 * call it first and refuse such a value. */
int isa_select(void);

/* The set in use (chosen at the first call when isa_select was not
 * called). Cannot fail. */
enum isa isa_active(void);

#endif
