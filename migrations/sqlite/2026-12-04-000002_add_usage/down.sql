DROP TABLE idempotency_keys;
DROP TABLE billing_periods;
DROP TABLE usage_daily;
DROP TABLE api_keys;
DROP TABLE automations;
ALTER TABLE sub_accounts DROP COLUMN alert_level;
