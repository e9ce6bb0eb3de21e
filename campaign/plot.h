/*
 * plot.h — small SVG charts for the reports of runs: lines, dots and
 * staircases on axes with round tick values (steps of 1, 2 or 5 times a
 * power of ten), axis labels with their units, a title and a legend, and an
 * optional second y axis on the right. No dependency: the SVG is written by
 * hand, to the stream or into a buffer the caller gets.
 *
 * The caller describes the whole chart in one nc_plot (data stays the
 * caller's; nothing is copied past the call) and writes it in one go:
 *
 *     double ep[] = { 1, 2, 3 }, loss[] = { 0.9, 0.6, 0.5 };
 *     nc_plot_series s = { .name = "train loss", .style = NC_PLOT_LINE,
 *                          .x = ep, .y = loss, .n = 3 };
 *     nc_plot p = { .title = "run 1", .x = { "epoch", NULL, 1, 0 },
 *                   .y = { "loss", NULL, 0, 0 }, .series = &s,
 *                   .n_series = 1 };
 *     if (nc_plot_write(ctx, &p, f) != NC_OK)
 *         ... ctx->msg says what failed ...
 *
 * Points with a non-finite coordinate are left out. Axes span the data
 * rounded out to whole ticks; values are drawn as given, so a caller that
 * wants a fraction shown in % scales it first and names the unit "%".
 * Like the rest of the library this module never prints: it writes only to
 * the stream or buffer it is handed.
 */
#ifndef NC_PLOT_H
#define NC_PLOT_H

#include <stddef.h>
#include <stdio.h>

#include "core/ctx.h"

/* Most ticks on one axis (the bound of nc_plot_ticks' max_ticks). */
enum { NC_PLOT_TICKS_MAX = 16 };

typedef enum nc_plot_style {
    NC_PLOT_LINE = 0,    /* a line through the points in the given order */
    NC_PLOT_POINTS,      /* a dot per point */
    NC_PLOT_LINE_POINTS, /* both */
    NC_PLOT_STAIRS,      /* a staircase through the points sorted by x
                            (see nc_plot_staircase) */
    NC_PLOT_STAIRS_POINTS /* the staircase with a dot per point */
} nc_plot_style;

typedef struct nc_plot_axis {
    const char *label;   /* "latency"; NULL: none */
    const char *unit;    /* "ms", "%"; NULL or "": none. Shown as
                            "latency (ms)" */
    int integer;         /* ticks on whole numbers only (epochs, trials) */
    int si;              /* tick labels with k, M, G, T suffixes (1.2M) */
} nc_plot_axis;

typedef struct nc_plot_series {
    const char *name;      /* legend entry; NULL: not in the legend */
    nc_plot_style style;
    const double *x, *y;   /* n points */
    int n;
    int right;             /* 1: against the second y axis (y2) */
    int vfirst;            /* stairs only: see nc_plot_staircase */
    int dashed;
    const char *color;     /* an SVG colour; NULL: the next of a palette */
    const int *ids;        /* dots only: a tooltip "<id_name> <ids[i]>" per
                              dot; NULL: none */
    const char *id_name;
} nc_plot_series;

/* A vertical line across the plot at x, labelled at its top (a phase
 * change, for instance). */
typedef struct nc_plot_mark {
    double x;
    const char *label;
} nc_plot_mark;

typedef struct nc_plot {
    const char *title;               /* required */
    const char *subtitle;            /* NULL: none; '\n' separates lines
                                        (at most 3 are drawn) */
    nc_plot_axis x, y, y2;           /* y2 is drawn only when a series is
                                        on it */
    const nc_plot_series *series;
    int n_series;
    const nc_plot_mark *marks;
    int n_marks;
    int width, height;               /* pixels; 0: 720 x 480 */
} nc_plot;

/* Round ticks for an axis over [lo, hi]: the multiples of step from
 * floor(lo/step)*step to ceil(hi/step)*step, with step the smallest of
 * 1, 2 or 5 times a power of ten that needs at most max_ticks ticks (at
 * least 1 when integer is set). lo == hi is widened around the value
 * (by 1, or a tenth of it); non-finite bounds give 0..1; lo > hi are
 * swapped. max_ticks is clamped to 3..NC_PLOT_TICKS_MAX. Writes the ticks
 * (each an exact multiple k*step, -0 as 0) to ticks[NC_PLOT_TICKS_MAX],
 * the step to *step, and returns how many there are (>= 2). */
int nc_plot_ticks(double lo, double hi, int max_ticks, int integer,
                  double *ticks, double *step);

/* A tick label for value v on an axis with the given step: as many
 * decimals as the step needs ("0.2", "93.4", "1500"); with si, scaled by
 * the k, M, G or T that suits the magnitude max_abs of the axis's
 * largest tick ("1.2M", "800k"). Writes a NUL-terminated label into buf
 * (truncated to n - 1 characters). */
void nc_plot_tick_label(double v, double step, double max_abs, int si,
                        char *buf, size_t n);

/* The vertices of the staircase through n points (x[i], y[i]): the points
 * with finite coordinates sorted by x (ties by y, stable), each joined to
 * the next by a horizontal then a vertical segment when vfirst is 0 (each
 * y holds until the next point's x: the best value so far along an x that
 * is minimized), or by a vertical then a horizontal one when vfirst is 1
 * (along an x that is maximized). vx and vy must hold 2n - 1 values (the
 * points themselves are among the vertices, at even indices). Returns the
 * number of vertices written (2m - 1 for m finite points, 0 for none). */
int nc_plot_staircase(const double *x, const double *y, int n, int vfirst,
                      double *vx, double *vy);

/* Writes the chart p to f as one SVG document. NC_ERR_INVAL for a missing
 * title, a negative count or a series with points but no x or y;
 * NC_ERR_NOMEM; NC_ERR_IO when writing to f fails (a full disk: f is
 * flushed at the end so that the error shows here). f stays open and is
 * the caller's. */
nc_status nc_plot_write(nc_ctx *ctx, const nc_plot *p, FILE *f);

/* The same SVG in a buffer: *svg (NUL-terminated, *len bytes without the
 * NUL; len may be NULL) is malloc'ed and the caller's to free; NULL on
 * failure. Errors as nc_plot_write. */
nc_status nc_plot_svg(nc_ctx *ctx, const nc_plot *p, char **svg, size_t *len);

#endif
