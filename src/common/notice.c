/* notice.c — the first-run notice and the events held until it is shown (design.md §4.3). */
#include "config.h"
#include "notice.h"
#include "compat.h"
#include "fsutil.h"
#include "trace.h"
#include "util.h"

#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum notice_state notice_state(const struct conf *cfg)
{
	if (cfg->notice == NOTICE_MODE_OFF)
		return NOTICE_OFF;
	char *path = path_join(cfg->state_dir, NOTICE_FILE);
	struct stat st;
	bool shown = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return shown ? NOTICE_SHOWN : NOTICE_PENDING;
}

bool notice_fd_carries(int fd, enum notice_mode mode)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return false; /* closed */
	if (isatty(fd))
		return true;
	return mode == NOTICE_MODE_ON && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISREG(st.st_mode));
}

const char *notice_state_name(enum notice_state s)
{
	return s == NOTICE_OFF ? "off" : s == NOTICE_SHOWN ? "shown" : "pending";
}

/* The host's own wording, or NULL. */
static char *host_text(const struct conf *cfg)
{
	char *text = NULL;
	size_t len = 0;
	if (!cfg->notice_file || fs_read_file(cfg->notice_file, MAX_NOTICE_BYTES, &text, &len) != 0)
		return NULL;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' ' || text[len - 1] == '\t'))
		text[--len] = '\0';
	if (len == 0 || !utf8_valid(text, len) || memchr(text, '\0', len)) {
		free(text);
		return NULL;
	}
	for (char *p = text; *p; p++) /* never a terminal escape from a file */
		if ((unsigned char)*p < 0x80 && is_control((unsigned char)*p) && *p != '\n' && *p != '\t')
			*p = ' ';
	char *out = xasprintf("%s\n", text);
	free(text);
	return out;
}

char *notice_text(const struct conf *cfg)
{
	char *own = host_text(cfg);
	if (own)
		return own;
	char *hint = cfg->disable_hint ? xasprintf("run '%s'", cfg->disable_hint)
	                               : xasprintf("run 'usage-report --app %s disable'", cfg->app);
	/* the variables that turn it off, each with a value that does */
	char *tracking = cfg->tracking_env ? xasprintf("%s=0", cfg->tracking_env) : NULL;
	char *disabled = cfg->disabled_env ? xasprintf("%s=1", cfg->disabled_env) : NULL;
	const char *vars[3] = {"DO_NOT_TRACK=1"};
	size_t n = 1;
	if (tracking)
		vars[n++] = tracking;
	if (disabled)
		vars[n++] = disabled;
	struct buf b = {0};
	buf_adds(&b, cfg->app);
	buf_adds(&b, " collects usage data (the command name, its outcome, exit code and duration, "
	             "the tool and OS versions, whether it runs in CI, and a random id, or your "
	             "account id once you log in) to improve the tool; never arguments, paths or file "
	             "contents. To turn it off, ");
	buf_adds(&b, hint);
	buf_adds(&b, ", or set ");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_adds(&b, i + 1 == n ? " or " : ", ");
		buf_adds(&b, vars[i]);
	}
	buf_adds(&b, " in the environment.");
	if (!cfg->disable_hint) { /* a host with its own command names its own options */
		buf_adds(&b, " To share failed runs only, run 'usage-report --app ");
		buf_adds(&b, cfg->app);
		buf_adds(&b, " level errors'.");
	}
	if (cfg->notice_url) {
		buf_adds(&b, " Privacy policy: ");
		buf_adds(&b, cfg->notice_url);
		buf_addc(&b, '.');
	}
	buf_addc(&b, '\n');
	free(hint);
	free(tracking);
	free(disabled);
	return buf_detach(&b);
}

/* Take the claim file, or take over one left by a run that is gone. fd, or -1 with errno
 * (EEXIST: another run holds a fresh claim). */
static int take_claim(const char *path)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
		struct stat st;
		if (fd >= 0 || errno != EEXIST || lstat(path, &st) != 0)
			return fd;
		if (now_ms() / 1000 - (int64_t)st.st_mtime < NOTICE_CLAIM_STALE_S)
			return -1;
		(void)unlink(path); /* stale: its run died before confirming or releasing */
	}
	errno = EEXIST;
	return -1;
}

int notice_claim(const struct conf *cfg)
{
	if (notice_state(cfg) != NOTICE_PENDING)
		return 0;
	if (fs_safe_dir(cfg->state_dir, true) != 0)
		return -1;
	char *marker = path_join(cfg->state_dir, NOTICE_FILE);
	struct stat st;
	bool taken = lstat(marker, &st) == 0; /* not a regular file (that would say "shown"): not ours to replace */
	free(marker);
	if (taken) {
		errno = EEXIST;
		return -1;
	}
	char *path = path_join(cfg->state_dir, NOTICE_CLAIM_FILE);
	int fd = take_claim(path);
	int saved = errno;
	free(path);
	if (fd < 0) {
		errno = saved;
		return saved == EEXIST ? 0 : -1;
	}
	close(fd);
	if (notice_state(cfg) != NOTICE_PENDING) { /* another run confirmed it just before we claimed */
		notice_release(cfg);
		return 0;
	}
	return 1;
}

int notice_confirm(const struct conf *cfg, const char *how)
{
	char stamp[RFC3339_LEN];
	format_rfc3339_ms(now_ms(), stamp, sizeof stamp);
	json_t *doc = json_pack("{s:s, s:s}", "shown_at", stamp, "how", how);
	int rc = fs_write_json(cfg->state_dir, NOTICE_FILE, doc, JSON_INDENT(2), FS_SYNC_ALL);
	json_decref(doc);
	notice_release(cfg);
	return rc;
}

void notice_release(const struct conf *cfg)
{
	char *path = path_join(cfg->state_dir, NOTICE_CLAIM_FILE);
	(void)unlink(path);
	free(path);
}

enum notice_state notice_show(const struct conf *cfg, int fd, enum notice_mode mode, const char *how, bool always)
{
	enum notice_state state = notice_state(cfg);
	bool carries = notice_fd_carries(fd, mode);
	int claimed = state == NOTICE_PENDING && carries ? notice_claim(cfg) : 0;
	if (state == NOTICE_PENDING && !carries)
		trace("notice not counted: %s", mode == NOTICE_MODE_TTY ? "not a terminal (notice = tty)"
		                                                          : "it would reach no person or log");
	else if (state == NOTICE_PENDING && claimed <= 0)
		trace("notice %s", claimed < 0 ? "cannot be claimed" : "shown by another run");
	if (claimed <= 0 && !always)
		return claimed < 0 ? NOTICE_PENDING : notice_state(cfg);
	char *text = notice_text(cfg);
	bool written = write_all(fd, text, strlen(text)) == 0;
	int saved = errno;
	free(text);
	if (claimed <= 0)
		return claimed < 0 ? NOTICE_PENDING : notice_state(cfg);
	if (!written) {
		trace("notice not written in full: %s: it stays pending", strerror(saved));
		notice_release(cfg);
		return NOTICE_PENDING;
	}
	if (notice_confirm(cfg, how) != 0) {
		trace("cannot record that the notice was shown: %s", strerror(errno));
		return NOTICE_PENDING;
	}
	return NOTICE_SHOWN;
}
