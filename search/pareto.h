/*
 * pareto.h — non-dominated sorting and crowding distance (Deb et al. 2002),
 * for multi-objective search (search/nsga2.c) and Pareto-front reports.
 *
 * Objectives are rows of obj: point i's objective k is obj[i * n_obj + k].
 * maximize[k] says whether objective k is to be maximized (else minimized);
 * NULL means all are maximized.
 *
 *     double obj[] = { 91.2, 1.5,   90.1, 0.4,   89.0, 1.6 };
 *     int max[] = { 1, 0 };            // accuracy up, parameters down
 *     int rank[3];
 *     nc_pareto_front(3, 2, obj, max, rank);    // rank = {0, 0, 1}
 *     double d[3];
 *     nc_crowding_distance(3, 2, obj, d);       // one front's spread
 */
#ifndef NC_PARETO_H
#define NC_PARETO_H

/* 1 if point a dominates point b (each n_obj values): no worse in every
 * objective and better in at least one. Equal points do not dominate. */
int nc_pareto_dominates(int n_obj, const double *a, const double *b,
                        const int *maximize);

/* Non-dominated sorting of n points (n_obj >= 1 objectives, none NaN):
 * rank_out[i] = 0 for the points no other point dominates, 1 for those only
 * rank-0 points dominate, and so on. Duplicates share a rank. Returns the
 * number of fronts (0 for n = 0), or -1 if out of memory (rank_out is then
 * unspecified). O(n^2 n_obj) time, O(n) memory. */
int nc_pareto_front(int n, int n_obj, const double *obj, const int *maximize,
                    int *rank_out);

/* Crowding distance of n points taken as one front: for each objective, the
 * points are sorted by it (ties by index), the two extremes get INFINITY,
 * and an interior point adds the gap between its neighbours divided by the
 * objective's range (0 if the range is 0). Directions do not matter.
 * Returns 0, or -1 if out of memory. */
int nc_crowding_distance(int n, int n_obj, const double *obj, double *dist_out);

#endif
