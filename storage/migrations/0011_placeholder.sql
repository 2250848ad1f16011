-- placeholder on branch portfolio for another branch's migration 0011 (delete at merge)
SELECT 1;
