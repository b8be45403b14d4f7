//! Figures in bulk, for the API, the pages and the command line alike: a
//! values file (CSV or .xlsx) read, checked against what the user may report
//! and stored whole — drafts, or submitted — or not at all; and a bulk
//! approval of every submitted figure a selection names.

use anju_core::access::{Action, Actor};
use anju_core::entries::Entry;
use anju_core::plan::{IndicatorCode, OrgId, Plan};
use anju_store::{Imported, NewValue, Now, Selection, Store};

use super::{Error, FileProblem};

/// Reads a values file (`bytes`, named `name`) as `me` may report it on
/// `today` (a period not ended is refused).
pub fn read_file(
    plan: &Plan,
    me: &Actor<'_>,
    name: &str,
    bytes: &[u8],
    today: anju_core::workflow::Date,
) -> Result<Vec<Entry>, Error> {
    let lower = name.to_lowercase();
    if lower.ends_with(".xls") || bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(Error::File(
            FileProblem::OldExcel,
            "不支持旧版 .xls 文件,请在 Excel/WPS 中另存为 .xlsx 或 CSV 后导入".into(),
        ));
    }
    // An .xlsx (a zip) is read as the values file its sheet holds.
    let sheet = if bytes.starts_with(b"PK\x03\x04") {
        Some(
            anju_reports::sheets::read_xlsx(name, bytes)
                .map_err(|m| Error::File(FileProblem::Unreadable, m))?,
        )
    } else {
        None
    };
    let entries = match &sheet {
        None => anju_core::entries::read_entries(plan, me, name, bytes, today)
            .map_err(|e| Error::Rows(e.0, None))?,
        Some(s) => {
            anju_core::entries::read_entries(plan, me, name, s.csv.as_bytes(), today).map_err(
                |e| {
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
                    Error::Rows(rows, Some(s.sheet.clone()))
                },
            )?
        }
    };
    if entries.is_empty() {
        return Err(Error::File(
            FileProblem::Empty,
            format!("{name}:文件中没有数据"),
        ));
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
) -> Result<Imported, Error> {
    let (who, role, org) = (user.name.clone(), user.role, user.org_unit.clone());
    let for_reading = plan.clone();
    let today = now.date;
    let values = tokio::task::spawn_blocking(move || {
        let plan = for_reading;
        let me = Actor::of(&plan, &who, role, org.as_deref());
        read_file(&plan, &me, &name, &bytes, today)
            .map(|entries| entries.iter().map(NewValue::from).collect::<Vec<_>>())
    })
    .await
    .map_err(|_| Error::Internal("读取文件时服务器内部出错".into()))??;
    let deadline = submit.then_some(anju_store::Deadline::Plan(&plan));
    // Submitted at once: each figure checked against the last approved one,
    // its warnings kept for the reviewer (a file does not stop at them).
    let warnings = if submit {
        warnings_of(
            store,
            &plan,
            values
                .iter()
                .map(|v| (v.indicator, v.org_unit.as_str(), v.period, v.amount)),
        )
        .await?
    } else {
        Vec::new()
    };
    Ok(store
        .import_values_noting(&values, &user.name, now, deadline, &warnings)
        .await?)
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
) -> Result<usize, Error> {
    if let (Some(f), Some(t)) = (filter.from, filter.to)
        && f > t
    {
        return Err(Error::invalid("filter.from", "起始月份晚于截止月份"));
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
                return Err(Error::Forbidden(format!(
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
            )?;
            checked.push(c.indicator);
        }
        if c.created_by == me.name {
            own += 1;
        }
    }
    if own > 0 {
        return Err(Error::Forbidden(format!(
            "其中 {own} 条是您本人填报的,不能审核本人填报的数据;本次未审核任何数据"
        )));
    }
    let ids: Vec<i64> = candidates.iter().map(|c| c.id).collect();
    Ok(store.approve_all(&ids, me.name, now).await?)
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
) -> Result<Template, Error> {
    let name = unit.or(own_unit).ok_or(Error::NoUnit)?;
    let org = plan
        .orgs
        .resolve(name)
        .ok()
        .and_then(|o| plan.reporting_unit(o))
        .ok_or_else(|| Error::invalid("org_unit", format!("“{name}”不在本计划的填报范围内")))?;
    let period = anju_core::period::Period::parse(period)
        .map_err(|e| Error::invalid("period", e.to_string()))?;
    if !(0..plan.indicators.len())
        .any(|ix| me.can(plan, &Action::ReportFigure { indicator: ix, org }))
    {
        return Err(Error::Forbidden(format!(
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
        .map_err(Error::Internal)?;
    Ok(Template {
        bytes,
        file: format!("{}-{}-填报模板.xlsx", plan.orgs.get(org).name, period),
    })
}

/// A figure as a person enters it, each field as text (a number's digits
/// exactly as sent): resolved and checked by [`enter`].
#[derive(Clone, Debug, Default)]
pub struct EnteredFigure {
    /// The indicator's code or name.
    pub indicator: String,
    /// The unit, by any of its names.
    pub org_unit: String,
    /// `2024-06`, `2024年6月`, `2024-Q2`, `2024`.
    pub period: String,
    /// A plain value or a rate ("" when not given).
    pub value: String,
    /// A ratio's numerator ("" when not given).
    pub numerator: String,
    /// A ratio's denominator ("" when not given).
    pub denominator: String,
}

/// The amount of `texts` (value, numerator, denominator) for indicator
/// `ix`, by the rules of the values file; errors name the field under `at`.
fn amount_of(
    plan: &Plan,
    ix: usize,
    at: &dyn Fn(&str) -> String,
    texts: [&str; 3],
) -> Result<anju_core::input::Amount, Error> {
    let [value, numerator, denominator] = texts;
    anju_core::input::figure_of(plan, ix, value, numerator, denominator).map_err(|errs| {
        let (field, message) = errs
            .into_iter()
            .next()
            .unwrap_or(("value", "数值有误".to_string()));
        Error::invalid(at(field), message)
    })
}

/// Stores figures as drafts of `me`, all or none: each one resolved against
/// the plan (the unit by any of its names, stored under the plan's own),
/// one the user may report (the permission table), by the rules of the
/// values file, and no figure twice. Errors name the figure as
/// `values[i].field`, `i` counting from 0 in the order given.
pub async fn enter(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    figures: &[EnteredFigure],
    now: &Now,
) -> Result<Vec<anju_store::StoredValue>, Error> {
    let mut out = Vec::with_capacity(figures.len());
    // Where each figure (indicator, unit, period) first came.
    let mut seen = std::collections::HashMap::with_capacity(figures.len());
    for (i, v) in figures.iter().enumerate() {
        let f = |name: &str| format!("values[{i}].{name}");
        let code = v.indicator.trim();
        let ix = plan
            .find_indicator(code)
            .ok_or_else(|| Error::invalid(f("indicator"), format!("未知的指标“{code}”")))?;
        let org = plan
            .orgs
            .resolve(&v.org_unit)
            .map_err(|e| Error::invalid(f("org_unit"), e.to_string()))?;
        let org = plan
            .reporting_unit(org)
            .ok_or_else(|| Error::invalid(f("org_unit"), "不在本计划的填报范围内"))?;
        let period = anju_core::period::Period::parse(&v.period)
            .map_err(|e| Error::invalid(f("period"), e.to_string()))?;
        me.may(plan, &Action::ReportFigure { indicator: ix, org })?;
        anju_core::workflow::check_ended(period, now.date)
            .map_err(|why| Error::invalid(f("period"), why))?;
        if let Some(first) = seen.insert((ix, org, period), i) {
            return Err(Error::invalid(
                format!("values[{i}]"),
                format!(
                    "与 values[{first}] 重复(同一指标、单位和期间:指标 {} {} {period}),一次只能填一个数",
                    plan.indicators[ix].code,
                    plan.orgs.get(org).name
                ),
            ));
        }
        let amount = amount_of(plan, ix, &f, [&v.value, &v.numerator, &v.denominator])?;
        out.push(NewValue {
            indicator: plan.indicators[ix].code.0,
            // The plan's own name, whatever alias was sent.
            org_unit: plan.orgs.get(org).name.clone(),
            period,
            amount,
        });
    }
    Ok(store.put_drafts(&out, me.name, now).await?)
}

/// A submitted figure's warnings, for the clerk to confirm.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Warned {
    /// The version.
    pub id: i64,
    /// The indicator's code.
    pub indicator: u16,
    /// The unit.
    pub org_unit: String,
    /// The period.
    pub period: String,
    /// What looks wrong, in words.
    pub warnings: Vec<String>,
}

/// Takes the versions `ids` one step (submit, approve, return, withdraw),
/// all or none: each one that `me` may take that step for (the permission
/// table: report it to submit or withdraw; review it, never one's own, to
/// approve or return). A submission is checked against the last approved
/// figure before it (`anju_core::validate::figure_warnings`): with warnings
/// and without `confirmed`, nothing is submitted and the answer lists them
/// ([`Error::Warned`]); confirmed, they are kept with the versions for the
/// reviewer. Errors name a version by its place, `ids[k]`, or its id.
#[allow(clippy::too_many_arguments)]
pub async fn step(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    ids: &[i64],
    step: anju_core::workflow::Step,
    reason: Option<&str>,
    confirmed: bool,
    now: &Now,
) -> Result<Vec<anju_store::StoredValue>, Error> {
    use anju_core::workflow::Step;
    let mut versions = Vec::with_capacity(ids.len());
    for (k, &id) in ids.iter().enumerate() {
        let v = store
            .value(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("数据 {id} 不存在")))?;
        let ix = plan
            .indicator_index(IndicatorCode(v.indicator))
            .ok_or_else(|| Error::invalid(format!("ids[{k}]"), "计划中没有该指标"))?;
        let org = plan
            .orgs
            .resolve(&v.org_unit)
            .map_err(|e| Error::invalid(format!("ids[{k}]"), e.to_string()))?;
        let action = match step {
            Step::Submit | Step::Withdraw => Action::ReportFigure { indicator: ix, org },
            Step::Approve | Step::Return => Action::ReviewFigure {
                indicator: ix,
                author: Some(&v.created_by),
            },
        };
        me.may(plan, &action)
            .map_err(|d| Error::Forbidden(format!("数据 {id}:{}", d.0)))?;
        versions.push(v);
    }
    let warnings: Vec<Warned> = if step == Step::Submit {
        let found = warnings_of(
            store,
            plan,
            versions
                .iter()
                .map(|v| (v.indicator, v.org_unit.as_str(), v.period, v.amount)),
        )
        .await?;
        versions
            .iter()
            .zip(found)
            .filter(|(_, w)| !w.is_empty())
            .map(|(v, warnings)| Warned {
                id: v.id,
                indicator: v.indicator,
                org_unit: v.org_unit.clone(),
                period: v.period.to_string(),
                warnings,
            })
            .collect()
    } else {
        Vec::new()
    };
    if !warnings.is_empty() && !confirmed {
        return Err(Error::Warned(warnings));
    }
    let noted: Vec<(i64, Vec<String>)> = warnings.into_iter().map(|w| (w.id, w.warnings)).collect();
    Ok(store
        .step_noting(
            ids,
            step,
            me.name,
            now,
            reason,
            anju_store::Deadline::Plan(plan),
            &noted,
        )
        .await?)
}

/// The warnings of figures about to be submitted — (indicator, unit,
/// period, amount) each — against the last approved figure of their
/// indicator and unit before their period (one query per unit), in order.
async fn warnings_of(
    store: &Store,
    plan: &Plan,
    figures: impl Iterator<
        Item = (
            u16,
            &str,
            anju_core::period::Period,
            anju_core::input::Amount,
        ),
    >,
) -> Result<Vec<Vec<String>>, Error> {
    use anju_core::workflow::State;
    let mut approved: std::collections::HashMap<String, Vec<anju_store::StoredValue>> =
        std::collections::HashMap::new();
    let mut out = Vec::new();
    for (indicator, unit, period, amount) in figures {
        if !approved.contains_key(unit) {
            let list = store
                .list(&anju_store::ValueFilter {
                    state: Some(State::Approved),
                    org_unit: Some(unit.to_string()),
                    ..anju_store::ValueFilter::default()
                })
                .await?;
            approved.insert(unit.to_string(), list);
        }
        let Some(ix) = plan.indicator_index(IndicatorCode(indicator)) else {
            out.push(Vec::new());
            continue;
        };
        let last = approved[unit]
            .iter()
            .filter(|a| a.indicator == indicator && a.period.end() < period.end())
            .max_by_key(|a| a.period.end())
            .map(|a| (a.period, a.amount));
        out.push(anju_core::validate::figure_warnings(
            plan, ix, period, amount, last,
        ));
    }
    Ok(out)
}

/// Corrects the approved (or any) version `id` with a new figure of the
/// same indicator, unit and period — `texts` as value, numerator and
/// denominator, by the rules of the values file — and why: a new version
/// waiting for review. Only someone who may report the figure.
pub async fn correct(
    store: &Store,
    plan: &Plan,
    me: &Actor<'_>,
    id: i64,
    texts: [&str; 3],
    reason: &str,
    now: &Now,
) -> Result<anju_store::StoredValue, Error> {
    let old = store
        .value(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("数据 {id} 不存在")))?;
    let ix = plan
        .indicator_index(IndicatorCode(old.indicator))
        .ok_or_else(|| Error::invalid("id", "计划中没有该指标"))?;
    let org = plan
        .orgs
        .resolve(&old.org_unit)
        .map_err(|e| Error::invalid("id", e.to_string()))?;
    if !me.can(plan, &Action::ReportFigure { indicator: ix, org }) {
        return Err(Error::Forbidden(format!("无权更正数据 {id}")));
    }
    anju_core::workflow::check_ended(old.period, now.date)
        .map_err(|why| Error::invalid("period", why))?;
    let amount = amount_of(plan, ix, &|name: &str| name.to_string(), texts)?;
    let new = NewValue {
        indicator: old.indicator,
        org_unit: old.org_unit.clone(),
        period: old.period,
        amount,
    };
    Ok(store.correct(id, &new, reason, me.name, now).await?)
}
