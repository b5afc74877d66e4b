/*  crmq_redis.c - the one hiredis wrapper.

    A context that reported an error (I/O, timeout, protocol) is freed and
    never reused; the next command reconnects once the jittered backoff has
    passed (100 ms doubling to 5 s, each wait drawn from [d/2, d]), and until
    then commands fail fast with NULL.  An error *reply* (WRONGTYPE, ERR ...)
    is an answer on a healthy connection: it is logged and gives NULL, and the
    connection is kept.

    URL: redis://[[user]:password@]host[:port][/db] or host[:port]; port 6379
    and db 0 by default; an IPv6 host goes in brackets.                     */
#include "crmq.h"
#include <limits.h>

#define S_BACKOFF_MIN_MS 100
#define S_BACKOFF_MAX_MS 5000
#define S_TIMEOUT_MS     1000
#define S_DEFAULT_PORT   6379

struct _crmq_redis_t {
    char *host;
    int port;
    int db;
    char *user;                     //  NULL = none
    char *password;                 //  NULL = no AUTH
    redisContext *ctx;              //  NULL when not connected
    crmq_backoff_t backoff;         //  when the next connection attempt may be made
    bool ever_connected;
};

//  Frees a failed context and schedules the next attempt.
static void
s_drop (crmq_redis_t *self, const char *what)
{
    crmq_log (CRMQ_LOG_WARN, "redis connection failed", "host=%s port=%d what=%s error=%s",
              crmq_log_q (self->host), self->port, what,
              crmq_log_q (self->ctx? self->ctx->errstr: "out of memory"));
    if (self->ctx)
        redisFree (self->ctx);
    self->ctx = NULL;
    crmq_backoff_failed (&self->backoff);
}

//  --------------------------------------------------------------------------
//  Decodes %XX escapes of a URL part into a new string; NULL if malformed.

static char *
s_unescape (const char *text, size_t len)
{
    char *out = malloc (len + 1);
    if (!out)
        return NULL;
    size_t out_len = 0;
    for (size_t index = 0; index < len; index++) {
        if (text [index] == '%') {
            if (index + 2 >= len
            ||  !isxdigit ((unsigned char) text [index + 1])
            ||  !isxdigit ((unsigned char) text [index + 2])) {
                free (out);
                return NULL;
            }
            char hex [3] = { text [index + 1], text [index + 2], 0 };
            out [out_len++] = (char) strtol (hex, NULL, 16);
            index += 2;
        }
        else
            out [out_len++] = text [index];
    }
    out [out_len] = 0;
    return out;
}

//  Reads a decimal in [min, max] from text [start, start+len); false if not one.
static bool
s_number (const char *start, size_t len, long min, long max, int *value)
{
    if (len == 0 || len > 10)
        return false;
    long number = 0;
    for (size_t index = 0; index < len; index++) {
        if (start [index] < '0' || start [index] > '9')
            return false;
        number = number * 10 + (start [index] - '0');
    }
    if (number < min || number > max)
        return false;
    *value = (int) number;
    return true;
}

//  Fills host, port, db, user and password of self from `url`.
static bool
s_parse_url (crmq_redis_t *self, const char *url)
{
    const char *p = url;
    if (strncmp (p, "redis://", 8) == 0)
        p += 8;
    else
    if (strstr (p, "://"))
        return false;               //  rediss:// (TLS) and others not supported

    //  Authority ends at '/'; userinfo before its last '@'
    size_t authority = strcspn (p, "/?#");
    const char *at = memrchr (p, '@', authority);
    if (at) {
        const char *colon = memchr (p, ':', (size_t) (at - p));
        if (colon) {
            if (colon > p) {
                self->user = s_unescape (p, (size_t) (colon - p));
                if (!self->user)
                    return false;
            }
            self->password = s_unescape (colon + 1, (size_t) (at - colon - 1));
        }
        else
            self->password = s_unescape (p, (size_t) (at - p));
        if (!self->password)
            return false;
        authority -= (size_t) (at + 1 - p);
        p = at + 1;
    }
    const char *host = p;
    size_t host_len;
    const char *rest;
    if (*p == '[') {
        const char *close = memchr (p, ']', authority);
        if (!close)
            return false;
        host = p + 1;
        host_len = (size_t) (close - host);
        rest = close + 1;
    }
    else {
        host_len = strcspn (p, ":");
        if (host_len > authority)
            host_len = authority;
        rest = p + host_len;
    }
    if (host_len == 0 || host_len > 255)
        return false;
    for (size_t index = 0; index < host_len; index++)
        if ((unsigned char) host [index] <= ' ' || host [index] == 0x7F)
            return false;
    self->host = strndup (host, host_len);
    if (!self->host)
        return false;

    const char *end = p + authority;
    self->port = S_DEFAULT_PORT;
    if (rest < end) {
        if (*rest != ':' || !s_number (rest + 1, (size_t) (end - rest - 1), 1, 65535, &self->port))
            return false;
    }
    self->db = 0;
    if (*end == '/') {
        const char *db = end + 1;
        if (*db && !s_number (db, strlen (db), 0, INT_MAX, &self->db))
            return false;
    }
    else
    if (*end)
        return false;               //  ?query or #fragment
    return true;
}

//  One connection attempt, with AUTH and SELECT.  True when connected.
static bool
s_connect (crmq_redis_t *self)
{
    struct timeval timeout = { S_TIMEOUT_MS / 1000, (S_TIMEOUT_MS % 1000) * 1000 };
    self->ctx = redisConnectWithTimeout (self->host, self->port, timeout);
    if (!self->ctx || self->ctx->err) {
        s_drop (self, "connect");
        return false;
    }
    if (redisSetTimeout (self->ctx, timeout) != REDIS_OK) {
        s_drop (self, "timeout");
        return false;
    }
    redisReply *reply = NULL;
    if (self->password) {
        reply = self->user
            ? redisCommand (self->ctx, "AUTH %s %s", self->user, self->password)
            : redisCommand (self->ctx, "AUTH %s", self->password);
        bool ok = reply && reply->type != REDIS_REPLY_ERROR;
        if (reply && !ok && !self->ctx->err)
            snprintf (self->ctx->errstr, sizeof self->ctx->errstr, "%s", reply->str);
        freeReplyObject (reply);
        if (!ok) {
            s_drop (self, "auth");
            return false;
        }
    }
    if (self->db) {
        reply = redisCommand (self->ctx, "SELECT %d", self->db);
        bool ok = reply && reply->type != REDIS_REPLY_ERROR;
        if (reply && !ok && !self->ctx->err)
            snprintf (self->ctx->errstr, sizeof self->ctx->errstr, "%s", reply->str);
        freeReplyObject (reply);
        if (!ok) {
            s_drop (self, "select");
            return false;
        }
    }
    crmq_backoff_succeeded (&self->backoff);
    crmq_log (self->ever_connected? CRMQ_LOG_INFO: CRMQ_LOG_DEBUG,
              self->ever_connected? "redis reconnected": "redis connected",
              "host=%s port=%d db=%d", crmq_log_q (self->host), self->port, self->db);
    self->ever_connected = true;
    return true;
}

crmq_redis_t *
crmq_redis_new (const char *url)
{
    if (!url)
        return NULL;
    crmq_redis_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    if (!s_parse_url (self, url)) {
        crmq_log (CRMQ_LOG_ERROR, "bad redis URL", "expected=%s",
                  crmq_log_q ("redis://host:port[/db]"));
        crmq_redis_destroy (&self);
        return NULL;
    }
    crmq_backoff_init (&self->backoff, S_BACKOFF_MIN_MS, S_BACKOFF_MAX_MS);
    s_connect (self);
    return self;
}

void
crmq_redis_destroy (crmq_redis_t **self_p)
{
    assert (self_p);
    crmq_redis_t *self = *self_p;
    if (!self)
        return;
    if (self->ctx)
        redisFree (self->ctx);
    free (self->host);
    free (self->user);
    free (self->password);
    free (self);
    *self_p = NULL;
}

redisReply *
crmq_redis_command (crmq_redis_t *self, const char *format, ...)
{
    assert (self);
    assert (format);
    if (!self->ctx) {
        if (!crmq_backoff_ready (&self->backoff) || !s_connect (self))
            return NULL;
    }
    va_list args;
    va_start (args, format);
    redisReply *reply = redisvCommand (self->ctx, format, args);
    va_end (args);
    if (!reply) {
        s_drop (self, "command");
        return NULL;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        crmq_log (CRMQ_LOG_WARN, "redis error reply", "error=%s", crmq_log_q (reply->str));
        freeReplyObject (reply);
        return NULL;
    }
    return reply;
}

bool
crmq_redis_connected (crmq_redis_t *self)
{
    assert (self);
    return self->ctx && !self->ctx->err;
}

//  --------------------------------------------------------------------------
//  Self-test

static void
s_check_url (const char *url, bool ok, const char *host, int port, int db,
             const char *user, const char *password)
{
    crmq_redis_t self = { 0 };
    bool parsed = s_parse_url (&self, url);
    if (parsed != ok
    ||  (ok && (!streq (self.host, host) || self.port != port || self.db != db
            ||  (user? !self.user || !streq (self.user, user): self.user != NULL)
            ||  (password? !self.password || !streq (self.password, password): self.password != NULL)))) {
        printf ("\nredis URL \"%s\": parsed=%d host=%s port=%d db=%d\n",
                url, parsed, self.host? self.host: "", self.port, self.db);
        assert (false);
    }
    free (self.host);
    free (self.user);
    free (self.password);
}

void
crmq_redis_test (bool verbose)
{
    printf (" * crmq_redis: ");

    s_check_url ("redis://127.0.0.1:6379", true, "127.0.0.1", 6379, 0, NULL, NULL);
    s_check_url ("redis://cache:6380/3", true, "cache", 6380, 3, NULL, NULL);
    s_check_url ("redis://cache:6380/", true, "cache", 6380, 0, NULL, NULL);
    s_check_url ("redis://cache", true, "cache", 6379, 0, NULL, NULL);
    s_check_url ("cache:7000", true, "cache", 7000, 0, NULL, NULL);
    s_check_url ("cache:7000/15", true, "cache", 7000, 15, NULL, NULL);
    s_check_url ("redis://[::1]:7000/2", true, "::1", 7000, 2, NULL, NULL);
    s_check_url ("redis://:s%40cret@cache:7000", true, "cache", 7000, 0, NULL, "s@cret");
    s_check_url ("redis://app:pw@cache", true, "cache", 6379, 0, "app", "pw");
    const char *bad [] = {
        "", "redis://", "redis://:6379", "http://cache:6379", "rediss://cache:6379",
        "redis://cache:", "redis://cache:0", "redis://cache:65536", "redis://cache:abc",
        "redis://cache:6379/x", "redis://cache:6379/-1", "redis://cache:6379/1/2",
        "redis://cache:6379?db=1", "redis://ca che:6379", "redis://[::1:6379",
        "redis://:%zz@cache", "redis://:%4@cache", "cache:6379:1", NULL
    };
    for (int index = 0; bad [index]; index++)
        s_check_url (bad [index], false, NULL, 0, 0, NULL, NULL);
    assert (crmq_redis_new ("http://nope") == NULL);
    assert (crmq_redis_new (NULL) == NULL);

    //  A dead port: created, not connected, failing fast
    int64_t started = crmq_backoff_now_ms ();
    crmq_redis_t *dead = crmq_redis_new ("redis://127.0.0.1:1");
    assert (dead);
    assert (!crmq_redis_connected (dead));
    redisReply *reply = crmq_redis_command (dead, "PING");
    assert (reply == NULL);
    reply = crmq_redis_command (dead, "PING");
    assert (reply == NULL);
    assert (crmq_backoff_now_ms () - started < 1500);
    crmq_redis_destroy (&dead);
    assert (dead == NULL);
    crmq_redis_destroy (&dead);

    const char *url = getenv ("CRMQ_REDIS_URL");
    if (!url || !*url) {
        printf ("OK (server part skipped: CRMQ_REDIS_URL not set)\n");
        return;
    }
    crmq_redis_t *redis = crmq_redis_new (url);
    assert (redis);
    assert (crmq_redis_connected (redis));

    char key [64];
    snprintf (key, sizeof key, "crmq:selftest:%d", (int) getpid ());
    const char value [] = { 'b', 0, 'i', 'n', (char) 0xFF, '\n', 'a' };
    reply = crmq_redis_command (redis, "SET %s %b EX 60", key, value, sizeof value);
    assert (reply);
    assert (reply->type == REDIS_REPLY_STATUS);
    freeReplyObject (reply);
    reply = crmq_redis_command (redis, "GET %s", key);
    assert (reply);
    assert (reply->type == REDIS_REPLY_STRING);
    assert (reply->len == sizeof value);
    assert (memcmp (reply->str, value, sizeof value) == 0);
    freeReplyObject (reply);

    //  Values with spaces and quotes stay one argument
    reply = crmq_redis_command (redis, "SET %s %s EX 60", key, "a b \"c\" Ж");
    assert (reply);
    freeReplyObject (reply);
    reply = crmq_redis_command (redis, "GET %s", key);
    assert (reply && reply->type == REDIS_REPLY_STRING);
    assert (streq (reply->str, "a b \"c\" Ж"));
    freeReplyObject (reply);

    //  An error reply gives NULL and keeps the connection
    reply = crmq_redis_command (redis, "INCR %s", key);
    assert (reply == NULL);
    assert (crmq_redis_connected (redis));
    reply = crmq_redis_command (redis, "NOSUCHCOMMAND");
    assert (reply == NULL);
    reply = crmq_redis_command (redis, "DEL %s", key);
    assert (reply);
    assert (reply->type == REDIS_REPLY_INTEGER && reply->integer == 1);
    freeReplyObject (reply);

    //  A lost connection: killed from a second client, then reconnected
    reply = crmq_redis_command (redis, "CLIENT ID");
    assert (reply && reply->type == REDIS_REPLY_INTEGER);
    long long id = reply->integer;
    freeReplyObject (reply);
    crmq_redis_t *killer = crmq_redis_new (url);
    assert (killer);
    reply = crmq_redis_command (killer, "CLIENT KILL ID %lld", id);
    assert (reply);
    freeReplyObject (reply);
    crmq_redis_destroy (&killer);
    reply = crmq_redis_command (redis, "PING");
    assert (reply == NULL);
    assert (!crmq_redis_connected (redis));
    //  Within the backoff: fails fast
    reply = crmq_redis_command (redis, "PING");
    assert (reply == NULL);
    usleep (150 * 1000);
    reply = crmq_redis_command (redis, "PING");
    assert (reply);
    assert (reply->type == REDIS_REPLY_STATUS && streq (reply->str, "PONG"));
    freeReplyObject (reply);
    assert (crmq_redis_connected (redis));

    crmq_redis_destroy (&redis);
    if (verbose)
        printf ("(against %s) ", url);
    printf ("OK\n");
}
