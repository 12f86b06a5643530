//! A province's year of dossiers, for the benches that need many of them
//! (`statistics`, `province`): one generator, so that both measure the
//! same data. Included with `#[path = "common/fill.rs"] mod fill;`.
//!
//! The year: 70 % online, 85 % returned, a third of those rated, half the
//! dossiers with a file, every applicant with a name, a 12-digit ID number
//! and a phone, every open dossier with its history; an agency's
//! processing dossiers are two in five its demo specialist's (when it has
//! one); one in ten of the departments' processing dossiers asks Sở Xây
//! dựng's opinion (open), one in 25 returned had a task (answered). `Mix`
//! adds open work for the demo officers' queues and a block of dossiers
//! waiting for reception. The SQL is the same on SQLite and PostgreSQL.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use entity::{account_role, agency, dossier, procedure, procedure_agency};
use motcua::app::App;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Set, Statement};

// 38 columns a row: 500 rows stay under SQLite's 32,766 bound variables.
const BATCH: usize = 500;
/// Trung tâm Phục vụ hành chính công tỉnh: it receives for the departments.
pub const CENTRE_CODE: &str = "000.00.12.H56";
/// Sở Xây dựng: the demo specialist's and leader's department.
pub const DEPARTMENT_CODE: &str = "000.00.05.H56";
/// The procedure of the dossiers waiting for reception: Sở Xây dựng's
/// "Cấp Giấy phép xe tập lái", which has no fee to pay before reception.
const AWAITING_PROCEDURE: &str = "1.002030";

/// What is filled on top of the year's dossiers.
pub struct Mix {
    /// Per hundred dossiers, this many are open work received at the
    /// provincial centre (half of them Sở Xây dựng's): the demo
    /// officers' queues.
    pub open_work_percent: usize,
    /// The last dossiers, submitted online and waiting for reception at
    /// the provincial centre, with consecutive ids.
    pub awaiting_reception: usize,
}

/// What the fill made.
pub struct Filled {
    /// The ids of the dossiers waiting for reception (`Mix::awaiting_reception`).
    pub awaiting: std::ops::RangeInclusive<i64>,
    pub seconds: f64,
}

/// A procedure as one agency settles it, and the one-stop unit that
/// receives its dossiers.
#[derive(Clone, Copy)]
pub struct Pair {
    pub procedure_id: i64,
    pub agency_id: i64,
    pub receiving_id: i64,
}

/// The demo province, as the fill needs it.
pub struct Province {
    /// Every procedure of every agency.
    pub pairs: Vec<Pair>,
    /// Those the provincial centre receives (the departments').
    pub centre_pairs: Vec<Pair>,
    /// Sở Xây dựng's.
    pub department_pairs: Vec<Pair>,
    /// The procedure of the dossiers waiting for reception.
    pub awaiting_pair: Pair,
    pub centre_id: i64,
    pub department_id: i64,
    /// The demo specialist of each agency that has one.
    pub specialists: HashMap<i64, i64>,
}

impl Province {
    pub async fn load(db: &impl ConnectionTrait) -> Province {
        let agencies: HashMap<i64, agency::Model> = agency::Entity::find()
            .all(db)
            .await
            .expect("agencies")
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let id_of = |code: &str| {
            agencies
                .values()
                .find(|a| a.code == code)
                .map(|a| a.id)
                .unwrap_or_else(|| panic!("the demo agency {code}"))
        };
        let (centre_id, department_id) = (id_of(CENTRE_CODE), id_of(DEPARTMENT_CODE));
        let awaiting_procedure = procedure::Entity::find()
            .all(db)
            .await
            .expect("procedures")
            .into_iter()
            .find(|p| p.code == AWAITING_PROCEDURE)
            .map(|p| p.id)
            .expect("the demo procedure of the dossiers waiting for reception");
        let mut receiving = HashMap::new();
        let mut pairs = Vec::new();
        for pa in procedure_agency::Entity::find()
            .all(db)
            .await
            .expect("procedures")
        {
            let receiving_id = match receiving.get(&pa.agency_id) {
                Some(r) => *r,
                None => {
                    let r = receiving_unit(db, &agencies, pa.agency_id).await;
                    receiving.insert(pa.agency_id, r);
                    r
                }
            };
            pairs.push(Pair {
                procedure_id: pa.procedure_id,
                agency_id: pa.agency_id,
                receiving_id,
            });
        }
        let specialists = account_role::Entity::find()
            .order_by_asc(account_role::Column::Id)
            .all(db)
            .await
            .expect("roles")
            .into_iter()
            .filter(|r| r.role == "SPECIALIST")
            .filter_map(|r| Some((r.agency_id?, r.account_id)))
            .collect();
        let department_pairs: Vec<Pair> = pairs
            .iter()
            .copied()
            .filter(|p| p.agency_id == department_id)
            .collect();
        Province {
            awaiting_pair: *department_pairs
                .iter()
                .find(|p| p.procedure_id == awaiting_procedure)
                .expect("Sở Xây dựng settles it"),
            department_pairs,
            centre_pairs: pairs
                .iter()
                .copied()
                .filter(|p| p.receiving_id == centre_id)
                .collect(),
            pairs,
            centre_id,
            department_id,
            specialists,
        }
    }
}

/// The one-stop unit that receives an agency's dossiers, as intake finds
/// it: the agency itself when it is one, else the first active one-stop
/// child of the nearest ancestor that has one.
async fn receiving_unit(
    db: &impl ConnectionTrait,
    agencies: &HashMap<i64, agency::Model>,
    agency_id: i64,
) -> i64 {
    let lineage = motcua::store::agencies::lineage(db, agency_id)
        .await
        .expect("lineage");
    if agencies[&agency_id].kind == "ONE_STOP_UNIT" {
        return agency_id;
    }
    lineage
        .iter()
        .find_map(|ancestor| {
            agencies
                .values()
                .filter(|a| a.parent_id == Some(*ancestor))
                .filter(|a| a.kind == "ONE_STOP_UNIT" && a.active)
                .map(|a| a.id)
                .min()
        })
        .expect("a one-stop unit receives for every agency")
}

/// The server started on `database_url` with the demo province (no demo
/// activity), its files under `data_dir`: what `fill` fills.
pub async fn demo_app(database_url: &str, data_dir: &std::path::Path) -> App {
    let config = motcua::config::Config::from_lookup(|k| match k {
        "MOTCUA_DATABASE_URL" => Some(database_url.to_owned()),
        "MOTCUA_DATA_DIR" => Some(data_dir.display().to_string()),
        "MOTCUA_DEMO" => Some("true".into()),
        "MOTCUA_DEMO_ACTIVITY" => Some("false".into()),
        _ => None,
    })
    .expect("config");
    App::start(config).await.expect("start")
}

/// Fills `n` dossiers (the last `mix.awaiting_reception` of them waiting
/// for reception), their ratings, files, histories and consultations.
/// The caller rebuilds the rollup afterwards.
pub async fn fill(app: &App, n: usize, mix: &Mix) -> Filled {
    let db = &app.state.db;
    let province = Province::load(db).await;
    let now = app.now();
    let tz = app.state.config.calendar.tz;
    let year_start = tz
        .with_ymd_and_hms(now.with_timezone(&tz).year(), 1, 1, 0, 0, 0)
        .single()
        .expect("new year")
        .with_timezone(&Utc);
    let span = (now - year_start).num_seconds().max(1);
    let mut rng = rand::rngs::StdRng::seed_from_u64(766);
    let awaiting = mix.awaiting_reception.min(n);

    let started = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..n {
        let row = if i >= n - awaiting {
            awaiting_row(i, province.awaiting_pair, now)
        } else if i % 100 < mix.open_work_percent {
            let pairs = if i % 2 == 0 {
                &province.department_pairs
            } else {
                &province.centre_pairs
            };
            let pair = pairs[rng.random_range(0..pairs.len())];
            open_work(i, pair, &province, now, &mut rng)
        } else {
            one(i, &province, year_start, span, now, &mut rng)
        };
        batch.push(row);
        if batch.len() == BATCH || i + 1 == n {
            dossier::Entity::insert_many(std::mem::take(&mut batch))
                .exec(db)
                .await
                .expect("insert");
        }
    }
    let backend = db.get_database_backend();
    let centre = province.centre_id;
    let department = province.department_id;
    for sql in [
        // A third of the returned are rated; half the dossiers have a file.
        "INSERT INTO rating (dossier_id, account_id, agency_id, procedure_id, field_id, service_use, staff_attitude, processing_time, comment, rated_at, revised_at) \
         SELECT d.id, 1, d.settling_agency_id, d.procedure_id, p.field_id, \
           CASE WHEN d.id % 10 = 0 THEN 'NOT_SATISFIED' ELSE 'VERY_SATISFIED' END, 'SATISFIED', \
           CASE WHEN d.id % 7 = 0 THEN 'NOT_SATISFIED' ELSE 'SATISFIED' END, NULL, d.settled_at, NULL \
         FROM dossier d JOIN procedure p ON p.id = d.procedure_id WHERE d.status = 'RETURNED' AND d.id % 3 = 0".to_owned(),
        "INSERT INTO attachment (dossier_id, component, filename, content_type, size_bytes, sha256, uploaded_by, created_at) \
         SELECT id, 'Đơn đề nghị', 'don.pdf', 'application/pdf', 100000, 'bench', NULL, created_at FROM dossier WHERE id % 2 = 0".to_owned(),
        // Every open dossier's history: created, submitted, received,
        // transferred, proposed, approved, as far as its status goes
        // (its version is the number of steps).
        format!(
            "INSERT INTO dossier_event (dossier_id, seq, action, from_status, to_status, actor_account_id, actor_role, actor_agency_id, note, data, at) \
             SELECT d.id, s.seq, \
               CASE s.seq WHEN 1 THEN 'CREATE' WHEN 2 THEN 'SUBMIT' WHEN 3 THEN 'RECEIVE' WHEN 4 THEN 'TRANSFER' WHEN 5 THEN 'SUBMIT_FOR_APPROVAL' ELSE 'APPROVE' END, \
               CASE s.seq WHEN 1 THEN NULL WHEN 2 THEN 'DRAFT' WHEN 3 THEN 'SUBMITTED' WHEN 4 THEN 'RECEIVED' WHEN 5 THEN 'PROCESSING' ELSE 'AWAITING_APPROVAL' END, \
               CASE s.seq WHEN 1 THEN 'DRAFT' WHEN 2 THEN 'SUBMITTED' WHEN 3 THEN 'RECEIVED' WHEN 4 THEN 'PROCESSING' WHEN 5 THEN 'AWAITING_APPROVAL' ELSE 'RESULT_READY' END, \
               NULL, NULL, CASE WHEN s.seq IN (3, 4) THEN {centre} WHEN s.seq > 4 THEN d.settling_agency_id END, NULL, '{{}}', \
               CASE s.seq WHEN 1 THEN d.created_at WHEN 2 THEN d.submitted_at WHEN 3 THEN d.received_at WHEN 4 THEN d.transferred_at ELSE d.updated_at END \
             FROM dossier d JOIN (SELECT 1 AS seq UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6) s ON s.seq <= d.version \
             WHERE d.status IN ('SUBMITTED', 'RECEIVED', 'PROCESSING', 'AWAITING_APPROVAL', 'RESULT_READY')"
        ),
        // Other departments ask Sở Xây dựng's opinion on one in ten of
        // their processing dossiers: open, in its officials' queues.
        format!(
            "INSERT INTO dossier_task (dossier_id, kind, agency_id, content, deadline, status, created_at) \
             SELECT id, 'CONSULTATION', {department}, 'Đề nghị cho ý kiến về hồ sơ', due_at, 'OPEN', transferred_at \
             FROM dossier WHERE status = 'PROCESSING' AND receiving_agency_id = {centre} AND settling_agency_id <> {department} AND id % 10 = 3"
        ),
        // One in 25 returned dossiers had a consultation or an
        // inter-agency task, answered.
        format!(
            "INSERT INTO dossier_task (dossier_id, kind, agency_id, content, deadline, status, answer, answered_at, created_at) \
             SELECT id, CASE WHEN id % 2 = 0 THEN 'CONSULTATION' ELSE 'INTER_AGENCY' END, {department}, 'Đề nghị phối hợp giải quyết', \
               due_at, 'DONE', 'Thống nhất', settled_at, transferred_at \
             FROM dossier WHERE status = 'RETURNED' AND id % 25 = 4"
        ),
    ] {
        db.execute_raw(Statement::from_string(backend, sql))
            .await
            .expect("fill");
    }
    // One writer, in order: the last ids are the waiting block.
    let last = dossier::Entity::find()
        .order_by_desc(dossier::Column::Id)
        .one(db)
        .await
        .expect("the last dossier")
        .map_or(0, |d| d.id);
    Filled {
        awaiting: last - awaiting as i64 + 1..=last,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// The dates and outcome of one dossier.
struct Shape {
    status: &'static str,
    channel: &'static str,
    submitted: DateTime<Utc>,
    received: Option<DateTime<Utc>>,
    transferred: Option<DateTime<Utc>>,
    due: Option<DateTime<Utc>>,
    settled: Option<DateTime<Utc>>,
    supplement_requests: i32,
    reception_seconds: Option<i64>,
    transfer_seconds: Option<i64>,
    updated: DateTime<Utc>,
}

/// One dossier of the year, settled or not: the statistics' mix. (Its
/// random draws are those of the first `statistics` bench, so that its
/// figures stay comparable.)
fn one(
    i: usize,
    province: &Province,
    year_start: DateTime<Utc>,
    span: i64,
    now: DateTime<Utc>,
    rng: &mut impl Rng,
) -> dossier::ActiveModel {
    let pair = province.pairs[rng.random_range(0..province.pairs.len())];
    let received = year_start + Duration::seconds(rng.random_range(0..span));
    let due = received + Duration::days(15);
    let channel = match rng.random_range(0..100) {
        0..70 => "ONLINE",
        70..95 => "DIRECT",
        _ => "POSTAL",
    };
    let recent = now - received < Duration::days(30);
    let status = match rng.random_range(0..100) {
        0..40 if recent => "PROCESSING",
        0..85 => "RETURNED",
        85..90 => "REFUSED",
        90..93 => "WITHDRAWN",
        93..95 => "NOT_ELIGIBLE",
        _ => "PROCESSING",
    };
    let settled = matches!(status, "RETURNED" | "NOT_ELIGIBLE")
        .then(|| (received + Duration::hours(rng.random_range(2..480))).min(now));
    let shape = Shape {
        status,
        channel,
        submitted: received - Duration::hours(2),
        received: Some(received),
        transferred: Some(received),
        due: Some(due),
        settled,
        supplement_requests: match rng.random_range(0..100) {
            0..87 => 0,
            87..97 => 1,
            _ => 2,
        },
        reception_seconds: Some(rng.random_range(0..40_000)),
        transfer_seconds: Some(3_600),
        updated: settled.unwrap_or(received + Duration::hours(1)).min(now),
    };
    row(i, pair, shape, &province.specialists)
}

/// Open work of the last month received at the provincial centre: waiting
/// for reception, received, processing, awaiting approval or with its
/// result ready to return.
fn open_work(
    i: usize,
    pair: Pair,
    province: &Province,
    now: DateTime<Utc>,
    rng: &mut impl Rng,
) -> dossier::ActiveModel {
    let status = match rng.random_range(0..100) {
        0..20 => "SUBMITTED",
        20..35 => "RECEIVED",
        35..65 => "PROCESSING",
        65..80 => "AWAITING_APPROVAL",
        _ => "RESULT_READY",
    };
    let submitted = now - Duration::minutes(rng.random_range(60..30 * 24 * 60));
    let received = (status != "SUBMITTED")
        .then(|| (submitted + Duration::minutes(rng.random_range(10..16 * 60))).min(now));
    let transferred = received
        .filter(|_| status != "RECEIVED")
        .map(|r| (r + Duration::minutes(rng.random_range(10..8 * 60))).min(now));
    let settled = transferred
        .filter(|_| status == "RESULT_READY")
        .map(|t| (t + Duration::hours(rng.random_range(1..240))).min(now));
    let shape = Shape {
        status,
        channel: if rng.random_range(0..100) < 70 {
            "ONLINE"
        } else {
            "DIRECT"
        },
        submitted,
        received,
        transferred,
        due: received.map(|r| r + Duration::days(15)),
        settled,
        supplement_requests: 0,
        reception_seconds: received.map(|r| (r - submitted).num_seconds()),
        transfer_seconds: transferred
            .zip(received)
            .map(|(t, r)| (t - r).num_seconds()),
        updated: settled.or(transferred).or(received).unwrap_or(submitted),
    };
    row(i, pair, shape, &province.specialists)
}

/// Submitted online an hour ago, waiting for reception at the provincial
/// centre: a candidate for the transitions.
fn awaiting_row(i: usize, pair: Pair, now: DateTime<Utc>) -> dossier::ActiveModel {
    let submitted = now - Duration::hours(1);
    let shape = Shape {
        status: "SUBMITTED",
        channel: "ONLINE",
        submitted,
        received: None,
        transferred: None,
        due: None,
        settled: None,
        supplement_requests: 0,
        reception_seconds: None,
        transfer_seconds: None,
        updated: submitted,
    };
    row(i, pair, shape, &HashMap::new())
}

/// The number of history steps to a status (created, submitted, received,
/// transferred, proposed, approved, returned): the dossier's version.
pub fn version_of(status: &str) -> i32 {
    match status {
        "DRAFT" => 1,
        "SUBMITTED" => 2,
        "RECEIVED" | "REFUSED" => 3,
        "PROCESSING" | "WITHDRAWN" => 4,
        "AWAITING_APPROVAL" | "NOT_ELIGIBLE" => 5,
        "RESULT_READY" => 6,
        _ => 7,
    }
}

/// The row: the applicant, handler and code follow from `i`, not from the
/// random draws.
fn row(i: usize, pair: Pair, s: Shape, specialists: &HashMap<i64, i64>) -> dossier::ActiveModel {
    let timeliness = s.settled.zip(s.due).map(|(settled, due)| {
        if settled < due - Duration::days(2) {
            "EARLY"
        } else if settled <= due {
            "ON_TIME"
        } else {
            "LATE"
        }
    });
    // Two in five of an agency's processing dossiers are its specialist's.
    let handler = (s.status == "PROCESSING" && i % 5 < 2)
        .then(|| specialists.get(&pair.agency_id).copied())
        .flatten();
    let code = s.received.map(|_| format!("BENCH-{i:08}"));
    let name = applicant_name(i);
    let phone = phone(i);
    dossier::ActiveModel {
        search_text: Set(motcua::domain::text::dossier_search_text(
            code.as_deref(),
            &name,
            Some(&phone),
            None,
        )),
        code: Set(code),
        procedure_id: Set(pair.procedure_id),
        procedure_version: Set(1),
        applicant_account_id: Set(None),
        applicant_name: Set(name),
        applicant_id_number: Set(Some(id_number(i))),
        applicant_phone: Set(Some(phone)),
        applicant_email: Set(None),
        applicant_address: Set(None),
        channel: Set(s.channel.into()),
        status: Set(s.status.into()),
        pause_kind: Set(None),
        version: Set(version_of(s.status)),
        receiving_agency_id: Set(pair.receiving_id),
        settling_agency_id: Set(pair.agency_id),
        handler_account_id: Set(handler),
        form_data: Set("{}".into()),
        idempotency_key: Set(None),
        submitted_at: Set(Some(s.submitted)),
        received_at: Set(s.received),
        transferred_at: Set(s.transferred),
        due_at: Set(s.due),
        legal_due_at: Set(s.due),
        paused_at: Set(None),
        paused_seconds: Set(0),
        supplement_requests: Set(s.supplement_requests),
        reception_seconds: Set(s.reception_seconds),
        transfer_seconds: Set(s.transfer_seconds),
        settled_at: Set(s.settled),
        timeliness: Set(timeliness.map(Into::into)),
        returned_at: Set(s.settled.filter(|_| s.status == "RETURNED")),
        return_method: Set(None),
        tracking_number: Set(None),
        created_at: Set(s.submitted - Duration::hours(1)),
        updated_at: Set(s.updated),
        ..Default::default()
    }
}

/// A 12-digit ID number, distinct for every `i` below 10^10: multiplying
/// by a number prime to 10 permutes the residues modulo 10^10.
pub fn id_number(i: usize) -> String {
    format!("05{:010}", (i as u64 * 2_654_435_761) % 10_000_000_000)
}

fn phone(i: usize) -> String {
    format!("09{:08}", (i as u64 * 48_271 + 12_345) % 100_000_000)
}

fn applicant_name(i: usize) -> String {
    const FAMILY: [&str; 10] = [
        "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
    ];
    const MIDDLE: [&str; 6] = ["Văn", "Thị", "Minh", "Ngọc", "Hữu", "Thanh"];
    const GIVEN: [&str; 16] = [
        "An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hoa", "Hùng", "Lan", "Long", "Mai", "Nam",
        "Phương", "Quân", "Sơn", "Trang",
    ];
    format!(
        "{} {} {}",
        FAMILY[i % 10],
        MIDDLE[(i / 10) % 6],
        GIVEN[(i / 60) % 16]
    )
}
