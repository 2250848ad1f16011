-- placeholder on branch portfolio for another branch's migration 0009 (delete at merge)
SELECT 1;
