/*  crmq_log.c - logfmt logging to stderr.

    Each line is built in memory and written with one write(2), so lines of
    concurrent threads (and processes sharing the descriptor) never interleave.
    The service name and level are process globals set once at start-up.    */
#include "crmq.h"
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#define S_Q_SIZE     512            //  crmq_log_q result, bytes without the NUL
#define S_Q_RING     8              //  crmq_log_q buffers per thread
#define S_MSG_MAX    4096           //  longest msg text before it is cut
#define S_LINE_STACK 8192           //  line buffer on the stack; longer lines malloc

static atomic_int s_level = CRMQ_LOG_INFO;
static char s_service [64];         //  "" = program name

static const char *s_level_names [] = { "debug", "info", "warn", "error" };

//  --------------------------------------------------------------------------
//  Length of the valid UTF-8 sequence at `p` (at most `left` bytes), or 0
//  when the byte there does not start one (overlong, surrogate, > U+10FFFF,
//  truncated).

static size_t
s_utf8_len (const unsigned char *p, size_t left)
{
    unsigned char c = p [0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;     //  bounds of the 2nd byte
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else
    if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else
        if (c == 0xED)
            hi = 0x9F;
    }
    else
    if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else
        if (c == 0xF4)
            hi = 0x8F;
    }
    else
        return 0;
    if (left < len || p [1] < lo || p [1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((p [i] & 0xC0) != 0x80)
            return 0;
    return len;
}

//  --------------------------------------------------------------------------
//  The escaped form of the character at `p`: sets *piece and *piece_len
//  (pointing into `esc` or at `p`) and returns the bytes consumed.
static size_t
s_escape_one (const unsigned char *p, size_t left, char esc [8],
              const char **piece, size_t *piece_len)
{
    unsigned char c = *p;
    *piece = esc;
    *piece_len = 2;
    esc [0] = '\\';
    switch (c) {
        case '"':  esc [1] = '"'; return 1;
        case '\\': esc [1] = '\\'; return 1;
        case '\n': esc [1] = 'n'; return 1;
        case '\r': esc [1] = 'r'; return 1;
        case '\t': esc [1] = 't'; return 1;
        default: break;
    }
    if (c >= 0x20 && c < 0x7F) {
        *piece = (const char *) p;
        *piece_len = 1;
        return 1;
    }
    if (c >= 0x80) {
        size_t seq = s_utf8_len (p, left);
        if (seq) {
            *piece = (const char *) p;
            *piece_len = seq;
            return seq;
        }
    }
    //  Other control bytes and invalid UTF-8
    snprintf (esc, 8, "\\x%02x", c);
    *piece_len = 4;
    return 1;
}

//  --------------------------------------------------------------------------
//  Writes `text` quoted and escaped into out (room for `size` bytes plus a
//  NUL).  When it does not fit, cuts it at a character boundary and ends it
//  with "...".  Returns the length written.  Quote and backslash are escaped,
//  \n \r \t by name, other control bytes and invalid UTF-8 as \xNN; valid
//  UTF-8 is kept as it is.

static size_t
s_quote (const char *text, char *out, size_t size)
{
    assert (size >= 8);
    const unsigned char *start = (const unsigned char *) (text? text: "");
    size_t total = strlen ((const char *) start);
    char esc [8];
    const char *piece;
    size_t piece_len;

    //  Does all of it fit?  If not, keep room for "..."
    size_t needed = 2;
    for (size_t at = 0; at < total && needed <= size; ) {
        at += s_escape_one (start + at, total - at, esc, &piece, &piece_len);
        needed += piece_len;
    }
    size_t limit = needed <= size? size - 1: size - 4;

    size_t len = 0;
    out [len++] = '"';
    for (size_t at = 0; at < total; ) {
        size_t consumed = s_escape_one (start + at, total - at, esc, &piece, &piece_len);
        if (len + piece_len > limit) {
            memcpy (out + len, "...", 3);
            len += 3;
            break;
        }
        memcpy (out + len, piece, piece_len);
        len += piece_len;
        at += consumed;
    }
    out [len++] = '"';
    out [len] = 0;
    return len;
}

const char *
crmq_log_q (const char *text)
{
    static _Thread_local char ring [S_Q_RING][S_Q_SIZE + 1];
    static _Thread_local unsigned next;
    char *out = ring [next++ % S_Q_RING];
    s_quote (text, out, S_Q_SIZE);
    return out;
}

//  --------------------------------------------------------------------------
//  A growable line buffer that starts on the caller's stack.

typedef struct {
    char *data;
    size_t len, cap;
    bool heap;
    bool failed;
} s_line_t;

static void
s_line_reserve (s_line_t *self, size_t more)
{
    if (self->failed || self->len + more + 1 <= self->cap)
        return;
    size_t cap = self->cap * 2;
    while (cap < self->len + more + 1)
        cap *= 2;
    char *data = self->heap? realloc (self->data, cap): malloc (cap);
    if (!data) {
        self->failed = true;
        return;
    }
    if (!self->heap)
        memcpy (data, self->data, self->len);
    self->data = data;
    self->cap = cap;
    self->heap = true;
}

static void
s_line_add (s_line_t *self, const char *text, size_t len)
{
    s_line_reserve (self, len);
    if (self->failed)
        return;
    memcpy (self->data + self->len, text, len);
    self->len += len;
    self->data [self->len] = 0;
}

static void
s_line_vprintf (s_line_t *self, const char *format, va_list args)
{
    va_list copy;
    va_copy (copy, args);
    int needed = vsnprintf (self->data + self->len, self->cap - self->len, format, copy);
    va_end (copy);
    if (needed < 0 || self->failed)
        return;
    if ((size_t) needed + 1 > self->cap - self->len) {
        s_line_reserve (self, (size_t) needed);
        if (self->failed)
            return;
        vsnprintf (self->data + self->len, self->cap - self->len, format, args);
    }
    self->len += (size_t) needed;
}

//  --------------------------------------------------------------------------
//  Builds one log line (with the trailing newline) into `line`.

static void
s_line_build (s_line_t *line, crmq_log_level_t level, const char *msg,
              const char *fields, va_list args)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r (&now.tv_sec, &tm);
    char head [128];
    int len = snprintf (head, sizeof head, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ level=%s service=",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec, (long) (now.tv_nsec / 1000),
                        s_level_names [level]);
    s_line_add (line, head, (size_t) len);

    //  The service name is written bare unless it needs quoting
    const char *service = *s_service? s_service: program_invocation_short_name;
    bool bare = *service != 0;
    for (const char *c = service; *c; c++)
        if (*c <= ' ' || *c == '"' || *c == '=' || *c == '\\' || *c == 0x7F)
            bare = false;
    if (bare)
        s_line_add (line, service, strlen (service));
    else {
        char quoted [2 * sizeof s_service + 8];
        size_t qlen = s_quote (service, quoted, sizeof quoted - 1);
        s_line_add (line, quoted, qlen);
    }
    s_line_add (line, " msg=", 5);
    s_line_reserve (line, S_MSG_MAX + 1);
    if (!line->failed)
        line->len += s_quote (msg, line->data + line->len, S_MSG_MAX);

    if (fields && *fields) {
        s_line_add (line, " ", 1);
        s_line_vprintf (line, fields, args);
    }
    s_line_add (line, "\n", 1);
}

int
crmq_log_init (const char *service, const char *level)
{
    if (service)
        snprintf (s_service, sizeof s_service, "%s", service);
    if (!level)
        return 0;
    for (int index = CRMQ_LOG_DEBUG; index <= CRMQ_LOG_ERROR; index++)
        if (strcasecmp (level, s_level_names [index]) == 0) {
            atomic_store (&s_level, index);
            return 0;
        }
    if (strcasecmp (level, "warning") == 0) {
        atomic_store (&s_level, CRMQ_LOG_WARN);
        return 0;
    }
    return -1;
}

void
crmq_log (crmq_log_level_t level, const char *msg, const char *fields, ...)
{
    if ((int) level < CRMQ_LOG_DEBUG || level > CRMQ_LOG_ERROR)
        level = CRMQ_LOG_ERROR;
    if ((int) level < atomic_load (&s_level))
        return;

    int saved_errno = errno;        //  so callers may log before reading errno
    char stack [S_LINE_STACK];
    s_line_t line = { stack, 0, sizeof stack, false, false };
    stack [0] = 0;
    va_list args;
    va_start (args, fields);
    s_line_build (&line, level, msg, fields, args);
    va_end (args);

    if (line.failed) {
        //  Out of memory: still say something
        static const char oom [] = "level=error msg=\"log line lost: out of memory\"\n";
        ssize_t rc = write (STDERR_FILENO, oom, sizeof oom - 1);
        (void) rc;
    }
    else {
        const char *data = line.data;
        size_t left = line.len;
        while (left) {
            ssize_t rc = write (STDERR_FILENO, data, left);
            if (rc < 0 && errno == EINTR)
                continue;
            if (rc <= 0)
                break;
            data += rc;
            left -= (size_t) rc;
        }
    }
    if (line.heap)
        free (line.data);
    errno = saved_errno;
}

//  --------------------------------------------------------------------------
//  Self-test

//  Redirects stderr to a temporary file, to see what crmq_log writes.
static void
s_capture_begin (int *saved_fd, FILE **file)
{
    fflush (stderr);
    *file = tmpfile ();
    assert (*file);
    *saved_fd = dup (STDERR_FILENO);
    assert (*saved_fd >= 0);
    int rc = dup2 (fileno (*file), STDERR_FILENO);
    assert (rc >= 0);
}

//  Restores stderr and returns what was written (caller frees).
static char *
s_capture_end (int saved_fd, FILE *file)
{
    fflush (stderr);
    int rc = dup2 (saved_fd, STDERR_FILENO);
    assert (rc >= 0);
    close (saved_fd);
    off_t size = lseek (fileno (file), 0, SEEK_END);
    assert (size >= 0);
    char *text = malloc ((size_t) size + 1);
    assert (text);
    ssize_t got = pread (fileno (file), text, (size_t) size, 0);
    assert (got == size);
    text [size] = 0;
    fclose (file);
    return text;
}

void
crmq_log_test (bool verbose)
{
    printf (" * crmq_log: ");

    //  Quoting
    assert (streq (crmq_log_q (NULL), "\"\""));
    assert (streq (crmq_log_q (""), "\"\""));
    assert (streq (crmq_log_q ("plain"), "\"plain\""));
    assert (streq (crmq_log_q ("a \"b\"\n"), "\"a \\\"b\\\"\\n\""));
    assert (streq (crmq_log_q ("back\\slash\ttab\rcr"), "\"back\\\\slash\\ttab\\rcr\""));
    assert (streq (crmq_log_q ("bell\x07" "del\x7f" "esc\x1b"), "\"bell\\x07del\\x7fesc\\x1b\""));
    assert (streq (crmq_log_q ("Привет, «мир» €𝄞"), "\"Привет, «мир» €𝄞\""));
    //  Invalid UTF-8: a lone continuation byte, an overlong, a truncated sequence
    assert (streq (crmq_log_q ("a\x80" "b\xc0\xaf" "c\xe2\x82"), "\"a\\x80b\\xc0\\xafc\\xe2\\x82\""));
    //  A surrogate encoded in UTF-8 is not valid
    assert (streq (crmq_log_q ("\xed\xa0\x80"), "\"\\xed\\xa0\\x80\""));

    //  8 buffers in rotation: 8 results stay valid together
    const char *q [8];
    char expect [8][16];
    for (int index = 0; index < 8; index++) {
        char text [8];
        snprintf (text, sizeof text, "v%d", index);
        snprintf (expect [index], sizeof expect [index], "\"v%d\"", index);
        q [index] = crmq_log_q (text);
    }
    for (int index = 0; index < 8; index++)
        assert (streq (q [index], expect [index]));

    //  Cut to 512 bytes, at a character boundary, marked with "..."
    char long_text [2000];
    memset (long_text, 'x', sizeof long_text - 1);
    long_text [sizeof long_text - 1] = 0;
    const char *cut = crmq_log_q (long_text);
    assert (strlen (cut) <= 512);
    assert (strlen (cut) >= 500);
    assert (cut [0] == '"');
    assert (streq (cut + strlen (cut) - 4, "...\""));
    char cyrillic [2000] = "";
    for (int index = 0; index < 400; index++)
        strcat (cyrillic, "ж");
    cut = crmq_log_q (cyrillic);
    assert (strlen (cut) <= 512);
    //  Between the quotes and before "...", only whole 2-byte characters
    assert ((strlen (cut) - 5) % 2 == 0);
    char quotes [600];
    memset (quotes, '"', sizeof quotes - 1);
    quotes [sizeof quotes - 1] = 0;
    cut = crmq_log_q (quotes);
    assert (strlen (cut) <= 512);
    assert (streq (cut + strlen (cut) - 6, "\\\"...\""));
    //  Exactly fitting text is not cut
    char fit [511];
    memset (fit, 'y', 510);
    fit [510] = 0;
    cut = crmq_log_q (fit);
    assert (strlen (cut) == 512);
    assert (cut [510] == 'y');

    //  Levels
    assert (crmq_log_init (NULL, "nonsense") == -1);
    int saved_level = atomic_load (&s_level);
    char saved_service [sizeof s_service];
    memcpy (saved_service, s_service, sizeof s_service);

    int rc = crmq_log_init ("selftest", "warn");
    assert (rc == 0);
    assert (atomic_load (&s_level) == CRMQ_LOG_WARN);
    rc = crmq_log_init (NULL, "nonsense");
    assert (rc == -1);
    assert (atomic_load (&s_level) == CRMQ_LOG_WARN);

    int saved_fd;
    FILE *file;
    s_capture_begin (&saved_fd, &file);
    crmq_log (CRMQ_LOG_INFO, "hidden", NULL);
    crmq_log (CRMQ_LOG_DEBUG, "hidden", "k=%d", 1);
    crmq_log (CRMQ_LOG_WARN, "batch \"committed\"", "events=%d name=%s", 3, crmq_log_q ("Ivan\nPetrov"));
    crmq_log (CRMQ_LOG_ERROR, "no fields", NULL);
    char *text = s_capture_end (saved_fd, file);
    if (verbose)
        printf ("\n%s", text);
    assert (!strstr (text, "hidden"));
    //  ts=2026-11-29T17:00:00.123456Z
    assert (strncmp (text, "ts=", 3) == 0);
    assert (strlen (text) > 31);
    assert (text [7] == '-' && text [13] == 'T' && text [22] == '.' && text [29] == 'Z' && text [30] == ' ');
    for (int index = 23; index < 29; index++)
        assert (text [index] >= '0' && text [index] <= '9');
    assert (strstr (text, " level=warn service=selftest msg=\"batch \\\"committed\\\"\" events=3 name=\"Ivan\\nPetrov\"\n"));
    assert (strstr (text, " level=error service=selftest msg=\"no fields\"\n"));
    //  Exactly two lines
    char *newline = strchr (text, '\n');
    assert (newline);
    newline = strchr (newline + 1, '\n');
    assert (newline && newline [1] == 0);
    free (text);

    //  A long line goes to the heap and is written whole
    rc = crmq_log_init ("my service", "debug");
    assert (rc == 0);
    char *big = malloc (10000);
    assert (big);
    memset (big, 'z', 9999);
    big [9999] = 0;
    s_capture_begin (&saved_fd, &file);
    crmq_log (CRMQ_LOG_DEBUG, "big", "blob=%s end=1", big);
    text = s_capture_end (saved_fd, file);
    assert (strstr (text, " level=debug service=\"my service\" msg=\"big\" blob="));
    assert (strstr (text, big));
    assert (strstr (text, " end=1\n"));
    free (text);
    free (big);

    memcpy (s_service, saved_service, sizeof s_service);
    atomic_store (&s_level, saved_level);
    printf ("OK\n");
}
