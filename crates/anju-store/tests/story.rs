#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::disallowed_methods
)]
//! One storage story, told on SQLite always and on PostgreSQL when
//! `ANJU_TEST_PG_URL` is set (`.ci/run` sets it, and then an unreachable
//! database fails the test instead of skipping it).

use std::str::FromStr;

use anju_core::period::Period;
use anju_core::workflow::{Date, State, Step};
use anju_store::{NewValue, Now, Store, StoreError, ValueFilter};
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn now(day: u32) -> Now {
    Now {
        date: Date {
            year: 2024,
            month: 7,
            day,
        },
        stamp: format!("2024-07-{day:02}T09:00:00+08:00"),
    }
}

fn value(indicator: u16, org: &str, period: &str, v: &str) -> NewValue {
    NewValue {
        indicator,
        org_unit: org.into(),
        period: Period::parse(period).unwrap(),
        amount: anju_core::input::Amount::Value(d(v)),
    }
}

fn ratio(indicator: u16, org: &str, period: &str, n: &str, den: &str) -> NewValue {
    NewValue {
        amount: anju_core::input::Amount::Ratio {
            num: d(n),
            den: d(den),
        },
        ..value(indicator, org, period, "0")
    }
}

async fn story(store: Store) {
    // Migrations are applied once.
    assert!(
        store.migrate().await.unwrap().is_empty(),
        "{}: already migrated",
        store.backend()
    );

    // A town enters two figures as drafts, then changes one: a new version.
    let first = store
        .put_drafts(
            &[
                value(8, "硖石街道", "2024-06", "7"),
                ratio(6, "硖石街道", "2024-06", "45", "50"),
            ],
            "xiashi",
            &now(1),
        )
        .await
        .unwrap();
    assert_eq!(
        first
            .iter()
            .map(|v| (v.version, v.state))
            .collect::<Vec<_>>(),
        vec![(1, State::Draft), (1, State::Draft)]
    );
    let edited = store
        .put_drafts(&[value(8, "硖石街道", "2024-06", "8")], "xiashi", &now(2))
        .await
        .unwrap();
    assert_eq!((edited[0].version, edited[0].parts().0), (2, Some(d("8"))));
    let old = store
        .list(&ValueFilter {
            state: Some(State::Superseded),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(old.len(), 1, "the first draft is kept, superseded");
    assert_eq!(old[0].parts().0, Some(d("7")));

    // Submitting on 3 July is on time; on 8 July (deadline: the 5th) it is late.
    let on_time = store
        .step(
            &[edited[0].id],
            Step::Submit,
            "xiashi",
            &now(3),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    assert_eq!(
        (on_time[0].state, on_time[0].late),
        (State::Submitted, false)
    );
    let late = store
        .step(
            &[first[1].id],
            Step::Submit,
            "xiashi",
            &now(8),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    assert!(late[0].late);

    // A submitted figure cannot be edited.
    let err = store
        .put_drafts(&[value(8, "硖石街道", "2024-06", "9")], "xiashi", &now(3))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");

    // The task force approves one and returns the other; a return needs a reason.
    let err = store
        .step(
            &[first[1].id],
            Step::Return,
            "zhuanban",
            &now(9),
            Some("  "),
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));
    let approved = store
        .step(
            &[edited[0].id],
            Step::Approve,
            "zhuanban",
            &now(9),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    assert_eq!(
        (approved[0].state, approved[0].decided_by.as_deref()),
        (State::Approved, Some("zhuanban"))
    );
    let returned = store
        .step(
            &[first[1].id],
            Step::Return,
            "zhuanban",
            &now(9),
            Some("分母与上月不符"),
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    assert_eq!(
        (returned[0].state, returned[0].return_reason.as_deref()),
        (State::Returned, Some("分母与上月不符"))
    );

    // A batch with one step that does not fit changes nothing.
    let again = store
        .put_drafts(
            &[ratio(6, "硖石街道", "2024-06", "46", "50")],
            "xiashi",
            &now(10),
        )
        .await
        .unwrap();
    let submitted = store
        .step(
            &[again[0].id],
            Step::Submit,
            "xiashi",
            &now(10),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    let err = store
        .step(
            &[submitted[0].id, edited[0].id],
            Step::Approve,
            "zhuanban",
            &now(11),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { id, .. } if id == edited[0].id),
        "{err}"
    );
    let still = store
        .list(&ValueFilter {
            state: Some(State::Submitted),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        still.iter().map(|v| v.id).collect::<Vec<_>>(),
        vec![submitted[0].id]
    );
    store
        .step(
            &[submitted[0].id],
            Step::Approve,
            "zhuanban",
            &now(11),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();

    // Correcting an approved figure: a new version, reviewed again; the approved
    // one counts until then.
    let correction = store
        .correct(
            edited[0].id,
            &value(8, "硖石街道", "2024-06", "8.5"),
            "漏报一台",
            "xiashi",
            &now(12),
        )
        .await
        .unwrap();
    assert_eq!(
        (correction.version, correction.state),
        (3, State::Submitted)
    );
    let counted = |vs: Vec<anju_store::StoredValue>| {
        vs.into_iter()
            .filter(|v| v.indicator == 8)
            .map(|v| v.parts().0)
            .collect::<Vec<_>>()
    };
    assert_eq!(counted(store.approved().await.unwrap()), vec![Some(d("8"))]);
    let err = store
        .correct(
            edited[0].id,
            &value(8, "硖石街道", "2024-06", "9"),
            "再改",
            "xiashi",
            &now(12),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { .. }),
        "one pending correction at a time: {err}"
    );
    let err = store
        .correct(
            edited[0].id,
            &value(8, "硖石街道", "2024-06", "9"),
            " ",
            "xiashi",
            &now(12),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));
    store
        .step(
            &[correction.id],
            Step::Approve,
            "zhuanban",
            &now(13),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    assert_eq!(
        counted(store.approved().await.unwrap()),
        vec![Some(d("8.5"))]
    );
    let history = store
        .list(&ValueFilter {
            indicator: Some(8),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        history
            .iter()
            .map(|v| (v.version, v.state))
            .collect::<Vec<_>>(),
        vec![
            (1, State::Superseded),
            (2, State::Superseded),
            (3, State::Approved)
        ],
        "nothing is lost"
    );
    assert_eq!(history[2].correction_reason.as_deref(), Some("漏报一台"));

    // Figures keep every digit, and filters work on every column.
    let exact = store
        .put_drafts(
            &[ratio(
                14,
                "海宁市",
                "2024-Q2",
                "123456789012.123456",
                "2567890.000001",
            )],
            "zhujian",
            &now(14),
        )
        .await
        .unwrap();
    let back = store
        .list(&ValueFilter {
            org_unit: Some("海宁市".into()),
            period: Some(Period::parse("2024-Q2").unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(back, exact);
    assert_eq!(back[0].parts().1, Some(d("123456789012.123456")));
    assert_eq!(back[0].period.to_string(), "2024-Q2");

    // Unknown ids are named.
    let err = store
        .step(
            &[999_999],
            Step::Submit,
            "x",
            &now(15),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(999_999)));

    // A returned figure is entered again as a new version; the returned one
    // keeps who returned it and why, and the late mark stays with it.
    let ratio_history = store
        .list(&ValueFilter {
            indicator: Some(6),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ratio_history[0].state, State::Returned);
    assert_eq!(
        ratio_history[0].return_reason.as_deref(),
        Some("分母与上月不符")
    );
    assert_eq!(ratio_history[0].decided_by.as_deref(), Some("zhuanban"));
    assert!(ratio_history[0].late);
    assert_eq!(ratio_history.last().unwrap().state, State::Approved);
    let err = store
        .step(
            &[ratio_history[0].id],
            Step::Submit,
            "xiashi",
            &now(15),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { .. }),
        "a returned version is not resubmitted: {err}"
    );

    // No one reviews their own figure: a rule of the permission table
    // (anju_core::access, the "review 15 own" column of its table test, and
    // the HTTP matrix's "approve self-entered"), checked by the service
    // before the store is asked; the store keeps only the state guards.
    // A figure with an approved version is changed only by a correction; a
    // returned correction can be made again, and is never late.
    let err = store
        .put_drafts(&[value(8, "硖石街道", "2024-06", "10")], "xiashi", &now(16))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    let current = store
        .approved()
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.indicator == 8 && v.org_unit == "硖石街道")
        .unwrap();
    let second = store
        .correct(
            current.id,
            &value(8, "硖石街道", "2024-06", "9"),
            "复核后再改",
            "xiashi",
            &now(28),
        )
        .await
        .unwrap();
    store
        .step(
            &[second.id],
            Step::Return,
            "zhuanban",
            &now(29),
            Some("无依据"),
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    let err = store
        .put_drafts(&[value(8, "硖石街道", "2024-06", "9")], "xiashi", &now(29))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { .. }),
        "still approved: {err}"
    );
    let third = store
        .correct(
            current.id,
            &value(8, "硖石街道", "2024-06", "9"),
            "附上依据",
            "xiashi",
            &now(30),
        )
        .await
        .unwrap();
    assert_eq!(
        (third.state, third.late, third.correction_reason.as_deref()),
        (State::Submitted, false, Some("附上依据"))
    );
    store
        .step(
            &[third.id],
            Step::Approve,
            "zhuanban",
            &now(30),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();

    // Two reviewers approving the same figure at once: one wins, one is told.
    let race = store
        .put_drafts(&[value(8, "马桥街道", "2024-06", "3")], "maqiao", &now(15))
        .await
        .unwrap();
    store
        .step(
            &[race[0].id],
            Step::Submit,
            "maqiao",
            &now(15),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    let (ids, at) = ([race[0].id], now(15));
    let (a, b) = tokio::join!(
        store.step(
            &ids,
            Step::Approve,
            "zhuanban",
            &at,
            None,
            anju_store::Deadline::Day(5)
        ),
        store.step(
            &ids,
            Step::Approve,
            "leadunit",
            &at,
            None,
            anju_store::Deadline::Day(5)
        ),
    );
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{a:?} {b:?}");
    assert!(
        [a, b]
            .into_iter()
            .any(|r| matches!(r, Err(StoreError::Conflict { .. })))
    );

    // Figures the store cannot take are refused whole, naming the figure, by
    // the core's rule for an amount (a numerator without its denominator
    // cannot be written: `Amount` holds both or neither).
    let zero = ratio(6, "海洲街道", "2024-06", "1", "0");
    let negative_ratio = ratio(6, "海洲街道", "2024-06", "-1", "5");
    for bad in [zero, negative_ratio, value(8, "海洲街道", "2024-06", "-1")] {
        let err = store
            .put_drafts(&[value(8, "海昌街道", "2024-06", "1"), bad], "x", &now(15))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid(m) if m.contains("海洲街道")),
            "{err}"
        );
    }
    assert!(
        store
            .list(&ValueFilter {
                org_unit: Some("海昌街道".into()),
                ..Default::default()
            })
            .await
            .unwrap()
            .is_empty(),
        "all or nothing"
    );

    // A scope narrows the query itself (both backends: IN lists).
    let scoped = |org_units: Vec<&str>, indicators: Option<Vec<u16>>| ValueFilter {
        scope: Some(anju_store::Scope {
            org_units: org_units.into_iter().map(String::from).collect(),
            indicators,
        }),
        ..Default::default()
    };
    let mine = store
        .list(&scoped(vec!["硖石街道"], Some(vec![8])))
        .await
        .unwrap();
    assert!(
        !mine.is_empty()
            && mine
                .iter()
                .all(|v| v.org_unit == "硖石街道" && v.indicator == 8)
    );
    let two = store
        .list(&scoped(vec!["硖石街道", "马桥街道"], None))
        .await
        .unwrap();
    assert!(
        two.iter().any(|v| v.org_unit == "马桥街道") && two.iter().all(|v| v.org_unit != "海宁市")
    );
    assert!(store.list(&scoped(vec![], None)).await.unwrap().is_empty());
    assert!(
        store
            .list(&scoped(vec!["硖石街道"], Some(vec![])))
            .await
            .unwrap()
            .is_empty()
    );

    // Users: argon2id hashes, unique names.
    use anju_core::access::Role;
    let hash = anju_store::hash_password("correct horse").unwrap();
    assert!(hash.starts_with("$argon2id$"));
    let u = store
        .create_user(
            "xiashi",
            Role::Town,
            Some("硖石街道"),
            &hash,
            &now(16).stamp,
            "root",
            false,
        )
        .await
        .unwrap();
    assert_eq!(
        (u.role, u.org_unit.as_deref(), u.disabled),
        (Role::Town, Some("硖石街道"), false)
    );
    let err = store
        .create_user(
            "xiashi",
            Role::Leader,
            None,
            &hash,
            &now(16).stamp,
            "root",
            false,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::UserExists(_)), "{err}");
    let found = store.user("xiashi").await.unwrap().unwrap();
    assert!(anju_store::verify_password(
        "correct horse",
        &found.password_hash
    ));
    assert!(!anju_store::verify_password(
        "wrong horse",
        &found.password_hash
    ));
    assert!(store.user("nobody").await.unwrap().is_none());
    assert!(matches!(
        anju_store::hash_password("short"),
        Err(StoreError::Invalid(_))
    ));

    // Sessions: found by token, end when idle or at logout; failures are kept.
    let t0 = 1_719_968_400;
    let token = store.create_session(u.id, t0).await.unwrap();
    assert_eq!(
        store
            .session_user(&token, t0 + 60)
            .await
            .unwrap()
            .map(|u| u.name),
        Some("xiashi".into())
    );
    assert!(store.session_user("nope", t0).await.unwrap().is_none());
    // One query gives the user and the revision the request works at.
    let s = store.session(&token, t0 + 61).await.unwrap().unwrap();
    assert_eq!(
        (s.user.name.as_str(), s.revision),
        ("xiashi", store.revision().await.unwrap())
    );
    assert!(
        store
            .session_user(&token, t0 + 60 + anju_core::auth::IDLE_SECONDS)
            .await
            .unwrap()
            .is_none(),
        "idle"
    );
    let token = store.create_session(u.id, t0).await.unwrap();
    store.end_session(&token, t0).await.unwrap();
    assert!(
        store.session_user(&token, t0).await.unwrap().is_none(),
        "logged out"
    );
    // Disabling ends every session; a new password ends all but the one kept.
    let (a, b) = (
        store.create_session(u.id, t0).await.unwrap(),
        store.create_session(u.id, t0).await.unwrap(),
    );
    let other = anju_store::hash_password("battery staple").unwrap();
    let changed = store
        .update_user(
            "xiashi",
            None,
            Some(&other),
            false,
            Some(&a),
            "root",
            "2024-07-03T09:00:00+08:00",
        )
        .await
        .unwrap();
    assert!(anju_store::verify_password(
        "battery staple",
        &changed.password_hash
    ));
    assert!(store.session_user(&a, t0).await.unwrap().is_some(), "kept");
    assert!(store.session_user(&b, t0).await.unwrap().is_none(), "ended");
    let off = store
        .update_user(
            "xiashi",
            Some(true),
            None,
            false,
            None,
            "root",
            "2024-07-03T09:00:00+08:00",
        )
        .await
        .unwrap();
    assert!(off.disabled);
    assert!(
        store.session_user(&a, t0).await.unwrap().is_none(),
        "disabled"
    );
    let on = store
        .update_user(
            "xiashi",
            Some(false),
            None,
            false,
            None,
            "root",
            "2024-07-03T09:00:00+08:00",
        )
        .await
        .unwrap();
    assert!(!on.disabled);
    assert!(matches!(
        store
            .update_user(
                "nobody",
                Some(true),
                None,
                false,
                None,
                "root",
                "2024-07-03T09:00:00+08:00"
            )
            .await,
        Err(StoreError::NoSuchUser(_))
    ));
    let names: Vec<String> = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert!(names.contains(&"xiashi".to_string()), "{names:?}");
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "by name: {names:?}");
    // Failed logins count per address; one from an address the account
    // logged in from is not a stranger's.
    for k in 0..3 {
        let (attempt, _) = store
            .begin_login("xiashi", "10.0.0.9", t0 + k)
            .await
            .unwrap();
        store
            .end_login(
                attempt,
                "xiashi",
                "10.0.0.9",
                t0 + k,
                anju_store::LoginOutcome::Failed { lock: None },
            )
            .await
            .unwrap();
    }
    let (attempt, history) = store
        .begin_login("xiashi", "10.0.0.9", t0 + 3)
        .await
        .unwrap();
    assert_eq!(history.from_address, vec![t0, t0 + 1, t0 + 2]);
    assert_eq!(history.from_unknown, vec![t0, t0 + 1, t0 + 2]);
    assert!(!history.known_address);
    store
        .end_login(
            attempt,
            "xiashi",
            "10.0.0.9",
            t0 + 3,
            anju_store::LoginOutcome::Succeeded,
        )
        .await
        .unwrap();
    let (attempt, history) = store
        .begin_login("xiashi", "10.0.0.8", t0 + 4)
        .await
        .unwrap();
    assert!(history.from_address.is_empty(), "another address");
    assert!(history.from_unknown.is_empty(), "10.0.0.9 is known now");
    store
        .end_login(
            attempt,
            "xiashi",
            "10.0.0.8",
            t0 + 4,
            anju_store::LoginOutcome::Refused,
        )
        .await
        .unwrap();
    let (_, history) = store
        .begin_login("xiashi", "10.0.0.9", t0 + 5)
        .await
        .unwrap();
    assert!(history.known_address);
    assert!(
        history.from_address.is_empty(),
        "a success forgets the failures before it, a refusal never counted: {history:?}"
    );

    // The revision moves with the approved set only, and what entered or
    // left it since a revision can be read alone.
    let r0 = store.revision().await.unwrap();
    let d = store
        .put_drafts(&[value(8, "袁花镇", "2025-01", "3")], "yuanhua", &now(20))
        .await
        .unwrap();
    store
        .step(
            &[d[0].id],
            Step::Submit,
            "yuanhua",
            &now(20),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    assert_eq!(
        store.revision().await.unwrap(),
        r0,
        "drafts and submissions leave it"
    );
    store
        .step(
            &[d[0].id],
            Step::Approve,
            "zhuanban",
            &now(20),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    let r1 = store.revision().await.unwrap();
    assert_eq!(r1, r0 + 1);
    let changed = |v: Vec<anju_store::StoredValue>| -> Vec<(i64, State)> {
        v.into_iter().map(|v| (v.id, v.state)).collect()
    };
    assert_eq!(
        changed(store.approved_changes(r0).await.unwrap()),
        vec![(d[0].id, State::Approved)]
    );
    let c = store
        .correct(
            d[0].id,
            &value(8, "袁花镇", "2025-01", "4"),
            "录入错误",
            "yuanhua",
            &now(21),
        )
        .await
        .unwrap();
    assert_eq!(
        store.revision().await.unwrap(),
        r1,
        "a correction waiting for review leaves it"
    );
    store
        .step(
            &[c.id],
            Step::Approve,
            "zhuanban",
            &now(21),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    assert_eq!(
        changed(store.approved_changes(r1).await.unwrap()),
        vec![(d[0].id, State::Superseded), (c.id, State::Approved)],
        "the corrected version leaves, the correction enters"
    );
    let r2 = store.revision().await.unwrap();
    assert!(store.approved_changes(r2).await.unwrap().is_empty());

    // Text with a NUL character is refused on both backends (PostgreSQL
    // cannot keep it), naming the field, and nothing is written.
    let err = store
        .correct(
            c.id,
            &value(8, "袁花镇", "2025-01", "5"),
            "理由\0",
            "yuanhua",
            &now(22),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(m) if m.starts_with("reason")),
        "{err}"
    );
    let err = store
        .put_drafts(&[value(8, "袁\0花镇", "2025-02", "1")], "yuanhua", &now(22))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(m) if m.starts_with("values[0].org_unit")),
        "{err}"
    );
    assert!(store.user("a\0b").await.unwrap().is_none());
    assert!(matches!(
        store.begin_login("a\0b", "10.0.0.9", 0).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.revision().await.unwrap(), r2);

    audit_story(&store).await;
}

/// Runs SQL behind the store's back (what an intruder with database access
/// could do).
async fn raw(store: &Store, text: &str) {
    match store {
        Store::Sqlite(pool) => {
            sqlx::query(sqlx::AssertSqlSafe(text.to_string()))
                .execute(pool)
                .await
                .unwrap();
        }
        Store::Postgres(pool) => {
            sqlx::query(sqlx::AssertSqlSafe(text.to_string()))
                .execute(pool)
                .await
                .unwrap();
        }
    }
}

/// The audit log of everything the story did: whole, with every kind of
/// change; then every kind of tampering is found and named.
async fn audit_story(store: &Store) {
    use anju_store::{AuditCheck, AuditFilter};
    let check = store.verify_audit().await.unwrap();
    let AuditCheck::Whole { entries, .. } = check else {
        panic!("{check:?}")
    };
    assert!(entries > 10, "{entries}");
    let all = store
        .audit(&AuditFilter {
            limit: 1000,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len() as i64, entries);
    assert!(
        all.windows(2).all(|w| w[0].id == w[1].id + 1),
        "newest first"
    );
    let actions: std::collections::BTreeSet<&str> = all.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "value.draft",
        "value.submit",
        "value.approve",
        "value.return",
        "value.correct",
        "user.create",
        "user.update",
        "login",
        "login.failed",
        "logout",
    ] {
        assert!(actions.contains(a), "no {a} in {actions:?}");
    }
    // Who and what: the user's creation names its creator and never the hash.
    let made = all.iter().find(|e| e.action == "user.create").unwrap();
    assert_eq!(made.actor, "root");
    assert!(!made.after.as_deref().unwrap().contains("argon2"));
    // A correction shows the figure before and after.
    let corrected = all.iter().find(|e| e.action == "value.correct").unwrap();
    assert!(
        corrected
            .before
            .as_deref()
            .unwrap()
            .contains("\"state\":\"approved\"")
    );
    assert!(corrected.after.as_deref().unwrap().contains("录入错误"));
    let filtered = store
        .audit(&AuditFilter {
            actor: Some("root".into()),
            limit: 1000,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert!(!filtered.is_empty() && filtered.iter().all(|e| e.actor == "root"));

    // Tampering, each undone before the next.
    let k = entries / 2;
    let victim = all.iter().find(|e| e.id == k).unwrap().clone();
    let broken = |id: i64| AuditCheck::Broken {
        id,
        why: String::new(),
    };
    let named = |c: AuditCheck| match c {
        AuditCheck::Broken { id, .. } => broken(id),
        whole => whole,
    };
    // Content edited.
    raw(
        store,
        &format!("UPDATE audit_log SET actor = 'someone else' WHERE id = {k}"),
    )
    .await;
    assert_eq!(
        named(store.verify_audit().await.unwrap()),
        broken(k),
        "edited content"
    );
    raw(
        store,
        &format!(
            "UPDATE audit_log SET actor = '{}' WHERE id = {k}",
            victim.actor
        ),
    )
    .await;
    // Content and its own hash edited together: the next entry names the old hash.
    let forged = anju_store::AuditEntry {
        after: Some("{}".into()),
        ..victim.clone()
    }
    .content_hash();
    raw(
        store,
        &format!("UPDATE audit_log SET after = '{{}}', hash = '{forged}' WHERE id = {k}"),
    )
    .await;
    assert_eq!(
        named(store.verify_audit().await.unwrap()),
        broken(k + 1),
        "re-hashed"
    );
    let after = victim.after.clone().map_or("NULL".to_string(), |a| {
        format!("'{}'", a.replace('\'', "''"))
    });
    raw(
        store,
        &format!(
            "UPDATE audit_log SET after = {after}, hash = '{}' WHERE id = {k}",
            victim.hash
        ),
    )
    .await;
    assert!(
        matches!(
            store.verify_audit().await.unwrap(),
            AuditCheck::Whole { .. }
        ),
        "restored"
    );
    // A row removed from the middle.
    raw(store, &format!("DELETE FROM audit_log WHERE id = {k}")).await;
    assert_eq!(
        named(store.verify_audit().await.unwrap()),
        broken(k),
        "removed"
    );
    let text = |v: &Option<String>| {
        v.clone().map_or("NULL".to_string(), |a| {
            format!("'{}'", a.replace('\'', "''"))
        })
    };
    raw(store, &format!(
        "INSERT INTO audit_log (id, at, actor, action, subject, before, after, prev_hash, hash) VALUES ({}, '{}', '{}', '{}', '{}', {}, {}, '{}', '{}')",
        victim.id, victim.at, victim.actor, victim.action, victim.subject, text(&victim.before), text(&victim.after), victim.prev_hash, victim.hash
    )).await;
    assert!(
        matches!(
            store.verify_audit().await.unwrap(),
            AuditCheck::Whole { .. }
        ),
        "restored"
    );
    // The last row removed: the head still names it.
    let last = all[0].clone();
    raw(
        store,
        &format!("DELETE FROM audit_log WHERE id = {}", last.id),
    )
    .await;
    assert_eq!(
        named(store.verify_audit().await.unwrap()),
        broken(last.id),
        "tail removed"
    );
    raw(store, &format!(
        "INSERT INTO audit_log (id, at, actor, action, subject, before, after, prev_hash, hash) VALUES ({}, '{}', '{}', '{}', '{}', {}, {}, '{}', '{}')",
        last.id, last.at, last.actor, last.action, last.subject, text(&last.before), text(&last.after), last.prev_hash, last.hash
    )).await;
    assert!(
        matches!(
            store.verify_audit().await.unwrap(),
            AuditCheck::Whole { .. }
        ),
        "restored"
    );

    // A forged entry, correctly chained, beyond the head: reported; and the
    // service refuses writes with a clear error instead of failing forever.
    let head = store.verify_audit().await.unwrap();
    let AuditCheck::Whole {
        entries: seq,
        last_hash,
    } = head
    else {
        panic!("{head:?}")
    };
    let mut fake = anju_store::AuditEntry {
        id: seq + 1,
        at: "2024-07-05T09:00:00+08:00".into(),
        actor: "root".into(),
        action: "user.update".into(),
        subject: "user root".into(),
        before: None,
        after: None,
        prev_hash: last_hash.clone(),
        hash: String::new(),
    };
    fake.hash = fake.content_hash();
    let insert = |e: &anju_store::AuditEntry| {
        format!(
            "INSERT INTO audit_log (id, at, actor, action, subject, before, after, prev_hash, hash) VALUES ({}, '{}', '{}', '{}', '{}', NULL, NULL, '{}', '{}')",
            e.id, e.at, e.actor, e.action, e.subject, e.prev_hash, e.hash
        )
    };
    raw(store, &insert(&fake)).await;
    assert_eq!(
        named(store.verify_audit().await.unwrap()),
        broken(seq + 1),
        "a forged entry beyond the head"
    );
    let refused = store.begin_login("xiashi", "10.0.0.9", 1_720_000_000).await;
    let refused = match refused {
        Ok((attempt, _)) => {
            store
                .end_login(
                    attempt,
                    "xiashi",
                    "10.0.0.9",
                    1_720_000_000,
                    anju_store::LoginOutcome::Failed { lock: None },
                )
                .await
        }
        Err(e) => Err(e),
    };
    assert!(
        matches!(&refused, Err(anju_store::StoreError::AuditBlocked(m)) if m.contains(&(seq + 1).to_string())),
        "{refused:?}"
    );
    raw(
        store,
        &format!("DELETE FROM audit_log WHERE id = {}", seq + 1),
    )
    .await;
    // A copy of an early entry far out.
    let early = all.iter().find(|e| e.id == 5).unwrap();
    raw(
        store,
        &insert(&anju_store::AuditEntry {
            id: 100_000,
            before: None,
            after: None,
            ..early.clone()
        }),
    )
    .await;
    assert_eq!(
        named(store.verify_audit().await.unwrap()),
        broken(100_000),
        "an entry far beyond the head"
    );
    raw(store, "DELETE FROM audit_log WHERE id = 100000").await;
    assert!(matches!(
        store.verify_audit().await.unwrap(),
        AuditCheck::Whole { .. }
    ));

    // Figures changed in their own table, which the chain cannot see.
    assert_eq!(store.verify_figures().await.unwrap(), vec![]);
    let approved = store.approved().await.unwrap();
    let v = approved.first().expect("the story has approved figures");
    let column = if v.parts().0.is_some() {
        "value"
    } else {
        "numerator"
    };
    let was = v.parts().0.or(v.parts().1).unwrap().to_string();
    raw(
        store,
        &format!(
            "UPDATE value_versions SET {column} = '999' WHERE id = {}",
            v.id
        ),
    )
    .await;
    let found = store.verify_figures().await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, v.id);
    assert!(
        found[0].why.contains(column) && found[0].why.contains("999"),
        "{found:?}"
    );
    raw(
        store,
        &format!(
            "UPDATE value_versions SET {column} = '{was}' WHERE id = {}",
            v.id
        ),
    )
    .await;
    raw(
        store,
        &format!(
            "UPDATE value_versions SET state = 'returned' WHERE id = {}",
            v.id
        ),
    )
    .await;
    let found = store.verify_figures().await.unwrap();
    assert_eq!(
        found.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![v.id],
        "{found:?}"
    );
    raw(
        store,
        &format!(
            "UPDATE value_versions SET state = 'approved' WHERE id = {}",
            v.id
        ),
    )
    .await;
    assert_eq!(store.verify_figures().await.unwrap(), vec![]);
    // A version removed from its table.
    let all = store
        .list(&anju_store::ValueFilter::default())
        .await
        .unwrap();
    // (A version no other depends on: a draft or one returned.)
    let victim = all
        .iter()
        .filter(|v| matches!(v.state, State::Draft | State::Returned | State::Submitted))
        .map(|v| v.id)
        .max()
        .expect("the story leaves a figure that is not approved");
    raw(
        store,
        &format!("DELETE FROM value_versions WHERE id = {victim}"),
    )
    .await;
    let found = store.verify_figures().await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, victim);
    assert!(found[0].why.contains("已被删除"), "{found:?}");
}

#[tokio::test]
async fn the_story_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("anju-store-{}-{}", std::process::id(), line!()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("anju.db");
    let _ = std::fs::remove_file(&path);
    let store = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    story(store).await;
    // The file is a database that opens again, already migrated.
    let again = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert!(again.migrate().await.unwrap().is_empty());
    assert_eq!(again.approved().await.unwrap().len(), 4);
}

#[tokio::test]
async fn the_story_on_postgres() {
    let Ok(url) = std::env::var("ANJU_TEST_PG_URL") else {
        eprintln!(
            "ANJU_TEST_PG_URL is not set: the PostgreSQL story is not run here (.ci/run sets it)"
        );
        return;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let schema = format!("anju_test_{}_{nanos}", std::process::id());
    let store = Store::connect_postgres_schema(&url, &schema)
        .await
        .expect("PostgreSQL at ANJU_TEST_PG_URL");
    story(store.clone()).await;
    if let Store::Postgres(pool) = &store {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(pool)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn an_unknown_database_url_is_refused() {
    let err = Store::connect("mysql://localhost/x").await.unwrap_err();
    assert!(matches!(err, StoreError::BadUrl(_)));
}

#[tokio::test]
async fn only_approved_figures_feed_the_evaluation() {
    use anju_core::{engine, period::YearMonth, targets::TargetBook, values::ValueSet};
    let dir = std::env::temp_dir().join(format!("anju-store-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("eval.db");
    let _ = std::fs::remove_file(&path);
    let store = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let drafts = store
        .put_drafts(
            &[
                value(8, "硖石街道", "2024-06", "7"),
                value(8, "海洲街道", "2024-06", "5"),
            ],
            "town",
            &now(1),
        )
        .await
        .unwrap();
    let ids: Vec<i64> = drafts.iter().map(|v| v.id).collect();
    store
        .step(
            &ids,
            Step::Submit,
            "town",
            &now(2),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    store
        .step(
            &ids[..1],
            Step::Approve,
            "zhuanban",
            &now(3),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();

    let plan = anju_core::builtin_plan().unwrap();
    let obs = anju_store::observations(&plan, &store.approved().await.unwrap(), 0);
    assert!(obs.skipped.is_empty(), "{:?}", obs.skipped);
    let obs = obs.observations;
    assert_eq!(
        obs.len(),
        1,
        "the submitted figure of 海洲街道 does not count yet"
    );
    assert_eq!(obs[0].source().line, u32::try_from(ids[0]).unwrap());
    let values = ValueSet::build(&plan, obs, &["数据库".into()]).unwrap();
    let e = engine::evaluate(
        &plan,
        &values,
        &TargetBook::from_plan(&plan),
        YearMonth::new(2024, 6).unwrap(),
    );
    let city = plan.orgs.resolve("海宁市").unwrap();
    let row = e
        .rows
        .iter()
        .find(|r| plan.indicators[r.indicator].code.0 == 8 && r.org == city)
        .unwrap();
    assert_eq!(
        row.actual.as_ref().unwrap().value,
        anju_core::num::Exact::int(7)
    );

    // A figure the plan does not know is left out, named by its record.
    let unknown = store
        .put_drafts(&[value(8, "不存在镇", "2024-06", "1")], "x", &now(4))
        .await
        .unwrap();
    store
        .step(
            &[unknown[0].id],
            Step::Submit,
            "x",
            &now(4),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    store
        .step(
            &[unknown[0].id],
            Step::Approve,
            "zhuanban",
            &now(4),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    let approved = store.approved().await.unwrap();
    let obs = anju_store::observations(&plan, &approved, 0);
    assert_eq!(obs.skipped.len(), 1);
    assert_eq!(obs.skipped[0].line, u64::try_from(unknown[0].id).unwrap());
    assert_eq!(
        obs.observations.len(),
        approved.len() - 1,
        "the others still count"
    );

    // Two stored names the plan takes for one unit (a revised plan merged
    // them): one approved figure each for one period. The newer counts, the
    // older is named; the evaluation does not fail.
    let twins = store
        .put_drafts(&[value(8, "海宁市海洲街道", "2024-05", "2")], "x", &now(5))
        .await
        .unwrap();
    let older = store
        .put_drafts(&[value(8, "海洲街道", "2024-05", "1")], "x", &now(5))
        .await
        .unwrap();
    let ids = [twins[0].id, older[0].id];
    store
        .step(
            &ids,
            Step::Submit,
            "x",
            &now(5),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    store
        .step(
            &ids,
            Step::Approve,
            "zhuanban",
            &now(5),
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    let approved = store.approved().await.unwrap();
    let obs = anju_store::observations(&plan, &approved, 0);
    let newest = ids.into_iter().max().unwrap();
    let oldest = ids.into_iter().min().unwrap();
    assert!(
        obs.skipped
            .iter()
            .any(|e| e.line == u64::try_from(oldest).unwrap()
                && e.message.contains(&newest.to_string())),
        "{:?}",
        obs.skipped
    );
    let lines: Vec<u32> = obs.observations.iter().map(|o| o.source().line).collect();
    assert!(lines.contains(&u32::try_from(newest).unwrap()));
    assert!(!lines.contains(&u32::try_from(oldest).unwrap()));
    ValueSet::build(&plan, obs.observations, &["数据库".into()]).expect("no duplicate left");
}
