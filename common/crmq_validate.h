/*  crmq_validate.h - checks every input string passes before it reaches the
    database: length bounds in bytes and well-formed UTF-8 without control
    characters other than tab, CR and LF (free text), without any control
    character (identifiers), and, for names, without the invisible
    characters that make a name look like another or break its line.     */
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

//  As crmq_id_valid for names (of clients, persons, managers, segments,
//  products): besides what crmq_id_valid refuses (every C0 control, tab and
//  line breaks included, and DEL: "contains control characters"), refuses
//    - the C1 controls U+0080..U+009F (U+0085 NEL among them) and the line
//      and paragraph separators U+2028, U+2029 ("contains control
//      characters"): a name is one line;
//    - the bidirectional embeddings, overrides and isolates U+202A..U+202E
//      and U+2066..U+2069 ("contains bidirectional control characters"),
//      which make a name display as other text; the marks U+200E, U+200F
//      and U+061C, which do not reorder text, stay allowed;
//    - text that is not empty but holds nothing once spaces are trimmed
//      ("is blank"): ASCII space, the Unicode White_Space characters
//      (U+00A0, U+1680, U+2000..U+200A, U+202F, U+205F, U+3000) and the
//      invisible U+180E, U+200B..U+200D, U+2060, U+FEFF.
//  "" passes when min_bytes is 0 (an optional name left empty).  Checks in
//  this order: length, UTF-8 and controls as crmq_id_valid, then the above.
//  NULL text counts as "".
bool crmq_name_valid (const char *text, size_t min_bytes, size_t max_bytes,
                      char *why, size_t why_size);

//  True when `text`, well-formed UTF-8 (crmq_name_valid passed it), neither
//  begins nor ends with a space or invisible character of those listed
//  above for a blank name, so that "a" and "a " cannot be two names that
//  look alike.  NULL and "" pass.
bool crmq_name_trimmed (const char *text);

//  True when the `length` bytes at `text` are well-formed UTF-8 (NUL bytes
//  and controls included: only the encoding is checked), for text read
//  from files before it is split into fields.  NULL with length 0 passes.
bool crmq_utf8_valid (const char *text, size_t length);

//  Self-test.
void crmq_validate_test (bool verbose);

#endif
