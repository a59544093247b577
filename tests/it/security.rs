//! Hardening: sign-in throttling, foreign origins, HTTPS headers and cookies,
//! and the operational endpoints.

use chrono::TimeDelta;
use reqwest::StatusCode;

use crate::helpers::{Backend, OWNER_PASSWORD, TestApp};

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no metric {name} in:\n{text}"))
}

async fn metrics(app: &TestApp) -> String {
    reqwest::get(format!("{}/metrics", app.base_url))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_throttled_per_account() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.create_agency("Agency", "owner@example.com", 100, 5);
    let mut client = app.client();

    for _ in 0..5 {
        let page = client
            .try_sign_in("owner@example.com", "wrong password")
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let throttled = client
        .try_sign_in("OWNER@example.com", OWNER_PASSWORD)
        .await;

    assert_eq!(
        throttled.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry_after: i64 = throttled
        .headers
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_eq!(
        throttled.text(".form-error").as_deref(),
        Some("Too many failed sign-ins. Try again in 15 minutes.")
    );
    let text = metrics(&app).await;
    assert_eq!(
        metric(&text, "subaccounts_password_checks_total"),
        5,
        "no bcrypt check for a throttled sign-in"
    );
    assert_eq!(metric(&text, "subaccounts_sign_ins_throttled_total"), 1);

    app.clock.advance(TimeDelta::minutes(15));
    client.sign_in("owner@example.com", OWNER_PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_change_throttled_per_account() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.create_agency("Agency", "owner@example.com", 100, 5);
    let mut owner = app.client();
    owner.sign_in("owner@example.com", OWNER_PASSWORD).await;
    owner.get("/account/password").await;
    let change = |current: &'static str| {
        [
            ("current_password", current),
            ("new_password", "a new password 1"),
            ("new_password_confirmation", "a new password 1"),
        ]
    };

    for _ in 0..5 {
        let page = owner
            .post("/account/password", &change("wrong password"))
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let throttled = owner
        .post("/account/password", &change(OWNER_PASSWORD))
        .await;

    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers.contains_key("retry-after"));
    assert_eq!(
        throttled
            .text("#password-current_password-error")
            .as_deref(),
        Some("Too many wrong passwords. Try again in 15 minutes.")
    );
    let sign_in = app
        .client()
        .try_sign_in("owner@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(
        sign_in.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the sign-in form shares the account's count"
    );

    app.clock.advance(TimeDelta::minutes(15));
    let changed = owner
        .post("/account/password", &change(OWNER_PASSWORD))
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_success_resets_account_count() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.create_agency("Agency", "owner@example.com", 100, 5);
    let mut client = app.client();

    for _ in 0..4 {
        client
            .try_sign_in("owner@example.com", "wrong password")
            .await;
    }
    client.sign_in("owner@example.com", OWNER_PASSWORD).await;
    for _ in 0..4 {
        client
            .try_sign_in("owner@example.com", "wrong password")
            .await;
    }

    let page = client
        .try_sign_in("owner@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_throttled_per_address() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.create_agency("Agency", "owner@example.com", 100, 5);
    let mut client = app.client();

    for index in 0..20 {
        let page = client
            .try_sign_in(&format!("guess{index}@example.com"), "wrong password")
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {index}");
    }
    let blocked = client
        .try_sign_in("owner@example.com", OWNER_PASSWORD)
        .await;

    assert_eq!(
        blocked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the address is blocked for every account"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_proxy_address_is_the_last_hop() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.trust_proxy = true).await;
    app.create_agency("Agency", "owner@example.com", 100, 5);
    let attempt = |forwarded: &'static str, email: String| {
        let client = app.client();
        async move {
            client
                .http
                .get(client.url("/login"))
                .header("X-Forwarded-For", forwarded)
                .send()
                .await
                .expect("GET");
            let page = client
                .http
                .get(client.url("/login"))
                .send()
                .await
                .expect("GET")
                .text()
                .await
                .expect("body");
            let token = page
                .split("name=\"csrf-token\" content=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .expect("token")
                .to_owned();
            client
                .http
                .post(client.url("/login"))
                .header("X-Forwarded-For", forwarded)
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("email", email.as_str()),
                    ("password", "wrong password"),
                ])
                .send()
                .await
                .expect("POST")
                .status()
        }
    };

    // The client writes the first entry; the proxy appends the real address last.
    for index in 0..20 {
        assert_eq!(
            attempt("10.0.0.1, 203.0.113.9", format!("a{index}@example.com")).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        attempt("10.0.0.1, 203.0.113.9", "b@example.com".to_owned()).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        attempt("10.0.0.1, 203.0.113.10", "b@example.com".to_owned()).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_origin_is_rejected() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;
    let path = owner.url(&format!("/accounts/agency/sub-accounts/{id}/deactivate"));
    let host = app.base_url.trim_start_matches("http://").to_owned();

    for (name, value) in [
        ("Origin", "https://evil.example".to_owned()),
        ("Origin", "null".to_owned()),
        ("Origin", format!("http://{host}.evil.example")),
        ("Sec-Fetch-Site", "cross-site".to_owned()),
    ] {
        let response = owner
            .http
            .post(&path)
            .header(name, &value)
            .form(&[("csrf_token", owner.csrf_token.as_str())])
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        assert!(
            response
                .text()
                .await
                .expect("body")
                .contains("another website")
        );
    }
    assert!(app.sub_accounts(agency_id)[0].4, "nothing changed");

    let same_site = owner
        .http
        .post(&path)
        .header("Origin", format!("http://{host}"))
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[("csrf_token", owner.csrf_token.as_str())])
        .send()
        .await
        .expect("request");
    assert_eq!(same_site.status(), StatusCode::SEE_OTHER);
    assert!(!app.sub_accounts(agency_id)[0].4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_marks_cookies_secure_and_sends_hsts() {
    let plain = TestApp::spawn(Backend::Sqlite).await;
    let secure = TestApp::spawn_with(Backend::Sqlite, |config| config.https = true).await;

    let plain_page = plain.client().get("/login").await;
    let secure_page = secure.client().get("/login").await;

    let cookie = |page: &crate::helpers::Page| {
        page.headers
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        !cookie(&plain_page).contains("Secure"),
        "{}",
        cookie(&plain_page)
    );
    assert!(
        plain_page
            .headers
            .get("strict-transport-security")
            .is_none()
    );
    let secure_cookie = cookie(&secure_page);
    assert!(secure_cookie.contains("Secure"), "{secure_cookie}");
    assert!(secure_cookie.contains("HttpOnly"), "{secure_cookie}");
    assert!(secure_cookie.contains("SameSite=Strict"), "{secure_cookie}");
    assert_eq!(
        secure_page
            .headers
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000; includeSubDomains")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_and_consumption() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 10).await;
    let key = app.create_key(id);
    let automation = app.create_automation(id, "Sync");
    let api = app.api(&key);
    api.consume(automation, 8, None).await;
    api.consume(automation, 8, None).await;
    owner.get("/no-such-page").await;

    let text = metrics(&app).await;

    assert!(text.contains("subaccounts_http_requests_total{method=\"GET\",route=\"/accounts/agency\",status=\"200\"}"), "{text}");
    assert!(
        text.contains("route=\"unmatched\",status=\"404\""),
        "unknown paths share one series"
    );
    assert_eq!(
        metric(
            &text,
            "subaccounts_consumption_requests_total{outcome=\"accepted\"}"
        ),
        1
    );
    assert_eq!(
        metric(
            &text,
            "subaccounts_consumption_requests_total{outcome=\"not_enough_tasks\"}"
        ),
        1
    );
    assert!(text.contains("subaccounts_db_pool_connections{state=\"in_use\"}"));
    assert!(text.contains("subaccounts_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/usage\",le=\"+Inf\"} 2"), "{text}");
    assert!(text.contains("subaccounts_billing_period_rollovers_total"));
    let ready = reqwest::get(format!("{}/readyz", app.base_url))
        .await
        .expect("readyz");
    assert_eq!(ready.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_token_guards_metrics() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| {
        config.metrics_token = Some(subaccounts::config::Secret::new("scrape-token"));
    })
    .await;
    let client = reqwest::Client::new();

    let without = client
        .get(format!("{}/metrics", app.base_url))
        .send()
        .await
        .expect("request");
    let wrong = client
        .get(format!("{}/metrics", app.base_url))
        .bearer_auth("other")
        .send()
        .await
        .expect("request");
    let right = client
        .get(format!("{}/metrics", app.base_url))
        .bearer_auth("scrape-token")
        .send()
        .await
        .expect("request");

    assert_eq!(without.status(), StatusCode::NOT_FOUND);
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
    assert_eq!(right.status(), StatusCode::OK);
}
