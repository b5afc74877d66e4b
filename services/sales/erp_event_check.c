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
    ||  !s_field (problem, crmq_name_valid, p, "group_name", product->group_name, 0, ERP_MAX_NAME))
        return false;
    snprintf (field, sizeof field, "%slist_price", p);
    if (!s_check_money (product->list_price, field, base_currency, problem))
        return false;
    snprintf (field, sizeof field, "%sstandard_cost", p);
    return s_check_money (product->standard_cost, field, base_currency, problem);
}

static bool
s_check_order (const Crmq__OrderPlaced *order, const char *p, const char *base_currency,
               erp_problem_t *problem)
{
    char field [192];
    if (!s_field (problem, crmq_id_valid, p, "external_id", order->external_id, 1, ERP_MAX_ID)
    ||  !s_field (problem, crmq_id_valid, p, "client_external_id", order->client_external_id, 1, ERP_MAX_ID)
    ||  !s_field (problem, crmq_id_valid, p, "manager_external_id", order->manager_external_id, 0, ERP_MAX_ID)
    ||  !s_field (problem, crmq_text_valid, p, "currency", order->currency, 0, 3))
        return false;
    if (*order->currency && strcmp (order->currency, base_currency) != 0) {
        snprintf (field, sizeof field, "%scurrency", p);
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                       "currency %s is not the base currency %s", order->currency, base_currency);
    }
    if (!s_instant (problem, p, "placed_at_us", order->placed_at_us, true)
    ||  !s_instant (problem, p, "required_at_us", order->required_at_us, false))
        return false;
    const char *currency = *order->currency? order->currency: base_currency;
    if (order->n_lines == 0 || order->n_lines > ERP_MAX_ORDER_LINES) {
        snprintf (field, sizeof field, "%slines", p);
        return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field, "an order has 1 to %d lines",
                       ERP_MAX_ORDER_LINES);
    }
    for (size_t j = 0; j < order->n_lines; j++) {
        const Crmq__OrderLine *line = order->lines [j];
        char lp [128];
        snprintf (lp, sizeof lp, "%slines[%zu].", p, j);
        if (!s_field (problem, crmq_id_valid, lp, "product_external_id", line->product_external_id, 1, ERP_MAX_ID))
            return false;
        const Crmq__Decimal *quantity = line->quantity;
        snprintf (field, sizeof field, "%squantity", lp);
        if (!quantity || !s_decimal_ok (quantity->units, quantity->nanos)
        ||  s_compare (quantity->units, quantity->nanos, 0) <= 0
        ||  s_compare (quantity->units, quantity->nanos, ERP_MAX_QUANTITY) >= 0)
            return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field,
                           "%s must be above 0 and below %lld", field, ERP_MAX_QUANTITY);
        snprintf (field, sizeof field, "%sunit_price", lp);
        if (!line->unit_price)
            return !erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, field, "%s is required", field);
        if (!s_check_money (line->unit_price, field, currency, problem))
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
    order.currency = "USD";
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
    free (huge);
    if (verbose)
        printf ("OK\n");
}
