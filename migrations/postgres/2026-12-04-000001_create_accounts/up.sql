-- Lower-case search keys use the "C" collation, so comparisons are bytewise as
-- on SQLite and a range condition on them can use their B-tree index.
CREATE TABLE agencies (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    -- The name in lower case, for the support search's prefix matches.
    name_key TEXT COLLATE "C" NOT NULL,
    total_tasks BIGINT NOT NULL CHECK (total_tasks >= 0),
    sub_account_limit INTEGER NOT NULL CHECK (sub_account_limit >= 0),
    main_consumed BIGINT NOT NULL DEFAULT 0 CHECK (main_consumed >= 0),
    deleted_consumed BIGINT NOT NULL DEFAULT 0 CHECK (deleted_consumed >= 0),
    period_anchor_day INTEGER NOT NULL CHECK (period_anchor_day BETWEEN 1 AND 31),
    period_start DATE NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE INDEX agencies_name_key ON agencies (name_key, id);

CREATE TABLE sub_accounts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id BIGINT NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    allocated BIGINT NOT NULL CHECK (allocated >= 0),
    consumed BIGINT NOT NULL DEFAULT 0 CHECK (consumed >= 0 AND consumed <= allocated),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    status_changed_at TIMESTAMP,
    status_changed_by TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sub_accounts_agency_id ON sub_accounts (agency_id);

CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT COLLATE "C" NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'member', 'support')),
    agency_id BIGINT REFERENCES agencies (id) ON DELETE CASCADE,
    sub_account_id BIGINT UNIQUE REFERENCES sub_accounts (id) ON DELETE CASCADE,
    session_version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    CHECK (role <> 'owner' OR (agency_id IS NOT NULL AND sub_account_id IS NULL)),
    CHECK (role <> 'member' OR (agency_id IS NOT NULL AND sub_account_id IS NOT NULL)),
    CHECK (role <> 'support' OR (agency_id IS NULL AND sub_account_id IS NULL))
);
CREATE INDEX users_agency_id ON users (agency_id);

CREATE TABLE activity_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id BIGINT NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    actor_email TEXT NOT NULL,
    action TEXT NOT NULL,
    sub_account_id BIGINT,
    sub_account_name TEXT,
    value_before TEXT,
    value_after TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX activity_log_agency_id ON activity_log (agency_id, id);

CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    created_at TIMESTAMP NOT NULL
);
