-- The reports of `make bench-analytics` written as plain SQL over the raw
-- documents (analytics.order_lines, analytics.orders, sales.returns and
-- sales.return_lines, analytics.clients), without the rollups: what one
-- would write without crmq.  Each computes the figures docs/reports.md
-- defines, with the default thresholds (ABC 0.80 / 0.95, XYZ 0.10 / 0.25,
-- lost after $5 days), the measure revenue, no filters, and returns the
-- rows of the tables crmq's report of the same name returns, cell for cell
-- as crmq writes them, so that bench_analytics compares the two.
--
-- Parameters: $1 from, $2 to (dates: the period [from, to), also the report
-- date), $3 the company's time zone, $4 rows of the client tables, $5
-- lost_after_days.  Each query returns (tbl, ord, line): the table's name,
-- the row's place and its cells joined by U+001F.  bench_analytics runs the
-- query after each "-- report: NAME" line.

-- report: abc
WITH bounds AS (SELECT ($1::date)::timestamp AT TIME ZONE $3 AS f,
                       ($2::date)::timestamp AT TIME ZONE $3 AS t),
sold AS (
    SELECT l.client_id, sum (l.amount) AS sales
      FROM analytics.order_lines l, bounds b
     WHERE l.placed_at >= b.f AND l.placed_at < b.t
     GROUP BY l.client_id),
returned AS (
    SELECT t.client_id, sum (round (l.amount * t.currency_rate, 2)) AS returns
      FROM sales.returns t JOIN sales.return_lines l ON l.return_id = t.id, bounds b
     WHERE t.returned_at >= b.f AND t.returned_at < b.t
     GROUP BY t.client_id),
measure AS (
    SELECT c.id, c.external_id, c.name, coalesce (s.sales, 0) - coalesce (r.returns, 0) AS value
      FROM analytics.clients c
      LEFT JOIN sold s ON s.client_id = c.id
      LEFT JOIN returned r ON r.client_id = c.id),
total AS (SELECT coalesce (sum (value) FILTER (WHERE value > 0), 0) AS total FROM measure),
ranked AS (
    SELECT m.*, t.total, row_number () OVER w AS rank,
           coalesce (sum (m.value) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
               AS before
      FROM measure m CROSS JOIN total t
    WINDOW w AS (ORDER BY m.value DESC, m.id)),
classed AS (
    SELECT r.*,
           CASE WHEN total > 0 THEN round (value / total, 9) ELSE 0 END AS share,
           CASE WHEN total > 0 THEN round (least (before + value, total) / total, 9) ELSE 0 END
               AS cumulative,
           CASE WHEN value <= 0 THEN 'C' WHEN before < 0.80 * total THEN 'A'
                WHEN before < 0.95 * total THEN 'B' ELSE 'C' END AS abc_class
      FROM ranked r)
SELECT 'classes' AS tbl, k.n AS ord,
       array_to_string (ARRAY [k.abc_class, count (c.id)::text, coalesce (sum (c.value), 0)::text,
                               (CASE WHEN max (c.total) > 0
                                     THEN round (sum (c.value) / max (c.total), 9)
                                     ELSE 0 END)::text], E'\x1f', '') AS line
  FROM (VALUES (1, 'A'), (2, 'B'), (3, 'C')) k (n, abc_class)
  LEFT JOIN classed c ON c.abc_class = k.abc_class
 GROUP BY k.n, k.abc_class
UNION ALL
SELECT 'clients', rank,
       array_to_string (ARRAY [rank::text, id::text, external_id, name, value::text, share::text,
                               cumulative::text, abc_class], E'\x1f', '')
  FROM classed WHERE rank <= $4
ORDER BY 1, 2;

-- report: xyz
WITH bounds AS (SELECT ($1::date)::timestamp AT TIME ZONE $3 AS f,
                       ($2::date)::timestamp AT TIME ZONE $3 AS t),
months AS (
    SELECT count (*) AS n
      FROM generate_series (date_trunc ('month', $1::date), $2::date - 1, interval '1 month')),
movements AS (
    SELECT l.client_id, date_trunc ('month', l.placed_at AT TIME ZONE $3) AS month,
           l.amount AS revenue
      FROM analytics.order_lines l, bounds b
     WHERE l.placed_at >= b.f AND l.placed_at < b.t
    UNION ALL
    SELECT t.client_id, date_trunc ('month', t.returned_at AT TIME ZONE $3),
           -round (l.amount * t.currency_rate, 2)
      FROM sales.returns t JOIN sales.return_lines l ON l.return_id = t.id, bounds b
     WHERE t.returned_at >= b.f AND t.returned_at < b.t),
monthly AS (
    SELECT client_id, month, sum (revenue) AS revenue
      FROM movements
     WHERE client_id IN (SELECT id FROM analytics.clients)
     GROUP BY 1, 2),
sums AS (
    SELECT client_id, sum (revenue) AS s, sum (revenue * revenue) AS q
      FROM monthly GROUP BY client_id),
xyz AS (
    SELECT s.client_id, m.n AS months, s.s AS revenue, round (s.s / m.n, 2) AS mean,
           round (sqrt (m.n * s.q - s.s * s.s) / m.n, 2) AS stddev,
           CASE WHEN s.s > 0 THEN round (sqrt (m.n * s.q - s.s * s.s) / s.s, 9) END AS cv,
           CASE WHEN s.s <= 0 THEN 'Z'
                WHEN m.n * s.q - s.s * s.s <= (0.10 * s.s) ^ 2 THEN 'X'
                WHEN m.n * s.q - s.s * s.s <= (0.25 * s.s) ^ 2 THEN 'Y'
                ELSE 'Z' END AS xyz_class
      FROM sums s CROSS JOIN months m),
ranked AS (
    SELECT x.*, c.external_id, c.name,
           row_number () OVER (ORDER BY x.revenue DESC, x.client_id) AS rank,
           sum (x.revenue) FILTER (WHERE x.revenue > 0) OVER () AS total
      FROM xyz x JOIN analytics.clients c ON c.id = x.client_id)
SELECT 'classes' AS tbl, k.n AS ord,
       array_to_string (ARRAY [k.xyz_class, count (r.client_id)::text,
                               coalesce (sum (r.revenue), 0)::text,
                               (CASE WHEN max (r.total) > 0
                                     THEN round (sum (r.revenue) / max (r.total), 9)
                                     ELSE 0 END)::text], E'\x1f', '') AS line
  FROM (VALUES (1, 'X'), (2, 'Y'), (3, 'Z')) k (n, xyz_class)
  LEFT JOIN ranked r ON r.xyz_class = k.xyz_class
 GROUP BY k.n, k.xyz_class
UNION ALL
SELECT 'clients', rank,
       array_to_string (ARRAY [rank::text, client_id::text, external_id, name, months::text,
                               revenue::text, mean::text, stddev::text, cv::text, xyz_class],
                        E'\x1f', '')
  FROM ranked WHERE rank <= $4
ORDER BY 1, 2;

-- report: rfm
-- Over the clients with an order in the period: recency = days from the
-- last order's day to the report date, frequency = orders, monetary =
-- revenue; F = ceil(5 x #{f <= mine} / n), M likewise, R = ceil(5 x
-- #{recency >= mine} / n); the first segment that matches; clients ranked
-- by R + F + M, then monetary, then id.
WITH bounds AS (SELECT ($1::date)::timestamp AT TIME ZONE $3 AS f,
                       ($2::date)::timestamp AT TIME ZONE $3 AS t),
placed AS (
    SELECT o.client_id, count (*) AS frequency,
           max ((o.placed_at AT TIME ZONE $3)::date) AS last_day
      FROM analytics.orders o, bounds b
     WHERE o.placed_at >= b.f AND o.placed_at < b.t
     GROUP BY o.client_id),
sold AS (
    SELECT l.client_id, sum (l.amount) AS sales
      FROM analytics.order_lines l, bounds b
     WHERE l.placed_at >= b.f AND l.placed_at < b.t
     GROUP BY l.client_id),
returned AS (
    SELECT t.client_id, sum (round (l.amount * t.currency_rate, 2)) AS returns
      FROM sales.returns t JOIN sales.return_lines l ON l.return_id = t.id, bounds b
     WHERE t.returned_at >= b.f AND t.returned_at < b.t
     GROUP BY t.client_id),
values_ AS (
    SELECT c.id, c.external_id, c.name, p.last_day, $2::date - p.last_day AS recency,
           p.frequency, coalesce (s.sales, 0) - coalesce (r.returns, 0) AS monetary
      FROM placed p
      JOIN analytics.clients c ON c.id = p.client_id
      LEFT JOIN sold s ON s.client_id = p.client_id
      LEFT JOIN returned r ON r.client_id = p.client_id),
n AS (SELECT count (*) AS n FROM values_),
scored AS (
    SELECT v.*,
           (5 * count (*) OVER (ORDER BY v.recency DESC) + n.n - 1) / n.n AS r,
           (5 * count (*) OVER (ORDER BY v.frequency) + n.n - 1) / n.n AS f,
           (5 * count (*) OVER (ORDER BY v.monetary) + n.n - 1) / n.n AS m
      FROM values_ v CROSS JOIN n),
segmented AS (
    SELECT s.*, s.r + s.f + s.m AS score,
           CASE WHEN r >= 4 AND f >= 4 AND m >= 4 THEN 'champions'
                WHEN f >= 4 AND r >= 3 THEN 'loyal'
                WHEN r >= 4 AND f BETWEEN 2 AND 3 THEN 'potential_loyalists'
                WHEN r >= 4 AND f = 1 THEN 'new'
                WHEN r = 3 THEN 'need_attention'
                WHEN r <= 2 AND f >= 3 THEN 'at_risk'
                WHEN r = 2 THEN 'hibernating'
                ELSE 'lost' END AS segment,
           row_number () OVER (ORDER BY s.r + s.f + s.m DESC, s.monetary DESC, s.id) AS rank
      FROM scored s)
SELECT 'segments' AS tbl, k.i AS ord,
       array_to_string (ARRAY [k.segment, count (g.id)::text,
                               (CASE WHEN max (n.n) > 0
                                     THEN round (count (g.id)::numeric / max (n.n), 9)
                                     ELSE 0.000000000 END)::text,
                               coalesce (sum (g.monetary), 0.00)::text,
                               round (avg (g.recency), 2)::text, round (avg (g.frequency), 2)::text,
                               round (avg (g.monetary), 2)::text], E'\x1f', '') AS line
  FROM (VALUES (1, 'champions'), (2, 'loyal'), (3, 'potential_loyalists'), (4, 'new'),
               (5, 'need_attention'), (6, 'at_risk'), (7, 'hibernating'), (8, 'lost'))
       k (i, segment)
 CROSS JOIN n
  LEFT JOIN segmented g ON g.segment = k.segment
 GROUP BY k.i, k.segment
UNION ALL
SELECT 'matrix', x.r * 10 + y.f,
       array_to_string (ARRAY [x.r::text, y.f::text, count (g.id)::text], E'\x1f', '')
  FROM generate_series (1, 5) x (r) CROSS JOIN generate_series (1, 5) y (f)
  LEFT JOIN segmented g ON g.r = x.r AND g.f = y.f
 GROUP BY x.r, y.f
UNION ALL
SELECT 'clients', rank,
       array_to_string (ARRAY [rank::text, id::text, external_id, name, last_day::text,
                               recency::text, frequency::text, monetary::text, r::text, f::text,
                               m::text, r::text || f::text || m::text, score::text, segment],
                        E'\x1f', '')
  FROM segmented WHERE rank <= $4
ORDER BY 1, 2;

-- report: base
-- Each client's orders before the report date D (the period's end), in
-- order: the day after its first order it is a customer, the day after its
-- second it is regular, its order's day + lost_after_days it is lost when no
-- order came before that, and the day after its next order it is back.
-- Class counts at a day count those moments up to it; per month of the
-- period (the first cut at its start): clients with orders, new, returning
-- (with orders, not new), lost (lost at its end, the loss begun in it: a
-- loss in (start, end] not undone by an order before the end), orders,
-- revenue and the classes at its end; the same over the whole period.
WITH bounds AS (SELECT $1::date AS f, $2::date AS t, $4::int AS unused_limit,
                       ($1::date)::timestamp AT TIME ZONE $3 AS f_at,
                       ($2::date)::timestamp AT TIME ZONE $3 AS t_at),
placed AS (
    SELECT o.client_id, o.id, (o.placed_at AT TIME ZONE $3)::date AS day
      FROM analytics.orders o JOIN analytics.clients c ON c.id = o.client_id, bounds b
     WHERE o.placed_at < b.t_at),
seq AS (
    SELECT client_id, day, row_number () OVER w AS n, lead (day) OVER w AS next_day
      FROM placed
    WINDOW w AS (PARTITION BY client_id ORDER BY day, id)),
moments AS (
    SELECT e, kind, k, count (*) AS n
      FROM (SELECT day + 1 AS e, 'first' AS kind, 0 AS k FROM seq WHERE n = 1
            UNION ALL SELECT day + 1, 'second', 0 FROM seq WHERE n = 2
            UNION ALL SELECT day + $5::int, 'loss', CASE WHEN n >= 2 THEN 2 ELSE 1 END FROM seq
             WHERE next_day IS NULL OR next_day >= day + $5::int
            UNION ALL SELECT next_day + 1, 'react', CASE WHEN n >= 2 THEN 2 ELSE 1 END FROM seq
             WHERE next_day >= day + $5::int) m
     GROUP BY 1, 2, 3),
losses AS (
    SELECT day + $5::int AS e, next_day + 1 AS back
      FROM seq WHERE next_day IS NULL OR next_day >= day + $5::int),
months AS (
    SELECT greatest (m::date, b.f) AS ps, least ((m + interval '1 month')::date, b.t) AS pe
      FROM bounds b, generate_series (date_trunc ('month', b.f), b.t - 1, interval '1 month') m),
lost_by_month AS (
    SELECT ps, count (*) AS n
      FROM (SELECT l.back, greatest (date_trunc ('month', l.e - 1)::date, b.f) AS ps,
                   least ((date_trunc ('month', l.e - 1) + interval '1 month')::date, b.t) AS pe
              FROM losses l, bounds b WHERE l.e > b.f AND l.e <= b.t) x
     WHERE back IS NULL OR back > pe
     GROUP BY ps),
activity AS (
    SELECT greatest (date_trunc ('month', p.day)::date, b.f) AS ps,
           count (DISTINCT p.client_id) AS with_orders, count (*) AS orders
      FROM placed p, bounds b WHERE p.day >= b.f GROUP BY 1),
movements AS (
    SELECT l.placed_at AS at, l.amount
      FROM analytics.order_lines l JOIN analytics.clients c ON c.id = l.client_id, bounds b
     WHERE l.placed_at >= b.f_at AND l.placed_at < b.t_at
    UNION ALL
    SELECT t.returned_at, -round (l.amount * t.currency_rate, 2)
      FROM sales.returns t JOIN sales.return_lines l ON l.return_id = t.id
      JOIN analytics.clients c ON c.id = t.client_id, bounds b
     WHERE t.returned_at >= b.f_at AND t.returned_at < b.t_at),
revenue AS (
    SELECT greatest (date_trunc ('month', (m.at AT TIME ZONE $3)::date)::date, b.f) AS ps,
           sum (m.amount) AS revenue
      FROM movements m, bounds b GROUP BY 1),
periods AS (
    SELECT 0 AS part, x.ps, x.pe, coalesce (a.with_orders, 0) AS with_orders,
           coalesce (a.orders, 0) AS orders, coalesce (r.revenue, 0) AS revenue,
           coalesce (l.n, 0) AS lost_flow
      FROM months x LEFT JOIN activity a ON a.ps = x.ps LEFT JOIN revenue r ON r.ps = x.ps
      LEFT JOIN lost_by_month l ON l.ps = x.ps
    UNION ALL
    SELECT 1, b.f, b.t, (SELECT count (DISTINCT client_id) FROM placed WHERE day >= b.f),
           (SELECT count (*) FROM placed WHERE day >= b.f),
           (SELECT coalesce (sum (revenue), 0) FROM revenue),
           (SELECT count (*) FROM losses
             WHERE e > b.f AND e <= b.t AND (back IS NULL OR back > b.t))
      FROM bounds b),
at_end AS (
    SELECT x.*, (SELECT count (*) FROM analytics.clients) AS n,
           (SELECT coalesce (sum (n), 0) FROM moments WHERE kind = 'first' AND e <= x.pe) AS ever,
           (SELECT coalesce (sum (n), 0) FROM moments WHERE kind = 'second' AND e <= x.pe) AS two,
           (SELECT coalesce (sum (CASE kind WHEN 'loss' THEN n ELSE -n END), 0) FROM moments
             WHERE kind IN ('loss', 'react') AND k = 1 AND e <= x.pe) AS lost1,
           (SELECT coalesce (sum (CASE kind WHEN 'loss' THEN n ELSE -n END), 0) FROM moments
             WHERE kind IN ('loss', 'react') AND k = 2 AND e <= x.pe) AS lost2,
           (SELECT coalesce (sum (n), 0) FROM moments
             WHERE kind = 'first' AND e > x.ps AND e <= x.pe) AS fresh
      FROM periods x),
classes AS (
    SELECT a.*, n - ever AS potential, ever - two - lost1 AS one_time, two - lost2 AS regular,
           lost1 + lost2 AS lost
      FROM at_end a)
SELECT 'summary' AS tbl, 0 AS ord,
       array_to_string (ARRAY [n, potential, one_time, regular, lost, fresh, with_orders - fresh,
                               lost_flow, with_orders, orders]::text []
                        || revenue::text
                        || (CASE WHEN orders > 0 AND revenue > 0 THEN round (revenue / orders, 2)
                                 ELSE 0.00 END)::text, E'\x1f', '') AS line
  FROM classes WHERE part = 1
UNION ALL
SELECT 'classes', k.i,
       array_to_string (ARRAY [k.name, k.clients::text,
                               CASE WHEN c.n > 0 THEN round (k.clients::numeric / c.n, 9)::text
                                    ELSE '0' END], E'\x1f', '')
  FROM classes c
 CROSS JOIN LATERAL (VALUES (1, 'potential', c.potential), (2, 'one_time', c.one_time),
                            (3, 'regular', c.regular), (4, 'lost', c.lost)) k (i, name, clients)
 WHERE c.part = 1
UNION ALL
SELECT 'history', row_number () OVER (ORDER BY ps),
       array_to_string (ARRAY [ps::text, with_orders::text, fresh::text,
                               (with_orders - fresh)::text, lost_flow::text, orders::text,
                               revenue::text, potential::text, one_time::text, regular::text,
                               lost::text], E'\x1f', '')
  FROM classes WHERE part = 0
ORDER BY 1, 2;
