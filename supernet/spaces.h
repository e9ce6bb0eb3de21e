/*
 * spaces.h — the mlp and mbv search spaces (supernet/space_mlp.c,
 * supernet/space_mbv.c) and the cost of a space's built net.
 *
 * mlp (tabular data): 1..4 hidden layers, each 32/64/128/256/512 wide, ReLU.
 *   Genes: g[0] = depth-1 (4 choices); g[1..4] = width index of layer 1..4
 *   (5 choices; 0 for layers beyond the depth, so equal nets have equal
 *   genes); g[5] = activation (1 choice: the op table has only ReLU, the gene
 *   is reserved so adding one keeps the layout). 780 architectures,
 *   enumerable (nth: depth-major, then layer widths with layer 1 most
 *   significant). String: "mlp:d=3:w=256,128,64:act=relu".
 *   Net: flatten -> [linear+bias -> relu] x d -> linear+bias (classes).
 *
 * mbv (MobileNetV2-style macro space for 28x28 / 32x32 images): stem conv
 *   3x3 (16 ch, stride 1) + BN + ReLU; 4 stages with strides 1,2,2,2 (28x28
 *   ends at 4x4, 32x32 at 4x4); per stage one depth {1,2,3}, width (stage 1
 *   {16,24}, 2 {24,32,40}, 3 {40,48,64}, 4 {64,80,96}), kernel {3,5,7} and
 *   expand ratio {3,4,6}, shared by the stage's blocks (per stage rather than
 *   per block keeps the space enumerable and the string short). Block:
 *   1x1 expand conv + BN + ReLU, kxk depthwise conv (stride on the stage's
 *   first block) + BN + ReLU, 1x1 project conv + BN, plus the block input
 *   when stride is 1 and channels agree. Head: 1x1 conv to 256 + BN + ReLU,
 *   global average pool, linear+bias. Convs have no bias (BN follows).
 *   Genes: g[0..3] depth index, g[4..7] width index, g[8..11] kernel index,
 *   g[12..15] expand index, stage 1 first. 3^4 * 54 * 3^4 * 3^4 = 28,697,814
 *   architectures, enumerable (nth: mixed radix, gene 0 most significant).
 *   String: "mbv:d=2,3,2,1:w=24,32,48,64:k=3,5,7,3:e=4,6,3,4".
 */
#ifndef NC_SPACES_H
#define NC_SPACES_H

#include <stddef.h>

#include "supernet/space.h"

enum {
    NC_MLP_MAX_DEPTH = 4,
    NC_MLP_N_WIDTHS = 5,
    NC_MBV_STAGES = 4,
    NC_MBV_HEAD = 256     /* channels of the head's 1x1 conv */
};

/* The spaces; same as nc_space_find("mlp") and nc_space_find("mbv"). */
const nc_space *nc_space_mlp(void);
const nc_space *nc_space_mbv(void);

/* Builds sp's net of *a for per-sample input shape `in` and n_classes,
 * finalizes it with n_max=1 and stores its parameter count and forward MACs
 * per sample (either pointer may be NULL); the net is then freed. Errors:
 * those of the build and of nc_net_finalize, with the space name prefixed. */
nc_status nc_space_cost(const nc_space *sp, nc_ctx *ctx, const nc_arch *a,
                        nc_shape in, int n_classes, size_t *n_params,
                        double *macs);

#endif
