//! Configuration: built-in defaults, overridden by environment variables.
//!
//! The defaults run the dashboard on 127.0.0.1:8080 with a SQLite database
//! under `data/`, so no configuration is needed to try it. Every variable that
//! starts with `SUBACCOUNTS_` must be one of [`VARIABLES`]; an unknown one is an
//! error that names the closest known variable, so a typo is never ignored.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};

const PREFIX: &str = "SUBACCOUNTS_";

/// Every environment variable the dashboard reads, with its meaning and default,
/// as the README documents them.
pub const VARIABLES: &[(&str, &str)] = &[
    (
        "DATABASE_URL",
        "`postgres://…` for PostgreSQL; anything else is a SQLite file path (default: `<data dir>/subaccounts.sqlite3`)",
    ),
    (
        "SUBACCOUNTS_ADDRESS",
        "address and port to listen on (default: 127.0.0.1:8080)",
    ),
    (
        "SUBACCOUNTS_DATA_DIR",
        "folder for the SQLite database and the generated session key (default: data)",
    ),
    (
        "SUBACCOUNTS_SESSION_KEY",
        "base64 of at least 64 random bytes that sign and encrypt session cookies (default: generated and kept in `<data dir>/session.key`)",
    ),
    (
        "SUBACCOUNTS_BCRYPT_COST",
        "bcrypt cost factor for new password hashes, 4 to 31 (default: 12)",
    ),
    (
        "SUBACCOUNTS_SECURE_COOKIES",
        "true to mark cookies Secure, for a dashboard served over HTTPS (default: false)",
    ),
    (
        "SUBACCOUNTS_HTTPS",
        "true when users reach the dashboard over HTTPS, through a TLS proxy: cookies are Secure and responses carry HSTS (default: false)",
    ),
    (
        "SUBACCOUNTS_TRUST_PROXY",
        "true to take the client address for sign-in throttling from the last X-Forwarded-For entry, which a trusted reverse proxy appends (default: false, the peer address)",
    ),
    (
        "SUBACCOUNTS_METRICS_TOKEN",
        "bearer token that GET /metrics requires; without it /metrics is open, so block it at the proxy (default: none)",
    ),
    (
        "SUBACCOUNTS_POOL_SIZE",
        "database connections in the pool (default: 10)",
    ),
    (
        "SUBACCOUNTS_WORKERS",
        "HTTP worker threads (default: one per CPU core)",
    ),
    (
        "SUBACCOUNTS_PUBLIC_URL",
        "base URL printed in links, such as the first-run setup link (default: http://<address>)",
    ),
    (
        "SUBACCOUNTS_SESSION_IDLE_MINUTES",
        "minutes without a request after which a session ends (default: 720, 12 hours)",
    ),
    (
        "SUBACCOUNTS_LOG",
        "log filter in tracing-subscriber's EnvFilter syntax (default: info)",
    ),
];

/// A secret setting. Its `Debug` output hides the value so configuration can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The dashboard's settings. See [`VARIABLES`] for what each one means.
#[derive(Debug, Clone)]
pub struct Config {
    pub address: String,
    pub database_url: String,
    pub data_dir: PathBuf,
    pub session_key: Option<Secret>,
    pub bcrypt_cost: u32,
    pub secure_cookies: bool,
    pub https: bool,
    pub trust_proxy: bool,
    pub metrics_token: Option<Secret>,
    pub pool_size: u32,
    pub workers: usize,
    pub public_url: Option<String>,
    pub session_idle_timeout: Duration,
    pub log_filter: String,
}

impl Default for Config {
    fn default() -> Self {
        let data_dir = PathBuf::from("data");
        Self {
            address: "127.0.0.1:8080".to_owned(),
            database_url: data_dir.join("subaccounts.sqlite3").display().to_string(),
            data_dir,
            session_key: None,
            bcrypt_cost: 12,
            secure_cookies: false,
            https: false,
            trust_proxy: false,
            metrics_token: None,
            pool_size: 10,
            workers: std::thread::available_parallelism().map_or(2, usize::from),
            public_url: None,
            session_idle_timeout: Duration::from_secs(12 * 60 * 60),
            log_filter: "info".to_owned(),
        }
    }
}

impl Config {
    /// Reads the configuration from this process's environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_vars(std::env::vars())
    }

    /// Builds the configuration from the defaults and `vars`, rejecting unknown
    /// `SUBACCOUNTS_` variables and values that do not parse.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> anyhow::Result<Self> {
        let vars: BTreeMap<String, String> = vars
            .into_iter()
            .filter(|(name, _)| name.starts_with(PREFIX) || name == "DATABASE_URL")
            .collect();
        for name in vars.keys() {
            if !VARIABLES.iter().any(|(known, _)| known == name) {
                bail!(
                    "unknown environment variable {name}; did you mean {}?",
                    closest_variable(name)
                );
            }
        }

        let mut config = Self::default();
        if let Some(dir) = vars.get("SUBACCOUNTS_DATA_DIR") {
            config.data_dir = PathBuf::from(dir);
            config.database_url = config
                .data_dir
                .join("subaccounts.sqlite3")
                .display()
                .to_string();
        }
        if let Some(url) = vars.get("DATABASE_URL") {
            if url.trim().is_empty() {
                bail!("DATABASE_URL is empty; unset it for the SQLite default or give a URL");
            }
            config.database_url = url.clone();
        }
        if let Some(address) = vars.get("SUBACCOUNTS_ADDRESS") {
            config.address = address.clone();
        }
        if let Some(key) = vars.get("SUBACCOUNTS_SESSION_KEY") {
            config.session_key = Some(Secret::new(key.clone()));
        }
        if let Some(cost) = vars.get("SUBACCOUNTS_BCRYPT_COST") {
            config.bcrypt_cost = parse_number("SUBACCOUNTS_BCRYPT_COST", cost, 4, 31)?;
        }
        if let Some(secure) = vars.get("SUBACCOUNTS_SECURE_COOKIES") {
            config.secure_cookies = parse_bool("SUBACCOUNTS_SECURE_COOKIES", secure)?;
        }
        if let Some(https) = vars.get("SUBACCOUNTS_HTTPS") {
            config.https = parse_bool("SUBACCOUNTS_HTTPS", https)?;
        }
        if let Some(trust) = vars.get("SUBACCOUNTS_TRUST_PROXY") {
            config.trust_proxy = parse_bool("SUBACCOUNTS_TRUST_PROXY", trust)?;
        }
        if let Some(token) = vars.get("SUBACCOUNTS_METRICS_TOKEN") {
            if token.trim().is_empty() {
                bail!("SUBACCOUNTS_METRICS_TOKEN is empty; unset it or give a token");
            }
            config.metrics_token = Some(Secret::new(token.clone()));
        }
        if let Some(size) = vars.get("SUBACCOUNTS_POOL_SIZE") {
            config.pool_size = parse_number("SUBACCOUNTS_POOL_SIZE", size, 1, 1_000)?;
        }
        if let Some(workers) = vars.get("SUBACCOUNTS_WORKERS") {
            config.workers = parse_number("SUBACCOUNTS_WORKERS", workers, 1, 1_024)?;
        }
        if let Some(url) = vars.get("SUBACCOUNTS_PUBLIC_URL") {
            config.public_url = Some(parse_public_url(url)?);
        }
        if let Some(minutes) = vars.get("SUBACCOUNTS_SESSION_IDLE_MINUTES") {
            let minutes: u64 =
                parse_number("SUBACCOUNTS_SESSION_IDLE_MINUTES", minutes, 1, 525_600)?;
            config.session_idle_timeout = Duration::from_secs(minutes * 60);
        }
        if let Some(filter) = vars.get("SUBACCOUNTS_LOG") {
            config.log_filter = filter.clone();
        }
        Ok(config)
    }

    /// True when cookies must carry the `Secure` flag.
    pub fn cookies_secure(&self) -> bool {
        self.secure_cookies || self.https
    }

    /// Base URL for links printed outside a request, such as the setup link.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.address))
    }
}

fn parse_number<T>(name: &str, value: &str, min: T, max: T) -> anyhow::Result<T>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let number: T = value.trim().parse().ok().with_context(|| {
        format!("invalid {name} \"{value}\": expected a whole number from {min} to {max}")
    })?;
    if number < min || number > max {
        bail!("invalid {name} {number}: expected a whole number from {min} to {max}");
    }
    Ok(number)
}

/// Returns the public URL without a trailing slash after checking that it is a
/// scheme and a host, because the CSRF check compares request origins with its
/// host and a path would never match.
fn parse_public_url(value: &str) -> anyhow::Result<String> {
    let url = value.trim().trim_end_matches('/');
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match host {
        Some(host)
            if !host.is_empty()
                && !host.contains(['/', '?', '#', '@'])
                && !host.contains(char::is_whitespace) =>
        {
            Ok(url.to_owned())
        }
        _ => bail!(
            "invalid SUBACCOUNTS_PUBLIC_URL \"{value}\": expected the address users open, a scheme and a host such as https://dashboard.example.com, with no path"
        ),
    }
}

fn parse_bool(name: &str, value: &str) -> anyhow::Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => bail!("invalid {name} \"{value}\": expected true or false"),
    }
}

fn closest_variable(name: &str) -> &'static str {
    // Other servers name the listening address after one of its parts.
    let listening = ["PORT", "HOST", "BIND", "LISTEN"];
    if name.split('_').any(|word| listening.contains(&word)) {
        return "SUBACCOUNTS_ADDRESS";
    }
    VARIABLES
        .iter()
        .map(|(known, _)| *known)
        .min_by_key(|known| edit_distance(name, known))
        .unwrap_or("DATABASE_URL")
}

/// Levenshtein distance between two ASCII-ish strings, counted in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn config_defaults_without_variables() {
        let config = Config::from_vars(vars(&[("HOME", "/root")])).unwrap();
        assert_eq!(config.address, "127.0.0.1:8080");
        assert_eq!(config.database_url, "data/subaccounts.sqlite3");
        assert_eq!(config.bcrypt_cost, 12);
        assert!(!config.secure_cookies);
        assert_eq!(config.session_idle_timeout, Duration::from_secs(43_200));
    }

    #[test]
    fn config_reads_variables() {
        let config = Config::from_vars(vars(&[
            ("DATABASE_URL", "postgres://postgres@127.0.0.1/app"),
            ("SUBACCOUNTS_BCRYPT_COST", "4"),
            ("SUBACCOUNTS_SECURE_COOKIES", "true"),
            ("SUBACCOUNTS_SESSION_IDLE_MINUTES", "30"),
        ]))
        .unwrap();
        assert_eq!(config.database_url, "postgres://postgres@127.0.0.1/app");
        assert_eq!(config.bcrypt_cost, 4);
        assert!(config.secure_cookies);
        assert_eq!(config.session_idle_timeout, Duration::from_secs(1_800));
    }

    #[test]
    fn config_public_url_needs_scheme_and_host() {
        let accepted = Config::from_vars(vars(&[(
            "SUBACCOUNTS_PUBLIC_URL",
            "https://dashboard.example.com:8443/",
        )]))
        .unwrap();
        assert_eq!(
            accepted.public_url.as_deref(),
            Some("https://dashboard.example.com:8443")
        );
        for invalid in [
            "notaurl",
            "https://",
            "ftp://x.example",
            "https://x.example/app",
        ] {
            let error =
                Config::from_vars(vars(&[("SUBACCOUNTS_PUBLIC_URL", invalid)])).unwrap_err();
            assert!(
                error
                    .to_string()
                    .contains("expected the address users open"),
                "{invalid}: {error}"
            );
        }
    }

    #[test]
    fn config_data_dir_moves_default_database() {
        let config =
            Config::from_vars(vars(&[("SUBACCOUNTS_DATA_DIR", "/var/lib/subaccounts")])).unwrap();
        assert_eq!(
            config.database_url,
            "/var/lib/subaccounts/subaccounts.sqlite3"
        );
    }

    #[test]
    fn config_unknown_port_variable_names_address() {
        let error = Config::from_vars(vars(&[("SUBACCOUNTS_PORT", "8080")])).unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("did you mean SUBACCOUNTS_ADDRESS?"),
            "{error}"
        );
    }

    #[test]
    fn config_unknown_variable_names_closest() {
        let error = Config::from_vars(vars(&[("SUBACCOUNTS_BCRYPT_COSTS", "4")])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown environment variable SUBACCOUNTS_BCRYPT_COSTS; did you mean SUBACCOUNTS_BCRYPT_COST?"
        );
    }

    #[test]
    fn config_out_of_range_value_is_rejected() {
        let error = Config::from_vars(vars(&[("SUBACCOUNTS_BCRYPT_COST", "40")])).unwrap_err();
        assert!(error.to_string().contains("from 4 to 31"), "{error}");
        let error =
            Config::from_vars(vars(&[("SUBACCOUNTS_SECURE_COOKIES", "maybe")])).unwrap_err();
        assert!(
            error.to_string().contains("expected true or false"),
            "{error}"
        );
    }

    #[test]
    fn secret_debug_hides_value() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(..)");
    }
}
