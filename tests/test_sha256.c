/*
 * test_sha256.c — SHA-256 against the NIST/FIPS 180-4 example vectors, the
 * padding boundaries, and incremental updates.
 */
#include "core/sha256.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static void hex_of(const uint8_t d[32], char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = '\0';
}

static void check_hex(const void *data, size_t n, const char *want)
{
    char hex[65];
    nc_sha256_hex(data, n, hex);
    ck_assert_str_eq(hex, want);
}

START_TEST(test_empty)
{
    check_hex("", 0,
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* NULL with length 0 is the empty message, not a crash. */
    check_hex(NULL, 0,
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(test_abc)
{
    check_hex("abc", 3,
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(test_448_bits)
{
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ck_assert_uint_eq(strlen(m), 56);
    check_hex(m, strlen(m),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST(test_896_bits)
{
    const char *m = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    ck_assert_uint_eq(strlen(m), 112);
    check_hex(m, strlen(m),
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}
END_TEST

START_TEST(test_million_a)
{
    const size_t n = 1000000;
    char *m = malloc(n);
    ck_assert_ptr_nonnull(m);
    memset(m, 'a', n);
    check_hex(m, n,
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

    /* The same million fed in 1000-byte pieces, as a streaming reader would. */
    nc_sha256 s;
    uint8_t d[32];
    char hex[65];
    nc_sha256_init(&s);
    for (size_t i = 0; i < n; i += 1000)
        nc_sha256_update(&s, m + i, 1000);
    nc_sha256_final(&s, d);
    hex_of(d, hex);
    ck_assert_str_eq(hex,
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(m);
}
END_TEST

/* Lengths around the 55/56/64-byte edges, where the length field moves into
 * a second padding block. Expected values from Python's hashlib. */
START_TEST(test_padding_boundaries)
{
    static const struct { size_t n; const char *hex; } v[] = {
        { 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
        { 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
        { 57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6" },
        { 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
        { 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
        { 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
        { 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
        { 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
        { 128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e" },
    };
    char a[128];
    memset(a, 'a', sizeof a);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        check_hex(a, v[i].n, v[i].hex);
}
END_TEST

/* Feeding a message in pieces of any sizes gives the one-shot digest,
 * whatever the alignment of the pieces against the 64-byte blocks. */
START_TEST(test_incremental_odd_chunks)
{
    enum { N = 5000 };
    static const size_t chunks[] = { 1, 3, 7, 13, 31, 63, 64, 65, 127, 200, 0 };
    unsigned char *m = malloc(N);
    ck_assert_ptr_nonnull(m);
    uint32_t x = 12345;
    for (size_t i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        m[i] = (unsigned char)(x >> 16);
    }
    for (size_t len = 0; len <= N; len += len < 200 ? 1 : 397) {
        char want[65], got[65];
        nc_sha256_hex(m, len, want);
        for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
            nc_sha256 s;
            uint8_t d[32];
            nc_sha256_init(&s);
            size_t off = 0, k = 0;
            while (off < len) {
                /* Chunk size 0 in the list means "cycle through the others",
                 * plus empty updates in between, which must change nothing. */
                size_t step = chunks[c] ? chunks[c] : chunks[k++ % 10];
                if (step > len - off)
                    step = len - off;
                nc_sha256_update(&s, m + off, step);
                nc_sha256_update(&s, m + off, 0);
                off += step;
            }
            nc_sha256_final(&s, d);
            hex_of(d, got);
            ck_assert_msg(strcmp(got, want) == 0,
                          "length %zu in chunks of %zu: %s != %s", len,
                          chunks[c], got, want);
        }
    }
    free(m);
}
END_TEST

static Suite *sha256_suite(void)
{
    Suite *s = suite_create("sha256");
    TCase *tc = tcase_create("nist");
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_abc);
    tcase_add_test(tc, test_448_bits);
    tcase_add_test(tc, test_896_bits);
    tcase_add_test(tc, test_million_a);
    tcase_add_test(tc, test_padding_boundaries);
    tcase_add_test(tc, test_incremental_odd_chunks);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sha256_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
