/*  crmq_topics.c - the topic registry; see crmq_topics.h.  */
#include "crmq.h"
#include "crmq_topics.h"
#include "deals.pb-c.h"

//  Every topic a crmq service writes to bus.outbox (crmq_outbox_write) and
//  the message of its body.  Prefix rows end in ".".
static const crmq_topic_t s_topics [] = {
    //  crmq-contacts: client_search.c (merge), interaction_log.c (requests
    //  and complaints)
    { "contacts.client.merged",    &crmq__client_merged__descriptor,     "contacts" },
    { "contacts.request.opened",   &crmq__interaction_event__descriptor, "contacts" },
    { "contacts.request.updated",  &crmq__interaction_event__descriptor, "contacts" },
    { "contacts.complaint.opened", &crmq__interaction_event__descriptor, "contacts" },
    { "contacts.complaint.updated", &crmq__interaction_event__descriptor, "contacts" },
    //  crmq-sales: deal_store.c, every change of a deal (sales.deal.created,
    //  .updated, .stage_changed, .won, .lost)
    { "sales.deal.",               &crmq__deal_event__descriptor,        "sales" },
    //  crmq-sales: sales_events.c, the ERP's documents as crmq took them in
    { "sales.order.placed",        &crmq__order_event__descriptor,       "sales" },
    { "sales.order.changed",       &crmq__order_event__descriptor,       "sales" },
    { "sales.order.cancelled",     &crmq__order_event__descriptor,       "sales" },
    { "sales.order.shipped",       &crmq__shipment_event__descriptor,    "sales" },
    { "sales.invoice.issued",      &crmq__invoice_event__descriptor,     "sales" },
    { "sales.payment.received",    &crmq__payment_event__descriptor,     "sales" },
    { "sales.return.registered",   &crmq__return_event__descriptor,      "sales" },
    //  Statement triggers (services/bus/sql/004_data_changed.sql):
    //  data.changed.<schema>.<table> for the tables whose changes have no
    //  event of their own (contacts.clients, sales.products, ...)
    { "data.changed.contacts.",    &crmq__data_changed__descriptor,      "contacts" },
    { "data.changed.sales.",       &crmq__data_changed__descriptor,      "sales" },
    //  Every alert (alerts.proto), crmq-scheduler: alert.payment.late,
    //  alert.shipment.late, alert.client.activity_drop, ...
    { "alert.",                    &crmq__alert__descriptor,             "scheduler" },
    //  crmq-analytics: report_templates.c, the scheduled runs of report
    //  templates
    { "analytics.report.ready",    &crmq__report_ready__descriptor,      "analytics" },
    { "analytics.report.failed",   &crmq__report_failed__descriptor,     "analytics" },
    //  crmq-bus's own marks, "bus.mark." + the prefix they vouch for
    { "bus.mark.",                 &crmq__bus_mark__descriptor,          "bus" },
};

#define S_TOPICS (sizeof s_topics / sizeof s_topics [0])

const ProtobufCMessageDescriptor *
crmq_topic_descriptor (const char *topic)
{
    if (!topic)
        return NULL;
    const crmq_topic_t *best = NULL;
    size_t best_length = 0;
    for (size_t i = 0; i < S_TOPICS; i++) {
        const char *row = s_topics [i].topic;
        size_t length = strlen (row);
        bool prefix = length > 0 && row [length - 1] == '.';
        if (!prefix) {
            if (streq (row, topic))
                return s_topics [i].descriptor;
        }
        else
        if (strncmp (row, topic, length) == 0 && topic [length] && length > best_length) {
            best = &s_topics [i];
            best_length = length;
        }
    }
    return best? best->descriptor: NULL;
}

const crmq_topic_t *
crmq_topics (size_t *count)
{
    *count = S_TOPICS;
    return s_topics;
}

void
crmq_topics_test (bool verbose)
{
    printf (" * crmq_topics: ");
    if (verbose)
        printf ("\n");
    assert (crmq_topic_descriptor ("contacts.client.merged") == &crmq__client_merged__descriptor);
    assert (crmq_topic_descriptor ("contacts.complaint.updated")
            == &crmq__interaction_event__descriptor);
    //  exact rows are exact
    assert (crmq_topic_descriptor ("contacts.client.merged.x") == NULL);
    assert (crmq_topic_descriptor ("contacts.client") == NULL);
    //  prefix rows match what follows them, not the prefix alone
    assert (crmq_topic_descriptor ("sales.deal.won") == &crmq__deal_event__descriptor);
    assert (crmq_topic_descriptor ("sales.deal.") == NULL);
    assert (crmq_topic_descriptor ("sales.dealer.x") == NULL);
    assert (crmq_topic_descriptor ("sales.order.placed") == &crmq__order_event__descriptor);
    assert (crmq_topic_descriptor ("sales.order.shipped") == &crmq__shipment_event__descriptor);
    assert (crmq_topic_descriptor ("sales.payment.received") == &crmq__payment_event__descriptor);
    assert (crmq_topic_descriptor ("sales.order") == NULL);
    assert (crmq_topic_descriptor ("alert.payment.late") == &crmq__alert__descriptor);
    assert (crmq_topic_descriptor ("alert.client.activity_drop") == &crmq__alert__descriptor);
    assert (crmq_topic_descriptor ("data.changed.contacts.clients") == &crmq__data_changed__descriptor);
    assert (crmq_topic_descriptor ("data.changed.sales.product_groups")
            == &crmq__data_changed__descriptor);
    assert (crmq_topic_descriptor ("data.changed.sales.") == NULL);
    assert (crmq_topic_descriptor ("data.changed.") == NULL);
    assert (crmq_topic_descriptor ("analytics.report.ready") == &crmq__report_ready__descriptor);
    assert (crmq_topic_descriptor ("analytics.report.failed") == &crmq__report_failed__descriptor);
    assert (crmq_topic_descriptor ("analytics.report") == NULL);
    assert (crmq_topic_descriptor ("bus.mark.sales.") == &crmq__bus_mark__descriptor);
    assert (crmq_topic_descriptor ("bus.mark.") == NULL);
    assert (crmq_topic_descriptor ("") == NULL);
    assert (crmq_topic_descriptor (NULL) == NULL);
    assert (crmq_topic_descriptor ("unknown.topic") == NULL);

    //  every row is well formed, and no two rows name the same topic
    size_t count;
    const crmq_topic_t *topics = crmq_topics (&count);
    assert (count >= 17);
    for (size_t i = 0; i < count; i++) {
        assert (topics [i].topic && *topics [i].topic && topics [i].descriptor);
        assert (topics [i].descriptor->magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
        for (size_t j = i + 1; j < count; j++)
            assert (!streq (topics [i].topic, topics [j].topic));
        if (verbose)
            printf ("   %-28s %s\n", topics [i].topic, topics [i].descriptor->name);
    }
    printf ("OK\n");
}
