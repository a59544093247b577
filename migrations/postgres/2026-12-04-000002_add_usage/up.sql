-- The highest usage alert (75, 90 or 100 percent of the allocation) logged this period.
ALTER TABLE sub_accounts ADD COLUMN alert_level INTEGER NOT NULL DEFAULT 0;

CREATE TABLE automations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sub_account_id BIGINT NOT NULL REFERENCES sub_accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'paused', 'paused_by_agency')),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX automations_sub_account_id ON automations (sub_account_id, id);

CREATE TABLE api_keys (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sub_account_id BIGINT NOT NULL REFERENCES sub_accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- SHA-256 of the whole key, in hex. The key itself is shown once and never stored.
    key_hash TEXT NOT NULL UNIQUE,
    -- The key's first characters, to tell keys apart on the page.
    prefix TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_keys_sub_account_id ON api_keys (sub_account_id, id);

-- Tasks consumed per automation and day: one row however many calls report them.
-- Sub-account and automation ids carry no foreign key, so the history of a
-- deleted sub-account stays with its agency. The key puts the day before the
-- automation, so a sub-account's days in a period are one range of it.
CREATE TABLE usage_daily (
    agency_id BIGINT NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    sub_account_id BIGINT NOT NULL,
    sub_account_name TEXT NOT NULL,
    automation_id BIGINT NOT NULL,
    day DATE NOT NULL,
    tasks BIGINT NOT NULL CHECK (tasks >= 0),
    PRIMARY KEY (sub_account_id, day, automation_id)
);
CREATE INDEX usage_daily_agency_day ON usage_daily (agency_id, day);

-- A closed billing period's totals, written once when the next one starts.
CREATE TABLE billing_periods (
    agency_id BIGINT NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    total_tasks BIGINT NOT NULL,
    consumed BIGINT NOT NULL,
    main_consumed BIGINT NOT NULL,
    deleted_consumed BIGINT NOT NULL,
    PRIMARY KEY (agency_id, period_start)
);

-- The first answer to a consumption request with an idempotency key.
CREATE TABLE idempotency_keys (
    sub_account_id BIGINT NOT NULL REFERENCES sub_accounts (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    -- SHA-256 of the request's automation and tasks, to reject a key reused for another request.
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (sub_account_id, idempotency_key)
);
