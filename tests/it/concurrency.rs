//! The pool's invariants under many requests at once.

use futures_util::future::join_all;
use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

/// More workers and connections than requests usually need, so requests
/// really run at the same time.
fn racing(config: &mut subaccounts::config::Config) {
    config.workers = 8;
    config.pool_size = 16;
}

on_both_backends!(
    adds_racing_for_last_slot_give_one,
    adds_racing_for_tasks_never_overallocate,
    increases_racing_for_tasks_never_overallocate,
    same_email_racing_gives_one_login,
    mixed_actions_keep_invariants,
);

async fn adds_racing_for_last_slot_give_one(backend: Backend) {
    let app = TestApp::spawn_with(backend, racing).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    for index in 0..4 {
        owner
            .add_ok(
                &format!("Client {index}"),
                &format!("c{index}@example.com"),
                10,
            )
            .await;
    }

    let emails: Vec<String> = (0..24)
        .map(|index| format!("racer{index}@example.com"))
        .collect();
    let requests = emails
        .iter()
        .map(|email| owner.add_sub_account("Racer", email, "10"));
    let pages = join_all(requests).await;

    let created = pages
        .iter()
        .filter(|page| page.status == StatusCode::SEE_OTHER)
        .count();
    let rejected = pages
        .iter()
        .filter(|page| page.status == StatusCode::CONFLICT)
        .count();
    assert_eq!(created, 1, "exactly one add takes the last slot");
    assert_eq!(rejected, 23);
    assert_eq!(app.sub_accounts(agency_id).len(), 5);
    app.assert_invariants(agency_id);
}

async fn adds_racing_for_tasks_never_overallocate(backend: Backend) {
    let app = TestApp::spawn_with(backend, racing).await;
    let (agency_id, owner) = app.owner_of_new_agency("owner@example.com", 1_000, 5).await;

    let emails: Vec<String> = (0..24)
        .map(|index| format!("racer{index}@example.com"))
        .collect();
    let pages = join_all(
        emails
            .iter()
            .map(|email| owner.add_sub_account("Racer", email, "400")),
    )
    .await;

    let created = pages
        .iter()
        .filter(|page| page.status == StatusCode::SEE_OTHER)
        .count();
    assert_eq!(created, 2, "two allocations of 400 fit in 1,000");
    assert!(
        pages
            .iter()
            .all(|page| [StatusCode::SEE_OTHER, StatusCode::CONFLICT].contains(&page.status))
    );
    app.assert_invariants(agency_id);
}

async fn increases_racing_for_tasks_never_overallocate(backend: Backend) {
    let app = TestApp::spawn_with(backend, racing).await;
    let (agency_id, mut owner) = app.owner_of_new_agency("owner@example.com", 1_000, 5).await;
    let mut ids = Vec::new();
    for index in 0..5 {
        ids.push(
            owner
                .add_ok(
                    &format!("Client {index}"),
                    &format!("c{index}@example.com"),
                    0,
                )
                .await,
        );
    }

    // Ten requests per sub-account, each asking for 300 of the 1,000 tasks.
    let paths: Vec<String> = ids
        .iter()
        .cycle()
        .take(50)
        .map(|id| format!("/accounts/agency/sub-accounts/{id}/tasks"))
        .collect();
    let pages = join_all(
        paths
            .iter()
            .map(|path| owner.post_htmx(path, &[("tasks", "300")])),
    )
    .await;

    assert!(
        pages
            .iter()
            .all(|page| [StatusCode::OK, StatusCode::CONFLICT].contains(&page.status))
    );
    let allocations: Vec<i64> = app
        .sub_accounts(agency_id)
        .iter()
        .map(|sub| sub.2)
        .collect();
    assert_eq!(
        allocations
            .iter()
            .filter(|&&allocated| allocated == 300)
            .count(),
        3,
        "{allocations:?}"
    );
    assert_eq!(allocations.iter().sum::<i64>(), 900);
    app.assert_invariants(agency_id);
}

async fn same_email_racing_gives_one_login(backend: Backend) {
    let app = TestApp::spawn_with(backend, racing).await;
    let (agency_a, owner_a) = app.owner_of_new_agency("a@example.com", 1_000, 5).await;
    let (agency_b, owner_b) = app.owner_of_new_agency("b@example.com", 1_000, 5).await;

    let requests = (0..24).map(|index| {
        let owner = if index % 2 == 0 { &owner_a } else { &owner_b };
        owner.add_sub_account("Racer", "same@example.com", "10")
    });
    let pages = join_all(requests).await;

    let created = pages
        .iter()
        .filter(|page| page.status == StatusCode::SEE_OTHER)
        .count();
    assert_eq!(
        created,
        1,
        "{:?}",
        pages.iter().map(|page| page.status).collect::<Vec<_>>()
    );
    assert_eq!(
        app.sub_accounts(agency_a).len() + app.sub_accounts(agency_b).len(),
        1
    );
    app.assert_invariants(agency_a);
    app.assert_invariants(agency_b);
}

/// Owner actions over HTTP and consumption straight through the database run
/// together; afterwards every invariant holds and the counts add up.
async fn mixed_actions_keep_invariants(backend: Backend) {
    let app = TestApp::spawn_with(backend, racing).await;
    let (agency_id, mut owner) = app.owner_of_new_agency("owner@example.com", 5_000, 5).await;
    let mut ids = Vec::new();
    for index in 0..4 {
        ids.push(
            owner
                .add_ok(
                    &format!("Client {index}"),
                    &format!("c{index}@example.com"),
                    1_000,
                )
                .await,
        );
    }

    let consumers: Vec<_> = ids
        .iter()
        .map(|&id| {
            let pool = app.pool.clone();
            std::thread::spawn(move || {
                let mut connection = pool.get().expect("connection");
                (0..300)
                    .filter(|_| {
                        subaccounts::db::sub_accounts::consume(&mut connection, id, 5)
                            .expect("consume")
                    })
                    .count() as i64
                    * 5
            })
        })
        .collect();
    let mut requests = Vec::new();
    for round in 0..6 {
        for (index, id) in ids.iter().enumerate() {
            let path = match (round + index) % 4 {
                0 => format!("/accounts/agency/sub-accounts/{id}/tasks"),
                1 => format!("/accounts/agency/sub-accounts/{id}/deactivate"),
                2 => format!("/accounts/agency/sub-accounts/{id}/activate"),
                _ => format!("/accounts/agency/sub-accounts/{id}/tasks"),
            };
            let tasks = if round % 2 == 0 { "400" } else { "1600" };
            requests.push((path, tasks));
        }
    }
    let owner_ref = &owner;
    let updates =
        join_all(requests.iter().map(|(path, tasks)| async move {
            owner_ref.post_htmx(path, &[("tasks", tasks)]).await
        }));
    let late_emails: Vec<String> = (0..3)
        .map(|index| format!("late{index}@example.com"))
        .collect();
    let adds = join_all(
        late_emails
            .iter()
            .map(|email| owner_ref.add_sub_account("Late", email, "100")),
    );
    let (updates, adds) = tokio::join!(updates, adds);
    let consumed: i64 = consumers
        .into_iter()
        .map(|thread| thread.join().expect("consumer"))
        .sum();

    assert!(
        updates
            .iter()
            .all(|page| [StatusCode::OK, StatusCode::CONFLICT].contains(&page.status))
    );
    assert_eq!(
        adds.iter()
            .filter(|page| page.status == StatusCode::SEE_OTHER)
            .count(),
        1,
        "one free slot"
    );
    let delete = owner
        .post(
            &format!("/accounts/agency/sub-accounts/{}/delete", ids[0]),
            &[],
        )
        .await;
    assert_eq!(delete.status, StatusCode::SEE_OTHER);
    app.assert_invariants(agency_id);
    let page = owner.agency_page().await;
    let shown: i64 = page.figure("tasks-consumed").parse().expect("number");
    assert_eq!(
        shown, consumed,
        "every consumed task is counted once, deleted ones included"
    );
}
