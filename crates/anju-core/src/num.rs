//! Exact numbers. Values are entered and stored as [`Decimal`]s, exactly as
//! written; every decision (met or not, the lag against the threshold, the order
//! of a ranking) is taken on [`Exact`] rationals, so no status can flip on
//! rounding noise. Rounding happens only when a number is shown, in one place:
//! [`Exact::round`] (half away from zero, 四舍五入, as Excel's `ROUND`).
//!
//! `Exact` computes on `i128` and moves to arbitrary precision on overflow, so
//! it never loses a digit and never panics.

use std::cmp::Ordering;

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};
use rust_decimal::Decimal;

/// An exact rational number with a positive denominator (reduced when its
/// terms grow large).
#[derive(Clone, Debug)]
pub enum Exact {
    /// The fast path: numerator and denominator fit in `i128`.
    Small(i128, i128),
    /// Arbitrary precision, used only after an `i128` overflow.
    Big(BigInt, BigInt),
}

/// Binary GCD (Stein): shifts and subtractions, no 128-bit division.
fn gcd_i128(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    if a == 0 {
        return b as i128;
    }
    if b == 0 {
        return a as i128;
    }
    let shift = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            break;
        }
    }
    (a << shift) as i128
}

/// Reduces `n/d` on `i128`; `None` when a value cannot be represented (the
/// caller then goes to `BigInt`).
/// Above this, a fraction is reduced (kept small, products stay in `i128`).
const REDUCE_ABOVE: u128 = 1 << 48;

fn small(n: i128, d: i128) -> Option<Exact> {
    if d == 0 || n == i128::MIN || d == i128::MIN {
        return None;
    }
    let (mut n, mut d) = if d < 0 { (-n, -d) } else { (n, d) };
    // Reducing costs a GCD; do it only when the terms grow. Every comparison
    // is by cross-multiplication, so an unreduced fraction is just as exact.
    if n.unsigned_abs() > REDUCE_ABOVE || d.unsigned_abs() > REDUCE_ABOVE {
        let g = gcd_i128(n, d);
        n /= g;
        d /= g;
    }
    Some(Exact::Small(n, d))
}

fn big(n: BigInt, d: BigInt) -> Exact {
    let g = n.gcd(&d);
    let (mut n, mut d) = if g.is_zero() {
        (n, d)
    } else {
        (n / &g, d / &g)
    };
    if d.is_negative() {
        n = -n;
        d = -d;
    }
    // Come back to the fast path when the value fits again.
    match (n.to_i128(), d.to_i128()) {
        (Some(a), Some(b)) if a != i128::MIN => Exact::Small(a, b),
        _ => Exact::Big(n, d),
    }
}

impl Exact {
    /// Zero.
    pub const ZERO: Exact = Exact::Small(0, 1);
    /// One.
    pub const ONE: Exact = Exact::Small(1, 1);

    /// An integer.
    pub fn int(v: i64) -> Exact {
        Exact::Small(i128::from(v), 1)
    }

    /// `n / d` for integers; `None` when `d` is zero.
    pub fn fraction(n: i64, d: i64) -> Option<Exact> {
        small(i128::from(n), i128::from(d))
    }

    /// The exact value of a decimal.
    pub fn from_decimal(d: Decimal) -> Exact {
        let den = 10i128.pow(d.scale());
        small(d.mantissa(), den).unwrap_or(Exact::ZERO)
    }

    fn parts_big(&self) -> (BigInt, BigInt) {
        match self {
            Exact::Small(n, d) => (BigInt::from(*n), BigInt::from(*d)),
            Exact::Big(n, d) => (n.clone(), d.clone()),
        }
    }

    /// `self + other`.
    pub fn add(&self, other: &Exact) -> Exact {
        if let (Exact::Small(a, b), Exact::Small(c, d)) = (self, other) {
            let r = (|| {
                small(
                    a.checked_mul(*d)?.checked_add(c.checked_mul(*b)?)?,
                    b.checked_mul(*d)?,
                )
            })();
            if let Some(r) = r {
                return r;
            }
        }
        let ((a, b), (c, d)) = (self.parts_big(), other.parts_big());
        big(a * &d + c * &b, b * d)
    }

    /// `-self`.
    pub fn neg(&self) -> Exact {
        match self {
            Exact::Small(n, d) => match n.checked_neg() {
                Some(m) => Exact::Small(m, *d),
                None => big(-BigInt::from(*n), BigInt::from(*d)),
            },
            Exact::Big(n, d) => big(-n.clone(), d.clone()),
        }
    }

    /// `self − other`.
    pub fn sub(&self, other: &Exact) -> Exact {
        self.add(&other.neg())
    }

    /// `self × other`.
    pub fn mul(&self, other: &Exact) -> Exact {
        if let (Exact::Small(a, b), Exact::Small(c, d)) = (self, other) {
            let r = (|| small(a.checked_mul(*c)?, b.checked_mul(*d)?))();
            if let Some(r) = r {
                return r;
            }
        }
        let ((a, b), (c, d)) = (self.parts_big(), other.parts_big());
        big(a * c, b * d)
    }

    /// `self ÷ other`; `None` when `other` is zero.
    pub fn div(&self, other: &Exact) -> Option<Exact> {
        if other.is_zero() {
            return None;
        }
        if let (Exact::Small(a, b), Exact::Small(c, d)) = (self, other) {
            let r = (|| small(a.checked_mul(*d)?, b.checked_mul(*c)?))();
            if let Some(r) = r {
                return Some(r);
            }
        }
        let ((a, b), (c, d)) = (self.parts_big(), other.parts_big());
        Some(big(a * d, b * c))
    }

    /// Whether this is zero.
    pub fn is_zero(&self) -> bool {
        match self {
            Exact::Small(n, _) => *n == 0,
            Exact::Big(n, _) => n.is_zero(),
        }
    }

    /// Whether this is below zero.
    pub fn is_negative(&self) -> bool {
        match self {
            Exact::Small(n, _) => *n < 0,
            Exact::Big(n, _) => n.is_negative(),
        }
    }

    /// Rounds to `dp` decimal places, half away from zero (四舍五入).
    /// `None` only when the result does not fit a `Decimal` (|x| ≥ 7.9·10²⁸).
    pub fn round(&self, dp: u32) -> Option<Decimal> {
        let dp = dp.min(20);
        if let Exact::Small(n, d) = self
            && let Some(scaled) = n.checked_mul(10i128.pow(dp))
        {
            let (q, r) = (scaled / d, scaled % d);
            let q = if r.unsigned_abs() * 2 >= d.unsigned_abs() {
                q + scaled.signum()
            } else {
                q
            };
            return Decimal::try_from_i128_with_scale(q, dp)
                .ok()
                .map(|v| v.normalize());
        }
        let (n, d) = self.parts_big();
        let scaled = n * BigInt::from(10u8).pow(dp);
        let (q, r) = scaled.div_rem(&d);
        let twice = r.abs() * 2u8;
        let q = if twice >= d {
            if scaled.is_negative() { q - 1 } else { q + 1 }
        } else {
            q
        };
        let m = q.to_i128()?;
        Decimal::try_from_i128_with_scale(m, dp)
            .ok()
            .map(|v| v.normalize())
    }
}

impl PartialEq for Exact {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Exact {}

impl PartialOrd for Exact {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Exact {
    fn cmp(&self, other: &Self) -> Ordering {
        if let (Exact::Small(a, b), Exact::Small(c, d)) = (self, other)
            && let (Some(l), Some(r)) = (a.checked_mul(*d), c.checked_mul(*b))
        {
            return l.cmp(&r);
        }
        let ((a, b), (c, d)) = (self.parts_big(), other.parts_big());
        (a * d).cmp(&(c * b))
    }
}

impl From<Decimal> for Exact {
    fn from(d: Decimal) -> Self {
        Exact::from_decimal(d)
    }
}

/// 10⁰ … 10⁶: the powers a figure's places need.
pub(crate) const POW10: [i128; 7] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

/// Limits on a figure as entered, so that sums of millions of figures stay exact
/// in a `Decimal` (28 significant digits).
pub const MAX_DECIMALS: u32 = 6;
/// Largest magnitude accepted for one figure (exclusive): 10¹², a trillion in
/// the display unit; with six decimals a figure fits in 64 bits.
pub const MAX_MAGNITUDE: i128 = 1_000_000_000_000;

/// Why a figure was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// Not a number as written.
    #[error("不是有效的数字“{0}”")]
    Invalid(String),
    /// More decimal places than a figure may have.
    #[error("小数位数超过 {MAX_DECIMALS} 位“{0}”")]
    TooManyDecimals(String),
    /// Too large for a figure.
    #[error("数值过大“{0}”(绝对值须小于 10 的 12 次方)")]
    TooLarge(String),
    /// A leading `+`: it may mean "this much more", which is not a figure.
    #[error("数字前不要加“+”号“{0}”(请填数值本身,不是增量)")]
    PlusSign(String),
    /// An exponent: a spreadsheet that writes one may have dropped digits.
    #[error("不接受科学计数法“{0}”(表格导出时可能已丢失位数:请把单元格设为“数值”格式后重新导出)")]
    Exponent(String),
}

/// A figure's text with full-width characters (what Chinese input methods
/// type: `３`, `．`, `，`, `－`, `＋`) as their ASCII forms; borrowed when
/// it has none.
fn half_width(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                '．' => '.',
                '，' => ',',
                '－' => '-',
                '＋' => '+',
                other => other,
            })
            .collect(),
    )
}

/// Parses a figure as people write it in a spreadsheet: an optional minus,
/// digits with optional thousands separators (`1,234.5`), an optional
/// trailing `%` when `allow_percent` (the `%` is dropped: the value is
/// already in percent). White space around it is dropped and full-width
/// digits and signs are read as digits; a leading `+`, an exponent
/// (`1E+3`), `_` or any other character is refused (docs/RULES.md).
///
/// ```
/// use anju_core::num::parse_figure;
/// assert_eq!(parse_figure("1,234.5", false).unwrap().to_string(), "1234.5");
/// assert_eq!(parse_figure("79%", true).unwrap().to_string(), "79");
/// assert!(parse_figure("0.1234567", false).is_err()); // more than 6 decimals
/// assert_eq!(parse_figure(" ３．５ ", false).unwrap().to_string(), "3.5");
/// assert!(parse_figure("+1", false).is_err());
/// assert!(parse_figure("1_000", false).is_err());
/// assert!(parse_figure("1E+3", false).is_err());
/// ```
pub fn parse_figure(raw: &str, allow_percent: bool) -> Result<Decimal, NumberError> {
    let wide = half_width(crate::input::trim(raw));
    let s: &str = &wide;
    let s = if allow_percent {
        s.strip_suffix('%')
            .or_else(|| s.strip_suffix('％'))
            .unwrap_or(s)
            .trim_end()
    } else {
        s
    };
    let bad = || NumberError::Invalid(raw.trim().to_string());
    if s.is_empty() {
        return Err(bad());
    }
    // Fast path: [-]digits[.digits], up to 18 digits.
    let bytes = s.as_bytes();
    let (neg, body) = match bytes[0] {
        b'-' => (true, &bytes[1..]),
        b'+' => return Err(NumberError::PlusSign(raw.trim().to_string())),
        _ => (false, bytes),
    };
    let mut mant: i64 = 0;
    let mut digits = 0u32;
    let mut scale = 0u32;
    let mut seen_dot = false;
    let mut simple = !body.is_empty();
    for &b in body {
        match b {
            b'0'..=b'9' => {
                if digits >= 18 {
                    simple = false;
                    break;
                }
                mant = mant * 10 + i64::from(b - b'0');
                digits += 1;
                if seen_dot {
                    scale += 1;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => {
                simple = false;
                break;
            }
        }
    }
    if simple && digits > 0 {
        // A point needs digits on both sides (`1.` and `.5` look like typos).
        if seen_dot && (scale == 0 || body[0] == b'.') {
            return Err(bad());
        }
        if scale > MAX_DECIMALS {
            return Err(NumberError::TooManyDecimals(raw.trim().to_string()));
        }
        // |x| < 10¹² ⇔ mantissa < 10^(12 + scale); scale ≤ 6 keeps it in i64.
        if i128::from(mant) >= MAX_MAGNITUDE * POW10[scale as usize] {
            return Err(NumberError::TooLarge(raw.trim().to_string()));
        }
        let m = if neg { -mant } else { mant };
        return Decimal::try_new(m, scale).map_err(|_| bad());
    }
    let value = {
        let cleaned: String = if s.contains(',') {
            // Thousands separators only between groups of three digits.
            let int_part = s.split('.').next().unwrap_or("");
            let groups: Vec<&str> = int_part.trim_start_matches(['-', '+']).split(',').collect();
            let ok = groups.len() > 1
                && !groups[0].is_empty()
                && groups[0].len() <= 3
                && groups[1..].iter().all(|g| g.len() == 3);
            if !ok {
                return Err(bad());
            }
            s.replace(',', "")
        } else {
            s.to_string()
        };
        if cleaned.contains(['e', 'E']) {
            return Err(NumberError::Exponent(raw.trim().to_string()));
        }
        // Digits, one point between digits, a leading minus: nothing else
        // (no `_`, which the decimal parser would skip).
        let unsigned = cleaned.strip_prefix('-').unwrap_or(&cleaned);
        let mut parts = unsigned.split('.');
        let whole = parts.next().unwrap_or("");
        let fraction = parts.next();
        let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if parts.next().is_some() || !all_digits(whole) || !fraction.is_none_or(all_digits) {
            return Err(bad());
        }
        let d = Decimal::from_str_exact(&cleaned).map_err(|_| bad())?;
        if d.scale() > MAX_DECIMALS {
            return Err(NumberError::TooManyDecimals(raw.trim().to_string()));
        }
        d
    };
    check_limits(value, raw)
}

/// Checks that a figure is within the limits every figure keeps (at most
/// [`MAX_DECIMALS`] places, magnitude below 10¹²), so sums stay exact.
pub fn check_limits(d: Decimal, written: &str) -> Result<Decimal, NumberError> {
    if d.scale() > MAX_DECIMALS && d.normalize().scale() > MAX_DECIMALS {
        return Err(NumberError::TooManyDecimals(written.trim().to_string()));
    }
    if d.mantissa().abs() >= MAX_MAGNITUDE * 10i128.pow(d.scale()) {
        return Err(NumberError::TooLarge(written.trim().to_string()));
    }
    Ok(d)
}

/// Parses a decimal written in a plan file (no `%`).
pub fn parse_plan_decimal(s: &str) -> Option<Decimal> {
    let s = s.trim();
    if s.is_empty() || s.contains(['e', 'E', ',', '_']) || s.starts_with('.') || s.ends_with('.') {
        return None;
    }
    Decimal::from_str_exact(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn exact_arithmetic_has_no_rounding_noise() {
        // 0.1 + 0.2 == 0.3 exactly, unlike binary floating point.
        let a = Exact::from(d("0.1")).add(&Exact::from(d("0.2")));
        assert_eq!(a, Exact::from(d("0.3")));
        // (1/12)·12 == 1
        let t = Exact::fraction(1, 12).unwrap();
        assert_eq!(t.mul(&Exact::int(12)), Exact::ONE);
    }

    #[test]
    fn overflow_moves_to_big_and_back() {
        let huge = Exact::from(d("79228162514264337593543950335"));
        let sq = huge.mul(&huge);
        assert!(matches!(sq, Exact::Big(..)));
        let back = sq.div(&huge).unwrap();
        assert_eq!(back, huge);
        assert!(matches!(back, Exact::Small(..)));
        assert!(sq > huge);
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(Exact::fraction(5, 1000).unwrap().round(2), Some(d("0.01")));
        assert_eq!(
            Exact::fraction(-5, 1000).unwrap().round(2),
            Some(d("-0.01"))
        );
        assert_eq!(Exact::fraction(1, 3).unwrap().round(4), Some(d("0.3333")));
        assert_eq!(Exact::fraction(2, 3).unwrap().round(0), Some(d("1")));
    }

    #[test]
    fn figures_parse_as_written() {
        assert_eq!(parse_figure("2.22", false), Ok(d("2.22")));
        assert_eq!(parse_figure(" 79% ", true), Ok(d("79")));
        assert_eq!(parse_figure("1,234.5", false), Ok(d("1234.5")));
        assert!(parse_figure("79%", false).is_err());
        assert!(parse_figure("1,23", false).is_err());
        assert!(parse_figure("abc", false).is_err());
        assert!(parse_figure("1e5", false).is_err());
        assert!(matches!(
            parse_figure("0.1234567", false),
            Err(NumberError::TooManyDecimals(_))
        ));
        assert!(matches!(
            parse_figure("1000000000000", false),
            Err(NumberError::TooLarge(_))
        ));
        assert_eq!(
            parse_figure("999999999999.999999", false),
            Ok(d("999999999999.999999"))
        );
        assert_eq!(parse_figure("-3", false), Ok(d("-3")));
    }

    /// One rule for odd ways of writing a number, in files and the API alike.
    #[test]
    fn odd_numbers_are_refused_or_read_by_one_rule() {
        let ok = |t: &str| parse_figure(t, true).map(|d| d.normalize().to_string());
        assert_eq!(ok(" 1").unwrap(), "1");
        assert_eq!(ok("1\u{3000}").unwrap(), "1");
        assert_eq!(ok("３").unwrap(), "3");
        assert_eq!(ok("１，２３４．５").unwrap(), "1234.5");
        assert_eq!(ok("９６％").unwrap(), "96");
        assert_eq!(ok("－0").unwrap(), "0");
        assert!(matches!(
            parse_figure("+1", false),
            Err(NumberError::PlusSign(_))
        ));
        assert!(matches!(
            parse_figure("＋1", false),
            Err(NumberError::PlusSign(_))
        ));
        assert!(matches!(
            parse_figure("1E+3", false),
            Err(NumberError::Exponent(_))
        ));
        assert!(matches!(
            parse_figure("1.2e3", false),
            Err(NumberError::Exponent(_))
        ));
        for bad in [
            "1_000", "1__0", "_1", "1.2.3", "1.", ".5", "1,00", "0x10", "1 000", "٣",
        ] {
            assert!(
                matches!(parse_figure(bad, false), Err(NumberError::Invalid(_))),
                "{bad}: {:?}",
                parse_figure(bad, false)
            );
        }
    }
}
