//! The command line, run as a separate process.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    seed_creates_signable_agencies,
    agency_create_makes_owner_login,
    agency_create_rejects_bad_input,
    staff_create_makes_support_login,
    demo_creates_agency_to_sign_in,
);

/// Runs the binary with `args`, the app's database and `stdin`, and a clean environment.
fn run(app: &TestApp, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_subaccounts"))
        .args(args)
        .env_clear()
        .env("DATABASE_URL", &app.database_url)
        .env("SUBACCOUNTS_BCRYPT_COST", "4")
        .env("SUBACCOUNTS_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    // The command may reject its arguments and exit before it reads
    // standard input, so a closed pipe here is not a failure.
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    child.wait_with_output().expect("binary runs")
}

/// Returns the permission bits of a file or folder.
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn agency_create_makes_owner_login(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let output = run(
        &app,
        &[
            "agency",
            "create",
            "--name",
            "CLI Agency",
            "--owner-email",
            "cli@example.com",
            "--tasks",
            "2500",
            "--sub-account-limit",
            "3",
            "--password-stdin",
        ],
        "cli owner password\n",
    );

    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("Created agency “CLI Agency”"),
        "{}",
        stdout(&output)
    );
    let mut owner = app.client();
    owner.sign_in("cli@example.com", "cli owner password").await;
    let page = owner.agency_page().await;
    assert_eq!(page.figure("total-tasks"), "2500");
    assert_eq!(page.figure("sub-accounts"), "0 of 3");
}

async fn agency_create_rejects_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_agency("Existing", "taken@example.com", 100, 5);
    let base = [
        "agency",
        "create",
        "--name",
        "Agency",
        "--tasks",
        "100",
        "--password-stdin",
        "--owner-email",
    ];

    let short = run(&app, &[&base[..], &["new@example.com"]].concat(), "short\n");
    assert_eq!(short.status.code(), Some(1));
    assert!(
        stderr(&short).contains("invalid password: Password must be at least 8 bytes long."),
        "{}",
        stderr(&short)
    );

    let taken = run(
        &app,
        &[&base[..], &["TAKEN@example.com"]].concat(),
        "long enough password\n",
    );
    assert_eq!(taken.status.code(), Some(1));
    assert!(
        stderr(&taken).contains("already used"),
        "{}",
        stderr(&taken)
    );

    let bad_email = run(
        &app,
        &[&base[..], &["nope"]].concat(),
        "long enough password\n",
    );
    assert_eq!(bad_email.status.code(), Some(1));
    assert!(
        stderr(&bad_email).contains("valid email address"),
        "{}",
        stderr(&bad_email)
    );

    let no_stdin_flag = run(
        &app,
        &[
            "agency",
            "create",
            "--name",
            "A",
            "--owner-email",
            "x@example.com",
            "--tasks",
            "1",
        ],
        "",
    );
    assert_eq!(
        no_stdin_flag.status.code(),
        Some(2),
        "clap rejects the missing flag"
    );
    assert_eq!(app.user_count(), 1, "nothing was created");
}

async fn staff_create_makes_support_login(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let output = run(
        &app,
        &[
            "staff",
            "create",
            "--email",
            "Staff@Platform.example",
            "--password-stdin",
        ],
        "staff password 1\n",
    );
    let duplicate = run(
        &app,
        &[
            "staff",
            "create",
            "--email",
            "staff@platform.example",
            "--password-stdin",
        ],
        "staff password 1\n",
    );

    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("Created support login Staff@Platform.example"),
        "{}",
        stdout(&output)
    );
    assert_eq!(duplicate.status.code(), Some(1));
    assert!(
        stderr(&duplicate).contains("already used"),
        "{}",
        stderr(&duplicate)
    );
    let mut staff = app.client();
    staff
        .sign_in("staff@platform.example", "staff password 1")
        .await;
    assert_eq!(staff.get("/").await.location(), Some("/support"));
    assert_eq!(staff.get("/support").await.status, reqwest::StatusCode::OK);
}

async fn demo_creates_agency_to_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let output = run(&app, &["demo"], "");

    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
    let password = printed
        .lines()
        .find_map(|line| line.trim().strip_prefix("password for all of them: "))
        .expect("the password is printed")
        .to_owned();
    let mut owner = app.client();
    owner.sign_in("owner@demo.example", &password).await;
    let page = owner.agency_page().await;
    assert_eq!(page.figure("sub-accounts"), "3 of 5");
    assert_eq!(page.figure("inactive"), "1");
    assert_eq!(page.figure("tasks-consumed"), "4350");
    let mut member = app.client();
    member.sign_in("acme@demo.example", &password).await;

    let again = run(&app, &["demo"], "");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_variable_is_an_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_subaccounts"))
        .arg("migrate")
        .env_clear()
        .env("SUBACCOUNTS_ADRESS", "127.0.0.1:9")
        .output()
        .expect("binary runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "unknown environment variable SUBACCOUNTS_ADRESS; did you mean SUBACCOUNTS_ADDRESS?"
        ),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_creates_sqlite_file() {
    let folder = tempfile::tempdir().expect("folder");
    let path = folder.path().join("nested").join("db.sqlite3");
    let output = Command::new(env!("CARGO_BIN_EXE_subaccounts"))
        .arg("migrate")
        .env_clear()
        .env("DATABASE_URL", &path)
        .output()
        .expect("binary runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("The SQLite database is up to date."));
    assert!(path.exists());
}

async fn seed_creates_signable_agencies(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let output = run(
        &app,
        &[
            "seed",
            "--agencies",
            "20",
            "--sub-accounts",
            "2",
            "--days",
            "40",
        ],
        "",
    );

    assert!(output.status.success(), "{}", stderr(&output));
    let seeded: serde_json::Value = serde_json::from_str(stdout(&output).trim()).expect("JSON");
    assert_eq!(seeded["agencies"], 20);
    let password = seeded["password"].as_str().expect("password").to_owned();
    let mut owner = app.client();
    owner
        .sign_in(seeded["owner_email"].as_str().expect("owner"), &password)
        .await;
    let page = owner.agency_page().await;
    assert_eq!(page.figure("sub-accounts"), "2 of 5");
    assert!(
        page.count("#period option") >= 2,
        "closed periods are in the history"
    );
    let mut member = app.client();
    member
        .sign_in(seeded["member_email"].as_str().expect("member"), &password)
        .await;
    let mut support = app.client();
    support
        .sign_in(
            seeded["support_email"].as_str().expect("support"),
            &password,
        )
        .await;
    assert_eq!(
        support
            .get("/support?q=seed")
            .await
            .text("#results-title")
            .as_deref(),
        Some("20 agencies matching “seed”")
    );
    let api = app.api(seeded["api_key"].as_str().expect("key"));
    let consumed = api
        .consume(
            seeded["automation"].as_i64().expect("automation"),
            10_000,
            None,
        )
        .await;
    assert_eq!(
        consumed.status,
        reqwest::StatusCode::OK,
        "the benchmark sub-account has room"
    );
    for agency in 1..=20 {
        app.assert_invariants(subaccounts::domain::AgencyId(agency));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_copies_sqlite_while_serving() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.create_agency("Agency", "owner@example.com", 100, 5);
    let folder = tempfile::tempdir().expect("folder");
    let target = folder.path().join("copy.sqlite3");

    let output = run(
        &app,
        &["backup", "--output", target.to_str().expect("path")],
        "",
    );
    let again = run(
        &app,
        &["backup", "--output", target.to_str().expect("path")],
        "",
    );

    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("Wrote a copy of the database"));
    assert_eq!(mode(&target), 0o600, "the copy is private");
    assert_eq!(
        again.status.code(),
        Some(1),
        "an existing file is not overwritten"
    );
    assert!(stderr(&again).contains("already exists"));
    let copy = std::process::Command::new(env!("CARGO_BIN_EXE_subaccounts"))
        .args([
            "staff",
            "create",
            "--email",
            "staff@example.com",
            "--password-stdin",
        ])
        .env_clear()
        .env("DATABASE_URL", &target)
        .env("SUBACCOUNTS_BCRYPT_COST", "4")
        .stdin(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            let _ = child
                .stdin
                .take()
                .expect("stdin")
                .write_all(b"staff password 1\n");
            child.wait_with_output()
        })
        .expect("copy opens");
    assert!(copy.status.success(), "the copy is a working database");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_explains_postgres() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let output = run(&app, &["backup", "--output", "/tmp/never-written.sql"], "");
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("pg_dump"), "{}", stderr(&output));
}

#[test]
fn sqlite_files_are_private() {
    let folder = tempfile::tempdir().expect("folder");
    let data = folder.path().join("data");
    let database = data.join("subaccounts.sqlite3");

    let output = Command::new(env!("CARGO_BIN_EXE_subaccounts"))
        .arg("migrate")
        .env_clear()
        .env("DATABASE_URL", &database)
        .env("SUBACCOUNTS_LOG", "warn")
        .output()
        .expect("binary runs");

    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(mode(&data), 0o700, "the new data folder");
    assert_eq!(mode(&database), 0o600, "the database file");
}
