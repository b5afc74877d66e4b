-- The data set of `make bench-analytics` (tests/bench/analytics.sh), made in
-- PostgreSQL with generate_series.  psql variables: clients, lines, seed.
--
-- Deterministic: every random figure is bench.rnd(key, salt), a hash of the
-- row's key, the salt of the figure and the seed (hashint8extended), so the
-- same options give the same rows whatever the plan, the order rows are made
-- in or the parallel workers (a random() after setseed() would depend on
-- all three).
--
--   managers      50
--   clients       :clients in contacts.clients and sales.clients: names,
--                 12 regions in 6 countries, 5 categories (retail 50 %,
--                 wholesale 25 %, online 15 %, distributor 7 %, government
--                 3 %), 5 sources, 3 % archived, a manager each
--   product groups 10 top groups with 4 subgroups each; products (5,000) in
--                 the subgroups, list price 2..200, standard cost 45..75 %
--                 of it
--   orders        :lines / 4, placed evenly over 2023-01-01..2026-01-01
--                 (UTC) in order of their ids; the client of an order is
--                 floor(clients x u^7.2) (u uniform) spread over the ids by
--                 a multiplication mod clients: a fifth of the clients place
--                 about 80 % of the orders, the busiest 1 % about half; 2 %
--                 cancelled (the day after)
--   lines         1..7 per order (4 on average); product skewed (u^2),
--                 quantity 1..20 (skewed to small), 70 % without discount,
--                 else 5, 10 or 15 %; amount = round(q x price x (1 - d), 2);
--                 every line has its cost (q x standard cost)
--   returns       3 % of the placed orders: half of the first line's
--                 quantity (rounded up), 1..30 days after the order
--
-- Written straight into the tables crmq-sales and crmq-contacts own, with
-- their triggers and foreign keys off while loading (session_replication_role
-- = replica: the rows are consistent by construction) and the secondary
-- indexes dropped and made again after; erp_events gets one row per order
-- and return, as crmq-sales would.  No event goes to the event log.  The
-- rollups are made after, by the caller (sales.rebuild_rollups).
\set ON_ERROR_STOP on
\set orders (:lines / 4)

CREATE SCHEMA bench;
SELECT format ($f$
    CREATE FUNCTION bench.rnd (key bigint, salt int) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
    'SELECT (hashint8extended (key, salt + %s) & 4503599627370495)::float8 / 4503599627370496'
$f$, :seed) \gexec

SET session_replication_role = replica;

-- the secondary indexes of the tables loaded (not those of constraints)
CREATE TABLE bench.indexes AS
    SELECT i.schemaname, i.indexname, i.indexdef
      FROM pg_indexes i
     WHERE (i.schemaname, i.tablename) IN (('contacts', 'clients'), ('sales', 'orders'),
                                          ('sales', 'order_lines'), ('sales', 'returns'))
       AND NOT EXISTS (SELECT FROM pg_constraint c
                        WHERE c.conindid = format ('%I.%I', i.schemaname, i.indexname)::regclass);
SELECT format ('DROP INDEX %I.%I', schemaname, indexname) FROM bench.indexes \gexec

INSERT INTO contacts.managers (id, external_id, name, email)
SELECT m, 'M' || lpad (m::text, 3, '0'), 'Manager ' || m, 'manager' || m || '@example.com'
  FROM generate_series (1, 50) m;
INSERT INTO sales.managers (id, external_id) SELECT id, external_id FROM contacts.managers;

INSERT INTO contacts.clients (id, external_id, name, country, region, category, source, status,
                              manager_id, created_at, updated_at)
SELECT c, 'C' || lpad (c::text, 8, '0'),
       'Client ' || c || (ARRAY [' LLC', ' Ltd', ' Inc', ' GmbH', ' Corp']) [1 + c % 5],
       (ARRAY ['US', 'US', 'US', 'DE', 'DE', 'FR', 'FR', 'GB', 'GB', 'RU', 'RU', 'JP']) [1 + r],
       (ARRAY ['East', 'West', 'South', 'North', 'Bavaria', 'Ile-de-France', 'Provence',
               'London', 'Scotland', 'Moscow', 'Siberia', 'Kanto']) [1 + r],
       CASE WHEN k < 0.50 THEN 'retail' WHEN k < 0.75 THEN 'wholesale' WHEN k < 0.90 THEN 'online'
            WHEN k < 0.97 THEN 'distributor' ELSE 'government' END,
       (ARRAY ['web', 'referral', 'fair', 'cold call', 'partner']) [1 + floor (bench.rnd (c, 3) * 5)::int],
       CASE WHEN bench.rnd (c, 4) < 0.03 THEN 'archived' ELSE 'active' END,
       1 + floor (bench.rnd (c, 5) * 50)::int,
       created, created
  FROM generate_series (1, :clients) c,
       LATERAL (SELECT floor (bench.rnd (c, 1) * 12)::int AS r, bench.rnd (c, 2) AS k,
                       timestamptz '2020-01-01 00:00+00' + bench.rnd (c, 6) * interval '1096 days'
                           AS created) x;
INSERT INTO sales.clients (id, external_id) SELECT id, external_id FROM contacts.clients;

INSERT INTO sales.product_groups (id, external_id, name, parent_id, described)
SELECT g, 'G' || lpad (g::text, 2, '0'),
       CASE WHEN g <= 10 THEN 'Group ' || g ELSE 'Group ' || (1 + (g - 11) % 10) || '.' || (1 + (g - 11) / 10) END,
       CASE WHEN g <= 10 THEN NULL ELSE 1 + (g - 11) % 10 END, true
  FROM generate_series (1, 50) g;

INSERT INTO sales.products (id, external_id, name, group_id, list_price, standard_cost)
SELECT p, 'P' || lpad (p::text, 5, '0'), 'Product ' || p, 11 + p % 40, price,
       round (price * (0.45 + bench.rnd (p, 22) * 0.30)::numeric, 2)
  FROM generate_series (1, 5000) p,
       LATERAL (SELECT round ((2 + bench.rnd (p, 21) * 198)::numeric, 2) AS price) x;

-- the orders, before their rows: lines and order totals come from them
CREATE UNLOGGED TABLE bench.orders AS
SELECT o AS id,
       1 + (floor (:clients * power (bench.rnd (o, 11), 7.2))::bigint * 2147483647) % :clients
           AS client_id,
       timestamptz '2023-01-01 00:00+00'
           + ((o - 1 + bench.rnd (o, 12)) / :orders) * interval '1096 days' AS placed_at,
       1 + floor (bench.rnd (o, 13) * 7)::int AS n_lines,
       bench.rnd (o, 14) < 0.02 AS cancelled,
       bench.rnd (o, 15) < 0.03 AS returned
  FROM generate_series (1, :orders) o;

INSERT INTO sales.order_lines (order_id, line_no, client_id, product_id, quantity, unit_price,
                               discount, amount, cost, product_group_id)
SELECT o.id, l, o.client_id, p.id, v.q, p.list_price, v.d,
       round (v.q * p.list_price * (1 - v.d), 2), round (v.q * p.standard_cost, 2), p.group_id
  FROM bench.orders o
 CROSS JOIN LATERAL generate_series (1, o.n_lines) l
 CROSS JOIN LATERAL (
       SELECT 1 + floor (5000 * power (bench.rnd (o.id * 8 + l, 30), 2))::bigint AS product,
              (1 + floor (power (bench.rnd (o.id * 8 + l, 31), 2) * 20))::numeric AS q,
              CASE WHEN bench.rnd (o.id * 8 + l, 32) < 0.70 THEN 0
                   ELSE (ARRAY [0.05, 0.10, 0.15]) [1 + floor (bench.rnd (o.id * 8 + l, 33) * 3)::int]
              END AS d) v
  JOIN sales.products p ON p.id = v.product;

INSERT INTO sales.erp_events (event_id, kind, body_sha256, occurred_at, received_at)
SELECT 'bench:order:' || lpad (id::text, 9, '0'), 'order_placed', '\x00'::bytea, placed_at, placed_at
  FROM bench.orders ORDER BY id;

INSERT INTO sales.orders (id, external_id, client_id, manager_id, placed_at, required_at,
                          currency, status, amount, event_id, cancelled_at, cancel_reason)
SELECT o.id, 'O' || lpad (o.id::text, 9, '0'), o.client_id,
       1 + floor (bench.rnd (o.client_id, 5) * 50)::int, o.placed_at,
       o.placed_at + interval '14 days', 'USD',
       CASE WHEN o.cancelled THEN 'cancelled' ELSE 'placed' END, t.amount,
       'bench:order:' || lpad (o.id::text, 9, '0'),
       CASE WHEN o.cancelled THEN o.placed_at + interval '1 day' END,
       CASE WHEN o.cancelled THEN 'client' END
  FROM bench.orders o
  JOIN (SELECT order_id, sum (amount) AS amount FROM sales.order_lines GROUP BY order_id) t
    ON t.order_id = o.id
 ORDER BY o.id;

CREATE UNLOGGED TABLE bench.returns AS
SELECT row_number () OVER (ORDER BY o.id) AS id, o.id AS order_id, o.client_id,
       o.placed_at + (1 + floor (bench.rnd (o.id, 16) * 30)::int) * interval '1 day' AS returned_at,
       l.product_id, ceil (l.quantity / 2) AS quantity,
       round (l.unit_price * (1 - l.discount), 9) AS unit_price,
       round (l.cost * ceil (l.quantity / 2) / l.quantity, 2) AS cost, l.product_group_id
  FROM bench.orders o
  JOIN sales.order_lines l ON l.order_id = o.id AND l.line_no = 1
 WHERE o.returned AND NOT o.cancelled;

INSERT INTO sales.erp_events (event_id, kind, body_sha256, occurred_at, received_at)
SELECT 'bench:return:' || lpad (id::text, 9, '0'), 'return_registered', '\x00'::bytea, returned_at, returned_at
  FROM bench.returns ORDER BY id;

INSERT INTO sales.returns (id, external_id, client_id, order_external_id, order_id, returned_at,
                           reason, currency, amount, event_id)
SELECT id, 'R' || lpad (id::text, 9, '0'), client_id, 'O' || lpad (order_id::text, 9, '0'),
       order_id, returned_at, 'defect', 'USD', round (quantity * unit_price, 2),
       'bench:return:' || lpad (id::text, 9, '0')
  FROM bench.returns ORDER BY id;

INSERT INTO sales.return_lines (return_id, line_no, client_id, product_id, quantity, unit_price,
                                cost, amount, product_group_id)
SELECT id, 1, client_id, product_id, quantity, unit_price, cost, round (quantity * unit_price, 2),
       product_group_id
  FROM bench.returns ORDER BY id;

RESET session_replication_role;
SELECT indexdef FROM bench.indexes \gexec

SELECT setval ('sales.orders_id_seq', :orders), setval ('contacts.clients_id_seq', :clients),
       setval ('contacts.managers_id_seq', 50),
       setval ('sales.product_groups_id_seq', 50), setval ('sales.products_id_seq', 5000),
       setval ('sales.returns_id_seq', greatest ((SELECT max (id) FROM bench.returns), 1));
DROP SCHEMA bench CASCADE;
