/*
 * plot.c — the SVG charts of plot.h: layout (margins from the title,
 * legend and axes present), round ticks, and the series as polylines and
 * circles.
 */
#include "campaign/plot.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { DEF_W = 720, DEF_H = 480, MAX_SUB = 3 };

static const char *const PALETTE[] = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
};

int nc_plot_ticks(double lo, double hi, int max_ticks, int integer,
                  double *ticks, double *step)
{
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (lo == hi) {
        double d = lo != 0 ? fabs(lo) / 10 : 1;
        if (integer && d < 1)
            d = 1;
        lo -= d;
        hi += d;
    }
    if (max_ticks < 3)
        max_ticks = 3;
    if (max_ticks > NC_PLOT_TICKS_MAX)
        max_ticks = NC_PLOT_TICKS_MAX;
    static const double MULT[] = { 1, 2, 5 };
    double mag = pow(10, floor(log10((hi - lo) / (max_ticks - 1))));
    double s = 1, a = 0, b = 1;
    /* Each pass tries the next power of ten; the first pass starts below
     * the shortest step that could fit, so the smallest fitting one wins.
     * The cap only guards against a range near DBL_MAX. */
    for (int pass = 0; pass < 700; pass++, mag *= 10) {
        int found = 0;
        for (int k = 0; k < 3 && !found; k++) {
            s = MULT[k] * mag;
            if (integer && s < 1)
                continue;
            /* Bounds within rounding error of a tick count as on it. */
            double qa = lo / s, qb = hi / s;
            a = floor(qa + 1e-9 + 1e-12 * fabs(qa));
            b = ceil(qb - 1e-9 - 1e-12 * fabs(qb));
            found = b - a + 1 <= max_ticks;
        }
        if (found)
            break;
    }
    int n = (int)(b - a) + 1;
    if (n < 2)
        n = 2;
    if (n > NC_PLOT_TICKS_MAX)
        n = NC_PLOT_TICKS_MAX;
    for (int i = 0; i < n; i++)
        ticks[i] = (a + i) * s + 0.0;
    *step = s;
    return n;
}

void nc_plot_tick_label(double v, double step, double max_abs, int si,
                        char *buf, size_t n)
{
    static const struct { double div; const char *suffix; } SI[] = {
        { 1e12, "T" }, { 1e9, "G" }, { 1e6, "M" }, { 1e3, "k" },
    };
    double div = 1;
    const char *suffix = "";
    for (size_t i = 0; si && i < sizeof SI / sizeof SI[0]; i++)
        if (max_abs >= SI[i].div) {
            div = SI[i].div;
            suffix = SI[i].suffix;
            break;
        }
    if (n == 0)
        return;
    if (fabs(v) < fabs(step) * 1e-6 || !isfinite(v)) {
        snprintf(buf, n, isfinite(v) ? "0" : "?");
        return;
    }
    int dec = 0;
    if (step > 0 && isfinite(step)) {
        dec = -(int)floor(log10(step / div) + 1e-9);
        if (dec < 0)
            dec = 0;
        if (dec > 12)
            dec = 12;
    }
    snprintf(buf, n, "%.*f%s", dec, v / div, suffix);
}

int nc_plot_staircase(const double *x, const double *y, int n, int vfirst,
                      double *vx, double *vy)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) {
            vx[m] = x[i];
            vy[m] = y[i];
            m++;
        }
    /* Insertion sort: stable, no allocation, and linear on the common
     * already-sorted input (a best-so-far curve in trial order). */
    for (int i = 1; i < m; i++) {
        double px = vx[i], py = vy[i];
        int j = i - 1;
        while (j >= 0 && (vx[j] > px || (vx[j] == px && vy[j] > py))) {
            vx[j + 1] = vx[j];
            vy[j + 1] = vy[j];
            j--;
        }
        vx[j + 1] = px;
        vy[j + 1] = py;
    }
    if (m == 0)
        return 0;
    /* Spread from the back, so that no point is overwritten before it is
     * read: point i goes to 2i, the corner before it to 2i - 1. */
    for (int i = m - 1; i > 0; i--) {
        double px = vx[i], py = vy[i];
        vx[2 * i] = px;
        vy[2 * i] = py;
        vx[2 * i - 1] = vfirst ? vx[i - 1] : px;
        vy[2 * i - 1] = vfirst ? py : vy[i - 1];
    }
    return 2 * m - 1;
}

/* ---- writing ------------------------------------------------------------ */

static void put_esc(FILE *f, const char *s, size_t len)
{
    for (size_t i = 0; i < len && s[i]; i++) {
        switch (s[i]) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(s[i], f);
        }
    }
}

static void put_text(FILE *f, double x, double y, const char *anchor,
                     const char *extra, const char *s, size_t len)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>", x, y,
            anchor, extra ? extra : "");
    put_esc(f, s, len);
    fputs("</text>\n", f);
}

/* "label (unit)" as the axis title; nothing without a label. */
static void put_axis_title(FILE *f, const nc_plot_axis *ax, double x, double y,
                           int rotate)
{
    if (!ax->label || !ax->label[0])
        return;
    if (rotate)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                "transform=\"rotate(-90 %.1f %.1f)\">", x, y, x, y);
    else
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, y);
    put_esc(f, ax->label, strlen(ax->label));
    if (ax->unit && ax->unit[0]) {
        fputs(" (", f);
        put_esc(f, ax->unit, strlen(ax->unit));
        fputc(')', f);
    }
    fputs("</text>\n", f);
}

/* One axis: its data range rounded out to ticks, and where it lies. */
typedef struct axis {
    double t[NC_PLOT_TICKS_MAX], step, lo, hi;
    int nt;
} axis;

static void axis_fit(axis *a, double lo, double hi, int max_ticks, int integer)
{
    a->nt = nc_plot_ticks(lo, hi, max_ticks, integer, a->t, &a->step);
    /* A little room beyond the outer ticks, so that a point on one is not
     * drawn on the frame. */
    double pad = 0.025 * (a->t[a->nt - 1] - a->t[0]);
    a->lo = a->t[0] - pad;
    a->hi = a->t[a->nt - 1] + pad;
}

typedef struct frame {
    double L, T, pw, ph;   /* plot area */
    axis x, y, y2;
} frame;

static double to_px(const frame *fr, double x)
{
    return fr->L + (x - fr->x.lo) / (fr->x.hi - fr->x.lo) * fr->pw;
}

static double to_py(const frame *fr, const axis *a, double y)
{
    return fr->T + fr->ph - (y - a->lo) / (a->hi - a->lo) * fr->ph;
}

static void put_ticks(FILE *f, const frame *fr, const axis *a,
                      const nc_plot_axis *spec, int where)
{
    double max_abs = fmax(fabs(a->t[0]), fabs(a->t[a->nt - 1]));
    for (int i = 0; i < a->nt; i++) {
        char lab[48];
        nc_plot_tick_label(a->t[i], a->step, max_abs, spec->si, lab,
                           sizeof lab);
        if (where == 0) {           /* x, below */
            double px = to_px(fr, a->t[i]), by = fr->T + fr->ph;
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    "stroke=\"#e4e4e4\"/>\n", px, fr->T, px, by);
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    "stroke=\"black\"/>\n", px, by, px, by + 4);
            put_text(f, px, by + 17, "middle", NULL, lab, sizeof lab);
        } else {                    /* y left (1) or y2 right (2) */
            double py = to_py(fr, a, a->t[i]);
            double ex = where == 1 ? fr->L : fr->L + fr->pw;
            double d = where == 1 ? -4 : 4;
            if (where == 1)
                fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                        "y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", fr->L, py,
                        fr->L + fr->pw, py);
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    "stroke=\"black\"/>\n", ex, py, ex + d, py);
            put_text(f, ex + 2 * d, py + 4, where == 1 ? "end" : "start", NULL,
                     lab, sizeof lab);
        }
    }
}

static void put_dot(FILE *f, double px, double py, double r, const char *color,
                    const nc_plot_series *s, int i)
{
    /* A dashed series has hollow dots: they tell it apart where a line
     * is too short to show its dashes. */
    if (s->dashed)
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%g\" fill=\"white\" "
                "stroke=\"%s\" stroke-width=\"1.5\"", px, py, r, color);
    else
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%g\" fill=\"%s\"", px,
                py, r, color);
    if (s->ids) {
        fputs("><title>", f);
        if (s->id_name)
            put_esc(f, s->id_name, strlen(s->id_name));
        fprintf(f, " %d</title></circle>\n", s->ids[i]);
    } else {
        fputs("/>\n", f);
    }
}

static void put_polyline_head(FILE *f, const nc_plot_series *s,
                              const char *color)
{
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"%s "
            "stroke-linejoin=\"round\" points=\"", color,
            s->dashed ? " stroke-dasharray=\"6 3\"" : "");
}

static void put_polyline_tail(FILE *f, const nc_plot_series *s)
{
    fputs("\">", f);
    if (s->name) {
        fputs("<title>", f);
        put_esc(f, s->name, strlen(s->name));
        fputs("</title>", f);
    }
    fputs("</polyline>\n", f);
}

static nc_status put_series(nc_ctx *ctx, FILE *f, const frame *fr,
                            const nc_plot_series *s, const char *color)
{
    const axis *ya = s->right ? &fr->y2 : &fr->y;
    int line = s->style == NC_PLOT_LINE || s->style == NC_PLOT_LINE_POINTS;
    int stairs = s->style == NC_PLOT_STAIRS ||
                 s->style == NC_PLOT_STAIRS_POINTS;
    int dots = s->style == NC_PLOT_POINTS || s->style == NC_PLOT_LINE_POINTS ||
               s->style == NC_PLOT_STAIRS_POINTS;
    int finite = 0;
    for (int i = 0; i < s->n; i++)
        finite += isfinite(s->x[i]) && isfinite(s->y[i]);
    if (finite == 0)
        return NC_OK;
    if (stairs) {
        size_t cap = 2 * (size_t)s->n;
        double *vx = malloc(cap * sizeof *vx), *vy = malloc(cap * sizeof *vy);
        if (!vx || !vy) {
            free(vx);
            free(vy);
            return nc_fail(ctx, NC_ERR_NOMEM, "plot: out of memory");
        }
        int nv = nc_plot_staircase(s->x, s->y, s->n, s->vfirst, vx, vy);
        put_polyline_head(f, s, color);
        for (int i = 0; i < nv; i++)
            fprintf(f, "%s%.1f,%.1f", i ? " " : "", to_px(fr, vx[i]),
                    to_py(fr, ya, vy[i]));
        put_polyline_tail(f, s);
        free(vx);
        free(vy);
    } else if (line) {
        put_polyline_head(f, s, color);
        int k = 0;
        for (int i = 0; i < s->n; i++)
            if (isfinite(s->x[i]) && isfinite(s->y[i]))
                fprintf(f, "%s%.1f,%.1f", k++ ? " " : "", to_px(fr, s->x[i]),
                        to_py(fr, ya, s->y[i]));
        put_polyline_tail(f, s);
    }
    /* A line of one point draws nothing: give it its dot. */
    if (dots || finite == 1)
        for (int i = 0; i < s->n; i++)
            if (isfinite(s->x[i]) && isfinite(s->y[i]))
                put_dot(f, to_px(fr, s->x[i]), to_py(fr, ya, s->y[i]),
                        s->style == NC_PLOT_POINTS ? 2.2 : 3, color, s, i);
    return NC_OK;
}

static const char *series_color(const nc_plot *p, int k)
{
    int pal = 0;
    for (int i = 0; i < k; i++)
        pal += !p->series[i].color;
    size_t np = sizeof PALETTE / sizeof PALETTE[0];
    return p->series[k].color ? p->series[k].color : PALETTE[(size_t)pal % np];
}

/* The legend's rows: entries laid out left to right, wrapped at the plot
 * width; with draw 0 only counts the rows. Text width is estimated (the
 * renderer's font is unknown), at 6.6 px per character of 12 px sans. */
static int put_legend(FILE *f, const nc_plot *p, const frame *fr, double y0,
                      int draw)
{
    double x = fr->L, y = y0;
    int rows = 0;
    for (int k = 0; k < p->n_series; k++) {
        const nc_plot_series *s = &p->series[k];
        if (!s->name)
            continue;
        double w = 30 + 6.6 * (double)strlen(s->name) + 18;
        if (rows == 0 || (x + w > fr->L + fr->pw && x > fr->L)) {
            rows++;
            x = fr->L;
            y = y0 + 18 * (rows - 1);
        }
        if (draw) {
            const char *c = series_color(p, k);
            if (s->style == NC_PLOT_POINTS)
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
                        "fill=\"%s\"/>\n", x + 12, y - 4, c);
            else
                fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                        "y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.8\"%s/>\n",
                        x, y - 4, x + 24, y - 4, c,
                        s->dashed ? " stroke-dasharray=\"6 3\"" : "");
            if (s->style == NC_PLOT_LINE_POINTS ||
                s->style == NC_PLOT_STAIRS_POINTS)
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
                        "fill=\"%s\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
                        x + 12, y - 4, s->dashed ? "white" : c, c);
            put_text(f, x + 30, y, "start", NULL, s->name, strlen(s->name));
        }
        x += w;
    }
    return rows;
}

/* The font size, at most size, at which len characters fit the width W
 * with a margin; em is a generous average character width in ems of a
 * sans font (architecture strings can be longer than the chart is wide). */
static double fit_size(double size, double em, double W, size_t len)
{
    double fit = (W - 24) / (em * (double)(len ? len : 1));
    return fit < size ? fit : size;
}

static nc_status check(nc_ctx *ctx, const nc_plot *p)
{
    if (!p || !p->title)
        return nc_fail(ctx, NC_ERR_INVAL, "plot: no title");
    if (p->n_series < 0 || p->n_marks < 0 || p->width < 0 || p->height < 0 ||
        (p->n_series > 0 && !p->series) || (p->n_marks > 0 && !p->marks))
        return nc_fail(ctx, NC_ERR_INVAL, "plot: bad series, marks or size");
    for (int k = 0; k < p->n_series; k++) {
        const nc_plot_series *s = &p->series[k];
        if (s->n < 0 || (s->n > 0 && (!s->x || !s->y)))
            return nc_fail(ctx, NC_ERR_INVAL, "plot: series %d (%s) has no "
                           "points", k, s->name ? s->name : "unnamed");
    }
    return NC_OK;
}

/* Data ranges of x, y and y2 (lo > hi where an axis has no finite point). */
static int data_ranges(const nc_plot *p, double r[3][2])
{
    int has_y2 = 0;
    for (int a = 0; a < 3; a++) {
        r[a][0] = INFINITY;
        r[a][1] = -INFINITY;
    }
    for (int k = 0; k < p->n_series; k++) {
        const nc_plot_series *s = &p->series[k];
        has_y2 |= s->right && s->n > 0;
        for (int i = 0; i < s->n; i++) {
            if (!isfinite(s->x[i]) || !isfinite(s->y[i]))
                continue;
            int a = s->right ? 2 : 1;
            r[0][0] = fmin(r[0][0], s->x[i]);
            r[0][1] = fmax(r[0][1], s->x[i]);
            r[a][0] = fmin(r[a][0], s->y[i]);
            r[a][1] = fmax(r[a][1], s->y[i]);
        }
    }
    for (int k = 0; k < p->n_marks; k++)
        if (isfinite(p->marks[k].x)) {
            r[0][0] = fmin(r[0][0], p->marks[k].x);
            r[0][1] = fmax(r[0][1], p->marks[k].x);
        }
    return has_y2;
}

nc_status nc_plot_write(nc_ctx *ctx, const nc_plot *p, FILE *f)
{
    nc_status st = check(ctx, p);
    if (st)
        return st;
    double W = p->width ? p->width : DEF_W, H = p->height ? p->height : DEF_H;
    double r[3][2];
    int has_y2 = data_ranges(p, r);
    int nsub = 0;
    const char *sub[MAX_SUB];
    size_t sublen[MAX_SUB];
    for (const char *s = p->subtitle; s && *s && nsub < MAX_SUB;) {
        const char *e = strchr(s, '\n');
        sub[nsub] = s;
        sublen[nsub++] = e ? (size_t)(e - s) : strlen(s);
        s = e ? e + 1 : NULL;
    }
    frame fr;
    fr.L = 72;
    fr.T = 40 + 16.0 * nsub;
    fr.pw = W - fr.L - (has_y2 ? 72 : 24);
    fr.ph = 100;
    int rows = put_legend(f, p, &fr, 0, 0);
    fr.ph = H - fr.T - (56 + 18.0 * rows);
    if (fr.pw < 100 || fr.ph < 80)
        return nc_fail(ctx, NC_ERR_INVAL, "plot: %gx%g pixels leave no room "
                       "for the plot", W, H);
    int xt = (int)(fr.pw / 80), yt = (int)(fr.ph / 45);
    axis_fit(&fr.x, r[0][0], r[0][1], xt > 10 ? 10 : xt, p->x.integer);
    axis_fit(&fr.y, r[1][0], r[1][1], yt > 10 ? 10 : yt, p->y.integer);
    axis_fit(&fr.y2, r[2][0], r[2][1], yt > 10 ? 10 : yt, p->y2.integer);

    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" "
            "height=\"%g\" viewBox=\"0 0 %g %g\" font-family=\"sans-serif\" "
            "font-size=\"12\">\n<title>", W, H, W, H);
    put_esc(f, p->title, strlen(p->title));
    fprintf(f, "</title>\n<rect width=\"100%%\" height=\"100%%\" "
            "fill=\"white\"/>\n");
    char attr[64];
    snprintf(attr, sizeof attr, " font-size=\"%.1f\" font-weight=\"bold\"",
             fit_size(15, 0.65, W, strlen(p->title)));
    put_text(f, W / 2, 22, "middle", attr, p->title, strlen(p->title));
    for (int i = 0; i < nsub; i++) {
        snprintf(attr, sizeof attr, " font-size=\"%.1f\" fill=\"#444\"",
                 fit_size(12, 0.6, W, sublen[i]));
        put_text(f, W / 2, 40 + 16.0 * i, "middle", attr, sub[i], sublen[i]);
    }
    put_ticks(f, &fr, &fr.x, &p->x, 0);
    put_ticks(f, &fr, &fr.y, &p->y, 1);
    if (has_y2)
        put_ticks(f, &fr, &fr.y2, &p->y2, 2);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
            "fill=\"none\" stroke=\"black\"/>\n", fr.L, fr.T, fr.pw, fr.ph);
    put_axis_title(f, &p->x, fr.L + fr.pw / 2, fr.T + fr.ph + 36, 0);
    put_axis_title(f, &p->y, 18, fr.T + fr.ph / 2, 1);
    if (has_y2)
        put_axis_title(f, &p->y2, W - 12, fr.T + fr.ph / 2, 1);
    for (int k = 0; k < p->n_marks; k++) {
        const nc_plot_mark *m = &p->marks[k];
        if (!isfinite(m->x))
            continue;
        double px = to_px(&fr, m->x);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#888\" stroke-dasharray=\"3 3\"/>\n", px, fr.T, px,
                fr.T + fr.ph);
        if (m->label)
            put_text(f, px + 4, fr.T + 14, "start", " fill=\"#555\"", m->label,
                     strlen(m->label));
    }
    for (int k = 0; k < p->n_series; k++)
        if ((st = put_series(ctx, f, &fr, &p->series[k], series_color(p, k))))
            return st;
    put_legend(f, p, &fr, fr.T + fr.ph + 58, 1);
    fputs("</svg>\n", f);
    /* Flushed here, so that a full disk is this call's error and not a
     * surprise at the caller's fclose. */
    if (fflush(f) != 0 || ferror(f))
        return nc_fail(ctx, NC_ERR_IO, "plot: write failed: %s",
                       strerror(errno ? errno : EIO));
    return NC_OK;
}

nc_status nc_plot_svg(nc_ctx *ctx, const nc_plot *p, char **svg, size_t *len)
{
    *svg = NULL;
    if (len)
        *len = 0;
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return nc_fail(ctx, NC_ERR_NOMEM, "plot: out of memory");
    nc_status st = nc_plot_write(ctx, p, f);
    if (fclose(f) != 0 && st == NC_OK)
        st = nc_fail(ctx, NC_ERR_NOMEM, "plot: out of memory");
    if (st) {
        free(buf);
        return st;
    }
    *svg = buf;
    if (len)
        *len = n;
    return NC_OK;
}
