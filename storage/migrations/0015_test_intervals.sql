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

-- the groups' tables of migration 9 likewise
ALTER TABLE group_tests ADD COLUMN ci_low DOUBLE;
ALTER TABLE group_tests ADD COLUMN ci_high DOUBLE;
ALTER TABLE group_daily ADD COLUMN ci_low DOUBLE;
ALTER TABLE group_daily ADD COLUMN ci_high DOUBLE;

CREATE OR REPLACE VIEW main.group_tests AS
SELECT run_id, benchmark, group_id, label, start, "end", test, n, caar, mean_bhar, stat, p,
       distribution, df, note, ci_low, ci_high
FROM core.group_tests;

CREATE OR REPLACE VIEW main.group_daily AS
SELECT run_id, benchmark, group_id, label, rel_day, n, aar, caar, test, stat, p, distribution,
       df, note, ci_low, ci_high
FROM core.group_daily;

CREATE OR REPLACE VIEW main.latest_group_tests AS
SELECT g.run_id, g.benchmark, g.group_id, g.label, g.start, g."end", g.test, g.n, g.caar,
       g.mean_bhar, g.stat, g.p, g.distribution, g.df, g.note, g.ci_low, g.ci_high
FROM core.group_tests g JOIN main.latest_runs USING (run_id);

CREATE OR REPLACE VIEW main.latest_group_daily AS
SELECT g.run_id, g.benchmark, g.group_id, g.label, g.rel_day, g.n, g.aar, g.caar, g.test,
       g.stat, g.p, g.distribution, g.df, g.note, g.ci_low, g.ci_high
FROM core.group_daily g JOIN main.latest_runs USING (run_id);
