/* consent.h — whether reporting is on, and which setting decided (SPEC §4.3, §4.4). */
#ifndef USAGE_REPORT_CONSENT_H
#define USAGE_REPORT_CONSENT_H

#include <stdbool.h>

#include "conf.h"

struct consent {
	bool enabled;
	char source[96]; /* default, config, env:NAME, ci, no-backend */
	const char *env_switch; /* when an environment variable keeps reporting off, its name */
};

/* The persisted choice in state_dir: 1 on, 0 off, -1 never chosen (or unreadable). */
int consent_persisted(const char *state_dir);
/* Persist the choice (creating state_dir). 0, or -1 with errno. */
int consent_persist(const char *state_dir, bool on);

/* Walk the precedence chain. Reads only the environment and the persisted choice. */
void consent_decide(const struct conf *cfg, struct consent *out);

/* consent_decide() plus its --debug trace; whether reporting is on. */
bool consent_allows(const struct conf *cfg);

/* SPEC §4.4. */
bool ci_detected(void);

/* "set to anything but empty, 0, false" */
bool env_truthy(const char *name);

#endif
