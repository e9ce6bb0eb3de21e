/*
 * space.h — a search space behind one interface.
 *
 * An architecture is an opaque fixed-size value (nc_arch: up to NC_ARCH_GENES
 * small integer genes); a space says how many genes it uses and what each may
 * be, and knows how to turn an architecture into a string and back, draw one
 * at random, mutate and cross it over, give a numeric encoding for
 * predictors, and build a stand-alone net. Strategies (search/) see only this
 * interface.
 *
 *     const nc_space *sp = nc_space_find("nb201");
 *     nc_arch a;
 *     nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_SAMPLE, trial));
 *     sp->sample(sp, &r, &a);
 *     char s[NC_ARCH_STR_MAX];
 *     sp->format(sp, &a, s, sizeof s);
 */
#ifndef NC_SPACE_H
#define NC_SPACE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/net.h"
#include "core/rng.h"

enum { NC_ARCH_GENES = 64, NC_ARCH_STR_MAX = 512 };

typedef struct nc_arch {
    uint8_t g[NC_ARCH_GENES];   /* genes beyond the space's n_genes are 0 */
} nc_arch;

typedef struct nc_space nc_space;
struct nc_space {
    const char *name;
    int n_genes;
    /* Choices of gene i (gene values are 0..choices-1). */
    int (*choices)(const nc_space *sp, int i);
    /* Parses s (NC_ERR_INVAL naming what and where on failure). */
    nc_status (*parse)(const nc_space *sp, nc_ctx *ctx, const char *s, nc_arch *a);
    /* Writes the canonical string; returns its length (snprintf-like). */
    int (*format)(const nc_space *sp, const nc_arch *a, char *buf, size_t n);
    void (*sample)(const nc_space *sp, nc_rng *r, nc_arch *a);
    /* One mutation: a different architecture at distance 1 where possible. */
    void (*mutate)(const nc_space *sp, nc_rng *r, const nc_arch *in, nc_arch *out);
    /* Uniform crossover of two parents. */
    void (*crossover)(const nc_space *sp, nc_rng *r, const nc_arch *a,
                      const nc_arch *b, nc_arch *out);
    /* Number of architectures if enumerable (small spaces), else 0. */
    int64_t (*size)(const nc_space *sp);
    /* The k-th architecture of an enumerable space. */
    void (*nth)(const nc_space *sp, int64_t k, nc_arch *a);
    /* Numeric features for predictors: writes n_features floats. */
    int n_features;
    void (*encode)(const nc_space *sp, const nc_arch *a, float *features);
    /* Appends the stand-alone net of *a on input_node and returns the logits
     * node (n_classes,1,1), or -1 with the reason in ctx (an input_node of -1
     * propagates). Last member so existing initializers stay valid; nb201
     * builds the benchmark network (C=16, N=5). */
    int (*build)(const nc_space *sp, nc_ctx *ctx, nc_net *net, int input_node,
                 const nc_arch *a, int n_classes);
};

/* The built-in space of that name ("nb201"), or NULL. */
const nc_space *nc_space_find(const char *name);
/* The NAS-Bench-201 cell space (supernet/space_nb201.c): 6 genes, the edge
 * ops of nb201.h in its edge and op order; nth(k) is official index k;
 * encode is a 6x5 one-hot (30 features). Same as nc_space_find("nb201"). */
const nc_space *nc_space_nb201(void);
/* Comma-separated names, for messages. */
const char *nc_space_names(void);
/* 1 if a and b are the same architecture of space sp. */
int nc_arch_equal(const nc_space *sp, const nc_arch *a, const nc_arch *b);

#endif
