/*  crmq.h - libcrmq: what every crmq binary shares.

    Include this one header; it pulls in czmq, libpq, hiredis, protobuf-c and
    the generated message types (build/gen/ *.pb-c.h).                      */
#ifndef CRMQ_H_INCLUDED
#define CRMQ_H_INCLUDED

#include <czmq.h>
#include <libpq-fe.h>
#include <hiredis/hiredis.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "crmq.pb-c.h"
#include "contacts.pb-c.h"
#include "sales.pb-c.h"
#include "analytics.pb-c.h"
#include "contacts_erp.pb-c.h"
#include "bus.pb-c.h"
#include "alerts.pb-c.h"

#include "crmq_status.h"
#include "crmq_log.h"
#include "crmq_config.h"
#include "crmq_decimal.h"
#include "crmq_time.h"
#include "crmq_backoff.h"
#include "crmq_pg.h"
#include "crmq_redis.h"
#include "crmq_rpc_server.h"
#include "crmq_rpc_client.h"
#include "crmq_publisher.h"
#include "crmq_migrate.h"
#include "crmq_validate.h"
#include "crmq_pg_array.h"
#include "crmq_pg_copy.h"
#include "crmq_message.h"
#include "crmq_outbox.h"
#include "crmq_consumer.h"
#include "crmq_topics.h"
#include "crmq_event_json.h"
#include "crmq_phone.h"
#include "crmq_service.h"

#endif
