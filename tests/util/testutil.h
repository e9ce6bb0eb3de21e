/*
 * testutil.h — small helpers shared by the Check test programs.
 */
#ifndef NC_TESTUTIL_H
#define NC_TESTUTIL_H

#include <stddef.h>

#include "core/ctx.h"

/* A fresh empty directory under $TMPDIR (or /tmp), made once per process;
 * the returned string is static storage. */
const char *nc_test_tmpdir(void);
/* path = tmpdir/name, in buf of size n; returns buf. */
char *nc_test_path(char *buf, size_t n, const char *name);
/* The reference data (the NB201 tables) live in ../shared/data beside the
 * repository, not in it. nc_test_shared_file puts the path of the file rel
 * ("nb201/nb201.csv") in buf and returns buf when it is there and readable.
 * Where it looks: $NC_SHARED_DATA/rel if that variable is set, else
 * <repository>/../shared/data/rel, the repository being where the tests were
 * built (so any working directory does). A file missing from the default
 * place skips: it prints "<who>: skipped: no <path> ..." and returns NULL.
 * Everything else fails the running Check test with the path named: missing
 * when NC_REQUIRE_DATA=1 (CI sets it) or when NC_SHARED_DATA is set (a
 * wrong NC_SHARED_DATA is an error, not a skip), not a readable non-empty
 * file, or NC_REQUIRE_DATA other than 0 or 1. */
const char *nc_test_shared_file(char *buf, size_t n, const char *rel,
                                const char *who);
/* The same with another repository root (for the test of this logic). */
const char *nc_test_shared_file_in(const char *root, char *buf, size_t n,
                                   const char *rel, const char *who);
/* The decision behind them, without Check: env_dir and require are the
 * values of NC_SHARED_DATA and NC_REQUIRE_DATA (NULL: unset). Writes the
 * path looked at into path and, unless FOUND, the reason into why. */
typedef enum nc_test_data {
    NC_TEST_DATA_FOUND,
    NC_TEST_DATA_SKIP,
    NC_TEST_DATA_FAIL
} nc_test_data;
nc_test_data nc_test_shared_find(const char *env_dir, const char *require,
                                 const char *root, const char *rel,
                                 char *path, size_t n, char *why, size_t wn);
/* Writes n bytes to path; 0 on success. */
int nc_test_write_file(const char *path, const void *data, size_t n);
/* Removes dir and everything under it (the tmpdir, at the end of main). */
void nc_test_remove_tree(const char *dir);

/* For the data-reader tests (test_idx.c, test_data.c). These fail the
 * running Check test on any error. */
/* Fails unless ctx->msg contains needle. */
void nc_test_expect_msg(const nc_ctx *ctx, const char *needle);
/* nc_test_path(name) in one of 8 static buffers, used in turn. */
char *nc_test_tpath(const char *name);
/* Writes n bytes to path, gzip-compressed if gz. */
void nc_test_write_bytes(const char *path, const void *b, size_t n, int gz);
/* Writes a Fashion-MNIST-shaped data set into dir (created if missing):
 * plain IDX files train-* with n_train and t10k-* with n_test 28x28
 * samples, where class k lights up a band of rows (plus per-sample noise),
 * so that a net learns it in an epoch or two. */
void nc_test_write_band_idx(const char *dir, int n_train, int n_test);
/* A data set of n 1x8x8 samples of 3 classes (class k lights up rows
 * 3k..3k+1, plus noise), for supernet and DARTS tests. Caller frees. */
struct nc_dataset *nc_test_toy_dataset(int n, uint64_t seed);
/* Runs sql on the SQLite file at path (a trigger that simulates a kill). */
void nc_test_exec_sql(const char *path, const char *sql);
/* Campaign runs a of da and b of dbb stored the same n_expect trials:
 * architectures, statuses, objectives and metrics JSON. */
struct nc_store;
void nc_test_expect_same_trials(nc_ctx *ctx, struct nc_store *da, int64_t a,
                                struct nc_store *dbb, int64_t b, int n_expect);
/* Writes a synthetic NAS-Bench-201 table to nc_test_path(name) into buf:
 * every architecture in official index order, columns index, arch, valid
 * = valid_of(index, its genes as an nc_arch of the nb201 space) and test =
 * valid - 1.5, so a table campaign runs without ../shared. Returns buf. */
struct nc_arch;
char *nc_test_nb201_table(char *buf, size_t n, const char *name,
                          double (*valid_of)(int index, const struct nc_arch *a));
/* A learnable objective on NB201 cells for strategy tests: an additive
 * score per (edge, op) plus a small interaction, unique maximum 65 at
 * every gene = 3 (nor_conv_3x3). */
double nc_test_nb201_objective(const struct nc_arch *a);
/* A table column for nc_test_nb201_table: the objective halved plus an
 * irregular part in [0, 1) from the index. */
double nc_test_nb201_learnable(int index, const struct nc_arch *a);
/* The predictive-strategy settings of two campaign configs are equal, field
 * by field (memcmp would also compare padding bytes). */
struct nc_campaign_predictive;
void nc_test_expect_same_predictive(const struct nc_campaign_predictive *a,
                                    const struct nc_campaign_predictive *b);
/* The whole file, in malloc'd memory (one spare byte); its size in *n. */
unsigned char *nc_test_read_whole(const char *path, size_t *n);

/* ---- ops: a tiny harness for one op call (test_ops_norm/pool/misc.c) ---- */

#include "core/op.h"
#include "core/pool.h"

#include <stdint.h>

/* One op call with buffers sized from its row. */
typedef struct nc_trun {
    const nc_op_def *d;
    nc_attr a;
    nc_exec e;
    size_t nx[NC_MAX_IN], ny, nw, ns, nsave, nwork;
    float *x[NC_MAX_IN], *dx[NC_MAX_IN];
    float *y, *dy, *w, *dw, *state, *save, *work;
    int32_t *labels;
} nc_trun;

/* Sets up op k on inputs of the given shapes (contents filled by the test
 * through r->x), with zeroed gradients and parameters/state from init. */
void nc_trun_init(nc_trun *r, nc_op_kind k, const nc_attr *a, int n_in,
                  const nc_shape *in, int n, int train);
/* Hands the op a pool (NULL: one thread) with one scratch area per thread. */
void nc_trun_pool(nc_trun *r, nc_pool *pool);
void nc_trun_free(nc_trun *r);
/* n standard normals from `seed`. */
void nc_test_fill_normal(float *v, size_t n, uint64_t seed);
/* nc_gradcheck_op with seed 42; asserts success and a relative error <= tol. */
void nc_test_gradcheck(nc_op_kind k, const nc_attr *a, int n_in,
                       const nc_shape *in, int n, int train,
                       const float *const *xs, double tol);
/* Forward + backward of op k on 2 and 3 threads must leave y, save, state,
 * dw and every dx bit-identical to 1 thread; the batch is chosen so that
 * even the cheapest loop of op k is large enough to be split over the pool. */
void nc_test_check_threads(nc_op_kind k, const nc_attr *a, int n_in,
                           const nc_shape *in, int train, const char *what);

/* |got - want| <= tol * max(1, |want|); needs <check.h> and <math.h>. */
#define NC_ASSERT_CLOSE(got, want, tol, ...)                                 \
    ck_assert_msg(fabs((double)(got) - (double)(want)) <=                     \
                      (tol) * fmax(1.0, fabs((double)(want))),                \
                  __VA_ARGS__)

#endif
