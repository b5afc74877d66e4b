/*  bus_server.h - crmq-bus: the relay (bus_relay.h), the bus.* requests and
    retention, in one loop.

    Methods: bus.Replay (events from a seq, by topic prefix, up to the
    published bound), bus.Consumers (registered consumers and their lag),
    bus.DropConsumer (forget one, so retention no longer waits for it).    */
#ifndef BUS_SERVER_H_INCLUDED
#define BUS_SERVER_H_INCLUDED

#include "crmq.h"

extern const crmq_rpc_method_t bus_server_methods [];

//  State of the handlers: builds the relay (binds the PUB endpoint).
//  Returns NULL (logged) on a bad setting or an endpoint that cannot be bound.
void *bus_server_new (crmq_service_t *service);

//  Frees what bus_server_new built; sets *self_p to NULL.
void bus_server_destroy (void **self_p);

//  The loop: requests, subscriptions, notifications, rounds, marks and
//  retention, until SIGTERM/SIGINT.  Returns 0.
int bus_server_run (void *state, crmq_rpc_server_t *server);

#endif
