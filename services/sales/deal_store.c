/*  deal_store.c - deals; see deal_store.h.  */
#include "deal_store.h"
#include "deal_view.h"
#include "sales_server.h"

#define DEAL_MAX_AMOUNT  1000000000000000LL     //  10^15, excluded

//  --------------------------------------------------------------------------
//  Statements

static const char *SQL_CLIENT_KNOWN =
    "SELECT 1 FROM sales.clients WHERE id = $1::bigint";

//  a client crmq-contacts knows and sales has not seen; its ERP id only when
//  no other row holds it
static const char *SQL_RECORD_CLIENT =
    "INSERT INTO sales.clients (id, external_id)"
    " SELECT $1::bigint, CASE WHEN EXISTS (SELECT 1 FROM sales.clients WHERE external_id = $2)"
    "                         THEN NULL ELSE nullif ($2, '') END"
    " ON CONFLICT (id) DO NOTHING";

//  held until the write ends, so that a merge of the client waits for it
//  (and its trigger then moves this deal too), or it sees the merge
static const char *SQL_LOCK_CLIENT =
    "SELECT merged_into FROM sales.clients WHERE id = $1::bigint FOR SHARE";

static const char *SQL_MANAGER_KNOWN =
    "SELECT 1 FROM sales.managers WHERE id = $1::bigint";

static const char *SQL_RECORD_MANAGER =
    "INSERT INTO sales.managers (id, external_id) VALUES ($1::bigint, $2) ON CONFLICT DO NOTHING";

static const char *SQL_PIPELINE_EXISTS =
    "SELECT 1 FROM sales.pipelines WHERE id = $1::bigint";

static const char *SQL_STAGE_EXISTS =
    "SELECT 1 FROM sales.stages WHERE id = $1::bigint";

//  a live stage, held so that SavePipeline cannot take it out meanwhile
static const char *SQL_LOCK_STAGE =
    "SELECT pipeline_id, outcome, name FROM sales.stages"
    " WHERE id = $1::bigint AND removed_at IS NULL FOR SHARE";

//  the first live stage of outcome $2 of pipeline $1 (NULL: the default)
static const char *SQL_FIRST_STAGE =
    "SELECT s.id, p.id FROM sales.pipelines p"
    "  JOIN sales.stages s ON s.pipeline_id = p.id AND s.removed_at IS NULL AND s.outcome = $2"
    " WHERE CASE WHEN $1::bigint IS NULL THEN p.is_default ELSE p.id = $1::bigint END"
    " ORDER BY s.position LIMIT 1";

static const char *SQL_INSERT_DEAL =
    "INSERT INTO sales.deals (title, client_id, manager_id, currency, amount,"
    "                         expected_close_date, pipeline_id, stage_id, created_by)"
    " VALUES ($1, $2::bigint, $3::bigint, $4, $5::numeric, $6::date, $7::bigint, $8::bigint, $9)"
    " RETURNING id";

static const char *SQL_LOCK_DEAL =
    "SELECT d.version, d.status, d.stage_id, d.pipeline_id, d.client_id, s.name, d.lost_reason"
    "  FROM sales.deals d JOIN sales.stages s ON s.id = d.stage_id"
    " WHERE d.id = $1::bigint FOR UPDATE OF d";

static const char *SQL_LEAVE_STAGE =
    "UPDATE sales.deal_stages SET left_at = now () WHERE deal_id = $1::bigint AND left_at IS NULL";

static const char *SQL_ENTER_STAGE =
    "INSERT INTO sales.deal_stages (deal_id, stage_id, entered_at, actor)"
    " VALUES ($1::bigint, $2::bigint, now (), $3)";

static const char *SQL_MOVE_DEAL =
    "UPDATE sales.deals SET stage_id = $2::bigint, pipeline_id = $3::bigint, status = $4,"
    "       lost_reason = $5, closed_at = CASE WHEN $4 = 'open' THEN NULL ELSE now () END,"
    "       stage_entered_at = now (), version = version + 1, updated_at = now ()"
    " WHERE id = $1::bigint";

static const char *SQL_TOUCH_DEAL =
    "UPDATE sales.deals SET version = version + 1, updated_at = now () WHERE id = $1::bigint";

static const char *SQL_SET_LOST_REASON =
    "UPDATE sales.deals SET lost_reason = $2, version = version + 1, updated_at = now ()"
    " WHERE id = $1::bigint";

//  Sets the columns named in $9 (text[]) of deal $8 to $1..$7; returns the
//  names of the fields whose value changed, comma-separated, or no row when
//  none did (nothing written, the version kept).
#define SET_IF(column, value) \
    " CASE WHEN '" column "' = ANY ($9::text[]) THEN " value " ELSE o." column " END AS " column ","
#define CHANGED(field, column) \
    " CASE WHEN d." column " IS DISTINCT FROM n.old_" column " THEN '" field "' END,"
static const char *SQL_UPDATE_DEAL =
    "UPDATE sales.deals d SET"
    "  (title, client_id, manager_id, currency, amount, expected_close_date, lost_reason,"
    "   version, updated_at)"
    "  = (n.title, n.client_id, n.manager_id, n.currency, n.amount, n.expected_close_date,"
    "     n.lost_reason, d.version + 1, now ())"
    "  FROM (SELECT o.id, o.title AS old_title, o.client_id AS old_client_id,"
    "               o.manager_id AS old_manager_id, o.currency AS old_currency,"
    "               o.amount AS old_amount, o.expected_close_date AS old_expected_close_date,"
    "               o.lost_reason AS old_lost_reason,"
    SET_IF ("title", "$1::text") SET_IF ("client_id", "$2::bigint")
    SET_IF ("manager_id", "$3::bigint") SET_IF ("currency", "$4::char(3)")
    SET_IF ("amount", "$5::numeric") SET_IF ("expected_close_date", "$6::date")
    "       CASE WHEN 'lost_reason' = ANY ($9::text[]) THEN $7::text ELSE o.lost_reason END"
    "         AS lost_reason"
    "          FROM sales.deals o WHERE o.id = $8::bigint) n"
    " WHERE d.id = n.id"
    "   AND (d.title, d.client_id, d.manager_id, d.currency, d.amount, d.expected_close_date,"
    "        d.lost_reason)"
    "       IS DISTINCT FROM"
    "       (n.title, n.client_id, n.manager_id, n.currency, n.amount, n.expected_close_date,"
    "        n.lost_reason)"
    " RETURNING array_to_string (array_remove (ARRAY ["
    CHANGED ("title", "title") CHANGED ("client_id", "client_id")
    CHANGED ("manager_id", "manager_id")
    "   CASE WHEN (d.currency, d.amount) IS DISTINCT FROM (n.old_currency, n.old_amount)"
    "        THEN 'amount' END,"
    CHANGED ("expected_close_date", "expected_close_date")
    "   CASE WHEN d.lost_reason IS DISTINCT FROM n.old_lost_reason THEN 'lost_reason' END],"
    "   NULL), ',')";

//  an order linked to the deal that the deal's new client does not own
static const char *SQL_FOREIGN_ORDER =
    "SELECT o.external_id, o.client_id FROM sales.deal_orders l"
    "  JOIN sales.orders o ON o.id = l.order_id"
    " WHERE l.deal_id = $1::bigint AND o.client_id <> $2::bigint ORDER BY o.external_id LIMIT 1";

static const char *SQL_ORDER =
    "SELECT o.id, o.client_id, coalesce (l.deal_id, 0) FROM sales.orders o"
    "  LEFT JOIN sales.deal_orders l ON l.order_id = o.id WHERE o.external_id = $1";

static const char *SQL_LINK_ORDER =
    "INSERT INTO sales.deal_orders (order_id, deal_id, actor) VALUES ($1::bigint, $2::bigint, $3)"
    " ON CONFLICT (order_id) DO NOTHING RETURNING order_id";

static const char *SQL_LINKED_TO =
    "SELECT deal_id FROM sales.deal_orders WHERE order_id = $1::bigint";

static const char *SQL_UNLINK_ORDER =
    "DELETE FROM sales.deal_orders WHERE order_id = $1::bigint AND deal_id = $2::bigint";

//  $1 the zone, $2 pipeline, $3 stage, $4 client, $5 manager (each NULL =
//  any), $6 status or NULL, $7 rotting only, $8 after id, $9 rows
static const char *SQL_LIST_DEALS =
    "SELECT " DEAL_COLUMNS DEAL_FROM
    " WHERE ($2::bigint IS NULL OR d.pipeline_id = $2::bigint)"
    "   AND ($3::bigint IS NULL OR d.stage_id = $3::bigint)"
    "   AND ($4::bigint IS NULL OR d.client_id ="
    "        (SELECT coalesce (x.merged_into, x.id) FROM sales.clients x WHERE x.id = $4::bigint))"
    "   AND ($5::bigint IS NULL OR d.manager_id = $5::bigint)"
    "   AND ($6::text IS NULL OR d.status = $6::text)"
    "   AND (NOT $7::boolean OR " DEAL_ROTTING ")"
    "   AND d.id > $8::bigint"
    " ORDER BY d.id LIMIT $9::int";

//  --------------------------------------------------------------------------
//  A write's job

//  The fields of Deal that CreateDeal and UpdateDeal set, and the
//  statements' parameters $1..$7 (then the deal's id and the fields).
typedef enum {
    F_TITLE, F_CLIENT_ID, F_MANAGER_ID, F_AMOUNT, F_EXPECTED_CLOSE_DATE, F_LOST_REASON, F_COUNT
} deal_field_t;

static const char *const s_fields [F_COUNT] = {
    "title", "client_id", "manager_id", "amount", "expected_close_date", "lost_reason"
};

enum {
    P_TITLE, P_CLIENT_ID, P_MANAGER_ID, P_CURRENCY, P_AMOUNT, P_EXPECTED_CLOSE_DATE,
    P_LOST_REASON, P_ID, P_FIELDS, P_COUNT
};

//  A checked deal as query parameters, and what crmq-contacts told of a
//  client or manager crmq-sales had not seen.
typedef struct {
    bool named [F_COUNT];
    const char *values [P_COUNT];
    char client_id [24], manager_id [24], amount [48], currency [4], id [24];
    crmq_pg_array_t *columns;
    int64_t client_found;           //  contacts' id of the client (its survivor), or 0
    char *client_external_id;
    int64_t manager_found;          //  contacts' id of a manager sales had not seen, or 0
    char *manager_external_id;
} deal_input_t;

static void
s_input_clear (deal_input_t *input)
{
    crmq_pg_array_destroy (&input->columns);
    free (input->client_external_id);
    free (input->manager_external_id);
    input->client_external_id = NULL;
    input->manager_external_id = NULL;
}

//  What every deal write carries into its transaction.
typedef struct {
    crmq_pg_t *pg;
    const char *time_zone;
    const char *actor;
    const char *request_key;        //  "" = none
    const char *method;             //  "sales.CreateDeal"
    crmq_reply_t *reply;
    ProtobufCMessage *request;      //  the method's
    deal_input_t *input;            //  CreateDeal, UpdateDeal
    bool link;                      //  LinkOrder (else UnlinkOrder)
} deal_job_t;

//  The deal as locked by a write (row 0 of SQL_LOCK_DEAL).
typedef struct {
    PGresult *row;
    char id [24];
    int64_t version, stage_id, pipeline_id, client_id;
    const char *status, *stage_name, *lost_reason;
} locked_t;

//  What an event of a write says besides the deal.
typedef struct {
    const char *topic;              //  NULL: nothing changed, no event
    Crmq__DealStageChange *stage_change;
    const char *fields;             //  comma-separated, for sales.deal.updated
    const char *order_external_id;
    bool order_linked;
} change_t;

//  --------------------------------------------------------------------------
//  Checks

//  Checks an amount (NULL: 0 in the base currency) and makes its currency
//  and decimal text the parameters.  Returns true, or false after replying.
static bool
s_check_amount (crmq_reply_t *reply, const Crmq__Money *amount, const char *base_currency,
                deal_input_t *input)
{
    const char *currency = amount && *amount->currency? amount->currency: base_currency;
    bool code_valid = strlen (currency) == 3;
    for (const char *c = currency; code_valid && *c; c++)
        code_valid = *c >= 'A' && *c <= 'Z';
    if (!code_valid) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "deal.amount.currency",
                          "deal.amount.currency must be an ISO 4217 code (three capital letters)"
                          " or empty (the base currency %s)", base_currency);
        return false;
    }
    int64_t units = amount? amount->units: 0;
    int32_t nanos = amount? amount->nanos: 0;
    if (units < 0 || nanos < 0) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "deal.amount",
                          "deal.amount must be 0 or more");
        return false;
    }
    if (units >= DEAL_MAX_AMOUNT
    ||  crmq_decimal_format (units, nanos, input->amount, sizeof input->amount) < 0) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "deal.amount",
                          "deal.amount must be below 10^15 with nanos 0..999999999");
        return false;
    }
    snprintf (input->currency, sizeof input->currency, "%s", currency);
    input->values [P_CURRENCY] = input->currency;
    input->values [P_AMOUNT] = input->amount;
    return true;
}

//  Checks the fields of `deal` that input->named marks and makes them the
//  parameters.  Returns true, or false after replying INVALID_ARGUMENT.
static bool
s_check_fields (crmq_reply_t *reply, const Crmq__Deal *deal, const char *base_currency,
                deal_input_t *input)
{
    const bool *named = input->named;
    const char **v = input->values;
    if (named [F_TITLE]) {
        if (!deal_check (reply, "deal.title", deal->title, 1, DEAL_MAX_NAME, DEAL_NAME))
            return false;
        v [P_TITLE] = deal->title;
    }
    if (named [F_CLIENT_ID]) {
        if (deal->client_id <= 0) {
            crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "deal.client_id",
                              "deal.client_id must name the deal's client");
            return false;
        }
        v [P_CLIENT_ID] = deal_id_text (deal->client_id, input->client_id, sizeof input->client_id);
    }
    if (named [F_MANAGER_ID]) {
        if (!deal_check_id (reply, "deal.manager_id", deal->manager_id))
            return false;
        v [P_MANAGER_ID] = deal->manager_id
            ? deal_id_text (deal->manager_id, input->manager_id, sizeof input->manager_id): NULL;
    }
    if (named [F_AMOUNT] && !s_check_amount (reply, deal->amount, base_currency, input))
        return false;
    if (named [F_EXPECTED_CLOSE_DATE]) {
        if (*deal->expected_close_date && !deal_date_valid (deal->expected_close_date)) {
            crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "deal.expected_close_date",
                              "deal.expected_close_date must be empty or a real date YYYY-MM-DD"
                              " from 1900-01-01 to 2199-12-31");
            return false;
        }
        v [P_EXPECTED_CLOSE_DATE] = *deal->expected_close_date? deal->expected_close_date: NULL;
    }
    if (named [F_LOST_REASON]) {
        if (!deal_check (reply, "deal.lost_reason", deal->lost_reason, 0, DEAL_MAX_TEXT, DEAL_TEXT))
            return false;
        v [P_LOST_REASON] = deal->lost_reason;
    }
    return true;
}

//  True when `text` holds something besides white space.
static bool
s_has_text (const char *text)
{
    for (; *text; text++)
        if (!isspace ((unsigned char) *text))
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  The client and manager of a deal

//  Whether crmq-sales holds the row `id` (decimal text) that `sql` looks
//  for: 1 it does, 0 it does not, or -1 after replying a failed statement.
static int
s_known (crmq_pg_t *pg, crmq_reply_t *reply, const char *sql, const char *id)
{
    const char *values [1] = { id };
    PGresult *result = crmq_pg_exec (pg, sql, 1, values);
    if (!result) {
        deal_db_error (pg, reply);
        return -1;
    }
    int known = PQntuples (result) > 0;
    PQclear (result);
    return known;
}

//  Calls `method` of crmq-contacts and unpacks its reply as `type` into
//  *answer (free it with protobuf_c_message_free_unpacked).  Returns
//  CRMQ_OK, NOT_FOUND as the service answered it (nothing replied), or the
//  code replied naming `field` (UNAVAILABLE when crmq-contacts does not
//  answer, INTERNAL for anything else).
static int
s_ask_contacts (void *state, crmq_reply_t *reply, const char *method,
                const ProtobufCMessage *request, const ProtobufCMessageDescriptor *type,
                const char *field, ProtobufCMessage **answer)
{
    crmq_rpc_client_t *contacts = sales_server_contacts (state);
    uint8_t *body = NULL;
    size_t size = 0;
    int rc = crmq_rpc_call (contacts, method, request, &body, &size);
    if (rc == CRMQ_NOT_FOUND)
        return rc;
    if (rc != CRMQ_OK)
        return crmq_reply_error (reply, rc == CRMQ_UNAVAILABLE? CRMQ_UNAVAILABLE: CRMQ_INTERNAL,
                                 field, "crmq-contacts: %s: %s: %s", method, crmq_status_name (rc),
                                 crmq_rpc_client_message (contacts));
    *answer = protobuf_c_message_unpack (type, NULL, size, body);
    free (body);
    return *answer? CRMQ_OK: crmq_reply_error (reply, CRMQ_INTERNAL, field,
                                               "crmq-contacts: %s: unreadable reply", method);
}

//  Looks up a client crmq-sales has not seen in crmq-contacts, before the
//  transaction: a client created there (not by the ERP) may have deals.
//  Sets input->client_found to its id (the survivor's, when it was merged)
//  and its external id.  Returns 0, or the code replied (NOT_FOUND,
//  UNAVAILABLE...).
static int
s_find_client (void *state, crmq_reply_t *reply, int64_t client_id, deal_input_t *input)
{
    char id [24];
    deal_id_text (client_id, id, sizeof id);
    int known = s_known (sales_server_pg (state), reply, SQL_CLIENT_KNOWN, id);
    if (known)
        return known < 0? crmq_pg_status (sales_server_pg (state)): 0;
    Crmq__GetClientRequest request = CRMQ__GET_CLIENT_REQUEST__INIT;
    request.id = client_id;
    Crmq__GetClientReply *card = NULL;
    int rc = s_ask_contacts (state, reply, "contacts.GetClient", &request.base,
                             &crmq__get_client_reply__descriptor, "deal.client_id",
                             (ProtobufCMessage **) &card);
    if (rc == CRMQ_OK && card->client && card->client->id > 0) {
        input->client_found = card->client->id;
        input->client_external_id = strdup (card->client->external_id);
    }
    else
    if (rc == CRMQ_OK || rc == CRMQ_NOT_FOUND)
        rc = crmq_reply_error (reply, CRMQ_NOT_FOUND, "deal.client_id", "no client with id %s", id);
    if (card)
        crmq__get_client_reply__free_unpacked (card, NULL);
    return rc;
}

//  As s_find_client for a manager: looked up in contacts.ListManagers.
static int
s_find_manager (void *state, crmq_reply_t *reply, int64_t manager_id, deal_input_t *input)
{
    char id [24];
    deal_id_text (manager_id, id, sizeof id);
    int known = s_known (sales_server_pg (state), reply, SQL_MANAGER_KNOWN, id);
    if (known)
        return known < 0? crmq_pg_status (sales_server_pg (state)): 0;
    Crmq__ListManagersRequest request = CRMQ__LIST_MANAGERS_REQUEST__INIT;
    Crmq__ListManagersReply *list = NULL;
    int rc = s_ask_contacts (state, reply, "contacts.ListManagers", &request.base,
                             &crmq__list_managers_reply__descriptor, "deal.manager_id",
                             (ProtobufCMessage **) &list);
    for (size_t i = 0; rc == CRMQ_OK && i < list->n_managers && !input->manager_found; i++)
        if (list->managers [i]->id == manager_id && *list->managers [i]->external_id) {
            input->manager_found = manager_id;
            input->manager_external_id = strdup (list->managers [i]->external_id);
        }
    if (list)
        crmq__list_managers_reply__free_unpacked (list, NULL);
    if ((rc == CRMQ_OK || rc == CRMQ_NOT_FOUND) && !input->manager_found)
        rc = crmq_reply_error (reply, CRMQ_NOT_FOUND, "deal.manager_id", "no manager with id %s", id);
    return rc;
}

//  In the transaction: records the client and manager crmq-contacts told
//  of, then locks the deal's client (following a merge to the survivor)
//  and makes its id the parameter.  Returns 0, the code replied, or -1.
static int
s_parties_tx (deal_job_t *job)
{
    deal_input_t *input = job->input;
    char id [24];
    if (input->client_found) {
        const char *values [2] = { deal_id_text (input->client_found, id, sizeof id),
                                   input->client_external_id };
        if (crmq_pg_command (job->pg, SQL_RECORD_CLIENT, 2, values) != 0)
            return -1;
        snprintf (input->client_id, sizeof input->client_id, "%s", id);
    }
    if (input->manager_found) {
        const char *values [2] = { deal_id_text (input->manager_found, id, sizeof id),
                                   input->manager_external_id };
        if (crmq_pg_command (job->pg, SQL_RECORD_MANAGER, 2, values) != 0)
            return -1;
    }
    if (input->manager_found || (input->named [F_MANAGER_ID] && input->values [P_MANAGER_ID])) {
        const char *values [1] = { input->values [P_MANAGER_ID] };
        PGresult *result = crmq_pg_exec (job->pg, SQL_MANAGER_KNOWN, 1, values);
        if (!result)
            return -1;
        int known = PQntuples (result);
        PQclear (result);
        if (!known)             //  its ERP id is another manager's in crmq-sales
            return crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, "deal.manager_id",
                                     "manager %s is not known to crmq-sales yet", values [0]);
    }
    if (!input->named [F_CLIENT_ID])
        return 0;
    //  merged_into always names the last survivor; a few steps cover a
    //  merge that lands between them
    for (int step = 0; step < 4; step++) {
        const char *values [1] = { input->client_id };
        PGresult *result = crmq_pg_exec (job->pg, SQL_LOCK_CLIENT, 1, values);
        if (!result)
            return -1;
        if (PQntuples (result) == 0) {
            PQclear (result);
            return crmq_reply_error (job->reply, CRMQ_NOT_FOUND, "deal.client_id",
                                     "no client with id %s", input->client_id);
        }
        bool merged = !PQgetisnull (result, 0, 0);
        if (merged)
            snprintf (input->client_id, sizeof input->client_id, "%s", PQgetvalue (result, 0, 0));
        PQclear (result);
        if (!merged)
            return 0;
    }
    return crmq_reply_error (job->reply, CRMQ_UNAVAILABLE, "deal.client_id",
                             "client %s is being merged: try again", input->client_id);
}

//  --------------------------------------------------------------------------
//  Shared steps of the writes

//  Locks the deal `id` for a write and checks the version the request read
//  (0 = any).  Returns 0 with *locked filled (clear it with s_unlock),
//  NOT_FOUND (naming `field`) or FAILED_PRECONDITION ("version_field")
//  after replying, or -1.
static int
s_lock_deal (deal_job_t *job, int64_t id, const char *field, int64_t version,
             const char *version_field, locked_t *locked)
{
    memset (locked, 0, sizeof *locked);
    const char *values [1] = { deal_id_text (id, locked->id, sizeof locked->id) };
    locked->row = crmq_pg_exec (job->pg, SQL_LOCK_DEAL, 1, values);
    if (!locked->row)
        return -1;
    if (PQntuples (locked->row) == 0)
        return crmq_reply_error (job->reply, CRMQ_NOT_FOUND, field, "no deal with id %s", locked->id);
    locked->version = deal_int_read (locked->row, 0, 0);
    locked->status = PQgetvalue (locked->row, 0, 1);
    locked->stage_id = deal_int_read (locked->row, 0, 2);
    locked->pipeline_id = deal_int_read (locked->row, 0, 3);
    locked->client_id = deal_int_read (locked->row, 0, 4);
    locked->stage_name = PQgetvalue (locked->row, 0, 5);
    locked->lost_reason = PQgetvalue (locked->row, 0, 6);
    if (version && version != locked->version)
        return crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, version_field,
                                 "deal %s is at version %" PRId64 ", not %" PRId64
                                 ": it changed since it was read", locked->id, locked->version,
                                 version);
    return 0;
}

static void
s_unlock (locked_t *locked)
{
    PQclear (locked->row);
    locked->row = NULL;
}

//  A live stage, locked for the write (row 0 of SQL_LOCK_STAGE).
typedef struct {
    int64_t id, pipeline_id;
    char outcome [8];
    char name [4 * DEAL_MAX_NAME + 1];
} stage_t;

//  Reads and locks the live stage `id`.  Returns 0, NOT_FOUND naming
//  `field` after replying, or -1.
static int
s_stage (deal_job_t *job, int64_t id, const char *field, stage_t *stage)
{
    char text [24];
    const char *values [1] = { deal_id_text (id, text, sizeof text) };
    PGresult *result = crmq_pg_exec (job->pg, SQL_LOCK_STAGE, 1, values);
    if (!result)
        return -1;
    int rc = 0;
    if (PQntuples (result) == 0)
        rc = crmq_reply_error (job->reply, CRMQ_NOT_FOUND, field, "no stage with id %s", text);
    else {
        stage->id = id;
        stage->pipeline_id = deal_int_read (result, 0, 0);
        snprintf (stage->outcome, sizeof stage->outcome, "%s", PQgetvalue (result, 0, 1));
        snprintf (stage->name, sizeof stage->name, "%s", PQgetvalue (result, 0, 2));
    }
    PQclear (result);
    return rc;
}

//  Reads and locks the first live stage of `outcome` of pipeline
//  `pipeline_id` (0: the default pipeline).  Returns 0, NOT_FOUND naming
//  `field` for an unknown pipeline, FAILED_PRECONDITION when it has no such
//  stage or there is no default pipeline, or -1.
static int
s_first_stage (deal_job_t *job, int64_t pipeline_id, const char *outcome, const char *field,
               stage_t *stage)
{
    char text [24];
    const char *values [2] = { pipeline_id? deal_id_text (pipeline_id, text, sizeof text): NULL,
                               outcome };
    PGresult *result = crmq_pg_exec (job->pg, SQL_FIRST_STAGE, 2, values);
    if (!result)
        return -1;
    int64_t id = PQntuples (result)? deal_int_read (result, 0, 0): 0;
    PQclear (result);
    if (id)
        return s_stage (job, id, field, stage);
    if (!pipeline_id)
        return crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, field,
                                 "there is no default pipeline: name one");
    result = crmq_pg_exec (job->pg, SQL_PIPELINE_EXISTS, 1, values);
    if (!result)
        return -1;
    int exists = PQntuples (result);
    PQclear (result);
    return exists
        ? crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, field,
                            "pipeline %s has no %s stage", text, outcome)
        : crmq_reply_error (job->reply, CRMQ_NOT_FOUND, field, "no pipeline with id %s", text);
}

//  Puts deal `id` in `stage` with `status` (open, won, lost) and
//  `lost_reason`: ends its current stay, starts one there in the history
//  and moves the deal (its version grows).  Returns 0, or -1.
static int
s_enter_stage (deal_job_t *job, const char *id, const stage_t *stage, const char *status,
               const char *lost_reason)
{
    char stage_id [24], pipeline_id [24];
    deal_id_text (stage->id, stage_id, sizeof stage_id);
    deal_id_text (stage->pipeline_id, pipeline_id, sizeof pipeline_id);
    const char *leave [1] = { id };
    const char *enter [3] = { id, stage_id, job->actor };
    const char *move [5] = { id, stage_id, pipeline_id, status, lost_reason };
    return crmq_pg_command (job->pg, SQL_LEAVE_STAGE, 1, leave) != 0
        || crmq_pg_command (job->pg, SQL_ENTER_STAGE, 3, enter) != 0
        || crmq_pg_command (job->pg, SQL_MOVE_DEAL, 5, move) != 0? -1: 0;
}

//  Ends a write: reads deal `id` back, writes the event of `change` (when
//  it has a topic) to the outbox, keeps the reply for the request key and
//  replies DealReply, or GetDealReply when `full`.  Returns 0, or -1.
static int
s_finish (deal_job_t *job, int64_t id, const change_t *change, bool full)
{
    deal_view_t *view;
    int found = deal_view_load (job->pg, job->time_zone, id, full, &view);
    if (found <= 0)             //  0 cannot be: written or locked in this transaction
        return found < 0? -1: crmq_reply_error (job->reply, CRMQ_INTERNAL, NULL, "the deal vanished");
    Crmq__Deal *deal = deal_view_deal (view);
    int rc = 0;
    if (change->topic) {
        Crmq__DealEvent event = CRMQ__DEAL_EVENT__INIT;
        event.deal = deal;
        event.stage_change = change->stage_change;
        if (event.stage_change)
            event.stage_change->at_us = deal->updated_at_us;
        char *fields = strdup (change->fields? change->fields: "");
        char *names [F_COUNT + 2];
        for (char *name = strtok (fields, ","); name && event.n_fields < F_COUNT + 2;
             name = strtok (NULL, ","))
            names [event.n_fields++] = name;
        event.fields = names;
        event.order_external_id = (char *) (change->order_external_id? change->order_external_id: "");
        event.order_linked = change->order_linked;
        event.actor = (char *) job->actor;
        event.at_us = deal->updated_at_us;
        rc = crmq_outbox_write (job->pg, "sales", change->topic, &event.base) < 0? -1: 0;
        free (fields);
    }
    Crmq__DealReply answer = CRMQ__DEAL_REPLY__INIT;
    answer.deal = deal;
    const ProtobufCMessage *message = full? &deal_view_reply (view)->base: &answer.base;
    if (rc == 0)
        rc = crmq_request_key_finish (job->pg, &deal_request_keys, job->request_key, message);
    if (rc == 0)
        crmq_reply_ok (job->reply, message);
    deal_view_destroy (&view);
    return rc;
}

//  A stage change from the locked deal's stage to `to`, for an event.
static void
s_stage_change (Crmq__DealStageChange *change, const locked_t *from, const stage_t *to)
{
    crmq__deal_stage_change__init (change);
    if (from) {
        change->from_stage_id = from->stage_id;
        change->from_stage = (char *) from->stage_name;
        change->from_status = (char *) from->status;
    }
    change->to_stage_id = to->id;
    change->to_stage = (char *) to->name;
}

//  Unpacks a write's request and checks its actor (the string at offset
//  `actor_offset` of the request).  Returns the request, or NULL after
//  replying INVALID_ARGUMENT.
static ProtobufCMessage *
s_write_unpack (const ProtobufCMessageDescriptor *type, const uint8_t *body, size_t size,
                crmq_reply_t *reply, size_t actor_offset)
{
    ProtobufCMessage *request = deal_request_unpack (type, body, size, reply);
    if (request && !deal_check_actor (reply, *(const char **) ((const char *) request + actor_offset))) {
        crmq_message_free (request);
        request = NULL;
    }
    return request;
}

//  Builds a write's job over crmq-sales' state.
static deal_job_t
s_job (void *state, ProtobufCMessage *request, const char *actor, const char *method,
       crmq_reply_t *reply)
{
    deal_job_t job = { sales_server_pg (state), sales_server_time_zone (state), actor, "",
                       method, reply, request, NULL, false };
    return job;
}

//  A write on an existing deal: its request type, the offset of the
//  request's actor, the checks that need no database (true, or false after
//  replying INVALID_ARGUMENT) and the transaction's body.
typedef struct {
    const char *method;
    const ProtobufCMessageDescriptor *type;
    size_t actor_offset;
    bool (*check) (crmq_reply_t *reply, const ProtobufCMessage *request);
    crmq_pg_tx_fn *tx;
    bool link;                      //  LinkOrder
} write_t;

//  Runs the write `write` of `body`: unpacks and checks the request, then
//  runs its transaction, which replies.
static int
s_run_write (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply,
             const write_t *write)
{
    ProtobufCMessage *request = s_write_unpack (write->type, body, size, reply,
                                                write->actor_offset);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code = CRMQ_INVALID_ARGUMENT;
    if (write->check (reply, request)) {
        const char *actor = *(const char **) ((const char *) request + write->actor_offset);
        deal_job_t job = s_job (state, request, actor, write->method, reply);
        job.link = write->link;
        code = deal_transaction (job.pg, write->tx, &job, reply);
    }
    crmq_message_free (request);
    return code;
}

//  --------------------------------------------------------------------------
//  sales.CreateDeal and sales.UpdateDeal

static int
s_create_tx (crmq_pg_t *pg, void *arg)
{
    deal_job_t *job = (deal_job_t *) arg;
    Crmq__DealRequest *request = (Crmq__DealRequest *) job->request;
    Crmq__Deal *deal = request->deal;
    deal_input_t *input = job->input;
    deal_id_text (deal->client_id, input->client_id, sizeof input->client_id);   //  a retry
    int rc = crmq_request_key_claim (pg, &deal_request_keys, job->request_key, job->method,
                                     &crmq__deal_reply__descriptor, job->reply);
    if (rc != 1)
        return rc;
    rc = s_parties_tx (job);
    if (rc != 0)
        return rc;
    stage_t stage;
    if (deal->stage_id) {
        rc = s_stage (job, deal->stage_id, "deal.stage_id", &stage);
        if (rc == 0 && deal->pipeline_id && stage.pipeline_id != deal->pipeline_id)
            rc = crmq_reply_error (job->reply, CRMQ_INVALID_ARGUMENT, "deal.stage_id",
                                   "stage %" PRId64 " is of pipeline %" PRId64 ", not of %" PRId64,
                                   stage.id, stage.pipeline_id, deal->pipeline_id);
        if (rc == 0 && !streq (stage.outcome, "open"))
            rc = crmq_reply_error (job->reply, CRMQ_INVALID_ARGUMENT, "deal.stage_id",
                                   "stage %" PRId64 " is a %s stage: a new deal starts open",
                                   stage.id, stage.outcome);
    }
    else
        rc = s_first_stage (job, deal->pipeline_id, "open", "deal.pipeline_id", &stage);
    if (rc != 0)
        return rc;
    char pipeline_id [24], stage_id [24];
    const char **v = input->values;
    const char *values [9] = { v [P_TITLE], input->client_id, v [P_MANAGER_ID], v [P_CURRENCY],
                               v [P_AMOUNT], v [P_EXPECTED_CLOSE_DATE],
                               deal_id_text (stage.pipeline_id, pipeline_id, sizeof pipeline_id),
                               deal_id_text (stage.id, stage_id, sizeof stage_id), job->actor };
    PGresult *result = crmq_pg_exec (pg, SQL_INSERT_DEAL, 9, values);
    if (!result)
        return -1;
    char id [24];
    snprintf (id, sizeof id, "%s", PQgetvalue (result, 0, 0));
    PQclear (result);
    const char *enter [3] = { id, stage_id, job->actor };
    if (crmq_pg_command (pg, SQL_ENTER_STAGE, 3, enter) != 0)
        return -1;
    Crmq__DealStageChange stage_change;
    s_stage_change (&stage_change, NULL, &stage);
    change_t change = { "sales.deal.created", &stage_change, NULL, NULL, false };
    return s_finish (job, strtoll (id, NULL, 10), &change, false);
}

static int
s_update_tx (crmq_pg_t *pg, void *arg)
{
    deal_job_t *job = (deal_job_t *) arg;
    Crmq__Deal *deal = ((Crmq__DealRequest *) job->request)->deal;
    deal_input_t *input = job->input;
    deal_id_text (deal->client_id, input->client_id, sizeof input->client_id);   //  a retry
    locked_t locked;
    int rc = s_lock_deal (job, deal->id, "deal.id", deal->version, "deal.version", &locked);
    if (rc == 0)
        rc = s_parties_tx (job);
    if (rc == 0 && input->named [F_LOST_REASON]) {
        if (!streq (locked.status, "lost"))
            rc = crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, "deal.lost_reason",
                                   "deal %s is %s: only a lost deal has a lost reason",
                                   locked.id, locked.status);
        else
        if (!s_has_text (deal->lost_reason))
            rc = crmq_reply_error (job->reply, CRMQ_INVALID_ARGUMENT, "deal.lost_reason",
                                   "deal.lost_reason: a lost deal keeps a reason");
    }
    if (rc == 0 && input->named [F_CLIENT_ID]) {
        const char *values [2] = { locked.id, input->client_id };
        PGresult *result = crmq_pg_exec (pg, SQL_FOREIGN_ORDER, 2, values);
        if (!result)
            rc = -1;
        else
        if (PQntuples (result))
            rc = crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, "deal.client_id",
                                   "the deal's linked order %s is client %s's: unlink it first",
                                   PQgetvalue (result, 0, 0), PQgetvalue (result, 0, 1));
        PQclear (result);
    }
    s_unlock (&locked);
    if (rc != 0)
        return rc;
    input->values [P_CLIENT_ID] = input->client_id;
    input->values [P_ID] = deal_id_text (deal->id, input->id, sizeof input->id);
    PGresult *result = crmq_pg_exec (pg, SQL_UPDATE_DEAL, P_COUNT, input->values);
    if (!result)
        return -1;
    char *fields = PQntuples (result)? strdup (PQgetvalue (result, 0, 0)): NULL;
    PQclear (result);
    change_t change = { fields? "sales.deal.updated": NULL, NULL, fields, NULL, false };
    rc = s_finish (job, deal->id, &change, false);
    free (fields);
    return rc;
}

//  Reads UpdateDeal's `fields` into input->named and the columns parameter.
//  Returns true, or false after replying INVALID_ARGUMENT "fields".
static bool
s_named_fields (crmq_reply_t *reply, const Crmq__DealRequest *request, deal_input_t *input)
{
    if (request->n_fields == 0) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "fields", "fields: name the fields to set");
        return false;
    }
    input->columns = crmq_pg_array_new ();
    for (size_t i = 0; i < request->n_fields; i++) {
        int f = 0;
        while (f < F_COUNT && !streq (request->fields [i], s_fields [f]))
            f++;
        if (f == F_COUNT) {
            char why [64];
            if (crmq_id_valid (request->fields [i], 1, 64, why, sizeof why))
                crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "fields",
                                  "fields[%zu]: %s is not a field UpdateDeal sets (title,"
                                  " client_id, manager_id, amount, expected_close_date,"
                                  " lost_reason; stages change with MoveDeal and CloseDeal)",
                                  i, request->fields [i]);
            else
                crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "fields",
                                  "fields[%zu] is not a field name", i);
            return false;
        }
        input->named [f] = true;
        crmq_pg_array_append (input->columns, f == F_AMOUNT? "currency": s_fields [f]);
        if (f == F_AMOUNT)
            crmq_pg_array_append (input->columns, "amount");
    }
    input->values [P_FIELDS] = crmq_pg_array_text (input->columns);
    return true;
}

//  Checks what CreateDeal needs besides the fields.  Returns true, or false
//  after replying INVALID_ARGUMENT.
static bool
s_check_new (crmq_reply_t *reply, const Crmq__Deal *deal)
{
    const char *field = deal->id? "deal.id": *deal->status && !streq (deal->status, "open")
                      ? "deal.status": *deal->lost_reason? "deal.lost_reason": NULL;
    if (field) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field,
                          "%s: a new deal has no id and is open (UpdateDeal, MoveDeal and"
                          " CloseDeal change deals)", field);
        return false;
    }
    return deal_check_id (reply, "deal.pipeline_id", deal->pipeline_id)
        && deal_check_id (reply, "deal.stage_id", deal->stage_id);
}

//  CreateDeal (update false) and UpdateDeal.
static int
s_save (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply, bool update)
{
    Crmq__DealRequest *request = (Crmq__DealRequest *) s_write_unpack (
        &crmq__deal_request__descriptor, body, size, reply,
        offsetof (Crmq__DealRequest, actor));
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    deal_input_t input;
    memset (&input, 0, sizeof input);
    Crmq__Deal *deal = request->deal;
    int code = CRMQ_INVALID_ARGUMENT;
    if (!deal)
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "deal", "deal is missing");
    else
    if (update && deal->id <= 0)
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "deal.id", "deal.id must name the deal to update");
    else
    if (update && deal->version < 0)
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "deal.version",
                          "deal.version must be 0 (any) or the version read");
    else
    if (update? s_named_fields (reply, request, &input): s_check_new (reply, deal)) {
        for (int f = 0; !update && f < F_LOST_REASON; f++)
            input.named [f] = true;
        code = CRMQ_OK;
    }
    if (code == CRMQ_OK && !update && request->n_fields)
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "fields",
                                 "fields: CreateDeal sets every field");
    if (code == CRMQ_OK && !s_check_fields (reply, deal, sales_server_base_currency (state), &input))
        code = CRMQ_INVALID_ARGUMENT;
    if (code == CRMQ_OK && input.named [F_CLIENT_ID])
        code = s_find_client (state, reply, deal->client_id, &input);
    if (code == CRMQ_OK && input.named [F_MANAGER_ID] && deal->manager_id)
        code = s_find_manager (state, reply, deal->manager_id, &input);
    if (code == CRMQ_OK) {
        deal_job_t job = s_job (state, &request->base, request->actor,
                                update? "sales.UpdateDeal": "sales.CreateDeal", reply);
        job.request_key = update? "": request->request_key;
        job.input = &input;
        code = deal_transaction (job.pg, update? s_update_tx: s_create_tx, &job, reply);
    }
    s_input_clear (&input);
    crmq_message_free (&request->base);
    return code;
}

int
deal_store_create (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return s_save (state, body, size, reply, false);
}

int
deal_store_update (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return s_save (state, body, size, reply, true);
}

//  --------------------------------------------------------------------------
//  sales.MoveDeal

static int
s_move_tx (crmq_pg_t *pg, void *arg)
{
    deal_job_t *job = (deal_job_t *) arg;
    Crmq__MoveDealRequest *request = (Crmq__MoveDealRequest *) job->request;
    locked_t locked;
    stage_t stage;
    int rc = s_lock_deal (job, request->deal_id, "deal_id", request->version, "version", &locked);
    if (rc == 0 && request->pipeline_id) {
        char text [24];
        const char *values [1] = { deal_id_text (request->pipeline_id, text, sizeof text) };
        PGresult *result = crmq_pg_exec (pg, SQL_PIPELINE_EXISTS, 1, values);
        if (!result)
            rc = -1;
        else
        if (PQntuples (result) == 0)
            rc = crmq_reply_error (job->reply, CRMQ_NOT_FOUND, "pipeline_id",
                                   "no pipeline with id %s", text);
        PQclear (result);
    }
    if (rc == 0)
        rc = s_stage (job, request->stage_id, "stage_id", &stage);
    int64_t pipeline = request->pipeline_id? request->pipeline_id: locked.pipeline_id;
    if (rc == 0 && stage.pipeline_id != pipeline)
        rc = crmq_reply_error (job->reply, CRMQ_INVALID_ARGUMENT, "stage_id",
                               "stage %" PRId64 " is of pipeline %" PRId64 ", not of %" PRId64 "%s",
                               stage.id, stage.pipeline_id, pipeline, request->pipeline_id? ""
                               : " (give pipeline_id to move the deal to another pipeline)");
    if (rc == 0 && !streq (stage.outcome, "open"))
        rc = crmq_reply_error (job->reply, CRMQ_INVALID_ARGUMENT, "stage_id",
                               "stage %" PRId64 " is a %s stage: close deals with CloseDeal",
                               stage.id, stage.outcome);
    bool same = rc == 0 && stage.id == locked.stage_id && streq (locked.status, "open");
    if (rc == 0 && !same)
        rc = s_enter_stage (job, locked.id, &stage, "open", "");
    Crmq__DealStageChange stage_change;
    if (rc == 0) {
        s_stage_change (&stage_change, &locked, &stage);
        change_t change = { same? NULL: "sales.deal.stage_changed", &stage_change, NULL, NULL, false };
        rc = s_finish (job, request->deal_id, &change, false);
    }
    s_unlock (&locked);
    return rc;
}

static bool
s_check_move (crmq_reply_t *reply, const ProtobufCMessage *message)
{
    const Crmq__MoveDealRequest *request = (const Crmq__MoveDealRequest *) message;
    const char *field = request->deal_id <= 0? "deal_id": request->stage_id <= 0? "stage_id": NULL;
    if (field) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s must name the %s", field,
                          request->deal_id <= 0? "deal to move": "stage to move it to");
        return false;
    }
    return deal_check_id (reply, "pipeline_id", request->pipeline_id)
        && deal_check_id (reply, "version", request->version);
}

int
deal_store_move (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    static const write_t write = {
        "sales.MoveDeal", &crmq__move_deal_request__descriptor,
        offsetof (Crmq__MoveDealRequest, actor), s_check_move, s_move_tx, false };
    return s_run_write (state, body, size, reply, &write);
}

//  --------------------------------------------------------------------------
//  sales.CloseDeal

static int
s_close_tx (crmq_pg_t *pg, void *arg)
{
    (void) pg;
    deal_job_t *job = (deal_job_t *) arg;
    Crmq__CloseDealRequest *request = (Crmq__CloseDealRequest *) job->request;
    locked_t locked;
    stage_t stage;
    int rc = s_lock_deal (job, request->deal_id, "deal_id", request->version, "version", &locked);
    if (rc == 0 && request->stage_id) {
        rc = s_stage (job, request->stage_id, "stage_id", &stage);
        if (rc == 0 && stage.pipeline_id != locked.pipeline_id)
            rc = crmq_reply_error (job->reply, CRMQ_INVALID_ARGUMENT, "stage_id",
                                   "stage %" PRId64 " is of pipeline %" PRId64 ", the deal of %" PRId64,
                                   stage.id, stage.pipeline_id, locked.pipeline_id);
        if (rc == 0 && !streq (stage.outcome, request->outcome))
            rc = crmq_reply_error (job->reply, CRMQ_INVALID_ARGUMENT, "stage_id",
                                   "stage %" PRId64 " is not a %s stage but %s", stage.id,
                                   request->outcome, stage.outcome);
    }
    else
    if (rc == 0)
        rc = s_first_stage (job, locked.pipeline_id, request->outcome, "outcome", &stage);
    bool same = rc == 0 && stage.id == locked.stage_id && streq (locked.status, request->outcome);
    bool new_reason = same && !streq (locked.lost_reason, request->lost_reason);
    if (rc == 0 && !same)
        rc = s_enter_stage (job, locked.id, &stage, request->outcome, request->lost_reason);
    if (rc == 0 && new_reason) {
        const char *values [2] = { locked.id, request->lost_reason };
        rc = crmq_pg_command (job->pg, SQL_SET_LOST_REASON, 2, values) != 0? -1: 0;
    }
    Crmq__DealStageChange stage_change;
    if (rc == 0) {
        s_stage_change (&stage_change, &locked, &stage);
        change_t change = { same? NULL: streq (request->outcome, "won")? "sales.deal.won"
                                                                       : "sales.deal.lost",
                            same? NULL: &stage_change, NULL, NULL, false };
        if (new_reason) {
            change.topic = "sales.deal.updated";
            change.fields = "lost_reason";
        }
        rc = s_finish (job, request->deal_id, &change, false);
    }
    s_unlock (&locked);
    return rc;
}

static bool
s_check_close (crmq_reply_t *reply, const ProtobufCMessage *message)
{
    const Crmq__CloseDealRequest *request = (const Crmq__CloseDealRequest *) message;
    int code = CRMQ_INVALID_ARGUMENT;
    bool lost = streq (request->outcome, "lost");
    if (request->deal_id <= 0)
        crmq_reply_error (reply, code, "deal_id", "deal_id must name the deal to close");
    else
    if (!lost && !streq (request->outcome, "won"))
        crmq_reply_error (reply, code, "outcome", "outcome must be won or lost");
    else
    if (lost && !deal_check (reply, "lost_reason", request->lost_reason, 1, DEAL_MAX_TEXT, DEAL_TEXT))
        ;
    else
    if (lost && !s_has_text (request->lost_reason))
        crmq_reply_error (reply, code, "lost_reason", "lost_reason is blank: say why the deal was lost");
    else
    if (!lost && *request->lost_reason)
        crmq_reply_error (reply, code, "lost_reason", "lost_reason: only a lost deal has one");
    else
        return deal_check_id (reply, "stage_id", request->stage_id)
            && deal_check_id (reply, "version", request->version);
    return false;
}

int
deal_store_close (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    static const write_t write = {
        "sales.CloseDeal", &crmq__close_deal_request__descriptor,
        offsetof (Crmq__CloseDealRequest, actor), s_check_close, s_close_tx, false };
    return s_run_write (state, body, size, reply, &write);
}

//  --------------------------------------------------------------------------
//  sales.LinkOrder and sales.UnlinkOrder

static int
s_link_tx (crmq_pg_t *pg, void *arg)
{
    deal_job_t *job = (deal_job_t *) arg;
    Crmq__DealOrderRequest *request = (Crmq__DealOrderRequest *) job->request;
    const char *number = request->order_external_id;
    locked_t locked;
    int rc = s_lock_deal (job, request->deal_id, "deal_id", request->version, "version", &locked);
    PGresult *order = NULL;
    if (rc == 0) {
        const char *values [1] = { number };
        order = crmq_pg_exec (pg, SQL_ORDER, 1, values);
        if (!order)
            rc = -1;
        else
        if (PQntuples (order) == 0)
            rc = crmq_reply_error (job->reply, CRMQ_NOT_FOUND, "order_external_id",
                                   "no order %s", number);
    }
    int64_t other = rc == 0? deal_int_read (order, 0, 2): 0;
    if (rc == 0 && other && other != request->deal_id)
        rc = crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, "order_external_id",
                               "order %s is linked to deal %" PRId64, number, other);
    if (rc == 0 && job->link && deal_int_read (order, 0, 1) != locked.client_id)
        rc = crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, "order_external_id",
                               "order %s is client %s's, the deal client %" PRId64 "'s",
                               number, PQgetvalue (order, 0, 1), locked.client_id);
    bool changed = false;
    if (rc == 0 && job->link && !other) {
        const char *values [3] = { PQgetvalue (order, 0, 0), locked.id, job->actor };
        PGresult *result = crmq_pg_exec (pg, SQL_LINK_ORDER, 3, values);
        changed = result && PQntuples (result) == 1;
        rc = result? 0: -1;
        PQclear (result);
        if (rc == 0 && !changed) {          //  linked meanwhile by another transaction
            result = crmq_pg_exec (pg, SQL_LINKED_TO, 1, values);
            rc = !result? -1: crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION,
                                                "order_external_id", "order %s is linked to deal %s",
                                                number, PQntuples (result)? PQgetvalue (result, 0, 0)
                                                                          : "?");
            PQclear (result);
        }
    }
    if (rc == 0 && !job->link && other) {
        const char *values [2] = { PQgetvalue (order, 0, 0), locked.id };
        rc = crmq_pg_command (pg, SQL_UNLINK_ORDER, 2, values) != 0? -1: 0;
        changed = true;
    }
    if (rc == 0 && changed) {
        const char *values [1] = { locked.id };
        rc = crmq_pg_command (pg, SQL_TOUCH_DEAL, 1, values) != 0? -1: 0;
    }
    if (rc == 0) {
        change_t change = { changed? "sales.deal.updated": NULL, NULL, "orders", number, job->link };
        rc = s_finish (job, request->deal_id, &change, true);
    }
    PQclear (order);
    s_unlock (&locked);
    return rc;
}

static bool
s_check_link (crmq_reply_t *reply, const ProtobufCMessage *message)
{
    const Crmq__DealOrderRequest *request = (const Crmq__DealOrderRequest *) message;
    if (request->deal_id <= 0) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "deal_id", "deal_id must name the deal");
        return false;
    }
    return deal_check (reply, "order_external_id", request->order_external_id, 1, DEAL_MAX_ID, DEAL_ID)
        && deal_check_id (reply, "version", request->version);
}

int
deal_store_link_order (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    static const write_t write = {
        "sales.LinkOrder", &crmq__deal_order_request__descriptor,
        offsetof (Crmq__DealOrderRequest, actor), s_check_link, s_link_tx, true };
    return s_run_write (state, body, size, reply, &write);
}

int
deal_store_unlink_order (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    static const write_t write = {
        "sales.UnlinkOrder", &crmq__deal_order_request__descriptor,
        offsetof (Crmq__DealOrderRequest, actor), s_check_link, s_link_tx, false };
    return s_run_write (state, body, size, reply, &write);
}

//  --------------------------------------------------------------------------
//  sales.GetDeal and sales.ListDeals

int
deal_store_get (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    crmq_pg_t *pg = sales_server_pg (state);
    Crmq__GetDealRequest *request = (Crmq__GetDealRequest *)
        deal_request_unpack (&crmq__get_deal_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int64_t id = request->id;
    crmq_message_free (&request->base);
    if (id <= 0)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "id", "id must name a deal");
    deal_view_t *view;
    int found = deal_view_load (pg, sales_server_time_zone (state), id, true, &view);
    int code = found < 0? deal_db_error (pg, reply)
             : found == 0? crmq_reply_error (reply, CRMQ_NOT_FOUND, "id", "no deal with id %" PRId64, id)
             : crmq_reply_ok (reply, &deal_view_reply (view)->base);
    deal_view_destroy (&view);
    return code;
}

//  Replies NOT_FOUND naming `field` when `id` (not 0) matches no row of
//  `sql`.  Returns 0, the code replied, or -1 after a failed statement.
static int
s_filter_exists (crmq_pg_t *pg, crmq_reply_t *reply, const char *sql, int64_t id,
                 const char *field, const char *what)
{
    if (!id)
        return 0;
    char text [24];
    const char *values [1] = { deal_id_text (id, text, sizeof text) };
    PGresult *result = crmq_pg_exec (pg, sql, 1, values);
    if (!result)
        return -1;
    int rows = PQntuples (result);
    PQclear (result);
    return rows? 0: crmq_reply_error (reply, CRMQ_NOT_FOUND, field, "no %s with id %s", what, text);
}

//  Replies a page of rows of SQL_LIST_DEALS (limit + 1 selected: one more
//  says there are more).
static int
s_reply_deals (PGresult *result, int limit, crmq_reply_t *reply)
{
    int rows = PQntuples (result);
    bool more = rows > limit;
    if (more)
        rows = limit;
    deal_row_t *items = (deal_row_t *) zmalloc ((rows + 1) * sizeof (deal_row_t));
    Crmq__Deal **pointers = (Crmq__Deal **) zmalloc ((rows + 1) * sizeof (Crmq__Deal *));
    for (int row = 0; row < rows; row++) {
        deal_row_read (&items [row], result, row);
        pointers [row] = &items [row].deal;
    }
    Crmq__ListDealsReply answer = CRMQ__LIST_DEALS_REPLY__INIT;
    answer.n_deals = (size_t) rows;
    answer.deals = pointers;
    answer.next_after_id = more? items [rows - 1].deal.id: 0;
    int code = crmq_reply_ok (reply, &answer.base);
    free (pointers);
    free (items);
    return code;
}

int
deal_store_list (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    crmq_pg_t *pg = sales_server_pg (state);
    Crmq__ListDealsRequest *request = (Crmq__ListDealsRequest *)
        deal_request_unpack (&crmq__list_deals_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code = CRMQ_INVALID_ARGUMENT;
    int limit = request->limit? request->limit: 100;
    if (limit < 1 || limit > DEAL_MAX_LIST)
        crmq_reply_error (reply, code, "limit", "limit must be 1..%d (0 = 100)", DEAL_MAX_LIST);
    else
    if (*request->status && !streq (request->status, "open") && !streq (request->status, "won")
    &&  !streq (request->status, "lost"))
        crmq_reply_error (reply, code, "status", "status must be open, won, lost or empty (any)");
    else
    if (deal_check_id (reply, "pipeline_id", request->pipeline_id)
    &&  deal_check_id (reply, "stage_id", request->stage_id)
    &&  deal_check_id (reply, "client_id", request->client_id)
    &&  deal_check_id (reply, "manager_id", request->manager_id)
    &&  deal_check_id (reply, "after_id", request->after_id))
        code = CRMQ_OK;
    if (code == CRMQ_OK) {
        int rc = s_filter_exists (pg, reply, SQL_PIPELINE_EXISTS, request->pipeline_id,
                                  "pipeline_id", "pipeline");
        if (rc == 0)
            rc = s_filter_exists (pg, reply, SQL_STAGE_EXISTS, request->stage_id, "stage_id", "stage");
        code = rc < 0? deal_db_error (pg, reply): rc;
    }
    if (code == CRMQ_OK) {
        char pipeline [24], stage [24], client [24], manager [24], after [24], rows [16];
        snprintf (rows, sizeof rows, "%d", limit + 1);
        const char *values [9] = {
            sales_server_time_zone (state),
            request->pipeline_id? deal_id_text (request->pipeline_id, pipeline, sizeof pipeline): NULL,
            request->stage_id? deal_id_text (request->stage_id, stage, sizeof stage): NULL,
            request->client_id? deal_id_text (request->client_id, client, sizeof client): NULL,
            request->manager_id? deal_id_text (request->manager_id, manager, sizeof manager): NULL,
            *request->status? request->status: NULL,
            request->rotting_only? "true": "false",
            deal_id_text (request->after_id, after, sizeof after),
            rows
        };
        PGresult *result = crmq_pg_exec (pg, SQL_LIST_DEALS, 9, values);
        code = result? s_reply_deals (result, limit, reply): deal_db_error (pg, reply);
        PQclear (result);
    }
    crmq_message_free (&request->base);
    return code;
}
