#!/usr/bin/env bash
# The crmq CLI against crmq-contacts, end to end: client cards with Cyrillic
# and quotes, edits that change only what is given, contact persons,
# channels, interactions (times in CRMQ_TIME_ZONE), segments, search,
# duplicates, merge and the audit trail, each asserted from --format json
# (parsed with python3) and, where it matters, in PostgreSQL.  Bad input gets
# its status and changes nothing; bad command lines exit 64.
# Exit 77 (SKIP) only when a contacts method answers UNIMPLEMENTED.
set -euo pipefail
BUILD=${BUILD:-build}
# under CRMQ_TEST_WRAPPER (valgrind in `make valgrind-test`) when set; its
# reports go to stderr, which tests/run.sh reads
read -r -a wrapper <<<"${CRMQ_TEST_WRAPPER:-}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
export CRMQ_TIME_ZONE=Europe/Moscow CRMQ_ACTOR='Тестер "CLI"'
# unique per run: the stack may hold other tests' clients
run_id=$(date +%s%N | tail -c 9)
tag="t$run_id"

check() {   # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" == "$3" ]; then echo "  ok   $1: $3"
    else echo "  FAIL $1: expected $2, got $3"; failures=$((failures + 1)); fi
}
sql() { psql "$CRMQ_PG_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

# crmq ARGS...: runs the CLI; stdout in $work/out, stderr in $work/err (and
# on ours, where tests/run.sh looks for sanitizer and valgrind reports), exit
# code in $rc.  A method the service does not have yet skips the test.
crmq() {
    rc=0
    "${wrapper[@]}" "$BUILD/bin/crmq" "$@" > "$work/out" 2> "$work/err" || rc=$?
    cat "$work/err" >&2
    if grep -q ': UNIMPLEMENTED: ' "$work/err"; then
        echo "SKIP: $(cat "$work/err")"
        exit 77
    fi
}
# ok ARGS...: crmq with --format json, which must succeed
ok() {
    crmq "$@" --format json
    if [ "$rc" != 0 ]; then
        echo "  FAIL crmq $*: exit $rc: $(cat "$work/err")"
        failures=$((failures + 1))
    fi
}
# js EXPRESSION: a Python expression over `d`, the last JSON output, printed
# on one line.  One python3 answers them all (its start-up is slow).
coproc PY {
    python3 -u -c '
import json, sys
for line in sys.stdin:
    path, expression = line.rstrip("\n").split("\t", 1)
    try:
        d = json.load(open(path))
        answer = str(eval(expression))
    except Exception as error:
        answer = "python: %r" % error
    print(answer.replace("\n", "\\n"))
'
}
js() {     # (not in a pipeline: its subshell has no coprocess)
    local answer
    printf '%s\t%s\n' "$work/out" "$1" >&"${PY[1]}"
    IFS= read -r answer <&"${PY[0]}"
    printf '%s\n' "$answer"
}
fingerprint() {
    sql "SELECT md5(string_agg(t, '|' ORDER BY t)) FROM (
           SELECT 'c' || x::text AS t FROM contacts.clients x UNION ALL
           SELECT 'p' || x::text FROM contacts.persons x UNION ALL
           SELECT 'h' || x::text FROM contacts.channels x UNION ALL
           SELECT 'i' || x::text FROM contacts.interactions x UNION ALL
           SELECT 's' || x::text FROM contacts.segments x UNION ALL
           SELECT 'm' || x::text FROM contacts.segment_members x UNION ALL
           SELECT 'a' || x::text FROM contacts.audit x) r"
}

name="ООО «Ромашка-$tag» \"Тест\""
phone_tail=$(printf '%07d' $((10#${run_id: -7})))
phone="+7 (495) ${phone_tail:0:3}-${phone_tail:3:2}-${phone_tail:5:2}"
e164="+7495$phone_tail"

echo "client add: Cyrillic, quotes, tags, attributes"
ok client add --name "$name" --external-id "ext-$tag-A" --legal-name "Общество «Ромашка-$tag»" \
   --tax-id "77$run_id" --phone "$phone" --email "Info@Romashka-$tag.RU" --category "cat-$tag" \
   --region 'Москва' --country RU --city 'Москва' --source web --tag vip --tag 'опт' \
   --since 2020-02-29 --attributes '{"сегмент": "B2B", "n": 1}'
a=$(js 'd["id"]')
check "name" "$name" "$(js 'd["name"]')"
check "tags" "['vip', 'опт']" "$(js 'd["tags"]')"
check "phone in E.164" "$e164" "$(js 'd["phone_e164"]')"
check "relationship since" "2020-02-29" "$(js 'd["relationship_since"]')"
check "attributes" "{'n': 1, 'сегмент': 'B2B'}" "$(js 'dict(sorted(d["attributes"].items()))')"
check "status, kind" "active company" "$(js 'd["status"] + " " + d["kind"]')"
check "name in the database" "$name" "$(sql "SELECT name FROM contacts.clients WHERE id = $a")"
check "actor of the insert" "$CRMQ_ACTOR" \
    "$(sql "SELECT actor FROM contacts.audit WHERE entity = 'client' AND entity_id = $a AND action = 'insert'")"

echo "client show, by id and by external id"
ok client show --id "$a"
check "show: name, external id" "$name ext-$tag-A" "$(js 'd["name"] + " " + d["external_id"]')"
check "show: no persons, channels, history yet" "0 0 0 None None" \
    "$(js '" ".join(str(x) for x in (len(d["persons"]), len(d["channels"]), len(d["last_interactions"]), d["next_planned"], d["asked_id"]))')"
ok client show "ext-$tag-A"
check "show by external id" "$a" "$(js 'd["id"]')"

echo "client edit: only the options given"
version=$(js 'd["version"]')
ok client edit "$a" --city 'Санкт-Петербург' --tag key
check "city changed" "Санкт-Петербург" "$(js 'd["city"]')"
check "tags replaced" "['key']" "$(js 'd["tags"]')"
check "legal name kept" "Общество «Ромашка-$tag»" "$(js 'd["legal_name"]')"
check "region kept" "Москва" "$(js 'd["region"]')"
check "version bumped" "True" "$(js "d['version'] > $version")"
ok client edit "$a" --since ''
check "relationship date cleared" "" "$(js 'd["relationship_since"]')"
ok client edit "$a" --since 2020-02-29
check "relationship date set again" "2020-02-29" "$(js 'd["relationship_since"]')"

echo "bad input: its status, nothing changed"
before=$(fingerprint)
crmq client edit "$a" --email 'not an e-mail'
check "bad e-mail: exit 1" 1 "$rc"
check "bad e-mail: the error line" 1 "$(grep -c '^crmq: contacts.UpdateClient: INVALID_ARGUMENT: .*(field client.email)$' "$work/err" || true)"
crmq client add --name ''
check "empty name: exit 1" 1 "$rc"
check "empty name: field" 1 "$(grep -c 'INVALID_ARGUMENT: .*(field client.name)$' "$work/err" || true)"
crmq client edit 999999999 --name x
check "unknown client: NOT_FOUND" "1 1" "$rc $(grep -c 'contacts.UpdateClient: NOT_FOUND' "$work/err" || true)"
crmq client merge "$a" "$a"
check "merge with itself refused" 1 "$rc"
check "database unchanged" "$before" "$(fingerprint)"
for bad in "client add" "client edit $a" "client edit x --name y" "client show" \
           "client add --name x --since 2020-02-30" "interaction list" \
           "interaction log $a --channel call --at soon" "segment save x" \
           "segment save x --static --region R" "client dupes --min-score 2" \
           "channel add $a --type email" "client list --limit 0" "client add --name x --name y"; do
    read -r -a words <<<"$bad"
    crmq "${words[@]}"
    check "usage error: crmq $bad" 64 "$rc"
done
check "usage errors changed nothing" "$before" "$(fingerprint)"

echo "contact person and channels"
ok person add "$a" --name 'Пётр "Петя" Иванов' --position 'Директор' --role 'decision maker'
p=$(js 'd["id"]')
check "person" "Пётр \"Петя\" Иванов Директор True" "$(js 'd["name"] + " " + d["position"] + " " + str(d["active"])')"
ok person edit "$p" --client "$a" --note 'любит «чай»'
check "person edit keeps the rest" "Директор decision maker любит «чай»" \
    "$(js 'd["position"] + " " + d["role"] + " " + d["note"]')"
echo "person edit: one field, sent alone (a person who left too)"
ok person edit "$p" --inactive
check "inactive, the rest kept" "False Директор decision maker любит «чай»" \
    "$(js 'str(d["active"]) + " " + d["position"] + " " + d["role"] + " " + d["note"]')"
ok person edit "$p" --position 'Генеральный "директор"'
check "a person who left: the position alone changed" \
    "Пётр \"Петя\" Иванов|Генеральный \"директор\"|decision maker|любит «чай»|False" \
    "$(js '"|".join((d["name"], d["position"], d["role"], d["note"], str(d["active"])))')"
check "stored so" "Генеральный \"директор\"|inactive|Пётр \"Петя\" Иванов" \
    "$(sql "SELECT position || '|' || CASE WHEN active THEN 'active' ELSE 'inactive' END || '|' || name
              FROM contacts.persons WHERE id = $p")"
check "audit: the position alone" "t" \
    "$(sql "SELECT changes ? 'position' AND NOT changes ? 'name' AND NOT changes ? 'active'
              FROM contacts.audit WHERE entity = 'person' AND entity_id = $p ORDER BY id DESC LIMIT 1")"
ok person edit "$p" --active --position 'Директор'
check "back, the position as before" "True Директор decision maker" \
    "$(js 'str(d["active"]) + " " + d["position"] + " " + d["role"]')"
before=$(fingerprint)
crmq person edit "$p" --client 999999999 --note 'не тот клиент'
check "another client's person: INVALID_ARGUMENT" "1 1" \
    "$rc $(grep -c '^crmq: contacts.SavePerson: INVALID_ARGUMENT: .*(field person.client_id)$' "$work/err" || true)"
crmq person edit "$p"
check "person edit without a change: usage" 64 "$rc"
crmq person edit "$p" --active --inactive
check "person edit --active --inactive: usage" 64 "$rc"
check "refused person edits changed nothing" "$before" "$(fingerprint)"
ok channel add "$a" --type email --value "Petr.Ivanov@Romashka-$tag.RU" --kind work --person "$p" --primary
check "e-mail normalised" "petr.ivanov@romashka-$tag.ru True $p" "$(js 'd["normalized"] + " " + str(d["primary"]) + " " + str(d["person_id"])')"
ok channel add "$a" --type phone --value "8 495 $phone_tail" --kind mobile
phone_channel=$(js 'd["id"]')
check "phone normalised" "$e164" "$(js 'd["normalized"]')"
ok channel add "$a" --type address --value 'Москва, ул. Тверская, д. 1'
ok channel remove "$(js 'd["id"]')"
check "channel removed" "removed" "$(js 'd["status"]')"

echo "interactions (times in $CRMQ_TIME_ZONE)"
ok interaction log "$a" --channel call --kind contact --direction out --subject 'Звонок «важный»' \
   --text 'Сказал "да"' --outcome 'перезвонить' --at '2024-03-01 10:30' --end '2024-03-01 10:45' \
   --person "$p" --deal "D-$tag" --attach "КП.pdf,https://files.example/$tag/kp.pdf,12345"
call=$(js 'd["id"]')
check "started, ended as given" "2024-03-01 10:30:00 2024-03-01 10:45:00" "$(js 'd["started_at"] + " " + d["ended_at"]')"
check "started in UTC" "2024-03-01 07:30:00+00" \
    "$(sql "SELECT started_at AT TIME ZONE 'UTC' || '+00' FROM contacts.interactions WHERE id = $call")"
check "attachment" "КП.pdf https://files.example/$tag/kp.pdf 12345" \
    "$(js '" ".join(str(v) for v in d["attachments"][0].values())')"
check "logged by" "$CRMQ_ACTOR" "$(js 'd["actor"]')"
ok interaction log "$a" --channel email --kind complaint --direction in --subject 'Жалоба' \
   --topic delivery --severity high --status open --at '2024-03-02 09:00'
complaint=$(js 'd["id"]')
ok interaction update "$complaint" --status resolved --outcome 'заменили'
check "complaint resolved" "resolved заменили delivery" "$(js 'd["status"] + " " + d["outcome"] + " " + d["topic"]')"
ok interaction log "$a" --channel meeting --direction out --subject 'Встреча' --status planned \
   --at '2099-01-10 12:00'
planned=$(js 'd["id"]')
ok interaction list --client "$a"
check "history: three" 3 "$(js 'len(d)')"
check "history: calls only" "[$call]" "$(crmq interaction list --client "$a" --channel call --format json; js '[i["id"] for i in d]')"
check "history: period" "[$complaint]" \
    "$(crmq interaction list --client "$a" --from 2024-03-02 --to 2024-03-03 --format json; js '[i["id"] for i in d]')"
crmq interaction list --client "$a" --limit 1 --format json
check "history: next page hint" 1 "$(grep -c "^more: crmq interaction list --client $a --limit 1 --before [0-9]*\$" "$work/err" || true)"

echo "the whole card"
ok client show --id "$a"
check "card: person and its channel" "Пётр \"Петя\" Иванов petr.ivanov@romashka-$tag.ru" \
    "$(js 'd["persons"][0]["name"] + " " + d["persons"][0]["channels"][0]["normalized"]')"
check "card: the client's own channels" "[$phone_channel]" "$(js '[c["id"] for c in d["channels"]]')"
check "card: last interactions (the planned one is not among them)" 2 "$(js 'len(d["last_interactions"])')"
check "card: next planned" "$planned" "$(js 'd["next_planned"]["id"]')"
crmq client show --id "$a"
check "card table: sections" 4 "$(grep -cE '^(Contact persons|Channels|Last interactions|Next planned contact)$' "$work/out" || true)"

echo "segments"
ok segment save "Ключевые «$tag»" --rule --category "cat-$tag" --region 'Москва' --description 'правило'
rule=$(js 'd["id"]')
check "rule segment" "rule 1 {'categories': ['cat-$tag'], 'regions': ['Москва']}" \
    "$(js 'd["kind"] + " " + str(d["clients"]) + " " + str(d["rule"])')"
ok segment save "Обзвон \"$tag\"" --static
static=$(js 'd["id"]')
ok segment add "$static" "$a"
check "static segment: one client" 1 "$(js 'd["clients"]')"
ok segment list
check "segment list" "1 1" "$(js "' '.join(str(s['clients']) for s in d if s['id'] in ($rule, $static))")"
ok segment clients "$rule"
check "rule segment's clients" "[$a]" "$(js '[c["id"] for c in d]')"

echo "a duplicate: search, dupes, merge"
ok client add --name "Ромашка-$tag ООО" --external-id "ext-$tag-B" --phone "7495$phone_tail" --category "other-$tag"
b=$(js 'd["id"]')
ok person add "$b" --name 'Мария Петрова'
ok channel add "$b" --type email --value "maria@romashka-$tag.ru"
ok interaction log "$b" --channel call --direction in --subject 'Входящий' --at '2024-04-01 11:00'
ok segment save "Второй $tag" --static
second=$(js 'd["id"]')
ok segment add "$second" "$b"
ok client search "РОМАШКА-$tag"
check "search: case-insensitive Cyrillic, both best" "[$a, $b]" "$(js 'sorted(h["id"] for h in d[:2])')"
ok client search "8 (495) $phone_tail"
check "search by phone in another form" "True" "$(js "any(h['id'] == $a and h['matched'] == 'phone' for h in d)")"
ok client search "Ромашко-$tag"
check "search: typo-tolerant" "True" "$(js "$a in [h['id'] for h in d]")"
ok client dupes --limit 1000
check "dupes: the pair" "True" \
    "$(js "any({p['first_id'], p['second_id']} == {$a, $b} and float(p['score']) >= 0.6 for p in d)")"
ok client merge "$a" "$b"
check "merge: moved" "1 1 1 1" \
    "$(js '" ".join(str(d[k]) for k in ("persons_moved", "channels_moved", "interactions_moved", "segment_memberships_moved"))')"
check "merged client's status" "merged" "$(sql "SELECT status FROM contacts.clients WHERE id = $b")"
ok client show --id "$b"
check "merged id resolves" "$a $b" "$(js 'str(d["id"]) + " " + str(d["asked_id"])')"
check "merged id: said on stderr" 1 "$(grep -c "^crmq: client $b was merged into $a\$" "$work/err" || true)"
check "survivor's persons" "2" "$(js 'len(d["persons"])')"
check "survivor's history" "4" "$(crmq interaction list --client "$a" --format json; js 'len(d)')"
check "second segment now holds the survivor" "[$a]" "$(crmq segment clients "$second" --format json; js '[c["id"] for c in d]')"

echo "audit trail"
ok client audit "$a" --limit 1000
check "audit: the edit" "True" \
    "$(js "any(e['entity'] == 'client' and e['action'] == 'update' and e['changes'].get('city') == ['Москва', 'Санкт-Петербург'] for e in d)")"
check "audit: the actor" "True" "$(js "all(e['actor'] == '$CRMQ_ACTOR' for e in d if e['entity'] == 'client')")"
check "audit: person and channel entries" "True" \
    "$(js "{'person', 'channel', 'interaction'} <= {e['entity'] for e in d}")"
crmq client audit "$a" --limit 2 --format json
check "audit: next page hint" 1 "$(grep -c "^more: crmq client audit $a --limit 2 --before [0-9]*\$" "$work/err" || true)"

echo "managers"
m_ext="mgr-$tag"
manager=$(sql "INSERT INTO contacts.managers (external_id, name, email, time_zone)
               VALUES ('$m_ext', 'Анна Смирнова', 'anna@example.com', 'Europe/Moscow') RETURNING id")
ok manager absences "$manager" --away '2025-07-01,2025-07-15,отпуск, море' --away 2025-12-30,2026-01-09
check "absences set" "[['2025-07-01', '2025-07-15', 'отпуск, море'], ['2025-12-30', '2026-01-09', '']]" \
    "$(js "[list(x.values()) for x in d[0]['absences']]")"
ok manager list
check "manager list" "Анна Смирнова 2" "$(js "' '.join(m['name'] + ' ' + str(len(m['absences'])) for m in d if m['id'] == $manager)")"
ok manager absences "$manager"
check "absences cleared" "[]" "$(js 'd[0]["absences"]')"
ok client edit "$a" --manager "$m_ext"
ok client show --id "$a"
check "responsible manager" "$m_ext Анна Смирнова" "$(js 'd["manager_external_id"] + " " + d["manager_name"]')"

if [ "$failures" -gt 0 ]; then echo "contacts_cli: FAIL ($failures)"; exit 1; fi
echo "contacts_cli: PASS"
