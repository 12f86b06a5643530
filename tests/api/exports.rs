//! Exports (issue 16, item 12): `GET /exports/{report}.{csv|xlsx}` runs
//! the report's GraphQL query as the caller, so it says what the query
//! says, to whom the query would say it.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::fixtures::{flow, Flow};
use crate::helpers::TestApp;

/// An export's status, content type and bytes.
async fn export(
    t: &TestApp,
    token: Option<&str>,
    path: &str,
    params: &[(&str, &str)],
) -> (StatusCode, String, Vec<u8>) {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    let mut req = Request::get(format!("/exports/{path}?{}", query.join("&")));
    if let Some(token) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let resp = t
        .app
        .router()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, content_type, bytes)
}

/// Percent-encodes a query parameter's value.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A CSV export's rows (header first), after its byte-order mark.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a UTF-8 byte-order mark");
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
}

fn csv_header(bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes)
        .unwrap()
        .trim_start_matches('\u{feff}');
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.headers().unwrap().iter().map(str::to_owned).collect()
}

/// An XLSX export's first sheet, as text cells.
fn xlsx_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// A flow with one dossier returned and one processing.
async fn active() -> Flow {
    let f = flow().await;
    let d = f.processing().await;
    let d = f.approved(&d).await;
    f.paid(&d).await;
    f.ok(&f.reception, "returnResult", &d, ", method: COUNTER")
        .await;
    f.processing().await;
    f
}

#[tokio::test]
async fn the_statistics_export_says_what_the_query_says_in_both_formats() {
    let f = active().await;
    let q = "{ statistics(groupBy: AGENCY) { rows { key label received settled onTimeRate } total { received } } }";
    let stats = f.t.data(None, q, json!({})).await["statistics"].clone();
    let rows = stats["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{stats}");

    let (status, content_type, bytes) =
        export(&f.t, None, "statistics.csv", &[("groupBy", "AGENCY")]).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(content_type, "text/csv; charset=utf-8");
    let header = csv_header(&bytes);
    assert_eq!(
        &header[..4],
        ["Mã", "Tên", "Tiếp nhận", "Tiếp nhận trực tuyến"]
    );
    let lines = csv_rows(&bytes);
    // The agency's row, then the total.
    assert_eq!(lines.len(), 2, "{lines:?}");
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = &lines[0];
    assert_eq!(row[at("Mã")], rows[0]["key"].as_str().unwrap());
    assert_eq!(row[at("Tên")], rows[0]["label"].as_str().unwrap());
    assert!(row[at("Tên")].starts_with("Sở Xây dựng"), "{row:?}");
    assert_eq!(row[at("Tiếp nhận")], "2");
    assert_eq!(row[at("Đã giải quyết")], "1");
    // The one settled dossier was on time: 100 %, written 1 (rates are
    // rounded to four decimals, not "1.0" or 0.7582417582417582).
    assert_eq!(rows[0]["onTimeRate"], 1.0);
    assert_eq!(row[at("Tỷ lệ đúng hạn")], "1");
    assert_eq!(
        lines[1][at("Tiếp nhận")],
        stats["total"]["received"].to_string()
    );

    // English headers when asked; the same numbers in Excel.
    let (status, content_type, bytes) =
        export(&f.t, None, "statistics.xlsx", &[("groupBy", "AGENCY")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let sheet = xlsx_rows(bytes);
    assert_eq!(sheet[0][1], "Tên");
    assert_eq!(sheet[1][1], rows[0]["label"].as_str().unwrap());
    assert_eq!(sheet[1][2], "2");
    assert_eq!(sheet.len(), 3);

    // Without a grouping the one row is the total, written once.
    let (_, _, bytes) = export(&f.t, None, "statistics.csv", &[]).await;
    let lines = csv_rows(&bytes);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0][2], "2");
}

#[tokio::test]
async fn the_evaluation_export_ranks_as_the_query_ranks() {
    let f = active().await;
    let q = "{ agencyEvaluation { agencies { rank agency { code name } points measured } } }";
    let e = f.t.data(None, q, json!({})).await["agencyEvaluation"]["agencies"].clone();
    let (status, _, bytes) = export(&f.t, None, "evaluation.xlsx", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let sheet = xlsx_rows(bytes);
    assert_eq!(sheet[0][..3], ["Xếp hạng", "Mã cơ quan", "Cơ quan"]);
    let agencies = e.as_array().unwrap();
    assert_eq!(sheet.len(), agencies.len() + 1);
    // In the query's order, with its ranks and points.
    let number = |s: &str| s.parse::<f64>().unwrap();
    assert_eq!(number(&sheet[1][0]), agencies[0]["rank"].as_f64().unwrap());
    assert_eq!(sheet[1][2], agencies[0]["agency"]["name"].as_str().unwrap());
    let measured = agencies[0]["measured"].as_bool().unwrap();
    assert_eq!(sheet[1][3], if measured { "Có" } else { "Không" });
    assert_eq!(
        number(&sheet[1][4]),
        agencies[0]["points"].as_f64().unwrap()
    );
    let department = sheet
        .iter()
        .find(|r| {
            r[1] == agencies.iter().find(|a| a["measured"] == true).unwrap()["agency"]["code"]
                .as_str()
                .unwrap()
        })
        .unwrap();
    assert_eq!(department[3], "Có");
}

#[tokio::test]
async fn an_officials_dossier_list_is_streamed_whole_with_the_same_filters() {
    let f = flow().await;
    // More than a page (100) of submitted dossiers, and one received.
    for _ in 0..104 {
        f.submitted().await;
    }
    let received = f.submitted().await;
    let received = f.ok(&f.reception, "receiveDossier", &received, "").await;

    let filter = json!({ "statuses": ["SUBMITTED"] }).to_string();
    let (status, _, bytes) = export(
        &f.t,
        Some(&f.reception),
        "dossiers.csv",
        &[("filter", &filter)],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let header = csv_header(&bytes);
    let lines = csv_rows(&bytes);
    assert_eq!(lines.len(), 104, "every submitted dossier, across pages");
    let status_at = header.iter().position(|h| h == "Trạng thái").unwrap();
    assert!(
        lines.iter().all(|l| l[status_at] == "Chờ tiếp nhận"),
        "{lines:?}"
    );
    let name_at = header.iter().position(|h| h == "Người nộp").unwrap();
    assert_eq!(lines[0][name_at], "Nguyễn Văn An");
    // Enumerations as their labels, in the caller's language.
    let channel_at = header.iter().position(|h| h == "Kênh nộp").unwrap();
    assert!(
        lines.iter().all(|l| l[channel_at] == "Trực tuyến"),
        "{lines:?}"
    );

    // Everything the reception officer sees, in Excel: 105, received
    // first (the others are not yet received: after every time).
    let order = json!({ "field": "RECEIVED_AT" }).to_string();
    let (status, _, bytes) = export(
        &f.t,
        Some(&f.reception),
        "dossiers.xlsx",
        &[("orderBy", &order)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let sheet = xlsx_rows(bytes);
    assert_eq!(sheet.len(), 106);
    assert_eq!(sheet[1][0], received["code"].as_str().unwrap());

    // The list read is audited as the query's is.
    let admin = f.t.login_demo("quantri@demo.motcua.vn").await;
    let log = f
        .t
        .data(Some(&admin), "{ auditLog(filter: { operation: \"listDossiers\" }, first: 100) { totalCount edges { node { actorRole } } } }", json!({}))
        .await;
    // Once per page shown: two pages of the CSV, two of the workbook.
    assert_eq!(log["auditLog"]["totalCount"], 4, "{log}");
    assert_eq!(
        log["auditLog"]["edges"][0]["node"]["actorRole"],
        "RECEPTION_OFFICER"
    );
}

#[tokio::test]
async fn exports_refuse_as_the_queries_do() {
    let f = flow().await;
    f.submitted().await;
    let code = |bytes: &[u8]| -> String {
        let v: Value = serde_json::from_slice(bytes).unwrap();
        v["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Nobody signed in: no dossier list.
    let (status, content_type, bytes) = export(&f.t, None, "dossiers.csv", &[]).await;
    assert_eq!(
        (status, code(&bytes).as_str()),
        (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED")
    );
    assert!(content_type.starts_with("application/json"));
    // A bad token is never taken for nobody.
    let (status, _, _) = export(&f.t, Some("not-a-token"), "statistics.csv", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // An analyst sees applicants masked, and may not single one out.
    let analyst = f.t.login_demo("phantich@demo.motcua.vn").await;
    let (status, _, bytes) = export(&f.t, Some(&analyst), "dossiers.csv", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let header = csv_header(&bytes);
    let name_at = header.iter().position(|h| h == "Người nộp").unwrap();
    let lines = csv_rows(&bytes);
    assert!(!lines.is_empty());
    assert!(
        lines.iter().all(|l| l[name_at] != "Nguyễn Văn An"),
        "{lines:?}"
    );
    let by_id = json!({ "applicantIdNumber": "051090001234" }).to_string();
    let (status, _, bytes) =
        export(&f.t, Some(&analyst), "dossiers.csv", &[("filter", &by_id)]).await;
    assert_eq!(
        (status, code(&bytes).as_str()),
        (StatusCode::FORBIDDEN, "FORBIDDEN")
    );
    // Bad input: a parameter the report does not take, JSON that does not
    // parse, a value of the wrong type; an unknown report or format.
    for (path, params, field) in [
        ("statistics.csv", vec![("first", "5")], "first"),
        ("dossiers.csv", vec![("filter", "{nope")], "filter"),
        ("statistics.csv", vec![("groupBy", "WEEKDAY")], "groupBy"),
    ] {
        let (status, _, bytes) = export(&f.t, Some(&f.reception), path, &params).await;
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{v}"
        );
        assert_eq!(v["errors"][0]["extensions"]["field"], field, "{v}");
        // Nothing points into the report's own query.
        assert!(v["errors"][0].get("locations").is_none(), "{v}");
        assert!(v["errors"][0].get("path").is_none(), "{v}");
    }
    // Told in Vietnamese with the same names as in English.
    let (_, _, bytes) = export(&f.t, None, "statistics.csv", &[("groupBy", "WEEKDAY")]).await;
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    let message = v["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("kiểu liệt kê \"StatisticsGroup\" không có giá trị \"WEEKDAY\""),
        "{message}"
    );
    for path in ["accounts.csv", "statistics.pdf"] {
        let (status, _, bytes) = export(&f.t, None, path, &[]).await;
        assert_eq!(
            (status, code(&bytes).as_str()),
            (StatusCode::NOT_FOUND, "NOT_FOUND")
        );
    }
}
