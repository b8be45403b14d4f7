//! The job runner of `anju serve`: scheduled jobs by cron pattern (China
//! time), kept as rows of the store so that several servers on one database
//! run each fire time once. Each pass ([`Runner::tick`]) schedules the latest
//! fire time due of each job (a server that was down catches up once, not
//! once for every missed time), then claims and runs due jobs one at a time
//! until none is left. A failed run is tried again after 30 s, 1, 2, 4
//! minutes…, at most [`MAX_ATTEMPTS`] times; every run is recorded with what
//! it did or why it failed. Time is the state's clock.
//!
//! The jobs are service operations called without a request: notifications
//! and reminders will be added here.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use anju_store::{ClaimedJob, JobEnd, StoreError};
use chrono::{DateTime, FixedOffset};

use crate::AppState;

/// Tries of one fire time before it is given up.
pub const MAX_ATTEMPTS: i64 = 5;
/// How long a runner holds a job it claimed; a runner that died leaves it to
/// another after this (seconds). A run taking longer is stopped.
pub const LEASE_SECONDS: i64 = 600;
/// The first wait before a retry (seconds); it doubles each time, at most an hour.
pub const FIRST_RETRY_SECONDS: i64 = 30;

/// What a job returns: what it did, or why it failed (in Chinese).
pub type JobResult = Result<String, String>;
/// A job's body: given the state and its fire time (Unix), what it did.
pub type JobFn =
    Arc<dyn Fn(AppState, i64) -> Pin<Box<dyn Future<Output = JobResult> + Send>> + Send + Sync>;

/// A kind of job and when it fires.
#[derive(Clone)]
pub struct Job {
    /// Its name (`prune_sessions`).
    pub kind: &'static str,
    /// Its cron pattern.
    pub pattern: String,
    schedule: croner::Cron,
    run: JobFn,
}

/// China's offset (+08:00, no DST).
fn china() -> FixedOffset {
    use chrono::Offset as _;
    FixedOffset::east_opt(8 * 3600).unwrap_or(chrono::Utc.fix())
}

/// The schedule of a cron pattern (`*/10 * * * *`: minute, hour, day,
/// month, weekday; with a sixth field first, seconds).
pub fn schedule_of(pattern: &str) -> Result<croner::Cron, String> {
    croner::parser::CronParser::new()
        .parse(pattern)
        .map_err(|e| format!("不是有效的 cron 表达式“{pattern}”:{e}"))
}

impl Job {
    /// A job of `kind` running `run` at the times of `pattern`.
    pub fn new(kind: &'static str, pattern: &str, run: JobFn) -> Result<Job, String> {
        Ok(Job {
            kind,
            pattern: pattern.to_string(),
            schedule: schedule_of(pattern)?,
            run,
        })
    }

    /// The latest fire time at or before `now` (Unix), if any.
    pub fn due_at(&self, now: i64) -> Option<i64> {
        let now = DateTime::from_timestamp(now, 0)?.with_timezone(&china());
        self.schedule
            .find_previous_occurrence(&now, true)
            .ok()
            .map(|t| t.timestamp())
    }
}

/// The standard jobs of a server, from its settings.
pub fn standard(settings: &crate::config::JobSettings) -> Result<Vec<Job>, String> {
    Ok(vec![Job::new(
        "prune_sessions",
        &settings.prune_sessions,
        Arc::new(|state: AppState, _fire: i64| {
            Box::pin(async move {
                let now = (state.clock)();
                state
                    .store
                    .drop_expired_sessions(now)
                    .await
                    .map(|n| format!("删除过期会话 {n} 个"))
                    .map_err(|e| e.to_string())
            })
        }),
    )?])
}

/// One server's runner.
pub struct Runner {
    name: String,
    jobs: Vec<Job>,
}

/// The wait before attempt `attempt + 1` after attempt `attempt` failed.
pub fn retry_wait(attempt: i64) -> i64 {
    let doublings = u32::try_from(attempt.clamp(1, 8) - 1).unwrap_or(0);
    (FIRST_RETRY_SECONDS << doublings).min(3600)
}

impl Runner {
    /// A runner named `name` (unique among the servers of one database) for `jobs`.
    pub fn new(name: impl Into<String>, jobs: Vec<Job>) -> Runner {
        Runner {
            name: name.into(),
            jobs,
        }
    }

    /// A name for this process's runner: the process id and a random part.
    pub fn process_name() -> String {
        let mut b = [0u8; 4];
        let _ = getrandom::fill(&mut b);
        format!(
            "anju-{}-{:02x}{:02x}{:02x}{:02x}",
            std::process::id(),
            b[0],
            b[1],
            b[2],
            b[3]
        )
    }

    /// The runner's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One pass: schedules each job's latest due fire time, then runs due
    /// jobs until none is left; how many runs it made.
    pub async fn tick(&self, state: &AppState) -> Result<usize, StoreError> {
        let now = (state.clock)();
        for job in &self.jobs {
            if let Some(at) = job.due_at(now) {
                let fire = anju_core::auth::china_stamp(at);
                if state.store.schedule_job(job.kind, &fire, at).await? {
                    tracing::debug!(job = job.kind, fire = %fire, "scheduled");
                }
            }
        }
        let mut runs = 0;
        loop {
            let now = (state.clock)();
            let Some(claimed) = state
                .store
                .claim_job(&self.name, now, now + LEASE_SECONDS, MAX_ATTEMPTS)
                .await?
            else {
                return Ok(runs);
            };
            self.run(state, claimed, now).await?;
            runs += 1;
        }
    }

    /// Runs one claimed job and records it.
    async fn run(&self, state: &AppState, job: ClaimedJob, started: i64) -> Result<(), StoreError> {
        use tracing::Instrument as _;
        let span = tracing::info_span!("job", kind = %job.kind, fire = %job.fire_at, attempt = job.attempt);
        self.run_in_span(state, job, started).instrument(span).await
    }

    async fn run_in_span(
        &self,
        state: &AppState,
        job: ClaimedJob,
        started: i64,
    ) -> Result<(), StoreError> {
        let outcome = match self.jobs.iter().find(|j| j.kind == job.kind) {
            None => Err(format!("本服务不认识任务“{}”", job.kind)),
            Some(j) => {
                let fire = parse_stamp(&job.fire_at).unwrap_or(started);
                let task = tokio::spawn((j.run)(state.clone(), fire));
                let limit = std::time::Duration::from_secs(LEASE_SECONDS.unsigned_abs() / 2);
                match tokio::time::timeout(limit, task).await {
                    Ok(Ok(r)) => r,
                    Ok(Err(e)) if e.is_panic() => Err("任务崩溃".into()),
                    Ok(Err(_)) => Err("任务被取消".into()),
                    Err(_) => Err(format!("任务超过 {} 秒未完成", limit.as_secs())),
                }
            }
        };
        let now = (state.clock)();
        let (ok, detail) = match &outcome {
            Ok(d) => (true, d.as_str()),
            Err(e) => (false, e.as_str()),
        };
        let end = if ok {
            JobEnd::Done
        } else if job.attempt >= MAX_ATTEMPTS {
            JobEnd::Failed
        } else {
            JobEnd::Retry(now + retry_wait(job.attempt))
        };
        let held = state
            .store
            .finish_job(&job, &self.name, started, now, ok, detail, end)
            .await?;
        match (&outcome, held) {
            (Ok(d), true) => tracing::info!(detail = %d, "job done"),
            (Err(e), true) => tracing::warn!(error = %e, ?end, "job failed"),
            (_, false) => tracing::warn!("job's lease ran out: another runner took it"),
        }
        Ok(())
    }

    /// Runs passes every `every` until the process ends; a pass that fails
    /// (the database away) is logged and the next one tried.
    pub async fn run_forever(self, state: AppState, every: std::time::Duration) {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tracing::info!(runner = %self.name, jobs = ?self.jobs.iter().map(|j| (j.kind, j.pattern.as_str())).collect::<Vec<_>>(), "job runner started");
        loop {
            interval.tick().await;
            if let Err(e) = self.tick(&state).await {
                tracing::warn!(error = %e, "job runner pass failed");
            }
        }
    }
}

/// The Unix time of a China-time stamp `YYYY-MM-DDTHH:MM:SS+08:00`.
fn parse_stamp(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fire_times_are_china_time_and_retries_back_off() {
        let noop: JobFn = Arc::new(|_, _| Box::pin(async { Ok(String::new()) }));
        // Every day at 09:00 China time = 01:00 UTC.
        let job = Job::new("daily", "0 9 * * *", noop.clone()).unwrap();
        // 2026-12-01T09:00:00+08:00.
        let nine = 1_796_086_800;
        assert_eq!(
            anju_core::auth::china_stamp(nine),
            "2026-12-01T09:00:00+08:00"
        );
        assert_eq!(job.due_at(nine), Some(nine));
        assert_eq!(job.due_at(nine - 1), Some(nine - 86_400));
        assert_eq!(job.due_at(nine + 3_600), Some(nine));
        let every10 = Job::new("ten", "*/10 * * * *", noop.clone()).unwrap();
        assert_eq!(every10.due_at(nine + 599), Some(nine));
        assert_eq!(every10.due_at(nine + 600), Some(nine + 600));
        assert!(Job::new("bad", "every day", noop).is_err());
        assert_eq!(
            (1..=8).map(retry_wait).collect::<Vec<_>>(),
            [30, 60, 120, 240, 480, 960, 1920, 3600]
        );
        assert_eq!(parse_stamp("2026-12-01T09:00:00+08:00"), Some(nine));
    }
}
