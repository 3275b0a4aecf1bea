/* version.c: see version.h. */
#include "version.h"

const char selflabel_version[] =
#include "version.inc"
	;
