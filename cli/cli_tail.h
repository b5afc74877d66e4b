/*  cli_tail.h - `crmq tail`: the event log as it grows, decoded.

      crmq tail [PREFIX] [--from SEQ] [--format text|json] [--count N] [--timeout S]

    Follows crmq-bus (CRMQ_BUS_PUB_ENDPOINT for events, CRMQ_BUS_ENDPOINT
    for bus.Replay) through an in-memory consumer of the events whose topic
    starts with PREFIX ("" = all): without --from only events published
    from now on; with --from SEQ the log from SEQ (replayed), then live, in
    seq order with no gap and no repeat.  Each event is decoded by its topic
    (crmq_topics) into JSON (crmq_event_json):
      text  "SEQ  TOPIC  {compact JSON}"                          (default)
      json  {"seq": SEQ, "topic": T, "type": "crmq.X", "event": {...}}
    one line per event.  A topic crmq does not know prints its body as
    base64: "SEQ  TOPIC  (type unknown) base64:..." or {"seq", "topic",
    "type": "unknown", "body_base64"}; a body that does not decode as its
    type likewise, with the reason ("error").

    Ends after --count N events (exit 0), or after --timeout S seconds with
    no event: exit 0 without --count, 1 with it (fewer than N came; said on
    stderr).  Runs until interrupted otherwise.  Exit 1 when crmq-bus cannot
    be reached at start (the message names both endpoints and their
    variables); later outages are reported on stderr and waited out.  64 for
    a bad command line.                                                     */
#ifndef CLI_TAIL_H_INCLUDED
#define CLI_TAIL_H_INCLUDED

#include "crmq.h"

#define CLI_TAIL_USAGE \
    "crmq tail [PREFIX] [--from SEQ] [--format text|json] [--count N] [--timeout S]"

//  Runs `crmq tail`; argv [0] is "tail".  Returns the exit code.
int cli_tail_run (crmq_config_t *config, int argc, char **argv);

//  Self-test of the line formats (no service needed).
void cli_tail_test (bool verbose);

#endif
