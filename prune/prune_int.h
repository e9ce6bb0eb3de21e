/*
 * prune_int.h — what the files of prune/ share and nobody else sees.
 */
#ifndef NC_PRUNE_INT_H
#define NC_PRUNE_INT_H

#include <stdint.h>

#include "prune/mask.h"

/* The keep bytes, writable: pruning passes clear them. */
uint8_t *nc_mask_keep_mut(nc_mask *m);

#endif
