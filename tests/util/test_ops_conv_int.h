/*
 * test_ops_conv_int.h — what the two conv2d/linear test programs
 * (test_ops_conv.c: correctness on one thread; test_ops_conv_threads.c:
 * thread counts and the GEMM) share: a conv configuration and its shapes
 * read from the op, float buffers, random and constant fills, the first
 * differing element. static inline, so that a program that stops using
 * one does not warn.
 */
#ifndef NC_TEST_OPS_CONV_INT_H
#define NC_TEST_OPS_CONV_INT_H

#include "core/op.h"

#include <check.h>
#include <stdlib.h>

/* One configuration: cin×h×w input, cout outputs, k×k kernel, stride s,
 * pad p, g groups, bias or not, batch n (stride and groups 0 mean 1). */
typedef struct conv_cfg {
    int cin, h, w, cout, k, s, p, g, bias, n;
} conv_cfg;

static inline nc_attr cfg_attr(const conv_cfg *c)
{
    return (nc_attr){ .cout = c->cout, .k = c->k, .stride = c->s, .pad = c->p,
                      .groups = c->g, .bias = c->bias };
}

static inline float *alloc_floats(size_t n)
{
    float *p = malloc((n + 1) * sizeof(float));
    ck_assert_ptr_nonnull(p);
    return p;
}

static inline void fill_normal(float *v, size_t n, nc_rng *r)
{
    for (size_t i = 0; i < n; i++)
        v[i] = nc_rng_normal(r);
}

static inline void fill_value(float *v, size_t n, float x)
{
    for (size_t i = 0; i < n; i++)
        v[i] = x;
}

/* Shapes of one config, read from the op itself. */
typedef struct conv_case {
    const nc_op_def *d;
    nc_attr a;
    nc_shape in, out;
    size_t nx, ny, nw, nwork;
    int cin_g, cout_g, s;
} conv_case;

static inline void case_make(conv_case *t, const conv_cfg *c)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    t->d = nc_op_get(NC_OP_CONV2D);
    ck_assert_ptr_nonnull(t->d);
    t->a = cfg_attr(c);
    t->in = (nc_shape){ c->cin, c->h, c->w };
    ck_assert_msg(t->d->shape(&ctx, &t->a, 1, &t->in, &t->out) == NC_OK, "%s",
                  ctx.msg);
    int g = c->g > 0 ? c->g : 1;
    t->s = c->s > 0 ? c->s : 1;
    ck_assert_int_eq(t->out.h, (c->h + 2 * c->p - c->k) / t->s + 1);
    ck_assert_int_eq(t->out.w, (c->w + 2 * c->p - c->k) / t->s + 1);
    t->nx = (size_t)c->n * nc_shape_size(t->in);
    t->ny = (size_t)c->n * nc_shape_size(t->out);
    t->nw = t->d->n_params(&t->a, &t->in);
    t->nwork = t->d->n_work ? t->d->n_work(&t->a, &t->in, t->out, c->n) : 0;
    t->cin_g = c->cin / g;
    t->cout_g = c->cout / g;
    if (c->h > 100)
        ck_assert_msg(t->nwork < (size_t)t->cin_g * c->k * c->k * t->ny / c->cout,
                      "the large config no longer splits the batch into "
                      "chunks; make it larger");
}

static inline size_t first_diff(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return i;
    return n;
}

#endif
