/*
 * pareto.c — non-dominated sorting and crowding distance.
 *
 * The sort is Deb's fast non-dominated sort without the per-point lists of
 * dominated points: those lists cost O(n^2) memory, and re-scanning all
 * points when a point's front is settled costs the same O(n^2) time.
 */
#include <math.h>
#include <stdlib.h>

#include "search/pareto.h"

int nc_pareto_dominates(int n_obj, const double *a, const double *b,
                        const int *maximize)
{
    int better = 0;
    for (int k = 0; k < n_obj; k++) {
        int mx = maximize ? maximize[k] != 0 : 1;
        double x = mx ? a[k] : -a[k], y = mx ? b[k] : -b[k];
        if (x < y)
            return 0;
        better |= x > y;
    }
    return better;
}

int nc_pareto_front(int n, int n_obj, const double *obj, const int *maximize,
                    int *rank_out)
{
    if (n <= 0)
        return 0;
    /* count[i]: how many not-yet-ranked points dominate i; queue holds the
     * current front, then the next one behind it. */
    int *count = calloc((size_t)n, sizeof *count);
    int *queue = malloc((size_t)n * sizeof *queue);
    if (!count || !queue) {
        free(count);
        free(queue);
        return -1;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (j != i && nc_pareto_dominates(n_obj, obj + (size_t)j * n_obj,
                                              obj + (size_t)i * n_obj,
                                              maximize))
                count[i]++;
    int tail = 0;
    for (int i = 0; i < n; i++)
        if (count[i] == 0) {
            rank_out[i] = 0;
            queue[tail++] = i;
        }
    int head = 0, fronts = 0;
    while (head < tail) {
        int end = tail;
        fronts++;
        for (; head < end; head++) {
            int p = queue[head];
            for (int j = 0; j < n; j++)
                if (count[j] > 0 &&
                    nc_pareto_dominates(n_obj, obj + (size_t)p * n_obj,
                                        obj + (size_t)j * n_obj, maximize) &&
                    --count[j] == 0) {
                    rank_out[j] = fronts;
                    queue[tail++] = j;
                }
        }
    }
    free(count);
    free(queue);
    return fronts;
}

typedef struct keyed {
    double v;
    int i;
} keyed;

static int cmp_keyed(const void *pa, const void *pb)
{
    const keyed *a = pa, *b = pb;
    if (a->v != b->v)
        return a->v < b->v ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

int nc_crowding_distance(int n, int n_obj, const double *obj, double *dist_out)
{
    if (n <= 0)
        return 0;
    for (int i = 0; i < n; i++)
        dist_out[i] = 0.0;
    if (n <= 2) {
        for (int i = 0; i < n; i++)
            dist_out[i] = INFINITY;
        return 0;
    }
    keyed *s = malloc((size_t)n * sizeof *s);
    if (!s)
        return -1;
    for (int k = 0; k < n_obj; k++) {
        for (int i = 0; i < n; i++)
            s[i] = (keyed){ obj[(size_t)i * n_obj + k], i };
        qsort(s, (size_t)n, sizeof *s, cmp_keyed);
        dist_out[s[0].i] = INFINITY;
        dist_out[s[n - 1].i] = INFINITY;
        double range = s[n - 1].v - s[0].v;
        /* A constant objective separates nothing; an infinite range would
         * turn every interior gap into 0 or NaN. */
        if (!(range > 0) || !isfinite(range))
            continue;
        for (int j = 1; j < n - 1; j++)
            dist_out[s[j].i] += (s[j + 1].v - s[j - 1].v) / range;
    }
    free(s);
    return 0;
}
