#!/usr/bin/env bash
# crmq-notify end to end, against the stack's crmq-bus: alerts written
# straight into the event log reach
#   - a webhook that answers 500 twice and then 200: delivered once (one
#     2xx for its Idempotency-Key; the 500s carried the same key), with the
#     body and headers the README describes;
#   - a webhook that always answers 500: dead after CRMQ_NOTIFY_MAX_ATTEMPTS,
#     listed by `crmq notify dead list`; once the receiver is fixed, `crmq
#     notify dead retry --all` delivers it, once;
#   - an e-mail address, through a local SMTP sink: one message with the
#     alert's kind and client in its Subject and a Message-ID made of the
#     idempotency key.
# Bad targets are refused with the field named.  crmq-notify runs with
# short delays for the test and gets its defaults back at the end.
set -euo pipefail
# shellcheck source=../lib/notify_test.sh
. "${CRMQ_SOURCE_DIR:-.}/tests/lib/notify_test.sh"
tag="w$(date +%s%N | tail -c 9)"

start_webhook flaky 2
start_webhook down fail
start_smtp
restart_notify CRMQ_NOTIFY_FIRST_DELAY_MS=200 CRMQ_NOTIFY_MAX_DELAY_MS=1000 \
    CRMQ_NOTIFY_MAX_ATTEMPTS=3 CRMQ_NOTIFY_HTTP_TIMEOUT_MS=3000 \
    CRMQ_NOTIFY_SMTP_URL="smtp://127.0.0.1:$(cat "$work/smtp.port")" \
    CRMQ_NOTIFY_SMTP_FROM=crmq@example.com

echo "targets: refused when malformed"
crmq notify target add "bad-$tag" --webhook "ftp://127.0.0.1/x"
check "ftp URL exits" 1 "$rc"
check "ftp URL says" 1 "$(grep -c 'INVALID_ARGUMENT: webhook URL must start with http:// or https:// (field address)' "$work/err" || true)"
crmq notify target add "bad-$tag" --email "not-an-address"
check "bad e-mail says" 1 "$(grep -c 'INVALID_ARGUMENT: .*is not an e-mail address.*(field address)' "$work/err" || true)"
crmq notify target add "bad-$tag" --webhook "http://x/" --email "a@example.com"
check "two kinds exit" 64 "$rc"
check "nothing stored" 0 "$(sql "SELECT count(*) FROM notify.targets WHERE name = 'bad-$tag'")"

crmq notify target add "flaky-$tag" --webhook "http://127.0.0.1:$(cat "$work/flaky.port")/hook" \
    --topic "alert.test.$tag.flaky" --format json
check "add flaky exits" 0 "$rc"
flaky_id=$(js 'd["id"]')
crmq notify target add "flaky-$tag" --webhook "http://127.0.0.1:1/" --format json
check "same name again says" 1 "$(grep -c 'ALREADY_EXISTS' "$work/err" || true)"
crmq notify target add "down-$tag" --webhook "http://127.0.0.1:$(cat "$work/down.port")/hook" \
    --topic "alert.test.$tag.down" --format json
down_id=$(js 'd["id"]')
crmq notify target add "mail-$tag" --email "ops@example.com" --topic "alert.test.$tag.mail" --format json
mail_id=$(js 'd["id"]')
crmq notify target list --format json
check "list shows the three" 3 "$(js "sum(1 for t in d if t['name'].endswith('-$tag') and t['active'])")"

echo "a webhook that fails twice, then answers"
seq=$(write_alert "alert.test.$tag.flaky" "ООО «Ромашка»" "Оплата просрочена на 12 дней")
key="crmq-$seq-$flaky_id"
wait_for 60 answered "$work/flaky.log" "$key" || fail "no 200 for $key"
sleep 1      # a second 2xx, if there were one, would come in this time
check "requests with the key" 3 "$(requests "$work/flaky.log" "$key")"
check "of them answered 500" 2 "$(requests "$work/flaky.log" "$key" 500)"
check "of them answered 200" 1 "$(requests "$work/flaky.log" "$key" 200)"
check "requests without the key" 0 "$("$PY" -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["key"] != sys.argv[2]))' "$work/flaky.log" "$key")"
"$PY" - "$work/flaky.log" "$seq" "$key" "alert.test.$tag.flaky" > "$work/body.txt" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
r = [x for x in rows if x["status"] == 200][0]
b = json.loads(r["body"])
a = b["alert"]
print("headers", r["content_type"], r["seq"] == sys.argv[2], r["topic"] == sys.argv[4], r["path"])
print("body", b["seq"] == int(sys.argv[2]), b["topic"] == sys.argv[4], b["idempotency_key"] == sys.argv[3])
print("alert", a["kind"] == sys.argv[4][len("alert."):], a["severity"], a["client_id"], a["client_name"],
      a["manager_id"], a["subject_type"], a["subject_id"], a["message"], a["occurred_us"],
      a["raised_us"], a["cause_seq"], json.dumps(a["details"], sort_keys=True, ensure_ascii=False))
# every attempt sent the same body
print("same body", len({x["body"] for x in rows}) == 1)
PYEOF
check "headers" "headers application/json True True /hook" "$(sed -n 1p "$work/body.txt")"
check "body" "body True True True" "$(sed -n 2p "$work/body.txt")"
check "alert" 'alert True warning 17 ООО «Ромашка» 5 payment PAY-17 Оплата просрочена на 12 дней 1751364000000000 1751364001000000 0 {"amount": "1500.50", "days_late": "12"}' \
    "$(sed -n 3p "$work/body.txt")"
check "every attempt the same body" "same body True" "$(sed -n 4p "$work/body.txt")"
wait_for 10 state_is "$seq" delivered || true
check "delivery row" "1|delivered|3|" "$(sql "SELECT count(*), min(state), min(attempts), min(last_error) FROM notify.deliveries WHERE seq = $seq")"
crmq notify deliveries --state delivered --format json
check "listed as delivered" "$key 3" "$(js "' '.join(str(x) for r in d if r['seq'] == $seq for x in (r['idempotency_key'], r['attempts']))")"

echo "a webhook that is down: dead letter, then retried"
seq=$(write_alert "alert.test.$tag.down" "Acme Ltd" "Shipment late")
key="crmq-$seq-$down_id"
wait_for 60 state_is "$seq" dead ||
    fail "not dead: $(sql "SELECT state, attempts, last_error FROM notify.deliveries WHERE seq = $seq")"
check "dead after" "3|HTTP 500" "$(sql "SELECT attempts, last_error FROM notify.deliveries WHERE seq = $seq")"
check "receiver saw" 3 "$(requests "$work/down.log" "$key" 500)"
id=$(sql "SELECT id FROM notify.deliveries WHERE seq = $seq")
crmq notify dead list
check "dead list exits" 0 "$rc"
cat "$work/out"
check "dead list header" 1 "$(grep -cE '^ *id +target +topic +seq +attempts +last error +time' "$work/out" || true)"
check "dead list row" 1 "$(grep -cE "^ *$id +down-$tag +alert.test.$tag.down +$seq +3 +HTTP 500 +[0-9]{4}-" "$work/out" || true)"
crmq notify dead retry "$(sql "SELECT id FROM notify.deliveries WHERE seq = (SELECT min(seq) FROM notify.deliveries WHERE target_id = $flaky_id)")"
check "retrying a delivered one says" 1 "$(grep -c 'FAILED_PRECONDITION: delivery [0-9]* is delivered, not dead' "$work/err" || true)"
echo ok > "$work/down.mode"
crmq notify dead retry --all --format json
check "retry --all exits" 0 "$rc"
check "retry --all names it" True "$(js "$id in [r['id'] for r in d]")"
wait_for 30 answered "$work/down.log" "$key" || fail "no 200 for $key"
sleep 1
check "2xx for the key after the retry" 1 "$(requests "$work/down.log" "$key" 200)"
wait_for 10 state_is "$seq" delivered || true
check "delivered after the retry" "delivered|1" "$(sql "SELECT state, attempts FROM notify.deliveries WHERE seq = $seq")"
crmq notify dead list --format json
check "dead list without it" False "$(js "$id in [r['id'] for r in d]")"

echo "an e-mail through the SMTP sink"
seq=$(write_alert "alert.test.$tag.mail" "ООО «Ромашка»" "Клиент перестал покупать")
wait_for 60 test -s "$work/mail/001.eml" || fail "no message"
wait_for 10 state_is "$seq" delivered || true
check "e-mail delivery" "delivered|1" "$(sql "SELECT state, attempts FROM notify.deliveries WHERE seq = $seq")"
sleep 1
check "messages received" 1 "$(find "$work/mail" -name '*.eml' | wc -l)"
check "envelope" "crmq@example.com ops@example.com" "$(tr '\n' ' ' < "$work/mail/001.rcpt" | sed 's/ $//')"
"$PY" "$HELPER" mail "$work/mail/001.eml" > "$work/mail.txt"
check "Subject" "Subject: [crmq] warning test.$tag.mail: ООО «Ромашка»" "$(sed -n 1p "$work/mail.txt")"
check "Message-ID" "Message-ID: <crmq-$seq-$mail_id@example.com>" "$(sed -n 2p "$work/mail.txt")"
check "To" "To: ops@example.com" "$(sed -n 3p "$work/mail.txt")"
check "Content-Type" "Content-Type: text/plain; utf-8" "$(sed -n 4p "$work/mail.txt")"
check "body: the message" 1 "$(grep -c '^Клиент перестал покупать$' "$work/mail.txt" || true)"
check "body: a detail" 1 "$(grep -c '^  amount: 1500.50$' "$work/mail.txt" || true)"

echo "removing a target"
crmq notify target remove "down-$tag" --format json
check "remove exits" 0 "$rc"
check "removed is inactive" False "$(js 'd["active"]')"
crmq notify target remove "down-$tag"
check "removing again says" 1 "$(grep -c 'NOT_FOUND: no target named' "$work/err" || true)"
seq=$(write_alert "alert.test.$tag.down" "Acme Ltd" "Shipment late again")
sleep 2
check "nothing enqueued for a removed target" 0 "$(sql "SELECT count(*) FROM notify.deliveries WHERE seq = $seq")"

if ((failures)); then echo "$failures checks failed"; exit 1; fi
echo "all checks passed"
