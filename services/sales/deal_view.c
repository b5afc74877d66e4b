/*  deal_view.c - deals read for replies and events; see deal_view.h.  */
#include "deal_view.h"

static const char *SQL_DEAL =
    "SELECT " DEAL_COLUMNS DEAL_FROM " WHERE d.id = $2::bigint";

static const char *SQL_HISTORY =
    "SELECT h.stage_id, s.name," DEAL_US ("h.entered_at") "," DEAL_US ("h.left_at") ","
    "       h.actor, s.outcome"
    "  FROM sales.deal_stages h JOIN sales.stages s ON s.id = h.stage_id"
    " WHERE h.deal_id = $1::bigint ORDER BY h.entered_at, h.id";

static const char *SQL_ORDERS =
    "SELECT o.external_id," DEAL_US ("o.placed_at") ", o.currency, o.amount::text, o.status,"
    DEAL_US ("l.linked_at") ", l.actor"
    "  FROM sales.deal_orders l JOIN sales.orders o ON o.id = l.order_id"
    " WHERE l.deal_id = $1::bigint ORDER BY o.external_id";

//  A linked order read from a row of SQL_ORDERS.
typedef struct {
    Crmq__DealOrder order;
    Crmq__Money amount;
    char currency [4];
} order_row_t;

struct _deal_view_t {
    PGresult *row, *history, *orders;
    deal_row_t deal;
    Crmq__DealStageEntry *entries;
    Crmq__DealStageEntry **entry_pointers;
    order_row_t *order_rows;
    Crmq__DealOrder **order_pointers;
    Crmq__GetDealReply reply;
};

//  Reads money: a char(3) currency and numeric text.
static void
s_money_read (Crmq__Money *money, char *currency, const char *code, const char *amount)
{
    crmq__money__init (money);
    snprintf (currency, 4, "%s", code);
    money->currency = currency;
    deal_decimal_read (amount, &money->units, &money->nanos);
}

void
deal_row_read (deal_row_t *self, PGresult *result, int row)
{
    Crmq__Deal *deal = &self->deal;
    crmq__deal__init (deal);
    crmq__decimal__init (&self->probability);
    int k = 0;
    deal->id = deal_int_read (result, row, k++);
    deal->title = PQgetvalue (result, row, k++);
    deal->client_id = deal_int_read (result, row, k++);
    deal->client_external_id = PQgetvalue (result, row, k++);
    deal->manager_id = deal_int_read (result, row, k++);
    const char *currency = PQgetvalue (result, row, k++);
    s_money_read (&self->amount, self->currency, currency, PQgetvalue (result, row, k++));
    deal->amount = &self->amount;
    deal->expected_close_date = PQgetvalue (result, row, k++);
    deal->pipeline_id = deal_int_read (result, row, k++);
    deal->stage_id = deal_int_read (result, row, k++);
    deal->stage_name = PQgetvalue (result, row, k++);
    deal->status = PQgetvalue (result, row, k++);
    deal->lost_reason = PQgetvalue (result, row, k++);
    deal->created_at_us = deal_int_read (result, row, k++);
    deal->closed_at_us = deal_int_read (result, row, k++);
    deal->stage_entered_at_us = deal_int_read (result, row, k++);
    deal->rotting = streq (PQgetvalue (result, row, k++), "t");
    deal->version = deal_int_read (result, row, k++);
    deal->updated_at_us = deal_int_read (result, row, k++);
    deal_decimal_read (PQgetvalue (result, row, k++), &self->probability.units,
                       &self->probability.nanos);
    deal->probability = &self->probability;
    deal->created_by = PQgetvalue (result, row, k++);
    assert (k == DEAL_NCOLUMNS);
}

//  Reads the stage history and the linked orders of the view's deal.
//  Returns 0, or -1 after a failed statement.
static int
s_load_more (deal_view_t *self, crmq_pg_t *pg, const char *id)
{
    const char *values [1] = { id };
    self->history = crmq_pg_exec (pg, SQL_HISTORY, 1, values);
    self->orders = self->history? crmq_pg_exec (pg, SQL_ORDERS, 1, values): NULL;
    if (!self->orders)
        return -1;
    int entries = PQntuples (self->history), orders = PQntuples (self->orders);
    self->entries = (Crmq__DealStageEntry *) zmalloc ((entries + 1) * sizeof (Crmq__DealStageEntry));
    self->entry_pointers = (Crmq__DealStageEntry **) zmalloc ((entries + 1) * sizeof (void *));
    for (int row = 0; row < entries; row++) {
        Crmq__DealStageEntry *entry = &self->entries [row];
        crmq__deal_stage_entry__init (entry);
        entry->stage_id = deal_int_read (self->history, row, 0);
        entry->stage_name = PQgetvalue (self->history, row, 1);
        entry->entered_at_us = deal_int_read (self->history, row, 2);
        entry->left_at_us = deal_int_read (self->history, row, 3);
        entry->actor = PQgetvalue (self->history, row, 4);
        entry->outcome = PQgetvalue (self->history, row, 5);
        self->entry_pointers [row] = entry;
    }
    self->order_rows = (order_row_t *) zmalloc ((orders + 1) * sizeof (order_row_t));
    self->order_pointers = (Crmq__DealOrder **) zmalloc ((orders + 1) * sizeof (void *));
    for (int row = 0; row < orders; row++) {
        order_row_t *item = &self->order_rows [row];
        Crmq__DealOrder *order = &item->order;
        crmq__deal_order__init (order);
        order->external_id = PQgetvalue (self->orders, row, 0);
        order->placed_at_us = deal_int_read (self->orders, row, 1);
        s_money_read (&item->amount, item->currency, PQgetvalue (self->orders, row, 2),
                      PQgetvalue (self->orders, row, 3));
        order->amount = &item->amount;
        order->status = PQgetvalue (self->orders, row, 4);
        order->linked_at_us = deal_int_read (self->orders, row, 5);
        order->actor = PQgetvalue (self->orders, row, 6);
        self->order_pointers [row] = order;
    }
    self->reply.n_history = (size_t) entries;
    self->reply.history = self->entry_pointers;
    self->reply.n_orders = (size_t) orders;
    self->reply.orders = self->order_pointers;
    return 0;
}

int
deal_view_load (crmq_pg_t *pg, const char *time_zone, int64_t id, bool full, deal_view_t **self_p)
{
    *self_p = NULL;
    char text [24];
    const char *values [2] = { time_zone, deal_id_text (id, text, sizeof text) };
    PGresult *row = crmq_pg_exec (pg, SQL_DEAL, 2, values);
    if (!row)
        return -1;
    if (PQntuples (row) == 0) {
        PQclear (row);
        return 0;
    }
    deal_view_t *self = (deal_view_t *) zmalloc (sizeof (deal_view_t));
    self->row = row;
    deal_row_read (&self->deal, row, 0);
    crmq__get_deal_reply__init (&self->reply);
    self->reply.deal = &self->deal.deal;
    if (full && s_load_more (self, pg, text) != 0) {
        deal_view_destroy (&self);
        return -1;
    }
    *self_p = self;
    return 1;
}

void
deal_view_destroy (deal_view_t **self_p)
{
    deal_view_t *self = *self_p;
    if (!self)
        return;
    PQclear (self->row);
    PQclear (self->history);
    PQclear (self->orders);
    free (self->entries);
    free (self->entry_pointers);
    free (self->order_rows);
    free (self->order_pointers);
    free (self);
    *self_p = NULL;
}

Crmq__Deal *
deal_view_deal (deal_view_t *self)
{
    return &self->deal.deal;
}

Crmq__GetDealReply *
deal_view_reply (deal_view_t *self)
{
    return &self->reply;
}
