/* accounts.c — the sender's side of accounts (design.md §4.2): resolving the principal behind the
 * host's credentials, linking the identity, queueing the alias, and account switches. */
#include "config.h"
#include "auth.h"
#include "credentials.h"
#include "credsnap.h"
#include "event.h"
#include "record.h"
#include "fsutil.h"
#include "identity.h"
#include "queue.h"
#include "accounts.h"
#include "sentlog.h"
#include "trace.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RESOLVE_RETRY_MS (3600LL * 1000)
#define VALIDATE_LIMIT_MS 2000L

/* Queue the alias principal <- anon before everything pending. */
static void queue_alias(const struct conf *cfg, const char *anon, const char *principal)
{
	if (!conf_has_aliases(cfg))
		return;
	struct record *alias = record_new(RECORD_ALIAS, anon, principal, event_build_alias());
	if (queue_put_ordered(cfg->state_dir, alias, QUEUE_ORDER_FIRST) != 0)
		trace("cannot queue the alias: %s", strerror(errno));
	record_free(alias);
}

/* identity_alias_fn for the logins that waited. */
static void queue_settled_alias(const struct link_request *req, void *cfg)
{
	queue_alias(cfg, req->anon, req->principal);
}

/* The logins that waited in login.json while their foreground found usage.json locked
 * (identity.h): linked in order, each alias queued first. */
static void settle_logins(const struct conf *cfg)
{
	struct identity id = {0};
	int rc = identity_settle_logins(cfg->identity_file, cfg->identity_shared, cfg->state_dir, true,
	                                queue_settled_alias, (void *)cfg, &id);
	if (rc == 1)
		trace("a login still waits for usage.json's lock: %s", strerror(errno));
	else if (rc == 2)
		trace("the logins that waited are linked");
	identity_release(&id);
}

/* Link (or record a failed resolution for) the identity anon, with the credentials'
 * fingerprint and stat signature (either may be NULL); queue the alias when a new link needs
 * one. out_anon: the principal's anon id to use. Whether the identity still had anon. */
static bool apply_resolution(const struct conf *cfg, const char *anon, const char *principal,
                             const char *fingerprint, const char *signature, const char *via,
                             char out_anon[UUID_STR_LEN])
{
	struct link_request req = {.expect_anon = anon, .principal = principal, .via = via,
	                           .fingerprint = fingerprint, .signature = signature};
	struct identity id;
	snprintf(out_anon, UUID_STR_LEN, "%s", anon);
	if (identity_update(cfg->identity_file, cfg->identity_shared, identity_edit_link, &req, NULL, &id) != 0) {
		trace("cannot update identity '%s': %s", cfg->identity_file, strerror(errno));
		return false;
	}
	identity_release(&id);
	if (!req.alias_needed)
		return req.matched;
	snprintf(out_anon, UUID_STR_LEN, "%s", req.anon);
	trace("linked %s to its account (%s)", req.anon, via);
	queue_alias(cfg, req.anon, principal);
	return true;
}

/* Ask the validate endpoint who the credentials in the file at path belong to; NULL when
 * unknown. */
static char *resolve(const struct conf *cfg, const struct budget *budget, const char *path)
{
	struct credentials cred;
	char *principal = NULL, *why = NULL;
	json_t *none = json_array();
	if (credentials_read_file(cfg, path, &cred, &why) != 0) {
		trace("%s", why);
	} else if (budget_left(budget) < MIN_REQUEST_MS) {
		trace("no time left to resolve the account");
	} else if (resolve_principal(cfg, &cred, budget_limit(budget, VALIDATE_LIMIT_MS), &principal, &why) != 0) {
		sentlog_append(cfg->state_dir, "auth", "unresolved", none, 0, why);
	} else {
		sentlog_append(cfg->state_dir, "auth", "resolved", none, 0, NULL);
	}
	json_decref(none);
	free(why);
	credentials_free(&cred);
	return principal;
}

/* After a silent account switch, events captured under the old account once the new
 * credentials were written belong to the new one. */
static void move_to_new_account(const struct conf *cfg, const char *old_principal, const char *new_principal,
                                const char *new_anon)
{
	char *signature = fs_stat_signature(cfg->auth_credentials_file);
	unsigned long long ino = 0;
	long long size = 0, mtime_ns = 0;
	if (!signature || sscanf(signature, "%llu:%lld:%lld", &ino, &size, &mtime_ns) != 3) {
		free(signature);
		return;
	}
	free(signature);
	struct queue_entry *e;
	size_t n;
	if (queue_list(cfg->state_dir, &e, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct record *rec = NULL;
		if (queue_read(cfg->state_dir, &e[i], &rec) != 0)
			continue; /* gone, or not a record: the drain loop deals with it */
		const char *captured = record_principal_captured(rec);
		int64_t at = record_time_ms(rec);
		if (captured && strcmp(captured, old_principal) == 0 && at >= 0 && at >= mtime_ns / 1000000LL - 1 &&
		    strcmp(record_type(rec), RECORD_EVENT) == 0) {
			record_set_identity(rec, new_anon, new_principal);
			(void)queue_replace(cfg->state_dir, &e[i], rec);
		}
		record_free(rec);
	}
	queue_entries_free(e, n);
}

/* Lazy linking: resolve once per credentials change (or per hour after a failure), and
 * never the login a logout ended. */
bool accounts_link_lazy(const struct conf *cfg, const struct budget *budget)
{
	if (!conf_has_auth(cfg))
		return false;
	char *fp = credentials_fingerprint(cfg->auth_credentials_file);
	char *signature = fs_stat_signature(cfg->auth_credentials_file);
	struct identity id;
	bool looked_up = false;
	if (!fp || identity_read(cfg->identity_file, &id) != 0) {
		free(fp);
		free(signature);
		return false;
	}
	const char *known = identity_credentials_fingerprint(&id);
	if (known && strcmp(known, fp) == 0) {
		trace("credentials unchanged: no account lookup");
	} else if (signature && identity_logged_out_with(&id, signature)) {
		trace("credentials unchanged since logout: staying anonymous");
	} else if (identity_failed_since(&id, fp, now_ms() - RESOLVE_RETRY_MS)) {
		trace("these credentials failed to resolve within the hour: staying anonymous");
	} else {
		char *old = identity_principal(&id) ? xstrdup(identity_principal(&id)) : NULL;
		char anon[UUID_STR_LEN], *principal = resolve(cfg, budget, cfg->auth_credentials_file);
		apply_resolution(cfg, identity_anon(&id), principal, fp, signature, "auth", anon);
		if (old && principal && strcmp(old, principal) != 0)
			move_to_new_account(cfg, old, principal, anon);
		free(old);
		free(principal);
		looked_up = true;
	}
	identity_release(&id);
	free(signature);
	free(fp);
	return looked_up;
}

/* The principal already resolved for these credentials, if the identity has one. */
static char *known_principal(const struct conf *cfg, const char *fingerprint)
{
	struct identity id;
	char *principal = NULL;
	if (!fingerprint || identity_read(cfg->identity_file, &id) != 0)
		return NULL;
	const char *known = identity_credentials_fingerprint(&id);
	if (known && strcmp(known, fingerprint) == 0 && identity_principal(&id))
		principal = xstrdup(identity_principal(&id));
	identity_release(&id);
	return principal;
}

/* A login whose account the sender resolves: link, alias, then it becomes a plain event. */
void accounts_resolve_login(const struct conf *cfg, const struct budget *budget, struct record *record,
                        const struct queue_entry *entry)
{
	/* a login --principal-id whose foreground found the identity locked names its account,
	 * and waits in login.json to be linked first */
	const char *given = record_principal_captured(record);
	if (given)
		settle_logins(cfg);
	char *fp = !given && conf_has_auth(cfg) ? credentials_fingerprint(cfg->auth_credentials_file) : NULL;
	char *principal = given ? xstrdup(given) : known_principal(cfg, fp);
	struct identity id = {0};
	bool failed = fp && identity_read(cfg->identity_file, &id) == 0 && identity_failed_since(&id, fp, now_ms() - RESOLVE_RETRY_MS);
	identity_release(&id);
	if (!principal && fp && !failed)
		principal = resolve(cfg, budget, cfg->auth_credentials_file);
	const char *anon = record_anon(record);
	char linked_anon[UUID_STR_LEN];
	char *signature = fp ? fs_stat_signature(cfg->auth_credentials_file) : NULL;
	if (!apply_resolution(cfg, anon, principal, fp, signature, "login", linked_anon) && principal)
		queue_alias(cfg, anon, principal); /* the identity moved on (a logout) since: alias it alone */
	free(signature);
	record_set_type(record, RECORD_EVENT);
	record_set_identity(record, linked_anon, principal);
	if (queue_replace(cfg->state_dir, entry, record) != 0)
		trace("cannot rewrite queued login %s: %s", entry->name, strerror(errno));
	free(principal);
	free(fp);
}

/* The oldest credentials copy a queued record names, or NULL. Caller frees. */
static char *oldest_copy(const struct conf *cfg)
{
	struct queue_entry *e;
	size_t n;
	char *name = NULL;
	if (queue_list(cfg->state_dir, &e, &n) != 0)
		return NULL;
	for (size_t i = 0; i < n && !name; i++) {
		struct record *rec = NULL;
		if (queue_read(cfg->state_dir, &e[i], &rec) == 0 && record_credentials(rec))
			name = xstrdup(record_credentials(rec));
		record_free(rec);
	}
	queue_entries_free(e, n);
	return name;
}

/* The file to resolve the copy called name from: the copy, or (when a sender that found the
 * queue empty removed it meanwhile) the credentials file itself while it is still in that
 * state. NULL when neither. Caller frees. */
static char *copy_source(const struct conf *cfg, const char *name, const char *signature)
{
	char *path = credsnap_path(cfg, name);
	if (path && access(path, R_OK) == 0)
		return path;
	free(path);
	char *now = fs_stat_signature(cfg->auth_credentials_file);
	bool same = now && signature && strcmp(now, signature) == 0;
	free(now);
	return same ? xstrdup(cfg->auth_credentials_file) : NULL;
}

/* The identities one resolution has linked or aliased: anon id before and after. */
struct linked_anons {
	char (*from)[UUID_STR_LEN], (*to)[UUID_STR_LEN];
	size_t n;
};

/* The anon id the record's events go out with under principal: linking the identity when it
 * is still that anon id, else aliasing the anon id on its own (it was captured before a
 * logout or an account switch); once per anon id. */
static const char *link_captured(const struct conf *cfg, struct linked_anons *done, const char *anon,
                                 const char *principal, const char *fingerprint, const char *signature,
                                 const char *via)
{
	for (size_t i = 0; i < done->n; i++)
		if (strcmp(done->from[i], anon) == 0)
			return done->to[i];
	done->from = xrealloc(done->from, (done->n + 1) * sizeof *done->from);
	done->to = xrealloc(done->to, (done->n + 1) * sizeof *done->to);
	snprintf(done->from[done->n], UUID_STR_LEN, "%s", anon);
	if (!apply_resolution(cfg, anon, principal, fingerprint, signature, via, done->to[done->n]) && principal) {
		trace("%s was captured under %s before the identity moved on: aliased on its own", anon, principal);
		queue_alias(cfg, anon, principal);
	}
	return done->to[done->n++];
}

/* Give every queued record that names the copy `name` the account resolved from it. */
static void settle_records(const struct conf *cfg, const char *name, const char *principal,
                           const char *fingerprint, const char *signature)
{
	struct queue_entry *e;
	size_t n;
	struct linked_anons done = {0};
	if (queue_list(cfg->state_dir, &e, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct record *rec = NULL;
		if (queue_read(cfg->state_dir, &e[i], &rec) != 0 || !record_credentials(rec) ||
		    strcmp(record_credentials(rec), name) != 0) {
			record_free(rec);
			continue;
		}
		bool login = strcmp(record_type(rec), RECORD_LOGIN) == 0;
		char anon[UUID_STR_LEN];
		snprintf(anon, sizeof anon, "%s", record_anon(rec));
		const char *to = link_captured(cfg, &done, anon, principal, fingerprint, signature, login ? "login" : "auth");
		if (principal)
			record_set_identity(rec, to, principal);
		if (login)
			record_set_type(rec, RECORD_EVENT);
		record_set_credentials(rec, NULL);
		if (queue_replace(cfg->state_dir, &e[i], rec) != 0)
			trace("cannot rewrite queued record %s: %s", e[i].name, strerror(errno));
		record_free(rec);
	}
	queue_entries_free(e, n);
	free(done.from);
	free(done.to);
}

bool accounts_resolve_captured(const struct conf *cfg, const struct budget *budget, const char *copy)
{
	char *name = copy ? xstrdup(copy) : credsnap_any(cfg) ? oldest_copy(cfg) : NULL;
	if (!name)
		return false;
	char *signature = credsnap_signature(name);
	char *source = copy_source(cfg, name, signature);
	char *fp = source ? credentials_fingerprint(source) : NULL;
	char *principal = known_principal(cfg, fp);
	struct identity id = {0};
	bool failed = fp && identity_read(cfg->identity_file, &id) == 0 && identity_failed_since(&id, fp, now_ms() - RESOLVE_RETRY_MS);
	identity_release(&id);
	bool settled = true;
	if (!principal && fp && !failed) {
		if (budget_left(budget) < MIN_REQUEST_MS + 500)
			settled = false; /* no time to ask: the next sender does */
		else
			principal = resolve(cfg, budget, source);
	}
	if (settled) {
		trace("events captured with credentials %s: %s", name, principal ? "under their account" : "anonymous");
		settle_records(cfg, name, principal, fp, signature);
	}
	free(principal);
	free(fp);
	free(source);
	free(signature);
	free(name);
	return settled;
}

bool accounts_restore_alias(const struct conf *cfg, const struct record *record)
{
	const char *principal = record_principal_captured(record);
	struct identity id = {0};
	bool queued = false;
	if (!principal || !conf_has_aliases(cfg) || identity_read(cfg->identity_file, &id) != 0)
		return false;
	if (identity_principal(&id) && strcmp(identity_principal(&id), principal) == 0 && !identity_aliased(&id) &&
	    !identity_alias_refused(&id)) {
		struct record *alias = record_new(RECORD_ALIAS, identity_anon(&id), principal, event_build_alias());
		queued = queue_put_ordered(cfg->state_dir, alias, QUEUE_ORDER_FIRST) == 0;
		trace("the alias of %s is neither acknowledged nor queued: %s", principal,
		      queued ? "queued again" : strerror(errno));
		record_free(alias);
	}
	identity_release(&id);
	return queued;
}
