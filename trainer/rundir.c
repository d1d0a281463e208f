/*
 * rundir.c - the run directory's lock (rundir.h).
 *
 * F_SETLK, not F_SETLKW: a second job is refused at once, not queued
 * behind the first.  The holder's text is written after the lock is
 * taken, so a refused job reads what the live holder wrote.
 */
#include "trainer/rundir.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/atomic.h"

int rundir_lock(const char *dir, int *fdp, err_t *e)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[4600], host[256] = "unknown", who[600] = "";
	ssize_t n;
	int fd, err;

	*fdp = -1;
	snprintf(path, sizeof(path), "%s/.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_set(e, "%s: cannot open: %s", path, strerror(errno));
	if (fcntl(fd, F_SETLK, &fl)) {
		err = errno;
		if (err != EACCES && err != EAGAIN) {
			close(fd);
			return err_set(e, "%s: cannot lock: %s", path, strerror(err));
		}
		n = pread(fd, who, sizeof(who) - 1, 0);
		who[n > 0 ? n : 0] = '\0';
		who[strcspn(who, "\n")] = '\0';
		close(fd);
		return err_set(e, "%s is in use by another job (%s, lock %s): one job per run "
			       "directory; wait for it or stop it, or give another --run-dir",
			       dir, who[0] ? who : "holder unknown", path);
	}
	gethostname(host, sizeof(host) - 1);
	n = snprintf(who, sizeof(who), "pid %ld on host %s\n", (long)getpid(), host);
	if (ftruncate(fd, 0) || pwrite(fd, who, (size_t)n, 0) != n) {
		err = errno;
		close(fd);
		return err_set(e, "%s: cannot write: %s", path, strerror(err));
	}
	*fdp = fd;
	return 0;
}

int rundir_clean_tmp(const char *dir, int *count, long long *bytes, err_t *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[4600];
	struct stat st;

	*count = 0;
	*bytes = 0;
	if (!d)
		return err_set(e, "%s: cannot open: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		long pid = atomic_tmp_pid(de->d_name);

		/* a live pid may be another command writing here (ckpt export) */
		if (!pid || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (lstat(p, &st) || !S_ISREG(st.st_mode) || unlink(p))
			continue;
		(*count)++;
		*bytes += (long long)st.st_size;
	}
	closedir(d);
	return 0;
}

void rundir_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
