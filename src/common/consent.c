/* consent.c — whether reporting is on, and which setting decided (design.md §4.3, §4.4). */
#include "config.h"
#include "consent.h"
#include "fsutil.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#define CONSENT_FILE "consent.json"

static bool env_tracking_off(const char *name)
{
	static const char *const off[] = {"0", "false", "no", "off", NULL};
	const char *v = env_nonempty(name);
	return v && word_in(v, off);
}

/* consent.json: the person's choices, "enabled" and "level", each absent until made. */
static json_t *persisted_doc(const char *state_dir)
{
	return fs_read_json(state_dir, CONSENT_FILE, 4096);
}

/* The choices in a consent.json document (NULL: none made): 1 on, 0 off, -1 never chosen;
 * the level: 0 and *out, or -1. */
static int enabled_of(const json_t *doc)
{
	json_t *on = json_object_get(doc, "enabled");
	return json_is_boolean(on) ? json_is_true(on) : -1;
}

static int level_of(const json_t *doc, enum report_level *out)
{
	const char *word = json_string_value(json_object_get(doc, "level"));
	return word ? conf_level_parse(word, out) : -1;
}

int consent_persisted(const char *state_dir)
{
	json_t *doc = persisted_doc(state_dir);
	int result = enabled_of(doc);
	json_decref(doc);
	return result;
}

/* Set one choice, keeping the other, written whole and atomically. (Two copies that change
 * different choices at the same instant: the last write wins.) */
static int persist(const char *state_dir, const char *key, json_t *value)
{
	if (fs_safe_dir(state_dir, true) != 0) {
		json_decref(value);
		return -1;
	}
	json_t *doc = persisted_doc(state_dir);
	if (!doc)
		doc = json_object();
	char stamp[RFC3339_LEN];
	format_rfc3339_ms(now_ms(), stamp, sizeof stamp);
	json_object_set_new(doc, key, value);
	json_object_set_new(doc, "changed_at", json_string(stamp));
	int rc = fs_write_json(state_dir, CONSENT_FILE, doc, JSON_INDENT(2), FS_SYNC_ALL);
	int saved = errno;
	json_decref(doc);
	errno = saved;
	return rc;
}

int consent_persist(const char *state_dir, bool on)
{
	return persist(state_dir, "enabled", json_boolean(on));
}

int consent_persist_level(const char *state_dir, enum report_level level)
{
	return persist(state_dir, "level", json_string(conf_level_name(level)));
}

static void decide(struct consent *out, bool enabled, const char *source)
{
	out->enabled = enabled;
	snprintf(out->source, sizeof out->source, "%s", source);
}

static void decide_env(struct consent *out, const char *name)
{
	out->enabled = false;
	out->env_switch = name;
	snprintf(out->source, sizeof out->source, "env:%s", name);
}

/* dir + "/" + name into out; false when it does not fit. */
static bool join_into(char *out, const char *dir, const char *name)
{
	size_t dl = strcmp(dir, "/") ? strlen(dir) : 0, nl = strlen(name);
	if (dl + 1 + nl >= PATH_MAX)
		return false;
	memmove(out, dir, dl);
	out[dl] = '/';
	memcpy(out + dl + 1, name, nl + 1);
	return true;
}

/* The folder the walk starts from: "." , or (the working folder was removed: its ".." leads
 * nowhere) $PWD's parent, when $PWD names that removed folder. */
static bool walk_start(char *dir)
{
	struct stat st;
	const char *pwd = getenv("PWD");
	if (stat(".", &st) == 0 && st.st_nlink > 0) {
		snprintf(dir, PATH_MAX, ".");
		return true;
	}
	if (!pwd || !path_absolute(pwd) || strlen(pwd) >= PATH_MAX || stat(pwd, &st) == 0)
		return false;
	memcpy(dir, pwd, strlen(pwd) + 1);
	char *slash = strrchr(dir, '/');
	slash[slash == dir] = '\0'; /* "/a" becomes "/", "/a/b" becomes "/a" */
	return true;
}

/* The found file's path as status shows it: absolute when the working folder's path is
 * known (its last `up` components dropped), else relative as found. */
static void shown_path(char *out, const char *found, int up, const char *name)
{
	char cwd[PATH_MAX];
	if (strncmp(found, "./", 2) != 0 || !getcwd(cwd, sizeof cwd) || !path_absolute(cwd))
		return;
	for (int k = 0; k < up; k++) {
		char *slash = strrchr(cwd, '/');
		slash[slash == cwd] = '\0';
	}
	(void)join_into(out, cwd, name);
}

int consent_project_file(const char *name, char *out)
{
	char dir[PATH_MAX];
	struct stat here, up;
	if (!walk_start(dir) || stat(dir, &here) != 0) {
		snprintf(out, PATH_MAX, "%s", "(the working folder, removed)");
		return -1;
	}
	for (int depth = 0;; depth++) {
		struct stat st;
		if (!join_into(out, dir, name)) {
			snprintf(out, PATH_MAX, "%s", "(a folder too deep above the working folder)");
			return -1;
		}
		if (lstat(out, &st) == 0) {
			shown_path(out, out, depth, name);
			return 1;
		}
		if (errno != ENOENT && errno != ENOTDIR)
			return -1; /* cannot tell: a folder that cannot be searched, ... */
		char parent[PATH_MAX];
		if (!join_into(parent, dir, "..")) {
			snprintf(out, PATH_MAX, "%s", "(a folder too deep above the working folder)");
			return -1;
		}
		if (stat(parent, &up) != 0) {
			snprintf(out, PATH_MAX, "%s", parent);
			return -1;
		}
		if (up.st_dev == here.st_dev && up.st_ino == here.st_ino)
			return 0; /* the root: its ".." is itself */
		memcpy(dir, parent, sizeof dir);
		here = up;
	}
}

/* The level, while reporting is on: USAGE_REPORT_LEVEL, then the person's choice, then the
 * host's [consent] level. A USAGE_REPORT_LEVEL that is neither word is ignored (traced). */
static void decide_level(const struct conf *cfg, const json_t *choices, struct consent *out)
{
	const char *env = env_nonempty(CONSENT_LEVEL_ENV);
	out->level = cfg->consent_level;
	out->level_source = "default";
	if (!out->enabled)
		return;
	if (env && conf_level_parse(env, &out->level) == 0)
		out->level_source = "env:" CONSENT_LEVEL_ENV;
	else if (level_of(choices, &out->level) == 0)
		out->level_source = "config";
	else if (env)
		trace("%s='%s' is not all or errors: ignored", CONSENT_LEVEL_ENV, env);
}

void consent_decide(const struct conf *cfg, struct consent *out)
{
	char project[PATH_MAX];
	json_t *choices = NULL; /* consent.json, read once: on reaching the person's choice */
	memset(out, 0, sizeof *out);
	if (cfg->policy_off || (cfg->policy_ci_skip && env_ci()))
		decide(out, false, "policy");
	else if (cfg->project_file && consent_project_file(cfg->project_file, project) != 0)
		snprintf(out->source, sizeof out->source, "project:%s", project); /* found, or cannot tell: off */
	else if (cfg->consent_invalid)
		decide(out, false, CONSENT_SOURCE_INVALID);
	else if (env_truthy("USAGE_REPORT_DISABLED"))
		decide_env(out, "USAGE_REPORT_DISABLED");
	else if (cfg->disabled_env && env_truthy(cfg->disabled_env))
		decide_env(out, cfg->disabled_env);
	else if (cfg->tracking_env && env_tracking_off(cfg->tracking_env))
		decide_env(out, cfg->tracking_env);
	else if (env_truthy("DO_NOT_TRACK"))
		decide_env(out, "DO_NOT_TRACK");
	else if (cfg->ci_skip && env_ci())
		decide(out, false, "ci");
	else {
		choices = persisted_doc(cfg->state_dir);
		int persisted = enabled_of(choices);
		if (persisted >= 0)
			decide(out, persisted == 1, "config");
		else
			decide(out, cfg->consent_default_on, "default");
	}
	/* Nothing can be recorded without a backend, whatever the chain said. */
	if (out->enabled && !cfg->backend_ready)
		decide(out, false, "no-backend");
	decide_level(cfg, choices, out); /* on means the chain reached the person's choice */
	json_decref(choices);
}

bool consent_allows(const struct conf *cfg)
{
	return consent_records(cfg, true);
}

bool consent_records(const struct conf *cfg, bool failed)
{
	struct consent c;
	consent_decide(cfg, &c);
	trace("consent: %s (source %s)", c.enabled ? "on" : "off", c.source);
	if (!c.enabled)
		return false;
	if (c.level == REPORT_ERRORS && !failed) {
		trace("level errors (source %s): a successful run records nothing", c.level_source);
		return false;
	}
	return true;
}
