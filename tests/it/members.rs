//! Members' own page, and password changes by members and owners.

use reqwest::StatusCode;

use crate::helpers::{Backend, MEMBER_PASSWORD, OWNER_PASSWORD, TestApp};
use crate::on_both_backends;

on_both_backends!(
    member_page_shows_own_tasks,
    member_page_explains_deactivation,
    member_changes_password,
    password_change_rejects_bad_input,
    owner_changes_own_password,
    owner_sets_member_password,
    owner_cannot_set_other_agency_password,
);

async fn member_page_shows_own_tasks(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 2_000).await;
    owner.add_ok("Client B", "b@example.com", 3_000).await;
    assert!(app.consume(id, 500));
    let mut member = app.client();
    member.sign_in("a@example.com", MEMBER_PASSWORD).await;

    let page = member.get("/account").await;

    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("h1").as_deref(), Some("Client A"));
    assert_eq!(page.figure("status"), "Active");
    assert_eq!(page.figure("allocated"), "2000");
    assert_eq!(page.figure("consumed"), "500");
    assert_eq!(page.figure("remaining"), "1500");
    assert_eq!(page.attribute("meter", "value").as_deref(), Some("500"));
    assert!(
        !page.body.contains("Client B"),
        "nothing of other sub-accounts"
    );
    assert!(!page.body.contains("b@example.com"));
    assert!(
        !page.body.contains("total-tasks"),
        "nothing of the agency's figures"
    );
    assert_eq!(page.count("a[href='/accounts/agency']"), 0);
}

async fn member_page_explains_deactivation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 2_000).await;
    owner
        .post(
            &format!("/accounts/agency/sub-accounts/{id}/deactivate"),
            &[],
        )
        .await;
    let mut member = app.client();

    member.sign_in("a@example.com", MEMBER_PASSWORD).await;
    let page = member.get("/account").await;

    assert_eq!(
        page.status,
        StatusCode::OK,
        "an inactive member can still sign in"
    );
    assert_eq!(page.figure("status"), "Inactive");
    let notice = page.text(".notice").expect("notice");
    assert!(notice.contains("Your agency deactivated it on"), "{notice}");
    assert!(notice.contains("UTC"), "{notice}");
    assert!(page.attribute(".notice time", "datetime").is_some());
}

async fn member_changes_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    owner.add_ok("Client A", "a@example.com", 2_000).await;
    let mut member = app.client();
    member.sign_in("a@example.com", MEMBER_PASSWORD).await;
    let mut other_session = app.client();
    other_session
        .sign_in("a@example.com", MEMBER_PASSWORD)
        .await;

    member.get("/account/password").await;
    let changed = member
        .post(
            "/account/password",
            &[
                ("current_password", MEMBER_PASSWORD),
                ("new_password", "a brand new secret"),
                ("new_password_confirmation", "a brand new secret"),
            ],
        )
        .await;

    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    let page = member.get("/account").await;
    assert_eq!(page.status, StatusCode::OK, "this session stays signed in");
    assert!(
        page.text("#flash")
            .unwrap_or_default()
            .contains("password was changed")
    );
    assert_eq!(
        other_session.get("/account").await.status,
        StatusCode::FOUND,
        "other sessions end"
    );
    let mut fresh = app.client();
    assert_eq!(
        fresh
            .try_sign_in("a@example.com", MEMBER_PASSWORD)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        fresh
            .try_sign_in("a@example.com", "a brand new secret")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

async fn password_change_rejects_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    owner.get("/account/password").await;
    let long = "é".repeat(37);
    let cases = [
        (
            "wrong current",
            "not my password",
            "new secret 123",
            "new secret 123",
            "current_password",
            "current password is wrong",
        ),
        (
            "short",
            OWNER_PASSWORD,
            "short",
            "short",
            "new_password",
            "at least 8 bytes",
        ),
        (
            "long",
            OWNER_PASSWORD,
            long.as_str(),
            long.as_str(),
            "new_password",
            "at most 72 bytes",
        ),
        (
            "mismatch",
            OWNER_PASSWORD,
            "new secret 123",
            "new secret 124",
            "new_password_confirmation",
            "differ",
        ),
    ];

    for (case, current, new, confirmation, field, expected) in cases {
        let page = owner
            .post(
                "/account/password",
                &[
                    ("current_password", current),
                    ("new_password", new),
                    ("new_password_confirmation", confirmation),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{case}");
        let message = page
            .text(&format!("#password-{field}-error"))
            .unwrap_or_else(|| panic!("{case}: {}", page.body));
        assert!(message.contains(expected), "{case}: {message}");
    }
    let mut fresh = app.client();
    fresh.sign_in("owner@example.com", OWNER_PASSWORD).await;
}

async fn owner_changes_own_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let page = owner.get("/account/password").await;
    assert_eq!(page.status, StatusCode::OK);

    let changed = owner
        .post(
            "/account/password",
            &[
                ("current_password", OWNER_PASSWORD),
                ("new_password", "owner's new secret"),
                ("new_password_confirmation", "owner's new secret"),
            ],
        )
        .await;

    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert_eq!(owner.get("/").await.location(), Some("/accounts/agency"));
    let mut fresh = app.client();
    fresh
        .sign_in("owner@example.com", "owner's new secret")
        .await;
}

async fn owner_sets_member_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 2_000).await;
    let mut member = app.client();
    member.sign_in("a@example.com", MEMBER_PASSWORD).await;

    let form = owner
        .get(&format!("/accounts/agency/sub-accounts/{id}/password"))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text("h1").unwrap_or_default().contains("Client A"));
    let mismatch = owner
        .post(
            &format!("/accounts/agency/sub-accounts/{id}/password"),
            &[
                ("new_password", "reset password 1"),
                ("new_password_confirmation", "other"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        mismatch
            .text("#member-new_password_confirmation-error")
            .is_some()
    );
    assert_eq!(
        member.get("/account").await.status,
        StatusCode::OK,
        "a rejected reset changes nothing"
    );

    let set = owner
        .post(
            &format!("/accounts/agency/sub-accounts/{id}/password"),
            &[
                ("new_password", "reset password 1"),
                ("new_password_confirmation", "reset password 1"),
            ],
        )
        .await;

    assert_eq!(set.status, StatusCode::SEE_OTHER);
    assert_eq!(
        member.get("/account").await.status,
        StatusCode::FOUND,
        "the member's session ends"
    );
    let mut fresh = app.client();
    assert_eq!(
        fresh
            .try_sign_in("a@example.com", MEMBER_PASSWORD)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    fresh.sign_in("a@example.com", "reset password 1").await;
    let actions = app.activity_actions(agency_id);
    assert_eq!(actions[0].0, "sub_account.member_password_set");
    let page = owner.agency_page().await;
    assert!(
        page.text("#activity li")
            .unwrap_or_default()
            .contains("set a new password for the member of “Client A”")
    );
}

async fn owner_cannot_set_other_agency_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner_a) = app
        .owner_of_new_agency("a-owner@example.com", 10_000, 5)
        .await;
    let id = owner_a.add_ok("Client A", "a@example.com", 2_000).await;
    let (_, mut owner_b) = app
        .owner_of_new_agency("b-owner@example.com", 10_000, 5)
        .await;
    owner_b.agency_page().await;

    let form = owner_b
        .get(&format!("/accounts/agency/sub-accounts/{id}/password"))
        .await;
    let set = owner_b
        .post(
            &format!("/accounts/agency/sub-accounts/{id}/password"),
            &[
                ("new_password", "hijack password"),
                ("new_password_confirmation", "hijack password"),
            ],
        )
        .await;

    assert_eq!(form.status, StatusCode::NOT_FOUND);
    assert_eq!(set.status, StatusCode::NOT_FOUND);
    let mut member = app.client();
    member.sign_in("a@example.com", MEMBER_PASSWORD).await;
}

mod pages {
    use reqwest::StatusCode;

    use crate::helpers::{Backend, MEMBER_PASSWORD, TestApp};
    use crate::on_both_backends;

    on_both_backends!(
        member_manages_automations_and_keys,
        owner_manages_member_keys,
        inactive_member_cannot_resume,
    );

    async fn member_manages_automations_and_keys(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (_, mut owner) = app
            .owner_of_new_agency("owner@example.com", 10_000, 5)
            .await;
        owner.add_ok("Client A", "a@example.com", 2_000).await;
        let mut member = app.client();
        member.sign_in("a@example.com", MEMBER_PASSWORD).await;
        member.get("/account").await;

        let blank = member.post("/account/automations", &[("name", "  ")]).await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            blank.text("#automation-name-error").as_deref(),
            Some("Name is required.")
        );
        let created = member
            .post("/account/automations", &[("name", "Invoice sync")])
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER);
        let page = member.get("/account").await;
        assert_eq!(
            page.text("#flash").as_deref(),
            Some("Created the automation “Invoice sync” (running).")
        );
        let row = page.attribute("tr[id^=automation-]", "id").expect("a row");
        let automation: i64 = row.trim_start_matches("automation-").parse().expect("id");
        assert_eq!(
            page.text(&format!("#{row} td:nth-child(3)")).as_deref(),
            Some("Running")
        );
        member
            .post(&format!("/account/automations/{automation}/pause"), &[])
            .await;
        assert_eq!(
            member
                .get("/account")
                .await
                .text(&format!("#{row} td:nth-child(3)"))
                .as_deref(),
            Some("Paused")
        );
        member
            .post(&format!("/account/automations/{automation}/resume"), &[])
            .await;

        let with_key = member
            .post("/account/api-keys", &[("name", "CRM sync")])
            .await;
        assert_eq!(
            with_key.status,
            StatusCode::OK,
            "the new key is shown on the page"
        );
        let secret = with_key.text("#new-api-key").expect("the key");
        assert!(secret.starts_with("sa_"), "{secret}");
        let used = app.api(&secret).consume(automation, 3, None).await;
        assert_eq!(used.status, StatusCode::OK);
        let page = member.get("/account").await;
        assert!(!page.body.contains(&secret), "shown once only");
        assert!(
            page.body.contains(&secret[..10]),
            "its first characters identify it"
        );
        assert_eq!(page.figure("consumed"), "3");
        let key_row = page.attribute("tr[id^=api-key-]", "id").expect("a key row");
        assert!(
            page.text(&format!("#{key_row} td:nth-child(4)"))
                .unwrap_or_default()
                .contains("UTC"),
            "last used"
        );

        let revoked = member
            .post(
                &format!("/account/{}/revoke", key_row.replacen("-key-", "-keys/", 1)),
                &[],
            )
            .await;
        assert_eq!(revoked.status, StatusCode::SEE_OTHER);
        assert_eq!(
            app.api(&secret).consume(automation, 1, None).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            member
                .get("/account")
                .await
                .text(&format!("#{key_row} td:nth-child(5)"))
                .as_deref(),
            Some("Revoked")
        );
    }

    async fn owner_manages_member_keys(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (_, mut owner) = app
            .owner_of_new_agency("owner@example.com", 10_000, 5)
            .await;
        let id = owner.add_ok("Client A", "a@example.com", 2_000).await;
        app.create_automation(id, "Sync");

        let page = owner
            .get(&format!("/accounts/agency/sub-accounts/{id}"))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.text("h1").as_deref(), Some("Client A"));
        assert_eq!(
            page.count("form[action$='/automations']"),
            0,
            "members manage automations"
        );
        assert_eq!(page.count("button[aria-label^=Pause]"), 0);
        let created = owner
            .post(
                &format!("/accounts/agency/sub-accounts/{id}/api-keys"),
                &[("name", "Agency tool")],
            )
            .await;
        assert_eq!(created.status, StatusCode::OK);
        let secret = created.text("#new-api-key").expect("the key");
        assert_eq!(
            app.api(&secret).get("/api/v1/usage").await.json["sub_account"]["id"],
            id.0
        );

        let mut member = app.client();
        member.sign_in("a@example.com", MEMBER_PASSWORD).await;
        assert!(
            member.get("/account").await.body.contains("Agency tool"),
            "the member sees the owner's key"
        );
        let agency = owner.agency_page().await;
        assert_eq!(
            agency.attribute(&format!("#sub-account-{id} th a"), "href"),
            Some(format!("/accounts/agency/sub-accounts/{id}"))
        );
    }

    async fn inactive_member_cannot_resume(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (_, mut owner) = app
            .owner_of_new_agency("owner@example.com", 10_000, 5)
            .await;
        let id = owner.add_ok("Client A", "a@example.com", 2_000).await;
        let automation = app.create_automation(id, "Sync");
        owner
            .post(
                &format!("/accounts/agency/sub-accounts/{id}/deactivate"),
                &[],
            )
            .await;
        let mut member = app.client();
        member.sign_in("a@example.com", MEMBER_PASSWORD).await;

        let page = member.get("/account").await;
        let resume = member
            .post(&format!("/account/automations/{automation}/resume"), &[])
            .await;

        assert_eq!(
            page.text(&format!("#automation-{automation} td:nth-child(3)"))
                .as_deref(),
            Some("Paused by the agency")
        );
        assert_eq!(
            page.attribute(&format!("#automation-{automation} button"), "disabled")
                .as_deref(),
            Some("")
        );
        assert_eq!(resume.status, StatusCode::LOCKED);
        assert!(
            resume
                .text("[data-error-message]")
                .unwrap_or_default()
                .contains("inactive")
        );
    }
}
