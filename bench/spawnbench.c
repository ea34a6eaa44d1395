/* spawnbench.c — time commands interleaved: wall time, CPU time and peak RSS of each run.
 *
 * usage: spawnbench RUNS WARMUP SETTLE -- NAME ARGV... [:: NAME ARGV...]...
 *   Runs every command once per round, round after round (so drift and background load hit
 *   all of them alike), after WARMUP untimed rounds. Before each run, SETTLE (a shell
 *   command, or "" for none) is run untimed. stdin, stdout and stderr are /dev/null.
 *   Prints one JSON object per command: name, runs, and the median, 10th and 90th percentile
 *   wall times in ms, the median CPU (user+system) ms and the largest peak RSS in KiB.
 *   The harness is a subreaper: what a command leaves running in the background (a detached
 *   sender, a backgrounded curl) is reaped by it once it ends, and its CPU is added up by
 *   program name (of the timed rounds only); the last line, {"background": {NAME: {"processes":
 *   N, "cpu_ms": MS}}}, after every such process has ended. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct command {
	char *name;
	char **argv;
	double *wall, *cpu;
	long maxrss;
};

/* CPU of the background processes, by program name. */
struct background {
	char name[32];
	int processes;
	double cpu_ms;
};
static struct background background[16];
static int n_background;
static int counting; /* whether the timed rounds have begun */

static double cpu_ms(const struct rusage *ru)
{
	return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1e3 + (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e3;
}

/* Reap the orphans that have ended (all of them, waiting, with block), adding up their CPU
 * under the name /proc gives them while they are zombies. */
static void reap_background(int block)
{
	siginfo_t si;
	for (;;) {
		si.si_pid = 0;
		if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT | (block ? 0 : WNOHANG)) != 0 || si.si_pid == 0)
			return;
		char path[64], name[32] = "?";
		snprintf(path, sizeof path, "/proc/%d/comm", (int)si.si_pid);
		FILE *f = fopen(path, "r");
		if (f) {
			if (fgets(name, sizeof name, f))
				name[strcspn(name, "\n")] = '\0';
			fclose(f);
		}
		struct rusage ru;
		if (wait4(si.si_pid, NULL, 0, &ru) < 0 || !counting)
			continue;
		int k = 0;
		while (k < n_background && strcmp(background[k].name, name) != 0)
			k++;
		if (k == n_background && n_background < 16)
			snprintf(background[n_background++].name, sizeof background[k].name, "%s", name);
		if (k < n_background) {
			background[k].processes++;
			background[k].cpu_ms += cpu_ms(&ru);
		}
	}
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	return v[(int)(p * (n - 1) + 0.5)];
}

static void run_one(struct command *c, int index, const char *settle)
{
	if (settle && *settle && system(settle) != 0) {
		fprintf(stderr, "spawnbench: settle command failed\n");
		exit(1);
	}
	double start = now_ms();
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execvp(c->argv[0], c->argv);
		_exit(127);
	}
	int status;
	struct rusage ru;
	wait4(pid, &status, 0, &ru);
	double wall = now_ms() - start;
	reap_background(0);
	if (index < 0)
		return;
	c->wall[index] = wall;
	c->cpu[index] = cpu_ms(&ru);
	if (ru.ru_maxrss > c->maxrss)
		c->maxrss = ru.ru_maxrss;
}

int main(int argc, char **argv)
{
	if (argc < 6 || strcmp(argv[4], "--") != 0) {
		fprintf(stderr, "usage: spawnbench RUNS WARMUP SETTLE -- NAME ARGV... [:: NAME ARGV...]...\n");
		return 2;
	}
	int runs = atoi(argv[1]), warmup = atoi(argv[2]);
	const char *settle = argv[3];
	struct command cmds[32];
	int n = 0;
	for (int i = 5; i < argc && n < 32;) {
		struct command *c = &cmds[n++];
		memset(c, 0, sizeof *c);
		c->name = argv[i++];
		c->argv = &argv[i];
		while (i < argc && strcmp(argv[i], "::") != 0)
			i++;
		if (i < argc)
			argv[i++] = NULL;
		c->wall = calloc((size_t)runs, sizeof(double));
		c->cpu = calloc((size_t)runs, sizeof(double));
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	for (int round = -warmup; round < runs; round++) {
		if (round == 0) {
			reap_background(1); /* the warm-up's background is not counted */
			counting = 1;
		}
		for (int k = 0; k < n; k++)
			run_one(&cmds[k], round, settle);
	}
	for (int k = 0; k < n; k++) {
		struct command *c = &cmds[k];
		double p10 = pct(c->wall, runs, 0.1), p90 = pct(c->wall, runs, 0.9);
		printf("{\"name\":\"%s\",\"runs\":%d,\"median_ms\":%.3f,\"p10_ms\":%.3f,\"p90_ms\":%.3f,"
		       "\"cpu_ms\":%.3f,\"maxrss_kib\":%ld}\n",
		       c->name, runs, pct(c->wall, runs, 0.5), p10, p90, pct(c->cpu, runs, 0.5), c->maxrss);
	}
	reap_background(1);
	printf("{\"background\":{");
	for (int k = 0; k < n_background; k++)
		printf("%s\"%s\":{\"processes\":%d,\"cpu_ms\":%.3f}", k ? "," : "", background[k].name,
		       background[k].processes, background[k].cpu_ms);
	printf("}}\n");
	return 0;
}
