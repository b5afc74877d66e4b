#!/usr/bin/python3
"""erp_publisher.py - an example ERP publisher for crmq-sales.

Shows the ERP contract of docs/erp-contract.md at work: master data first
(a manager, clients, a product group, products, a contact person), then
documents in batches, several batches in flight on one ZeroMQ DEALER socket,
each with its batch_id; batches not acknowledged in time are sent again on a
new socket; every event's result is printed.  The documents: orders, a
shipment that arrives before its order, invoices, a payment that arrives
before its invoice, a late payment, a return and a cancellation.

Event ids and external ids are made from --prefix, and every body is built
from fixed values, so running it again with the same prefix changes nothing
in crmq: every event comes back as a duplicate.  --conflict then sends one
used event_id with another body, which crmq refuses (6 ALREADY_EXISTS).

Needs Debian's python3-zmq, python3-protobuf and protobuf-compiler (protoc):
the Python modules for proto/*.proto are generated at start into --proto-out
(a temporary folder by default).

    /usr/bin/python3 examples/python/erp_publisher.py \\
        --endpoint tcp://127.0.0.1:5552 --prefix demo1

Output: one line per event, `event <event_id> accepted|duplicate|rejected
[<code> <STATUS> <field> <message>]`, then `summary: batches=N accepted=N
duplicates=N rejected=N`.  Exit 0 when every batch was acknowledged, 1 when
one could not be delivered (no reply after every resend, or crmq-sales
refused a whole batch), 2 on bad arguments or a missing dependency.
"""

import argparse
import atexit
import collections
import datetime
import decimal
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import zmq
except ImportError:
    sys.exit("erp_publisher: python3-zmq is missing (apt-get install python3-zmq)")

STATUS = {0: "OK", 3: "INVALID_ARGUMENT", 5: "NOT_FOUND", 6: "ALREADY_EXISTS",
          7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION",
          12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE", 16: "UNAUTHENTICATED"}

# Whole-batch replies that say the request itself is wrong: sending it again
# cannot help, fix the publisher.  Any other non-zero reply (14 UNAVAILABLE,
# 13 INTERNAL...) is temporary: back off and send again.
FATAL_BATCH_CODES = (3, 7, 12, 16)

pb = None       # the generated modules, once loaded: pb.crmq, pb.sales, pb.contacts


# --------------------------------------------------------------------------
# Generated protobuf modules

def load_protos(proto_dir, out_dir):
    """Generates the Python modules of proto_dir/*.proto into out_dir with
    protoc and imports them."""
    global pb
    protos = sorted(glob.glob(os.path.join(proto_dir, "*.proto")))
    if not protos:
        sys.exit("erp_publisher: no .proto files in %s" % proto_dir)
    os.makedirs(out_dir, exist_ok=True)
    try:
        subprocess.run(["protoc", "--proto_path=" + proto_dir, "--python_out=" + out_dir] + protos,
                       check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        sys.exit("erp_publisher: protoc failed (%s); apt-get install protobuf-compiler" % error)
    sys.path.insert(0, out_dir)
    try:
        import crmq_pb2
        import contacts_pb2
        import sales_pb2
    except ImportError as error:
        sys.exit("erp_publisher: %s (apt-get install python3-protobuf)" % error)
    pb = collections.namedtuple("pb", "crmq contacts sales")(crmq_pb2, contacts_pb2, sales_pb2)


# --------------------------------------------------------------------------
# Units: exact money and decimals, UTC instants in microseconds

def _split(text):
    """'12.345' -> (12, 345000000): units and nanos of the same sign."""
    value = decimal.Decimal(text)
    units = int(value)                      # truncates toward zero
    nanos = int((value - units) * 1000000000)
    if (value - units) * 1000000000 != nanos:
        raise ValueError("%s has more than 9 decimals" % text)
    return units, nanos


def money(text, currency=""):
    units, nanos = _split(text)
    return pb.crmq.Money(currency=currency, units=units, nanos=nanos)


def dec(text):
    units, nanos = _split(text)
    return pb.crmq.Decimal(units=units, nanos=nanos)


def instant(text):
    """'2024-03-01 10:00' (UTC) -> microseconds since the epoch."""
    moment = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=datetime.timezone.utc)
    return int(moment.timestamp()) * 1000000


# --------------------------------------------------------------------------
# The events this example publishes

def build_events(prefix):
    """Returns (master data events, document events), each list in the order
    an ERP would publish them.  Ids: '<prefix>-C1' for external ids,
    '<prefix>:<kind>:<id>' for event ids."""
    def ext(name):
        return "%s-%s" % (prefix, name)

    def event(kind, name, at):
        e = pb.sales.ErpEvent(event_id="%s:%s:%s" % (prefix, kind, name), occurred_at_us=instant(at))
        return e

    master = []
    e = event("manager", "M1", "2024-03-01 08:00")
    e.manager.external_id = ext("M1")
    e.manager.name = "Ирина Соколова"
    e.manager.email = "i.sokolova@example.com"
    e.manager.time_zone = "Europe/Moscow"
    e.manager.active = True
    master.append(e)

    e = event("client", "C1", "2024-03-01 08:00")
    e.client.external_id = ext("C1")
    e.client.name = "ООО «Вектор»"
    e.client.legal_name = 'Общество с ограниченной ответственностью "Вектор"'
    e.client.country = "Россия"
    e.client.city = "Москва"
    e.client.phone = "8 (495) 555-01-02"
    e.client.email = "office@vector.example"
    e.client.manager_external_id = ext("M1")
    master.append(e)

    e = event("client", "C2", "2024-03-01 08:00")
    e.client.external_id = ext("C2")
    e.client.name = "Nordwind Handel GmbH"
    e.client.country = "Germany"
    e.client.phone = "030 1234567"
    e.client.manager_external_id = ext("M1")
    master.append(e)

    e = event("product_group", "G1", "2024-03-01 08:00")
    e.product_group.external_id = ext("G1")
    e.product_group.name = "Напитки"
    master.append(e)

    for name, title, price, cost in (("P1", "Чай зелёный, 100 г", "4.50", "2.10"),
                                     ("P2", "Coffee beans, 1 kg", "18.00", "11.00")):
        e = event("product", name, "2024-03-01 08:00")
        e.product.external_id = ext(name)
        e.product.name = title
        e.product.group_external_id = ext("G1")
        e.product.group_name = "Напитки"      # creates the group if its own event is late
        e.product.list_price.CopyFrom(money(price))
        e.product.standard_cost.CopyFrom(money(cost))
        master.append(e)

    e = event("contact_person", "C1-A", "2024-03-01 08:00")
    p = e.contact_person
    p.client_external_id = ext("C1")
    p.external_id = "A"                       # unique within its client
    p.name = "Анна Петрова"
    p.position = "менеджер по закупкам"
    p.phone = "8 495 555-01-03"
    p.email = "anna@vector.example"
    p.active = True
    master.append(e)

    documents = []

    def order(name, client, at, required, lines):
        e = event("order", name, at)
        o = e.order_placed
        o.external_id = ext(name)
        o.client_external_id = ext(client)
        o.manager_external_id = ext("M1")
        o.placed_at_us = instant(at)
        if required:
            o.required_at_us = instant(required)
        for product, quantity, price, discount in lines:
            line = o.lines.add()
            line.product_external_id = ext(product)
            line.quantity.CopyFrom(dec(quantity))
            line.unit_price.CopyFrom(money(price))
            if discount:
                line.discount.CopyFrom(dec(discount))
        return e

    # O2's shipment comes first: it is kept until O2 arrives (later batch)
    e = event("shipment", "S2", "2024-03-12 15:00")
    e.shipment.external_id = ext("S2")
    e.shipment.order_external_id = ext("O2")
    e.shipment.shipped_at_us = instant("2024-03-12 15:00")   # after O2's required date: late
    documents.append(e)

    # 10 x 4.50 x (1 - 0.05) = 42.75 and 2 x 18.00 = 36.00: 78.75
    documents.append(order("O1", "C1", "2024-03-04 09:30", "2024-03-08 00:00",
                           [("P1", "10", "4.50", "0.05"), ("P2", "2", "18.00", None)]))

    e = event("invoice", "I1", "2024-03-05 10:00")
    e.invoice.external_id = ext("I1")
    e.invoice.client_external_id = ext("C1")
    e.invoice.order_external_id = ext("O1")
    e.invoice.amount.CopyFrom(money("78.75"))
    e.invoice.issued_at_us = instant("2024-03-05 10:00")
    e.invoice.due_at_us = instant("2024-03-15 00:00")
    documents.append(e)

    e = event("payment", "PAY1", "2024-03-20 12:00")
    e.payment.external_id = ext("PAY1")
    e.payment.client_external_id = ext("C1")
    e.payment.invoice_external_id = ext("I1")
    e.payment.amount.CopyFrom(money("78.75"))
    e.payment.paid_at_us = instant("2024-03-20 12:00")       # after I1's due date: late
    documents.append(e)

    # a payment before its invoice: kept until I2 arrives
    e = event("payment", "PAY2", "2024-03-14 11:00")
    e.payment.external_id = ext("PAY2")
    e.payment.client_external_id = ext("C2")
    e.payment.invoice_external_id = ext("I2")
    e.payment.amount.CopyFrom(money("90.00"))
    e.payment.paid_at_us = instant("2024-03-14 11:00")
    documents.append(e)

    # 5 x 18.00 = 90.00
    documents.append(order("O2", "C2", "2024-03-06 14:00", "2024-03-10 00:00",
                           [("P2", "5", "18.00", None)]))

    e = event("invoice", "I2", "2024-03-12 16:00")
    e.invoice.external_id = ext("I2")
    e.invoice.client_external_id = ext("C2")
    e.invoice.order_external_id = ext("O2")
    e.invoice.amount.CopyFrom(money("90.00"))
    e.invoice.issued_at_us = instant("2024-03-12 16:00")
    e.invoice.due_at_us = instant("2024-03-22 00:00")
    documents.append(e)

    # two packs of tea back from O1, credited at the discounted price: 8.55
    e = event("return", "R1", "2024-03-18 10:00")
    r = e.return_registered
    r.external_id = ext("R1")
    r.client_external_id = ext("C1")
    r.order_external_id = ext("O1")
    r.returned_at_us = instant("2024-03-18 10:00")
    r.reason = "повреждена упаковка"
    line = r.lines.add()
    line.product_external_id = ext("P1")
    line.quantity.CopyFrom(dec("2"))
    line.unit_price.CopyFrom(money("4.275"))
    documents.append(e)

    # 20 x 4.50 = 90.00, then cancelled: counts nothing
    documents.append(order("O3", "C2", "2024-03-16 09:00", None, [("P1", "20", "4.50", None)]))
    e = event("order_cancelled", "O3", "2024-03-17 09:00")
    e.order_cancelled.external_id = ext("O3")
    e.order_cancelled.reason = "клиент передумал"
    documents.append(e)
    return master, documents


def batches_of(events, max_events, max_bytes):
    """Splits events into lists of at most max_events whose IngestRequest
    stays below max_bytes (the frame cap, CRMQ_MAX_MESSAGE_BYTES)."""
    batches, current, size = [], [], 16
    for e in events:
        event_size = e.ByteSize() + 8         # the field's tag and length
        if event_size + 16 > max_bytes:
            raise ValueError("event %s is too large for any request" % e.event_id)
        if current and (len(current) == max_events or size + event_size > max_bytes):
            batches.append(current)
            current, size = [], 16
        current.append(e)
        size += event_size
    if current:
        batches.append(current)
    return batches


# --------------------------------------------------------------------------
# Publishing

class DeliveryError(Exception):
    pass


class Publisher:
    """Sends batches to crmq-sales over one DEALER socket, up to `in_flight`
    at a time, each with its own batch_id; matches replies to batches by
    batch_id (or, from a crmq-sales that does not echo it, the oldest batch
    in flight: one DEALER to one server gets replies in order).  When the
    oldest batch has had no reply for timeout_ms, or a reply says crmq-sales
    cannot write now (14, 13), the socket is closed and every batch still in
    flight is sent again on a new one: events already committed then come
    back as duplicates.  After `retries` resends of a batch it gives up."""

    def __init__(self, endpoint, timeout_ms, retries, in_flight, max_bytes):
        self.endpoint = endpoint
        self.timeout = timeout_ms / 1000.0
        self.retries = retries
        self.in_flight = max(1, in_flight)
        self.max_bytes = max_bytes
        self.context = zmq.Context.instance()
        self.socket = None
        self.next_batch_id = int(time.time() * 1000) << 8   # unique enough across runs

    def _connect(self):
        if self.socket is not None:
            self.socket.close(linger=0)       # late replies to the old socket are dropped
        self.socket = self.context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(self.endpoint)

    def close(self):
        if self.socket is not None:
            self.socket.close(linger=0)
            self.socket = None

    def _send(self, batch):
        self.socket.send_multipart([b"sales.Ingest", batch["body"]])
        batch["sent_at"] = time.monotonic()

    def call(self, method, request, reply_type):
        """One request and its reply (no batching): (code, reply or Error)."""
        if self.socket is None:
            self._connect()
        for attempt in range(self.retries + 1):
            self.socket.send_multipart([method.encode(), request.SerializeToString()])
            if self.socket.poll(int(self.timeout * 1000)):
                code, body = self.socket.recv_multipart()
                code = int(code)
                answer = reply_type() if code == 0 else pb.crmq.Error()
                answer.ParseFromString(body)
                return code, answer
            self._connect()
        raise DeliveryError("%s: no reply from %s after %d tries" % (method, self.endpoint,
                                                                      self.retries + 1))

    def publish(self, batches, on_result):
        """Publishes the batches (lists of ErpEvent); calls on_result(event,
        EventResult) for each event, in each batch's order, as its batch is
        acknowledged.  Raises DeliveryError when a batch cannot be delivered."""
        if self.socket is None:
            self._connect()
        waiting = collections.deque()
        for events in batches:
            request = pb.sales.IngestRequest(events=events, batch_id=self.next_batch_id)
            self.next_batch_id += 1
            body = request.SerializeToString()
            if len(body) > self.max_bytes:    # a frame above the cap gets no reply at all
                raise DeliveryError("batch of %d bytes exceeds %d" % (len(body), self.max_bytes))
            waiting.append({"id": request.batch_id, "events": events, "body": body, "tries": 0})
        flight = collections.OrderedDict()    # batch_id -> batch, oldest first
        backoff = 0.2
        while waiting or flight:
            while waiting and len(flight) < self.in_flight:
                batch = waiting.popleft()
                self._send(batch)
                flight[batch["id"]] = batch
            oldest = next(iter(flight.values()))
            left = oldest["sent_at"] + self.timeout - time.monotonic()
            if left > 0 and self.socket.poll(max(1, int(left * 1000))):
                frames = self.socket.recv_multipart()
                if len(frames) != 2:
                    continue                  # not a reply of this protocol
                code = int(frames[0])
                if code == 0:
                    reply = pb.sales.IngestReply()
                    reply.ParseFromString(frames[1])
                    batch = flight.pop(reply.batch_id, None)
                    if batch is None and reply.batch_id == 0 and flight:
                        batch = flight.pop(next(iter(flight)))
                    if batch is None:
                        continue              # a stale reply to a batch resent since
                    for event, result in zip(batch["events"], reply.results):
                        on_result(event, result)
                    backoff = 0.2
                    continue
                error = pb.crmq.Error()
                error.ParseFromString(frames[1])
                why = "a batch got %d %s: %s" % (code, STATUS.get(code, "?"),
                                                 error.message)
                if code in FATAL_BATCH_CODES:
                    raise DeliveryError(why)
                # a whole-batch error names no batch: all in flight go again
                time.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            else:
                why = "no reply within %.1fs" % self.timeout
            worst = max(flight.values(), key=lambda b: b["tries"])
            if worst["tries"] >= self.retries:
                raise DeliveryError("batch %d: %s from %s after %d tries"
                                    % (worst["id"], why, self.endpoint, worst["tries"] + 1))
            print("warning: %s; sending the %d batches in flight again" % (why, len(flight)),
                  file=sys.stderr)
            self._connect()
            for batch in flight.values():
                batch["tries"] += 1
                self._send(batch)


# --------------------------------------------------------------------------

class Tally:
    def __init__(self):
        self.accepted = self.duplicates = self.rejected = 0

    def __call__(self, event, result):
        if result.code == 0 and result.duplicate:
            self.duplicates += 1
            print("event %s duplicate" % event.event_id)
        elif result.code == 0:
            self.accepted += 1
            print("event %s accepted" % event.event_id)
        else:
            self.rejected += 1
            print("event %s rejected %d %s %s %s" % (event.event_id, result.code,
                                                     STATUS.get(result.code, "?"),
                                                     result.error.field or "-",
                                                     result.error.message))
        sys.stdout.flush()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", default=os.environ.get("CRMQ_SALES_ENDPOINT",
                                                             "tcp://127.0.0.1:5552"))
    parser.add_argument("--prefix", default="pyerp", help="of event ids and external ids")
    parser.add_argument("--proto-dir", default=os.path.join(here, "..", "..", "proto"))
    parser.add_argument("--proto-out", help="folder for the generated modules (default: temporary)")
    parser.add_argument("--batch-size", type=int, default=4, help="events per batch (up to "
                        "crmq-sales' CRMQ_MAX_BATCH_EVENTS, 1000 by default)")
    parser.add_argument("--in-flight", type=int, default=3, help="batches sent before a reply")
    parser.add_argument("--timeout-ms", type=int, default=30000)
    parser.add_argument("--retries", type=int, default=5, help="resends of a batch")
    parser.add_argument("--max-bytes", type=int, default=16 * 1024 * 1024,
                        help="crmq-sales' CRMQ_MAX_MESSAGE_BYTES")
    parser.add_argument("--conflict", action="store_true",
                        help="then send O1's event_id with another body (refused: 6)")
    parser.add_argument("--unresolved", action="store_true",
                        help="then list the documents crmq-sales keeps waiting (sales.Unresolved)")
    args = parser.parse_args()
    if args.batch_size < 1 or args.in_flight < 1 or args.timeout_ms < 1 or args.retries < 0:
        parser.error("--batch-size, --in-flight and --timeout-ms take 1 or more, --retries 0 or more")

    out = args.proto_out
    if not out:
        # generated modules of our own, removed when we exit
        out = tempfile.mkdtemp(prefix="crmq-pb-")
        atexit.register(shutil.rmtree, out, ignore_errors=True)
    load_protos(os.path.normpath(args.proto_dir), out)
    master, documents = build_events(args.prefix)
    publisher = Publisher(args.endpoint, args.timeout_ms, args.retries, args.in_flight,
                          args.max_bytes)
    tally = Tally()
    try:
        # Master data first, acknowledged before any document that names it
        # is sent: batches in flight may be written in any order.
        master_batches = batches_of(master, args.batch_size, args.max_bytes)
        document_batches = batches_of(documents, args.batch_size, args.max_bytes)
        publisher.publish(master_batches, tally)
        publisher.publish(document_batches, tally)
        batches = len(master_batches) + len(document_batches)
        if args.conflict:
            changed = next(e for e in documents if e.WhichOneof("body") == "order_placed")
            changed = pb.sales.ErpEvent.FromString(changed.SerializeToString())
            changed.order_placed.lines[0].quantity.CopyFrom(dec("11"))
            publisher.publish([[changed]], tally)
            batches += 1
        if args.unresolved:
            code, answer = publisher.call("sales.Unresolved", pb.sales.UnresolvedRequest(limit=100),
                                          pb.sales.UnresolvedReply)
            if code != 0:
                print("unresolved: %d %s %s" % (code, STATUS.get(code, "?"), answer.message))
            else:
                print("unresolved: %d" % answer.total)
                for d in answer.documents:
                    print("unresolved %s %s waits for %s %s" % (d.kind, d.external_id,
                                                                 d.missing_kind, d.missing_external_id))
    except DeliveryError as error:
        print("erp_publisher: %s" % error, file=sys.stderr)
        return 1
    finally:
        publisher.close()
    print("summary: batches=%d accepted=%d duplicates=%d rejected=%d"
          % (batches, tally.accepted, tally.duplicates, tally.rejected))
    return 0


if __name__ == "__main__":
    sys.exit(main())
