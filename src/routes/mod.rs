//! HTTP handlers, one module per area of the site. Templates mirror this
//! layout under `templates/`.
//!
//! Every route is declared once, in the [`routes!`] table below, which both
//! registers it and lists it in [`ROUTES`], so the access-matrix test sees
//! every route the server has.

pub mod account;
pub mod agency;
pub mod health;
pub mod home;
pub mod login;
pub mod setup;
pub mod static_files;
pub mod support;

use actix_web::web;

use crate::error::AppError;

macro_rules! routes {
    (@method GET) => { web::get() };
    (@method POST) => { web::post() };
    (@method DELETE) => { web::delete() };
    ($($method:ident $path:literal => $handler:path),* $(,)?) => {
        /// Every route as (method, path pattern), in registration order.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        /// Registers every route of the dashboard.
        pub fn configure(config: &mut web::ServiceConfig) {
            $(config.route($path, routes!(@method $method).to($handler));)*
            config.default_service(web::to(not_found));
        }
    };
}

routes! {
    GET "/" => home::home,
    GET "/healthz" => health::healthz,
    GET "/static/{file}" => static_files::serve,
    GET "/login" => login::form,
    POST "/login" => login::submit,
    POST "/logout" => login::logout,
    GET "/setup/{token}" => setup::form,
    POST "/setup/{token}" => setup::submit,
    GET "/account" => account::page,
    GET "/account/password" => account::password_form,
    POST "/account/password" => account::change_password,
    GET "/accounts/agency" => agency::pages::agency,
    GET "/accounts/agency/sub-accounts/new" => agency::pages::add_form,
    POST "/accounts/agency/sub-accounts" => agency::actions::add,
    POST "/accounts/agency/sub-accounts/{id}/tasks" => agency::actions::update_tasks,
    POST "/accounts/agency/sub-accounts/{id}/deactivate" => agency::actions::deactivate,
    POST "/accounts/agency/sub-accounts/{id}/activate" => agency::actions::activate,
    GET "/accounts/agency/sub-accounts/{id}/delete" => agency::pages::confirm_delete,
    POST "/accounts/agency/sub-accounts/{id}/delete" => agency::actions::delete,
    DELETE "/accounts/agency/sub-accounts/{id}" => agency::actions::delete,
    GET "/accounts/agency/sub-accounts/{id}/password" => agency::pages::member_password_form,
    POST "/accounts/agency/sub-accounts/{id}/password" => agency::actions::set_member_password,
    GET "/support" => support::search,
    GET "/support/agencies/{id}" => support::agency,
    GET "/support/agencies/{id}/sub-accounts/{sub_account_id}" => support::sub_account,
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
