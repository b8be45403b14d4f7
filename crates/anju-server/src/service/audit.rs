//! The audit log as its readers get it (三员分立): the task force and the
//! audit administrator read every entry; the system administrator reads who
//! changed which figure and when, not the figures; the audit administrator
//! alone verifies the chain and the figures against it, and exports the
//! log — and each of those readings is itself recorded. Nothing here
//! changes or removes an entry: the service has no way to.

use anju_core::access::{Action, Actor};
use anju_core::plan::Plan;
use anju_store::{AuditCheck, AuditEntry, AuditFilter, FigureMismatch, Store, StoreError};

use super::Error;

/// Entries newest first, as `filter` takes them (at most 1,000 a page), with
/// the figures left out for a reader who may not see them.
pub async fn entries(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    filter: &AuditFilter,
) -> Result<Vec<AuditEntry>, Error> {
    me.may(plan, &Action::ReadAudit)?;
    if !(1..=1000).contains(&filter.limit) {
        return Err(Error::invalid("limit", "须在 1–1000 之间"));
    }
    let entries = store.audit(filter).await?;
    // Admins keep the system, not the figures: they see who changed which
    // figure and when, not the figures themselves.
    let hide = !me.can(plan, &Action::ReadAuditFigures);
    Ok(entries
        .into_iter()
        .map(|mut e| {
            if hide && e.action.starts_with("value.") {
                e.before = None;
                e.after = None;
            }
            e
        })
        .collect())
}

/// Records that `me` read the log as a whole (`audit.verify`,
/// `audit.export`). When the log itself refuses (its chain is broken), the
/// reading goes on and the refusal is logged: a broken chain must stay
/// readable.
async fn note_use(
    store: &Store,
    me: &Actor<'_>,
    action: &str,
    after: serde_json::Value,
    now: &str,
) -> Result<(), Error> {
    match store.note_audit_use(me.name, action, after, now).await {
        Err(StoreError::AuditBlocked(m)) => {
            tracing::error!(user = %me.name, "{action}({})未能记入审计日志:{m}", me.name);
            Ok(())
        }
        other => Ok(other?),
    }
}

/// What a verification found: the chain, and every figure that differs
/// from what the log recorded of it.
#[derive(Debug)]
pub struct Verification {
    /// The chain, whole or broken where.
    pub chain: AuditCheck,
    /// The figures that differ.
    pub figures: Vec<FigureMismatch>,
}

/// Verifies the chain and every stored version against the log (the audit
/// administrator), and records that it was done.
pub async fn verify(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    now: &str,
) -> Result<Verification, Error> {
    me.may(plan, &Action::VerifyAudit)?;
    let chain = store.verify_audit().await?;
    let figures = store.verify_figures().await?;
    let whole = matches!(chain, AuditCheck::Whole { .. });
    note_use(
        store,
        me,
        "audit.verify",
        serde_json::json!({ "chain_whole": whole, "figures_differing": figures.len() }),
        now,
    )
    .await?;
    Ok(Verification { chain, figures })
}

/// The whole log as CSV for Excel and WPS (a BOM, cells that never start a
/// formula), for the audit administrator; the export is recorded first.
pub async fn export(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    now: &str,
) -> Result<String, Error> {
    me.may(plan, &Action::VerifyAudit)?;
    note_use(store, me, "audit.export", serde_json::json!({}), now).await?;
    let mut out =
        String::from("\u{feff}编号,时间,操作人,操作,对象,改动前,改动后,前一条哈希,本条哈希\n");
    let mut after = 0i64;
    loop {
        let page = store.audit_page_after(after, 2000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for e in &page {
            anju_reports::csv::line(
                &mut out,
                &[
                    e.id.to_string().as_str(),
                    &e.at,
                    &e.actor,
                    &e.action,
                    &e.subject,
                    e.before.as_deref().unwrap_or_default(),
                    e.after.as_deref().unwrap_or_default(),
                    &e.prev_hash,
                    &e.hash,
                ],
            );
        }
    }
    Ok(out)
}
