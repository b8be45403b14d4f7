#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::disallowed_methods
)]
//! Time of the web pages (`cargo run --release -p anju-server --example pages
//! -- [CLIENTS] [REQUESTS_PER_CLIENT]`): the demo is loaded into a fresh
//! SQLite database in a temporary folder, then CLIENTS tasks ask for each
//! page in turn through the router in process (rendering and the store
//! included, the network not). Prints p50 and p99 per page, and the time of
//! the first request after a change of the approved figures.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anju_server::{AppState, router, system_clock};
use anju_store::Store;
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[k.min(sorted.len() - 1)]
}

async fn get(state: &AppState, path: &str, token: Option<&str>) -> (u16, usize) {
    let mut r = Request::get(path);
    if let Some(t) = token {
        r = r.header("cookie", format!("anju_session={t}"));
    }
    let response = router(state.clone())
        .oneshot(r.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, bytes.len())
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let clients = args.first().copied().unwrap_or(10);
    let per_client = args.get(1).copied().unwrap_or(100);
    let dir = std::env::temp_dir().join(format!("anju-pages-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::connect(&format!("sqlite://{}/pages.db", dir.display()))
        .await
        .unwrap();
    let plan = Arc::new(anju_core::builtin_plan().unwrap());
    let mut state = AppState::new(plan, store, system_clock());
    let t = Instant::now();
    let loaded = anju_server::demo::load(&state).await.unwrap();
    state.demo = true;
    println!(
        "demo loaded: {} figures, {} months published, in {:.1} s",
        loaded.figures,
        loaded.published,
        t.elapsed().as_secs_f64()
    );
    let login = |name: &'static str| {
        let state = state.clone();
        async move {
            let body =
                serde_json::json!({"username": name, "password": anju_server::demo::DEMO_PASSWORD});
            let response = router(state)
                .oneshot(
                    Request::post("/api/v1/login")
                        .header("content-type", "application/json")
                        .body(Body::from(body.to_string()))
                        .unwrap(),
                )
                .await
                .unwrap();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            v["token"].as_str().unwrap().to_string()
        }
    };
    let leader = login("demo-lingdao").await;
    let taskforce = login(anju_server::demo::DEMO_TASKFORCE).await;
    let town = login("demo-town-01").await;
    let month = loaded.until.unwrap().to_string();
    let published = loaded.until.and_then(|m| m.previous()).unwrap().to_string();
    let pages: Vec<(String, Option<String>)> = vec![
        ("/".into(), None),
        (format!("/airing/{published}"), None),
        (format!("/cockpit?as_of={month}"), Some(leader.clone())),
        (format!("/indicator/8?as_of={month}"), Some(leader.clone())),
        ("/report".into(), Some(town.clone())),
        ("/review".into(), Some(taskforce.clone())),
    ];
    println!("{clients} clients × {per_client} requests per page");
    println!(
        "{:<28} {:>8} {:>9} {:>9}",
        "page", "bytes", "p50 ms", "p99 ms"
    );
    for (path, token) in &pages {
        // Once to fill what is kept per revision.
        let (status, bytes) = get(&state, path, token.as_deref()).await;
        assert_eq!(status, 200, "{path}");
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (state, path, token) = (state.clone(), path.clone(), token.clone());
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::with_capacity(per_client);
                for _ in 0..per_client {
                    let t = Instant::now();
                    let (status, _) = get(&state, &path, token.as_deref()).await;
                    assert_eq!(status, 200);
                    times.push(t.elapsed());
                }
                times
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all.sort();
        println!(
            "{:<28} {:>8} {:>9.2} {:>9.2}",
            path.split('?').next().unwrap(),
            bytes,
            percentile(&all, 0.5).as_secs_f64() * 1e3,
            percentile(&all, 0.99).as_secs_f64() * 1e3
        );
    }
    // After an approval the cockpit and the indicator page are computed anew.
    let waiting = state
        .store
        .list(&anju_store::ValueFilter {
            state: Some(anju_core::workflow::State::Submitted),
            ..anju_store::ValueFilter::default()
        })
        .await
        .unwrap();
    let now = anju_store::Now {
        date: anju_core::auth::china_time((state.clock)()).0,
        stamp: anju_core::auth::china_stamp((state.clock)()),
    };
    state
        .store
        .step(
            &[waiting[0].id],
            anju_core::workflow::Step::Approve,
            anju_server::demo::DEMO_TASKFORCE,
            &now,
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    for (path, token) in &pages[2..4] {
        let t = Instant::now();
        get(&state, path, token.as_deref()).await;
        println!(
            "first {} after an approval: {:.1} ms",
            path.split('?').next().unwrap(),
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
