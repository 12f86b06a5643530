//! Working time: the configured working periods of a day, weekends, public
//! holidays and compensatory working days (ngày làm bù), and the arithmetic
//! every statutory deadline uses.
//!
//! All statutory times are working time (Thanh Hóa 17/2024 Art. 11, Đắk Lắk
//! 04/2024 Art. 8): something received outside working hours starts at the
//! next working instant; N working days are N × 8 working hours.

use std::collections::BTreeMap;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

use super::Problem;

labelled_enum! {
    /// An exception to the weekly pattern.
    pub enum DayKind {
        Holiday => ("HOLIDAY", "Ngày nghỉ lễ, tết", "Public holiday"),
        Workday => ("WORKDAY", "Ngày làm bù", "Compensatory working day"),
    }
}

labelled_enum! {
    /// How a dossier or a step was settled against its due instant.
    pub enum Timeliness {
        Early => ("EARLY", "Trước hạn", "Early"),
        OnTime => ("ON_TIME", "Đúng hạn", "On time"),
        Late => ("LATE", "Quá hạn", "Late"),
    }
}

/// The working periods of a working day, sorted and disjoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    periods: Vec<(NaiveTime, NaiveTime)>,
}

impl WorkingHours {
    /// Parses `07:30-11:30,13:00-17:00`.
    pub fn parse(s: &str) -> Result<Self, Problem> {
        let bad = || Problem::Invalid {
            vi: "Giờ làm việc phải có dạng 07:30-11:30,13:00-17:00".into(),
            en: "Working hours look like 07:30-11:30,13:00-17:00".into(),
        };
        let mut periods = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (a, b) = part.split_once('-').ok_or_else(bad)?;
            let start = NaiveTime::parse_from_str(a.trim(), "%H:%M").map_err(|_| bad())?;
            let end = NaiveTime::parse_from_str(b.trim(), "%H:%M").map_err(|_| bad())?;
            if start >= end {
                return Err(bad());
            }
            periods.push((start, end));
        }
        periods.sort();
        if periods.is_empty() || periods.windows(2).any(|w| w[0].1 > w[1].0) {
            return Err(bad());
        }
        Ok(WorkingHours { periods })
    }

    /// Seconds of work in one working day.
    pub fn seconds_per_day(&self) -> i64 {
        self.periods
            .iter()
            .map(|(s, e)| (*e - *s).num_seconds())
            .sum()
    }

    fn last_end(&self) -> NaiveTime {
        self.periods.last().map(|p| p.1).unwrap_or(NaiveTime::MIN)
    }
}

impl Default for WorkingHours {
    /// 07:30–11:30 and 13:00–17:00: eight working hours.
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
        WorkingHours {
            periods: vec![(t(7, 30), t(11, 30)), (t(13, 0), t(17, 0))],
        }
    }
}

/// No deadline reaches further than this many calendar days: a guard
/// against a calendar with no working day at all.
const MAX_DAYS: i64 = 3_660;

/// A calendar: time zone, working periods, and the exceptions of the years
/// concerned.
pub struct Calendar<'a> {
    pub tz: Tz,
    pub hours: &'a WorkingHours,
    pub exceptions: &'a BTreeMap<NaiveDate, DayKind>,
}

impl Calendar<'_> {
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.exceptions.get(&day) {
            Some(DayKind::Workday) => true,
            Some(DayKind::Holiday) => false,
            None => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    fn local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        t.with_timezone(&self.tz).naive_local()
    }

    fn utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        self.tz
            .from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&local))
    }

    /// `from` plus `seconds` of working time. With 0 it is the next working
    /// instant at or after `from`; a sum that ends exactly at the end of a
    /// period ends there (17:00, not 07:30 the next day).
    pub fn add_seconds(&self, from: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
        let mut remaining = seconds.max(0);
        let mut cursor = self.local(from);
        let mut day = cursor.date();
        for _ in 0..MAX_DAYS {
            if self.is_working_day(day) {
                for &(start, end) in &self.hours.periods {
                    let (ps, pe) = (day.and_time(start), day.and_time(end));
                    if cursor >= pe {
                        continue;
                    }
                    let at = cursor.max(ps);
                    let available = (pe - at).num_seconds();
                    if remaining <= available {
                        return self.utc(at + Duration::seconds(remaining));
                    }
                    remaining -= available;
                    cursor = pe;
                }
            }
            day = day.succ_opt().unwrap_or(day);
            cursor = day.and_time(NaiveTime::MIN);
        }
        self.utc(cursor)
    }

    /// The next working instant at or after `t`.
    pub fn next_working_instant(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        self.add_seconds(t, 0)
    }

    /// Working seconds between two instants (negative when `to` is earlier).
    pub fn seconds_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to < from {
            return -self.seconds_between(to, from);
        }
        let (a, b) = (self.local(from), self.local(to));
        let mut total = 0;
        let mut day = a.date();
        while day <= b.date() {
            if self.is_working_day(day) {
                for &(start, end) in &self.hours.periods {
                    let lo = day.and_time(start).max(a);
                    let hi = day.and_time(end).min(b);
                    if hi > lo {
                        total += (hi - lo).num_seconds();
                    }
                }
            }
            match day.succ_opt() {
                Some(d) => day = d,
                None => break,
            }
        }
        total
    }

    /// The end of the last working period of a day.
    pub fn end_of_day(&self, day: NaiveDate) -> DateTime<Utc> {
        self.utc(day.and_time(self.hours.last_end()))
    }

    fn next_working_day_after(&self, day: NaiveDate) -> NaiveDate {
        let mut d = day;
        for _ in 0..MAX_DAYS {
            d = d.succ_opt().unwrap_or(d);
            if self.is_working_day(d) {
                return d;
            }
        }
        d
    }

    /// The due instant (ngày hẹn trả) of something received at `received`
    /// with a processing time in working hours:
    /// - 0 hours: returned at once (at the next working instant);
    /// - "within the day" procedures: the end of the day they start, or of
    ///   the next working day when they start after the cut-off;
    /// - otherwise the start plus the working time.
    pub fn due(
        &self,
        received: DateTime<Utc>,
        processing_hours: u32,
        within_day: bool,
        cutoff: NaiveTime,
    ) -> DateTime<Utc> {
        let start = self.next_working_instant(received);
        if within_day {
            let local = self.local(start);
            let day = if local.time() <= cutoff {
                local.date()
            } else {
                self.next_working_day_after(local.date())
            };
            return self.end_of_day(day);
        }
        self.add_seconds(start, i64::from(processing_hours) * 3_600)
    }

    /// EARLY if settled on a day before the due day, ON_TIME if on the due
    /// day by the due instant, LATE after it.
    pub fn classify(&self, due: DateTime<Utc>, settled: DateTime<Utc>) -> Timeliness {
        if settled > due {
            Timeliness::Late
        } else if self.local(settled).date() < self.local(due).date() {
            Timeliness::Early
        } else {
            Timeliness::OnTime
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vn(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// Tết 2027 as the demo lays it out (5/2 and 8–11/2 off), New Year
    /// 2027, and a compensatory working Saturday 16/1/2027.
    fn exceptions() -> BTreeMap<NaiveDate, DayKind> {
        let mut m = BTreeMap::new();
        for d in [5, 8, 9, 10, 11] {
            m.insert(date(2027, 2, d), DayKind::Holiday);
        }
        m.insert(date(2027, 1, 1), DayKind::Holiday);
        m.insert(date(2027, 1, 16), DayKind::Workday);
        m
    }

    fn with<R>(f: impl FnOnce(&Calendar) -> R) -> R {
        let hours = WorkingHours::default();
        let ex = exceptions();
        f(&Calendar {
            tz: chrono_tz::Asia::Ho_Chi_Minh,
            hours: &hours,
            exceptions: &ex,
        })
    }

    const CUTOFF: NaiveTime = match NaiveTime::from_hms_opt(15, 0, 0) {
        Some(t) => t,
        None => NaiveTime::MIN,
    };

    #[test]
    fn working_hours_parse_and_refuse_nonsense() {
        let h = WorkingHours::parse("13:00-17:00, 07:30-11:30").unwrap();
        assert_eq!(h, WorkingHours::default());
        assert_eq!(h.seconds_per_day(), 8 * 3600);
        for bad in ["", "7-11", "11:30-07:30", "07:30-12:00,11:00-17:00"] {
            assert!(WorkingHours::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_submission_after_hours_starts_the_next_morning() {
        with(|c| {
            // Wednesday 25/11/2026 at 19:00.
            assert_eq!(
                c.next_working_instant(vn(2026, 11, 25, 19, 0)),
                vn(2026, 11, 26, 7, 30)
            );
            // 8 working hours from then end Thursday 17:00.
            assert_eq!(
                c.add_seconds(vn(2026, 11, 25, 19, 0), 8 * 3600),
                vn(2026, 11, 26, 17, 0)
            );
        });
    }

    #[test]
    fn friday_evening_waits_for_monday() {
        with(|c| {
            // Friday 20/11/2026 at 17:30 → Monday 23/11 07:30; 8 hours → Monday 17:00.
            assert_eq!(
                c.add_seconds(vn(2026, 11, 20, 17, 30), 0),
                vn(2026, 11, 23, 7, 30)
            );
            assert_eq!(
                c.add_seconds(vn(2026, 11, 20, 17, 30), 8 * 3600),
                vn(2026, 11, 23, 17, 0)
            );
            // Friday 16:00 + 2 hours: one today, one Monday morning.
            assert_eq!(
                c.add_seconds(vn(2026, 11, 20, 16, 0), 2 * 3600),
                vn(2026, 11, 23, 8, 30)
            );
        });
    }

    #[test]
    fn the_lunch_break_does_not_count() {
        with(|c| {
            assert_eq!(
                c.next_working_instant(vn(2026, 11, 24, 12, 15)),
                vn(2026, 11, 24, 13, 0)
            );
            assert_eq!(
                c.add_seconds(vn(2026, 11, 24, 11, 0), 3600),
                vn(2026, 11, 24, 13, 30)
            );
            // 11:00–11:30 and 13:00–14:00.
            assert_eq!(
                c.seconds_between(vn(2026, 11, 24, 11, 0), vn(2026, 11, 24, 14, 0)),
                90 * 60
            );
        });
    }

    #[test]
    fn tet_is_skipped() {
        with(|c| {
            // Thursday 4/2/2027 09:00 + 3 working days (24 h): 6.5 h on
            // Thursday; 5/2 and 8–11/2 are Tết; 8 h on Friday 12/2 and on
            // Monday 15/2; the last 1.5 h on Tuesday 16/2.
            let due = c.add_seconds(vn(2027, 2, 4, 9, 0), 24 * 3600);
            assert_eq!(due, vn(2027, 2, 16, 9, 0));
            assert_eq!(c.seconds_between(vn(2027, 2, 4, 9, 0), due), 24 * 3600);
        });
    }

    #[test]
    fn a_compensatory_saturday_is_a_working_day() {
        with(|c| {
            assert!(c.is_working_day(date(2027, 1, 16)));
            assert!(!c.is_working_day(date(2027, 1, 17)));
            // Friday 15/1/2027 16:00 + 2 h: one hour Friday, one Saturday morning.
            assert_eq!(
                c.add_seconds(vn(2027, 1, 15, 16, 0), 2 * 3600),
                vn(2027, 1, 16, 8, 30)
            );
        });
    }

    #[test]
    fn a_year_boundary_and_new_year_are_crossed() {
        with(|c| {
            // Thursday 31/12/2026 15:00 + 4 h: 2 h on the 31st, 1/1 is a
            // holiday, 2–3/1 a weekend, then 2 h on Monday 4/1/2027.
            assert_eq!(
                c.add_seconds(vn(2026, 12, 31, 15, 0), 4 * 3600),
                vn(2027, 1, 4, 9, 30)
            );
        });
    }

    #[test]
    fn immediate_procedures_are_due_at_once() {
        with(|c| {
            assert_eq!(
                c.due(vn(2026, 11, 24, 9, 10), 0, false, CUTOFF),
                vn(2026, 11, 24, 9, 10)
            );
            assert_eq!(
                c.due(vn(2026, 11, 24, 18, 0), 0, false, CUTOFF),
                vn(2026, 11, 25, 7, 30)
            );
        });
    }

    #[test]
    fn within_the_day_procedures_after_the_cutoff_are_due_the_next_day() {
        with(|c| {
            assert_eq!(
                c.due(vn(2026, 11, 24, 14, 59), 0, true, CUTOFF),
                vn(2026, 11, 24, 17, 0)
            );
            assert_eq!(
                c.due(vn(2026, 11, 24, 15, 30), 0, true, CUTOFF),
                vn(2026, 11, 25, 17, 0)
            );
            // After the cut-off on a Friday: Monday.
            assert_eq!(
                c.due(vn(2026, 11, 20, 16, 0), 8, true, CUTOFF),
                vn(2026, 11, 23, 17, 0)
            );
        });
    }

    #[test]
    fn due_dates_count_working_days() {
        with(|c| {
            // Tuesday 24/11/2026 10:00, 5 working days → Tuesday 1/12 10:00.
            assert_eq!(
                c.due(vn(2026, 11, 24, 10, 0), 40, false, CUTOFF),
                vn(2026, 12, 1, 10, 0)
            );
        });
    }

    #[test]
    fn settlement_is_early_on_time_or_late() {
        with(|c| {
            let due = vn(2026, 12, 1, 10, 0);
            assert_eq!(c.classify(due, vn(2026, 11, 30, 16, 0)), Timeliness::Early);
            assert_eq!(c.classify(due, vn(2026, 12, 1, 8, 0)), Timeliness::OnTime);
            assert_eq!(c.classify(due, due), Timeliness::OnTime);
            assert_eq!(c.classify(due, vn(2026, 12, 1, 10, 1)), Timeliness::Late);
        });
    }

    #[test]
    fn between_is_the_inverse_of_add() {
        with(|c| {
            let from = vn(2027, 1, 14, 10, 17);
            for hours in [1, 7, 8, 9, 40, 123] {
                let to = c.add_seconds(from, hours * 3600);
                assert_eq!(c.seconds_between(from, to), hours * 3600, "{hours} h");
            }
        });
    }
}
