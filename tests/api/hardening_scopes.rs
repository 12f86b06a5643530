//! Issue 11 (hardening), items 2, 7 and 8: who may be linked to a dossier
//! entered on someone's behalf, scopes no wider than DOMAIN.md's role
//! table, and no existence oracle on any id-taking dossier operation.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

use crate::fixtures::{flow, register_other_citizen, second_specialist, Flow};
use crate::helpers::{error_code, error_field, multipart, pdf, TestApp};

const INTAKE: &str =
    "mutation($i: IntakeInput!) { registerCounterDossier(input: $i) { id version status } }";
const POSTAL_INTAKE: &str =
    "mutation($i: IntakeInput!) { registerPostalDossier(input: $i) { id version status } }";
const DELIVER: &str = "mutation($d: ID!, $v: Int!, $t: String!, $at: DateTime!, $r: String!) {
  recordPostalDelivery(dossierId: $d, expectedVersion: $v, trackingNumber: $t, deliveredAt: $at, recipient: $r) {
    id version status deliveredAt deliveryRecipient trackingNumber } }";
const READ: &str = "query($id: ID!) { dossier(id: $id) { id status code channel
  applicant { name idNumber phone email address } procedure { id } formData handlerAccountId
  attachments { id } tasks { id } payments { reference } history { action note data } } }";
const TRACKING: &str = "EB000111222VN";

async fn my_id(t: &TestApp, token: &str) -> Value {
    t.data(Some(token), "{ me { id } }", json!({})).await["me"]["id"].clone()
}

fn message(v: &Value) -> &str {
    v["errors"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message in {v:#}"))
}

/// The applicant of DOMAIN.md's example, a stranger to every account.
fn intake_for(f: &Flow, id_number: &str, account: Value) -> Value {
    json!({ "i": {
        "procedureId": f.procedure["id"], "agencyId": f.department, "formData": f.form,
        "applicant": { "name": "Phạm Văn Khác", "idNumber": id_number, "phone": "0912000111", "address": "12 Lê Lợi, Thanh Hóa" },
        "applicantAccountId": account,
    } })
}

#[tokio::test]
async fn intake_links_an_account_only_when_its_identity_is_the_applicants() {
    let f = flow().await;
    let postal = f.t.login_demo("buudien@demo.motcua.vn").await;
    let b = register_other_citizen(&f.t).await;
    let b_id = my_id(&f.t, &b).await;
    // Mr Khác's dossier handed to citizen B, at the counter and by post;
    // an id that names no account answers exactly the same.
    for (token, q) in [(&f.reception, INTAKE), (&postal, POSTAL_INTAKE)] {
        let stranger =
            f.t.gql(Some(token), q, intake_for(&f, "001085000111", b_id.clone()))
                .await;
        let missing =
            f.t.gql(
                Some(token),
                q,
                intake_for(&f, "001085000111", json!("999999")),
            )
            .await;
        for v in [&stranger, &missing] {
            assert_eq!(
                (error_code(v), error_field(v)),
                ("BAD_USER_INPUT", "applicantAccountId"),
                "{v}"
            );
        }
        assert_eq!(message(&stranger), message(&missing));
    }
    let mine =
        f.t.data(Some(&b), "{ myDossiers { totalCount } }", json!({}))
            .await;
    assert_eq!(mine["myDossiers"]["totalCount"], 0);
    // An official's account is nobody's applicant account.
    let reception_id = my_id(&f.t, &f.reception).await;
    let v =
        f.t.gql(
            Some(&f.reception),
            INTAKE,
            intake_for(&f, "001085000111", reception_id),
        )
        .await;
    assert_eq!(error_field(&v), "applicantAccountId");

    // B's own ID number links B's account: it shows in B's myDossiers.
    let d =
        f.t.data(
            Some(&f.reception),
            INTAKE,
            intake_for(&f, "051199000888", b_id.clone()),
        )
        .await["registerCounterDossier"]
            .clone();
    let mine =
        f.t.data(
            Some(&b),
            "{ myDossiers { totalCount edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["myDossiers"]["edges"][0]["node"]["id"], d["id"]);

    // An organisation is linked by its tax code.
    let org = f.t.login_demo("doanhnghiep@demo.motcua.vn").await;
    let org_id = my_id(&f.t, &org).await;
    let tax_code = motcua::services::demo::DEMO_TAX_CODE;
    f.t.data(Some(&f.reception), INTAKE, intake_for(&f, tax_code, org_id))
        .await;
    let mine =
        f.t.data(Some(&org), "{ myDossiers { totalCount } }", json!({}))
            .await;
    assert_eq!(mine["myDossiers"]["totalCount"], 1);
}

#[tokio::test]
async fn analysts_may_not_filter_dossiers_by_an_applicants_identity() {
    let f = flow().await;
    f.submitted().await;
    let q = "query($n: String) { dossiers(filter: { applicantIdNumber: $n }) { totalCount } }";
    let id = json!({ "n": motcua::services::demo::DEMO_CITIZEN_ID });
    let analyst = f.t.login_demo("phantich@demo.motcua.vn").await;
    let v = f.t.gql(Some(&analyst), q, id.clone()).await;
    assert_eq!(error_code(&v), "FORBIDDEN", "{v}");
    assert!(v["data"].is_null(), "{v}");
    // Without the filter they still count everything, masked.
    let all =
        f.t.data(Some(&analyst), "{ dossiers { totalCount } }", json!({}))
            .await;
    assert_eq!(all["dossiers"]["totalCount"], 1);
    // Officials within their scope still search by ID number.
    let supervisor = f.t.login_demo("giamsat@demo.motcua.vn").await;
    let found = f.t.data(Some(&supervisor), q, id.clone()).await;
    assert_eq!(found["dossiers"]["totalCount"], 1);
    let found = f.t.data(Some(&f.reception), q, id).await;
    assert_eq!(found["dossiers"]["totalCount"], 1);
}

#[tokio::test]
async fn once_assigned_only_the_handler_and_the_leaders_process_a_dossier() {
    let f = flow().await;
    let other = second_specialist(&f).await;
    let d = f.processing().await;
    let handler_id = my_id(&f.t, &f.specialist).await;
    let d = f
        .ok(
            &f.leader,
            "assignHandler",
            &d,
            &format!(", handlerAccountId: {handler_id}"),
        )
        .await;
    let ward = f.t.agency_id(motcua::services::demo::DEMO_WARD_CODE).await;
    let later = (chrono::Utc::now() + chrono::Duration::days(5)).to_rfc3339();
    let specialist_actions = [
        ("pauseDossier", ", kind: SUPPLEMENT, reason: \"Thiếu bản vẽ\"".to_owned()),
        ("submitForApproval", String::new()),
        ("declareNotEligible", ", reason: \"Không đủ điều kiện\"".to_owned()),
        (
            "requestConsultation",
            format!(", agencyId: \"{ward}\", question: \"Ý kiến?\", deadline: \"{later}\""),
        ),
        (
            "scheduleVerification",
            format!(", input: {{ at: \"{later}\", place: \"Thửa đất số 12\", participants: \"Tổ xác minh\", content: \"Hiện trạng\" }}"),
        ),
        (
            "assignInterAgency",
            format!(", tasks: [{{ agencyId: \"{ward}\", task: \"Xác nhận\", deadline: \"{later}\" }}]"),
        ),
    ];
    for (name, args) in &specialist_actions {
        let v = f.act(&other, name, &d, args).await;
        assert_eq!(
            error_code(&v),
            "FORBIDDEN",
            "{name} by another specialist: {v}"
        );
    }
    // Nor does the other specialist file the result.
    let q = "mutation($f: Upload!, $d: ID!) { uploadResult(dossierId: $d, file: $f) { id } }";
    let (_, v) =
        f.t.send(multipart(
            &other,
            q,
            json!({ "d": d["id"] }),
            "f",
            "kq.pdf",
            &pdf(500),
        ))
        .await;
    assert_eq!(error_code(&v), "FORBIDDEN", "{v}");
    // They still read it (the agency's dossier), and nothing changed.
    let seen =
        f.t.data(
            Some(&other),
            "query($id: ID!) { dossier(id: $id) { version } }",
            json!({ "id": d["id"] }),
        )
        .await;
    assert_eq!(seen["dossier"]["version"], d["version"]);
    // The handler and the leader may.
    let d = f
        .ok(
            &f.specialist,
            "scheduleVerification",
            &d,
            &specialist_actions[4].1,
        )
        .await;
    let d = f
        .ok(
            &f.leader,
            "requestConsultation",
            &d,
            &specialist_actions[3].1,
        )
        .await;
    let d = f.ok(&f.specialist, "submitForApproval", &d, "").await;
    assert_eq!(d["status"], "AWAITING_APPROVAL");
}

/// A dossier of the demo citizen returned by post through the centre.
async fn returned_by_post(f: &Flow) -> Value {
    let d = f.processing().await;
    let d = f.approved(&d).await;
    f.paid(&d).await;
    f.ok(
        &f.reception,
        "returnResult",
        &d,
        &format!(", method: POST, trackingNumber: \"{TRACKING}\""),
    )
    .await
}

fn delivery(d: &Value, tracking: &str, at: &str, recipient: &str) -> Value {
    json!({ "d": d["id"], "v": d["version"], "t": tracking, "at": at, "r": recipient })
}

#[tokio::test]
async fn postal_staff_see_what_they_registered_with_only_what_delivery_needs() {
    let f = flow().await;
    let postal = f.t.login_demo("buudien@demo.motcua.vn").await;
    // An online dossier of their unit is not theirs to see.
    let online = f.processing().await;
    let v =
        f.t.gql(Some(&postal), READ, json!({ "id": online["id"] }))
            .await;
    assert_eq!(error_code(&v), "NOT_FOUND", "{v}");
    let none =
        f.t.data(
            Some(&postal),
            "{ dossiers { totalCount } workQueue { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (
            &none["dossiers"]["totalCount"],
            &none["workQueue"]["totalCount"]
        ),
        (&json!(0), &json!(0))
    );

    // What they registered, they see: without the e-form, files or details.
    let mine =
        f.t.data(
            Some(&postal),
            POSTAL_INTAKE,
            intake_for(&f, "001085000111", Value::Null),
        )
        .await["registerPostalDossier"]
            .clone();
    let (_, up) =
        f.t.send(multipart(
            &f.reception,
            "mutation($f: Upload!, $d: ID!) { uploadAttachment(dossierId: $d, component: \"Đơn đề nghị cấp giấy phép xây dựng theo Mẫu số 01 Phụ lục II Nghị định số 175/2024/NĐ-CP\", file: $f) { id downloadUrl } }",
            json!({ "d": mine["id"] }),
            "f",
            "don.pdf",
            &pdf(500),
        ))
        .await;
    let url = up["data"]["uploadAttachment"]["downloadUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{up}"))
        .to_owned();
    let seen =
        f.t.data(Some(&postal), READ, json!({ "id": mine["id"] }))
            .await["dossier"]
            .clone();
    assert_eq!(seen["applicant"]["name"], "Phạm Văn Khác");
    assert_eq!(seen["applicant"]["phone"], "0912000111");
    assert_eq!(seen["applicant"]["address"], "12 Lê Lợi, Thanh Hóa");
    assert_eq!(seen["applicant"]["idNumber"], Value::Null);
    assert!(seen["procedure"]["id"].is_string());
    assert_eq!(seen["formData"], json!({ "masked": true }));
    assert_eq!(seen["attachments"], json!([]));
    assert!(seen["history"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["data"] == json!({ "masked": true }) && e["note"].is_null()));
    assert!(
        !seen.to_string().contains("Hồ sơ thử"),
        "the e-form: {seen}"
    );
    let listed =
        f.t.data(
            Some(&postal),
            "{ dossiers { totalCount edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["dossiers"]["totalCount"], 1);
    assert_eq!(listed["dossiers"]["edges"][0]["node"]["id"], mine["id"]);
    // The file itself is refused; it exists for them, so FORBIDDEN.
    let get = |token: &str| {
        Request::get(&url)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(f.t.send(get(&postal)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(f.t.send(get(&f.reception)).await.0, StatusCode::OK);

    // Their unit's feedback is not theirs either.
    f.t.data(
        Some(&f.reception),
        "mutation($i: RecordFeedbackInput!) { recordFeedback(input: $i) { id } }",
        json!({ "i": { "kind": "FEEDBACK", "channel": "HOTLINE", "arrivedAt": chrono::Utc::now().to_rfc3339(),
            "sender": { "name": "Trần Văn Gọi", "phone": "0912000222" }, "title": "Chờ lâu", "content": "Chờ lâu ở quầy" } }),
    )
    .await;
    let fb =
        f.t.data(Some(&postal), "{ feedbacks { totalCount } }", json!({}))
            .await;
    assert_eq!(fb["feedbacks"]["totalCount"], 0);
}

#[tokio::test]
async fn postal_staff_record_the_delivery_of_a_result_sent_by_post() {
    let f = flow().await;
    let postal = f.t.login_demo("buudien@demo.motcua.vn").await;
    let d = returned_by_post(&f).await;
    // Handed to the post: now it is theirs to deliver, and waits for them.
    let seen =
        f.t.data(Some(&postal), READ, json!({ "id": d["id"] }))
            .await["dossier"]
            .clone();
    assert_eq!(seen["applicant"]["name"], "Nguyễn Văn An");
    assert_eq!(seen["formData"], json!({ "masked": true }));
    let queue =
        f.t.data(
            Some(&postal),
            "{ workQueue { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(queue["workQueue"]["edges"][0]["node"]["id"], d["id"]);

    let now = f.t.app.state.clock.now();
    let at = now.to_rfc3339();
    // Refusals: another parcel, the future, before it was sent, no
    // recipient, anybody but postal staff, a stale version.
    let cases = [
        (
            delivery(&d, "EB999999999VN", &at, "Nguyễn Văn An"),
            "trackingNumber",
        ),
        (
            delivery(
                &d,
                TRACKING,
                &(now + chrono::Duration::hours(2)).to_rfc3339(),
                "Nguyễn Văn An",
            ),
            "deliveredAt",
        ),
        (
            delivery(
                &d,
                TRACKING,
                &(now - chrono::Duration::days(30)).to_rfc3339(),
                "Nguyễn Văn An",
            ),
            "deliveredAt",
        ),
        (delivery(&d, TRACKING, &at, "  "), "recipient"),
        (delivery(&d, TRACKING, &at, &"x".repeat(201)), "recipient"),
    ];
    for (vars, field) in cases {
        let v = f.t.gql(Some(&postal), DELIVER, vars).await;
        assert_eq!(
            (error_code(&v), error_field(&v)),
            ("BAD_USER_INPUT", field),
            "{v}"
        );
    }
    for token in [&f.reception, &f.citizen, &f.leader] {
        let v =
            f.t.gql(Some(token), DELIVER, delivery(&d, TRACKING, &at, "An"))
                .await;
        assert_eq!(error_code(&v), "FORBIDDEN", "{v}");
    }
    let mut stale = delivery(&d, TRACKING, &at, "Nguyễn Văn An");
    stale["v"] = json!(d["version"].as_i64().unwrap() - 1);
    assert_eq!(
        error_code(&f.t.gql(Some(&postal), DELIVER, stale).await),
        "VERSION_CONFLICT"
    );

    let ok =
        f.t.data(
            Some(&postal),
            DELIVER,
            delivery(&d, TRACKING, &at, "Nguyễn Văn An"),
        )
        .await["recordPostalDelivery"]
            .clone();
    assert_eq!(ok["status"], "RETURNED");
    assert_eq!(ok["deliveryRecipient"], "Nguyễn Văn An");
    assert!(ok["deliveredAt"].is_string());
    let version = d["version"].as_i64().unwrap() + 1;
    assert_eq!(ok["version"], version);
    // A retry of the same delivery returns it unchanged; another is refused.
    let again =
        f.t.data(
            Some(&postal),
            DELIVER,
            delivery(&d, TRACKING, &at, "Nguyễn Văn An"),
        )
        .await["recordPostalDelivery"]
            .clone();
    assert_eq!(again, ok);
    let v =
        f.t.gql(
            Some(&postal),
            DELIVER,
            delivery(&ok, TRACKING, &at, "Người khác"),
        )
        .await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION", "{v}");

    // History, audit and outbox, like every transition.
    let h = f.history(&f.citizen, &ok, 0).await;
    let last = h.last().unwrap();
    assert_eq!(
        (
            last["action"].as_str(),
            last["actorRole"].as_str(),
            last["seq"].as_i64()
        ),
        (
            Some("RECORD_POSTAL_DELIVERY"),
            Some("POSTAL_STAFF"),
            Some(version)
        )
    );
    assert_eq!(last["data"]["trackingNumber"], TRACKING);
    let admin = f.t.login_demo("quantri@demo.motcua.vn").await;
    let log =
        f.t.data(
            Some(&admin),
            "{ auditLog(filter: { operation: \"recordPostalDelivery\" }) { totalCount edges { node { targetId actorRole } } } }",
            json!({}),
        )
        .await;
    assert_eq!(log["auditLog"]["totalCount"], 1);
    assert_eq!(log["auditLog"]["edges"][0]["node"]["targetId"], d["id"]);
    let dossier_id: i64 = d["id"].as_str().unwrap().parse().unwrap();
    let outbox = entity::outbox::Entity::find()
        .filter(entity::outbox::Column::DossierId.eq(dossier_id))
        .filter(entity::outbox::Column::Seq.eq(version as i32))
        .count(&f.t.app.state.db)
        .await
        .unwrap();
    assert_eq!(outbox, 1);
    // Delivered: no longer waiting.
    let queue =
        f.t.data(Some(&postal), "{ workQueue { totalCount } }", json!({}))
            .await;
    assert_eq!(queue["workQueue"]["totalCount"], 0);
}

#[tokio::test]
async fn a_delivery_is_recorded_only_for_a_result_sent_by_post() {
    let f = flow().await;
    let postal = f.t.login_demo("buudien@demo.motcua.vn").await;
    let at = f.t.app.state.clock.now().to_rfc3339();
    // Returned at the counter: not theirs to see at all.
    let d = f.processing().await;
    let d = f.approved(&d).await;
    f.paid(&d).await;
    let d = f
        .ok(&f.reception, "returnResult", &d, ", method: COUNTER")
        .await;
    let v =
        f.t.gql(Some(&postal), DELIVER, delivery(&d, TRACKING, &at, "An"))
            .await;
    assert_eq!(error_code(&v), "NOT_FOUND", "{v}");
    // Registered by them but returned at the counter: theirs to see, not to deliver.
    let mine =
        f.t.data(
            Some(&postal),
            POSTAL_INTAKE,
            intake_for(&f, "001085000111", Value::Null),
        )
        .await["registerPostalDossier"]
            .clone();
    let mine = f.ok(&f.reception, "receiveDossier", &mine, "").await;
    let mine = f.ok(&f.reception, "transferDossier", &mine, "").await;
    let mine = f.approved(&mine).await;
    f.paid(&mine).await;
    let mine = f
        .ok(&f.reception, "returnResult", &mine, ", method: COUNTER")
        .await;
    let v =
        f.t.gql(Some(&postal), DELIVER, delivery(&mine, TRACKING, &at, "An"))
            .await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION", "{v}");
}

#[tokio::test]
async fn a_dossier_one_may_not_read_answers_like_a_missing_one() {
    let f = flow().await;
    let d = f.processing().await;
    let other_citizen = register_other_citizen(&f.t).await;
    let ward_leader = f.t.login_demo("lanhdao.phuong@demo.motcua.vn").await;
    let missing = json!({ "id": "999999", "version": d["version"] });
    let mutations: [(&str, &str); 4] = [
        ("pauseDossier", ", kind: SUPPLEMENT, reason: \"x\""),
        ("withdrawDossier", ""),
        ("receiveDossier", ""),
        ("approveDossier", ""),
    ];
    for (name, args) in mutations {
        for (label, token) in [
            ("another citizen", &other_citizen),
            ("another agency", &ward_leader),
        ] {
            let stranger = f.act(token, name, &d, args).await;
            let none = f.act(token, name, &missing, args).await;
            assert_eq!(
                error_code(&stranger),
                "NOT_FOUND",
                "{name} by {label}: {stranger}"
            );
            assert_eq!(error_code(&none), "NOT_FOUND", "{name} by {label}: {none}");
            assert_eq!(message(&stranger), message(&none), "{name} by {label}");
        }
        let q = format!("mutation($id: ID!, $v: Int!) {{ {name}(id: $id, expectedVersion: $v{args}) {{ id }} }}");
        for target in [&d, &missing] {
            let v =
                f.t.gql(
                    None,
                    &q,
                    json!({ "id": target["id"], "v": target["version"] }),
                )
                .await;
            assert_eq!(error_code(&v), "UNAUTHENTICATED", "{name} anonymous: {v}");
        }
    }
    // The other operations taking a dossier id answer alike.
    let others = [
        ("mutation($d: ID!) { rateDossier(dossierId: $d, input: { serviceUse: SATISFIED, staffAttitude: SATISFIED, processingTime: SATISFIED }) { ratedAt } }", "rateDossier"),
        ("mutation($d: ID!) { createPayment(dossierId: $d) { id } }", "createPayment"),
        ("mutation($d: ID!) { recordPayment(input: { dossierId: $d, method: COUNTER, amountVnd: 1 }) { id } }", "recordPayment"),
        ("mutation($d: ID!) { attachStoredDocument(dossierId: $d, component: \"Đơn\", documentId: 1) { id } }", "attachStoredDocument"),
        ("query($d: ID!) { dossierEvents(dossierId: $d) { seq } }", "dossierEvents"),
        ("query($d: ID!) { dossier(id: $d) { id } }", "dossier"),
    ];
    for (q, name) in others {
        for token in [&other_citizen, &ward_leader] {
            let stranger = f.t.gql(Some(token), q, json!({ "d": d["id"] })).await;
            let none = f.t.gql(Some(token), q, json!({ "d": "999999" })).await;
            assert_eq!(error_code(&stranger), "NOT_FOUND", "{name}: {stranger}");
            assert_eq!(message(&stranger), message(&none), "{name}");
        }
        for id in [&d["id"], &json!("999999")] {
            let v = f.t.gql(None, q, json!({ "d": id })).await;
            assert_eq!(error_code(&v), "UNAUTHENTICATED", "{name} anonymous: {v}");
        }
    }
    // Uploads too.
    let upload = "mutation($f: Upload!, $d: ID!) { uploadAttachment(dossierId: $d, component: \"Đơn đề nghị cấp giấy phép xây dựng theo Mẫu số 01 Phụ lục II Nghị định số 175/2024/NĐ-CP\", file: $f) { id } }";
    for id in [&d["id"], &json!("999999")] {
        let (_, v) =
            f.t.send(multipart(
                &ward_leader,
                upload,
                json!({ "d": id }),
                "f",
                "x.pdf",
                &pdf(100),
            ))
            .await;
        assert_eq!(error_code(&v), "NOT_FOUND", "{v}");
    }
    // Looked up by code: anonymous callers learn nothing of which exist.
    let by_code = "query($c: String!) { dossierByCode(code: $c) { id } }";
    for code in [&d["code"], &json!("000.00.00.H00-000000-0000")] {
        let v = f.t.gql(None, by_code, json!({ "c": code })).await;
        assert_eq!(error_code(&v), "UNAUTHENTICATED", "{v}");
    }
    // Nothing changed; a reader who may not act is told FORBIDDEN.
    let v = f
        .act(
            &f.reception,
            "pauseDossier",
            &d,
            ", kind: SUPPLEMENT, reason: \"x\"",
        )
        .await;
    assert_eq!(error_code(&v), "FORBIDDEN", "{v}");
    let now =
        f.t.data(
            Some(&f.citizen),
            "query($id: ID!) { dossier(id: $id) { version } }",
            json!({ "id": d["id"] }),
        )
        .await;
    assert_eq!(now["dossier"]["version"], d["version"]);
}

#[tokio::test]
async fn task_ids_are_looked_at_only_after_authorization() {
    let f = flow().await;
    let ward = f.t.agency_id(motcua::services::demo::DEMO_WARD_CODE).await;
    let later = (chrono::Utc::now() + chrono::Duration::days(5)).to_rfc3339();
    let ask = format!(", agencyId: \"{ward}\", question: \"Ý kiến?\", deadline: \"{later}\"");
    let tasks = "query($id: ID!) { dossier(id: $id) { version tasks { id } } }";
    let consulted = f.t.login_demo("chuyenvien.phuong@demo.motcua.vn").await;
    let first = f.processing().await;
    let first = f
        .ok(&f.specialist, "requestConsultation", &first, &ask)
        .await;
    let second = f.processing().await;
    let second = f
        .ok(&f.specialist, "requestConsultation", &second, &ask)
        .await;
    let task_of = |d: &Value| {
        let t = f.t.clone_handle();
        let token = consulted.clone();
        let id = d["id"].clone();
        async move {
            t.data(Some(&token), tasks, json!({ "id": id })).await["dossier"]["tasks"][0]["id"]
                .clone()
        }
    };
    let first_task = task_of(&first).await;
    let second_task = task_of(&second).await;
    let answer = |task: &Value| {
        format!(
            ", taskId: \"{}\", answer: \"Đồng ý\"",
            task.as_str().unwrap()
        )
    };
    // Anonymous: UNAUTHENTICATED, whether the task exists or not.
    let q = "mutation($id: ID!, $v: Int!, $t: ID!) { answerConsultation(id: $id, expectedVersion: $v, taskId: $t, answer: \"x\") { id } }";
    for (dossier, task) in [
        (&first, &first_task),
        (&first, &json!("999999")),
        (&json!({ "id": "999999", "version": 1 }), &first_task),
    ] {
        let v =
            f.t.gql(
                None,
                q,
                json!({ "id": dossier["id"], "v": dossier["version"], "t": task }),
            )
            .await;
        assert_eq!(error_code(&v), "UNAUTHENTICATED", "{v}");
    }
    // A stranger: the dossier does not exist for them, whatever the task.
    let other_citizen = register_other_citizen(&f.t).await;
    for task in [&first_task, &json!("999999")] {
        let v = f
            .act(&other_citizen, "answerConsultation", &first, &answer(task))
            .await;
        assert_eq!(error_code(&v), "NOT_FOUND", "{v}");
    }
    // A reader who may not answer: FORBIDDEN before the task is looked at.
    for task in [&first_task, &json!("999999")] {
        let v = f
            .act(&f.specialist, "answerConsultation", &first, &answer(task))
            .await;
        assert_eq!(error_code(&v), "FORBIDDEN", "{v}");
    }
    // The consulted official: another dossier's task and a missing one
    // answer alike.
    let other_dossiers = f
        .act(
            &consulted,
            "answerConsultation",
            &first,
            &answer(&second_task),
        )
        .await;
    let nonexistent = f
        .act(
            &consulted,
            "answerConsultation",
            &first,
            &answer(&json!("999999")),
        )
        .await;
    for v in [&other_dossiers, &nonexistent] {
        assert_eq!(
            (error_code(v), error_field(v)),
            ("BAD_USER_INPUT", "taskId"),
            "{v}"
        );
    }
    assert_eq!(message(&other_dossiers), message(&nonexistent));
    f.ok(
        &consulted,
        "answerConsultation",
        &first,
        &answer(&first_task),
    )
    .await;
}

#[tokio::test]
async fn files_and_payments_of_a_dossier_one_may_not_read_answer_like_missing_ones() {
    let f = flow().await;
    let d = f.draft().await;
    let (_, up) =
        f.t.send(multipart(
            &f.citizen,
            "mutation($f: Upload!, $d: ID!) { uploadAttachment(dossierId: $d, component: \"Đơn đề nghị cấp giấy phép xây dựng theo Mẫu số 01 Phụ lục II Nghị định số 175/2024/NĐ-CP\", file: $f) { id downloadUrl } }",
            json!({ "d": d["id"] }),
            "f",
            "don.pdf",
            &pdf(500),
        ))
        .await;
    let url = up["data"]["uploadAttachment"]["downloadUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let ward_leader = f.t.login_demo("lanhdao.phuong@demo.motcua.vn").await;
    let get = |url: &str, token: Option<&str>| {
        let mut r = Request::get(url);
        if let Some(t) = token {
            r = r.header("authorization", format!("Bearer {t}"));
        }
        r.body(Body::empty()).unwrap()
    };
    let stranger = f.t.send(get(&url, Some(&ward_leader))).await;
    let none =
        f.t.send(get("/attachments/999999", Some(&ward_leader)))
            .await;
    assert_eq!(stranger.0, StatusCode::NOT_FOUND);
    assert_eq!(stranger, none);
    // Even the reception officer: a draft is its applicant's alone.
    assert_eq!(f.t.send(get(&url, Some(&f.reception))).await, none);
    for u in [url.as_str(), "/attachments/999999"] {
        assert_eq!(f.t.send(get(u, None)).await.0, StatusCode::UNAUTHORIZED);
    }

    // A payment of someone else's dossier, and a missing one, alike.
    let q = "mutation($p: ID!) { refundPayment(paymentId: $p, reason: \"x\") { status } }";
    let d = f.ok(&f.citizen, "submitDossier", &d, "").await;
    let pending =
        f.t.data(
            Some(&f.citizen),
            "mutation($d: ID!) { createPayment(dossierId: $d) { id } }",
            json!({ "d": d["id"] }),
        )
        .await["createPayment"]["id"]
            .clone();
    let stranger =
        f.t.gql(Some(&ward_leader), q, json!({ "p": pending }))
            .await;
    let none =
        f.t.gql(Some(&ward_leader), q, json!({ "p": "999999" }))
            .await;
    assert_eq!(error_code(&stranger), "NOT_FOUND", "{stranger}");
    assert_eq!(message(&stranger), message(&none));
    for p in [&pending, &json!("999999")] {
        assert_eq!(
            error_code(&f.t.gql(None, q, json!({ "p": p })).await),
            "UNAUTHENTICATED"
        );
    }
}
