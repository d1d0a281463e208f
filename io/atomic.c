/* atomic.c - temporary name, fsync, rename, fsync of the directory. */
#include "io/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void split_path(const char *path, char *dir, size_t n, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		snprintf(dir, n, ".");
		*base = path;
	} else if (slash == path) {
		snprintf(dir, n, "/");
		*base = slash + 1;
	} else {
		snprintf(dir, n, "%.*s", (int)(slash - path), path);
		*base = slash + 1;
	}
}

int atomic_tmp_path(const char *final, char *tmp, size_t n, err_t *e)
{
	char dir[4096];
	const char *base;
	int len;

	split_path(final, dir, sizeof(dir), &base);
	len = snprintf(tmp, n, "%s/.%s.tmp.%ld", dir, base, (long)getpid());
	if (len < 0 || (size_t)len >= n)
		return err_set(e, "%s: path too long", final);
	return 0;
}

long atomic_tmp_pid(const char *name)
{
	const char *t = strstr(name, ".tmp.");
	char *end;
	long pid;

	if (name[0] != '.' || !t || t == name)
		return 0;
	pid = strtol(t + 5, &end, 10);
	return *end || pid <= 0 ? 0 : pid;
}

static int fsync_path(const char *path, int flags, err_t *e)
{
	int fd = open(path, flags);
	int rc;

	if (fd < 0)
		return err_set(e, "%s: cannot open to sync: %s", path, strerror(errno));
	rc = fsync(fd);
	if (rc && errno != EINVAL && errno != EROFS) {
		err_set(e, "%s: fsync failed: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int atomic_commit(const char *tmp, const char *final, err_t *e)
{
	char dir[4096];
	const char *base;

	if (fsync_path(tmp, O_RDONLY, e))
		return -1;
	if (rename(tmp, final))
		return err_set(e, "%s: cannot rename from %s: %s", final, tmp,
			       strerror(errno));
	split_path(final, dir, sizeof(dir), &base);
	return fsync_path(dir, O_RDONLY | O_DIRECTORY, e);
}
