/*  bus_relay.h - crmq-bus's relay: bus.outbox to the PUB endpoint, in seq
    order, never past an event whose transaction may still commit.

    The proof (see sql/002_ordered_relay.sql): an outbox row takes its seq
    after its transaction has an xid.  Each round the relay reads the
    sequence's last value v and then takes a snapshot S; every transaction
    that holds a seq <= v and has not committed is in S's in-progress list
    X.  The pair (v, X) waits until no xid of X is in progress in a later
    snapshot; then every row with seq <= v is final, and the relay publishes
    the rows above its published bound up to v, in seq order, and moves the
    bound to v.  A long write transaction anywhere delays publication (by its
    length), never reorders it.

    After every round that published events matching a subscribed mark
    prefix, the relay publishes a BusMark for that prefix (topic "bus.mark."
    + prefix); it learns the prefixes from the subscriptions on its XPUB
    socket.  Idle prefixes get a mark every mark interval.

    The relay has a PostgreSQL connection of its own, which LISTENs on
    "crmq_outbox" (bus.outbox's trigger notifies at commit).                  */
#ifndef BUS_RELAY_H_INCLUDED
#define BUS_RELAY_H_INCLUDED

#include "crmq.h"

typedef struct _bus_relay_t bus_relay_t;

typedef struct {
    const char *pg_url;
    const char *pub_endpoint;     //  bound by the relay
    int sndhwm;                   //  messages queued per subscriber before ZeroMQ drops
    int mark_interval_ms;         //  idle marks
    int round_limit;              //  rows fetched per round
} bus_relay_config_t;

//  Binds the PUB endpoint and opens the connection (retried later if
//  PostgreSQL is not up).  Returns NULL (logged) when the endpoint cannot be
//  bound.
bus_relay_t *bus_relay_new (const bus_relay_config_t *config);

//  Unbinds, closes and frees; sets *self_p to NULL; safe on NULL.
void bus_relay_destroy (bus_relay_t **self_p);

//  The XPUB socket: wait on it and call bus_relay_subscriptions when readable.
zsock_t *bus_relay_socket (bus_relay_t *self);

//  The PostgreSQL socket to wait on for notifications, -1 when not connected.
int bus_relay_fd (bus_relay_t *self);

//  Reads the subscription messages waiting on the XPUB socket.
void bus_relay_subscriptions (bus_relay_t *self);

//  Reads notifications, runs the rounds that are due and the idle marks.
//  Returns how many milliseconds it may wait before it must be called again
//  (at most the mark interval).
int bus_relay_work (bus_relay_t *self);

//  The published bound: every event with seq <= it is published or will
//  never exist.  bus.Replay answers up to it.
int64_t bus_relay_published (bus_relay_t *self);

#endif
