/*
 * sha256.h — SHA-256 (FIPS 180-4), for checkpoint checksums and weight hashes.
 *
 *     char hex[65];
 *     nc_sha256_hex(buf, len, hex);
 */
#ifndef NC_SHA256_H
#define NC_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct nc_sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t fill;
} nc_sha256;

void nc_sha256_init(nc_sha256 *s);
void nc_sha256_update(nc_sha256 *s, const void *data, size_t n);
void nc_sha256_final(nc_sha256 *s, uint8_t out[32]);
/* One-shot digest of data[0..n) as 64 lowercase hex chars + NUL. */
void nc_sha256_hex(const void *data, size_t n, char hex[65]);

#endif
