/*  channel_store.h - writing a phone, e-mail or other channel of a client or
    of one of its contact persons, as contacts.AddChannel and the ERP's
    contacts.UpsertPersons both do: a phone read in its client's country,
    the owner's equal channel found instead of a twin added, one primary
    channel per owner and type.

    Both functions run inside the caller's write transaction, after it
    locked the owning client (contacts_client_lock), and take ids as decimal
    text (contacts_id_text).  Errors: -1 after a failed statement (nothing
    replied; the transaction rolls back), or a positive status after
    crmq_reply_error.                                                     */
#ifndef CHANNEL_STORE_H_INCLUDED
#define CHANNEL_STORE_H_INCLUDED

#include "contacts_common.h"

//  A channel to write with channel_store_put; the strings stay the caller's.
typedef struct {
    const char *client_id;              //  the owning client
    const char *person_id;              //  its person, or "0" for the client's own
    const char *type;                   //  phone, email, address, messenger, web (checked)
    const char *kind;                   //  work, mobile...: NULL = an existing channel
                                        //  keeps its kind, a new one is "work"
    const char *value;                  //  as entered (1..1000 bytes, an e-mail checked)
    const char *e164;                   //  a phone's E.164 form (channel_store_phone); else ""
    bool primary;                       //  make it the owner's primary of the type
    //  when the owner has no equal channel but has a primary one of the
    //  type, replace that one's value instead of adding a channel: the
    //  primary channel stands for "the" phone or e-mail of the owner, as a
    //  client's own phone field does
    bool replace_primary;
} channel_store_put_t;

//  Reads `phone`, a phone of client `client_id`, in that client's country
//  (contacts_phone_e164; CRMQ_DEFAULT_COUNTRY when it names none) into
//  e164 (CRMQ_PHONE_E164_MAX bytes).  Returns 0; INVALID_ARGUMENT naming
//  `field` ("... is not a phone number of the client's country "Germany":
//  give its country code (+...)") when it is no phone number there; -1.
int channel_store_phone (crmq_pg_t *pg, contacts_server_t *self, const char *client_id,
                         const char *phone, char *e164, size_t size, crmq_reply_t *reply,
                         const char *field);

//  Writes `channel`: the owner's channel of the type with the same number
//  (E.164), e-mail (ignoring case) or value, when there is one, takes the
//  kind (when given) and, when asked, the primary flag; otherwise the
//  primary one is replaced (replace_primary) or a channel is added.  Asking
//  for primary clears the flag of the owner's other channels of the type
//  first.  Nothing is written when nothing changes, so a resend moves no
//  version and adds no audit entry.  The channel's id goes to id (24 bytes
//  suffice).  Returns 0, or -1.
int channel_store_put (crmq_pg_t *pg, const channel_store_put_t *channel, char *id, size_t size);

#endif
