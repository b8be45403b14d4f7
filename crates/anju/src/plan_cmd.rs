//! `anju plan show` and `anju plan check`.

use std::io::Write;
use std::path::PathBuf;

use anju_core::plan::{Kind, Level, Plan};
use anju_reports::view::PlanView;

use crate::ShowFormat;
use anju_reports::table::Table;

pub fn show(path: Option<&PathBuf>, format: ShowFormat) -> anyhow::Result<()> {
    let plan = crate::load_plan(path)?;
    let mut out = std::io::stdout().lock();
    match format {
        ShowFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &PlanView::new(&plan))?;
            writeln!(out)?;
        }
        ShowFormat::Table => write_table(&mut out, &plan)?,
    }
    Ok(())
}

pub fn check(path: Option<&PathBuf>) -> anyhow::Result<()> {
    let plan = crate::load_plan(path)?;
    let towns = plan.reporting.len().saturating_sub(1);
    let departments = plan
        .orgs
        .iter()
        .filter(|(_, u)| u.level == Level::Department)
        .count();
    println!(
        "计划文件检查通过:{}。{} 个指标,{} 项重点任务,{} 项保障措施;填报范围 {}(含 {} 个下级单位),{} 个部门。",
        plan.meta.name,
        plan.indicators.len(),
        plan.tasks.len(),
        plan.safeguards.len(),
        plan.orgs.get(plan.reporting_root).name,
        towns,
        departments
    );
    Ok(())
}

fn write_table(out: &mut impl Write, plan: &Plan) -> anyhow::Result<()> {
    writeln!(out, "{}", plan.meta.name)?;
    if let (Some(issuer), Some(issued)) = (&plan.meta.issuer, &plan.meta.issued) {
        writeln!(out, "{issuer}  {issued}")?;
    }
    writeln!(out)?;
    let years: Vec<i32> = (plan.meta.first_year..=plan.meta.last_year).collect();
    let mut head = vec![
        "领域".to_string(),
        "序号".into(),
        "指标".into(),
        "类型".into(),
        format!("{}年现状值", plan.meta.baseline_year),
    ];
    head.extend(years.iter().map(|y| format!("{y}年目标")));
    let mut t = Table::new(head);
    for i in &plan.indicators {
        let mut row = vec![
            i.domain.clone(),
            i.code.to_string(),
            i.title(),
            i.kind.label().to_string(),
        ];
        row.push(i.baseline.map_or("/".into(), |b| b.to_string()));
        if i.kind == Kind::Milestone {
            let m = i
                .milestone
                .map(|m| {
                    format!(
                        "至{}年{}月 {}",
                        m.deadline.year(),
                        m.deadline.month(),
                        m.target
                    )
                })
                .unwrap_or_default();
            row.push(m);
            row.extend(years.iter().skip(1).map(|_| String::new()));
        } else {
            row.extend(years.iter().map(|y| match i.targets.get(y) {
                Some(Some(t)) => t.as_written(),
                _ => "/".into(),
            }));
        }
        t.push(row);
    }
    t.write(out, false)?;
    writeln!(out)?;
    let mut t = Table::new(vec![
        "序号".into(),
        "重点任务".into(),
        "牵头单位".into(),
        "配合单位".into(),
        "指标".into(),
    ]);
    for task in &plan.tasks {
        let co: Vec<&str> = task
            .co_units
            .iter()
            .map(|&c| plan.orgs.get(c).name.as_str())
            .collect();
        let inds: Vec<String> = task.indicators.iter().map(|c| c.to_string()).collect();
        t.push(vec![
            task.code.to_string(),
            task.name.clone(),
            plan.orgs.get(task.lead).name.clone(),
            co.join("、"),
            inds.join("、"),
        ]);
    }
    t.write(out, false)?;
    writeln!(out)?;
    let root = plan.orgs.get(plan.reporting_root);
    let kids: Vec<&str> = root
        .children
        .iter()
        .map(|&c| plan.orgs.get(c).name.as_str())
        .collect();
    writeln!(
        out,
        "填报范围:{}({} 个下级单位:{})",
        root.name,
        kids.len(),
        kids.join("、")
    )?;
    Ok(())
}
