//! The dossier lifecycle through the API: every channel, every transition's
//! refusals, concurrency, history, deadlines and public tracking.

use serde_json::{json, Value};

use crate::fixtures::{flow, form_for, register_other_citizen, ward, Ward, FIELDS};
use crate::helpers::{error_code, error_field, TestApp};
use motcua::services::demo::CENTRE_CODE;

#[tokio::test]
async fn an_online_dossier_goes_from_draft_to_returned() {
    let f = flow().await;
    let d = f.draft().await;
    assert_eq!(
        (d["status"].as_str(), d["version"].as_i64()),
        (Some("DRAFT"), Some(1))
    );
    assert_eq!(d["nationalStatusCode"], Value::Null);
    assert_eq!(
        d["applicant"]["idNumber"],
        motcua::services::demo::DEMO_CITIZEN_ID
    );
    assert_eq!(
        d["receivingAgency"]["code"], CENTRE_CODE,
        "departments receive through the provincial centre"
    );

    let d = f
        .ok(&f.citizen, "submitDossier", &d, ", idempotencyKey: \"k-1\"")
        .await;
    assert_eq!(
        (d["status"].as_str(), d["nationalStatusCode"].as_i64()),
        (Some("SUBMITTED"), Some(1))
    );
    let d = f.ok(&f.reception, "receiveDossier", &d, "").await;
    assert_eq!(
        (d["status"].as_str(), d["nationalStatusCode"].as_i64()),
        (Some("RECEIVED"), Some(2))
    );
    let code = d["code"].as_str().unwrap();
    let parts: Vec<&str> = code.rsplitn(3, '-').collect();
    assert_eq!(parts[2], CENTRE_CODE);
    assert_eq!(parts[1].len(), 6);
    assert_eq!(parts[0], "0001");
    assert_eq!(d["receptionWithinLimit"], true);
    // The due date is the calculator's.
    let due =
        f.t.data(
            None,
            "query($p: ID!, $r: DateTime!) { dueDate(procedureId: $p, receivedAt: $r) { dueAt } }",
            json!({ "p": f.procedure["id"], "r": d["receivedAt"] }),
        )
        .await;
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(due["dueDate"]["dueAt"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(d["dueAt"].as_str().unwrap()).unwrap()
    );

    let d = f.ok(&f.reception, "transferDossier", &d, "").await;
    assert_eq!(
        (d["status"].as_str(), d["transferWithinLimit"].as_bool()),
        (Some("PROCESSING"), Some(true))
    );
    let d = f
        .ok(
            &f.specialist,
            "submitForApproval",
            &d,
            ", note: \"Đủ điều kiện\"",
        )
        .await;
    assert_eq!(d["status"], "AWAITING_APPROVAL");
    let d = f.ok(&f.leader, "approveDossier", &d, "").await;
    assert_eq!(
        (d["status"].as_str(), d["timeliness"].as_str()),
        (Some("RESULT_READY"), Some("EARLY"))
    );
    f.paid(&d).await;
    let d = f
        .ok(&f.reception, "returnResult", &d, ", method: COUNTER")
        .await;
    assert_eq!(
        (d["status"].as_str(), d["nationalStatusCode"].as_i64()),
        (Some("RETURNED"), Some(10))
    );

    // The history: every step, numbered without gaps.
    let h = f.history(&f.citizen, &d, 0).await;
    let actions: Vec<&str> = h.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "CREATE",
            "SUBMIT",
            "RECEIVE",
            "TRANSFER",
            "SUBMIT_FOR_APPROVAL",
            "APPROVE",
            "RETURN_RESULT"
        ]
    );
    let seqs: Vec<i64> = h.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=7).collect::<Vec<_>>());
    assert_eq!(d["version"], 7);
    assert_eq!(h[2]["actorRole"], "RECEPTION_OFFICER");
    assert_eq!(h[2]["data"]["receipt"]["code"], code);
    // Catching up after a reconnect: exactly the events after 3.
    let tail = f.history(&f.citizen, &d, 3).await;
    assert_eq!(
        tail.iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [4, 5, 6, 7]
    );
}

#[tokio::test]
async fn a_retried_submission_returns_the_same_dossier() {
    let f = flow().await;
    let d = f.draft().await;
    let first = f
        .ok(&f.citizen, "submitDossier", &d, ", idempotencyKey: \"abc\"")
        .await;
    // The retry still carries the version the client saw before.
    let again = f
        .ok(&f.citizen, "submitDossier", &d, ", idempotencyKey: \"abc\"")
        .await;
    assert_eq!(first, again);
    let mine =
        f.t.data(Some(&f.citizen), "{ myDossiers { totalCount } }", json!({}))
            .await;
    assert_eq!(mine["myDossiers"]["totalCount"], 1);
    // Without the key the stale version is a conflict.
    assert_eq!(
        error_code(&f.act(&f.citizen, "submitDossier", &d, "").await),
        "VERSION_CONFLICT"
    );
}

#[tokio::test]
async fn counter_and_postal_dossiers_enter_on_their_channels() {
    let f = flow().await;
    let q = format!(
        "mutation($i: IntakeInput!) {{ registerCounterDossier(input: $i) {{ {FIELDS} }} }}"
    );
    let input = json!({
        "procedureId": f.procedure["id"], "agencyId": f.department, "formData": f.form,
        "applicant": { "name": "Phạm Thị Hoa", "idNumber": "051185000777", "phone": "0912 000 777" }
    });
    let d =
        f.t.data(Some(&f.reception), &q, json!({ "i": input }))
            .await["registerCounterDossier"]
            .clone();
    assert_eq!(
        (d["status"].as_str(), d["channel"].as_str()),
        (Some("RECEIVED"), Some("DIRECT"))
    );
    assert!(d["code"].as_str().unwrap().starts_with(CENTRE_CODE));
    assert_eq!(d["applicant"]["phone"], "0912000777");

    let postal = f.t.login_demo("buudien@demo.motcua.vn").await;
    let q =
        format!("mutation($i: IntakeInput!) {{ registerPostalDossier(input: $i) {{ {FIELDS} }} }}");
    let p =
        f.t.data(Some(&postal), &q, json!({ "i": input })).await["registerPostalDossier"].clone();
    assert_eq!(
        (p["status"].as_str(), p["channel"].as_str()),
        (Some("SUBMITTED"), Some("POSTAL"))
    );
    let p = f.ok(&f.reception, "receiveDossier", &p, "").await;
    assert_eq!(p["status"], "RECEIVED");

    // Intake checks the form and the applicant.
    let mut bad = input.clone();
    bad["formData"] = json!({ "components": [] });
    let v =
        f.t.gql(
            Some(&f.reception),
            "mutation($i: IntakeInput!) { registerCounterDossier(input: $i) { id } }",
            json!({ "i": bad }),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "formData.components")
    );
    let mut bad = input.clone();
    bad["applicant"]["idNumber"] = json!("123");
    let v =
        f.t.gql(
            Some(&f.reception),
            "mutation($i: IntakeInput!) { registerCounterDossier(input: $i) { id } }",
            json!({ "i": bad }),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "applicant.idNumber")
    );
    // A citizen cannot register at the counter.
    let v =
        f.t.gql(
            Some(&f.citizen),
            "mutation($i: IntakeInput!) { registerCounterDossier(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await;
    assert_eq!(error_code(&v), "FORBIDDEN");
}

#[tokio::test]
async fn submission_needs_every_required_component() {
    let f = flow().await;
    let q = "mutation($i: CreateDossierInput!) { createDossier(input: $i) { id version } }";
    let input = json!({ "procedureId": f.procedure["id"], "agencyId": f.department, "formData": { "components": [] } });
    let d = f.t.data(Some(&f.citizen), q, json!({ "i": input })).await["createDossier"].clone();
    let v = f.act(&f.citizen, "submitDossier", &d, "").await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "formData.components")
    );
    // Fixed in the draft, it goes through.
    let q = "mutation($id: ID!, $v: Int!, $f: JSON!) { updateDossier(id: $id, expectedVersion: $v, formData: $f) { id version } }";
    let d =
        f.t.data(
            Some(&f.citizen),
            q,
            json!({ "id": d["id"], "v": d["version"], "f": f.form }),
        )
        .await["updateDossier"]
            .clone();
    f.ok(&f.citizen, "submitDossier", &d, "").await;
}

#[tokio::test]
async fn transitions_from_the_wrong_status_are_refused_and_change_nothing() {
    let f = flow().await;
    let draft = f.draft().await;
    let cases = [
        (&f.reception, "receiveDossier", ""),
        (&f.reception, "transferDossier", ""),
        (&f.leader, "approveDossier", ""),
        (&f.specialist, "submitForApproval", ""),
        (&f.reception, "returnResult", ", method: COUNTER"),
        (&f.citizen, "supplementDossier", ""),
    ];
    // On a draft every officer is refused for its status or its scope (a
    // draft does not exist for them: NOT_FOUND).
    let processing = f.processing().await;
    for (token, name, args) in cases {
        let v = f.act(token, name, &draft, args).await;
        let code = error_code(&v);
        assert!(
            code == "INVALID_TRANSITION" || code == "FORBIDDEN" || code == "NOT_FOUND",
            "{name} on a draft: {v}"
        );
    }
    for (token, name, args) in [
        (&f.reception, "receiveDossier", ""),
        (&f.leader, "approveDossier", ""),
        (&f.reception, "returnResult", ", method: COUNTER"),
        (&f.citizen, "submitDossier", ""),
        (&f.leader, "sendBackDossier", ", reason: \"x\""),
    ] {
        let v = f.act(token, name, &processing, args).await;
        assert_eq!(
            error_code(&v),
            "INVALID_TRANSITION",
            "{name} while processing: {v}"
        );
    }
    let now =
        f.t.data(
            Some(&f.specialist),
            "query($id: ID!) { dossier(id: $id) { status version } }",
            json!({ "id": processing["id"] }),
        )
        .await;
    assert_eq!(
        now["dossier"],
        json!({ "status": "PROCESSING", "version": processing["version"] })
    );
}

#[tokio::test]
async fn the_wrong_role_or_a_foreign_agency_is_forbidden() {
    let f = flow().await;
    let submitted = f.submitted().await;
    let ward_desk = f.t.login_demo("motcua.phuong@demo.motcua.vn").await;
    let ward_leader = f.t.login_demo("lanhdao.phuong@demo.motcua.vn").await;
    for (token, name, args) in [
        (&f.specialist, "receiveDossier", ""),
        (&f.leader, "receiveDossier", ""),
        (&f.citizen, "receiveDossier", ""),
        (&f.reception, "withdrawDossier", ""),
    ] {
        let v = f.act(token, name, &submitted, args).await;
        assert_eq!(error_code(&v), "FORBIDDEN", "{name}: {v}");
    }
    // A foreign agency may not even read it: it does not exist for them.
    assert_eq!(
        error_code(&f.act(&ward_desk, "receiveDossier", &submitted, "").await),
        "NOT_FOUND"
    );
    let processing = f.processing().await;
    assert_eq!(
        error_code(
            &f.act(&ward_leader, "stopDossier", &processing, ", reason: \"x\"")
                .await
        ),
        "NOT_FOUND"
    );
    for (token, name, args) in [
        (&f.specialist, "stopDossier", ", reason: \"x\""),
        (&f.reception, "submitForApproval", ""),
        (
            &f.citizen,
            "pauseDossier",
            ", kind: SUPPLEMENT, reason: \"x\"",
        ),
    ] {
        let v = f.act(token, name, &processing, args).await;
        assert_eq!(error_code(&v), "FORBIDDEN", "{name}: {v}");
    }
    // Another citizen can neither act on nor see the dossier.
    let other = register_other_citizen(&f.t).await;
    assert_eq!(
        error_code(&f.act(&other, "withdrawDossier", &submitted, "").await),
        "NOT_FOUND"
    );
    let v =
        f.t.gql(
            Some(&other),
            "query($id: ID!) { dossier(id: $id) { id } }",
            json!({ "id": submitted["id"] }),
        )
        .await;
    assert_eq!(error_code(&v), "NOT_FOUND");
    let v =
        f.t.gql(
            Some(&ward_desk),
            "query($id: ID!) { dossier(id: $id) { id } }",
            json!({ "id": submitted["id"] }),
        )
        .await;
    assert_eq!(error_code(&v), "NOT_FOUND");
    let seen =
        f.t.data(Some(&ward_desk), "{ dossiers { totalCount } }", json!({}))
            .await;
    assert_eq!(seen["dossiers"]["totalCount"], 0);
    let seen =
        f.t.data(Some(&f.reception), "{ dossiers { totalCount } }", json!({}))
            .await;
    assert_eq!(seen["dossiers"]["totalCount"], 2);
}

#[tokio::test]
async fn two_officers_receiving_at_once_one_wins() {
    let f = flow().await;
    let d = f.submitted().await;
    let second_officer = f.t.login_demo("motcua@demo.motcua.vn").await;
    let (a, b) = tokio::join!(
        f.act(&f.reception, "receiveDossier", &d, ""),
        f.act(&second_officer, "receiveDossier", &d, "")
    );
    let outcomes = [a, b];
    let wins = outcomes
        .iter()
        .filter(|v| v.get("errors").is_none())
        .count();
    assert_eq!(wins, 1, "{outcomes:?}");
    let loser = outcomes.iter().find(|v| v.get("errors").is_some()).unwrap();
    assert_eq!(error_code(loser), "VERSION_CONFLICT");
    let h = f.history(&f.citizen, &d, 0).await;
    assert_eq!(h.iter().filter(|e| e["action"] == "RECEIVE").count(), 1);
}

#[tokio::test]
async fn concurrent_receptions_at_one_unit_get_distinct_codes() {
    let f = flow().await;
    let mut dossiers = Vec::new();
    for _ in 0..6 {
        dossiers.push(f.submitted().await);
    }
    let mut tasks = Vec::new();
    for d in dossiers {
        let t = f.t.clone_handle();
        let token = f.reception.clone();
        tasks.push(tokio::spawn(async move {
            let q = "mutation($id: ID!, $v: Int!) { receiveDossier(id: $id, expectedVersion: $v) { code } }";
            t.data(Some(&token), q, json!({ "id": d["id"], "v": d["version"] })).await["receiveDossier"]["code"]
                .as_str()
                .unwrap()
                .to_owned()
        }));
    }
    let mut codes = Vec::new();
    for task in tasks {
        codes.push(task.await.unwrap());
    }
    codes.sort();
    let mut unique = codes.clone();
    unique.dedup();
    assert_eq!(unique.len(), 6, "{codes:?}");
    let seqs: Vec<&str> = codes
        .iter()
        .map(|c| c.rsplit('-').next().unwrap())
        .collect();
    assert_eq!(seqs, ["0001", "0002", "0003", "0004", "0005", "0006"]);
}

#[tokio::test]
async fn a_supplement_request_lists_every_item_and_the_applicant_answers() {
    let f = flow().await;
    let d = f.submitted().await;
    let v = f
        .act(&f.reception, "requestSupplement", &d, ", items: []")
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "items")
    );
    let items = ", items: [{ component: \"Bản vẽ thiết kế\", reason: \"Thiếu chữ ký\" }, { component: \"Đơn đề nghị\", reason: \"Sai mẫu\" }]";
    let d = f.ok(&f.reception, "requestSupplement", &d, items).await;
    assert_eq!(
        (
            d["status"].as_str(),
            d["nationalStatusCode"].as_i64(),
            d["supplementRequests"].as_i64()
        ),
        (Some("NEEDS_SUPPLEMENT"), Some(5), Some(1))
    );
    let h = f.history(&f.citizen, &d, 0).await;
    assert_eq!(
        h.last().unwrap()["data"]["items"].as_array().unwrap().len(),
        2
    );
    let d = f.ok(&f.citizen, "supplementDossier", &d, "").await;
    assert_eq!(d["status"], "SUBMITTED");
    let d = f.ok(&f.reception, "receiveDossier", &d, "").await;
    assert_eq!(d["status"], "RECEIVED");
}

#[tokio::test]
async fn refusal_stop_and_not_eligible_are_reasoned_and_final() {
    let f = flow().await;
    let d = f.submitted().await;
    let v = f
        .act(&f.reception, "refuseDossier", &d, ", reason: \"  \"")
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "reason")
    );
    let d = f
        .ok(
            &f.reception,
            "refuseDossier",
            &d,
            ", reason: \"Không thuộc thẩm quyền\"",
        )
        .await;
    assert_eq!(
        (d["status"].as_str(), d["nationalStatusCode"].as_i64()),
        (Some("REFUSED"), Some(3))
    );
    assert_eq!(
        error_code(&f.act(&f.citizen, "withdrawDossier", &d, "").await),
        "INVALID_TRANSITION"
    );

    let p = f.processing().await;
    let p = f
        .ok(
            &f.leader,
            "stopDossier",
            &p,
            ", reason: \"Người nộp đề nghị dừng\"",
        )
        .await;
    assert_eq!(
        (p["status"].as_str(), p["nationalStatusCode"].as_i64()),
        (Some("STOPPED"), Some(8))
    );

    let n = f.processing().await;
    let n = f
        .ok(
            &f.specialist,
            "declareNotEligible",
            &n,
            ", reason: \"Không đủ điều kiện cấp phép\"",
        )
        .await;
    assert_eq!(
        (n["status"].as_str(), n["nationalStatusCode"].as_i64()),
        (Some("NOT_ELIGIBLE"), Some(9))
    );
    assert!(
        n["timeliness"].is_string(),
        "not eligible is settled and classified"
    );
}

#[tokio::test]
async fn a_pause_moves_the_due_date_by_the_paused_working_time() {
    let f = flow().await;
    let d = f.processing().await;
    let due_before = chrono::DateTime::parse_from_rfc3339(d["dueAt"].as_str().unwrap()).unwrap();
    let d = f
        .ok(
            &f.specialist,
            "pauseDossier",
            &d,
            ", kind: FINANCIAL_OBLIGATION, reason: \"Chờ nộp lệ phí\"",
        )
        .await;
    assert_eq!(
        (d["status"].as_str(), d["nationalStatusCode"].as_i64()),
        (Some("PAUSED"), Some(6))
    );
    // The applicant cannot end a financial pause by "supplementing".
    assert_eq!(
        error_code(&f.act(&f.citizen, "supplementDossier", &d, "").await),
        "INVALID_TRANSITION"
    );
    // Ten days: more than any run of holidays (Tết is at most nine).
    f.t.app.state.clock.advance(chrono::Duration::days(10));
    // Sessions expired meanwhile: sign in again.
    let f = f.relogin().await;
    let d = f.ok(&f.specialist, "resumeDossier", &d, "").await;
    let paused = d["pausedWorkingHours"].as_f64().unwrap();
    assert!(paused > 0.0);
    let due_after = chrono::DateTime::parse_from_rfc3339(d["dueAt"].as_str().unwrap()).unwrap();
    let expected =
        f.t.data(
            None,
            "query($f: DateTime!, $h: Float!) { addWorkingTime(from: $f, workingHours: $h) }",
            json!({ "f": due_before.to_rfc3339(), "h": paused }),
        )
        .await;
    let expected =
        chrono::DateTime::parse_from_rfc3339(expected["addWorkingTime"].as_str().unwrap()).unwrap();
    assert!(
        (due_after - expected).num_seconds().abs() <= 1,
        "{due_after} vs {expected}"
    );
    assert_eq!(d["legalDueAt"], d["dueAt"]);

    // A supplement pause is ended by the applicant.
    let d = f
        .ok(
            &f.specialist,
            "pauseDossier",
            &d,
            ", kind: SUPPLEMENT, reason: \"Bổ sung bản vẽ\"",
        )
        .await;
    assert_eq!(d["nationalStatusCode"], 5);
    let d = f.ok(&f.citizen, "supplementDossier", &d, "").await;
    assert_eq!(d["status"], "PROCESSING");
}

#[tokio::test]
async fn an_apology_extends_the_shown_date_but_not_the_legal_one() {
    let f = flow().await;
    let d = f.processing().await;
    let due = chrono::DateTime::parse_from_rfc3339(d["dueAt"].as_str().unwrap()).unwrap();
    let earlier = (due - chrono::Duration::hours(1)).to_rfc3339();
    let v = f
        .act(
            &f.leader,
            "issueApology",
            &d,
            &format!(", reason: \"x\", newDueAt: \"{earlier}\""),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "newDueAt")
    );
    let later = (due + chrono::Duration::days(5)).to_rfc3339();
    let args = format!(", reason: \"Cần xác minh thực địa\", newDueAt: \"{later}\"");
    assert_eq!(
        error_code(&f.act(&f.specialist, "issueApology", &d, &args).await),
        "FORBIDDEN"
    );
    let a = f.ok(&f.leader, "issueApology", &d, &args).await;
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(a["dueAt"].as_str().unwrap()).unwrap(),
        due + chrono::Duration::days(5)
    );
    assert_eq!(a["legalDueAt"], d["legalDueAt"]);
    assert_eq!(a["status"], "PROCESSING");
    // Once the date has passed, an apology is too late.
    f.t.app.state.clock.advance(chrono::Duration::days(60));
    let f = f.relogin().await;
    let v = f
        .act(
            &f.leader,
            "issueApology",
            &a,
            &format!(
                ", reason: \"x\", newDueAt: \"{}\"",
                (due + chrono::Duration::days(90)).to_rfc3339()
            ),
        )
        .await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION");
    // And settling now is LATE against the legal date.
    let a = f.ok(&f.specialist, "submitForApproval", &a, "").await;
    let a = f.ok(&f.leader, "approveDossier", &a, "").await;
    assert_eq!(a["timeliness"], "LATE");
}

#[tokio::test]
async fn the_applicant_withdraws_before_the_result_only() {
    let f = flow().await;
    let d = f.processing().await;
    let w = f
        .ok(
            &f.citizen,
            "withdrawDossier",
            &d,
            ", reason: \"Không còn nhu cầu\"",
        )
        .await;
    assert_eq!(
        (w["status"].as_str(), w["nationalStatusCode"].as_i64()),
        (Some("WITHDRAWN"), Some(7))
    );
    let d = f.processing().await;
    let d = f.ok(&f.specialist, "submitForApproval", &d, "").await;
    let d = f.ok(&f.leader, "approveDossier", &d, "").await;
    assert_eq!(
        error_code(&f.act(&f.citizen, "withdrawDossier", &d, "").await),
        "INVALID_TRANSITION"
    );
    f.paid(&d).await;
    let v = f
        .act(&f.reception, "returnResult", &d, ", method: POST")
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "trackingNumber")
    );
    let d = f
        .ok(
            &f.reception,
            "returnResult",
            &d,
            ", method: POST, trackingNumber: \"EB123456789VN\"",
        )
        .await;
    assert_eq!(d["status"], "RETURNED");
}

#[tokio::test]
async fn the_public_tracks_a_dossier_by_code_and_id_number_only() {
    let f = flow().await;
    let d = f.submitted().await;
    let d = f.ok(&f.reception, "receiveDossier", &d, "").await;
    let code = d["code"].as_str().unwrap();
    let q = "query($c: String!, $k: String!) { trackDossier(code: $c, idNumberOrPhone: $k) { code procedureName applicantName status statusLabel receivedAt dueAt } }";
    let by_id =
        f.t.data(
            None,
            q,
            json!({ "c": code, "k": motcua::services::demo::DEMO_CITIZEN_ID }),
        )
        .await;
    assert_eq!(by_id["trackDossier"]["applicantName"], "Nguyễn V** A*");
    assert_eq!(by_id["trackDossier"]["status"], "RECEIVED");
    let by_phone =
        f.t.data(None, q, json!({ "c": code, "k": "+84 905 123 456" }))
            .await;
    assert_eq!(by_phone, by_id);

    let wrong_id =
        f.t.gql(None, q, json!({ "c": code, "k": "051090009999" }))
            .await;
    let wrong_code = f.t.gql(None, q, json!({ "c": "000.00.12.H56-990101-0001", "k": motcua::services::demo::DEMO_CITIZEN_ID })).await;
    assert_eq!(error_code(&wrong_id), "NOT_FOUND");
    assert_eq!(
        wrong_id["errors"][0]["message"],
        wrong_code["errors"][0]["message"]
    );
    // No way to enumerate: lookups are limited per address.
    let mut limited = false;
    for _ in 0..40 {
        let v =
            f.t.gql_with(
                None,
                q,
                json!({ "c": code, "k": "x" }),
                &[("x-forwarded-for", "203.0.113.50")],
            )
            .await;
        if error_code(&v) == "RATE_LIMITED" {
            limited = true;
            break;
        }
    }
    assert!(limited);
}

#[tokio::test]
async fn queues_and_lists_are_scoped_to_the_caller() {
    let f = flow().await;
    let submitted = f.submitted().await;
    let processing = f.processing().await;
    let ids = |v: &Value, field: &str| -> Vec<String> {
        v[field]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let q = "{ workQueue { edges { node { id status } } } }";
    let rq = f.t.data(Some(&f.reception), q, json!({})).await;
    assert!(ids(&rq, "workQueue").contains(&submitted["id"].as_str().unwrap().to_owned()));
    let sq = f.t.data(Some(&f.specialist), q, json!({})).await;
    assert_eq!(
        ids(&sq, "workQueue"),
        [processing["id"].as_str().unwrap().to_owned()]
    );
    let ward = f.t.login_demo("chuyenvien.phuong@demo.motcua.vn").await;
    assert_eq!(
        f.t.data(Some(&ward), q, json!({})).await["workQueue"]["edges"],
        json!([])
    );

    let filtered =
        f.t.data(
            Some(&f.reception),
            "{ dossiers(filter: { statuses: [PROCESSING] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(filtered["dossiers"]["totalCount"], 1);
    let other = register_other_citizen(&f.t).await;
    assert_eq!(
        f.t.data(Some(&other), "{ myDossiers { totalCount } }", json!({}))
            .await["myDossiers"]["totalCount"],
        0
    );
    assert_eq!(
        f.t.data(Some(&f.citizen), "{ myDossiers { totalCount } }", json!({}))
            .await["myDossiers"]["totalCount"],
        2
    );
}

#[tokio::test]
async fn officials_reads_of_personal_data_are_audited() {
    let f = flow().await;
    let d = f.submitted().await;
    f.t.data(
        Some(&f.reception),
        "query($id: ID!) { dossier(id: $id) { applicant { name } } }",
        json!({ "id": d["id"] }),
    )
    .await;
    f.t.data(
        Some(&f.reception),
        "{ dossiers(filter: { applicantIdNumber: \"051090001234\" }) { totalCount } }",
        json!({}),
    )
    .await;
    // A list showing applicants is audited once; one without them is not.
    let with = "{ dossiers { edges { node { applicant { name } } } } }";
    f.t.data(Some(&f.reception), with, json!({})).await;
    let without = "{ dossiers { edges { node { code status } } } }";
    f.t.data(Some(&f.reception), without, json!({})).await;
    let admin = f.t.login_demo("quantri@demo.motcua.vn").await;
    let log = f
        .t
        .data(Some(&admin), "{ auditLog(filter: { targetType: \"dossier\" }, first: 100) { edges { node { operation actorRole } } } }", json!({}))
        .await;
    let ops: Vec<String> = log["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["operation"].as_str().unwrap().to_owned())
        .collect();
    for op in [
        "createDossier",
        "submitDossier",
        "readDossier",
        "searchDossiersByIdNumber",
        "listDossiers",
    ] {
        assert!(ops.iter().any(|o| o == op), "{op} missing from {ops:?}");
    }
    assert_eq!(ops.iter().filter(|o| *o == "listDossiers").count(), 1);
    let ok =
        f.t.data(Some(&admin), "{ verifyAuditChain { ok } }", json!({}))
            .await;
    assert_eq!(ok["verifyAuditChain"]["ok"], true);
}

const TASKS: &str = "tasks { id kind status content deadline answer answeredOnTime agency { code } place participants }";

#[tokio::test]
async fn another_agency_is_consulted_and_answers_within_its_deadline() {
    let f = flow().await;
    let d = f.processing().await;
    let ward = f.t.agency_id(motcua::services::demo::DEMO_WARD_CODE).await;
    let deadline = (chrono::Utc::now() + chrono::Duration::days(5)).to_rfc3339();
    let ask = |agency: &str, when: &str| {
        format!(
            ", agencyId: \"{agency}\", question: \"Xác nhận nguồn gốc đất?\", deadline: \"{when}\""
        )
    };

    let v = f
        .act(
            &f.specialist,
            "requestConsultation",
            &d,
            &ask(&f.department, &deadline),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "agencyId"),
        "not the settling agency itself"
    );
    let v = f
        .act(
            &f.specialist,
            "requestConsultation",
            &d,
            &ask(&ward, "2020-01-01T00:00:00Z"),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "deadline")
    );
    let d = f
        .ok(
            &f.specialist,
            "requestConsultation",
            &d,
            &ask(&ward, &deadline),
        )
        .await;
    assert_eq!(
        d["status"], "PROCESSING",
        "a consultation records, it does not move"
    );

    // The consulted ward's specialist sees it waiting, reads the dossier and answers.
    let consulted = f.t.login_demo("chuyenvien.phuong@demo.motcua.vn").await;
    let queue =
        f.t.data(
            Some(&consulted),
            "{ workQueue { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(queue["workQueue"]["edges"][0]["node"]["id"], d["id"]);
    let q = format!("query($id: ID!) {{ dossier(id: $id) {{ version {TASKS} }} }}");
    let seen =
        f.t.data(Some(&consulted), &q, json!({ "id": d["id"] }))
            .await;
    let task = seen["dossier"]["tasks"][0].clone();
    assert_eq!(
        (task["kind"].as_str(), task["status"].as_str()),
        (Some("CONSULTATION"), Some("OPEN"))
    );
    let answer = format!(
        ", taskId: \"{}\", answer: \"Đất có nguồn gốc hợp pháp\"",
        task["id"].as_str().unwrap()
    );
    // Only the consulted agency answers.
    assert_eq!(
        error_code(
            &f.act(&f.specialist, "answerConsultation", &d, &answer)
                .await
        ),
        "FORBIDDEN"
    );
    // The ward's desk does not even see the dossier: it does not exist for it.
    let ward_desk = f.t.login_demo("motcua.phuong@demo.motcua.vn").await;
    assert_eq!(
        error_code(&f.act(&ward_desk, "answerConsultation", &d, &answer).await),
        "NOT_FOUND"
    );
    let d = f.ok(&consulted, "answerConsultation", &d, &answer).await;
    let after =
        f.t.data(Some(&f.specialist), &q, json!({ "id": d["id"] }))
            .await;
    let task = &after["dossier"]["tasks"][0];
    assert_eq!(
        (task["status"].as_str(), task["answeredOnTime"].as_bool()),
        (Some("DONE"), Some(true))
    );
    assert_eq!(task["answer"], "Đất có nguồn gốc hợp pháp");
    assert_eq!(
        error_code(&f.act(&consulted, "answerConsultation", &d, &answer).await),
        "INVALID_TRANSITION"
    );
    let h = f.history(&f.citizen, &d, 0).await;
    let actions: Vec<&str> = h.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(
        actions.ends_with(&["REQUEST_CONSULTATION", "ANSWER_CONSULTATION"]),
        "{actions:?}"
    );
}

#[tokio::test]
async fn verification_visits_and_inter_agency_tasks_are_recorded() {
    let f = flow().await;
    let d = f.processing().await;
    let at = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let d = f
        .ok(&f.specialist, "scheduleVerification", &d, &format!(", input: {{ at: \"{at}\", place: \"Thửa đất số 12, tờ bản đồ 5\", participants: \"Sở Xây dựng; UBND phường\", content: \"Kiểm tra hiện trạng\" }}"))
        .await;
    let ward = f.t.agency_id(motcua::services::demo::DEMO_WARD_CODE).await;
    let centre = f.t.agency_id(CENTRE_CODE).await;
    let deadline = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let tasks = format!(
        ", tasks: [{{ agencyId: \"{ward}\", task: \"Xác nhận hiện trạng\", deadline: \"{deadline}\" }}, {{ agencyId: \"{centre}\", task: \"Lưu trữ kết quả\", deadline: \"{deadline}\" }}]"
    );
    let v = f
        .act(&f.specialist, "assignInterAgency", &d, ", tasks: []")
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "tasks")
    );
    let d = f.ok(&f.specialist, "assignInterAgency", &d, &tasks).await;
    let q = format!("query($id: ID!) {{ dossier(id: $id) {{ {TASKS} }} }}");
    let seen =
        f.t.data(Some(&f.specialist), &q, json!({ "id": d["id"] }))
            .await;
    let kinds: Vec<&str> = seen["dossier"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["VERIFICATION", "INTER_AGENCY", "INTER_AGENCY"]);
    assert_eq!(
        seen["dossier"]["tasks"][0]["place"],
        "Thửa đất số 12, tờ bản đồ 5"
    );
    let ward_task = seen["dossier"]["tasks"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let consulted = f.t.login_demo("chuyenvien.phuong@demo.motcua.vn").await;
    let d = f
        .ok(
            &consulted,
            "completeInterAgencyTask",
            &d,
            &format!(", taskId: \"{ward_task}\", result: \"Đã xác nhận\""),
        )
        .await;
    let seen =
        f.t.data(Some(&f.specialist), &q, json!({ "id": d["id"] }))
            .await;
    let statuses: Vec<&str> = seen["dossier"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["OPEN", "DONE", "OPEN"]);
    // Not before processing starts.
    let submitted = f.submitted().await;
    assert_eq!(
        error_code(
            &f.act(&f.specialist, "assignInterAgency", &submitted, &tasks)
                .await
        ),
        "INVALID_TRANSITION"
    );
}

#[tokio::test]
async fn an_immediate_procedure_is_returned_at_the_counter_in_one_operation() {
    let f = flow().await;
    // Within working hours: received and returned on the due instant's day.
    f.t.to_working_hours().await;
    let w = ward(&f).await;
    let Ward {
        ward,
        desk,
        immediate,
        timed,
    } = &w;
    let q = format!("mutation($i: IntakeInput!, $p: CounterPaymentInput) {{ registerCounterDossier(input: $i, returnImmediately: true, feePayment: $p) {{ {FIELDS} }} }}");
    let input = |p: &Value, fee: Value| json!({ "i": { "procedureId": p["id"], "agencyId": ward, "formData": form_for(p), "applicant": { "name": "Đỗ Văn Chứng", "phone": "0905777888" } }, "p": fee });
    let count = || async {
        f.t.data(
            Some(desk),
            "{ dossiers(first: 100) { totalCount } }",
            json!({}),
        )
        .await["dossiers"]["totalCount"]
            .as_i64()
            .unwrap()
    };

    let v = f.t.gql(Some(desk), &q, input(timed, Value::Null)).await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "returnImmediately")
    );
    // The copy's fee (8,000 đ) is due before the return: unpaid, or the
    // wrong amount, nothing is registered.
    assert_eq!(immediate["current"]["totalFeeVnd"], 8000);
    let v = f.t.gql(Some(desk), &q, input(immediate, Value::Null)).await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION", "{v}");
    assert!(
        v["errors"][0]["message"].as_str().unwrap().contains("8000"),
        "{v}"
    );
    let short = json!({ "method": "COUNTER", "amountVnd": 2000 });
    let v = f.t.gql(Some(desk), &q, input(immediate, short)).await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "feePayment.amountVnd")
    );
    assert_eq!(count().await, 0, "a refused registration registers nothing");
    let r =
        f.t.data(Some(desk), &q, input(immediate, w.fee_at_counter()))
            .await["registerCounterDossier"]
            .clone();
    assert_eq!(
        (r["status"].as_str(), r["timeliness"].as_str()),
        (Some("RETURNED"), Some("ON_TIME"))
    );
    let h = f.history(desk, &r, 0).await;
    let actions: Vec<&str> = h.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["SUBMIT", "RECEIVE", "TRANSFER", "APPROVE", "RETURN_RESULT"]
    );
    let fees = f.t.data(Some(desk), "query($id: ID!) { dossier(id: $id) { fees { paidVnd outstandingVnd status } payments { method amountVnd status } } }", json!({ "id": r["id"] })).await;
    assert_eq!(
        fees["dossier"],
        json!({ "fees": { "paidVnd": 8000, "outstandingVnd": 0, "status": "PAID" },
                "payments": [{ "method": "COUNTER", "amountVnd": 8000, "status": "PAID" }] })
    );
    assert_eq!(count().await, 1);
}

#[tokio::test]
async fn the_control_sheet_judges_each_step_by_its_share() {
    let f = flow().await;
    let d = f.processing().await;
    // The handler takes 30 days: far past the specialist's share.
    f.t.app.state.clock.advance(chrono::Duration::days(30));
    let f = f.relogin().await;
    let d = f.ok(&f.specialist, "submitForApproval", &d, "").await;
    let d = f.ok(&f.leader, "approveDossier", &d, "").await;
    let q = "query($id: ID!) { dossier(id: $id) { controlSheet { steps role allottedHours startedAt dueAt finishedAt timeliness } } }";
    let sheet = f.t.data(Some(&f.leader), q, json!({ "id": d["id"] })).await["dossier"]
        ["controlSheet"]
        .clone();
    let rows = sheet.as_array().unwrap();
    let by_role = |role: &str| {
        rows.iter()
            .find(|r| r["role"] == role)
            .unwrap_or_else(|| panic!("no {role} row in {sheet}"))
    };
    assert_ne!(by_role("RECEPTION_OFFICER")["timeliness"], "LATE");
    assert_eq!(by_role("SPECIALIST")["timeliness"], "LATE");
    assert_ne!(by_role("AGENCY_LEADER")["timeliness"], "LATE");
    let total: f64 = rows
        .iter()
        .map(|r| r["allottedHours"].as_f64().unwrap())
        .sum();
    assert_eq!(
        total,
        f.procedure["processingHours"].as_f64().unwrap(),
        "the shares add up to the processing time"
    );
}

#[tokio::test]
async fn counter_and_postal_dossiers_reach_the_returned_result_too() {
    let f = flow().await;
    let input = json!({
        "procedureId": f.procedure["id"], "agencyId": f.department, "formData": f.form,
        "applicant": { "name": "Phạm Thị Hoa", "idNumber": "051185000777", "phone": "0912000777" }
    });
    let counter =
        f.t.data(
            Some(&f.reception),
            &format!(
                "mutation($i: IntakeInput!) {{ registerCounterDossier(input: $i) {{ {FIELDS} }} }}"
            ),
            json!({ "i": input }),
        )
        .await["registerCounterDossier"]
            .clone();
    let postal_staff = f.t.login_demo("buudien@demo.motcua.vn").await;
    let postal =
        f.t.data(
            Some(&postal_staff),
            &format!(
                "mutation($i: IntakeInput!) {{ registerPostalDossier(input: $i) {{ {FIELDS} }} }}"
            ),
            json!({ "i": input }),
        )
        .await["registerPostalDossier"]
            .clone();
    let postal = f.ok(&f.reception, "receiveDossier", &postal, "").await;
    for (d, method) in [
        (counter, ", method: COUNTER"),
        (postal, ", method: POST, trackingNumber: \"EB000111222VN\""),
    ] {
        let d = f.ok(&f.reception, "transferDossier", &d, "").await;
        let d = f.ok(&f.specialist, "submitForApproval", &d, "").await;
        let d = f.ok(&f.leader, "approveDossier", &d, "").await;
        f.paid(&d).await;
        let d = f.ok(&f.reception, "returnResult", &d, method).await;
        assert_eq!(d["status"], "RETURNED");
        // Found by its code, by whoever may see it.
        let q = "query($c: String!) { dossierByCode(code: $c) { id channel } }";
        let by_code =
            f.t.data(Some(&f.leader), q, json!({ "c": d["code"] }))
                .await;
        assert_eq!(by_code["dossierByCode"]["id"], d["id"]);
        let ward_desk = f.t.login_demo("motcua.phuong@demo.motcua.vn").await;
        assert_eq!(
            error_code(
                &f.t.gql(Some(&ward_desk), q, json!({ "c": d["code"] }))
                    .await
            ),
            "NOT_FOUND"
        );
    }
}

#[tokio::test]
async fn leaders_assign_handlers_from_their_own_agency() {
    let f = flow().await;
    let d = f.processing().await;
    let specialist_id =
        f.t.data(Some(&f.specialist), "{ me { id } }", json!({}))
            .await["me"]["id"]
            .clone();
    let ward_specialist = f.t.login_demo("chuyenvien.phuong@demo.motcua.vn").await;
    let ward_id =
        f.t.data(Some(&ward_specialist), "{ me { id } }", json!({}))
            .await["me"]["id"]
            .clone();
    let v = f
        .act(
            &f.leader,
            "assignHandler",
            &d,
            &format!(", handlerAccountId: {ward_id}"),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "handlerAccountId")
    );
    assert_eq!(
        error_code(
            &f.act(
                &f.specialist,
                "assignHandler",
                &d,
                &format!(", handlerAccountId: {specialist_id}")
            )
            .await
        ),
        "FORBIDDEN"
    );
    let a = f
        .ok(
            &f.leader,
            "assignHandler",
            &d,
            &format!(", handlerAccountId: {specialist_id}"),
        )
        .await;
    assert_eq!(
        (a["status"].as_str(), a["version"].as_i64()),
        (Some("PROCESSING"), Some(d["version"].as_i64().unwrap() + 1))
    );
    let mine =
        f.t.data(
            Some(&f.specialist),
            "query($h: ID) { dossiers(filter: { handlerAccountId: $h }) { totalCount } }",
            json!({ "h": specialist_id }),
        )
        .await;
    assert_eq!(mine["dossiers"]["totalCount"], 1);
}

#[tokio::test]
async fn dossier_lists_filter_by_channel_procedure_dates_and_overdue() {
    let f = flow().await;
    let processing = f.processing().await;
    let _draft = f.draft().await;
    let count = |filter: Value| {
        let t = f.t.clone_handle();
        let token = f.reception.clone();
        async move {
            t.data(
                Some(&token),
                "query($f: DossierFilter) { dossiers(filter: $f) { totalCount } }",
                json!({ "f": filter }),
            )
            .await["dossiers"]["totalCount"]
                .as_u64()
                .unwrap()
        }
    };
    // Officials never see drafts: only the processing one counts.
    assert_eq!(count(json!({ "channel": "ONLINE" })).await, 1);
    assert_eq!(count(json!({ "channel": "DIRECT" })).await, 0);
    assert_eq!(count(json!({ "procedureId": f.procedure["id"] })).await, 1);
    assert_eq!(
        count(json!({ "statuses": ["DRAFT", "PROCESSING"] })).await,
        1
    );
    let received = processing["receivedAt"].as_str().unwrap();
    assert_eq!(count(json!({ "receivedFrom": received })).await, 1);
    assert_eq!(count(json!({ "receivedTo": received })).await, 0);
    assert_eq!(count(json!({ "overdue": false })).await, 1);
    assert_eq!(count(json!({ "overdue": true })).await, 0);
    f.t.app.state.clock.advance(chrono::Duration::days(90));
    let f = f.relogin().await;
    let q = "{ dossiers(filter: { overdue: true }) { totalCount edges { node { id } } } }";
    let overdue = f.t.data(Some(&f.reception), q, json!({})).await;
    assert_eq!(
        overdue["dossiers"]["edges"][0]["node"]["id"],
        processing["id"]
    );
}

#[tokio::test]
async fn analysts_see_every_dossier_masked_and_change_nothing() {
    let f = flow().await;
    let d = f.submitted().await;
    let analyst = f.t.login_demo("phantich@demo.motcua.vn").await;
    let q = "{ dossiers { totalCount edges { node { applicant { name idNumber phone email } formData receipt { applicantName } } } } }";
    let seen = f.t.data(Some(&analyst), q, json!({})).await;
    assert_eq!(seen["dossiers"]["totalCount"], 1);
    let node = &seen["dossiers"]["edges"][0]["node"];
    assert_eq!(node["applicant"]["name"], "Nguyễn V** A*");
    assert_eq!(node["applicant"]["idNumber"], "*********234");
    assert_eq!(node["applicant"]["phone"], "*******456");
    assert_eq!(node["applicant"]["email"], "c***@demo.motcua.vn");
    assert_eq!(node["formData"], json!({ "masked": true }));
    let text = seen.to_string();
    assert!(
        !text.contains(motcua::services::demo::DEMO_CITIZEN_ID) && !text.contains("Nguyễn Văn An")
    );
    // Read-only.
    assert_eq!(
        error_code(&f.act(&analyst, "receiveDossier", &d, "").await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&f.act(&analyst, "withdrawDossier", &d, "").await),
        "FORBIDDEN"
    );
    let v =
        f.t.gql(
            Some(&analyst),
            "mutation { createSector(code: \"AN\", name: \"x\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&v), "FORBIDDEN");
}

#[tokio::test]
async fn a_draft_is_its_applicants_alone() {
    let f = flow().await;
    let d = f.draft().await;
    let q = "query($id: ID!) { dossier(id: $id) { status } }";
    for token in [&f.reception, &f.leader] {
        assert_eq!(
            error_code(&f.t.gql(Some(token), q, json!({ "id": d["id"] })).await),
            "NOT_FOUND"
        );
    }
    let supervisor = f.t.login_demo("giamsat@demo.motcua.vn").await;
    assert_eq!(
        error_code(
            &f.t.gql(Some(&supervisor), q, json!({ "id": d["id"] }))
                .await
        ),
        "NOT_FOUND"
    );
    assert_eq!(
        f.t.data(Some(&supervisor), "{ dossiers { totalCount } }", json!({}))
            .await["dossiers"]["totalCount"],
        0
    );
    assert_eq!(
        f.t.data(Some(&f.citizen), q, json!({ "id": d["id"] }))
            .await["dossier"]["status"],
        "DRAFT"
    );
}

/// A selection of every field of `type_name` without required arguments,
/// objects expanded `depth` levels, built from the schema itself: whatever
/// a type gains later is covered too.
pub async fn every_field(t: &TestApp, type_name: &str, depth: usize) -> String {
    let q = "{ __schema { types { name fields { name type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } args { type { kind } defaultValue } } } } }";
    let schema = t.data(None, q, json!({})).await;
    let types = schema["__schema"]["types"].as_array().unwrap().clone();
    fn named(ty: &Value) -> (&str, &str) {
        let mut t = ty;
        while t["name"].is_null() {
            t = &t["ofType"];
        }
        (t["kind"].as_str().unwrap(), t["name"].as_str().unwrap())
    }
    fn select(types: &[Value], name: &str, depth: usize) -> String {
        let ty = types.iter().find(|t| t["name"] == name).unwrap();
        let mut out = Vec::new();
        for f in ty["fields"].as_array().unwrap() {
            let required = f["args"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["type"]["kind"] == "NON_NULL" && a["defaultValue"].is_null());
            if required {
                continue;
            }
            let (kind, inner) = named(&f["type"]);
            let field = f["name"].as_str().unwrap();
            match kind {
                "OBJECT" if depth > 0 => {
                    out.push(format!("{field} {{ {} }}", select(types, inner, depth - 1)))
                }
                "OBJECT" | "INTERFACE" | "UNION" => {}
                _ => out.push(field.to_owned()),
            }
        }
        out.join(" ")
    }
    select(&types, type_name, depth)
}

#[tokio::test]
async fn analysts_never_see_personal_data_in_any_field_of_a_dossier() {
    let f = flow().await;
    // A dossier that has been through every kind of step, with personal
    // details written into its free text.
    let d = f.processing().await;
    let d = f
        .ok(
            &f.specialist,
            "pauseDossier",
            &d,
            ", kind: SUPPLEMENT, reason: \"Gọi ông Nguyễn Văn An 0905123456 bổ sung\"",
        )
        .await;
    let d = f.ok(&f.citizen, "supplementDossier", &d, "").await;
    let d = f.ok(&f.specialist, "submitForApproval", &d, "").await;
    let d = f.ok(&f.leader, "approveDossier", &d, "").await;
    f.paid(&d).await;
    let d = f
        .ok(&f.reception, "returnResult", &d, ", method: COUNTER")
        .await;
    f.t.data(
        Some(&f.citizen),
        "mutation($d: ID!) { rateDossier(dossierId: $d, input: { serviceUse: SATISFIED, staffAttitude: SATISFIED, processingTime: SATISFIED, comment: \"Nguyễn Văn An, 0905123456, hài lòng\" }) { ratedAt } }",
        json!({ "d": d["id"] }),
    )
    .await;
    let analyst = f.t.login_demo("phantich@demo.motcua.vn").await;
    let fields = every_field(&f.t, "Dossier", 2).await;
    let q = format!("query($id: ID!) {{ dossier(id: $id) {{ {fields} }} }}");
    let seen = f.t.gql(Some(&analyst), &q, json!({ "id": d["id"] })).await;
    assert!(seen.get("errors").is_none(), "{seen}");
    let text = seen.to_string();
    for secret in [
        "Nguyễn Văn An",
        motcua::services::demo::DEMO_CITIZEN_ID,
        "0905123456",
        "congdan@demo.motcua.vn",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // The officials' own view is whole.
    let whole = f.t.gql(Some(&f.leader), &q, json!({ "id": d["id"] })).await;
    assert!(whole.to_string().contains("Nguyễn Văn An"));
}
