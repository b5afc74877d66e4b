/*  test_contacts_erp_persons - contact persons as ERP master data through
    contacts.UpsertPersons, against the running stack:

    create    persons of two clients (Latin, Cyrillic and quotes in names),
              ids in request order; the phone in E.164 read in the client's
              country and the e-mail become the person's primary channels;
              audit rows with actor "erp";
    resend    the same request: the same ids, nothing written (no version,
              no audit row: the fingerprint of every contacts table stays);
    update    name and phone taken, an empty position, phone or e-mail keeps
              what crmq holds (a user's edit too); the ERP's phone equal to
              a user's channel makes that one primary instead of adding a
              twin; active false takes the person off the card;
    errors    a phone that is no number of the client's country, an e-mail
              that is no address, a blank or tabbed name, an unknown client,
              an empty or malformed request: 3 or 5 with the field, and
              nothing changed, even for the good persons of the same request;
    merge     a merged client's persons are found on the survivor when the
              ERP names the merged client again, its new persons are created
              there, and an equal external id under the survivor is another
              person.

    External ids carry a prefix unique to the run (other tests share the
    database).                                                              */
#include "test_support.h"

static crmq_rpc_client_t *s_contacts;
static crmq_pg_t *s_pg;
static char s_prefix [48];                  //  "PERS-<run>-"

//  md5 over every row of every table UpsertPersons could change (caller frees).
static char *
s_fingerprint (void)
{
    static const char *const tables [] = {
        "contacts.clients", "contacts.persons", "contacts.channels", "contacts.merges",
        "contacts.audit", "contacts.request_keys", NULL };
    return test_fingerprint_of (s_pg, tables);
}

//  UpsertClients of one client of this run; returns its id, or 0 after a FAIL.
static int64_t
s_client (const char *name, const char *external_id, const char *country)
{
    Crmq__Client client = CRMQ__CLIENT__INIT;
    client.external_id = (char *) external_id;
    client.name = (char *) name;
    client.country = (char *) country;
    return test_upsert_client (s_contacts, &client);
}

//  A person as the ERP sends it (the strings stay the caller's).
static Crmq__ContactPersonData
s_person (const char *client_external_id, const char *external_id, const char *name,
          const char *position, const char *phone, const char *email)
{
    Crmq__ContactPersonData person = CRMQ__CONTACT_PERSON_DATA__INIT;
    person.client_external_id = (char *) client_external_id;
    person.external_id = (char *) external_id;
    person.name = (char *) name;
    person.position = (char *) position;
    person.phone = (char *) phone;
    person.email = (char *) email;
    person.active = true;
    return person;
}

//  contacts.UpsertPersons of `count` persons; the ids into ids (count of
//  them) on 0.  Returns the call's code.
static int
s_upsert (Crmq__ContactPersonData **persons, size_t count, int64_t *ids)
{
    Crmq__UpsertPersonsRequest request = CRMQ__UPSERT_PERSONS_REQUEST__INIT;
    request.n_persons = count;
    request.persons = persons;
    ProtobufCMessage *answer;
    int code = test_call (s_contacts, "contacts.UpsertPersons", &request.base,
                          &crmq__upsert_persons_reply__descriptor, &answer);
    if (answer) {
        Crmq__UpsertPersonsReply *reply = (Crmq__UpsertPersonsReply *) answer;
        CHECK (reply->n_ids == count, "%zu ids for %zu persons", reply->n_ids, count);
        for (size_t i = 0; i < count && i < reply->n_ids; i++)
            ids [i] = reply->ids [i];
        protobuf_c_message_free_unpacked (answer, NULL);
    }
    return code;
}

//  UpsertPersons expected to succeed; returns the id of the first person.
static int64_t
s_upsert_ok (const char *what, Crmq__ContactPersonData **persons, size_t count, int64_t *ids)
{
    int code = s_upsert (persons, count, ids);
    CHECK (code == CRMQ_OK, "%s: code %d %s %s", what, code, crmq_rpc_client_field (s_contacts),
           crmq_rpc_client_message (s_contacts));
    return code == CRMQ_OK? ids [0]: 0;
}

//  UpsertPersons expected to fail with want_code naming want_field and to
//  change nothing.
static void
s_refused (const char *what, Crmq__ContactPersonData **persons, size_t count, int want_code,
           const char *want_field)
{
    char *before = s_fingerprint ();
    int64_t ids [8];
    int code = s_upsert (persons, count, ids);
    const char *field = code? crmq_rpc_client_field (s_contacts): "";
    printf ("  %s: %d %s: %s\n", what, code, field, code? crmq_rpc_client_message (s_contacts): "");
    CHECK (code == want_code && streq (field, want_field),
           "%s: code %d field '%s', expected %d '%s'", what, code, field, want_code, want_field);
    char *after = s_fingerprint ();
    CHECK (streq (before, after), "%s: nothing changed", what);
    free (before);
    free (after);
}

//  The card of client `id`; NULL after a FAIL.
static Crmq__GetClientReply *
s_card (int64_t id)
{
    Crmq__GetClientRequest request = CRMQ__GET_CLIENT_REQUEST__INIT;
    request.id = id;
    ProtobufCMessage *answer;
    int code = test_call (s_contacts, "contacts.GetClient", &request.base,
                          &crmq__get_client_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "GetClient %" PRId64 ": code %d", id, code);
    return (Crmq__GetClientReply *) answer;
}

//  The person `id` on a card, or NULL.
static Crmq__Person *
s_card_person (Crmq__GetClientReply *card, int64_t id)
{
    for (size_t i = 0; card && i < card->n_persons; i++)
        if (card->persons [i]->id == id)
            return card->persons [i];
    return NULL;
}

static const char *SQL_PERSON_FIELD_NAME =
    "SELECT name FROM contacts.persons WHERE id = $1::bigint";
static const char *SQL_PERSON_FIELD_POSITION =
    "SELECT position FROM contacts.persons WHERE id = $1::bigint";
static const char *SQL_PERSON_CLIENT =
    "SELECT client_id FROM contacts.persons WHERE id = $1::bigint";
//  $1 person, $2 type: its channels, its primary one's normalized value
static const char *SQL_CHANNELS =
    "SELECT count(*) FROM contacts.channels WHERE person_id = $1::bigint AND type = $2";
static const char *SQL_PRIMARY =
    "SELECT normalized FROM contacts.channels WHERE person_id = $1::bigint AND type = $2 AND is_primary";
//  audit rows after the row $1, all of them or only by erp
static const char *SQL_AUDIT_SINCE =
    "SELECT count(*) FROM contacts.audit WHERE id > $1::bigint";
static const char *SQL_ERP_AUDIT_SINCE =
    "SELECT count(*) FROM contacts.audit WHERE id > $1::bigint AND actor = 'erp'";
static const char *SQL_LAST_AUDIT = "SELECT coalesce (max (id), 0) FROM contacts.audit";

int
main (void)
{
    crmq_log_init ("test_contacts_erp_persons", "error");
    s_contacts = crmq_rpc_client_new (test_env ("CRMQ_CONTACTS_ENDPOINT"), 20000, 0);
    s_pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_contacts_erp_persons");
    CHECK (s_contacts && s_pg, "connected");
    if (!s_contacts || !s_pg)
        return 1;
    snprintf (s_prefix, sizeof s_prefix, "PERS-%ld-", (long) time (NULL));
    char buf [256];

    printf ("clients in Germany and in Russia\n");
    char ext_de [96], ext_ru [96];
    snprintf (ext_de, sizeof ext_de, "%s", test_ext_id (s_prefix, "DE"));
    snprintf (ext_ru, sizeof ext_ru, "%s", test_ext_id (s_prefix, "RU"));
    int64_t de = s_client ("Müller GmbH (persons)", ext_de, "Germany");
    int64_t ru = s_client ("ООО «Ромашка» (persons)", ext_ru, "Россия");
    CHECK (de > 0 && ru > 0, "clients %" PRId64 " %" PRId64, de, ru);

    printf ("create: three persons in one request\n");
    const char *cyrillic = "Пётр «Иванов» \"младший\"";
    const char *quotes = "Seán O'Brien \"the buyer\"";
    Crmq__ContactPersonData anna = s_person (ext_de, "P1", "Anna Schmidt", "Einkauf",
                                             "030 1234567", "Anna.Schmidt@Example.DE");
    Crmq__ContactPersonData petr = s_person (ext_ru, "P1", cyrillic, "директор",
                                             "8 (495) 123-45-67", "Пётр@Пример.рф");
    Crmq__ContactPersonData sean = s_person (ext_de, "P2", quotes, "", "", "");
    Crmq__ContactPersonData *three [3] = { &anna, &petr, &sean };
    long long audit_before = test_number (s_pg, SQL_LAST_AUDIT, NULL);
    int64_t ids [8] = { 0 };
    s_upsert_ok ("create three", three, 3, ids);
    int64_t anna_id = ids [0], petr_id = ids [1], sean_id = ids [2];
    CHECK (anna_id > 0 && petr_id > 0 && sean_id > 0 && anna_id != petr_id && petr_id != sean_id
           && anna_id != sean_id, "three ids in order: %" PRId64 " %" PRId64 " %" PRId64,
           anna_id, petr_id, sean_id);
    CHECK (test_number (s_pg, SQL_PERSON_CLIENT, test_id_text (anna_id), NULL) == de
           && test_number (s_pg, SQL_PERSON_CLIENT, test_id_text (petr_id), NULL) == ru
           && test_number (s_pg, SQL_PERSON_CLIENT, test_id_text (sean_id), NULL) == de,
           "each person on its client (P1 twice: one per client)");
    test_value (s_pg, buf, sizeof buf, SQL_PERSON_FIELD_NAME, test_id_text (petr_id), NULL);
    CHECK (streq (buf, cyrillic), "Cyrillic and quotes kept: %s", buf);
    test_value (s_pg, buf, sizeof buf, SQL_PERSON_FIELD_NAME, test_id_text (sean_id), NULL);
    CHECK (streq (buf, quotes), "Latin quotes kept: %s", buf);
    test_value (s_pg, buf, sizeof buf, SQL_PRIMARY, test_id_text (anna_id), "phone", NULL);
    CHECK (streq (buf, "+49301234567"), "phone read in Germany: %s", buf);
    test_value (s_pg, buf, sizeof buf, SQL_PRIMARY, test_id_text (petr_id), "phone", NULL);
    CHECK (streq (buf, "+74951234567"), "phone read in Russia: %s", buf);
    test_value (s_pg, buf, sizeof buf, SQL_PRIMARY, test_id_text (anna_id), "email", NULL);
    CHECK (streq (buf, "anna.schmidt@example.de"), "e-mail primary, lower case: %s", buf);
    test_value (s_pg, buf, sizeof buf, SQL_PRIMARY, test_id_text (petr_id), "email", NULL);
    CHECK (streq (buf, "пётр@пример.рф"), "Cyrillic e-mail, lower case: %s", buf);
    CHECK (test_number (s_pg, SQL_CHANNELS, test_id_text (sean_id), "phone", NULL) == 0
           && test_number (s_pg, SQL_CHANNELS, test_id_text (sean_id), "email", NULL) == 0,
           "no phone or e-mail sent, no channel");
    //  3 persons, 4 channels
    CHECK (test_number (s_pg, SQL_AUDIT_SINCE, test_id_text (audit_before), NULL) == 7
           && test_number (s_pg, SQL_ERP_AUDIT_SINCE, test_id_text (audit_before), NULL) == 7,
           "7 audit rows, all by erp: %lld", test_number (s_pg, SQL_AUDIT_SINCE, test_id_text (audit_before), NULL));
    Crmq__GetClientReply *card = s_card (de);
    Crmq__Person *shown = s_card_person (card, anna_id);
    CHECK (shown && streq (shown->name, "Anna Schmidt") && streq (shown->position, "Einkauf")
           && shown->n_channels == 2 && s_card_person (card, sean_id),
           "the card shows the persons with their channels");
    if (card)
        crmq__get_client_reply__free_unpacked (card, NULL);

    printf ("resend: the same ids, nothing written\n");
    char *before = s_fingerprint ();
    int64_t again [8] = { 0 };
    s_upsert_ok ("resend", three, 3, again);
    CHECK (again [0] == anna_id && again [1] == petr_id && again [2] == sean_id, "the same ids");
    char *after = s_fingerprint ();
    CHECK (streq (before, after), "a resend changed nothing (no version, no audit row)");
    free (before);
    free (after);
    //  the same phone written otherwise is the same number
    anna.phone = "+49 30 123 45 67";
    before = s_fingerprint ();
    s_upsert_ok ("phone in another notation", three, 1, again);
    after = s_fingerprint ();
    CHECK (again [0] == anna_id && streq (before, after), "the same number otherwise written: no change");
    free (before);
    free (after);

    printf ("update: what the ERP sends wins, what it leaves empty stays\n");
    //  a user edits the position and adds a mobile
    Crmq__Person edit = CRMQ__PERSON__INIT;
    edit.id = anna_id;
    edit.position = "Leiterin Einkauf";
    char *position_field [] = { "position" };
    Crmq__PersonRequest edit_request = CRMQ__PERSON_REQUEST__INIT;
    edit_request.person = &edit;
    edit_request.fields = position_field;
    edit_request.n_fields = 1;
    edit_request.actor = "user";
    int code = test_call (s_contacts, "contacts.SavePerson", &edit_request.base,
                          &crmq__person_reply__descriptor, NULL);
    CHECK (code == CRMQ_OK, "a user's SavePerson: %d", code);
    Crmq__Channel mobile = CRMQ__CHANNEL__INIT;
    mobile.person_id = anna_id;
    mobile.type = "phone";
    mobile.kind = "mobile";
    mobile.value = "0171 5550100";
    Crmq__ChannelRequest channel_request = CRMQ__CHANNEL_REQUEST__INIT;
    channel_request.channel = &mobile;
    channel_request.actor = "user";
    code = test_call (s_contacts, "contacts.AddChannel", &channel_request.base,
                      &crmq__channel_reply__descriptor, NULL);
    CHECK (code == CRMQ_OK, "a user's AddChannel: %d", code);
    audit_before = test_number (s_pg, SQL_LAST_AUDIT, NULL);
    anna.name = "Anna Schmidt-Weber";
    anna.position = "";
    anna.phone = "+49 30 7654321";
    anna.email = "";
    s_upsert_ok ("update", three, 1, again);
    CHECK (again [0] == anna_id, "the same person");
    test_value (s_pg, buf, sizeof buf, SQL_PERSON_FIELD_NAME, test_id_text (anna_id), NULL);
    CHECK (streq (buf, "Anna Schmidt-Weber"), "name taken: %s", buf);
    test_value (s_pg, buf, sizeof buf, SQL_PERSON_FIELD_POSITION, test_id_text (anna_id), NULL);
    CHECK (streq (buf, "Leiterin Einkauf"), "an empty position keeps the user's: %s", buf);
    test_value (s_pg, buf, sizeof buf, SQL_PRIMARY, test_id_text (anna_id), "phone", NULL);
    CHECK (streq (buf, "+49307654321") && test_number (s_pg, SQL_CHANNELS, test_id_text (anna_id), "phone", NULL) == 2,
           "the primary phone replaced, the mobile kept: %s", buf);
    test_value (s_pg, buf, sizeof buf, SQL_PRIMARY, test_id_text (anna_id), "email", NULL);
    CHECK (streq (buf, "anna.schmidt@example.de"), "an empty e-mail keeps it: %s", buf);
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.audit WHERE id > $1::bigint AND actor = 'erp'"
                     " AND entity = 'person' AND changes ? 'name' AND NOT changes ? 'position'",
                     test_id_text (audit_before), NULL) == 1
           && test_number (s_pg, SQL_AUDIT_SINCE, test_id_text (audit_before), NULL) == 2
           && test_number (s_pg, SQL_ERP_AUDIT_SINCE, test_id_text (audit_before), NULL) == 2,
           "two audit rows by erp: the person's name, the phone replaced");
    //  the ERP sends the user's mobile: it becomes the primary, no twin
    anna.phone = "+491715550100";
    s_upsert_ok ("the user's mobile", three, 1, again);
    test_value (s_pg, buf, sizeof buf, SQL_PRIMARY, test_id_text (anna_id), "phone", NULL);
    CHECK (streq (buf, "+491715550100") && test_number (s_pg, SQL_CHANNELS, test_id_text (anna_id), "phone", NULL) == 2,
           "the equal channel takes the primary flag, no twin: %s", buf);
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels WHERE person_id = $1::bigint"
                     " AND kind = 'mobile' AND is_primary", test_id_text (anna_id), NULL) == 1,
           "and keeps the kind the user gave");
    //  active false: off the card
    sean.active = false;
    Crmq__ContactPersonData *sean_only [1] = { &sean };
    s_upsert_ok ("leaves", sean_only, 1, again);
    card = s_card (de);
    CHECK (card && !s_card_person (card, sean_id) && s_card_person (card, anna_id),
           "an inactive person is not on the card");
    if (card)
        crmq__get_client_reply__free_unpacked (card, NULL);

    printf ("errors: the field named, nothing changed\n");
    Crmq__ContactPersonData fresh = s_person (ext_de, "P9", "Neu Person", "", "", "");
    Crmq__ContactPersonData bad = s_person (ext_de, "P1", "Anna Schmidt-Weber", "", "12", "");
    Crmq__ContactPersonData *pair [2] = { &fresh, &bad };
    s_refused ("a phone that is no number", pair, 2, CRMQ_INVALID_ARGUMENT, "persons[1].phone");
    CHECK (strstr (crmq_rpc_client_message (s_contacts), "Germany") != NULL,
           "the message names the client's country: %s", crmq_rpc_client_message (s_contacts));
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.persons WHERE external_id = 'P9'"
                     " AND erp_client_id = $1::bigint", test_id_text (de), NULL) == 0,
           "the good person of the refused request was not written");
    bad.phone = "";
    bad.email = "anna@@example.de";
    s_refused ("an e-mail that is no address", pair, 2, CRMQ_INVALID_ARGUMENT, "persons[1].email");
    bad.email = "";
    bad.name = "   ";
    s_refused ("a blank name", pair, 2, CRMQ_INVALID_ARGUMENT, "persons[1].name");
    bad.name = "Anna\tSchmidt";
    s_refused ("a name with a tab", pair, 2, CRMQ_INVALID_ARGUMENT, "persons[1].name");
    bad.name = "Anna";
    bad.external_id = "";
    s_refused ("no external id", pair, 2, CRMQ_INVALID_ARGUMENT, "persons[1].external_id");
    bad.external_id = "P1";
    bad.client_external_id = (char *) test_ext_id (s_prefix, "NO-SUCH-CLIENT");
    s_refused ("an unknown client", pair, 2, CRMQ_NOT_FOUND, "persons[1].client_external_id");
    s_refused ("no persons", pair, 0, CRMQ_INVALID_ARGUMENT, "persons");
    {
        char *before_raw = s_fingerprint ();
        uint8_t *reply_body = NULL;
        size_t reply_size = 0;
        code = crmq_rpc_call_raw (s_contacts, "contacts.UpsertPersons", "\xff\xff\xff", 3, 2,
                                  &reply_body, &reply_size);
        free (reply_body);
        CHECK (code == CRMQ_INVALID_ARGUMENT, "a malformed request: %d", code);
        char *after_raw = s_fingerprint ();
        CHECK (streq (before_raw, after_raw), "a malformed request changed nothing");
        free (before_raw);
        free (after_raw);
    }

    printf ("merge: a merged client's persons live on the survivor\n");
    char ext_old [96];
    snprintf (ext_old, sizeof ext_old, "%s", test_ext_id (s_prefix, "OLD"));
    int64_t old = s_client ("Müller Alt GmbH (persons)", ext_old, "Germany");
    Crmq__ContactPersonData karl = s_person (ext_old, "P1", "Karl Alt", "Lager", "030 5550001", "");
    Crmq__ContactPersonData *karl_only [1] = { &karl };
    int64_t karl_id = s_upsert_ok ("a person of the client to merge", karl_only, 1, again);
    Crmq__MergeClientsRequest merge = CRMQ__MERGE_CLIENTS_REQUEST__INIT;
    merge.survivor_id = de;
    merge.merged_id = old;
    merge.actor = "user";
    code = test_call (s_contacts, "contacts.MergeClients", &merge.base,
                      &crmq__merge_clients_reply__descriptor, NULL);
    CHECK (code == CRMQ_OK, "merge %" PRId64 " into %" PRId64 ": %d %s", old, de, code,
           crmq_rpc_client_message (s_contacts));
    CHECK (test_number (s_pg, SQL_PERSON_CLIENT, test_id_text (karl_id), NULL) == de, "the person moved to the survivor");
    before = s_fingerprint ();
    s_upsert_ok ("resend naming the merged client", karl_only, 1, again);
    after = s_fingerprint ();
    CHECK (again [0] == karl_id && streq (before, after), "found where it is now, nothing written");
    free (before);
    free (after);
    karl.position = "Lagerleiter";
    s_upsert_ok ("update naming the merged client", karl_only, 1, again);
    test_value (s_pg, buf, sizeof buf, SQL_PERSON_FIELD_POSITION, test_id_text (karl_id), NULL);
    CHECK (again [0] == karl_id && streq (buf, "Lagerleiter")
           && test_number (s_pg, SQL_PERSON_CLIENT, test_id_text (karl_id), NULL) == de,
           "updated on the survivor: %s", buf);
    Crmq__ContactPersonData greta = s_person (ext_old, "P3", "Greta Neu", "", "", "greta@example.de");
    Crmq__ContactPersonData *greta_only [1] = { &greta };
    int64_t greta_id = s_upsert_ok ("a new person of the merged client", greta_only, 1, again);
    CHECK (greta_id > 0 && test_number (s_pg, SQL_PERSON_CLIENT, test_id_text (greta_id), NULL) == de,
           "created on the survivor");
    //  the survivor's own P1 (Anna) and the merged client's P1 (Karl) stay two persons
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.persons WHERE client_id = $1::bigint"
                     " AND external_id = 'P1'", test_id_text (de), NULL) == 2,
           "equal external ids of the two clients: two persons");
    anna.phone = "";
    s_upsert_ok ("the survivor's P1", three, 1, again);
    CHECK (again [0] == anna_id, "the survivor's P1 is still Anna");

    crmq_pg_destroy (&s_pg);
    crmq_rpc_client_destroy (&s_contacts);
    printf ("test_contacts_erp_persons: %s\n", s_failures? "FAIL": "PASS");
    return s_failures? 1: 0;
}
