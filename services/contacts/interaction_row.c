/*  interaction_row.c - an interaction read from a row; see interaction_row.h.  */
#include "interaction_row.h"
#include <jansson.h>

//  A copy of `text` ("" for NULL); aborts on out-of-memory as zmalloc does.
static char *
s_copy (const char *text)
{
    text = text? text: "";
    char *copy = (char *) zmalloc (strlen (text) + 1);
    strcpy (copy, text);
    return copy;
}

//  Reads the jsonb array [{"name", "url", "size_bytes"}] into the
//  interaction's attachments.
static void
s_attachments_read (Crmq__Interaction *interaction, const char *text)
{
    json_t *array = json_loads (text, 0, NULL);
    size_t count = json_is_array (array)? json_array_size (array): 0;
    if (count)
        interaction->attachments = (Crmq__Attachment **) zmalloc (count * sizeof (Crmq__Attachment *));
    for (size_t i = 0; i < count; i++) {
        json_t *item = json_array_get (array, i);
        if (!json_is_object (item))
            continue;
        Crmq__Attachment *attachment = (Crmq__Attachment *) zmalloc (sizeof (Crmq__Attachment));
        crmq__attachment__init (attachment);
        attachment->name = s_copy (json_string_value (json_object_get (item, "name")));
        attachment->url = s_copy (json_string_value (json_object_get (item, "url")));
        json_t *size = json_object_get (item, "size_bytes");
        if (json_is_integer (size))
            attachment->size_bytes = json_integer_value (size);
        else
        if (json_is_real (size))
            attachment->size_bytes = (int64_t) json_real_value (size);
        interaction->attachments [interaction->n_attachments++] = attachment;
    }
    json_decref (array);
}

void
interaction_row_read (Crmq__Interaction *interaction, PGresult *result, int row)
{
    crmq__interaction__init (interaction);
    int k = 0;
    interaction->id = strtoll (PQgetvalue (result, row, k++), NULL, 10);
    interaction->client_id = strtoll (PQgetvalue (result, row, k++), NULL, 10);
    interaction->channel = PQgetvalue (result, row, k++);
    interaction->kind = PQgetvalue (result, row, k++);
    interaction->direction = PQgetvalue (result, row, k++);
    interaction->subject = PQgetvalue (result, row, k++);
    interaction->text = PQgetvalue (result, row, k++);
    interaction->outcome = PQgetvalue (result, row, k++);
    interaction->started_at_us = strtoll (PQgetvalue (result, row, k++), NULL, 10);
    interaction->ended_at_us = strtoll (PQgetvalue (result, row, k++), NULL, 10);
    interaction->manager_id = strtoll (PQgetvalue (result, row, k++), NULL, 10);
    interaction->person_id = strtoll (PQgetvalue (result, row, k++), NULL, 10);
    interaction->deal_ref = PQgetvalue (result, row, k++);
    interaction->order_ref = PQgetvalue (result, row, k++);
    interaction->lead_ref = PQgetvalue (result, row, k++);
    s_attachments_read (interaction, PQgetvalue (result, row, k++));
    interaction->topic = PQgetvalue (result, row, k++);
    interaction->severity = PQgetvalue (result, row, k++);
    interaction->status = PQgetvalue (result, row, k++);
    interaction->created_at_us = strtoll (PQgetvalue (result, row, k++), NULL, 10);
    interaction->actor = PQgetvalue (result, row, k++);
    assert (k == INTERACTION_ROW_NCOLUMNS);
}

void
interaction_row_clear (Crmq__Interaction *interaction)
{
    for (size_t i = 0; i < interaction->n_attachments; i++) {
        free (interaction->attachments [i]->name);
        free (interaction->attachments [i]->url);
        free (interaction->attachments [i]);
    }
    free (interaction->attachments);
    interaction->attachments = NULL;
    interaction->n_attachments = 0;
}
