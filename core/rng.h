/*
 * rng.h — a counter-based random number generator (Philox4x32-10).
 *
 * A stream is the key (seed, stream id); the counter says where in the stream
 * we are. Because every value is a pure function of (seed, stream, counter),
 * a generator is restored exactly from three integers, and independent
 * purposes (init, shuffling of epoch e, augmentation of step s, trial t) get
 * independent streams without sharing state:
 *
 *     nc_rng r = nc_rng_make(seed, NC_STREAM(NC_PURPOSE_SHUFFLE, epoch));
 *     uint32_t k = nc_rng_below(&r, n);
 *     float g = nc_rng_normal(&r);
 */
#ifndef NC_RNG_H
#define NC_RNG_H

#include <stdint.h>

typedef struct nc_rng {
    uint64_t seed;     /* key part 1: the campaign/run seed */
    uint64_t stream;   /* key part 2: the purpose and its index */
    uint64_t counter;  /* next 128-bit block to generate */
    uint32_t buf[4];   /* outputs of the current block */
    int      used;     /* how many of buf are consumed (4: refill) */
} nc_rng;

/* Purposes, so that streams of different uses never collide. */
enum {
    NC_PURPOSE_INIT = 1,     /* weight initialization */
    NC_PURPOSE_SHUFFLE,      /* per-epoch data order; index = epoch */
    NC_PURPOSE_AUGMENT,      /* per-step augmentation; index = global step */
    NC_PURPOSE_SPLIT,        /* train/validation split */
    NC_PURPOSE_TEST,         /* tests and gradient checks */
    NC_PURPOSE_SAMPLE,       /* architecture sampling; index = trial */
    NC_PURPOSE_DATA,         /* synthetic data */
    NC_PURPOSE_WARMUP,       /* zero-cost warm-up pool of a search */
    NC_PURPOSE_PRUNE         /* random pruning (the control) */
};
#define NC_STREAM(purpose, index) (((uint64_t)(purpose) << 48) ^ (uint64_t)(index))

/* A generator at counter 0 of stream (seed, stream). */
nc_rng nc_rng_make(uint64_t seed, uint64_t stream);

/* The Philox4x32-10 block for (key, counter): the primitive behind the rest. */
void nc_philox4x32(uint64_t key, uint64_t ctr_hi, uint64_t ctr_lo, uint32_t out[4]);

uint32_t nc_rng_u32(nc_rng *r);
uint64_t nc_rng_u64(nc_rng *r);
/* Uniform integer in [0, n) without modulo bias; n > 0. */
uint32_t nc_rng_below(nc_rng *r, uint32_t n);
/* Uniform float in [0, 1) with 24 random bits. */
float nc_rng_uniform(nc_rng *r);
/* Standard normal (Box–Muller; uses two uniforms per call, no caching). */
float nc_rng_normal(nc_rng *r);
/* Fisher–Yates shuffle of a[0..n). */
void nc_rng_shuffle_u32(nc_rng *r, uint32_t *a, uint32_t n);

#endif
