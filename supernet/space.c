/*
 * space.c — the registry of built-in search spaces and the helpers every
 * space shares. A space is a const table of function pointers, so the
 * registry is a const array: no mutable state, nothing to initialize.
 */
#include <string.h>

#include "supernet/space.h"
#include "supernet/spaces.h"

const nc_space *nc_space_find(const char *name)
{
    if (!name)
        return NULL;
    const nc_space *all[] = { nc_space_nb201(), nc_space_mlp(),
                              nc_space_mbv() };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    return NULL;
}

const char *nc_space_names(void)
{
    return "nb201, mlp, mbv";
}

int nc_arch_equal(const nc_space *sp, const nc_arch *a, const nc_arch *b)
{
    /* Only the space's genes count: callers may leave junk beyond them. */
    return memcmp(a->g, b->g, (size_t)sp->n_genes) == 0;
}
