/*  notify_target.c - checks of a target's fields; see notify_target.h.  */
#include "notify_target.h"
#include <curl/curl.h>

#define S_NAME_MAX      100
#define S_ADDRESS_MAX   2000
#define S_EMAIL_MAX     254
#define S_LOCAL_MAX     64
#define S_LABEL_MAX     63
#define S_PREFIX_MAX    200

//  True when `url` is an absolute http(s) URL with a host, as libcurl reads it.
static bool
s_url_valid (const char *url, char *why, size_t why_size)
{
    if (!crmq_id_valid (url, 1, S_ADDRESS_MAX, why, why_size))
        return false;
    if (strchr (url, ' ')) {
        snprintf (why, why_size, "contains a space");
        return false;
    }
    CURLU *parsed = curl_url ();
    if (!parsed) {
        snprintf (why, why_size, "cannot be read (out of memory)");
        return false;
    }
    bool valid = false;
    char *scheme = NULL, *host = NULL, *user = NULL;
    const char *authority = strstr (url, "://");
    if (curl_url_set (parsed, CURLUPART_URL, url, 0) != CURLUE_OK)
        snprintf (why, why_size, "is not a URL (http://host[:port]/path)");
    else
    //  libcurl reads "http:///path" as the host "path"
    if (!authority || authority [3] == '/' || authority [3] == 0)
        snprintf (why, why_size, "has no host");
    else
    //  a password in the URL would be shown by every listing of the targets
    if (curl_url_get (parsed, CURLUPART_USER, &user, 0) == CURLUE_OK)
        snprintf (why, why_size, "must not carry a user or password");
    else
    if (curl_url_get (parsed, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
    ||  (!streq (scheme, "http") && !streq (scheme, "https")))
        snprintf (why, why_size, "must start with http:// or https://");
    else
    if (curl_url_get (parsed, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
        snprintf (why, why_size, "has no host");
    else
        valid = true;
    curl_free (scheme);
    curl_free (host);
    curl_free (user);
    curl_url_cleanup (parsed);
    return valid;
}

bool
notify_target_email_valid (const char *address)
{
    if (!address)
        return false;
    size_t length = strlen (address);
    const char *at = strrchr (address, '@');
    if (length > S_EMAIL_MAX || !at || at == address || (size_t) (at - address) > S_LOCAL_MAX)
        return false;
    //  local part: dot-atom
    for (const char *c = address; c < at; c++) {
        if (*c == '.') {
            if (c == address || c + 1 == at || c [1] == '.')
                return false;
        }
        else
        if (!isalnum ((unsigned char) *c) && !strchr ("!#$%&'*+/=?^_`{|}~-", *c))
            return false;
    }
    //  domain: two or more labels
    size_t labels = 0, label = 0;
    for (const char *c = at + 1; ; c++) {
        if (*c == '.' || *c == 0) {
            if (label == 0 || label > S_LABEL_MAX || c [-1] == '-')
                return false;
            labels++;
            label = 0;
            if (*c == 0)
                break;
        }
        else
        if (isalnum ((unsigned char) *c) || (*c == '-' && label > 0))
            label++;
        else
            return false;
    }
    return labels >= 2;
}

bool
notify_target_check (const char *name, const char *kind, const char *address,
                     const char *topic_prefix, const char **field, char *why, size_t why_size)
{
    char reason [128];
    if (!crmq_name_valid (name, 1, S_NAME_MAX, reason, sizeof reason)) {
        *field = "name";
        snprintf (why, why_size, "name %s", reason);
        return false;
    }
    if (!kind || (!streq (kind, "webhook") && !streq (kind, "email"))) {
        *field = "kind";
        snprintf (why, why_size, "kind must be webhook or email");
        return false;
    }
    *field = "address";
    if (streq (kind, "webhook") && !s_url_valid (address, reason, sizeof reason)) {
        snprintf (why, why_size, "webhook URL %s", reason);
        return false;
    }
    if (streq (kind, "email") && !notify_target_email_valid (address)) {
        snprintf (why, why_size, "\"%.80s\" is not an e-mail address (name@example.com, at most "
                  "254 bytes)", address? address: "");
        return false;
    }
    if (!crmq_id_valid (topic_prefix, 0, S_PREFIX_MAX, reason, sizeof reason)) {
        *field = "topic_prefix";
        snprintf (why, why_size, "topic prefix %s", reason);
        return false;
    }
    return true;
}

void
notify_target_test (bool verbose)
{
    (void) verbose;
    printf (" * notify_target: ");
    const char *field;
    char why [256];
    assert (notify_target_check ("ops", "webhook", "https://hooks.example.com/crmq?x=1", "alert.",
                                 &field, why, sizeof why));
    assert (notify_target_check ("ops", "webhook", "http://127.0.0.1:8080/", "", &field, why, sizeof why));
    assert (!notify_target_check ("ops", "webhook", "ftp://example.com/", "", &field, why, sizeof why));
    assert (streq (field, "address") && strstr (why, "http://"));
    assert (!notify_target_check ("ops", "webhook", "example.com/hook", "", &field, why, sizeof why));
    assert (!notify_target_check ("ops", "webhook", "http://a b/", "", &field, why, sizeof why));
    assert (!notify_target_check ("ops", "webhook", "http:///path", "", &field, why, sizeof why));
    assert (strstr (why, "no host"));
    assert (!notify_target_check ("ops", "webhook", "http://u:secret@h.example.com/", "", &field,
                                  why, sizeof why));
    assert (strstr (why, "password"));
    assert (!notify_target_check ("ops", "webhook", "http://x/\r\nHost: y", "", &field, why, sizeof why));
    assert (!notify_target_check ("", "webhook", "http://x/", "", &field, why, sizeof why));
    assert (streq (field, "name"));
    assert (!notify_target_check ("ops", "sms", "http://x/", "", &field, why, sizeof why));
    assert (streq (field, "kind"));
    assert (!notify_target_check ("ops", "email", "http://x/", "", &field, why, sizeof why));
    assert (streq (field, "address") && strstr (why, "e-mail"));
    assert (!notify_target_check ("ops", "email", "a@b.c", "alert.\n", &field, why, sizeof why));
    assert (streq (field, "topic_prefix"));

    assert (notify_target_email_valid ("ops@example.com"));
    assert (notify_target_email_valid ("first.last+crm@mail.example-corp.ru"));
    assert (!notify_target_email_valid ("ops@localhost"));
    assert (!notify_target_email_valid ("ops@@example.com"));
    assert (!notify_target_email_valid ("@example.com"));
    assert (!notify_target_email_valid (".ops@example.com"));
    assert (!notify_target_email_valid ("o..ps@example.com"));
    assert (!notify_target_email_valid ("ops@-example.com"));
    assert (!notify_target_email_valid ("ops@example-.com"));
    assert (!notify_target_email_valid ("ops@example..com"));
    assert (!notify_target_email_valid ("o ps@example.com"));
    assert (!notify_target_email_valid ("ops@example.com>\r\nRCPT TO:<x@y.z"));
    printf ("OK\n");
}
