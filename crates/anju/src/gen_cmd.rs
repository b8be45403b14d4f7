//! `anju gen`: writes a synthetic province (plan, decomposition, monthly
//! figures) for tests, benchmarks and load scripts.

use std::io::Write;
use std::path::PathBuf;

use anju_synth::synth::{self, Spec};
use clap::Args;

#[derive(Args, Debug)]
pub struct GenArgs {
    /// 镇(街道)个数;每 12 个镇为一个县,每 10 个县为一个市。
    #[arg(long, default_value_t = 120)]
    towns: usize,
    /// 随机种子:同样的种子与规模生成同样的数据。
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// 输出目录(写入 plan.toml、targets.csv、values.csv)。
    #[arg(long)]
    out: PathBuf,
    /// 只生成到该月(YYYY-MM)为止的数据(默认到计划最后一年的 12 月)。服务只接受已结束月份的数据,导入用的数据应截至上月。
    #[arg(long)]
    until: Option<String>,
}

pub fn run(args: GenArgs) -> anyhow::Result<()> {
    let base = anju_core::builtin_plan().map_err(|e| anyhow::anyhow!("内置计划有误:{e}"))?;
    let mut spec = Spec::new(args.towns, args.seed, &base);
    if let Some(u) = &args.until {
        let month =
            anju_core::period::YearMonth::parse(u).map_err(|e| anyhow::anyhow!("--until:{e}"))?;
        spec.until = u32::try_from(month.year())
            .ok()
            .map(|y| y * 100 + month.month());
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| anyhow::anyhow!("无法创建目录 {}:{e}", args.out.display()))?;
    let open = |name: &str| -> anyhow::Result<std::io::BufWriter<std::fs::File>> {
        let path = args.out.join(name);
        let f = std::fs::File::create(&path)
            .map_err(|e| anyhow::anyhow!("无法写入 {}:{e}", path.display()))?;
        Ok(std::io::BufWriter::with_capacity(1 << 20, f))
    };
    let mut plan = open("plan.toml")?;
    plan.write_all(synth::plan_toml(&spec, &base).as_bytes())?;
    plan.flush()?;
    let mut targets = open("targets.csv")?;
    synth::write_targets(&spec, &base, &mut targets)?;
    targets.flush()?;
    let mut values = open("values.csv")?;
    let rows = synth::write_values(&spec, &base, &mut values)?;
    values.flush()?;
    let d = args.out.display();
    eprintln!(
        "已生成 {} 个镇、{rows} 行月度数据:{d}/plan.toml、{d}/targets.csv、{d}/values.csv",
        spec.towns
    );
    eprintln!(
        "评估示例:anju eval --plan {d}/plan.toml --targets {d}/targets.csv --data {d}/values.csv --as-of 2025-06"
    );
    Ok(())
}
