//! Tests that run the dashboard as separate `serve` processes: two instances
//! on one PostgreSQL database, and the billing period in other time zones.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use futures_util::StreamExt;
use futures_util::future::join_all;
use reqwest::StatusCode;

use crate::helpers::{Backend, OWNER_PASSWORD, TestApp, TestDatabase};
use crate::on_both_backends;

on_both_backends!(
    killed_server_keeps_answered_work,
    sigterm_finishes_requests_in_flight
);

/// A `serve` process, stopped when dropped.
pub struct ServeProcess {
    child: Child,
    pub base_url: String,
}

impl ServeProcess {
    /// Starts `serve` on a free port with `database_url`, and returns once it listens.
    pub fn start(
        database_url: &str,
        data_dir: &std::path::Path,
        extra_env: &[(&str, &str)],
    ) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_subaccounts"));
        command
            .arg("serve")
            .env_clear()
            .env("DATABASE_URL", database_url)
            .env("SUBACCOUNTS_ADDRESS", format!("127.0.0.1:{port}"))
            .env("SUBACCOUNTS_DATA_DIR", data_dir)
            .env("SUBACCOUNTS_BCRYPT_COST", "4")
            .env("SUBACCOUNTS_WORKERS", "2")
            .env("SUBACCOUNTS_LOG", "subaccounts=info,actix_server=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, value) in extra_env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("serve starts");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        loop {
            let line = lines
                .next()
                .expect("serve logs before exiting")
                .expect("log line");
            if line.contains("serving") {
                break;
            }
        }
        // Keep reading, so a full pipe never blocks the server, and pass its
        // errors on to the test's output.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if line.contains("ERROR") {
                    eprintln!("serve: {line}");
                }
            }
        });
        Self {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl ServeProcess {
    /// Kills the process with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for the process to exit, returning its exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().ok().and_then(|status| status.code())
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_never_overspend() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 100).await;
    let key = app.create_key(id);
    let automation = app.create_automation(id, "Sync");
    let folder = tempfile::tempdir().expect("folder");
    let first = ServeProcess::start(&app.database_url, folder.path(), &[]);
    let second = ServeProcess::start(&app.database_url, folder.path(), &[]);
    let client = reqwest::Client::new();

    let requests = (0..200).map(|index| {
        let base = if index % 2 == 0 {
            &first.base_url
        } else {
            &second.base_url
        };
        client
            .post(format!("{base}/api/v1/usage"))
            .bearer_auth(&key)
            .json(&serde_json::json!({ "automation": automation, "tasks": 1 }))
            .send()
    });
    let statuses: Vec<StatusCode> = join_all(requests)
        .await
        .into_iter()
        .map(|response| response.expect("response").status())
        .collect();

    assert_eq!(
        statuses
            .iter()
            .filter(|status| **status == StatusCode::OK)
            .count(),
        100
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|status| **status == StatusCode::PAYMENT_REQUIRED)
            .count(),
        100
    );
    assert_eq!(app.sub_accounts(agency_id)[0].3, 100);
    app.assert_invariants(agency_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn period_is_independent_of_time_zone() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 100).await;
    let key = app.create_key(id);
    let folder = tempfile::tempdir().expect("folder");
    let mut starts = Vec::new();

    // UTC+14 and UTC-10: a local date would differ from UTC's for most of the day.
    for zone in ["Pacific/Kiritimati", "America/Adak", "UTC"] {
        let server = ServeProcess::start(&app.database_url, folder.path(), &[("TZ", zone)]);
        let status: serde_json::Value = reqwest::Client::new()
            .get(format!("{}/api/v1/usage", server.base_url))
            .bearer_auth(&key)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON");
        starts.push(
            status["period"]["start"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }

    let today = chrono::Utc::now().date_naive();
    let anchor = chrono::Datelike::day(&app.clock_today());
    let expected = subaccounts::domain::period::period_start(today, anchor).to_string();
    assert_eq!(starts, vec![expected.clone(), expected.clone(), expected]);
}

/// The same session key for every instance, so a session from one is valid on all.
const SHARED_SESSION_KEY: &str =
    "c2hhcmVkIHNlc3Npb24ga2V5IGZvciB0d28gaW5zdGFuY2VzIG9mIHRoZSBkYXNoYm9hcmQsIGluIHRlc3RzIG9ubHkh";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_act_as_one() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let agency_id = app.create_agency("Agency", "owner@example.com", 10_000, 5);
    let folder = tempfile::tempdir().expect("folder");
    let shared = [("SUBACCOUNTS_SESSION_KEY", SHARED_SESSION_KEY)];
    let first = ServeProcess::start(&app.database_url, folder.path(), &shared);
    let second = ServeProcess::start(&app.database_url, folder.path(), &shared);

    // Signed in on the first instance, the session works on the second.
    let mut owner = crate::helpers::TestClient::new(&first.base_url);
    owner.sign_in("owner@example.com", OWNER_PASSWORD).await;
    let mut elsewhere = owner.at(&second.base_url);
    assert_eq!(elsewhere.agency_page().await.status, StatusCode::OK);
    let a = owner.add_ok("Client A", "a@example.com", 1_000).await;
    let b = elsewhere.add_ok("Client B", "b@example.com", 1_000).await;
    let keys = [app.create_key(a), app.create_key(b)];
    let automations = [
        app.create_automation(a, "Sync"),
        app.create_automation(b, "Sync"),
    ];
    let client = reqwest::Client::new();

    // Consumption and owner actions, spread over both instances at once.
    let consumption = (0..300).map(|index| {
        let base = if index % 2 == 0 {
            &first.base_url
        } else {
            &second.base_url
        };
        client
            .post(format!("{base}/api/v1/usage"))
            .bearer_auth(&keys[index % 2])
            .json(&serde_json::json!({ "automation": automations[index % 2], "tasks": 5 }))
            .send()
    });
    let actions = (0..40).map(|index| {
        let instance = if index % 2 == 0 { &owner } else { &elsewhere };
        let id = if index % 4 < 2 { a } else { b };
        let (path, tasks) = match index % 5 {
            0 => (
                format!("/accounts/agency/sub-accounts/{id}/deactivate"),
                "0",
            ),
            1 => (format!("/accounts/agency/sub-accounts/{id}/activate"), "0"),
            2 => (format!("/accounts/agency/sub-accounts/{id}/tasks"), "400"),
            _ => (format!("/accounts/agency/sub-accounts/{id}/tasks"), "4000"),
        };
        async move { instance.post_htmx(&path, &[("tasks", tasks)]).await.status }
    });
    let (consumed, acted) = tokio::join!(join_all(consumption), join_all(actions));

    let accepted = consumed
        .into_iter()
        .map(|response| response.expect("response").status())
        .filter(|status| *status == StatusCode::OK)
        .count() as i64;
    assert!(
        acted
            .iter()
            .all(|status| [StatusCode::OK, StatusCode::CONFLICT].contains(status)),
        "{acted:?}"
    );
    app.assert_invariants(agency_id);
    let stored: i64 = app.sub_accounts(agency_id).iter().map(|sub| sub.3).sum();
    assert_eq!(stored, accepted * 5, "every accepted call is counted once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_migrate_once() {
    let (_database, url) = TestDatabase::create(Backend::Postgres);
    let folder = tempfile::tempdir().expect("folder");

    let starts: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            let path = folder.path().to_owned();
            std::thread::spawn(move || {
                ServeProcess::start(
                    &url,
                    &path,
                    &[("SUBACCOUNTS_SESSION_KEY", SHARED_SESSION_KEY)],
                )
            })
        })
        .collect();
    let servers: Vec<ServeProcess> = starts
        .into_iter()
        .map(|start| start.join().expect("instance starts"))
        .collect();

    for server in &servers {
        let ready = reqwest::get(format!("{}/readyz", server.base_url))
            .await
            .expect("readyz");
        assert_eq!(ready.status(), StatusCode::OK);
    }
    let mut connection =
        <diesel::PgConnection as diesel::Connection>::establish(&url).expect("connection");
    let versions: Vec<Version> = diesel::RunQueryDsl::load(
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations ORDER BY version"),
        &mut connection,
    )
    .expect("versions");
    assert_eq!(versions.len(), 2, "each migration applied exactly once");
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[allow(dead_code)]
    version: String,
}

/// Sends consumption with a fresh idempotency key each, kills the server
/// with SIGKILL in the middle, restarts it, and checks what was stored.
async fn killed_server_keeps_answered_work(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 10_000).await;
    let key = app.create_key(id);
    let automation = app.create_automation(id, "Sync");
    let folder = tempfile::tempdir().expect("folder");
    let mut server = ServeProcess::start(&app.database_url, folder.path(), &[]);
    let base = server.base_url.clone();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");

    let load = tokio::spawn({
        let client = client.clone();
        let key = key.clone();
        async move {
            let requests = (0..600).map(|index| {
                let request = client
                    .post(format!("{base}/api/v1/usage"))
                    .bearer_auth(&key)
                    .json(&serde_json::json!({ "automation": automation, "tasks": 1, "idempotency_key": format!("call-{index}") }))
                    .send();
                async move { (index, request.await.map(|response| response.status())) }
            });
            futures_util::stream::iter(requests)
                .buffer_unordered(16)
                .collect::<Vec<_>>()
                .await
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    server.kill();
    let results = load.await.expect("load");

    let answered: Vec<String> = results
        .iter()
        .filter(|(_, status)| matches!(status, Ok(status) if *status == StatusCode::OK))
        .map(|(index, _)| format!("call-{index}"))
        .collect();
    assert!(
        !answered.is_empty(),
        "some calls were answered before the kill"
    );
    assert!(
        answered.len() < 600,
        "the kill came in the middle of the load"
    );
    let restarted = ServeProcess::start(&app.database_url, folder.path(), &[]);
    let status: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/usage", restarted.base_url))
        .bearer_auth(&key)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");
    let stored = stored_keys(&app, id);
    for answered_key in &answered {
        assert!(
            stored.contains(answered_key),
            "{answered_key} was answered 200 but not stored"
        );
    }
    let failed: Vec<String> = results
        .iter()
        .filter(|(_, status)| matches!(status, Ok(status) if *status != StatusCode::OK))
        .map(|(index, _)| format!("call-{index}"))
        .collect();
    for failed_key in &failed {
        assert!(
            !stored.contains(failed_key),
            "{failed_key} was refused but stored"
        );
    }
    assert_eq!(
        status["consumed"].as_i64(),
        Some(stored.len() as i64),
        "the counter agrees with the stored calls"
    );
    app.assert_invariants(agency_id);
}

/// Returns the idempotency keys whose consumption the database holds.
fn stored_keys(app: &TestApp, sub_account_id: subaccounts::domain::SubAccountId) -> Vec<String> {
    use diesel::prelude::*;
    use subaccounts::db::schema::idempotency_keys;
    idempotency_keys::table
        .filter(idempotency_keys::sub_account_id.eq(sub_account_id))
        .filter(idempotency_keys::body.like("%\"consumed\"%"))
        .select(idempotency_keys::idempotency_key)
        .load(&mut app.connection())
        .expect("keys")
}

/// SIGTERM during a load: every request the server processed gets its whole
/// answer (no consumption without its 200), and the process exits cleanly.
async fn sigterm_finishes_requests_in_flight(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 10_000).await;
    let key = app.create_key(id);
    let automation = app.create_automation(id, "Sync");
    let folder = tempfile::tempdir().expect("folder");
    let mut server = ServeProcess::start(&app.database_url, folder.path(), &[]);
    let base = server.base_url.clone();
    // One connection per request, so a refused connection is the only way to miss the server.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");

    let load = tokio::spawn({
        let client = client.clone();
        async move {
            let requests = (0..400).map(|_| {
                let request = client
                    .post(format!("{base}/api/v1/usage"))
                    .bearer_auth(&key)
                    .json(&serde_json::json!({ "automation": automation, "tasks": 1 }))
                    .send();
                async move {
                    match request.await {
                        Ok(response) => Ok((response.status(), response.text().await.is_ok())),
                        Err(error) => Err(error),
                    }
                }
            });
            futures_util::stream::iter(requests)
                .buffer_unordered(16)
                .collect::<Vec<_>>()
                .await
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let exit = server.terminate();
    let results = load.await.expect("load");

    assert_eq!(exit, Some(0), "the server exits cleanly");
    let answered = results
        .iter()
        .filter(|result| matches!(result, Ok((status, true)) if *status == StatusCode::OK))
        .count();
    assert!(answered > 0);
    // A connection still in the kernel's queue when the listener closes is
    // reset before the server read it; such a request was never processed.
    for (_, complete) in results.iter().flatten() {
        assert!(complete, "an answered request got its whole body");
    }
    let consumed = app.sub_accounts(agency_id)[0].3;
    assert_eq!(
        consumed, answered as i64,
        "each answered call is stored, and only those"
    );
}
