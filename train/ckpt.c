#include "train/ckpt.h"

#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"

#define CKPT_MAGIC "NASCCKPT"
enum { CKPT_VERSION = 1, CKPT_HEADER = 8 + 4 + 4 + 8 + 8 + 8 * 3 };

/* Fixed little-endian encoding, so a blob means the same on every host. */
static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

nc_status nc_ckpt_pack(nc_ctx *ctx, nc_net *net, nc_optim *opt, int epoch,
                       int64_t step, void **blob, size_t *len)
{
    size_t np = nc_net_n_params(net), ns = nc_net_n_state(net);
    size_t no = nc_optim_state_len(opt);
    size_t n = CKPT_HEADER + (np + ns + no) * sizeof(float);
    uint8_t *b = malloc(n);
    if (!b)
        return nc_fail(ctx, NC_ERR_NOMEM, "checkpoint: out of memory (%zu bytes)", n);
    memcpy(b, CKPT_MAGIC, 8);
    put_u32(b + 8, CKPT_VERSION);
    put_u32(b + 12, (uint32_t)epoch);
    put_u64(b + 16, (uint64_t)step);
    put_u64(b + 24, (uint64_t)nc_optim_steps(opt));
    put_u64(b + 32, np);
    put_u64(b + 40, ns);
    put_u64(b + 48, no);
    uint8_t *p = b + CKPT_HEADER;
    memcpy(p, nc_net_params(net), np * sizeof(float));
    p += np * sizeof(float);
    memcpy(p, nc_net_state(net), ns * sizeof(float));
    p += ns * sizeof(float);
    memcpy(p, nc_optim_state(opt), no * sizeof(float));
    *blob = b;
    *len = n;
    return NC_OK;
}

nc_status nc_ckpt_unpack(nc_ctx *ctx, const void *blob, size_t len,
                         nc_net *net, nc_optim *opt, int *epoch, int64_t *step)
{
    const uint8_t *b = blob;
    if (len < CKPT_HEADER || memcmp(b, CKPT_MAGIC, 8) != 0)
        return nc_fail(ctx, NC_ERR_FORMAT, "checkpoint: not a nasc checkpoint "
                       "(%zu bytes, bad magic)", len);
    uint32_t ver = get_u32(b + 8);
    if (ver != CKPT_VERSION)
        return nc_fail(ctx, NC_ERR_VERSION, "checkpoint: version %u; this nasc "
                       "reads version %d", ver, CKPT_VERSION);
    uint64_t np = get_u64(b + 32), ns = get_u64(b + 40), no = get_u64(b + 48);
    if (np != nc_net_n_params(net) || ns != nc_net_n_state(net) ||
        no != nc_optim_state_len(opt))
        return nc_fail(ctx, NC_ERR_FORMAT, "checkpoint: holds %llu parameters, "
                       "%llu state and %llu optimizer values; the net needs %zu, "
                       "%zu and %zu", (unsigned long long)np, (unsigned long long)ns,
                       (unsigned long long)no, nc_net_n_params(net),
                       nc_net_n_state(net), nc_optim_state_len(opt));
    if (len != CKPT_HEADER + (np + ns + no) * sizeof(float))
        return nc_fail(ctx, NC_ERR_FORMAT, "checkpoint: %zu bytes; expected %llu",
                       len, (unsigned long long)(CKPT_HEADER +
                                                 (np + ns + no) * sizeof(float)));
    const uint8_t *p = b + CKPT_HEADER;
    memcpy(nc_net_params(net), p, np * sizeof(float));
    p += np * sizeof(float);
    memcpy(nc_net_state(net), p, ns * sizeof(float));
    p += ns * sizeof(float);
    memcpy(nc_optim_state(opt), p, no * sizeof(float));
    nc_optim_set_steps(opt, (int64_t)get_u64(b + 24));
    *epoch = (int)get_u32(b + 12);
    *step = (int64_t)get_u64(b + 16);
    return NC_OK;
}

void nc_net_weights_sha256(nc_net *net, char hex[65])
{
    nc_sha256 s;
    uint8_t d[32];
    nc_sha256_init(&s);
    nc_sha256_update(&s, nc_net_params(net), nc_net_n_params(net) * sizeof(float));
    nc_sha256_update(&s, nc_net_state(net), nc_net_n_state(net) * sizeof(float));
    nc_sha256_final(&s, d);
    for (int i = 0; i < 32; i++) {
        static const char hx[] = "0123456789abcdef";
        hex[2 * i] = hx[d[i] >> 4];
        hex[2 * i + 1] = hx[d[i] & 15];
    }
    hex[64] = '\0';
}
