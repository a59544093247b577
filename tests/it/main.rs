//! Integration tests: each test starts the real server on port 0 with a fresh
//! database, once on SQLite and once on PostgreSQL, and talks to it over HTTP.
//!
//! PostgreSQL tests create a database per test on the server named by
//! `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432`) and drop
//! it afterwards.

// A test reports an unexpected failure by panicking, so helpers may `expect`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod access;
mod agency_actions;
mod bad_input;
mod cli;
mod concurrency;
mod members;
mod periods;
mod processes;
mod security;
mod sessions;
mod setup;
mod support;
mod usage_api;
