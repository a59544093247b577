//! The owner's Agency page and every action on it, as plain forms and as htmx.

use reqwest::StatusCode;

use crate::helpers::{Backend, MEMBER_PASSWORD, TestApp};
use crate::on_both_backends;

on_both_backends!(
    delete_message_counts_one_task,
    page_shows_initial_figures,
    add_updates_figures_and_rows,
    add_creates_member_login,
    update_task_changes_allocation,
    update_task_rejections_give_range,
    deactivate_and_activate_switch_status,
    delete_returns_unconsumed_tasks,
    delete_confirmation_shows_counts,
    limit_disables_add_and_rejects_sixth,
    other_agency_ids_are_not_found,
    member_gets_not_found_on_owner_routes,
    activity_records_each_change,
    htmx_add_returns_row_and_figures,
    htmx_row_actions_return_row_and_figures,
    htmx_delete_removes_row,
    htmx_rejection_returns_row_with_error,
    add_form_page_works_without_javascript,
);

async fn page_shows_initial_figures(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;

    let page = owner.agency_page().await;

    assert_eq!(page.figure("total-tasks"), "10000");
    assert_eq!(page.figure("tasks-consumed"), "0");
    assert_eq!(page.figure("tasks-remaining"), "10000");
    assert_eq!(page.figure("allocated"), "0");
    assert_eq!(page.figure("unallocated"), "10000");
    assert_eq!(page.figure("sub-accounts"), "0 of 5");
    assert_eq!(page.figure("active"), "0");
    assert_eq!(page.figure("inactive"), "0");
    assert_eq!(
        page.text("#add-control a").as_deref(),
        Some("Add Sub Accounts")
    );
    assert!(
        page.attribute("#empty-state", "hidden").is_none(),
        "empty state shows"
    );
    assert_eq!(
        page.headers.get("vary").and_then(|v| v.to_str().ok()),
        Some("HX-Request")
    );
}

async fn add_updates_figures_and_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;

    let first = owner.add_ok("Client A", "a@example.com", 3_000).await;
    let added = owner
        .add_sub_account("Client B", "b@example.com", "2500")
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    assert_eq!(added.location(), Some("/accounts/agency"));

    let page = owner.agency_page().await;
    let second = app.sub_accounts(agency_id)[1].0;
    assert_eq!(page.figure("allocated"), "5500");
    assert_eq!(page.figure("unallocated"), "4500");
    assert_eq!(page.figure("tasks-remaining"), "10000");
    assert_eq!(page.figure("sub-accounts"), "2 of 5");
    assert_eq!(page.figure("active"), "2");
    assert_eq!(page.count("tr.sub-account"), 2);
    let row = format!("#sub-account-{first}");
    assert_eq!(page.text(&format!("{row} th")).as_deref(), Some("Client A"));
    assert_eq!(
        page.text(&format!("{row} [data-column=allocated]"))
            .as_deref(),
        Some("3,000")
    );
    assert_eq!(
        page.text(&format!(
            "#sub-account-{second} [data-column=remaining] .remaining"
        ))
        .as_deref(),
        Some("2,500")
    );
    assert_eq!(
        page.attribute(&format!("{row} meter"), "max").as_deref(),
        Some("3000")
    );
    assert_eq!(
        page.attribute("#empty-state", "hidden").as_deref(),
        Some("")
    );
    assert_eq!(
        page.text("#flash").as_deref(),
        Some("Added “Client B” with 2,500 tasks.")
    );
    app.assert_invariants(agency_id);
}

async fn add_creates_member_login(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    owner
        .add_ok("Client A", "Member.A@Example.com", 1_000)
        .await;

    let mut member = app.client();
    let signed_in = member
        .try_sign_in("member.a@example.com", MEMBER_PASSWORD)
        .await;

    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    let home = member.get("/").await;
    assert_eq!(home.location(), Some("/account"));
    let account = member.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert_eq!(account.text("h1").as_deref(), Some("Client A"));
    assert_eq!(account.figure("allocated"), "1000");
}

async fn update_task_changes_allocation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;
    assert!(app.consume(id, 1_000));

    let raised = owner
        .post(
            &format!("/accounts/agency/sub-accounts/{id}/tasks"),
            &[("tasks", "10000")],
        )
        .await;
    assert_eq!(raised.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.sub_accounts(agency_id)[0].2,
        10_000,
        "raised to the whole pool"
    );

    let lowered = owner
        .post(
            &format!("/accounts/agency/sub-accounts/{id}/tasks"),
            &[("tasks", "1000")],
        )
        .await;
    assert_eq!(lowered.status, StatusCode::SEE_OTHER);

    let page = owner.agency_page().await;
    assert_eq!(page.figure("allocated"), "1000");
    assert_eq!(page.figure("unallocated"), "9000");
    assert_eq!(page.figure("tasks-consumed"), "1000");
    assert_eq!(page.figure("tasks-remaining"), "9000");
    assert_eq!(
        page.text(&format!(
            "#sub-account-{id} [data-column=remaining] .remaining"
        ))
        .as_deref(),
        Some("0")
    );
    app.assert_invariants(agency_id);
}

async fn update_task_rejections_give_range(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;
    owner.add_ok("Client B", "b@example.com", 5_000).await;
    assert!(app.consume(id, 1_200));
    let path = format!("/accounts/agency/sub-accounts/{id}/tasks");

    let below = owner.post(&path, &[("tasks", "1199")]).await;
    assert_eq!(below.status, StatusCode::CONFLICT);
    let message = below
        .text(&format!("#tasks-{id}-error"))
        .expect("message at the field");
    assert!(
        message.contains("already consumed 1,200 tasks"),
        "{message}"
    );
    assert!(message.contains("from 1,200 to 5,000"), "{message}");
    assert_eq!(
        below.attribute(&format!("#tasks-{id}"), "value").as_deref(),
        Some("1199")
    );

    let above = owner.post(&path, &[("tasks", "5001")]).await;
    assert_eq!(above.status, StatusCode::CONFLICT);
    let message = above
        .text(&format!("#tasks-{id}-error"))
        .expect("message at the field");
    assert!(
        message.contains("Only 2,000 tasks are unallocated"),
        "{message}"
    );
    assert!(message.contains("from 1,200 to 5,000"), "{message}");

    let edges = [
        ("1200", StatusCode::SEE_OTHER),
        ("5000", StatusCode::SEE_OTHER),
    ];
    for (tasks, status) in edges {
        assert_eq!(
            owner.post(&path, &[("tasks", tasks)]).await.status,
            status,
            "tasks={tasks}"
        );
    }
    assert_eq!(app.sub_accounts(agency_id)[0].2, 5_000);
    app.assert_invariants(agency_id);
}

async fn deactivate_and_activate_switch_status(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;

    let deactivated = owner
        .post(
            &format!("/accounts/agency/sub-accounts/{id}/deactivate"),
            &[],
        )
        .await;
    assert_eq!(deactivated.status, StatusCode::SEE_OTHER);
    let page = owner.agency_page().await;
    assert_eq!(page.figure("active"), "0");
    assert_eq!(page.figure("inactive"), "1");
    assert_eq!(
        page.figure("allocated"),
        "3000",
        "the allocation stays reserved"
    );
    assert_eq!(
        page.text(&format!("#sub-account-{id} .status")).as_deref(),
        Some("Inactive")
    );
    assert!(page.count(&format!("#sub-account-{id} button[aria-label^=Activate]")) == 1);
    assert!(
        !app.consume(id, 1),
        "an inactive sub-account consumes nothing"
    );

    let mut member = app.client();
    member.sign_in("a@example.com", MEMBER_PASSWORD).await;
    let account = member.get("/account").await;
    assert_eq!(account.figure("status"), "Inactive");

    let activated = owner
        .post(&format!("/accounts/agency/sub-accounts/{id}/activate"), &[])
        .await;
    assert_eq!(activated.status, StatusCode::SEE_OTHER);
    let page = owner.agency_page().await;
    assert_eq!(page.figure("active"), "1");
    assert_eq!(page.figure("inactive"), "0");
    assert!(app.consume(id, 1));
    app.assert_invariants(agency_id);
}

async fn delete_message_counts_one_task(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 2).await;
    assert!(app.consume(id, 1));

    owner
        .post(&format!("/accounts/agency/sub-accounts/{id}/delete"), &[])
        .await;

    let page = owner.agency_page().await;
    assert_eq!(
        page.text("#flash").as_deref(),
        Some(
            "Deleted “Client A”. 1 unconsumed task returned to the pool; 1 consumed task stays counted."
        )
    );
    assert!(
        page.text("#activity")
            .unwrap_or_default()
            .contains("1 unconsumed task returned to the pool, 1 consumed task stays counted"),
        "{}",
        page.body
    );
}

async fn delete_returns_unconsumed_tasks(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;
    assert!(app.consume(id, 1_200));

    let deleted = owner
        .post(&format!("/accounts/agency/sub-accounts/{id}/delete"), &[])
        .await;

    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    let page = owner.agency_page().await;
    assert_eq!(page.figure("allocated"), "0");
    assert_eq!(
        page.figure("tasks-consumed"),
        "1200",
        "consumed tasks stay counted"
    );
    assert_eq!(page.figure("tasks-remaining"), "8800");
    assert_eq!(
        page.figure("unallocated"),
        "8800",
        "only the unconsumed 1,800 return"
    );
    assert_eq!(page.figure("sub-accounts"), "0 of 5");
    assert_eq!(page.count("tr.sub-account"), 0);
    assert_eq!(
        page.text("#flash").as_deref(),
        Some(
            "Deleted “Client A”. 1,800 unconsumed tasks returned to the pool; 1,200 consumed tasks stay counted."
        )
    );
    let mut member = app.client();
    let rejected = member.try_sign_in("a@example.com", MEMBER_PASSWORD).await;
    assert_eq!(
        rejected.status,
        StatusCode::UNAUTHORIZED,
        "a deleted member cannot sign in"
    );
    assert!(!app.consume(id, 1));
    app.assert_invariants(agency_id);
}

async fn delete_confirmation_shows_counts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;
    assert!(app.consume(id, 1_200));

    let page = owner
        .get(&format!("/accounts/agency/sub-accounts/{id}/delete"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let effects = page.text("#delete-effects").expect("effects");
    assert!(
        effects.contains("1,800 unconsumed tasks return to the unallocated pool"),
        "{effects}"
    );
    assert!(
        effects.contains("1,200 consumed tasks stay counted"),
        "{effects}"
    );
    assert_eq!(
        page.attribute("#delete-dialog", "open").as_deref(),
        Some(""),
        "shown without JavaScript"
    );
    assert_eq!(page.count("tr.sub-account"), 1, "nothing is deleted yet");

    let fragment = owner
        .get_htmx(&format!("/accounts/agency/sub-accounts/{id}/delete"))
        .await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(
        fragment.body.trim_start().starts_with("<dialog"),
        "{}",
        fragment.body
    );
    assert!(
        fragment.attribute("#delete-dialog", "open").is_none(),
        "opened as a modal by the script"
    );
    assert_eq!(
        fragment.attribute("#delete-dialog form", "data-hx-delete"),
        Some(format!("/accounts/agency/sub-accounts/{id}"))
    );
}

async fn limit_disables_add_and_rejects_sixth(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    for index in 0..5 {
        owner
            .add_ok(
                &format!("Client {index}"),
                &format!("c{index}@example.com"),
                100,
            )
            .await;
    }

    let page = owner.agency_page().await;
    assert_eq!(page.figure("sub-accounts"), "5 of 5");
    assert_eq!(
        page.attribute("#add-control button", "disabled").as_deref(),
        Some("")
    );
    let reason = page.text("#limit-reason").expect("reason");
    assert!(reason.contains("limit of 5 sub-accounts"), "{reason}");
    let stale_form = owner.get("/accounts/agency/sub-accounts/new").await;
    assert_eq!(
        stale_form
            .attribute("#add-panel button[type=submit]", "disabled")
            .as_deref(),
        Some(""),
        "a form opened at the limit cannot be sent"
    );

    let sixth = owner
        .add_sub_account("Client 6", "c6@example.com", "100")
        .await;
    assert_eq!(sixth.status, StatusCode::CONFLICT);
    let message = sixth.text("#add-panel .form-error").expect("form message");
    assert!(message.contains("the plan's limit of 5"), "{message}");
    assert_eq!(app.sub_accounts(agency_id).len(), 5);
    assert_eq!(app.user_count(), 6, "no member login was created");
    app.assert_invariants(agency_id);
}

async fn other_agency_ids_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_a, mut owner_a) = app
        .owner_of_new_agency("a-owner@example.com", 10_000, 5)
        .await;
    let id = owner_a.add_ok("Client A", "a@example.com", 3_000).await;
    let (_, mut owner_b) = app
        .owner_of_new_agency("b-owner@example.com", 10_000, 5)
        .await;
    owner_b.agency_page().await;

    let requests = [
        ("tasks", vec![("tasks", "10")]),
        ("deactivate", vec![]),
        ("activate", vec![]),
        ("delete", vec![]),
    ];
    for (action, fields) in &requests {
        let page = owner_b
            .post(
                &format!("/accounts/agency/sub-accounts/{id}/{action}"),
                fields,
            )
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{action}");
        assert!(!page.body.contains("Client A"), "{action} leaks the name");
    }
    assert_eq!(
        owner_b
            .get(&format!("/accounts/agency/sub-accounts/{id}/delete"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        owner_b
            .delete_htmx(&format!("/accounts/agency/sub-accounts/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    for missing in ["999999", "not-a-number", "-1"] {
        let page = owner_a
            .post(
                &format!("/accounts/agency/sub-accounts/{missing}/deactivate"),
                &[],
            )
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{missing}");
    }
    let subs = app.sub_accounts(agency_a);
    assert_eq!(subs.len(), 1);
    assert_eq!(
        (subs[0].2, subs[0].4),
        (3_000, true),
        "agency A is unchanged"
    );
}

async fn member_gets_not_found_on_owner_routes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;
    let mut member = app.client();
    member.sign_in("a@example.com", MEMBER_PASSWORD).await;

    assert_eq!(
        member.get("/accounts/agency").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        member.get("/accounts/agency/sub-accounts/new").await.status,
        StatusCode::NOT_FOUND
    );
    let tasks = member
        .post(
            &format!("/accounts/agency/sub-accounts/{id}/tasks"),
            &[("tasks", "5000")],
        )
        .await;
    assert_eq!(tasks.status, StatusCode::NOT_FOUND);
    let deactivate = member
        .post(
            &format!("/accounts/agency/sub-accounts/{id}/deactivate"),
            &[],
        )
        .await;
    assert_eq!(deactivate.status, StatusCode::NOT_FOUND);
    let add = member
        .add_sub_account("Sneaky", "sneaky@example.com", "10")
        .await;
    assert_eq!(add.status, StatusCode::NOT_FOUND);
    assert_eq!(app.sub_accounts(agency_id)[0].2, 3_000);
    assert!(app.sub_accounts(agency_id)[0].4);
}

async fn activity_records_each_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;
    owner
        .post(
            &format!("/accounts/agency/sub-accounts/{id}/tasks"),
            &[("tasks", "3500")],
        )
        .await;
    owner
        .post(
            &format!("/accounts/agency/sub-accounts/{id}/deactivate"),
            &[],
        )
        .await;
    owner
        .post(&format!("/accounts/agency/sub-accounts/{id}/activate"), &[])
        .await;
    assert!(app.consume(id, 500));
    owner
        .post(&format!("/accounts/agency/sub-accounts/{id}/delete"), &[])
        .await;

    let page = owner.agency_page().await;
    let html = page.html();
    let selector = scraper::Selector::parse("#activity li").expect("selector");
    let entries: Vec<String> = html
        .select(&selector)
        .map(|item| {
            item.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let expected = [
        "owner@example.com deleted “Client A”: 3,000 unconsumed tasks returned to the pool, 500 consumed tasks stay counted",
        "owner@example.com activated “Client A” (inactive → active)",
        "owner@example.com deactivated “Client A” (active → inactive)",
        "owner@example.com changed the tasks of “Client A” from 3,000 to 3,500",
        "owner@example.com added “Client A” with 3,000 tasks",
        "owner@example.com created the agency with 10,000 tasks",
    ];
    assert_eq!(entries.len(), expected.len(), "{entries:#?}");
    for (entry, expected) in entries.iter().zip(expected) {
        assert!(
            entry.ends_with(expected),
            "{entry:?} should end with {expected:?}"
        );
        assert!(entry.contains(" UTC "), "{entry:?} names the time zone");
    }
    let datetime = page
        .attribute("#activity time", "datetime")
        .expect("machine-readable time");
    assert!(datetime.ends_with('Z'), "{datetime}");
}

async fn htmx_add_returns_row_and_figures(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    owner.agency_page().await;

    let page = owner
        .post_htmx(
            "/accounts/agency/sub-accounts",
            &[
                ("name", "Client A"),
                ("email", "a@example.com"),
                ("password", MEMBER_PASSWORD),
                ("tasks", "4000"),
            ],
        )
        .await;

    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<html"), "a fragment, not a page");
    assert_eq!(page.count("div#add-panel"), 1, "the panel closes");
    assert_eq!(
        page.attribute("tbody[data-hx-swap-oob]", "data-hx-swap-oob")
            .as_deref(),
        Some("beforeend:#sub-account-rows")
    );
    assert_eq!(page.text("tr.sub-account th").as_deref(), Some("Client A"));
    assert_eq!(
        page.attribute("#figures", "data-hx-swap-oob").as_deref(),
        Some("true")
    );
    assert_eq!(page.figure("allocated"), "4000");
    assert_eq!(page.figure("sub-accounts"), "1 of 5");
    assert_eq!(
        page.attribute("#activity", "data-hx-swap-oob").as_deref(),
        Some("true")
    );
}

async fn htmx_row_actions_return_row_and_figures(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;

    let updated = owner
        .post_htmx(
            &format!("/accounts/agency/sub-accounts/{id}/tasks"),
            &[("tasks", "4500")],
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    assert!(
        updated
            .body
            .trim_start()
            .starts_with(&format!("<tr id=\"sub-account-{id}\"")),
        "{}",
        updated.body
    );
    assert_eq!(updated.figure("allocated"), "4500");
    assert_eq!(updated.figure("unallocated"), "5500");

    let deactivated = owner
        .post_htmx(
            &format!("/accounts/agency/sub-accounts/{id}/deactivate"),
            &[],
        )
        .await;
    assert_eq!(deactivated.status, StatusCode::OK);
    assert_eq!(
        deactivated
            .text(&format!("#sub-account-{id} .status"))
            .as_deref(),
        Some("Inactive")
    );
    assert_eq!(deactivated.figure("inactive"), "1");

    let activated = owner
        .post_htmx(&format!("/accounts/agency/sub-accounts/{id}/activate"), &[])
        .await;
    assert_eq!(
        activated
            .text(&format!("#sub-account-{id} .status"))
            .as_deref(),
        Some("Active")
    );
    assert_eq!(activated.figure("active"), "1");
}

async fn htmx_delete_removes_row(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;

    let page = owner
        .delete_htmx(&format!("/accounts/agency/sub-accounts/{id}"))
        .await;

    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.attribute(&format!("#sub-account-{id}"), "data-hx-swap-oob")
            .as_deref(),
        Some("delete")
    );
    assert_eq!(page.figure("sub-accounts"), "0 of 5");
    assert_eq!(page.figure("unallocated"), "10000");
    assert!(
        page.attribute("#empty-state", "hidden").is_none(),
        "the empty state returns"
    );
    assert!(app.sub_accounts(agency_id).is_empty());
}

async fn htmx_rejection_returns_row_with_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;

    let page = owner
        .post_htmx(
            &format!("/accounts/agency/sub-accounts/{id}/tasks"),
            &[("tasks", "20000")],
        )
        .await;

    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(
        page.body.trim_start().starts_with("<tr"),
        "only the row: {}",
        page.body
    );
    assert_eq!(page.count("#figures"), 0, "figures are unchanged");
    assert_eq!(
        page.attribute(&format!("#tasks-{id}"), "aria-invalid")
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        page.attribute(&format!("#tasks-{id}"), "aria-describedby"),
        Some(format!("tasks-{id}-error"))
    );
    let message = page.text(&format!("#tasks-{id}-error")).expect("message");
    assert!(message.contains("from 0 to 10,000"), "{message}");

    let invalid = owner
        .post_htmx(
            &format!("/accounts/agency/sub-accounts/{id}/tasks"),
            &[("tasks", "lots")],
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        invalid
            .text(&format!("#tasks-{id}-error"))
            .expect("message")
            .contains("whole number")
    );
}

async fn add_form_page_works_without_javascript(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;

    let page = owner.get("/accounts/agency/sub-accounts/new").await;
    assert_eq!(page.status, StatusCode::OK);
    for (field, label) in [
        ("name", "Name"),
        ("email", "Email"),
        ("password", "Password"),
        ("tasks", "Tasks"),
    ] {
        assert_eq!(
            page.text(&format!("label[for=add-{field}]")).as_deref(),
            Some(label)
        );
        assert_eq!(
            page.attribute(&format!("#add-{field}"), "name").as_deref(),
            Some(field)
        );
    }
    assert_eq!(
        page.attribute("#add-panel form", "action").as_deref(),
        Some("/accounts/agency/sub-accounts")
    );
    assert_eq!(
        page.text("#add-panel button[type=submit]").as_deref(),
        Some("Add")
    );

    let fragment = owner.get_htmx("/accounts/agency/sub-accounts/new").await;
    assert!(
        fragment
            .body
            .trim_start()
            .starts_with("<section id=\"add-panel\""),
        "{}",
        fragment.body
    );
}
