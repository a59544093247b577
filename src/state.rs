//! State shared by every request: the pool, the configuration and the clock.

use std::sync::Arc;

use actix_web::web;

use crate::auth::throttle::Throttle;
use crate::auth::{self, CurrentUser, Identity, Owner};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::{DbConnection, Pool};
use crate::domain::Role;
use crate::error::AppError;
use crate::metrics::Metrics;

pub struct AppState {
    pub pool: Pool,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<Metrics>,
    pub throttle: Throttle,
}

impl AppState {
    /// Runs `body` with a pooled connection on the blocking thread pool: one
    /// checkout and one hop for all of a request's queries.
    pub async fn db<T, F>(&self, body: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let metrics = self.metrics.clone();
        web::block(move || {
            metrics.pool_wait(true);
            let connection = pool.get();
            metrics.pool_wait(false);
            let mut connection = connection.map_err(AppError::internal)?;
            body(&mut connection)
        })
        .await
        .map_err(AppError::internal)?
    }

    /// Confirms `identity` and runs `body` as that user, on one connection.
    /// A support user's state-changing request is rejected with 403 here, for
    /// every route.
    pub async fn as_user<T, F>(&self, identity: Identity, body: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection, CurrentUser) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.db(move |connection| {
            let user = auth::authenticate(connection, &identity)?;
            // Support staff may look at everything and change nothing.
            if user.role == Role::Support && !identity.is_safe_method() {
                return Err(AppError::ReadOnly);
            }
            body(connection, user)
        })
        .await
    }

    /// Confirms that `identity` is an agency owner and runs `body` as that owner.
    pub async fn as_owner<T, F>(&self, identity: Identity, body: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection, Owner) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.as_user(identity, move |connection, user| {
            let owner = user.into_owner()?;
            body(connection, owner)
        })
        .await
    }
}
