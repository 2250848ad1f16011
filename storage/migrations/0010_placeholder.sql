-- placeholder on branch portfolio for another branch's migration 0010 (delete at merge)
SELECT 1;
