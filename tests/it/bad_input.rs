//! Rejected input: the message sits at the field, the status is right, and
//! nothing is stored.

use reqwest::StatusCode;

use crate::helpers::{Backend, MEMBER_PASSWORD, TestApp};
use crate::on_both_backends;

on_both_backends!(
    add_reports_every_conflict,
    ids_have_one_spelling,
    add_rejects_invalid_fields,
    add_rejects_duplicate_email_any_case,
    add_reports_every_invalid_field,
    add_rejects_more_than_unallocated,
    update_task_rejects_invalid_numbers,
    malformed_bodies_are_rejected,
    markup_in_names_is_text,
    names_in_any_script_are_stored_intact,
    invalid_utf8_name_is_rejected,
    nul_characters_are_rejected,
);

async fn add_rejects_invalid_fields(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    owner.agency_page().await;
    let long_name = "x".repeat(101);
    let long_password = "p".repeat(73);
    // 36 two-byte letters make 72 bytes; 37 make 74.
    let long_accented = "é".repeat(37);
    let cases: Vec<(&str, [&str; 4], StatusCode, &str, &str)> = vec![
        (
            "blank name",
            ["   ", "a@example.com", MEMBER_PASSWORD, "10"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
            "Name is required.",
        ),
        (
            "empty name",
            ["", "a@example.com", MEMBER_PASSWORD, "10"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
            "Name is required.",
        ),
        (
            "long name",
            [&long_name, "a@example.com", MEMBER_PASSWORD, "10"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
            "at most 100 characters; this one has 101",
        ),
        (
            "invalid email",
            ["Client", "not-an-email", MEMBER_PASSWORD, "10"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "email",
            "valid email address",
        ),
        (
            "email without domain dot",
            ["Client", "a@localhost", MEMBER_PASSWORD, "10"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "email",
            "domain",
        ),
        (
            "empty email",
            ["Client", "", MEMBER_PASSWORD, "10"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "email",
            "Email is required.",
        ),
        (
            "invisible name",
            ["\u{200B}\u{200B}", "a@example.com", MEMBER_PASSWORD, "10"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
            "Name is required.",
        ),
        (
            "direction override",
            ["Acme \u{202E}evil", "a@example.com", MEMBER_PASSWORD, "10"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
            "text-direction character U+202E",
        ),
        (
            "blank-looking name",
            ["\u{3164}\u{0301}", "a@example.com", MEMBER_PASSWORD, "10"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
            "Name is required.",
        ),
        (
            "zero-width space in email",
            ["Client", "c\u{200B}@example.com", MEMBER_PASSWORD, "10"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "email",
            "invisible character U+200B",
        ),
        (
            "direction override in email",
            ["Client", "ab\u{202E}dc@example.com", MEMBER_PASSWORD, "10"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "email",
            "invisible character U+202E",
        ),
        (
            "empty password",
            ["Client", "a@example.com", "", "10"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "password",
            "Password is required.",
        ),
        (
            "short password",
            ["Client", "a@example.com", "1234567", "10"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "password",
            "at least 8 bytes",
        ),
        (
            "long password",
            ["Client", "a@example.com", &long_password, "10"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "password",
            "at most 72 bytes long; this one has 73 bytes",
        ),
        (
            "long accented password",
            ["Client", "a@example.com", &long_accented, "10"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "password",
            "this one has 74 bytes",
        ),
        (
            "tasks not a number",
            ["Client", "a@example.com", MEMBER_PASSWORD, "ten"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "tasks",
            "whole number",
        ),
        (
            "tasks decimal",
            ["Client", "a@example.com", MEMBER_PASSWORD, "1.5"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "tasks",
            "whole number",
        ),
        (
            "tasks negative",
            ["Client", "a@example.com", MEMBER_PASSWORD, "-5"],
            StatusCode::UNPROCESSABLE_ENTITY,
            "tasks",
            "cannot be negative",
        ),
        (
            "tasks empty",
            ["Client", "a@example.com", MEMBER_PASSWORD, ""],
            StatusCode::UNPROCESSABLE_ENTITY,
            "tasks",
            "required",
        ),
        (
            "tasks huge",
            [
                "Client",
                "a@example.com",
                MEMBER_PASSWORD,
                "99999999999999999999",
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
            "tasks",
            "at most 1,000,000,000",
        ),
    ];
    for (case, [name, email, password, tasks], status, field, expected) in cases {
        for htmx in [false, true] {
            let fields = [
                ("name", name),
                ("email", email),
                ("password", password),
                ("tasks", tasks),
            ];
            let page = if htmx {
                owner
                    .post_htmx("/accounts/agency/sub-accounts", &fields)
                    .await
            } else {
                owner.post("/accounts/agency/sub-accounts", &fields).await
            };
            assert_eq!(page.status, status, "{case} (htmx: {htmx})");
            let message = page
                .text(&format!("#add-{field}-error"))
                .unwrap_or_else(|| panic!("{case}: no message at {field}:\n{}", page.body));
            assert!(
                message.contains(expected),
                "{case}: {message:?} should contain {expected:?}"
            );
            assert_eq!(
                page.attribute(&format!("#add-{field}"), "aria-invalid")
                    .as_deref(),
                Some("true"),
                "{case}"
            );
            assert!(
                page.attribute("#add-password", "value").is_none(),
                "{case}: the password is never sent back"
            );
        }
    }
    assert!(app.sub_accounts(agency_id).is_empty(), "nothing was stored");
    assert_eq!(app.user_count(), 1, "no member login was created");
}

async fn add_rejects_duplicate_email_any_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    owner.add_ok("Client A", "taken@example.com", 100).await;
    let (other_agency, mut other_owner) = app
        .owner_of_new_agency("other@example.com", 10_000, 5)
        .await;
    other_owner.agency_page().await;

    for email in [
        "taken@example.com",
        "TAKEN@Example.COM",
        "  Taken@example.com ",
        "OWNER@example.com",
    ] {
        let page = owner.add_sub_account("Client B", email, "100").await;
        assert_eq!(page.status, StatusCode::CONFLICT, "{email}");
        let message = page
            .text("#add-email-error")
            .expect("message at the email field");
        assert!(message.contains("already used"), "{message}");
        assert_eq!(
            page.attribute("#add-email", "value").as_deref(),
            Some(email),
            "the typed value stays"
        );
    }
    let across_agencies = other_owner
        .add_sub_account("Client C", "Taken@Example.com", "100")
        .await;
    assert_eq!(
        across_agencies.status,
        StatusCode::CONFLICT,
        "unique across all users"
    );
    assert_eq!(app.sub_accounts(agency_id).len(), 1);
    assert!(app.sub_accounts(other_agency).is_empty());
}

async fn add_reports_every_invalid_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    owner.agency_page().await;

    let page = owner
        .post(
            "/accounts/agency/sub-accounts",
            &[
                ("name", ""),
                ("email", "bad"),
                ("password", "short"),
                ("tasks", "x"),
            ],
        )
        .await;

    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["name", "email", "password", "tasks"] {
        assert!(
            page.text(&format!("#add-{field}-error")).is_some(),
            "{field} has its message"
        );
    }
}

async fn add_rejects_more_than_unallocated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app.owner_of_new_agency("owner@example.com", 1_000, 5).await;
    owner.add_ok("Client A", "a@example.com", 700).await;

    let page = owner
        .add_sub_account("Client B", "b@example.com", "301")
        .await;

    assert_eq!(page.status, StatusCode::CONFLICT);
    let message = page.text("#add-tasks-error").expect("message at tasks");
    assert_eq!(
        message,
        "Only 300 tasks are unallocated. Enter a number from 0 to 300."
    );
    assert_eq!(app.sub_accounts(agency_id).len(), 1);
    assert_eq!(
        owner
            .add_sub_account("Client B", "b@example.com", "300")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    app.assert_invariants(agency_id);
}

async fn update_task_rejects_invalid_numbers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;
    let path = format!("/accounts/agency/sub-accounts/{id}/tasks");

    for (tasks, expected) in [
        ("", "required"),
        ("abc", "whole number"),
        ("-1", "cannot be negative"),
        ("2.5", "whole number"),
        ("1e3", "whole number"),
        ("1,000", "whole number"),
    ] {
        let page = owner.post(&path, &[("tasks", tasks)]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{tasks:?}");
        let message = page
            .text(&format!("#tasks-{id}-error"))
            .expect("message at the field");
        assert!(message.contains(expected), "{tasks:?}: {message}");
    }
    let missing_field = owner.post(&path, &[]).await;
    assert_eq!(missing_field.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.sub_accounts(agency_id)[0].2,
        3_000,
        "the stored value is unchanged"
    );
}

async fn malformed_bodies_are_rejected(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;
    let path = owner.url(&format!("/accounts/agency/sub-accounts/{id}/tasks"));

    let json = owner
        .http
        .post(&path)
        .header("X-CSRF-Token", &owner.csrf_token)
        .header("Content-Type", "application/json")
        .body(r#"{"tasks": 5}"#)
        .send()
        .await
        .expect("request");
    assert_eq!(json.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json.text().await.expect("body");
    assert!(body.contains("data-error-message"));
    assert!(
        body.contains("it must be sent as application/x-www-form-urlencoded."),
        "{body}"
    );

    let duplicate = owner
        .http
        .post(&path)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={}&tasks=5&tasks=6", owner.csrf_token))
        .send()
        .await
        .expect("request");
    assert_eq!(duplicate.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = duplicate.text().await.expect("body");
    assert!(
        body.contains("the field tasks appears more than once."),
        "{body}"
    );

    let too_large = owner
        .http
        .post(&path)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "csrf_token={}&tasks=5&padding={}",
            owner.csrf_token,
            "x".repeat(64 * 1024)
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);

    assert_eq!(app.sub_accounts(agency_id)[0].2, 3_000, "nothing changed");
    assert_eq!(
        owner.get("/healthz").await.status,
        StatusCode::OK,
        "the server is still up"
    );
}

async fn markup_in_names_is_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let name = r#"<script>alert("x")</script><img src=x onerror=alert(1)>"#;
    let id = owner.add_ok(name, "a@example.com", 100).await;

    let page = owner.agency_page().await;

    assert!(!page.body.contains("<script>alert"), "markup is escaped");
    assert!(!page.body.contains("<img src=x"), "markup is escaped");
    assert_eq!(
        page.text(&format!("#sub-account-{id} th")).as_deref(),
        Some(name),
        "shown as text"
    );
    assert_eq!(page.count("script"), 2, "only the page's own scripts");
    assert_eq!(app.sub_accounts(agency_id)[0].1, name, "stored as typed");
}

async fn names_in_any_script_are_stored_intact(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let names = [
        "Équipe Café",
        "東京チーム",
        "فريق",
        "👩‍💻 Team 🚀",
        &"日".repeat(100),
    ];

    for (index, name) in names.iter().enumerate() {
        owner
            .add_ok(name, &format!("member{index}@example.com"), 10)
            .await;
    }

    let stored: Vec<String> = app
        .sub_accounts(agency_id)
        .into_iter()
        .map(|sub| sub.1)
        .collect();
    assert_eq!(stored, names);
    let page = owner.agency_page().await;
    for name in names {
        assert!(page.body.contains(name), "{name} shows on the page");
    }
}

async fn invalid_utf8_name_is_rejected(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    owner.agency_page().await;

    // %FF and %FE decode to bytes that are not UTF-8.
    let response = owner
        .http
        .post(owner.url("/accounts/agency/sub-accounts"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "csrf_token={}&name=%FF%FE&email=j%40example.com&password={MEMBER_PASSWORD}&tasks=1",
            owner.csrf_token
        ))
        .send()
        .await
        .expect("request");

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.expect("body");
    assert!(body.contains("not valid UTF-8"), "{body}");
    assert!(app.sub_accounts(agency_id).is_empty(), "nothing was stored");
}

/// PostgreSQL cannot store U+0000 in text, so it must never reach a query.
async fn nul_characters_are_rejected(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let sub_account = owner.add_ok("Client A", "a@example.com", 100).await;
    let automation = app.create_automation(sub_account, "Nightly sync");
    let api = app.api(&app.create_key(sub_account));
    let mut support = app.support_client("staff@platform.example").await;
    let mut stranger = app.client();

    let sign_in = stranger
        .try_sign_in("a\0b@example.com", "password123")
        .await;
    let password = stranger
        .try_sign_in("owner@example.com", "pass\0word1")
        .await;
    let add_name = owner.add_sub_account("A\0B", "b@example.com", "10").await;
    let add_email = owner
        .add_sub_account("Client B", "b\0@example.com", "10")
        .await;
    let search = support.get("/support?q=client%00").await;
    let consume = api.consume(automation, 1, Some("key\0one")).await;
    let create = api
        .post(
            "/api/v1/automations",
            serde_json::json!({ "name": "Sync\0" }),
        )
        .await;

    assert_eq!(sign_in.status, StatusCode::UNAUTHORIZED);
    assert_eq!(password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(add_name.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(add_email.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(search.status, StatusCode::OK);
    assert_eq!(consume.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(consume.code(), "invalid_request");
    assert_eq!(create.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.sub_accounts(agency_id).len(), 1, "nothing was added");
    assert_eq!(app.sub_accounts(agency_id)[0].3, 0, "nothing was consumed");
}

async fn add_reports_every_conflict(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app.owner_of_new_agency("owner@example.com", 1_000, 5).await;
    owner.add_ok("Client A", "a@example.com", 900).await;

    let page = owner
        .add_sub_account("Client B", "A@example.com", "500")
        .await;

    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(
        page.text("#add-email-error")
            .unwrap_or_default()
            .contains("already used")
    );
    assert_eq!(
        page.text("#add-tasks-error").as_deref(),
        Some("Only 100 tasks are unallocated. Enter a number from 0 to 100.")
    );
    assert_eq!(app.sub_accounts(agency_id).len(), 1);
}

async fn ids_have_one_spelling(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app.owner_of_new_agency("owner@example.com", 1_000, 5).await;
    let id = owner.add_ok("Client A", "a@example.com", 100).await;

    for alias in [
        format!("+{id}"),
        format!("0{id}"),
        format!("{id} "),
        format!("{id}.0"),
    ] {
        let page = owner
            .post(
                &format!("/accounts/agency/sub-accounts/{alias}/deactivate"),
                &[],
            )
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{alias:?}");
    }
    assert!(app.sub_accounts(agency_id)[0].4, "still active");
}
