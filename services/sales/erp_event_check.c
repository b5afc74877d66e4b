/*  erp_event_check.c - ERP event checks; see erp_event_check.h.  */
#include "erp_event_check.h"

int
erp_problem_set (erp_problem_t *problem, int code, const char *field, const char *format, ...)
{
    problem->code = code;
    snprintf (problem->field, sizeof problem->field, "%s", field);
    va_list args;
    va_start (args, format);
    vsnprintf (problem->message, sizeof problem->message, format, args);
    va_end (args);
    return code;
}

//  One of crmq_text_valid (free text), crmq_name_valid (names of clients,
//  managers, products, groups), crmq_id_valid (identifiers).
typedef bool (s_check_fn) (const char *text, size_t min_bytes, size_t max_bytes,
                           char *why, size_t why_size);

//  Checks the field named `prefix` + `name` with `check`.
static bool
s_field (erp_problem_t *problem, s_check_fn *check, const char *prefix, const char *name,
         const char *value, size_t min_bytes, size_t max_bytes)
{
    char why [64], field [192];
    if (check (value, min_bytes, max_bytes, why, sizeof why))
        return true;
    snprintf (field, sizeof field, "%s%s", prefix, name);
    return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field, "%s %s", field, why);
}

//  Checks an instant named `prefix` + `name`; 0 passes when not `required`.
static bool
s_instant (erp_problem_t *problem, const char *prefix, const char *name, int64_t us,
           bool required)
{
    if (us == 0 && !required)
        return true;
    if (us != 0 && us >= ERP_MIN_TIME_US && us < ERP_MAX_TIME_US)
        return true;
    char field [192];
    snprintf (field, sizeof field, "%s%s", prefix, name);
    if (us == 0)
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field, "%s is required", field);
    return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                             "%s is not between 1900-01-01 and 2200-01-01", field);
}

//  A decimal is well formed when units and nanos agree in sign and |nanos| < 1e9.
static bool
s_decimal_ok (int64_t units, int32_t nanos)
{
    if (nanos <= -1000000000 || nanos >= 1000000000)
        return false;
    return !((units > 0 && nanos < 0) || (units < 0 && nanos > 0));
}

//  Compares units + nanos with an integer bound: <0, 0, >0.
static int
s_compare (int64_t units, int32_t nanos, int64_t bound)
{
    if (units != bound)
        return units < bound? -1: 1;
    return nanos < 0? -1: nanos > 0? 1: 0;
}

static bool
s_check_client (const Crmq__Client *c, const char *p, erp_problem_t *problem)
{
    const char *names [] = { "country", "region", "city", "address",
                             "postal_code", "phone", "email", "category", "source" };
    const char *values [] = { c->country, c->region, c->city, c->address,
                              c->postal_code, c->phone, c->email, c->category, c->source };
    if (!s_field (problem, crmq_id_valid, p, "external_id", c->external_id, 1, ERP_MAX_ID)
    ||  !s_field (problem, crmq_name_valid, p, "name", c->name, 1, ERP_MAX_NAME)
    ||  !s_field (problem, crmq_name_valid, p, "legal_name", c->legal_name, 0, 1000)
    ||  !s_field (problem, crmq_id_valid, p, "manager_external_id", c->manager_external_id, 0, ERP_MAX_ID))
        return false;
    for (size_t f = 0; f < sizeof names / sizeof names [0]; f++)
        if (!s_field (problem, crmq_text_valid, p, names [f], values [f], 0, 1000))
            return false;
    return true;
}

static bool
s_check_manager (const Crmq__Manager *m, const char *p, erp_problem_t *problem)
{
    return s_field (problem, crmq_id_valid, p, "external_id", m->external_id, 1, ERP_MAX_ID)
        && s_field (problem, crmq_name_valid, p, "name", m->name, 1, ERP_MAX_NAME)
        && s_field (problem, crmq_text_valid, p, "email", m->email, 0, 1000)
        && s_field (problem, crmq_text_valid, p, "title", m->title, 0, 1000)
        && s_field (problem, crmq_id_valid, p, "supervisor_external_id", m->supervisor_external_id, 0, ERP_MAX_ID)
        && s_field (problem, crmq_text_valid, p, "time_zone", m->time_zone, 0, 64);
}

//  Checks an amount: well formed, 0 <= amount < ERP_MAX_PRICE, and in
//  `currency` when it names one (an empty currency means the document's).
static bool
s_check_money (const Crmq__Money *money, const char *field, const char *currency,
               erp_problem_t *problem)
{
    if (!money)
        return true;
    if (!s_decimal_ok (money->units, money->nanos))
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field, "%s is not a valid amount", field);
    if (s_compare (money->units, money->nanos, 0) < 0)
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field, "%s is negative", field);
    if (s_compare (money->units, money->nanos, ERP_MAX_PRICE) >= 0)
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                                 "%s must be below %lld", field, ERP_MAX_PRICE);
    if (*money->currency && strcmp (money->currency, currency) != 0)
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                                 "%s is in %.8s, the document in %s", field, money->currency,
                                 currency);
    return true;
}

static bool
s_check_product (const Crmq__Product *product, const char *p, const char *base_currency,
                 erp_problem_t *problem)
{
    char field [192];
    if (!s_field (problem, crmq_id_valid, p, "external_id", product->external_id, 1, ERP_MAX_ID)
    ||  !s_field (problem, crmq_name_valid, p, "name", product->name, 1, ERP_MAX_NAME)
    ||  !s_field (problem, crmq_id_valid, p, "group_external_id", product->group_external_id, 0, ERP_MAX_ID)
    ||  !s_field (problem, crmq_name_valid, p, "group_name", product->group_name, 0, ERP_MAX_NAME)
    ||  !s_field (problem, crmq_id_valid, p, "group_parent_external_id",
                  product->group_parent_external_id, 0, ERP_MAX_ID))
        return false;
    if (*product->group_parent_external_id
    &&  streq (product->group_parent_external_id, product->group_external_id)) {
        snprintf (field, sizeof field, "%sgroup_parent_external_id", p);
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                                 "a product group cannot be its own parent");
    }
    snprintf (field, sizeof field, "%slist_price", p);
    if (!s_check_money (product->list_price, field, base_currency, problem))
        return false;
    snprintf (field, sizeof field, "%sstandard_cost", p);
    return s_check_money (product->standard_cost, field, base_currency, problem);
}

//  Checks a required positive quantity below ERP_MAX_QUANTITY.
static bool
s_check_quantity (const Crmq__Decimal *quantity, const char *field, erp_problem_t *problem)
{
    if (!quantity || !s_decimal_ok (quantity->units, quantity->nanos)
    ||  s_compare (quantity->units, quantity->nanos, 0) <= 0
    ||  s_compare (quantity->units, quantity->nanos, ERP_MAX_QUANTITY) >= 0)
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                                 "%s must be above 0 and below %lld", field, ERP_MAX_QUANTITY);
    return true;
}

//  Checks a document's currency and rate: an empty currency is the base
//  currency (rate unset or 1); another currency needs a rate above 0 and
//  below ERP_MAX_RATE.  The document's currency goes to `currency` (4 bytes).
static bool
s_check_currency (const char *p, const char *currency_field, const char *code,
                  const char *rate_field, const Crmq__Decimal *rate, const char *base_currency,
                  char *currency, erp_problem_t *problem)
{
    char field [192];
    snprintf (field, sizeof field, "%s%s", p, currency_field);
    if (*code && (strlen (code) != 3 || !isupper ((unsigned char) code [0])
              || !isupper ((unsigned char) code [1]) || !isupper ((unsigned char) code [2])))
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                                 "%s must be an ISO 4217 code such as EUR", field);
    snprintf (currency, 4, "%s", *code? code: base_currency);
    bool base = streq (currency, base_currency);
    snprintf (field, sizeof field, "%s%s", p, rate_field);
    if (!rate) {
        if (base)
            return true;
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                                 "%s is required for %s (the base currency is %s)", field,
                                 currency, base_currency);
    }
    if (!s_decimal_ok (rate->units, rate->nanos) || s_compare (rate->units, rate->nanos, 0) <= 0
    ||  s_compare (rate->units, rate->nanos, ERP_MAX_RATE) >= 0)
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                                 "%s must be above 0 and below %lld", field, ERP_MAX_RATE);
    if (base && (rate->units != 1 || rate->nanos != 0))
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                                 "%s of the base currency %s must be 1", field, base_currency);
    return true;
}

//  Checks a document amount that must be above 0, in cents (invoices,
//  payments: amounts as the ERP's documents state them).
static bool
s_check_amount (const Crmq__Money *money, const char *field, erp_problem_t *problem)
{
    if (!money)
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field, "%s is required", field);
    if (s_decimal_ok (money->units, money->nanos)
    &&  s_compare (money->units, money->nanos, 0) <= 0)
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field, "%s must be above 0", field);
    if (money->nanos % 10000000 != 0)
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                                 "%s has more than 2 decimals", field);
    return true;
}

//  A decimal as a long double (for limits, not for money).
static long double
s_value (int64_t units, int32_t nanos)
{
    return (long double) units + (long double) nanos / 1e9L;
}

//  Checks that quantity x price (x rate) stays below ERP_MAX_LINE_AMOUNT.
static bool
s_check_line_amount (const Crmq__Decimal *quantity, const Crmq__Money *price,
                     const Crmq__Decimal *rate, const char *field, erp_problem_t *problem)
{
    long double amount = s_value (quantity->units, quantity->nanos)
                       * s_value (price->units, price->nanos)
                       * (rate? s_value (rate->units, rate->nanos): 1.0L);
    if (amount < ERP_MAX_LINE_AMOUNT)
        return true;
    return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                             "%s: quantity x unit price (x rate) must be below 10^15", field);
}

//  Checks the lines of an order (OrderPlaced, OrderChanged) in `currency`
//  at `rate` (NULL: 1).
static bool
s_check_order_lines (Crmq__OrderLine **lines, size_t n_lines, const char *p,
                     const char *currency, const Crmq__Decimal *rate, erp_problem_t *problem)
{
    char field [192];
    if (n_lines == 0 || n_lines > ERP_MAX_ORDER_LINES) {
        snprintf (field, sizeof field, "%slines", p);
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field, "an order has 1 to %d lines",
                       ERP_MAX_ORDER_LINES);
    }
    for (size_t j = 0; j < n_lines; j++) {
        const Crmq__OrderLine *line = lines [j];
        char lp [128];
        snprintf (lp, sizeof lp, "%slines[%zu].", p, j);
        if (!s_field (problem, crmq_id_valid, lp, "product_external_id", line->product_external_id, 1, ERP_MAX_ID))
            return false;
        snprintf (field, sizeof field, "%squantity", lp);
        if (!s_check_quantity (line->quantity, field, problem))
            return false;
        snprintf (field, sizeof field, "%sunit_price", lp);
        if (!line->unit_price)
            return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field, "%s is required", field);
        if (!s_check_money (line->unit_price, field, currency, problem))
            return false;
        snprintf (field, sizeof field, "%slines[%zu]", p, j);
        if (!s_check_line_amount (line->quantity, line->unit_price, rate, field, problem))
            return false;
        snprintf (field, sizeof field, "%scost", lp);
        if (!s_check_money (line->cost, field, currency, problem))
            return false;
        const Crmq__Decimal *discount = line->discount;
        snprintf (field, sizeof field, "%sdiscount", lp);
        if (discount && (!s_decimal_ok (discount->units, discount->nanos)
                     ||  s_compare (discount->units, discount->nanos, 0) < 0
                     ||  s_compare (discount->units, discount->nanos, 1) > 0))
            return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                           "%s must be a fraction from 0 to 1", field);
    }
    return true;
}

static bool
s_check_order (const Crmq__OrderPlaced *order, const char *p, const char *base_currency,
               erp_problem_t *problem)
{
    char currency [4];
    return s_field (problem, crmq_id_valid, p, "external_id", order->external_id, 1, ERP_MAX_ID)
        && s_field (problem, crmq_id_valid, p, "client_external_id", order->client_external_id, 1, ERP_MAX_ID)
        && s_field (problem, crmq_id_valid, p, "manager_external_id", order->manager_external_id, 0, ERP_MAX_ID)
        && s_check_currency (p, "currency", order->currency, "currency_rate", order->currency_rate,
                             base_currency, currency, problem)
        && s_instant (problem, p, "placed_at_us", order->placed_at_us, true)
        && s_instant (problem, p, "required_at_us", order->required_at_us, false)
        && s_check_order_lines (order->lines, order->n_lines, p, currency, order->currency_rate,
                                problem);
}

static bool
s_check_order_changed (const Crmq__OrderChanged *change, const char *p, const char *base_currency,
                       erp_problem_t *problem)
{
    char currency [4];
    return s_field (problem, crmq_id_valid, p, "external_id", change->external_id, 1, ERP_MAX_ID)
        && s_field (problem, crmq_id_valid, p, "manager_external_id", change->manager_external_id, 0, ERP_MAX_ID)
        && s_check_currency (p, "currency", change->currency, "currency_rate", change->currency_rate,
                             base_currency, currency, problem)
        && s_instant (problem, p, "required_at_us", change->required_at_us, false)
        && s_check_order_lines (change->lines, change->n_lines, p, currency, change->currency_rate,
                                problem);
}

static bool
s_check_order_cancelled (const Crmq__OrderCancelled *cancel, const char *p, erp_problem_t *problem)
{
    return s_field (problem, crmq_id_valid, p, "external_id", cancel->external_id, 1, ERP_MAX_ID)
        && s_field (problem, crmq_text_valid, p, "reason", cancel->reason, 0, 1000);
}

static bool
s_check_shipment (const Crmq__ShipmentRegistered *shipment, const char *p, erp_problem_t *problem)
{
    if (!s_field (problem, crmq_id_valid, p, "external_id", shipment->external_id, 1, ERP_MAX_ID)
    ||  !s_field (problem, crmq_id_valid, p, "order_external_id", shipment->order_external_id, 1, ERP_MAX_ID)
    ||  !s_instant (problem, p, "shipped_at_us", shipment->shipped_at_us, true))
        return false;
    char field [192];
    if (shipment->n_lines > ERP_MAX_ORDER_LINES) {
        snprintf (field, sizeof field, "%slines", p);
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                                 "a shipment has at most %d lines", ERP_MAX_ORDER_LINES);
    }
    for (size_t j = 0; j < shipment->n_lines; j++) {
        char lp [128];
        snprintf (lp, sizeof lp, "%slines[%zu].", p, j);
        snprintf (field, sizeof field, "%squantity", lp);
        if (!s_field (problem, crmq_id_valid, lp, "product_external_id",
                      shipment->lines [j]->product_external_id, 1, ERP_MAX_ID)
        ||  !s_check_quantity (shipment->lines [j]->quantity, field, problem))
            return false;
    }
    return true;
}

static bool
s_check_invoice (const Crmq__InvoiceIssued *invoice, const char *p, const char *base_currency,
                 erp_problem_t *problem)
{
    char field [192], currency [4];
    snprintf (field, sizeof field, "%samount", p);
    return s_field (problem, crmq_id_valid, p, "external_id", invoice->external_id, 1, ERP_MAX_ID)
        && s_field (problem, crmq_id_valid, p, "client_external_id", invoice->client_external_id, 1, ERP_MAX_ID)
        && s_field (problem, crmq_id_valid, p, "order_external_id", invoice->order_external_id, 0, ERP_MAX_ID)
        && s_check_amount (invoice->amount, field, problem)
        && s_check_currency (p, "amount.currency", invoice->amount->currency, "currency_rate",
                             invoice->currency_rate, base_currency, currency, problem)
        && s_check_money (invoice->amount, field, currency, problem)
        && s_instant (problem, p, "issued_at_us", invoice->issued_at_us, true)
        && s_instant (problem, p, "due_at_us", invoice->due_at_us, false);
}

static bool
s_check_payment (const Crmq__PaymentReceived *payment, const char *p, const char *base_currency,
                 erp_problem_t *problem)
{
    char field [192], currency [4];
    snprintf (field, sizeof field, "%samount", p);
    if (!s_field (problem, crmq_id_valid, p, "external_id", payment->external_id, 1, ERP_MAX_ID)
    ||  !s_field (problem, crmq_id_valid, p, "client_external_id", payment->client_external_id, 1, ERP_MAX_ID)
    ||  !s_field (problem, crmq_id_valid, p, "invoice_external_id", payment->invoice_external_id, 0, ERP_MAX_ID)
    ||  !s_field (problem, crmq_id_valid, p, "order_external_id", payment->order_external_id, 0, ERP_MAX_ID))
        return false;
    if (!*payment->invoice_external_id && !*payment->order_external_id) {
        snprintf (field, sizeof field, "%sinvoice_external_id", p);
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                                 "a payment names the invoice or the order it pays");
    }
    return s_check_amount (payment->amount, field, problem)
        && s_check_currency (p, "amount.currency", payment->amount->currency, "currency_rate",
                             payment->currency_rate, base_currency, currency, problem)
        && s_check_money (payment->amount, field, currency, problem)
        && s_instant (problem, p, "paid_at_us", payment->paid_at_us, true);
}

static bool
s_check_return (const Crmq__ReturnRegistered *ret, const char *p, const char *base_currency,
                erp_problem_t *problem)
{
    char field [192], currency [4];
    if (!s_field (problem, crmq_id_valid, p, "external_id", ret->external_id, 1, ERP_MAX_ID)
    ||  !s_field (problem, crmq_id_valid, p, "client_external_id", ret->client_external_id, 1, ERP_MAX_ID)
    ||  !s_field (problem, crmq_id_valid, p, "order_external_id", ret->order_external_id, 0, ERP_MAX_ID)
    ||  !s_field (problem, crmq_text_valid, p, "reason", ret->reason, 0, 1000)
    ||  !s_check_currency (p, "currency", ret->currency, "currency_rate", ret->currency_rate,
                           base_currency, currency, problem)
    ||  !s_instant (problem, p, "returned_at_us", ret->returned_at_us, true))
        return false;
    if (ret->n_lines == 0 || ret->n_lines > ERP_MAX_ORDER_LINES) {
        snprintf (field, sizeof field, "%slines", p);
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field, "a return has 1 to %d lines",
                                 ERP_MAX_ORDER_LINES);
    }
    for (size_t j = 0; j < ret->n_lines; j++) {
        const Crmq__ReturnLine *line = ret->lines [j];
        char lp [128];
        snprintf (lp, sizeof lp, "%slines[%zu].", p, j);
        if (!s_field (problem, crmq_id_valid, lp, "product_external_id", line->product_external_id, 1, ERP_MAX_ID))
            return false;
        snprintf (field, sizeof field, "%squantity", lp);
        if (!s_check_quantity (line->quantity, field, problem))
            return false;
        snprintf (field, sizeof field, "%sunit_price", lp);
        if (!line->unit_price)
            return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field, "%s is required", field);
        if (!s_check_money (line->unit_price, field, currency, problem))
            return false;
        snprintf (field, sizeof field, "%slines[%zu]", p, j);
        if (!s_check_line_amount (line->quantity, line->unit_price, ret->currency_rate, field, problem))
            return false;
        snprintf (field, sizeof field, "%scost", lp);
        if (!s_check_money (line->cost, field, currency, problem))
            return false;
    }
    return true;
}

static bool
s_check_product_group (const Crmq__ProductGroup *group, const char *p, erp_problem_t *problem)
{
    if (!s_field (problem, crmq_id_valid, p, "external_id", group->external_id, 1, ERP_MAX_ID)
    ||  !s_field (problem, crmq_name_valid, p, "name", group->name, 1, ERP_MAX_NAME)
    ||  !s_field (problem, crmq_id_valid, p, "parent_external_id", group->parent_external_id, 0, ERP_MAX_ID))
        return false;
    if (streq (group->parent_external_id, group->external_id)) {
        char field [192];
        snprintf (field, sizeof field, "%sparent_external_id", p);
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                                 "a product group cannot be its own parent");
    }
    return true;
}

static bool
s_check_contact_person (const Crmq__ContactPersonData *person, const char *p, erp_problem_t *problem)
{
    return s_field (problem, crmq_id_valid, p, "external_id", person->external_id, 1, ERP_MAX_ID)
        && s_field (problem, crmq_id_valid, p, "client_external_id", person->client_external_id, 1, ERP_MAX_ID)
        && s_field (problem, crmq_name_valid, p, "name", person->name, 1, ERP_MAX_NAME)
        && s_field (problem, crmq_text_valid, p, "position", person->position, 0, ERP_MAX_NAME)
        && s_field (problem, crmq_text_valid, p, "phone", person->phone, 0, ERP_MAX_ID)
        && s_field (problem, crmq_text_valid, p, "email", person->email, 0, ERP_MAX_NAME);
}

bool
erp_event_check (const Crmq__ErpEvent *event, size_t index, const char *base_currency,
                 erp_problem_t *problem)
{
    char p [64];
    snprintf (p, sizeof p, "events[%zu].", index);
    if (!s_field (problem, crmq_id_valid, p, "event_id", event->event_id, 1, ERP_MAX_EVENT_ID)
    ||  !s_instant (problem, p, "occurred_at_us", event->occurred_at_us, false))
        return false;
    switch (event->body_case) {
        case CRMQ__ERP_EVENT__BODY_ORDER_CHANGED:
        case CRMQ__ERP_EVENT__BODY_ORDER_CANCELLED:
            //  changes apply in occurred_at order, whenever they arrive
            if (!s_instant (problem, p, "occurred_at_us", event->occurred_at_us, true))
                return false;
            break;
        default:
            break;
    }
    switch (event->body_case) {
        case CRMQ__ERP_EVENT__BODY_CLIENT:
            strcat (p, "client.");
            return s_check_client (event->client, p, problem);
        case CRMQ__ERP_EVENT__BODY_MANAGER:
            strcat (p, "manager.");
            return s_check_manager (event->manager, p, problem);
        case CRMQ__ERP_EVENT__BODY_PRODUCT:
            strcat (p, "product.");
            return s_check_product (event->product, p, base_currency, problem);
        case CRMQ__ERP_EVENT__BODY_ORDER_PLACED:
            strcat (p, "order_placed.");
            return s_check_order (event->order_placed, p, base_currency, problem);
        case CRMQ__ERP_EVENT__BODY_ORDER_CHANGED:
            strcat (p, "order_changed.");
            return s_check_order_changed (event->order_changed, p, base_currency, problem);
        case CRMQ__ERP_EVENT__BODY_ORDER_CANCELLED:
            strcat (p, "order_cancelled.");
            return s_check_order_cancelled (event->order_cancelled, p, problem);
        case CRMQ__ERP_EVENT__BODY_SHIPMENT:
            strcat (p, "shipment.");
            return s_check_shipment (event->shipment, p, problem);
        case CRMQ__ERP_EVENT__BODY_INVOICE:
            strcat (p, "invoice.");
            return s_check_invoice (event->invoice, p, base_currency, problem);
        case CRMQ__ERP_EVENT__BODY_PAYMENT:
            strcat (p, "payment.");
            return s_check_payment (event->payment, p, base_currency, problem);
        case CRMQ__ERP_EVENT__BODY_RETURN_REGISTERED:
            strcat (p, "return_registered.");
            return s_check_return (event->return_registered, p, base_currency, problem);
        case CRMQ__ERP_EVENT__BODY_PRODUCT_GROUP:
            strcat (p, "product_group.");
            return s_check_product_group (event->product_group, p, problem);
        case CRMQ__ERP_EVENT__BODY_CONTACT_PERSON:
            strcat (p, "contact_person.");
            return s_check_contact_person (event->contact_person, p, problem);
        default: {
            char field [64];
            snprintf (field, sizeof field, "events[%zu]", index);
            return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                           "%s carries no known event body", field);
        }
    }
}

void
erp_event_check_test (bool verbose)
{
    if (verbose)
        printf (" * erp_event_check: ");
    erp_problem_t problem;
    Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
    event.event_id = "e1";
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0]"));

    Crmq__Decimal quantity = CRMQ__DECIMAL__INIT;
    quantity.units = 2;
    Crmq__Money price = CRMQ__MONEY__INIT;
    price.units = 10;
    Crmq__OrderLine line = CRMQ__ORDER_LINE__INIT;
    line.product_external_id = "11";
    line.quantity = &quantity;
    line.unit_price = &price;
    Crmq__OrderLine *lines [1] = { &line };
    Crmq__OrderPlaced order = CRMQ__ORDER_PLACED__INIT;
    order.external_id = "10248";
    order.client_external_id = "VINET";
    order.placed_at_us = 1;
    order.n_lines = 1;
    order.lines = lines;
    event.body_case = CRMQ__ERP_EVENT__BODY_ORDER_PLACED;
    event.order_placed = &order;
    assert (erp_event_check (&event, 0, "USD", &problem));

    quantity.units = -1;
    assert (!erp_event_check (&event, 2, "USD", &problem));
    assert (problem.code == CRMQ_INVALID_ARGUMENT);
    assert (streq (problem.field, "events[2].order_placed.lines[0].quantity"));
    quantity.units = 0;
    quantity.nanos = 500000000;
    assert (erp_event_check (&event, 0, "USD", &problem));
    quantity.nanos = -5;
    assert (!erp_event_check (&event, 0, "USD", &problem));
    quantity.nanos = 500000000;

    Crmq__Decimal discount = CRMQ__DECIMAL__INIT;
    discount.units = 1;
    discount.nanos = 1;
    line.discount = &discount;
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].order_placed.lines[0].discount"));
    discount.units = 0;
    discount.nanos = 50000000;
    assert (erp_event_check (&event, 0, "USD", &problem));

    order.currency = "EUR";
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].order_placed.currency_rate"));
    Crmq__Decimal rate = CRMQ__DECIMAL__INIT;
    rate.units = 1;
    rate.nanos = 80000000;
    order.currency_rate = &rate;
    price.currency = "USD";
    assert (!erp_event_check (&event, 0, "USD", &problem));      //  a USD price in an EUR order
    assert (streq (problem.field, "events[0].order_placed.lines[0].unit_price"));
    price.currency = "EUR";
    assert (erp_event_check (&event, 0, "USD", &problem));
    price.currency = "";
    order.currency = "eur";
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].order_placed.currency"));
    order.currency = "USD";
    assert (!erp_event_check (&event, 0, "USD", &problem));      //  a base currency rate of 1.08
    assert (streq (problem.field, "events[0].order_placed.currency_rate"));
    order.currency_rate = NULL;
    assert (erp_event_check (&event, 0, "USD", &problem));
    price.currency = "EUR";
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].order_placed.lines[0].unit_price"));
    price.currency = "USD";
    assert (erp_event_check (&event, 0, "USD", &problem));
    price.units = ERP_MAX_PRICE;
    assert (!erp_event_check (&event, 0, "USD", &problem));
    price.units = 10;
    quantity.units = ERP_MAX_QUANTITY;
    quantity.nanos = 0;
    assert (!erp_event_check (&event, 0, "USD", &problem));
    quantity.units = 0;
    quantity.nanos = 1;             //  a billionth is a quantity
    assert (erp_event_check (&event, 0, "USD", &problem));
    order.placed_at_us = ERP_MIN_TIME_US - 1;
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].order_placed.placed_at_us"));
    order.placed_at_us = ERP_MAX_TIME_US;
    assert (!erp_event_check (&event, 0, "USD", &problem));
    order.placed_at_us = 836438400000000LL;
    event.occurred_at_us = INT64_MAX;
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].occurred_at_us"));
    event.occurred_at_us = 0;
    event.event_id = "e\n1";
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].event_id"));
    event.event_id = "e1";
    assert (erp_event_check (&event, 0, "USD", &problem));

    order.client_external_id = "";
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].order_placed.client_external_id"));
    order.client_external_id = "VINET";

    char *huge = (char *) malloc (ERP_MAX_NAME + 2);
    memset (huge, 'x', ERP_MAX_NAME + 1);
    huge [ERP_MAX_NAME + 1] = 0;
    Crmq__Client client = CRMQ__CLIENT__INIT;
    client.external_id = "ALFKI";
    client.name = huge;
    event.body_case = CRMQ__ERP_EVENT__BODY_CLIENT;
    event.client = &client;
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].client.name"));
    client.name = "Ромашка «ООО»";
    assert (erp_event_check (&event, 0, "USD", &problem));
    //  names: no tab, line break, C1 control, bidi override; not blank
    const char *bad_names [] = { "A\tB", "A\nB", "A\xC2\x85" "B", "A\xE2\x80\xAE" "B",
                                 "\xE2\x81\xA6" "A", "   ", NULL };
    for (const char **name = bad_names; *name; name++) {
        client.name = (char *) *name;
        assert (!erp_event_check (&event, 0, "USD", &problem));
        assert (problem.code == CRMQ_INVALID_ARGUMENT);
        assert (streq (problem.field, "events[0].client.name"));
        client.name = "Ромашка";
        client.legal_name = (char *) *name;
        assert (!erp_event_check (&event, 0, "USD", &problem));
        assert (streq (problem.field, "events[0].client.legal_name"));
        client.legal_name = "";
    }
    assert (erp_event_check (&event, 0, "USD", &problem));
    client.address = "Obere Str. 57\nBerlin";         //  free text keeps its line breaks
    assert (erp_event_check (&event, 0, "USD", &problem));

    Crmq__Manager manager = CRMQ__MANAGER__INIT;
    manager.external_id = "5";
    manager.name = "Steven\tBuchanan";
    event.body_case = CRMQ__ERP_EVENT__BODY_MANAGER;
    event.manager = &manager;
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].manager.name"));
    manager.name = "Steven Buchanan";
    assert (erp_event_check (&event, 0, "USD", &problem));

    Crmq__Product product = CRMQ__PRODUCT__INIT;
    product.external_id = "1";
    product.name = "Chai\xE2\x80\xAE";
    event.body_case = CRMQ__ERP_EVENT__BODY_PRODUCT;
    event.product = &product;
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].product.name"));
    product.name = "Chai";
    product.group_name = " ";
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].product.group_name"));
    product.group_name = "Beverages";
    assert (erp_event_check (&event, 0, "USD", &problem));
    Crmq__Money amount = CRMQ__MONEY__INIT;
    amount.units = 100;
    Crmq__PaymentReceived payment = CRMQ__PAYMENT_RECEIVED__INIT;
    payment.external_id = "P1";
    payment.client_external_id = "VINET";
    payment.amount = &amount;
    payment.paid_at_us = 836438400000000LL;
    event.body_case = CRMQ__ERP_EVENT__BODY_PAYMENT;
    event.payment = &payment;
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].payment.invoice_external_id"));
    payment.order_external_id = "10248";
    assert (erp_event_check (&event, 0, "USD", &problem));
    amount.units = 0;
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].payment.amount"));
    amount.units = 100;
    amount.currency = "EUR";
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].payment.currency_rate"));

    Crmq__ProductGroup group = CRMQ__PRODUCT_GROUP__INIT;
    group.external_id = "G1";
    group.name = "Напитки";
    group.parent_external_id = "G1";
    event.body_case = CRMQ__ERP_EVENT__BODY_PRODUCT_GROUP;
    event.product_group = &group;
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].product_group.parent_external_id"));
    group.parent_external_id = "";
    assert (erp_event_check (&event, 0, "USD", &problem));

    Crmq__ReturnRegistered ret = CRMQ__RETURN_REGISTERED__INIT;
    ret.external_id = "C536379";
    ret.client_external_id = "14527";
    ret.returned_at_us = 836438400000000LL;
    event.body_case = CRMQ__ERP_EVENT__BODY_RETURN_REGISTERED;
    event.return_registered = &ret;
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].return_registered.lines"));
    Crmq__ReturnLine return_line = CRMQ__RETURN_LINE__INIT;
    Crmq__ReturnLine *return_lines [1] = { &return_line };
    return_line.product_external_id = "D";
    return_line.quantity = &quantity;
    ret.n_lines = 1;
    ret.lines = return_lines;
    assert (!erp_event_check (&event, 0, "USD", &problem));
    assert (streq (problem.field, "events[0].return_registered.lines[0].unit_price"));
    return_line.unit_price = &price;
    assert (erp_event_check (&event, 0, "USD", &problem));
    free (huge);
    if (verbose)
        printf ("OK\n");
}
