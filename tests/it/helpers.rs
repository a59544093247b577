//! The test application, HTTP clients with cookie jars, and HTML helpers.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use diesel::prelude::*;
use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use scraper::{Html, Selector};

use subaccounts::auth::password;
use subaccounts::clock::ManualClock;
use subaccounts::config::{Config, Secret};
use subaccounts::db::agencies::{self, NewAgency};
use subaccounts::db::schema::{agencies as agencies_table, sub_accounts, users};
use subaccounts::db::{self, Pool};
use subaccounts::domain::{AgencyId, AgencyName, Email, Password, SubAccountId, TaskCount};
use subaccounts::startup::Application;

/// Runs each named `async fn(Backend)` of the calling module as two tests,
/// `sqlite::NAME` and `postgres::NAME`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            )*
        }
    };
}

pub const OWNER_PASSWORD: &str = "owner password 1";
pub const MEMBER_PASSWORD: &str = "member password 1";
pub const STAFF_PASSWORD: &str = "support password 1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists for one test and is removed after it.
pub enum TestDatabase {
    Sqlite(tempfile::TempDir),
    Postgres { server_url: String, name: String },
}

impl TestDatabase {
    /// Creates an empty database and returns it with its URL.
    pub fn create(backend: Backend) -> (Self, String) {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary folder");
                let url = dir.path().join("test.sqlite3").display().to_string();
                (Self::Sqlite(dir), url)
            }
            Backend::Postgres => {
                let server_url = postgres_server_url();
                let name = format!("subaccounts_test_{:016x}", rand::rng().random::<u64>());
                let mut admin = diesel::PgConnection::establish(&format!("{server_url}/postgres")).unwrap_or_else(|error| {
                    panic!("PostgreSQL at {server_url} is unreachable ({error}); start it or set TEST_DATABASE_URL")
                });
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create test database");
                let url = format!("{server_url}/{name}");
                (Self::Postgres { server_url, name }, url)
            }
        }
    }

    fn data_dir(&self) -> std::path::PathBuf {
        match self {
            Self::Sqlite(dir) => dir.path().to_owned(),
            Self::Postgres { .. } => std::env::temp_dir(),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Self::Postgres { server_url, name } = self
            && let Ok(mut admin) =
                diesel::PgConnection::establish(&format!("{server_url}/postgres"))
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

/// The PostgreSQL server the tests create their databases on.
pub fn postgres_server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// A running server with its own database.
pub struct TestApp {
    pub base_url: String,
    pub pool: Pool,
    pub clock: Arc<ManualClock>,
    pub setup_link: Option<String>,
    pub database_url: String,
    handle: actix_web::dev::ServerHandle,
    // Dropped last, after the server has stopped.
    _database: TestDatabase,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts a server whose configuration `adjust` may change first.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Self {
        let (database, database_url) = TestDatabase::create(backend);
        let mut config = test_config(&database_url, &database.data_dir());
        adjust(&mut config);
        let clock = Arc::new(ManualClock::new(Utc::now().naive_utc()));
        let application = Application::build(config, clock.clone())
            .await
            .expect("application starts");
        let base_url = format!("http://127.0.0.1:{}", application.port());
        let pool = application.pool().clone();
        let setup_link = application.setup_link().map(str::to_owned);
        let handle = application.handle();
        tokio::spawn(application.run_until_stopped());
        Self {
            base_url,
            pool,
            clock,
            setup_link,
            database_url,
            handle,
            _database: database,
        }
    }

    pub fn client(&self) -> TestClient {
        TestClient::new(&self.base_url)
    }

    pub fn connection(&self) -> r2d2::PooledConnection<db::ConnectionManager> {
        self.pool.get().expect("database connection")
    }

    /// Creates an agency and its owner directly in the database.
    pub fn create_agency(
        &self,
        name: &str,
        owner_email: &str,
        total_tasks: i64,
        limit: i32,
    ) -> AgencyId {
        let hash = password::hash(&Password::parse(OWNER_PASSWORD).expect("valid password"), 4)
            .expect("hash");
        let agency = NewAgency {
            name: &AgencyName::parse(name).expect("valid name"),
            total_tasks: TaskCount::new(total_tasks).expect("valid total"),
            sub_account_limit: limit,
            owner_email: &Email::parse(owner_email).expect("valid email"),
            owner_password_hash: &hash,
        };
        agencies::create(&mut self.connection(), &agency, self.clock.now_for_tests())
            .expect("agency created")
            .0
    }

    /// Creates an agency and returns a client signed in as its owner.
    pub async fn owner_of_new_agency(
        &self,
        owner_email: &str,
        total_tasks: i64,
        limit: i32,
    ) -> (AgencyId, TestClient) {
        let agency_id = self.create_agency("Test Agency", owner_email, total_tasks, limit);
        let mut client = self.client();
        client.sign_in(owner_email, OWNER_PASSWORD).await;
        (agency_id, client)
    }

    /// Returns the agency's sub-accounts as (id, name, allocated, consumed, active), by id.
    pub fn sub_accounts(&self, agency_id: AgencyId) -> Vec<(SubAccountId, String, i64, i64, bool)> {
        sub_accounts::table
            .filter(sub_accounts::agency_id.eq(agency_id))
            .order(sub_accounts::id)
            .select((
                sub_accounts::id,
                sub_accounts::name,
                sub_accounts::allocated,
                sub_accounts::consumed,
                sub_accounts::active,
            ))
            .load(&mut self.connection())
            .expect("sub-accounts")
    }

    /// Creates a support staff login directly in the database.
    pub fn create_staff(&self, email: &str) {
        let hash = password::hash(&Password::parse(STAFF_PASSWORD).expect("valid password"), 4)
            .expect("hash");
        db::users::create_staff(
            &mut self.connection(),
            &Email::parse(email).expect("valid email"),
            &hash,
            self.clock.now_for_tests(),
        )
        .expect("staff created");
    }

    /// Returns a client signed in as a new support staff member.
    pub async fn support_client(&self, email: &str) -> TestClient {
        self.create_staff(email);
        let mut client = self.client();
        client.sign_in(email, STAFF_PASSWORD).await;
        client
    }

    /// Returns the activity log actions of the agency, newest first.
    pub fn activity_actions(&self, agency_id: AgencyId) -> Vec<(String, String)> {
        use subaccounts::db::schema::activity_log;
        activity_log::table
            .filter(activity_log::agency_id.eq(agency_id))
            .order(activity_log::id.desc())
            .select((activity_log::action, activity_log::actor_email))
            .load(&mut self.connection())
            .expect("activity")
    }

    /// Creates an API key for the sub-account and returns the key.
    pub fn create_key(&self, sub_account_id: SubAccountId) -> String {
        let key = db::api_keys::generate_key();
        db::api_keys::create(
            &mut self.connection(),
            sub_account_id,
            "test",
            &key,
            self.clock.now_for_tests(),
        )
        .expect("key created");
        key
    }

    /// Creates a running automation for the sub-account.
    pub fn create_automation(&self, sub_account_id: SubAccountId, name: &str) -> i64 {
        db::automations::create(
            &mut self.connection(),
            sub_account_id,
            name,
            self.clock.now_for_tests(),
        )
        .expect("automation created")
        .id
        .0
    }

    pub fn clock_today(&self) -> chrono::NaiveDate {
        self.clock.now_for_tests().date()
    }

    /// Returns an API client that sends `key` as its bearer token.
    pub fn api(&self, key: &str) -> ApiClient {
        ApiClient {
            http: reqwest::Client::new(),
            base_url: self.base_url.clone(),
            key: key.to_owned(),
        }
    }

    pub fn user_count(&self) -> i64 {
        users::table
            .count()
            .get_result(&mut self.connection())
            .expect("user count")
    }

    /// Consumes tasks for a sub-account the way the usage API does.
    pub fn consume(&self, sub_account_id: SubAccountId, tasks: i64) -> bool {
        db::sub_accounts::consume(&mut self.connection(), sub_account_id, tasks).expect("consume")
    }

    /// Asserts the invariants of the task pool for one agency.
    pub fn assert_invariants(&self, agency_id: AgencyId) {
        let mut connection = self.connection();
        let (total, limit, main_consumed, deleted_consumed): (i64, i32, i64, i64) =
            agencies_table::table
                .find(agency_id)
                .select((
                    agencies_table::total_tasks,
                    agencies_table::sub_account_limit,
                    agencies_table::main_consumed,
                    agencies_table::deleted_consumed,
                ))
                .first(&mut connection)
                .expect("agency");
        let subs = self.sub_accounts(agency_id);
        for (id, _, allocated, consumed, _) in &subs {
            assert!(*consumed >= 0, "sub-account {id} consumed {consumed} < 0");
            assert!(
                consumed <= allocated,
                "sub-account {id} consumed {consumed} > allocated {allocated}"
            );
        }
        let allocated: i64 = subs.iter().map(|sub| sub.2).sum();
        assert!(
            allocated + main_consumed + deleted_consumed <= total,
            "allocated {allocated} + main {main_consumed} + deleted {deleted_consumed} > total {total}"
        );
        assert!(
            subs.len() as i64 <= i64::from(limit),
            "{} sub-accounts > limit {limit}",
            subs.len()
        );
        let members: i64 = users::table
            .filter(users::agency_id.eq(agency_id))
            .filter(users::role.eq("member"))
            .count()
            .get_result(&mut connection)
            .expect("members");
        assert_eq!(
            members,
            subs.len() as i64,
            "every sub-account has exactly one member login"
        );
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let stop = self.handle.stop(false);
        tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(stop));
    }
}

fn test_config(database_url: &str, data_dir: &std::path::Path) -> Config {
    let mut key = [0_u8; 64];
    rand::rng().fill(&mut key[..]);
    use base64::Engine;
    Config {
        address: "127.0.0.1:0".to_owned(),
        database_url: database_url.to_owned(),
        data_dir: data_dir.to_owned(),
        session_key: Some(Secret::new(
            base64::engine::general_purpose::STANDARD.encode(key),
        )),
        bcrypt_cost: 4,
        workers: 2,
        pool_size: 8,
        ..Config::default()
    }
}

/// Extension for reading a [`ManualClock`] without the `Clock` trait in scope.
pub trait ClockExt {
    fn now_for_tests(&self) -> chrono::NaiveDateTime;
}

impl ClockExt for ManualClock {
    fn now_for_tests(&self) -> chrono::NaiveDateTime {
        subaccounts::clock::Clock::now(self)
    }
}

/// A parsed HTML response.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// Parses the body. A fragment that starts with a table row is parsed
    /// inside a table, as htmx does, because a bare `<tr>` would be dropped.
    pub fn html(&self) -> Html {
        if self.body.trim_start().starts_with("<tr") {
            Html::parse_document(&format!("<table><tbody>{}</tbody></table>", self.body))
        } else {
            Html::parse_document(&self.body)
        }
    }

    /// Returns the trimmed text of the first element matching `selector`.
    pub fn text(&self, selector: &str) -> Option<String> {
        let selector = Selector::parse(selector).expect("valid selector");
        self.html()
            .select(&selector)
            .next()
            .map(|element| element.text().collect::<String>().trim().to_owned())
    }

    pub fn count(&self, selector: &str) -> usize {
        let selector = Selector::parse(selector).expect("valid selector");
        self.html().select(&selector).count()
    }

    pub fn attribute(&self, selector: &str, name: &str) -> Option<String> {
        let selector = Selector::parse(selector).expect("valid selector");
        self.html()
            .select(&selector)
            .next()
            .and_then(|element| element.value().attr(name).map(str::to_owned))
    }

    /// Returns every `data-stat` figure on the page, commas removed.
    pub fn figures(&self) -> HashMap<String, String> {
        let selector = Selector::parse("[data-stat]").expect("valid selector");
        self.html()
            .select(&selector)
            .map(|element| {
                let name = element
                    .value()
                    .attr("data-stat")
                    .unwrap_or_default()
                    .to_owned();
                let value = element.text().collect::<String>().trim().replace(',', "");
                (name, value)
            })
            .collect()
    }

    pub fn figure(&self, name: &str) -> String {
        self.figures()
            .remove(name)
            .unwrap_or_else(|| panic!("no figure {name} in:\n{}", self.body))
    }

    pub fn location(&self) -> Option<&str> {
        self.headers
            .get("location")
            .and_then(|value| value.to_str().ok())
    }
}

/// An HTTP client with its own cookie jar: one signed-in person.
pub struct TestClient {
    pub http: reqwest::Client,
    base_url: String,
    pub csrf_token: String,
}

impl TestClient {
    pub fn new(base_url: &str) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client");
        Self {
            http,
            base_url: base_url.to_owned(),
            csrf_token: String::new(),
        }
    }

    /// The same person (cookie jar and CSRF token) talking to another
    /// instance. Cookies of 127.0.0.1 apply to every port.
    pub fn at(&self, base_url: &str) -> TestClient {
        TestClient {
            http: self.http.clone(),
            base_url: base_url.to_owned(),
            csrf_token: self.csrf_token.clone(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    async fn read(response: reqwest::Response) -> Page {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.expect("response body");
        Page {
            status,
            headers,
            body,
        }
    }

    /// GETs a page and keeps the CSRF token it carries.
    pub async fn get(&mut self, path: &str) -> Page {
        let page = Self::read(self.http.get(self.url(path)).send().await.expect("GET")).await;
        if let Some(token) = page.attribute("meta[name=csrf-token]", "content") {
            self.csrf_token = token;
        }
        page
    }

    pub async fn get_htmx(&self, path: &str) -> Page {
        Self::read(
            self.http
                .get(self.url(path))
                .header("HX-Request", "true")
                .send()
                .await
                .expect("GET"),
        )
        .await
    }

    /// POSTs a form as a browser without JavaScript does, with the CSRF field.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", &self.csrf_token)];
        form.extend_from_slice(fields);
        Self::read(
            self.http
                .post(self.url(path))
                .form(&form)
                .send()
                .await
                .expect("POST"),
        )
        .await
    }

    /// POSTs a form as htmx does: `HX-Request` and the CSRF token in a header.
    pub async fn post_htmx(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        Self::read(
            self.http
                .post(self.url(path))
                .header("HX-Request", "true")
                .header("X-CSRF-Token", &self.csrf_token)
                .form(fields)
                .send()
                .await
                .expect("POST"),
        )
        .await
    }

    pub async fn delete_htmx(&self, path: &str) -> Page {
        Self::read(
            self.http
                .delete(self.url(path))
                .header("HX-Request", "true")
                .header("X-CSRF-Token", &self.csrf_token)
                .send()
                .await
                .expect("DELETE"),
        )
        .await
    }

    /// Signs in and asserts that it worked.
    pub async fn sign_in(&mut self, email: &str, password: &str) {
        let page = self.try_sign_in(email, password).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "sign-in as {email} failed:\n{}",
            page.body
        );
        self.get("/login").await;
    }

    pub async fn try_sign_in(&mut self, email: &str, password: &str) -> Page {
        self.get("/login").await;
        self.post("/login", &[("email", email), ("password", password)])
            .await
    }

    pub async fn agency_page(&mut self) -> Page {
        let page = self.get("/accounts/agency").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page
    }

    /// Adds a sub-account through the plain form.
    pub async fn add_sub_account(&self, name: &str, email: &str, tasks: &str) -> Page {
        self.post(
            "/accounts/agency/sub-accounts",
            &[
                ("name", name),
                ("email", email),
                ("password", MEMBER_PASSWORD),
                ("tasks", tasks),
            ],
        )
        .await
    }

    /// Adds a sub-account and returns its id, asserting success.
    pub async fn add_ok(&mut self, name: &str, email: &str, tasks: i64) -> SubAccountId {
        let page = self.add_sub_account(name, email, &tasks.to_string()).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "add {name} failed:\n{}",
            page.body
        );
        let agency = self.agency_page().await;
        let html = agency.html();
        let selector = Selector::parse("tr.sub-account").expect("valid selector");
        let id = html
            .select(&selector)
            .filter(|row| row.text().any(|text| text.contains(email)))
            .filter_map(|row| {
                row.value()
                    .attr("id")?
                    .strip_prefix("sub-account-")?
                    .parse()
                    .ok()
            })
            .next()
            .unwrap_or_else(|| panic!("no row for {email}"));
        SubAccountId(id)
    }
}

/// A client of the JSON API, authenticated with one API key.
pub struct ApiClient {
    pub http: reqwest::Client,
    pub base_url: String,
    pub key: String,
}

/// An API response: status, headers and JSON body (`Null` when empty or not JSON).
pub struct ApiResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: serde_json::Value,
}

impl ApiResponse {
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or_default()
    }
}

impl ApiClient {
    pub async fn send(&self, request: reqwest::RequestBuilder) -> ApiResponse {
        let response = request
            .bearer_auth(&self.key)
            .send()
            .await
            .expect("API request");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.expect("body");
        let json = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
        ApiResponse {
            status,
            headers,
            json,
        }
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> ApiResponse {
        self.send(
            self.http
                .post(format!("{}{path}", self.base_url))
                .json(&body),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> ApiResponse {
        self.send(self.http.get(format!("{}{path}", self.base_url)))
            .await
    }

    /// Reports `tasks` for `automation`, with an optional idempotency key.
    pub async fn consume(
        &self,
        automation: i64,
        tasks: i64,
        idempotency_key: Option<&str>,
    ) -> ApiResponse {
        let mut body = serde_json::json!({ "automation": automation, "tasks": tasks });
        if let Some(key) = idempotency_key {
            body["idempotency_key"] = serde_json::Value::from(key);
        }
        self.post("/api/v1/usage", body).await
    }
}
