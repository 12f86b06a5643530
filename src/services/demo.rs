//! The demo province: agencies, catalogue, one account per role and the
//! public holidays of this year and the next, loaded into an empty database
//! through the same services the API uses.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use entity::{account, calendar_day, procedure_agency};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Deserialize;

use super::accounts::{
    self, CitizenRegistration, OfficialInput, OrganisationRegistration, StartingPassword,
};
use super::catalogue::{self, AgencyInput, Publication};
use super::{dossiers, feedback, payments, ratings, Caller};
use crate::domain::authz::{AccountKind, Actor, Grant, Role};
use crate::domain::catalogue::{
    AgencyKind, AgencyLevel, Component, FeeLine, MethodInfo, OnlineServiceLevel, ProcedureContent,
    ProcessStep, ProcessingTime,
};
use crate::domain::feedback::FeedbackKind;
use crate::domain::lifecycle::ReturnMethod;
use crate::domain::payment::PaymentMethod;
use crate::domain::rating::RatingLevel;
use crate::error::{stored_enum, AppError, AppResult};
use crate::state::AppState;

const PROVINCE_JSON: &str = include_str!("../demo/province.json");

/// The password of every demo account (printed in the README).
pub const DEMO_PASSWORD: &str = "motcua@2026";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Province {
    agencies: Vec<DemoAgency>,
    sectors: Vec<DemoSector>,
    procedures: Vec<DemoProcedure>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoAgency {
    code: String,
    parent_code: Option<String>,
    name: String,
    short_name: Option<String>,
    level: AgencyLevel,
    kind: AgencyKind,
    active: bool,
    address: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    hotline: Option<String>,
}

#[derive(Deserialize)]
struct DemoSector {
    code: String,
    name: String,
    fields: Vec<DemoField>,
}

#[derive(Deserialize)]
struct DemoField {
    code: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoProcedure {
    code: String,
    name: String,
    sector_code: String,
    field_code: String,
    levels: Vec<AgencyLevel>,
    agency_codes: Vec<String>,
    online_service_level: OnlineServiceLevel,
    processing_time: ProcessingTime,
    within_day: bool,
    steps: Vec<String>,
    methods: Vec<MethodInfo>,
    components: Vec<Component>,
    subjects: Vec<String>,
    result_document: String,
    #[serde(default)]
    result_document_type: Option<String>,
    fees: Vec<FeeLine>,
    #[serde(default)]
    payment_due: Option<crate::domain::payment::PaymentDue>,
    conditions: Option<String>,
    legal_basis: Vec<String>,
    internal_process: Vec<ProcessStep>,
}

/// The demo's provincial public administration service centre and the
/// department its officials work in.
pub const CENTRE_CODE: &str = "000.00.12.H56";

/// Loads the demo province when the database has no agency yet. Returns
/// whether it loaded anything.
pub async fn load_if_empty(st: &AppState) -> AppResult<bool> {
    if !catalogue::is_empty(st).await? {
        return Ok(false);
    }
    load(st).await?;
    Ok(true)
}

fn lookup(map: &HashMap<String, i64>, code: &str) -> AppResult<i64> {
    map.get(code)
        .copied()
        .ok_or_else(|| AppError::internal(format!("demo data names unknown code {code}")))
}

async fn load(st: &AppState) -> AppResult<()> {
    let province: Province = serde_json::from_str(PROVINCE_JSON).map_err(AppError::internal)?;
    let mut agencies = HashMap::new();
    for a in province.agencies {
        let parent_id = match &a.parent_code {
            Some(c) => Some(lookup(&agencies, c)?),
            None => None,
        };
        let saved = catalogue::create_agency(
            st,
            &Caller::SYSTEM,
            AgencyInput {
                parent_id,
                code: a.code.clone(),
                name: a.name,
                short_name: a.short_name,
                level: a.level,
                kind: a.kind,
                active: a.active,
                address: a.address,
                phone: a.phone,
                email: a.email,
                hotline: a.hotline,
            },
        )
        .await?;
        agencies.insert(a.code, saved.id);
    }
    let mut sectors = HashMap::new();
    let mut fields = HashMap::new();
    for s in province.sectors {
        let sector = catalogue::create_sector(st, &Caller::SYSTEM, &s.code, &s.name).await?;
        sectors.insert(s.code, sector.id);
        for f in s.fields {
            let field =
                catalogue::create_field(st, &Caller::SYSTEM, sector.id, &f.code, &f.name).await?;
            fields.insert(f.code, field.id);
        }
    }
    for p in province.procedures {
        let agency_ids = p
            .agency_codes
            .iter()
            .map(|c| lookup(&agencies, c))
            .collect::<AppResult<Vec<_>>>()?;
        let content = ProcedureContent {
            name: p.name,
            sector_id: lookup(&sectors, &p.sector_code)?,
            field_id: lookup(&fields, &p.field_code)?,
            levels: p.levels,
            agency_ids,
            online_service_level: p.online_service_level,
            legacy_online_level: None,
            processing_time: p.processing_time,
            within_day: p.within_day,
            steps: p.steps,
            methods: p.methods,
            components: p.components,
            subjects: p.subjects,
            result_document: p.result_document,
            result_document_type: p.result_document_type,
            fees: p.fees,
            payment_due: p.payment_due,
            conditions: p.conditions,
            legal_basis: p.legal_basis,
            internal_process: p.internal_process,
        };
        catalogue::create_procedure(
            st,
            &Caller::SYSTEM,
            &p.code,
            content,
            Publication {
                decision_ref: Some("Quyết định công bố danh mục TTHC (dữ liệu minh họa)".into()),
                note: None,
            },
        )
        .await?;
    }
    load_accounts(st, &agencies).await?;
    load_holidays(st, st.clock.now().year()).await?;
    load_holidays(st, st.clock.now().year() + 1).await?;
    if st.config.demo_activity {
        load_activity(st, lookup(&agencies, DEMO_DEPARTMENT_CODE)?).await?;
    }
    Ok(())
}

/// A demo account as if signed in.
async fn actor_of(st: &AppState, email: &str) -> AppResult<Actor> {
    let account = account::Entity::find()
        .filter(account::Column::Email.eq(email))
        .one(&st.db)
        .await?
        .ok_or_else(|| AppError::internal(format!("demo account {email} missing")))?;
    Ok(Actor {
        account_id: account.id,
        session_id: 0,
        kind: stored_enum::<AccountKind>(&account.kind)?,
        grants: accounts::grants_of(&st.db, account.id).await?,
        must_change_password: false,
    })
}

/// Some life in the demo province, made through the same use cases as the
/// API, so that the playground's statistics, ranking and published answers
/// show something on first start: Sở Xây dựng's dossiers at three stages
/// (one returned and rated), and two feedbacks, one answered and published.
async fn load_activity(st: &AppState, department: i64) -> AppResult<()> {
    let people = DemoPeople {
        citizen: actor_of(st, "congdan@demo.motcua.vn").await?,
        reception: actor_of(st, "motcua@demo.motcua.vn").await?,
        specialist: actor_of(st, "chuyenvien@demo.motcua.vn").await?,
        leader: actor_of(st, "lanhdao@demo.motcua.vn").await?,
    };
    let procedure = procedure_agency::Entity::find()
        .filter(procedure_agency::Column::AgencyId.eq(department))
        .order_by_asc(procedure_agency::Column::ProcedureId)
        .one(&st.db)
        .await?
        .ok_or_else(|| AppError::internal("the demo department has no procedure"))?
        .procedure_id;
    let returned = load_dossiers(st, &people, department, procedure).await?;
    let by = |a| Caller::new(Some(a), "demo", "local");
    ratings::rate(
        st,
        &by(&people.citizen),
        returned,
        ratings::RatingInput {
            service_use: RatingLevel::VerySatisfied,
            staff_attitude: RatingLevel::Satisfied,
            processing_time: RatingLevel::Satisfied,
            comment: Some("Cán bộ hướng dẫn tận tình.".into()),
        },
    )
    .await?;
    load_feedback(st, &people, department, procedure).await
}

/// The demo's signed-in people.
struct DemoPeople {
    citizen: Actor,
    reception: Actor,
    specialist: Actor,
    leader: Actor,
}

/// Three dossiers: returned, processing, submitted. The returned one's id.
async fn load_dossiers(
    st: &AppState,
    people: &DemoPeople,
    department: i64,
    procedure: i64,
) -> AppResult<i64> {
    let DemoPeople {
        citizen,
        reception,
        specialist,
        leader,
    } = people;
    let by = |a| Caller::new(Some(a), "demo", "local");
    let p = catalogue::procedure(&st.db, catalogue::Lookup::Id(procedure)).await?;
    let content = catalogue::current_content(&st.db, &p).await?;
    let components: Vec<serde_json::Value> = content
        .components
        .iter()
        .filter(|c| c.required)
        .map(|c| serde_json::json!({ "name": c.name }))
        .collect();
    let form_data = serde_json::json!({ "components": components });
    use dossiers::Command as C;
    let steps: [&[(&Actor, C)]; 3] = [
        &[
            (reception, C::Receive),
            (reception, C::Transfer),
            (specialist, C::SubmitForApproval { note: None }),
            (leader, C::Approve { note: None }),
            (
                reception,
                C::ReturnResult {
                    method: ReturnMethod::Counter,
                    tracking_number: None,
                },
            ),
        ],
        &[(reception, C::Receive), (reception, C::Transfer)],
        &[],
    ];
    let mut returned = None;
    for (i, path) in steps.into_iter().enumerate() {
        let draft = dossiers::create_draft(
            st,
            &by(citizen),
            dossiers::DraftInput {
                procedure_id: procedure,
                agency_id: department,
                form_data: form_data.clone(),
                address: None,
                idempotency_key: None,
            },
        )
        .await?;
        let mut d = dossiers::apply(
            st,
            &by(citizen),
            draft.id,
            draft.version,
            C::Submit {
                idempotency_key: Some(format!("demo-{i}")),
            },
        )
        .await?;
        for (actor, cmd) in path {
            if matches!(cmd, C::ReturnResult { .. }) {
                // The fee is due before the return: taken at the counter.
                let owed = payments::fees_of(&st.db, &d).await?.outstanding_vnd;
                if owed > 0 {
                    let slip = Some("Biên lai 0001");
                    payments::record(st, &by(actor), d.id, PaymentMethod::Counter, owed, slip)
                        .await?;
                }
            }
            d = dossiers::apply(st, &by(actor), d.id, d.version, cmd.clone()).await?;
        }
        if i == 0 {
            returned = Some(d.id);
        }
    }
    returned.ok_or_else(|| AppError::internal("the demo returned no dossier"))
}

/// A petition assigned, answered and published, and feedback waiting.
async fn load_feedback(
    st: &AppState,
    people: &DemoPeople,
    department: i64,
    procedure: i64,
) -> AppResult<()> {
    let by = |a| Caller::new(Some(a), "demo", "local");
    let links = feedback::Links {
        agency_id: Some(department),
        procedure_id: Some(procedure),
        dossier_id: None,
    };
    let asked = feedback::submit(
        st,
        &by(&people.citizen),
        feedback::SubmitInput {
            kind: FeedbackKind::Petition,
            title: "Hỏi về thời hạn cấp giấy phép xây dựng nhà ở riêng lẻ".into(),
            content: "Hồ sơ xin cấp giấy phép xây dựng nhà ở riêng lẻ được giải quyết trong bao nhiêu ngày làm việc, có được nộp trực tuyến không?".into(),
            links: links.clone(),
        },
    )
    .await?;
    let f = feedback::act(
        st,
        &by(&people.leader),
        asked.id,
        asked.version,
        feedback::Command::Assign {
            handler_account_id: people.specialist.account_id,
        },
    )
    .await?;
    let f = feedback::act(
        st,
        &by(&people.specialist),
        f.id,
        f.version,
        feedback::Command::Answer {
            answer: "Thời hạn giải quyết theo thủ tục đã công bố được tính theo ngày làm việc kể từ khi tiếp nhận đủ hồ sơ; thủ tục được cung cấp dịch vụ công trực tuyến, công dân nộp hồ sơ và theo dõi tiến độ trên Hệ thống.".into(),
        },
    )
    .await?;
    feedback::act(
        st,
        &by(&people.leader),
        f.id,
        f.version,
        feedback::Command::Publish {
            public_title: None,
            public_content: None,
        },
    )
    .await?;
    feedback::submit(
        st,
        &by(&people.citizen),
        feedback::SubmitInput {
            kind: FeedbackKind::Feedback,
            title: "Bộ phận một cửa đông, chờ lâu".into(),
            content: "Đề nghị bố trí thêm quầy tiếp nhận vào buổi sáng thứ Hai.".into(),
            links,
        },
    )
    .await?;
    Ok(())
}

/// One account per role, and a complete chain of officials twice: the
/// provincial centre with the Department of Construction (Sở Xây dựng), and
/// phường Cẩm Thành's one-stop unit with its people's committee.
async fn load_accounts(st: &AppState, agencies: &HashMap<String, i64>) -> AppResult<()> {
    let centre = lookup(agencies, CENTRE_CODE)?;
    let department = lookup(agencies, DEMO_DEPARTMENT_CODE)?;
    let ward = lookup(agencies, DEMO_WARD_CODE)?;
    let ward_desk = lookup(agencies, DEMO_WARD_DESK_CODE)?;
    let officials: [(&str, &str, Role, Option<i64>); 11] = [
        ("quantri@demo.motcua.vn", "Trần Quản Trị", Role::Admin, None),
        (
            "motcua@demo.motcua.vn",
            "Lê Thị Tiếp Nhận",
            Role::ReceptionOfficer,
            Some(centre),
        ),
        (
            "motcua.phuong@demo.motcua.vn",
            "Phạm Văn Một Cửa",
            Role::ReceptionOfficer,
            Some(ward_desk),
        ),
        (
            "buudien@demo.motcua.vn",
            "Võ Văn Bưu Chính",
            Role::PostalStaff,
            Some(centre),
        ),
        (
            "chuyenvien@demo.motcua.vn",
            "Nguyễn Thị Chuyên Viên",
            Role::Specialist,
            Some(department),
        ),
        (
            "lanhdao@demo.motcua.vn",
            "Hoàng Văn Lãnh Đạo",
            Role::AgencyLeader,
            Some(department),
        ),
        (
            "kiemsoat@demo.motcua.vn",
            "Đặng Thị Kiểm Soát",
            Role::TthcController,
            Some(department),
        ),
        (
            "chuyenvien.phuong@demo.motcua.vn",
            "Trương Thị Hộ Tịch",
            Role::Specialist,
            Some(ward),
        ),
        (
            "lanhdao.phuong@demo.motcua.vn",
            "Lý Văn Chủ Tịch",
            Role::AgencyLeader,
            Some(ward),
        ),
        (
            "giamsat@demo.motcua.vn",
            "Bùi Văn Giám Sát",
            Role::ProvinceSupervisor,
            None,
        ),
        (
            "phantich@demo.motcua.vn",
            "Đỗ Thị Phân Tích",
            Role::Analyst,
            None,
        ),
    ];
    for (email, name, role, agency_id) in officials {
        accounts::insert_official(
            st,
            &Caller::SYSTEM,
            OfficialInput {
                full_name: name.into(),
                email: email.into(),
                phone: None,
                grants: vec![Grant { role, agency_id }],
            },
            StartingPassword::Published(DEMO_PASSWORD),
        )
        .await?;
    }
    accounts::register_citizen(
        st,
        &Caller::SYSTEM,
        CitizenRegistration {
            full_name: "Nguyễn Văn An".into(),
            citizen_id: DEMO_CITIZEN_ID.into(),
            phone: "0905123456".into(),
            email: Some("congdan@demo.motcua.vn".into()),
            password: DEMO_PASSWORD.into(),
        },
    )
    .await?;
    accounts::register_organisation(
        st,
        &Caller::SYSTEM,
        OrganisationRegistration {
            name: "Công ty TNHH Xây dựng Trà Khúc".into(),
            tax_code: DEMO_TAX_CODE.into(),
            phone: "02553822456".into(),
            email: "doanhnghiep@demo.motcua.vn".into(),
            password: DEMO_PASSWORD.into(),
        },
    )
    .await?;
    Ok(())
}

pub const DEMO_CITIZEN_ID: &str = "051090001234";
pub const DEMO_TAX_CODE: &str = "4300123458";
/// Sở Xây dựng in the demo data (construction permits …).
pub const DEMO_DEPARTMENT_CODE: &str = "000.00.05.H56";
/// Ủy ban nhân dân phường Cẩm Thành: settles the ward-level procedures.
pub const DEMO_WARD_CODE: &str = "000.00.31.H56";
/// A ward's one-stop unit in the demo data.
pub const DEMO_WARD_DESK_CODE: &str = "000.01.31.H56";

/// Public holidays of a year under Labour Code 2019 Art. 112 (New Year, five
/// Tết days, Hùng Kings, 30/4, 1/5, two National Day days), each holiday on a
/// weekend compensated on the next working day (Art. 112.3). Real years
/// follow the Prime Minister's yearly notice: an ADMIN adjusts these rows.
pub fn statutory_holidays(year: i32) -> Vec<(NaiveDate, String)> {
    let mut days: Vec<(NaiveDate, String)> = Vec::new();
    let mut add = |d: Option<NaiveDate>, name: &str| {
        if let Some(d) = d {
            days.push((d, name.to_owned()));
        }
    };
    let ymd = NaiveDate::from_ymd_opt;
    add(ymd(year, 1, 1), "Tết Dương lịch");
    if let Some((tet, hung)) = lunar_dates(year) {
        for offset in -1..=3 {
            add(Some(tet + Duration::days(offset)), "Tết Nguyên đán");
        }
        add(Some(hung), "Giỗ Tổ Hùng Vương (10/3 âm lịch)");
    }
    add(ymd(year, 4, 30), "Ngày Chiến thắng");
    add(ymd(year, 5, 1), "Ngày Quốc tế Lao động");
    add(ymd(year, 9, 2), "Quốc khánh");
    // The second National Day is the day before or after 2/9: the one that
    // joins a weekend (Monday 1/9 or Friday 3/9), else 3/9.
    if let Some(national) = ymd(year, 9, 2) {
        let adjacent = if national.weekday() == Weekday::Tue {
            national - Duration::days(1)
        } else {
            national + Duration::days(1)
        };
        add(Some(adjacent), "Quốc khánh (ngày liền kề)");
    }
    days.sort();
    days.dedup_by_key(|d| d.0);
    let taken: std::collections::HashSet<NaiveDate> = days.iter().map(|d| d.0).collect();
    let mut extra = Vec::new();
    let mut used = taken.clone();
    for (d, name) in &days {
        if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            let mut c = *d + Duration::days(1);
            while matches!(c.weekday(), Weekday::Sat | Weekday::Sun) || used.contains(&c) {
                c += Duration::days(1);
            }
            used.insert(c);
            extra.push((c, format!("Nghỉ bù {name}")));
        }
    }
    days.retain(|d| !matches!(d.0.weekday(), Weekday::Sat | Weekday::Sun));
    days.extend(extra);
    days.sort();
    days
}

/// The last year [`lunar_dates`] knows.
pub const LUNAR_TABLE_END: i32 = 2100;

/// Lunar New Year's day (1/1 lunar) and the Hùng Kings' day (10/3 lunar)
/// by year, 2025 to [`LUNAR_TABLE_END`], in the Vietnamese calendar (new
/// moons reckoned at UTC+7, so 2030's Tết is 2 February, a day before
/// China's). Generated with the PyPI package `lunar-vn` 1.4.0
/// (`lunar_to_solar(LunarDate(1, 1, y))`, `LunarDate(10, 3, y)`), checked
/// against `lunardate` (the Chinese calendar, UTC+8), which differs in 2030,
/// 2037, 2038, 2053, 2085, 2086 and 2095 only by the time zone.
fn lunar_dates(year: i32) -> Option<(NaiveDate, NaiveDate)> {
    let (tet, hung) = match year {
        2025 => ((1, 29), (4, 7)),
        2026 => ((2, 17), (4, 26)),
        2027 => ((2, 6), (4, 16)),
        2028 => ((1, 26), (4, 4)),
        2029 => ((2, 13), (4, 23)),
        2030 => ((2, 2), (4, 12)),
        2031 => ((1, 23), (4, 1)),
        2032 => ((2, 11), (4, 19)),
        2033 => ((1, 31), (4, 9)),
        2034 => ((2, 19), (4, 28)),
        2035 => ((2, 8), (4, 17)),
        2036 => ((1, 28), (4, 6)),
        2037 => ((2, 15), (4, 24)),
        2038 => ((2, 4), (4, 13)),
        2039 => ((1, 24), (4, 3)),
        2040 => ((2, 12), (4, 20)),
        2041 => ((2, 1), (4, 10)),
        2042 => ((1, 22), (4, 29)),
        2043 => ((2, 10), (4, 19)),
        2044 => ((1, 30), (4, 7)),
        2045 => ((2, 17), (4, 26)),
        2046 => ((2, 6), (4, 15)),
        2047 => ((1, 26), (4, 4)),
        2048 => ((2, 14), (4, 22)),
        2049 => ((2, 2), (4, 11)),
        2050 => ((1, 23), (4, 1)),
        2051 => ((2, 11), (4, 20)),
        2052 => ((2, 1), (4, 9)),
        2053 => ((2, 18), (4, 28)),
        2054 => ((2, 8), (4, 17)),
        2055 => ((1, 28), (4, 6)),
        2056 => ((2, 15), (4, 24)),
        2057 => ((2, 4), (4, 13)),
        2058 => ((1, 24), (4, 2)),
        2059 => ((2, 12), (4, 21)),
        2060 => ((2, 2), (4, 10)),
        2061 => ((1, 21), (3, 31)),
        2062 => ((2, 9), (4, 19)),
        2063 => ((1, 29), (4, 8)),
        2064 => ((2, 17), (4, 26)),
        2065 => ((2, 5), (4, 15)),
        2066 => ((1, 26), (4, 4)),
        2067 => ((2, 14), (4, 23)),
        2068 => ((2, 3), (4, 11)),
        2069 => ((1, 23), (4, 1)),
        2070 => ((2, 11), (4, 20)),
        2071 => ((1, 31), (4, 9)),
        2072 => ((2, 19), (4, 27)),
        2073 => ((2, 7), (4, 16)),
        2074 => ((1, 27), (4, 5)),
        2075 => ((2, 15), (4, 24)),
        2076 => ((2, 5), (4, 13)),
        2077 => ((1, 24), (4, 2)),
        2078 => ((2, 12), (4, 21)),
        2079 => ((2, 2), (4, 11)),
        2080 => ((1, 22), (3, 30)),
        2081 => ((2, 9), (4, 18)),
        2082 => ((1, 29), (4, 7)),
        2083 => ((2, 17), (4, 26)),
        2084 => ((2, 6), (4, 14)),
        2085 => ((1, 26), (4, 3)),
        2086 => ((2, 14), (4, 22)),
        2087 => ((2, 3), (4, 12)),
        2088 => ((1, 24), (4, 1)),
        2089 => ((2, 10), (4, 20)),
        2090 => ((1, 30), (4, 9)),
        2091 => ((2, 18), (4, 28)),
        2092 => ((2, 7), (4, 16)),
        2093 => ((1, 27), (4, 5)),
        2094 => ((2, 15), (4, 24)),
        2095 => ((2, 5), (4, 13)),
        2096 => ((1, 25), (4, 2)),
        2097 => ((2, 12), (4, 21)),
        2098 => ((2, 1), (4, 11)),
        2099 => ((1, 21), (4, 29)),
        2100 => ((2, 9), (4, 18)),
        _ => return None,
    };
    Some((
        NaiveDate::from_ymd_opt(year, tet.0, tet.1)?,
        NaiveDate::from_ymd_opt(year, hung.0, hung.1)?,
    ))
}

async fn load_holidays(st: &AppState, year: i32) -> AppResult<()> {
    let rows: Vec<calendar_day::ActiveModel> = statutory_holidays(year)
        .into_iter()
        .map(|(day, name)| calendar_day::ActiveModel {
            day: Set(day),
            kind: Set("HOLIDAY".into()),
            name: Set(name),
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    calendar_day::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([calendar_day::Column::Day])
        .exec(&st.db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn tet_2026_is_five_weekdays() {
        let h: Vec<NaiveDate> = statutory_holidays(2026).into_iter().map(|x| x.0).collect();
        for day in 16..=20 {
            assert!(h.contains(&d(2026, 2, day)), "16–20/2/2026 are Tết");
        }
        // Hùng Kings' day 2026 is a Sunday: Monday 27/4 is off instead.
        assert!(h.contains(&d(2026, 4, 27)));
        assert!(!h.contains(&d(2026, 4, 26)));
    }

    #[test]
    fn weekend_holidays_move_to_the_next_free_weekday() {
        let h: Vec<NaiveDate> = statutory_holidays(2027).into_iter().map(|x| x.0).collect();
        // Tết 2027: 5/2 (Fri) to 9/2 (Tue), with 6/2 and 7/2 on the weekend.
        assert!(h.contains(&d(2027, 2, 5)));
        assert!(h.contains(&d(2027, 2, 10)) && h.contains(&d(2027, 2, 11)));
        assert!(h
            .iter()
            .all(|x| !matches!(x.weekday(), Weekday::Sat | Weekday::Sun)));
    }

    #[test]
    fn every_year_to_2100_has_tet_and_the_hung_kings_day() {
        for year in 2025..=LUNAR_TABLE_END {
            let (tet, hung) = lunar_dates(year).unwrap_or_else(|| panic!("{year} is missing"));
            // Tết falls between 21 January and 20 February; 10/3 lunar is
            // 67 to 69 days later, 97 or 98 in a year with a leap month
            // before the third.
            assert!(
                tet >= d(year, 1, 21) && tet <= d(year, 2, 20),
                "{year}: {tet}"
            );
            let gap = (hung - tet).num_days();
            assert!([67, 68, 69, 97, 98].contains(&gap), "{year}: {gap} days");
        }
        assert_eq!(lunar_dates(2031).map(|x| x.0), Some(d(2031, 1, 23)));
        assert_eq!(lunar_dates(2050).map(|x| x.0), Some(d(2050, 1, 23)));
        assert_eq!(lunar_dates(2030).map(|x| x.0), Some(d(2030, 2, 2)));
    }

    #[test]
    fn the_demo_data_parses() {
        let p: Province = serde_json::from_str(PROVINCE_JSON).unwrap();
        assert!(p.agencies.len() >= 60);
        assert!(p.procedures.len() >= 40);
    }
}
