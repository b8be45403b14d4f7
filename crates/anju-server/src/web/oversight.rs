//! The administrators' pages (三员分立): the security administrator's
//! (登录锁定, 在线会话, 密码策略) and the audit log (审计日志) with its
//! verification and export for the audit administrator. Each shows what the
//! API gives the caller's role and sends changes to the API.

use anju_core::access::Action;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Member, Shell, WebError, html};
use crate::api::security::{LockOut, PolicyOut, SessionOut};
use crate::{ApiError, AppState};

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    shell: Shell,
    locks: Vec<LockOut>,
    sessions: Vec<SessionOut>,
    policy: PolicyOut,
    /// The security administrator looking (no 强制下线 of oneself).
    me: String,
}

/// `HH:MM` of an RFC 3339 stamp, with the date when it is not today's.
pub(crate) fn short_time(stamp: &str, today: &str) -> String {
    let (date, time) = (
        stamp.get(..10).unwrap_or(""),
        stamp.get(11..16).unwrap_or(""),
    );
    if date == today {
        time.to_string()
    } else {
        format!("{date} {time}")
    }
}

/// `GET /security`: the security administrator's desk.
pub(crate) async fn security(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<Response, WebError> {
    super::page_may(&state.plan(), &who, &Action::ManageSecurity)?;
    let page = SecurityPage {
        shell: Shell::new(&state, Some(&who), "安全管理", "/security"),
        locks: crate::api::security::locks_now(&state).await?,
        sessions: crate::api::security::sessions_now(&state).await?,
        policy: crate::api::security::policy(),
        me: who.user.name.clone(),
    };
    Ok(html(&page))
}

#[derive(Deserialize)]
pub(crate) struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    before_id: Option<i64>,
    /// `1`: verify the chain and the figures (the audit administrator).
    verify: Option<String>,
}

/// One entry as the page shows it.
struct Line {
    id: i64,
    at: String,
    actor: String,
    action: &'static str,
    code: String,
    subject: String,
    /// What changed, shortened (the figures hidden from the system
    /// administrator, as in the API).
    detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    shell: Shell,
    lines: Vec<Line>,
    actor: String,
    action: String,
    actions: Vec<(&'static str, &'static str)>,
    /// The id to page back from, when there are older entries.
    older: Option<i64>,
    may_verify: bool,
    /// The outcome of a verification, when one was asked for.
    verified: Option<Verified>,
    /// The figures are hidden from this reader.
    figures_hidden: bool,
}

struct Verified {
    whole: bool,
    chain: String,
    figures: Vec<String>,
    figures_total: usize,
}

/// What each action is called.
const ACTIONS: [(&str, &str); 22] = [
    ("value.draft", "录入草稿"),
    ("value.submit", "报送"),
    ("value.import", "导入并报送"),
    ("value.approve", "审核通过"),
    ("value.return", "退回"),
    ("value.withdraw", "撤回"),
    ("value.correct", "更正"),
    ("publication.publish", "发布月晾晒"),
    ("target.propose", "申请调整目标"),
    ("target.approve", "批准目标调整"),
    ("target.reject", "驳回目标调整"),
    ("target.decompose", "分解目标"),
    ("plan.keep", "计划存档"),
    ("user.create", "新增用户"),
    ("user.update", "修改用户"),
    ("login", "登录"),
    ("login.failed", "登录失败"),
    ("login.locked", "登录锁定"),
    ("login.unlock", "解除锁定"),
    ("logout", "退出登录"),
    ("session.end", "强制下线"),
    ("audit.verify", "核验审计日志"),
];

fn action_label(code: &str) -> &'static str {
    match code {
        "audit.export" => "导出审计日志",
        _ => ACTIONS
            .iter()
            .find(|(c, _)| *c == code)
            .map_or("其他", |(_, l)| l),
    }
}

/// A JSON text cut to a readable length (on a character boundary).
fn shorten(text: &str) -> String {
    const MAX: usize = 160;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// `GET /audit?actor=&action=&before_id=&verify=1`: the audit log, newest
/// first, 100 a page; verification and export for the audit administrator.
pub(crate) async fn audit(
    State(state): State<AppState>,
    Member(who): Member,
    headers: axum::http::HeaderMap,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    let plan = state.plan();
    super::page_may(&plan, &who, &Action::ReadAudit)?;
    let nonempty = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let (actor, action) = (nonempty(&q.actor), nonempty(&q.action));
    const PAGE: i64 = 100;
    let entries = state
        .store
        .audit(&anju_store::AuditFilter {
            actor: actor.clone(),
            action: action.clone(),
            before_id: q.before_id,
            limit: PAGE + 1,
        })
        .await
        .map_err(ApiError::from)?;
    let hidden = !who.can(&plan, &Action::ReadAuditFigures);
    let older = (entries.len() as i64 > PAGE).then(|| entries[PAGE as usize - 1].id);
    let today = anju_core::auth::china_stamp((state.clock)())[..10].to_string();
    let lines = entries
        .into_iter()
        .take(PAGE as usize)
        .map(|e| {
            let detail = if hidden && e.action.starts_with("value.") {
                "(数据内容对系统管理员不可见)".to_string()
            } else {
                shorten(e.after.as_deref().or(e.before.as_deref()).unwrap_or(""))
            };
            Line {
                id: e.id,
                at: short_time(&e.at, &today),
                action: action_label(&e.action),
                code: e.action,
                actor: e.actor,
                subject: e.subject,
                detail,
            }
        })
        .collect();
    let may_verify = who.can(&plan, &Action::VerifyAudit);
    let verified = if may_verify && q.verify.as_deref() == Some("1") {
        if !super::from_this_site(&headers) {
            return Err(WebError::forbidden("请求来自其他网站,已拒绝"));
        }
        let v = crate::api::audit::verification(&state, &who).await?;
        let chain = if v.chain.whole {
            format!(
                "哈希链完整:共 {} 条,末条 SM3 哈希 {}",
                v.chain.entries.unwrap_or(0),
                v.chain.last_hash.as_deref().unwrap_or("")
            )
        } else {
            format!(
                "第 {} 条:{}",
                v.chain.broken_at.unwrap_or(0),
                v.chain.why.as_deref().unwrap_or("")
            )
        };
        Some(Verified {
            whole: v.chain.whole && v.figures_total == 0,
            chain,
            figures_total: v.figures_total,
            figures: v
                .figures
                .iter()
                .take(50)
                .map(|m| format!("数据 {}:{}", m.id, m.why))
                .collect(),
        })
    } else {
        None
    };
    let page = AuditPage {
        shell: Shell::new(&state, Some(&who), "审计日志", "/audit"),
        lines,
        actor: actor.unwrap_or_default(),
        action: action.unwrap_or_default(),
        actions: ACTIONS.to_vec(),
        older,
        may_verify,
        verified,
        figures_hidden: hidden,
    };
    Ok(html(&page))
}
