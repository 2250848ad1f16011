-- latest_* views keep to registered runs; public views over loads, actions, factors, sessions

CREATE OR REPLACE VIEW main.latest_runs AS
SELECT r.* FROM core.study_runs r
JOIN core.studies s ON s.study_id = r.study_id
WHERE r.registered
QUALIFY row_number() OVER (PARTITION BY r.study_id ORDER BY r.created_at DESC, r.run_id DESC) = 1;

CREATE OR REPLACE VIEW main.loads AS SELECT * FROM core.loads;

-- the ticker list on the event row too, so that an upsert sees a changed list
ALTER TABLE events ADD COLUMN tickers VARCHAR[];

CREATE OR REPLACE VIEW main.actions AS SELECT ticker, date, kind, value, source, fetched_at FROM core.actions;

CREATE OR REPLACE VIEW main.factors AS SELECT * FROM core.factors;

CREATE OR REPLACE VIEW main.sessions AS SELECT date, session_no FROM core.sessions;
