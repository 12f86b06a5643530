//! Public statistics in GraphQL.

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::context::{parse_opt_id, ContextExt};
use super::loaders::{AgencyId, FieldId, Loaders, ProcedureId};
use crate::domain::lifecycle::Channel;
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
}

#[derive(InputObject, Default)]
pub struct StatisticsFilter {
    /// Default: the current year.
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
    /// received_online / received.
    pub online_share: f64,
    /// Settled in the period.
    pub settled: i64,
    pub early: i64,
    pub on_time: i64,
    pub late: i64,
    /// (early + on time) / settled; 1 when nothing was settled.
    pub on_time_rate: f64,
    /// Now in progress, not yet due.
    pub in_progress_not_due: i64,
    /// Now in progress, past the due date.
    pub in_progress_overdue: i64,
    pub refused: i64,
    pub withdrawn: i64,
}

#[derive(SimpleObject)]
pub struct Statistics {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub total: StatisticsRow,
    pub rows: Vec<StatisticsRow>,
}

fn row(r: svc::Row, label: String) -> StatisticsRow {
    let ratio = |a: i64, b: i64, none: f64| if b == 0 { none } else { a as f64 / b as f64 };
    StatisticsRow {
        online_share: ratio(r.received_online, r.received, 0.0),
        on_time_rate: ratio(r.early + r.on_time, r.settled, 1.0),
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
    let loaders = ctx.data_unchecked::<Loaders>();
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
        _ => None,
    }
    .unwrap_or_else(|| ctx.label("Tất cả", "All").to_owned()))
}

#[derive(Default)]
pub struct StatisticsQuery;

#[Object]
impl StatisticsQuery {
    /// Public: received, settled (early / on time / late), on-time rate, in
    /// progress (not yet due / overdue), online share, refused and withdrawn,
    /// for the province or an agency subtree, a year, quarter or month
    /// (the current year by default), grouped as asked.
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
        };
        let s = svc::compute(
            ctx.state(),
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
        let mut rows = Vec::with_capacity(s.rows.len());
        for r in s.rows {
            let label = label_of(ctx, group_by, &r.key).await?;
            rows.push(row(r, label));
        }
        let total_label = ctx.label("Tổng cộng", "Total").to_owned();
        Ok(Statistics {
            from: s.from,
            to: s.to,
            total: row(s.total, total_label),
            rows,
        })
    }
}
