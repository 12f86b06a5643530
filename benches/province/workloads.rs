//! The read workloads and what each system is asked. motcua gets its own
//! API; PostGraphile gets its generated one (`allDossiers`, `dossierById`,
//! `procedureByProcedureId` …) with the filter motcua's role scope
//! applies written out as a `filter` (postgraphile-plugin-connection-filter):
//! PostGraphile has no access control of its own, so it is handed what a
//! role would see — and it has no aggregates, hence no statistics.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::json;

use super::load::{Call, Maker};

/// One row group of the table: a workload at each concurrency.
pub struct Workload {
    pub name: &'static str,
    pub motcua: Maker,
    /// `None`: PostGraphile cannot answer it.
    pub postgraphile: Option<Maker>,
}

/// The demo officers' sessions on motcua.
pub struct Sessions {
    pub reception: String,
    pub specialist: String,
    pub leader: String,
}

/// What the workloads pick from: sampled from the filled database.
pub struct Targets {
    /// (code, the applicant's ID number) of dossiers with a code.
    pub tracked: Vec<(String, String)>,
    /// Open dossiers of Sở Xây dựng (the leader reads them).
    pub details: Vec<i64>,
    pub centre_subtree: Vec<i64>,
    pub department_subtree: Vec<i64>,
    /// chuyenvien@'s account id.
    pub specialist_id: i64,
}

impl Targets {
    /// Samples the database (as `postgres`, whose statements are not counted).
    pub async fn sample(db: &DatabaseConnection) -> Targets {
        let rows = |sql: &'static str| async move {
            db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
        };
        // Enough that no code or ID number is looked up 20 times an hour
        // (motcua's throttle) over a run.
        let tracked = rows(
            "SELECT code, applicant_id_number FROM dossier \
             WHERE code IS NOT NULL AND applicant_id_number IS NOT NULL ORDER BY random() LIMIT 50000",
        )
        .await
        .into_iter()
        .map(|r| {
            (
                r.try_get_by_index(0).expect("code"),
                r.try_get_by_index(1).expect("id number"),
            )
        })
        .collect();
        let ids = |rows: Vec<sea_orm::QueryResult>| -> Vec<i64> {
            rows.into_iter()
                .map(|r| r.try_get_by_index(0).expect("id"))
                .collect()
        };
        let subtree = "WITH RECURSIVE t(id) AS (SELECT id FROM agency WHERE code = '{code}' \
                       UNION ALL SELECT a.id FROM agency a JOIN t ON a.parent_id = t.id) SELECT id FROM t ORDER BY id";
        let centre_sql = subtree.replace("{code}", super::fill::CENTRE_CODE);
        let department_sql = subtree.replace("{code}", super::fill::DEPARTMENT_CODE);
        let backend = db.get_database_backend();
        let query = |sql: String| async move {
            db.query_all_raw(Statement::from_string(backend, sql))
                .await
                .expect("query")
        };
        let department_subtree = ids(query(department_sql).await);
        let details = ids(query(format!(
            "SELECT id FROM dossier WHERE settling_agency_id = {} \
             AND status IN ('RECEIVED', 'PROCESSING', 'AWAITING_APPROVAL', 'RESULT_READY') \
             ORDER BY random() LIMIT 5000",
            department_subtree[0]
        ))
        .await);
        Targets {
            tracked,
            details,
            centre_subtree: ids(query(centre_sql).await),
            department_subtree,
            specialist_id: ids(rows(
                "SELECT id FROM account WHERE email = 'chuyenvien@demo.motcua.vn'",
            )
            .await)[0],
        }
    }
}

/// A query with its variables, as the body of a POST.
fn body(query: &str, variables: serde_json::Value) -> String {
    json!({ "query": query, "variables": variables }).to_string()
}

/// The same request every time.
fn fixed(query: String, token: Option<&str>) -> Maker {
    let headers = bearer(token);
    let body = body(&query, json!({}));
    Arc::new(move |_| {
        Some(Call {
            body: body.clone(),
            headers: headers.clone(),
        })
    })
}

fn bearer(token: Option<&str>) -> Vec<(&'static str, String)> {
    token
        .map(|t| vec![("authorization", format!("Bearer {t}"))])
        .unwrap_or_default()
}

/// `[1, 2]` as a GraphQL list of BigInt strings.
fn list(ids: &[i64]) -> String {
    let quoted: Vec<String> = ids.iter().map(|i| format!("\"{i}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

const MOTCUA_TRACK: &str = "query($c: String!, $n: String!) { trackDossier(code: $c, idNumberOrPhone: $n) { code procedureName applicantName status receivedAt dueAt } }";
const PG_TRACK: &str = "query($c: String!, $n: String!) { allDossiers(condition: { code: $c, applicantIdNumber: $n }, first: 1) { nodes { code status receivedAt dueAt applicantName procedureByProcedureId { name } } } }";
const MOTCUA_QUEUE: &str = "{ workQueue(first: 50) { totalCount nodes { id code status dueAt procedure { name } settlingAgency { name } applicant { name idNumber } } } }";
const MOTCUA_DETAIL: &str = "query($id: ID!) { dossier(id: $id) { id code status dueAt applicant { name idNumber phone } procedure { name } settlingAgency { name } receivingAgency { name } history { seq action toStatus at } } }";
const PG_DETAIL: &str = "query($id: BigInt!) { dossierById(id: $id) { id code status dueAt applicantName applicantIdNumber applicantPhone procedureByProcedureId { name } agencyBySettlingAgencyId { name } agencyByReceivingAgencyId { name } dossierEventsByDossierId(orderBy: SEQ_ASC) { nodes { seq action toStatus at } } } }";

const MOTCUA_SEARCH: &str = "query($s: String!) { dossiers(first: 20, filter: { search: $s }) { totalCount nodes { id code status dueAt applicant { name phone } } } }";

/// Names as an officer types them: without diacritics, a part of the name.
const NAME_FRAGMENTS: [&str; 8] = [
    "nguyen van an",
    "tran thi",
    "dang minh hai",
    "pham ngoc lan",
    "hoang huu",
    "vo thanh son",
    "le van",
    "huynh thi trang",
];

/// An officer's search (`dossiers(filter: { search })`): by a name
/// fragment, or by a phone fragment of six digits typed with a dot.
/// PostGraphile has no diacritics-insensitive search.
fn search(token: &str, by_phone: bool) -> Maker {
    let headers = bearer(Some(token));
    Arc::new(move |n| {
        let s = if by_phone {
            let digits = format!("{:06}", (n * 7_919 + 104_729) % 1_000_000);
            format!("{}.{}", &digits[..3], &digits[3..])
        } else {
            NAME_FRAGMENTS[n as usize % NAME_FRAGMENTS.len()].to_owned()
        };
        Some(Call {
            body: body(MOTCUA_SEARCH, json!({ "s": s })),
            headers: headers.clone(),
        })
    })
}

/// PostGraphile's page of 50 with the same fields as motcua's work queue.
fn pg_queue(filter: &str) -> String {
    format!(
        "{{ allDossiers(first: 50, orderBy: PRIMARY_KEY_ASC, filter: {filter}) {{ totalCount nodes {{ id code status dueAt \
         procedureByProcedureId {{ name }} agencyBySettlingAgencyId {{ name }} applicantName applicantIdNumber }} }} }}"
    )
}

/// Every read workload, in the table's order.
pub fn all(t: &Targets, s: &Sessions) -> Vec<Workload> {
    let tracked = Arc::new(t.tracked.clone());
    let track = |query: &'static str, forwarded: bool| -> Maker {
        let tracked = tracked.clone();
        // Counted across the cells: each lookup is of another dossier,
        // from another address, until the sample runs out.
        let count = Arc::new(AtomicU64::new(0));
        Arc::new(move |_| {
            let n = count.fetch_add(1, Ordering::Relaxed);
            let (code, id_number) = &tracked[(n as usize * 7_919) % tracked.len()];
            // Each lookup from another citizen's address: motcua throttles
            // 30 lookups per address per 10 minutes (MOTCUA_TRUST_FORWARDED_FOR).
            let headers = if forwarded {
                vec![(
                    "x-forwarded-for",
                    format!("127.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255),
                )]
            } else {
                Vec::new()
            };
            Some(Call {
                body: body(query, json!({ "c": code, "n": id_number })),
                headers,
            })
        })
    };
    let detail = |query: &'static str, token: Option<String>| -> Maker {
        let ids = Arc::new(t.details.clone());
        let headers = bearer(token.as_deref());
        Arc::new(move |n| {
            Some(Call {
                body: body(
                    query,
                    json!({ "id": ids[n as usize % ids.len()].to_string() }),
                ),
                headers: headers.clone(),
            })
        })
    };
    let centre = list(&t.centre_subtree);
    let department = list(&t.department_subtree);
    let asked = format!(
        "{{ dossierTasksByDossierId: {{ some: {{ status: {{ equalTo: \"OPEN\" }}, agencyId: {{ in: {department} }} }} }} }}"
    );
    let reception = format!(
        "{{ receivingAgencyId: {{ in: {centre} }}, status: {{ in: [\"SUBMITTED\", \"RECEIVED\", \"RESULT_READY\"] }} }}"
    );
    let specialist = format!(
        "{{ or: [{{ settlingAgencyId: {{ in: {department} }}, status: {{ equalTo: \"PROCESSING\" }}, \
         or: [{{ handlerAccountId: {{ isNull: true }} }}, {{ handlerAccountId: {{ equalTo: \"{}\" }} }}] }}, {asked}] }}",
        t.specialist_id
    );
    let leader = format!(
        "{{ or: [{{ settlingAgencyId: {{ in: {department} }}, status: {{ in: [\"AWAITING_APPROVAL\", \"PROCESSING\"] }} }}, {asked}] }}"
    );
    vec![
        Workload {
            name: "trackDossier (public)",
            motcua: track(MOTCUA_TRACK, true),
            postgraphile: Some(track(PG_TRACK, false)),
        },
        Workload {
            name: "workQueue(first: 50), reception officer",
            motcua: fixed(MOTCUA_QUEUE.into(), Some(&s.reception)),
            postgraphile: Some(fixed(pg_queue(&reception), None)),
        },
        Workload {
            name: "workQueue(first: 50), specialist",
            motcua: fixed(MOTCUA_QUEUE.into(), Some(&s.specialist)),
            postgraphile: Some(fixed(pg_queue(&specialist), None)),
        },
        Workload {
            name: "workQueue(first: 50), leader",
            motcua: fixed(MOTCUA_QUEUE.into(), Some(&s.leader)),
            postgraphile: Some(fixed(pg_queue(&leader), None)),
        },
        Workload {
            name: "dossier(id) with history, leader",
            motcua: detail(MOTCUA_DETAIL, Some(s.leader.clone())),
            postgraphile: Some(detail(PG_DETAIL, None)),
        },
        Workload {
            name: "search: dossiers(filter: { search }) by name, reception officer",
            motcua: search(&s.reception, false),
            postgraphile: None,
        },
        Workload {
            name: "search: dossiers(filter: { search }) by phone, reception officer",
            motcua: search(&s.reception, true),
            postgraphile: None,
        },
        Workload {
            name: "statistics(groupBy: AGENCY), the year",
            motcua: fixed(
                "{ statistics(groupBy: AGENCY) { rows { key label received settled onTimeRate } } }".into(),
                None,
            ),
            postgraphile: None,
        },
        Workload {
            name: "statistics(groupBy: MONTH), the year",
            motcua: fixed(
                "{ statistics(groupBy: MONTH) { rows { key received settled onTimeRate } } }".into(),
                None,
            ),
            postgraphile: None,
        },
    ]
}

/// For reference beside the statistics: one SQL GROUP BY over the year's
/// dossiers (what an aggregates plugin would run on every request, where
/// motcua reads its rollup), timed once warm, in ms.
pub async fn raw_group_by(db: &DatabaseConnection) -> Vec<(&'static str, f64)> {
    let year = "received_at >= date_trunc('year', now() AT TIME ZONE 'Asia/Ho_Chi_Minh') AT TIME ZONE 'Asia/Ho_Chi_Minh'";
    let counts =
        "count(*), count(settled_at), count(*) FILTER (WHERE timeliness IN ('EARLY', 'ON_TIME'))";
    let mut out = Vec::new();
    for (name, sql) in [
        (
            "by agency",
            format!("SELECT settling_agency_id, {counts} FROM dossier WHERE {year} GROUP BY 1"),
        ),
        (
            "by month",
            format!(
                "SELECT date_trunc('month', received_at AT TIME ZONE 'Asia/Ho_Chi_Minh'), {counts} \
                 FROM dossier WHERE {year} GROUP BY 1"
            ),
        ),
    ] {
        let mut best = f64::MAX;
        for _ in 0..3 {
            let t = std::time::Instant::now();
            db.query_all_raw(Statement::from_string(
                db.get_database_backend(),
                sql.clone(),
            ))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
            best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        }
        out.push((name, best));
    }
    out
}
