//! The usage API: consumption under concurrency, idempotency, deactivation,
//! keys, automations, bad input and the OpenAPI document.

use std::collections::BTreeSet;

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    concurrent_consumption_never_overspends,
    idempotent_retries_count_once,
    concurrent_retries_count_once,
    inactive_sub_account_consumes_nothing,
    paused_automation_consumes_nothing,
    revoked_and_deleted_keys_are_unauthorized,
    delete_after_key_check_is_unauthorized,
    bearer_scheme_ignores_case,
    api_routing_errors_are_json,
    other_sub_account_automation_is_not_found,
    malformed_requests_are_rejected,
    usage_status_reports_period,
    automations_api_manages_automations,
    usage_alerts_are_logged_once,
    agency_figures_include_consumption,
);

/// An agency with one sub-account of `allocation` tasks, its key and a running automation.
async fn setup(
    app: &TestApp,
    allocation: i64,
) -> (
    subaccounts::domain::AgencyId,
    subaccounts::domain::SubAccountId,
    String,
    i64,
) {
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", allocation).await;
    let key = app.create_key(id);
    let automation = app.create_automation(id, "Sync");
    (agency_id, id, key, automation)
}

async fn concurrent_consumption_never_overspends(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.workers = 4;
        config.pool_size = 16;
    })
    .await;
    let (agency_id, id, key, automation) = setup(&app, 100).await;
    let api = app.api(&key);

    let responses = join_all((0..200).map(|_| api.consume(automation, 1, None))).await;

    let accepted = responses
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    let refused = responses
        .iter()
        .filter(|r| r.status == StatusCode::PAYMENT_REQUIRED)
        .count();
    assert_eq!(accepted, 100);
    assert_eq!(refused, 100);
    assert!(
        responses
            .iter()
            .filter(|r| r.status == StatusCode::PAYMENT_REQUIRED)
            .all(|r| r.code() == "not_enough_tasks")
    );
    assert_eq!(
        app.sub_accounts(agency_id)[0].3,
        100,
        "the stored count agrees"
    );
    let daily: i64 = subaccounts::db::usage::sub_account_daily(
        &mut app.connection(),
        id,
        chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("date"),
        chrono::NaiveDate::from_ymd_opt(2100, 1, 1).expect("date"),
    )
    .expect("daily")
    .iter()
    .map(|day| day.tasks)
    .sum();
    assert_eq!(daily, 100, "the daily history agrees");
    let remaining: Vec<i64> = responses
        .iter()
        .filter_map(|r| r.json["remaining"].as_i64())
        .collect();
    assert_eq!(
        remaining.iter().collect::<BTreeSet<_>>().len(),
        100,
        "each success saw its own count"
    );
    app.assert_invariants(agency_id);
}

async fn idempotent_retries_count_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, _, key, automation) = setup(&app, 100).await;
    let api = app.api(&key);

    let first = api.consume(automation, 7, Some("job-42")).await;
    let retry = api.consume(automation, 7, Some("job-42")).await;
    let other = api.consume(automation, 7, Some("job-43")).await;
    let reused = api.consume(automation, 8, Some("job-42")).await;

    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(retry.json, first.json, "the retry gets the first answer");
    assert_eq!(
        retry
            .headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert!(first.headers.get("idempotent-replayed").is_none());
    assert_eq!(other.json["consumed"], 14);
    assert_eq!(
        reused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        reused.json
    );
    assert_eq!(app.sub_accounts(agency_id)[0].3, 14);

    // A refusal is an answer too: its retry is refused the same way.
    let too_many = api.consume(automation, 90, Some("big")).await;
    assert_eq!(too_many.status, StatusCode::PAYMENT_REQUIRED);
    let again = api.consume(automation, 90, Some("big")).await;
    assert_eq!(again.status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(again.json, too_many.json);
    assert_eq!(
        again
            .headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert!(too_many.headers.get("idempotent-replayed").is_none());
}

async fn concurrent_retries_count_once(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.workers = 4;
        config.pool_size = 16;
    })
    .await;
    let (agency_id, _, key, automation) = setup(&app, 1_000).await;
    let api = app.api(&key);

    let responses =
        join_all((0..30).map(|_| api.consume(automation, 5, Some("retry-storm")))).await;

    assert!(
        responses.iter().all(|r| r.status == StatusCode::OK),
        "{:?}",
        responses.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(
        responses.iter().all(|r| r.json == responses[0].json),
        "every retry gets the same answer"
    );
    assert_eq!(
        responses
            .iter()
            .filter(|r| r.headers.get("idempotent-replayed").is_none())
            .count(),
        1
    );
    assert_eq!(app.sub_accounts(agency_id)[0].3, 5, "counted once");
}

async fn inactive_sub_account_consumes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, id, key, automation) = setup(&app, 100).await;
    let mut owner = app.client();
    owner
        .sign_in("owner@example.com", crate::helpers::OWNER_PASSWORD)
        .await;
    let api = app.api(&key);
    assert_eq!(
        api.consume(automation, 10, None).await.status,
        StatusCode::OK
    );

    owner
        .post(
            &format!("/accounts/agency/sub-accounts/{id}/deactivate"),
            &[],
        )
        .await;
    let refused = api.consume(automation, 1, None).await;
    let listed = api.get("/api/v1/automations").await;

    assert_eq!(refused.status, StatusCode::LOCKED);
    assert_eq!(refused.code(), "sub_account_inactive");
    assert_eq!(app.sub_accounts(agency_id)[0].3, 10, "nothing consumed");
    assert_eq!(listed.json["automations"][0]["status"], "paused_by_agency");
    let resume = api
        .post(
            &format!("/api/v1/automations/{automation}/resume"),
            json!({}),
        )
        .await;
    assert_eq!(resume.status, StatusCode::LOCKED);

    owner
        .post(&format!("/accounts/agency/sub-accounts/{id}/activate"), &[])
        .await;
    assert_eq!(
        api.get("/api/v1/automations").await.json["automations"][0]["status"],
        "running"
    );
    let accepted = api.consume(automation, 1, None).await;
    assert_eq!(accepted.status, StatusCode::OK);
    assert_eq!(accepted.json["consumed"], 11);
}

async fn paused_automation_consumes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, id, key, automation) = setup(&app, 100).await;
    let api = app.api(&key);
    let member_paused = app.create_automation(id, "Member paused");
    let mut owner = app.client();
    owner
        .sign_in("owner@example.com", crate::helpers::OWNER_PASSWORD)
        .await;

    let paused = api
        .post(
            &format!("/api/v1/automations/{member_paused}/pause"),
            json!({}),
        )
        .await;
    assert_eq!(paused.json["status"], "paused");
    let refused = api.consume(member_paused, 1, None).await;
    assert_eq!(refused.status, StatusCode::LOCKED);
    assert_eq!(refused.code(), "automation_not_running");

    // Deactivation pauses the running one; activation resumes only that one.
    owner
        .post(
            &format!("/accounts/agency/sub-accounts/{id}/deactivate"),
            &[],
        )
        .await;
    owner
        .post(&format!("/accounts/agency/sub-accounts/{id}/activate"), &[])
        .await;
    let listed = api.get("/api/v1/automations").await;
    let statuses: Vec<(&str, &str)> = listed.json["automations"]
        .as_array()
        .expect("list")
        .iter()
        .map(|item| {
            (
                item["name"].as_str().unwrap_or_default(),
                item["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![("Sync", "running"), ("Member paused", "paused")]
    );
    assert_eq!(
        api.consume(automation, 1, None).await.status,
        StatusCode::OK
    );
    assert_eq!(app.sub_accounts(agency_id)[0].3, 1);
}

/// A delete that lands between the key check and the consumption: the key
/// owner was read first, so only the consumption finds the sub-account gone.
async fn delete_after_key_check_is_unauthorized(backend: Backend) {
    use subaccounts::db::usage::{ConsumeError, ConsumeRequest, consume};

    let app = TestApp::spawn(backend).await;
    let (agency_id, id, key, automation) = setup(&app, 100).await;
    let mut connection = app.connection();
    let now = chrono::Utc::now().naive_utc();
    let owner = subaccounts::db::api_keys::authenticate(&mut connection, &key, now)
        .expect("lookup")
        .expect("a valid key");
    subaccounts::db::sub_accounts::delete(&mut connection, agency_id, id, "owner@example.com", now)
        .expect("delete");

    for idempotency_key in [None, Some("retry-1".to_owned())] {
        let request = ConsumeRequest {
            automation_id: subaccounts::domain::AutomationId(automation),
            tasks: 1,
            idempotency_key: idempotency_key.clone(),
        };
        let outcome = consume(&mut connection, &owner, &request, now);
        assert!(
            matches!(outcome, Err(ConsumeError::KeyRevoked)),
            "idempotency key {idempotency_key:?}: {outcome:?}"
        );
    }
    drop(connection);
    app.assert_invariants(agency_id);
}

async fn api_routing_errors_are_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, _, key, _) = setup(&app, 100).await;
    let api = app.api(&key);
    let url = |path: &str| format!("{}{path}", api.base_url);

    let unknown = api.send(api.http.get(url("/api/v1/nothing"))).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.code(), "not_found");

    let wrong_method = api.send(api.http.delete(url("/api/v1/usage"))).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.code(), "method_not_allowed");
    assert_eq!(
        wrong_method
            .headers
            .get("allow")
            .and_then(|value| value.to_str().ok()),
        Some("GET, HEAD, POST")
    );

    let plain_text = api
        .send(
            api.http
                .post(url("/api/v1/usage"))
                .header("Content-Type", "text/plain")
                .body(r#"{"automation": 1, "tasks": 1}"#),
        )
        .await;
    assert_eq!(plain_text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(plain_text.code(), "unsupported_media_type");
}

async fn bearer_scheme_ignores_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, _, key, _) = setup(&app, 100).await;
    let api = app.api(&key);

    for (header, expected) in [
        (format!("bearer {key}"), StatusCode::OK),
        (format!("BEARER {key}"), StatusCode::OK),
        (format!("Basic {key}"), StatusCode::UNAUTHORIZED),
        (key.clone(), StatusCode::UNAUTHORIZED),
    ] {
        let response = api
            .http
            .get(format!("{}/api/v1/usage", api.base_url))
            .header("Authorization", &header)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), expected, "{}", &header[..6]);
    }
}

async fn revoked_and_deleted_keys_are_unauthorized(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, id, key, automation) = setup(&app, 100).await;
    let second_key = app.create_key(id);
    let mut owner = app.client();
    owner
        .sign_in("owner@example.com", crate::helpers::OWNER_PASSWORD)
        .await;
    let keys = subaccounts::db::api_keys::list(&mut app.connection(), id).expect("keys");
    let first_key_id = keys
        .iter()
        .find(|k| k.prefix == key[..10])
        .expect("first key")
        .id;

    owner
        .get(&format!("/accounts/agency/sub-accounts/{id}"))
        .await;
    let revoked = owner
        .post(
            &format!("/accounts/agency/sub-accounts/{id}/api-keys/{first_key_id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    let after_revoke = app.api(&key).consume(automation, 1, None).await;
    assert_eq!(after_revoke.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after_revoke.code(), "unauthorized");
    assert_eq!(
        after_revoke
            .headers
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    assert_eq!(
        app.api(&second_key)
            .consume(automation, 1, None)
            .await
            .status,
        StatusCode::OK
    );

    owner
        .post(&format!("/accounts/agency/sub-accounts/{id}/delete"), &[])
        .await;
    assert_eq!(
        app.api(&second_key)
            .consume(automation, 1, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.api(&second_key).get("/api/v1/usage").await.status,
        StatusCode::UNAUTHORIZED
    );

    for header in ["", "Bearer", "Bearer ", "Basic abc", "Bearer sa_unknown"] {
        let response = reqwest::Client::new()
            .get(format!("{}/api/v1/usage", app.base_url))
            .header("Authorization", header)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{header:?}");
    }
    let no_header = reqwest::Client::new()
        .get(format!("{}/api/v1/usage", app.base_url))
        .send()
        .await
        .expect("request");
    assert_eq!(no_header.status(), StatusCode::UNAUTHORIZED);
}

async fn other_sub_account_automation_is_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, _, key, _) = setup(&app, 100).await;
    let mut owner = app.client();
    owner
        .sign_in("owner@example.com", crate::helpers::OWNER_PASSWORD)
        .await;
    let other = owner.add_ok("Client B", "b@example.com", 100).await;
    let foreign = app.create_automation(other, "Theirs");
    let api = app.api(&key);

    let consumed = api.consume(foreign, 1, None).await;
    let paused = api
        .post(&format!("/api/v1/automations/{foreign}/pause"), json!({}))
        .await;
    let missing = api.consume(999_999, 1, None).await;

    assert_eq!(consumed.status, StatusCode::NOT_FOUND);
    assert_eq!(consumed.code(), "automation_not_found");
    assert_eq!(paused.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(app.sub_accounts(agency_id).iter().all(|sub| sub.3 == 0));
}

async fn malformed_requests_are_rejected(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, _, key, automation) = setup(&app, 10_000).await;
    let api = app.api(&key);
    let long_key = "k".repeat(201);
    let cases = [
        json!({ "automation": automation, "tasks": 0 }),
        json!({ "automation": automation, "tasks": 10_001 }),
        json!({ "automation": automation, "tasks": -3 }),
        json!({ "automation": automation, "tasks": "5" }),
        json!({ "automation": automation, "tasks": 1.5 }),
        json!({ "tasks": 5 }),
        json!({ "automation": automation }),
        json!({ "automation": automation, "tasks": 1, "extra": true }),
        json!({ "automation": automation, "tasks": 1, "idempotency_key": long_key }),
        json!({ "automation": automation, "tasks": 1, "idempotency_key": "" }),
        json!({ "automation": 0, "tasks": 1 }),
        json!([1, 2]),
    ];
    for body in cases {
        let response = api.post("/api/v1/usage", body.clone()).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(response.code(), "invalid_request", "{body}");
        assert!(
            !response.json["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty()
        );
    }
    let not_json = api
        .send(
            api.http
                .post(format!("{}/api/v1/usage", app.base_url))
                .header("Content-Type", "application/json")
                .body("{tasks: 1"),
        )
        .await;
    assert_eq!(not_json.status, StatusCode::UNPROCESSABLE_ENTITY);
    let wrong_type = api
        .send(
            api.http
                .post(format!("{}/api/v1/usage", app.base_url))
                .header("Content-Type", "text/plain")
                .body("{}"),
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = api
        .send(
            api.http
                .post(format!("{}/api/v1/usage", app.base_url))
                .header("Content-Type", "application/json")
                .body(format!(
                    "{{\"automation\": {automation}, \"tasks\": 1, \"idempotency_key\": \"{}\"}}",
                    "x".repeat(40_000)
                )),
        )
        .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(huge.code(), "payload_too_large");
    let at_limit = api
        .consume(automation, 10_000, Some(&"k".repeat(200)))
        .await;
    assert_eq!(
        at_limit.status,
        StatusCode::OK,
        "the bounds themselves are accepted"
    );
    assert_eq!(app.sub_accounts(agency_id)[0].3, 10_000);
}

async fn usage_status_reports_period(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, id, key, automation) = setup(&app, 300).await;
    let api = app.api(&key);
    api.consume(automation, 120, None).await;

    let status = api.get("/api/v1/usage").await;

    assert_eq!(status.status, StatusCode::OK);
    assert_eq!(status.json["sub_account"]["id"], id.0);
    assert_eq!(status.json["sub_account"]["name"], "Client A");
    assert_eq!(status.json["sub_account"]["status"], "active");
    assert_eq!(
        (
            status.json["allocated"].as_i64(),
            status.json["consumed"].as_i64(),
            status.json["remaining"].as_i64()
        ),
        (Some(300), Some(120), Some(180))
    );
    let today = app.clock_today();
    assert_eq!(
        status.json["period"]["start"],
        today.format("%Y-%m-%d").to_string()
    );
    assert!(
        status.json["period"]["end"].as_str().unwrap_or_default()
            > status.json["period"]["start"].as_str().unwrap_or_default()
    );
}

async fn automations_api_manages_automations(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, _, key, _) = setup(&app, 300).await;
    let api = app.api(&key);

    let created = api
        .post(
            "/api/v1/automations",
            json!({ "name": "  Invoice import  " }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.json["name"], "Invoice import");
    assert_eq!(created.json["status"], "running");
    let id = created.json["id"].as_i64().expect("id");
    let blank = api
        .post("/api/v1/automations", json!({ "name": " " }))
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        api.post(&format!("/api/v1/automations/{id}/pause"), json!({}))
            .await
            .json["status"],
        "paused"
    );
    assert_eq!(
        api.post(&format!("/api/v1/automations/{id}/resume"), json!({}))
            .await
            .json["status"],
        "running"
    );
    assert_eq!(
        api.post("/api/v1/automations/abc/pause", json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let listed = api.get("/api/v1/automations").await;
    assert_eq!(listed.json["automations"].as_array().map(Vec::len), Some(2));
}

async fn usage_alerts_are_logged_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, id, key, automation) = setup(&app, 100).await;
    let api = app.api(&key);
    let mut owner = app.client();
    owner
        .sign_in("owner@example.com", crate::helpers::OWNER_PASSWORD)
        .await;

    let alerts = || {
        app.activity_actions(agency_id)
            .into_iter()
            .filter(|(action, _)| action == "sub_account.usage_alert")
            .count()
    };
    api.consume(automation, 74, None).await;
    assert_eq!(alerts(), 0);
    api.consume(automation, 1, None).await;
    assert_eq!(alerts(), 1, "75% crossed");
    api.consume(automation, 1, None).await;
    assert_eq!(alerts(), 1, "logged once");
    let page = owner.agency_page().await;
    assert_eq!(
        page.text(&format!("#sub-account-{id} .alert-badge"))
            .as_deref(),
        Some("75% used")
    );
    assert!(
        page.text("#activity li")
            .unwrap_or_default()
            .contains("“Client A” reached 75% of its allocation (75 of 100 tasks)")
    );
    api.consume(automation, 14, None).await;
    assert_eq!(alerts(), 2, "90% crossed");
    api.consume(automation, 10, None).await;
    assert_eq!(alerts(), 3, "100% crossed");
    let mut member = app.client();
    member
        .sign_in("a@example.com", crate::helpers::MEMBER_PASSWORD)
        .await;
    let account = member.get("/account").await;
    assert!(
        account
            .text(".usage-alert")
            .unwrap_or_default()
            .contains("allocation used up")
    );

    // Raising the allocation clears the level, so the next crossing is logged again.
    owner
        .post(
            &format!("/accounts/agency/sub-accounts/{id}/tasks"),
            &[("tasks", "200")],
        )
        .await;
    api.consume(automation, 50, None).await;
    assert_eq!(alerts(), 4, "75% of 200 crossed");

    // Lowering the allocation to what was consumed crosses 100% at once.
    owner
        .post(
            &format!("/accounts/agency/sub-accounts/{id}/tasks"),
            &[("tasks", "150")],
        )
        .await;
    assert_eq!(alerts(), 5, "100% of 150 reached by the update");
    let newest: Vec<String> = app
        .activity_actions(agency_id)
        .into_iter()
        .take(2)
        .map(|(action, _)| action)
        .collect();
    assert_eq!(
        newest,
        ["sub_account.usage_alert", "sub_account.tasks_updated"],
        "the alert follows the update"
    );
    owner
        .post(
            &format!("/accounts/agency/sub-accounts/{id}/tasks"),
            &[("tasks", "150")],
        )
        .await;
    assert_eq!(alerts(), 5, "the same allocation again logs nothing");
}

async fn agency_figures_include_consumption(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, id, key, automation) = setup(&app, 1_000).await;
    let api = app.api(&key);
    api.consume(automation, 250, None).await;
    let mut owner = app.client();
    owner
        .sign_in("owner@example.com", crate::helpers::OWNER_PASSWORD)
        .await;

    let page = owner.agency_page().await;

    assert_eq!(page.figure("tasks-consumed"), "250");
    assert_eq!(page.figure("tasks-remaining"), "9750");
    assert_eq!(page.figure("unallocated"), "9000");
    assert_eq!(
        page.text(&format!("#sub-account-{id} [data-column=consumed]"))
            .as_deref(),
        Some("250")
    );
    assert_eq!(
        page.text(&format!("#sub-account-{id} [data-column=automations]"))
            .as_deref(),
        Some("1")
    );
    let bars = page.count("svg.chart rect.bar");
    assert!(
        (28..=31).contains(&bars),
        "one bar a day of the period, got {bars}"
    );
    assert!(
        page.body.contains("250 tasks</title>"),
        "today's bar carries its value"
    );
    assert_eq!(
        page.count(".chart-data tbody tr"),
        bars,
        "the table has the same days"
    );
    app.assert_invariants(agency_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_lists_every_api_route() {
    let app = TestApp::spawn(Backend::Sqlite).await;

    let document: serde_json::Value = reqwest::get(format!("{}/api/v1/openapi.json", app.base_url))
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");

    assert!(
        document["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.")
    );
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("operations")
                .keys()
                .map(|method| (method.to_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let served: BTreeSet<(String, String)> = subaccounts::routes::ROUTES
        .iter()
        .filter(|(_, path)| path.starts_with("/api/"))
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    assert_eq!(documented, served);
    assert_eq!(
        document["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );
    let consume = &document["paths"]["/api/v1/usage"]["post"];
    for status in ["200", "401", "402", "404", "413", "415", "422", "423"] {
        assert!(
            consume["responses"][status].is_object(),
            "POST /api/v1/usage documents {status}"
        );
    }
}
