//! Org units (组织机构): the geographic tree from province to town, and the
//! departments (部门) that belong to a unit. Owns name resolution: every name
//! and alias a user may write resolves to exactly one unit, or to a clear error.

use rustc_hash::FxHashMap;

/// Index of an org unit in its plan's [`OrgTree`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrgId(pub u32);

impl OrgId {
    /// As an index.
    pub fn ix(self) -> usize {
        self.0 as usize
    }
}

/// What kind of unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 省
    Province,
    /// 市 (设区市)
    City,
    /// 县(市、区)
    County,
    /// 镇
    Town,
    /// 街道
    Subdistrict,
    /// 部门 (a department of its parent unit)
    Department,
}

/// One org unit.
#[derive(Clone, Debug)]
pub struct OrgUnit {
    /// The name shown (for departments, the form the tasks use).
    pub name: String,
    /// The full official name where it differs (附件2's form).
    pub full_name: Option<String>,
    /// Other names that resolve to this unit.
    pub aliases: Vec<String>,
    /// Province … town, or department.
    pub level: Level,
    /// The unit above; a department's parent is the unit it belongs to.
    pub parent: Option<OrgId>,
    /// Geographic children (departments are not listed here).
    pub children: Vec<OrgId>,
    /// For departments: whether 附件2 lists it.
    pub in_annex: bool,
}

#[derive(Clone, Copy, Debug)]
enum Entry {
    One(OrgId),
    Ambiguous,
}

/// Why a name did not resolve.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// No unit has the name.
    #[error("未知的单位“{0}”")]
    Unknown(String),
    /// More than one unit has it.
    #[error("单位名称“{0}”不唯一,请写上级名称加本名(如“某县某镇”)")]
    Ambiguous(String),
}

/// All org units of a plan, parents before children.
#[derive(Clone, Debug, Default)]
pub struct OrgTree {
    units: Vec<OrgUnit>,
    index: FxHashMap<String, Entry>,
}

/// Normalises a name for lookup: no white space (including the ideographic
/// space), full-width brackets and colons as ASCII.
pub fn normalize_name(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{FF08}' => '(',
            '\u{FF09}' => ')',
            '\u{FF1A}' => ':',
            other => other,
        })
        .collect()
}

impl OrgTree {
    /// Adds a unit; the parent must already be there. Returns its id.
    pub fn push(&mut self, unit: OrgUnit) -> OrgId {
        let id = OrgId(self.units.len() as u32);
        let names: Vec<String> = std::iter::once(&unit.name)
            .chain(unit.full_name.iter())
            .chain(unit.aliases.iter())
            .map(|n| normalize_name(n))
            .collect();
        if let Some(p) = unit.parent.filter(|_| unit.level != Level::Department) {
            self.units[p.ix()].children.push(id);
        }
        self.units.push(unit);
        for n in names {
            self.index
                .entry(n)
                .and_modify(|e| {
                    if !matches!(e, Entry::One(x) if *x == id) {
                        *e = Entry::Ambiguous
                    }
                })
                .or_insert(Entry::One(id));
        }
        id
    }

    /// The unit.
    pub fn get(&self, id: OrgId) -> &OrgUnit {
        &self.units[id.ix()]
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// All units with their ids, parents first.
    pub fn iter(&self) -> impl Iterator<Item = (OrgId, &OrgUnit)> {
        self.units
            .iter()
            .enumerate()
            .map(|(i, u)| (OrgId(i as u32), u))
    }

    /// Whether `id` is `ancestor` or below it (geographically).
    pub fn is_within(&self, mut id: OrgId, ancestor: OrgId) -> bool {
        loop {
            if id == ancestor {
                return true;
            }
            match self.units[id.ix()].parent {
                Some(p) => id = p,
                None => return false,
            }
        }
    }

    /// Whether a name is taken already (by any unit).
    pub fn contains_name(&self, name: &str) -> bool {
        self.index.contains_key(&normalize_name(name))
    }

    /// Resolves a name or alias. A name qualified by its ancestors
    /// (`海宁市硖石街道`, `浙江省嘉兴市海宁市`) resolves too, and disambiguates
    /// names that occur twice.
    pub fn resolve(&self, name: &str) -> Result<OrgId, ResolveError> {
        // Fast path: a name written exactly as listed.
        if let Some(Entry::One(id)) = self.index.get(name) {
            return Ok(*id);
        }
        let n = normalize_name(name);
        match self.index.get(&n) {
            Some(Entry::One(id)) => return Ok(*id),
            Some(Entry::Ambiguous) => {
                return self
                    .resolve_qualified(&n, None)
                    .ok_or_else(|| ResolveError::Ambiguous(name.trim().to_string()));
            }
            None => {}
        }
        self.resolve_qualified(&n, None)
            .ok_or_else(|| ResolveError::Unknown(name.trim().to_string()))
    }

    /// `rest` is a chain of names, each below the one before (under `within`).
    fn resolve_qualified(&self, rest: &str, within: Option<OrgId>) -> Option<OrgId> {
        let fits = |id: OrgId| within.is_none_or(|w| id != w && self.is_within(id, w));
        // The whole remainder names a unit under `within`.
        if within.is_some() {
            match self.index.get(rest) {
                Some(Entry::One(id)) if fits(*id) => return Some(*id),
                Some(Entry::Ambiguous) => {
                    if let Some(w) = within {
                        let hits: Vec<OrgId> = self
                            .units
                            .iter()
                            .enumerate()
                            .map(|(i, _)| OrgId(i as u32))
                            .filter(|&id| {
                                self.names_of(id).any(|x| x == rest)
                                    && fits(id)
                                    && self.parent_chain_has(id, w)
                            })
                            .collect();
                        if hits.len() == 1 {
                            return Some(hits[0]);
                        }
                    }
                }
                _ => {}
            }
        }
        for (i, _) in rest.char_indices().skip(1) {
            let (head, tail) = rest.split_at(i);
            if let Some(Entry::One(h)) = self.index.get(head)
                && self.units[h.ix()].level != Level::Department
                && fits(*h)
                && let Some(found) = self.resolve_qualified(tail, Some(*h))
            {
                return Some(found);
            }
        }
        None
    }

    fn names_of(&self, id: OrgId) -> impl Iterator<Item = String> + '_ {
        let u = &self.units[id.ix()];
        std::iter::once(&u.name)
            .chain(u.full_name.iter())
            .chain(u.aliases.iter())
            .map(|n| normalize_name(n))
    }

    fn parent_chain_has(&self, id: OrgId, anc: OrgId) -> bool {
        self.units[id.ix()]
            .parent
            .is_some_and(|p| self.is_within(p, anc))
    }

    /// The units of the subtree under `root` (geographic only), parents before
    /// children, in depth-first order: the order rows are shown in.
    pub fn subtree(&self, root: OrgId) -> Vec<OrgId> {
        let mut out = Vec::new();
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            out.push(id);
            for &c in self.units[id.ix()].children.iter().rev() {
                stack.push(c);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(name: &str, level: Level, parent: Option<OrgId>) -> OrgUnit {
        OrgUnit {
            name: name.into(),
            full_name: None,
            aliases: vec![],
            level,
            parent,
            children: vec![],
            in_annex: true,
        }
    }

    #[test]
    fn full_width_brackets_and_colons_read_as_ascii() {
        // 市住建局（专班）：海宁 typed with a Chinese input method.
        let typed = "市住建局\u{FF08}专班\u{FF09}\u{FF1A} 海宁\u{3000}";
        assert_eq!(normalize_name(typed), "市住建局(专班):海宁");
    }

    #[test]
    fn names_aliases_and_qualified_names_resolve() {
        let mut t = OrgTree::default();
        let p = t.push(unit("浙江省", Level::Province, None));
        let a = t.push(unit("甲县", Level::County, Some(p)));
        let b = t.push(unit("乙县", Level::County, Some(p)));
        let a1 = t.push(unit("城关镇", Level::Town, Some(a)));
        let b1 = t.push(unit("城关镇", Level::Town, Some(b)));
        let mut d = unit("市发改局", Level::Department, Some(a));
        d.full_name = Some("市发展和改革局".into());
        let d = t.push(d);
        assert_eq!(t.resolve("市发展和改革局"), Ok(d));
        assert_eq!(t.resolve(" 市发改局 "), Ok(d));
        assert_eq!(
            t.resolve("城关镇"),
            Err(ResolveError::Ambiguous("城关镇".into()))
        );
        assert_eq!(t.resolve("甲县城关镇"), Ok(a1));
        assert_eq!(t.resolve("浙江省乙县城关镇"), Ok(b1));
        assert_eq!(t.resolve("乙县 城关镇"), Ok(b1));
        assert!(matches!(
            t.resolve("丙县城关镇"),
            Err(ResolveError::Unknown(_))
        ));
        assert_eq!(t.subtree(p), vec![p, a, a1, b, b1]);
    }
}
