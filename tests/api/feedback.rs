//! Feedback and petitions (Đắk Lắk Art. 21): who sends, enters, handles and
//! reads them; deadlines on the working calendar; the public answers.

use serde_json::{json, Value};

use crate::fixtures::{flow, register_other_citizen, Flow};
use crate::helpers::{error_code, error_field};
use motcua::services::demo::{DEMO_DEPARTMENT_CODE, DEMO_WARD_CODE};

const FIELDS: &str = "id kind channel status version title content dueAt arrivedAt enteredAt lateEntry entryWorkingHours overdue closedOnTime
  answer rejectReason transferReason publishedAt handlerAccountId dossierId
  agency { code } transferredFrom { code } sender { name phone email address }";

async fn submit(f: &Flow, token: &str, input: Value) -> Value {
    let q = format!(
        "mutation($i: SubmitFeedbackInput!) {{ submitFeedback(input: $i) {{ {FIELDS} }} }}"
    );
    f.t.gql(Some(token), &q, json!({ "i": input })).await
}

async fn record(f: &Flow, token: &str, input: Value) -> Value {
    let q = format!(
        "mutation($i: RecordFeedbackInput!) {{ recordFeedback(input: $i) {{ {FIELDS} }} }}"
    );
    f.t.gql(Some(token), &q, json!({ "i": input })).await
}

/// Runs `name(id, expectedVersion, …args)` on feedback.
async fn act(f: &Flow, token: &str, name: &str, fb: &Value, args: &str) -> Value {
    let q = format!(
        "mutation($id: ID!, $v: Int!) {{ {name}(id: $id, expectedVersion: $v{args}) {{ {FIELDS} }} }}"
    );
    f.t.gql(
        Some(token),
        &q,
        json!({ "id": fb["id"], "v": fb["version"] }),
    )
    .await
}

async fn ok(f: &Flow, token: &str, name: &str, fb: &Value, args: &str) -> Value {
    let v = act(f, token, name, fb, args).await;
    assert!(v.get("errors").is_none(), "{name}: {v:#}");
    v["data"][name].clone()
}

fn data(v: &Value, name: &str) -> Value {
    assert!(v.get("errors").is_none(), "{v:#}");
    v["data"][name].clone()
}

async fn account_id(f: &Flow, token: &str) -> String {
    f.t.data(Some(token), "{ me { id } }", json!({})).await["me"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn online(title: &str) -> Value {
    json!({ "kind": "FEEDBACK", "title": title, "content": "Cán bộ hẹn ba lần mà chưa trả kết quả." })
}

#[tokio::test]
async fn a_citizen_sends_feedback_about_a_dossier_and_follows_it() {
    let f = flow().await;
    let d = f.submitted().await;
    let v = submit(
        &f,
        &f.citizen,
        json!({ "kind": "PETITION", "title": "Đề nghị rút ngắn thời gian", "content": "Thời gian giải quyết quá dài.", "links": { "dossierId": d["id"] } }),
    )
    .await;
    let fb = data(&v, "submitFeedback");
    // It goes to the dossier's settling agency, from the citizen's account.
    assert_eq!(fb["agency"]["code"], DEMO_DEPARTMENT_CODE);
    assert_eq!(fb["status"], "RECEIVED");
    assert_eq!(fb["channel"], "ONLINE");
    assert_eq!(fb["lateEntry"], false);
    assert_eq!(fb["sender"]["name"], "Nguyễn Văn An");
    assert_eq!(fb["dossierId"], d["id"]);

    // The citizen sees it among theirs; another citizen neither there nor
    // by id, and cannot link someone else's dossier.
    let mine = "{ feedbacks { totalCount edges { node { id status } } } }";
    let seen = f.t.data(Some(&f.citizen), mine, json!({})).await;
    assert_eq!(seen["feedbacks"]["totalCount"], 1);
    let other = register_other_citizen(&f.t).await;
    let theirs = f.t.data(Some(&other), mine, json!({})).await;
    assert_eq!(theirs["feedbacks"]["totalCount"], 0);
    let one = "query($id: ID!) { feedback(id: $id) { id } }";
    let v = f.t.gql(Some(&other), one, json!({ "id": fb["id"] })).await;
    assert_eq!(error_code(&v), "NOT_FOUND");
    let v = submit(
        &f,
        &other,
        json!({ "kind": "FEEDBACK", "title": "x", "content": "y", "links": { "dossierId": d["id"] } }),
    )
    .await;
    assert_eq!(error_code(&v), "BAD_USER_INPUT");
    assert_eq!(error_field(&v), "links.dossierId");

    // Without links it goes to the province's people's committee.
    let fb2 = data(
        &submit(&f, &other, online("Góp ý chung")).await,
        "submitFeedback",
    );
    assert_eq!(fb2["agency"]["code"], "000.00.00.H56");

    // Officials do not submit; nobody submits signed out; text is required.
    assert_eq!(
        error_code(&submit(&f, &f.reception, online("x")).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(
            &f.t.gql(
                None,
                "mutation($i: SubmitFeedbackInput!) { submitFeedback(input: $i) { id } }",
                json!({ "i": online("x") })
            )
            .await
        ),
        "UNAUTHENTICATED"
    );
    let v = submit(
        &f,
        &f.citizen,
        json!({ "kind": "FEEDBACK", "title": "  ", "content": "y" }),
    )
    .await;
    assert_eq!(error_field(&v), "title");
}

#[tokio::test]
async fn offline_feedback_is_due_thirteen_working_days_after_arrival_and_late_entries_are_flagged()
{
    let f = flow().await;
    // Arrived by hotline on Monday 16 November 2026 at 09:00 (UTC+7), entered
    // now: 13 working days on is Thursday 3 December at 09:00, and the entry
    // is well past 8 working hours.
    let input = json!({
        "kind": "FEEDBACK", "channel": "HOTLINE", "arrivedAt": "2026-11-16T02:00:00Z",
        "sender": { "name": "Trần Thị Bình", "phone": "0905 123 456" },
        "title": "Thái độ cán bộ", "content": "Cán bộ tiếp nhận không hướng dẫn.",
        "links": { "agencyId": f.department },
    });
    let fb = data(
        &record(&f, &f.reception, input.clone()).await,
        "recordFeedback",
    );
    assert_eq!(fb["dueAt"], "2026-12-03T09:00:00+07:00");
    assert_eq!(fb["lateEntry"], true);
    assert!(fb["entryWorkingHours"].as_f64().unwrap() > 8.0);
    assert_eq!(fb["sender"]["phone"], "0905123456");
    assert_eq!(fb["channel"], "HOTLINE");

    // Entered within the hour: not flagged, and due 13 × 8 working hours on.
    let now = f.t.app.state.clock.now();
    let arrived = now - chrono::Duration::minutes(30);
    let mut soon = input.clone();
    soon["arrivedAt"] = json!(arrived.to_rfc3339());
    let fb = data(&record(&f, &f.reception, soon).await, "recordFeedback");
    assert_eq!(fb["lateEntry"], false);
    assert!(fb["entryWorkingHours"].as_f64().unwrap() <= 0.5);
    let q = "query($f: DateTime!, $h: Float!) { addWorkingTime(from: $f, workingHours: $h) }";
    let expected =
        f.t.data(None, q, json!({ "f": arrived.to_rfc3339(), "h": 13 * 8 }))
            .await["addWorkingTime"]
            .clone();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(fb["dueAt"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(expected.as_str().unwrap()).unwrap()
    );

    // Without links it is addressed to the officer's own unit.
    let mut own = input.clone();
    own.as_object_mut().unwrap().remove("links");
    let fb = data(&record(&f, &f.reception, own).await, "recordFeedback");
    assert_eq!(fb["agency"]["code"], motcua::services::demo::CENTRE_CODE);

    // Refusals: the online channel, a future arrival, a bad phone, a citizen.
    let mut bad = input.clone();
    bad["channel"] = json!("ONLINE");
    assert_eq!(error_field(&record(&f, &f.reception, bad).await), "channel");
    let mut bad = input.clone();
    bad["arrivedAt"] = json!((now + chrono::Duration::hours(1)).to_rfc3339());
    assert_eq!(
        error_field(&record(&f, &f.reception, bad).await),
        "arrivedAt"
    );
    let mut bad = input.clone();
    bad["sender"]["phone"] = json!("12");
    assert_eq!(
        error_field(&record(&f, &f.reception, bad).await),
        "sender.phone"
    );
    assert_eq!(
        error_code(&record(&f, &f.citizen, input.clone()).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&record(&f, &f.specialist, input).await),
        "FORBIDDEN"
    );

    // The late entry is visible as such, and after the due date as overdue.
    let q = "query($f: FeedbackFilter) { feedbacks(filter: $f) { totalCount edges { node { id overdue } } } }";
    let late =
        f.t.data(Some(&f.leader), q, json!({ "f": { "lateEntry": true } }))
            .await;
    assert_eq!(late["feedbacks"]["totalCount"], 1);
    let overdue =
        f.t.data(Some(&f.leader), q, json!({ "f": { "overdue": true } }))
            .await;
    let overdue_now = if now > chrono::DateTime::parse_from_rfc3339("2026-12-03T02:00:00Z").unwrap()
    {
        1
    } else {
        0
    };
    assert_eq!(overdue["feedbacks"]["totalCount"], overdue_now);
    f.t.app.state.clock.advance(chrono::Duration::days(40));
    let f = f.relogin().await;
    let overdue =
        f.t.data(Some(&f.leader), q, json!({ "f": { "overdue": true } }))
            .await;
    // Both addressed to the department are overdue now; the centre's one is
    // not the department's.
    assert_eq!(overdue["feedbacks"]["totalCount"], 2);
    assert_eq!(overdue["feedbacks"]["edges"][0]["node"]["overdue"], true);
}

#[tokio::test]
async fn feedback_is_assigned_answered_and_published_by_the_right_people() {
    let f = flow().await;
    let fb = data(
        &submit(
            &f,
            &f.citizen,
            json!({ "kind": "FEEDBACK", "title": "Nguyễn Văn An phản ánh về giấy phép xây dựng", "content": "Tôi (CCCD 051090001234) chờ quá lâu.", "links": { "agencyId": f.department } }),
        )
        .await,
        "submitFeedback",
    );
    let specialist_id = account_id(&f, &f.specialist).await;
    let assign = format!(", handlerAccountId: \"{specialist_id}\"");

    // Not the citizen, not a specialist, not another agency's leader.
    assert_eq!(
        error_code(&act(&f, &f.citizen, "assignFeedback", &fb, &assign).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&act(&f, &f.specialist, "assignFeedback", &fb, &assign).await),
        "FORBIDDEN"
    );
    let ward_leader = f.t.login_demo("lanhdao.phuong@demo.motcua.vn").await;
    assert_eq!(
        error_code(&act(&f, &ward_leader, "assignFeedback", &fb, &assign).await),
        "NOT_FOUND"
    );
    // Nobody outside the agency can be the handler.
    let ward_specialist = f.t.login_demo("chuyenvien.phuong@demo.motcua.vn").await;
    let outsider = account_id(&f, &ward_specialist).await;
    let v = act(
        &f,
        &f.leader,
        "assignFeedback",
        &fb,
        &format!(", handlerAccountId: \"{outsider}\""),
    )
    .await;
    assert_eq!(error_field(&v), "handlerAccountId");

    let fb = ok(&f, &f.leader, "assignFeedback", &fb, &assign).await;
    assert_eq!(fb["status"], "PROCESSING");
    assert_eq!(fb["handlerAccountId"], specialist_id.as_str());
    // A stale version conflicts.
    let stale = json!({ "id": fb["id"], "version": 1 });
    assert_eq!(
        error_code(
            &act(
                &f,
                &f.specialist,
                "answerFeedback",
                &stale,
                ", answer: \"x\""
            )
            .await
        ),
        "VERSION_CONFLICT"
    );
    // Publishing needs an answer first.
    assert_eq!(
        error_code(&act(&f, &f.leader, "publishFeedback", &fb, "").await),
        "INVALID_TRANSITION"
    );
    let v = act(&f, &f.specialist, "answerFeedback", &fb, ", answer: \"  \"").await;
    assert_eq!(error_field(&v), "answer");
    let answer = ", answer: \"Sở đã chấn chỉnh bộ phận tiếp nhận và trả kết quả ngày 20/11.\"";
    let fb = ok(&f, &f.specialist, "answerFeedback", &fb, answer).await;
    assert_eq!(fb["status"], "ANSWERED");
    assert_eq!(fb["closedOnTime"], true);
    // Answered is final.
    assert_eq!(
        error_code(&act(&f, &f.leader, "rejectFeedback", &fb, ", reason: \"x\"").await),
        "INVALID_TRANSITION"
    );

    // Not public until published; published with the personal data taken out.
    let public = "query($s: String) { publicFeedbacks(search: $s) { totalCount edges { node { title content answer agency { code } } } } }";
    assert_eq!(
        f.t.data(None, public, json!({})).await["publicFeedbacks"]["totalCount"],
        0
    );
    let fb = ok(
        &f,
        &f.leader,
        "publishFeedback",
        &fb,
        ", publicTitle: \"Phản ánh về giấy phép xây dựng\", publicContent: \"Công dân chờ quá lâu.\"",
    )
    .await;
    assert!(fb["publishedAt"].is_string());
    assert_eq!(
        error_code(&act(&f, &f.leader, "publishFeedback", &fb, "").await),
        "INVALID_TRANSITION"
    );
    // Found without diacritics, by a word of the answer too; never the
    // sender.
    for search in ["giay phep", "CHẤN CHỈNH"] {
        let found = f.t.data(None, public, json!({ "s": search })).await;
        assert_eq!(found["publicFeedbacks"]["totalCount"], 1, "{search}");
        let node = &found["publicFeedbacks"]["edges"][0]["node"];
        assert_eq!(node["title"], "Phản ánh về giấy phép xây dựng");
        assert_eq!(node["agency"]["code"], DEMO_DEPARTMENT_CODE);
        assert!(!node.to_string().contains("051090001234"));
        assert!(!node.to_string().contains("Nguyễn Văn An"));
    }
    let none =
        f.t.data(None, public, json!({ "s": "giay phep khong co" }))
            .await;
    assert_eq!(none["publicFeedbacks"]["totalCount"], 0);

    // The citizen sees the answer.
    let q = "query($id: ID!) { feedback(id: $id) { status answer } }";
    let mine =
        f.t.data(Some(&f.citizen), q, json!({ "id": fb["id"] }))
            .await;
    assert_eq!(mine["feedback"]["status"], "ANSWERED");

    // Every step is in the audit log.
    let admin = f.t.login_demo("quantri@demo.motcua.vn").await;
    let log = "query($f: AuditFilter) { auditLog(filter: $f, first: 50) { edges { node { operation } } } }";
    let ops: Vec<String> =
        f.t.data(
            Some(&admin),
            log,
            json!({ "f": { "targetType": "feedback", "targetId": fb["id"] } }),
        )
        .await["auditLog"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["operation"].as_str().unwrap().to_owned())
            .filter(|op| op != "readFeedback")
            .collect();
    assert_eq!(
        ops,
        [
            "submitFeedback",
            "assignFeedback",
            "answerFeedback",
            "publishFeedback"
        ]
    );
}

#[tokio::test]
async fn feedback_is_transferred_to_the_competent_agency_or_rejected() {
    let f = flow().await;
    let fb = data(
        &submit(&f, &f.citizen, json!({ "kind": "FEEDBACK", "title": "Đường hư hỏng", "content": "Đường trước nhà bị hỏng.", "links": { "agencyId": f.department } })).await,
        "submitFeedback",
    );
    let ward = f.t.agency_id(DEMO_WARD_CODE).await;
    let v = act(
        &f,
        &f.leader,
        "transferFeedback",
        &fb,
        &format!(", agencyId: \"{ward}\", reason: \"\""),
    )
    .await;
    assert_eq!(error_field(&v), "reason");
    let v = act(
        &f,
        &f.leader,
        "transferFeedback",
        &fb,
        &format!(", agencyId: \"{}\", reason: \"x\"", f.department),
    )
    .await;
    assert_eq!(error_field(&v), "agencyId");
    let fb = ok(
        &f,
        &f.leader,
        "transferFeedback",
        &fb,
        &format!(", agencyId: \"{ward}\", reason: \"Thuộc thẩm quyền của phường\""),
    )
    .await;
    assert_eq!(fb["status"], "TRANSFERRED");
    assert_eq!(fb["agency"]["code"], DEMO_WARD_CODE);
    assert_eq!(fb["transferredFrom"]["code"], DEMO_DEPARTMENT_CODE);
    // It is now the ward's: the department's leader lets go of it.
    assert_eq!(
        error_code(&act(&f, &f.leader, "answerFeedback", &fb, ", answer: \"x\"").await),
        "NOT_FOUND"
    );
    let ward_leader = f.t.login_demo("lanhdao.phuong@demo.motcua.vn").await;
    let fb = ok(
        &f,
        &ward_leader,
        "answerFeedback",
        &fb,
        ", answer: \"Phường đã sửa đường.\"",
    )
    .await;
    assert_eq!(fb["status"], "ANSWERED");

    let other = data(&submit(&f, &f.citizen, json!({ "kind": "PETITION", "title": "Ngoài phạm vi", "content": "Tranh chấp đất đai với hàng xóm.", "links": { "agencyId": f.department } })).await, "submitFeedback");
    let v = act(&f, &f.leader, "rejectFeedback", &other, ", reason: \" \"").await;
    assert_eq!(error_field(&v), "reason");
    let other = ok(
        &f,
        &f.leader,
        "rejectFeedback",
        &other,
        ", reason: \"Không thuộc phạm vi thủ tục hành chính\"",
    )
    .await;
    assert_eq!(other["status"], "REJECTED");
    assert_eq!(
        other["rejectReason"],
        "Không thuộc phạm vi thủ tục hành chính"
    );
    assert_eq!(
        error_code(
            &act(
                &f,
                &f.leader,
                "assignFeedback",
                &other,
                ", handlerAccountId: \"1\""
            )
            .await
        ),
        "INVALID_TRANSITION"
    );
}

/// What the analysts' test writes into feedback and must never see.
const SECRETS: [&str; 6] = [
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "0905123456",
    "binh@example.vn",
    "12 Hùng Vương",
    "0905111222",
];

#[tokio::test]
async fn analysts_read_feedback_masked_and_change_nothing() {
    let f = flow().await;
    let fb = data(
        &submit(
            &f,
            &f.citizen,
            online("Tôi là Nguyễn Văn An, số điện thoại 0905111222"),
        )
        .await,
        "submitFeedback",
    );
    data(
        &record(&f, &f.reception, json!({
            "kind": "FEEDBACK", "channel": "EMAIL", "arrivedAt": f.t.app.state.clock.now().to_rfc3339(),
            "sender": { "name": "Trần Thị Bình", "phone": "0905123456", "email": "binh@example.vn", "address": "12 Hùng Vương" },
            "title": "Bà Bình phản ánh", "content": "Nhà số 12 Hùng Vương",
        })).await,
        "recordFeedback",
    );
    let analyst = f.t.login_demo("phantich@demo.motcua.vn").await;
    let q = "{ feedbacks { totalCount edges { node { title content answer sender { name phone email address } agency { name } } } } }";
    let seen = f.t.data(Some(&analyst), q, json!({})).await;
    assert_eq!(seen["feedbacks"]["totalCount"], 2);
    let text = seen.to_string();
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let node = &seen["feedbacks"]["edges"][1]["node"];
    assert_eq!(node["sender"]["address"], "***");
    assert!(node["content"].is_null());
    // Every field of feedback, nested objects included.
    let fields = crate::dossiers::every_field(&f.t, "Feedback", 2).await;
    let all =
        f.t.data(
            Some(&analyst),
            &format!("{{ feedbacks {{ edges {{ node {{ {fields} }} }} }} }}"),
            json!({}),
        )
        .await
        .to_string();
    for secret in SECRETS {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
    for (name, args) in [
        ("answerFeedback", ", answer: \"x\""),
        ("rejectFeedback", ", reason: \"x\""),
        ("publishFeedback", ""),
    ] {
        assert_eq!(
            error_code(&act(&f, &analyst, name, &fb, args).await),
            "FORBIDDEN",
            "{name}"
        );
    }
    assert_eq!(
        error_code(&submit(&f, &analyst, online("x")).await),
        "FORBIDDEN"
    );
}
