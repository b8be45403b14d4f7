//! The settings of the service and the commands, in layers, each over the
//! one before: the defaults, then a file `anju.toml` (in the working
//! directory, or the one named by `--config FILE` or `ANJU_CONFIG`), then
//! `ANJU_*` variables, then the command's flags. [`SETTINGS`] is the one
//! definition of each setting — its key in the file, its variable, its flag,
//! its default and its meaning; `anju config` prints them with where each
//! came from, and docs/OPERATIONS.md lists them. Secrets (the database
//! password; later SMTP and webhook secrets) are [`Secret`]s, which never
//! show in `Debug`, in `Display` or in a log line.
//!
//! This module reads one file, at the edge, and no clock.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A secret value: shown as `***` everywhere but where it is used
/// ([`Secret::expose`]).
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// A secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A database address (`sqlite://file` or `postgres://user:password@host/db`):
/// shown with its password as `***`.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct DatabaseUrl(Secret);

impl DatabaseUrl {
    /// An address.
    pub fn new(url: impl Into<String>) -> DatabaseUrl {
        DatabaseUrl(Secret::new(url))
    }

    /// The address with its password, to connect with.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// The address with any password (and any `password=` parameter)
    /// replaced by `***`.
    pub fn redacted(&self) -> String {
        let url = self.expose();
        let mut out = match url.split_once("://") {
            Some((scheme, rest)) => {
                // user:password@host — the last '@' before the path ends the
                // credentials (a password may hold '@').
                let auth_end = rest.find('/').unwrap_or(rest.len());
                let (auth_host, path) = rest.split_at(auth_end);
                match auth_host.rfind('@') {
                    Some(at) => {
                        let (auth, host) = auth_host.split_at(at);
                        let user = auth.split_once(':').map_or(auth, |(u, _)| u);
                        let hidden = if auth.contains(':') { ":***" } else { "" };
                        format!("{scheme}://{user}{hidden}{host}{path}")
                    }
                    None => url.to_string(),
                }
            }
            None => url.to_string(),
        };
        if let Some(p) = out.to_ascii_lowercase().find("password=") {
            let start = p + "password=".len();
            let end = out[start..].find('&').map_or(out.len(), |e| start + e);
            out.replace_range(start..end, "***");
        }
        out
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The settings in force.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The address the service listens on.
    pub listen: SocketAddr,
    /// The database.
    pub database: DatabaseUrl,
    /// A plan file to put in force at start.
    pub plan: Option<PathBuf>,
    /// The addresses of trusted reverse proxies.
    pub trust_proxy: Vec<IpAddr>,
    /// Logging.
    pub log: LogSettings,
    /// The job runner.
    pub jobs: JobSettings,
}

/// Logging.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// The lowest level written (`error`, `warn`, `info`, `debug`,
    /// `trace`), or targets with levels (`info,sqlx=warn`).
    pub level: String,
    /// `text` (a line a record) or `json` (an object a line).
    pub format: LogFormat,
}

/// The form of log lines.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// A line of text a record.
    Text,
    /// A JSON object a line.
    Json,
}

/// The job runner.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    /// Whether this server runs scheduled jobs (several servers on one
    /// PostgreSQL may all run them: each fire time runs once).
    pub enabled: bool,
    /// How often the runner looks for due jobs, in seconds.
    pub tick_seconds: u64,
    /// When expired sessions are dropped (a cron pattern, China time).
    pub prune_sessions: String,
}

/// How a setting is written in a variable or a flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Text,
    /// `true` or `false`.
    Bool,
    /// A whole number.
    Number,
    /// A list, comma-separated in a variable or flag.
    List,
}

/// One setting: where it is read from, its default and its meaning.
#[derive(Clone, Copy, Debug)]
pub struct Setting {
    /// Its key in `anju.toml` (`log.level` is `level` in `[log]`).
    pub key: &'static str,
    /// Its variable.
    pub env: &'static str,
    /// Its flag of `anju serve`, if it has one.
    pub flag: Option<&'static str>,
    /// How it is written.
    pub kind: Kind,
    /// Its default, as TOML (none: not set).
    pub default: Option<&'static str>,
    /// Whether it is a secret (never shown).
    pub secret: bool,
    /// What it means, in Chinese.
    pub meaning: &'static str,
}

/// Every setting.
pub const SETTINGS: &[Setting] = &[
    Setting {
        key: "listen",
        env: "ANJU_LISTEN",
        flag: Some("--listen"),
        kind: Kind::Text,
        default: Some("\"127.0.0.1:8080\""),
        secret: false,
        meaning: "服务监听的地址和端口",
    },
    Setting {
        key: "database",
        env: "ANJU_DATABASE",
        flag: Some("--database"),
        kind: Kind::Text,
        default: Some("\"sqlite://anju.db\""),
        secret: true,
        meaning: "数据库地址:sqlite://文件 或 postgres://用户:密码@主机/库(密码不会显示在日志中)",
    },
    Setting {
        key: "plan",
        env: "ANJU_PLAN",
        flag: Some("--plan"),
        kind: Kind::Text,
        default: None,
        secret: false,
        meaning: "计划文件:给出时成为现行计划并存入数据库;不给出时沿用数据库中的现行计划(首次启动时为内置计划)",
    },
    Setting {
        key: "trust_proxy",
        env: "ANJU_TRUST_PROXY",
        flag: Some("--trust-proxy"),
        kind: Kind::List,
        default: Some("[]"),
        secret: false,
        meaning: "可信的反向代理地址:来自这些地址的请求按 X-Forwarded-For 的最后一个地址识别客户端",
    },
    Setting {
        key: "log.level",
        env: "ANJU_LOG_LEVEL",
        flag: Some("--log-level"),
        kind: Kind::Text,
        default: Some("\"info\""),
        secret: false,
        meaning: "日志级别:error、warn、info、debug、trace,或按模块给出(如 info,sqlx=warn)",
    },
    Setting {
        key: "log.format",
        env: "ANJU_LOG_FORMAT",
        flag: Some("--log-format"),
        kind: Kind::Text,
        default: Some("\"text\""),
        secret: false,
        meaning: "日志格式:text(每条一行文字)或 json(每条一行 JSON)",
    },
    Setting {
        key: "jobs.enabled",
        env: "ANJU_JOBS_ENABLED",
        flag: None,
        kind: Kind::Bool,
        default: Some("true"),
        secret: false,
        meaning: "本服务是否运行定时任务(多台服务共用一个 PostgreSQL 时可都开启:每个触发时间只运行一次)",
    },
    Setting {
        key: "jobs.tick_seconds",
        env: "ANJU_JOBS_TICK_SECONDS",
        flag: None,
        kind: Kind::Number,
        default: Some("15"),
        secret: false,
        meaning: "定时任务检查间隔(秒)",
    },
    Setting {
        key: "jobs.prune_sessions",
        env: "ANJU_JOBS_PRUNE_SESSIONS",
        flag: None,
        kind: Kind::Text,
        default: Some("\"*/10 * * * *\""),
        secret: false,
        meaning: "清理过期会话的时间(cron 表达式:分 时 日 月 周,北京时间)",
    },
];

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The default.
    Default,
    /// The file.
    File(PathBuf),
    /// A variable.
    Env(&'static str),
    /// A flag.
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("默认值"),
            Origin::File(p) => write!(f, "配置文件 {}", p.display()),
            Origin::Env(v) => write!(f, "环境变量 {v}"),
            Origin::Flag(k) => write!(f, "参数 {k}"),
        }
    }
}

/// What the settings are read from.
pub struct Sources<'a> {
    /// The working directory (where `anju.toml` is looked for).
    pub dir: &'a Path,
    /// The file named by `--config`, if any (before `ANJU_CONFIG`).
    pub config: Option<PathBuf>,
    /// The variables (`std::env::var` in the command).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The flags given, by flag name (`--listen`), as written.
    pub flags: Vec<(&'static str, String)>,
}

/// A setting that cannot be read, said where it was read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// The settings in force and where each came from.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The settings.
    pub settings: Settings,
    /// The file read, if any.
    pub file: Option<PathBuf>,
    /// Where each setting (by key) came from.
    pub origins: BTreeMap<&'static str, Origin>,
}

impl Loaded {
    /// Every setting as `key = value  # origin`, secrets shown as `***`
    /// (for `anju config` and the log at start).
    pub fn describe(&self) -> Vec<(&'static str, String, String)> {
        let s = &self.settings;
        SETTINGS
            .iter()
            .map(|d| {
                let value = match d.key {
                    "listen" => s.listen.to_string(),
                    "database" => s.database.redacted(),
                    "plan" => s
                        .plan
                        .as_ref()
                        .map_or_else(|| "(未设置)".into(), |p| p.display().to_string()),
                    "trust_proxy" => s
                        .trust_proxy
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                    "log.level" => s.log.level.clone(),
                    "log.format" => format!("{:?}", s.log.format).to_lowercase(),
                    "jobs.enabled" => s.jobs.enabled.to_string(),
                    "jobs.tick_seconds" => s.jobs.tick_seconds.to_string(),
                    "jobs.prune_sessions" => s.jobs.prune_sessions.clone(),
                    _ => String::new(),
                };
                let origin = self
                    .origins
                    .get(d.key)
                    .map_or_else(|| Origin::Default.to_string(), ToString::to_string);
                (d.key, value, origin)
            })
            .collect()
    }
}

/// The name of the file looked for in the working directory.
pub const FILE_NAME: &str = "anju.toml";

/// Reads the settings from their layers.
pub fn load(src: &Sources<'_>) -> Result<Loaded, ConfigError> {
    let mut root = toml::Table::new();
    let mut origins = BTreeMap::new();
    for d in SETTINGS {
        if let Some(text) = d.default {
            let v: toml::Table = toml::from_str(&format!("v = {text}"))
                .map_err(|e| ConfigError(format!("默认值有误({}):{e}", d.key)))?;
            if let Some(v) = v.get("v") {
                put(&mut root, d.key, v.clone());
            }
        }
    }
    // The file: named, or in the working directory if there.
    let named = src.config.clone().or_else(|| {
        (src.env)("ANJU_CONFIG")
            .filter(|s| !s.trim().is_empty())
            .map(PathBuf::from)
    });
    let file = match named {
        Some(p) => Some(p),
        None => {
            let p = src.dir.join(FILE_NAME);
            p.is_file().then_some(p)
        }
    };
    if let Some(path) = &file {
        // The one file the service reads itself (the edge).
        #[allow(clippy::disallowed_methods)]
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("无法读取配置文件 {}:{e}", path.display())))?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| format!("第 {} 行", text[..s.start].matches('\n').count() + 1))
                .unwrap_or_default();
            ConfigError(format!(
                "配置文件 {} {at}不是有效的 TOML:{}",
                path.display(),
                e.message()
            ))
        })?;
        let mut leaves = Vec::new();
        flatten("", &table, &mut leaves);
        for (key, value) in leaves {
            let Some(d) = SETTINGS.iter().find(|d| d.key == key) else {
                let line = line_of(&text, &key);
                return Err(ConfigError(format!(
                    "配置文件 {}{line}:未知的设置“{key}”(可用的设置:{})",
                    path.display(),
                    SETTINGS
                        .iter()
                        .map(|d| d.key)
                        .collect::<Vec<_>>()
                        .join("、")
                )));
            };
            put(&mut root, d.key, value);
            origins.insert(d.key, Origin::File(path.clone()));
        }
    }
    for d in SETTINGS {
        if let Some(text) = (src.env)(d.env) {
            let v = typed(d, &text).map_err(|m| ConfigError(format!("环境变量 {}:{m}", d.env)))?;
            put(&mut root, d.key, v);
            origins.insert(d.key, Origin::Env(d.env));
        }
    }
    for (flag, text) in &src.flags {
        let Some(d) = SETTINGS.iter().find(|d| d.flag == Some(*flag)) else {
            return Err(ConfigError(format!("未知的参数 {flag}")));
        };
        let v = typed(d, text).map_err(|m| ConfigError(format!("参数 {flag}:{m}")))?;
        put(&mut root, d.key, v);
        origins.insert(d.key, Origin::Flag(flag));
    }
    // Each setting on its own first, so that a wrong one is named with
    // where it came from.
    for d in SETTINGS {
        if let Some(v) = get(&root, d.key) {
            check_one(d, v).map_err(|m| {
                let from = origins.get(d.key).cloned().unwrap_or(Origin::Default);
                ConfigError(format!("设置 {}(来自{from})有误:{m}", d.key))
            })?;
        }
    }
    let settings: Settings = toml::Value::Table(root)
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError(format!("设置有误:{}", e.message())))?;
    if let Err(e) = crate::jobs::schedule_of(&settings.jobs.prune_sessions) {
        let from = origins
            .get("jobs.prune_sessions")
            .cloned()
            .unwrap_or(Origin::Default);
        return Err(ConfigError(format!(
            "设置 jobs.prune_sessions(来自{from})有误:{e}"
        )));
    }
    if settings.jobs.tick_seconds == 0 {
        return Err(ConfigError("设置 jobs.tick_seconds 须大于 0".into()));
    }
    Ok(Loaded {
        settings,
        file,
        origins,
    })
}

/// The value of a variable or flag as the setting's kind.
fn typed(d: &Setting, text: &str) -> Result<toml::Value, String> {
    let t = text.trim();
    Ok(match d.kind {
        Kind::Text => toml::Value::String(t.to_string()),
        Kind::Bool => match t {
            "true" | "1" | "yes" | "on" => toml::Value::Boolean(true),
            "false" | "0" | "no" | "off" => toml::Value::Boolean(false),
            _ => return Err(format!("应为 true 或 false,而不是“{t}”")),
        },
        Kind::Number => toml::Value::Integer(
            t.parse::<i64>()
                .map_err(|_| format!("应为整数,而不是“{t}”"))?,
        ),
        Kind::List => toml::Value::Array(
            t.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_string()))
                .collect(),
        ),
    })
}

/// Whether one setting's value reads as what it should be.
fn check_one(d: &Setting, v: &toml::Value) -> Result<(), String> {
    let text = |v: &toml::Value| v.as_str().map(str::to_string);
    match d.key {
        "listen" => text(v)
            .ok_or("应为文字,如 \"127.0.0.1:8080\"")?
            .parse::<SocketAddr>()
            .map(|_| ())
            .map_err(|_| format!("不是“地址:端口”形式:{v}")),
        "trust_proxy" => {
            let list = v.as_array().ok_or("应为地址的列表,如 [\"127.0.0.1\"]")?;
            for a in list {
                text(a)
                    .and_then(|s| s.parse::<IpAddr>().ok())
                    .ok_or_else(|| format!("不是 IP 地址:{a}"))?;
            }
            Ok(())
        }
        "log.format" => match v.as_str() {
            Some("text" | "json") => Ok(()),
            _ => Err(format!("应为 text 或 json,而不是 {v}")),
        },
        "log.level" => {
            let s = text(v).ok_or("应为文字")?;
            check_log_level(&s)
        }
        "database" => {
            let s = text(v).ok_or("应为文字")?;
            if s.starts_with("sqlite:")
                || s.starts_with("postgres://")
                || s.starts_with("postgresql://")
            {
                Ok(())
            } else {
                Err("不支持的数据库地址(应以 sqlite:// 或 postgres:// 开头)".into())
            }
        }
        _ => match d.kind {
            Kind::Text => text(v).map(|_| ()).ok_or_else(|| "应为文字".into()),
            Kind::Bool => v
                .as_bool()
                .map(|_| ())
                .ok_or_else(|| "应为 true 或 false".into()),
            Kind::Number => v
                .as_integer()
                .filter(|n| *n >= 0)
                .map(|_| ())
                .ok_or_else(|| "应为不小于 0 的整数".into()),
            Kind::List => v.as_array().map(|_| ()).ok_or_else(|| "应为列表".into()),
        },
    }
}

/// Whether a log level reads: `LEVEL`, or `target=LEVEL`, comma-separated.
pub fn check_log_level(s: &str) -> Result<(), String> {
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let level = part.rsplit_once('=').map_or(part, |(_, l)| l);
        if !LEVELS.contains(&level.to_ascii_lowercase().as_str()) {
            return Err(format!(
                "“{part}”:级别应为 off、error、warn、info、debug 或 trace"
            ));
        }
    }
    Ok(())
}

/// The line (` 第 N 行`) where `key`'s last part is set in `text`, if found.
fn line_of(text: &str, key: &str) -> String {
    let last = key.rsplit('.').next().unwrap_or(key);
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(last)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|n| format!(" 第 {} 行", n + 1))
        .unwrap_or_default()
}

/// The leaves of a table as dotted keys.
fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<(String, toml::Value)>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            other => out.push((key, other.clone())),
        }
    }
}

/// Sets a dotted key.
fn put(root: &mut toml::Table, key: &str, value: toml::Value) {
    match key.split_once('.') {
        Some((section, rest)) => {
            let entry = root
                .entry(section.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                *entry = toml::Value::Table(toml::Table::new());
            }
            if let toml::Value::Table(t) = entry {
                put(t, rest, value);
            }
        }
        None => {
            root.insert(key.to_string(), value);
        }
    }
}

/// Reads a dotted key.
fn get<'t>(root: &'t toml::Table, key: &str) -> Option<&'t toml::Value> {
    match key.split_once('.') {
        Some((section, rest)) => root.get(section)?.as_table().and_then(|t| get(t, rest)),
        None => root.get(key),
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    /// A directory of its own, with `anju.toml` holding `file` if given.
    fn dir_with(file: Option<&str>) -> PathBuf {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let k = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("anju-config-{}-{k}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(FILE_NAME);
        match file {
            Some(text) => std::fs::write(&path, text).unwrap(),
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
        dir
    }

    #[test]
    fn each_layer_overrides_the_one_before() {
        let dir = dir_with(Some(
            "listen = \"0.0.0.0:9000\"\ndatabase = \"sqlite://from-file.db\"\n[log]\nlevel = \"debug\"\n[jobs]\ntick_seconds = 5\n",
        ));
        let env = env_of(&[
            ("ANJU_DATABASE", "sqlite://from-env.db"),
            ("ANJU_LOG_LEVEL", "warn"),
        ]);
        let loaded = load(&Sources {
            dir: &dir,
            config: None,
            env: &env,
            flags: vec![("--log-level", "error".into())],
        })
        .unwrap();
        let s = &loaded.settings;
        assert_eq!(
            s.listen.to_string(),
            "0.0.0.0:9000",
            "the file over the default"
        );
        assert_eq!(
            s.database.expose(),
            "sqlite://from-env.db",
            "a variable over the file"
        );
        assert_eq!(s.log.level, "error", "a flag over a variable");
        assert_eq!(s.jobs.tick_seconds, 5);
        assert!(s.jobs.enabled, "a default where nothing else says");
        assert_eq!(s.log.format, LogFormat::Text);
        assert_eq!(loaded.origins["listen"], Origin::File(dir.join(FILE_NAME)));
        assert_eq!(loaded.origins["database"], Origin::Env("ANJU_DATABASE"));
        assert_eq!(loaded.origins["log.level"], Origin::Flag("--log-level"));
        assert!(!loaded.origins.contains_key("jobs.enabled"));
    }

    #[test]
    fn a_wrong_setting_is_named_with_where_it_came_from() {
        let dir = dir_with(Some("lisen = \"0.0.0.0:9000\"\n"));
        let env = env_of(&[]);
        let src = |flags| Sources {
            dir: &dir,
            config: None,
            env: &env,
            flags,
        };
        let e = load(&src(vec![])).unwrap_err().0;
        assert!(
            e.contains("第 1 行") && e.contains("未知的设置“lisen”"),
            "{e}"
        );
        let dir = dir_with(Some("listen = \"nowhere\"\n"));
        let e = load(&Sources {
            dir: &dir,
            config: None,
            env: &env,
            flags: vec![],
        })
        .unwrap_err()
        .0;
        assert!(e.contains("listen") && e.contains("配置文件"), "{e}");
        let dir = dir_with(None);
        let env = env_of(&[("ANJU_JOBS_ENABLED", "maybe")]);
        let e = load(&Sources {
            dir: &dir,
            config: None,
            env: &env,
            flags: vec![],
        })
        .unwrap_err()
        .0;
        assert!(
            e.contains("ANJU_JOBS_ENABLED") && e.contains("true 或 false"),
            "{e}"
        );
        let env = env_of(&[("ANJU_JOBS_PRUNE_SESSIONS", "every ten minutes")]);
        let e = load(&Sources {
            dir: &dir,
            config: None,
            env: &env,
            flags: vec![],
        })
        .unwrap_err()
        .0;
        assert!(
            e.contains("jobs.prune_sessions") && e.contains("环境变量"),
            "{e}"
        );
        let env = env_of(&[]);
        let e = load(&Sources {
            dir: &dir,
            config: Some(dir.join("missing.toml")),
            env: &env,
            flags: vec![],
        })
        .unwrap_err()
        .0;
        assert!(e.contains("无法读取配置文件"), "{e}");
    }

    /// docs/OPERATIONS.md lists every setting with its variable and flag.
    #[test]
    fn the_operations_page_lists_every_setting() {
        let page = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/OPERATIONS.md"),
        )
        .unwrap();
        for d in SETTINGS {
            let row = page
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", d.key)))
                .unwrap_or_else(|| panic!("docs/OPERATIONS.md has no row for {}", d.key));
            assert!(row.contains(d.env), "{}: {row}", d.env);
            if let Some(flag) = d.flag {
                assert!(row.contains(flag), "{flag}: {row}");
            }
        }
    }

    #[test]
    fn a_database_password_never_shows() {
        let url =
            DatabaseUrl::new("postgres://anju:S3cret@pw@db.example:5432/anju?sslmode=require");
        for shown in [format!("{url}"), format!("{url:?}"), url.redacted()] {
            assert!(!shown.contains("S3cret"), "{shown}");
            assert!(shown.contains("anju:***@db.example:5432/anju"), "{shown}");
        }
        let url = DatabaseUrl::new("postgres://db/anju?user=anju&password=S3cret&sslmode=require");
        assert_eq!(
            url.redacted(),
            "postgres://db/anju?user=anju&password=***&sslmode=require"
        );
        assert_eq!(
            DatabaseUrl::new("sqlite://anju.db").redacted(),
            "sqlite://anju.db"
        );
        assert_eq!(format!("{:?}", Secret::new("S3cret")), "Secret(***)");
        let dir = dir_with(None);
        let env = env_of(&[("ANJU_DATABASE", "postgres://anju:S3cret@db/anju")]);
        let loaded = load(&Sources {
            dir: &dir,
            config: None,
            env: &env,
            flags: vec![],
        })
        .unwrap();
        let all = format!("{loaded:?} {:?}", loaded.describe());
        assert!(!all.contains("S3cret"), "{all}");
        assert_eq!(
            loaded.settings.database.expose(),
            "postgres://anju:S3cret@db/anju"
        );
    }
}
