/* version.h: the version of this build of selflabel.
 *
 * The text comes from the VERSION file, followed by "+g" and the commit
 * when built from a git checkout ("0.9.0+g1a2b3c4"); the Makefile writes
 * it into build/version.inc, which only version.c includes. */
#ifndef SL_VERSION_H
#define SL_VERSION_H

extern const char selflabel_version[];

#endif
