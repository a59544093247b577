//! Table definitions shared by both backends.
//!
//! Written by hand: the two migration folders declare the same columns with
//! backend-specific DDL, and these types are the ones both map to.

diesel::table! {
    agencies (id) {
        id -> BigInt,
        name -> Text,
        name_key -> Text,
        total_tasks -> BigInt,
        sub_account_limit -> Integer,
        main_consumed -> BigInt,
        deleted_consumed -> BigInt,
        period_anchor_day -> Integer,
        period_start -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sub_accounts (id) {
        id -> BigInt,
        agency_id -> BigInt,
        name -> Text,
        allocated -> BigInt,
        consumed -> BigInt,
        active -> Bool,
        status_changed_at -> Nullable<Timestamp>,
        status_changed_by -> Nullable<Text>,
        created_at -> Timestamp,
        alert_level -> Integer,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        email_key -> Text,
        password_hash -> Text,
        role -> Text,
        agency_id -> Nullable<BigInt>,
        sub_account_id -> Nullable<BigInt>,
        session_version -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    activity_log (id) {
        id -> BigInt,
        agency_id -> BigInt,
        actor_email -> Text,
        action -> Text,
        sub_account_id -> Nullable<BigInt>,
        sub_account_name -> Nullable<Text>,
        value_before -> Nullable<Text>,
        value_after -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    setup_tokens (token_hash) {
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(sub_accounts -> agencies (agency_id));
diesel::joinable!(activity_log -> agencies (agency_id));
diesel::joinable!(users -> sub_accounts (sub_account_id));

diesel::table! {
    automations (id) {
        id -> BigInt,
        sub_account_id -> BigInt,
        name -> Text,
        status -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        sub_account_id -> BigInt,
        name -> Text,
        key_hash -> Text,
        prefix -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    usage_daily (sub_account_id, day, automation_id) {
        agency_id -> BigInt,
        sub_account_id -> BigInt,
        sub_account_name -> Text,
        automation_id -> BigInt,
        day -> Date,
        tasks -> BigInt,
    }
}

diesel::table! {
    billing_periods (agency_id, period_start) {
        agency_id -> BigInt,
        period_start -> Date,
        period_end -> Date,
        total_tasks -> BigInt,
        consumed -> BigInt,
        main_consumed -> BigInt,
        deleted_consumed -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (sub_account_id, idempotency_key) {
        sub_account_id -> BigInt,
        idempotency_key -> Text,
        request_hash -> Text,
        status -> Integer,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(automations -> sub_accounts (sub_account_id));
diesel::joinable!(api_keys -> sub_accounts (sub_account_id));

diesel::allow_tables_to_appear_in_same_query!(
    agencies,
    sub_accounts,
    users,
    activity_log,
    automations,
    api_keys,
    usage_daily,
    billing_periods,
    idempotency_keys,
);
