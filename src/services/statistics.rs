//! Public statistics (Hà Nam 30/2019 Art. 14, Quảng Ngãi 34/2023 Art. 11),
//! counted inside the database with one GROUP BY, never by loading
//! dossiers.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::app::AppState;
use crate::domain::Problem;
use crate::error::{AppError, AppResult};
use crate::store;

/// What the rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    None,
    Agency,
    Procedure,
    Field,
    Channel,
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

pub async fn compute(st: &AppState, f: StatsFilter, group: GroupBy) -> AppResult<Statistics> {
    let (from, to) = bounds(st, f.period)?;
    let now = st.clock.now();
    let key = match group {
        GroupBy::None => "'ALL'",
        GroupBy::Agency => "CAST(d.settling_agency_id AS TEXT)",
        GroupBy::Procedure => "CAST(d.procedure_id AS TEXT)",
        GroupBy::Field => "CAST(p.field_id AS TEXT)",
        GroupBy::Channel => "d.channel",
    };
    // Each counted column: (column name, condition). Conditions take their
    // parameters in the order they appear, pushed as the SQL is written.
    let mut values: Vec<Value> = Vec::new();
    let mut sums = Vec::new();
    let counts: [(&str, &str, &str); 10] = [
        ("received", "received_at", ""),
        ("received_online", "received_at", "d.channel = 'ONLINE'"),
        ("settled", "settled_at", ""),
        ("early", "settled_at", "d.timeliness = 'EARLY'"),
        ("on_time", "settled_at", "d.timeliness = 'ON_TIME'"),
        ("late", "settled_at", "d.timeliness = 'LATE'"),
        ("open_not_due", "", "d.due_at >= ?"),
        ("open_overdue", "", "d.due_at < ?"),
        ("refused", "updated_at", "d.status = 'REFUSED'"),
        ("withdrawn", "updated_at", "d.status = 'WITHDRAWN'"),
    ];
    for (name, period_column, extra) in counts {
        let mut conditions = Vec::new();
        if period_column.is_empty() {
            // Open now, whatever the period.
            conditions.push(format!("d.status IN {OPEN}"));
        } else {
            conditions.push(format!("d.{period_column} >= ? AND d.{period_column} < ?"));
            values.extend([from.into(), to.into()]);
        }
        if !extra.is_empty() {
            conditions.push(extra.to_owned());
            if extra.contains('?') {
                values.push(now.into());
            }
        }
        sums.push(format!(
            "SUM(CASE WHEN {} THEN 1 ELSE 0 END) AS {name}",
            conditions.join(" AND ")
        ));
    }
    let mut sql = format!(
        "SELECT {key} AS k, {} FROM dossier d JOIN procedure p ON p.id = d.procedure_id WHERE d.status <> 'DRAFT'",
        sums.join(", ")
    );
    if let Some(a) = f.agency_id {
        let ids = store::agencies::subtree(&st.db, a).await?;
        if ids.is_empty() {
            return Err(AppError::bad_input(
                "filter.agencyId",
                Problem::UnknownReference,
            ));
        }
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        sql.push_str(&format!(
            " AND d.settling_agency_id IN ({})",
            list.join(",")
        ));
    }
    if let Some(p) = f.procedure_id {
        sql.push_str(" AND d.procedure_id = ?");
        values.push(p.into());
    }
    if let Some(x) = f.field_id {
        sql.push_str(" AND p.field_id = ?");
        values.push(x.into());
    }
    sql.push_str(" GROUP BY k ORDER BY k");
    let backend = st.db.get_database_backend();
    let sql = numbered(&sql, backend);
    let rows = st
        .db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut total = Row {
        key: "ALL".into(),
        ..Default::default()
    };
    for r in rows {
        let n = |c: &str| -> AppResult<i64> { Ok(r.try_get::<Option<i64>>("", c)?.unwrap_or(0)) };
        let row = Row {
            key: r.try_get::<String>("", "k")?,
            received: n("received")?,
            received_online: n("received_online")?,
            settled: n("settled")?,
            early: n("early")?,
            on_time: n("on_time")?,
            late: n("late")?,
            in_progress_not_due: n("open_not_due")?,
            in_progress_overdue: n("open_overdue")?,
            refused: n("refused")?,
            withdrawn: n("withdrawn")?,
        };
        total.received += row.received;
        total.received_online += row.received_online;
        total.settled += row.settled;
        total.early += row.early;
        total.on_time += row.on_time;
        total.late += row.late;
        total.in_progress_not_due += row.in_progress_not_due;
        total.in_progress_overdue += row.in_progress_overdue;
        total.refused += row.refused;
        total.withdrawn += row.withdrawn;
        out.push(row);
    }
    Ok(Statistics {
        from,
        to,
        rows: out,
        total,
    })
}

/// `?` placeholders as PostgreSQL's `$1, $2 …` (the SQL above has no `?`
/// inside literals).
fn numbered(sql: &str, backend: DbBackend) -> String {
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
