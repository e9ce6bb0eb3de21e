/*
 * nasc.h — the front door of libnasc: one include for the whole public
 * library, and a map of it.
 *
 * nasc trains, searches and scores neural networks on the CPU in plain C11.
 * Every long job is a run in a SQLite run log, so a killed job resumes and
 * ends with exactly the bits of an uninterrupted one. The library never
 * prints and never exits: a call that fails returns a non-zero nc_status and
 * leaves a message naming what and where in its nc_ctx (core/ctx.h). Build
 * against an installed copy with
 *
 *     cc prog.c $(pkg-config --cflags --libs nasc)
 *
 * and `#include "nasc.h"` (the headers below are found through the
 * -I.../include/nasc that pkg-config gives). The command-line tool nasc(1)
 * is a thin layer over these same calls.
 *
 * The layers, bottom up (a layer uses only those listed before it, except
 * that store/ sits beside them, used by run/ and by the command line):
 *
 *   core/        the context and status codes (ctx.h), counter-based random
 *                streams (rng.h), the op table of layer kinds and their
 *                kernels (op.h), networks as static DAGs with one flat
 *                parameter buffer and a thread count set once (net.h),
 *                optimizers and learning-rate schedules (optim.h), a
 *                fork-join thread pool (pool.h), the cores available
 *                (cpu.h), configuration field tables (cfgtab.h: defaults,
 *                validation, JSON both ways, command-line options), SHA-256
 *                and finite-difference gradient checks.
 *   data/        image data sets in memory (Fashion-MNIST, MNIST, CIFAR-10/100
 *                readers), normalization, splits, batching, augmentation,
 *                and the facts of each set (input shape, classes).
 *   models/      the built-in networks by name (mlp, cnn, nb201, and the nets
 *                of search-space architecture strings).
 *   supernet/    search spaces behind one interface (space.h: nb201, mlp,
 *                mbv), lists of architectures (arch_list.h), weight-sharing
 *                supernets (SPOS, sandwich, once-for-all) and DARTS /
 *                DARTS-PT on the nb201 cell.
 *   predictors/  zero-cost proxies that score an untrained net (synflow,
 *                snip, naswot, ...), batch scoring of many architectures
 *                over a thread pool, rank ensembles of proxies, learned
 *                performance predictors (ridge, GP, MLP, XGBoost, ensemble),
 *                rank metrics, and the parametric zero-cost proxy.
 *   search/      ask/tell search strategies (random, regularized evolution,
 *                NSGA-II, local, predictor-guided) and Pareto ranking.
 *   train/       supervised training as a job of the run layer: its
 *                configuration (nc_train_cfg, stored as JSON), the trainer,
 *                checkpoints.
 *   campaign/    a search campaign as one JSON file and one job: the
 *                configuration, the evaluators that score a proposed
 *                architecture (table lookup, training from scratch, weights
 *                inherited from a supernet), an evaluation cache by
 *                architecture, the CSV table reader, the zero-cost scorer,
 *                the latency objective with its layer-wise latency table,
 *                and the SVG charts of reports (plot.h).
 *   run/         the run layer: one driver for every logged job (run.h:
 *                create, own, commit each unit with its state in one
 *                transaction, fail with a reason, resume, finish) and the
 *                typed front doors (jobs.h: nc_train_start, nc_darts_start,
 *                nc_campaign_start and their resumes; owner.h: which
 *                process works on a run). The only library layer that
 *                uses store/.
 *   store/       the run log: runs (owner, failure reason, progress,
 *                parent), epochs with checkpoints, campaign trials and state
 *                blobs. The only layer that speaks SQL.
 *   export/      the .nasc model file (mfile.h): a whole model, graph,
 *                weights and lineage, checked on read
 *                (docs/MODEL_FORMAT.md).
 *   prune/       compression by pruning: masks of kept weights (mask.h),
 *                magnitude and random pruning with the cubic schedule
 *                (magnitude.h), truncated-SVD factors (lowrank.h).
 *
 * A worked example: build a net, train it, run a small campaign. It is
 * examples/frontdoor.c, which the install test builds against an installed
 * copy and runs; error handling is shortened here to `goto fail`.
 *
 *     nc_ctx ctx;
 *     nc_ctx_init(&ctx);
 *
 *     // A net on its own: the built-in mlp sized for Fashion-MNIST.
 *     nc_model_opts mo = nc_model_defaults();
 *     nc_dataset_facts("fashion-mnist", &mo.in, &mo.n_classes);
 *     nc_net *net;
 *     if (nc_model_build(&ctx, "mlp", NULL, &mo, 64, &net) ||
 *         nc_net_init_params(net, 1))
 *         goto fail;
 *     printf("mlp: %zu parameters\n", nc_net_n_params(net));
 *     nc_net_free(net);
 *
 *     // Training is a run in a run log: it builds its own net from the
 *     // configuration, and nc_train_resume continues it after a kill.
 *     nc_store *db;
 *     if (nc_store_open(&ctx, "frontdoor.db", 1, &db))
 *         goto fail;
 *     nc_train_cfg tc = nc_train_cfg_defaults();
 *     snprintf(tc.model, sizeof tc.model, "mlp");
 *     tc.epochs = 1;
 *     tc.train_samples = 2000;
 *     int64_t run;
 *     nc_train_result tr;
 *     if (nc_train_start(&ctx, db, &tc, NULL, &run, &tr))
 *         goto fail;
 *     printf("run %lld: test accuracy %.3f\n", (long long)run,
 *            tr.test_accuracy);
 *
 *     // A campaign: two random architectures of the mlp space, each
 *     // trained from scratch for one epoch, on accuracy and size.
 *     nc_campaign_cfg cc = nc_campaign_cfg_defaults();
 *     snprintf(cc.space, sizeof cc.space, "mlp");
 *     snprintf(cc.dataset, sizeof cc.dataset, "fashion-mnist");
 *     cc.strategy = NC_STRATEGY_RANDOM;
 *     cc.evaluator = NC_EVAL_SCRATCH;
 *     cc.scratch_train.epochs = 1;
 *     cc.scratch_valid = 50;
 *     cc.n_obj = 2;
 *     cc.obj[0] = NC_OBJ_ACCURACY;
 *     cc.obj[1] = NC_OBJ_PARAMS;
 *     cc.budget = 2;
 *     nc_campaign_result cr;
 *     if (nc_campaign_start(&ctx, db, &cc, NULL, &run, &cr))
 *         goto fail;
 *     printf("campaign %lld: best %s\n", (long long)run, cr.best_arch);
 *     nc_store_close(db);
 *
 * fail:
 *     fprintf(stderr, "%s\n", ctx.msg);
 *
 * Afterwards `nasc runs --db frontdoor.db` lists the three training runs
 * (one of its own, one per trial) and the campaign, and
 * `nasc report --db frontdoor.db` its trials.
 */
#ifndef NC_NASC_H
#define NC_NASC_H

#include "core/ctx.h"
#include "core/rng.h"
#include "core/op.h"
#include "core/net.h"
#include "core/optim.h"
#include "core/pool.h"
#include "core/sha256.h"
#include "core/gradcheck.h"
#include "core/cfgtab.h"
#include "core/cpu.h"

#include "data/dataset.h"

#include "run/record.h"
#include "run/run.h"
#include "run/owner.h"
#include "run/jobs.h"
#include "store/store.h"
#include "store/trials.h"

#include "models/models.h"

#include "train/train.h"

#include "supernet/space.h"
#include "supernet/spaces.h"
#include "supernet/nb201.h"
#include "supernet/supernet.h"
#include "supernet/darts.h"
#include "supernet/arch_list.h"

#include "predictors/proxy.h"
#include "predictors/proxy_batch.h"
#include "predictors/proxy_ensemble.h"
#include "predictors/predictor.h"
#include "predictors/rank.h"
#include "predictors/parzc.h"

#include "search/strategy.h"
#include "search/pareto.h"

#include "campaign/campaign.h"
#include "campaign/evaluator.h"
#include "campaign/table.h"
#include "campaign/zc.h"
#include "campaign/latency.h"
#include "campaign/plot.h"

#include "export/mfile.h"

#include "prune/mask.h"
#include "prune/magnitude.h"
#include "prune/lowrank.h"

#endif
