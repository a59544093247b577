//! Signing in and out, sessions, CSRF tokens, headers and static files.

use chrono::TimeDelta;
use reqwest::StatusCode;

use crate::helpers::{Backend, MEMBER_PASSWORD, OWNER_PASSWORD, TestApp, TestClient};
use crate::on_both_backends;

on_both_backends!(
    anonymous_pages_redirect_to_login,
    sign_in_rejects_wrong_credentials_alike,
    sign_in_renews_session_and_token,
    sign_out_ends_copied_sessions,
    missing_or_wrong_csrf_token_is_forbidden,
    csrf_token_in_header_is_accepted,
    idle_session_expires,
    deleted_member_session_ends,
    root_redirects_each_role,
    health_check_answers,
);

async fn anonymous_pages_redirect_to_login(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.client();

    for path in [
        "/",
        "/accounts/agency",
        "/account",
        "/accounts/agency/sub-accounts/new",
    ] {
        let page = client.get(path).await;
        assert_eq!(page.status, StatusCode::FOUND, "{path}");
        assert_eq!(page.location(), Some("/login"), "{path}");
    }
    let htmx = client.get_htmx("/accounts/agency").await;
    assert_eq!(htmx.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        htmx.headers
            .get("hx-redirect")
            .and_then(|v| v.to_str().ok()),
        Some("/login")
    );

    let login = client.get("/login").await;
    assert_eq!(login.status, StatusCode::OK);
    for (field, label) in [("email", "Email"), ("password", "Password")] {
        assert_eq!(
            login.text(&format!("label[for=login-{field}]")).as_deref(),
            Some(label)
        );
    }
}

async fn sign_in_rejects_wrong_credentials_alike(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_agency("Agency", "owner@example.com", 100, 5);
    let mut client = app.client();

    let wrong_password = client
        .try_sign_in("owner@example.com", "not the password")
        .await;
    let unknown_email = client
        .try_sign_in("nobody@example.com", OWNER_PASSWORD)
        .await;
    let too_long = client
        .try_sign_in("owner@example.com", &"x".repeat(100))
        .await;

    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        too_long.text(".form-error").as_deref(),
        Some(
            "Passwords are at most 72 bytes long; this one has 100 bytes. Type your password again."
        )
    );
    for page in [&wrong_password, &unknown_email] {
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            page.text(".form-error").as_deref(),
            Some("Invalid email or password.")
        );
    }
    assert_eq!(
        wrong_password.attribute("#login-email", "value").as_deref(),
        Some("owner@example.com")
    );
    assert!(
        wrong_password
            .attribute("#login-password", "value")
            .is_none()
    );
    assert_eq!(
        client.get("/accounts/agency").await.status,
        StatusCode::FOUND,
        "still signed out"
    );

    let any_case = client
        .try_sign_in("OWNER@Example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(
        any_case.status,
        StatusCode::SEE_OTHER,
        "email matches in any case"
    );
}

fn session_cookie(page: &crate::helpers::Page) -> Option<String> {
    page.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("subaccounts_session="))
        .map(|value| value.split(';').next().unwrap_or_default().to_owned())
}

async fn sign_in_renews_session_and_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_agency("Agency", "owner@example.com", 100, 5);
    let mut client = app.client();

    let login = client.get("/login").await;
    let anonymous_cookie = session_cookie(&login).expect("anonymous session cookie");
    let anonymous_token = client.csrf_token.clone();
    let signed_in = client
        .post(
            "/login",
            &[("email", "owner@example.com"), ("password", OWNER_PASSWORD)],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    let cookie = signed_in
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    let new_cookie = session_cookie(&signed_in).expect("renewed session cookie");
    assert_ne!(new_cookie, anonymous_cookie);

    client.get("/accounts/agency").await;
    assert_ne!(
        client.csrf_token, anonymous_token,
        "a new CSRF token after sign-in"
    );

    let stale = app.client();
    let page = stale
        .http
        .get(stale.url("/accounts/agency"))
        .header("Cookie", &anonymous_cookie)
        .send()
        .await
        .expect("request");
    assert_eq!(
        page.status(),
        StatusCode::FOUND,
        "the pre-sign-in cookie grants nothing"
    );
}

async fn sign_out_ends_copied_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_agency("Agency", "owner@example.com", 100, 5);
    let mut client = app.client();
    client.get("/login").await;
    let signed_in = client
        .post(
            "/login",
            &[("email", "owner@example.com"), ("password", OWNER_PASSWORD)],
        )
        .await;
    let copied_cookie = session_cookie(&signed_in).expect("session cookie");
    client.get("/accounts/agency").await;

    let signed_out = client.post("/logout", &[]).await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_out.location(), Some("/login"));
    assert_eq!(
        client.get("/accounts/agency").await.status,
        StatusCode::FOUND
    );

    let replay = TestClient::new(&app.base_url);
    let page = replay
        .http
        .get(replay.url("/accounts/agency"))
        .header("Cookie", &copied_cookie)
        .send()
        .await
        .expect("request");
    assert_eq!(
        page.status(),
        StatusCode::FOUND,
        "a copy of the cookie stops working"
    );
}

async fn missing_or_wrong_csrf_token_is_forbidden(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;
    let add_fields = [
        ("name", "Client B"),
        ("email", "b@example.com"),
        ("password", MEMBER_PASSWORD),
        ("tasks", "10"),
    ];

    let without = owner
        .http
        .post(owner.url("/accounts/agency/sub-accounts"))
        .form(&add_fields)
        .send()
        .await
        .expect("request");
    assert_eq!(without.status(), StatusCode::FORBIDDEN);
    let mut with_wrong: Vec<(&str, &str)> = vec![("csrf_token", "forged")];
    with_wrong.extend_from_slice(&add_fields);
    let wrong = owner
        .http
        .post(owner.url("/accounts/agency/sub-accounts"))
        .form(&with_wrong)
        .send()
        .await
        .expect("request");
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert!(
        wrong
            .text()
            .await
            .expect("body")
            .contains("nothing was changed")
    );

    let wrong_header = owner
        .http
        .post(owner.url(&format!("/accounts/agency/sub-accounts/{id}/deactivate")))
        .header("X-CSRF-Token", "forged")
        .header("HX-Request", "true")
        .send()
        .await
        .expect("request");
    assert_eq!(wrong_header.status(), StatusCode::FORBIDDEN);
    let delete = owner
        .http
        .delete(owner.url(&format!("/accounts/agency/sub-accounts/{id}")))
        .send()
        .await
        .expect("request");
    assert_eq!(delete.status(), StatusCode::FORBIDDEN);
    let login = app
        .client()
        .http
        .post(app.client().url("/login"))
        .form(&[("email", "owner@example.com"), ("password", OWNER_PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(
        login.status(),
        StatusCode::FORBIDDEN,
        "sign-in is protected too"
    );

    let subs = app.sub_accounts(agency_id);
    assert_eq!(subs.len(), 1, "nothing was added");
    assert!(subs[0].4, "nothing was deactivated");
}

async fn csrf_token_in_header_is_accepted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;

    let page = owner
        .post_htmx(
            &format!("/accounts/agency/sub-accounts/{id}/deactivate"),
            &[],
        )
        .await;

    assert_eq!(page.status, StatusCode::OK);
    assert!(!app.sub_accounts(agency_id)[0].4);
    let token = owner
        .agency_page()
        .await
        .attribute("body", "data-hx-headers")
        .expect("htmx headers");
    assert!(token.contains(&owner.csrf_token), "{token}");
}

async fn idle_session_expires(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;

    app.clock.advance(TimeDelta::hours(11));
    assert_eq!(
        owner.get("/accounts/agency").await.status,
        StatusCode::OK,
        "active within 12 hours"
    );
    app.clock.advance(TimeDelta::hours(11));
    assert_eq!(
        owner.get("/accounts/agency").await.status,
        StatusCode::OK,
        "each request extends it"
    );
    app.clock
        .advance(TimeDelta::hours(12) + TimeDelta::minutes(1));
    let expired = owner.get("/accounts/agency").await;
    assert_eq!(expired.status, StatusCode::FOUND);
    assert_eq!(expired.location(), Some("/login"));
}

async fn deleted_member_session_ends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;
    let mut member = app.client();
    member.sign_in("a@example.com", MEMBER_PASSWORD).await;
    assert_eq!(member.get("/account").await.status, StatusCode::OK);

    owner
        .post(&format!("/accounts/agency/sub-accounts/{id}/delete"), &[])
        .await;

    let page = member.get("/account").await;
    assert_eq!(page.status, StatusCode::FOUND);
    assert_eq!(page.location(), Some("/login"));
}

async fn root_redirects_each_role(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    owner.add_ok("Client A", "a@example.com", 3_000).await;
    let mut member = app.client();
    member.sign_in("a@example.com", MEMBER_PASSWORD).await;

    assert_eq!(owner.get("/").await.location(), Some("/accounts/agency"));
    assert_eq!(member.get("/").await.location(), Some("/account"));
}

async fn health_check_answers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.client();

    let page = client.get("/healthz").await;

    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body, "ok\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_on_every_response() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = app.client();
    for path in ["/login", "/healthz", "/static/app.css", "/no-such-page"] {
        let page = client.get(path).await;
        let header = |name: &str| {
            page.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let policy = header("content-security-policy");
        assert!(policy.contains("default-src 'self'"), "{path}: {policy}");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "same-origin", "{path}");
        assert!(header("permissions-policy").contains("camera=()"), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_are_cached_and_revalidated() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = app.client();

    let htmx = client.get("/static/htmx.min.js").await;
    assert_eq!(htmx.status, StatusCode::OK);
    assert!(
        htmx.body.contains("version:\"2.0."),
        "htmx 2.0.x is vendored"
    );
    assert_eq!(
        htmx.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/javascript; charset=utf-8")
    );
    assert!(
        htmx.headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .contains("max-age")
    );
    let etag = htmx
        .headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("etag")
        .to_owned();

    let revalidated = client
        .http
        .get(client.url("/static/htmx.min.js"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        client.get("/static/missing.js").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        client.get("/static/..%2FCargo.toml").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_declare_htmx_response_handling() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = app.client();
    let page = client.get("/login").await;
    let config = page
        .attribute("meta[name=htmx-config]", "content")
        .expect("htmx config");
    let config: serde_json::Value = serde_json::from_str(&config).expect("valid JSON");
    let handling = config["responseHandling"]
        .as_array()
        .expect("responseHandling");
    for code in ["409", "422"] {
        let rule = handling
            .iter()
            .find(|rule| rule["code"] == code)
            .expect("a rule");
        assert_eq!(rule["swap"], true, "{code} is swapped");
    }
    assert_eq!(
        config["includeIndicatorStyles"], false,
        "no inline style under the CSP"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn methods_follow_http_rules() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", app.base_url);

    let head = client.head(url("/healthz")).send().await.expect("HEAD");
    let put = client.put(url("/healthz")).send().await.expect("PUT");
    let options = client
        .request(reqwest::Method::OPTIONS, url("/login"))
        .send()
        .await
        .expect("OPTIONS");
    let patch = client
        .patch(url("/accounts/agency/sub-accounts/1"))
        .send()
        .await
        .expect("PATCH");
    let unknown = client.put(url("/no-such-page")).send().await.expect("PUT");

    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(
        head.headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok()),
        Some("3")
    );
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        put.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("GET, HEAD")
    );
    assert_eq!(options.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        options.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("GET, HEAD, POST")
    );
    assert_eq!(patch.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        patch.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("DELETE, GET, HEAD")
    );
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_content_type_ignores_case() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;

    let response = owner
        .http
        .post(owner.url(&format!("/accounts/agency/sub-accounts/{id}/deactivate")))
        .header("Content-Type", "Application/X-WWW-Form-Urlencoded")
        .body(format!("csrf_token={}", owner.csrf_token))
        .send()
        .await
        .expect("request");

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!app.sub_accounts(agency_id)[0].4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn htmx_after_sign_out_goes_to_login() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;
    let stale_token = owner.csrf_token.clone();
    owner.post("/logout", &[]).await;

    let response = owner
        .http
        .post(owner.url(&format!("/accounts/agency/sub-accounts/{id}/deactivate")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &stale_token)
        .send()
        .await
        .expect("request");

    assert_eq!(response.status(), StatusCode::FORBIDDEN, "nothing changes");
    assert_eq!(
        response
            .headers()
            .get("hx-redirect")
            .and_then(|v| v.to_str().ok()),
        Some("/login")
    );
}
