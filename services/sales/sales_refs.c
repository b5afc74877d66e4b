/*  sales_refs.c - external id lookups; see sales_refs.h.  */
#include "sales_refs.h"

//  a merged client's documents go to its survivor
static const char *SQL_CLIENT_ID =
    "SELECT coalesce (merged_into, id) FROM sales.clients WHERE external_id = $1";

static const char *SQL_MANAGER_ID =
    "SELECT id FROM sales.managers WHERE external_id = $1";

//  The first unknown product, if any.
static const char *SQL_MISSING_PRODUCT =
    "SELECT t.n - 1, t.product"
    "  FROM unnest($1::text[]) WITH ORDINALITY AS t(product, n)"
    "  LEFT JOIN sales.products p ON p.external_id = t.product"
    " WHERE p.id IS NULL ORDER BY t.n LIMIT 1";

static const char *SQL_LOCK =
    "SELECT sales.lock_documents ($1::int, $2::text[])";

int
sales_refs_lock (crmq_pg_t *pg, int kind, const char *external_ids)
{
    char kind_text [16];
    snprintf (kind_text, sizeof kind_text, "%d", kind);
    const char *values [2] = { kind_text, external_ids };
    return crmq_pg_command (pg, SQL_LOCK, 2, values);
}

int
sales_refs_lock_one (crmq_pg_t *pg, int kind, const char *external_id)
{
    if (!*external_id)
        return 0;
    crmq_pg_array_t *ids = crmq_pg_array_new ();
    crmq_pg_array_append (ids, external_id);
    int rc = sales_refs_lock (pg, kind, crmq_pg_array_text (ids));
    crmq_pg_array_destroy (&ids);
    return rc;
}

int64_t
sales_refs_id (crmq_pg_t *pg, const char *sql, const char *value)
{
    const char *values [1] = { value };
    PGresult *result = crmq_pg_exec (pg, sql, 1, values);
    if (!result)
        return -1;
    int64_t id = PQntuples (result)? strtoll (PQgetvalue (result, 0, 0), NULL, 10): 0;
    PQclear (result);
    return id;
}

int64_t
sales_refs_client (crmq_pg_t *pg, const char *external_id, const char *field,
                   erp_problem_t *problem)
{
    int64_t id = sales_refs_id (pg, SQL_CLIENT_ID, external_id);
    if (id == 0)
        erp_problem_set (problem, CRMQ_NOT_FOUND, field,
                         "unknown client %s: send its master data first", external_id);
    return id;
}

int64_t
sales_refs_manager (crmq_pg_t *pg, const char *external_id, const char *field,
                    erp_problem_t *problem)
{
    if (!*external_id)
        return 0;
    int64_t id = sales_refs_id (pg, SQL_MANAGER_ID, external_id);
    if (id == 0) {
        erp_problem_set (problem, CRMQ_NOT_FOUND, field,
                         "unknown manager %s: send its master data first", external_id);
        return -2;
    }
    return id;
}

int
sales_refs_products (crmq_pg_t *pg, const char *products, const char *lines_field,
                     erp_problem_t *problem)
{
    const char *values [1] = { products };
    PGresult *result = crmq_pg_exec (pg, SQL_MISSING_PRODUCT, 1, values);
    if (!result)
        return -1;
    int rc = CRMQ_OK;
    if (PQntuples (result)) {
        char field [192];
        snprintf (field, sizeof field, "%s[%s].product_external_id", lines_field,
                  PQgetvalue (result, 0, 0));
        rc = erp_problem_set (problem, CRMQ_NOT_FOUND, field,
                              "unknown product %s: send its master data first",
                              PQgetvalue (result, 0, 1));
    }
    PQclear (result);
    return rc;
}
