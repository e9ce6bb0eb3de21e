/*
 * idx.c — the IDX format of MNIST and Fashion-MNIST, gzipped or plain.
 *
 * A file is a 4-byte big-endian magic (0, 0, type 0x08 = unsigned byte, number
 * of dimensions), one big-endian uint32 per dimension, then the data. Both
 * files are opened and their headers checked against each other before the
 * image data is read, so a bad pair fails before the big allocation.
 */
#include "data/dataset.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

enum {
    IDX_MAGIC_IMAGES = 0x00000803,
    IDX_MAGIC_LABELS = 0x00000801,
    /* Grow the buffer of a gzip body in steps: its uncompressed size is only
     * known from the header, which may lie. */
    GZ_FIRST_CHUNK = 1 << 24,
    /* gzread takes an unsigned and returns an int. */
    GZ_MAX_READ = 1 << 30
};

/* Deflate cannot expand more than 1032:1 (a 258-byte match per two bits), so
 * a gzip file of s bytes holds at most about this many; the margin covers the
 * gzip header and trailer and multi-member files. */
#define GZ_MAX_RATIO 1040u
#define GZ_SLACK 4096u

typedef struct idx_file {
    const char *path;
    gzFile gz;          /* reads gzip and, transparently, plain files */
    int is_gz;          /* the content starts with the gzip magic */
    int size_known;     /* a regular file: size is its length */
    uint64_t size;
} idx_file;

static void idx_close(idx_file *f)
{
    if (f->gz)
        gzclose(f->gz);
    f->gz = NULL;
}

static nc_status idx_open(nc_ctx *ctx, idx_file *f, const char *path)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return nc_fail(ctx, NC_ERR_IO, "%s: cannot open: %s", path,
                       strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return nc_fail(ctx, NC_ERR_IO, "%s: cannot stat: %s", path,
                       strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return nc_fail(ctx, NC_ERR_IO, "%s: is a directory, not an IDX file",
                       path);
    }
    if (S_ISREG(st.st_mode)) {
        f->size_known = 1;
        f->size = (uint64_t)st.st_size;
    }
    unsigned char m[2];
    /* pread leaves the offset at 0 for zlib; a non-seekable file is simply
     * not recognized as gzip here, and zlib still detects it. */
    f->is_gz = pread(fd, m, 2, 0) == 2 && m[0] == 0x1f && m[1] == 0x8b;
    f->gz = gzdopen(fd, "rb");
    if (!f->gz) {
        close(fd);
        return nc_fail(ctx, NC_ERR_NOMEM, "%s: cannot set up zlib", path);
    }
    gzbuffer(f->gz, 1 << 17);
    return NC_OK;
}

/* The error zlib holds after a short or failed read, as a status. */
static nc_status gz_fault(nc_ctx *ctx, const idx_file *f, const char *what,
                          uint64_t want, uint64_t got)
{
    int zerr = Z_OK;
    const char *zmsg = gzerror(f->gz, &zerr);
    if (zerr == Z_ERRNO)
        return nc_fail(ctx, NC_ERR_IO, "%s: read error: %s", f->path,
                       strerror(errno));
    if (zerr == Z_MEM_ERROR)
        return nc_fail(ctx, NC_ERR_NOMEM, "%s: zlib out of memory", f->path);
    if (zerr != Z_OK && zerr != Z_BUF_ERROR) {
        /* zlib prefixes the name it was given, "<fd:N>" from gzdopen; the
         * path is already in front. zlib decompresses ahead of the reads, so
         * which part was being read says nothing about where the fault is. */
        const char *sep = zmsg && zmsg[0] == '<' ? strstr(zmsg, ": ") : NULL;
        return nc_fail(ctx, NC_ERR_FORMAT, "%s: corrupt gzip stream (%s)",
                       f->path, sep ? sep + 2 : zmsg ? zmsg : "?");
    }
    if (got < want)
        return nc_fail(ctx, NC_ERR_FORMAT,
                       "%s: truncated: expected %llu bytes of %s, got %llu%s",
                       f->path, (unsigned long long)want, what,
                       (unsigned long long)got,
                       zerr == Z_BUF_ERROR ? " (gzip stream ends early)" : "");
    /* All of it read, but the stream then ended without its trailer. */
    return nc_fail(ctx, NC_ERR_FORMAT,
                   "%s: truncated gzip stream: it ends before its trailer",
                   f->path);
}

/* Reads exactly n bytes into buf; a short read is a fault. */
static nc_status read_exact(nc_ctx *ctx, const idx_file *f, void *buf,
                            uint64_t n, const char *what)
{
    uint64_t got = 0;
    while (got < n) {
        uint64_t want = n - got < GZ_MAX_READ ? n - got : GZ_MAX_READ;
        int r = gzread(f->gz, (unsigned char *)buf + got, (unsigned)want);
        if (r <= 0)
            return gz_fault(ctx, f, what, n, got);
        got += (uint64_t)r;
    }
    return NC_OK;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

/* Reads the header of ndims dimensions into dims. The magic is checked
 * first, so a wrong file is reported as such even when it is also short. */
static nc_status read_header(nc_ctx *ctx, const idx_file *f, uint32_t magic,
                             int ndims, uint32_t *dims)
{
    const char *kind = magic == IDX_MAGIC_IMAGES ? "an IDX image file"
                                                 : "an IDX label file";
    uint64_t hdr = 4 + 4 * (uint64_t)ndims;
    unsigned char b[16];
    nc_status st;
    if (f->size_known && !f->is_gz && f->size < 4)
        goto short_header;
    if ((st = read_exact(ctx, f, b, 4, "header")))
        return st;
    uint32_t m = be32(b);
    if (m != magic) {
        uint32_t other = magic == IDX_MAGIC_IMAGES ? IDX_MAGIC_LABELS
                                                   : IDX_MAGIC_IMAGES;
        return nc_fail(ctx, NC_ERR_FORMAT,
                       "%s: bad magic 0x%08x (expected 0x%08x, %s)%s", f->path,
                       (unsigned)m, (unsigned)magic, kind,
                       m == other ? "; it looks like the other file of the pair"
                                  : "");
    }
    if (f->size_known && !f->is_gz && f->size < hdr)
        goto short_header;
    if ((st = read_exact(ctx, f, b + 4, hdr - 4, "header")))
        return st;
    for (int i = 0; i < ndims; i++)
        dims[i] = be32(b + 4 + 4 * i);
    return NC_OK;
short_header:
    return nc_fail(ctx, NC_ERR_FORMAT,
                   "%s: truncated: %llu bytes, shorter than the %llu-byte "
                   "header of %s", f->path, (unsigned long long)f->size,
                   (unsigned long long)hdr, kind);
}

/* Reads the n-byte body into a new buffer, growing it only as data really
 * arrives unless the file's size already vouches for it, and checks that
 * nothing follows it. */
static nc_status read_body(nc_ctx *ctx, const idx_file *f, uint64_t n,
                           uint64_t hdr, const char *what, unsigned char **out)
{
    *out = NULL;
    if (f->size_known && !f->is_gz) {
        uint64_t have = f->size - hdr;
        if (have < n)
            return nc_fail(ctx, NC_ERR_FORMAT,
                           "%s: truncated: expected %llu bytes of %s, got %llu",
                           f->path, (unsigned long long)n, what,
                           (unsigned long long)have);
        if (have > n)
            return nc_fail(ctx, NC_ERR_FORMAT,
                           "%s: %llu bytes of trailing data after the %llu "
                           "bytes of %s", f->path,
                           (unsigned long long)(have - n),
                           (unsigned long long)n, what);
    }
    if (f->size_known && f->is_gz &&
        n > f->size * GZ_MAX_RATIO + GZ_SLACK)
        return nc_fail(ctx, NC_ERR_FORMAT,
                       "%s: truncated: expected %llu bytes of %s, more than a "
                       "%llu-byte gzip file can hold", f->path,
                       (unsigned long long)n, what,
                       (unsigned long long)f->size);
    if (n > SIZE_MAX)
        return nc_fail(ctx, NC_ERR_NOMEM, "%s: %llu bytes of %s do not fit in "
                       "memory", f->path, (unsigned long long)n, what);

    /* Only a plain regular file has proved its size by now. */
    uint64_t cap = (f->is_gz || !f->size_known) && n > GZ_FIRST_CHUNK
                       ? GZ_FIRST_CHUNK : n;
    unsigned char *buf = malloc(cap ? (size_t)cap : 1);
    if (!buf)
        return nc_fail(ctx, NC_ERR_NOMEM, "%s: out of memory for %llu bytes of "
                       "%s", f->path, (unsigned long long)cap, what);
    uint64_t got = 0;
    while (got < n) {
        if (got == cap) {
            uint64_t ncap = cap * 2 < n ? cap * 2 : n;
            unsigned char *nb = realloc(buf, (size_t)ncap);
            if (!nb) {
                free(buf);
                return nc_fail(ctx, NC_ERR_NOMEM, "%s: out of memory for %llu "
                               "bytes of %s", f->path,
                               (unsigned long long)ncap, what);
            }
            buf = nb;
            cap = ncap;
        }
        uint64_t want = cap - got < GZ_MAX_READ ? cap - got : GZ_MAX_READ;
        int r = gzread(f->gz, buf + got, (unsigned)want);
        if (r <= 0) {
            free(buf);
            return gz_fault(ctx, f, what, n, got);
        }
        got += (uint64_t)r;
    }
    /* One more byte: this drives zlib to the end of the stream, where it
     * checks the CRC and length, and shows data beyond what the header said. */
    unsigned char extra;
    int r = gzread(f->gz, &extra, 1);
    int zerr = Z_OK;
    gzerror(f->gz, &zerr);
    if (r != 0 || zerr != Z_OK) {
        free(buf);
        if (r > 0)
            return nc_fail(ctx, NC_ERR_FORMAT, "%s: trailing data after the "
                           "%llu bytes of %s", f->path,
                           (unsigned long long)n, what);
        return gz_fault(ctx, f, what, n, n);
    }
    *out = buf;
    return NC_OK;
}

static nc_status load_pair(nc_ctx *ctx, idx_file *fi, idx_file *fl,
                           int n_classes, nc_dataset **out)
{
    uint32_t d[3] = { 0, 0, 0 }, nl = 0;
    nc_status st = read_header(ctx, fi, IDX_MAGIC_IMAGES, 3, d);
    if (st)
        return st;
    if (d[0] == 0 || d[1] == 0 || d[2] == 0 || d[0] > NC_IDX_MAX_N ||
        d[1] > NC_IDX_MAX_DIM || d[2] > NC_IDX_MAX_DIM)
        return nc_fail(ctx, NC_ERR_FORMAT,
                       "%s: implausible dimensions %u x %u x %u (images x rows "
                       "x cols: each must be >= 1, at most %d images of at "
                       "most %d x %d)", fi->path, (unsigned)d[0],
                       (unsigned)d[1], (unsigned)d[2], NC_IDX_MAX_N,
                       NC_IDX_MAX_DIM, NC_IDX_MAX_DIM);
    /* Each factor is capped above, so the product cannot overflow. */
    uint64_t pix = (uint64_t)d[0] * d[1] * d[2];
    if (pix > NC_IDX_MAX_BYTES)
        return nc_fail(ctx, NC_ERR_FORMAT,
                       "%s: implausible dimensions %u x %u x %u: %llu pixels, "
                       "more than the limit of %llu", fi->path, (unsigned)d[0],
                       (unsigned)d[1], (unsigned)d[2], (unsigned long long)pix,
                       (unsigned long long)NC_IDX_MAX_BYTES);

    st = read_header(ctx, fl, IDX_MAGIC_LABELS, 1, &nl);
    if (st)
        return st;
    if (nl != d[0])
        return nc_fail(ctx, NC_ERR_FORMAT,
                       "%s: %u labels, but %s has %u images", fl->path,
                       (unsigned)nl, fi->path, (unsigned)d[0]);

    unsigned char *lab = NULL, *img = NULL;
    st = read_body(ctx, fl, nl, 8, "label data", &lab);
    if (st)
        return st;
    int maxl = 0;
    for (uint32_t i = 0; i < nl; i++) {
        if (n_classes > 0 && lab[i] >= n_classes) {
            st = nc_fail(ctx, NC_ERR_FORMAT,
                         "%s: label %u at index %u out of range (%d classes)",
                         fl->path, (unsigned)lab[i], (unsigned)i, n_classes);
            free(lab);
            return st;
        }
        if (lab[i] > maxl)
            maxl = lab[i];
    }
    if (n_classes <= 0)
        n_classes = maxl + 1 < 2 ? 2 : maxl + 1;

    st = read_body(ctx, fi, pix, 16, "image data", &img);
    if (st) {
        free(lab);
        return st;
    }
    nc_dataset *ds = nc_dataset_new((int)d[0], 1, (int)d[1], (int)d[2],
                                    n_classes);
    if (!ds) {
        free(lab);
        free(img);
        return nc_fail(ctx, NC_ERR_NOMEM, "%s: out of memory for %u images of "
                       "%u x %u", fi->path, (unsigned)d[0], (unsigned)d[1],
                       (unsigned)d[2]);
    }
    /* A table gives b / 255 exactly rounded, so 255 maps to exactly 1. */
    float lut[256];
    for (int i = 0; i < 256; i++)
        lut[i] = (float)i / 255.0f;
    for (uint64_t i = 0; i < pix; i++)
        ds->x[i] = lut[img[i]];
    for (uint32_t i = 0; i < nl; i++)
        ds->y[i] = lab[i];
    free(img);
    free(lab);
    *out = ds;
    return NC_OK;
}

nc_status nc_idx_load_classes(nc_ctx *ctx, const char *images_path,
                              const char *labels_path, int n_classes,
                              nc_dataset **out)
{
    if (!out)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_idx_load: out is NULL");
    *out = NULL;
    if (!images_path || !labels_path)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_idx_load: a path is NULL");
    if (n_classes < 0 || n_classes > 256)
        return nc_fail(ctx, NC_ERR_INVAL,
                       "nc_idx_load: n_classes %d not in [0, 256]", n_classes);
    idx_file fi, fl;
    nc_status st = idx_open(ctx, &fi, images_path);
    if (st)
        return st;
    st = idx_open(ctx, &fl, labels_path);
    if (st) {
        idx_close(&fi);
        return st;
    }
    st = load_pair(ctx, &fi, &fl, n_classes, out);
    idx_close(&fi);
    idx_close(&fl);
    return st;
}

nc_status nc_idx_load(nc_ctx *ctx, const char *images_path,
                      const char *labels_path, nc_dataset **out)
{
    return nc_idx_load_classes(ctx, images_path, labels_path, 0, out);
}
