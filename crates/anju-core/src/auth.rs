//! Login rules: when failed logins slow and lock an account (per address, so
//! that a stranger cannot lock a user out), when an idle session ends,
//! and how a time is written (China time, +08:00). Pure: every time is a
//! parameter, in seconds since 1970 (UTC).

use crate::workflow::Date;

/// Failed logins that lock an account …
pub const MAX_FAILURES: usize = 5;
/// … when they fall within this many seconds …
pub const FAILURE_WINDOW: i64 = 15 * 60;
/// … for this many seconds after the last of them.
pub const LOCK_SECONDS: i64 = 15 * 60;
/// A session unused for this long ends.
pub const IDLE_SECONDS: i64 = 30 * 60;
/// After this many failures from one address within [`FAILURE_WINDOW`], the
/// next try from there waits [`SLOW_SECONDS`] after the last failure …
pub const SLOW_AFTER: usize = 3;
/// … this many seconds.
pub const SLOW_SECONDS: i64 = 30;
/// Failures from addresses the account never logged in from, added up
/// over all of them, that lock the account for every such address (a guess
/// spread over many addresses); addresses it has logged in from before may
/// still log in.
pub const UNKNOWN_ADDRESS_FAILURES: usize = 20;
/// An address is known to an account for this long after its last
/// successful login from there.
pub const KNOWN_ADDRESS_SECONDS: i64 = 90 * 24 * 3600;

/// The shortest password the policy takes, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// How many of the four kinds of character (capitals, small letters,
/// digits, other signs) a password must have.
pub const PASSWORD_KINDS: usize = 3;

/// Checks a new password against the policy (等保 三级: 口令复杂度): at
/// least eight characters, of at least three of the four kinds (capital
/// letters, small letters, digits, other signs; a Chinese character counts
/// as another sign), and not containing the user name. The reason, in
/// Chinese, when it fails.
pub fn check_password_policy(user: &str, password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!("密码至少 {MIN_PASSWORD_CHARS} 位"));
    }
    let kinds = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    // The words say "三类": change them with the number.
    const _: () = assert!(PASSWORD_KINDS == 3);
    if kinds.iter().filter(|&&k| k).count() < PASSWORD_KINDS {
        return Err("密码须包含大写字母、小写字母、数字、其他符号四类中的至少三类".into());
    }
    let name = user.trim().to_lowercase();
    if !name.is_empty() && password.to_lowercase().contains(&name) {
        return Err("密码不能包含用户名".into());
    }
    Ok(())
}

/// The failed logins that decide whether a login may be tried now, all
/// within [`FAILURE_WINDOW`] + [`LOCK_SECONDS`] before it (times in seconds).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoginHistory {
    /// Failures for this account from this address.
    pub from_address: Vec<i64>,
    /// Failures for this account from every address it has not logged in
    /// from successfully within [`KNOWN_ADDRESS_SECONDS`].
    pub from_unknown: Vec<i64>,
    /// The account has logged in from this address before.
    pub known_address: bool,
}

/// Which lock holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockScope {
    /// This account from this address.
    Address,
    /// This account from every address it has not logged in from.
    UnknownAddresses,
}

impl LockScope {
    /// Its stable name (in the audit log).
    pub fn as_str(self) -> &'static str {
        match self {
            LockScope::Address => "address",
            LockScope::UnknownAddresses => "unknown_addresses",
        }
    }
}

/// Whether a login may be tried now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginGate {
    /// It may; this many more failures from this address lock it.
    Open {
        /// Failures left before the lock.
        remaining: usize,
    },
    /// Not before this time (too many recent failures from this address).
    Slowed {
        /// When the next try may come.
        until: i64,
        /// Failures left before the lock.
        remaining: usize,
    },
    /// Locked until this time.
    Locked {
        /// When the lock ends.
        until: i64,
        /// For whom.
        scope: LockScope,
    },
}

/// The end of a lock that `n` failures within the window start, if one
/// holds at `now`.
fn lock_of(failures: &[i64], n: usize, now: i64) -> Option<i64> {
    let mut f: Vec<i64> = failures.iter().copied().filter(|&t| t <= now).collect();
    f.sort_unstable();
    f.windows(n)
        .filter(|w| w[n - 1] - w[0] < FAILURE_WINDOW)
        .map(|w| w[n - 1] + LOCK_SECONDS)
        .filter(|&until| now < until)
        .max()
}

/// A lock in force, as the security administrator sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lock {
    /// The address locked out (for [`LockScope::Address`]).
    pub address: Option<String>,
    /// For whom.
    pub scope: LockScope,
    /// Until when.
    pub until: i64,
}

/// The locks of one account in force at `now`, from its failed logins
/// (address, time, whether the account knows the address).
pub fn locks_in_force(failures: &[(String, i64, bool)], now: i64) -> Vec<Lock> {
    let mut out = Vec::new();
    let mut addresses: Vec<&str> = failures.iter().map(|f| f.0.as_str()).collect();
    addresses.sort_unstable();
    addresses.dedup();
    for a in addresses {
        let times: Vec<i64> = failures.iter().filter(|f| f.0 == a).map(|f| f.1).collect();
        if let Some(until) = lock_of(&times, MAX_FAILURES, now) {
            out.push(Lock {
                address: Some(a.to_string()),
                scope: LockScope::Address,
                until,
            });
        }
    }
    let unknown: Vec<i64> = failures.iter().filter(|f| !f.2).map(|f| f.1).collect();
    if let Some(until) = lock_of(&unknown, UNKNOWN_ADDRESS_FAILURES, now) {
        out.push(Lock {
            address: None,
            scope: LockScope::UnknownAddresses,
            until,
        });
    }
    out
}

/// Whether a login may be tried at `now` (等保 登录失败处理, without letting
/// a stranger lock anyone out):
/// 1. five failures from one address within fifteen minutes lock the
///    account for that address for fifteen minutes;
/// 2. from an address the account has not logged in from before, twenty
///    failures from all such addresses together lock it for all of them;
/// 3. after three failures from one address, each further try waits thirty
///    seconds after the last.
pub fn login_gate(h: &LoginHistory, now: i64) -> LoginGate {
    if let Some(until) = lock_of(&h.from_address, MAX_FAILURES, now) {
        return LoginGate::Locked {
            until,
            scope: LockScope::Address,
        };
    }
    if !h.known_address
        && let Some(until) = lock_of(&h.from_unknown, UNKNOWN_ADDRESS_FAILURES, now)
    {
        return LoginGate::Locked {
            until,
            scope: LockScope::UnknownAddresses,
        };
    }
    let recent: Vec<i64> = h
        .from_address
        .iter()
        .copied()
        .filter(|&t| t <= now && now - t < FAILURE_WINDOW)
        .collect();
    let remaining = MAX_FAILURES.saturating_sub(recent.len());
    if recent.len() >= SLOW_AFTER {
        let until = recent.iter().max().copied().unwrap_or(now) + SLOW_SECONDS;
        if now < until {
            return LoginGate::Slowed { until, remaining };
        }
    }
    LoginGate::Open { remaining }
}

/// Until when an account is locked at `now`, given the times of its failed
/// logins: a lock starts at a failure that makes five within fifteen minutes
/// and lasts fifteen minutes.
pub fn locked_until(failures: &[i64], now: i64) -> Option<i64> {
    lock_of(failures, MAX_FAILURES, now)
}

/// A session's last use is written at most this often: a read does not
/// become a write on every request, and the idle time is counted to within
/// this many seconds (a session may end up to a minute early, never late).
pub const TOUCH_SECONDS: i64 = 60;

/// Whether a session last used at `last_seen` is still alive at `now`.
pub fn session_alive(last_seen: i64, now: i64) -> bool {
    now - last_seen < IDLE_SECONDS
}

/// The civil date and time in China (+08:00, no DST) of a Unix time.
pub fn china_time(unix: i64) -> (Date, u32, u32, u32) {
    let secs = unix + 8 * 3600;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // The civil date of a day count since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let date = Date {
        year: year as i32,
        month: month as u32,
        day: day as u32,
    };
    (
        date,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

/// A Unix time as RFC 3339 in China time: `2024-07-03T09:30:00+08:00`.
pub fn china_stamp(unix: i64) -> String {
    let (d, h, m, s) = china_time(unix);
    format!(
        "{:04}-{:02}-{:02}T{h:02}:{m:02}:{s:02}+08:00",
        d.year, d.month, d.day
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_in_fifteen_minutes_lock_for_fifteen_minutes() {
        let t = 1_000_000;
        let four = [t, t + 60, t + 120, t + 180];
        assert_eq!(locked_until(&four, t + 200), None);
        let five = [t, t + 60, t + 120, t + 180, t + 240];
        assert_eq!(locked_until(&five, t + 241), Some(t + 240 + LOCK_SECONDS));
        assert_eq!(
            locked_until(&five, t + 240 + LOCK_SECONDS),
            None,
            "over after fifteen minutes"
        );
        let spread = [t, t + 300, t + 600, t + 900, t + 1200];
        assert_eq!(
            locked_until(&spread, t + 1201),
            None,
            "five in twenty minutes do not lock"
        );
        assert_eq!(
            locked_until(&five, t + 100),
            None,
            "failures after now do not count"
        );
    }

    #[test]
    fn a_stranger_cannot_lock_out_an_address_the_account_knows() {
        let t = 1_000_000;
        let spaced: Vec<i64> = (0..5).map(|k| t + k * 60).collect();
        // From one address: open with fewer tries left, slowed after three,
        // locked after five.
        let h = |from: &[i64], unknown: &[i64], known| LoginHistory {
            from_address: from.to_vec(),
            from_unknown: unknown.to_vec(),
            known_address: known,
        };
        assert_eq!(
            login_gate(&h(&spaced[..2], &[], false), t + 130),
            LoginGate::Open { remaining: 3 }
        );
        assert_eq!(
            login_gate(&h(&spaced[..3], &[], false), t + 130),
            LoginGate::Slowed {
                until: t + 120 + SLOW_SECONDS,
                remaining: 2
            }
        );
        assert_eq!(
            login_gate(&h(&spaced[..3], &[], false), t + 120 + SLOW_SECONDS),
            LoginGate::Open { remaining: 2 }
        );
        assert_eq!(
            login_gate(&h(&spaced, &[], false), t + 300),
            LoginGate::Locked {
                until: t + 240 + LOCK_SECONDS,
                scope: LockScope::Address
            }
        );
        // Twenty failures from strangers' addresses: every unknown address
        // is locked out, an address the account knows is not.
        let many: Vec<i64> = (0..20).map(|k| t + k * 10).collect();
        assert_eq!(
            login_gate(&h(&[], &many, false), t + 200),
            LoginGate::Locked {
                until: t + 190 + LOCK_SECONDS,
                scope: LockScope::UnknownAddresses
            }
        );
        assert_eq!(
            login_gate(&h(&[], &many, true), t + 200),
            LoginGate::Open { remaining: 5 }
        );
        assert_eq!(
            login_gate(&h(&[], &many[..19], false), t + 200),
            LoginGate::Open { remaining: 5 }
        );
        // A known address that fails five times itself is locked too.
        assert!(matches!(
            login_gate(&h(&spaced, &many, true), t + 300),
            LoginGate::Locked {
                scope: LockScope::Address,
                ..
            }
        ));
    }

    #[test]
    fn passwords_follow_the_policy() {
        assert!(check_password_policy("xiashi", "Anju-2026").is_ok());
        assert!(check_password_policy("xiashi", "安居潮城2026ab").is_ok());
        let says = |p: &str| check_password_policy("xiashi", p).unwrap_err();
        assert!(says("Ab1-").contains("8"));
        assert!(says("correct horse").contains("三类"));
        assert!(says("abcdefgh1").contains("三类"));
        assert!(says("Xiashi-2026").contains("用户名"));
    }

    #[test]
    fn sessions_end_after_thirty_idle_minutes() {
        assert!(session_alive(0, IDLE_SECONDS - 1));
        assert!(!session_alive(0, IDLE_SECONDS));
    }

    #[test]
    fn china_time_is_utc_plus_eight() {
        assert_eq!(china_stamp(0), "1970-01-01T08:00:00+08:00");
        assert_eq!(china_stamp(1_700_000_000), "2023-11-15T06:13:20+08:00");
        assert_eq!(china_stamp(1_709_179_200), "2024-02-29T12:00:00+08:00");
        assert_eq!(china_stamp(951_782_400), "2000-02-29T08:00:00+08:00");
        assert_eq!(
            china_time(1_709_179_200).0,
            Date {
                year: 2024,
                month: 2,
                day: 29
            }
        );
    }
}
