/*  sales_server.c - request handlers of crmq-sales; see sales_server.h.  */
#include "sales_server.h"
#include "erp_event_check.h"
#include "erp_event_store.h"
#include "merge_applier.h"
#include "pipeline_store.h"
#include "deal_store.h"

static const char *SQL_ZONE_CHECK =
    "SELECT now () AT TIME ZONE $1";

//  Documents waiting for the document they refer to, oldest first.
static const char *SQL_UNRESOLVED =
    "SELECT kind, external_id, event_id, missing_kind, missing_external_id,"
    "       (extract (epoch FROM received_at) * 1000000)::bigint, count (*) OVER ()"
    "  FROM sales.unresolved ORDER BY received_at, event_id LIMIT $1::int";

typedef struct {
    crmq_pg_t *pg;
    crmq_rpc_client_t *contacts;
    char base_currency [4];
    char time_zone [65];
    size_t max_batch;
    erp_context_t context;          //  for the ERP event stores
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
    //  crmq-contacts takes frames up to the same limit as this service
    crmq_rpc_client_set_max_request (contacts,
                                     (size_t) crmq_config_int (config, "max_message_bytes"));
    //  an unknown zone would fail every order: refuse to start instead
    const char *zone [1] = { crmq_config_str (config, "time_zone") };
    PGresult *zone_check = crmq_pg_exec (crmq_service_pg (service), SQL_ZONE_CHECK, 1, zone);
    if (!zone_check) {
        crmq_log (CRMQ_LOG_ERROR, "bad CRMQ_TIME_ZONE", "time_zone=%s error=%s",
                  crmq_log_q (zone [0]), crmq_log_q (crmq_pg_error (crmq_service_pg (service))));
        crmq_rpc_client_destroy (&contacts);
        return NULL;
    }
    PQclear (zone_check);
    //  and the CLI's time library must know it too (deals' dates)
    int64_t day;
    if (crmq_time_parse ("2000-01-01", crmq_config_str (config, "time_zone"), &day) != 0) {
        crmq_log (CRMQ_LOG_ERROR, "unknown time zone", "CRMQ_TIME_ZONE=%s",
                  crmq_log_q (crmq_config_str (config, "time_zone")));
        crmq_rpc_client_destroy (&contacts);
        return NULL;
    }
    sales_server_t *self = (sales_server_t *) zmalloc (sizeof (sales_server_t));
    self->pg = crmq_service_pg (service);
    self->contacts = contacts;
    snprintf (self->base_currency, sizeof self->base_currency, "%s",
              crmq_config_str (config, "base_currency"));
    snprintf (self->time_zone, sizeof self->time_zone, "%s",
              crmq_config_str (config, "time_zone"));
    self->max_batch = (size_t) crmq_config_int (config, "max_batch_events");
    self->context.pg = self->pg;
    self->context.base_currency = self->base_currency;
    self->context.time_zone = self->time_zone;
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
    uint8_t *packed;                //  the event packed: its body as recorded
    size_t packed_size;
    bool rejected_early;            //  by the checks or crmq-contacts: not applied
    bool recorded;                  //  a duplicate, of an earlier batch or of this one
    int64_t contacts_id;            //  client or manager id from crmq-contacts
    int code;                       //  result after the transaction
    bool duplicate;
    erp_problem_t problem;
} slot_t;

typedef struct {
    sales_server_t *self;
    slot_t *slots;
    size_t count;
    uint64_t batch_id;              //  the publisher's, echoed
} batch_t;

//  Rejects a slot before the transaction.
static void
s_reject (slot_t *slot, int code, const char *field, const char *message)
{
    slot->rejected_early = true;
    slot->code = erp_problem_set (&slot->problem, code, field, "%s", message);
}

//  Finds the duplicates before anything is written anywhere, so that master
//  data of an event that will be refused never reaches crmq-contacts: an
//  event_id seen earlier in this batch or recorded by an earlier one is a
//  duplicate when the bodies are the same and is refused (ALREADY_EXISTS)
//  when they differ.  Returns 0, or -1 on a failed statement.
static int
s_find_duplicates (batch_t *batch)
{
    zhashx_t *first = zhashx_new ();            //  event_id -> its first slot
    crmq_pg_array_t *ids = crmq_pg_array_new ();
    crmq_pg_array_t *bodies = crmq_pg_array_new ();
    char *hex = NULL;
    size_t hex_size = 0;
    for (size_t i = 0; i < batch->count; i++) {
        slot_t *slot = &batch->slots [i];
        if (slot->rejected_early)
            continue;
        slot_t *earlier = (slot_t *) zhashx_lookup (first, slot->event->event_id);
        if (earlier) {
            bool same = earlier->packed_size == slot->packed_size
                     && memcmp (earlier->packed, slot->packed, slot->packed_size) == 0;
            char field [48];
            snprintf (field, sizeof field, "events[%zu].event_id", i);
            if (same)
                slot->recorded = true;
            else
                s_reject (slot, CRMQ_ALREADY_EXISTS, field,
                          "this event_id appears earlier in the batch with another body");
            continue;
        }
        zhashx_insert (first, slot->event->event_id, slot);
        //  bytea in an array literal: "\x" and hex digits
        if (hex_size < 2 * slot->packed_size + 3) {
            hex_size = 2 * slot->packed_size + 3;
            hex = (char *) realloc (hex, hex_size);
        }
        strcpy (hex, "\\x");
        for (size_t k = 0; k < slot->packed_size; k++)
            sprintf (hex + 2 + 2 * k, "%02x", slot->packed [k]);
        crmq_pg_array_append (ids, slot->event->event_id);
        crmq_pg_array_append (bodies, hex);
    }
    free (hex);
    int rc = 0;
    if (crmq_pg_array_size (ids)) {
        const char *values [2] = { crmq_pg_array_text (ids), crmq_pg_array_text (bodies) };
        PGresult *result = crmq_pg_exec (batch->self->pg,
            "SELECT a.event_id, e.body_sha256 = sha256 (a.body), e.kind"
            "  FROM unnest ($1::text[], $2::bytea[]) AS a (event_id, body)"
            "  JOIN sales.erp_events e USING (event_id)", 2, values);
        if (!result)
            rc = -1;
        for (int row = 0; result && row < PQntuples (result); row++) {
            slot_t *slot = (slot_t *) zhashx_lookup (first, PQgetvalue (result, row, 0));
            char field [48];
            snprintf (field, sizeof field, "events[%zu].event_id", (size_t) (slot - batch->slots));
            if (streq (PQgetvalue (result, row, 1), "t"))
                slot->recorded = true;
            else {
                char message [128];
                snprintf (message, sizeof message,
                          "this event_id was accepted before with another body (%s)",
                          PQgetvalue (result, row, 2));
                s_reject (slot, CRMQ_ALREADY_EXISTS, field, message);
            }
        }
        PQclear (result);
    }
    crmq_pg_array_destroy (&ids);
    crmq_pg_array_destroy (&bodies);
    zhashx_destroy (&first);
    return rc;
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

//  The crmq-contacts upserts of master data: one request of n entries
//  (`items`, the events' bodies) whose reply is `repeated int64 ids = 1`.
typedef int (s_upsert_fn) (crmq_rpc_client_t *contacts, void **items, size_t n,
                           uint8_t **body, size_t *size);

static int
s_upsert_managers (crmq_rpc_client_t *contacts, void **items, size_t n, uint8_t **body, size_t *size)
{
    Crmq__UpsertManagersRequest request = CRMQ__UPSERT_MANAGERS_REQUEST__INIT;
    request.n_managers = n;
    request.managers = (Crmq__Manager **) items;
    return crmq_rpc_call (contacts, "contacts.UpsertManagers", &request.base, body, size);
}

static int
s_upsert_clients (crmq_rpc_client_t *contacts, void **items, size_t n, uint8_t **body, size_t *size)
{
    Crmq__UpsertClientsRequest request = CRMQ__UPSERT_CLIENTS_REQUEST__INIT;
    request.n_clients = n;
    request.clients = (Crmq__Client **) items;
    return crmq_rpc_call (contacts, "contacts.UpsertClients", &request.base, body, size);
}

static int
s_upsert_persons (crmq_rpc_client_t *contacts, void **items, size_t n, uint8_t **body, size_t *size)
{
    Crmq__UpsertPersonsRequest request = CRMQ__UPSERT_PERSONS_REQUEST__INIT;
    request.n_persons = n;
    request.persons = (Crmq__ContactPersonData **) items;
    return crmq_rpc_call (contacts, "contacts.UpsertPersons", &request.base, body, size);
}

//  Master data crmq-contacts keeps, in the order it is handed over
//  (a client's manager first, a person's client first).
static const struct {
    Crmq__ErpEvent__BodyCase kind;
    const char *body_name;          //  the ErpEvent field, for error fields
    const char *method;
    s_upsert_fn *upsert;
} s_master [] = {
    { CRMQ__ERP_EVENT__BODY_MANAGER,        "manager",        "contacts.UpsertManagers", s_upsert_managers },
    { CRMQ__ERP_EVENT__BODY_CLIENT,         "client",         "contacts.UpsertClients",  s_upsert_clients },
    { CRMQ__ERP_EVENT__BODY_CONTACT_PERSON, "contact_person", "contacts.UpsertPersons",  s_upsert_persons },
};

//  The body of an event of a kind in s_master.
static void *
s_master_item (const Crmq__ErpEvent *event)
{
    switch (event->body_case) {
        case CRMQ__ERP_EVENT__BODY_MANAGER:        return event->manager;
        case CRMQ__ERP_EVENT__BODY_CLIENT:         return event->client;
        case CRMQ__ERP_EVENT__BODY_CONTACT_PERSON: return event->contact_person;
        default:                                   return NULL;
    }
}

//  Hands the master data of s_master [m]'s kind to crmq-contacts and stores
//  the ids it gives back in the slots.  An entry crmq-contacts rejects
//  rejects its event and the rest is sent again.  Returns CRMQ_OK, or the
//  code for the whole batch when crmq-contacts cannot be reached.
static int
s_hand_to_contacts (batch_t *batch, size_t m, crmq_reply_t *reply)
{
    Crmq__ErpEvent__BodyCase kind = s_master [m].kind;
    const char *method = s_master [m].method;
    slot_t **members = (slot_t **) zmalloc (batch->count * sizeof (slot_t *));
    void **items = (void **) zmalloc (batch->count * sizeof (void *));
    int code = CRMQ_OK;
    while (true) {
        size_t n = 0;
        for (size_t i = 0; i < batch->count; i++) {
            slot_t *slot = &batch->slots [i];
            if (slot->event->body_case == kind && !slot->rejected_early && !slot->recorded) {
                members [n] = slot;
                items [n++] = s_master_item (slot->event);
            }
        }
        if (n == 0)
            break;
        uint8_t *body = NULL;
        size_t size = 0;
        int rc = s_master [m].upsert (batch->self->contacts, items, n, &body, &size);
        if (rc == CRMQ_OK) {
            //  Every reply is `repeated int64 ids = 1`: read them as clients'.
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
        //  "clients[k].name" names the sub-request's entry; the ERP knows events[i]
        const char *rest = strstr (field, "].");
        char event_field [192];
        snprintf (event_field, sizeof event_field, "events[%zu].%s%s",
                  (size_t) (members [k] - batch->slots), s_master [m].body_name,
                  rest? rest + 1: "");
        s_reject (members [k], rc, event_field, crmq_rpc_client_message (batch->self->contacts));
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
        int rc = erp_event_store (&batch->self->context, slot->event, i, slot->packed,
                                  slot->packed_size, slot->contacts_id, &slot->problem);
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
    answer.batch_id = batch->batch_id;
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
    Crmq__IngestRequest *request = (Crmq__IngestRequest *)
        crmq_message_unpack (&crmq__ingest_request__descriptor, body, size);
    if (!request)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL,
                                 "malformed IngestRequest (or a string holding a NUL byte)");
    int code = CRMQ_OK;
    if (request->n_events == 0 || request->n_events > self->max_batch) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "events",
                                 "a batch holds 1 to %zu events, not %zu",
                                 self->max_batch, request->n_events);
        crmq_message_free (&request->base);
        return code;
    }
    batch_t batch = { self, (slot_t *) zmalloc (request->n_events * sizeof (slot_t)),
                      request->n_events, request->batch_id };
    for (size_t i = 0; i < batch.count; i++) {
        slot_t *slot = &batch.slots [i];
        slot->event = request->events [i];
        slot->packed_size = crmq__erp_event__get_packed_size (slot->event);
        slot->packed = (uint8_t *) malloc (slot->packed_size? slot->packed_size: 1);
        crmq__erp_event__pack (slot->event, slot->packed);
        erp_problem_t problem;
        if (!erp_event_check (slot->event, i, self->base_currency, &problem))
            s_reject (slot, problem.code, problem.field, problem.message);
    }
    if (s_find_duplicates (&batch) != 0)
        code = crmq_reply_error (reply, crmq_pg_status (self->pg), NULL, "%s",
                                 crmq_pg_error (self->pg));
    for (size_t m = 0; code == CRMQ_OK && m < sizeof s_master / sizeof s_master [0]; m++)
        code = s_hand_to_contacts (&batch, m, reply);
    if (code == CRMQ_OK) {
        int rc = crmq_pg_transaction (self->pg, s_ingest_tx, &batch);
        if (rc == 0)
            code = s_ingest_reply (&batch, reply);
        else
            code = crmq_reply_error (reply, rc > 0? rc: crmq_pg_status (self->pg), NULL,
                                     "batch not written: %s", crmq_pg_error (self->pg));
    }
    for (size_t i = 0; i < batch.count; i++)
        free (batch.slots [i].packed);
    free (batch.slots);
    crmq_message_free (&request->base);
    return code;
}

//  sales.Unresolved: documents still waiting for the one they refer to.
static int
s_unresolved (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    sales_server_t *self = (sales_server_t *) state;
    Crmq__UnresolvedRequest *request = (Crmq__UnresolvedRequest *)
        crmq_message_unpack (&crmq__unresolved_request__descriptor, body, size);
    if (!request)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL, "malformed UnresolvedRequest");
    int limit = request->limit? request->limit: 100;
    crmq_message_free (&request->base);
    if (limit < 0 || limit > 10000)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "limit",
                                 "limit is 0 (100) to 10000, not %d", limit);
    char limit_text [16];
    snprintf (limit_text, sizeof limit_text, "%d", limit);
    const char *values [1] = { limit_text };
    PGresult *result = crmq_pg_exec (self->pg, SQL_UNRESOLVED, 1, values);
    if (!result)
        return crmq_reply_error (reply, crmq_pg_status (self->pg), NULL, "%s",
                                 crmq_pg_error (self->pg));
    int rows = PQntuples (result);
    Crmq__UnresolvedDocument *documents = (Crmq__UnresolvedDocument *)
        zmalloc ((rows? rows: 1) * sizeof (Crmq__UnresolvedDocument));
    Crmq__UnresolvedDocument **pointers = (Crmq__UnresolvedDocument **)
        zmalloc ((rows? rows: 1) * sizeof (void *));
    Crmq__UnresolvedReply answer = CRMQ__UNRESOLVED_REPLY__INIT;
    for (int row = 0; row < rows; row++) {
        Crmq__UnresolvedDocument *document = &documents [row];
        crmq__unresolved_document__init (document);
        document->kind = PQgetvalue (result, row, 0);
        document->external_id = PQgetvalue (result, row, 1);
        document->event_id = PQgetvalue (result, row, 2);
        document->missing_kind = PQgetvalue (result, row, 3);
        document->missing_external_id = PQgetvalue (result, row, 4);
        document->received_at_us = strtoll (PQgetvalue (result, row, 5), NULL, 10);
        answer.total = strtoll (PQgetvalue (result, row, 6), NULL, 10);
        pointers [row] = document;
    }
    answer.n_documents = (size_t) rows;
    answer.documents = pointers;
    int code = crmq_reply_ok (reply, &answer.base);
    free (pointers);
    free (documents);
    PQclear (result);
    return code;
}

void
sales_server_job (void *state)
{
    sales_server_t *self = (sales_server_t *) state;
    //  a backlog drains a hundred merges a run
    merge_applier_run (self->pg, 100);
}

crmq_pg_t *
sales_server_pg (void *state)
{
    return ((sales_server_t *) state)->pg;
}

crmq_rpc_client_t *
sales_server_contacts (void *state)
{
    return ((sales_server_t *) state)->contacts;
}

const char *
sales_server_base_currency (void *state)
{
    return ((sales_server_t *) state)->base_currency;
}

const char *
sales_server_time_zone (void *state)
{
    return ((sales_server_t *) state)->time_zone;
}

const crmq_rpc_method_t sales_server_methods [] = {
    { "sales.Ingest", s_ingest },
    { "sales.Unresolved", s_unresolved },
    { "sales.SavePipeline", pipeline_store_save },
    { "sales.ListPipelines", pipeline_store_list },
    { "sales.CreateDeal", deal_store_create },
    { "sales.UpdateDeal", deal_store_update },
    { "sales.MoveDeal", deal_store_move },
    { "sales.CloseDeal", deal_store_close },
    { "sales.LinkOrder", deal_store_link_order },
    { "sales.UnlinkOrder", deal_store_unlink_order },
    { "sales.GetDeal", deal_store_get },
    { "sales.ListDeals", deal_store_list },
    { NULL, NULL }
};
