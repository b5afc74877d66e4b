#!/usr/bin/python3
"""report_expected.py - the reports of docs/reports.md computed independently
from the raw CSVs of a data set, to check crmq's answers against.

Reads the files the importers read (crmq import northwind|superstore|
online-retail, and extra CSVs sent with `crmq import csv --mapping`) and maps
them as the importers do (cli/cli_import_northwind.c, cli/cli_import_csv.c
with examples/mappings/*.json, cli/cli_documents.h):

- Northwind: the client of an order is orders.customer_id; a line's amount is
  round_half_up(quantity x unit_price x (1 - discount), 2) with unit_price and
  discount first rounded half-up to 2 decimals (the float artefacts of the
  dump); no costs (no line cost, no standard cost), so no profit; order_date
  is local midnight in the import zone.
- A mapping CSV (Superstore, Online Retail, extras): one row per line, the
  first row of a document gives its header (date, client); a document whose
  number starts with the mapping's return_prefix is a return, quantities and
  amounts counting by their size; rows that are no sale are skipped (in an
  order a quantity of 0 or below or a negative price, in a return a quantity
  of 0 or a negative price); an empty client id goes to the walk-in client;
  ids written "17850.0" are "17850" with integral_ids.  Without a price
  column the line amount is the file's amount rounded half-up to cents (the
  importer derives a unit price that gives it back: superstore.sh checks
  that every Superstore line does).  The cost is the cost column, or the
  line amount less the profit column, kept to cents half-up (numeric(24,2)).
- Clients are every client the import creates (Northwind: customers.csv;
  a mapping CSV: the clients of the rows sent), with the walk-in client.

Days are days of the company's zone (--zone, CRMQ_TIME_ZONE; UTC in the
test stack) of the instant the import made of the file's local time
(--import-zone, default the company's).  Ties are broken by crmq's client
id: --ids FILE gives "external_id<TAB>id" lines (from analytics.clients);
without it, the order the import creates clients in.

Definitions (docs/reports.md, "Definitions"; DESIGN.md "Analytics
definitions"), computed with exact Decimal arithmetic:
- revenue = line amounts of orders placed in [from, to) less returns
  registered in it; profit = revenue - (cost sold - cost returned), none
  when a line of the period has no cost; quantity = sold - returned; orders
  = distinct orders placed; average order = revenue / orders half-up to
  cents, 0 when revenue <= 0.
- ABC: clients by the measure descending, ties by id; A while the share
  *before* the client is under a_share (0.80), B under b_share (0.95), else
  C; a measure <= 0 is C; total = sum of the positive measures.
- XYZ: monthly revenue over every month the period touches (empty months
  0), population standard deviation, cv = stddev / mean; X <= 0.10, Y <=
  0.25, Z above or mean <= 0.
- RFM over the clients with an order in the period: F = ceil(5 x #{f <=
  mine} / n), M likewise, R = ceil(5 x #{recency >= mine} / n); segments in
  the order of docs/reports.md.
- client base at the report date D: potential / one-time / regular / lost
  (last order lost_after_days or more before D); per month: new, returning,
  lost (lost at the month's end and not at its start: see flows()),
  clients with orders, orders, revenue, classes at the month's end.

Shares are compared as fractions rounded half-up to 9 decimals, means and
standard deviations rounded half-up to cents, exactly (crmq rounds as here:
no tolerance is needed).

Usage:
    report_expected.py DATASET PATH [--extra MAPPING.json:FILE.csv]...
        [--ids FILE] [--zone Z] [--import-zone Z] [--summary]
        [--job SPEC]...
DATASET: northwind (PATH = the folder of its CSVs), superstore (PATH = the
CSV), online_retail (PATH = the folder of monthly CSVs), none (only
--extra).  A SPEC is comma-separated key=value:
    report=abc|xyz|abc_xyz|rfm|base|rating|client_metrics|facts (required;
    facts: per client sales, returns, cost, lines, lines_without_cost,
    quantity, orders of the period, actual= a tab-separated file with a
    header and those columns after "client", as the rollups hold them)
    measure=revenue|profit|quantity|orders, from=YYYY-MM-DD, to=YYYY-MM-DD,
    as_of=YYYY-MM-DD, a_share=, b_share=, x_cv=, y_cv= (fractions),
    lost_after=DAYS, label=TEXT (the line printed), actual=FILE.json
    (crmq report ... --format json; compared and the differences printed),
    out=FILE.json (the expected result written there)
Without actual= the expected result is printed as JSON.  Exit 1 when a
comparison found a difference, 2 on bad usage.
"""

import csv
import datetime
import glob
import json
import math
import os
import re
import sys
import zoneinfo
from decimal import Decimal, ROUND_HALF_UP, localcontext

CENTS = Decimal("0.01")
NINE = Decimal("0.000000001")
ZERO = Decimal(0)
WALK_IN_NAME = "Walk-in customers"


def round2(value):
    """Half-up (away from zero) to cents, as PostgreSQL's numeric does."""
    return value.quantize(CENTS, ROUND_HALF_UP)


def share9(value):
    return value.quantize(NINE, ROUND_HALF_UP)


# --------------------------------------------------------------------------
# What the importers send: clients and documents

class Line:
    """amount: the line's amount; listed: round_half_up(quantity x unit
    price, 2), the amount before the discount; cost: None when unknown."""
    __slots__ = ("amount", "cost", "quantity", "listed")

    def __init__(self, amount, cost, quantity, listed):
        self.amount, self.cost, self.quantity, self.listed = amount, cost, quantity, listed


class Document:
    """An order or a return as the importer sends it."""
    __slots__ = ("kind", "number", "client", "day", "instant", "lines", "spoiled",
                 "shipped", "required")

    def __init__(self, kind, number, client, instant, day):
        self.kind, self.number, self.client = kind, number, client
        self.instant, self.day = instant, day
        self.lines = []
        self.spoiled = False
        self.shipped = self.required = None     # (instant, day) of an order's shipment


class Facts:
    """Clients (in creation order) and the documents sent."""

    def __init__(self, zone):
        self.zone = zoneinfo.ZoneInfo(zone)
        self.clients = []             # external ids, first-created first
        self.known = set()
        self.documents = {}           # (kind, number) -> Document, first-seen order
        self.rejected_rows = 0
        self.skipped_rows = 0

    def client(self, external_id):
        if external_id not in self.known:
            self.known.add(external_id)
            self.clients.append(external_id)

    def instant(self, text, import_zone):
        """Local date or date-time text in import_zone -> (UTC instant, company day)."""
        text = text.strip()
        if len(text) == 10:
            local = datetime.datetime.strptime(text, "%Y-%m-%d")
        elif len(text) == 16:
            local = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M")
        else:
            local = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
        moment = local.replace(tzinfo=zoneinfo.ZoneInfo(import_zone))
        utc = moment.astimezone(datetime.timezone.utc)
        return utc, utc.astimezone(self.zone).date()

    def sent(self):
        return [d for d in self.documents.values() if not d.spoiled and d.lines]


def derived_price(quantity, discount, amount):
    """The unit price crmq derives from a line amount (cli_money_unit_price):
    amount / (quantity x (1 - discount)) to 9 decimals half-up, moved a
    nano at a time until round_half_up(quantity x price x (1 - discount), 2)
    gives the amount rounded to cents."""
    nano = Decimal("0.000000001")
    with localcontext() as ctx:
        ctx.prec = 60
        price = (amount / (quantity * (1 - discount))).quantize(nano, ROUND_HALF_UP)
        target = round2(amount)
        for _ in range(1000):
            cents = round2(quantity * price * (1 - discount))
            if cents == target:
                return price
            price += nano if cents < target else -nano
    raise SystemExit("report_expected: no unit price gives %s at %s x (1 - %s)"
                     % (amount, quantity, discount))


def s_number(text):
    text = text.strip()
    return Decimal(text) if text else None


def load_northwind(facts, folder, import_zone):
    """cli_import_northwind.c: customers, orders, order_details."""
    with open(os.path.join(folder, "customers.csv"), newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["customer_id"].strip() and row["company_name"].strip():
                facts.client(row["customer_id"].strip())
    headers, order = {}, []
    with open(os.path.join(folder, "orders.csv"), newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            number = row["order_id"].strip()
            if not number or number in headers:
                facts.rejected_rows += 1
                continue
            client = row["customer_id"].strip()
            if not client or not row["order_date"].strip():
                headers[number] = None          # rejected: its lines are not sent
                facts.rejected_rows += 1
                continue
            instant, day = facts.instant(row["order_date"], import_zone)
            document = Document("order", number, client, instant, day)
            if row["shipped_date"].strip():
                document.shipped = facts.instant(row["shipped_date"], import_zone)
            if row["required_date"].strip():
                document.required = facts.instant(row["required_date"], import_zone)
            headers[number] = document
            order.append(number)
    with open(os.path.join(folder, "order_details.csv"), newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            document = headers.get(row["order_id"].strip())
            if document is None:
                facts.rejected_rows += 1
                continue
            price = Decimal(row["unit_price"]).quantize(CENTS, ROUND_HALF_UP)
            quantity = Decimal(row["quantity"])
            discount = Decimal(row["discount"]).quantize(CENTS, ROUND_HALF_UP)
            if price < 0 or quantity <= 0 or discount < 0 or discount > 1:
                document.spoiled = True
                facts.rejected_rows += 1
                continue
            document.lines.append(Line(round2(quantity * price * (1 - discount)), None,
                                       quantity, round2(quantity * price)))
    for number in order:
        document = headers[number]
        facts.documents[("order", number)] = document


def load_mapping_csv(facts, mapping, paths, import_zone):
    """cli_import_csv.c with a mapping (examples/mappings/*.json)."""
    columns = mapping["columns"]
    prefix = mapping.get("return_prefix")
    walk_in = mapping.get("walk_in_client")
    integral = mapping.get("integral_ids", False)
    zone = mapping.get("time_zone") or import_zone
    percent = mapping.get("discount_percent", False)

    def field(row, key):
        name = columns.get(key)
        return row[name].strip() if name and row.get(name) is not None else ""

    def ident(text):
        if integral and text.endswith(".0") and text[:-2].isdigit():
            return text[:-2]
        return text

    for path in paths:
        with open(path, newline="", encoding="utf-8-sig") as f:
            for row in csv.DictReader(f):
                number = ident(field(row, "order_id"))
                kind = "return" if prefix and number.startswith(prefix) else "order"
                quantity = s_number(field(row, "quantity"))
                price = s_number(field(row, "unit_price"))
                amount = s_number(field(row, "line_amount"))
                discount = s_number(field(row, "discount")) or ZERO
                cost = s_number(field(row, "cost"))
                profit = s_number(field(row, "profit"))
                if kind == "return":
                    quantity = abs(quantity)
                    if quantity == 0 or (price is not None and price < 0):
                        facts.skipped_rows += 1
                        continue
                elif quantity <= 0 or (price is not None and price < 0) \
                        or (price is None and amount < 0):
                    facts.skipped_rows += 1
                    continue
                if percent:
                    discount = discount / 100
                key = (kind, number)
                if discount < 0 or discount > 1:
                    facts.rejected_rows += 1
                    if key in facts.documents:
                        facts.documents[key].spoiled = True
                    continue
                signed = amount
                if price is None:
                    price = derived_price(quantity, discount, abs(amount))
                value = round2(quantity * price * (1 - discount))
                if profit is not None:
                    cost = signed - profit
                if cost is not None:
                    if kind == "return" and cost < 0:
                        cost = -cost
                    if cost < 0:
                        facts.rejected_rows += 1
                        if key in facts.documents:
                            facts.documents[key].spoiled = True
                        continue
                    cost = round2(cost)
                client = ident(field(row, "client_id"))
                if not client and walk_in:
                    client = walk_in["id"]
                instant, day = facts.instant(field(row, "date"), zone)
                document = facts.documents.get(key)
                if document is None:
                    document = Document(kind, number, client, instant, day)
                    if kind == "order" and field(row, "ship_date"):
                        document.shipped = facts.instant(field(row, "ship_date"), zone)
                    if kind == "order" and field(row, "required_date"):
                        document.required = facts.instant(field(row, "required_date"), zone)
                    facts.documents[key] = document
                elif document.client != client:
                    facts.rejected_rows += 1
                    document.spoiled = True
                    continue
                facts.client(client)
                document.lines.append(Line(value, cost, quantity, round2(quantity * price)))


def load(dataset, path, extras, zone, import_zone, source_dir):
    facts = Facts(zone)
    mappings = os.path.join(source_dir, "examples", "mappings")
    if dataset == "northwind":
        load_northwind(facts, path, import_zone)
    elif dataset == "superstore":
        with open(os.path.join(mappings, "superstore.json"), encoding="utf-8") as f:
            load_mapping_csv(facts, json.load(f), [path], import_zone)
    elif dataset == "online_retail":
        with open(os.path.join(mappings, "online_retail.json"), encoding="utf-8") as f:
            load_mapping_csv(facts, json.load(f), sorted(glob.glob(path + "/*.csv")),
                             import_zone)
    elif dataset != "none":
        raise SystemExit("report_expected: unknown data set %s" % dataset)
    for extra in extras:
        mapping_path, csv_path = extra.split(":", 1)
        with open(mapping_path, encoding="utf-8") as f:
            load_mapping_csv(facts, json.load(f), [csv_path], import_zone)
    return facts


# --------------------------------------------------------------------------
# Figures per client over a period

class Totals:
    __slots__ = ("sales", "returns", "cost", "lines", "lines_without_cost", "quantity",
                 "orders", "first_order", "last_order", "active", "discounts",
                 "late_shipments")

    def __init__(self):
        self.sales = self.returns = self.cost = self.quantity = self.discounts = ZERO
        self.lines = self.lines_without_cost = self.orders = self.late_shipments = 0
        self.first_order = self.last_order = None
        self.active = False             # an order or a return in the period

    @property
    def revenue(self):
        return self.sales - self.returns


def in_period(day, start, end):
    return (start is None or day >= start) and (end is None or day < end)


class Model:
    """The facts, indexed for the reports."""

    def __init__(self, facts, ids=None):
        self.facts = facts
        self.documents = facts.sent()
        self.clients = list(facts.clients)
        if ids:
            missing = [c for c in self.clients if c not in ids]
            if missing:
                raise SystemExit("report_expected: --ids lacks %d clients (%s...)"
                                 % (len(missing), missing[0]))
            extra = [c for c in ids if c not in facts.known]
            self.clients += extra       # clients crmq has and the files do not
            self.rank = dict(ids)
        else:
            self.rank = {c: i for i, c in enumerate(self.clients)}
        self.order_days = {c: [] for c in self.clients}
        for d in self.documents:
            if d.kind == "order":
                self.order_days.setdefault(d.client, []).append(d.day)
        for days in self.order_days.values():
            days.sort()

    def totals(self, start, end):
        result = {c: Totals() for c in self.clients}
        for d in self.documents:
            # shipments of the period, late after the order's required date
            if d.shipped and d.required and in_period(d.shipped[1], start, end) \
                    and d.shipped[0] > d.required[0]:
                result[d.client].late_shipments += 1
            if not in_period(d.day, start, end):
                continue
            t = result[d.client]
            t.active = True
            if d.kind == "order":
                t.orders += 1
                t.first_order = d.day if t.first_order is None else min(t.first_order, d.day)
                t.last_order = d.day if t.last_order is None else max(t.last_order, d.day)
                for line in d.lines:
                    t.sales += line.amount
                    t.discounts += line.listed - line.amount
                    t.quantity += line.quantity
                    t.lines += 1
                    if line.cost is None:
                        t.lines_without_cost += 1
                    else:
                        t.cost += line.cost
            else:
                for line in d.lines:
                    t.returns += line.amount
                    t.quantity -= line.quantity
                    if line.cost is not None:
                        t.cost -= line.cost
        return result

    def monthly_revenue(self, start, end):
        """client -> {(year, month): revenue} over [start, end)."""
        result = {}
        for d in self.documents:
            if not in_period(d.day, start, end):
                continue
            months = result.setdefault(d.client, {})
            key = (d.day.year, d.day.month)
            amount = sum((l.amount for l in d.lines), ZERO)
            months[key] = months.get(key, ZERO) + (amount if d.kind == "order" else -amount)
        return result


def measure_value(t, measure):
    if measure == "revenue":
        return t.revenue
    if measure == "profit":
        return t.revenue - t.cost
    if measure == "quantity":
        return t.quantity
    if measure == "orders":
        return Decimal(t.orders)
    raise SystemExit("report_expected: unknown measure %s" % measure)


def average_order(t):
    if t.orders == 0 or t.revenue <= 0:
        return ZERO.quantize(CENTS)
    return round2(t.revenue / t.orders)


def text(value):
    """Exact decimal text without exponent."""
    if isinstance(value, int):
        return value
    return format(value, "f")


# --------------------------------------------------------------------------
# The reports

def costs_missing(totals):
    return sum(t.lines_without_cost for t in totals.values())


def ranked(model, values):
    return sorted(values, key=lambda c: (-values[c], model.rank[c]))


def abc_classes(model, values, a_share=Decimal("0.80"), b_share=Decimal("0.95")):
    """client -> (class, share, cumulative share, rank) by docs/reports.md."""
    order = ranked(model, values)
    total = sum((v for v in values.values() if v > 0), ZERO)
    before, result = ZERO, {}
    for position, c in enumerate(order, 1):
        v = values[c]
        if v <= 0 or total == 0:
            klass = "C"
        elif before < a_share * total:
            klass = "A"
        elif before < b_share * total:
            klass = "B"
        else:
            klass = "C"
        with localcontext() as ctx:
            ctx.prec = 60
            share = v / total if total else ZERO
            after = before + v
            cumulative = after / total if total else ZERO
        result[c] = (klass, share, cumulative, position)
        before += v
    return result, total


def report_abc(model, p):
    measure = p.get("measure", "revenue")
    totals = model.totals(p.get("from"), p.get("to"))
    notes = []
    if measure == "profit" and costs_missing(totals):
        notes.append("costs missing: %d lines" % costs_missing(totals))
        return {"report": "abc", "measure": measure, "profit_available": False,
                "lines_without_cost": costs_missing(totals), "notes": notes,
                "tables": {"clients": {}, "classes": {}}}
    values = {c: measure_value(t, measure) for c, t in totals.items()}
    classes, total = abc_classes(model, values, p["a_share"], p["b_share"])
    clients = {}
    for c, (klass, share, cumulative, position) in classes.items():
        clients[c] = {"rank": position, "value": text(values[c]), "share": text(share9(share)),
                      "cumulative_share": text(share9(cumulative)), "class": klass,
                      "share_exact": share, "cumulative_exact": cumulative}
    summary = {}
    for k in "ABC":
        members = [c for c in classes if classes[c][0] == k]
        summary[k] = {"clients": len(members),
                      "value": text(sum((values[c] for c in members), ZERO))}
    return {"report": "abc", "measure": measure, "total": text(total),
            "negative": sum(1 for v in values.values() if v < 0),
            "tables": {"clients": clients, "classes": summary}, "notes": notes}


def xyz_months(start, end):
    months, y, m = [], start.year, start.month
    last = end - datetime.timedelta(days=1)
    while (y, m) <= (last.year, last.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def xyz_classes(model, start, end, x_cv=Decimal("0.10"), y_cv=Decimal("0.25")):
    """client -> dict(mean, stddev, cv, class) for the clients with an order or
    a return in [start, end)."""
    months = xyz_months(start, end)
    monthly = model.monthly_revenue(start, end)
    result = {}
    with localcontext() as ctx:
        ctx.prec = 50
        for c, per_month in monthly.items():
            figures = [per_month.get(k, ZERO) for k in months]
            mean = sum(figures, ZERO) / len(figures)
            variance = sum(((f - mean) ** 2 for f in figures), ZERO) / len(figures)
            stddev = variance.sqrt()
            if mean <= 0:
                cv, klass = None, "Z"
            else:
                cv = stddev / mean
                klass = "X" if cv <= x_cv else "Y" if cv <= y_cv else "Z"
            result[c] = {"months": len(figures), "revenue": text(sum(figures, ZERO)),
                         "mean": mean, "stddev": stddev, "cv": cv, "class": klass,
                         "monthly": [text(f) for f in figures]}
    return result


def report_xyz(model, p):
    result = xyz_classes(model, p["from"], p["to"], p["x_cv"], p["y_cv"])
    total = sum((Decimal(r["revenue"]) for r in result.values() if Decimal(r["revenue"]) > 0),
                ZERO)
    summary = {}
    for k in "XYZ":
        revenue = sum((Decimal(r["revenue"]) for r in result.values() if r["class"] == k), ZERO)
        summary[k] = {"clients": sum(1 for r in result.values() if r["class"] == k),
                      "revenue": text(revenue),
                      "share": text(share9(revenue / total) if total else ZERO)}
    return {"report": "xyz", "tables": {"clients": result, "classes": summary}}


def report_abc_xyz(model, p):
    abc = report_abc(model, p)
    xyz = xyz_classes(model, p["from"], p["to"], p["x_cv"], p["y_cv"])
    clients = {}
    matrix = {a + x: {"clients": 0, "value": ZERO, "revenue": ZERO} for a in "ABC" for x in "XYZ"}
    for c, row in abc["tables"]["clients"].items():
        x = xyz[c]["class"] if c in xyz else None
        clients[c] = {"abc_class": row["class"], "xyz_class": x}
        if x:
            cell = matrix[row["class"] + x]
            cell["clients"] += 1
            cell["value"] += Decimal(row["value"])
            cell["revenue"] += Decimal(xyz[c]["revenue"])
    if not abc["tables"]["clients"]:
        matrix = {}                     # by profit without costs: no figures
    return {"report": "abc_xyz", "tables": {"clients": clients, "matrix": matrix}}


def rfm_segment(r, f, m):
    if r >= 4 and f >= 4 and m >= 4:
        return "champions"
    if f >= 4 and r >= 3:
        return "loyal"
    if r >= 4 and 2 <= f <= 3:
        return "potential_loyalists"
    if r >= 4 and f == 1:
        return "new"
    if r == 3:
        return "need_attention"
    if r <= 2 and f >= 3:
        return "at_risk"
    if r == 2:
        return "hibernating"
    return "lost"


def score(count, n):
    return math.ceil(5 * count / n)          # exact on integers: 5 * count // n rounded up


SEGMENTS = ("champions", "loyal", "potential_loyalists", "new", "need_attention", "at_risk",
            "hibernating", "lost")


def average2(values):
    return round2(sum(values, ZERO) / len(values)) if values else None


def report_rfm(model, p):
    """Over the clients with an order in the period and one before the
    report date D (as_of, else the period's end): recency = D - the last
    order before D (orders of any period), frequency and monetary of the
    period."""
    as_of = p.get("as_of") or p["to"]
    totals = model.totals(p.get("from"), p["to"])
    last = {}
    for c, days in model.order_days.items():
        before = [d for d in days if d < as_of]
        if before:
            last[c] = before[-1]
    rows = {c: t for c, t in totals.items() if t.orders > 0 and c in last}
    n = len(rows)
    recency = {c: (as_of - last[c]).days for c in rows}
    frequency = {c: t.orders for c, t in rows.items()}
    monetary = {c: t.revenue for c, t in rows.items()}

    def counts(values, at_most):
        ordered = sorted(values.values())
        result = {}
        for c, v in values.items():
            if at_most:     # #{x <= v}
                result[c] = bisect_right(ordered, v)
            else:           # #{x >= v}
                result[c] = n - bisect_left(ordered, v)
        return result

    f_count, m_count, r_count = counts(frequency, True), counts(monetary, True), \
        counts(recency, False)
    clients, members, matrix = {}, {k: [] for k in SEGMENTS}, {}
    for c in rows:
        r = -(-5 * r_count[c] // n)             # ceil (5 k / n) in integers
        f = -(-5 * f_count[c] // n)
        m = -(-5 * m_count[c] // n)
        segment = rfm_segment(r, f, m)
        clients[c] = {"last_order": last[c].isoformat(), "recency_days": recency[c],
                      "frequency": frequency[c], "monetary": text(monetary[c]),
                      "r": r, "f": f, "m": m, "rfm": "%d%d%d" % (r, f, m), "score": r + f + m,
                      "segment": segment}
        members[segment].append(c)
        matrix["%d%d" % (r, f)] = matrix.get("%d%d" % (r, f), 0) + 1
    order = sorted(clients, key=lambda c: (-clients[c]["score"], -monetary[c], model.rank[c]))
    for position, c in enumerate(order, 1):
        clients[c]["rank"] = position
    segments = {}
    for k, cs in members.items():
        segments[k] = {"clients": len(cs),
                       "share": text(share9(Decimal(len(cs)) / n)) if n else "0.000000000",
                       "revenue": text(sum((monetary[c] for c in cs), ZERO)),
                       "average_recency": average2([Decimal(recency[c]) for c in cs]),
                       "average_frequency": average2([Decimal(frequency[c]) for c in cs]),
                       "average_monetary": average2([monetary[c] for c in cs])}
    return {"report": "rfm", "as_of": as_of.isoformat(), "clients_scored": n,
            "tables": {"clients": clients, "segments": segments, "matrix": matrix}}


def bisect_right(a, x):
    lo, hi = 0, len(a)
    while lo < hi:
        mid = (lo + hi) // 2
        if x < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


def bisect_left(a, x):
    lo, hi = 0, len(a)
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def base_class(days, at, lost_after):
    """potential / one_time / regular / lost of a client whose order days
    (sorted) are `days`, at report date `at`."""
    before = [d for d in days if d < at]
    if not before:
        return "potential"
    if (at - before[-1]).days >= lost_after:
        return "lost"
    return "one_time" if len(before) == 1 else "regular"


def month_starts(start, end):
    result, y, m = [], start.year, start.month
    while datetime.date(y, m, 1) < end:
        result.append(datetime.date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return result


def flows(model, start, end, lost_after):
    """new, returning, lost and clients with orders in [start, end).

    A client is lost at report date D when D >= last order + lost_after
    (the class definition).  Lost in the period: lost at its end, with that
    loss (the last order before the end + lost_after) in (start, end]; a
    client counts once, whatever happened before (docs/reports.md)."""
    row = {"new": 0, "returning": 0, "lost": 0, "clients_with_orders": 0}
    for c in model.clients:
        days = model.order_days.get(c, [])
        if any(start <= d < end for d in days):
            row["clients_with_orders"] += 1
            row["new" if days[0] >= start else "returning"] += 1
        # lost at the period's end, its loss (last order before the end +
        # lost_after) begun in the period: once per client
        before = [d for d in days if d < end]
        if before:
            loss = max(before) + datetime.timedelta(days=lost_after)
            if start < loss <= end:
                row["lost"] += 1
    return row


def report_base(model, p):
    """docs/reports.md: the report date D is as_of, else the period's end;
    the report covers [from, D)."""
    lost_after = p["lost_after"]
    start = p.get("from")
    end = at = p.get("as_of") or p["to"]
    classes = {"potential": 0, "one_time": 0, "regular": 0, "lost": 0}
    per_client = {}
    for c in model.clients:
        k = base_class(model.order_days.get(c, []), at, lost_after)
        classes[k] += 1
        per_client[c] = k
    totals = model.totals(start, end)
    whole = flows(model, start or datetime.date.min, end, lost_after)
    orders = sum(t.orders for t in totals.values())
    revenue = sum((t.revenue for t in totals.values()), ZERO)
    summary = {"clients": len(model.clients)}
    summary.update(classes)
    summary.update({"new": whole["new"], "returning": whole["returning"],
                    "lost_in_period": whole["lost"],
                    "clients_with_orders": whole["clients_with_orders"],
                    "orders": orders, "revenue": text(revenue),
                    "average_order": text(ZERO.quantize(CENTS) if orders == 0 or revenue <= 0
                                          else round2(revenue / orders))})
    history = {}
    if start is not None:
        bounds = month_starts(start, end)
        for i, month_start in enumerate(bounds):
            month_end = bounds[i + 1] if i + 1 < len(bounds) else end
            month_start = max(month_start, start)
            row = flows(model, month_start, month_end, lost_after)
            t = model.totals(month_start, month_end)
            row["orders"] = sum(x.orders for x in t.values())
            row["revenue"] = text(sum((x.revenue for x in t.values()), ZERO))
            row.update({"potential": 0, "one_time": 0, "regular": 0, "lost_clients": 0})
            for c in model.clients:
                k = base_class(model.order_days.get(c, []), month_end, lost_after)
                row["lost_clients" if k == "lost" else k] += 1
            history[month_start.isoformat()] = row
    return {"report": "base", "as_of": at.isoformat(),
            "tables": {"summary": summary, "clients": per_client, "history": history}}


def report_rating(model, p):
    measure = p.get("measure", "revenue")
    totals = model.totals(p.get("from"), p.get("to"))
    if measure == "profit" and costs_missing(totals):
        return {"report": "rating", "measure": measure, "profit_available": False,
                "lines_without_cost": costs_missing(totals), "tables": {"clients": {}}}
    values = {c: measure_value(t, measure) for c, t in totals.items()}
    order = ranked(model, values)
    total = sum((v for v in values.values() if v > 0), ZERO)
    clients = {}
    for position, c in enumerate(order, 1):
        t = totals[c]
        clients[c] = {"rank": position, "value": text(values[c]),
                      "share": text(share9(values[c] / total) if total else ZERO),
                      "orders": t.orders, "revenue": text(t.revenue),
                      "average_order": text(average_order(t))}
    return {"report": "rating", "measure": measure, "tables": {"clients": clients}}


def report_client_metrics(model, p):
    """Report `clients` over a bounded period: the sales metrics of every
    client (late payments and complaints: none in these data sets)."""
    start, end = p["from"], p["to"]
    totals = model.totals(start, end)
    previous = model.totals(start - (end - start), start)
    lines_without_cost = costs_missing(totals)
    total = sum((t.revenue for t in totals.values() if t.revenue > 0), ZERO)
    days = (end - start).days
    clients = {}
    for position, c in enumerate(ranked(model, {c: t.revenue for c, t in totals.items()}), 1):
        t, before = totals[c], previous[c].revenue
        clients[c] = {"rank": position, "revenue": text(t.revenue),
                      "profit": None if lines_without_cost else text(t.revenue - t.cost),
                      "quantity": text(t.quantity), "orders": t.orders,
                      "order_frequency": text(round2(Decimal(t.orders * 30) / days)),
                      "average_order": text(average_order(t)),
                      "share": text(share9(t.revenue / total) if total else ZERO),
                      "previous_revenue": text(before),
                      "change": text(share9((t.revenue - before) / abs(before)))
                      if before else None,
                      "discounts": text(t.discounts), "returns": text(t.returns),
                      "late_shipments": t.late_shipments, "late_payments": 0, "complaints": 0}
    return {"report": "clients", "lines_without_cost": lines_without_cost,
            "tables": {"clients": clients}}


def report_facts(model, p):
    """Per client with anything in the period: what the rollups of crmq-sales
    should hold (analytics.client_day_group_rollups and client_day_rollups
    summed over the period); a check of the import, below the reports."""
    clients = {}
    for c, t in model.totals(p.get("from"), p.get("to")).items():
        if t.active:
            clients[c] = {"sales": text(t.sales), "returns": text(t.returns),
                          "cost": text(t.cost), "lines": t.lines,
                          "lines_without_cost": t.lines_without_cost,
                          "quantity": text(t.quantity), "orders": t.orders}
    return {"report": "facts", "tables": {"clients": clients}}


REPORTS = {"facts": report_facts, "abc": report_abc, "xyz": report_xyz,
           "abc_xyz": report_abc_xyz, "rfm": report_rfm, "base": report_base, "rating": report_rating,
           "clients": report_client_metrics}


# --------------------------------------------------------------------------
# Comparison with crmq's JSON

class Differences:
    def __init__(self, label):
        self.label = label
        self.items = []

    def add(self, client, what, expected, actual):
        self.items.append("%s %s: expected %s, got %s" % (client, what, expected, actual))


def dec(value):
    if value is None or value == "":
        return None
    return Decimal(str(value))


def close(expected, actual, tolerance=Decimal(0)):
    e, a = dec(expected), dec(actual)
    if e is None or a is None:
        return e is None and a is None
    return abs(e - a) <= tolerance


def same(expected, actual):
    """The exact figure here, rounded as docs/reports.md prints it (shares
    half-up to 9 decimals, money to cents), equals crmq's text."""
    return close(expected, actual)


class MissingTable(Exception):
    pass


def actual_rows(actual, table):
    rows = actual.get("tables", {}).get(table)
    if rows is None:
        raise MissingTable("crmq's result has no table %s (tables: %s)"
                           % (table, ", ".join(actual.get("tables", {})) or "none"))
    return rows


def by_client(rows):
    return {r.get("external_id") or r.get("client"): r for r in rows}


def pairs(expected_clients, actual, diff, table="clients", needed=lambda e: True):
    """(client, expected row, crmq's row) for every client of both; a client
    only on one side is a difference (one only here, when needed(e))."""
    got = by_client(actual_rows(actual, table))
    for c in got:
        if c not in expected_clients:
            diff.add(c, "row", "absent", "present")
    for c, e in expected_clients.items():
        if c in got:
            yield c, e, got[c]
        elif needed(e):
            diff.add(c, "row", "present", "missing")


def compare_counts(what, expected, actual, diff):
    """Clients per class, segment or cell: {key: count} here and in crmq
    (a key missing on one side counts 0)."""
    for k in sorted(set(actual) | set(expected)):
        if actual.get(k, 0) != expected.get(k, 0):
            diff.add("%s %s" % (what, k), "clients", expected.get(k, 0), actual.get(k))


def first_key(row, *names):
    for n in names:
        if n in row:
            return row[n]
    return None


def compare_no_profit(expected, actual, diff):
    """By profit over lines without a cost: a note with their count, no
    figures."""
    notes = " ".join(actual.get("notes", []))
    if "cost" not in notes.lower():
        diff.add("-", "notes", "a note on missing costs", actual.get("notes"))
    counted = re.search(r"(\d+) of (\d+)", notes)
    if counted and int(counted.group(1)) != expected["lines_without_cost"]:
        diff.add("-", "lines without a cost (note)", expected["lines_without_cost"],
                 counted.group(1))
    for table, rows in actual.get("tables", {}).items():
        for row in rows:
            for key in ("value", "profit", "share", "cumulative_share"):
                if row.get(key) not in (None, ""):
                    diff.add(row.get("external_id", table), key, "no profit figure",
                             row.get(key))
    return 0


def compare_abc(expected, actual, diff):
    if expected.get("profit_available") is False:
        return compare_no_profit(expected, actual, diff)
    clients = expected["tables"]["clients"]
    for c, e, a in pairs(clients, actual, diff):
        if a.get("class", a.get("abc_class")) != e["class"]:
            diff.add(c, "class", e["class"], a.get("class", a.get("abc_class")))
        value = first_key(a, "value", expected["measure"])
        if not close(e["value"], value, Decimal(0)):
            diff.add(c, "value", e["value"], value)
        if not same(share9(e["share_exact"]), a.get("share")):
            diff.add(c, "share", e["share"], a.get("share"))
        if not same(share9(e["cumulative_exact"]), a.get("cumulative_share")):
            diff.add(c, "cumulative_share", e["cumulative_share"], a.get("cumulative_share"))
    compare_order(clients, actual, diff)
    classes = {r.get("class", r.get("abc_class")): r for r in actual_rows(actual, "classes")}
    for k, e in expected["tables"]["classes"].items():
        a = classes.get(k, {})
        if a.get("clients", 0) != e["clients"]:
            diff.add("class " + k, "clients", e["clients"], a.get("clients"))
        if not close(e["value"], a.get("value", "0"), Decimal(0)):
            diff.add("class " + k, "value", e["value"], a.get("value"))
    return len(clients)


def compare_xyz(expected, actual, diff):
    clients = expected["tables"]["clients"]
    for c, e, a in pairs(clients, actual, diff):
        klass = a.get("class", a.get("xyz_class"))
        if klass != e["class"]:
            diff.add(c, "class", e["class"], klass)
        if not same(round2(e["mean"]), a.get("mean")):
            diff.add(c, "mean", text(round2(e["mean"])), a.get("mean"))
        if not same(round2(e["stddev"]), a.get("stddev")):
            diff.add(c, "stddev", text(round2(e["stddev"])), a.get("stddev"))
        if not same(None if e["cv"] is None else share9(e["cv"]), a.get("cv")):
            diff.add(c, "cv", text(share9(e["cv"])), a.get("cv"))
    classes = {r.get("xyz_class"): r for r in actual_rows(actual, "classes")}
    for k, e in expected["tables"]["classes"].items():
        compare_fields("class " + k, e, classes.get(k, {}), tuple(e), diff)
    return len(clients)


def compare_abc_xyz(expected, actual, diff):
    clients = expected["tables"]["clients"]
    for c, e, a in pairs(clients, actual, diff, needed=lambda e: e["xyz_class"] is not None):
        if a.get("abc_class") != e["abc_class"]:
            diff.add(c, "abc_class", e["abc_class"], a.get("abc_class"))
        if (a.get("xyz_class") or None) != e["xyz_class"]:
            diff.add(c, "xyz_class", e["xyz_class"], a.get("xyz_class"))
    matrix = {(r.get("abc_class") or "") + (r.get("xyz_class") or ""): r
              for r in actual_rows(actual, "matrix")}
    for k in sorted(set(matrix) | set(expected["tables"]["matrix"])):
        e = expected["tables"]["matrix"].get(k, {"clients": 0, "value": ZERO, "revenue": ZERO})
        compare_fields("matrix " + k, {key: text(v) if isinstance(v, Decimal) else v
                                       for key, v in e.items()},
                       matrix.get(k, {}), tuple(e), diff)
    return len(clients)


def compare_fields(c, e, a, keys, diff):
    """Each of `keys` of expected row e against crmq's row a: ints and texts
    equal, decimals equal in value; None here is a blank cell there."""
    for key in keys:
        want, got = e[key], a.get(key)
        if isinstance(want, int) or (isinstance(want, str) and not is_number(want)):
            if want != got:
                diff.add(c, key, want, got)
        elif not close(want, got):
            diff.add(c, key, want, got)


def is_number(value):
    try:
        Decimal(value)
        return True
    except ArithmeticError:
        return False


def compare_order(expected_clients, actual, diff, table="clients"):
    """crmq's rows come in the order of the expected ranks."""
    order = [r.get("external_id") for r in actual_rows(actual, table)]
    want = sorted(expected_clients, key=lambda c: expected_clients[c]["rank"])[:len(order)]
    for i, (x, y) in enumerate(zip(want, order)):
        if x != y:
            diff.add("-", "row order at rank %d" % (i + 1), x, y)
            break


def compare_rfm(expected, actual, diff):
    clients = expected["tables"]["clients"]
    for c, e, a in pairs(clients, actual, diff):
        compare_fields(c, e, a, ("rank", "last_order", "recency_days", "frequency",
                                 "monetary", "r", "f", "m", "rfm", "score", "segment"), diff)
    compare_order(clients, actual, diff)
    segments = {r.get("segment"): r for r in actual_rows(actual, "segments")}
    for k, e in expected["tables"]["segments"].items():
        compare_fields("segment " + k, e, segments.get(k, {}), tuple(e), diff)
    matrix = {"%s%s" % (r.get("r"), r.get("f")): r.get("clients")
              for r in actual_rows(actual, "matrix")}
    compare_counts("matrix", expected["tables"]["matrix"], matrix, diff)
    if len(matrix) != 25:
        diff.add("matrix", "cells", 25, len(matrix))
    return len(clients)


def compare_base(expected, actual, diff):
    summary = actual_rows(actual, "summary")
    summary = summary[0] if summary else {}
    compare_fields("summary", expected["tables"]["summary"], summary,
                   tuple(expected["tables"]["summary"]), diff)
    history = {r.get("period", r.get("period_start")): r
               for r in actual_rows(actual, "history")} if expected["tables"]["history"] else {}
    for month in history:
        if month not in expected["tables"]["history"]:
            diff.add(month, "history row", "absent", "present")
    for month, e in expected["tables"]["history"].items():
        a = history.get(month)
        if a is None:
            diff.add(month, "history row", "present", "missing")
            continue
        compare_fields(month, e, a, tuple(e), diff)
    return expected["tables"]["summary"]["clients"]


def compare_rating(expected, actual, diff):
    if expected.get("profit_available") is False:
        return compare_no_profit(expected, actual, diff)
    clients = expected["tables"]["clients"]
    for c, e, a in pairs(clients, actual, diff):
        compare_fields(c, e, a, ("rank", "value", "share", "orders", "revenue",
                                 "average_order"), diff)
    compare_order(clients, actual, diff)
    return len(clients)


def compare_client_metrics(expected, actual, diff):
    clients = expected["tables"]["clients"]
    for c, e, a in pairs(clients, actual, diff):
        compare_fields(c, e, a, tuple(e), diff)
    compare_order(clients, actual, diff)
    notes = " ".join(actual.get("notes", []))
    if expected["lines_without_cost"] and "cost" not in notes.lower():
        diff.add("-", "notes", "a note on missing costs", actual.get("notes"))
    return len(clients)


def compare_facts(expected, actual, diff):
    """`actual` is {client: {column: text}} read from the rollups."""
    clients = expected["tables"]["clients"]
    for c, e in clients.items():
        a = actual.get(c, {})
        for key, value in e.items():
            got = a.get(key, "0")
            if dec(value) != dec(got):
                diff.add(c, key, value, got)
    for c in actual:
        if c not in clients:
            diff.add(c, "row", "absent", "present")
    return len(clients)


COMPARE = {"facts": compare_facts, "abc": compare_abc, "xyz": compare_xyz,
           "abc_xyz": compare_abc_xyz, "rfm": compare_rfm, "base": compare_base, "rating": compare_rating,
           "clients": compare_client_metrics}


# --------------------------------------------------------------------------
# Command line

def jsonable(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def parse_spec(spec):
    p = {"a_share": Decimal("0.80"), "b_share": Decimal("0.95"), "x_cv": Decimal("0.10"),
         "y_cv": Decimal("0.25"), "lost_after": 180}
    for part in spec.split(","):
        key, _, value = part.partition("=")
        if key in ("from", "to", "as_of"):
            value = datetime.date.fromisoformat(value) if value else None
        elif key in ("a_share", "b_share", "x_cv", "y_cv"):
            value = Decimal(value)
        elif key == "lost_after":
            value = int(value)
        p[key] = value
    if p.get("report") not in REPORTS:
        raise SystemExit("report_expected: job %s: report= one of %s" % (spec, ", ".join(REPORTS)))
    return p


def summary(facts, model):
    orders = [d for d in model.documents if d.kind == "order"]
    returns = [d for d in model.documents if d.kind == "return"]
    sales = sum((l.amount for d in orders for l in d.lines), ZERO)
    returned = sum((l.amount for d in returns for l in d.lines), ZERO)
    with_orders = {d.client for d in orders}
    print("clients", len(model.clients))
    print("clients_with_orders", len(with_orders))
    print("orders", len(orders))
    print("order_lines", sum(len(d.lines) for d in orders))
    print("returns", len(returns))
    print("sales", sales)
    print("returns_amount", returned)
    print("revenue", sales - returned)
    print("rows_skipped", facts.skipped_rows)
    print("rows_rejected", facts.rejected_rows)
    days = sorted(d.day for d in model.documents)
    if days:
        print("days", days[0], days[-1])


def main(argv):
    args = list(argv)
    if len(args) < 2 or args[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    dataset, path = args[0], args[1]
    extras, jobs, ids_file = [], [], None
    zone, import_zone, show_summary = os.environ.get("CRMQ_TIME_ZONE", "UTC"), None, False
    i = 2
    while i < len(args):
        option = args[i]
        value = args[i + 1] if i + 1 < len(args) else None
        if option == "--summary":
            show_summary, i = True, i + 1
            continue
        if value is None:
            raise SystemExit("report_expected: %s needs a value" % option)
        if option == "--extra":
            extras.append(value)
        elif option == "--ids":
            ids_file = value
        elif option == "--zone":
            zone = value
        elif option == "--import-zone":
            import_zone = value
        elif option == "--job":
            jobs.append(parse_spec(value))
        else:
            raise SystemExit("report_expected: unknown option %s" % option)
        i += 2
    source_dir = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    facts = load(dataset, path, extras, zone, import_zone or zone, source_dir)
    ids = None
    if ids_file:
        ids = {}
        with open(ids_file, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    external_id, crmq_id = line.rstrip("\n").split("\t")
                    ids[external_id] = int(crmq_id)
    model = Model(facts, ids)
    if show_summary:
        summary(facts, model)
    failed = False
    for p in jobs:
        expected = REPORTS[p["report"]](model, p)
        if p.get("out"):
            with open(p["out"], "w", encoding="utf-8") as f:
                json.dump(jsonable(expected), f, indent=1, ensure_ascii=False)
        if not p.get("actual"):
            if not p.get("out"):
                json.dump(jsonable(expected), sys.stdout, indent=1, ensure_ascii=False)
                print()
            continue
        with open(p["actual"], encoding="utf-8") as f:
            if p["report"] == "facts":
                actual = {r["client"]: r for r in csv.DictReader(f, delimiter="\t")}
            else:
                actual = json.load(f)
        label = p.get("label") or "%s %s %s" % (p["report"], p.get("measure", ""), dataset)
        if p["report"] != "facts" and actual.get("skipped"):
            print("%s: skipped (%s)" % (label, actual["skipped"]))
            continue
        diff = Differences(label)
        try:
            count = COMPARE[p["report"]](expected, actual, diff)
        except MissingTable as error:
            count = 0
            diff.add("-", "table", "present", error)
        print("%s: %d clients, %d differences" % (label, count, len(diff.items)))
        for item in diff.items[:20]:
            print("    " + item)
        if len(diff.items) > 20:
            print("    ... and %d more" % (len(diff.items) - 20))
        failed = failed or bool(diff.items)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
