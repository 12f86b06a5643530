//! Ratings in GraphQL: the applicant's rating and the public summaries.

use super::input::{Chars, Moment};
use super::time::Time;
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};

use super::context::{parse_id, parse_opt_id, ContextExt};
use super::enums::{RatingCriterion, RatingLevel};
use crate::domain::rating as dr;
use crate::error::{stored_enum, AppError};
use crate::services::ratings as svc;

/// Đánh giá sự hài lòng.
pub struct Rating(pub entity::rating::Model);

fn level(s: &str) -> Result<RatingLevel, AppError> {
    Ok(stored_enum::<dr::RatingLevel>(s)?.into())
}

#[Object]
impl Rating {
    async fn service_use(&self) -> Result<RatingLevel> {
        Ok(level(&self.0.service_use)?)
    }
    async fn staff_attitude(&self) -> Result<RatingLevel> {
        Ok(level(&self.0.staff_attitude)?)
    }
    async fn processing_time(&self) -> Result<RatingLevel> {
        Ok(level(&self.0.processing_time)?)
    }
    /// Withheld from analysts.
    async fn comment(&self, ctx: &Context<'_>) -> Option<&str> {
        ctx.free_text(self.0.comment.as_deref())
    }
    async fn rated_at(&self) -> Time {
        self.0.rated_at.into()
    }
    async fn revised_at(&self) -> Option<Time> {
        self.0.revised_at.map(Time)
    }
    /// Until when the applicant may revise it.
    async fn revisable_until(&self) -> Time {
        (self.0.rated_at + dr::REVISION_WINDOW).into()
    }
}

#[derive(InputObject)]
pub struct RateDossierInput {
    pub service_use: RatingLevel,
    pub staff_attitude: RatingLevel,
    pub processing_time: RatingLevel,
    /// At most 4000 characters.
    #[graphql(validator(custom = "Chars::new(\"comment\", 4000)"))]
    pub comment: Option<String>,
}

#[derive(InputObject, Default)]
pub struct RatingSummaryFilter {
    /// This agency and every agency below it.
    pub agency_id: Option<ID>,
    pub procedure_id: Option<ID>,
    pub field_id: Option<ID>,
    /// Between the years 1900 and 2200.
    #[graphql(validator(custom = "Moment(\"from\")"))]
    pub from: Option<Time>,
    /// Between the years 1900 and 2200.
    #[graphql(validator(custom = "Moment(\"to\")"))]
    pub to: Option<Time>,
}

#[derive(SimpleObject)]
pub struct LevelCount {
    pub level: RatingLevel,
    pub label: &'static str,
    pub count: i64,
    /// count / total; null when there is no rating.
    pub share: Option<f64>,
}

#[derive(SimpleObject)]
pub struct CriterionSummary {
    pub criterion: RatingCriterion,
    pub label: &'static str,
    pub levels: Vec<LevelCount>,
}

#[derive(SimpleObject)]
pub struct RatingSummary {
    /// Ratings counted.
    pub total: i64,
    pub criteria: Vec<CriterionSummary>,
}

#[derive(Default)]
pub struct RatingQuery;

#[Object]
impl RatingQuery {
    /// Public: counts and shares of each level per criterion, for an agency
    /// (and below), a procedure, a field and a period. Counted by the
    /// database over the period: priced like statistics.
    #[graphql(complexity = "200 * child_complexity")]
    async fn rating_summary(
        &self,
        ctx: &Context<'_>,
        filter: Option<RatingSummaryFilter>,
    ) -> Result<RatingSummary> {
        let f = filter.unwrap_or_default();
        let s = svc::summary(
            ctx.state()?,
            svc::SummaryFilter {
                agency_id: parse_opt_id("filter.agencyId", f.agency_id.as_ref())?,
                procedure_id: parse_opt_id("filter.procedureId", f.procedure_id.as_ref())?,
                field_id: parse_opt_id("filter.fieldId", f.field_id.as_ref())?,
                from: f.from.map(|t| t.0),
                to: f.to.map(|t| t.0),
            },
        )
        .await?;
        let total = s.total;
        Ok(RatingSummary {
            total,
            criteria: s
                .counts
                .into_iter()
                .map(|(c, levels)| CriterionSummary {
                    criterion: c.into(),
                    label: ctx.label(c.label_vi(), c.label_en()),
                    levels: levels
                        .into_iter()
                        .map(|(l, count)| LevelCount {
                            level: l.into(),
                            label: ctx.label(l.label_vi(), l.label_en()),
                            count,
                            share: crate::domain::ratio(count, total),
                        })
                        .collect(),
                })
                .collect(),
        })
    }
}

#[derive(Default)]
pub struct RatingMutation;

#[Object]
impl RatingMutation {
    /// The applicant rates a returned or not-eligible dossier; calling it
    /// again within seven days revises the rating.
    async fn rate_dossier(
        &self,
        ctx: &Context<'_>,
        dossier_id: ID,
        input: RateDossierInput,
    ) -> Result<Rating> {
        let id = parse_id("dossierId", &dossier_id)?;
        let saved = svc::rate(
            ctx.state()?,
            &ctx.caller()?,
            id,
            svc::RatingInput {
                service_use: input.service_use.into(),
                staff_attitude: input.staff_attitude.into(),
                processing_time: input.processing_time.into(),
                comment: input.comment,
            },
        )
        .await?;
        Ok(Rating(saved))
    }
}
