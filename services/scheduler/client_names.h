/*  client_names.h - the names of clients, for alerts, asked of crmq-contacts.

    crmq-scheduler knows a client by id; its name comes from
    contacts.GetClient (crmq-contacts answers from its card cache).  A failed
    call (crmq-contacts down or slow) leaves the name empty and no call is
    made for the next 10 s, so an alert is never held up for long by it.    */
#ifndef CLIENT_NAMES_H_INCLUDED
#define CLIENT_NAMES_H_INCLUDED

#include "crmq.h"

typedef struct _client_names_t client_names_t;

//  A source asking crmq-contacts at `endpoint`, waiting timeout_ms per call.
//  Returns NULL for an endpoint ZeroMQ refuses.
client_names_t *client_names_new (const char *endpoint, int timeout_ms);

//  Closes and frees; sets *self_p to NULL; safe on NULL.
void client_names_destroy (client_names_t **self_p);

//  Copies the name of client `id` into buf (size bytes; the survivor's for a
//  merged client; "" when unknown or unreachable).  Returns buf.
const char *client_names_get (client_names_t *self, int64_t id, char *buf, size_t size);

#endif
