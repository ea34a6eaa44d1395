/* consent.h — whether reporting is on, and which setting decided (design.md §4.3, §4.4). */
#ifndef USAGE_REPORT_CONSENT_H
#define USAGE_REPORT_CONSENT_H

#include <limits.h>
#include <stdbool.h>

#include "conf.h"

/* "project:" and a path, at most. */
#define CONSENT_SOURCE_LEN (PATH_MAX + 16)

/* The source when a [consent] value is malformed: reporting is off until it is mended
 * (conf.consent_invalid says which key). */
#define CONSENT_SOURCE_INVALID "invalid-config"

/* The variable that sets the level for one environment (it beats the person's choice). */
#define CONSENT_LEVEL_ENV "USAGE_REPORT_LEVEL"

struct consent {
	bool enabled;
	char source[CONSENT_SOURCE_LEN]; /* policy, project:PATH, invalid-config, env:NAME, ci, config, default, no-backend */
	const char *env_switch; /* when an environment variable keeps reporting off, its name */
	enum report_level level;  /* what is recorded while on */
	const char *level_source; /* env:USAGE_REPORT_LEVEL, config (the person's), default (the host's) */
};

/* The persisted choice in state_dir: 1 on, 0 off, -1 never chosen (or unreadable). */
int consent_persisted(const char *state_dir);
/* Persist the choice (creating state_dir; the level is kept). 0, or -1 with errno. */
int consent_persist(const char *state_dir, bool on);
/* Persist the level (creating state_dir; on or off is kept). 0, or -1 with errno. */
int consent_persist_level(const char *state_dir, enum report_level level);

/* Look for project_file in the working folder and every folder above it, up to the root,
 * however deep (through "..", so a working folder whose path is too long for getcwd() is
 * walked too; one whose folder was removed is walked from $PWD's parent). 1: found, its
 * path in out (PATH_MAX bytes: absolute when getcwd() can say it); 0: not there; -1: the walk
 * could not finish (a folder above cannot be searched, a path too long even relative), and
 * out says where: the caller fails closed. Two stat calls per folder. */
int consent_project_file(const char *name, char *out);

/* Walk the precedence chain, and while on, the level's. Reads the environment, the working
 * folder's ancestry for a project_file, and the persisted choices. */
void consent_decide(const struct conf *cfg, struct consent *out);

/* consent_decide() plus its --debug trace; whether reporting is on. */
bool consent_allows(const struct conf *cfg);
/* Whether a run is recorded: reporting is on, and at level errors the run failed (a login
 * or logout counts as failed here: the identity must follow it). Traced like consent_allows. */
bool consent_records(const struct conf *cfg, bool failed);

#endif
