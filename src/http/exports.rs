//! Exports: the statistics, the agency evaluation and an official's dossier
//! list as CSV or Excel, `GET /exports/{report}.{csv|xlsx}`.
//!
//! An export runs the GraphQL query it comes from through the schema, as
//! the caller, with the query parameters as that query's variables: the
//! same filters, validation, authorization, masking and audit as the query
//! (an analyst's export masks applicants as `dossiers` does; an official's
//! list read is audited as the list is). Then it writes the rows.
//!
//! | report | variables (query parameters) | GraphQL |
//! | --- | --- | --- |
//! | `statistics` | `filter` (JSON StatisticsFilter), `groupBy` | `statistics` (its rows, then the total) |
//! | `evaluation` | `period` (JSON EvaluationPeriod), `agencyId`, `level` | `agencyEvaluation` |
//! | `dossiers` | `filter` (JSON DossierFilter), `orderBy` (JSON DossierOrder) | `dossiers`, page by page |
//!
//! CSV is UTF-8 with a byte-order mark (Excel then reads Vietnamese right);
//! the dossier list is streamed a page (100 dossiers) at a time, so a long
//! list is neither held in memory nor limited. XLSX is written row by row
//! in constant memory and sent whole, so within the request's time: at
//! most 50,000 dossiers. Headers speak the caller's language; times are as the API writes
//! them (RFC 3339, `+07:00`).
//!
//! Refusals answer JSON `{"errors": [...]}` as GraphQL would, with the
//! status of the first error's code: 400 BAD_USER_INPUT (a parameter not of
//! the report, JSON that does not parse, a value of the wrong type), 401
//! UNAUTHENTICATED, 403 FORBIDDEN, 404 NOT_FOUND (no such report), 429
//! RATE_LIMITED, 500 INTERNAL.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value;

use super::session::{refuse, signed_in, status_of_code, RequestMeta};
use super::Web;
use crate::domain::authz::Actor;
use crate::domain::Problem;
use crate::error::{AppError, Lang, Missing};
use crate::graphql::context::RequestContext;
use crate::graphql::loaders::loaders;
use crate::graphql::policy::Executed;

/// The routes of this module, merged into the server's router.
pub(crate) fn routes() -> Router<Web> {
    Router::new().route("/exports/{file}", get(export))
}

/// The most dossiers a workbook holds: it is sent whole, so it must be
/// written within the request's time (`MOTCUA_REQUEST_TIMEOUT_SECS`, 30 s
/// by default: 500 pages); a longer list goes to CSV, which streams.
const XLSX_MAX_ROWS: u64 = 50_000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    Csv,
    Xlsx,
}

/// A column: its header in Vietnamese and English, and where its value is
/// in a row of the query's answer (a JSON pointer).
struct Column {
    vi: &'static str,
    en: &'static str,
    at: &'static str,
}

const fn col(vi: &'static str, en: &'static str, at: &'static str) -> Column {
    Column { vi, en, at }
}

/// A report: its query, the variables it takes, its columns and where its
/// rows are in an answer.
struct Report {
    name: &'static str,
    query: &'static str,
    variables: &'static [&'static str],
    columns: &'static [Column],
    rows: fn(Value) -> Page,
}

const STATISTICS: Report = Report {
    name: "statistics",
    query: "query($filter: StatisticsFilter, $groupBy: StatisticsGroup) {
      statistics(filter: $filter, groupBy: $groupBy) { rows { ...Row } total { ...Row } } }
    fragment Row on StatisticsRow { key label received receivedOnline onlineShare settled early
      onTime late onTimeRate inProgressNotDue inProgressOverdue refused withdrawn rated
      verySatisfiedShare satisfiedShare notSatisfiedShare satisfactionRate }",
    variables: &["filter", "groupBy"],
    columns: &[
        col("Mã", "Key", "/key"),
        col("Tên", "Label", "/label"),
        col("Tiếp nhận", "Received", "/received"),
        col("Tiếp nhận trực tuyến", "Received online", "/receivedOnline"),
        col("Tỷ lệ trực tuyến", "Online share", "/onlineShare"),
        col("Đã giải quyết", "Settled", "/settled"),
        col("Trước hạn", "Early", "/early"),
        col("Đúng hạn", "On time", "/onTime"),
        col("Quá hạn", "Late", "/late"),
        col("Tỷ lệ đúng hạn", "On-time rate", "/onTimeRate"),
        col(
            "Đang giải quyết trong hạn",
            "In progress, not due",
            "/inProgressNotDue",
        ),
        col(
            "Đang giải quyết quá hạn",
            "In progress, overdue",
            "/inProgressOverdue",
        ),
        col("Từ chối tiếp nhận", "Refused", "/refused"),
        col("Rút hồ sơ", "Withdrawn", "/withdrawn"),
        col("Lượt đánh giá", "Ratings", "/rated"),
        col("Rất hài lòng", "Very satisfied", "/verySatisfiedShare"),
        col("Hài lòng", "Satisfied", "/satisfiedShare"),
        col("Chưa hài lòng", "Not satisfied", "/notSatisfiedShare"),
        col("Tỷ lệ hài lòng", "Satisfaction rate", "/satisfactionRate"),
    ],
    rows: statistics_rows,
};

const EVALUATION: Report = Report {
    name: "evaluation",
    query: "query($period: EvaluationPeriod, $agencyId: ID, $level: AgencyLevel) {
      agencyEvaluation(period: $period, agencyId: $agencyId, level: $level) {
        agencies { rank measured agency { code name } points availablePoints percent } } }",
    variables: &["period", "agencyId", "level"],
    columns: &[
        col("Xếp hạng", "Rank", "/rank"),
        col("Mã cơ quan", "Agency code", "/agency/code"),
        col("Cơ quan", "Agency", "/agency/name"),
        col("Có hồ sơ để đánh giá", "Measured", "/measured"),
        col("Điểm", "Points", "/points"),
        col(
            "Điểm tối đa tính được",
            "Available points",
            "/availablePoints",
        ),
        col("Tỷ lệ điểm", "Percent", "/percent"),
    ],
    rows: evaluation_rows,
};

const DOSSIERS: Report = Report {
    name: "dossiers",
    query: "query($filter: DossierFilter, $orderBy: DossierOrder, $after: String) {
      dossiers(filter: $filter, orderBy: $orderBy, first: 100, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { code statusLabel procedure { code name } applicant { name }
          receivingAgency { name } settlingAgency { name } submittedAt receivedAt dueAt
          settledAt timelinessLabel returnedAt channelLabel } } } }",
    variables: &["filter", "orderBy"],
    columns: &[
        col("Mã hồ sơ", "Code", "/code"),
        col("Mã thủ tục", "Procedure code", "/procedure/code"),
        col("Thủ tục", "Procedure", "/procedure/name"),
        col("Người nộp", "Applicant", "/applicant/name"),
        col("Trạng thái", "Status", "/statusLabel"),
        col("Kênh nộp", "Channel", "/channelLabel"),
        col("Nơi tiếp nhận", "Receiving unit", "/receivingAgency/name"),
        col(
            "Cơ quan giải quyết",
            "Settling agency",
            "/settlingAgency/name",
        ),
        col("Ngày nộp", "Submitted", "/submittedAt"),
        col("Ngày tiếp nhận", "Received", "/receivedAt"),
        col("Hạn trả kết quả", "Due", "/dueAt"),
        col("Ngày giải quyết", "Settled", "/settledAt"),
        col("Kết quả xử lý", "Timeliness", "/timelinessLabel"),
        col("Ngày trả kết quả", "Returned", "/returnedAt"),
    ],
    rows: dossier_rows,
};

/// The report and format a file name asks for (`statistics.csv`).
fn asked(file: &str) -> Option<(&'static Report, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    let format = match ext {
        "csv" => Format::Csv,
        "xlsx" => Format::Xlsx,
        _ => return None,
    };
    let report = [&STATISTICS, &EVALUATION, &DOSSIERS]
        .into_iter()
        .find(|r| r.name == name)?;
    Some((report, format))
}

/// The query parameters as the report's variables: a value that starts
/// with `{` or `[` is JSON (an input object), any other a string (an enum
/// value, an id). BAD_USER_INPUT on a parameter the report does not take,
/// given twice, or whose JSON does not parse.
fn variables(report: &Report, params: &[(String, String)]) -> Result<Value, AppError> {
    let mut vars = serde_json::Map::new();
    for (name, value) in params {
        if !report.variables.contains(&name.as_str()) {
            let field: String = name.chars().take(64).collect();
            return Err(AppError::bad_input(
                field,
                Problem::Invalid {
                    vi: format!(
                        "Báo cáo này nhận các tham số: {}",
                        report.variables.join(", ")
                    ),
                    en: format!("This report takes: {}", report.variables.join(", ")),
                },
            ));
        }
        let parsed = if value.starts_with('{') || value.starts_with('[') {
            serde_json::from_str(value).map_err(|_| {
                AppError::bad_input(
                    name.clone(),
                    Problem::Invalid {
                        vi: "Không phải JSON hợp lệ".into(),
                        en: "Not valid JSON".into(),
                    },
                )
            })?
        } else {
            Value::String(value.clone())
        };
        if vars.insert(name.clone(), parsed).is_some() {
            return Err(AppError::bad_input(name.clone(), Problem::AlreadyTaken));
        }
    }
    Ok(Value::Object(vars))
}

/// One export: who asks, for what.
#[derive(Clone)]
struct Run {
    app: Web,
    actor: Option<Actor>,
    meta: std::sync::Arc<RequestMeta>,
    report: &'static Report,
}

/// A page of rows, and the cursor after it when there is more.
struct Page {
    rows: Vec<Value>,
    next: Option<String>,
    total: Option<u64>,
}

impl Run {
    /// Runs the report's query with `variables` (and `after`, paged) as the
    /// caller; its errors as the refusal to answer.
    async fn page(&self, variables: &Value, after: Option<&str>) -> Result<Page, Response> {
        let mut vars = variables.clone();
        if let (Some(after), Some(map)) = (after, vars.as_object_mut()) {
            map.insert("after".into(), Value::String(after.into()));
        }
        let request = async_graphql::Request::new(self.report.query)
            .variables(async_graphql::Variables::from_json(vars))
            .data(loaders(self.app.state.db.clone()))
            .data(RequestContext {
                actor: self.actor.clone(),
                token: None,
                lang: self.meta.lang,
                request_id: self.meta.request_id.clone(),
                client_addr: self.meta.client_addr.clone(),
            })
            .data(Executed::default());
        let response = self.app.schema.execute(request).await;
        if !response.errors.is_empty() {
            return Err(failed(&response.errors));
        }
        let data = response
            .data
            .into_json()
            .map_err(|e| refuse(&self.meta, AppError::internal(e)))?;
        Ok((self.report.rows)(data))
    }
}

/// The items of a list in an answer, taken out of it.
fn take_list(v: &mut Value) -> Vec<Value> {
    match v.take() {
        Value::Array(items) => items,
        _ => Vec::new(),
    }
}

/// The statistics' rows, then the total.
fn statistics_rows(mut data: Value) -> Page {
    let s = &mut data["statistics"];
    let mut rows = take_list(&mut s["rows"]);
    // Without a grouping the one row is the total: written once.
    let ungrouped = rows.len() == 1 && rows[0]["key"] == "ALL";
    if !ungrouped {
        rows.push(s["total"].take());
    }
    Page {
        rows,
        next: None,
        total: None,
    }
}

/// The evaluated agencies, ranked.
fn evaluation_rows(mut data: Value) -> Page {
    Page {
        rows: take_list(&mut data["agencyEvaluation"]["agencies"]),
        next: None,
        total: None,
    }
}

/// A page of dossiers, with the cursor after it when there is more.
fn dossier_rows(mut data: Value) -> Page {
    let d = &mut data["dossiers"];
    let more = d["pageInfo"]["hasNextPage"].as_bool() == Some(true);
    Page {
        next: more
            .then(|| d["pageInfo"]["endCursor"].as_str().map(str::to_owned))
            .flatten(),
        total: d["totalCount"].as_u64(),
        rows: take_list(&mut d["edges"])
            .into_iter()
            .map(|mut e| e["node"].take())
            .collect(),
    }
}

/// GraphQL's errors as an HTTP refusal: `{"errors": [...]}` with the
/// status of the first one's code.
fn failed(errors: &[async_graphql::ServerError]) -> Response {
    let code = errors
        .first()
        .and_then(|e| e.extensions.as_ref())
        .and_then(|x| x.get("code"))
        .map(|c| c.to_string().trim_matches('"').to_owned())
        .unwrap_or_default();
    let status = status_of_code(&code);
    // Positions and paths point into the report's own query, which the
    // caller never wrote: left out.
    let errors: Vec<async_graphql::ServerError> = errors
        .iter()
        .cloned()
        .map(|mut e| {
            e.locations.clear();
            e.path.clear();
            e
        })
        .collect();
    let body = serde_json::json!({ "errors": errors });
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        body.to_string(),
    )
        .into_response()
}

/// A cell's text: numbers as JSON writes them, yes/no in the caller's
/// language, nothing for null.
fn text(v: &Value, lang: Lang) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => lang.pick(
            if *b { "Có" } else { "Không" },
            if *b { "Yes" } else { "No" },
        ),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(x)) => rounded(x).to_string(),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// A fraction as a report shows it: four decimals (a rate of 0.7582 is
/// 75.82 %; the query answers the exact quotient).
fn rounded(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn headers(report: &Report, lang: Lang) -> Vec<&'static str> {
    report
        .columns
        .iter()
        .map(|c| if lang == Lang::En { c.en } else { c.vi })
        .collect()
}

/// Rows as CSV lines (no header).
fn csv_lines(
    report: &Report,
    rows: &[Value],
    lang: Lang,
    header: bool,
) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    if header {
        w.write_record(headers(report, lang))
            .map_err(AppError::internal)?;
    }
    for row in rows {
        let record = report.columns.iter().map(|c| {
            let v = row.pointer(c.at).unwrap_or(&Value::Null);
            match v {
                Value::String(s) => inert(s),
                other => text(other, lang),
            }
        });
        w.write_record(record).map_err(AppError::internal)?;
    }
    w.into_inner()
        .map_err(|e| AppError::internal(e.to_string()))
}

/// Text a spreadsheet will not run: a cell starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return (a formula to Excel, e.g. an applicant
/// named `=HYPERLINK(…)`) gets a leading `'` (OWASP, CSV injection). The
/// workbook needs none: its cells are written as text.
fn inert(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}

/// The answer's headers: its type and a file name to save it under.
fn attachment(body: Body, format: Format, report: &Report) -> Response {
    let (content_type, ext) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    let disposition = format!("attachment; filename=\"{}.{ext}\"", report.name);
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// `GET /exports/{report}.{csv|xlsx}` (see the module's documentation).
async fn export(
    State(app): State<Web>,
    Path(file): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
    meta: RequestMeta,
    headers_in: HeaderMap,
) -> Response {
    let Some((report, format)) = asked(&file) else {
        return refuse(&meta, AppError::NotFound(Missing::Route));
    };
    let actor = match signed_in(&app, &headers_in).await {
        Ok(actor) => actor,
        Err(e) => return refuse(&meta, e),
    };
    let vars = match variables(report, &params) {
        Ok(v) => v,
        Err(e) => return refuse(&meta, e),
    };
    let lang = meta.lang;
    let run = Run {
        app,
        actor,
        meta: std::sync::Arc::new(meta),
        report,
    };
    // The first page answers before anything is sent: a refusal is a
    // refusal, not a cut-off file.
    let first = match run.page(&vars, None).await {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    match format {
        Format::Csv => csv_answer(run, vars, first, lang),
        Format::Xlsx => xlsx_answer(run, vars, first, lang).await,
    }
}

/// The CSV, streamed page by page. A failure after the first page ends
/// the stream with an error: the client sees a cut-off transfer, never a
/// file that looks whole.
fn csv_answer(run: Run, vars: Value, first: Page, lang: Lang) -> Response {
    let report = run.report;
    let mut head = "\u{feff}".as_bytes().to_vec();
    match csv_lines(report, &first.rows, lang, true) {
        Ok(lines) => head.extend(lines),
        Err(e) => return refuse(&run.meta, e),
    }
    let state = (Some(head), first.next, run, vars);
    let stream = futures_util::stream::unfold(state, move |(head, next, run, vars)| async move {
        if let Some(head) = head {
            return Some((Ok(head), (None, next, run, vars)));
        }
        let after = next?;
        match run.page(&vars, Some(&after)).await {
            Ok(page) => match csv_lines(run.report, &page.rows, lang, false) {
                Ok(lines) => Some((Ok(lines), (None, page.next, run, vars))),
                Err(e) => Some((
                    Err(std::io::Error::other(e.to_string())),
                    (None, None, run, vars),
                )),
            },
            Err(_) => Some((
                Err(std::io::Error::other("an export page was refused midway")),
                (None, None, run, vars),
            )),
        }
    });
    attachment(Body::from_stream(stream), Format::Csv, report)
}

/// The workbook, written row by row in constant memory (rows spill to a
/// temporary file), then sent.
async fn xlsx_answer(run: Run, vars: Value, first: Page, lang: Lang) -> Response {
    let report = run.report;
    if first.total.is_some_and(|n| n > XLSX_MAX_ROWS) {
        return refuse(
            &run.meta,
            AppError::bad_input(
                "filter",
                Problem::Invalid {
                    vi: format!(
                        "Excel chứa tối đa {XLSX_MAX_ROWS} hồ sơ: thu hẹp bộ lọc hoặc xuất CSV"
                    ),
                    en: format!("Excel holds at most {XLSX_MAX_ROWS} dossiers: narrow the filter or export CSV"),
                },
            ),
        );
    }
    let mut book = rust_xlsxwriter::Workbook::new();
    let written: Result<(), AppError> = async {
        let sheet = book
            .add_worksheet_with_constant_memory()
            .map_err(AppError::internal)?;
        sheet
            .write_row(0, 0, headers(report, lang))
            .map_err(AppError::internal)?;
        let mut row: u32 = 1;
        let mut page = first;
        loop {
            for r in &page.rows {
                for (c, column) in report.columns.iter().enumerate() {
                    let v = r.pointer(column.at).unwrap_or(&Value::Null);
                    let c = c as u16;
                    match v.as_f64() {
                        Some(n) => sheet.write_number(row, c, rounded(n)).map(|_| ()),
                        None => sheet.write_string(row, c, text(v, lang)).map(|_| ()),
                    }
                    .map_err(AppError::internal)?;
                }
                row += 1;
            }
            let Some(after) = page.next.take() else {
                return Ok(());
            };
            page = match run.page(&vars, Some(&after)).await {
                Ok(p) => p,
                Err(_) => return Err(AppError::internal("an export page was refused midway")),
            };
        }
    }
    .await;
    if let Err(e) = written {
        return refuse(&run.meta, e);
    }
    let saved = tokio::task::spawn_blocking(move || book.save_to_buffer()).await;
    match saved {
        Ok(Ok(bytes)) => attachment(Body::from(bytes), Format::Xlsx, report),
        Ok(Err(e)) => refuse(&run.meta, AppError::internal(e)),
        Err(e) => refuse(&run.meta, AppError::internal(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_written_to_four_decimals_and_counts_as_integers() {
        // Sở Xây dựng's score in the issue: 69 of 91 points.
        assert_eq!(text(&serde_json::json!(69.0 / 91.0), Lang::Vi), "0.7582");
        assert_eq!(text(&serde_json::json!(2.0 / 3.0), Lang::Vi), "0.6667");
        assert_eq!(text(&serde_json::json!(1.0), Lang::Vi), "1");
        assert_eq!(text(&serde_json::json!(12345), Lang::Vi), "12345");
    }

    #[test]
    fn a_file_name_names_a_report_and_a_format() {
        assert_eq!(
            asked("statistics.csv").map(|(r, f)| (r.name, f)),
            Some(("statistics", Format::Csv))
        );
        assert_eq!(
            asked("dossiers.xlsx").map(|(r, f)| (r.name, f)),
            Some(("dossiers", Format::Xlsx))
        );
        assert!(asked("dossiers.pdf").is_none());
        assert!(asked("accounts.csv").is_none());
        assert!(asked("csv").is_none());
    }

    #[test]
    fn parameters_are_the_reports_variables_only() {
        let p = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let v = variables(
            &STATISTICS,
            &[p("filter", "{\"year\":2026}"), p("groupBy", "AGENCY")],
        )
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({ "filter": { "year": 2026 }, "groupBy": "AGENCY" })
        );
        assert!(matches!(
            variables(&STATISTICS, &[p("first", "5")]),
            Err(AppError::BadInput { field, .. }) if field == "first"
        ));
        assert!(matches!(
            variables(&DOSSIERS, &[p("filter", "{not json")]),
            Err(AppError::BadInput { field, .. }) if field == "filter"
        ));
        assert!(matches!(
            variables(&EVALUATION, &[p("agencyId", "1"), p("agencyId", "2")]),
            Err(AppError::BadInput { field, .. }) if field == "agencyId"
        ));
    }

    #[test]
    fn a_cell_a_spreadsheet_would_run_is_made_text() {
        let rows = vec![
            serde_json::json!({ "key": "=HYPERLINK(\"http://x\",\"Xem\")", "label": "+cmd|' /C calc'!A0", "received": 4 }),
        ];
        let out =
            String::from_utf8(csv_lines(&STATISTICS, &rows, Lang::Vi, false).unwrap()).unwrap();
        assert!(
            out.starts_with("\"'=HYPERLINK(\"\"http://x\"\",\"\"Xem\"\")\",'+cmd|' /C calc'!A0,4,"),
            "{out}"
        );
        assert_eq!(inert("-2"), "'-2");
        assert_eq!(inert("Nguyễn Văn An"), "Nguyễn Văn An");
    }

    #[test]
    fn csv_quotes_what_needs_it_and_masks_nothing_itself() {
        let rows = vec![
            serde_json::json!({ "key": "1", "label": "Sở Xây dựng, \"SXD\"", "received": 4, "onlineShare": null }),
        ];
        let out =
            String::from_utf8(csv_lines(&STATISTICS, &rows, Lang::Vi, true).unwrap()).unwrap();
        let mut lines = out.lines();
        assert!(lines.next().unwrap().starts_with("Mã,Tên,Tiếp nhận,"));
        assert!(lines
            .next()
            .unwrap()
            .starts_with("1,\"Sở Xây dựng, \"\"SXD\"\"\",4,,"));
    }
}
