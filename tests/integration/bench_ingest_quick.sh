#!/usr/bin/env bash
# The ingest benchmark, small (20,000 order lines, 1,000 clients, 500
# products), on the test stack: every line acknowledged and stored exactly
# once, crmq-sales' memory sampled.  Speed is printed, not judged.
set -euo pipefail
exec "$BUILD/bin/bench_ingest" --lines 20000 --clients 1000 --products 500 --tag "quick$$"
