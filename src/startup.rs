//! Building the application from a configuration and serving it.
//!
//! [`Application::build`] binds its own listener, so tests can ask for port 0
//! and read the real port back.

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;

use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite, time};
use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

use crate::auth::throttle::Throttle;
use crate::auth::{csrf, session};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::{self, Pool};
use crate::error::AppError;
use crate::files;
use crate::routes;
use crate::state::AppState;
use crate::telemetry;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "subaccounts_session";
/// Bytes of a session key: actix-session needs at least 64.
const SESSION_KEY_BYTES: usize = 64;

/// A bound, ready-to-run server.
pub struct Application {
    server: Server,
    /// Stops the SQLite checkpoint thread when the server is done.
    checkpointer: Option<db::Checkpointer>,
    port: u16,
    setup_link: Option<String>,
    pool: Pool,
}

impl Application {
    /// Connects to the database and runs migrations, loads or creates the
    /// session key, creates a setup link when there is no user yet, and binds
    /// the listener.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let database_url = config.database_url.clone();
        let pool_size = config.pool_size;
        let pool = web::block(move || db::connect_for_serving(&database_url, pool_size))
            .await
            .context("database start-up was interrupted")??;
        tracing::info!(
            backend = db::Backend::of_url(&config.database_url).name(),
            "database ready"
        );

        let session_key = load_session_key(&config)?;
        let listener = TcpListener::bind(&config.address)
            .with_context(|| format!("could not listen on {}", config.address))?;
        let address = listener.local_addr()?;
        let port = address.port();
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{address}"));
        let setup_link = create_setup_link(&pool, &public_url, clock.as_ref()).await?;
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            config: Arc::new(config.clone()),
            clock,
            metrics: Arc::default(),
            throttle: Throttle::default(),
        });
        let workers = config.workers;
        let blocking_threads = usize::try_from(pool_size)
            .unwrap_or(usize::MAX)
            .div_ceil(workers)
            .saturating_add(1);
        let server = HttpServer::new(move || {
            let sessions =
                SessionMiddleware::builder(CookieSessionStore::default(), session_key.clone())
                    .cookie_name(SESSION_COOKIE.to_owned())
                    .cookie_secure(state.config.cookies_secure())
                    .cookie_http_only(true)
                    .cookie_same_site(SameSite::Strict)
                    .cookie_content_security(CookieContentSecurity::Private)
                    .session_lifecycle(
                        PersistentSession::default().session_ttl(time::Duration::seconds(
                            i64::try_from(state.config.session_idle_timeout.as_secs())
                                .unwrap_or(i64::MAX),
                        )),
                    )
                    .build();
            // The last `wrap` runs first: logging sees every response, and the
            // CSRF check runs inside the session middleware that it reads.
            App::new()
                .app_data(state.clone())
                .app_data(
                    web::FormConfig::default()
                        .limit(csrf::FORM_LIMIT_BYTES)
                        .error_handler(|error, _| match error {
                            actix_web::error::UrlencodedError::Overflow { .. } => {
                                AppError::PayloadTooLarge.into()
                            }
                            other => AppError::MalformedForm(form_problem(&other)).into(),
                        }),
                )
                .app_data(web::QueryConfig::default().error_handler(|error, _| {
                    AppError::MalformedQuery(query_problem(&error)).into()
                }))
                .app_data(routes::api::json_config())
                .configure(routes::configure)
                .wrap(from_fn(csrf::verify))
                .wrap(sessions)
                .wrap(security_headers(state.config.https))
                .wrap(from_fn(telemetry::log_request))
        })
        .workers(workers)
        // Every blocking job but password hashing waits for a pooled
        // connection, so threads beyond each worker's share of the pool,
        // plus one for hashing, only add memory.
        .worker_max_blocking_threads(blocking_threads)
        .listen(listener)?
        .run();
        let checkpointer = db::Checkpointer::start(&config.database_url)?;
        Ok(Self {
            server,
            checkpointer,
            port,
            setup_link,
            pool,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The one-time setup link, when the database had no user at start.
    pub fn setup_link(&self) -> Option<&str> {
        self.setup_link.as_deref()
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// A handle that stops the server, for tests and signal handling.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves requests until the server is stopped (Ctrl-C or SIGTERM), then
    /// lets the requests in flight finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!(port = self.port, "serving");
        let result = self.server.await;
        drop(self.checkpointer);
        tracing::info!("stopped");
        result
    }
}

/// Describes, as a sentence for the error page, why a form body could not be
/// decoded into the handler's fields.
fn form_problem(error: &actix_web::error::UrlencodedError) -> String {
    use actix_web::error::UrlencodedError;
    match error {
        UrlencodedError::ContentType => {
            "it must be sent as application/x-www-form-urlencoded.".to_owned()
        }
        UrlencodedError::Parse(parse) => field_problem(&parse.to_string(), "field"),
        other => {
            tracing::warn!(error = %other, "could not read a form body");
            "its body could not be received.".to_owned()
        }
    }
}

/// Describes, as a sentence for the error page, why a query string could not
/// be decoded into the page's parameters.
fn query_problem(error: &actix_web::error::QueryPayloadError) -> String {
    match error {
        actix_web::error::QueryPayloadError::Deserialize(parse) => {
            field_problem(&parse.to_string(), "parameter")
        }
        other => {
            tracing::warn!(error = %other, "could not read a query string");
            "a parameter does not have the expected format.".to_owned()
        }
    }
}

/// Turns serde's "duplicate field `x`" and "missing field `x`" into a
/// sentence about the form field or query parameter `x`.
fn field_problem(detail: &str, noun: &str) -> String {
    let field = detail.split('`').nth(1);
    match field {
        Some(field) if detail.starts_with("duplicate field") => {
            format!("the {noun} {field} appears more than once.")
        }
        Some(field) if detail.starts_with("missing field") => {
            format!("the {noun} {field} is missing.")
        }
        _ => format!("a {noun} does not have the expected format."),
    }
}

/// Headers on every response. The policy allows scripts and styles only from
/// this server's `/static/`, which is why htmx is told not to inject its
/// indicator style.
fn security_headers(https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        ));
    if https {
        // Browsers remember for a year to use HTTPS only; sent only when the
        // dashboard is reached over HTTPS, because over HTTP it is ignored.
        headers.add((
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains",
        ))
    } else {
        headers
    }
}

/// Returns the configured session key, or the one saved in the data folder, or
/// a new one that it saves there readable by the owner only.
fn load_session_key(config: &Config) -> anyhow::Result<Key> {
    if let Some(encoded) = &config.session_key {
        return decode_key(encoded.expose()).context("invalid SUBACCOUNTS_SESSION_KEY");
    }
    let path = config.data_dir.join("session.key");
    if path.exists() {
        let encoded = fs::read_to_string(&path)
            .with_context(|| format!("could not read {}", path.display()))?;
        return decode_key(encoded.trim())
            .with_context(|| format!("invalid session key in {}", path.display()));
    }
    let mut bytes = [0_u8; SESSION_KEY_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    write_private_file(&path, &STANDARD.encode(bytes))?;
    tracing::info!(path = %path.display(), "generated a session key and saved it; set SUBACCOUNTS_SESSION_KEY to share one between instances");
    Ok(Key::from(&bytes))
}

fn decode_key(encoded: &str) -> anyhow::Result<Key> {
    let bytes = STANDARD
        .decode(encoded.trim())
        .context("expected base64, such as the output of `openssl rand -base64 64`")?;
    if bytes.len() < SESSION_KEY_BYTES {
        bail!(
            "expected at least {SESSION_KEY_BYTES} bytes, got {}",
            bytes.len()
        );
    }
    Key::try_from(bytes.as_slice()).map_err(|error| anyhow::anyhow!("{error}"))
}

fn write_private_file(path: &Path, contents: &str) -> anyhow::Result<()> {
    if let Some(folder) = path
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
    {
        files::create_private_folder(folder)
            .with_context(|| format!("could not create {}", folder.display()))?;
    }
    let mut file = files::create_private_file(path)
        .with_context(|| format!("could not create {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("could not write {}", path.display()))
}

/// With no user in the database, stores a new setup token and prints the link
/// that creates the first agency. Every printed link stays valid until one of
/// them is used.
async fn create_setup_link(
    pool: &Pool,
    public_url: &str,
    clock: &dyn Clock,
) -> anyhow::Result<Option<String>> {
    let pool = pool.clone();
    let token = session::random_token();
    let token_hash = crate::routes::setup::hash_token(&token);
    let now = clock.now();
    let created = web::block(move || -> anyhow::Result<bool> {
        let mut connection = pool.get()?;
        if db::users::count(&mut connection)? > 0 {
            // Links printed before the first user was created stop working.
            db::setup::clear(&mut connection)?;
            return Ok(false);
        }
        db::setup::insert(&mut connection, &token_hash, now)?;
        Ok(true)
    })
    .await??;
    if !created {
        return Ok(None);
    }
    let link = format!("{public_url}/setup/{token}");
    // The link is a credential: it goes to standard output for the operator, never to the log.
    println!(
        "No agency exists yet. Open this one-time link to create the first agency and its owner:\n\n    {link}\n"
    );
    tracing::info!("printed a one-time setup link to standard output");
    Ok(Some(link))
}
