/*
 * batch.c — gathering a minibatch into the net's CNHW layout, with the
 * standard CIFAR augmentation (pad-and-crop, horizontal flip).
 *
 * The crop is done without building the padded image: output row yy, column
 * xx reads source row yy + oy - pad and column xx + ox - pad (mirrored first
 * if flipped), and zero where that falls outside the image.
 */
#include "data/dataset.h"

#include <string.h>

/* One output row of w floats from source row src (NULL: a padding row),
 * shifted by dx = ox - pad and optionally mirrored. */
static void fill_row(float *dst, const float *src, int w, int dx, int flip)
{
    if (!src) {
        memset(dst, 0, (size_t)w * sizeof *dst);
        return;
    }
    if (!flip && dx == 0) {
        memcpy(dst, src, (size_t)w * sizeof *dst);
        return;
    }
    for (int xx = 0; xx < w; xx++) {
        int sx = (flip ? w - 1 - xx : xx) + dx;
        dst[xx] = sx >= 0 && sx < w ? src[sx] : 0.0f;
    }
}

void nc_batch_fill(const nc_dataset *ds, const uint32_t *idx, int n,
                   const nc_augment *aug, nc_rng *rng, float *x, int32_t *y)
{
    const int c = ds->c, h = ds->h, w = ds->w;
    const size_t hw = (size_t)h * w;
    const int pad = aug && rng && aug->pad > 0 ? aug->pad : 0;
    const int flip_on = aug && rng && aug->flip;
    for (int i = 0; i < n; i++) {
        const float *s = ds->x + (size_t)idx[i] * c * hw;
        if (y)
            y[i] = ds->y[idx[i]];
        /* The draw order (oy, ox, flip) is part of the contract: a saved rng
         * state must replay the same batch. */
        int oy = pad, ox = pad, flip = 0;
        if (pad > 0) {
            oy = (int)nc_rng_below(rng, 2u * (uint32_t)pad + 1u);
            ox = (int)nc_rng_below(rng, 2u * (uint32_t)pad + 1u);
        }
        if (flip_on)
            flip = (int)(nc_rng_u32(rng) >> 31);
        const int dy = oy - pad, dx = ox - pad;
        for (int ch = 0; ch < c; ch++) {
            const float *sp = s + (size_t)ch * hw;
            float *dp = x + ((size_t)ch * n + i) * hw;
            for (int yy = 0; yy < h; yy++) {
                int sy = yy + dy;
                fill_row(dp + (size_t)yy * w,
                         sy >= 0 && sy < h ? sp + (size_t)sy * w : NULL, w, dx,
                         flip);
            }
        }
    }
}
