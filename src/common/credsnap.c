/* credsnap.c — the host's credentials as a run saw them (design.md §4.2). */
#include "config.h"
#include "credsnap.h"
#include "compat.h"
#include "fsutil.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CREDSNAP_PREFIX "snap-"

/* "ino:size:mtime" becomes "snap-ino-size-mtime": a file name of digits and dashes. */
static char *name_of(const char *signature)
{
	if (!*signature || strspn(signature, "0123456789:-") != strlen(signature))
		return NULL;
	char *name = xasprintf(CREDSNAP_PREFIX "%s", signature);
	for (char *p = name; *p; p++)
		if (*p == ':')
			*p = '_';
	return name;
}

char *credsnap_path(const struct conf *cfg, const char *name)
{
	size_t pl = strlen(CREDSNAP_PREFIX);
	if (!name || strncmp(name, CREDSNAP_PREFIX, pl) != 0 || strspn(name + pl, "0123456789_-") != strlen(name + pl))
		return NULL;
	return xasprintf("%s/%s/%s", cfg->state_dir, CREDSNAP_DIR, name);
}

char *credsnap_signature(const char *name)
{
	size_t pl = strlen(CREDSNAP_PREFIX);
	if (!name || strncmp(name, CREDSNAP_PREFIX, pl) != 0)
		return NULL;
	char *sig = xstrdup(name + pl);
	for (char *p = sig; *p; p++)
		if (*p == '_')
			*p = ':';
	return sig;
}

char *credsnap_take(const struct conf *cfg, const char *signature)
{
	char *name = name_of(signature);
	char *path = credsnap_path(cfg, name);
	char *dir = path_join(cfg->state_dir, CREDSNAP_DIR);
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	bool ok = path && lstat(path, &st) == 0 && S_ISREG(st.st_mode);
	if (!ok && path && fs_safe_dir(dir, true) == 0 &&
	    fs_read_file(cfg->auth_credentials_file, CREDSNAP_MAX_BYTES, &text, &len) == 0)
		ok = fs_write_atomic(path, text, len, FS_SYNC_NONE) == 0;
	if (text)
		compat_wipe(text, len);
	free(text);
	free(dir);
	free(path);
	if (!ok) {
		free(name);
		return NULL;
	}
	return name;
}

/* fn(path) for each copy until it returns true; whether one did. */
static bool each_copy(const struct conf *cfg, bool (*fn)(const char *path))
{
	char *dir = path_join(cfg->state_dir, CREDSNAP_DIR);
	DIR *d = opendir(dir);
	struct dirent *e;
	bool stopped = false;
	while (d && !stopped && (e = readdir(d)) != NULL) {
		char *path = credsnap_path(cfg, e->d_name);
		stopped = path && fn(path);
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
	return stopped;
}

static bool found(const char *path)
{
	(void)path;
	return true;
}

static bool removed(const char *path)
{
	(void)unlink(path);
	return false;
}

bool credsnap_any(const struct conf *cfg)
{
	return each_copy(cfg, found);
}

void credsnap_purge(const struct conf *cfg)
{
	(void)each_copy(cfg, removed);
	char *dir = path_join(cfg->state_dir, CREDSNAP_DIR);
	(void)rmdir(dir);
	free(dir);
}
