/* notice.c — the first-run notice and the events held until it is shown (SPEC §4.3). */
#include "config.h"
#include "notice.h"
#include "compat.h"
#include "fsutil.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum notice_state notice_state(const struct conf *cfg)
{
	if (!cfg->notice)
		return NOTICE_OFF;
	char *path = path_join(cfg->state_dir, NOTICE_FILE);
	struct stat st;
	bool shown = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return shown ? NOTICE_SHOWN : NOTICE_PENDING;
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
	buf_adds(&b, " collects anonymous usage data (the command name, its outcome, exit code and "
	             "duration, the tool and OS versions, whether it runs in CI, and a random id) to "
	             "improve the tool; never arguments, paths or file contents. To turn it off, ");
	buf_adds(&b, hint);
	buf_adds(&b, ", or set ");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_adds(&b, i + 1 == n ? " or " : ", ");
		buf_adds(&b, vars[i]);
	}
	buf_adds(&b, " in the environment.\n");
	free(hint);
	free(tracking);
	free(disabled);
	return buf_detach(&b);
}

int notice_mark_shown(const struct conf *cfg, const char *how)
{
	if (fs_safe_dir(cfg->state_dir, true) != 0)
		return -1;
	char *path = path_join(cfg->state_dir, NOTICE_FILE);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	int saved = errno;
	free(path);
	if (fd < 0) {
		errno = saved;
		return saved == EEXIST ? 0 : -1;
	}
	char stamp[RFC3339_LEN];
	format_rfc3339_ms(now_ms(), stamp, sizeof stamp);
	char *text = xasprintf("{\"shown_at\": \"%s\", \"how\": \"%s\"}\n", stamp, how);
	/* a torn or empty file still says "shown": it is created just before the notice is printed */
	(void)write_all(fd, text, strlen(text));
	(void)compat_fsync(fd);
	close(fd);
	free(text);
	return 1;
}
