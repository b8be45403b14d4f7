//! What the evaluation endpoint keeps in memory, per store revision: the
//! approved figures as the engine reads them, each month's evaluation, and
//! each answer's bytes per kind of caller. All of it is dropped when the
//! revision moves (a change on any server moves it), and a request never gets
//! content older than the revision it read with its session.
//!
//! Filling is single-flight: when many requests miss at once, one computes
//! and the others wait for it and take its result, so a change under load
//! costs one evaluation, not one per waiting request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anju_core::access::Role;
use anju_core::engine::Evaluation;
use anju_core::period::YearMonth;
use anju_core::plan::OrgId;
use anju_core::values::ValueSet;
use axum::body::Bytes;

/// Who sees which rows: callers with one role and unit see the same rows.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct ViewKey {
    /// The plan file the answer was computed with (units are numbered per plan).
    pub plan_file: i64,
    pub as_of: YearMonth,
    pub role: Role,
    pub org: Option<OrgId>,
    /// `?org_unit=`, if given.
    pub only: crate::service::evaluation::RowFilter,
}

/// An answer as kept: its JSON, and the same gzipped (most clients accept
/// gzip; it is written once per revision, not once per request).
#[derive(Clone)]
pub(crate) struct Answer {
    pub plain: Bytes,
    pub gzip: Bytes,
}

impl Answer {
    /// The answer of `json`, compressed once.
    pub(crate) fn new(json: Vec<u8>) -> Answer {
        use std::io::Write;
        let mut z = flate2::write::GzEncoder::new(
            Vec::with_capacity(json.len() / 8),
            flate2::Compression::fast(),
        );
        // Writing to a Vec cannot fail; if it did, the plain answer still serves.
        let gzip = z
            .write_all(&json)
            .and_then(|()| z.finish())
            .map(Bytes::from)
            .unwrap_or_default();
        Answer {
            plain: Bytes::from(json),
            gzip,
        }
    }
}

/// The bytes of answers kept per revision (plain and gzipped); past it the
/// oldest answers kept are dropped, so memory stays bounded whatever callers
/// ask for (a province's whole answer is 11 MB).
pub(crate) const BODY_BUDGET: usize = 64 << 20;
/// The bytes of evaluations kept per revision (rows and their reasons, as
/// estimated); past it the oldest months kept are dropped.
pub(crate) const EVAL_BUDGET: usize = 128 << 20;

/// About how many bytes an evaluation holds.
fn eval_bytes(e: &Evaluation) -> usize {
    e.rows
        .iter()
        .map(|r| {
            std::mem::size_of_val(r)
                + r.reason.capacity()
                + r.warnings.iter().map(|w| w.capacity() + 24).sum::<usize>()
        })
        .sum::<usize>()
        + std::mem::size_of::<Evaluation>()
}

#[derive(Default)]
pub(crate) struct Kept {
    revision: i64,
    /// When this revision's content was first kept (it is dropped after
    /// `FULL_READ_EVERY`, so changes made outside the service show).
    made: Option<i64>,
    /// The approved figures, read for the plan file given.
    values: Option<(i64, Arc<ValueSet>)>,
    evals: HashMap<(i64, YearMonth), Arc<Evaluation>>,
    /// The months kept, oldest first, and their bytes in all.
    eval_order: std::collections::VecDeque<((i64, YearMonth), usize)>,
    eval_bytes: usize,
    bodies: HashMap<ViewKey, Answer>,
    /// The answers kept, oldest first, and their bytes in all.
    body_order: std::collections::VecDeque<(ViewKey, usize)>,
    body_bytes: usize,
}

impl Kept {
    /// Keeps a month's evaluation, dropping the oldest past the budget.
    fn keep_eval(&mut self, key: (i64, YearMonth), eval: Arc<Evaluation>) {
        if self.evals.contains_key(&key) {
            return;
        }
        let bytes = eval_bytes(&eval);
        while self.eval_bytes + bytes > EVAL_BUDGET {
            let Some((old, b)) = self.eval_order.pop_front() else {
                break;
            };
            self.evals.remove(&old);
            self.eval_bytes -= b;
        }
        self.evals.insert(key, eval);
        self.eval_order.push_back((key, bytes));
        self.eval_bytes += bytes;
    }

    /// Keeps an answer, dropping the oldest past the budget.
    fn keep_body(&mut self, key: ViewKey, body: Answer) {
        if self.bodies.contains_key(&key) {
            return;
        }
        let bytes = body.plain.len() + body.gzip.len();
        while self.body_bytes + bytes > BODY_BUDGET {
            let Some((old, b)) = self.body_order.pop_front() else {
                break;
            };
            self.bodies.remove(&old);
            self.body_bytes -= b;
        }
        self.bodies.insert(key, body);
        self.body_order.push_back((key, bytes));
        self.body_bytes += bytes;
    }
}

/// The approved versions by id, with the revision they are current at and
/// when (the state's clock, Unix seconds) they were last read whole.
pub(crate) type Rows = (i64, Arc<HashMap<i64, anju_store::ApprovedFigure>>, i64);

/// How long the approved versions are brought forward by changes alone
/// before they are read whole again: a change made outside the service (a
/// repair in SQL, a restored backup) shows within this time.
/// In seconds of the state's clock.
pub(crate) const FULL_READ_EVERY: i64 = 600;

/// The kept state, and the lock that makes filling single-flight.
#[derive(Default)]
pub(crate) struct Cache {
    kept: Mutex<Kept>,
    /// The approved versions, kept across revisions: a new revision reads
    /// only the versions that changed since (`Store::approved_changes`).
    rows: Mutex<Option<Rows>>,
    fill: Arc<tokio::sync::Mutex<()>>,
}

/// What a lookup found.
pub(crate) enum Found {
    /// The answer's bytes.
    Body(Answer),
    /// No answer yet; the fill lock is held (single-flight) — compute and `put`.
    Miss(Filling),
}

/// A fill in progress: holds the fill lock and what is already kept.
pub(crate) struct Filling {
    _guard: tokio::sync::OwnedMutexGuard<()>,
    /// The revision the fill is for.
    pub revision: i64,
    /// The approved figures of that revision, if kept.
    pub values: Option<Arc<ValueSet>>,
    /// The month's evaluation of that revision, if kept.
    pub eval: Option<Arc<Evaluation>>,
}

impl Cache {
    fn lookup(&self, revision: i64, key: &ViewKey, now: i64) -> Option<Answer> {
        let kept = self.kept.lock().ok()?;
        // Content of a newer revision than the caller read is fresher still.
        let fresh = kept.made.is_some_and(|m| now - m < FULL_READ_EVERY);
        if kept.revision >= revision && fresh {
            kept.bodies.get(key).cloned()
        } else {
            None
        }
    }

    /// The answer for `key` at `revision` or later, or the fill lock; `now`
    /// is the state's clock (content older than [`FULL_READ_EVERY`] is read
    /// again).
    pub(crate) async fn get(&self, revision: i64, key: &ViewKey, now: i64) -> Found {
        if let Some(b) = self.lookup(revision, key, now) {
            return Found::Body(b);
        }
        let guard = self.fill.clone().lock_owned().await;
        // Someone may have filled it while we waited.
        if let Some(b) = self.lookup(revision, key, now) {
            return Found::Body(b);
        }
        Found::Miss(self.filling(guard, revision, key.plan_file, key.as_of, now))
    }

    /// A fill at `revision` (or the newer one kept), holding `guard`: what is
    /// kept of it, the kept content dropped first if older or stale.
    fn filling(
        &self,
        guard: tokio::sync::OwnedMutexGuard<()>,
        revision: i64,
        plan_file: i64,
        as_of: YearMonth,
        now: i64,
    ) -> Filling {
        let (revision, values, eval) = match self.kept.lock() {
            Ok(mut kept) => {
                let stale = kept.made.is_none_or(|m| now - m >= FULL_READ_EVERY);
                if kept.revision < revision || stale {
                    // What is computed from here on is read after both
                    // revisions were: it is current at the higher one.
                    *kept = Kept {
                        revision: revision.max(kept.revision),
                        made: Some(now),
                        ..Kept::default()
                    };
                }
                (
                    kept.revision,
                    kept.values
                        .as_ref()
                        .filter(|(file, _)| *file == plan_file)
                        .map(|(_, v)| v.clone()),
                    kept.evals.get(&(plan_file, as_of)).cloned(),
                )
            }
            Err(_) => (revision, None, None),
        };
        Filling {
            _guard: guard,
            revision,
            values,
            eval,
        }
    }

    /// The month's evaluation kept at `revision` or later.
    fn kept_eval(
        &self,
        revision: i64,
        plan_file: i64,
        as_of: YearMonth,
        now: i64,
    ) -> Option<Arc<Evaluation>> {
        let kept = self.kept.lock().ok()?;
        let fresh = kept.made.is_some_and(|m| now - m < FULL_READ_EVERY);
        if kept.revision >= revision && fresh {
            kept.evals.get(&(plan_file, as_of)).cloned()
        } else {
            None
        }
    }

    /// The month's evaluation at `revision` or later, or the fill lock (with
    /// what is kept): for callers that want the rows, not an answer's bytes.
    pub(crate) async fn evaluation(
        &self,
        revision: i64,
        plan_file: i64,
        as_of: YearMonth,
        now: i64,
    ) -> Result<Arc<Evaluation>, Filling> {
        if let Some(e) = self.kept_eval(revision, plan_file, as_of, now) {
            return Ok(e);
        }
        let guard = self.fill.clone().lock_owned().await;
        if let Some(e) = self.kept_eval(revision, plan_file, as_of, now) {
            return Ok(e);
        }
        Err(self.filling(guard, revision, plan_file, as_of, now))
    }

    /// Keeps a month's evaluation without an answer, if the revision is still
    /// the newest.
    pub(crate) fn put_eval(
        &self,
        filling: Filling,
        plan_file: i64,
        values: Arc<ValueSet>,
        eval: Arc<Evaluation>,
    ) {
        if let Ok(mut kept) = self.kept.lock()
            && kept.revision == filling.revision
        {
            kept.values = Some((plan_file, values));
            kept.keep_eval((plan_file, eval.as_of), eval);
        }
        drop(filling);
    }

    /// Takes the kept approved versions out (to bring them forward; the
    /// caller holds the fill lock, so no one else is doing the same).
    pub(crate) fn take_rows(&self, _filling: &Filling) -> Option<Rows> {
        self.rows.lock().ok().and_then(|mut r| r.take())
    }

    /// Keeps the approved versions current at `revision`.
    pub(crate) fn keep_rows(&self, _filling: &Filling, rows: Rows) {
        if let Ok(mut r) = self.rows.lock() {
            *r = Some(rows);
        }
    }

    /// Keeps what a fill computed, if the revision is still the newest.
    pub(crate) fn put(
        &self,
        filling: Filling,
        key: ViewKey,
        values: Arc<ValueSet>,
        eval: Arc<Evaluation>,
        body: Answer,
    ) {
        if let Ok(mut kept) = self.kept.lock() {
            if kept.revision != filling.revision {
                return;
            }
            kept.values = Some((key.plan_file, values));
            kept.keep_eval((key.plan_file, key.as_of), eval);
            kept.keep_body(key, body);
        }
        drop(filling);
    }
}
