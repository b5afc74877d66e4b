/*  test_contacts_rules - the rules crmq-contacts holds its input to, against
    the running stack:

    phones   read in the client's own country ("030-0074321" of a client in
             "Germany" is +49300074321, a UK one +44...), on CreateClient,
             UpdateClient (the country after the update: setting only the
             country reads the stored phone again), AddChannel (the owning
             client's country), the ERP's UpsertClients and sales.Ingest; a
             country that names none falls back to CRMQ_DEFAULT_COUNTRY
             (RU); Search reads a query in the default region and takes a
             '+' anywhere;
    merge    the merged client's phone in another format than the
             survivor's, or its e-mail in another case, adds no channel; its
             own channels the survivor has already are dropped, not moved
             (and not counted), the survivor's equal one taking the primary
             flag; a phone with no E.164 form and an e-mail that is no
             address never become channels;
    names    tab, line feed, U+0085, U+202E, U+2066 and blank names are
             refused (3, the field named, nothing changed) for clients,
             legal names, persons, managers, segments, and the ERP's
             clients, managers and products through sales.Ingest;
    e-mails  "a@b..ru", ".a@b.ru", "a@-b.ru" and their like refused (3),
             Cyrillic addresses taken;
    dates    relationship_since after today (9999-12-31, tomorrow) or
             before 1900-01-01 refused (3);
    ERP      an ERP re-send without e-mail, city, address or manager keeps
             what UpdateClient set, writes no new version; a non-empty ERP
             value still wins.

    External ids carry a prefix unique to the run (other tests share the
    database).                                                              */
#include "test_support.h"

static crmq_rpc_client_t *s_contacts;
static crmq_rpc_client_t *s_sales;
static crmq_pg_t *s_pg;
static char s_prefix [48];                  //  "RULES-<run>-"

//  test_call on the test's crmq-contacts client.
static int
s_call (const char *method, const ProtobufCMessage *request,
        const ProtobufCMessageDescriptor *descriptor, ProtobufCMessage **answer)
{
    return test_call (s_contacts, method, request, descriptor, answer);
}

//  md5 over every row of every table a request of this test could change:
//  the contacts schema, the outbox, what crmq-sales keeps of ERP events.
//  Caller frees.
static char *
s_fingerprint (void)
{
    static const char *const tables [] = {
        "contacts.clients", "contacts.managers", "contacts.persons", "contacts.channels",
        "contacts.interactions", "contacts.segments", "contacts.segment_members",
        "contacts.merges", "contacts.audit", "contacts.request_keys", "bus.outbox",
        "sales.erp_events", "sales.clients", "sales.managers", "sales.products", NULL };
    return test_fingerprint_of (s_pg, tables);
}

//  Calls `method` expecting it to fail with want_code naming want_field,
//  its message holding `words` (NULL: not checked), and nothing changed.
static void
s_refused (const char *what, const char *method, const ProtobufCMessage *request,
           const ProtobufCMessageDescriptor *descriptor, int want_code, const char *want_field,
           const char *words)
{
    char *before = s_fingerprint ();
    ProtobufCMessage *answer;
    int code = s_call (method, request, descriptor, &answer);
    if (answer)
        protobuf_c_message_free_unpacked (answer, NULL);
    const char *field = code? crmq_rpc_client_field (s_contacts): "";
    const char *message = code? crmq_rpc_client_message (s_contacts): "";
    printf ("  %s: %d %s: %s\n", what, code, field, message);
    CHECK (code == want_code && streq (field, want_field) && (!words || strstr (message, words)),
           "%s: code %d field '%s' message '%s', expected %d '%s' '%s'", what, code, field,
           message, want_code, want_field, words? words: "");
    char *after = s_fingerprint ();
    CHECK (streq (before, after), "%s: nothing changed", what);
    free (before);
    free (after);
}

//  CreateClient; returns the client as stored (caller frees with
//  crmq__client_reply__free_unpacked on its reply: here the reply), or NULL
//  after a FAIL.
static Crmq__ClientReply *
s_create (const char *external_id, const char *name, const char *country, const char *phone,
          const char *email)
{
    Crmq__Client client = CRMQ__CLIENT__INIT;
    client.external_id = (char *) external_id;
    client.name = (char *) name;
    client.country = (char *) country;
    client.phone = (char *) phone;
    client.email = (char *) email;
    Crmq__ClientRequest request = CRMQ__CLIENT_REQUEST__INIT;
    request.client = &client;
    request.actor = "test_contacts_rules";
    ProtobufCMessage *answer;
    int code = s_call ("contacts.CreateClient", &request.base, &crmq__client_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "CreateClient %s: code %d %s", name, code,
           crmq_rpc_client_message (s_contacts));
    return (Crmq__ClientReply *) answer;
}

//  UpdateClient of `client` setting `fields` (count of them); returns the
//  code, the reply in *answer on 0 (caller frees).
static int
s_update (Crmq__Client *client, char **fields, size_t count, Crmq__ClientReply **answer)
{
    Crmq__ClientRequest request = CRMQ__CLIENT_REQUEST__INIT;
    request.client = client;
    request.fields = fields;
    request.n_fields = count;
    request.actor = "test_contacts_rules";
    return s_call ("contacts.UpdateClient", &request.base, &crmq__client_reply__descriptor,
                   (ProtobufCMessage **) answer);
}

//  AddChannel; returns the channel's reply (caller frees) or NULL with the
//  code in *code_p.
static Crmq__ChannelReply *
s_add_channel (int64_t client_id, int64_t person_id, const char *type, const char *value,
               bool primary, int *code_p)
{
    Crmq__Channel channel = CRMQ__CHANNEL__INIT;
    channel.client_id = client_id;
    channel.person_id = person_id;
    channel.type = (char *) type;
    channel.value = (char *) value;
    channel.primary = primary;
    Crmq__ChannelRequest request = CRMQ__CHANNEL_REQUEST__INIT;
    request.channel = &channel;
    request.actor = "test_contacts_rules";
    ProtobufCMessage *answer;
    int code = s_call ("contacts.AddChannel", &request.base, &crmq__channel_reply__descriptor, &answer);
    if (code_p)
        *code_p = code;
    return (Crmq__ChannelReply *) answer;
}

//  Sends one event to sales.Ingest; returns its result's code (-1 when the
//  batch failed), its error field into `field` (size bytes).
static int
s_ingest_one (Crmq__ErpEvent *event, char *field, size_t size)
{
    Crmq__IngestReply *answer = NULL;
    int code = test_ingest (s_sales, &event, 1, &answer);
    *field = 0;
    int result = -1;
    if (code == CRMQ_OK && answer && answer->n_results == 1) {
        result = answer->results [0]->code;
        if (answer->results [0]->error)
            snprintf (field, size, "%s", answer->results [0]->error->field);
    }
    else
        printf ("  sales.Ingest: code %d %s\n", code, crmq_rpc_client_message (s_sales));
    if (answer)
        crmq__ingest_reply__free_unpacked (answer, NULL);
    return result;
}

//  Search: true when a hit is the client `id`, matched as `matched`.
static bool
s_search_finds (const char *query, int64_t id, const char *matched)
{
    Crmq__SearchRequest request = CRMQ__SEARCH_REQUEST__INIT;
    request.query = (char *) query;
    request.limit = 100;
    ProtobufCMessage *answer;
    int code = s_call ("contacts.Search", &request.base, &crmq__search_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "search %s: code %d %s", query, code, crmq_rpc_client_message (s_contacts));
    bool found = false;
    if (answer) {
        Crmq__SearchReply *reply = (Crmq__SearchReply *) answer;
        for (size_t i = 0; i < reply->n_hits; i++)
            if (reply->hits [i]->client && reply->hits [i]->client->id == id
            &&  streq (reply->hits [i]->matched, matched))
                found = true;
        protobuf_c_message_free_unpacked (answer, NULL);
    }
    return found;
}

//  --------------------------------------------------------------------------

static void
s_test_phones (void)
{
    printf ("phones: read in the client's own country\n");
    Crmq__ClientReply *german = s_create (test_ext_id (s_prefix, "DE"), "Prüfstand Nord GmbH «Regeln»", "Germany",
                                          "030-0074321", "");
    int64_t german_id = german? german->client->id: 0;
    if (german) {
        CHECK (streq (german->client->phone, "030-0074321")
               && streq (german->client->phone_e164, "+49300074321"),
               "German 030-0074321: %s, expected +49300074321", german->client->phone_e164);
        crmq__client_reply__free_unpacked (german, NULL);
    }
    Crmq__ClientReply *british = s_create (test_ext_id (s_prefix, "UK"), "Harbour Test Works (rules)", "UK",
                                           "(171) 555-0123", "");
    if (british) {
        CHECK (streq (british->client->phone_e164, "+441715550123"),
               "UK (171) 555-0123: %s, expected +441715550123", british->client->phone_e164);
        crmq__client_reply__free_unpacked (british, NULL);
    }
    Crmq__ClientReply *russian = s_create (test_ext_id (s_prefix, "RU"), "ООО «Правила»", "Россия",
                                           "8 (495) 765-43-21", "");
    if (russian) {
        CHECK (streq (russian->client->phone_e164, "+74957654321"), "Russian: %s",
               russian->client->phone_e164);
        crmq__client_reply__free_unpacked (russian, NULL);
    }
    //  no country, or one that names none: the default region (RU)
    Crmq__ClientReply *nowhere = s_create (test_ext_id (s_prefix, "NOWHERE"), "Nowhere Trading", "Narnia",
                                           "030-0074321", "");
    int64_t nowhere_id = nowhere? nowhere->client->id: 0;
    if (nowhere) {
        CHECK (streq (nowhere->client->phone_e164, "+70300074321"),
               "unknown country: the default region: %s", nowhere->client->phone_e164);
        crmq__client_reply__free_unpacked (nowhere, NULL);
    }
    //  a number that is none in the client's country
    {
        Crmq__Client client = CRMQ__CLIENT__INIT;
        client.name = "Kein Telefon GmbH";
        client.country = "Deutschland";
        client.phone = "123";
        Crmq__ClientRequest request = CRMQ__CLIENT_REQUEST__INIT;
        request.client = &client;
        s_refused ("German phone 123", "contacts.CreateClient", &request.base,
                   &crmq__client_reply__descriptor, 3, "client.phone", "\"Deutschland\"");
    }

    printf ("UpdateClient: the country after the update\n");
    {
        //  setting the country alone reads the stored phone again
        Crmq__Client change = CRMQ__CLIENT__INIT;
        change.id = nowhere_id;
        change.country = "Deutschland";
        char *fields [] = { "country" };
        Crmq__ClientReply *updated = NULL;
        int code = s_update (&change, fields, 1, &updated);
        CHECK (code == CRMQ_OK && updated && streq (updated->client->phone, "030-0074321")
               && streq (updated->client->phone_e164, "+49300074321"),
               "country set to Deutschland: code %d phone_e164 %s", code,
               updated? updated->client->phone_e164: "-");
        if (updated)
            crmq__client_reply__free_unpacked (updated, NULL);
        //  setting the phone alone reads it in the stored country
        change.country = "";
        change.phone = "0171 1234567";
        char *phone_field [] = { "phone" };
        code = s_update (&change, phone_field, 1, &updated);
        CHECK (code == CRMQ_OK && updated && streq (updated->client->phone_e164, "+491711234567"),
               "phone 0171 1234567 of a German client: code %d %s", code,
               updated? updated->client->phone_e164: "-");
        if (updated)
            crmq__client_reply__free_unpacked (updated, NULL);
        //  both: the new country
        change.country = "United Kingdom";
        change.phone = "020 7946 0958";
        char *both [] = { "phone", "country" };
        code = s_update (&change, both, 2, &updated);
        CHECK (code == CRMQ_OK && updated && streq (updated->client->phone_e164, "+442079460958"),
               "phone and country set together: code %d %s", code,
               updated? updated->client->phone_e164: "-");
        if (updated)
            crmq__client_reply__free_unpacked (updated, NULL);
        //  a phone that is none in the stored country: refused, nothing changed
        change.phone = "123";
        Crmq__ClientRequest request = CRMQ__CLIENT_REQUEST__INIT;
        request.client = &change;
        request.fields = phone_field;
        request.n_fields = 1;
        s_refused ("UK phone 123", "contacts.UpdateClient", &request.base,
                   &crmq__client_reply__descriptor, 3, "client.phone", "United Kingdom");
    }

    printf ("AddChannel: the owning client's country\n");
    {
        int code;
        Crmq__ChannelReply *mobile = s_add_channel (german_id, 0, "phone", "0171 7654321", false, &code);
        CHECK (code == CRMQ_OK && mobile && streq (mobile->channel->normalized, "+491717654321"),
               "German channel 0171 7654321: code %d %s", code,
               mobile? mobile->channel->normalized: crmq_rpc_client_message (s_contacts));
        if (mobile)
            crmq__channel_reply__free_unpacked (mobile, NULL);
        //  a person's channel: the person's client's country
        Crmq__Person person = CRMQ__PERSON__INIT;
        person.client_id = german_id;
        person.name = "Prüf Kontakt";
        person.active = true;
        Crmq__PersonRequest request = CRMQ__PERSON_REQUEST__INIT;
        request.person = &person;
        ProtobufCMessage *answer;
        code = s_call ("contacts.SavePerson", &request.base, &crmq__person_reply__descriptor, &answer);
        CHECK (code == CRMQ_OK, "SavePerson Maria Anders: %d %s", code, crmq_rpc_client_message (s_contacts));
        int64_t person_id = answer? ((Crmq__PersonReply *) answer)->person->id: 0;
        if (answer)
            protobuf_c_message_free_unpacked (answer, NULL);
        Crmq__ChannelReply *office = s_add_channel (0, person_id, "phone", "(030) 007 43 22", true, &code);
        CHECK (code == CRMQ_OK && office && streq (office->channel->normalized, "+49300074322"),
               "a German person's channel (030) 007 43 22: code %d %s", code,
               office? office->channel->normalized: crmq_rpc_client_message (s_contacts));
        if (office)
            crmq__channel_reply__free_unpacked (office, NULL);
        //  a number with its country code keeps it
        Crmq__ChannelReply *moscow = s_add_channel (german_id, 0, "phone", "+7 495 111-22-33", false, &code);
        CHECK (code == CRMQ_OK && moscow && streq (moscow->channel->normalized, "+74951112233"),
               "+7 495 on a German client: %s", moscow? moscow->channel->normalized: "-");
        if (moscow)
            crmq__channel_reply__free_unpacked (moscow, NULL);
        Crmq__Channel bad = CRMQ__CHANNEL__INIT;
        bad.client_id = german_id;
        bad.type = "phone";
        bad.value = "12";
        Crmq__ChannelRequest bad_request = CRMQ__CHANNEL_REQUEST__INIT;
        bad_request.channel = &bad;
        s_refused ("German channel 12", "contacts.AddChannel", &bad_request.base,
                   &crmq__channel_reply__descriptor, 3, "channel.value", "Germany");
    }

    printf ("ERP: UpsertClients and sales.Ingest read the client's country\n");
    {
        Crmq__Client client = CRMQ__CLIENT__INIT;
        client.external_id = (char *) test_ext_id (s_prefix, "ERP-UK");
        client.name = "Sieben Meere Prüfhaus";
        client.country = "UK";
        client.phone = "(171) 555-0456";
        int64_t id = test_upsert_client (s_contacts, &client);
        char e164 [32];
        CHECK (streq (test_value (s_pg, e164, sizeof e164, "SELECT phone_e164 FROM contacts.clients WHERE id = $1::bigint",
                               test_id_text (id), NULL), "+441715550456"),
               "UpsertClients UK (171) 555-0456: %s", e164);
        Crmq__ErpEvent *event = test_client_event (test_ext_id (s_prefix, "ev-de"), test_ext_id (s_prefix, "ERP-DE"), "Blaues Prüfhaus");
        event->client->country = strdup ("Germany");
        event->client->phone = strdup ("0621-09999");
        char field [128];
        int code = s_ingest_one (event, field, sizeof field);
        test_event_destroy (&event);
        CHECK (code == 0, "Ingest of a German client: %d %s", code, field);
        CHECK (streq (test_value (s_pg, e164, sizeof e164, "SELECT phone_e164 FROM contacts.clients WHERE external_id = $1",
                               test_ext_id (s_prefix, "ERP-DE"), NULL), "+4962109999"),
               "sales.Ingest German 0621-09999: %s, expected +4962109999", e164);
    }

    printf ("Search: the default region, '+' anywhere\n");
    CHECK (s_search_finds ("+49 30 0074321", german_id, "phone"), "+49 30 0074321 finds the German client");
    CHECK (s_search_finds ("(+49) 30 007-43-21", german_id, "phone"), "(+49) 30 007-43-21 too");
    CHECK (s_search_finds ("0049 30 0074321", german_id, "phone") == false,
           "0049 ... is no number in the default region (RU dials 8 10)");
    CHECK (s_search_finds ("8 10 49 30 0074321", german_id, "phone"), "8 10 49 ... (RU's international prefix)");
    CHECK (s_search_finds ("+49 171 7654321", german_id, "phone"), "a channel's number, with its country code");
}

static void
s_test_merge (void)
{
    printf ("merge: the merged client's phone in another format adds no channel\n");
    Crmq__ClientReply *s = s_create (test_ext_id (s_prefix, "MS"), "Регламент Плюс", "Россия",
                                     "+7 (495) 111-22-44", "");
    Crmq__ClientReply *m = s_create (test_ext_id (s_prefix, "MM"), "«Регламент плюс»", "",
                                     "8 495 1112244", "SALES@roga-pravila.ru");
    int64_t survivor = s? s->client->id: 0, merged = m? m->client->id: 0;
    if (s)
        crmq__client_reply__free_unpacked (s, NULL);
    if (m)
        crmq__client_reply__free_unpacked (m, NULL);
    //  the survivor's own channels: a phone (not primary) and an e-mail
    Crmq__ChannelReply *reply;
    int code;
    reply = s_add_channel (survivor, 0, "phone", "+7 495 222-33-55", false, &code);
    int64_t survivor_phone = reply? reply->channel->id: 0;
    if (reply)
        crmq__channel_reply__free_unpacked (reply, NULL);
    reply = s_add_channel (survivor, 0, "email", "sales@roga-pravila.ru", false, &code);
    if (reply)
        crmq__channel_reply__free_unpacked (reply, NULL);
    //  the merged client's own: the survivor's phone in another format, as
    //  its primary; a phone of its own; the survivor's e-mail in capitals
    reply = s_add_channel (merged, 0, "phone", "8 (495) 222-33-55", true, &code);
    if (reply)
        crmq__channel_reply__free_unpacked (reply, NULL);
    reply = s_add_channel (merged, 0, "phone", "+7 495 999-00-55", false, &code);
    int64_t own_phone = reply? reply->channel->id: 0;
    if (reply)
        crmq__channel_reply__free_unpacked (reply, NULL);
    reply = s_add_channel (merged, 0, "email", "Sales@Roga-Pravila.RU", false, &code);
    if (reply)
        crmq__channel_reply__free_unpacked (reply, NULL);
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels WHERE client_id IN ($1::bigint, $2::bigint)",
                     test_id_text (survivor), test_id_text (merged), NULL) == 5, "5 channels before the merge");
    long long channels_before = test_number (s_pg, "SELECT count(*) FROM contacts.channels", NULL);

    Crmq__MergeClientsRequest request = CRMQ__MERGE_CLIENTS_REQUEST__INIT;
    request.survivor_id = survivor;
    request.merged_id = merged;
    request.actor = "test_contacts_rules";
    ProtobufCMessage *answer;
    code = s_call ("contacts.MergeClients", &request.base, &crmq__merge_clients_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "merge: code %d %s", code, crmq_rpc_client_message (s_contacts));
    if (answer) {
        Crmq__MergeClientsReply *merge = (Crmq__MergeClientsReply *) answer;
        CHECK (merge->channels_moved == 1, "1 channel moved (its own phone), the 2 duplicates not: %d",
               merge->channels_moved);
        CHECK (streq (merge->survivor->phone, "+7 (495) 111-22-44")
               && streq (merge->survivor->phone_e164, "+74951112244")
               && streq (merge->survivor->email, "SALES@roga-pravila.ru"),
               "survivor's phone kept, e-mail filled: %s %s %s", merge->survivor->phone,
               merge->survivor->phone_e164, merge->survivor->email);
        protobuf_c_message_free_unpacked (answer, NULL);
    }
    const char *S = test_id_text (survivor);
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels WHERE client_id = $1::bigint AND type = 'phone'"
                     " AND normalized = '+74951112244'", S, NULL) == 0,
           "the merged client's phone, the survivor's in another format: no channel");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels WHERE client_id = $1::bigint AND type = 'phone'"
                     " AND normalized = '+74952223355'", S, NULL) == 1, "the duplicate phone channel dropped");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels WHERE id = $1::bigint AND is_primary",
                     test_id_text (survivor_phone), NULL) == 1,
           "the survivor's equal channel took the dropped one's primary flag");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels WHERE client_id = $1::bigint AND type = 'email'"
                     " AND normalized = 'sales@roga-pravila.ru'", S, NULL) == 1,
           "one e-mail channel: neither the moved duplicate nor the merged e-mail added");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels WHERE id = $1::bigint AND client_id = $2::bigint",
                     test_id_text (own_phone), S, NULL) == 1, "the merged client's own phone moved");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels WHERE client_id = $1::bigint", S, NULL) == 3,
           "3 channels on the survivor");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels", NULL) == channels_before - 2,
           "the 2 duplicates are gone, nothing else");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels WHERE client_id = $1::bigint", test_id_text (merged),
                     NULL) == 0, "nothing left on the merged client");

    printf ("merge: a phone with no E.164 form, an e-mail that is no address: no channel\n");
    Crmq__Client erp = CRMQ__CLIENT__INIT;
    erp.external_id = (char *) test_ext_id (s_prefix, "MS2");
    erp.name = "Survivor Two (rules)";
    erp.phone = "+7 812 300-40-55";
    erp.email = "office@two.example";
    int64_t survivor2 = test_upsert_client (s_contacts, &erp);
    erp.external_id = (char *) test_ext_id (s_prefix, "MM2");
    erp.name = "Merged Two (rules)";
    erp.phone = "доб. 12345";               //  the ERP keeps it as sent, without E.164
    erp.email = "a@b..ru";                  //  nor does the ERP check e-mails
    int64_t merged2 = test_upsert_client (s_contacts, &erp);
    char e164 [32];
    CHECK (streq (test_value (s_pg, e164, sizeof e164, "SELECT phone_e164 FROM contacts.clients WHERE id = $1::bigint",
                           test_id_text (merged2), NULL), ""), "the ERP's phone without E.164: '%s'", e164);
    request.survivor_id = survivor2;
    request.merged_id = merged2;
    code = s_call ("contacts.MergeClients", &request.base, &crmq__merge_clients_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "merge 2: code %d %s", code, crmq_rpc_client_message (s_contacts));
    if (answer)
        protobuf_c_message_free_unpacked (answer, NULL);
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels WHERE client_id = $1::bigint",
                     test_id_text (survivor2), NULL) == 0, "no channel from the phone without E.164 nor the bad e-mail");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels h JOIN contacts.clients c ON c.id = h.client_id"
                     " WHERE h.type = 'phone' AND h.normalized = '' AND c.external_id LIKE $1 || '%'",
                     s_prefix, NULL) == 0, "no phone channel of this test without its normalized value");
}

//  Waits (up to 20 s) until crmq-sales applied every contacts.client.merged
//  event of the outbox (its job moves the merged client's orders, writing
//  sales tables the fingerprints cover).
static void
s_wait_merges_applied (void)
{
    long long pending = -1;
    for (int attempt = 0; attempt < 200; attempt++) {
        pending = test_number (s_pg, "SELECT count(*) FROM bus.outbox o WHERE o.topic = 'contacts.client.merged'"
                            " AND NOT EXISTS (SELECT 1 FROM sales.applied_events a WHERE a.seq = o.seq)",
                            NULL);
        if (pending == 0)
            break;
        zclock_sleep (100);
    }
    CHECK (pending == 0, "crmq-sales applied the merges: %lld pending", pending);
}

//  Every way a name enters: the field is refused with 3 and nothing changes.
static void
s_test_names (void)
{
    printf ("names: control characters, bidi overrides, blank\n");
    const char *bad [] = { "Tab\tName", "Line\nName", "Next\xC2\x85Line", "evil\xE2\x80\xAEgnp",
                           "\xE2\x81\xA6isolated", "   ", "\xC2\xA0\xE3\x80\x80", NULL };
    const char *label [] = { "tab", "line feed", "U+0085", "U+202E", "U+2066", "blank",
                             "NBSP and ideographic space", NULL };
    Crmq__ClientReply *created = s_create (test_ext_id (s_prefix, "NAMES"), "Имена «Ок»", "", "", "");
    int64_t id = created? created->client->id: 0;
    if (created)
        crmq__client_reply__free_unpacked (created, NULL);
    char what [128];
    for (int i = 0; bad [i]; i++) {
        Crmq__Client client = CRMQ__CLIENT__INIT;
        Crmq__ClientRequest request = CRMQ__CLIENT_REQUEST__INIT;
        request.client = &client;
        client.name = (char *) bad [i];
        snprintf (what, sizeof what, "CreateClient name with %s", label [i]);
        s_refused (what, "contacts.CreateClient", &request.base, &crmq__client_reply__descriptor, 3,
                   "client.name", NULL);
        client.name = "Годное имя";
        client.legal_name = (char *) bad [i];
        snprintf (what, sizeof what, "CreateClient legal_name with %s", label [i]);
        s_refused (what, "contacts.CreateClient", &request.base, &crmq__client_reply__descriptor, 3,
                   "client.legal_name", NULL);
        client.legal_name = "";
        client.id = id;
        client.name = (char *) bad [i];
        char *fields [] = { "name" };
        request.fields = fields;
        request.n_fields = 1;
        snprintf (what, sizeof what, "UpdateClient name with %s", label [i]);
        s_refused (what, "contacts.UpdateClient", &request.base, &crmq__client_reply__descriptor, 3,
                   "client.name", NULL);

        Crmq__Person person = CRMQ__PERSON__INIT;
        person.client_id = id;
        person.name = (char *) bad [i];
        Crmq__PersonRequest person_request = CRMQ__PERSON_REQUEST__INIT;
        person_request.person = &person;
        snprintf (what, sizeof what, "SavePerson name with %s", label [i]);
        s_refused (what, "contacts.SavePerson", &person_request.base, &crmq__person_reply__descriptor, 3,
                   "person.name", NULL);

        Crmq__Manager manager = CRMQ__MANAGER__INIT;
        manager.external_id = (char *) test_ext_id (s_prefix, "MGR");
        manager.name = (char *) bad [i];
        manager.active = true;
        Crmq__Manager *managers [1] = { &manager };
        Crmq__UpsertManagersRequest manager_request = CRMQ__UPSERT_MANAGERS_REQUEST__INIT;
        manager_request.n_managers = 1;
        manager_request.managers = managers;
        snprintf (what, sizeof what, "UpsertManagers name with %s", label [i]);
        s_refused (what, "contacts.UpsertManagers", &manager_request.base,
                   &crmq__upsert_managers_reply__descriptor, 3, "managers[0].name", NULL);

        Crmq__Client erp = CRMQ__CLIENT__INIT;
        erp.external_id = (char *) test_ext_id (s_prefix, "ERP-NAMES");
        erp.name = (char *) bad [i];
        Crmq__Client *clients [1] = { &erp };
        Crmq__UpsertClientsRequest clients_request = CRMQ__UPSERT_CLIENTS_REQUEST__INIT;
        clients_request.n_clients = 1;
        clients_request.clients = clients;
        snprintf (what, sizeof what, "UpsertClients name with %s", label [i]);
        s_refused (what, "contacts.UpsertClients", &clients_request.base,
                   &crmq__upsert_clients_reply__descriptor, 3, "clients[0].name", NULL);
        erp.name = "ERP Names";
        erp.legal_name = (char *) bad [i];
        snprintf (what, sizeof what, "UpsertClients legal_name with %s", label [i]);
        s_refused (what, "contacts.UpsertClients", &clients_request.base,
                   &crmq__upsert_clients_reply__descriptor, 3, "clients[0].legal_name", NULL);

        Crmq__Segment segment = CRMQ__SEGMENT__INIT;
        segment.name = (char *) bad [i];
        segment.kind = "static";
        Crmq__SegmentRequest segment_request = CRMQ__SEGMENT_REQUEST__INIT;
        segment_request.segment = &segment;
        snprintf (what, sizeof what, "SaveSegment name with %s", label [i]);
        s_refused (what, "contacts.SaveSegment", &segment_request.base, &crmq__segment_reply__descriptor,
                   3, "segment.name", NULL);
    }
    //  the same through sales.Ingest: the event is rejected, nothing kept
    char event_id [96];
    for (int i = 0; bad [i]; i++) {
        Crmq__ErpEvent *events [3];
        snprintf (event_id, sizeof event_id, "%sev-name-c%d", s_prefix, i);
        events [0] = test_client_event (event_id, test_ext_id (s_prefix, "ERP-BAD"), bad [i]);
        snprintf (event_id, sizeof event_id, "%sev-name-p%d", s_prefix, i);
        events [1] = test_product_event (event_id, test_ext_id (s_prefix, "PRODUCT"), bad [i]);
        snprintf (event_id, sizeof event_id, "%sev-name-m%d", s_prefix, i);
        events [2] = (Crmq__ErpEvent *) zmalloc (sizeof (Crmq__ErpEvent));
        crmq__erp_event__init (events [2]);
        events [2]->event_id = strdup (event_id);
        events [2]->body_case = CRMQ__ERP_EVENT__BODY_MANAGER;
        events [2]->manager = (Crmq__Manager *) zmalloc (sizeof (Crmq__Manager));
        crmq__manager__init (events [2]->manager);
        events [2]->manager->external_id = strdup (test_ext_id (s_prefix, "ERP-MGR"));
        events [2]->manager->name = strdup (bad [i]);
        const char *fields [3] = { "events[0].client.name", "events[1].product.name",
                                   "events[2].manager.name" };
        char *before = s_fingerprint ();
        Crmq__IngestReply *answer = NULL;
        int code = test_ingest (s_sales, events, 3, &answer);
        CHECK (code == CRMQ_OK && answer && answer->n_results == 3 && answer->rejected == 3,
               "Ingest names with %s: code %d, %d rejected", label [i], code, answer? answer->rejected: -1);
        for (size_t e = 0; answer && e < answer->n_results && e < 3; e++)
            CHECK (answer->results [e]->code == 3 && answer->results [e]->error
                   && streq (answer->results [e]->error->field, fields [e]),
                   "Ingest %s with %s: code %d field %s", fields [e], label [i], answer->results [e]->code,
                   answer->results [e]->error? answer->results [e]->error->field: "-");
        if (answer)
            crmq__ingest_reply__free_unpacked (answer, NULL);
        char *after = s_fingerprint ();
        CHECK (streq (before, after), "Ingest names with %s: nothing changed", label [i]);
        free (before);
        free (after);
        for (int e = 0; e < 3; e++)
            test_event_destroy (&events [e]);
    }
    //  names that are fine: quotes, Cyrillic, a no-break space inside, an LRM
    Crmq__ClientReply *fine = s_create (test_ext_id (s_prefix, "FINE"), "«Müller\xC2\xA0& Söhne» \xE2\x80\x8E(DE)", "", "", "");
    CHECK (fine != NULL, "a name with NBSP inside and an LRM is taken");
    if (fine)
        crmq__client_reply__free_unpacked (fine, NULL);
}

static void
s_test_emails (void)
{
    printf ("e-mails: empty labels, dots, hyphens\n");
    const char *bad [] = { "a@b..ru", ".a@b.ru", "a@-b.ru", "a.@b.ru", "a..b@c.ru", "a@b.ru.",
                           "a@.b.ru", "a@b-.ru", "a@b_c.ru", NULL };
    Crmq__ClientReply *created = s_create (test_ext_id (s_prefix, "MAIL"), "Почта «Правила»", "", "", "");
    int64_t id = created? created->client->id: 0;
    if (created)
        crmq__client_reply__free_unpacked (created, NULL);
    char what [128];
    for (int i = 0; bad [i]; i++) {
        Crmq__Client client = CRMQ__CLIENT__INIT;
        client.name = "Почта";
        client.email = (char *) bad [i];
        Crmq__ClientRequest request = CRMQ__CLIENT_REQUEST__INIT;
        request.client = &client;
        snprintf (what, sizeof what, "CreateClient e-mail %s", bad [i]);
        s_refused (what, "contacts.CreateClient", &request.base, &crmq__client_reply__descriptor, 3,
                   "client.email", NULL);
        client.id = id;
        char *fields [] = { "email" };
        request.fields = fields;
        request.n_fields = 1;
        snprintf (what, sizeof what, "UpdateClient e-mail %s", bad [i]);
        s_refused (what, "contacts.UpdateClient", &request.base, &crmq__client_reply__descriptor, 3,
                   "client.email", NULL);
        Crmq__Channel channel = CRMQ__CHANNEL__INIT;
        channel.client_id = id;
        channel.type = "email";
        channel.value = (char *) bad [i];
        Crmq__ChannelRequest channel_request = CRMQ__CHANNEL_REQUEST__INIT;
        channel_request.channel = &channel;
        snprintf (what, sizeof what, "AddChannel e-mail %s", bad [i]);
        s_refused (what, "contacts.AddChannel", &channel_request.base, &crmq__channel_reply__descriptor, 3,
                   "channel.value", NULL);
    }
    int code;
    Crmq__ChannelReply *cyrillic = s_add_channel (id, 0, "email", "Продажи@Пример-Правил.РФ", false, &code);
    CHECK (code == CRMQ_OK && cyrillic && streq (cyrillic->channel->normalized, "продажи@пример-правил.рф"),
           "a Cyrillic address is taken: %d %s", code, cyrillic? cyrillic->channel->normalized: "-");
    if (cyrillic)
        crmq__channel_reply__free_unpacked (cyrillic, NULL);
}

static void
s_test_since (void)
{
    printf ("relationship_since: from 1900-01-01 to today (UTC)\n");
    char today [16], tomorrow [16];
    int64_t now = crmq_time_now_us ();
    crmq_time_format (now, NULL, true, today, sizeof today);
    crmq_time_format (now + 86400LL * 1000000, NULL, true, tomorrow, sizeof tomorrow);
    Crmq__ClientReply *created = s_create (test_ext_id (s_prefix, "SINCE"), "С давних пор", "", "", "");
    int64_t id = created? created->client->id: 0;
    if (created)
        crmq__client_reply__free_unpacked (created, NULL);
    const char *bad [] = { "9999-12-31", tomorrow, "1899-12-31", "0001-01-01", NULL };
    char what [128];
    for (int i = 0; bad [i]; i++) {
        Crmq__Client client = CRMQ__CLIENT__INIT;
        client.name = "С давних пор";
        client.relationship_since = (char *) bad [i];
        Crmq__ClientRequest request = CRMQ__CLIENT_REQUEST__INIT;
        request.client = &client;
        snprintf (what, sizeof what, "CreateClient since %s", bad [i]);
        s_refused (what, "contacts.CreateClient", &request.base, &crmq__client_reply__descriptor, 3,
                   "client.relationship_since", "1900-01-01");
        client.id = id;
        char *fields [] = { "relationship_since" };
        request.fields = fields;
        request.n_fields = 1;
        snprintf (what, sizeof what, "UpdateClient since %s", bad [i]);
        s_refused (what, "contacts.UpdateClient", &request.base, &crmq__client_reply__descriptor, 3,
                   "client.relationship_since", today);
    }
    const char *good [] = { "1900-01-01", today, NULL };
    for (int i = 0; good [i]; i++) {
        Crmq__Client client = CRMQ__CLIENT__INIT;
        client.id = id;
        client.relationship_since = (char *) good [i];
        char *fields [] = { "relationship_since" };
        Crmq__ClientReply *updated = NULL;
        int code = s_update (&client, fields, 1, &updated);
        CHECK (code == CRMQ_OK && updated && streq (updated->client->relationship_since, good [i]),
               "since %s taken: code %d %s", good [i], code, crmq_rpc_client_message (s_contacts));
        if (updated)
            crmq__client_reply__free_unpacked (updated, NULL);
    }
}

static void
s_test_erp_keeps (void)
{
    printf ("ERP: an empty value keeps what crmq holds\n");
    //  a manager of this run
    Crmq__Manager manager = CRMQ__MANAGER__INIT;
    manager.external_id = (char *) test_ext_id (s_prefix, "MGR-1");
    manager.name = "Prüf Managerin";
    manager.active = true;
    Crmq__Manager *managers [1] = { &manager };
    Crmq__UpsertManagersRequest manager_request = CRMQ__UPSERT_MANAGERS_REQUEST__INIT;
    manager_request.n_managers = 1;
    manager_request.managers = managers;
    ProtobufCMessage *answer;
    int code = s_call ("contacts.UpsertManagers", &manager_request.base,
                       &crmq__upsert_managers_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "UpsertManagers: %d %s", code, crmq_rpc_client_message (s_contacts));
    int64_t manager_id = answer && ((Crmq__UpsertManagersReply *) answer)->n_ids == 1
                       ? ((Crmq__UpsertManagersReply *) answer)->ids [0]: 0;
    if (answer)
        protobuf_c_message_free_unpacked (answer, NULL);

    //  the ERP sends the client without e-mail, city, address or manager
    const char *external_id = test_ext_id (s_prefix, "KEEP");
    Crmq__ErpEvent *event = test_client_event (test_ext_id (s_prefix, "ev-keep-1"), external_id, "Koetalo Oy");
    event->client->country = strdup ("Finland");
    event->client->phone = strdup ("981-400123");
    char field [128];
    code = s_ingest_one (event, field, sizeof field);
    test_event_destroy (&event);
    CHECK (code == 0, "first ERP event: %d %s", code, field);
    char text [256];
    int64_t id = strtoll (test_value (s_pg, text, sizeof text, "SELECT id FROM contacts.clients WHERE external_id = $1",
                                   external_id, NULL), NULL, 10);
    CHECK (streq (test_value (s_pg, text, sizeof text, "SELECT phone_e164 FROM contacts.clients WHERE id = $1::bigint",
                           test_id_text (id), NULL), "+358981400123"), "Finnish phone: %s", text);

    //  a manager enters them in crmq
    Crmq__Client change = CRMQ__CLIENT__INIT;
    change.id = id;
    change.email = "Pirkko.Koskitalo@koetalo.example";
    change.city = "Oulu";
    change.address = "Torikatu 38";
    change.manager_id = manager_id;
    char *fields [] = { "email", "city", "address", "manager_id" };
    Crmq__ClientReply *updated = NULL;
    code = s_update (&change, fields, 4, &updated);
    CHECK (code == CRMQ_OK, "UpdateClient e-mail, city, address, manager: %d %s", code,
           crmq_rpc_client_message (s_contacts));
    int64_t version = updated? updated->client->version: 0;
    if (updated)
        crmq__client_reply__free_unpacked (updated, NULL);
    long long audit = test_number (s_pg, "SELECT count(*) FROM contacts.audit WHERE client_id = $1::bigint", test_id_text (id), NULL);

    //  the ERP sends it again, the same and still without them
    event = test_client_event (test_ext_id (s_prefix, "ev-keep-2"), external_id, "Koetalo Oy");
    event->client->country = strdup ("Finland");
    event->client->phone = strdup ("981-400123");
    code = s_ingest_one (event, field, sizeof field);
    test_event_destroy (&event);
    CHECK (code == 0, "second ERP event: %d %s", code, field);
    PGresult *result = crmq_pg_exec (s_pg, "SELECT email, city, address, coalesce (manager_id, 0), version"
                                     " FROM contacts.clients WHERE id = $1::bigint", 1,
                                     (const char *[]) { test_id_text (id) });
    CHECK (result && PQntuples (result) == 1, "the client: %s", crmq_pg_error (s_pg));
    if (result && PQntuples (result) == 1) {
        CHECK (streq (PQgetvalue (result, 0, 0), "Pirkko.Koskitalo@koetalo.example"),
               "the e-mail set with UpdateClient kept: '%s'", PQgetvalue (result, 0, 0));
        CHECK (streq (PQgetvalue (result, 0, 1), "Oulu") && streq (PQgetvalue (result, 0, 2), "Torikatu 38"),
               "city and address kept: '%s' '%s'", PQgetvalue (result, 0, 1), PQgetvalue (result, 0, 2));
        CHECK (strtoll (PQgetvalue (result, 0, 3), NULL, 10) == manager_id,
               "manager kept: %s, expected %" PRId64, PQgetvalue (result, 0, 3), manager_id);
        CHECK (strtoll (PQgetvalue (result, 0, 4), NULL, 10) == version,
               "no new version: %s, expected %" PRId64, PQgetvalue (result, 0, 4), version);
    }
    PQclear (result);
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.audit WHERE client_id = $1::bigint", test_id_text (id), NULL) == audit,
           "no audit entry for the unchanged re-send");

    //  a non-empty ERP value still wins
    event = test_client_event (test_ext_id (s_prefix, "ev-keep-3"), external_id, "Koetalo Oy Ab");
    event->client->email = strdup ("info@koetalo.example");
    code = s_ingest_one (event, field, sizeof field);
    test_event_destroy (&event);
    CHECK (code == 0, "third ERP event: %d %s", code, field);
    CHECK (streq (test_value (s_pg, text, sizeof text, "SELECT email || '|' || name || '|' || city || '|' || country"
                           " || '|' || phone_e164 FROM contacts.clients WHERE id = $1::bigint", test_id_text (id), NULL),
                  "info@koetalo.example|Koetalo Oy Ab|Oulu|Finland|+358981400123"),
           "the ERP's e-mail and name win, the rest kept: %s", text);
    CHECK (test_number (s_pg, "SELECT version FROM contacts.clients WHERE id = $1::bigint", test_id_text (id), NULL) > version,
           "a change: a new version");
}

int
main (void)
{
    crmq_log_init ("test_contacts_rules", "error");
    s_pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_contacts_rules");
    s_contacts = crmq_rpc_client_new (test_env ("CRMQ_CONTACTS_ENDPOINT"), 20000, 0);
    s_sales = crmq_rpc_client_new (test_env ("CRMQ_SALES_ENDPOINT"), 20000, 0);
    snprintf (s_prefix, sizeof s_prefix, "RULES-%" PRId64 "-", (int64_t) zclock_time ());

    //  merges of the tests before this one too: crmq-sales applies them in
    //  the background, into tables the fingerprints cover
    s_wait_merges_applied ();
    s_test_phones ();
    s_test_merge ();
    s_wait_merges_applied ();
    s_test_names ();
    s_test_emails ();
    s_test_since ();
    s_test_erp_keeps ();

    crmq_rpc_client_destroy (&s_contacts);
    crmq_rpc_client_destroy (&s_sales);
    crmq_pg_destroy (&s_pg);
    printf ("%s: %d failure(s)\n", s_failures? "FAIL": "PASS", s_failures);
    return s_failures? 1: 0;
}
