/* event.h — one usage event (design.md §2): what a run's facts become, before any identity. The
 * queue record that carries it to the sender is record.h's. */
#ifndef USAGE_REPORT_EVENT_H
#define USAGE_REPORT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "conf.h"
#include "uuid.h"

/* Events larger than this, serialised, are dropped at capture. */
#define MAX_EVENT_BYTES (900 * 1024)

/* One --property: its value is a JSON string (KEY=VALUE) or any JSON value (KEY:=JSON). */
struct prop {
	char *key;
	json_t *value; /* owned */
};

/* Longest --command / --event, in bytes. */
#define MAX_COMMAND_BYTES 200
/* Most --property options one event takes. */
#define MAX_PROPERTIES 64
/* Longest --property value (the JSON text for KEY:=JSON), in bytes. */
#define MAX_PROPERTY_BYTES 1000
/* Longest --error-type. */
#define MAX_ERROR_TYPE_BYTES 64
/* What exec puts in PROGRAM's environment: "APP:UUID" of its event (design.md §4.6). */
#define EXEC_PARENT_ENV "USAGE_REPORT_PARENT"

struct event_input {
	char uuid[UUID_STR_LEN];        /* minted in advance (exec), or "" to mint at capture */
	char parent_uuid[UUID_STR_LEN]; /* the enclosing exec's event of the same app, or "" */
	char *command;
	bool has_duration;
	long long duration_ms; /* already rounded half to even */
	bool has_exit_code;
	int exit_code;
	bool has_error;
	char *error; /* raw; scrubbed by event_build() */
	char *cli_version;
	char *event_name; /* --event: replaces the configured success/failure name */
	char *error_type; /* --error-type: marks the run failed, like --error */
	long long rate_limited; /* events not recorded before this one ([events] max_per_minute) */
	struct prop *props;
	size_t n_props;
};

/* Whether key names a property the tool sets itself (or PostHog reads), which --property
 * may not use. */
bool event_builtin_property(const char *key);

/* Whether key names an attribute the Datadog intake reserves, or a field of the log this
 * tool writes (design.md §5.2): with that backend, --property may not use it. Any case. */
bool event_datadog_reserved(const char *key);

/* Whether the run failed by the caller's word (--error or --error-type). */
bool event_failed(const struct event_input *in);

/* The exit code recorded: --exit-code, else 1 for a failed run, else 0. */
int event_exit_code(const struct event_input *in);

/* "success", "failure" or "cancelled". */
const char *event_outcome(const struct event_input *in);

/* PostHog's $os for a uname sysname ("Linux", "Mac OS X", "Windows", else the sysname). */
const char *event_posthog_os(const char *sysname);

/* Parse "123" or "123.456" milliseconds and round half to even, exactly (on the digits,
 * never through floating point). 0 on success, -1 when s is not of that form. */
int parse_duration(const char *s, long long *ms);

/* The PostHog event object for in, minus distinct_id: event, uuid, timestamp, properties.
 * New reference. */
json_t *event_build(const struct conf *cfg, const struct event_input *in);

/* The $create_alias event for principal ← anon_id, minus distinct_id. New reference. */
json_t *event_build_alias(void);

void event_input_free(struct event_input *in);

#endif
