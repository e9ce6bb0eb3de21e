/*
 * fuzz_mfile.c — libFuzzer target for the model file reader
 * (export/mfile.h): `make fuzz` (clang, ASan, UBSan; tests/fuzz/README.md).
 *
 * Each input is decoded twice: as it is, which exercises the header checks,
 * and with its length field and SHA-256 made right, so that mutations reach
 * the section, graph and builder checks behind the checksum. A net that
 * decodes must also run: one forward pass on zeros.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "export/mfile.h"

static void decode_and_run(const unsigned char *b, size_t n)
{
    nc_ctx ctx;
    nc_ctx_init(&ctx);
    nc_net *net;
    char *lin;
    if (nc_mfile_decode(&ctx, b, n, 2, 1, &net, NULL, &lin))
        return;
    nc_shape s = nc_net_input_shape(net);
    float *x = calloc(2 * nc_shape_size(s), sizeof *x);
    if (x)
        nc_net_forward(&ctx, net, x, NULL, 2, 0, NULL);
    free(x);
    free(lin);
    nc_net_free(net);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode_and_run(data, size);
    if (size < NC_MFILE_HEADER)
        return 0;
    unsigned char *b = malloc(size);
    if (!b)
        return 0;
    memcpy(b, data, size);
    for (int i = 0; i < 8; i++)
        b[16 + i] = (unsigned char)((uint64_t)size >> (8 * i));
    nc_sha256 h;
    nc_sha256_init(&h);
    nc_sha256_update(&h, b + NC_MFILE_HEADER, size - NC_MFILE_HEADER);
    nc_sha256_final(&h, b + 24);
    decode_and_run(b, size);
    free(b);
    return 0;
}
