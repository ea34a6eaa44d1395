/* test_notice.c — the first-run notice's marker (design.md §4.3, src/common/notice.c): of several
 * runs that all found it pending at once, exactly one records it, and so exactly one shows it.
 * Real processes and a real folder; the interleaving is forced with a barrier, not left to
 * the scheduler. */
#include "config.h"
#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "notice.h"
#include "util.h"

#define RACERS 16

/* A configuration with the notice on and a fresh state folder of its own. */
static void fresh_conf(struct conf *cfg, char *dir, size_t size)
{
	snprintf(dir, size, "%s/usage-report-notice-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	char *text = xasprintf("state_dir = %s/state\n[posthog]\napi_key = phc_k\n[consent]\nnotice = on\n", dir);
	conf_load_string(cfg, "mycli", text);
	free(text);
	assert_int_equal(cfg->n_issues, 0);
}

static void remove_tree(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* In a child: see the notice pending, say so, wait until every racer has, then show it on
 * a file of its own (a log: it carries the notice). Exits 2 when that file holds the notice
 * afterwards, 1 when not. */
static void racer(const struct conf *cfg, int ready, int go, const char *log)
{
	char c = 'r';
	if (notice_state(cfg) != NOTICE_PENDING || write(ready, &c, 1) != 1)
		_exit(9);
	(void)read(go, &c, 1); /* returns at EOF: the parent closed its end */
	FILE *f = fopen(log, "w+");
	if (!f)
		_exit(9);
	(void)notice_show(cfg, fileno(f), NOTICE_MODE_ON, "stderr", false);
	_exit(ftell(f) > 0 || lseek(fileno(f), 0, SEEK_END) > 0 ? 2 : 1);
}

static void runs_that_all_found_it_pending_record_it_once(void **state)
{
	(void)state;
	char dir[512];
	struct conf cfg;
	fresh_conf(&cfg, dir, sizeof dir);
	int ready[2], go[2];
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid_t pids[RACERS];
	for (int i = 0; i < RACERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			close(ready[0]);
			close(go[1]);
			char *log = xasprintf("%s/racer%d.log", dir, i);
			racer(&cfg, ready[1], go[0], log);
		}
	}
	close(ready[1]);
	close(go[0]);
	char c;
	for (int i = 0; i < RACERS; i++) /* all of them saw it pending before any claimed it */
		assert_int_equal(read(ready[0], &c, 1), 1);
	close(go[1]);
	int recorded = 0, already = 0;
	for (int i = 0; i < RACERS; i++) {
		int status;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		recorded += WEXITSTATUS(status) == 2;
		already += WEXITSTATUS(status) == 1;
	}
	close(ready[0]);
	assert_int_equal(recorded, 1);
	assert_int_equal(already, RACERS - 1);
	assert_int_equal(notice_state(&cfg), NOTICE_SHOWN);
	remove_tree(dir);
	conf_free(&cfg);
}

static void something_not_ours_at_its_name_stays_pending(void **state)
{
	(void)state;
	char dir[512];
	struct conf cfg;
	fresh_conf(&cfg, dir, sizeof dir);
	assert_int_equal(mkdir(cfg.state_dir, 0700), 0);
	char *marker = path_join(cfg.state_dir, NOTICE_FILE);
	assert_int_equal(mkfifo(marker, 0600), 0);
	assert_int_equal(notice_state(&cfg), NOTICE_PENDING);
	assert_int_equal(notice_claim(&cfg), -1);                /* never opened: never blocks */
	assert_int_equal(notice_show(&cfg, STDERR_FILENO, NOTICE_MODE_ON, "stderr", false), NOTICE_PENDING); /* so the caller keeps holding */
	struct stat st;
	assert_int_equal(lstat(marker, &st), 0);
	assert_true(S_ISFIFO(st.st_mode)); /* and it is left exactly as it was */
	free(marker);
	remove_tree(dir);
	conf_free(&cfg);
}

static void a_claim_is_confirmed_released_or_taken_over_when_stale(void **state)
{
	(void)state;
	char dir[512];
	struct conf cfg;
	fresh_conf(&cfg, dir, sizeof dir);
	assert_string_equal(notice_state_name(notice_state(&cfg)), "pending");
	assert_int_equal(notice_claim(&cfg), 1); /* creates the state folder */
	assert_int_equal(notice_claim(&cfg), 0); /* another run holds it */
	notice_release(&cfg);
	assert_string_equal(notice_state_name(notice_state(&cfg)), "pending");
	assert_int_equal(notice_claim(&cfg), 1);
	/* a claim left by a run that died is taken over once it is stale */
	char *claim = path_join(cfg.state_dir, NOTICE_CLAIM_FILE);
	struct timespec old[2] = {{.tv_sec = time(NULL) - NOTICE_CLAIM_STALE_S - 1}, {.tv_sec = time(NULL) - NOTICE_CLAIM_STALE_S - 1}};
	assert_int_equal(utimensat(AT_FDCWD, claim, old, 0), 0);
	assert_int_equal(notice_claim(&cfg), 1);
	assert_int_equal(notice_confirm(&cfg, "notice"), 0);
	assert_string_equal(notice_state_name(notice_state(&cfg)), "shown");
	assert_int_equal(access(claim, F_OK), -1); /* confirmed: the claim is gone */
	assert_int_equal(notice_claim(&cfg), 0);
	cfg.notice = NOTICE_MODE_OFF;
	assert_string_equal(notice_state_name(notice_state(&cfg)), "off");
	free(claim);
	remove_tree(dir);
	conf_free(&cfg);
}

static void which_descriptors_carry_it(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_true(notice_fd_carries(p[1], NOTICE_MODE_ON));
	assert_false(notice_fd_carries(p[1], NOTICE_MODE_TTY));
	FILE *f = tmpfile();
	assert_true(notice_fd_carries(fileno(f), NOTICE_MODE_ON));
	fclose(f);
	int null = open("/dev/null", O_WRONLY);
	assert_false(notice_fd_carries(null, NOTICE_MODE_ON));
	close(null);
	assert_false(notice_fd_carries(p[1] + 100, NOTICE_MODE_ON)); /* closed */
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(runs_that_all_found_it_pending_record_it_once),
		cmocka_unit_test(something_not_ours_at_its_name_stays_pending),
		cmocka_unit_test(a_claim_is_confirmed_released_or_taken_over_when_stale),
		cmocka_unit_test(which_descriptors_carry_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
