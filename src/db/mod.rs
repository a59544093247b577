//! Database access: one Diesel code path over SQLite and PostgreSQL.
//!
//! [`DbConnection`] is a Diesel `MultiConnection` over both backends; which one
//! a URL picks is decided by [`Backend::of_url`]. Connections come from an r2d2
//! pool whose manager sets the SQLite pragmas on every new connection. The
//! functions in the submodules take `&mut DbConnection` and return
//! `QueryResult`, so "not found" and "failed" stay apart; callers run them
//! inside `web::block` because every call blocks.

pub mod activity;
pub mod agencies;
pub mod api_keys;
pub mod automations;
pub mod periods;
pub mod schema;
pub mod setup;
pub mod statements;
pub mod sub_accounts;
pub mod usage;
pub mod users;

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::domain::{AgencyId, FieldError, FieldErrors};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a SQLite connection waits for another writer before failing with
/// "database is locked", in milliseconds.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;

/// Size the WAL file is truncated to after a checkpoint: 64 MiB.
const WAL_SIZE_LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// How often [`Checkpointer`] copies the WAL into the database file. Each
/// checkpoint holds up this process's writers while it copies what they wrote
/// since the last one, so short intervals keep that pause short.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(50);

/// Key of the PostgreSQL advisory lock that serialises migrations when several
/// instances start at once. Any constant works as long as it does not change.
const MIGRATION_LOCK_KEY: i64 = 0x5375_6261_6363_7473;

/// A connection to either backend; every query in this crate runs on it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// The database engine behind a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// Picks PostgreSQL for `postgres://` and `postgresql://` URLs and SQLite for anything else.
    pub fn of_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Sqlite => "SQLite",
        }
    }
}

/// Strips an optional `sqlite://` scheme from a SQLite URL, leaving the file path.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").unwrap_or(url)
}

/// Opens connections for the pool. Unlike Diesel's derived `establish`, it
/// picks the backend from the URL first, so a failed connection reports the
/// backend's own error instead of the last one tried.
#[derive(Debug)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
    /// SQLite only: leave WAL checkpoints to [`Checkpointer`] instead of the
    /// writer whose commit crosses the WAL's size limit.
    checkpoint_in_background: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("could not connect to the database: {0}")]
    Connection(#[from] ConnectionError),
    #[error("database query failed: {0}")]
    Query(#[from] DieselError),
}

impl ConnectionManager {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            backend: Backend::of_url(url),
            checkpoint_in_background: false,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn establish(&self) -> Result<DbConnection, ConnectError> {
        match self.backend {
            Backend::Postgres => {
                let mut connection = PgConnection::establish(&self.url)?;
                // Each query here reads a few rows by index. With stale
                // statistics the planner's estimates can pass jit_above_cost,
                // and compiling the plan then takes far longer than the query.
                connection.batch_execute("SET jit = off")?;
                Ok(DbConnection::Postgres(connection))
            }
            Backend::Sqlite => {
                let mut connection = SqliteConnection::establish(sqlite_path(&self.url))?;
                // busy_timeout comes first so that switching to WAL also waits for other writers.
                connection.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES};"
                ))?;
                if self.checkpoint_in_background {
                    connection.batch_execute("PRAGMA wal_autocheckpoint = 0;")?;
                }
                Ok(DbConnection::Sqlite(connection))
            }
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConnection, ConnectError> {
        self.establish()
    }

    fn is_valid(&self, connection: &mut DbConnection) -> Result<(), ConnectError> {
        connection
            .batch_execute("SELECT 1")
            .map_err(ConnectError::from)
    }

    fn has_broken(&self, connection: &mut DbConnection) -> bool {
        std::thread::panicking()
            || <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(
                connection,
            )
    }
}

/// Creates the SQLite file's folder if needed, checks that the database is
/// reachable, runs pending migrations and returns a pool of `size` connections.
pub fn connect(url: &str, size: u32) -> anyhow::Result<Pool> {
    connect_with(ConnectionManager::new(url), size)
}

/// Like [`connect`], for the server: SQLite connections leave WAL
/// checkpoints to a [`Checkpointer`], so no request waits for one.
pub fn connect_for_serving(url: &str, size: u32) -> anyhow::Result<Pool> {
    let mut manager = ConnectionManager::new(url);
    manager.checkpoint_in_background = true;
    connect_with(manager, size)
}

fn connect_with(manager: ConnectionManager, size: u32) -> anyhow::Result<Pool> {
    let url = manager.url.clone();
    let url = url.as_str();
    let backend = manager.backend();
    if backend == Backend::Sqlite {
        let path = Path::new(sqlite_path(url));
        if let Some(folder) = path
            .parent()
            .filter(|folder| !folder.as_os_str().is_empty())
        {
            crate::files::create_private_folder(folder).with_context(|| {
                format!("could not create the database folder {}", folder.display())
            })?;
        }
        // SQLite gives its -wal and -shm files the database file's
        // permissions, so creating it first keeps all three private.
        let in_memory = path.as_os_str() == ":memory:" || sqlite_path(url).starts_with("file:");
        if !in_memory {
            match crate::files::create_private_file(path) {
                Ok(_) => {}
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(error) => {
                    return Err(error).with_context(|| {
                        format!("could not create the database file {}", path.display())
                    });
                }
            }
        }
    }

    // One direct connection first: r2d2 would only report a timeout.
    let mut connection = manager
        .establish()
        .with_context(|| format!("could not open the {} database", backend.name()))?;
    run_migrations(&mut connection)?;
    drop(connection);

    r2d2::Pool::builder()
        .max_size(size)
        .connection_timeout(Duration::from_secs(10))
        .build(manager)
        .context("could not fill the database connection pool")
}

/// A thread that copies SQLite's WAL into the database file at a steady pace.
///
/// Under a steady stream of commits a checkpoint never catches up with the
/// writers, and then the WAL is never reused and grows without bound (it
/// reached 500 MB in a 10-second benchmark). This thread takes the writers'
/// mutex for each checkpoint, so it copies every frame, and the next commit
/// starts the WAL from its beginning. It stops when the handle is dropped.
pub struct Checkpointer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Checkpointer {
    /// Starts checkpointing the SQLite database at `url`; other backends need none.
    pub fn start(url: &str) -> anyhow::Result<Option<Self>> {
        if Backend::of_url(url) != Backend::Sqlite {
            return Ok(None);
        }
        let mut connection = ConnectionManager::new(url).establish()?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || {
                while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(CHECKPOINT_INTERVAL);
                    let _writers = SQLITE_WRITER
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                    if let Err(error) = connection.batch_execute("PRAGMA wal_checkpoint(PASSIVE);")
                    {
                        tracing::warn!(%error, "WAL checkpoint failed; the next one retries");
                    }
                }
            })
            .context("could not start the WAL checkpoint thread")?;
        Ok(Some(Self { stop }))
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Applies the migrations that have not run yet. On PostgreSQL an advisory lock
/// makes instances that start together apply them one at a time.
pub fn run_migrations(connection: &mut DbConnection) -> anyhow::Result<()> {
    let applied = match connection {
        DbConnection::Sqlite(sqlite) => sqlite
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|versions| versions.len()),
        DbConnection::Postgres(postgres) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .execute(postgres)?;
            let applied = postgres
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|versions| versions.len());
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                .execute(postgres)?;
            applied
        }
    }
    .map_err(|error| anyhow::anyhow!("database migration failed: {error}"))?;
    if applied > 0 {
        tracing::info!(count = applied, "applied database migrations");
    }
    Ok(())
}

/// True when the database lacks migrations that this build embeds.
pub fn pending_migrations(connection: &mut DbConnection) -> anyhow::Result<bool> {
    let pending = match connection {
        DbConnection::Sqlite(sqlite) => sqlite.has_pending_migration(SQLITE_MIGRATIONS),
        DbConnection::Postgres(postgres) => postgres.has_pending_migration(POSTGRES_MIGRATIONS),
    };
    pending.map_err(|error| anyhow::anyhow!("could not read the applied migrations: {error}"))
}

/// Which lock a write transaction takes before it reads anything.
#[derive(Debug, Clone, Copy)]
pub enum Lock {
    /// The whole database: SQLite's write lock, or on PostgreSQL no row lock
    /// (for writes whose conflicts a unique index catches).
    Database,
    /// One agency's data. SQLite has only the database-wide write lock; on
    /// PostgreSQL this locks the agency's row, and every change to the agency's
    /// sub-accounts takes that lock first, so the changes run one at a time.
    Agency(AgencyId),
}

/// Runs `body` in a transaction that holds `lock` from its first statement, so
/// what `body` reads cannot change before it writes. SQLite starts the
/// transaction with `BEGIN IMMEDIATE`; PostgreSQL locks the agency row with
/// `SELECT … FOR NO KEY UPDATE`. A missing agency is `Err(NotFound)`.
pub fn write_transaction<T, E>(
    connection: &mut DbConnection,
    lock: Lock,
    body: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<DieselError>,
{
    // SQLite has one writer at a time, and its busy handler waits for the
    // write lock by sleeping up to 100 ms at a time, so under load requests
    // would sleep long after the lock is free. Writers of this process queue
    // on a mutex instead; the busy timeout remains for other processes.
    let _writer = match connection {
        DbConnection::Sqlite(_) => Some(
            SQLITE_WRITER
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        ),
        DbConnection::Postgres(_) => None,
    };
    match connection {
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(postgres) => AnsiTransactionManager::begin_transaction(postgres)?,
    }
    finish_transaction(connection, |connection| {
        lock_rows(connection, lock)?;
        body(connection)
    })
}

/// Serialises this process's SQLite write transactions. One mutex serves
/// every SQLite database of the process: a deployment has one, and tests
/// with several only wait a little longer.
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `body` in a read-only transaction that sees one snapshot of the data,
/// so figures computed from several queries agree with each other.
pub fn read_transaction<T, E>(
    connection: &mut DbConnection,
    body: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<DieselError>,
{
    match connection {
        // A deferred SQLite transaction in WAL mode reads from one snapshot.
        DbConnection::Sqlite(sqlite) => AnsiTransactionManager::begin_transaction(sqlite)?,
        DbConnection::Postgres(postgres) => AnsiTransactionManager::begin_transaction_sql(
            postgres,
            "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        )?,
    }
    finish_transaction(connection, body)
}

/// Runs `body` inside the transaction the caller began, then commits it on
/// success or rolls it back on error.
fn finish_transaction<T, E>(
    connection: &mut DbConnection,
    body: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<DieselError>,
{
    type Manager = <DbConnection as Connection>::TransactionManager;
    match body(connection) {
        Ok(value) => {
            Manager::commit_transaction(connection)?;
            Ok(value)
        }
        Err(error) => {
            Manager::rollback_transaction(connection)?;
            Err(error)
        }
    }
}

fn lock_rows(connection: &mut DbConnection, lock: Lock) -> QueryResult<()> {
    let Lock::Agency(agency_id) = lock else {
        return Ok(());
    };
    let locked_rows = match connection {
        // NO KEY UPDATE serialises the agency's changes like FOR UPDATE, but
        // it lets consumption insert rows that reference the agency (a
        // foreign key check takes KEY SHARE on it). With FOR UPDATE, an owner
        // action and a consumption on the same sub-account deadlocked.
        DbConnection::Postgres(postgres) => {
            diesel::sql_query("SELECT id FROM agencies WHERE id = $1 FOR NO KEY UPDATE")
                .bind::<diesel::sql_types::BigInt, _>(agency_id.0)
                .execute(postgres)?
        }
        // BEGIN IMMEDIATE already holds the database's write lock; this only checks that the agency exists.
        DbConnection::Sqlite(_) => schema::agencies::table
            .filter(schema::agencies::id.eq(agency_id))
            .count()
            .get_result::<i64>(connection)? as usize,
    };
    if locked_rows == 1 {
        Ok(())
    } else {
        Err(DieselError::NotFound)
    }
}

/// Why a change to an agency was not made.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The agency or sub-account does not exist, or belongs to another agency.
    #[error("not found")]
    NotFound,
    /// The change breaks a rule of the task pool; the message names the field
    /// and the allowed values. Nothing was stored.
    #[error("conflict with the pool's rules")]
    Conflict(FieldErrors),
    /// The input does not parse; each message names its field. Nothing was stored.
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("database query failed")]
    Database(#[source] DieselError),
}

impl From<DieselError> for ActionError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => Self::NotFound,
            other => Self::Database(other),
        }
    }
}

impl ActionError {
    /// A conflict on one field.
    pub fn conflict(field: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict(FieldError::new(field, message).into())
    }

    /// Maps a unique-index violation on insert to the "email already used"
    /// conflict on `field`: the losing side of two inserts racing for one email.
    pub fn or_email_taken(error: DieselError, field: &'static str) -> Self {
        if is_unique_violation(&error) {
            agencies::email_taken(field)
        } else {
            error.into()
        }
    }
}

/// True when `error` comes from a unique index.
pub fn is_unique_violation(error: &DieselError) -> bool {
    matches!(
        error,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Pings the database through the pool: the health check's only database work.
pub fn ping(connection: &mut DbConnection) -> QueryResult<()> {
    connection.batch_execute("SELECT 1")
}
