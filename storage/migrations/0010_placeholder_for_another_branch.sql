-- placeholder on the timing branch for another branch's migration 0010 (drop when merging)
SELECT 1;
