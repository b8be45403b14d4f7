//! Login rules: when failed logins lock an account, when an idle session ends,
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

/// Until when an account is locked at `now`, given the times of its failed
/// logins: a lock starts at a failure that makes five within fifteen minutes
/// and lasts fifteen minutes.
pub fn locked_until(failures: &[i64], now: i64) -> Option<i64> {
    let mut f: Vec<i64> = failures.iter().copied().filter(|&t| t <= now).collect();
    f.sort_unstable();
    f.windows(MAX_FAILURES)
        .filter(|w| w[MAX_FAILURES - 1] - w[0] < FAILURE_WINDOW)
        .map(|w| w[MAX_FAILURES - 1] + LOCK_SECONDS)
        .filter(|&until| now < until)
        .max()
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
