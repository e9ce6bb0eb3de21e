#include "cli/cli.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "search/pareto.h"

static const char CMD[] = "report";

enum { OPT_DB = 256, OPT_JSON, OPT_PARETO, OPT_CSV, OPT_TOP, OPT_SVG };

static const struct option LONGOPTS[] = {
    { "db", required_argument, NULL, OPT_DB },
    { "json", no_argument, NULL, OPT_JSON },
    { "pareto", no_argument, NULL, OPT_PARETO },
    { "csv", required_argument, NULL, OPT_CSV },
    { "top", required_argument, NULL, OPT_TOP },
    { "svg", required_argument, NULL, OPT_SVG },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

void nc_cli_report_help(FILE *f)
{
    fprintf(f,
        "Usage: nasc report [RUN] [OPTIONS]\n"
        "\n"
        "Reports on search campaign RUN (default: the newest campaign in the\n"
        "run log): a leaderboard of the best trials by the first objective\n"
        "and, with --pareto, the non-dominated trials over all objectives.\n"
        "\n"
        "  RUN                the run id (see 'nasc runs')\n"
        "  --db FILE          run log (default runs.db)\n"
        "  --top K            leaderboard length (default 10; 0 for none)\n"
        "  --pareto           also list the Pareto front\n"
        "  --csv FILE         write every trial to FILE as CSV: trial, arch,\n"
        "                     origin, parent1, parent2, status, one column per\n"
        "                     objective, the select and report metrics, and\n"
        "                     seconds (the only timing column, last)\n"
        "  --json             one JSON line: run, status, trials, budget, top\n"
        "                     (and pareto) as arrays of trials\n"
        "  --svg FILE         write a scatter plot to FILE (SVG): the first\n"
        "                     objective against the second (against the trial\n"
        "                     number for one objective), Pareto front in red\n"
        "  -h, --help         show this help\n"
        "\n"
        "Exit status:\n%s",
        nc_cli_exit_codes_help);
}

/* Sorts indices into recs by the first objective, best first. qsort has no
 * context argument and is not stable; an insertion sort is both, and
 * campaigns are a few thousand trials. Ties keep trial order. */
static void order_by_first(const nc_trial_rec *recs, int *idx, int m, int mini)
{
    for (int i = 1; i < m; i++) {
        int v = idx[i], j = i - 1;
        double x = recs[v].obj[0];
        while (j >= 0 && (mini ? recs[idx[j]].obj[0] > x
                               : recs[idx[j]].obj[0] < x)) {
            idx[j + 1] = idx[j];
            j--;
        }
        idx[j + 1] = v;
    }
}

static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
}

static int write_csv(const char *path, const nc_campaign_cfg *cfg,
                     const nc_trial_rec *recs, int n)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "nasc %s: --csv %s: cannot write\n", CMD, path);
        return NC_EXIT_DATA;
    }
    fprintf(f, "trial,arch,origin,parent1,parent2,status");
    for (int k = 0; k < cfg->n_obj; k++)
        fprintf(f, ",%s", nc_campaign_objective_name(cfg->obj[k]));
    fprintf(f, ",%s", cfg->select_metric);
    if (strcmp(cfg->report_metric, cfg->select_metric) != 0)
        fprintf(f, ",%s", cfg->report_metric);
    fprintf(f, ",seconds\n");
    for (int i = 0; i < n; i++) {
        const nc_trial_rec *t = &recs[i];
        fprintf(f, "%d,", t->trial);
        csv_field(f, t->arch);
        fprintf(f, ",%s,", t->origin);
        if (t->parent1 >= 0)
            fprintf(f, "%lld", (long long)t->parent1);
        fputc(',', f);
        if (t->parent2 >= 0)
            fprintf(f, "%lld", (long long)t->parent2);
        fprintf(f, ",%s", t->status);
        for (int k = 0; k < cfg->n_obj; k++) {
            fputc(',', f);
            if (k < t->n_obj)
                csv_num(f, t->obj[k]);
        }
        fputc(',', f);
        csv_num(f, nc_campaign_trial_metric(t, cfg->select_metric));
        if (strcmp(cfg->report_metric, cfg->select_metric) != 0) {
            fputc(',', f);
            csv_num(f, nc_campaign_trial_metric(t, cfg->report_metric));
        }
        fprintf(f, ",%.6f\n", t->seconds);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "nasc %s: --csv %s: write failed\n", CMD, path);
        return NC_EXIT_DATA;
    }
    return NC_EXIT_OK;
}

static void print_table(const char *title, const nc_campaign_cfg *cfg,
                        const nc_trial_rec *recs, const int *idx, int m)
{
    printf("%s\n%4s %6s", title, "#", "trial");
    for (int k = 0; k < cfg->n_obj; k++)
        printf(" %12s", nc_campaign_objective_name(cfg->obj[k]));
    printf(" %14s  arch\n", cfg->report_metric);
    for (int i = 0; i < m; i++) {
        const nc_trial_rec *t = &recs[idx[i]];
        printf("%4d %6d", i + 1, t->trial);
        for (int k = 0; k < cfg->n_obj; k++)
            printf(" %12.6g", t->obj[k]);
        printf(" %14.6g  %s\n", nc_campaign_trial_metric(t, cfg->report_metric),
               t->arch);
    }
}

static cJSON *json_trials(const nc_campaign_cfg *cfg, const nc_trial_rec *recs,
                          const int *idx, int m)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < m; i++) {
        const nc_trial_rec *t = &recs[idx[i]];
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddItemToArray(a, o);
        cJSON_AddNumberToObject(o, "trial", t->trial);
        cJSON_AddStringToObject(o, "arch", t->arch);
        for (int k = 0; k < cfg->n_obj; k++)
            cJSON_AddNumberToObject(o, nc_campaign_objective_name(cfg->obj[k]),
                                    t->obj[k]);
        double v = nc_campaign_trial_metric(t, cfg->report_metric);
        if (isfinite(v))
            cJSON_AddNumberToObject(o, cfg->report_metric, v);
    }
    return a;
}

/* A dependency-free scatter plot: done trials as dots, the front in red. */
static int write_svg(const char *path, const nc_campaign_cfg *cfg,
                     const nc_trial_rec *recs, const int *idx, int m,
                     const int *front, int nf)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "nasc %s: --svg %s: cannot write\n", CMD, path);
        return NC_EXIT_DATA;
    }
    const double W = 640, H = 480, L = 70, R = 20, T = 30, B = 50;
    int two = cfg->n_obj > 1;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int i = 0; i < m; i++) {
        const nc_trial_rec *t = &recs[idx[i]];
        double x = two ? t->obj[1] : (double)t->trial, y = t->obj[0];
        x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, y), y1 = fmax(y1, y);
    }
    if (!(x1 > x0))
        x1 = x0 + 1;
    if (!(y1 > y0))
        y1 = y0 + 1;
    const char *xn = two ? nc_campaign_objective_name(cfg->obj[1]) : "trial";
    const char *yn = nc_campaign_objective_name(cfg->obj[0]);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" "
            "height=\"%g\" font-family=\"sans-serif\" font-size=\"12\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
            "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" "
            "fill=\"none\" stroke=\"black\"/>\n",
            W, H, L, T, W - L - R, H - T - B);
    fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%s "
            "(%.4g .. %.4g)</text>\n", L + (W - L - R) / 2, H - 15, xn, x0, x1);
    fprintf(f, "<text x=\"15\" y=\"%g\" transform=\"rotate(-90 15 %g)\" "
            "text-anchor=\"middle\">%s (%.4g .. %.4g)</text>\n",
            T + (H - T - B) / 2, T + (H - T - B) / 2, yn, y0, y1);
    fprintf(f, "<text x=\"%g\" y=\"20\">%s: %d trials, %d on the Pareto "
            "front</text>\n", L, cfg->space, m, nf);
    /* The front as a line in x order (for two objectives its points are
     * also in y order, so the line is the trade-off curve). */
    if (nf > 1) {
        int *ord = malloc((size_t)nf * sizeof *ord);
        if (ord) {
            for (int i = 0; i < nf; i++)
                ord[i] = front[i];
            for (int i = 1; i < nf; i++)
                for (int j = i; j > 0; j--) {
                    const nc_trial_rec *a = &recs[ord[j - 1]], *b = &recs[ord[j]];
                    double xa = two ? a->obj[1] : (double)a->trial;
                    double xb = two ? b->obj[1] : (double)b->trial;
                    if (xa <= xb)
                        break;
                    int t = ord[j - 1];
                    ord[j - 1] = ord[j];
                    ord[j] = t;
                }
            fprintf(f, "<polyline fill=\"none\" stroke=\"red\" points=\"");
            for (int i = 0; i < nf; i++) {
                const nc_trial_rec *t = &recs[ord[i]];
                double x = two ? t->obj[1] : (double)t->trial, y = t->obj[0];
                fprintf(f, "%s%.1f,%.1f", i ? " " : "",
                        L + (x - x0) / (x1 - x0) * (W - L - R),
                        H - B - (y - y0) / (y1 - y0) * (H - T - B));
            }
            fprintf(f, "\"/>\n");
            free(ord);
        }
    }
    for (int pass = 0; pass < 2; pass++) {
        const int *ix = pass ? front : idx;
        int cnt = pass ? nf : m;
        for (int i = 0; i < cnt; i++) {
            const nc_trial_rec *t = &recs[ix[i]];
            double x = two ? t->obj[1] : (double)t->trial, y = t->obj[0];
            double px = L + (x - x0) / (x1 - x0) * (W - L - R);
            double py = H - B - (y - y0) / (y1 - y0) * (H - T - B);
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" "
                    "fill=\"%s\"><title>trial %d</title></circle>\n", px, py,
                    pass ? 3 : 2, pass ? "red" : "#7799bb", t->trial);
        }
    }
    fprintf(f, "</svg>\n");
    if (fclose(f) != 0) {
        fprintf(stderr, "nasc %s: --svg %s: write failed\n", CMD, path);
        return NC_EXIT_DATA;
    }
    return NC_EXIT_OK;
}

int nc_cli_report(int argc, char **argv)
{
    const char *dbpath = "runs.db", *csv = NULL, *svg = NULL;
    int json = 0, pareto = 0, top = 10, ch, r;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", LONGOPTS, NULL)) != -1) {
        switch (ch) {
        case OPT_DB:
            if (nc_cli_path_arg(CMD, "--db", optarg, &dbpath))
                return NC_EXIT_USAGE;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_PARETO:
            pareto = 1;
            break;
        case OPT_CSV:
            if (nc_cli_path_arg(CMD, "--csv", optarg, &csv))
                return NC_EXIT_USAGE;
            break;
        case OPT_SVG:
            if (nc_cli_path_arg(CMD, "--svg", optarg, &svg))
                return NC_EXIT_USAGE;
            break;
        case OPT_TOP:
            if ((r = nc_cli_parse_int(CMD, "--top", optarg, 0, 1000000, &top)))
                return r;
            break;
        case 'h':
            nc_cli_report_help(stdout);
            return NC_EXIT_OK;
        default:
            return nc_cli_bad_option(CMD, ch, argc, argv, LONGOPTS);
        }
    }
    int64_t run = 0;
    if (optind < argc &&
        (r = nc_cli_run_operand(CMD, argc, argv, optind, &run)))
        return r;

    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_store *db;
    if ((r = nc_cli_open_store(CMD, &ctx, dbpath, 0, &db)))
        return r;
    nc_run_info info;
    nc_campaign_cfg cfg;
    nc_trial_rec *recs;
    int n;
    r = nc_cli_load_campaign(CMD, &ctx, db, dbpath, &run, &info, &cfg, &recs, &n);
    if (r) {
        nc_store_close(db);
        return r;
    }
    /* Only finished evaluations compete; idx indexes recs. */
    int *idx = malloc(((size_t)n + 1) * sizeof *idx);
    int *front = malloc(((size_t)n + 1) * sizeof *front);
    int *rank = malloc(((size_t)n + 1) * sizeof *rank);
    double *obj = malloc(((size_t)n + 1) * (size_t)cfg.n_obj * sizeof *obj);
    int m = 0, nf = 0;
    if (!idx || !front || !rank || !obj) {
        fprintf(stderr, "nasc %s: out of memory\n", CMD);
        r = NC_EXIT_FAILURE;
        goto out;
    }
    for (int i = 0; i < n; i++)
        if (strcmp(recs[i].status, "done") == 0 && recs[i].n_obj == cfg.n_obj) {
            memcpy(obj + (size_t)m * cfg.n_obj, recs[i].obj,
                   (size_t)cfg.n_obj * sizeof *obj);
            idx[m++] = i;
        }
    int maxim[NC_MAX_OBJ];
    for (int k = 0; k < cfg.n_obj; k++)
        maxim[k] = !nc_campaign_objective_minimized(cfg.obj[k]);
    if (m > 0 && nc_pareto_front(m, cfg.n_obj, obj, maxim, rank) < 0) {
        fprintf(stderr, "nasc %s: out of memory\n", CMD);
        r = NC_EXIT_FAILURE;
        goto out;
    }
    for (int i = 0; i < m; i++)
        if (rank[i] == 0)
            front[nf++] = idx[i];
    int mini = nc_campaign_objective_minimized(cfg.obj[0]);
    order_by_first(recs, idx, m, mini);
    order_by_first(recs, front, nf, mini);
    int k = top < m ? top : m;

    if (csv && (r = write_csv(csv, &cfg, recs, n)))
        goto out;
    if (svg && (r = write_svg(svg, &cfg, recs, idx, m, front, nf)))
        goto out;
    if (json) {
        cJSON *o = cJSON_CreateObject();
        if (o) {
            cJSON_AddNumberToObject(o, "run", (double)run);
            cJSON_AddStringToObject(o, "status", info.status);
            cJSON_AddNumberToObject(o, "trials", n);
            cJSON_AddNumberToObject(o, "budget", (double)cfg.budget);
            cJSON_AddItemToObject(o, "top", json_trials(&cfg, recs, idx, k));
            if (pareto)
                cJSON_AddItemToObject(o, "pareto",
                                      json_trials(&cfg, recs, front, nf));
        }
        r = nc_cli_print_json(o);
    } else {
        printf("run %lld: search on %s, %s: %d/%lld trials\n", (long long)run,
               cfg.space, info.status, n, (long long)cfg.budget);
        if (k > 0) {
            char title[64];
            snprintf(title, sizeof title, "\ntop %d by %s:", k,
                     nc_campaign_objective_name(cfg.obj[0]));
            print_table(title, &cfg, recs, idx, k);
        }
        if (pareto) {
            char title[64];
            snprintf(title, sizeof title, "\npareto front (%d trials):", nf);
            print_table(title, &cfg, recs, front, nf);
        }
        r = NC_EXIT_OK;
    }
out:
    free(idx);
    free(front);
    free(rank);
    free(obj);
    nc_trial_recs_free(recs, n);
    nc_run_info_clear(&info);
    nc_store_close(db);
    return r;
}
