#!/usr/bin/env bash
# `crmq report html` end to end: Northwind imported, the page for
# 1996-07-01 to 1998-06-01 written, then
#   1. python3: one HTML5 file that needs nothing else (no scripts, no src=,
#      no links but #anchors, no http:/https:/url()), UTF-8 declared, every
#      <svg> well-formed XML, the header (period, currency, event position),
#      the contents and a section per report: its charts and tables, or a
#      "Not available" note for a report crmq-analytics does not answer;
#      where the reports answered, their figures (ABC's 91 clients, the
#      client table cut to 50 rows, the pareto with a bar per client);
#   2. headless Chromium: the page rendered to a PNG that is not blank
#      (more than 2 % of its pixels not white) and its DOM holding the
#      same <svg> elements;
#   3. bad command lines exit 64; a file that cannot be written exits 1
#      and leaves no temporary file.
# Chromium is not run under CRMQ_TEST_WRAPPER (only crmq is).  Skips (77)
# when chromium is not installed, unless CI is set.
set -euo pipefail
BUILD=${BUILD:-build}
. "$(dirname "$0")/../lib/import_test.sh"
chromium=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $chromium ]]; then
    if [[ -n ${CI:-} ]]; then
        echo "FAIL: chromium is not installed (deploy/install-deps.sh installs it)"
        exit 1
    fi
    echo "skip: chromium is not installed (deploy/install-deps.sh installs it)"
    exit 77
fi
data=data/northwind
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "Northwind into an empty stack"
reset_sales
crmq import northwind "$data" > "$work/import.txt"
check "events accepted" 1 "$(grep -c '1816 accepted' "$work/import.txt" || true)"
wait_sales_consumers

echo "the page"
crmq report html --out "$work/r.html" --from 1996-07-01 --to 1998-06-01 \
    > "$work/out.txt" 2> "$work/err.txt" || { cat "$work/err.txt"; exit 1; }
cat "$work/out.txt" "$work/err.txt"
check "summary line" 1 "$(grep -c "^$work/r.html: [0-9]* of 10 reports$" "$work/out.txt" || true)"
check "no temporary file left" "r.html" "$(ls "$work" | grep '^r\.html' | tr '\n' ' ' | sed 's/ $//')"

python3 - "$work/r.html" > "$work/page.txt" <<'PY'
import re, sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

text = open(sys.argv[1], encoding="utf-8").read()
out = []
def say(*a): out.append(" ".join(str(x) for x in a))

class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.external, self.ids = {}, [], set()
        self.stack, self.sections, self.section = [], {}, None
    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for name, value in attrs:
            if name in ("src", "srcset", "action", "background", "poster", "data"):
                self.external.append(f"{tag} {name}")
            if name in ("href", "xlink:href") and not (value or "").startswith("#"):
                self.external.append(f"{tag} {name}={value}")
        if tag in ("script", "iframe", "object", "embed", "link", "img"):
            self.external.append(tag)
        if tag == "section":
            self.section = a.get("id")
            self.sections[self.section] = {"svg": 0, "table": 0, "error": 0, "h3": 0}
        elif self.section:
            s = self.sections[self.section]
            if tag in ("svg", "table", "h3"):
                s[tag] += 1
            if tag == "p" and a.get("class") == "error":
                s["error"] += 1
    def handle_endtag(self, tag):
        if tag == "section":
            self.section = None

page = Page()
page.feed(text)
say("doctype", text.startswith("<!DOCTYPE html>"))
say("charset", bool(re.search(r'<meta charset="utf-8">', text)))
say("external", len(page.external), " ".join(page.external[:5]))
say("urls", len(re.findall(r"https?:|url\(|@import|<script", text, re.I)))
svgs = re.findall(r"<svg\b.*?</svg>", text, re.S)
bad = 0
for s in svgs:
    try:
        ET.fromstring(s)
    except ET.ParseError as e:
        bad += 1
        print("svg error:", e, file=sys.stderr)
say("svgs", len(svgs), "malformed", bad)
say("svg tags", page.tags.get("svg", 0))
reports = ["base", "abc", "xyz", "abc_xyz", "rfm", "rating", "dynamics", "managers",
           "funnel", "least_satisfied"]
say("sections", sum(1 for r in reports if "report-" + r in page.sections))
say("contents", sum(1 for r in reports if f'href="#report-{r}"' in text))
answered = [r for r in reports if page.sections.get("report-" + r, {}).get("error", 1) == 0]
noted = [r for r in reports if page.sections.get("report-" + r, {}).get("error", 0) == 1]
say("answered", " ".join(answered))
say("noted", " ".join(noted))
say("every section answered or noted", len(answered) + len(noted) == len(reports))
# an answered report shows at least one table; charts as many as the tables
# that name a chart (each drawn: no "(no chart" note)
say("answered without tables", sum(1 for r in answered if page.sections["report-" + r]["table"] == 0))
say("charts not drawn", text.count("(no chart:"))
m = re.search(r"<dt>Period</dt><dd>([^<]*)</dd>", text)
say("period", m and m.group(1))
m = re.search(r"<dt>Currency</dt><dd>([^<]*)</dd>", text)
say("currency", m and m.group(1))
m = re.search(r"<dt>As of event</dt><dd>([0-9]+)</dd>", text)
say("as of event positive", bool(m) and int(m.group(1)) > 0)
if "abc" in answered:
    section = re.search(r'<section class="report" id="report-abc">.*?</section>', text, re.S).group(0)
    pareto = [s for s in re.findall(r"<svg\b.*?</svg>", section, re.S) if 'class="cumulative"' in s]
    say("abc pareto", len(pareto), "bars", pareto and pareto[0].count('class="bar"'))
    tables = re.findall(r"<table>.*?</table>(?:\n<p class=\"more\">([0-9]+) more rows</p>)?", section, re.S)
    rows = [(t.count("<tr>") - 1) for t in re.findall(r"<table>.*?</table>", section, re.S)]
    say("abc table rows", " ".join(str(r) for r in rows), "more", " ".join(t for t in tables if t))
print("\n".join(out))
PY
cat "$work/page.txt"
line() { grep "^$1 " "$work/page.txt" | head -1; }
check "doctype" "doctype True" "$(line doctype)"
check "UTF-8 declared" "charset True" "$(line charset)"
check "no external references" "external 0 " "$(line external)"
check "no URLs or scripts" "urls 0" "$(line urls)"
check "svg well-formed" 0 "$(line svgs | awk '{print $4}')"
check "svg elements found by the parser" "$(line svgs | awk '{print $2}')" \
      "$(line 'svg tags' | awk '{print $3}')"
check "sections" "sections 10" "$(line sections)"
check "contents" "contents 10" "$(line contents)"
check "every report answered or noted" "every section answered or noted True" \
      "$(line 'every section answered or noted')"
check "answered reports show tables" "answered without tables 0" "$(line 'answered without tables')"
check "every chart drawn" "charts not drawn 0" "$(line 'charts not drawn')"
check "period" "period 1996-07-01 to 1998-06-01 (excluded)" "$(line period)"
if [[ -n $(line answered | cut -d' ' -f2-) ]]; then
    check "currency" "currency USD" "$(line currency)"
    check "event position" "as of event positive True" "$(line 'as of event positive')"
fi
if line answered | grep -qw abc; then
    # 91 clients, every one in the period; the clients table cut to 50
    check "ABC pareto: a bar per client" "abc pareto 1 bars 91" "$(line 'abc pareto')"
    check "ABC tables: classes, clients cut to 50" "abc table rows 3 50 more 41" \
          "$(line 'abc table rows')"
fi
svg_count=$(line svgs | awk '{print $2}')
answered_count=$(line answered | wc -w)
answered_count=$((answered_count - 1))
if ((answered_count > 0)); then
    check "charts on the page" 1 "$((svg_count > 0 ? 1 : 0))"
fi

echo "rendered by $chromium"
# a profile of its own: nothing shared with anyone's browser
chrome() {
    timeout 180 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-extensions --hide-scrollbars --user-data-dir="$work/profile" "$@"
}
chrome --screenshot="$work/r.png" --window-size=1280,4000 "file://$work/r.html" \
    > "$work/chromium.log" 2>&1 || { cat "$work/chromium.log"; }
chrome --dump-dom "file://$work/r.html" > "$work/dom.html" 2>> "$work/chromium.log" || true
check "screenshot written" 1 "$([[ -s $work/r.png ]] && echo 1 || echo 0)"
python3 - "$work/r.png" > "$work/png.txt" <<'PY'
# PNG (8-bit RGB or RGBA, non-interlaced, as Chromium writes it): inflate
# the IDAT data, undo each row's filter, count pixels that are not white.
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, []
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat.append(body)
    pos += 12 + length
assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
bpp = 3 if color == 2 else 4
raw = zlib.decompress(b"".join(idat))
stride = width * bpp
previous = bytearray(stride)
ink = 0
for y in range(height):
    start = y * (stride + 1)
    kind = raw[start]
    row = bytearray(raw[start + 1:start + 1 + stride])
    if kind == 1:
        for i in range(bpp, stride):
            row[i] = (row[i] + row[i - bpp]) & 255
    elif kind == 2:
        row = bytearray((a + b) & 255 for a, b in zip(row, previous))
    elif kind == 3:
        for i in range(stride):
            left = row[i - bpp] if i >= bpp else 0
            row[i] = (row[i] + ((left + previous[i]) >> 1)) & 255
    elif kind == 4:
        for i in range(stride):
            a = row[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    # a pixel is white when its R, G and B are all above 245
    for x in range(0, stride, bpp):
        if row[x] < 246 or row[x + 1] < 246 or row[x + 2] < 246:
            ink += 1
    previous = row
print("size", width, height)
print("ink", round(100.0 * ink / (width * height), 2))
PY
cat "$work/png.txt"
check "screenshot size" "size 1280 4000" "$(grep '^size' "$work/png.txt")"
check "screenshot not blank (> 2 % ink)" 1 \
      "$(awk '/^ink/ { print ($2 > 2) ? 1 : 0 }' "$work/png.txt")"
check "DOM holds the svg elements" "$svg_count" "$(grep -o '<svg' "$work/dom.html" | wc -l)"
check "DOM holds the sections" 10 "$(grep -o '<section class="report"' "$work/dom.html" | wc -l)"

echo "command lines"
set +e
crmq report html > /dev/null 2>&1; check "no --out" 64 "$?"
crmq report html --out "$work/x.html" --from 1998-01-01 --to 1997-01-01 > /dev/null 2>&1
check "--to before --from" 64 "$?"
crmq report html --out "$work/x.html" --period last_7_days --from 1997-01-01 > /dev/null 2>&1
check "--period with --from" 64 "$?"
crmq report html --out "$work/x.html" --period fortnight > /dev/null 2>&1
check "unknown --period" 64 "$?"
crmq report html --out "$work/no/such/folder/x.html" > /dev/null 2> "$work/err2.txt"
check "unwritable file" 1 "$?"
set -e
check "the error names the file" 1 "$(grep -c "^crmq: $work/no/such/folder/x.html: " "$work/err2.txt" || true)"
finish report_html
