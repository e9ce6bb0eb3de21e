/*
 * cmd_report.c — `nasc report [RUN]`: a campaign's leaderboard, Pareto
 * front, CSV and chart, or a training or DARTS run's curves.
 */
#include "cli/cli.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "campaign/plot.h"
#include "search/pareto.h"
#include "supernet/darts.h"

static const char CMD[] = "report";

/* What the command does, for its --help. */
static const char ABOUT[] =
    "Reports on run RUN. For a search campaign: a leaderboard of the best\n"
    "distinct architectures by the first objective and, with --pareto,\n"
    "the non-dominated ones over all objectives. For a training or DARTS\n"
    "run: the metrics of its last epoch, and with --svg its curves.\n";

/* What --json prints, for its --help. */
static const char JSON[] =
    "one JSON line. Campaigns: run, status, trials (stored, repeats "
    "included), unique (distinct architectures), budget, top (and "
    "with --pareto, pareto) as arrays of trials (trial, arch, each "
    "objective by name, the report metric). Training and DARTS "
    "runs: run, kind, status, epochs_done, epochs (planned), and "
    "train_loss, train_accuracy, valid_loss, valid_accuracy of the "
    "last epoch (fractions; null where not measured)";

/* The options, for the report of either kind. */
typedef struct opts {
    char csv[NC_PATH_MAX], svg[NC_PATH_MAX];
    int pareto, top;
} opts;

static const nc_cfg_field FIELDS[] = {
    { .key = "top", .type = NC_CFG_INT, .off = offsetof(opts, top), .lo = 0,
      .hi = 1000000, .def = 10, .opt = "--top", .metavar = "K",
      .help = "campaigns: leaderboard length (default 10; 0 for none)" },
    { .key = "pareto", .type = NC_CFG_FLAG, .off = offsetof(opts, pareto),
      .opt = "--pareto", .opt_value = "1",
      .help = "campaigns: also list the Pareto front" },
    { .key = "csv", .type = NC_CFG_STR, .off = offsetof(opts, csv),
      .size = NC_PATH_MAX, .opt = "--csv", .metavar = "FILE",
      .help = "write rows to FILE as CSV. Campaigns, every trial: trial, "
              "arch, origin, parent1, parent2, status, one column per "
              "objective, the select and report metrics, and seconds (the "
              "only timing column, last). Training and DARTS runs, every "
              "epoch: epoch, step, lr, train_loss, train_accuracy, "
              "valid_loss, valid_accuracy (accuracies as fractions; empty "
              "where not measured), seconds" },
    { .key = "svg", .type = NC_CFG_STR, .off = offsetof(opts, svg),
      .size = NC_PATH_MAX, .opt = "--svg", .metavar = "FILE",
      .help = "draw a chart with a title, axis ticks and units to FILE "
              "(SVG). Campaigns: every finished trial as a dot, the first "
              "objective against the second (against the trial number for "
              "one objective) and the Pareto front as a staircase (for one "
              "objective, the best so far); accuracy in %, latency in ms, "
              "params and flops (multiply-accumulates) with k, M, G suffixes. "
              "Training and DARTS runs: loss per epoch on the left axis, "
              "accuracy in % on the right, training solid and validation "
              "dashed; a DARTS run marks where DARTS-PT starts" },
};
static const nc_cfg_table OPTS = NC_CFG_TABLE("options", 0, FIELDS);

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

/* Writes chart p to path; on failure prints why and returns the exit code
 * (a file that cannot be written is the user's input problem, 3). */
static int svg_save(const char *path, const nc_plot *p)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "nasc %s: --svg %s: cannot write\n", CMD, path);
        return NC_EXIT_DATA;
    }
    nc_status st = nc_plot_write(&ctx, p, f);
    if (fclose(f) != 0 && st == NC_OK)
        st = NC_ERR_IO;
    if (st == NC_ERR_IO) {
        fprintf(stderr, "nasc %s: --svg %s: write failed\n", CMD, path);
        return NC_EXIT_DATA;
    }
    if (st) {
        fprintf(stderr, "nasc %s: --svg %s: %s\n", CMD, path, ctx.msg);
        return NC_EXIT_FAILURE;
    }
    return NC_EXIT_OK;
}

/* An objective's axis: its name and unit. Accuracies come as fractions
 * from the trained evaluators and in percent from the NB201 table; *scale
 * (100 or 1) brings them to percent. A table of other units keeps its
 * values and gets no unit. */
static void objective_axis(const nc_campaign_cfg *cfg, int k,
                           const nc_trial_rec *recs, const int *idx, int m,
                           nc_plot_axis *ax, double *scale)
{
    nc_objective o = cfg->obj[k];
    *ax = (nc_plot_axis){ nc_campaign_objective_name(o), NULL, 0, 0 };
    *scale = 1;
    if (o == NC_OBJ_ACCURACY) {
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < m; i++) {
            lo = fmin(lo, recs[idx[i]].obj[k]);
            hi = fmax(hi, recs[idx[i]].obj[k]);
        }
        if (lo >= 0 && hi <= 1)
            *scale = 100;
        if (lo >= 0 && hi <= 100)
            ax->unit = "%";
    } else if (o == NC_OBJ_LATENCY) {
        ax->unit = "ms";
    } else {
        ax->si = 1;
        if (o == NC_OBJ_FLOPS)
            ax->unit = "multiply-accumulates";
    }
}

/* The campaign's chart: trials as dots, the front as a staircase (over the
 * two objectives drawn; with more objectives the front over all of them is
 * drawn as dots of its own), or for one objective the best so far against
 * the trial number. idx: the m finished trials; front: the nf trials on
 * the front over all objectives. */
static int campaign_svg(const char *path, int64_t run, const char *status,
                        const nc_campaign_cfg *cfg, const nc_trial_rec *recs,
                        int n, int unique, const int *idx, int m,
                        const int *front, int nf)
{
    int two = cfg->n_obj > 1, r = NC_EXIT_FAILURE;
    size_t cap = (size_t)m + 1;
    double *x = malloc(cap * sizeof *x), *y = malloc(cap * sizeof *y);
    double *sx = malloc(cap * sizeof *sx), *sy = malloc(cap * sizeof *sy);
    double *fx = malloc(cap * sizeof *fx), *fy = malloc(cap * sizeof *fy);
    double *obj2 = malloc(2 * cap * sizeof *obj2);
    int *ids = malloc(cap * sizeof *ids), *sids = malloc(cap * sizeof *sids);
    int *fids = malloc(cap * sizeof *fids), *rank = malloc(cap * sizeof *rank);
    if (!x || !y || !sx || !sy || !fx || !fy || !obj2 || !ids || !sids ||
        !fids || !rank) {
        fprintf(stderr, "nasc %s: out of memory\n", CMD);
        goto out;
    }
    nc_plot p = { 0 };
    double ys, xs = 1;
    objective_axis(cfg, 0, recs, idx, m, &p.y, &ys);
    if (two)
        objective_axis(cfg, 1, recs, idx, m, &p.x, &xs);
    else
        p.x = (nc_plot_axis){ "trial", NULL, 1, 0 };
    for (int i = 0; i < m; i++) {
        const nc_trial_rec *t = &recs[idx[i]];
        x[i] = two ? t->obj[1] * xs : t->trial;
        y[i] = t->obj[0] * ys;
        ids[i] = t->trial;
    }
    int ns = 0, nff = 0;
    if (two) {
        int maxim[2] = { !nc_campaign_objective_minimized(cfg->obj[0]),
                         !nc_campaign_objective_minimized(cfg->obj[1]) };
        for (int i = 0; i < m; i++) {
            obj2[2 * i] = y[i];
            obj2[2 * i + 1] = x[i];
        }
        if (m > 0 && nc_pareto_front(m, 2, obj2, maxim, rank) < 0) {
            fprintf(stderr, "nasc %s: out of memory\n", CMD);
            goto out;
        }
        for (int i = 0; i < m; i++)
            if (rank[i] == 0) {
                sx[ns] = x[i];
                sy[ns] = y[i];
                sids[ns++] = ids[i];
            }
        for (int i = 0; cfg->n_obj > 2 && i < nf; i++) {
            fx[nff] = recs[front[i]].obj[1] * xs;
            fy[nff] = recs[front[i]].obj[0] * ys;
            fids[nff++] = recs[front[i]].trial;
        }
    } else {
        /* The best so far, in trial order (recs are), a step at each
         * improvement and a last point at the last trial. */
        int mini = nc_campaign_objective_minimized(cfg->obj[0]);
        for (int i = 0; i < n; i++) {
            const nc_trial_rec *t = &recs[i];
            if (strcmp(t->status, "done") != 0 || t->n_obj != cfg->n_obj)
                continue;
            double v = t->obj[0] * ys;
            if (ns == 0 || (mini ? v < sy[ns - 1] : v > sy[ns - 1])) {
                sx[ns] = t->trial;
                sy[ns] = v;
                sids[ns++] = t->trial;
            }
        }
        if (ns > 0 && m > 0) {
            int last = ids[0];
            for (int i = 1; i < m; i++)
                last = ids[i] > last ? ids[i] : last;
            if (last > sx[ns - 1]) {
                sx[ns] = last;
                sy[ns] = sy[ns - 1];
                sids[ns] = sids[ns - 1];
                ns++;
            }
        }
    }
    char trials_name[64], front_name[96], all_name[96];
    snprintf(trials_name, sizeof trials_name, "trials (%d)", m);
    if (!two)
        snprintf(front_name, sizeof front_name, "best so far");
    else if (cfg->n_obj == 2)
        snprintf(front_name, sizeof front_name, "Pareto front (%d)", ns);
    else
        snprintf(front_name, sizeof front_name, "front in %s and %s (%d)",
                 p.y.label, p.x.label, ns);
    snprintf(all_name, sizeof all_name, "front over all %d objectives (%d)",
             cfg->n_obj, nff);
    /* One objective: the best-so-far line reaches the last trial, but only
     * the improvements get dots. */
    int last_extra = !two && ns > 1 && sids[ns - 1] == sids[ns - 2];
    nc_plot_series s[3] = {
        { .name = trials_name, .style = NC_PLOT_POINTS, .x = x, .y = y,
          .n = m, .color = "#7fa7cf", .ids = ids, .id_name = "trial" },
        { .name = front_name, .style = NC_PLOT_STAIRS, .x = sx, .y = sy,
          .n = ns, .color = "#d62728",
          .vfirst = two && !nc_campaign_objective_minimized(cfg->obj[1]) },
        { .style = NC_PLOT_POINTS, .x = sx, .y = sy, .n = ns - last_extra,
          .color = "#d62728", .ids = sids, .id_name = "trial" },
    };
    if (cfg->n_obj > 2)
        s[2] = (nc_plot_series){ .name = all_name, .style = NC_PLOT_POINTS,
                                 .x = fx, .y = fy, .n = nff,
                                 .color = "#ff7f0e", .ids = fids,
                                 .id_name = "trial" };
    char title[160], sub[256];
    snprintf(title, sizeof title, "run %lld: %s search on %s (%s evaluator)",
             (long long)run, nc_campaign_strategy_name(cfg->strategy),
             cfg->space, nc_campaign_evaluator_name(cfg->evaluator));
    int len = snprintf(sub, sizeof sub, "%s, %s: %d/%lld architectures; ",
                       cfg->dataset, status, unique, (long long)cfg->budget);
    for (int k = 0; k < cfg->n_obj && len > 0 && (size_t)len < sizeof sub; k++)
        len += snprintf(sub + len, sizeof sub - (size_t)len, "%s%s %s",
                        k ? ", " : "",
                        nc_campaign_objective_minimized(cfg->obj[k])
                            ? "minimize" : "maximize",
                        nc_campaign_objective_name(cfg->obj[k]));
    p.title = title;
    p.subtitle = sub;
    p.series = s;
    p.n_series = 3;
    r = svg_save(path, &p);
out:
    free(x);
    free(y);
    free(sx);
    free(sy);
    free(fx);
    free(fy);
    free(obj2);
    free(ids);
    free(sids);
    free(fids);
    free(rank);
    return r;
}

static int report_campaign(const nc_cli_args *a, nc_ctx *ctx, nc_store *db,
                           const nc_run_info *info, const nc_cli_view *v,
                           const opts *o)
{
    const nc_campaign_cfg *cfgp = &v->cfg.search;
    int64_t run = info->id;
    nc_trial_rec *recs;
    int n, r;
    nc_campaign_result sum;
    r = nc_cli_campaign_trials(CMD, ctx, db, run, cfgp, &recs, &n, &sum);
    if (r)
        return r;
    const nc_campaign_cfg cfg = *cfgp;
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
    int unique = 0;
    for (int i = 0; i < n; i++) {
        /* A repeat answered from the cache is its first trial again: each
         * architecture is shown once. */
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(recs[j].arch, recs[i].arch) == 0;
        unique += !seen;
        if (!seen && strcmp(recs[i].status, "done") == 0 &&
            recs[i].n_obj == cfg.n_obj) {
            memcpy(obj + (size_t)m * cfg.n_obj, recs[i].obj,
                   (size_t)cfg.n_obj * sizeof *obj);
            idx[m++] = i;
        }
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
    int k = o->top < m ? o->top : m;

    if (o->csv[0] && (r = write_csv(o->csv, &cfg, recs, n)))
        goto out;
    if (o->svg[0] && (r = campaign_svg(o->svg, run, info->status, &cfg, recs,
                                       n, unique, idx, m, front, nf)))
        goto out;
    if (a->json) {
        cJSON *j = cJSON_CreateObject();
        if (j) {
            cJSON_AddNumberToObject(j, "run", (double)run);
            cJSON_AddStringToObject(j, "status", info->status);
            cJSON_AddNumberToObject(j, "trials", n);
            cJSON_AddNumberToObject(j, "unique", unique);
            cJSON_AddNumberToObject(j, "budget", (double)cfg.budget);
            cJSON_AddItemToObject(j, "top", json_trials(&cfg, recs, idx, k));
            if (o->pareto)
                cJSON_AddItemToObject(j, "pareto",
                                      json_trials(&cfg, recs, front, nf));
        }
        r = nc_cli_print_json(j);
    } else {
        printf("run %lld: search on %s, %s: %d/%lld architectures", (long long)run,
               cfg.space, info->status, unique, (long long)cfg.budget);
        if (n > unique)
            printf(" (%d trials, %d repeats answered from the cache)",
                   n, n - unique);
        printf("\n");
        if (k > 0) {
            char title[64];
            snprintf(title, sizeof title, "\ntop %d by %s:", k,
                     nc_campaign_objective_name(cfg.obj[0]));
            print_table(title, &cfg, recs, idx, k);
        }
        if (o->pareto) {
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
    return r;
}

/* ---- training and DARTS runs ------------------------------------------- */

/* What the report says about a training or DARTS run besides its epochs:
 * the chart's title lines. */
typedef struct curve_run {
    int search_epochs;     /* DARTS: before DARTS-PT; -1 without it */
    char title[300];
    char sub[3 * NC_ARCH_MAX + 160];
} curve_run;

/* The title lines from the run's view and its result (the cells chosen, the
 * test accuracy), if it has one. */
static int describe(nc_ctx *ctx, nc_store *db, const nc_run_info *in,
                    const nc_cli_view *vw, curve_run *c)
{
    char *res = NULL;
    nc_status st = nc_store_run_result(ctx, db, in->id, &res);
    if (st)
        return nc_cli_fail(CMD, ctx, st, NC_CLI_AT_STORE);
    cJSON *rj = res ? cJSON_Parse(res) : NULL;
    free(res);
    c->search_epochs = vw->search_epochs;
    snprintf(c->title, sizeof c->title, "run %lld: %s", (long long)in->id,
             vw->what);
    int len = snprintf(c->sub, sizeof c->sub, "%d/%d epochs", in->epochs_done,
                       vw->epochs);
    const cJSON *v;
    if (strcmp(in->kind, "darts") == 0) {
        const nc_darts_job *j = &vw->cfg.darts;
        len += snprintf(c->sub + len, sizeof c->sub - (size_t)len,
                        " (%d search", j->darts.epochs);
        if (c->search_epochs >= 0)
            len += snprintf(c->sub + len, sizeof c->sub - (size_t)len,
                            " + %d DARTS-PT tuning",
                            vw->epochs - j->darts.epochs);
        len += snprintf(c->sub + len, sizeof c->sub - (size_t)len, "), %s",
                        in->status);
        if ((v = cJSON_GetObjectItemCaseSensitive(rj, "darts")) &&
            cJSON_IsString(v))
            len += snprintf(c->sub + len, sizeof c->sub - (size_t)len,
                            "\nDARTS cell %s", v->valuestring);
        if ((v = cJSON_GetObjectItemCaseSensitive(rj, "pt")) &&
            cJSON_IsString(v) && c->search_epochs >= 0)
            snprintf(c->sub + len, sizeof c->sub - (size_t)len,
                     "\nDARTS-PT cell %s", v->valuestring);
    } else {
        len += snprintf(c->sub + len, sizeof c->sub - (size_t)len, ", %s",
                        in->status);
        if ((v = cJSON_GetObjectItemCaseSensitive(rj, "test_accuracy")) &&
            cJSON_IsNumber(v))
            len += snprintf(c->sub + len, sizeof c->sub - (size_t)len,
                            ", test accuracy %.2f%%", 100 * v->valuedouble);
        if (vw->cfg.train.arch[0])
            snprintf(c->sub + len, sizeof c->sub - (size_t)len, "\narch %s",
                     vw->cfg.train.arch);
    }
    cJSON_Delete(rj);
    return NC_EXIT_OK;
}

static int epochs_csv(const char *path, const nc_epoch_metrics *ep, int n)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "nasc %s: --csv %s: cannot write\n", CMD, path);
        return NC_EXIT_DATA;
    }
    fprintf(f, "epoch,step,lr,train_loss,train_accuracy,valid_loss,"
            "valid_accuracy,seconds\n");
    for (int i = 0; i < n; i++) {
        fprintf(f, "%d,%lld,", ep[i].epoch, (long long)ep[i].step);
        const double v[] = { ep[i].lr, ep[i].train_loss, ep[i].train_accuracy,
                             ep[i].valid_loss, ep[i].valid_accuracy };
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
            csv_num(f, v[k]);
            fputc(',', f);
        }
        fprintf(f, "%.6f\n", ep[i].seconds);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "nasc %s: --csv %s: write failed\n", CMD, path);
        return NC_EXIT_DATA;
    }
    return NC_EXIT_OK;
}

/* Loss on the left axis, accuracy in % on the right; a series that was
 * never measured (a DARTS run's validation loss) is left out. */
static int curves_svg(const char *path, const curve_run *c,
                      const nc_epoch_metrics *ep, int n)
{
    size_t cap = (size_t)n + 1;
    double *buf = malloc(5 * cap * sizeof *buf);
    if (!buf) {
        fprintf(stderr, "nasc %s: out of memory\n", CMD);
        return NC_EXIT_FAILURE;
    }
    double *x = buf, *col[4];
    for (int k = 0; k < 4; k++)
        col[k] = buf + (size_t)(k + 1) * cap;
    for (int i = 0; i < n; i++) {
        x[i] = ep[i].epoch;
        col[0][i] = ep[i].train_loss;
        col[1][i] = ep[i].valid_loss;
        col[2][i] = 100 * ep[i].train_accuracy;
        col[3][i] = 100 * ep[i].valid_accuracy;
    }
    static const char *const NAME[] = { "train loss", "valid loss",
                                        "train accuracy", "valid accuracy" };
    nc_plot_series s[4];
    int ns = 0;
    for (int k = 0; k < 4; k++) {
        int any = 0;
        for (int i = 0; i < n; i++)
            any |= isfinite(col[k][i]);
        if (!any)
            continue;
        s[ns++] = (nc_plot_series){
            .name = NAME[k], .x = x, .y = col[k], .n = n, .right = k >= 2,
            .style = n <= 40 ? NC_PLOT_LINE_POINTS : NC_PLOT_LINE,
            .dashed = k % 2, .color = k < 2 ? "#1f77b4" : "#d62728" };
    }
    nc_plot_mark mark = { c->search_epochs + 0.5, "DARTS-PT" };
    nc_plot p = {
        .title = c->title, .subtitle = c->sub,
        .x = { "epoch", NULL, 1, 0 }, .y = { "loss", NULL, 0, 0 },
        .y2 = { "accuracy", "%", 0, 0 }, .series = s, .n_series = ns,
        .marks = &mark,
        .n_marks = c->search_epochs >= 0 && n > c->search_epochs,
    };
    int r = svg_save(path, &p);
    free(buf);
    return r;
}

static int report_curves(const nc_cli_args *a, nc_ctx *ctx, nc_store *db,
                         const nc_run_info *info, const nc_cli_view *v,
                         const opts *o)
{
    if (o->pareto) {
        fprintf(stderr, "nasc %s: --pareto is for search campaigns; run %lld "
                "is a '%s' run\n", CMD, (long long)info->id, info->kind);
        return NC_EXIT_USAGE;
    }
    curve_run c;
    int r = describe(ctx, db, info, v, &c);
    if (r)
        return r;
    nc_epoch_metrics *ep = NULL;
    int n = 0;
    nc_status st = nc_store_epochs(ctx, db, info->id, &ep, &n);
    if (st)
        return nc_cli_fail(CMD, ctx, st, NC_CLI_AT_STORE);
    if ((o->csv[0] && (r = epochs_csv(o->csv, ep, n))) ||
        (o->svg[0] && (r = curves_svg(o->svg, &c, ep, n)))) {
        free(ep);
        return r;
    }
    const nc_epoch_metrics *last = n > 0 ? &ep[n - 1] : NULL;
    if (a->json) {
        cJSON *j = cJSON_CreateObject();
        if (j) {
            cJSON_AddNumberToObject(j, "run", (double)info->id);
            cJSON_AddStringToObject(j, "kind", info->kind);
            cJSON_AddStringToObject(j, "status", info->status);
            cJSON_AddNumberToObject(j, "epochs_done", n);
            cJSON_AddNumberToObject(j, "epochs", v->epochs);
            cJSON_AddItemToObject(j, "train_loss", nc_cli_json_num(
                                  last ? last->train_loss : NAN));
            cJSON_AddItemToObject(j, "train_accuracy", nc_cli_json_num(
                                  last ? last->train_accuracy : NAN));
            cJSON_AddItemToObject(j, "valid_loss", nc_cli_json_num(
                                  last ? last->valid_loss : NAN));
            cJSON_AddItemToObject(j, "valid_accuracy", nc_cli_json_num(
                                  last ? last->valid_accuracy : NAN));
        }
        r = nc_cli_print_json(j);
    } else {
        printf("%s, %s: %d/%d epochs\n", c.title, info->status, n, v->epochs);
        if (last)
            nc_cli_print_epoch(last);
        else
            printf("no epoch finished yet\n");
        r = nc_cli_flush();
    }
    free(ep);
    return r;
}

static int on_run(const nc_cli_args *a, void *opts, nc_cli_run *r)
{
    const char *kind = r->info.kind ? r->info.kind : "";
    if (strcmp(kind, "search") == 0)
        return report_campaign(a, &r->ctx, r->db, &r->info, &r->view, opts);
    if (strcmp(kind, "train") == 0 || strcmp(kind, "darts") == 0)
        return report_curves(a, &r->ctx, r->db, &r->info, &r->view, opts);
    fprintf(stderr, "nasc %s: run %lld is a '%s' run, which nasc report "
            "does not know\n", CMD, (long long)r->id, kind);
    return NC_EXIT_STATE;
}

const nc_cli_cmd nc_cli_cmd_report = {
    .name = "report", .usage = "[RUN] [OPTIONS]",
    .summary = "leaderboard, Pareto front, CSV and charts of a run",
    .about = ABOUT, .json = JSON,
    .common = NC_CLI_DB | NC_CLI_JSON | NC_CLI_RUN_NEWEST,
    .opts = &OPTS, .size = sizeof(opts),
    .on_run = on_run,
};
