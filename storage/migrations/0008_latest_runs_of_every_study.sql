-- latest_* views: the newest stored run of every study id, registered or not. Ad-hoc variants
-- (--event, --ticker, ...) are stored under <id>-adhoc, so they never pass for the study itself;
-- a study run once with 'reaction study' is in the latest_* views without being registered.
CREATE OR REPLACE VIEW main.latest_runs AS
SELECT r.run_id, r.study_id, r.title, r.created_at, r.package_version, r.model, r.benchmarks,
       r.definition, r.data_stamp, r.input_hash, r.n_observations, r.n_ok, r.registered
FROM core.study_runs r
QUALIFY row_number() OVER (PARTITION BY r.study_id ORDER BY r.created_at DESC, r.run_id DESC) = 1;
