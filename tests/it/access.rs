//! The access matrix: every route, requested by every kind of caller, answers
//! the status that caller's role allows. A route missing from the table fails
//! the test, so new routes must be added here.

use std::collections::BTreeSet;

use reqwest::StatusCode;

use crate::helpers::{
    Backend, ClockExt, MEMBER_PASSWORD, OWNER_PASSWORD, STAFF_PASSWORD, TestApp, TestClient,
};
use crate::on_both_backends;

on_both_backends!(every_route_answers_each_role);

/// The callers, in the order of each expectation row.
const CALLERS: [&str; 6] = [
    "anonymous",
    "owner A",
    "owner B",
    "member A1",
    "member A2",
    "support",
];

const FOUND: u16 = 302;
const SEE_OTHER: u16 = 303;

/// One route of the matrix.
struct Row {
    method: &'static str,
    pattern: &'static str,
    fields: Vec<(&'static str, &'static str)>,
    /// The status each caller gets, in [`CALLERS`] order.
    expected: [u16; 6],
}

/// Every route. `{id}` in owner routes is sub-account A1; in support routes it is agency A.
fn matrix() -> Vec<Row> {
    let add = vec![
        ("name", "New"),
        ("password", MEMBER_PASSWORD),
        ("tasks", "10"),
    ];
    let reset = vec![
        ("new_password", "reset password 1"),
        ("new_password_confirmation", "reset password 1"),
    ];
    let wrong_login = vec![("password", "wrong password")];
    let tasks = vec![("tasks", "10")];
    let sub_account = "/accounts/agency/sub-accounts/{id}";
    vec![
        row("GET", "/", vec![], [FOUND; 6]),
        row("GET", "/healthz", vec![], [200; 6]),
        row("GET", "/readyz", vec![], [200; 6]),
        row("GET", "/metrics", vec![], [200; 6]),
        row("GET", "/static/{file}", vec![], [200; 6]),
        row("GET", "/login", vec![], [200; 6]),
        row("POST", "/login", wrong_login, [401; 6]),
        row("POST", "/logout", vec![], [SEE_OTHER; 6]),
        row("GET", "/setup/{token}", vec![], [404; 6]),
        row("POST", "/setup/{token}", vec![], [404; 6]),
        row("GET", "/account", vec![], [FOUND, 404, 404, 200, 200, 404]),
        row(
            "GET",
            "/account/password",
            vec![],
            [FOUND, 200, 200, 200, 200, 404],
        ),
        // The current password is the caller's own, so owners and members succeed.
        row(
            "POST",
            "/account/password",
            vec![],
            [FOUND, SEE_OTHER, SEE_OTHER, SEE_OTHER, SEE_OTHER, 403],
        ),
        row(
            "GET",
            "/accounts/agency",
            vec![],
            [FOUND, 200, 200, 404, 404, 404],
        ),
        row(
            "GET",
            "/accounts/agency/sub-accounts/new",
            vec![],
            [FOUND, 200, 200, 404, 404, 404],
        ),
        row(
            "POST",
            "/accounts/agency/sub-accounts",
            add,
            [FOUND, SEE_OTHER, SEE_OTHER, 404, 404, 403],
        ),
        row(
            "POST",
            "/accounts/agency/sub-accounts/{id}/tasks",
            tasks,
            [FOUND, SEE_OTHER, 404, 404, 404, 403],
        ),
        row(
            "POST",
            "/accounts/agency/sub-accounts/{id}/deactivate",
            vec![],
            [FOUND, SEE_OTHER, 404, 404, 404, 403],
        ),
        row(
            "POST",
            "/accounts/agency/sub-accounts/{id}/activate",
            vec![],
            [FOUND, SEE_OTHER, 404, 404, 404, 403],
        ),
        row(
            "GET",
            "/accounts/agency/sub-accounts/{id}/delete",
            vec![],
            [FOUND, 200, 404, 404, 404, 404],
        ),
        row(
            "POST",
            "/accounts/agency/sub-accounts/{id}/delete",
            vec![],
            [FOUND, SEE_OTHER, 404, 404, 404, 403],
        ),
        row(
            "DELETE",
            sub_account,
            vec![],
            [FOUND, SEE_OTHER, 404, 404, 404, 403],
        ),
        row(
            "GET",
            "/accounts/agency/sub-accounts/{id}/password",
            vec![],
            [FOUND, 200, 404, 404, 404, 404],
        ),
        row(
            "POST",
            "/accounts/agency/sub-accounts/{id}/password",
            reset,
            [FOUND, SEE_OTHER, 404, 404, 404, 403],
        ),
        row("GET", "/support", vec![], [FOUND, 404, 404, 404, 404, 200]),
        row(
            "GET",
            "/support/agencies/{id}",
            vec![],
            [FOUND, 404, 404, 404, 404, 200],
        ),
        row(
            "GET",
            "/support/agencies/{id}/sub-accounts/{sub_account_id}",
            vec![],
            [FOUND, 404, 404, 404, 404, 200],
        ),
        row(
            "POST",
            "/account/automations",
            vec![("name", "Sync")],
            [FOUND, 404, 404, SEE_OTHER, SEE_OTHER, 403],
        ),
        row(
            "POST",
            "/account/automations/{id}/pause",
            vec![],
            [FOUND, 404, 404, SEE_OTHER, 404, 403],
        ),
        row(
            "POST",
            "/account/automations/{id}/resume",
            vec![],
            [FOUND, 404, 404, SEE_OTHER, 404, 403],
        ),
        // A new key is shown once, on the page itself.
        row(
            "POST",
            "/account/api-keys",
            vec![("name", "CI")],
            [FOUND, 404, 404, 200, 200, 403],
        ),
        row(
            "POST",
            "/account/api-keys/{id}/revoke",
            vec![],
            [FOUND, 404, 404, SEE_OTHER, 404, 403],
        ),
        row(
            "GET",
            "/accounts/agency/usage.csv",
            vec![],
            [FOUND, 200, 200, 404, 404, 404],
        ),
        row(
            "GET",
            "/accounts/agency/sub-accounts/{id}",
            vec![],
            [FOUND, 200, 404, 404, 404, 404],
        ),
        row(
            "POST",
            "/accounts/agency/sub-accounts/{id}/api-keys",
            vec![("name", "CI")],
            [FOUND, 200, 404, 404, 404, 403],
        ),
        row(
            "POST",
            "/accounts/agency/sub-accounts/{id}/api-keys/{key_id}/revoke",
            vec![],
            [FOUND, SEE_OTHER, 404, 404, 404, 403],
        ),
        // Session cookies do not authenticate the API: it needs a bearer key.
        row("GET", "/api/v1/usage", vec![], [401; 6]),
        row("POST", "/api/v1/usage", vec![], [401; 6]),
        row("GET", "/api/v1/automations", vec![], [401; 6]),
        row("POST", "/api/v1/automations", vec![], [401; 6]),
        row("POST", "/api/v1/automations/{id}/pause", vec![], [401; 6]),
        row("POST", "/api/v1/automations/{id}/resume", vec![], [401; 6]),
        row("GET", "/api/v1/openapi.json", vec![], [200; 6]),
    ]
}

fn row(
    method: &'static str,
    pattern: &'static str,
    fields: Vec<(&'static str, &'static str)>,
    expected: [u16; 6],
) -> Row {
    Row {
        method,
        pattern,
        fields,
        expected,
    }
}

/// Agencies A and B, members A1 and A2 of A, and a support user, each with a
/// signed-in client; the anonymous client has only a CSRF token.
struct World {
    agency_a: i64,
    sub_account_a1: i64,
    automation_a1: i64,
    api_key_a1: i64,
    clients: Vec<TestClient>,
    passwords: Vec<&'static str>,
}

async fn world(app: &TestApp, prefix: &str) -> World {
    let agency_a = app.create_agency(
        "Agency A",
        &format!("{prefix}-owner-a@example.com"),
        10_000,
        5,
    );
    let mut owner_a = app.client();
    owner_a
        .sign_in(&format!("{prefix}-owner-a@example.com"), OWNER_PASSWORD)
        .await;
    let a1 = owner_a
        .add_ok("A1", &format!("{prefix}-a1@example.com"), 1_000)
        .await;
    owner_a
        .add_ok("A2", &format!("{prefix}-a2@example.com"), 1_000)
        .await;
    app.create_agency(
        "Agency B",
        &format!("{prefix}-owner-b@example.com"),
        10_000,
        5,
    );
    let mut owner_b = app.client();
    owner_b
        .sign_in(&format!("{prefix}-owner-b@example.com"), OWNER_PASSWORD)
        .await;
    let mut member_a1 = app.client();
    member_a1
        .sign_in(&format!("{prefix}-a1@example.com"), MEMBER_PASSWORD)
        .await;
    let mut member_a2 = app.client();
    member_a2
        .sign_in(&format!("{prefix}-a2@example.com"), MEMBER_PASSWORD)
        .await;
    let support = app
        .support_client(&format!("{prefix}-staff@example.com"))
        .await;
    let mut anonymous = app.client();
    anonymous.get("/login").await;
    let now = app.clock.now_for_tests();
    let automation =
        subaccounts::db::automations::create(&mut app.connection(), a1, "Nightly sync", now)
            .expect("automation");
    let key = subaccounts::db::api_keys::create(
        &mut app.connection(),
        a1,
        "CI",
        &format!("sa_matrix_{prefix}"),
        now,
    )
    .expect("key");
    World {
        agency_a: agency_a.0,
        sub_account_a1: a1.0,
        automation_a1: automation.id.0,
        api_key_a1: key.id.0,
        clients: vec![anonymous, owner_a, owner_b, member_a1, member_a2, support],
        passwords: vec![
            "",
            OWNER_PASSWORD,
            OWNER_PASSWORD,
            MEMBER_PASSWORD,
            MEMBER_PASSWORD,
            STAFF_PASSWORD,
        ],
    }
}

fn concrete_path(pattern: &str, world: &World) -> String {
    let id = if pattern.starts_with("/support/") {
        world.agency_a
    } else if pattern.contains("/automations/") {
        world.automation_a1
    } else if pattern.starts_with("/account/api-keys/") {
        world.api_key_a1
    } else {
        world.sub_account_a1
    };
    pattern
        .replace("{file}", "app.css")
        .replace("{token}", "not-a-setup-token")
        .replace("{sub_account_id}", &world.sub_account_a1.to_string())
        .replace("{key_id}", &world.api_key_a1.to_string())
        .replace("{id}", &id.to_string())
}

async fn every_route_answers_each_role(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let matrix = matrix();

    let listed: BTreeSet<(String, String)> = matrix
        .iter()
        .map(|row| (row.method.to_owned(), row.pattern.to_owned()))
        .collect();
    let served: BTreeSet<(String, String)> = subaccounts::routes::ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(
        served.difference(&listed).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "routes missing from the matrix"
    );
    assert_eq!(
        listed.difference(&served).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "matrix rows for unknown routes"
    );

    let mut failures = Vec::new();
    for (
        index,
        Row {
            method,
            pattern,
            fields,
            expected,
        },
    ) in matrix.iter().enumerate()
    {
        // A fresh world per route, because many routes change or end what they touch.
        let world = world(&app, &format!("r{index}")).await;
        let path = concrete_path(pattern, &world);
        // Owner A goes last: its deletes and password resets would end member A1's session.
        for caller in [0, 2, 3, 4, 5, 1] {
            let client = &world.clients[caller];
            let mut fields = fields.clone();
            let email = format!("new-{index}-{caller}@example.com");
            // A fresh email per caller: reusing one would hit the sign-in throttle
            // or the unique email.
            if *pattern == "/accounts/agency/sub-accounts" || *pattern == "/login" {
                fields.push(("email", &email));
            }
            if *pattern == "/account/password" && *method == "POST" {
                let password = world.passwords[caller];
                fields = vec![
                    ("current_password", password),
                    ("new_password", "changed password 1"),
                    ("new_password_confirmation", "changed password 1"),
                ];
            }
            let status = match *method {
                "GET" => client
                    .http
                    .get(client.url(&path))
                    .send()
                    .await
                    .expect("GET")
                    .status(),
                "POST" => client.post(&path, &fields).await.status,
                "DELETE" => client
                    .http
                    .delete(client.url(&path))
                    .header("X-CSRF-Token", &client.csrf_token)
                    .send()
                    .await
                    .expect("DELETE")
                    .status(),
                other => panic!("no request helper for {other}"),
            };
            if status != StatusCode::from_u16(expected[caller]).expect("status") {
                failures.push(format!(
                    "{method} {pattern} as {}: expected {}, got {status}",
                    CALLERS[caller], expected[caller]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
