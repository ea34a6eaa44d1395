/* identity.c — usage.json: the anonymous id and the linked principal (design.md §4.1). */
#include "config.h"
#include "identity.h"
#include "fsutil.h"
#include "util.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_IDENTITY_BYTES (1024 * 1024)
#define IDENTITY_LOCK_WAIT_MS 2000
/* How long a login waits for another login.json writer's read and write (one small file); a
 * run that finds it busy leaves the applied logins there, to be found done next time. */
#define LOGIN_LOCK_WAIT_MS 200

/* struct identity's document as the JSON it is (identity.h keeps its type incomplete). */
#define DOC(id) ((json_t *)(id)->doc)
#define AS_DOC(json) ((struct identity_doc *)(json))

static int update(const char *path, bool shared, identity_edit_fn edit, void *arg, bool *created,
                  struct identity *out, int wait_ms);

const char *identity_anon(const struct identity *id)
{
	return json_string_value(json_object_get(DOC(id), "anon_id"));
}

const char *identity_principal(const struct identity *id)
{
	return json_string_value(json_object_get(DOC(id), "linked_principal_id"));
}

json_t *identity_meta(const struct identity *id)
{
	json_t *meta = json_object_get(DOC(id), IDENTITY_META_KEY);
	return json_is_object(meta) ? meta : NULL;
}

static bool valid_id(json_t *v)
{
	const char *s = json_string_value(v);
	return s && *s && strlen(s) <= 200;
}

int identity_parse(const char *text, size_t len, struct identity *out)
{
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *link = json_object_get(doc, "linked_principal_id");
	if (!json_is_object(doc) || !valid_id(json_object_get(doc, "anon_id")) ||
	    (link && !json_is_null(link) && !valid_id(link))) {
		json_decref(doc);
		errno = EINVAL;
		return -1;
	}
	if (!link)
		json_object_set_new(doc, "linked_principal_id", json_null());
	out->doc = AS_DOC(doc);
	return 0;
}

int identity_read(const char *path, struct identity *out)
{
	char *text = NULL;
	size_t len = 0;
	if (fs_read_file(path, MAX_IDENTITY_BYTES, &text, &len) != 0) {
		if (errno == EFBIG)
			errno = EINVAL; /* a regular file too large to be an identity: its content is wrong */
		return -1;
	}
	int rc = identity_parse(text, len, out);
	free(text);
	return rc;
}

/* Whether the regular file at path, whose content is not an identity, may be replaced:
 * it lives in our own state folder, we wrote it before (its lock file existed), or it is
 * empty or an object with an "anon_id" member as ours are. Anything else may belong to
 * another program (an identity_file set to the host's own file) and is left alone. */
static bool replaceable(const char *path, bool shared, bool had_lock)
{
	if (!shared || had_lock)
		return true;
	char *text = NULL;
	size_t len = 0;
	if (fs_read_file(path, MAX_IDENTITY_BYTES, &text, &len) != 0)
		return false;
	json_t *doc = len ? json_loadb(text, len, 0, NULL) : NULL;
	bool ours = len == 0 || json_object_get(doc, "anon_id") != NULL;
	json_decref(doc);
	free(text);
	return ours;
}

static json_t *fresh_doc(void)
{
	char anon[UUID_STR_LEN];
	uuid_v4(anon);
	return json_pack("{s:s, s:n}", "anon_id", anon, "linked_principal_id");
}

int identity_edit_reset(json_t *doc, void *unused)
{
	char anon[UUID_STR_LEN];
	uuid_v4(anon);
	json_object_set_new(doc, "anon_id", json_string(anon));
	json_object_set_new(doc, "linked_principal_id", json_null());
	json_object_del(doc, IDENTITY_META_KEY);
	return 1;
}

int identity_edit_link(json_t *doc, void *arg)
{
	struct link_request *req = arg;
	const char *anon = json_string_value(json_object_get(doc, "anon_id"));
	const char *current = json_string_value(json_object_get(doc, "linked_principal_id"));
	char stamp[RFC3339_LEN];
	format_rfc3339_ms(now_ms(), stamp, sizeof stamp);
	req->alias_needed = false;
	req->matched = !req->expect_anon || (anon && strcmp(anon, req->expect_anon) == 0);
	if (!req->matched)
		return 0; /* reset since the request was made: leave the new identity alone */

	json_t *meta = json_object_get(doc, IDENTITY_META_KEY);
	if (!json_is_object(meta)) {
		meta = json_object();
		json_object_set_new(doc, IDENTITY_META_KEY, meta);
	}
	if (!req->principal) {
		json_object_set_new(meta, "resolve_failed_at", json_string(stamp));
		json_object_set_new(meta, "failed_fingerprint", req->fingerprint ? json_string(req->fingerprint) : json_null());
		return 1;
	}
	json_object_del(meta, "resolve_failed_at");
	json_object_del(meta, "failed_fingerprint");
	if (req->fingerprint)
		json_object_set_new(meta, "credentials_fingerprint", json_string(req->fingerprint));
	if (req->signature)
		json_object_set_new(meta, "credentials_signature", json_string(req->signature));
	if (current && strcmp(current, req->principal) == 0)
		return 1;
	if (current) {
		identity_edit_reset(doc, NULL); /* another account: a fresh anonymous id first */
		if (req->fresh_anon)
			json_object_set_new(doc, "anon_id", json_string(req->fresh_anon));
		meta = json_object();
		if (req->fingerprint)
			json_object_set_new(meta, "credentials_fingerprint", json_string(req->fingerprint));
		if (req->signature)
			json_object_set_new(meta, "credentials_signature", json_string(req->signature));
		json_object_set_new(doc, IDENTITY_META_KEY, meta);
	}
	json_object_set_new(doc, "linked_principal_id", json_string(req->principal));
	json_object_set_new(meta, "linked_via", json_string(req->via));
	json_object_set_new(meta, "linked_at", json_string(stamp));
	snprintf(req->anon, sizeof req->anon, "%s", json_string_value(json_object_get(doc, "anon_id")));
	req->alias_needed = true;
	return 1;
}

/* Note in meta[key] the principal of an alias the intake answered, while the identity is
 * still that link. */
static int mark_alias(json_t *doc, const struct link_request *req, const char *key)
{
	const char *anon = json_string_value(json_object_get(doc, "anon_id"));
	const char *linked = json_string_value(json_object_get(doc, "linked_principal_id"));
	json_t *meta = json_object_get(doc, IDENTITY_META_KEY);
	if (!anon || !linked || !json_is_object(meta) || strcmp(anon, req->anon) != 0 ||
	    strcmp(linked, req->principal) != 0)
		return 0; /* linked elsewhere since: this alias says nothing about the identity */
	json_object_set_new(meta, key, json_string(req->principal));
	return 1;
}

int identity_edit_aliased(json_t *doc, void *arg)
{
	return mark_alias(doc, arg, "aliased");
}

int identity_edit_alias_refused(json_t *doc, void *arg)
{
	return mark_alias(doc, arg, "alias_refused");
}

bool identity_covers_credentials(const struct identity *id, const char *signature)
{
	json_t *meta = identity_meta(id);
	const char *linked_sig = json_string_value(json_object_get(meta, "credentials_signature"));
	const char *via = json_string_value(json_object_get(meta, "linked_via"));
	if (identity_logged_out_with(id, signature))
		return true;
	if (!identity_principal(id))
		return false;
	if (linked_sig)
		return strcmp(linked_sig, signature) == 0;
	return via && strcmp(via, "login") == 0; /* an explicit account wins over the credentials */
}

const char *identity_credentials_fingerprint(const struct identity *id)
{
	return json_string_value(json_object_get(identity_meta(id), "credentials_fingerprint"));
}

bool identity_logged_out_with(const struct identity *id, const char *signature)
{
	const char *logged_out = json_string_value(json_object_get(identity_meta(id), "logged_out_credentials"));
	return logged_out && strcmp(logged_out, signature) == 0;
}

bool identity_failed_since(const struct identity *id, const char *fingerprint, int64_t since_ms)
{
	json_t *meta = identity_meta(id);
	const char *failed_fp = json_string_value(json_object_get(meta, "failed_fingerprint"));
	const char *failed_at = json_string_value(json_object_get(meta, "resolve_failed_at"));
	int64_t failed_ms = 0;
	return failed_fp && failed_at && strcmp(failed_fp, fingerprint) == 0 &&
	       parse_rfc3339_ms(failed_at, &failed_ms) == 0 && failed_ms > since_ms;
}

bool identity_alias_refused(const struct identity *id)
{
	const char *linked = identity_principal(id);
	const char *refused = json_string_value(json_object_get(identity_meta(id), "alias_refused"));
	return linked && refused && strcmp(linked, refused) == 0;
}

bool identity_aliased(const struct identity *id)
{
	const char *linked = identity_principal(id);
	const char *aliased = json_string_value(json_object_get(identity_meta(id), "aliased"));
	return linked && aliased && strcmp(linked, aliased) == 0;
}

/* A logout's reset, to this anon id (design.md §4.2). */
struct logout_reset {
	const char *anon;
	const char *signature; /* of the credentials file at logout, or NULL */
};

static int edit_logout(json_t *doc, void *arg)
{
	const struct logout_reset *r = arg;
	identity_edit_reset(doc, NULL);
	json_object_set_new(doc, "anon_id", json_string(r->anon));
	if (r->signature)
		json_object_set_new(doc, IDENTITY_META_KEY, json_pack("{s:s}", "logged_out_credentials", r->signature));
	return 1;
}

/* The reset waiting in STATE_DIR/IDENTITY_RESET_FILE (NULL when none). */
static json_t *pending_reset(const char *state_dir)
{
	json_t *doc = fs_read_json(state_dir, IDENTITY_RESET_FILE, 4096);
	const char *anon = json_string_value(json_object_get(doc, "anon_id"));
	if (!anon || !uuid_text_valid(anon)) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static int apply_reset(const char *path, bool shared, const char *state_dir, const struct logout_reset *r,
                       struct identity *out, int wait_ms)
{
	if (update(path, shared, edit_logout, (void *)r, NULL, out, wait_ms) != 0)
		return -1;
	char *pending = path_join(state_dir, IDENTITY_RESET_FILE);
	(void)unlink(pending);
	free(pending);
	return 0;
}

int identity_logout(const char *path, bool shared, const char *state_dir, const char *signature,
                    struct identity *out)
{
	char anon[UUID_STR_LEN];
	uuid_v4(anon);
	struct logout_reset r = {anon, signature};
	if (apply_reset(path, shared, state_dir, &r, out, 0) == 0) /* the foreground never waits */
		return 0;
	int saved = errno;
	json_t *doc = json_pack("{s:s, s:s?}", "anon_id", anon, "logged_out_credentials", signature);
	int rc = fs_write_json(state_dir, IDENTITY_RESET_FILE, doc, JSON_COMPACT, FS_SYNC_ALL);
	out->doc = AS_DOC(rc == 0 ? json_pack("{s:s, s:n}", "anon_id", anon, "linked_principal_id") : NULL);
	json_decref(doc);
	errno = saved;
	return rc == 0 ? 1 : -1;
}

int identity_settle_reset(const char *path, bool shared, const char *state_dir, bool wait, struct identity *out)
{
	json_t *doc = pending_reset(state_dir);
	if (!doc)
		return 0;
	struct logout_reset r = {json_string_value(json_object_get(doc, "anon_id")),
	                         json_string_value(json_object_get(doc, "logged_out_credentials"))};
	int rc = apply_reset(path, shared, state_dir, &r, out, wait ? IDENTITY_LOCK_WAIT_MS : 0) == 0 ? 2 : 1;
	if (rc == 1) /* still not: the identity as it will be */
		out->doc = AS_DOC(json_pack("{s:s, s:n, s:{s:s?}}", "anon_id", r.anon, "linked_principal_id",
		                            IDENTITY_META_KEY, "logged_out_credentials", r.signature));
	json_decref(doc);
	return rc;
}

/* The logins waiting in STATE_DIR/IDENTITY_LOGIN_FILE: its "logins" array when every entry is
 * whole, else NULL (none waits, or a file we did not write). */
static json_t *pending_logins(const char *state_dir)
{
	json_t *doc = fs_read_json(state_dir, IDENTITY_LOGIN_FILE, 8192);
	json_t *logins = json_incref(json_object_get(doc, "logins"));
	json_decref(doc);
	size_t i;
	json_t *login;
	json_array_foreach(logins, i, login) {
		const char *anon = json_string_value(json_object_get(login, "anon_id"));
		const char *fresh = json_string_value(json_object_get(login, "fresh_anon_id"));
		const char *principal = json_string_value(json_object_get(login, "principal"));
		if (!anon || !uuid_text_valid(anon) || !fresh || !uuid_text_valid(fresh) || !principal || !*principal) {
			json_decref(logins);
			return NULL;
		}
	}
	if (!json_is_array(logins) || json_array_size(logins) == 0 || json_array_size(logins) > IDENTITY_LOGINS_MAX) {
		json_decref(logins);
		return NULL;
	}
	return logins;
}

/* The link a waiting login asks for. */
static struct link_request login_request(const json_t *login)
{
	return (struct link_request){.expect_anon = json_string_value(json_object_get(login, "anon_id")),
	                             .principal = json_string_value(json_object_get(login, "principal")),
	                             .fresh_anon = json_string_value(json_object_get(login, "fresh_anon_id")),
	                             .via = "login"};
}

struct logins_edit {
	json_t *logins;
	identity_alias_fn alias;
	void *alias_arg;
};

/* Each waiting login in turn: the identity as they leave it. */
static int edit_logins(json_t *doc, void *arg)
{
	struct logins_edit *e = arg;
	int changed = 0;
	size_t i;
	json_t *login;
	json_array_foreach(e->logins, i, login) {
		struct link_request req = login_request(login);
		changed |= identity_edit_link(doc, &req);
		if (req.alias_needed && e->alias)
			e->alias(&req, e->alias_arg);
	}
	return changed;
}

/* The flock of login.json (its sidecar), waited for up to wait_ms; the descriptor, or -1
 * with errno. */
static int lock_logins(const char *state_dir, int wait_ms)
{
	char *lock = xasprintf("%s/%s.lock", state_dir, IDENTITY_LOGIN_FILE);
	int fd = fs_lock_wait(lock, wait_ms);
	free(lock);
	return fd;
}

/* Write logins as login.json, or remove it when none is left (under its lock). */
static int save_logins(const char *state_dir, json_t *logins)
{
	if (json_array_size(logins) == 0) {
		char *file = path_join(state_dir, IDENTITY_LOGIN_FILE);
		int rc = unlink(file) == 0 || errno == ENOENT ? 0 : -1;
		free(file);
		return rc;
	}
	json_t *doc = json_pack("{s:O}", "logins", logins);
	int rc = fs_write_json(state_dir, IDENTITY_LOGIN_FILE, doc, JSON_COMPACT, FS_SYNC_ALL);
	json_decref(doc);
	return rc;
}

/* Add a login to login.json; the fresh anon id it was given into fresh. */
static int append_login(const char *state_dir, const char *anon, const char *principal, char fresh[UUID_STR_LEN])
{
	int lock = lock_logins(state_dir, LOGIN_LOCK_WAIT_MS);
	if (lock < 0)
		return -1;
	json_t *logins = pending_logins(state_dir);
	if (!logins)
		logins = json_array();
	int rc = -1;
	if (json_array_size(logins) >= IDENTITY_LOGINS_MAX)
		errno = ENOSPC;
	else {
		uuid_v4(fresh);
		json_array_append_new(logins,
		                      json_pack("{s:s, s:s, s:s}", "anon_id", anon, "principal", principal, "fresh_anon_id", fresh));
		rc = save_logins(state_dir, logins);
	}
	json_decref(logins);
	int saved_errno = errno;
	close(lock);
	errno = saved_errno;
	return rc;
}

/* Remove from login.json the logins applied (the first of it, as read before): a login added
 * since stays for the next run. */
static void remove_applied(const char *state_dir, const json_t *applied, bool wait)
{
	int lock = lock_logins(state_dir, wait ? LOGIN_LOCK_WAIT_MS : 0);
	if (lock < 0)
		return; /* left: applying them again finds them done (each link is idempotent) */
	json_t *logins = pending_logins(state_dir);
	size_t n = 0;
	while (n < json_array_size(applied) && n < json_array_size(logins) &&
	       json_equal(json_array_get(applied, n), json_array_get(logins, n)))
		n++;
	if (logins && n == json_array_size(applied)) {
		for (size_t i = 0; i < n; i++)
			json_array_remove(logins, 0);
		(void)save_logins(state_dir, logins);
	}
	json_decref(logins);
	close(lock);
}

int identity_login_waits(const char *state_dir, const char *principal, struct identity *id)
{
	char fresh[UUID_STR_LEN];
	int rc = append_login(state_dir, identity_anon(id), principal, fresh);
	if (rc == 0) { /* *id already holds the earlier ones: only this login is left to apply */
		struct link_request req = {.principal = principal, .via = "login", .fresh_anon = fresh};
		identity_edit_link(DOC(id), &req);
	}
	return rc;
}

int identity_settle_logins(const char *path, bool shared, const char *state_dir, bool wait, identity_alias_fn alias,
                           void *alias_arg, struct identity *id)
{
	struct logins_edit e = {pending_logins(state_dir), alias, alias_arg};
	if (!e.logins)
		return 0;
	struct identity now;
	int rc = 1;
	if (update(path, shared, edit_logins, &e, NULL, &now, wait ? IDENTITY_LOCK_WAIT_MS : 0) == 0) {
		remove_applied(state_dir, e.logins, wait);
		identity_release(id);
		*id = now;
		rc = 2;
	} else if (id->doc) {
		e.alias = NULL; /* still not: the identity as it will be */
		edit_logins(DOC(id), &e);
	}
	json_decref(e.logins);
	return rc;
}

/* doc as the file's text, replacing path (or only new, when it must not exist yet). */
static int write_doc(const char *path, json_t *doc, bool only_new)
{
	char *text = json_dumps(doc, JSON_INDENT(2));
	if (!text) {
		errno = ENOMEM;
		return -1;
	}
	size_t len = strlen(text);
	text = xrealloc(text, len + 2);
	text[len++] = '\n';
	int rc = only_new ? fs_write_new(path, text, len, FS_SYNC_ALL) : fs_write_atomic(path, text, len, FS_SYNC_ALL);
	free(text);
	return rc;
}

void identity_new(struct identity *out)
{
	out->doc = AS_DOC(fresh_doc());
}

int identity_create(const char *path, struct identity *out)
{
	char *copy = xstrdup(path);
	int rc = fs_mkdirs(dirname(copy), 0700);
	free(copy);
	if (rc != 0)
		return -1;
	struct identity fresh = {AS_DOC(fresh_doc())};
	rc = write_doc(path, DOC(&fresh), true);
	if (rc == 0) {
		*out = fresh;
		return 0;
	}
	identity_release(&fresh);
	return errno == EEXIST ? identity_read(path, out) : -1; /* another run made it first: theirs */
}

int identity_update(const char *path, bool shared, identity_edit_fn edit, void *arg, bool *created,
                    struct identity *out)
{
	return update(path, shared, edit, arg, created, out, IDENTITY_LOCK_WAIT_MS);
}

int identity_try_update(const char *path, bool shared, identity_edit_fn edit, void *arg, bool *created,
                        struct identity *out)
{
	return update(path, shared, edit, arg, created, out, 0);
}

static int update(const char *path, bool shared, identity_edit_fn edit, void *arg, bool *created,
                  struct identity *out, int wait_ms)
{
	char *copy = xstrdup(path);
	char *lock_path = xasprintf("%s.lock", path);
	int rc = -1, saved_errno = 0, lock = -1;
	bool changed = false;
	struct identity id = {0};

	if (created)
		*created = false;
	struct stat st;
	if (fs_mkdirs(dirname(copy), 0700) != 0)
		goto out;
	bool had_lock = lstat(lock_path, &st) == 0;
	/* Before a lock file is created beside it: a file we must leave alone gets no litter. */
	if (identity_read(path, &id) != 0 && errno != ENOENT &&
	    (errno != EINVAL || !replaceable(path, shared, had_lock))) {
		if (errno == EINVAL)
			errno = EEXIST;
		goto out;
	}
	identity_release(&id);
	lock = fs_lock_wait(lock_path, wait_ms);
	if (lock < 0)
		goto out;
	if (identity_read(path, &id) != 0) {
		if (errno == ENOENT) {
			if (created)
				*created = true;
		} else if (errno == EINVAL && replaceable(path, shared, had_lock)) {
			char *corrupt = xasprintf("%s.corrupt", path);
			(void)rename(path, corrupt); /* keep the bad copy for inspection */
			free(corrupt);
		} else {
			/* unreadable (permissions, no descriptor left, I/O error), not a regular
			 * file, or another program's (changed since the check above): left as it is */
			if (errno == EINVAL)
				errno = EEXIST;
			goto out;
		}
		id.doc = AS_DOC(fresh_doc());
		changed = true;
	}
	if (edit && edit(DOC(&id), arg) > 0)
		changed = true;
	if (changed && write_doc(path, DOC(&id), false) != 0)
		goto out;
	*out = id;
	id.doc = NULL;
	rc = 0;
out:
	saved_errno = errno;
	if (lock >= 0)
		close(lock);
	identity_release(&id);
	free(lock_path);
	free(copy);
	errno = saved_errno;
	return rc;
}

void identity_release(struct identity *id)
{
	json_decref(DOC(id));
	id->doc = NULL;
}

/* The valid ids of one list of the earlier-ids document into out. */
static void earlier_list(json_t *doc, const char *key, bool uuids, json_t *out)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(doc, key), i, v) {
		const char *text = json_string_value(v);
		if (text && (uuids ? uuid_text_valid(text) : *text != '\0'))
			json_array_append(out, v);
	}
}

json_t *identity_earlier(const char *state_dir)
{
	json_t *out = json_pack("{s:[], s:[]}", "anon_ids", "principal_ids");
	json_t *doc = fs_read_json(state_dir, IDENTITY_EARLIER_FILE, MAX_IDENTITY_BYTES);
	earlier_list(doc, "anon_ids", true, json_object_get(out, "anon_ids"));
	earlier_list(doc, "principal_ids", false, json_object_get(out, "principal_ids"));
	json_decref(doc);
	return out;
}

/* Add id to the list (once; the newest IDENTITY_EARLIER_MAX kept). */
static void earlier_add(json_t *list, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		if (!strcmp(json_string_value(v), id))
			return;
	}
	json_array_append_new(list, json_string(id));
	while (json_array_size(list) > IDENTITY_EARLIER_MAX)
		json_array_remove(list, 0);
}

int identity_note_earlier(const char *state_dir, const struct identity *id)
{
	json_t *doc = identity_earlier(state_dir);
	earlier_add(json_object_get(doc, "anon_ids"), identity_anon(id));
	if (identity_principal(id))
		earlier_add(json_object_get(doc, "principal_ids"), identity_principal(id));
	int rc = fs_write_json(state_dir, IDENTITY_EARLIER_FILE, doc, JSON_COMPACT, FS_SYNC_FILE);
	json_decref(doc);
	return rc;
}

void identity_clear_earlier(const char *state_dir)
{
	fs_remove(state_dir, IDENTITY_EARLIER_FILE);
}
