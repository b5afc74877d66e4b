/*  crmq_validate.h - checks every input string passes before it reaches the
    database: length bounds in bytes and well-formed UTF-8 without control
    characters other than tab, CR and LF.                                     */
#ifndef CRMQ_VALIDATE_H_INCLUDED
#define CRMQ_VALIDATE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  True when `text` holds min_bytes..max_bytes bytes of well-formed UTF-8
//  without NUL or other C0 controls except \t \r \n.  Otherwise false, with a
//  short reason ("is empty", "is longer than 300 bytes", "is not valid UTF-8",
//  "contains control characters") written into `why` (why_size bytes).
//  NULL text counts as "".
bool crmq_text_valid (const char *text, size_t min_bytes, size_t max_bytes,
                      char *why, size_t why_size);

//  As crmq_text_valid for identifiers (event ids, external ids): no control
//  character at all, tab and line breaks included, nor DEL ("contains
//  control characters").
bool crmq_id_valid (const char *text, size_t min_bytes, size_t max_bytes,
                    char *why, size_t why_size);

//  Self-test.
void crmq_validate_test (bool verbose);

#endif
