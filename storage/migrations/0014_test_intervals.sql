-- the interval tests (bootstrap_ci, wilcoxon_ci): their bounds on the tests rows (null for the
-- other tests), and in the tests views, after the columns they had
ALTER TABLE tests ADD COLUMN ci_low DOUBLE;
ALTER TABLE tests ADD COLUMN ci_high DOUBLE;

CREATE OR REPLACE VIEW main.tests AS
SELECT run_id, benchmark, start, "end", test, n, caar, mean_bhar, stat, p, distribution, note,
       ci_low, ci_high
FROM core.tests;

CREATE OR REPLACE VIEW main.latest_tests AS
SELECT t.run_id, t.benchmark, t.start, t."end", t.test, t.n, t.caar, t.mean_bhar, t.stat, t.p,
       t.distribution, t.note, t.ci_low, t.ci_high
FROM core.tests t JOIN main.latest_runs USING (run_id);
