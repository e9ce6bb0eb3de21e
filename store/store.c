/*
 * store.c — opening a run log: validating that the file is one, the
 * per-connection pragmas, and the small helpers the other store/ sources
 * share.
 */
#include "store/sql.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static nc_status nc_sql_status(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return NC_ERR_NOMEM;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
        return NC_ERR_IO;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        return NC_ERR_FORMAT;
    case SQLITE_TOOBIG:
        return NC_ERR_RANGE;
    default:
        return NC_ERR_DB;
    }
}

/* What went wrong, in words, for a failed call with result code rc. Users
 * read these lines, and SQLite's own messages can quote SQL ("near ...:
 * syntax error", a CHECK constraint's expression) or speak of its internals,
 * so they are passed on only where they are plain words (the name of a
 * missing table or column). */
static void nc_sql_reason(char *buf, size_t n, int rc, const char *errmsg,
                          int sys_errno)
{
    const char *why;
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        snprintf(buf, n, "another process holds a lock on it (gave up after "
                 "waiting %d s)", NC_STORE_BUSY_MS / 1000);
        return;
    case SQLITE_READONLY:
        why = rc == SQLITE_READONLY_DBMOVED ? "the file was moved or deleted "
                                               "while in use"
            : rc == SQLITE_READONLY_DIRECTORY
                ? "its folder is read-only (a run log needs its -wal and "
                  "-shm files beside it)"
            : rc == SQLITE_READONLY_CANTINIT || rc == SQLITE_READONLY_CANTLOCK
                ? "its shared-memory file (-shm) cannot be written"
                : "the file is read-only";
        break;
    case SQLITE_PERM:
        why = "permission denied";
        break;
    case SQLITE_FULL:
        why = "the disk is full";
        break;
    case SQLITE_IOERR:
        why = "disk I/O error";
        break;
    case SQLITE_CANTOPEN:
        why = "cannot open the file";
        break;
    case SQLITE_CORRUPT:
        why = "the file is damaged";
        break;
    case SQLITE_NOTADB:
        why = "the file is not a SQLite database";
        break;
    case SQLITE_NOMEM:
        why = "out of memory";
        break;
    case SQLITE_TOOBIG:
        why = "too big to store";
        break;
    case SQLITE_CONSTRAINT:
        why = "the change breaks a consistency rule of the run log (it was "
              "damaged, or edited by another program)";
        break;
    case SQLITE_ERROR:
    case SQLITE_SCHEMA:
        if (errmsg && (strncmp(errmsg, "no such table: ", 15) == 0 ||
                       strncmp(errmsg, "no such column: ", 16) == 0)) {
            snprintf(buf, n, "its tables are not those of this nasc (%s)",
                     errmsg);
            return;
        }
        why = "its tables are not those of this nasc (damaged, or edited by "
              "another program)";
        break;
    default:
        /* Misuse, interrupts and the like: nasc's fault, not the file's;
         * sqlite3_errstr's fixed text names the kind. */
        snprintf(buf, n, "internal error (SQLite: %s)", sqlite3_errstr(rc));
        return;
    }
    /* "disk I/O error" alone does not say whether the disk is full or the
     * file was deleted; the errno does. */
    if (sys_errno)
        snprintf(buf, n, "%s (%s)", why, strerror(sys_errno));
    else
        snprintf(buf, n, "%s", why);
}

nc_status nc_sql_fail(nc_ctx *ctx, const nc_store *st, int rc,
                      const char *what_fmt, ...)
{
    int os_errno = errno;    /* before anything below can change it */
    char what[256];
    va_list ap;
    va_start(ap, what_fmt);
    vsnprintf(what, sizeof what, what_fmt, ap);
    va_end(ap);

    sqlite3 *db = st ? st->db : NULL;
    /* sqlite3_errmsg describes the connection's latest error, which is rc's
     * only if nothing ran since. */
    const char *msg = db && sqlite3_extended_errcode(db) == rc
                          ? sqlite3_errmsg(db) : NULL;
    int prim = rc & 0xff, sys = 0;
    if (prim == SQLITE_IOERR || prim == SQLITE_CANTOPEN) {
        /* SQLite records the errno for some failures only (not for a
         * failed write at COMMIT), so fall back to errno, which
         * nc_sql_exec and nc_sql_step_done clear beforehand. */
        sys = db ? sqlite3_system_errno(db) : 0;
        if (!sys)
            sys = os_errno;
    }
    char why[200];
    nc_sql_reason(why, sizeof why, rc, msg, sys);
    /* "run log <path>: " starts every such message: cli/status.c tells by
     * it that an I/O or format failure during a command's work was the run
     * log's (exit 4), not a data file's (exit 3). */
    return nc_fail(ctx, nc_sql_status(rc), "run log %s: %s: %s",
                   st && st->path ? st->path : "(unnamed)", what, why);
}

nc_status nc_sql_prepare(nc_ctx *ctx, nc_store *st, const char *sql,
                         sqlite3_stmt **out)
{
    int rc = sqlite3_prepare_v2(st->db, sql, -1, out, NULL);
    if (rc != SQLITE_OK) {
        *out = NULL;
        /* Not the statement itself: the message is for users. */
        return nc_sql_fail(ctx, st, rc, "read the run log");
    }
    return NC_OK;
}

nc_status nc_sql_exec(nc_ctx *ctx, nc_store *st, const char *sql,
                      const char *what)
{
    errno = 0;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return nc_sql_fail(ctx, st, rc, "%s", what);
    return NC_OK;
}

nc_status nc_sql_begin(nc_ctx *ctx, nc_store *st, const char *what)
{
    return nc_sql_exec(ctx, st, "BEGIN IMMEDIATE", what);
}

/* Appends "<tag> <what>\n" to the pause marker file with one write(), so a
 * test polling the file never sees half a line. */
static nc_status pause_mark(nc_ctx *ctx, const char *path, const char *tag,
                            const char *what)
{
    char line[320];
    int n = snprintf(line, sizeof line, "%s %s\n", tag, what);
    if (n < 0 || (size_t)n >= sizeof line)
        n = (int)sizeof line - 1;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return nc_fail(ctx, NC_ERR_IO, "NC_TEST_COMMIT_PAUSE_FILE %s: "
                       "cannot open: %s", path, strerror(errno));
    ssize_t w = write(fd, line, (size_t)n);
    int err = errno;
    close(fd);
    if (w != n)
        return nc_fail(ctx, NC_ERR_IO, "NC_TEST_COMMIT_PAUSE_FILE %s: "
                       "cannot write: %s", path,
                       w < 0 ? strerror(err) : "short write");
    return NC_OK;
}

/* The test pause of nc_sql_commit (see store/sql.h). A malformed value is
 * an error rather than no pause: a kill test that believes it aimed inside
 * a commit must not pass because the pause silently never happened. */
static nc_status commit_pause(nc_ctx *ctx, const char *what)
{
    const char *ms_s = getenv("NC_TEST_COMMIT_PAUSE_MS");
    if (!ms_s || !*ms_s)
        return NC_OK;
    char *end;
    errno = 0;
    long ms = strtol(ms_s, &end, 10);
    if (end == ms_s || *end || errno || ms < 0 || ms > 600000)
        return nc_fail(ctx, NC_ERR_INVAL, "NC_TEST_COMMIT_PAUSE_MS='%.40s' is "
                       "not a number of milliseconds from 0 to 600000", ms_s);
    const char *path = getenv("NC_TEST_COMMIT_PAUSE_FILE");
    nc_status e;
    if (path && *path && (e = pause_mark(ctx, path, "enter", what)))
        return e;
    struct timespec left = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
    if (path && *path && (e = pause_mark(ctx, path, "leave", what)))
        return e;
    return NC_OK;
}

nc_status nc_sql_commit(nc_ctx *ctx, nc_store *st, const char *what)
{
    nc_status e = commit_pause(ctx, what);
    if (e)
        return e;
    return nc_sql_exec(ctx, st, "COMMIT", what);
}

void nc_sql_rollback(nc_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

nc_status nc_sql_step_done(nc_ctx *ctx, nc_store *st, sqlite3_stmt *s,
                           const char *what_fmt, ...)
{
    errno = 0;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
        return NC_OK;
    int os_errno = errno;
    char what[256];
    va_list ap;
    va_start(ap, what_fmt);
    vsnprintf(what, sizeof what, what_fmt, ap);
    va_end(ap);
    errno = os_errno;
    return nc_sql_fail(ctx, st, rc == SQLITE_ROW ? SQLITE_MISUSE : rc, "%s",
                       what);
}

int nc_sql_bind_real(sqlite3_stmt *s, int i, double v)
{
    return v != v ? sqlite3_bind_null(s, i) : sqlite3_bind_double(s, i, v);
}

double nc_sql_column_real(sqlite3_stmt *s, int i)
{
    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        return (double)NAN;
    return sqlite3_column_double(s, i);
}

double nc_sql_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return (double)time(NULL);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The first read of a file failed with SQLITE_NOTADB or SQLITE_CORRUPT:
 * nothing says yet that it is a run log, so name the file, not "run log". */
static nc_status nc_sql_not_a_log(nc_ctx *ctx, const nc_store *st, int rc)
{
    if ((rc & 0xff) == SQLITE_CORRUPT)
        return nc_fail(ctx, NC_ERR_FORMAT, "%s is a damaged SQLite database "
                       "(truncated, or overwritten in part)", st->path);
    return nc_fail(ctx, NC_ERR_FORMAT, "%s is not a SQLite database",
                   st->path);
}

nc_status nc_sql_header(nc_ctx *ctx, nc_store *st, int64_t *app_id,
                        int64_t *version, int64_t *objects)
{
    /* One statement, so one snapshot: read separately, the id could predate
     * and the tables postdate another process's first-time setup, and that
     * mix looks like a foreign database. Table-valued pragmas need SQLite
     * 3.16. This is also the first read of the file (opening reads nothing),
     * so a file that is not SQLite fails here, with SQLITE_NOTADB. */
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st,
        "SELECT (SELECT application_id FROM pragma_application_id),"
        " (SELECT user_version FROM pragma_user_version),"
        " (SELECT count(*) FROM sqlite_master)", &s);
    if (e == NC_ERR_FORMAT)
        return nc_sql_not_a_log(ctx, st, sqlite3_errcode(st->db));
    if (e)
        return e;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *app_id = sqlite3_column_int64(s, 0);
        *version = sqlite3_column_int64(s, 1);
        *objects = sqlite3_column_int64(s, 2);
    } else if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT) {
        e = nc_sql_not_a_log(ctx, st, rc);
    } else {
        e = nc_sql_fail(ctx, st, rc == SQLITE_DONE ? SQLITE_MISUSE : rc,
                        "read the header");
    }
    sqlite3_finalize(s);
    return e;
}

nc_status nc_sql_check_header(nc_ctx *ctx, const nc_store *st, int64_t app_id,
                              int64_t version, int64_t objects)
{
    if (app_id != NC_STORE_APP_ID) {
        /* application_id 0 with an empty schema is a new (or empty) file,
         * which becomes a run log whatever its user_version says; 0 with
         * tables is some other program's database, as is any other id. */
        if (app_id != 0 || objects > 0)
            return nc_fail(ctx, NC_ERR_FORMAT,
                           "%s is a SQLite database but not a nasc run log",
                           st->path);
        return NC_OK;
    }
    if (version > NC_STORE_SCHEMA_VERSION)
        return nc_fail(ctx, NC_ERR_VERSION,
                       "%s has schema version %lld; this nasc understands up "
                       "to %d \xe2\x80\x94 upgrade nasc",
                       st->path, (long long)version, NC_STORE_SCHEMA_VERSION);
    if (version < 0)
        return nc_fail(ctx, NC_ERR_FORMAT,
                       "%s: damaged run log (schema version %lld)", st->path,
                       (long long)version);
    return NC_OK;
}

/* Switches the file to WAL, which lets `nasc runs` read while a trainer
 * writes and makes a commit a single append to the log. The mode is stored
 * in the file, and setting it on a file that is already WAL is a no-op
 * without locks. The switch itself needs the file to itself, and SQLite
 * answers SQLITE_BUSY at once, without the busy handler, when it would
 * deadlock with another connection's lock; that happens when several
 * processes open a new log together, so retry for the busy timeout. */
static nc_status nc_store_wal(nc_ctx *ctx, nc_store *st)
{
    sqlite3_stmt *s;
    nc_status e = nc_sql_prepare(ctx, st, "PRAGMA journal_mode=WAL", &s);
    if (e)
        return e;
    int rc, waited = 0;
    while ((rc = sqlite3_step(s)) != SQLITE_ROW &&
           (rc & 0xff) == SQLITE_BUSY && waited < NC_STORE_BUSY_MS) {
        sqlite3_reset(s);
        waited += sqlite3_sleep(10);
    }
    if (rc != SQLITE_ROW) {
        e = nc_sql_fail(ctx, st, rc, "switch to WAL mode");
    } else {
        const char *mode = (const char *)sqlite3_column_text(s, 0);
        if (!mode || strcmp(mode, "wal") != 0)
            e = nc_fail(ctx, NC_ERR_DB,
                        "%s: cannot switch to WAL mode (journal mode stays "
                        "%s)", st->path, mode ? mode : "unknown");
    }
    sqlite3_finalize(s);
    return e;
}

/* The per-connection settings; see docs/SCHEMA.md for why each. */
static nc_status nc_store_pragmas(nc_ctx *ctx, nc_store *st, int writable)
{
    int on = 0;
    /* Through db_config rather than PRAGMA foreign_keys because it reports
     * whether the setting took: a build without foreign keys would otherwise
     * silently drop ON DELETE CASCADE. */
    if (sqlite3_db_config(st->db, SQLITE_DBCONFIG_ENABLE_FKEY, 1, &on) !=
            SQLITE_OK || !on)
        return nc_fail(ctx, NC_ERR_DB,
                       "%s: this SQLite cannot enforce foreign keys",
                       st->path);
    /* A run log may come from elsewhere: functions named in its schema must
     * not run with our connection's rights, and writes through the schema
     * tables are refused. Best effort: older SQLite lacks these. */
    sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
    sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);

    if (writable) {
        nc_status e = nc_store_wal(ctx, st);
        if (e)
            return e;
    }
    /* FULL syncs the WAL on every commit. A commit is one epoch, seconds to
     * minutes of training, so the fsync costs nothing measurable, and an
     * epoch that nasc reported as recorded survives a power cut (NORMAL
     * would keep the file consistent but could lose the last epochs). */
    return nc_sql_exec(ctx, st, "PRAGMA synchronous=FULL",
                       "turn on synchronous writes");
}

nc_status nc_store_open(nc_ctx *ctx, const char *path, int create,
                        nc_store **out)
{
    if (!out)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_open: out is NULL");
    *out = NULL;
    if (!path || !*path)
        return nc_fail(ctx, NC_ERR_INVAL, "nc_store_open: no path");

    struct stat sb;
    if (stat(path, &sb) != 0) {
        /* Checked here rather than left to SQLite so that the message says
         * which file and why; SQLite's own is "unable to open database
         * file". */
        if (!create || errno != ENOENT)
            return nc_fail(ctx, NC_ERR_IO, "cannot open %s: %s", path,
                           errno == ENOENT ? "no such file" : strerror(errno));
    } else if (S_ISDIR(sb.st_mode)) {
        return nc_fail(ctx, NC_ERR_IO, "cannot open %s: it is a directory",
                       path);
    }

    nc_store *st = calloc(1, sizeof *st);
    size_t plen = strlen(path);
    /* Debian's SQLite is built with SQLITE_USE_URI=1, which would read a
     * relative file named "file:x" as a URI with options; "./" keeps it a
     * plain name. */
    int uri_like = strncmp(path, "file:", 5) == 0;
    char *fname = malloc(plen + 3);
    if (!st || !fname) {
        free(st);
        free(fname);
        return nc_fail(ctx, NC_ERR_NOMEM, "cannot open %s: out of memory",
                       path);
    }
    st->path = strdup(path);
    snprintf(fname, plen + 3, "%s%s", uri_like ? "./" : "", path);
    if (!st->path) {
        free(fname);
        free(st);
        return nc_fail(ctx, NC_ERR_NOMEM, "cannot open %s: out of memory",
                       path);
    }

    /* Without SQLITE_OPEN_CREATE a missing file is an error, not a new empty
     * file: a mistyped `nasc runs --db` must not leave litter behind. */
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    nc_status e = NC_OK;
    int rc = sqlite3_open_v2(fname, &st->db, flags, NULL);
    free(fname);
    if (rc != SQLITE_OK) {
        int sys = st->db ? sqlite3_system_errno(st->db) : 0;
        e = nc_fail(ctx, rc == SQLITE_NOMEM ? NC_ERR_NOMEM : NC_ERR_IO,
                    "cannot open %s: %s", path,
                    sys ? strerror(sys)
                        : st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, NC_STORE_BUSY_MS);

    /* Identify the file before changing anything in it: another program's
     * database must not be switched to WAL or given our tables. */
    int64_t app_id, version, objects;
    e = nc_sql_header(ctx, st, &app_id, &version, &objects);
    if (!e)
        e = nc_sql_check_header(ctx, st, app_id, version, objects);
    if (e)
        goto fail;

    /* A write-protected file opens read-only: it can be listed but not
     * migrated (and its journal mode cannot change). */
    int writable = sqlite3_db_readonly(st->db, "main") == 0;
    e = nc_store_pragmas(ctx, st, writable);
    if (e)
        goto fail;
    if (version < NC_STORE_SCHEMA_VERSION || app_id != NC_STORE_APP_ID) {
        if (!writable) {
            e = nc_fail(ctx, NC_ERR_IO,
                        "%s has schema version %lld and needs an upgrade to "
                        "%d, but it is read-only", path, (long long)version,
                        NC_STORE_SCHEMA_VERSION);
            goto fail;
        }
        e = nc_sql_migrate(ctx, st);
        if (e)
            goto fail;
    }
    *out = st;
    return NC_OK;

fail:
    nc_store_close(st);
    return e;
}

void nc_store_close(nc_store *st)
{
    if (!st)
        return;
    /* Every statement is finalized by the function that prepared it, so a
     * plain close cannot be refused as busy; _v2 only guards against a leak
     * turning into a leaked connection. */
    sqlite3_close_v2(st->db);
    free(st->path);
    free(st);
}

nc_status nc_sql_grow(nc_ctx *ctx, void **a, int *cap, int cnt, size_t elem,
                      const char *what)
{
    if (cnt < *cap)
        return NC_OK;
    int ncap = *cap ? 2 * *cap : 16;
    void *na = ncap > *cap ? realloc(*a, (size_t)ncap * elem) : NULL;
    if (!na)
        return nc_fail(ctx, NC_ERR_NOMEM, "out of memory %s", what);
    *a = na;
    *cap = ncap;
    return NC_OK;
}
