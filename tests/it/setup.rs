//! The first-run setup link.

use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    setup_link_stops_once_agency_exists,
    setup_link_creates_first_agency,
    setup_rejects_invalid_fields,
    setup_link_absent_once_users_exist
);

fn setup_path(app: &TestApp) -> String {
    let link = app
        .setup_link
        .as_deref()
        .expect("an empty database prints a setup link");
    link.strip_prefix(&app.base_url)
        .unwrap_or_else(|| panic!("{link} should start with {}", app.base_url))
        .to_owned()
}

const VALID: [(&str, &str); 5] = [
    ("agency_name", "First Agency"),
    ("total_tasks", "10000"),
    ("sub_account_limit", "5"),
    ("owner_email", "founder@example.com"),
    ("password", "founder password"),
];

async fn setup_link_creates_first_agency(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let path = setup_path(&app);
    let mut client = app.client();

    let form = client.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(
        form.attribute("#setup-sub_account_limit", "value")
            .as_deref(),
        Some("5")
    );
    let created = client.post(&path, &VALID).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    assert_eq!(created.location(), Some("/accounts/agency"));

    let page = client.agency_page().await;
    assert_eq!(page.text("h1").as_deref(), Some("First Agency"));
    assert_eq!(page.figure("total-tasks"), "10000");
    assert_eq!(page.figure("sub-accounts"), "0 of 5");

    let mut other = app.client();
    assert_eq!(
        other.get(&path).await.status,
        StatusCode::NOT_FOUND,
        "the link works once"
    );
    other.get("/login").await;
    let again = other.post(&path, &VALID).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(
        other.get("/setup/not-a-token").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.user_count(), 1);
}

async fn setup_rejects_invalid_fields(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let path = setup_path(&app);
    let mut client = app.client();
    client.get(&path).await;

    let page = client
        .post(
            &path,
            &[
                ("agency_name", " "),
                ("total_tasks", "-3"),
                ("sub_account_limit", "0"),
                ("owner_email", "nope"),
                ("password", "short"),
            ],
        )
        .await;

    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in [
        "agency_name",
        "total_tasks",
        "sub_account_limit",
        "owner_email",
        "password",
    ] {
        assert!(
            page.text(&format!("#setup-{field}-error")).is_some(),
            "{field} has a message:\n{}",
            page.body
        );
    }
    assert_eq!(app.user_count(), 0);
    assert_eq!(
        client.get(&path).await.status,
        StatusCode::OK,
        "the link still works"
    );
}

async fn setup_link_absent_once_users_exist(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_agency("Agency", "owner@example.com", 100, 5);
    let config = subaccounts::config::Config {
        address: "127.0.0.1:0".to_owned(),
        database_url: app.database_url.clone(),
        data_dir: tempfile::tempdir().expect("folder").path().to_owned(),
        session_key: Some(subaccounts::config::Secret::new(
            "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Njc4OQ==",
        )),
        ..subaccounts::config::Config::default()
    };
    let second = subaccounts::startup::Application::build(config, app.clock.clone())
        .await
        .expect("second start");
    assert!(second.setup_link().is_none());
}

async fn setup_link_stops_once_agency_exists(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let path = setup_path(&app);
    let mut client = app.client();
    assert_eq!(client.get(&path).await.status, StatusCode::OK);

    // An agency created another way, such as `subaccounts agency create`.
    app.create_agency("Agency", "owner@example.com", 100, 5);

    assert_eq!(client.get(&path).await.status, StatusCode::NOT_FOUND);
    client.get("/login").await;
    assert_eq!(
        client.post(&path, &VALID).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.user_count(), 1);
}
