-- placeholder on the timing branch for another branch's migration 0009 (drop when merging)
SELECT 1;
