/* identity.h — usage.json: the anonymous id and the linked principal (design.md §4.1).
 *
 * Reads need no lock (writers replace the file atomically). Every read-modify-write holds
 * an exclusive flock on "usage.json.lock" beside the file. Keys this tool does not know are
 * preserved. */
#ifndef USAGE_REPORT_IDENTITY_H
#define USAGE_REPORT_IDENTITY_H

#include <stdbool.h>

#include <jansson.h>

#include "util.h"
#include "uuid.h"

/* The whole usage.json object, owned (release with identity_release()). Its type is
 * incomplete outside identity.c, which alone reads and edits it: every other module goes
 * through the functions below (tests/layout.bats checks that it cannot do otherwise). */
struct identity_doc;
struct identity {
	struct identity_doc *doc;
};

/* Our own bookkeeping inside usage.json (link source and time, credentials fingerprint). */
#define IDENTITY_META_KEY "usage_report"

const char *identity_anon(const struct identity *id);
const char *identity_principal(const struct identity *id); /* NULL when not linked */
json_t *identity_meta(const struct identity *id);           /* borrowed; NULL when absent */

/* Parse a usage.json document; 0, or -1 with EINVAL when it is not a valid identity. */
int identity_parse(const char *text, size_t len, struct identity *out);

/* Read the file without locking, never blocking. -1 with ENOENT when missing, EINVAL when
 * its content is not an identity, and any other errno when it cannot be read (EACCES,
 * EMFILE, EIO; EISDIR or ENXIO when it is not a regular file). */
int identity_read(const char *path, struct identity *out);

/* Edits doc in place under the lock; returns 1 when it changed something, 0 when not. */
typedef int (*identity_edit_fn)(json_t *doc, void *arg);

/* Under the lock (waited for at most 2 s): read the file (a missing one becomes a fresh
 * identity and sets *created; a regular file whose content is wrong is kept as
 * usage.json.corrupt and replaced), apply edit (may be NULL), and write it back
 * atomically if anything changed. On success *out holds the result.
 *
 * shared: the file lies outside our state folder (a configured identity_file). There a
 * wrong content is replaced only when the file looks like ours, and never otherwise
 * (EEXIST). A file that cannot be read or is not a regular file is never touched: -1 with
 * identity_read()'s errno. */
int identity_update(const char *path, bool shared, identity_edit_fn edit, void *arg, bool *created,
                    struct identity *out);

/* The same, for the foreground, which never waits: -1 with ETIMEDOUT when another process
 * holds the lock. */
int identity_try_update(const char *path, bool shared, identity_edit_fn edit, void *arg, bool *created,
                        struct identity *out);

/* A fresh identity in memory only: a new anon id, no account. */
void identity_new(struct identity *out);

/* A fresh identity at path, made without a lock (the file appears whole, by link): of
 * several first runs at once exactly one makes it, and the others read theirs. 0, or -1
 * with errno (identity_read()'s when the file that won cannot be read). */
int identity_create(const char *path, struct identity *out);

/* What identity_edit_link() is asked to do, and what it did. */
struct link_request {
	const char *expect_anon; /* only edit while the identity still has this anon id (NULL: any) */
	const char *principal;   /* the resolved account; NULL records a failed resolution */
	const char *via;         /* "login", "auth" or "lazy" */
	const char *fingerprint; /* of the credentials file, or NULL */
	const char *signature;   /* the credentials file's stat signature, or NULL */
	const char *fresh_anon;  /* the anon id a switch from another account takes (NULL: a new one) */
	bool matched;            /* out: the identity still had expect_anon */
	bool alias_needed;       /* out: a new link, so principal <- anon must be aliased */
	char anon[UUID_STR_LEN];           /* out: the anon id to alias (fresh after an account switch) */
};

/* Link doc to req->principal. Same principal: only the fingerprint is refreshed. Another
 * principal already linked: the anon id is replaced first, so one device id is never
 * aliased to two accounts. A NULL principal records the failure and its time. */
int identity_edit_link(json_t *doc, void *link_request);
int identity_edit_reset(json_t *doc, void *unused); /* new anon id, link cleared */
/* The intake acknowledged the alias req->principal <- req->anon: remember it, when the
 * identity is still that link. */
int identity_edit_aliased(json_t *doc, void *link_request);
/* The intake refused that alias for good (a 4xx): it is not sent again. */
int identity_edit_alias_refused(json_t *doc, void *link_request);
bool identity_alias_refused(const struct identity *id);
/* Whether a run captured with the credentials file in this state (its stat signature) needs
 * no account resolved from it: the identity was linked with these very credentials, or by
 * an explicit login --principal-id, or these are the credentials a logout ended. */
bool identity_covers_credentials(const struct identity *id, const char *signature);
/* The fingerprint of the credentials the link was resolved from, or NULL. */
const char *identity_credentials_fingerprint(const struct identity *id);
/* Whether a logout ended a login made with the credentials file in this state (its
 * fs_stat_signature()): the sender does not link it again. */
bool identity_logged_out_with(const struct identity *id, const char *signature);
/* Whether resolving credentials with this fingerprint failed at or after since_ms (wall). */
bool identity_failed_since(const struct identity *id, const char *fingerprint, int64_t since_ms);
/* Whether the linked principal's alias was acknowledged: only then do events captured
 * before the link go out under the principal (design.md §4.2). */
bool identity_aliased(const struct identity *id);
/* Where a logout's reset waits while usage.json cannot be rewritten (a full disk, a lock
 * held): {"anon_id": the fresh id, "logged_out_credentials"}. */
#define IDENTITY_RESET_FILE "reset.json"

/* logout (design.md §4.2): a fresh anon id, the link cleared, and the credentials file's state
 * (its fs_stat_signature(), or NULL) remembered so that the sender does not link the same
 * login again. When usage.json cannot be rewritten now, the reset waits in
 * IDENTITY_RESET_FILE and *out is the identity as it will be (it never waits for the lock:
 * the foreground's). 0 done, 1 waiting, -1 with errno when not even that could be written. */
int identity_logout(const char *path, bool shared, const char *state_dir, const char *signature,
                    struct identity *out);

/* Apply a reset that waits (every run calls this before it reads the identity; wait: for
 * the lock, as the sender may): 0 when none
 * waits (*out untouched), 2 when applied now (*out the result), 1 when it still waits (*out
 * the identity as it will be: no event captured meanwhile goes out under the old account). */
int identity_settle_reset(const char *path, bool shared, const char *state_dir, bool wait, struct identity *out);

/* Where logins wait while usage.json cannot be rewritten (its lock held), oldest first:
 * {"logins": [{"anon_id": the identity's when the login was captured, "principal",
 * "fresh_anon_id": the anon id the link takes if it replaces another account}]}. At most
 * IDENTITY_LOGINS_MAX. Its writers (a waiting login, and a run that settles them) hold the
 * flock of IDENTITY_LOGIN_FILE.lock across the read and the write, so that none loses
 * another's login; each holds it for one small write. */
#define IDENTITY_LOGIN_FILE "login.json"
#define IDENTITY_LOGINS_MAX 16

/* login --principal-id when usage.json cannot be rewritten now (design.md §4.2): the link
 * waits in IDENTITY_LOGIN_FILE and *id becomes the identity as it will be, so that every
 * event captured meanwhile (the login's own included) carries the new account and the anon
 * id the link will keep. 0, or -1 with errno (*id untouched). */
int identity_login_waits(const char *state_dir, const char *principal, struct identity *id);

/* Called inside the lock, before usage.json is written, for a link that needs its alias
 * (req->anon, req->principal): the caller queues it, so that no event under the principal
 * is sent ahead of it. */
typedef void (*identity_alias_fn)(const struct link_request *req, void *arg);

/* Apply the logins that wait, in order (every run calls this after identity_settle_reset and
 * reading *id; wait: for the lock, as the sender may). A login whose identity has moved on
 * since (a logout) is skipped: the sender aliases its events on their own. 0 when none
 * waits (*id untouched), 2 when applied now (*id the result), 1 when they still wait (*id
 * the identity as it will be). */
int identity_settle_logins(const char *path, bool shared, const char *state_dir, bool wait, identity_alias_fn alias,
                           void *alias_arg, struct identity *id);

void identity_release(struct identity *id);

/* The ids this device was known by before its current identity (design.md §4.8), kept in
 * STATE_DIR/IDENTITY_EARLIER_FILE only so that `forget` can name them: {"anon_ids",
 * "principal_ids"}, each the newest IDENTITY_EARLIER_MAX, oldest first. A logout notes the
 * identity it ends (best effort: 0, or -1 with errno); forget reads them (a new object, its
 * lists empty when none) and then clears them. */
#define IDENTITY_EARLIER_FILE "earlier_ids.json"
#define IDENTITY_EARLIER_MAX 100
int identity_note_earlier(const char *state_dir, const struct identity *id);
json_t *identity_earlier(const char *state_dir);
void identity_clear_earlier(const char *state_dir);

#endif
