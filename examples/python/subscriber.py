#!/usr/bin/python3
"""subscriber.py - an example subscriber to crmq's event log.

Shows the rules of docs/subscribing.md at work:
- subscribes on crmq-bus's PUB endpoint to a topic prefix and to the bus's
  marks of that prefix ("bus.mark." + prefix);
- on start, replays (bus.Replay on the bus's request endpoint) from the
  position it stored, so nothing published while it was away is missed;
- holds live events until the mark of their round vouches for them; a mark
  that shows a gap (events lost by the high-water mark, a reconnect, a bus
  restart) makes it replay what it lacks; so events are handled in seq
  order, with no hole and no repeat;
- handles each event and stores its position in the same SQLite transaction
  (--state FILE): the effect is kept exactly once, across restarts.

The handling here is an example: it records the event in the `handled`
table of the state file and prints one line,

    event SEQ TOPIC {JSON of the body}

the JSON as `crmq tail` prints it (money as exact strings).  Put your own
effect in handle(), inside the same transaction as the position.

Needs Debian's python3-zmq, python3-protobuf and protobuf-compiler (protoc):
the Python modules for proto/*.proto are generated at start into --proto-out
(a temporary folder by default).

    /usr/bin/python3 examples/python/subscriber.py --prefix alert. \\
        --pub tcp://127.0.0.1:5560 --endpoint tcp://127.0.0.1:5561 --state alerts.db

Without a stored position it starts at --from SEQ (default: the end of the
log, i.e. only events published from now on).  Ends on SIGTERM or SIGINT
(after the event in hand), after --count N events, or after --idle-exit S
seconds without a new one; exit 0.  Exit 1 when the bus does not answer
after --retries replays in a row, 2 on bad arguments or a missing
dependency.  Progress and gaps are reported on stderr.
"""

import argparse
import base64
import decimal
import glob
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

try:
    import zmq
except ImportError:
    sys.exit("subscriber: python3-zmq is missing (apt-get install python3-zmq)")

STATUS = {0: "OK", 3: "INVALID_ARGUMENT", 5: "NOT_FOUND", 7: "PERMISSION_DENIED",
          8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION", 12: "UNIMPLEMENTED",
          13: "INTERNAL", 14: "UNAVAILABLE", 16: "UNAUTHENTICATED"}

decimal.getcontext().prec = 40  # int64 units and 9 decimals, exactly

REPLAY_LIMIT = 1000             # events per bus.Replay (the bus allows up to 10000)
MARK_TIMEOUT = 10.0             # seconds without a mark before checking by a replay

pb = {}                         # generated modules by name: pb["bus"].ReplayRequest


# --------------------------------------------------------------------------
# Generated protobuf modules and the topic registry

def load_protos(proto_dir, out_dir):
    """Generates the Python modules of proto_dir/*.proto into out_dir with
    protoc and imports them."""
    protos = sorted(glob.glob(os.path.join(proto_dir, "*.proto")))
    if not protos:
        sys.exit("subscriber: no .proto files in %s" % proto_dir)
    os.makedirs(out_dir, exist_ok=True)
    try:
        subprocess.run(["protoc", "--proto_path=" + proto_dir, "--python_out=" + out_dir] + protos,
                       check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        sys.exit("subscriber: protoc failed (%s); apt-get install protobuf-compiler" % error)
    sys.path.insert(0, out_dir)
    try:
        import crmq_pb2, bus_pb2, contacts_pb2, deals_pb2, alerts_pb2, sales_pb2
    except ImportError as error:
        sys.exit("subscriber: %s (apt-get install python3-protobuf)" % error)
    pb.update(crmq=crmq_pb2, bus=bus_pb2, contacts=contacts_pb2, deals=deals_pb2,
              alerts=alerts_pb2, sales=sales_pb2)


def topics():
    """Topic (exact, or a prefix ending in ".") -> message class: the table
    of docs/subscribing.md (common/crmq_topics.c in crmq itself)."""
    interaction = pb["contacts"].InteractionEvent
    return {
        "contacts.client.merged": pb["contacts"].ClientMerged,
        "contacts.request.opened": interaction,
        "contacts.request.updated": interaction,
        "contacts.complaint.opened": interaction,
        "contacts.complaint.updated": interaction,
        "sales.deal.": pb["deals"].DealEvent,
        "sales.order.placed": pb["sales"].OrderEvent,
        "sales.order.changed": pb["sales"].OrderEvent,
        "sales.order.cancelled": pb["sales"].OrderEvent,
        "sales.order.shipped": pb["sales"].ShipmentEvent,
        "sales.invoice.issued": pb["sales"].InvoiceEvent,
        "sales.payment.received": pb["sales"].PaymentEvent,
        "sales.return.registered": pb["sales"].ReturnEvent,
        "alert.": pb["alerts"].Alert,
    }


def message_type(registry, topic):
    """The message class of `topic`: its exact row, else the longest prefix
    row; None when crmq does not name one."""
    if topic in registry and not topic.endswith("."):
        return registry[topic]
    best = None
    for row, cls in registry.items():
        if row.endswith(".") and topic.startswith(row) and len(topic) > len(row):
            if best is None or len(row) > len(best[0]):
                best = (row, cls)
    return best[1] if best else None


# --------------------------------------------------------------------------
# A message as JSON, as crmq tail prints it

def exact(units, nanos, money):
    """units + nanos / 1e9 as exact text; money with at least 2 decimals."""
    value = decimal.Decimal(units) + decimal.Decimal(nanos).scaleb(-9)
    text = format(value.normalize(), "f") if value else "0"
    if money:
        whole, _, fraction = text.partition(".")
        text = whole + "." + fraction.ljust(2, "0")
    return text


def to_json(message):
    """Every field of `message` (defaults included) as a dict: crmq.Money as
    {"currency", "amount"}, crmq.Decimal as a string, enums by name, bytes
    as base64, maps as objects."""
    name = message.DESCRIPTOR.full_name
    if name == "crmq.Money":
        return {"currency": message.currency, "amount": exact(message.units, message.nanos, True)}
    if name == "crmq.Decimal":
        return exact(message.units, message.nanos, False)
    out = {}
    for field in message.DESCRIPTOR.fields:
        if field.containing_oneof and message.WhichOneof(field.containing_oneof.name) != field.name:
            continue
        value = getattr(message, field.name)
        if field.message_type and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            out[field.name] = {str(k).lower() if isinstance(k, bool) else str(k):
                               scalar(value_field, v) for k, v in value.items()}
        elif field.label == field.LABEL_REPEATED:
            out[field.name] = [scalar(field, v) for v in value]
        elif field.type == field.TYPE_MESSAGE and not message.HasField(field.name):
            out[field.name] = None
        else:
            out[field.name] = scalar(field, value)
    return out


def scalar(field, value):
    if field.type == field.TYPE_MESSAGE:
        return to_json(value)
    if field.type == field.TYPE_ENUM:
        named = field.enum_type.values_by_number.get(value)
        return named.name if named else value
    if field.type == field.TYPE_BYTES:
        return base64.b64encode(value).decode("ascii")
    return value


# --------------------------------------------------------------------------
# State: the position and the handled events, in one SQLite file

class State:
    """Position and effects in one SQLite database, so that they are
    committed together (exactly once)."""

    def __init__(self, path, prefix):
        self.db = sqlite3.connect(path, isolation_level=None)   # explicit transactions
        self.prefix = prefix
        self.db.execute("CREATE TABLE IF NOT EXISTS position (prefix TEXT PRIMARY KEY,"
                        " seq INTEGER NOT NULL)")
        # n: the order of handling; a seq handled twice would break UNIQUE
        self.db.execute("CREATE TABLE IF NOT EXISTS handled (n INTEGER PRIMARY KEY,"
                        " seq INTEGER NOT NULL UNIQUE, topic TEXT NOT NULL, event TEXT NOT NULL)")

    def position(self):
        """The last seq handled, or None when nothing was stored yet."""
        row = self.db.execute("SELECT seq FROM position WHERE prefix = ?", (self.prefix,)).fetchone()
        return row[0] if row else None

    def store(self, seq):
        self.db.execute("INSERT INTO position (prefix, seq) VALUES (?, ?) ON CONFLICT (prefix)"
                        " DO UPDATE SET seq = excluded.seq", (self.prefix, seq))

    def close(self):
        self.db.close()


# --------------------------------------------------------------------------
# The subscriber

class BusUnavailable(Exception):
    pass


class Subscriber:
    def __init__(self, args, state, registry):
        self.args = args
        self.state = state
        self.registry = registry
        self.mark_topic = "bus.mark." + args.prefix
        self.context = zmq.Context.instance()
        self.sub = self.context.socket(zmq.SUB)
        self.sub.setsockopt(zmq.RCVHWM, args.rcvhwm)
        self.sub.setsockopt(zmq.SUBSCRIBE, args.prefix.encode())
        self.sub.setsockopt(zmq.SUBSCRIBE, self.mark_topic.encode())
        self.sub.connect(args.pub)
        self.dealer = None
        self.position = 0
        self.held = {}              # seq -> (topic, body): received, not yet vouched for
        self.handled = 0
        self.received = 0           # live events received
        self.last_mark = time.monotonic()
        self.last_event = time.monotonic()

    # -- bus.Replay ---------------------------------------------------------

    def _call(self, method, request, reply_type):
        """One request to the bus: [method][body] -> [code][body].  Resends
        on a new socket after --timeout-ms, --retries times; raises
        BusUnavailable after that or on an error code."""
        for _ in range(self.args.retries + 1):
            if self.dealer is None:
                self.dealer = self.context.socket(zmq.DEALER)
                self.dealer.setsockopt(zmq.LINGER, 0)
                self.dealer.connect(self.args.endpoint)
            self.dealer.send_multipart([method.encode(), request.SerializeToString()])
            if self.dealer.poll(self.args.timeout_ms):
                code, body = self.dealer.recv_multipart()
                code = int(code)
                if code != 0:
                    error = pb["crmq"].Error()
                    error.ParseFromString(body)
                    raise BusUnavailable("%s: %d %s: %s" % (method, code, STATUS.get(code, "?"),
                                                            error.message))
                reply = reply_type()
                reply.ParseFromString(body)
                return reply
            self.dealer.close(linger=0)     # a late reply must not answer the next request
            self.dealer = None
        raise BusUnavailable("%s: no reply from %s (CRMQ_BUS_ENDPOINT) after %d tries"
                             % (method, self.args.endpoint, self.args.retries + 1))

    def published_seq(self):
        """The bus's published bound: where "the end of the log" is now."""
        request = pb["bus"].ReplayRequest(from_seq=2 ** 62, topic_prefix=self.args.prefix, limit=1)
        return self._call("bus.Replay", request, pb["bus"].ReplayReply).published_seq

    def replay(self, why):
        """Handles every matching event after the position, up to the bus's
        published bound."""
        start = self.position
        handled = 0
        while not self.done():
            request = pb["bus"].ReplayRequest(from_seq=self.position + 1,
                                              topic_prefix=self.args.prefix, limit=REPLAY_LIMIT)
            reply = self._call("bus.Replay", request, pb["bus"].ReplayReply)
            if reply.first_seq > self.position + 1:
                print("subscriber: seq %d..%d are no longer kept (the bus's retention): any"
                      " event of this prefix among them is lost" % (self.position + 1,
                                                                     reply.first_seq - 1),
                      file=sys.stderr)
            for event in reply.events:
                if event.seq > self.position and not self.done():
                    self.handle(event.seq, event.topic, event.body)
                    handled += 1
            if len(reply.events) < REPLAY_LIMIT:
                break
        for seq in [s for s in self.held if s <= self.position]:
            del self.held[seq]
        self.last_mark = time.monotonic()
        print("subscriber: replay (%s) from %d: %d events, position %d"
              % (why, start + 1, handled, self.position), file=sys.stderr)

    # -- handling -----------------------------------------------------------

    def handle(self, seq, topic, body):
        """The effect of one event and the new position, one transaction."""
        cls = message_type(self.registry, topic)
        if cls is None:
            event = {"type": "unknown", "body_base64": base64.b64encode(body).decode("ascii")}
        else:
            message = cls()
            try:
                message.ParseFromString(body)
                event = to_json(message)
            except Exception as error:          # a body that is not its type: keep it raw
                event = {"type": cls.DESCRIPTOR.full_name, "error": str(error),
                         "body_base64": base64.b64encode(body).decode("ascii")}
        text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        db = self.state.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT INTO handled (seq, topic, event) VALUES (?, ?, ?)", (seq, topic, text))
            self.state.store(seq)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.position = seq
        self.handled += 1
        self.last_event = time.monotonic()
        print("event %d %s %s" % (seq, topic, text), flush=True)

    # -- marks --------------------------------------------------------------

    def on_mark(self, mark):
        """Applies the held events the mark vouches for, or replays when it
        shows that some were lost."""
        self.last_mark = time.monotonic()
        if mark.last_seq <= self.position:
            return                              # nothing new (an idle mark)
        if mark.prev_seq > self.position:
            print("subscriber: gap: the mark says %d came before this round, last handled %d"
                  % (mark.prev_seq, self.position), file=sys.stderr)
            return self.replay("gap")
        round_seqs = sorted(s for s in self.held if mark.prev_seq < s <= mark.last_seq)
        if len(round_seqs) != mark.count:
            print("subscriber: gap: %d of the round's %d events received"
                  % (len(round_seqs), mark.count), file=sys.stderr)
            return self.replay("gap")
        for seq in round_seqs:
            topic, body = self.held.pop(seq)
            if seq > self.position and not self.done():
                self.handle(seq, topic, body)

    # -- the loop -----------------------------------------------------------

    def done(self):
        return STOP or (self.args.count and self.handled >= self.args.count)

    def run(self):
        stored = self.state.position()
        if stored is not None:
            self.position = stored
        elif self.args.from_seq:
            self.position = self.args.from_seq - 1
        else:
            self.position = self.published_seq()
        print("subscriber: prefix %r, starting after seq %d" % (self.args.prefix, self.position),
              file=sys.stderr)
        failures = 0
        self.replay("start")
        while not self.done():
            try:
                if self.sub.poll(200):
                    frames = self.sub.recv_multipart()
                    if len(frames) != 3:
                        continue                # not [topic][seq][body]
                    topic = frames[0].decode("utf-8", "replace")
                    seq = int(frames[1])
                    if topic == self.mark_topic:
                        mark = pb["bus"].BusMark()
                        mark.ParseFromString(frames[2])
                        self.on_mark(mark)
                    elif topic.startswith(self.args.prefix) and not topic.startswith("bus."):
                        self.received += 1
                        if self.args.drop_every and self.received % self.args.drop_every == 0:
                            continue            # a loss made on purpose (--drop-every)
                        if seq > self.position:
                            self.held[seq] = (topic, frames[2])
                if time.monotonic() - self.last_mark > MARK_TIMEOUT:
                    self.replay("no mark for %.0f s" % MARK_TIMEOUT)
                failures = 0
            except BusUnavailable as error:
                failures += 1
                print("subscriber: %s" % error, file=sys.stderr)
                if failures > self.args.retries:
                    raise
                time.sleep(min(5.0, 0.2 * 2 ** failures))
            if self.args.idle_exit and time.monotonic() - self.last_event > self.args.idle_exit:
                break

    def close(self):
        self.sub.close(linger=0)
        if self.dealer is not None:
            self.dealer.close(linger=0)


STOP = False


def on_signal(signum, frame):
    global STOP
    STOP = True


def main():
    parser = argparse.ArgumentParser(description="Subscribe to crmq's event log.")
    parser.add_argument("--prefix", default="", help="topic prefix (\"\" = every topic)")
    parser.add_argument("--pub", default=os.environ.get("CRMQ_BUS_PUB_ENDPOINT", "tcp://127.0.0.1:5560"),
                        help="crmq-bus PUB endpoint (CRMQ_BUS_PUB_ENDPOINT)")
    parser.add_argument("--endpoint", default=os.environ.get("CRMQ_BUS_ENDPOINT", "tcp://127.0.0.1:5561"),
                        help="crmq-bus request endpoint for bus.Replay (CRMQ_BUS_ENDPOINT)")
    parser.add_argument("--state", required=True, help="SQLite file: position and handled events")
    parser.add_argument("--from", dest="from_seq", type=int, default=0,
                        help="first seq when no position is stored (0 = the end of the log)")
    parser.add_argument("--count", type=int, default=0, help="exit after N events")
    parser.add_argument("--idle-exit", type=float, default=0, help="exit after S seconds with no event")
    parser.add_argument("--rcvhwm", type=int, default=10000,
                        help="events the SUB socket holds before it drops (a gap, replayed)")
    parser.add_argument("--drop-every", type=int, default=0,
                        help="for trying the gap handling: ignore every Nth live event received")
    parser.add_argument("--timeout-ms", type=int, default=5000, help="wait for one bus.Replay reply")
    parser.add_argument("--retries", type=int, default=3, help="resends before giving up")
    parser.add_argument("--proto-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                           "..", "..", "proto"))
    parser.add_argument("--proto-out", help="where to generate the Python modules (default: a temporary folder)")
    args = parser.parse_args()
    if args.prefix.startswith("bus."):
        parser.error("topics under bus. are the bus's own")
    if args.from_seq < 0 or args.count < 0 or args.retries < 0 or args.timeout_ms <= 0 \
            or args.rcvhwm <= 0 or args.drop_every < 0:
        parser.error("--from, --count and --retries must be >= 0, --timeout-ms and --rcvhwm > 0")

    with tempfile.TemporaryDirectory() as scratch:
        load_protos(args.proto_dir, args.proto_out or scratch)
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        state = State(args.state, args.prefix)
        subscriber = Subscriber(args, state, topics())
        try:
            subscriber.run()
        except BusUnavailable as error:
            print("subscriber: giving up: %s" % error, file=sys.stderr)
            return 1
        finally:
            subscriber.close()
            state.close()
        print("subscriber: %d events handled, position %d" % (subscriber.handled, subscriber.position),
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
