//! Public statistics (Hà Nam 30/2019 Art. 14, Quảng Ngãi 34/2023 Art. 11),
//! counted inside the database with one GROUP BY, never by loading
//! dossiers.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

use super::rollup;
use crate::domain::Problem;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store;
use crate::store::statistics::{Key, Scope};

/// What the rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    None,
    Agency,
    Procedure,
    Field,
    Channel,
    /// By month of the period, each counted on its own.
    Month,
    /// By quarter of the period.
    Quarter,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Period {
    pub year: Option<i32>,
    pub quarter: Option<u32>,
    pub month: Option<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct StatsFilter {
    pub period: Period,
    /// This settling agency and every agency below it.
    pub agency_id: Option<i64>,
    pub procedure_id: Option<i64>,
    pub field_id: Option<i64>,
}

/// One row: counts for the period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    pub key: String,
    pub received: i64,
    pub received_online: i64,
    pub settled: i64,
    pub early: i64,
    pub on_time: i64,
    pub late: i64,
    pub in_progress_not_due: i64,
    pub in_progress_overdue: i64,
    pub refused: i64,
    pub withdrawn: i64,
    /// Ratings given in the period, and their criterion answers per level
    /// (three per rating).
    pub rated: i64,
    pub very_satisfied: i64,
    pub satisfied: i64,
    pub not_satisfied: i64,
}

pub struct Statistics {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub rows: Vec<Row>,
    pub total: Row,
}

/// The period's bounds in the calendar's time zone: a month, a quarter or
/// a year (the current year by default).
pub fn bounds(st: &AppState, p: Period) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    let tz = st.config.calendar.tz;
    let today = st.clock.now().with_timezone(&tz).date_naive();
    let year = p.year.unwrap_or(today.year());
    let (start_month, months) = match (p.quarter, p.month) {
        (_, Some(m)) if (1..=12).contains(&m) => (m, 1),
        (_, Some(_)) => {
            return Err(AppError::bad_input(
                "month",
                Problem::OutOfRange { min: 1, max: 12 },
            ))
        }
        (Some(q), None) if (1..=4).contains(&q) => (3 * q - 2, 3),
        (Some(_), None) => {
            return Err(AppError::bad_input(
                "quarter",
                Problem::OutOfRange { min: 1, max: 4 },
            ))
        }
        (None, None) => (1, 12),
    };
    let first = NaiveDate::from_ymd_opt(year, start_month, 1)
        .ok_or_else(|| AppError::bad_input("year", Problem::UnknownValue))?;
    let end_month0 = start_month - 1 + months;
    let next = NaiveDate::from_ymd_opt(year + (end_month0 / 12) as i32, end_month0 % 12 + 1, 1)
        .ok_or_else(|| AppError::bad_input("year", Problem::UnknownValue))?;
    let at = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| AppError::internal("bad local time"))
    };
    Ok((at(first)?, at(next)?))
}

/// The filter's scope: an agency subtree, a procedure, a field.
async fn scope_of(st: &AppState, f: &StatsFilter) -> AppResult<Scope> {
    let agencies = match f.agency_id {
        Some(a) => {
            let ids = store::agencies::subtree(&st.db, a).await?;
            if ids.is_empty() {
                return Err(AppError::bad_input(
                    "filter.agencyId",
                    Problem::UnknownReference,
                ));
            }
            Some(ids)
        }
        None => None,
    };
    Ok(Scope {
        agencies,
        procedure_id: f.procedure_id,
        field_id: f.field_id,
    })
}

/// The store's grouping of a grouping the database computes.
fn key_of(group: GroupBy) -> Key {
    match group {
        GroupBy::Agency => Key::Agency,
        GroupBy::Procedure => Key::Procedure,
        GroupBy::Field => Key::Field,
        GroupBy::Channel => Key::Channel,
        GroupBy::None | GroupBy::Month | GroupBy::Quarter => Key::All,
    }
}

/// Counts of one period, grouped as asked (never by month or quarter):
/// flows from the monthly rollup, stocks from the dossiers open now.
async fn counts(
    st: &AppState,
    scope: &Scope,
    group: GroupBy,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<BTreeMap<String, Row>> {
    let key = key_of(group);
    let mut out = BTreeMap::new();
    // Received, settled, refused, withdrawn and the ratings given: the
    // period's months of the rollup.
    let (first, end) = (rollup::month_of(st, from), rollup::month_of(st, to));
    for f in store::statistics::flows(&st.db, scope, key, &first, &end).await? {
        let row = Row::of_flows(f);
        out.insert(row.key.clone(), row);
    }
    // In progress: open now, received before the period ended.
    let now = st.clock.now();
    for (key, not_due, overdue) in store::statistics::open_now(&st.db, scope, key, now, to).await? {
        let row = out.entry(key.clone()).or_insert_with(|| Row {
            key,
            ..Default::default()
        });
        row.in_progress_not_due = not_due;
        row.in_progress_overdue = overdue;
    }
    Ok(out)
}

/// The months or quarters of a period, each with its key.
fn sub_periods(p: Period, group: GroupBy, year: i32) -> Vec<(String, Period)> {
    let months: Vec<u32> = match (p.month, p.quarter) {
        (Some(m), _) => vec![m],
        (None, Some(q)) => (3 * q - 2..=3 * q).collect(),
        (None, None) => (1..=12).collect(),
    };
    let mut out: Vec<(String, Period)> = Vec::new();
    for m in months {
        let q = (m - 1) / 3 + 1;
        let (key, period) = match group {
            GroupBy::Quarter if p.month.is_none() => (
                format!("{year}-Q{q}"),
                Period {
                    year: Some(year),
                    quarter: Some(q),
                    month: None,
                },
            ),
            _ => (
                format!("{year}-{m:02}"),
                Period {
                    year: Some(year),
                    quarter: None,
                    month: Some(m),
                },
            ),
        };
        if out.last().map(|l| &l.0) != Some(&key) {
            out.push((key, period));
        }
    }
    out
}

pub async fn compute(st: &AppState, f: StatsFilter, group: GroupBy) -> AppResult<Statistics> {
    let (from, to) = bounds(st, f.period).map_err(|e| e.under("filter"))?;
    let scope = scope_of(st, &f).await?;
    let mut total = Row {
        key: "ALL".into(),
        ..Default::default()
    };
    let rows: Vec<Row> = match group {
        GroupBy::Month | GroupBy::Quarter => {
            let year = from.with_timezone(&st.config.calendar.tz).year();
            // The period's months of the rollup in one query; each month or
            // quarter sums its own.
            let (first, end) = (rollup::month_of(st, from), rollup::month_of(st, to));
            let months = store::statistics::flows(&st.db, &scope, Key::Month, &first, &end).await?;
            let mut rows = Vec::new();
            let mut ends = Vec::new();
            for (key, p) in sub_periods(f.period, group, year) {
                let (a, b) = bounds(st, p)?;
                let (m0, m1) = (rollup::month_of(st, a), rollup::month_of(st, b));
                let mut row = Row {
                    key,
                    ..Default::default()
                };
                for m in months.iter().filter(|m| m0 <= m.key && m.key < m1) {
                    row.add(&Row::of_flows(m.clone()));
                }
                rows.push(row);
                ends.push(b);
            }
            // In progress at each end and at the period's, in one pass over
            // the open dossiers.
            ends.push(to);
            let mut stocks =
                store::statistics::open_at(&st.db, &scope, st.clock.now(), &ends).await?;
            let whole = stocks.pop().unwrap_or_default();
            for (row, (not_due, overdue)) in rows.iter_mut().zip(stocks) {
                row.in_progress_not_due = not_due;
                row.in_progress_overdue = overdue;
            }
            // The flows add up; the stock is the period's end's.
            for row in &rows {
                total.add(row);
            }
            (total.in_progress_not_due, total.in_progress_overdue) = whole;
            rows
        }
        _ => counts(st, &scope, group, from, to)
            .await?
            .into_values()
            .collect(),
    };
    if !matches!(group, GroupBy::Month | GroupBy::Quarter) {
        for row in &rows {
            total.add(row);
        }
    }
    Ok(Statistics {
        from,
        to,
        rows,
        total,
    })
}

impl Row {
    /// A row of the rollup's flows, with no stock.
    fn of_flows(f: store::statistics::Flows) -> Row {
        Row {
            key: f.key,
            received: f.received,
            received_online: f.received_online,
            settled: f.settled,
            early: f.early,
            on_time: f.on_time,
            late: f.late,
            refused: f.refused,
            withdrawn: f.withdrawn,
            rated: f.rated,
            very_satisfied: f.very_satisfied,
            satisfied: f.satisfied,
            not_satisfied: f.not_satisfied,
            ..Default::default()
        }
    }

    fn add(&mut self, r: &Row) {
        self.received += r.received;
        self.received_online += r.received_online;
        self.settled += r.settled;
        self.early += r.early;
        self.on_time += r.on_time;
        self.late += r.late;
        self.in_progress_not_due += r.in_progress_not_due;
        self.in_progress_overdue += r.in_progress_overdue;
        self.refused += r.refused;
        self.withdrawn += r.withdrawn;
        self.rated += r.rated;
        self.very_satisfied += r.very_satisfied;
        self.satisfied += r.satisfied;
        self.not_satisfied += r.not_satisfied;
    }
}
