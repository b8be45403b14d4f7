//! Figures in bulk, for the API, the pages and the command line alike: a
//! values file (CSV or .xlsx) read, checked against what the user may report
//! and stored whole — drafts, or submitted — or not at all; and a bulk
//! approval of every submitted figure a selection names.

use anju_core::access::{Action, Actor};
use anju_core::entries::Entry;
use anju_core::input::InputError;
use anju_core::plan::{IndicatorCode, OrgId, Plan};
use anju_store::{Imported, NewValue, Now, Selection, Store, StoreError};

/// Why a file was not imported.
#[derive(Debug)]
pub enum ImportFailure {
    /// An old .xls.
    OldExcel,
    /// A workbook that cannot be read (why).
    BadWorkbook(String),
    /// Bad rows, every one named (lines of a sheet are its own rows), and the
    /// sheet's name for a workbook.
    Rows(Vec<InputError>, Option<String>),
    /// No figure in it.
    Empty(String),
    /// The store refused (a figure waiting for review, a busy database…).
    Store(StoreError),
}

impl From<StoreError> for ImportFailure {
    fn from(e: StoreError) -> ImportFailure {
        ImportFailure::Store(e)
    }
}

/// Reads a values file (`bytes`, named `name`) as `me` may report it.
pub fn read_file(
    plan: &Plan,
    me: &Actor<'_>,
    name: &str,
    bytes: &[u8],
) -> Result<Vec<Entry>, ImportFailure> {
    let lower = name.to_lowercase();
    if lower.ends_with(".xls") || bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(ImportFailure::OldExcel);
    }
    // An .xlsx (a zip) is read as the values file its sheet holds.
    let sheet = if bytes.starts_with(b"PK\x03\x04") {
        Some(anju_reports::sheets::read_xlsx(name, bytes).map_err(ImportFailure::BadWorkbook)?)
    } else {
        None
    };
    let entries = match &sheet {
        None => anju_core::entries::read_entries(plan, me, name, bytes)
            .map_err(|e| ImportFailure::Rows(e.0, None))?,
        Some(s) => {
            anju_core::entries::read_entries(plan, me, name, s.csv.as_bytes()).map_err(|e| {
                // Lines of the sheet's text back to the sheet's own rows.
                let rows =
                    e.0.into_iter()
                        .map(|mut r| {
                            if r.line > 0 {
                                r.line = usize::try_from(r.line - 1)
                                    .ok()
                                    .and_then(|i| s.rows.get(i))
                                    .map_or(r.line, |&row| u64::from(row));
                            }
                            r
                        })
                        .collect();
                ImportFailure::Rows(rows, Some(s.sheet.clone()))
            })?
        }
    };
    if entries.is_empty() {
        return Err(ImportFailure::Empty(format!("{name}:文件中没有数据")));
    }
    Ok(entries)
}

/// Imports a values file for `user`: read (off the async threads) and
/// checked as the user may report, stored in one transaction as drafts or,
/// with `submit`, submitted.
pub async fn import(
    store: &Store,
    plan: std::sync::Arc<Plan>,
    user: &anju_store::UserRecord,
    name: String,
    bytes: Vec<u8>,
    submit: bool,
    now: &Now,
) -> Result<Imported, ImportFailure> {
    let (who, role, org) = (user.name.clone(), user.role, user.org_unit.clone());
    let deadline = submit.then_some(plan.settings.report_deadline_day);
    let values = tokio::task::spawn_blocking(move || {
        let me = Actor::of(&plan, &who, role, org.as_deref());
        read_file(&plan, &me, &name, &bytes)
            .map(|entries| entries.iter().map(NewValue::from).collect::<Vec<_>>())
    })
    .await
    .map_err(|_| ImportFailure::BadWorkbook("读取文件时服务器内部出错".into()))??;
    Ok(store
        .import_values(&values, &user.name, now, deadline)
        .await?)
}

/// Why a bulk approval was refused as a whole.
#[derive(Debug)]
pub enum ApproveFailure {
    /// The permission table said no (its words).
    Denied(String),
    /// A filter that does not read (the field, why).
    Invalid(&'static str, String),
    /// The store refused.
    Store(StoreError),
}

impl From<StoreError> for ApproveFailure {
    fn from(e: StoreError) -> ApproveFailure {
        ApproveFailure::Store(e)
    }
}

/// What a bulk approval takes: a unit and everything below it, a range of
/// months, an indicator; each optional.
#[derive(Clone, Debug, Default)]
pub struct ApprovalFilter {
    /// The unit (its whole subtree).
    pub org: Option<OrgId>,
    /// From this month.
    pub from: Option<anju_core::period::YearMonth>,
    /// To this month.
    pub to: Option<anju_core::period::YearMonth>,
    /// Only this indicator (its index in the plan).
    pub indicator: Option<usize>,
}

/// Approves every submitted figure the filter takes, all or nothing: the
/// user must review every one of them (the permission table), and none may
/// be their own. How many.
pub async fn approve_selection(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    filter: &ApprovalFilter,
    now: &Now,
) -> Result<usize, ApproveFailure> {
    if let (Some(f), Some(t)) = (filter.from, filter.to)
        && f > t
    {
        return Err(ApproveFailure::Invalid(
            "filter.from",
            "起始月份晚于截止月份".into(),
        ));
    }
    let org_units = filter.org.map(|o| {
        let mut names = Vec::new();
        let mut stack = vec![o];
        while let Some(u) = stack.pop() {
            names.push(plan.orgs.get(u).name.clone());
            stack.extend(plan.orgs.get(u).children.iter().copied());
        }
        names
    });
    let sel = Selection {
        org_units,
        from: filter.from.map(|m| m.to_string()),
        to: filter.to.map(|m| m.to_string()),
        indicator: filter.indicator.map(|ix| plan.indicators[ix].code.0),
    };
    let candidates = store.submitted_in(&sel).await?;
    let mut checked: Vec<u16> = Vec::new();
    let mut own = 0usize;
    for c in &candidates {
        if !checked.contains(&c.indicator) {
            let Some(ix) = plan.indicator_index(IndicatorCode(c.indicator)) else {
                return Err(ApproveFailure::Denied(format!(
                    "计划中没有指标 {},其数据不能审核",
                    c.indicator
                )));
            };
            me.may(
                plan,
                &Action::ReviewFigure {
                    indicator: ix,
                    author: None,
                },
            )
            .map_err(|d| ApproveFailure::Denied(d.0))?;
            checked.push(c.indicator);
        }
        if c.created_by == me.name {
            own += 1;
        }
    }
    if own > 0 {
        return Err(ApproveFailure::Denied(format!(
            "其中 {own} 条是您本人填报的,不能审核本人填报的数据;本次未审核任何数据"
        )));
    }
    let ids: Vec<i64> = candidates.iter().map(|c| c.id).collect();
    Ok(store.approve_all(&ids, me.name, now).await?)
}

/// Why a template was not made.
#[derive(Debug)]
pub enum TemplateFailure {
    /// No unit named, and the user has none of their own.
    NoUnit,
    /// A field that cannot be read (its name, and why).
    Invalid(&'static str, String),
    /// The user may report no indicator of the unit (why).
    Forbidden(String),
    /// The store could not answer.
    Store(StoreError),
    /// The workbook could not be written (why).
    Render(String),
}

impl From<StoreError> for TemplateFailure {
    fn from(e: StoreError) -> TemplateFailure {
        TemplateFailure::Store(e)
    }
}

/// A template made: the workbook and the name to save it as.
#[derive(Debug)]
pub struct Template {
    /// The .xlsx.
    pub bytes: Vec<u8>,
    /// `单位-期间-填报模板.xlsx`.
    pub file: String,
}

/// The .xlsx `me` fills in for `unit` (their own when `None`) and `period`:
/// the indicators they may report for it, with last month's approved figure
/// beside each — for the API, the pages and `anju template` alike.
pub async fn template(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    own_unit: Option<&str>,
    unit: Option<&str>,
    period: &str,
) -> Result<Template, TemplateFailure> {
    let name = unit.or(own_unit).ok_or(TemplateFailure::NoUnit)?;
    let org = plan
        .orgs
        .resolve(name)
        .ok()
        .and_then(|o| plan.reporting_unit(o))
        .ok_or_else(|| {
            TemplateFailure::Invalid("org_unit", format!("“{name}”不在本计划的填报范围内"))
        })?;
    let period = anju_core::period::Period::parse(period)
        .map_err(|e| TemplateFailure::Invalid("period", e.to_string()))?;
    if !(0..plan.indicators.len())
        .any(|ix| me.can(plan, &Action::ReportFigure { indicator: ix, org }))
    {
        return Err(TemplateFailure::Forbidden(format!(
            "无权填报{}的数据",
            plan.orgs.get(org).name
        )));
    }
    // Last month's approved figures, for reference.
    let previous = match period.end().previous() {
        Some(m) => {
            store
                .list(&anju_store::ValueFilter {
                    state: Some(anju_core::workflow::State::Approved),
                    org_unit: Some(plan.orgs.get(org).name.clone()),
                    period: Some(anju_core::period::Period::month(m)),
                    ..anju_store::ValueFilter::default()
                })
                .await?
        }
        None => Vec::new(),
    };
    let bytes = anju_reports::sheets::template(plan, me, org, period, &previous)
        .map_err(TemplateFailure::Render)?;
    Ok(Template {
        bytes,
        file: format!("{}-{}-填报模板.xlsx", plan.orgs.get(org).name, period),
    })
}
