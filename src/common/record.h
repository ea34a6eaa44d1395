/* record.h — the queue record: one event on its way to the sender (design.md §4.5).
 *
 * A record is {"v":1, "type", "anon_id", "principal", "event"}: the event without its
 * distinct_id, plus the identity it was captured under. The distinct_id is decided when the
 * event is sent (record_posthog_event), so an identity linked later (lazy linking) still
 * gets its pending events. This module alone writes, reads and checks that format: a
 * struct record is opaque everywhere else, so that no other module can read or change a
 * field of it but through the functions here (the compiler refuses).
 *
 * Calling sequence: record_new() (capture) or record_parse() (a queue file's text, by the
 * queue module) gives a record the caller owns; the accessors read and edit it;
 * record_text() serialises it for the queue; record_free() releases it. Functions that
 * return strings return borrowed ones, valid until the record changes or is freed. */
#ifndef USAGE_REPORT_RECORD_H
#define USAGE_REPORT_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "conf.h"
#include "identity.h"
#include "session.h"

#define RECORD_VERSION 1

/* Record types. */
#define RECORD_EVENT "event"
#define RECORD_ALIAS "alias"
#define RECORD_LOGIN "login" /* a login event whose principal the sender must resolve */

/* A record: opaque outside record.c. */
struct record;

/* Wrap event (reference stolen) in a record captured under anon_id / principal (nullable). */
struct record *record_new(const char *type, const char *anon_id, const char *principal, json_t *event);
/* The record a queue file's text holds, or NULL when it holds none this version can send. */
struct record *record_parse(const char *text, size_t len);
/* Its text for a queue file (compact JSON), malloc'd; NULL when out of memory. */
char *record_text(const struct record *record);
/* Release it (NULL is fine). */
void record_free(struct record *record);

/* The credentials copy (credsnap.h) a record was captured with, whose account the sender
 * must still resolve; NULL when none. Borrowed. */
const char *record_credentials(const struct record *record);
/* Name it (NULL: the account is resolved, the record no longer needs it). */
void record_set_credentials(struct record *record, const char *name);
/* The account the record's event was captured under (NULL: anonymous); set it, with the
 * anonymous id it goes with, once resolved. */
const char *record_principal_captured(const struct record *record);
void record_set_identity(struct record *record, const char *anon_id, const char *principal);
/* Mark the record (a logout's) as the last of its session. */
void record_set_ends_session(struct record *record);
/* Mark the record (forget's) as one the person asked to send: never held by the notice,
 * sent even after the disable that may follow it. Whether it is. */
void record_set_forced(struct record *record);
bool record_forced(const struct record *record);

/* The record's anonymous id. Borrowed. */
const char *record_anon(const struct record *record);

/* The record's type (RECORD_*), or "". Borrowed. */
const char *record_type(const struct record *record);
/* A queued login or a resolved record becomes a plain event (RECORD_EVENT). */
void record_set_type(struct record *record, const char *type);

/* The capture time of the record's event in ms since the epoch, -1 when it has none (0 is a
 * time: a clock before 1970 captures at 1970-01-01T00:00:00.000Z). */
int64_t record_time_ms(const struct record *record);

/* The $session_id of the record's event, advancing *session (session.h), and ending it after
 * a record that ends its session; NULL for an alias or a record without a time. */
const char *record_session(const struct record *record, struct session *session);

/* The event as PostHog receives it, with distinct_id and $process_person_profile decided
 * for the identity current (may be NULL), and session_id (may be NULL) as $session_id.
 * New reference. */
json_t *record_posthog_event(const struct record *record, const struct identity *current, const char *session_id);

/* The Datadog logs intake discards logs dated further back than this. */
#define DATADOG_MAX_AGE_MS (18LL * 3600 * 1000)

/* The same facts as a Datadog log object (design.md §5.2), as sent at now (ms): an event older
 * than DATADOG_MAX_AGE_MS has no "date" (the intake stamps it) but "captured_at". New
 * reference. */
json_t *record_datadog_log(const struct record *record, const struct identity *current, const struct conf *cfg,
                          int64_t now);

/* The same facts as one OTLP LogRecord in its JSON encoding (design.md §5.4), as the official
 * OpenTelemetry exporters write it: times in ns as strings, severity INFO 9 / ERROR 17, the
 * event name, body "<command> <outcome>", every event property as a typed attribute (less
 * PostHog's processing flags), event.id, and user.id (linked) or device.id; session_id,
 * when not NULL, as $session_id. New reference. */
json_t *record_otlp_log(const struct record *record, const struct identity *current, const char *session_id);

/* The record as the configured backend receives it (record_posthog_event for PostHog and
 * the file backend, record_datadog_log, record_otlp_log), with its $session_id advancing
 * *session, as sent at now (ms). New reference. */
json_t *record_for_backend(const struct record *record, const struct conf *cfg, const struct identity *current,
                           struct session *session, int64_t now);

/* A JSON value as an OTLP AnyValue ({"stringValue"}, {"intValue"}, {"doubleValue"},
 * {"boolValue"}, {"arrayValue"}, {"kvlistValue"}, {} for null). New reference. */
json_t *record_otlp_value(const json_t *value);

/* The record's event uuid (borrowed), or "". */
const char *record_uuid(const struct record *record);

#endif
