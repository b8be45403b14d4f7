//! The job runner: several servers on one database run each fire time of a
//! scheduled job once; a failed run is retried with back-off and every run
//! is recorded; the standard job drops expired sessions.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use anju_core::access::Role;
use anju_server::AppState;
use anju_server::jobs::{Job, JobFn, Runner};

use super::TestApp;
use crate::common::Backend;

/// A job that counts its runs (and takes a little while, so that runners
/// overlap).
fn counting(count: Arc<AtomicUsize>) -> JobFn {
    Arc::new(move |_state: AppState, _fire: i64| {
        let count = count.clone();
        Box::pin(async move {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            Ok("数过了".to_string())
        })
    })
}

async fn two_servers_on_one_database_run_each_fire_time_once(backend: Backend) {
    let (first, second, _guard) = backend.fresh_twice("jobs_twice").await;
    let plan = Arc::new(anju_core::builtin_plan().unwrap());
    // 2024-07-03 09:00:30 in China; the test moves it a minute at a time.
    let now = Arc::new(AtomicI64::new(1_719_968_430));
    let clock = {
        let now = now.clone();
        Arc::new(move || now.load(Ordering::SeqCst)) as anju_server::Clock
    };
    let a = AppState::new(plan.clone(), first, clock.clone());
    let b = AppState::new(plan, second, clock);
    let count = Arc::new(AtomicUsize::new(0));
    let job = || Job::new("count", "* * * * *", counting(count.clone())).unwrap();
    let (ra, rb) = (
        Runner::new("server-a", vec![job()]),
        Runner::new("server-b", vec![job()]),
    );
    let minutes = 6;
    for _ in 0..minutes {
        // Each server passes three times a minute, the two at once.
        for _ in 0..3 {
            let (x, y) = tokio::join!(ra.tick(&a), rb.tick(&b));
            x.unwrap();
            y.unwrap();
        }
        now.fetch_add(60, Ordering::SeqCst);
    }
    let runs = a.store.job_runs(Some("count")).await.unwrap();
    assert_eq!(count.load(Ordering::SeqCst), minutes, "one run a minute");
    assert_eq!(runs.len(), minutes, "{runs:?}");
    let mut fires: Vec<&str> = runs.iter().map(|r| r.fire_at.as_str()).collect();
    fires.dedup();
    assert_eq!(fires.len(), minutes, "each fire time once: {fires:?}");
    assert_eq!(fires[0], "2024-07-03T09:00:00+08:00");
    assert!(runs.iter().all(|r| r.ok && r.attempt == 1));
    let jobs = b.store.jobs(Some("count")).await.unwrap();
    assert!(jobs.iter().all(|j| j.state == "done"), "{jobs:?}");
    assert_eq!(jobs.len(), minutes);

    // On PostgreSQL a job another server is claiming is skipped, not waited
    // for and not taken twice: hold its row locked as a claim in flight does.
    if let anju_store::Store::Postgres(pool) = &a.store {
        let t = now.load(Ordering::SeqCst);
        assert!(
            a.store
                .schedule_job("other", "2024-07-03T10:00:00+08:00", t)
                .await
                .unwrap()
        );
        let mut claiming = pool.begin().await.unwrap();
        sqlx::query("SELECT kind FROM jobs WHERE kind = 'other' FOR UPDATE")
            .fetch_all(&mut *claiming)
            .await
            .unwrap();
        let taken = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            b.store.claim_job("server-b", t, t + 600, 5),
        )
        .await
        .expect("a locked job is skipped at once, not waited for")
        .unwrap();
        assert_eq!(taken, None);
        claiming.rollback().await.unwrap();
        let taken = b.store.claim_job("server-b", t, t + 600, 5).await.unwrap();
        assert_eq!(taken.map(|j| j.kind), Some("other".to_string()));
    }
}

async fn a_failed_job_is_tried_again_later_and_every_run_is_recorded(backend: Backend) {
    let app = TestApp::new(&backend, "jobs_retry").await;
    let tries = Arc::new(AtomicUsize::new(0));
    let flaky: JobFn = {
        let tries = tries.clone();
        Arc::new(move |_state: AppState, _fire: i64| {
            let n = tries.fetch_add(1, Ordering::SeqCst) + 1;
            Box::pin(async move {
                if n < 3 {
                    Err(format!("第 {n} 次:对方服务无响应"))
                } else {
                    Ok("已送达".to_string())
                }
            })
        })
    };
    let panics: JobFn = Arc::new(|_state: AppState, _fire: i64| {
        Box::pin(async {
            #[allow(clippy::panic)]
            {
                panic!("a job that falls over")
            }
        })
    });
    // Daily at 09:00; the clock stands at 09:00 on 2024-07-03.
    let runner = Runner::new(
        "only",
        vec![
            Job::new("flaky", "0 9 * * *", flaky).unwrap(),
            Job::new("falls", "0 9 * * *", panics).unwrap(),
        ],
    );
    let runs_of = |kind: &'static str| {
        let store = app.state.store.clone();
        async move { store.job_runs(Some(kind)).await.unwrap() }
    };
    assert_eq!(runner.tick(&app.state).await.unwrap(), 2, "both ran once");
    assert_eq!(
        runner.tick(&app.state).await.unwrap(),
        0,
        "not again at once"
    );
    app.advance(29);
    assert_eq!(
        runner.tick(&app.state).await.unwrap(),
        0,
        "the first retry waits 30 s"
    );
    app.advance(1);
    assert_eq!(runner.tick(&app.state).await.unwrap(), 2, "both retried");
    app.advance(59);
    assert_eq!(
        runner.tick(&app.state).await.unwrap(),
        0,
        "the second waits 60 s"
    );
    app.advance(1);
    assert_eq!(runner.tick(&app.state).await.unwrap(), 2);
    let flaky = runs_of("flaky").await;
    assert_eq!(
        flaky
            .iter()
            .map(|r| (r.attempt, r.ok, r.detail.as_str()))
            .collect::<Vec<_>>(),
        [
            (1, false, "第 1 次:对方服务无响应"),
            (2, false, "第 2 次:对方服务无响应"),
            (3, true, "已送达"),
        ]
    );
    assert_eq!(tries.load(Ordering::SeqCst), 3);
    // The one that panics is given up after five tries, each recorded.
    for wait in [120, 240] {
        app.advance(wait);
        assert_eq!(runner.tick(&app.state).await.unwrap(), 1);
    }
    app.advance(3600);
    assert_eq!(runner.tick(&app.state).await.unwrap(), 0, "given up");
    let falls = runs_of("falls").await;
    assert_eq!(falls.len(), 5);
    assert!(
        falls.iter().all(|r| !r.ok && r.detail == "任务崩溃"),
        "{falls:?}"
    );
    let rows = app.state.store.jobs(None).await.unwrap();
    let state_of = |kind: &str| {
        rows.iter()
            .find(|j| j.kind == kind)
            .map(|j| (j.state.clone(), j.attempts))
    };
    assert_eq!(state_of("flaky"), Some(("done".into(), 3)));
    assert_eq!(state_of("falls"), Some(("failed".into(), 5)));
    // Next day's fire time is a new job.
    app.advance(86_400);
    assert_eq!(runner.tick(&app.state).await.unwrap(), 2);
}

async fn the_session_job_drops_expired_sessions(backend: Backend) {
    let app = TestApp::new(&backend, "jobs_sessions").await;
    let _old = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    app.advance(20 * 60);
    let fresh = app.token("taskforce", Role::Taskforce, None).await;
    app.advance(11 * 60);
    let settings = anju_server::config::JobSettings {
        enabled: true,
        tick_seconds: 15,
        prune_sessions: "*/10 * * * *".into(),
    };
    let runner = Runner::new("only", anju_server::jobs::standard(&settings).unwrap());
    assert_eq!(runner.tick(&app.state).await.unwrap(), 1);
    let runs = app
        .state
        .store
        .job_runs(Some("prune_sessions"))
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].detail, "删除过期会话 1 个", "{runs:?}");
    let live = app
        .state
        .store
        .live_sessions((app.state.clock)())
        .await
        .unwrap();
    assert_eq!(
        live.iter().map(|s| s.user.as_str()).collect::<Vec<_>>(),
        ["taskforce"]
    );
    let (status, _) = app.with_token("GET", "/api/v1/me", &fresh).await;
    assert_eq!(status, axum::http::StatusCode::OK);
}

crate::on_both_backends!(
    two_servers_on_one_database_run_each_fire_time_once,
    a_failed_job_is_tried_again_later_and_every_run_is_recorded,
    the_session_job_drops_expired_sessions,
);
