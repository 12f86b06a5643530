//! Public statistics (Hà Nam 30/2019 Art. 14, Quảng Ngãi 34/2023 Art. 11),
//! counted inside the database with one GROUP BY, never by loading
//! dossiers.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use super::rollup;
use crate::domain::Problem;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store;

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
                "period.month",
                Problem::OutOfRange { min: 1, max: 12 },
            ))
        }
        (Some(q), None) if (1..=4).contains(&q) => (3 * q - 2, 3),
        (Some(_), None) => {
            return Err(AppError::bad_input(
                "period.quarter",
                Problem::OutOfRange { min: 1, max: 4 },
            ))
        }
        (None, None) => (1, 12),
    };
    let first = NaiveDate::from_ymd_opt(year, start_month, 1)
        .ok_or_else(|| AppError::bad_input("period.year", Problem::UnknownValue))?;
    let end_month0 = start_month - 1 + months;
    let next = NaiveDate::from_ymd_opt(year + (end_month0 / 12) as i32, end_month0 % 12 + 1, 1)
        .ok_or_else(|| AppError::bad_input("period.year", Problem::UnknownValue))?;
    let at = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| AppError::internal("bad local time"))
    };
    Ok((at(first)?, at(next)?))
}

const OPEN: &str = "('RECEIVED','PROCESSING','PAUSED','AWAITING_APPROVAL')";

/// The dossiers a statistic covers: an agency subtree, a procedure, a
/// field. Written into SQL over `dossier d JOIN procedure p`.
struct Scope {
    agencies: Option<Vec<i64>>,
    procedure_id: Option<i64>,
    field_id: Option<i64>,
}

impl Scope {
    async fn of(st: &AppState, f: &StatsFilter) -> AppResult<Scope> {
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

    /// ` AND …` conditions, their parameters pushed in order.
    fn sql(&self, values: &mut Vec<Value>) -> String {
        let mut sql = String::new();
        if let Some(ids) = &self.agencies {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            sql.push_str(&format!(
                " AND d.settling_agency_id IN ({})",
                list.join(",")
            ));
        }
        if let Some(p) = self.procedure_id {
            sql.push_str(" AND d.procedure_id = ?");
            values.push(p.into());
        }
        if let Some(x) = self.field_id {
            sql.push_str(" AND p.field_id = ?");
            values.push(x.into());
        }
        sql
    }
}

/// The SQL key of a grouping that the database computes.
fn key_sql(group: GroupBy) -> &'static str {
    match group {
        GroupBy::Agency => "CAST(d.settling_agency_id AS TEXT)",
        GroupBy::Procedure => "CAST(d.procedure_id AS TEXT)",
        GroupBy::Field => "CAST(p.field_id AS TEXT)",
        GroupBy::Channel => "d.channel",
        GroupBy::None | GroupBy::Month | GroupBy::Quarter => "'ALL'",
    }
}

pub(crate) async fn query(
    st: &AppState,
    sql: &str,
    values: Vec<Value>,
) -> AppResult<Vec<sea_orm::QueryResult>> {
    let backend = st.db.get_database_backend();
    let sql = numbered(sql, backend);
    Ok(st
        .db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?)
}

/// Counts of one period, grouped as asked (never by month or quarter):
/// flows from the monthly rollup, stocks from the dossiers open now.
async fn counts(
    st: &AppState,
    scope: &Scope,
    group: GroupBy,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    with_open: bool,
) -> AppResult<BTreeMap<String, Row>> {
    let now = st.clock.now();
    let key = key_sql(group);
    // PostgreSQL sums BIGINT columns as NUMERIC: back to BIGINT.
    let sum = |c: &str| format!("CAST(SUM(d.{c}) AS BIGINT)");
    let mut out = BTreeMap::new();
    // Received, settled, refused, withdrawn and the ratings given: the
    // period's months of the rollup (aliased `d`, with the dossier's grouping columns).
    let mut values: Vec<Value> = vec![
        rollup::month_of(st, from).into(),
        rollup::month_of(st, to).into(),
    ];
    let mut sql = format!(
        "SELECT {key} AS k, {} AS received, \
         CAST(SUM(CASE WHEN d.channel = 'ONLINE' THEN d.received ELSE 0 END) AS BIGINT) AS received_online, \
         {} AS settled, {} AS early, {} AS on_time, {} AS late, {} AS refused, {} AS withdrawn, \
         {} AS rated, {} AS very_satisfied, {} AS satisfied, {} AS not_satisfied \
         FROM dossier_stat d JOIN procedure p ON p.id = d.procedure_id \
         WHERE d.month >= ? AND d.month < ?",
        sum("received"),
        sum("settled"),
        sum("early"),
        sum("on_time"),
        sum("late"),
        sum("refused"),
        sum("withdrawn"),
        sum("rated"),
        sum("very_satisfied"),
        sum("satisfied"),
        sum("not_satisfied"),
    );
    sql.push_str(&scope.sql(&mut values));
    sql.push_str(" GROUP BY k");
    for r in query(st, &sql, values).await? {
        let n = |c: &str| -> AppResult<i64> { Ok(r.try_get::<Option<i64>>("", c)?.unwrap_or(0)) };
        let row = Row {
            key: r.try_get::<String>("", "k")?,
            received: n("received")?,
            received_online: n("received_online")?,
            settled: n("settled")?,
            early: n("early")?,
            on_time: n("on_time")?,
            late: n("late")?,
            refused: n("refused")?,
            withdrawn: n("withdrawn")?,
            rated: n("rated")?,
            very_satisfied: n("very_satisfied")?,
            satisfied: n("satisfied")?,
            not_satisfied: n("not_satisfied")?,
            ..Default::default()
        };
        out.insert(row.key.clone(), row);
    }
    if !with_open {
        return Ok(out);
    }
    // In progress: open now, received before the period ended.
    let mut values: Vec<Value> = vec![now.into(), now.into(), to.into()];
    let mut sql = format!(
        "SELECT {key} AS k, SUM(CASE WHEN d.due_at >= ? THEN 1 ELSE 0 END) AS open_not_due, \
         SUM(CASE WHEN d.due_at < ? THEN 1 ELSE 0 END) AS open_overdue \
         FROM dossier d JOIN procedure p ON p.id = d.procedure_id \
         WHERE d.status IN {OPEN} AND d.received_at < ?"
    );
    sql.push_str(&scope.sql(&mut values));
    sql.push_str(" GROUP BY k");
    for r in query(st, &sql, values).await? {
        let n = |c: &str| -> AppResult<i64> { Ok(r.try_get::<Option<i64>>("", c)?.unwrap_or(0)) };
        let key = r.try_get::<String>("", "k")?;
        let row = out.entry(key.clone()).or_insert_with(|| Row {
            key,
            ..Default::default()
        });
        row.in_progress_not_due = n("open_not_due")?;
        row.in_progress_overdue = n("open_overdue")?;
    }
    Ok(out)
}

/// Dossiers open now and received before each of `ends`: (not yet due,
/// overdue) per end, counted in one pass.
async fn open_at(
    st: &AppState,
    scope: &Scope,
    ends: &[DateTime<Utc>],
) -> AppResult<Vec<(i64, i64)>> {
    let now = st.clock.now();
    let mut values: Vec<Value> = Vec::new();
    let mut sums = Vec::new();
    for (i, end) in ends.iter().enumerate() {
        sums.push(format!(
            "CAST(SUM(CASE WHEN d.received_at < ? AND d.due_at >= ? THEN 1 ELSE 0 END) AS BIGINT) AS nd{i}, \
             CAST(SUM(CASE WHEN d.received_at < ? AND d.due_at < ? THEN 1 ELSE 0 END) AS BIGINT) AS od{i}"
        ));
        values.extend([(*end).into(), now.into(), (*end).into(), now.into()]);
    }
    let mut sql = format!(
        "SELECT {} FROM dossier d JOIN procedure p ON p.id = d.procedure_id WHERE d.status IN {OPEN}",
        sums.join(", ")
    );
    sql.push_str(&scope.sql(&mut values));
    let rows = query(st, &sql, values).await?;
    let r = rows.first();
    let n = |c: String| -> AppResult<i64> {
        Ok(match r {
            Some(r) => r.try_get::<Option<i64>>("", &c)?.unwrap_or(0),
            None => 0,
        })
    };
    (0..ends.len())
        .map(|i| Ok((n(format!("nd{i}"))?, n(format!("od{i}"))?)))
        .collect()
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
    let (from, to) = bounds(st, f.period)?;
    let scope = Scope::of(st, &f).await?;
    let mut total = Row {
        key: "ALL".into(),
        ..Default::default()
    };
    let rows: Vec<Row> = match group {
        GroupBy::Month | GroupBy::Quarter => {
            let year = from.with_timezone(&st.config.calendar.tz).year();
            let mut rows = Vec::new();
            let mut ends = Vec::new();
            for (key, p) in sub_periods(f.period, group, year) {
                let (a, b) = bounds(st, p)?;
                let mut row = counts(st, &scope, GroupBy::None, a, b, false)
                    .await?
                    .remove("ALL")
                    .unwrap_or_default();
                row.key = key;
                rows.push(row);
                ends.push(b);
            }
            // In progress at each end, in one pass over the open dossiers.
            for (row, (not_due, overdue)) in rows.iter_mut().zip(open_at(st, &scope, &ends).await?)
            {
                row.in_progress_not_due = not_due;
                row.in_progress_overdue = overdue;
            }
            rows
        }
        _ => counts(st, &scope, group, from, to, true)
            .await?
            .into_values()
            .collect(),
    };
    match group {
        GroupBy::Month | GroupBy::Quarter => {
            // Stocks (in progress) are of the whole period, not a sum.
            let whole = counts(st, &scope, GroupBy::None, from, to, true).await?;
            total = whole.get("ALL").cloned().unwrap_or(total);
            total.key = "ALL".into();
        }
        _ => {
            for row in &rows {
                total.add(row);
            }
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

/// `?` placeholders as PostgreSQL's `$1, $2 …` (the SQL above has no `?`
/// inside literals).
pub(crate) fn numbered(sql: &str, backend: DbBackend) -> String {
    if backend != DbBackend::Postgres {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}
