/* test_tmpfiles: temporaries (lib/util.h): tmp_sweep removes those of ended
 * writers (none, or a zombie) and keeps a running writer's; a ".old." folder
 * goes back onto a missing target; rm_tree; dir_replace over a full folder;
 * the signal handler removes the registered temporaries and re-raises. */
#include "check.h"
#include "util.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

static void touch(const char *p)
{
	FILE *f = fopen(p, "w");
	if (f) {
		fputs("x\n", f);
		fclose(f);
	}
}

static void name(char *buf, size_t n, const char *target, const char *kind, long pid)
{
	snprintf(buf, n, "%s.%s.%ld.abcDEF", target, kind, pid);
}

int main(void)
{
	char dir[] = "/tmp/test_tmpfiles.XXXXXX", t[128], a[512], b[512], c[1024], d[512], e[512];
	pid_t zombie, live, gone;
	int st;
	if (!mkdtemp(dir))
		return 1;
	snprintf(t, sizeof t, "%s/out.slab", dir);

	/* a zombie (ended, not reaped), a running process, one reaped */
	if ((zombie = fork()) == 0)
		_exit(0);
	if ((live = fork()) == 0) {
		pause();
		_exit(0);
	}
	if ((gone = fork()) == 0)
		_exit(0);
	waitpid(gone, &st, 0);
	usleep(100000); /* the zombie has ended by now */
	name(a, sizeof a, t, "tmp", (long)zombie);
	name(b, sizeof b, t, "tmp", (long)live);
	name(c, sizeof c, t, "tmp", (long)gone);
	name(d, sizeof d, t, "tmp", (long)getpid()); /* our own: kept */
	snprintf(e, sizeof e, "%s.tmp.XXXXXX", t);   /* no pid: not ours to judge */
	touch(a), touch(b), touch(c), touch(d), touch(e);
	tmp_sweep(t);
	CHECK(!exists(a));
	CHECK(exists(b));
	CHECK(!exists(c));
	CHECK(exists(d));
	CHECK(exists(e));
	kill(live, SIGKILL);
	waitpid(live, &st, 0);
	waitpid(zombie, &st, 0);
	unlink(b), unlink(d), unlink(e);

	/* a staging folder of a dead writer goes, tree and all */
	name(a, sizeof a, t, "tmp", (long)gone);
	mkdir(a, 0777);
	snprintf(c, sizeof c, "%s/images", a);
	mkdir(c, 0777);
	snprintf(c, sizeof c, "%s/images/x.slab", a);
	touch(c);
	tmp_sweep(t);
	CHECK(!exists(a));

	/* an old folder set aside: back onto the missing target, else removed */
	name(a, sizeof a, t, "old", (long)gone);
	mkdir(a, 0777);
	snprintf(c, sizeof c, "%s/keep", a);
	touch(c);
	tmp_sweep(t);
	CHECK(!exists(a));
	snprintf(c, sizeof c, "%s/keep", t);
	CHECK(exists(c));
	mkdir(a, 0777);
	tmp_sweep(t);
	CHECK(!exists(a));
	CHECK(exists(c));

	/* dir_replace over a full folder: the new tree in, the old one gone */
	snprintf(a, sizeof a, "%s/new", dir);
	mkdir(a, 0777);
	snprintf(b, sizeof b, "%s/new/fresh", dir);
	touch(b);
	CHECK(dir_replace(a, t) == 0);
	snprintf(b, sizeof b, "%s/fresh", t);
	CHECK(exists(b));
	CHECK(!exists(c));
	CHECK(!exists(a));

	/* SIGTERM: the registered temporaries go, the signal kills the process */
	if ((live = fork()) == 0) {
		char f[256], g[256];
		snprintf(f, sizeof f, "%s/file.tmp", dir);
		snprintf(g, sizeof g, "%s/tree.tmp", dir);
		touch(f);
		mkdir(g, 0777);
		snprintf(a, sizeof a, "%s/inner", g);
		touch(a);
		tmp_register(f, 0);
		tmp_register(g, 1);
		kill(getpid(), SIGTERM);
		_exit(0); /* not reached */
	}
	waitpid(live, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	snprintf(a, sizeof a, "%s/file.tmp", dir);
	CHECK(!exists(a));
	snprintf(a, sizeof a, "%s/tree.tmp", dir);
	CHECK(!exists(a));

	CHECK(rm_tree(dir) == 0);
	CHECK(!exists(dir));
	return CHECK_DONE();
}
