/* test_identity.c — usage.json's edits and the changes that wait for its lock (design.md §4.1,
 * §4.2, src/common/identity.c): a link, an account switch and its fresh anon id, an edit for
 * an identity that has moved on, and logins and a logout that found the lock held. */
#include "config.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "fsutil.h"
#include "identity.h"
#include "util.h"

#define A "00000000-0000-4000-8000-00000000000a"
#define F "00000000-0000-4000-8000-00000000000f"

static json_t *doc_of(const char *principal)
{
	return json_pack("{s:s, s:s?}", "anon_id", A, "linked_principal_id", principal);
}

static const char *field(const json_t *doc, const char *key)
{
	return json_string_value(json_object_get(doc, key));
}

static void a_first_link_keeps_the_anon_id_and_asks_for_its_alias(void **state)
{
	(void)state;
	json_t *doc = doc_of(NULL);
	struct link_request req = {.principal = "p1", .via = "login"};
	assert_int_equal(identity_edit_link(doc, &req), 1);
	assert_true(req.alias_needed);
	assert_string_equal(req.anon, A);
	assert_string_equal(field(doc, "anon_id"), A);
	assert_string_equal(field(doc, "linked_principal_id"), "p1");
	json_decref(doc);
}

static void an_account_switch_takes_a_fresh_anon_id_never_the_old_accounts(void **state)
{
	(void)state;
	json_t *doc = doc_of("p1");
	struct link_request req = {.principal = "p2", .via = "login"};
	assert_int_equal(identity_edit_link(doc, &req), 1);
	assert_true(req.alias_needed);
	assert_string_not_equal(field(doc, "anon_id"), A);
	assert_string_equal(req.anon, field(doc, "anon_id"));
	assert_true(uuid_text_valid(req.anon));
	json_decref(doc);
	/* the fresh id chosen in advance (a login that waited) is the one taken */
	doc = doc_of("p1");
	req = (struct link_request){.principal = "p2", .via = "login", .fresh_anon = F};
	identity_edit_link(doc, &req);
	assert_string_equal(field(doc, "anon_id"), F);
	assert_string_equal(req.anon, F);
	json_decref(doc);
}

static void the_same_account_again_needs_no_alias(void **state)
{
	(void)state;
	json_t *doc = doc_of("p1");
	struct link_request req = {.principal = "p1", .via = "auth", .fingerprint = "fp"};
	identity_edit_link(doc, &req);
	assert_false(req.alias_needed);
	assert_string_equal(field(doc, "anon_id"), A);
	assert_string_equal(field(json_object_get(doc, IDENTITY_META_KEY), "credentials_fingerprint"), "fp");
	json_decref(doc);
}

static void an_identity_that_moved_on_is_left_alone(void **state)
{
	(void)state;
	json_t *doc = doc_of(NULL), *before = json_deep_copy(doc);
	struct link_request req = {.expect_anon = F, .principal = "p1", .via = "login"};
	assert_int_equal(identity_edit_link(doc, &req), 0);
	assert_false(req.matched);
	assert_false(req.alias_needed);
	assert_true(json_equal(doc, before));
	json_decref(doc);
	json_decref(before);
}

/* A fresh identity in the test's folder (unit_setup_dir); its path and its lock's path. */
static void fresh_state(char **path, char **lock, struct identity *id)
{
	*path = path_join(unit_dir, "usage.json");
	*lock = xasprintf("%s.lock", *path);
	assert_int_equal(identity_create(*path, id), 0);
}

static int aliases;
static void count_alias(const struct link_request *req, void *arg)
{
	(void)arg;
	assert_non_null(req->principal);
	aliases++;
}

static void logins_that_wait_are_captured_under_now_and_linked_in_order_later(void **state)
{
	(void)state;
	char *path, *lock_path;
	const char *dir = unit_dir;
	struct identity id, now;
	fresh_state(&path, &lock_path, &id);
	char *anon = xstrdup(identity_anon(&id));
	int lock = fs_lock(lock_path, COMPAT_LOCK_EXCLUSIVE);
	assert_true(lock >= 0);
	assert_int_equal(identity_login_waits(dir, "p1", &id), 0);
	assert_string_equal(identity_principal(&id), "p1");
	assert_string_equal(identity_anon(&id), anon);
	assert_int_equal(identity_login_waits(dir, "p2", &id), 0); /* a switch: its fresh id now */
	assert_string_equal(identity_principal(&id), "p2");
	char *switched = xstrdup(identity_anon(&id));
	assert_string_not_equal(switched, anon);
	identity_release(&id);

	/* a later run while the lock is still held: the identity as it will be */
	assert_int_equal(identity_read(path, &id), 0);
	assert_null(identity_principal(&id));
	assert_int_equal(identity_settle_logins(path, false, dir, false, count_alias, NULL, &id), 1);
	assert_string_equal(identity_principal(&id), "p2");
	assert_string_equal(identity_anon(&id), switched);
	assert_int_equal(aliases, 0);
	close(lock);

	/* the first that can take it links both, in order, each alias asked for */
	assert_int_equal(identity_settle_logins(path, false, dir, false, count_alias, NULL, &id), 2);
	assert_int_equal(aliases, 2);
	assert_int_equal(identity_read(path, &now), 0);
	assert_string_equal(identity_principal(&now), "p2");
	assert_string_equal(identity_anon(&now), switched);
	char *pending = path_join(dir, IDENTITY_LOGIN_FILE);
	assert_int_not_equal(access(pending, F_OK), 0);
	assert_int_equal(identity_settle_logins(path, false, dir, false, count_alias, NULL, &now), 0);
	identity_release(&now);
	identity_release(&id);
	free(pending);
	free(switched);
	free(anon);
	free(lock_path);
	free(path);
}

static void a_logout_after_a_waiting_login_wins(void **state)
{
	(void)state;
	char *path, *lock_path;
	const char *dir = unit_dir;
	struct identity id, fresh;
	fresh_state(&path, &lock_path, &id);
	int lock = fs_lock(lock_path, COMPAT_LOCK_EXCLUSIVE);
	assert_int_equal(identity_login_waits(dir, "p1", &id), 0);
	assert_int_equal(identity_logout(path, false, dir, NULL, &fresh), 1); /* waits in reset.json */
	assert_null(identity_principal(&fresh));
	close(lock);
	identity_release(&id);
	assert_int_equal(identity_settle_reset(path, false, dir, false, &id), 2);
	assert_string_equal(identity_anon(&id), identity_anon(&fresh));
	aliases = 0;
	assert_int_equal(identity_settle_logins(path, false, dir, false, count_alias, NULL, &id), 2);
	assert_int_equal(aliases, 0); /* the login's identity moved on: skipped */
	assert_null(identity_principal(&id));
	assert_string_equal(identity_anon(&id), identity_anon(&fresh));
	identity_release(&id);
	identity_release(&fresh);
	free(lock_path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_first_link_keeps_the_anon_id_and_asks_for_its_alias),
		cmocka_unit_test(an_account_switch_takes_a_fresh_anon_id_never_the_old_accounts),
		cmocka_unit_test(the_same_account_again_needs_no_alias),
		cmocka_unit_test(an_identity_that_moved_on_is_left_alone),
		cmocka_unit_test_setup_teardown(logins_that_wait_are_captured_under_now_and_linked_in_order_later, unit_setup_dir, unit_teardown_dir),
		cmocka_unit_test_setup_teardown(a_logout_after_a_waiting_login_wins, unit_setup_dir, unit_teardown_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
