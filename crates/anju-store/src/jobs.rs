//! Scheduled jobs as rows: one for each kind of job and fire time (the unique
//! key that lets several servers on one database schedule the same fire time
//! and run it once), claimed by one runner under a lease — with `FOR UPDATE
//! SKIP LOCKED` on PostgreSQL, through the single writer on SQLite — and
//! every run recorded. When a job runs and how often it is retried is the
//! server's job runner's to decide; this module only keeps the record.

use sqlx::Row;

use crate::{Store, StoreError, on_pool, sql, write_tx};

/// A job a runner has claimed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedJob {
    /// The kind of job (`prune_sessions`).
    pub kind: String,
    /// The fire time it is for (China time, `2026-12-01T10:00:00+08:00`).
    pub fire_at: String,
    /// Which attempt this is (1 the first).
    pub attempt: i64,
}

/// How a run ended, for the job's row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobEnd {
    /// Done: never run again for this fire time.
    Done,
    /// Failed; to be tried again from this Unix time.
    Retry(i64),
    /// Failed for the last time.
    Failed,
}

/// One recorded run of a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRun {
    /// Its number.
    pub id: i64,
    /// The kind of job.
    pub kind: String,
    /// The fire time.
    pub fire_at: String,
    /// The attempt (1 the first).
    pub attempt: i64,
    /// The runner that ran it (server name and process).
    pub runner: String,
    /// When it began (China time).
    pub started_at: String,
    /// When it ended (China time).
    pub finished_at: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// What it did, or why it failed.
    pub detail: String,
}

/// A job's row: its state for one fire time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRecord {
    /// The kind of job.
    pub kind: String,
    /// The fire time.
    pub fire_at: String,
    /// `due`, `running`, `done` or `failed`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The last failure, if any.
    pub last_error: Option<String>,
}

const CLAIM: &str = "UPDATE jobs SET state = 'running', claimed_by = ?, claimed_until = ?, attempts = attempts + 1 \
     WHERE (kind, fire_at) = (SELECT kind, fire_at FROM jobs \
       WHERE attempts < ? AND ((state = 'due' AND run_after <= ?) OR (state = 'running' AND claimed_until <= ?)) \
       ORDER BY run_after, kind, fire_at LIMIT 1{LOCK}) \
     RETURNING kind, fire_at, attempts";

impl Store {
    /// Schedules `kind` for `fire_at`, to run from `run_after` (Unix time);
    /// whether it was new (another server may have scheduled it first).
    pub async fn schedule_job(
        &self,
        kind: &str,
        fire_at: &str,
        run_after: i64,
    ) -> Result<bool, StoreError> {
        on_pool!(self, |pool, pg| {
            let done = sqlx::query(sql(
                "INSERT INTO jobs (kind, fire_at, run_after) VALUES (?, ?, ?) ON CONFLICT (kind, fire_at) DO NOTHING",
                pg,
            ))
            .bind(kind)
            .bind(fire_at)
            .bind(run_after)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Claims the job that has waited longest, for `runner` until `lease_until`
    /// (Unix time): one due now, or one whose runner's lease ran out (a
    /// runner that died). A job tried `max_attempts` times is not claimed
    /// again; one left running so is marked failed here. None when nothing
    /// is due.
    pub async fn claim_job(
        &self,
        runner: &str,
        now: i64,
        lease_until: i64,
        max_attempts: i64,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            sqlx::query(sql(
                "UPDATE jobs SET state = 'failed', claimed_by = NULL, claimed_until = NULL, \
                 last_error = COALESCE(last_error, '运行中断,已达最多尝试次数') \
                 WHERE state = 'running' AND claimed_until <= ? AND attempts >= ?",
                pg,
            ))
            .bind(now)
            .bind(max_attempts)
            .execute(&mut *tx)
            .await?;
            let claim = CLAIM.replace("{LOCK}", if pg { " FOR UPDATE SKIP LOCKED" } else { "" });
            let row = sqlx::query(sql(&claim, pg))
                .bind(runner)
                .bind(lease_until)
                .bind(max_attempts)
                .bind(now)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(match row {
                Some(r) => Some(ClaimedJob {
                    kind: r.try_get("kind")?,
                    fire_at: r.try_get("fire_at")?,
                    attempt: r.try_get("attempts")?,
                }),
                None => None,
            })
        })
    }

    /// Records the run of a claimed job and settles its row by `end`;
    /// whether the runner still held it (a runner whose lease ran out and
    /// whose job another took has its run recorded, and changes nothing).
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_job(
        &self,
        job: &ClaimedJob,
        runner: &str,
        started: i64,
        now: i64,
        ok: bool,
        detail: &str,
        end: JobEnd,
    ) -> Result<bool, StoreError> {
        let (state, run_after) = match end {
            JobEnd::Done => ("done", None),
            JobEnd::Retry(at) => ("due", Some(at)),
            JobEnd::Failed => ("failed", None),
        };
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            sqlx::query(sql(
                "INSERT INTO job_runs (kind, fire_at, attempt, runner, started_at, finished_at, ok, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                pg,
            ))
            .bind(&job.kind)
            .bind(&job.fire_at)
            .bind(job.attempt)
            .bind(runner)
            .bind(anju_core::auth::china_stamp(started))
            .bind(anju_core::auth::china_stamp(now))
            .bind(i64::from(ok))
            .bind(detail)
            .execute(&mut *tx)
            .await?;
            let held = sqlx::query(sql(
                "UPDATE jobs SET state = ?, run_after = COALESCE(?, run_after), last_error = ?, claimed_by = NULL, claimed_until = NULL \
                 WHERE kind = ? AND fire_at = ? AND state = 'running' AND claimed_by = ? AND attempts = ?",
                pg,
            ))
            .bind(state)
            .bind(run_after)
            .bind(if ok { None } else { Some(detail) })
            .bind(&job.kind)
            .bind(&job.fire_at)
            .bind(runner)
            .bind(job.attempt)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            tx.commit().await?;
            Ok(held)
        })
    }

    /// The recorded runs (of `kind`, if given), oldest first.
    pub async fn job_runs(&self, kind: Option<&str>) -> Result<Vec<JobRun>, StoreError> {
        on_pool!(self, |pool, pg| {
            let rows = sqlx::query(sql(
                "SELECT id, kind, fire_at, attempt, runner, started_at, finished_at, ok, detail FROM job_runs \
                 WHERE (CAST(? AS TEXT) IS NULL OR kind = ?) ORDER BY id",
                pg,
            ))
            .bind(kind)
            .bind(kind)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(JobRun {
                        id: r.try_get("id")?,
                        kind: r.try_get("kind")?,
                        fire_at: r.try_get("fire_at")?,
                        attempt: r.try_get("attempt")?,
                        runner: r.try_get("runner")?,
                        started_at: r.try_get("started_at")?,
                        finished_at: r.try_get("finished_at")?,
                        ok: r.try_get::<i64, _>("ok")? != 0,
                        detail: r.try_get("detail")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(StoreError::from)
        })
    }

    /// The jobs' rows (of `kind`, if given), by fire time.
    pub async fn jobs(&self, kind: Option<&str>) -> Result<Vec<JobRecord>, StoreError> {
        on_pool!(self, |pool, pg| {
            let rows = sqlx::query(sql(
                "SELECT kind, fire_at, state, attempts, last_error FROM jobs \
                 WHERE (CAST(? AS TEXT) IS NULL OR kind = ?) ORDER BY fire_at, kind",
                pg,
            ))
            .bind(kind)
            .bind(kind)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(JobRecord {
                        kind: r.try_get("kind")?,
                        fire_at: r.try_get("fire_at")?,
                        state: r.try_get("state")?,
                        attempts: r.try_get("attempts")?,
                        last_error: r.try_get("last_error")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(StoreError::from)
        })
    }

    /// Deletes the sessions idle too long at `now` (they end when next used
    /// anyway; this keeps the table to the live ones); how many.
    pub async fn drop_expired_sessions(&self, now: i64) -> Result<u64, StoreError> {
        let before = now - anju_core::auth::IDLE_SECONDS;
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let gone = sqlx::query(sql("DELETE FROM sessions WHERE last_seen <= ?", pg))
                .bind(before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(gone)
        })
    }
}
