/*  cli_client_metrics.h - `crmq report client-metrics`: the per-client
    metrics crmq-analytics keeps from the event log (analytics.ClientMetrics).

      crmq report client-metrics [--client ID]... [--limit N] [--format F]

    With --client, those clients (crmq ids) in the order given, a client no
    sales event named left out; without, the top N clients by revenue (100
    by default, at most 10,000).  The table's title says up to which event
    of the log the figures count ("as of event 1234"); its list leaves out
    the order totals, the returns' amount, updated_at and last_seq, which
    CSV and JSON keep.  JSON is one object:
      { "as_of_seq": 1234, "rows": [ { "client_id", "external_id", "orders",
        "first_order", "last_order", "orders_amount", "returns",
        "returns_amount", "revenue", "shipments", "late_shipments",
        "payments", "late_payments", "updated_at", "last_seq" }, ... ] }
    with amounts as exact strings and instants as "YYYY-MM-DD HH:MM:SS" in
    CRMQ_TIME_ZONE (null when none).                                         */
#ifndef CLI_CLIENT_METRICS_H_INCLUDED
#define CLI_CLIENT_METRICS_H_INCLUDED

#include "crmq.h"
#include "cli_args.h"

#define CLI_CLIENT_METRICS_USAGE \
    "crmq report client-metrics [--client ID]... [--limit N] [--format table|csv|json]"

//  The command, for cli_command_run (group "report").
const cli_command_t *cli_client_metrics_commands (void);

#endif
