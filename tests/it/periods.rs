//! Billing periods: rollover at month ends, exactly once under concurrency,
//! the history of closed periods, and the usage export.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use futures_util::future::join_all;
use reqwest::StatusCode;

use crate::helpers::{Backend, OWNER_PASSWORD, TestApp};
use crate::on_both_backends;

on_both_backends!(
    rollover_leap_february,
    rollover_short_february,
    rollover_april_thirtieth,
    rollover_year_end,
    rollover_happens_once_under_load,
    usage_export_lists_sub_accounts_by_day,
    unknown_period_is_not_found,
);

fn at(date: &str, time: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M:%S").expect("time")
}

/// Creates the agency at `created` (its anchor day is that day), consumes
/// 30 tasks, then checks the period just before `next_start` and at it.
async fn check_rollover(backend: Backend, created: &str, next_start: &str) {
    let app = TestApp::spawn(backend).await;
    app.clock.set(at(created, "09:00:00"));
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 500).await;
    let key = app.create_key(id);
    let automation = app.create_automation(id, "Sync");
    let api = app.api(&key);
    assert_eq!(
        api.consume(automation, 30, None).await.status,
        StatusCode::OK
    );

    let next: NaiveDate = next_start.parse().expect("date");
    app.clock
        .set(at(&(next - TimeDelta::days(1)).to_string(), "23:59:59"));
    let before = api.get("/api/v1/usage").await;
    assert_eq!(
        before.json["period"]["start"], created,
        "still the first period"
    );
    assert_eq!(before.json["period"]["end"], next_start);
    assert_eq!(before.json["consumed"], 30);

    app.clock.set(at(next_start, "00:00:00"));
    let after = api.get("/api/v1/usage").await;
    assert_eq!(
        after.json["period"]["start"], next_start,
        "a new period at midnight UTC"
    );
    assert_eq!(after.json["consumed"], 0, "consumption starts from zero");
    assert_eq!(after.json["allocated"], 500, "the allocation stays");
    assert_eq!(api.consume(automation, 5, None).await.json["consumed"], 5);

    let history =
        subaccounts::db::periods::history(&mut app.connection(), agency_id).expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].period_start.to_string(), created);
    assert_eq!(history[0].period_end.to_string(), next_start);
    assert_eq!(history[0].consumed, 30);
    // A month passed, so the owner's idle session ended.
    owner.sign_in("owner@example.com", OWNER_PASSWORD).await;
    let page = owner.agency_page().await;
    assert_eq!(page.figure("tasks-consumed"), "5");
    assert_eq!(
        page.count("#period option"),
        2,
        "the selector offers the closed period"
    );
    let past = owner
        .get(&format!("/accounts/agency?period={created}"))
        .await;
    assert!(
        past.body.contains("30 tasks in this period."),
        "the past period's chart"
    );
}

async fn rollover_leap_february(backend: Backend) {
    check_rollover(backend, "2028-01-31", "2028-02-29").await;
}

async fn rollover_short_february(backend: Backend) {
    check_rollover(backend, "2027-01-31", "2027-02-28").await;
}

async fn rollover_april_thirtieth(backend: Backend) {
    check_rollover(backend, "2026-03-30", "2026-04-30").await;
}

async fn rollover_year_end(backend: Backend) {
    check_rollover(backend, "2026-12-31", "2027-01-31").await;
}

async fn rollover_happens_once_under_load(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.workers = 4;
        config.pool_size = 16;
    })
    .await;
    app.clock.set(at("2026-06-15", "12:00:00"));
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 1_000).await;
    let key = app.create_key(id);
    let automation = app.create_automation(id, "Sync");
    let api = app.api(&key);
    api.consume(automation, 100, None).await;

    app.clock.set(at("2026-07-15", "00:00:00"));
    let responses = join_all((0..40).map(|_| api.consume(automation, 2, None))).await;

    assert!(responses.iter().all(|r| r.status == StatusCode::OK));
    let history =
        subaccounts::db::periods::history(&mut app.connection(), agency_id).expect("history");
    assert_eq!(history.len(), 1, "rolled over once");
    assert_eq!(history[0].consumed, 100);
    assert_eq!(
        app.sub_accounts(agency_id)[0].3,
        80,
        "the new period counts only its own tasks"
    );
}

async fn usage_export_lists_sub_accounts_by_day(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.clock.set(at("2026-05-01", "08:00:00"));
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let first = owner.add_ok("Client A", "a@example.com", 1_000).await;
    let second = owner.add_ok("=SUM(A1:A9)", "b@example.com", 1_000).await;
    let first_api = app.api(&app.create_key(first));
    let second_api = app.api(&app.create_key(second));
    let first_sync = app.create_automation(first, "Sync");
    let first_import = app.create_automation(first, "Import");
    let second_sync = app.create_automation(second, "Sync");
    first_api.consume(first_sync, 10, None).await;
    first_api.consume(first_import, 5, None).await;
    second_api.consume(second_sync, 7, None).await;
    app.clock.advance(TimeDelta::days(1));
    first_api.consume(first_sync, 3, None).await;
    second_api.consume(second_sync, 4, None).await;
    owner.sign_in("owner@example.com", OWNER_PASSWORD).await;
    owner
        .post(
            &format!("/accounts/agency/sub-accounts/{second}/delete"),
            &[],
        )
        .await;

    let response = owner
        .http
        .get(owner.url("/accounts/agency/usage.csv"))
        .send()
        .await
        .expect("request");

    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=utf-8")
    );
    assert_eq!(
        headers
            .get("content-disposition")
            .and_then(|v| v.to_str().ok()),
        Some("attachment; filename=\"usage-2026-05-01.csv\"")
    );
    let body = response.text().await.expect("body");
    let expected = format!(
        "date,sub_account_id,sub_account,tasks\r\n\
         2026-05-01,{first},\"Client A\",15\r\n\
         2026-05-01,{second},\"'=SUM(A1:A9)\",7\r\n\
         2026-05-02,{first},\"Client A\",3\r\n\
         2026-05-02,{second},\"'=SUM(A1:A9)\",4\r\n"
    );
    assert_eq!(body, expected, "the deleted sub-account's usage stays");
    let page = owner.agency_page().await;
    assert_eq!(page.figure("tasks-consumed"), "29");
    assert_eq!(
        page.attribute("a[download]", "href").as_deref(),
        Some("/accounts/agency/usage.csv?period=2026-05-01")
    );
    app.create_agency("Other", "other@example.com", 100, 5);
    let mut other_owner = app.client();
    other_owner
        .sign_in("other@example.com", OWNER_PASSWORD)
        .await;
    let theirs = other_owner
        .http
        .get(other_owner.url("/accounts/agency/usage.csv"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        theirs.text().await.expect("body"),
        "date,sub_account_id,sub_account,tasks\r\n",
        "only one's own agency"
    );
    app.assert_invariants(agency_id);
    let stored: i64 = subaccounts::db::schema::usage_daily::table
        .count()
        .get_result(&mut app.connection())
        .expect("count");
    assert_eq!(stored, 5, "one row per automation and day, not per call");
}

async fn unknown_period_is_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 100).await;
    let current = owner
        .agency_page()
        .await
        .attribute("a[download]", "href")
        .expect("export link");
    let current = current.rsplit('=').next().expect("period").to_owned();

    for path in [
        "/accounts/agency".to_owned(),
        "/accounts/agency/usage.csv".to_owned(),
        format!("/accounts/agency/sub-accounts/{id}"),
    ] {
        for (period, status) in [
            ("", StatusCode::OK),
            (current.as_str(), StatusCode::OK),
            ("1999-01-01", StatusCode::NOT_FOUND),
            ("garbage", StatusCode::NOT_FOUND),
            ("9999-99-99", StatusCode::NOT_FOUND),
        ] {
            let page = owner.get(&format!("{path}?period={period}")).await;
            assert_eq!(page.status, status, "{path}?period={period}");
            if status == StatusCode::NOT_FOUND {
                assert!(
                    page.body.contains(&format!(
                        "No billing period of this account starts on “{period}”"
                    )),
                    "{path}?period={period}: {}",
                    page.body
                );
            }
        }
    }
}
