/* spawnbench.c — time commands interleaved: wall time, CPU time and peak RSS of each run.
 *
 * usage: spawnbench RUNS WARMUP SETTLE -- NAME ARGV... [:: NAME ARGV...]...
 *   Runs every command once per round, round after round (so drift and background load hit
 *   all of them alike), after WARMUP untimed rounds. Before each run, SETTLE (a shell
 *   command, or "" for none) is run untimed. stdin, stdout and stderr are /dev/null.
 *   Prints one JSON object per command: name, runs, and the median, 10th and 90th percentile
 *   wall times in ms, the median CPU (user+system) ms and the largest peak RSS in KiB. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	if (index < 0)
		return;
	c->wall[index] = wall;
	c->cpu[index] = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	                (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
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
	for (int round = -warmup; round < runs; round++)
		for (int k = 0; k < n; k++)
			run_one(&cmds[k], round, settle);
	for (int k = 0; k < n; k++) {
		struct command *c = &cmds[k];
		double p10 = pct(c->wall, runs, 0.1), p90 = pct(c->wall, runs, 0.9);
		printf("{\"name\":\"%s\",\"runs\":%d,\"median_ms\":%.3f,\"p10_ms\":%.3f,\"p90_ms\":%.3f,"
		       "\"cpu_ms\":%.3f,\"maxrss_kib\":%ld}\n",
		       c->name, runs, pct(c->wall, runs, 0.5), p10, p90, pct(c->cpu, runs, 0.5), c->maxrss);
	}
	return 0;
}
