//! The values file (`indicator,org_unit,period,value,numerator,denominator`):
//! read whole or block by block ([`ValueStream`]), and one figure by its
//! rules for input that is not a file ([`figure_of`]).

use super::table::{Header, bytecount, estimate_rows, parse_header, parse_plain, split_lines};
use super::*;

/// Resolves a unit name to its unit in the plan's reporting tree, with a
/// one-entry cache (files list many rows of one unit in a row).
pub(super) struct OrgCache<'p> {
    plan: &'p Plan,
    last: Option<(String, OrgId)>,
}

impl OrgCache<'_> {
    pub(super) fn new(plan: &Plan) -> OrgCache<'_> {
        OrgCache { plan, last: None }
    }

    pub(super) fn get(&mut self, name: &str) -> Result<OrgId, String> {
        if let Some((n, id)) = &self.last
            && n == name
        {
            return Ok(*id);
        }
        let id = self.plan.orgs.resolve(name).map_err(|e| e.to_string())?;
        let Some(unit) = self.plan.reporting_unit(id) else {
            let root = &self.plan.orgs.get(self.plan.reporting_root).name;
            return Err(format!("“{}”不在本计划的填报范围({root}及其下级)内", name));
        };
        match &mut self.last {
            Some((n, id)) => {
                n.clear();
                n.push_str(name);
                *id = unit;
            }
            None => self.last = Some((name.to_string(), unit)),
        }
        Ok(unit)
    }
}

/// Reads a values file (`indicator,org_unit,period,value,numerator,denominator`).
/// `file_index` is stored in each observation's [`Source`].
pub fn read_values(
    plan: &Plan,
    file: &str,
    file_index: u16,
    bytes: &[u8],
    threads: usize,
    progress: Option<&AtomicU64>,
) -> Result<Vec<Observation>, InputErrors> {
    read_table(file, bytes, &VALUE_COLUMNS, threads, progress, || {
        value_parser(plan, file_index)
    })
}

/// The parser of one values row.
pub(super) fn value_parser(
    plan: &Plan,
    file_index: u16,
) -> impl FnMut(&[&str], Source) -> RowResult<Observation> + '_ {
    let mut orgs = OrgCache::new(plan);
    let mut last_ind: Option<(String, usize)> = None;
    move |f: &[&str], mut source: Source| {
        source.file = file_index;
        let mut errs: Vec<(&'static str, String)> = Vec::new();
        let ind = match &last_ind {
            Some((s, i)) if s == f[0] => Some(*i),
            _ => {
                let found = plan.find_indicator(f[0]);
                match found {
                    Some(i) => last_ind = Some((f[0].to_string(), i)),
                    None if f[0].is_empty() => errs.push(("indicator", "缺少指标".into())),
                    None => errs.push(("indicator", format!("未知的指标“{}”", f[0]))),
                }
                found
            }
        };
        let org = if f[1].is_empty() {
            errs.push(("org_unit", "缺少单位".into()));
            None
        } else {
            orgs.get(f[1]).map_err(|m| errs.push(("org_unit", m))).ok()
        };
        let period = Period::parse(f[2])
            .map_err(|e| errs.push(("period", e.to_string())))
            .ok();
        let amount = ind.and_then(|i| amount_of(plan, i, f[3], f[4], f[5], &mut errs));
        if !errs.is_empty() {
            return Err(errs);
        }
        match (ind, org, period, amount) {
            (Some(i), Some(org), Some(period), Some(amount)) => {
                Observation::new(i as u16, org, period, amount, source)
                    .map(Some)
                    .ok_or_else(|| vec![("value", "数值超出可精确保存的范围".to_string())])
            }
            _ => Err(vec![("indicator", "无法读取该行".into())]),
        }
    }
}

/// Why a [`ValueStream`] cannot go on block by block: the caller reads the
/// whole file and uses [`read_values`], which handles every case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeedWhole {
    /// The text is not UTF-8 (GB18030, UTF-16).
    Encoding,
    /// The text has quotes: a cell may hold a line break.
    Quotes,
}

/// Reads a values file block by block, so a file of any size is read with a
/// few reusable buffers; each block's lines are parsed on `threads` threads.
/// Handles plain UTF-8 CSV (what `anju gen` and most exports write); for any
/// other text it says [`NeedWhole`].
pub struct ValueStream<'p> {
    plan: &'p Plan,
    file: String,
    file_index: u16,
    header: Option<Header>,
    line: u64,
    carry: Vec<u8>,
    first: bool,
}

impl<'p> ValueStream<'p> {
    /// A stream for one file.
    pub fn new(plan: &'p Plan, file: &str, file_index: u16) -> ValueStream<'p> {
        ValueStream {
            plan,
            file: file.to_string(),
            file_index,
            header: None,
            line: 1,
            carry: Vec::new(),
            first: true,
        }
    }

    /// Parses the complete lines of `block` (with what was left of the last
    /// one), adding a segment of figures per thread to `out`, and to `errors`.
    pub fn feed(
        &mut self,
        mut block: &[u8],
        threads: usize,
        out: &mut Vec<Vec<Observation>>,
        errors: &mut Vec<InputError>,
    ) -> Result<(), NeedWhole> {
        if self.first {
            self.first = false;
            if block.starts_with(b"\xFF\xFE") || block.starts_with(b"\xFE\xFF") {
                return Err(NeedWhole::Encoding);
            }
            block = block.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(block);
        }
        let Some(last_nl) = block.iter().rposition(|&b| b == b'\n') else {
            self.carry.extend_from_slice(block);
            return Ok(());
        };
        let (complete, rest) = block.split_at(last_nl + 1);
        let mut complete = complete;
        if !self.carry.is_empty() {
            let first_nl = complete
                .iter()
                .position(|&b| b == b'\n')
                .map_or(complete.len(), |i| i + 1);
            let mut joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(&complete[..first_nl]);
            self.lines(&joined, 1, out, errors)?;
            joined.clear();
            self.carry = joined;
            complete = &complete[first_nl..];
        }
        self.lines(complete, threads, out, errors)?;
        self.carry.extend_from_slice(rest);
        Ok(())
    }

    /// Parses what is left after the last block.
    pub fn finish(
        &mut self,
        out: &mut Vec<Vec<Observation>>,
        errors: &mut Vec<InputError>,
    ) -> Result<(), NeedWhole> {
        let rest = std::mem::take(&mut self.carry);
        self.lines(&rest, 1, out, errors)?;
        if self.header.is_none() {
            let e = InputError {
                file: self.file.clone(),
                line: 0,
                field: None,
                cell: None,
                message: "文件为空,缺少表头行".into(),
            };
            errors.push(e);
        }
        Ok(())
    }

    /// Complete lines.
    fn lines(
        &mut self,
        mut region: &[u8],
        threads: usize,
        out: &mut Vec<Vec<Observation>>,
        errors: &mut Vec<InputError>,
    ) -> Result<(), NeedWhole> {
        if region.is_empty() {
            return Ok(());
        }
        if region.contains(&b'"') {
            return Err(NeedWhole::Quotes);
        }
        if self.header.is_none() {
            let end = region
                .iter()
                .position(|&b| b == b'\n')
                .map_or(region.len(), |i| i + 1);
            let text = std::str::from_utf8(&region[..end]).map_err(|_| NeedWhole::Encoding)?;
            match parse_header(&self.file, text, &VALUE_COLUMNS) {
                Ok(h) => self.header = Some(h),
                Err(InputErrors(e)) => {
                    errors.extend(e);
                    self.header = Some(Header {
                        index: Vec::new(),
                        cells: Vec::new(),
                        width: 0,
                        delimiter: b',',
                    });
                }
            }
            self.line += 1;
            region = &region[end..];
        }
        let Some(header) = &self.header else {
            return Ok(());
        };
        if header.index.is_empty() || region.is_empty() {
            return Ok(()); // nothing more, or a bad header already reported
        }
        let threads = if region.len() < (1 << 20) {
            1
        } else {
            threads.clamp(1, 64)
        };
        let pieces = split_lines(region, threads, self.line);
        self.line += bytecount(region) + u64::from(!region.ends_with(b"\n"));
        let (plan, file, file_index) = (self.plan, self.file.as_str(), self.file_index);
        // Each thread fills a list of its own (so the memory is first touched on
        // all cores), sized from the mean length of its first lines.
        let run =
            |(piece, first_line): (&[u8], u64)| -> Option<(Vec<Observation>, Vec<InputError>)> {
                let piece = std::str::from_utf8(piece).ok()?;
                let mut parse = value_parser(plan, file_index);
                let mut errors = Vec::new();
                let mut buf = Vec::with_capacity(estimate_rows(piece.as_bytes()));
                parse_plain(
                    file,
                    piece,
                    first_line,
                    header,
                    &mut parse,
                    &mut buf,
                    &mut errors,
                    None,
                );
                Some((buf, errors))
            };
        let results: Vec<Option<(Vec<Observation>, Vec<InputError>)>> = if pieces.len() == 1 {
            vec![run(pieces[0])]
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = pieces.iter().map(|&p| s.spawn(move || run(p))).collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or(None))
                    .collect()
            })
        };
        for r in results {
            let (buf, e) = r.ok_or(NeedWhole::Encoding)?;
            errors.extend(e);
            out.push(buf);
        }
        Ok(())
    }
}

/// One figure by the rules of the values file, for input that is not a file
/// (the API): a ratio indicator takes numerator and denominator (or a rate in
/// `value`, and a rate given with them must agree with them), every other
/// indicator takes `value`; no negatives, no zero denominator, at most six
/// decimals. Empty text is a missing field. Each error names its field
/// (`value`, `numerator`, `denominator`).
pub fn figure_of(
    plan: &Plan,
    indicator: usize,
    value: &str,
    numerator: &str,
    denominator: &str,
) -> Result<Amount, Vec<(&'static str, String)>> {
    let mut errs = Vec::new();
    match amount_of(
        plan,
        indicator,
        value.trim(),
        numerator.trim(),
        denominator.trim(),
        &mut errs,
    ) {
        Some(a) if errs.is_empty() => Ok(a),
        _ => Err(errs),
    }
}

pub(super) fn amount_of(
    plan: &Plan,
    ind: usize,
    value: &str,
    num: &str,
    den: &str,
    errs: &mut Vec<(&'static str, String)>,
) -> Option<Amount> {
    let indicator = &plan.indicators[ind];
    let percent = indicator.unit == "%";
    let mut figure = |field: &'static str, s: &str, percent: bool| -> Option<Decimal> {
        match parse_figure(s, percent) {
            Ok(d) if d.is_sign_negative() && !d.is_zero() => {
                errs.push((field, format!("不能为负数“{s}”")));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                errs.push((field, e.to_string()));
                None
            }
        }
    };
    if indicator.kind != Kind::Ratio {
        if !num.is_empty() || !den.is_empty() {
            errs.push((
                "numerator",
                format!(
                    "指标 {} 不是比率指标,只填数值,不填分子和分母",
                    indicator.code
                ),
            ));
            return None;
        }
        if value.is_empty() {
            errs.push(("value", "缺少数值".into()));
            return None;
        }
        return figure("value", value, percent).map(Amount::Value);
    }
    match (num.is_empty(), den.is_empty()) {
        (true, true) => {
            if value.is_empty() {
                errs.push((
                    "value",
                    "缺少数值:比率指标请填写分子和分母(或比率值)".into(),
                ));
                return None;
            }
            let v = figure("value", value, percent)?;
            if indicator.share && v > Decimal::ONE_HUNDRED {
                errs.push((
                    "value",
                    format!("{}是占比,不能超过 100%(填写的是 {v}%)", indicator.name),
                ));
                return None;
            }
            Some(Amount::Value(v))
        }
        (false, true) => {
            errs.push(("denominator", "有分子而缺少分母".into()));
            None
        }
        (true, false) => {
            errs.push(("numerator", "有分母而缺少分子".into()));
            None
        }
        (false, false) => {
            let n = figure("numerator", num, false);
            let d = figure("denominator", den, false);
            let (n, d) = (n?, d?);
            if d.is_zero() {
                errs.push(("denominator", "分母不能为 0".into()));
                return None;
            }
            if indicator.share && n > d {
                errs.push((
                    "numerator",
                    format!(
                        "{}是占比,分子({})不能大于分母({}):分子 {n} 大于分母 {d}",
                        indicator.name,
                        indicator.numerator.as_deref().unwrap_or("分子"),
                        indicator.denominator.as_deref().unwrap_or("分母"),
                    ),
                ));
                return None;
            }
            if !value.is_empty() {
                let v = figure("value", value, percent)?;
                let computed = indicator.rate(n, d)?;
                // The rate must be the exact rate rounded (四舍五入) to the places it is written with.
                if computed.round(v.scale()) != Some(v.normalize()) {
                    let shown = computed
                        .round(v.scale() + 2)
                        .map(|x| x.to_string())
                        .unwrap_or_default();
                    errs.push((
                        "value",
                        format!("比率值 {v} 与分子/分母算得的 {shown} 不一致"),
                    ));
                    return None;
                }
            }
            Some(Amount::Ratio { num: n, den: d })
        }
    }
}
