//! The automatic quarterly and annual evaluation of agencies (Quảng Ngãi
//! 34/2023 Art. 11; Decision 766/QĐ-TTg's structure). Every input is
//! counted by the database, grouped by agency; `domain::evaluation`
//! scores.

use std::collections::{BTreeSet, HashMap};

use entity::{agency, procedure_agency};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::catalogue::content_of;
use super::rollup;
use super::statistics::{bounds, Period};
use crate::domain::catalogue::{AgencyLevel, OnlineServiceLevel, ProcedureContent};
use crate::domain::evaluation::{self as ev, Indicator, Input, Scored};
use crate::domain::Problem;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Default)]
pub struct EvaluationFilter {
    pub year: Option<i32>,
    pub quarter: Option<u32>,
    /// Agencies in this subtree only.
    pub agency_id: Option<i64>,
    pub level: Option<AgencyLevel>,
}

/// One agency's evaluation.
#[derive(Debug, Clone)]
pub struct AgencyScore {
    pub agency: agency::Model,
    pub indicators: Vec<Scored>,
    pub points: f64,
    /// Points of the computable indicators.
    pub available: f64,
    /// points / available, in percent; None when nothing was computable.
    pub percent: Option<f64>,
    /// Whether it had dossiers to judge in the period (an indicator that
    /// judges dossiers was computable).
    pub measured: bool,
    /// 1 for the best; agencies with the same percent share a rank, and
    /// every measured agency ranks above every unmeasured one.
    pub rank: usize,
}

pub struct Evaluation {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub weights: ev::Weights,
    pub agencies: Vec<AgencyScore>,
}

/// Counted inputs of one agency: (numerator, denominator) per indicator.
type Counts = HashMap<(i64, Indicator), (i64, i64)>;

/// Puts each agency's (numerator, denominator) of the `pairs` named in
/// `rows` into `counts`.
fn count_into(
    counts: &mut Counts,
    rows: &[store::statistics::AgencyCounts],
    pairs: &[(Indicator, &str, &str)],
) {
    for r in rows {
        for (indicator, num, den) in pairs {
            counts.insert((r.agency_id, *indicator), (r.get(num), r.get(den)));
        }
    }
}

/// A procedure record published in full: legal basis, components, steps
/// and subjects all stated (the rest is required by the catalogue).
fn complete(c: &ProcedureContent) -> bool {
    !c.legal_basis.is_empty()
        && !c.components.is_empty()
        && !c.steps.is_empty()
        && !c.subjects.is_empty()
}

pub async fn evaluate(st: &AppState, f: EvaluationFilter) -> AppResult<Evaluation> {
    let (from, to) = bounds(
        st,
        Period {
            year: f.year,
            quarter: f.quarter,
            month: None,
        },
    )
    .map_err(|e| e.under("period"))?;
    let now = st.clock.now();
    let weights = st.config.evaluation_weights;

    // The agencies evaluated: those implementing procedures.
    let implementing: BTreeSet<i64> = procedure_agency::Entity::find()
        .all(&st.db)
        .await?
        .into_iter()
        .map(|pa| pa.agency_id)
        .collect();
    let mut q = agency::Entity::find().filter(agency::Column::Id.is_in(implementing));
    if let Some(a) = f.agency_id {
        let ids = store::agencies::subtree(&st.db, a).await?;
        if ids.is_empty() {
            return Err(AppError::bad_input("agencyId", Problem::UnknownReference));
        }
        q = q.filter(agency::Column::Id.is_in(ids));
    }
    if let Some(l) = f.level {
        q = q.filter(agency::Column::Level.eq(l.as_str()));
    }
    let agencies = q.all(&st.db).await?;

    let mut counts: Counts = HashMap::new();
    // Procedures: published in full, offered online.
    let versions = store::statistics::current_active_versions(&st.db).await?;
    for v in &versions {
        let c = content_of(v)?;
        let online = c.online_service_level != OnlineServiceLevel::None;
        for a in &c.agency_ids {
            let e = counts.entry((*a, Indicator::PublishedRecords)).or_default();
            e.0 += i64::from(complete(&c));
            e.1 += 1;
            let e = counts.entry((*a, Indicator::OnlineProcedures)).or_default();
            e.0 += i64::from(online);
            e.1 += 1;
        }
    }
    // Dossiers, ratings and payments of the period's months, from the
    // rollup every change adds to: settled on time unless late or sent
    // back for a supplement more than once (supplement time is already
    // left out of the legal due date); received within 8 working hours;
    // of online procedures, received online; with a component file; online
    // with a reused stored document; results returned with their file;
    // rating answers satisfied; fees paid online.
    let inputs = store::statistics::evaluation_inputs(
        &st.db,
        &rollup::month_of(st, from),
        &rollup::month_of(st, to),
    )
    .await?;
    count_into(
        &mut counts,
        &inputs,
        &[
            (Indicator::OnTimeSettlement, "on_time", "settled"),
            (Indicator::ReceptionWithin8Hours, "within", "checked"),
            (Indicator::OnlineSubmissions, "online", "capable"),
            (Indicator::DigitisedDossiers, "digitised", "received"),
            (Indicator::DataReuse, "reused", "online_received"),
            (Indicator::DigitisedResults, "results", "returned"),
            (Indicator::SatisfiedRatings, "satisfied", "answers"),
            (Indicator::OnlinePayments, "paid_online", "paid"),
        ],
    );
    // Decision 766 counts the dossiers still open past their due instant
    // at the period's end as late: in the denominator, not the numerator.
    let overdue = store::statistics::overdue_at_end(&st.db, to, to.min(now)).await?;
    for r in &overdue {
        let e = counts
            .entry((r.agency_id, Indicator::OnTimeSettlement))
            .or_default();
        e.1 += r.get("overdue");
    }
    // Feedback due in the period and already decided (closed, or past due
    // and still open): closed by the due date.
    let feedback = store::statistics::feedback_timeliness(&st.db, from, to, now).await?;
    count_into(
        &mut counts,
        &feedback,
        &[(Indicator::FeedbackOnTime, "on_time", "due")],
    );

    let mut scored: Vec<AgencyScore> = agencies
        .into_iter()
        .map(|a| score_agency(a, &counts, &weights))
        .collect();
    rank(&mut scored);
    Ok(Evaluation {
        from,
        to,
        weights,
        agencies: scored,
    })
}

/// One agency's indicators scored from the period's counts (Decision 766's
/// structure; an indicator nothing records is NOT_COMPUTABLE).
fn score_agency(a: agency::Model, counts: &Counts, weights: &ev::Weights) -> AgencyScore {
    let indicators: Vec<Scored> = ev::SPECS
        .iter()
        .map(|spec| {
            let input = match not_recorded(spec.indicator) {
                Some((vi, en)) => Input::NotComputable {
                    vi: vi.into(),
                    en: en.into(),
                },
                None => {
                    let (numerator, denominator) = counts
                        .get(&(a.id, spec.indicator))
                        .copied()
                        .unwrap_or((0, 0));
                    Input::Counted {
                        numerator,
                        denominator,
                    }
                }
            };
            ev::score(*spec, weights, input, nothing(spec.indicator))
        })
        .collect();
    let (points, available, percent) = ev::total(&indicators);
    let measured = indicators
        .iter()
        .any(|i| i.spec.indicator.judges_dossiers() && i.points.is_some());
    AgencyScore {
        agency: a,
        indicators,
        points,
        available,
        percent,
        measured,
        rank: 0,
    }
}

/// The agencies measured on dossiers first, then those that had none in
/// the period (scored on the catalogue and feedback alone: 100 % of almost
/// nothing must not outrank a department that settled dossiers), then
/// those with nothing computable; within each, best percent first, then by
/// name. Equal places share a rank.
fn rank(scored: &mut [AgencyScore]) {
    let key = |s: &AgencyScore| match (s.measured, s.percent) {
        (true, Some(p)) => (2, p),
        (false, Some(p)) => (1, p),
        (_, None) => (0, 0.0),
    };
    let cmp = |a: (i32, f64), b: (i32, f64)| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1));
    scored.sort_by(|a, b| cmp(key(b), key(a)).then_with(|| a.agency.name.cmp(&b.agency.name)));
    let mut last: Option<((i32, f64), usize)> = None;
    for (i, s) in scored.iter_mut().enumerate() {
        let k = key(s);
        s.rank = match last {
            Some((prev, r)) if cmp(prev, k).is_eq() => r,
            _ => i + 1,
        };
        last = Some((k, s.rank));
    }
}

/// Indicators whose inputs the system does not record, and why.
fn not_recorded(i: Indicator) -> Option<(&'static str, &'static str)> {
    match i {
        Indicator::NationalPortalSync => Some((
            "Hệ thống chưa kết nối, đồng bộ với Cổng Dịch vụ công quốc gia",
            "The system is not connected to the national public service portal, so synchronisation is not recorded",
        )),
        _ => None,
    }
}

/// Why an indicator with nothing to count is not computable.
fn nothing(i: Indicator) -> (&'static str, &'static str) {
    match i {
        Indicator::PublishedRecords | Indicator::OnlineProcedures => (
            "Cơ quan không có thủ tục đang áp dụng",
            "The agency implements no active procedure",
        ),
        Indicator::OnTimeSettlement => (
            "Không có hồ sơ giải quyết xong trong kỳ hoặc còn tồn quá hạn cuối kỳ",
            "No dossier was settled in the period or left open past its due date at its end",
        ),
        Indicator::ReceptionWithin8Hours => (
            "Không có hồ sơ nộp trực tuyến được tiếp nhận trong kỳ",
            "No dossier submitted online was received in the period",
        ),
        Indicator::OnlineSubmissions => (
            "Không có hồ sơ của thủ tục trực tuyến được tiếp nhận trong kỳ",
            "No dossier of an online procedure was received in the period",
        ),
        Indicator::DigitisedDossiers => (
            "Không có hồ sơ được tiếp nhận trong kỳ",
            "No dossier was received in the period",
        ),
        Indicator::DigitisedResults => (
            "Không có hồ sơ được trả kết quả trong kỳ",
            "No result was returned in the period",
        ),
        Indicator::DataReuse => (
            "Không có hồ sơ trực tuyến được tiếp nhận trong kỳ",
            "No online dossier was received in the period",
        ),
        Indicator::OnlinePayments => (
            "Không có khoản phí, lệ phí được nộp trong kỳ",
            "No fee was paid in the period",
        ),
        Indicator::SatisfiedRatings => (
            "Không có đánh giá trong kỳ",
            "No rating was given in the period",
        ),
        Indicator::FeedbackOnTime => (
            "Không có phản ánh, kiến nghị đến hạn trong kỳ",
            "No feedback fell due in the period",
        ),
        _ => ("Không có dữ liệu", "No data"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(name: &str, percent: Option<f64>) -> AgencyScore {
        measured(name, percent, true)
    }

    fn measured(name: &str, percent: Option<f64>, measured: bool) -> AgencyScore {
        AgencyScore {
            agency: agency::Model {
                id: 1,
                parent_id: None,
                code: name.into(),
                name: name.into(),
                short_name: None,
                name_search: name.into(),
                level: "PROVINCE".into(),
                kind: "DEPARTMENT".into(),
                active: true,
                address: None,
                phone: None,
                email: None,
                hotline: None,
                created_at: Utc::now(),
                updated_at: Utc::now(),
            },
            indicators: Vec::new(),
            points: 0.0,
            available: 0.0,
            percent,
            measured,
            rank: 0,
        }
    }

    #[test]
    fn ranks_best_first_ties_share_a_rank_nothing_computable_last() {
        let mut s = vec![
            scored("C", Some(80.0)),
            scored("A", None),
            scored("B", Some(90.0)),
            scored("D", Some(80.0)),
        ];
        rank(&mut s);
        let got: Vec<(&str, usize)> = s.iter().map(|x| (x.agency.name.as_str(), x.rank)).collect();
        assert_eq!(got, vec![("B", 1), ("C", 2), ("D", 2), ("A", 4)]);
    }

    #[test]
    fn agencies_without_dossiers_never_outrank_measured_ones() {
        // Issue 16: 30 idle agencies at 100 % (their catalogue alone) were
        // ranked above the one department that settled dossiers (75.82 %).
        let mut s = vec![
            measured("Idle A", Some(100.0), false),
            measured("Sở Xây dựng", Some(75.82), true),
            measured("Idle B", Some(100.0), false),
            measured("Empty", None, false),
        ];
        rank(&mut s);
        let got: Vec<(&str, usize)> = s.iter().map(|x| (x.agency.name.as_str(), x.rank)).collect();
        assert_eq!(
            got,
            vec![
                ("Sở Xây dựng", 1),
                ("Idle A", 2),
                ("Idle B", 2),
                ("Empty", 4)
            ]
        );
    }
}
