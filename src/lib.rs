//! subaccounts: a self-hosted dashboard with which an agency shares its plan's
//! pool of tasks among its sub-accounts.
//!
//! Layout: `startup` builds the server from a `config`; `routes` holds the
//! handlers, one module per area of the site; `domain` parses input into
//! valid values and holds the pool's arithmetic; `db` runs every query over
//! SQLite or PostgreSQL; `auth` covers sessions, passwords and CSRF.

pub mod auth;
pub mod chart;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod files;
pub mod format;
pub mod metrics;
pub mod render;
pub mod routes;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
