/*  cli_common.h - what every crmq command shares: exit codes, the standard
    error line for a failed call, a call-and-unpack helper, strict date
    options, options given once, decimal text helpers and UTF-8 display
    width.                                                                   */
#ifndef CLI_COMMON_H_INCLUDED
#define CLI_COMMON_H_INCLUDED

#include "crmq.h"
#include <getopt.h>

//  Process exit codes of the crmq command.
#define CLI_EXIT_OK        0
#define CLI_EXIT_FAILURE   1    //  a call failed, a file could not be read
#define CLI_EXIT_REJECTED  2    //  an import finished but some events were rejected
#define CLI_EXIT_USAGE     64   //  bad command line (sysexits EX_USAGE)

//  Prints "crmq: <method>: <STATUS_NAME>: <message> (field <field>)" to
//  stderr for a non-zero reply `code` of `client` (the field part only when
//  the reply named one).
void cli_rpc_error (crmq_rpc_client_t *client, const char *method, int code);

//  Opens an RPC client to the endpoint held by setting `endpoint_setting`
//  ("sales_endpoint"), with rpc_timeout_ms, rpc_retries and, as its largest
//  request frame, max_message_bytes from `config` (cli_rpc_limit).
//  Returns NULL after printing "crmq: <endpoint>: ..." to stderr.
crmq_rpc_client_t *cli_rpc_open (crmq_config_t *config, const char *endpoint_setting);

//  Gives `client` the largest request frame the services accept: the
//  max_message_bytes setting (CRMQ_MAX_MESSAGE_BYTES), in bytes.  A larger
//  request then fails at once with RESOURCE_EXHAUSTED instead of being
//  dropped by the service without a reply.
void cli_rpc_limit (crmq_rpc_client_t *client, crmq_config_t *config);

//  Calls `method` with `request` and unpacks the reply as `reply_type`.
//  Returns CLI_EXIT_OK with *reply set (caller frees it with
//  protobuf_c_message_free_unpacked (*reply, NULL)), or CLI_EXIT_FAILURE
//  after printing the error line (non-zero code, or a reply body that does
//  not unpack) with *reply NULL.  With `reply_type` NULL the body is not
//  read (a reply with nothing to show) and `reply` may be NULL.
int cli_call (crmq_rpc_client_t *client, const char *method, const ProtobufCMessage *request,
              const ProtobufCMessageDescriptor *reply_type, ProtobufCMessage **reply);

//  Prints "crmq: <message>" and then the usage line `usage` to stderr.
//  Returns CLI_EXIT_USAGE, so commands can `return cli_usage (...)`.
int cli_usage (const char *usage, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Which options of a command line were given, to refuse one given twice.
//  Zero it (= { 0 }) before the getopt_long loop.
typedef struct {
    bool seen [256];
} cli_options_seen_t;

//  Records `option`, a value getopt_long returned from `long_options` (its
//  `val`, below 256).  Returns 0 the first time; the second time prints
//  "crmq: --NAME is given more than once" and `usage` to stderr and returns
//  CLI_EXIT_USAGE.  Other values (':', '?') are left to the caller: 0.
int cli_option_once (cli_options_seen_t *seen, const struct option *long_options, int option,
                     const char *usage);

//  Parses a date option: exactly "YYYY-MM-DD", read as local midnight in
//  `time_zone` (IANA).  Returns 0 with *us set, -1 for anything else.
int cli_date_parse (const char *text, const char *time_zone, int64_t *us);

//  Formats an instant (microseconds since the epoch) as "YYYY-MM-DD
//  HH:MM:SS" in `time_zone` into buf (32 bytes suffice), "?" when it cannot
//  be shown.  Returns buf, or NULL for 0 (no instant: an empty cell, JSON
//  null).
char *cli_instant_text (int64_t us, const char *time_zone, char *buf, size_t size);

//  A half-open period as titles say it, its bounds as dates in `time_zone`:
//  "1996-07-01 to 1998-06-01 (excluded)", "from 1996-07-01", "before
//  1998-06-01", or `open` when neither bound is set (period NULL too).
//  Returns buf.
char *cli_period_text (const Crmq__Period *period, const char *time_zone, const char *open,
                       char *buf, size_t size);

//  Formats an id into buf (24 bytes suffice) and returns buf, or returns
//  NULL for 0 (no id: an empty cell, JSON null).
char *cli_id_text (int64_t id, char *buf, size_t size);

//  "true" or "false", for a JSON column.
const char *cli_bool_text (bool value);

//  Parses a whole decimal integer in [min, max].  Returns 0 with *value set,
//  -1 for anything else (empty, trailing text, out of range).
int cli_int_parse (const char *text, long long min, long long max, long long *value);

//  Checks that `time_zone` is a zone crmq_time_parse knows, by parsing a
//  fixed date in it ("" is UTC).  Returns 0 or -1.
int cli_time_zone_check (const char *time_zone);

//  Formats units + nanos (a Decimal or Money) as plain text with exactly
//  `scale` fractional digits, rounded half-up, no grouping, into buf (41
//  bytes always suffice).  Writes "?" when the value is malformed.
//  Returns buf.
char *cli_decimal_text (int64_t units, int32_t nanos, int scale, char *buf, size_t size);

//  Formats a fraction (0.1234 = 12.34 %) as a percentage with one decimal
//  ("12.3"), exactly, rounded half-up, into buf.  Returns buf.
char *cli_percent_text (int64_t units, int32_t nanos, char *buf, size_t size);

//  Adds b to a, both units + nanos with the sign rules of crmq.Decimal;
//  the result is normalised (same sign, |nanos| < 1e9).
void cli_decimal_add (int64_t *a_units, int32_t *a_nanos, int64_t b_units, int32_t b_nanos);

//  Display width of UTF-8 `text` in columns, counted as code points (bytes
//  that are not continuation bytes).  NULL is 0.
size_t cli_utf8_width (const char *text);

//  czmq container callbacks for C strings: frees the malloc'd string
//  *item and sets *item to NULL (a destructor); returns a strdup copy of
//  item, NULL on out-of-memory (a duplicator).
void cli_string_destroy (void **item);
void *cli_string_dup (const void *item);

//  Self-test of the helpers that need no service.
void cli_common_test (bool verbose);

#endif
