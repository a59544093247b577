//! Support staff: search, read-only views, and the record of each view.

use reqwest::StatusCode;

use crate::helpers::{Backend, MEMBER_PASSWORD, TestApp};
use crate::on_both_backends;

on_both_backends!(
    search_merges_name_and_email_matches,
    search_matches_names_and_emails,
    search_is_paginated,
    search_counts_up_to_a_limit,
    agency_view_is_read_only_and_logged,
    sub_account_view_is_logged,
    support_changes_are_forbidden,
);

async fn search_matches_names_and_emails(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_agency("Northwind Traders", "boss@northwind.example", 1_000, 5);
    let (_, mut owner) = app
        .owner_of_new_agency("owner@contoso.example", 1_000, 5)
        .await;
    owner
        .add_ok("Client A", "Member@Fabrikam.example", 10)
        .await;
    app.create_agency("Ünïcode Ágency", "x@unicode.example", 1_000, 5);
    let mut support = app.support_client("staff@platform.example").await;

    let cases = [
        ("north", vec!["Northwind Traders"]),
        ("NORTHWIND t", vec!["Northwind Traders"]),
        ("north\u{200B}", vec!["Northwind Traders"]),
        ("boss@north", vec!["Northwind Traders"]),
        ("owner@CONTOSO", vec!["Test Agency"]),
        ("member@fabrikam.example", vec!["Test Agency"]),
        ("ünï", vec!["Ünïcode Ágency"]),
        ("wind", vec![]),
        (
            "",
            vec!["Northwind Traders", "Test Agency", "Ünïcode Ágency"],
        ),
    ];
    for (query, expected) in cases {
        let page = support
            .get(&format!("/support?q={}", urlencode(query)))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{query}");
        let html = page.html();
        let selector = scraper::Selector::parse("tbody th a").expect("selector");
        let names: Vec<String> = html
            .select(&selector)
            .map(|link| link.text().collect())
            .collect();
        assert_eq!(names, expected, "query {query:?}");
    }
    let page = support.get("/support?q=owner%40contoso").await;
    assert_eq!(
        page.text("tbody td").as_deref(),
        Some("owner@contoso.example"),
        "the owner is listed"
    );
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

async fn search_is_paginated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for index in 0..45 {
        app.create_agency(
            &format!("Agency {index:02}"),
            &format!("owner{index}@example.com"),
            100,
            5,
        );
    }
    let mut support = app.support_client("staff@platform.example").await;

    let first = support.get("/support?q=agency").await;
    let third = support.get("/support?q=agency&page=3").await;
    let beyond = support.get("/support?q=agency&page=99").await;
    let garbage = support.get("/support?q=agency&page=abc").await;
    let repeated = support.get("/support?q=agency&q=other").await;

    assert_eq!(first.count("tbody tr"), 20);
    assert_eq!(
        first.text("#results-title").as_deref(),
        Some("45 agencies matching “agency”")
    );
    assert_eq!(
        first.text(".pagination span").as_deref(),
        Some("Page 1 of 3")
    );
    assert_eq!(
        first.attribute("a[rel=next]", "href").as_deref(),
        Some("/support?q=agency&page=2")
    );
    assert_eq!(third.count("tbody tr"), 5);
    assert_eq!(third.text("tbody th").as_deref(), Some("Agency 40"));
    assert_eq!(beyond.status, StatusCode::OK);
    assert_eq!(beyond.count("tbody tr"), 0);
    assert_eq!(
        beyond.attribute("#past-last-page a", "href").as_deref(),
        Some("/support?q=agency&page=3")
    );
    assert_eq!(beyond.count(".pagination"), 0);
    assert_eq!(repeated.status, StatusCode::BAD_REQUEST);
    assert!(
        repeated
            .text("[data-error-message]")
            .unwrap_or_default()
            .contains("the parameter q appears more than once"),
        "{}",
        repeated.body
    );
    assert_eq!(
        garbage.text(".pagination span").as_deref(),
        Some("Page 1 of 3")
    );
}

async fn search_counts_up_to_a_limit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for index in 1..=6 {
        app.create_agency(
            &format!("Cap {index}"),
            &format!("owner{index}@example.com"),
            100,
            5,
        );
    }
    let search = |query: &str, max_counted: i64| {
        subaccounts::db::agencies::search(&mut app.connection(), query, 0, 2, max_counted)
            .expect("search")
    };

    let capped = search("cap", 4);
    let past_the_count =
        subaccounts::db::agencies::search(&mut app.connection(), "cap", 2, 2, 4).expect("search");
    let exact = search("cap", 6);
    let all_capped = search("", 3);
    let all_exact = search("", 100);

    assert_eq!(capped.total, 4);
    assert!(capped.more);
    assert_eq!(capped.results.len(), 2);
    assert_eq!(capped.results[0].name, "Cap 1");
    assert!(
        past_the_count.results.is_empty(),
        "matches past the count are not listed"
    );
    assert_eq!(exact.total, 6);
    assert!(!exact.more);
    assert_eq!(all_capped.total, 3);
    assert!(all_capped.more);
    assert_eq!(all_exact.total, 6);
    assert!(!all_exact.more);
}

async fn agency_view_is_read_only_and_logged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;
    let mut support = app.support_client("staff@platform.example").await;

    let page = support.get(&format!("/support/agencies/{agency_id}")).await;

    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text(".read-only")
            .unwrap_or_default()
            .contains("Read-only support view")
    );
    assert_eq!(page.figure("allocated"), "3000");
    assert_eq!(page.figure("sub-accounts"), "1 of 5");
    assert_eq!(
        page.text(&format!("#sub-account-{id} th")).as_deref(),
        Some("Client A")
    );
    assert_eq!(page.count("form[method=post]"), 1, "only the sign-out form");
    assert_eq!(page.count("#add-control"), 0);
    assert!(page.count("#activity li") >= 2);
    assert_eq!(
        support.get("/support/agencies/999999").await.status,
        StatusCode::NOT_FOUND
    );

    let owner_page = owner.agency_page().await;
    let latest = owner_page.text("#activity li").expect("an entry");
    assert!(latest.contains("staff@platform.example"), "{latest}");
    assert!(
        latest.contains("viewed the agency as support staff"),
        "{latest}"
    );
    assert_eq!(
        app.activity_actions(agency_id)[0],
        (
            "support.viewed_agency".to_owned(),
            "staff@platform.example".to_owned()
        )
    );
}

async fn sub_account_view_is_logged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;
    let (other_agency, _) = app
        .owner_of_new_agency("other@example.com", 10_000, 5)
        .await;
    let mut support = app.support_client("staff@platform.example").await;

    let page = support
        .get(&format!("/support/agencies/{agency_id}/sub-accounts/{id}"))
        .await;
    let mismatched = support
        .get(&format!(
            "/support/agencies/{other_agency}/sub-accounts/{id}"
        ))
        .await;

    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.figure("allocated"), "3000");
    assert!(page.text(".read-only").is_some());
    assert_eq!(
        mismatched.status,
        StatusCode::NOT_FOUND,
        "the sub-account belongs to another agency"
    );
    let owner_page = owner.agency_page().await;
    assert!(
        owner_page
            .text("#activity li")
            .unwrap_or_default()
            .contains("viewed “Client A” as support staff")
    );
}

async fn support_changes_are_forbidden(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (agency_id, mut owner) = app
        .owner_of_new_agency("owner@example.com", 10_000, 5)
        .await;
    let id = owner.add_ok("Client A", "a@example.com", 3_000).await;
    let support = app.support_client("staff@platform.example").await;
    let users_before = app.user_count();

    let attempts = [
        (
            "/accounts/agency/sub-accounts".to_owned(),
            vec![
                ("name", "X"),
                ("email", "x@example.com"),
                ("password", MEMBER_PASSWORD),
                ("tasks", "1"),
            ],
        ),
        (
            format!("/accounts/agency/sub-accounts/{id}/tasks"),
            vec![("tasks", "1")],
        ),
        (
            format!("/accounts/agency/sub-accounts/{id}/deactivate"),
            vec![],
        ),
        (format!("/accounts/agency/sub-accounts/{id}/delete"), vec![]),
        (
            format!("/accounts/agency/sub-accounts/{id}/password"),
            vec![
                ("new_password", "hijack 12345"),
                ("new_password_confirmation", "hijack 12345"),
            ],
        ),
        (
            "/account/password".to_owned(),
            vec![
                ("current_password", "x"),
                ("new_password", "hijack 12345"),
                ("new_password_confirmation", "hijack 12345"),
            ],
        ),
    ];
    for (path, fields) in &attempts {
        let page = support.post(path, fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.body.contains("cannot change anything"), "{path}");
    }
    assert_eq!(
        support
            .delete_htmx(&format!("/accounts/agency/sub-accounts/{id}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let subs = app.sub_accounts(agency_id);
    assert_eq!(subs.len(), 1);
    assert_eq!((subs[0].2, subs[0].4), (3_000, true));
    assert_eq!(app.user_count(), users_before);
    let mut member = app.client();
    member.sign_in("a@example.com", MEMBER_PASSWORD).await;
}

async fn search_merges_name_and_email_matches(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for index in 0..25 {
        app.create_agency(
            &format!("Kilo {index:02}"),
            &format!("owner{index}@example.com"),
            100,
            5,
        );
    }
    // Matched by owner email only; their names sort among and after the name matches.
    app.create_agency("Kilo 10b", "kilo-boss@example.com", 100, 5);
    app.create_agency("Lima", "kilo@example.com", 100, 5);
    // Matched by both name and email: counted once.
    app.create_agency("Kilo Zulu", "kilo.zulu@example.com", 100, 5);
    let mut support = app.support_client("staff@platform.example").await;

    let first = support.get("/support?q=kilo").await;
    let second = support.get("/support?q=kilo&page=2").await;

    let names = |page: &crate::helpers::Page| {
        let html = page.html();
        let selector = scraper::Selector::parse("tbody th a").expect("selector");
        html.select(&selector)
            .map(|link| link.text().collect::<String>())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        first.text("#results-title").as_deref(),
        Some("28 agencies matching “kilo”")
    );
    let first_names = names(&first);
    assert_eq!(first_names.len(), 20);
    assert_eq!(
        first_names[10], "Kilo 10",
        "name order, whichever way they matched"
    );
    assert_eq!(first_names[11], "Kilo 10b");
    assert_eq!(
        names(&second),
        vec![
            "Kilo 19",
            "Kilo 20",
            "Kilo 21",
            "Kilo 22",
            "Kilo 23",
            "Kilo 24",
            "Kilo Zulu",
            "Lima"
        ]
    );
}
