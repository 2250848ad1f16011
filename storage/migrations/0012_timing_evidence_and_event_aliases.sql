-- timing inference evidence on events; event aliases (one announcement from several catalogs)

-- what the timing inference (backtest.timing) found for a date-only event; null when never run
ALTER TABLE events ADD COLUMN timing_decision VARCHAR;   -- after_close, during_session, undetermined
ALTER TABLE events ADD COLUMN timing_session DATE;       -- the dated session it was run on
ALTER TABLE events ADD COLUMN timing_av0 DOUBLE;         -- robust z of log volume, day 0
ALTER TABLE events ADD COLUMN timing_av1 DOUBLE;         -- the same, day +1
ALTER TABLE events ADD COLUMN timing_abs_ar0 DOUBLE;     -- |z| of the market-adjusted return, day 0
ALTER TABLE events ADD COLUMN timing_abs_ar1 DOUBLE;     -- the same, day +1
ALTER TABLE events ADD COLUMN timing_gap1 DOUBLE;        -- z of the market-adjusted gap into day +1
ALTER TABLE events ADD COLUMN timing_score DOUBLE;       -- the contrast D (> 0: day +1)
ALTER TABLE events ADD COLUMN timing_confidence DOUBLE;  -- empirical rank of |D|, 0..1
ALTER TABLE events ADD COLUMN timing_n_est INTEGER;      -- estimation sessions used
ALTER TABLE events ADD COLUMN timing_reason VARCHAR;     -- why nothing was computed
ALTER TABLE events ADD COLUMN timing_inferred_at TIMESTAMPTZ;

CREATE TABLE event_aliases (
    alias_id   VARCHAR PRIMARY KEY,   -- the duplicate's id, never stored as an event
    event_id   VARCHAR NOT NULL,      -- the event it is the same announcement as
    ticker     VARCHAR NOT NULL,
    category   VARCHAR NOT NULL,
    day0       DATE NOT NULL,         -- the duplicate's own day 0
    catalog    VARCHAR NOT NULL,      -- the file it came from
    linked_at  TIMESTAMPTZ NOT NULL
);

CREATE OR REPLACE VIEW main.event_timing AS
SELECT e.event_id, e.timing, e.day0, e.day0_rule, e.timing_decision AS decision,
       e.timing_session AS session, e.timing_av0 AS abnormal_volume_0,
       e.timing_av1 AS abnormal_volume_1, e.timing_abs_ar0 AS abs_ar_0,
       e.timing_abs_ar1 AS abs_ar_1, e.timing_gap1 AS gap_1, e.timing_score AS score,
       e.timing_confidence AS confidence, e.timing_n_est AS n_est, e.timing_reason AS reason,
       e.timing_inferred_at AS inferred_at
FROM core.events e WHERE e.timing_decision IS NOT NULL;

CREATE OR REPLACE VIEW main.event_aliases AS
SELECT a.alias_id, a.event_id, a.ticker, a.category, a.day0, a.catalog, a.linked_at
FROM core.event_aliases a;
