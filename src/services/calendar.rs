//! The working calendar: its exceptions (holidays, compensatory working
//! days) as data an ADMIN maintains per year, and the deadline arithmetic
//! exposed so that frontends show the dates the server stores.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::calendar_day;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::audit::{self, Entry};
use super::catalogue::{self, Lookup};
use super::Caller;
use crate::domain::authz::Action;
use crate::domain::calendar::{Calendar, DayKind};
use crate::domain::identity::required_text;
use crate::error::{stored_enum, AppError, AppResult, AtField, Missing};
use crate::state::AppState;
use crate::store;
use serde_json::json;

/// Calendar exceptions from a week before `from` on: deadlines only look
/// forward.
pub async fn exceptions_from(
    db: &impl ConnectionTrait,
    from: NaiveDate,
) -> AppResult<BTreeMap<NaiveDate, DayKind>> {
    let start = from - chrono::Duration::days(7);
    let rows = calendar_day::Entity::find()
        .filter(calendar_day::Column::Day.gte(start))
        .all(db)
        .await?;
    rows.into_iter()
        .map(|r| {
            let kind = stored_enum::<DayKind>(&r.kind)?;
            Ok((r.day, kind))
        })
        .collect()
}

/// Runs `f` with the calendar that applies from `from` on.
pub async fn with_calendar<R>(
    st: &AppState,
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    f: impl FnOnce(&Calendar) -> R,
) -> AppResult<R> {
    let cfg = &st.config.calendar;
    let local_day = from.with_timezone(&cfg.tz).date_naive();
    let exceptions = exceptions_from(db, local_day).await?;
    Ok(f(&Calendar {
        tz: cfg.tz,
        hours: &cfg.hours,
        exceptions: &exceptions,
    }))
}

pub async fn add_working_time(
    st: &AppState,
    from: DateTime<Utc>,
    seconds: i64,
) -> AppResult<DateTime<Utc>> {
    with_calendar(st, &st.db, from, |c| c.add_seconds(from, seconds)).await
}

pub async fn working_time_between(
    st: &AppState,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<i64> {
    with_calendar(st, &st.db, from.min(to), |c| c.seconds_between(from, to)).await
}

/// A due date as the server would set it on reception.
pub struct DueDate {
    pub starts_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub processing_hours: u32,
    pub within_day: bool,
}

pub async fn due_date(
    st: &AppState,
    procedure_id: i64,
    received_at: DateTime<Utc>,
) -> AppResult<DueDate> {
    let p = catalogue::procedure(&st.db, Lookup::Id(procedure_id)).await?;
    let content = catalogue::current_content(&st.db, &p).await?;
    let hours = content.processing_time.working_hours();
    let cutoff = st.config.calendar.same_day_cutoff;
    with_calendar(st, &st.db, received_at, |c| DueDate {
        starts_at: c.next_working_instant(received_at),
        due_at: c.due(received_at, hours, content.within_day, cutoff),
        processing_hours: hours,
        within_day: content.within_day,
    })
    .await
}

pub async fn days_of_year(st: &AppState, year: i32) -> AppResult<Vec<calendar_day::Model>> {
    let (from, to) = (
        NaiveDate::from_ymd_opt(year, 1, 1).ok_or(AppError::NotFound(Missing::Year))?,
        NaiveDate::from_ymd_opt(year, 12, 31).ok_or(AppError::NotFound(Missing::Year))?,
    );
    Ok(calendar_day::Entity::find()
        .filter(calendar_day::Column::Day.between(from, to))
        .order_by_asc(calendar_day::Column::Day)
        .all(&st.db)
        .await?)
}

/// ADMIN: declares a day a holiday or a compensatory working day (replacing
/// what it was).
pub async fn set_day(
    st: &AppState,
    caller: &Caller<'_>,
    day: NaiveDate,
    kind: DayKind,
    name: &str,
) -> AppResult<calendar_day::Model> {
    caller.authorize(Action::ManageCatalogue)?;
    let name = required_text(name, 200).at("name")?;
    let is_weekend = matches!(day.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun);
    if kind == DayKind::Workday && !is_weekend {
        return Err(AppError::bad_input(
            "kind",
            crate::domain::Problem::Invalid {
                vi: "Chỉ ngày thứ Bảy, Chủ nhật mới có thể là ngày làm bù".into(),
                en: "Only a Saturday or Sunday can be a compensatory working day".into(),
            },
        ));
    }
    let before = calendar_day::Entity::find_by_id(day).one(&st.db).await?;
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    let row = calendar_day::ActiveModel {
        day: Set(day),
        kind: Set(kind.as_str().into()),
        name: Set(name.clone()),
    };
    calendar_day::Entity::insert(row)
        .on_conflict(
            OnConflict::column(calendar_day::Column::Day)
                .update_columns([calendar_day::Column::Kind, calendar_day::Column::Name])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
    let summary = json!({
        "before": before.map(|b| json!({ "kind": b.kind, "name": b.name })),
        "after": { "kind": kind.as_str(), "name": name },
    });
    audit::commit(
        txn,
        caller,
        now,
        Entry::new("setCalendarDay", "calendarDay", day, summary),
    )
    .await?;
    Ok(calendar_day::Model {
        day,
        kind: kind.as_str().into(),
        name,
    })
}

/// ADMIN: makes a day ordinary again. Returns whether it was an exception.
pub async fn clear_day(st: &AppState, caller: &Caller<'_>, day: NaiveDate) -> AppResult<bool> {
    caller.authorize(Action::ManageCatalogue)?;
    let before = calendar_day::Entity::find_by_id(day).one(&st.db).await?;
    let Some(before) = before else {
        return Ok(false);
    };
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    calendar_day::Entity::delete_by_id(day).exec(&txn).await?;
    let summary = json!({ "before": { "kind": before.kind, "name": before.name }, "after": null });
    audit::commit(
        txn,
        caller,
        now,
        Entry::new("clearCalendarDay", "calendarDay", day, summary),
    )
    .await?;
    Ok(true)
}

/// Today in the province's time zone.
pub fn today(st: &AppState) -> chrono::NaiveDate {
    st.clock
        .now()
        .with_timezone(&st.config.calendar.tz)
        .date_naive()
}
