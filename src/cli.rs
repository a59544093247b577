//! The command line: `serve` (the default), `migrate`, `agency create`,
//! `staff create` and `demo`.

use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use crate::auth::password;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::db::agencies::{self, DEFAULT_SUB_ACCOUNT_LIMIT, NewAgency};
use crate::db::sub_accounts::{self, NewSubAccount};
use crate::db::{self, ActionError};
use crate::domain::{AgencyName, Email, Password, SubAccountName, TaskCount};
use crate::startup::Application;
use crate::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "subaccounts",
    version,
    about = "Share an agency plan's pool of tasks among its sub-accounts.",
    after_help = "Configuration comes from environment variables; see the README for the list."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web dashboard (the default when no command is given).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Manage agencies.
    Agency {
        #[command(subcommand)]
        command: AgencyCommand,
    },
    /// Manage support staff logins.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Create a demo agency with a few sub-accounts and print how to sign in.
    Demo,
    /// Fill the database with many agencies and a year of usage, for
    /// benchmarks. Never run it on a database with real users.
    Seed {
        /// Agencies to create.
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=10_000_000))]
        agencies: i64,
        /// Sub-accounts of each agency.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(i64).range(1..=5))]
        sub_accounts: i64,
        /// Days of daily usage before today, for each automation.
        #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(i64).range(1..=3_650))]
        days: i64,
    },
    /// Write a consistent copy of the SQLite database while it is in use.
    Backup {
        /// File to create; it must not exist yet.
        #[arg(long)]
        output: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum StaffCommand {
    /// Create a support staff login, which can inspect every agency read-only.
    Create {
        /// The staff member's email address, used to sign in.
        #[arg(long)]
        email: String,
        /// Read the password from standard input (required, so it stays out of the shell history).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum AgencyCommand {
    /// Create an agency and its owner's login.
    Create {
        /// Agency name, 1 to 100 characters.
        #[arg(long)]
        name: String,
        /// The owner's email address, used to sign in.
        #[arg(long)]
        owner_email: String,
        /// The plan's task limit per billing period.
        #[arg(long)]
        tasks: String,
        /// How many sub-accounts the plan allows.
        #[arg(long, default_value_t = DEFAULT_SUB_ACCOUNT_LIMIT, value_parser = clap::value_parser!(i32).range(1..=100))]
        sub_account_limit: i32,
        /// Read the owner's password from standard input (required, so it stays out of the shell history).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// Parses the command line, runs the command and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    telemetry::init(&config.log_filter)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => {
            db::connect(&config.database_url, 1)?;
            println!(
                "The {} database is up to date.",
                db::Backend::of_url(&config.database_url).name()
            );
            Ok(())
        }
        Command::Agency {
            command:
                AgencyCommand::Create {
                    name,
                    owner_email,
                    tasks,
                    sub_account_limit,
                    password_stdin: _,
                },
        } => create_agency(&config, &name, &owner_email, &tasks, sub_account_limit),
        Command::Staff {
            command:
                StaffCommand::Create {
                    email,
                    password_stdin: _,
                },
        } => create_staff(&config, &email),
        Command::Demo => demo(&config),
        Command::Seed {
            agencies,
            sub_accounts,
            days,
        } => seed(
            &config,
            crate::seed::Plan {
                agencies,
                sub_accounts_per_agency: sub_accounts,
                days_of_usage: days,
            },
        ),
        Command::Backup { output } => backup(&config, &output),
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let application = Application::build(config, Arc::new(SystemClock)).await?;
        application
            .run_until_stopped()
            .await
            .context("the server failed")
    })
}

/// Reads a password from standard input, without the final line break.
fn read_password_from_stdin() -> anyhow::Result<Password> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("could not read the password from standard input")?;
    let line = input.strip_suffix('\n').unwrap_or(&input);
    let line = line.strip_suffix('\r').unwrap_or(line);
    Password::parse(line).map_err(|error| anyhow::anyhow!("invalid password: {}", error.message))
}

fn create_agency(
    config: &Config,
    name: &str,
    owner_email: &str,
    tasks: &str,
    limit: i32,
) -> anyhow::Result<()> {
    let invalid = |error: crate::domain::FieldError| anyhow::anyhow!("{}", error.message);
    let name = AgencyName::parse(name).map_err(invalid)?;
    let email = Email::parse_field("owner_email", owner_email).map_err(invalid)?;
    let total_tasks = TaskCount::parse_field("tasks", tasks).map_err(invalid)?;
    let owner_password = read_password_from_stdin()?;

    let pool = db::connect(&config.database_url, 1)?;
    let mut connection = pool.get()?;
    let password_hash = password::hash(&owner_password, config.bcrypt_cost)?;
    let agency = NewAgency {
        name: &name,
        total_tasks,
        sub_account_limit: limit,
        owner_email: &email,
        owner_password_hash: &password_hash,
    };
    let (agency_id, _) =
        agencies::create(&mut connection, &agency, SystemClock.now()).map_err(action_error)?;
    println!(
        "Created agency “{}” (id {agency_id}) with owner {}. Sign in at {}/login",
        name.as_str(),
        email.as_str(),
        config.public_url()
    );
    Ok(())
}

fn create_staff(config: &Config, email: &str) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|error| anyhow::anyhow!("{}", error.message))?;
    let staff_password = read_password_from_stdin()?;
    let pool = db::connect(&config.database_url, 1)?;
    let mut connection = pool.get()?;
    let password_hash = password::hash(&staff_password, config.bcrypt_cost)?;
    db::users::create_staff(&mut connection, &email, &password_hash, SystemClock.now())
        .map_err(action_error)?;
    println!(
        "Created support login {}. Sign in at {}/login to search agencies.",
        email.as_str(),
        config.public_url()
    );
    Ok(())
}

fn seed(config: &Config, plan: crate::seed::Plan) -> anyhow::Result<()> {
    let pool = db::connect(&config.database_url, 1)?;
    let mut connection = pool.get()?;
    let seed_password = crate::auth::session::random_token()[..16].to_owned();
    let parsed =
        Password::parse(&seed_password).map_err(|error| anyhow::anyhow!("{}", error.message))?;
    let password_hash = password::hash(&parsed, config.bcrypt_cost)?;
    let started = std::time::Instant::now();
    let seeded = crate::seed::seed(
        &mut connection,
        plan,
        &seed_password,
        &password_hash,
        SystemClock.now(),
    )?;
    tracing::info!(
        agencies = plan.agencies,
        seconds = started.elapsed().as_secs_f64(),
        "seeded the database"
    );
    println!("{}", serde_json::to_string(&seeded)?);
    Ok(())
}

/// Copies the SQLite database with `VACUUM INTO`, which reads one consistent
/// snapshot while the dashboard keeps serving.
fn backup(config: &Config, output: &std::path::Path) -> anyhow::Result<()> {
    use diesel::RunQueryDsl;

    if db::Backend::of_url(&config.database_url) != db::Backend::Sqlite {
        bail!(
            "backup copies SQLite databases; back up PostgreSQL with pg_dump (see docs/DEPLOYMENT.md)"
        );
    }
    if output.exists() {
        bail!(
            "{} already exists; choose a new file name",
            output.display()
        );
    }
    let path = output
        .to_str()
        .context("the output path is not valid UTF-8")?;
    let pool = db::connect(&config.database_url, 1)?;
    let mut connection = pool.get()?;
    // VACUUM INTO writes into an empty file, which keeps the private permissions.
    crate::files::create_private_file(output)
        .with_context(|| format!("could not create {}", output.display()))?;
    let copied = diesel::sql_query("VACUUM INTO $1")
        .bind::<diesel::sql_types::Text, _>(path)
        .execute(&mut *connection);
    if let Err(error) = copied {
        let _ = std::fs::remove_file(output);
        return Err(error)
            .with_context(|| format!("could not write the backup to {}", output.display()));
    }
    println!("Wrote a copy of the database to {}.", output.display());
    Ok(())
}

fn action_error(error: ActionError) -> anyhow::Error {
    match error {
        ActionError::Conflict(errors) | ActionError::Invalid(errors) => anyhow::anyhow!(
            "{}",
            errors
                .into_first()
                .map(|error| error.message)
                .unwrap_or_default()
        ),
        ActionError::NotFound => anyhow::anyhow!("not found"),
        ActionError::Database(error) => anyhow::Error::new(error).context("database query failed"),
    }
}

const DEMO_OWNER: &str = "owner@demo.example";

/// Sub-accounts of the demo agency: name, member email, allocation, consumed, active.
const DEMO_SUB_ACCOUNTS: &[(&str, &str, i64, i64, bool)] = &[
    ("Acme Corp", "acme@demo.example", 3_000, 1_250, true),
    ("Globex", "globex@demo.example", 2_000, 1_900, true),
    ("Initech", "initech@demo.example", 1_500, 400, false),
];

/// Gives a demo sub-account an automation and an API key, and reports
/// `tasks` through the same path as the usage API, so the figures, the
/// usage chart and the alerts agree.
fn demo_usage(
    connection: &mut db::DbConnection,
    sub_account_id: crate::domain::SubAccountId,
    tasks: i64,
    now: chrono::NaiveDateTime,
) -> anyhow::Result<()> {
    let automation = db::automations::create(connection, sub_account_id, "Nightly sync", now)?;
    let key = db::api_keys::generate_key();
    db::api_keys::create(connection, sub_account_id, "Demo key", &key, now)?;
    let owner = db::api_keys::authenticate(connection, &key, now)?
        .context("the demo key was not found after it was stored")?;
    let request = db::usage::ConsumeRequest {
        automation_id: automation.id,
        tasks,
        idempotency_key: None,
    };
    match db::usage::consume(connection, &owner, &request, now) {
        Ok((db::usage::ConsumeResult::Consumed { .. }, _)) => Ok(()),
        Ok((other, _)) => bail!("the demo usage was not consumed: {}", other.outcome()),
        Err(error) => Err(anyhow::Error::new(error).context("could not record the demo usage")),
    }
}

fn demo(config: &Config) -> anyhow::Result<()> {
    let pool = db::connect(&config.database_url, 1)?;
    let mut connection = pool.get()?;
    let now = SystemClock.now();
    let demo_password = crate::auth::session::random_token()[..16].to_owned();
    let demo_password =
        Password::parse(&demo_password).map_err(|error| anyhow::anyhow!("{}", error.message))?;
    let password_hash = password::hash(&demo_password, config.bcrypt_cost)?;

    let owner_email =
        Email::parse(DEMO_OWNER).map_err(|error| anyhow::anyhow!("{}", error.message))?;
    let agency = NewAgency {
        name: &AgencyName::parse("Demo Agency")
            .map_err(|error| anyhow::anyhow!("{}", error.message))?,
        total_tasks: TaskCount::new(10_000).context("demo task total is out of range")?,
        sub_account_limit: DEFAULT_SUB_ACCOUNT_LIMIT,
        owner_email: &owner_email,
        owner_password_hash: &password_hash,
    };
    let (agency_id, _) = match agencies::create(&mut connection, &agency, now) {
        Err(ActionError::Conflict(_)) => bail!(
            "the demo agency already exists; sign in as {DEMO_OWNER} with the password printed when it was created, or use a fresh database"
        ),
        other => other.map_err(action_error)?,
    };
    agencies::consume_main(&mut connection, agency_id, 800).map_err(action_error)?;
    for (name, email, allocated, consumed, active) in DEMO_SUB_ACCOUNTS {
        let name =
            SubAccountName::parse(name).map_err(|error| anyhow::anyhow!("{}", error.message))?;
        let email = Email::parse(email).map_err(|error| anyhow::anyhow!("{}", error.message))?;
        let new = NewSubAccount {
            name: &name,
            email: &email,
            password_hash: &password_hash,
            tasks: TaskCount::new(*allocated).context("demo allocation is out of range")?,
        };
        let (id, _) = sub_accounts::add(&mut connection, agency_id, DEMO_OWNER, &new, now)
            .map_err(action_error)?;
        demo_usage(&mut connection, id, *consumed, now)?;
        if !active {
            sub_accounts::set_active(&mut connection, agency_id, id, false, DEMO_OWNER, now)
                .map_err(action_error)?;
        }
    }
    println!(
        "Created the demo agency. Start the dashboard with `subaccounts serve`, then sign in at {}/login",
        config.public_url()
    );
    println!();
    println!("  owner:   {DEMO_OWNER}");
    for (_, email, ..) in DEMO_SUB_ACCOUNTS {
        println!("  member:  {email}");
    }
    println!("  password for all of them: {}", demo_password.expose());
    Ok(())
}
