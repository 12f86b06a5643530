//! The working calendar in GraphQL: the deadline calculator frontends use to
//! show the same dates the server stores, and the ADMIN's holiday list.

use super::input::{Chars, Day, Moment, Year};
use super::time::Time;
use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::NaiveDate;

use super::context::{parse_id, ContextExt};
use super::enums::DayKind;
use crate::domain::calendar as dc;
use crate::domain::Problem;
use crate::error::{stored_enum, AppError};
use crate::services::calendar as svc;

/// An exception to the weekly calendar.
#[derive(SimpleObject)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub kind_label: &'static str,
    pub name: String,
}

impl CalendarDay {
    fn new(ctx: &Context<'_>, m: entity::calendar_day::Model) -> Result<Self, AppError> {
        let kind = stored_enum::<dc::DayKind>(&m.kind)?;
        Ok(CalendarDay {
            date: m.day,
            kind: kind.into(),
            kind_label: ctx.label(kind.label_vi(), kind.label_en()),
            name: m.name,
        })
    }
}

/// An amount of working time.
#[derive(SimpleObject)]
pub struct WorkingTime {
    pub seconds: i64,
    /// In working hours (8 make a working day).
    pub hours: f64,
}

/// The due date a dossier received at `receivedAt` would get.
#[derive(SimpleObject)]
pub struct DueDate {
    pub received_at: Time,
    /// The first working instant at or after reception: the clock starts here.
    pub starts_at: Time,
    /// Ngày hẹn trả kết quả.
    pub due_at: Time,
    pub processing_hours: u32,
    pub within_day: bool,
}

#[derive(Default)]
pub struct CalendarQuery;

/// The longest range the calendar arithmetic walks: ten years.
const MAX_RANGE_DAYS: i64 = 3_660;

/// Working hours as seconds; at most ten years of them.
fn working_seconds(hours: f64) -> Result<i64, AppError> {
    if !hours.is_finite() || !(0.0..=20_000.0).contains(&hours) {
        return Err(AppError::bad_input(
            "workingHours",
            Problem::OutOfRange {
                min: 0,
                max: 20_000,
            },
        ));
    }
    Ok((hours * 3600.0).round() as i64)
}

#[Object]
impl CalendarQuery {
    /// `from` plus a number of working hours, on the working calendar.
    /// Priced like a page of 50: it walks the calendar day by day.
    #[graphql(complexity = 50)]
    async fn add_working_time(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Between the years 1900 and 2200.",
            validator(custom = "Moment(\"from\")")
        )]
        from: Time,
        working_hours: f64,
    ) -> Result<Time> {
        let seconds = working_seconds(working_hours)?;
        Ok(svc::add_working_time(ctx.state()?, from.0, seconds)
            .await?
            .into())
    }

    /// The working time between two instants at most ten years apart
    /// (BAD_USER_INPUT on `to` otherwise). Priced like a page of 50.
    #[graphql(complexity = "50 * child_complexity")]
    async fn working_time_between(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Between the years 1900 and 2200.",
            validator(custom = "Moment(\"from\")")
        )]
        from: Time,
        #[graphql(
            desc = "Between the years 1900 and 2200.",
            validator(custom = "Moment(\"to\")")
        )]
        to: Time,
    ) -> Result<WorkingTime> {
        let (from, to) = (from.0, to.0);
        if (to - from).num_days().abs() > MAX_RANGE_DAYS {
            return Err(AppError::bad_input(
                "to",
                Problem::Invalid {
                    vi: "Hai thời điểm cách nhau tối đa 10 năm".into(),
                    en: "The two instants are at most ten years apart".into(),
                },
            )
            .into());
        }
        let seconds = svc::working_time_between(ctx.state()?, from, to).await?;
        Ok(WorkingTime {
            seconds,
            hours: seconds as f64 / 3600.0,
        })
    }

    /// The due date of a procedure's dossier received at `receivedAt`.
    #[graphql(complexity = "50 * child_complexity")]
    async fn due_date(
        &self,
        ctx: &Context<'_>,
        procedure_id: ID,
        #[graphql(
            desc = "Between the years 1900 and 2200.",
            validator(custom = "Moment(\"receivedAt\")")
        )]
        received_at: Time,
    ) -> Result<DueDate> {
        let id = parse_id("procedureId", &procedure_id)?;
        let d = svc::due_date(ctx.state()?, id, received_at.0).await?;
        Ok(DueDate {
            received_at,
            starts_at: d.starts_at.into(),
            due_at: d.due_at.into(),
            processing_hours: d.processing_hours,
            within_day: d.within_day,
        })
    }

    /// Holidays and compensatory working days of a year.
    #[graphql(complexity = "40 * child_complexity")]
    async fn calendar_days(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Between 1900 and 2200.", validator(custom = "Year(\"year\")"))] year: i32,
    ) -> Result<Vec<CalendarDay>> {
        let rows = svc::days_of_year(ctx.state()?, year).await?;
        Ok(rows
            .into_iter()
            .map(|m| CalendarDay::new(ctx, m))
            .collect::<Result<_, _>>()?)
    }
}

#[derive(Default)]
pub struct CalendarMutation;

#[Object]
impl CalendarMutation {
    /// ADMIN: declare a public holiday, or a weekend day a compensatory
    /// working day (ngày làm bù).
    async fn set_calendar_day(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Between the years 1900 and 2200.",
            validator(custom = "Day(\"date\")")
        )]
        date: NaiveDate,
        kind: DayKind,
        #[graphql(
            desc = "At most 300 characters.",
            validator(custom = "Chars::new(\"name\", 300)")
        )]
        name: String,
    ) -> Result<CalendarDay> {
        let m = svc::set_day(ctx.state()?, &ctx.caller()?, date, kind.into(), &name).await?;
        Ok(CalendarDay::new(ctx, m)?)
    }

    /// ADMIN: make a day ordinary again.
    async fn clear_calendar_day(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Between the years 1900 and 2200.",
            validator(custom = "Day(\"date\")")
        )]
        date: NaiveDate,
    ) -> Result<bool> {
        Ok(svc::clear_day(ctx.state()?, &ctx.caller()?, date).await?)
    }
}
