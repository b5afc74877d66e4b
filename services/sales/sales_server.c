/*  sales_server.c - request handlers of crmq-sales; see sales_server.h.  */
#include "sales_server.h"
#include "erp_event_check.h"
#include "erp_event_store.h"

typedef struct {
    crmq_pg_t *pg;
    crmq_rpc_client_t *contacts;
    char base_currency [4];
    size_t max_batch;
} sales_server_t;

void *
sales_server_new (crmq_service_t *service)
{
    crmq_config_t *config = crmq_service_config (service);
    crmq_rpc_client_t *contacts = crmq_rpc_client_new (
        crmq_config_str (config, "contacts_endpoint"),
        (int) crmq_config_int (config, "contacts_timeout_ms"),
        (int) crmq_config_int (config, "contacts_retries"));
    if (!contacts) {
        crmq_log (CRMQ_LOG_ERROR, "bad contacts endpoint", "endpoint=%s",
                  crmq_log_q (crmq_config_str (config, "contacts_endpoint")));
        return NULL;
    }
    sales_server_t *self = (sales_server_t *) zmalloc (sizeof (sales_server_t));
    self->pg = crmq_service_pg (service);
    self->contacts = contacts;
    snprintf (self->base_currency, sizeof self->base_currency, "%s",
              crmq_config_str (config, "base_currency"));
    self->max_batch = (size_t) crmq_config_int (config, "max_batch_events");
    return self;
}

void
sales_server_destroy (void **self_p)
{
    sales_server_t *self = (sales_server_t *) *self_p;
    if (self) {
        crmq_rpc_client_destroy (&self->contacts);
        free (self);
        *self_p = NULL;
    }
}

//  One event of a batch on its way through sales.Ingest.
typedef struct {
    Crmq__ErpEvent *event;
    bool rejected_early;            //  by the checks or crmq-contacts: not applied
    bool recorded;                  //  its event_id was in sales.erp_events before
    int64_t contacts_id;            //  client or manager id from crmq-contacts
    int code;                       //  result after the transaction
    bool duplicate;
    erp_problem_t problem;
} slot_t;

typedef struct {
    sales_server_t *self;
    slot_t *slots;
    size_t count;
} batch_t;

//  Rejects a slot before the transaction.
static void
s_reject (slot_t *slot, int code, const char *field, const char *message)
{
    slot->rejected_early = true;
    slot->code = erp_problem_set (&slot->problem, code, field, "%s", message);
}

//  Marks the slots whose event_id is already recorded: their master data is
//  not sent to crmq-contacts again.  Returns 0 or -1 on a failed statement.
static int
s_mark_recorded (batch_t *batch)
{
    crmq_pg_array_t *ids = crmq_pg_array_new ();
    for (size_t i = 0; i < batch->count; i++)
        crmq_pg_array_append (ids, batch->slots [i].event->event_id);
    const char *values [1] = { crmq_pg_array_text (ids) };
    PGresult *result = crmq_pg_exec (batch->self->pg,
        "SELECT event_id FROM sales.erp_events WHERE event_id = ANY ($1::text[])", 1, values);
    crmq_pg_array_destroy (&ids);
    if (!result)
        return -1;
    zhashx_t *known = zhashx_new ();
    for (int row = 0; row < PQntuples (result); row++)
        zhashx_insert (known, PQgetvalue (result, row, 0), (void *) 1);
    for (size_t i = 0; i < batch->count; i++)
        if (zhashx_lookup (known, batch->slots [i].event->event_id))
            batch->slots [i].recorded = true;
    zhashx_destroy (&known);
    PQclear (result);
    return 0;
}

//  Index k of "clients[k]..." or "managers[k]...", or -1.
static long
s_field_index (const char *field)
{
    const char *open = strchr (field, '[');
    if (!open)
        return -1;
    char *end;
    long k = strtol (open + 1, &end, 10);
    return *end == ']'? k: -1;
}

//  Hands the master data of one kind (clients or managers) to crmq-contacts
//  and stores the ids it gives back in the slots.  An entry crmq-contacts
//  rejects rejects its event and the rest is sent again.  Returns CRMQ_OK, or
//  the code for the whole batch when crmq-contacts cannot be reached.
static int
s_hand_to_contacts (batch_t *batch, Crmq__ErpEvent__BodyCase kind, crmq_reply_t *reply)
{
    slot_t **members = (slot_t **) zmalloc (batch->count * sizeof (slot_t *));
    void **items = (void **) zmalloc (batch->count * sizeof (void *));
    int code = CRMQ_OK;
    while (true) {
        size_t n = 0;
        for (size_t i = 0; i < batch->count; i++) {
            slot_t *slot = &batch->slots [i];
            if (slot->event->body_case == kind && !slot->rejected_early && !slot->recorded) {
                members [n] = slot;
                items [n++] = kind == CRMQ__ERP_EVENT__BODY_CLIENT
                            ? (void *) slot->event->client: (void *) slot->event->manager;
            }
        }
        if (n == 0)
            break;
        const char *method;
        int rc;
        uint8_t *body = NULL;
        size_t size = 0;
        if (kind == CRMQ__ERP_EVENT__BODY_CLIENT) {
            Crmq__UpsertClientsRequest request = CRMQ__UPSERT_CLIENTS_REQUEST__INIT;
            request.n_clients = n;
            request.clients = (Crmq__Client **) items;
            method = "contacts.UpsertClients";
            rc = crmq_rpc_call (batch->self->contacts, method, &request.base, &body, &size);
        }
        else {
            Crmq__UpsertManagersRequest request = CRMQ__UPSERT_MANAGERS_REQUEST__INIT;
            request.n_managers = n;
            request.managers = (Crmq__Manager **) items;
            method = "contacts.UpsertManagers";
            rc = crmq_rpc_call (batch->self->contacts, method, &request.base, &body, &size);
        }
        if (rc == CRMQ_OK) {
            //  Both replies are `repeated int64 ids = 1`: read them as clients'.
            Crmq__UpsertClientsReply *ids = crmq__upsert_clients_reply__unpack (NULL, size, body);
            free (body);
            if (!ids || ids->n_ids != n) {
                code = crmq_reply_error (reply, CRMQ_INTERNAL, NULL, "%s: unreadable reply", method);
                if (ids)
                    crmq__upsert_clients_reply__free_unpacked (ids, NULL);
                break;
            }
            for (size_t k = 0; k < n; k++)
                members [k]->contacts_id = ids->ids [k];
            crmq__upsert_clients_reply__free_unpacked (ids, NULL);
            break;
        }
        const char *field = crmq_rpc_client_field (batch->self->contacts);
        long k = s_field_index (field);
        bool per_entry = rc == CRMQ_INVALID_ARGUMENT || rc == CRMQ_NOT_FOUND
                      || rc == CRMQ_ALREADY_EXISTS || rc == CRMQ_FAILED_PRECONDITION;
        if (!per_entry || k < 0 || (size_t) k >= n) {
            code = crmq_reply_error (reply, rc == CRMQ_UNAVAILABLE? CRMQ_UNAVAILABLE: rc, NULL,
                                     "crmq-contacts: %s: %s", crmq_status_name (rc),
                                     crmq_rpc_client_message (batch->self->contacts));
            break;
        }
        s_reject (members [k], rc, field, crmq_rpc_client_message (batch->self->contacts));
    }
    free (items);
    free (members);
    return code;
}

//  Errors that abort the whole transaction: a lost connection, serialization
//  failure or deadlock (retried), an administrator's cancel.
static bool
s_fatal_sqlstate (const char *sqlstate)
{
    return strncmp (sqlstate, "08", 2) == 0 || strncmp (sqlstate, "40", 2) == 0
        || strncmp (sqlstate, "57", 2) == 0 || strncmp (sqlstate, "53", 2) == 0;
}

static int
s_ingest_tx (crmq_pg_t *pg, void *arg)
{
    batch_t *batch = (batch_t *) arg;
    for (size_t i = 0; i < batch->count; i++) {
        slot_t *slot = &batch->slots [i];
        if (slot->rejected_early)
            continue;
        slot->code = CRMQ_OK;
        slot->duplicate = false;
        if (crmq_pg_command (pg, "SAVEPOINT event", 0, NULL) != 0)
            return -1;
        int rc = erp_event_store (pg, slot->event, i, slot->contacts_id, &slot->problem);
        if (rc == ERP_STORED || rc == ERP_DUPLICATE) {
            slot->duplicate = rc == ERP_DUPLICATE;
            if (crmq_pg_command (pg, "RELEASE SAVEPOINT event", 0, NULL) != 0)
                return -1;
            continue;
        }
        if (rc < 0) {
            if (s_fatal_sqlstate (crmq_pg_sqlstate (pg)))
                return -1;
            char field [32];
            snprintf (field, sizeof field, "events[%zu]", i);
            erp_problem_set (&slot->problem, crmq_pg_status (pg), field, "%s", crmq_pg_error (pg));
        }
        slot->code = slot->problem.code;
        if (crmq_pg_command (pg, "ROLLBACK TO SAVEPOINT event", 0, NULL) != 0)
            return -1;
    }
    return 0;
}

//  Builds the IngestReply from the slots.
static int
s_ingest_reply (batch_t *batch, crmq_reply_t *reply)
{
    Crmq__EventResult *results = (Crmq__EventResult *) zmalloc (batch->count * sizeof (Crmq__EventResult));
    Crmq__EventResult **pointers = (Crmq__EventResult **) zmalloc (batch->count * sizeof (void *));
    Crmq__Error *errors = (Crmq__Error *) zmalloc (batch->count * sizeof (Crmq__Error));
    Crmq__IngestReply answer = CRMQ__INGEST_REPLY__INIT;
    for (size_t i = 0; i < batch->count; i++) {
        slot_t *slot = &batch->slots [i];
        crmq__event_result__init (&results [i]);
        results [i].event_id = slot->event->event_id;
        results [i].code = slot->code;
        results [i].duplicate = slot->duplicate;
        if (slot->code != CRMQ_OK) {
            crmq__error__init (&errors [i]);
            errors [i].code = slot->code;
            errors [i].field = slot->problem.field;
            errors [i].message = slot->problem.message;
            results [i].error = &errors [i];
            answer.rejected++;
        }
        else
        if (slot->duplicate)
            answer.duplicates++;
        else
            answer.accepted++;
        pointers [i] = &results [i];
    }
    answer.n_results = batch->count;
    answer.results = pointers;
    int code = crmq_reply_ok (reply, &answer.base);
    crmq_log (answer.rejected? CRMQ_LOG_WARN: CRMQ_LOG_INFO, "batch committed",
              "events=%zu accepted=%d duplicates=%d rejected=%d", batch->count,
              answer.accepted, answer.duplicates, answer.rejected);
    for (size_t i = 0; i < batch->count; i++)
        if (batch->slots [i].code != CRMQ_OK)
            crmq_log (CRMQ_LOG_WARN, "event rejected", "event_id=%s code=%s field=%s error=%s",
                      crmq_log_q (batch->slots [i].event->event_id),
                      crmq_status_name (batch->slots [i].code),
                      crmq_log_q (batch->slots [i].problem.field),
                      crmq_log_q (batch->slots [i].problem.message));
    free (errors);
    free (pointers);
    free (results);
    return code;
}

static int
s_ingest (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    sales_server_t *self = (sales_server_t *) state;
    Crmq__IngestRequest *request = crmq__ingest_request__unpack (NULL, size, body);
    if (!request)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL, "malformed IngestRequest");
    int code = CRMQ_OK;
    if (request->n_events == 0 || request->n_events > self->max_batch) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "events",
                                 "a batch holds 1 to %zu events, not %zu",
                                 self->max_batch, request->n_events);
        crmq__ingest_request__free_unpacked (request, NULL);
        return code;
    }
    batch_t batch = { self, (slot_t *) zmalloc (request->n_events * sizeof (slot_t)),
                      request->n_events };
    for (size_t i = 0; i < batch.count; i++) {
        slot_t *slot = &batch.slots [i];
        slot->event = request->events [i];
        erp_problem_t problem;
        if (!erp_event_check (slot->event, i, self->base_currency, &problem))
            s_reject (slot, problem.code, problem.field, problem.message);
    }
    if (s_mark_recorded (&batch) != 0)
        code = crmq_reply_error (reply, crmq_pg_status (self->pg), NULL, "%s",
                                 crmq_pg_error (self->pg));
    if (code == CRMQ_OK)
        code = s_hand_to_contacts (&batch, CRMQ__ERP_EVENT__BODY_MANAGER, reply);
    if (code == CRMQ_OK)
        code = s_hand_to_contacts (&batch, CRMQ__ERP_EVENT__BODY_CLIENT, reply);
    if (code == CRMQ_OK) {
        int rc = crmq_pg_transaction (self->pg, s_ingest_tx, &batch);
        if (rc == 0)
            code = s_ingest_reply (&batch, reply);
        else
            code = crmq_reply_error (reply, rc > 0? rc: crmq_pg_status (self->pg), NULL,
                                     "batch not written: %s", crmq_pg_error (self->pg));
    }
    free (batch.slots);
    crmq__ingest_request__free_unpacked (request, NULL);
    return code;
}

const crmq_rpc_method_t sales_server_methods [] = {
    { "sales.Ingest", s_ingest },
    { NULL, NULL }
};
