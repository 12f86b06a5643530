//! What a change adds to the statistics rollup (`dossier_stat`): which
//! counters move on a transition, an attachment or a rating. The service
//! loads the facts, asks here, and the store writes the delta.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::calendar::Timeliness;
use super::documents::AttachmentKind;
use super::lifecycle::{DossierAction, DossierStatus};
use super::rating::RatingLevel;

/// One counted measure: a column of `dossier_stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum M {
    Received,
    Settled,
    Early,
    OnTime,
    Late,
    Refused,
    Withdrawn,
    /// Ratings given (in the month of their first rating); a revision moves
    /// answers, not ratings.
    Rated,
    VerySatisfied,
    Satisfied,
    NotSatisfied,
    /// Settled by the legal due date and not sent back for a supplement
    /// more than once (Decision 766's rule).
    OnTime766,
    ReceptionChecked,
    ReceptionWithin,
    /// Received dossiers with a component file (counted once per dossier,
    /// also when the file comes after reception).
    WithComponentFile,
    /// Online dossiers received with a component from the data store.
    OnlineReused,
    Returned,
    ReturnedWithFile,
    Paid,
    PaidOnline,
}

/// Every measure, in column order.
pub const MEASURES: [M; 20] = [
    M::Received,
    M::Settled,
    M::Early,
    M::OnTime,
    M::Late,
    M::Refused,
    M::Withdrawn,
    M::Rated,
    M::VerySatisfied,
    M::Satisfied,
    M::NotSatisfied,
    M::OnTime766,
    M::ReceptionChecked,
    M::ReceptionWithin,
    M::WithComponentFile,
    M::OnlineReused,
    M::Returned,
    M::ReturnedWithFile,
    M::Paid,
    M::PaidOnline,
];

impl M {
    fn index(self) -> usize {
        MEASURES.iter().position(|m| *m == self).unwrap_or(0)
    }
}

/// What one change adds to one row of the rollup: a signed count per
/// measure.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delta([i64; MEASURES.len()]);

impl Delta {
    /// Adds `n` to measure `m`.
    pub fn add(&mut self, m: M, n: i64) {
        self.0[m.index()] += n;
    }

    /// This delta with `n` added to `m`.
    pub fn with(mut self, m: M, n: i64) -> Delta {
        self.add(m, n);
        self
    }

    /// The count of measure `m`.
    pub fn get(&self, m: M) -> i64 {
        self.0[m.index()]
    }

    /// Whether nothing moves.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|n| *n == 0)
    }

    /// The sum of two deltas.
    pub fn plus(mut self, o: Delta) -> Delta {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a += b;
        }
        self
    }

    /// Each measure with its count, in column order.
    pub fn counts(&self) -> impl Iterator<Item = (M, i64)> + '_ {
        MEASURES.iter().copied().zip(self.0.iter().copied())
    }

    /// A rating's answers, counted with `sign` (+1 given, -1 taken back).
    pub fn answers(levels: [&str; 3], sign: i64) -> Delta {
        let mut delta = Delta::default();
        for level in levels {
            match RatingLevel::parse(level) {
                Some(RatingLevel::VerySatisfied) => delta.add(M::VerySatisfied, sign),
                Some(RatingLevel::Satisfied) => delta.add(M::Satisfied, sign),
                Some(RatingLevel::NotSatisfied) => delta.add(M::NotSatisfied, sign),
                None => {}
            }
        }
        delta
    }
}

/// What a dossier is after a transition, as far as the rollup cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DossierFacts {
    /// Received online (not at the counter or by post).
    pub online: bool,
    /// Working seconds from arrival to reception, when measured.
    pub reception_seconds: Option<i64>,
    /// Whether `settled_at` is set.
    pub settled: bool,
    /// Settled early, on time or late (against the legal due date).
    pub timeliness: Option<Timeliness>,
    /// How many times it was sent back for a supplement.
    pub supplement_requests: i32,
}

/// What files a dossier has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Files {
    pub component: bool,
    /// A component taken from the data store (a reused document).
    pub reused: bool,
    pub result: bool,
}

/// Whether [`deltas`] looks at the dossier's files for this transition
/// (reception and the return of a result); otherwise pass `Files::default()`.
pub fn needs_files(action: DossierAction, to: DossierStatus) -> bool {
    action == DossierAction::Receive
        || (action == DossierAction::ReturnResult && to == DossierStatus::Returned)
}

/// The counts a transition from `from` to `to` by `action` moves. `d` is
/// the dossier as it is after it, `files` what files it has (see
/// [`needs_files`]); an online dossier's reception within
/// `handover_limit_seconds` working seconds of submission counts as timely.
pub fn deltas(
    action: DossierAction,
    from: Option<DossierStatus>,
    to: DossierStatus,
    d: &DossierFacts,
    files: Files,
    handover_limit_seconds: i64,
) -> Delta {
    let mut delta = Delta::default();
    if action == DossierAction::Receive {
        delta.add(M::Received, 1);
        // Reception within 8 working hours of submission judges online
        // dossiers only (Thanh Hóa Art. 11.1.a): a dossier handed in at the
        // counter is received as it is registered, in no time at all.
        if let Some(secs) = d.reception_seconds.filter(|_| d.online) {
            delta.add(M::ReceptionChecked, 1);
            delta.add(
                M::ReceptionWithin,
                i64::from(secs <= handover_limit_seconds),
            );
        }
        delta.add(M::WithComponentFile, i64::from(files.component));
        delta.add(M::OnlineReused, i64::from(d.online && files.reused));
    }
    // Settled once: the first settled status (RESULT_READY or
    // NOT_ELIGIBLE), not the return that follows.
    if to.is_settled() && !from.is_some_and(|f| f.is_settled()) && d.settled {
        delta.add(M::Settled, 1);
        match d.timeliness {
            Some(Timeliness::Early) => delta.add(M::Early, 1),
            Some(Timeliness::OnTime) => delta.add(M::OnTime, 1),
            Some(Timeliness::Late) => delta.add(M::Late, 1),
            None => {}
        }
        let in_time = matches!(d.timeliness, Some(Timeliness::Early | Timeliness::OnTime));
        // Decision 766: on time, and sent back for a supplement at most once.
        delta.add(
            M::OnTime766,
            i64::from(in_time && d.supplement_requests <= 1),
        );
    }
    match to {
        DossierStatus::Refused => delta.add(M::Refused, 1),
        DossierStatus::Withdrawn => delta.add(M::Withdrawn, 1),
        DossierStatus::Returned if action == DossierAction::ReturnResult => {
            delta.add(M::Returned, 1);
            delta.add(M::ReturnedWithFile, i64::from(files.result));
        }
        _ => {}
    }
    delta
}

/// A file attached to a dossier already received (`files` as before the
/// attachment): the first component file, and the first reused document
/// of an online dossier, count in the month it was received. Results count
/// at return, so they move nothing here.
pub fn attachment(
    kind: AttachmentKind,
    from_data_store: bool,
    online: bool,
    files: Files,
) -> Delta {
    if kind != AttachmentKind::Component {
        return Delta::default();
    }
    Delta::default()
        .with(M::WithComponentFile, i64::from(!files.component))
        .with(
            M::OnlineReused,
            i64::from(online && from_data_store && !files.reused),
        )
}

/// A payment received: paid, and paid online when through the gateway.
pub fn payment(online: bool) -> Delta {
    Delta::default()
        .with(M::Paid, 1)
        .with(M::PaidOnline, i64::from(online))
}

/// The local month of an instant in `tz`, as the rollup keys it ("2026-11").
pub fn month_of(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz).format("%Y-%m").to_string()
}

/// Consecutive local months, each with its key ("2026-11") and the UTC
/// instant it starts at, ascending.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocalMonths(pub Vec<(String, DateTime<Utc>)>);

impl LocalMonths {
    /// The months of `tz` from the one holding `from` to the one holding
    /// `to`, their starts taken from the zone's rules (so a month begins at
    /// local midnight also across a change to or from summer time).
    pub fn covering(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> LocalMonths {
        let first = from.with_timezone(&tz).date_naive().with_day(1);
        let last = to.with_timezone(&tz).date_naive().with_day(1);
        let mut out = Vec::new();
        let mut day = first;
        while let (Some(d), Some(last)) = (day, last) {
            if d > last {
                break;
            }
            if let Some(start) = local_midnight(tz, d) {
                out.push((d.format("%Y-%m").to_string(), start));
            }
            day = d.checked_add_months(chrono::Months::new(1));
        }
        LocalMonths(out)
    }
}

/// The first instant of a local day (its midnight, or the first instant
/// after a gap).
fn local_midnight(tz: Tz, d: NaiveDate) -> Option<DateTime<Utc>> {
    (0..24 * 60).find_map(|min| {
        let t = d.and_time(chrono::NaiveTime::MIN) + chrono::Duration::minutes(min);
        tz.from_local_datetime(&t)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use DossierAction as A;
    use DossierStatus as S;

    const LIMIT: i64 = 8 * 3600;

    fn only(pairs: &[(M, i64)]) -> Delta {
        pairs
            .iter()
            .fold(Delta::default(), |d, (m, n)| d.with(*m, *n))
    }

    #[test]
    fn a_reception_counts_received_its_timeliness_and_its_files() {
        let d = DossierFacts {
            online: true,
            reception_seconds: Some(LIMIT),
            ..Default::default()
        };
        let files = Files {
            component: true,
            reused: true,
            result: false,
        };
        let got = deltas(
            A::Receive,
            Some(S::Submitted),
            S::Received,
            &d,
            files,
            LIMIT,
        );
        assert_eq!(
            got,
            only(&[
                (M::Received, 1),
                (M::ReceptionChecked, 1),
                (M::ReceptionWithin, 1),
                (M::WithComponentFile, 1),
                (M::OnlineReused, 1),
            ])
        );
    }

    #[test]
    fn a_counter_reception_is_not_judged_on_the_8_hours_and_never_reused() {
        let d = DossierFacts {
            online: false,
            reception_seconds: Some(0),
            ..Default::default()
        };
        let files = Files {
            component: false,
            reused: true,
            result: false,
        };
        let got = deltas(A::Receive, None, S::Received, &d, files, LIMIT);
        assert_eq!(got, only(&[(M::Received, 1)]));
        // An online one received late is judged, and not within.
        let d = DossierFacts {
            online: true,
            reception_seconds: Some(LIMIT + 1),
            ..Default::default()
        };
        let got = deltas(A::Receive, None, S::Received, &d, Files::default(), LIMIT);
        assert_eq!(got, only(&[(M::Received, 1), (M::ReceptionChecked, 1)]));
    }

    #[test]
    fn settling_on_time_counts_once_and_for_decision_766_with_one_supplement() {
        let d = DossierFacts {
            settled: true,
            timeliness: Some(Timeliness::OnTime),
            supplement_requests: 1,
            ..Default::default()
        };
        let got = deltas(
            A::Approve,
            Some(S::AwaitingApproval),
            S::ResultReady,
            &d,
            Files::default(),
            LIMIT,
        );
        assert_eq!(
            got,
            only(&[(M::Settled, 1), (M::OnTime, 1), (M::OnTime766, 1)])
        );
    }

    #[test]
    fn two_supplement_requests_lose_decision_766_but_not_on_time() {
        let d = DossierFacts {
            settled: true,
            timeliness: Some(Timeliness::Early),
            supplement_requests: 2,
            ..Default::default()
        };
        let got = deltas(
            A::Approve,
            Some(S::AwaitingApproval),
            S::ResultReady,
            &d,
            Files::default(),
            LIMIT,
        );
        assert_eq!(got, only(&[(M::Settled, 1), (M::Early, 1)]));
    }

    #[test]
    fn returning_a_settled_dossier_counts_the_return_not_a_second_settlement() {
        let d = DossierFacts {
            settled: true,
            timeliness: Some(Timeliness::Late),
            ..Default::default()
        };
        let files = Files {
            result: true,
            ..Default::default()
        };
        assert!(needs_files(A::ReturnResult, S::Returned));
        let got = deltas(
            A::ReturnResult,
            Some(S::ResultReady),
            S::Returned,
            &d,
            files,
            LIMIT,
        );
        assert_eq!(got, only(&[(M::Returned, 1), (M::ReturnedWithFile, 1)]));
    }

    #[test]
    fn refusal_and_withdrawal_count_themselves_only() {
        let d = DossierFacts::default();
        let refused = deltas(
            A::Refuse,
            Some(S::Submitted),
            S::Refused,
            &d,
            Files::default(),
            LIMIT,
        );
        assert_eq!(refused, only(&[(M::Refused, 1)]));
        let withdrawn = deltas(
            A::Withdraw,
            Some(S::Submitted),
            S::Withdrawn,
            &d,
            Files::default(),
            LIMIT,
        );
        assert_eq!(withdrawn, only(&[(M::Withdrawn, 1)]));
        assert!(!needs_files(A::Withdraw, S::Withdrawn));
    }

    #[test]
    fn only_the_first_component_file_and_reused_document_count() {
        let first = attachment(AttachmentKind::Component, true, true, Files::default());
        assert_eq!(
            first,
            only(&[(M::WithComponentFile, 1), (M::OnlineReused, 1)])
        );
        let again = Files {
            component: true,
            reused: true,
            result: false,
        };
        assert!(attachment(AttachmentKind::Component, true, true, again).is_empty());
        assert!(attachment(AttachmentKind::Result, true, true, Files::default()).is_empty());
    }

    #[test]
    fn a_revised_rating_moves_answers_from_old_to_new_levels() {
        let moved = Delta::answers(["SATISFIED", "SATISFIED", "NOT_SATISFIED"], -1).plus(
            Delta::answers(["VERY_SATISFIED", "SATISFIED", "SATISFIED"], 1),
        );
        assert_eq!(moved, only(&[(M::VerySatisfied, 1), (M::NotSatisfied, -1)]));
        assert_eq!(payment(true), only(&[(M::Paid, 1), (M::PaidOnline, 1)]));
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn months_start_at_local_midnight_on_both_sides_of_summer_time() {
        let paris = chrono_tz::Europe::Paris;
        let m = LocalMonths::covering(
            paris,
            utc("2026-02-10T00:00:00Z"),
            utc("2026-11-10T00:00:00Z"),
        );
        let starts: Vec<(&str, DateTime<Utc>)> =
            m.0.iter().map(|(k, t)| (k.as_str(), *t)).collect();
        assert_eq!(starts.len(), 10);
        // Winter: UTC+1; summer (from 29 March): UTC+2.
        assert_eq!(starts[0], ("2026-02", utc("2026-01-31T23:00:00Z")));
        assert_eq!(starts[2], ("2026-04", utc("2026-03-31T22:00:00Z")));
        assert_eq!(starts[9], ("2026-11", utc("2026-10-31T23:00:00Z")));
        // 00:30 local on 1 April is April, though in UTC it is still March.
        assert_eq!(month_of(paris, utc("2026-03-31T22:30:00Z")), "2026-04");
    }

    #[test]
    fn months_run_across_a_year_end_in_vietnam() {
        let hcm = chrono_tz::Asia::Ho_Chi_Minh;
        let m = LocalMonths::covering(
            hcm,
            utc("2026-12-31T17:00:00Z"),
            utc("2027-01-01T00:00:00Z"),
        );
        assert_eq!(
            m.0,
            vec![("2027-01".to_owned(), utc("2026-12-31T17:00:00Z"))]
        );
        let m = LocalMonths::covering(
            hcm,
            utc("2026-12-31T16:59:59Z"),
            utc("2027-01-01T00:00:00Z"),
        );
        assert_eq!(m.0.len(), 2);
        assert_eq!(m.0[0].0, "2026-12");
    }
}
