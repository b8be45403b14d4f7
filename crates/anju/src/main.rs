//! The `anju` command. Parses arguments, reads files, calls the core and
//! prints; it decides nothing about the domain itself.
// The command is the edge: it reads and writes the files it is given and
// reads the clock (china_now) for what it records.
#![allow(clippy::disallowed_methods)]

mod eval_cmd;
mod gen_cmd;
mod plan_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use anju_core::plan::Plan;
use clap::{Parser, Subcommand, ValueEnum};

/// anju(安居)—— 海宁市“住有宜居 / 安居潮城”实施方案的指标与评估系统。
#[derive(Parser, Debug)]
#[command(name = "anju", version, about, long_about = None)]
struct Cli {
    /// 配置文件(默认:当前目录下的 anju.toml,若有;也可用 ANJU_CONFIG 指定)。
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
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
    /// 启动服务(网页和 JSON 接口)。各项设置依次取默认值、配置文件 anju.toml、ANJU_* 环境变量、命令行参数(后者优先);`anju config` 列出全部设置及其来源。
    Serve {
        /// 监听地址(默认 127.0.0.1:8080)。
        #[arg(long)]
        listen: Option<String>,
        #[command(flatten)]
        database: DbArg,
        /// 计划文件:给出时成为现行计划并存入数据库;不给出时沿用数据库中的现行计划(首次启动时为内置计划)。
        #[arg(long)]
        plan: Option<String>,
        /// 演示模式:在新数据库(默认 sqlite://anju-demo.db)中载入合成的演示数据和演示账号,每个页面都标明是演示数据。
        #[arg(long)]
        demo: bool,
        /// 可信的反向代理的地址(逗号分隔,如 127.0.0.1):来自这些地址的请求,按 X-Forwarded-For
        /// 的最后一个地址识别客户端(登录锁定按地址计)。来自其他地址的 X-Forwarded-For 一律不信。
        #[arg(long)]
        trust_proxy: Option<String>,
        /// 日志级别:error、warn、info、debug、trace(默认 info)。
        #[arg(long)]
        log_level: Option<String>,
        /// 日志格式:text 或 json(默认 text)。
        #[arg(long)]
        log_format: Option<String>,
    },
    /// 备份 SQLite 数据库:在服务运行时生成一份一致的副本(新文件,不覆盖已有文件)。PostgreSQL 请用 pg_dump(见 docs/OPERATIONS.md)。
    Backup {
        /// 备份文件(须不存在)。
        #[arg(long)]
        to: PathBuf,
        #[command(flatten)]
        database: DbArg,
    },
    /// 列出生效的设置及每项的来源(默认值、配置文件、环境变量或参数);密码显示为 ***。
    Config {
        #[command(flatten)]
        database: DbArg,
    },
    /// 用户管理。
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// 导入数据文件(CSV 或 .xlsx):整份文件要么全部导入为该用户的草稿(或报送),要么一条也不导入并列出每一处错误(行号、列号与列名)。只能导入已结束月份的数据。
    Import {
        /// 数据文件(表头:指标、填报单位、期间、数值、分子、分母,或英文列名;也可是填报模板 .xlsx)。
        file: PathBuf,
        /// 以哪个用户的身份导入(按其角色与单位核对权限)。
        #[arg(long = "as", value_name = "USER")]
        user: String,
        /// 导入后立即报送。
        #[arg(long)]
        submit: bool,
        #[command(flatten)]
        database: DbArg,
    },
    /// 生成填报模板(.xlsx):该用户可为该单位填报的指标,上期数值供参考;填好后用 import 导入。
    Template {
        /// 以哪个用户的身份(按其角色与单位确定可填报的指标)。
        #[arg(long = "as", value_name = "USER")]
        user: String,
        /// 单位(默认:该用户所属单位)。
        #[arg(long)]
        org: Option<String>,
        /// 期间(如 2024-06)。
        #[arg(long)]
        period: String,
        /// 输出文件。
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        database: DbArg,
    },
    /// 审计日志:核验哈希链(verify)。
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// 数据库迁移:创建或升级数据表。
    Migrate {
        #[command(flatten)]
        database: DbArg,
    },
}

/// The database, as every command that opens one takes it.
#[derive(clap::Args, Debug)]
struct DbArg {
    /// 数据库地址:sqlite://文件 或 postgres://…(默认 sqlite://anju.db;也可在 anju.toml 或 ANJU_DATABASE 中设置)。
    #[arg(long = "database", value_name = "URL")]
    url: Option<String>,
}

impl DbArg {
    fn flags(&self) -> Vec<(&'static str, String)> {
        self.url.iter().map(|u| ("--database", u.clone())).collect()
    }
}

/// The settings in force for a command: defaults, the file, the variables,
/// then `flags` (anju_server::config).
fn settings(
    config: Option<&std::path::Path>,
    flags: Vec<(&'static str, String)>,
) -> anyhow::Result<anju_server::config::Loaded> {
    let dir = std::env::current_dir()?;
    let env = |name: &str| std::env::var(name).ok();
    Ok(anju_server::config::load(&anju_server::config::Sources {
        dir: &dir,
        config: config.map(std::path::Path::to_path_buf),
        env: &env,
        flags,
    })?)
}

/// The database of a command.
fn database_of(
    config: Option<&std::path::Path>,
    db: &DbArg,
) -> anyhow::Result<anju_server::config::DatabaseUrl> {
    Ok(settings(config, db.flags())?.settings.database)
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

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// 添加用户;密码从标准输入读取(第一行)。
    Add {
        /// 用户名。
        name: String,
        /// 角色:admin(系统管理员)、secadmin(安全管理员)、auditor(审计管理员)、taskforce、leader、lead_unit、unit、town。
        /// 三员的账户只能这样创建,不能通过服务创建或重设。
        #[arg(long)]
        role: String,
        /// 所属单位(镇(街道)或部门,可写简称或全称)。
        #[arg(long)]
        org: Option<String>,
        /// 从标准输入读取密码(不在命令行上出现)。密码至少 8 位,含大写字母、小写字母、数字、其他符号中的三类,不含用户名。
        #[arg(long, required = true)]
        password_stdin: bool,
        /// 这是替他人设置的初始密码:用户首次登录时须修改。
        #[arg(long)]
        must_change: bool,
        /// 计划文件(默认:内置计划),用于核对所属单位。
        #[arg(long, env = "ANJU_PLAN")]
        plan: Option<PathBuf>,
        #[command(flatten)]
        database: DbArg,
    },
    /// 停用、启用用户或重设其密码(三员的账户只能这样管理);重设密码时从标准输入读取新密码。
    Set {
        /// 用户名。
        name: String,
        /// 停用(其会话随即结束)。
        #[arg(long, conflicts_with = "enable")]
        disable: bool,
        /// 启用。
        #[arg(long)]
        enable: bool,
        /// 从标准输入读取新密码(其他会话随即结束)。
        #[arg(long)]
        password_stdin: bool,
        /// 新密码是替他人设置的:用户下次登录时须修改。
        #[arg(long, requires = "password_stdin")]
        must_change: bool,
        #[command(flatten)]
        database: DbArg,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// 核验审计日志的 SM3 哈希链:逐条重算,指出第一条被改动、删除或插入的记录
    /// (包括链外的条目);再逐条核对数据表中的每个数据版本与审计日志所记是否一致。
    Verify {
        #[command(flatten)]
        database: DbArg,
        /// 只核验哈希链,不核对数据。
        #[arg(long)]
        chain_only: bool,
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

/// The name and text of `--plan FILE`, or of the built-in plan.
fn plan_text(path: Option<&PathBuf>) -> anyhow::Result<(String, String)> {
    match path {
        None => Ok((
            anju_core::BUILTIN_PLAN_NAME.to_string(),
            anju_core::BUILTIN_PLAN.to_string(),
        )),
        Some(p) => {
            let bytes = std::fs::read(p)
                .map_err(|e| anyhow::anyhow!("无法读取计划文件 {}:{e}", p.display()))?;
            let name = p.display().to_string();
            let text =
                anju_core::input::decode(&bytes).map_err(|m| anyhow::anyhow!("{name}: {m}"))?;
            Ok((name, text.into_owned()))
        }
    }
}

/// A plan from its text. Every mistake goes to standard error with file,
/// line and field.
fn parse_plan(name: &str, text: &str) -> anyhow::Result<Plan> {
    anju_core::plan::load(name, text).map_err(|errs| {
        for e in &errs.0 {
            eprintln!("{e}");
        }
        eprintln!("计划文件有 {} 处错误。", errs.0.len());
        anyhow::Error::new(Reported)
    })
}

/// Loads `--plan FILE`, or the built-in plan.
fn load_plan(path: Option<&PathBuf>) -> anyhow::Result<Plan> {
    let (name, text) = plan_text(path)?;
    parse_plan(&name, &text)
}

/// The plan in force in the store at `url` (nothing is written), or the
/// built-in plan if none is kept there yet.
fn stored_plan(url: &str) -> anyhow::Result<Plan> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let kept =
        rt.block_on(async { anju_store::Store::connect(url).await?.current_plan().await })?;
    match kept {
        Some(file) => {
            let name = format!("数据库中的计划(第 {} 版,来自 {})", file.id, file.source);
            parse_plan(&name, &file.text)
        }
        None => load_plan(None),
    }
}

/// The plan a store runs with. `--plan FILE` becomes the plan in force
/// (kept in the store if it differs from the newest there); without it, the
/// plan in force in the store; on first start, the built-in plan, kept.
/// Returns the plan and the id of its file in the store.
async fn plan_in_force(
    store: &anju_store::Store,
    path: Option<&PathBuf>,
) -> anyhow::Result<(i64, Plan)> {
    if path.is_none()
        && let Some(file) = store.current_plan().await?
    {
        let name = format!("数据库中的计划(第 {} 版,来自 {})", file.id, file.source);
        return Ok((file.id, parse_plan(&name, &file.text)?));
    }
    let (name, text) = plan_text(path)?;
    let plan = parse_plan(&name, &text)?;
    let kept = store
        .keep_plan(&plan.meta.id, &name, &text, &china_now())
        .await?;
    Ok((kept.id, plan))
}

/// `anju import FILE --as USER`: a file of figures into the store as the
/// user's drafts (or submitted), whole or not at all.
fn import(file: &PathBuf, user: &str, submit: bool, database: &str) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(file).map_err(|e| anyhow::anyhow!("无法读取文件 {}:{e}", file.display()))?;
    let name = file.display().to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stored = rt.block_on(async {
        let store = anju_store::Store::connect(database).await?;
        let (_, plan) = plan_in_force(&store, None).await?;
        let who = store
            .user(user)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(|| anyhow::anyhow!("用户“{user}”不存在或已停用"))?;
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let unix = i64::try_from(secs).unwrap_or(0);
        let now = anju_store::Now {
            date: anju_core::auth::china_time(unix).0,
            stamp: anju_core::auth::china_stamp(unix),
        };
        use anju_server::service::{Error, figures::import};
        let done = import(
            &store,
            std::sync::Arc::new(plan),
            &who,
            name.clone(),
            bytes,
            submit,
            &now,
        )
        .await;
        let stored = match done {
            Ok(d) => d.ids.len(),
            Err(Error::Rows(errs, sheet)) => {
                for e in &errs {
                    match &sheet {
                        Some(s) => {
                            let field = e
                                .field
                                .as_deref()
                                .map(|f| format!(" {f}:"))
                                .unwrap_or_default();
                            eprintln!("{}:{s}:第 {} 行:{field} {}", e.file, e.line, e.message);
                        }
                        None => eprintln!("{e}"),
                    }
                }
                eprintln!("文件有 {} 处错误,未导入任何数据。", errs.len());
                return Err(anyhow::Error::new(Reported));
            }
            Err(Error::Store(e)) => anyhow::bail!("未导入任何数据:{e}"),
            Err(e) => anyhow::bail!("{e}"),
        };
        anyhow::Ok(stored)
    })?;
    println!(
        "已导入 {stored} 条数据({})",
        if submit { "已报送" } else { "草稿" }
    );
    Ok(())
}

/// `anju template --as USER --period P --out FILE`: the .xlsx a unit fills in.
fn template(
    user: &str,
    org: Option<&str>,
    period: &str,
    out: &PathBuf,
    database: &str,
) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let bytes = rt.block_on(async {
        use anju_server::service::{Error, figures::template};
        let store = anju_store::Store::connect(database).await?;
        let (_, plan) = plan_in_force(&store, None).await?;
        let who = store
            .user(user)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(|| anyhow::anyhow!("用户“{user}”不存在或已停用"))?;
        let me = anju_core::access::Actor::of(&plan, &who.name, who.role, who.org_unit.as_deref());
        match template(&store, &plan, &me, who.org_unit.as_deref(), org, period).await {
            Ok(t) => Ok(t.bytes),
            Err(Error::NoUnit) => Err(anyhow::anyhow!("请用 --org 指定单位")),
            Err(Error::Invalid { field, message }) if field == "period" => {
                Err(anyhow::anyhow!("--period:{message}"))
            }
            Err(Error::Invalid { message, .. }) => Err(anyhow::anyhow!(message)),
            Err(Error::Forbidden(m)) => Err(anyhow::anyhow!("用户 {user} {m}")),
            Err(Error::Store(e)) => Err(e.into()),
            Err(e) => Err(anyhow::anyhow!("{e}")),
        }
    })?;
    std::fs::write(out, &bytes).map_err(|e| anyhow::anyhow!("无法写入 {}:{e}", out.display()))?;
    println!("已生成填报模板 {}", out.display());
    Ok(())
}

/// `anju audit verify`: checks the audit chain, then every stored version of
/// a figure against what the log recorded of it; exit 1 naming the first
/// broken entry and every figure that differs.
fn audit_verify(database: &str, chain_only: bool) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (check, figures) = rt.block_on(async {
        let store = anju_store::Store::connect(database).await?;
        let check = store.verify_audit().await?;
        let figures = if chain_only {
            None
        } else {
            Some(store.verify_figures().await?)
        };
        Ok::<_, anju_store::StoreError>((check, figures))
    })?;
    // What was found, in order; all of it on standard error when anything
    // is wrong, so standard output says only "whole".
    let mut lines = Vec::new();
    let mut whole = true;
    match check {
        anju_store::AuditCheck::Whole { entries, last_hash } => {
            lines.push(format!(
                "审计日志完整:共 {entries} 条,末条 SM3 哈希 {last_hash}"
            ));
        }
        anju_store::AuditCheck::Broken { id, why } => {
            lines.push(format!("审计日志第 {id} 条:{why}"));
            whole = false;
        }
    }
    match figures.as_deref() {
        None => {}
        Some([]) => lines.push("数据与审计日志一致".into()),
        Some(bad) => {
            const SHOWN: usize = 50;
            for m in bad.iter().take(SHOWN) {
                lines.push(format!("数据 {}:{}", m.id, m.why));
            }
            if bad.len() > SHOWN {
                lines.push(format!("……另有 {} 条不符", bad.len() - SHOWN));
            }
            lines.push(format!("共 {} 条数据与审计日志不符", bad.len()));
            whole = false;
        }
    }
    for line in &lines {
        if whole {
            println!("{line}");
        } else {
            eprintln!("{line}");
        }
    }
    if whole {
        Ok(())
    } else {
        Err(anyhow::Error::new(Reported))
    }
}

/// `anju user set`: disables, enables or gives a new password to a user,
/// the three administrators included (the service will not touch theirs).
fn user_set(
    name: &str,
    disabled: Option<bool>,
    password_stdin: bool,
    must_change: bool,
    database: &str,
) -> anyhow::Result<()> {
    if disabled.is_none() && !password_stdin {
        anyhow::bail!("须给出 --disable、--enable 或 --password-stdin");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let user = rt.block_on(async {
        use anju_server::service::users::{AccountChange, Admin, change};
        let store = anju_store::Store::connect(database).await?;
        let (_, plan) = plan_in_force(&store, None).await?;
        let password = if password_stdin {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            Some(password.trim_end_matches(['\r', '\n']).to_string())
        } else {
            None
        };
        let change_of = AccountChange {
            disabled,
            password,
            temporary: must_change,
        };
        change(
            &store,
            &plan,
            Admin::Operator,
            name,
            change_of,
            &china_now(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
    })?;
    let state = if user.disabled { "已停用" } else { "正常" };
    let password = if password_stdin {
        if user.must_change_password {
            ",密码已重设(下次登录时须修改)"
        } else {
            ",密码已重设"
        }
    } else {
        ""
    };
    println!("用户 {}(角色 {}):{state}{password}", user.name, user.role);
    Ok(())
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

/// `anju serve`: loads the plan, opens (and migrates) the store, serves.
fn serve(loaded: anju_server::config::Loaded, demo: bool) -> anyhow::Result<()> {
    init_logs(&loaded.settings.log)?;
    for (key, value, origin) in loaded.describe() {
        tracing::info!(setting = key, %value, from = %origin, "setting");
    }
    let settings = loaded.settings;
    // The demo never goes into the default database.
    let database = if demo && !loaded.origins.contains_key("database") {
        "sqlite://anju-demo.db"
    } else {
        settings.database.expose()
    };
    let plan = settings.plan.clone();
    let (listen, trust_proxy) = (settings.listen, settings.trust_proxy.clone());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let store = anju_store::Store::connect(database).await?;
        let (plan_file, plan) = plan_in_force(&store, plan.as_ref()).await?;
        let plan = std::sync::Arc::new(plan);
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        // A clock moved ahead, for walking due dates in a test: said on start
        // and on every page.
        let shift = match std::env::var("ANJU_CLOCK_SHIFT_DAYS") {
            Ok(v) if !v.trim().is_empty() => v
                .trim()
                .parse::<i64>()
                .map_err(|_| anyhow::anyhow!("ANJU_CLOCK_SHIFT_DAYS 应为整数天数,不是“{v}”"))?,
            _ => 0,
        };
        let clock = if shift == 0 {
            anju_server::system_clock()
        } else {
            eprintln!("注意:时钟比实际时间快 {shift} 天(ANJU_CLOCK_SHIFT_DAYS),仅供测试");
            anju_server::shifted_clock(shift)
        };
        let mut state = anju_server::AppState::new(plan, store, clock).with_plan_file(plan_file);
        state.clock_shift_days = shift;
        state.trust_proxy = trust_proxy;
        if demo
            && !anju_server::demo::is_demo(&state)
                .await
                .map_err(anyhow::Error::msg)?
        {
            println!("正在载入演示数据……");
            let loaded = anju_server::demo::load(&state)
                .await
                .map_err(anyhow::Error::msg)?;
            println!(
                "已载入演示数据:{} 条数据(至 {}),{} 个月已发布。演示账号(密码均为 {}):",
                loaded.figures,
                loaded.until.map(|m| m.to_string()).unwrap_or_default(),
                loaded.published,
                anju_server::demo::DEMO_PASSWORD
            );
            for (name, role, org) in &loaded.users {
                println!("  {name}  {role}  {}", org.as_deref().unwrap_or(""));
            }
        }
        // A demo store says so on every page, whether or not --demo was given.
        state.demo = anju_server::demo::is_demo(&state)
            .await
            .map_err(anyhow::Error::msg)?;
        println!(
            "anju 服务已启动:http://{addr}(数据库 {},计划 {}{})",
            state.store.backend(),
            state.plan().meta.id,
            if state.demo { ",演示数据" } else { "" }
        );
        if anju_server::service::users::none_yet(&state.store)
            .await
            .unwrap_or(false)
        {
            println!("{}", anju_server::service::users::FIRST_ADMIN);
        }
        use std::io::Write as _;
        std::io::stdout().flush()?;
        if settings.jobs.enabled {
            let jobs = anju_server::jobs::standard(&settings.jobs).map_err(anyhow::Error::msg)?;
            let runner =
                anju_server::jobs::Runner::new(anju_server::jobs::Runner::process_name(), jobs);
            tokio::spawn(runner.run_forever(
                state.clone(),
                std::time::Duration::from_secs(settings.jobs.tick_seconds),
            ));
        }
        anju_server::serve(state, listener).await?;
        Ok(())
    })
}

/// `anju user add`: checks the role against the unit in the plan, hashes the
/// password read from standard input, stores the user.
fn user_add(
    name: &str,
    role: &str,
    org: Option<&str>,
    plan: Option<&PathBuf>,
    database: &str,
    must_change: bool,
) -> anyhow::Result<()> {
    use anju_core::access::Role;
    let role = Role::parse(role)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let user = rt.block_on(async {
        let store = anju_store::Store::connect(database).await?;
        // The units of `--plan FILE`, else of the plan the service runs with.
        let plan = match plan {
            Some(_) => load_plan(plan)?,
            None => plan_in_force(&store, None).await?.1,
        };
        let mut password = String::new();
        std::io::stdin().read_line(&mut password)?;
        let password = password.trim_end_matches(['\r', '\n']).to_string();
        use anju_server::service::users::{Admin, NewAccount, add};
        let account = NewAccount {
            name: name.to_string(),
            role,
            org_unit: org.map(str::to_string),
            password,
            temporary: must_change,
        };
        add(&store, &plan, Admin::Operator, account, &china_now())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
    })?;
    let org = user
        .org_unit
        .map(|o| format!(",单位 {o}"))
        .unwrap_or_default();
    println!("已添加用户 {}(角色 {}{org})", user.name, user.role);
    Ok(())
}

/// Log lines to standard error, as the settings say.
fn init_logs(log: &anju_server::config::LogSettings) -> anyhow::Result<()> {
    use std::str::FromStr as _;
    // sqlx says every query at debug and slow ones at warn; keep it to warnings
    // unless asked for by name.
    let level = if log.level.contains("sqlx") {
        log.level.clone()
    } else {
        format!("{},sqlx=warn", log.level)
    };
    let filter = tracing_subscriber::filter::Targets::from_str(&level)
        .map_err(|e| anyhow::anyhow!("日志级别“{}”有误:{e}", log.level))?;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false);
    let registry = tracing_subscriber::registry().with(filter);
    match log.format {
        anju_server::config::LogFormat::Text => registry.with(fmt).try_init(),
        anju_server::config::LogFormat::Json => registry.with(fmt.json()).try_init(),
    }
    .map_err(|e| anyhow::anyhow!("无法启用日志:{e}"))
}

/// `anju backup`: a consistent copy of a SQLite database, and what it holds.
fn backup(database: &str, to: &std::path::Path) -> anyhow::Result<()> {
    if to.exists() {
        anyhow::bail!("备份文件 {} 已存在,请换一个文件名", to.display());
    }
    let to_text = to
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("备份文件名须为 UTF-8"))?
        .to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let store = anju_store::Store::open(database).await?;
        if store.backend() != "sqlite" {
            anyhow::bail!(
                "PostgreSQL 的备份请用 pg_dump(如 pg_dump -Fc -f anju.dump 数据库名),恢复用 pg_restore,见 docs/OPERATIONS.md"
            );
        }
        store.backup_sqlite(&to_text).await?;
        let copy = anju_store::Store::open(&format!("sqlite://{to_text}")).await?;
        match copy.verify_audit().await? {
            anju_store::AuditCheck::Whole { entries, last_hash } => println!(
                "已备份到 {}:审计日志完整,共 {entries} 条,末条 SM3 哈希 {last_hash}",
                to.display()
            ),
            anju_store::AuditCheck::Broken { id, why } => println!(
                "已备份到 {};但审计日志在第 {id} 条处不完整({why}),请运行 anju audit verify",
                to.display()
            ),
        }
        anyhow::Ok(())
    })
}

/// `anju config`: every setting in force, where it came from; secrets as ***.
fn show_config(config: Option<&std::path::Path>, db: &DbArg) -> anyhow::Result<()> {
    let loaded = settings(config, db.flags())?;
    match &loaded.file {
        Some(f) => println!("# 配置文件:{}", f.display()),
        None => println!(
            "# 未使用配置文件(当前目录下没有 {})",
            anju_server::config::FILE_NAME
        ),
    }
    for (key, value, origin) in loaded.describe() {
        println!("{key} = {value}    # {origin}");
    }
    Ok(())
}

/// Now in China (+08:00) as RFC 3339. The edge reads the clock; the core and
/// the store take the time as a parameter.
fn china_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    anju_core::auth::china_stamp(i64::try_from(secs).unwrap_or(0))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let cfg = cli.config.as_deref();
    let result = match cli.command {
        Command::Plan {
            command: PlanCommand::Show { plan, format },
        } => plan_cmd::show(plan.as_ref(), format),
        Command::Plan {
            command: PlanCommand::Check { plan },
        } => plan_cmd::check(plan.as_ref()),
        Command::Eval(args) => eval_cmd::run(args),
        Command::Gen(args) => gen_cmd::run(args),
        Command::Migrate { database } => {
            database_of(cfg, &database).and_then(|d| migrate(d.expose()))
        }
        Command::Config { database } => show_config(cfg, &database),
        Command::Backup { to, database } => {
            database_of(cfg, &database).and_then(|d| backup(d.expose(), &to))
        }
        Command::Audit {
            command:
                AuditCommand::Verify {
                    database,
                    chain_only,
                },
        } => database_of(cfg, &database).and_then(|d| audit_verify(d.expose(), chain_only)),
        Command::Import {
            file,
            user,
            submit,
            database,
        } => database_of(cfg, &database).and_then(|d| import(&file, &user, submit, d.expose())),
        Command::Template {
            user,
            org,
            period,
            out,
            database,
        } => database_of(cfg, &database)
            .and_then(|d| template(&user, org.as_deref(), &period, &out, d.expose())),
        Command::Serve {
            listen,
            database,
            plan,
            demo,
            trust_proxy,
            log_level,
            log_format,
        } => {
            let flags: Vec<(&'static str, String)> = [
                ("--listen", listen),
                ("--plan", plan),
                ("--trust-proxy", trust_proxy),
                ("--log-level", log_level),
                ("--log-format", log_format),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .chain(database.flags())
            .collect();
            settings(cfg, flags).and_then(|loaded| serve(loaded, demo))
        }
        Command::User {
            command:
                UserCommand::Add {
                    name,
                    role,
                    org,
                    password_stdin: _,
                    must_change,
                    plan,
                    database,
                },
        } => database_of(cfg, &database).and_then(|d| {
            user_add(
                &name,
                &role,
                org.as_deref(),
                plan.as_ref(),
                d.expose(),
                must_change,
            )
        }),
        Command::User {
            command:
                UserCommand::Set {
                    name,
                    disable,
                    enable,
                    password_stdin,
                    must_change,
                    database,
                },
        } => database_of(cfg, &database).and_then(|d| {
            user_set(
                &name,
                if disable {
                    Some(true)
                } else if enable {
                    Some(false)
                } else {
                    None
                },
                password_stdin,
                must_change,
                d.expose(),
            )
        }),
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
