#include "cli/cli.h"

#include <math.h>
#include <stdlib.h>

void nc_cli_progress_init(nc_cli_progress *p, int enabled,
                          const char *db_path, nc_store *db,
                          const int64_t *run, int batch, int epochs_done,
                          const char *what)
{
    *p = (nc_cli_progress){
        .enabled = enabled, .db_path = db_path, .db = db,
        .run = run, .batch = batch, .epochs_shown = epochs_done,
        .what = what, .epoch = 0, .t_drawn = -1,
    };
}

static void clear_line(nc_cli_progress *p)
{
    if (p->line_open) {
        /* \r and "erase to end of line": the next text starts clean. */
        fputs("\r\033[K", stderr);
        p->line_open = 0;
    }
}

static void announce(nc_cli_progress *p)
{
    if (p->announced || !*p->run)
        return;
    p->announced = 1;
    long long id = (long long)*p->run;
    fprintf(stderr, "run %lld: %s (resume with: nasc resume %lld --db %s)\n",
            id, p->what, id, p->db_path);
}

/* Epoch summaries come from the run log rather than the step callback: only
 * the committed epoch row has the train accuracy and the validation score. */
static void show_epochs(nc_cli_progress *p)
{
    if (!*p->run)
        return;
    nc_ctx scratch;   /* a failure here must not touch the training's ctx */
    nc_ctx_init(&scratch);
    nc_epoch_metrics *m = NULL;
    int n = 0;
    if (nc_store_epochs(&scratch, p->db, *p->run, &m, &n) != NC_OK)
        return;
    for (int i = 0; i < n; i++) {
        if (m[i].epoch <= p->epochs_shown)
            continue;
        clear_line(p);
        fprintf(stderr, "epoch %d/%d  train loss %.4f  acc %.2f%%",
                m[i].epoch, p->epochs, m[i].train_loss,
                100.0 * m[i].train_accuracy);
        if (!isnan(m[i].valid_accuracy))
            fprintf(stderr, "  valid loss %.4f  acc %.2f%%", m[i].valid_loss,
                    100.0 * m[i].valid_accuracy);
        fprintf(stderr, "  %.1f s\n", m[i].seconds);
        p->epochs_shown = m[i].epoch;
    }
    free(m);
}

static void on_step(void *ud, int epoch, int epochs, int64_t step,
                    int64_t steps, double loss, double seconds)
{
    nc_cli_progress *p = ud;
    if (!p->enabled)
        return;
    announce(p);
    p->epochs = epochs;
    if (epoch != p->epoch) {
        show_epochs(p);
        p->epoch = epoch;
        p->t_drawn = -1;
    }
    /* Redrawing after every step would cost more than a small net's step;
     * ten times a second reads as live. */
    if (step != steps && p->t_drawn >= 0 && seconds - p->t_drawn < 0.1)
        return;
    p->t_drawn = seconds;
    fprintf(stderr, "\repoch %d/%d  step %lld/%lld  loss %.4f", epoch, epochs,
            (long long)step, (long long)steps, loss);
    if (p->batch > 0 && seconds > 0)
        fprintf(stderr, "  %.0f samples/s", (double)step * p->batch / seconds);
    fputs("\033[K", stderr);
    fflush(stderr);
    p->line_open = 1;
}

nc_train_progress nc_cli_progress_hook(nc_cli_progress *p)
{
    return (nc_train_progress){ .fn = on_step, .ud = p };
}

void nc_cli_progress_end(nc_cli_progress *p)
{
    if (!p->enabled)
        return;
    show_epochs(p);
    clear_line(p);
    fflush(stderr);
}
