/*  notify_target.h - checking a target before it is stored: its name,
    kind, address and topic prefix.

    - name: 1..100 bytes, a one-line name (crmq_name_valid);
    - kind: "webhook" or "email";
    - webhook address: an absolute http:// or https:// URL with a host, at
      most 2000 bytes, no spaces or control characters (parsed by libcurl's
      URL parser, as it will be sent);
    - e-mail address: local@domain, at most 254 bytes; the local part 1..64
      bytes of letters, digits and !#$%&'*+/=?^_`{|}~.- (no leading,
      trailing or doubled dot); the domain two or more labels of letters,
      digits and hyphens (1..63 bytes each, no hyphen at either end);
    - topic prefix: 0..200 bytes without control characters ("" = every
      topic crmq-notify consumes).                                          */
#ifndef NOTIFY_TARGET_H_INCLUDED
#define NOTIFY_TARGET_H_INCLUDED

#include "crmq.h"

//  Checks a target's fields.  Returns true, or false with the offending
//  field's name in *field (a static string) and a sentence saying why in
//  `why` (why_size bytes).
bool notify_target_check (const char *name, const char *kind, const char *address,
                          const char *topic_prefix, const char **field,
                          char *why, size_t why_size);

//  True when `address` is an e-mail address of the shape above (also used
//  for the sender's address setting).
bool notify_target_email_valid (const char *address);

//  Self-test.
void notify_target_test (bool verbose);

#endif
