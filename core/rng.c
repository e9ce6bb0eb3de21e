#include "core/rng.h"

#include <math.h>

/* Constants from Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"
 * (SC 2011); Philox4x32 with 10 rounds passes BigCrush. */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void nc_philox4x32(uint64_t key, uint64_t ctr_hi, uint64_t ctr_lo, uint32_t out[4])
{
    uint32_t c0 = (uint32_t)ctr_lo, c1 = (uint32_t)(ctr_lo >> 32);
    uint32_t c2 = (uint32_t)ctr_hi, c3 = (uint32_t)(ctr_hi >> 32);
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    for (int i = 0; i < 10; i++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

nc_rng nc_rng_make(uint64_t seed, uint64_t stream)
{
    nc_rng r = { .seed = seed, .stream = stream, .counter = 0, .used = 4 };
    return r;
}

uint32_t nc_rng_u32(nc_rng *r)
{
    if (r->used >= 4) {
        /* The stream id travels in the high counter word so that the key stays
         * the user's seed and streams are disjoint counter ranges. */
        nc_philox4x32(r->seed, r->stream, r->counter++, r->buf);
        r->used = 0;
    }
    return r->buf[r->used++];
}

uint64_t nc_rng_u64(nc_rng *r)
{
    uint64_t hi = nc_rng_u32(r);
    return (hi << 32) | nc_rng_u32(r);
}

uint32_t nc_rng_below(nc_rng *r, uint32_t n)
{
    /* Lemire's multiply-shift with rejection. */
    uint64_t m = (uint64_t)nc_rng_u32(r) * n;
    uint32_t lo = (uint32_t)m;
    if (lo < n) {
        uint32_t t = (uint32_t)(-n) % n;
        while (lo < t) {
            m = (uint64_t)nc_rng_u32(r) * n;
            lo = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

float nc_rng_uniform(nc_rng *r)
{
    return (float)(nc_rng_u32(r) >> 8) * (1.0f / 16777216.0f);
}

float nc_rng_normal(nc_rng *r)
{
    /* 1 - u keeps the log argument in (0, 1]. */
    double u1 = 1.0 - (double)(nc_rng_u32(r) >> 8) / 16777216.0;
    double u2 = (double)(nc_rng_u32(r) >> 8) / 16777216.0;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void nc_rng_shuffle_u32(nc_rng *r, uint32_t *a, uint32_t n)
{
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = nc_rng_below(r, i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}
