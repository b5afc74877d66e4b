/*  crmq_publisher.h - publishes ERP events to crmq-sales: sales.Ingest
    batches, several in flight on one DEALER socket.

    Events are packed, as they are added, into the open batch: up to
    batch_size events, and never a request above max_request bytes (the
    services' CRMQ_MAX_MESSAGE_BYTES, above which a frame is dropped without
    a reply).  A full batch is numbered (IngestRequest.batch_id, 1, 2, ...)
    and sent while up to `window` earlier ones still wait for their reply;
    adding to a full window waits for a reply first.  The publisher keeps
    each batch it sent, packed, until its OK, and only then hands the
    reply's per-event results to the caller's ack function: a batch is never
    reported done before its OK.

    Replies: an OK reply names its batch by IngestReply.batch_id (a reply
    without it, from a service that does not echo it, is taken for the
    oldest batch waiting).  A non-zero reply carries a crmq.Error and no
    batch id; one connection delivers replies in the order it sent the
    requests, so it belongs to the oldest batch sent on this connection
    that is still waiting.  14 UNAVAILABLE (PostgreSQL or crmq-contacts
    away) puts that batch back, to be resent after a jittered exponential
    backoff (crmq_backoff, 100 ms doubling to 5 s); any other non-zero code
    refuses the batch as a whole and stops the publisher (later calls fail).

    Lost replies: a service works through one socket's requests in order,
    so the oldest batch waiting gets timeout_ms from the moment it became
    the oldest (sent, or the one before it answered).  When that passes
    without its reply, the socket is closed, dropping any late reply, a new
    one is opened and every waiting batch is sent again (Lazy Pirate, for a
    window).  A batch sent 1 + retries times without an OK (no reply, or
    UNAVAILABLE) stops the publisher with CRMQ_UNAVAILABLE.  Resending is
    safe: events are idempotent by event_id, so a batch committed before its
    reply was lost comes back as duplicates.

    Ordering: batches in flight are written in any order (another replica
    or a resend may overtake).  Events that depend on others (orders on the
    master data they name) must be added after a crmq_publisher_barrier
    that followed those others.

    Without an endpoint (NULL) the publisher is a dry run: it forms, numbers
    and counts batches and sends nothing; no ack function is called.

    Blocking and single-threaded: add, flush and barrier wait on the socket
    as they need to, and call the ack function from inside.  SIGINT/SIGTERM
    (zsys_interrupted) stops the publisher with CRMQ_UNAVAILABLE.          */
#ifndef CRMQ_PUBLISHER_H_INCLUDED
#define CRMQ_PUBLISHER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sales.pb-c.h"

typedef struct _crmq_publisher_t crmq_publisher_t;

//  Default batches in flight (CRMQ_INGEST_WINDOW), and the most allowed.
#define CRMQ_PUBLISHER_WINDOW      4
#define CRMQ_PUBLISHER_MAX_WINDOW  64

//  Called once per acknowledged batch, after its OK: `reply` (owned by the
//  publisher, valid during the call) holds one result per event, in the
//  order the events were added to the batch.  Must not call the publisher.
typedef void (crmq_publisher_ack_fn) (void *arg, uint64_t batch_id,
                                      const Crmq__IngestReply *reply);

//  Creates a publisher of batches of up to batch_size (>= 1) events, each
//  request at most max_request bytes (0 = no limit), to `endpoint` (NULL =
//  dry run).  Window CRMQ_PUBLISHER_WINDOW, timeout 30,000 ms, 3 retries.
//  Returns NULL (logged) on out-of-memory or an endpoint ZeroMQ refuses.
crmq_publisher_t *crmq_publisher_new (const char *endpoint, size_t batch_size,
                                      size_t max_request);

//  Closes the socket and frees everything, batches in flight included (they
//  stay unacknowledged: call crmq_publisher_barrier first to keep them);
//  sets *self_p to NULL; safe on NULL.
void crmq_publisher_destroy (crmq_publisher_t **self_p);

//  Batches in flight at most, 1..CRMQ_PUBLISHER_MAX_WINDOW (clamped).
//  Takes effect for the next batch sent.
void crmq_publisher_set_window (crmq_publisher_t *self, size_t window);

//  Time without any reply after which the waiting batches are resent on a
//  new socket, milliseconds (>= 1); sends of one batch without an OK
//  allowed beyond the first (>= 0).
void crmq_publisher_set_timeout (crmq_publisher_t *self, int timeout_ms, int retries);

//  Sets the function told of every acknowledged batch (NULL = none) and its
//  argument (borrowed).
void crmq_publisher_set_ack_fn (crmq_publisher_t *self, crmq_publisher_ack_fn *fn, void *arg);

//  Packs `event` (not kept: the caller may free it on return) into the open
//  batch, after sending the open batch first when the event would take its
//  request over max_request, and sends the batch when it is full.  Returns
//  0; CRMQ_RESOURCE_EXHAUSTED, nothing queued, when a request holding this
//  event alone would exceed max_request (crmq_publisher_message says by how
//  much); -1 when the publisher has stopped (crmq_publisher_code says why).
int crmq_publisher_add (crmq_publisher_t *self, const Crmq__ErpEvent *event);

//  Sends the open batch, if it holds any event.  Returns 0 or -1 (stopped).
int crmq_publisher_flush (crmq_publisher_t *self);

//  Sends the open batch and waits until every batch sent is acknowledged.
//  Returns 0, or -1 when the publisher stopped before (batches still
//  unacknowledged then were not reported and may or may not be stored).
int crmq_publisher_barrier (crmq_publisher_t *self);

//  Why the publisher stopped (a status code; 0 while it runs) and the
//  message of the last failure or refusal ("" if none).  Owned by self.
int crmq_publisher_code (crmq_publisher_t *self);
const char *crmq_publisher_message (crmq_publisher_t *self);

//  Counts so far: batches formed (in a dry run) or sent, events and packed
//  event bytes in them; batches waiting for their OK now; batches resent
//  (after a timeout or UNAVAILABLE); batches acknowledged.
size_t crmq_publisher_batches (crmq_publisher_t *self);
size_t crmq_publisher_events (crmq_publisher_t *self);
size_t crmq_publisher_bytes (crmq_publisher_t *self);
size_t crmq_publisher_in_flight (crmq_publisher_t *self);
size_t crmq_publisher_resends (crmq_publisher_t *self);
size_t crmq_publisher_acknowledged (crmq_publisher_t *self);

//  Self-test against an in-process fake crmq-sales (lost replies,
//  UNAVAILABLE, refused batches, replies without batch id).
void crmq_publisher_test (bool verbose);

#endif
