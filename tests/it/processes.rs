//! Tests that run the dashboard as separate `serve` processes: two instances
//! on one PostgreSQL database, and the billing period in other time zones.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use futures_util::future::join_all;
use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp};

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
        // Keep reading, so a full pipe never blocks the server.
        std::thread::spawn(move || for _ in lines {});
        Self {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
        }
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
