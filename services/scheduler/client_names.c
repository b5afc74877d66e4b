/*  client_names.c - client names from crmq-contacts; see client_names.h.  */
#include "client_names.h"

#define S_QUIET_AFTER_FAILURE_MS  10000

struct _client_names_t {
    crmq_rpc_client_t *contacts;
    int64_t quiet_until_ms;         //  no call before this (monotonic), after a failure
};

client_names_t *
client_names_new (const char *endpoint, int timeout_ms)
{
    client_names_t *self = (client_names_t *) zmalloc (sizeof (client_names_t));
    self->contacts = crmq_rpc_client_new (endpoint, timeout_ms, 0);
    if (!self->contacts) {
        free (self);
        return NULL;
    }
    return self;
}

void
client_names_destroy (client_names_t **self_p)
{
    assert (self_p);
    client_names_t *self = *self_p;
    if (!self)
        return;
    crmq_rpc_client_destroy (&self->contacts);
    free (self);
    *self_p = NULL;
}

const char *
client_names_get (client_names_t *self, int64_t id, char *buf, size_t size)
{
    assert (self);
    assert (size);
    *buf = 0;
    if (id <= 0 || zclock_mono () < self->quiet_until_ms)
        return buf;
    Crmq__GetClientRequest request = CRMQ__GET_CLIENT_REQUEST__INIT;
    request.id = id;
    uint8_t *body = NULL;
    size_t length = 0;
    int code = crmq_rpc_call (self->contacts, "contacts.GetClient", &request.base, &body, &length);
    if (code == CRMQ_OK) {
        Crmq__GetClientReply *reply = crmq__get_client_reply__unpack (NULL, length, body);
        //  a merged client's id answers its survivor: that name is the one to show
        if (reply && reply->client)
            snprintf (buf, size, "%s", reply->client->name);
        if (reply)
            crmq__get_client_reply__free_unpacked (reply, NULL);
    }
    else
    if (code != CRMQ_NOT_FOUND) {
        crmq_log (CRMQ_LOG_WARN, "client names not available: alerts go without them for a while",
                  "code=%d error=%s", code, crmq_log_q (crmq_rpc_client_message (self->contacts)));
        self->quiet_until_ms = zclock_mono () + S_QUIET_AFTER_FAILURE_MS;
    }
    free (body);
    return buf;
}
