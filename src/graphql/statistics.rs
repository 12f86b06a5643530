//! Public statistics in GraphQL.

use super::input::Year;
use super::time::Time;
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, ID};

use super::catalogue::Agency;
use super::context::{parse_opt_id, ContextExt};
use super::enums::{AgencyLevel, Indicator, IndicatorGroup};
use super::loaders::{AgencyId, FieldId, ProcedureId};
use crate::domain::evaluation as ev;
use crate::domain::lifecycle::Channel;
use crate::error::{AppResult, Lang};
use crate::services::evaluation as ev_svc;
use crate::services::statistics as svc;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum StatisticsGroup {
    /// One row for everything.
    None,
    /// By settling agency.
    Agency,
    Procedure,
    Field,
    Channel,
    /// By month of the period (keys like 2026-03).
    Month,
    /// By quarter of the period (keys like 2026-Q1).
    Quarter,
}

#[derive(InputObject, Default)]
pub struct StatisticsFilter {
    /// Default: the current year.
    #[graphql(validator(custom = "Year(\"year\")"))]
    pub year: Option<i32>,
    /// 1–4; with `year`.
    pub quarter: Option<u32>,
    /// 1–12; with `year`.
    pub month: Option<u32>,
    /// This settling agency and every agency below it.
    pub agency_id: Option<ID>,
    pub procedure_id: Option<ID>,
    pub field_id: Option<ID>,
}

/// Counts for a period.
#[derive(SimpleObject)]
pub struct StatisticsRow {
    /// The group's id (agency, procedure, field), channel, or `ALL`.
    pub key: String,
    /// The group's name.
    pub label: String,
    /// Received in the period.
    pub received: i64,
    /// Of those, submitted online.
    pub received_online: i64,
    /// received_online / received; null when nothing was received.
    pub online_share: Option<f64>,
    /// Settled in the period.
    pub settled: i64,
    pub early: i64,
    pub on_time: i64,
    pub late: i64,
    /// (early + on time) / settled; null when nothing was settled (a rate
    /// with nothing to count is unknown, never 100 %).
    pub on_time_rate: Option<f64>,
    /// Now in progress, not yet due.
    pub in_progress_not_due: i64,
    /// Now in progress, past the due date.
    pub in_progress_overdue: i64,
    pub refused: i64,
    pub withdrawn: i64,
    /// Ratings given in the period.
    pub rated: i64,
    /// Shares of the criterion answers (three per rating) at each level;
    /// null when there is no rating.
    pub very_satisfied_share: Option<f64>,
    pub satisfied_share: Option<f64>,
    pub not_satisfied_share: Option<f64>,
    /// (very satisfied + satisfied) / all answers; null when there is no
    /// rating.
    pub satisfaction_rate: Option<f64>,
}

#[derive(SimpleObject)]
pub struct Statistics {
    pub from: Time,
    pub to: Time,
    pub total: StatisticsRow,
    pub rows: Vec<StatisticsRow>,
}

fn row(r: svc::Row, label: String) -> StatisticsRow {
    let ratio = crate::domain::ratio;
    let answers = r.very_satisfied + r.satisfied + r.not_satisfied;
    StatisticsRow {
        rated: r.rated,
        very_satisfied_share: ratio(r.very_satisfied, answers),
        satisfied_share: ratio(r.satisfied, answers),
        not_satisfied_share: ratio(r.not_satisfied, answers),
        satisfaction_rate: ratio(r.very_satisfied + r.satisfied, answers),
        online_share: ratio(r.received_online, r.received),
        on_time_rate: ratio(r.early + r.on_time, r.settled),
        key: r.key,
        label,
        received: r.received,
        received_online: r.received_online,
        settled: r.settled,
        early: r.early,
        on_time: r.on_time,
        late: r.late,
        in_progress_not_due: r.in_progress_not_due,
        in_progress_overdue: r.in_progress_overdue,
        refused: r.refused,
        withdrawn: r.withdrawn,
    }
}

async fn label_of(ctx: &Context<'_>, group: StatisticsGroup, key: &str) -> Result<String> {
    let loaders = ctx.loaders()?;
    let id = key.parse::<i64>().ok();
    Ok(match (group, id) {
        (StatisticsGroup::Agency, Some(id)) => {
            loaders.load_one(AgencyId(id)).await?.map(|a| a.name)
        }
        (StatisticsGroup::Procedure, Some(id)) => {
            loaders.load_one(ProcedureId(id)).await?.map(|p| p.name)
        }
        (StatisticsGroup::Field, Some(id)) => loaders.load_one(FieldId(id)).await?.map(|f| f.name),
        (StatisticsGroup::Channel, _) => {
            Channel::parse(key).map(|c| ctx.label(c.label_vi(), c.label_en()).to_owned())
        }
        (StatisticsGroup::Month, _) => key
            .split_once('-')
            .map(|(y, m)| format!("{} {m}/{y}", ctx.label("Tháng", "Month"))),
        (StatisticsGroup::Quarter, _) => key
            .split_once("-Q")
            .map(|(y, q)| format!("{} {q}/{y}", ctx.label("Quý", "Quarter"))),
        _ => None,
    }
    .unwrap_or_else(|| ctx.label("Tất cả", "All").to_owned()))
}

#[derive(Default)]
pub struct StatisticsQuery;

#[Object]
impl StatisticsQuery {
    /// Public: received, settled (early / on time / late), on-time rate, in
    /// progress (not yet due / overdue), online share, refused, withdrawn and
    /// rating shares, for the province or an agency subtree, a year, quarter
    /// or month (the current year by default), grouped as asked. In
    /// progress counts the dossiers open now that were received before the
    /// period (or the row's month or quarter) ended.
    #[graphql(complexity = "200 * child_complexity")]
    async fn statistics(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatisticsFilter>,
        group_by: Option<StatisticsGroup>,
    ) -> Result<Statistics> {
        let f = filter.unwrap_or_default();
        let group_by = group_by.unwrap_or(StatisticsGroup::None);
        let group = match group_by {
            StatisticsGroup::None => svc::GroupBy::None,
            StatisticsGroup::Agency => svc::GroupBy::Agency,
            StatisticsGroup::Procedure => svc::GroupBy::Procedure,
            StatisticsGroup::Field => svc::GroupBy::Field,
            StatisticsGroup::Channel => svc::GroupBy::Channel,
            StatisticsGroup::Month => svc::GroupBy::Month,
            StatisticsGroup::Quarter => svc::GroupBy::Quarter,
        };
        let s = svc::compute(
            ctx.state()?,
            svc::StatsFilter {
                period: svc::Period {
                    year: f.year,
                    quarter: f.quarter,
                    month: f.month,
                },
                agency_id: parse_opt_id("filter.agencyId", f.agency_id.as_ref())?,
                procedure_id: parse_opt_id("filter.procedureId", f.procedure_id.as_ref())?,
                field_id: parse_opt_id("filter.fieldId", f.field_id.as_ref())?,
            },
            group,
        )
        .await?;
        // The labels together: the loaders batch them into one query.
        let labels = futures_util::future::try_join_all(
            s.rows.iter().map(|r| label_of(ctx, group_by, &r.key)),
        )
        .await?;
        let rows = s
            .rows
            .into_iter()
            .zip(labels)
            .map(|(r, l)| row(r, l))
            .collect();
        let total_label = ctx.label("Tổng cộng", "Total").to_owned();
        Ok(Statistics {
            from: s.from.into(),
            to: s.to.into(),
            total: row(s.total, total_label),
            rows,
        })
    }
}

/// An evaluation period: a year (the current one by default) or one of its
/// quarters.
#[derive(InputObject, Default)]
pub struct EvaluationPeriod {
    #[graphql(validator(custom = "Year(\"year\")"))]
    pub year: Option<i32>,
    /// 1–4.
    pub quarter: Option<u32>,
}

/// A group's weight in points of 100.
#[derive(SimpleObject)]
pub struct GroupWeight {
    pub group: IndicatorGroup,
    pub label: &'static str,
    pub points: f64,
}

/// One indicator of one agency, with everything needed to recompute it:
/// points = maxPoints × min(1, numerator / denominator / fullAt).
#[derive(SimpleObject)]
pub struct IndicatorScore {
    pub indicator: Indicator,
    pub label: &'static str,
    pub group: IndicatorGroup,
    pub computable: bool,
    /// Why it is not computable.
    pub reason: Option<String>,
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
    pub ratio: Option<f64>,
    /// The ratio at and above which it scores full.
    pub full_at: f64,
    /// Group weight × the indicator's share of the group.
    pub max_points: f64,
    pub points: Option<f64>,
}

#[derive(SimpleObject)]
pub struct GroupScore {
    pub group: IndicatorGroup,
    pub label: &'static str,
    /// The group's weight.
    pub max_points: f64,
    /// Points of its computable indicators.
    pub available_points: f64,
    /// Null when none of its indicators is computable.
    pub points: Option<f64>,
}

#[derive(SimpleObject)]
pub struct EvaluatedAgency {
    /// 1 for the best; equal percents share a rank. Every measured agency
    /// ranks above every agency that had no dossiers in the period.
    pub rank: usize,
    /// Whether it had dossiers to judge in the period (received, settled,
    /// open past due, returned, rated or paid). An unmeasured agency's
    /// dossier indicators are not computable, with the reason.
    pub measured: bool,
    pub agency: Agency,
    /// Points earned, of the computable indicators' points.
    pub points: f64,
    pub available_points: f64,
    /// points / availablePoints in percent; null when nothing is computable.
    pub percent: Option<f64>,
    pub groups: Vec<GroupScore>,
    pub indicators: Vec<IndicatorScore>,
}

#[derive(SimpleObject)]
pub struct AgencyEvaluation {
    pub from: Time,
    pub to: Time,
    pub weights: Vec<GroupWeight>,
    /// Ranked, best first.
    pub agencies: Vec<EvaluatedAgency>,
}

fn evaluated(ctx: &Context<'_>, s: ev_svc::AgencyScore) -> AppResult<EvaluatedAgency> {
    let indicators: Vec<IndicatorScore> = s
        .indicators
        .iter()
        .map(|i| {
            let (numerator, denominator, reason) = match &i.input {
                ev::Input::Counted {
                    numerator,
                    denominator,
                } => (Some(*numerator), Some(*denominator), None),
                ev::Input::NotComputable { vi, en } => (
                    None,
                    None,
                    Some(match ctx.lang() {
                        Lang::Vi => vi.clone(),
                        Lang::En => en.clone(),
                    }),
                ),
            };
            IndicatorScore {
                indicator: i.spec.indicator.into(),
                label: ctx.label(i.spec.indicator.label_vi(), i.spec.indicator.label_en()),
                group: i.spec.group.into(),
                computable: i.points.is_some(),
                reason,
                numerator,
                denominator,
                ratio: i.ratio,
                full_at: i.spec.full_at,
                max_points: i.max_points,
                points: i.points,
            }
        })
        .collect();
    let weights = ctx.state()?.config.evaluation_weights;
    let groups = ev::IndicatorGroup::ALL
        .iter()
        .map(|g| {
            let of_group: Vec<&ev::Scored> =
                s.indicators.iter().filter(|i| i.spec.group == *g).collect();
            let computable: Vec<&&ev::Scored> =
                of_group.iter().filter(|i| i.points.is_some()).collect();
            GroupScore {
                group: (*g).into(),
                label: ctx.label(g.label_vi(), g.label_en()),
                max_points: weights.of(*g),
                available_points: computable.iter().map(|i| i.max_points).sum(),
                points: (!computable.is_empty())
                    .then(|| computable.iter().filter_map(|i| i.points).sum()),
            }
        })
        .collect();
    Ok(EvaluatedAgency {
        rank: s.rank,
        measured: s.measured,
        agency: Agency(s.agency),
        points: s.points,
        available_points: s.available,
        percent: s.percent,
        groups,
        indicators,
    })
}

#[derive(Default)]
pub struct EvaluationQuery;

#[Object]
impl EvaluationQuery {
    /// Public (Art. 11.2: results are published each quarter and year): the
    /// evaluation of every agency implementing procedures, for a quarter or
    /// a year, structured as Decision 766's index with the configured
    /// weights, ranked. Indicators the data cannot support are marked not
    /// computable with the reason and left out of the available points.
    #[graphql(complexity = "100 * child_complexity")]
    async fn agency_evaluation(
        &self,
        ctx: &Context<'_>,
        period: Option<EvaluationPeriod>,
        #[graphql(desc = "Agencies in this subtree only.")] agency_id: Option<ID>,
        level: Option<AgencyLevel>,
    ) -> Result<AgencyEvaluation> {
        let p = period.unwrap_or_default();
        let e = ev_svc::evaluate(
            ctx.state()?,
            ev_svc::EvaluationFilter {
                year: p.year,
                quarter: p.quarter,
                agency_id: parse_opt_id("agencyId", agency_id.as_ref())?,
                level: level.map(Into::into),
            },
        )
        .await?;
        Ok(AgencyEvaluation {
            from: e.from.into(),
            to: e.to.into(),
            weights: ev::IndicatorGroup::ALL
                .iter()
                .map(|g| GroupWeight {
                    group: (*g).into(),
                    label: ctx.label(g.label_vi(), g.label_en()),
                    points: e.weights.of(*g),
                })
                .collect(),
            agencies: e
                .agencies
                .into_iter()
                .map(|s| evaluated(ctx, s))
                .collect::<AppResult<_>>()?,
        })
    }
}
