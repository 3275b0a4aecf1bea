/* ubsan-report-path.c: linked into every program of `make SANITIZE=1` (only
 * there), so that UndefinedBehaviorSanitizer reports land in the report
 * folder like AddressSanitizer's.
 *
 * gcc links two runtimes, libasan.so and libubsan.so, each with its own copy
 * of the common sanitizer code. libubsan's start-up call that applies
 * log_path binds to libasan's copy (loaded first), so libubsan's own report
 * file stays stderr and a UBSan report would only show as exit status 99,
 * which a test expecting any failure cannot tell from a refusal. This
 * constructor hands libubsan's own copy the same path: $SELFLABEL_SAN_REPORTS
 * (set by the Makefile) + "/report", each process writing report.PID. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void ubsan_report_path(void)
{
	static char path[4096];
	const char *dir = getenv("SELFLABEL_SAN_REPORTS");
	void *h = dlopen("libubsan.so.1", RTLD_LAZY | RTLD_NOLOAD);
	void (*set)(const char *) = NULL;
	if (h)
		*(void **)&set = dlsym(h, "__sanitizer_set_report_path");
	if (!dir || !*dir || !set || snprintf(path, sizeof path, "%s/report", dir) >= (int)sizeof path)
		return;
	set(path);
}
