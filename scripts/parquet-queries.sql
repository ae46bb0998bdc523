-- The cross-tenant queries of docs/parquet.md, run by scripts/duckdb-check.sh from the folder
-- that holds `parquet/` (the --parquet DIR of `uala batch` or of several `uala analyze` runs).
-- Each section starts with a `-- name:` line.

-- name: views over every tenant's partition
CREATE OR REPLACE VIEW events AS
    SELECT * FROM read_parquet('parquet/*/events.parquet', hive_partitioning = true);
CREATE OR REPLACE VIEW findings AS
    SELECT * FROM read_parquet('parquet/*/findings.parquet', hive_partitioning = true);

-- name: events and findings per tenant
SELECT tenant,
       count(*) AS events,
       min(time) AS first,
       max(time) AS last,
       (SELECT count(*) FROM findings f WHERE f.tenant = e.tenant) AS findings
FROM events e
GROUP BY tenant
ORDER BY tenant;

-- name: attacker IPs (of high and critical findings) seen in more than one tenant
SELECT ip,
       count(DISTINCT tenant) AS tenants,
       list(DISTINCT tenant ORDER BY tenant) AS tenant_list,
       count(*) AS findings,
       list(DISTINCT rule ORDER BY rule) AS rules
FROM (SELECT tenant, rule, unnest(ips) AS ip
      FROM findings
      WHERE severity IN ('high', 'critical'))
GROUP BY ip
HAVING count(DISTINCT tenant) > 1
ORDER BY tenants DESC, findings DESC, ip;

-- name: everything each of those IPs did, in every tenant
WITH flagged AS (
    SELECT DISTINCT unnest(ips) AS ip
    FROM findings
    WHERE severity IN ('high', 'critical')
)
SELECT e.ip, e.tenant, e.source,
       count(*) AS events,
       count(DISTINCT e.user) AS accounts,
       min(e.time) AS first,
       max(e.time) AS last
FROM events e JOIN flagged USING (ip)
GROUP BY ALL
ORDER BY e.ip, e.tenant, e.source;

-- name: forwarding addresses seen in more than one tenant
WITH forwards AS (
    SELECT tenant, user, rule,
           unnest(regexp_extract_all(
               lower(coalesce(json_extract(fields, '$.forward_to')::VARCHAR,
                              json_extract(fields, '$.destination')::VARCHAR, '')),
               '[a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)+')) AS address
    FROM findings
    WHERE rule LIKE 'forwarding.%'
), own_domains AS (
    -- A tenant's own mail domains: those of its mailboxes and successful sign-ins.
    SELECT DISTINCT tenant, split_part(user, '@', 2) AS domain
    FROM events
    WHERE user LIKE '%@%' AND (source = 'mailbox' OR (source = 'signin' AND success))
)
SELECT address,
       count(DISTINCT tenant) AS tenants,
       list(DISTINCT tenant ORDER BY tenant) AS tenant_list,
       list(DISTINCT user ORDER BY user) AS mailboxes
FROM forwards f
WHERE NOT EXISTS (SELECT 1 FROM own_domains d
                  WHERE d.tenant = f.tenant AND d.domain = split_part(f.address, '@', 2))
GROUP BY address
HAVING count(DISTINCT tenant) > 1
ORDER BY tenants DESC, address;

-- name: non-browser user agents used from flagged IPs in more than one tenant
SELECT e.user_agent,
       count(DISTINCT e.tenant) AS tenants,
       list(DISTINCT e.tenant ORDER BY e.tenant) AS tenant_list,
       count(*) AS events
FROM events e
JOIN (SELECT DISTINCT tenant, unnest(ips) AS ip
      FROM findings
      WHERE severity IN ('high', 'critical')) f
  ON e.tenant = f.tenant AND e.ip = f.ip
WHERE e.user_agent IS NOT NULL AND e.user_agent NOT LIKE 'Mozilla/%'
GROUP BY e.user_agent
HAVING count(DISTINCT e.tenant) > 1
ORDER BY tenants DESC, events DESC;
