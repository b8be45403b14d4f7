#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::disallowed_methods
)]
//! Load on the service, in process on a loopback port (`cargo run --release -p
//! anju-server --example load -- [CLIENTS] [REQUESTS_PER_CLIENT]`): five years
//! of monthly figures for every unit of the built-in plan are stored and
//! approved, then CLIENTS connections ask for the evaluation, and then post
//! figures in batches. Prints p50, p99 and requests (or values) per second.
//! Sends traffic only to 127.0.0.1; every loop is bounded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anju_core::period::Period;
use anju_core::workflow::{Date, Step};
use anju_server::{AppState, router, system_clock};
use anju_store::{NewValue, Now, Store};
use rust_decimal::Decimal;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One HTTP/1.1 request on a kept-alive connection; returns the status.
async fn request(conn: &mut TcpStream, head: &str, body: &[u8], buf: &mut Vec<u8>) -> u16 {
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(body).await.unwrap();
    buf.clear();
    // Read the head, then Content-Length bytes of body.
    let mut tmp = [0u8; 65536];
    let (head_end, length) = loop {
        let n = conn.read(&mut tmp).await.unwrap();
        assert!(n > 0, "connection closed");
        // Look for the end of the head only in what is new (and 3 bytes before).
        let from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&tmp[..n]);
        if let Some(i) = buf[from..]
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| i + from)
        {
            let text = String::from_utf8_lossy(&buf[..i]).to_lowercase();
            let length = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse::<usize>().unwrap());
            break (i + 4, length);
        }
    };
    while buf.len() < head_end + length {
        let n = conn.read(&mut tmp).await.unwrap();
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&tmp[..n]);
    }
    String::from_utf8_lossy(&buf[9..12]).parse().unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)].as_secs_f64() * 1e3
}

/// CLIENTS connections each asking PER_CLIENT times; prints the figures.
async fn evaluation_load(
    addr: std::net::SocketAddr,
    head: &str,
    clients: usize,
    per_client: usize,
    label: &str,
) {
    let head = Arc::new(head.to_string());
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let mut buf = Vec::new();
    // The first request after a change fills the kept evaluation: timed
    // alone, then the steady state under load.
    let t = Instant::now();
    assert_eq!(request(&mut conn, &head, b"", &mut buf).await, 200);
    println!(
        "evaluation ({label}), first request: {:.1} ms, {} bytes",
        t.elapsed().as_secs_f64() * 1e3,
        buf.len()
    );
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let head = head.clone();
            tokio::spawn(async move {
                let mut conn = TcpStream::connect(addr).await.unwrap();
                let mut buf = Vec::new();
                let mut times = Vec::with_capacity(per_client);
                for _ in 0..per_client {
                    let t = Instant::now();
                    assert_eq!(request(&mut conn, &head, b"", &mut buf).await, 200);
                    times.push(t.elapsed());
                }
                times
            })
        })
        .collect();
    let mut times = Vec::new();
    for t in tasks {
        times.extend(t.await.unwrap());
    }
    let wall = started.elapsed().as_secs_f64();
    times.sort();
    println!(
        "evaluation ({label}): {clients} clients × {per_client} requests: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, {:.0} requests/s",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
        times.len() as f64 / wall
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (clients, per_client) = (
        args.first().copied().unwrap_or(100),
        args.get(1).copied().unwrap_or(50),
    );
    let dir = std::env::temp_dir().join(format!("anju-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("load.db");
    let _ = std::fs::remove_file(&db);
    let store = Store::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let plan = Arc::new(anju_core::builtin_plan().unwrap());

    // Five years of approved monthly figures for every unit and indicator.
    let now = Now {
        date: Date {
            year: 2028,
            month: 1,
            day: 1,
        },
        stamp: "2028-01-01T09:00:00+08:00".into(),
    };
    let started = Instant::now();
    let mut count = 0;
    for &org in &plan.reporting {
        let unit = plan.orgs.get(org).name.clone();
        let mut batch = Vec::new();
        for ind in &plan.indicators {
            for y in 2023..=2027 {
                for m in 1..=12 {
                    let period = Period::parse(&format!("{y}-{m:02}")).unwrap();
                    let v = Decimal::new(i64::from(m) + i64::from(y - 2023) * 12, 0);
                    let ratio = ind.kind == anju_core::plan::Kind::Ratio;
                    batch.push(NewValue {
                        indicator: ind.code.0,
                        org_unit: unit.clone(),
                        period,
                        amount: if ratio {
                            anju_core::input::Amount::Ratio {
                                num: v,
                                den: Decimal::new(100, 0),
                            }
                        } else {
                            anju_core::input::Amount::Value(v)
                        },
                    });
                }
            }
        }
        let ids: Vec<i64> = store
            .put_drafts(&batch, "seed", &now)
            .await
            .unwrap()
            .iter()
            .map(|v| v.id)
            .collect();
        store
            .step(
                &ids,
                Step::Submit,
                "seed",
                &now,
                None,
                anju_store::Deadline::Day(5),
            )
            .await
            .unwrap();
        store
            .step(
                &ids,
                Step::Approve,
                "reviewer",
                &now,
                None,
                anju_store::Deadline::Day(5),
            )
            .await
            .unwrap();
        count += ids.len();
    }
    println!(
        "seeded {count} approved figures in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // What filling the kept evaluation costs, by part.
    let t = Instant::now();
    let approved = store.approved().await.unwrap();
    let read = t.elapsed();
    let obs = anju_store::observations(&plan, &approved, 0).observations;
    let values = anju_core::values::ValueSet::build(&plan, obs, &["数据库".into()]).unwrap();
    let built = t.elapsed();
    let book = anju_core::targets::TargetBook::from_plan(&plan);
    let eval = anju_core::engine::evaluate(
        &plan,
        &values,
        &book,
        anju_core::period::YearMonth::parse("2027-06").unwrap(),
    );
    println!(
        "fill: read {} approved figures {:.1} ms, build {:.1} ms, evaluate ({} rows) {:.1} ms",
        approved.len(),
        read.as_secs_f64() * 1e3,
        (built - read).as_secs_f64() * 1e3,
        eval.rows.len(),
        (t.elapsed() - built).as_secs_f64() * 1e3
    );

    let hash = anju_store::hash_password("load test password").unwrap();
    store
        .create_user(
            "load",
            anju_core::access::Role::Taskforce,
            Some("市住建局"),
            &hash,
            &now.stamp,
            "load",
            false,
        )
        .await
        .unwrap();
    let state = AppState::new(plan.clone(), store.clone(), system_clock());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });

    let mut conn = TcpStream::connect(addr).await.unwrap();
    let body = br#"{"username":"load","password":"load test password"}"#;
    let head = format!(
        "POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut buf = Vec::new();
    assert_eq!(request(&mut conn, &head, body, &mut buf).await, 200);
    let text = String::from_utf8_lossy(&buf).to_string();
    let token = text
        .split("\"token\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();

    // Evaluation under CLIENTS concurrent connections, as the task force
    // (every row of the city), without and with gzip.
    for gzip in [false, true] {
        let head = format!(
            "GET /api/v1/evaluation?as_of=2027-06 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n{}\r\n",
            if gzip {
                "Accept-Encoding: gzip\r\n"
            } else {
                ""
            }
        );
        evaluation_load(
            addr,
            &head,
            clients,
            per_client,
            if gzip { "gzip" } else { "plain" },
        )
        .await;
    }

    // After one more approval, the next request brings the kept figures
    // forward by reading only what changed; then evaluates and writes anew.
    let fresh = NewValue {
        indicator: 8,
        org_unit: "硖石街道".into(),
        period: Period::parse("2028-01").unwrap(),
        amount: anju_core::input::Amount::Value(Decimal::new(99, 0)),
    };
    for round in 0..3 {
        let mut v = fresh.clone();
        v.period = Period::parse(&format!("2028-{:02}", 1 + round)).unwrap();
        let ids: Vec<i64> = store
            .put_drafts(&[v], "seed", &now)
            .await
            .unwrap()
            .iter()
            .map(|v| v.id)
            .collect();
        store
            .step(
                &ids,
                Step::Submit,
                "seed",
                &now,
                None,
                anju_store::Deadline::Day(5),
            )
            .await
            .unwrap();
        store
            .step(
                &ids,
                Step::Approve,
                "reviewer",
                &now,
                None,
                anju_store::Deadline::Day(5),
            )
            .await
            .unwrap();
        let head = format!(
            "GET /api/v1/evaluation?as_of=2027-06 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nAccept-Encoding: gzip\r\n\r\n"
        );
        let t = Instant::now();
        assert_eq!(request(&mut conn, &head, b"", &mut buf).await, 200);
        println!(
            "evaluation after one more approval: {:.1} ms",
            t.elapsed().as_secs_f64() * 1e3
        );
    }

    // Submissions: batches of 100 new figures (drafts) from 10 connections.
    let batches = 20;
    let started = Instant::now();
    let tasks: Vec<_> = (0..10)
        .map(|c| {
            let token = token.clone();
            tokio::spawn(async move {
                let mut conn = TcpStream::connect(addr).await.unwrap();
                let mut buf = Vec::new();
                for b in 0..batches {
                    let values: Vec<String> = (0..100)
                        .map(|k| {
                            // Distinct figures, apart from the seeded years: two indicators, months from 2100 on.
                            let n = (c * batches + b) * 100 + k;
                            let (indicator, m) = (if n % 2 == 0 { 8 } else { 5 }, n / 2);
                            format!(r#"{{"indicator":{indicator},"org_unit":"硖石街道","period":"{}-{:02}","value":{k}}}"#, 2100 + m / 12, m % 12 + 1)
                        })
                        .collect();
                    let body = format!(r#"{{"values":[{}]}}"#, values.join(","));
                    let head = format!(
                        "POST /api/v1/values HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    assert_eq!(request(&mut conn, &head, body.as_bytes(), &mut buf).await, 200, "{}", String::from_utf8_lossy(&buf));
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let wall = started.elapsed().as_secs_f64();
    println!(
        "submissions: 10 clients × {batches} batches × 100 figures: {:.0} values/s",
        10.0 * batches as f64 * 100.0 / wall
    );
}
