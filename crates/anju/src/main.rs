//! The `anju` command. Parses arguments, reads files, calls the core and
//! prints; it decides nothing about the domain itself.

mod eval_cmd;
mod gen_cmd;
mod plan_cmd;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

use anju_core::plan::Plan;
use clap::{Parser, Subcommand, ValueEnum};

/// anju(安居)—— 海宁市“住有宜居 / 安居潮城”实施方案的指标与评估系统。
#[derive(Parser, Debug)]
#[command(name = "anju", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// 计划文件:查看(show)或检查(check)。
    Plan {
        #[command(subcommand)]
        command: PlanCommand,
    },
    /// 评估:各指标在各单位截至某月的进度、状态与排名。
    Eval(eval_cmd::EvalArgs),
    /// 生成合成的省级规模数据(计划、分解目标与月度数据),用于测试与测速。
    Gen(gen_cmd::GenArgs),
    /// 数据库迁移:创建或升级数据表。
    Migrate {
        /// 数据库地址:sqlite://文件 或 postgres://…
        #[arg(long, env = "ANJU_DATABASE", default_value = "sqlite://anju.db")]
        database: String,
    },
}

#[derive(Subcommand, Debug)]
enum PlanCommand {
    /// 显示计划:指标、任务与单位。
    Show {
        /// 计划文件(默认:内置的海宁市 2023—2027 年计划)。
        #[arg(long, env = "ANJU_PLAN")]
        plan: Option<PathBuf>,
        /// 输出格式。
        #[arg(long, value_enum, default_value_t = ShowFormat::Table)]
        format: ShowFormat,
    },
    /// 检查计划文件,列出每一处错误(文件、行、字段)。
    Check {
        /// 计划文件(默认:内置计划)。
        #[arg(long, env = "ANJU_PLAN")]
        plan: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ShowFormat {
    Json,
    Table,
}

/// A failure already explained to the user on standard error.
#[derive(Debug)]
struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("输入有误")
    }
}
impl std::error::Error for Reported {}

/// Loads `--plan FILE`, or the built-in plan. Every mistake goes to standard
/// error with file, line and field.
fn load_plan(path: Option<&PathBuf>) -> anyhow::Result<Plan> {
    let result = match path {
        None => anju_core::builtin_plan(),
        Some(p) => {
            let text = std::fs::read(p)
                .map_err(|e| anyhow::anyhow!("无法读取计划文件 {}:{e}", p.display()))?;
            let name = p.display().to_string();
            let text =
                anju_core::input::decode(&text).map_err(|m| anyhow::anyhow!("{name}: {m}"))?;
            anju_core::plan::load(&name, &text)
        }
    };
    result.map_err(|errs| {
        for e in &errs.0 {
            eprintln!("{e}");
        }
        eprintln!("计划文件有 {} 处错误。", errs.0.len());
        anyhow::Error::new(Reported)
    })
}

/// `anju migrate`: applies the migrations the database lacks, and says which.
fn migrate(database: &str) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let store = anju_store::Store::open(database).await?;
        let applied = store.migrate().await?;
        if applied.is_empty() {
            println!("数据库({})已是最新结构,无需迁移", store.backend());
        } else {
            println!(
                "数据库({})已完成迁移:{}",
                store.backend(),
                applied.join("、")
            );
        }
        Ok(())
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plan {
            command: PlanCommand::Show { plan, format },
        } => plan_cmd::show(plan.as_ref(), format),
        Command::Plan {
            command: PlanCommand::Check { plan },
        } => plan_cmd::check(plan.as_ref()),
        Command::Eval(args) => eval_cmd::run(args),
        Command::Gen(args) => gen_cmd::run(args),
        Command::Migrate { database } => migrate(&database),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<Reported>() => ExitCode::from(1),
        Err(e) => {
            eprintln!("错误:{e:#}");
            ExitCode::from(1)
        }
    }
}
