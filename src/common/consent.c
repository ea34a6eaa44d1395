/* consent.c — whether reporting is on, and which setting decided (SPEC §4.3, §4.4). */
#include "config.h"
#include "consent.h"
#include "fsutil.h"
#include "trace.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#define CONSENT_FILE "consent.json"

bool env_truthy(const char *name)
{
	static const char *const falsy[] = {"0", "false", NULL};
	const char *v = env_nonempty(name);
	return v && !word_in(v, falsy);
}

static bool env_tracking_off(const char *name)
{
	static const char *const off[] = {"0", "false", "no", "off", NULL};
	const char *v = env_nonempty(name);
	return v && word_in(v, off);
}

bool ci_detected(void)
{
	static const char *const vars[] = {
		"CI", "CONTINUOUS_INTEGRATION", "BUILD_NUMBER", "BUILD_ID", "RUN_ID", "CI_NAME",
		"GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD", "JENKINS_URL", "BUILDKITE", "CIRCLECI",
		"TRAVIS", "TEAMCITY_VERSION", "CODEBUILD_BUILD_ARN", "BITBUCKET_COMMIT", NULL,
	};
	const char *ci = getenv("CI");
	if (ci && strcmp(ci, "false") == 0)
		return false;
	for (const char *const *v = vars; *v; v++)
		if (env_nonempty(*v))
			return true;
	return false;
}

int consent_persisted(const char *state_dir)
{
	char *path = path_join(state_dir, CONSENT_FILE);
	char *text = NULL;
	size_t len = 0;
	int result = -1;
	if (fs_read_file(path, 4096, &text, &len) == 0) {
		json_t *doc = json_loadb(text, len, 0, NULL);
		json_t *on = json_object_get(doc, "enabled");
		if (json_is_boolean(on))
			result = json_is_true(on);
		json_decref(doc);
	}
	free(text);
	free(path);
	return result;
}

int consent_persist(const char *state_dir, bool on)
{
	if (fs_safe_dir(state_dir, true) != 0)
		return -1;
	char stamp[RFC3339_LEN];
	format_rfc3339_ms(now_ms(), stamp, sizeof stamp);
	json_t *doc = json_pack("{s:b, s:s}", "enabled", on, "changed_at", stamp);
	int rc = fs_write_json(state_dir, CONSENT_FILE, doc, JSON_INDENT(2), FS_SYNC_ALL);
	json_decref(doc);
	return rc;
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

bool consent_project_file(const char *name, char *out)
{
	char dir[PATH_MAX];
	if (!getcwd(dir, sizeof dir) || dir[0] != '/')
		return false;
	for (int depth = 0; depth < MAX_PROJECT_DEPTH; depth++) {
		struct stat st;
		int n = snprintf(out, PATH_MAX, "%s/%s", strcmp(dir, "/") ? dir : "", name);
		if (n > 0 && n < PATH_MAX && lstat(out, &st) == 0)
			return true;
		char *slash = strrchr(dir, '/');
		if (!slash || !strcmp(dir, "/"))
			break;
		slash[slash == dir] = '\0'; /* "/a" becomes "/", "/a/b" becomes "/a" */
	}
	return false;
}

void consent_decide(const struct conf *cfg, struct consent *out)
{
	char project[PATH_MAX];
	memset(out, 0, sizeof *out);
	if (cfg->policy_off || (cfg->policy_ci_skip && ci_detected()))
		decide(out, false, "policy");
	else if (cfg->project_file && consent_project_file(cfg->project_file, project))
		snprintf(out->source, sizeof out->source, "project:%s", project);
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
	else if (cfg->ci_skip && ci_detected())
		decide(out, false, "ci");
	else {
		int persisted = consent_persisted(cfg->state_dir);
		if (persisted >= 0)
			decide(out, persisted == 1, "config");
		else
			decide(out, cfg->consent_default_on, "default");
	}
	/* Nothing can be recorded without a backend, whatever the chain said. */
	if (out->enabled && !cfg->backend_ready)
		decide(out, false, "no-backend");
}

bool consent_allows(const struct conf *cfg)
{
	struct consent c;
	consent_decide(cfg, &c);
	trace("consent: %s (source %s)", c.enabled ? "on" : "off", c.source);
	return c.enabled;
}
