//! Fees and payments (Hà Nam Art. 10.2.c–d): online through the gateway's
//! signed callback (good, bad, replayed, wrong amount), officers' counter
//! payments, the procedure's payment requirement, refunds and receipts.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

use crate::catalogue::{content, CREATE};
use crate::fixtures::{flow, form_for, register_other_citizen, Flow};
use crate::helpers::{error_code, error_field, motcua, stdout_of, ServerProcess, TestApp};

const FEES: &str = "query($id: ID!) { dossier(id: $id) { fees { totalVnd paidVnd refundedVnd outstandingVnd status paymentDue lines { name amountVnd } } payments { reference method amountVnd status receiptNumber gatewayTransactionId refundReason } } }";
const CREATE_PAYMENT: &str =
    "mutation($d: ID!) { createPayment(dossierId: $d) { id reference amountVnd status method } }";
const RECORD: &str = "mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { id status method amountVnd receiptNumber externalReference } }";
const REFUND: &str = "mutation($p: ID!, $r: String!) { refundPayment(paymentId: $p, reason: $r) { status refundReason refundedAt } }";

/// Posts a callback body, signed with `secret`.
pub async fn callback(t: &TestApp, secret: &[u8], body: &Value) -> (StatusCode, Value) {
    let raw = body.to_string();
    let signature = motcua::domain::payment::sign(secret, raw.as_bytes());
    let req = Request::post("/payments/callback")
        .header("content-type", "application/json")
        .header("x-signature", signature)
        .body(Body::from(raw))
        .unwrap();
    t.send(req).await
}

pub fn secret(t: &TestApp) -> Vec<u8> {
    t.app.state.payment_secret.to_vec()
}

pub fn success(reference: &Value, txn: &str, amount: i64) -> Value {
    json!({ "reference": reference, "transactionId": txn, "amountVnd": amount, "status": "SUCCESS" })
}

async fn fees(f: &Flow, d: &Value) -> Value {
    f.t.data(Some(&f.citizen), FEES, json!({ "id": d["id"] }))
        .await["dossier"]
        .clone()
}

#[tokio::test]
async fn an_online_payment_is_credited_once_by_a_signed_callback() {
    let f = flow().await;
    let d = f.submitted().await;
    let before = fees(&f, &d).await;
    // The demo procedure's one fee line: 150.000 đồng.
    assert_eq!(
        before["fees"],
        json!({ "totalVnd": 150000, "paidVnd": 0, "refundedVnd": 0, "outstandingVnd": 150000, "status": "UNPAID", "paymentDue": "BEFORE_RETURN",
                "lines": [{ "name": "Lệ phí cấp giấy phép xây dựng công trình (theo Nghị quyết của HĐND tỉnh)", "amountVnd": 150000 }] })
    );
    let p =
        f.t.data(Some(&f.citizen), CREATE_PAYMENT, json!({ "d": d["id"] }))
            .await["createPayment"]
            .clone();
    assert_eq!(
        (
            p["amountVnd"].as_i64(),
            p["status"].as_str(),
            p["method"].as_str()
        ),
        (Some(150000), Some("PENDING"), Some("ONLINE_GATEWAY"))
    );
    // Asked again: the same pending payment.
    let again =
        f.t.data(Some(&f.citizen), CREATE_PAYMENT, json!({ "d": d["id"] }))
            .await["createPayment"]
            .clone();
    assert_eq!(again["reference"], p["reference"]);
    // Only the applicant pays their dossier.
    let other = register_other_citizen(&f.t).await;
    let v =
        f.t.gql(Some(&other), CREATE_PAYMENT, json!({ "d": d["id"] }))
            .await;
    assert_eq!(error_code(&v), "NOT_FOUND");

    let good = success(&p["reference"], "GW-0001", 150000);
    // A wrong secret, a missing signature, a body altered after signing.
    let (status, v) = callback(&f.t, b"not the secret", &good).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("BAD_SIGNATURE"))
    );
    let unsigned = Request::post("/payments/callback")
        .header("content-type", "application/json")
        .body(Body::from(good.to_string()))
        .unwrap();
    assert_eq!(f.t.send(unsigned).await.0, StatusCode::UNAUTHORIZED);
    let signature = motcua::domain::payment::sign(&secret(&f.t), good.to_string().as_bytes());
    let tampered = Request::post("/payments/callback")
        .header("x-signature", signature)
        .body(Body::from(
            success(&p["reference"], "GW-0001", 1).to_string(),
        ))
        .unwrap();
    assert_eq!(f.t.send(tampered).await.0, StatusCode::UNAUTHORIZED);
    // Signed, but for another amount or an unknown reference.
    let (status, v) = callback(
        &f.t,
        &secret(&f.t),
        &success(&p["reference"], "GW-0001", 15000),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (
            v["error"].as_str(),
            v["expectedVnd"].as_i64(),
            v["receivedVnd"].as_i64()
        ),
        (Some("AMOUNT_MISMATCH"), Some(150000), Some(15000))
    );
    let (status, _) = callback(
        &f.t,
        &secret(&f.t),
        &success(&json!("TT0000"), "GW-0001", 150000),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A failure report changes nothing.
    let failed = json!({ "reference": p["reference"], "transactionId": "GW-0000", "amountVnd": 150000, "status": "FAILED" });
    let (status, v) = callback(&f.t, &secret(&f.t), &failed).await;
    assert_eq!(
        (status, v["result"].as_str()),
        (StatusCode::OK, Some("NOT_SUCCESSFUL"))
    );
    assert_eq!(fees(&f, &d).await["fees"]["status"], "UNPAID");

    let (status, v) = callback(&f.t, &secret(&f.t), &good).await;
    assert_eq!(
        (status, v["result"].as_str()),
        (StatusCode::OK, Some("CREDITED")),
        "{v}"
    );
    let receipt = v["receiptNumber"].as_str().unwrap().to_owned();
    // The gateway retries: acknowledged, never credited twice.
    let (status, v) = callback(&f.t, &secret(&f.t), &good).await;
    assert_eq!(
        (status, v["result"].as_str()),
        (StatusCode::OK, Some("ALREADY_RECORDED"))
    );
    assert_eq!(v["receiptNumber"], receipt.as_str());
    let (status, v) = callback(
        &f.t,
        &secret(&f.t),
        &success(&p["reference"], "GW-0002", 150000),
    )
    .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (StatusCode::CONFLICT, Some("ALREADY_PAID"))
    );

    let after = fees(&f, &d).await;
    assert_eq!(after["fees"]["status"], "PAID");
    assert_eq!(after["fees"]["paidVnd"], 150000);
    assert_eq!(after["fees"]["outstandingVnd"], 0);
    let paid: Vec<&Value> = after["payments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "PAID")
        .collect();
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0]["gatewayTransactionId"], "GW-0001");
    // Nothing is owed now.
    let v =
        f.t.gql(Some(&f.citizen), CREATE_PAYMENT, json!({ "d": d["id"] }))
            .await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION");

    // The receipt, for the dossier's readers only.
    let q = "query($n: String!) { paymentReceipt(number: $n) { amountVnd method paidAt receiptNumber } }";
    let r = f.t.data(Some(&f.citizen), q, json!({ "n": receipt })).await;
    assert_eq!(r["paymentReceipt"]["amountVnd"], 150000);
    assert_eq!(
        error_code(&f.t.gql(Some(&other), q, json!({ "n": receipt })).await),
        "NOT_FOUND"
    );
    assert_eq!(
        error_code(
            &f.t.gql(Some(&f.reception), q, json!({ "n": "BL-99999999" }))
                .await
        ),
        "NOT_FOUND"
    );
}

/// A flow on a new procedure of the demo department that must be paid
/// before `due` (1.500.000 đồng).
async fn flow_paying(due: &str) -> Flow {
    let f = flow().await;
    let admin = f.t.login_demo("quantri@demo.motcua.vn").await;
    let (s, fi, _) = crate::catalogue::refs(&f.t).await;
    let mut c = content(&s, &fi, &json!(f.department), 10);
    c["paymentDue"] = json!(due);
    let code = format!("9.{:06}", due.len());
    let created =
        f.t.data(
            Some(&admin),
            CREATE,
            json!({ "i": { "code": code, "content": c } }),
        )
        .await;
    let id = created["createProcedure"]["id"].clone();
    let p = f
        .t
        .data(
            None,
            "query($id: ID!) { procedure(id: $id) { id processingHours current { paymentDue components { name required } } } }",
            json!({ "id": id }),
        )
        .await["procedure"]
        .clone();
    assert_eq!(p["current"]["paymentDue"], due);
    Flow {
        form: form_for(&p),
        procedure: p,
        ..f
    }
}

#[tokio::test]
async fn fees_due_before_reception_hold_the_reception_until_paid() {
    let f = flow_paying("BEFORE_RECEPTION").await;
    let d = f.submitted().await;
    let v = f.act(&f.reception, "receiveDossier", &d, "").await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("1500000"),
        "{v}"
    );
    let p =
        f.t.data(Some(&f.citizen), CREATE_PAYMENT, json!({ "d": d["id"] }))
            .await["createPayment"]
            .clone();
    let (status, _) = callback(
        &f.t,
        &secret(&f.t),
        &success(&p["reference"], "GW-77", 1_500_000),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let received = f.ok(&f.reception, "receiveDossier", &d, "").await;
    assert_eq!(received["status"], "RECEIVED");
}

#[tokio::test]
async fn fees_due_before_return_are_taken_at_the_counter() {
    let f = flow_paying("BEFORE_RETURN").await;
    // Received without payment.
    let d = f.processing().await;
    let d = f.approved(&d).await;
    let v = f
        .act(&f.reception, "returnResult", &d, ", method: COUNTER")
        .await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION");

    let input = |method: &str, amount: i64, reference: Option<&str>| json!({ "i": { "dossierId": d["id"], "method": method, "amountVnd": amount, "reference": reference } });
    // Refusals: a citizen, the wrong amount, the gateway's method, a bank
    // transfer without its reference.
    assert_eq!(
        error_code(
            &f.t.gql(Some(&f.citizen), RECORD, input("COUNTER", 1_500_000, None))
                .await
        ),
        "FORBIDDEN"
    );
    let v =
        f.t.gql(
            Some(&f.reception),
            RECORD,
            input("COUNTER", 1_000_000, None),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "amountVnd")
    );
    let v =
        f.t.gql(
            Some(&f.reception),
            RECORD,
            input("ONLINE_GATEWAY", 1_500_000, None),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "method")
    );
    let v =
        f.t.gql(
            Some(&f.reception),
            RECORD,
            input("BANK_TRANSFER", 1_500_000, None),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "reference")
    );
    assert_eq!(fees(&f, &d).await["payments"], json!([]));

    let paid =
        f.t.data(
            Some(&f.reception),
            RECORD,
            input("COUNTER", 1_500_000, Some("Biên lai 0042")),
        )
        .await["recordPayment"]
            .clone();
    assert_eq!(
        (
            paid["status"].as_str(),
            paid["method"].as_str(),
            paid["externalReference"].as_str()
        ),
        (Some("PAID"), Some("COUNTER"), Some("Biên lai 0042"))
    );
    assert!(paid["receiptNumber"].as_str().unwrap().starts_with("BL-"));
    // Paid once: a second recording is refused.
    let v =
        f.t.gql(
            Some(&f.reception),
            RECORD,
            input("COUNTER", 1_500_000, None),
        )
        .await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION");
    f.paid(&d).await;
    let returned = f
        .ok(&f.reception, "returnResult", &d, ", method: COUNTER")
        .await;
    assert_eq!(returned["status"], "RETURNED");
}

#[tokio::test]
async fn refunds_only_when_the_agency_cannot_deliver() {
    let f = flow().await;
    let pay_at_counter = |d: Value| {
        let f = &f;
        async move {
            f.t.data(
                Some(&f.reception),
                RECORD,
                json!({ "i": { "dossierId": d["id"], "method": "COUNTER", "amountVnd": 150000 } }),
            )
            .await["recordPayment"]
                .clone()
        }
    };
    // Not eligible after payment: refunded, once, by an officer.
    let d = f.processing().await;
    let p = pay_at_counter(d.clone()).await;
    let v =
        f.t.gql(
            Some(&f.reception),
            REFUND,
            json!({ "p": p["id"], "r": "Hồ sơ đang xử lý" }),
        )
        .await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION");
    let d = f
        .ok(
            &f.specialist,
            "declareNotEligible",
            &d,
            ", reason: \"Không đủ điều kiện\"",
        )
        .await;
    assert_eq!(
        error_code(
            &f.t.gql(Some(&f.citizen), REFUND, json!({ "p": p["id"], "r": "x" }))
                .await
        ),
        "FORBIDDEN"
    );
    let r =
        f.t.data(
            Some(&f.leader),
            REFUND,
            json!({ "p": p["id"], "r": "Không đủ điều kiện giải quyết" }),
        )
        .await;
    assert_eq!(r["refundPayment"]["status"], "REFUNDED");
    let v =
        f.t.gql(
            Some(&f.reception),
            REFUND,
            json!({ "p": p["id"], "r": "Lần nữa" }),
        )
        .await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION");
    let after = fees(&f, &d).await["fees"].clone();
    assert_eq!(
        (
            after["status"].as_str(),
            after["refundedVnd"].as_i64(),
            after["outstandingVnd"].as_i64()
        ),
        (Some("REFUNDED"), Some(150000), Some(0))
    );

    // Refused at reception after an online payment: refunded.
    let d = f.submitted().await;
    let p =
        f.t.data(Some(&f.citizen), CREATE_PAYMENT, json!({ "d": d["id"] }))
            .await["createPayment"]
            .clone();
    callback(
        &f.t,
        &secret(&f.t),
        &success(&p["reference"], "GW-R1", 150000),
    )
    .await;
    f.ok(
        &f.reception,
        "refuseDossier",
        &d,
        ", reason: \"Sai thẩm quyền\"",
    )
    .await;
    let r =
        f.t.data(
            Some(&f.reception),
            REFUND,
            json!({ "p": p["id"], "r": "Từ chối tiếp nhận" }),
        )
        .await;
    assert_eq!(r["refundPayment"]["status"], "REFUNDED");

    // Returned: the result was delivered; no refund, collected or not.
    let d = f.processing().await;
    let p = pay_at_counter(d.clone()).await;
    let d = f.approved(&d).await;
    let v =
        f.t.gql(
            Some(&f.reception),
            REFUND,
            json!({ "p": p["id"], "r": "Chưa nhận kết quả" }),
        )
        .await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION");
    f.paid(&d).await;
    f.ok(&f.reception, "returnResult", &d, ", method: COUNTER")
        .await;
    let v =
        f.t.gql(
            Some(&f.reception),
            REFUND,
            json!({ "p": p["id"], "r": "Không muốn nữa" }),
        )
        .await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION");
}

/// Posts `raw` signed with `signature` to a server process's callback.
async fn callback_to(server: &ServerProcess, raw: &str, signature: &str) -> Value {
    let answer = crate::helpers::http_client()
        .post(server.url("/payments/callback"))
        .header("content-type", "application/json")
        .header("x-signature", signature)
        .body(raw.to_owned())
        .send()
        .await
        .unwrap();
    serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap()
}

#[tokio::test]
async fn instances_on_one_database_accept_what_sign_callback_signs_from_anywhere() {
    let f = flow().await;
    let d = f.submitted().await;
    let p =
        f.t.data(Some(&f.citizen), CREATE_PAYMENT, json!({ "d": d["id"] }))
            .await["createPayment"]
            .clone();
    let url = secrecy::ExposeSecret::expose_secret(&f.t.app.state.config.database_url).to_owned();
    // No MOTCUA_PAYMENT_SECRET anywhere, and a data directory each.
    let one = ServerProcess::start(&[("MOTCUA_DATABASE_URL", &url)]).await;
    let other = ServerProcess::start(&[("MOTCUA_DATABASE_URL", &url)]).await;

    let raw = success(&p["reference"], "GW-0101", 150000).to_string();
    let elsewhere = tempfile::tempdir().unwrap();
    let signature = stdout_of(
        motcua()
            .args(["sign-callback", &raw])
            .env("MOTCUA_DATABASE_URL", &url)
            .current_dir(elsewhere.path()),
    )
    .trim()
    .to_owned();
    assert_eq!(
        std::fs::read_dir(elsewhere.path()).unwrap().count(),
        0,
        "sign-callback wrote a file"
    );

    let v = callback_to(&one, &raw, &signature).await;
    assert_eq!(v["result"], "CREDITED", "{v}");
    let v = callback_to(&other, &raw, &signature).await;
    assert_eq!(v["result"], "ALREADY_RECORDED", "{v}");
    // The in-process instance started first: the key is the one it made.
    assert_eq!(
        motcua::domain::payment::sign(&secret(&f.t), raw.as_bytes()),
        signature
    );
}

#[tokio::test]
async fn the_key_an_older_version_kept_on_disk_seeds_the_database_once() {
    let (url, _db) = crate::helpers::fresh_database().await;
    let start = |data_dir: std::path::PathBuf, secret: Option<&'static str>| {
        let url = url.clone();
        async move {
            let config = motcua::config::Config::from_lookup(|k| match k {
                "MOTCUA_DATABASE_URL" => Some(url.clone()),
                "MOTCUA_DATA_DIR" => Some(data_dir.display().to_string()),
                "MOTCUA_DEMO" => Some("false".into()),
                "MOTCUA_NOTIFY_WORKER" => Some("false".into()),
                "MOTCUA_PAYMENT_SECRET" => secret.map(str::to_owned),
                _ => None,
            })
            .unwrap();
            let app = motcua::app::App::start(config).await.unwrap();
            app.state.payment_secret.to_vec()
        }
    };
    let old = tempfile::tempdir().unwrap();
    std::fs::write(old.path().join("payment-callback.key"), "old-key\n").unwrap();
    assert_eq!(start(old.path().into(), None).await, b"old-key");
    // Another instance, another (stray) key file: the database's key wins.
    let new = tempfile::tempdir().unwrap();
    std::fs::write(new.path().join("payment-callback.key"), "stray").unwrap();
    assert_eq!(start(new.path().into(), None).await, b"old-key");
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(start(empty.path().into(), None).await, b"old-key");
    // MOTCUA_PAYMENT_SECRET still overrides it.
    assert_eq!(
        start(empty.path().into(), Some("configured")).await,
        b"configured"
    );
}

/// Fees due AFTER_RETURN: the result goes out unpaid, and the fee is
/// collected on notice afterwards, at the counter or online.
#[tokio::test]
async fn fees_due_after_the_return_are_collected_after_it() {
    let f = flow_paying("AFTER_RETURN").await;
    let d = f.processing().await;
    let d = f.approved(&d).await;
    let d = f
        .ok(&f.reception, "returnResult", &d, ", method: COUNTER")
        .await;
    assert_eq!(d["status"], "RETURNED");
    assert_eq!(fees(&f, &d).await["fees"]["outstandingVnd"], 1_500_000);
    let p =
        f.t.data(Some(&f.citizen), CREATE_PAYMENT, json!({ "d": d["id"] }))
            .await["createPayment"]
            .clone();
    assert_eq!(p["amountVnd"], 1_500_000);
    let input =
        json!({ "i": { "dossierId": d["id"], "method": "COUNTER", "amountVnd": 1_500_000 } });
    let paid = f.t.data(Some(&f.reception), RECORD, input).await["recordPayment"].clone();
    assert_eq!(paid["status"], "PAID");
    // The online payment started before now finds nothing owed: the
    // gateway is told so (409) and the dossier is not paid twice.
    let (status, body) = callback(
        &f.t,
        &secret(&f.t),
        &success(&p["reference"], "GW-LATE", 1_500_000),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::CONFLICT, Some("NOTHING_OWED"))
    );
    let after = fees(&f, &d).await;
    assert_eq!(
        (
            after["fees"]["paidVnd"].as_i64(),
            after["fees"]["status"].as_str()
        ),
        (Some(1_500_000), Some("PAID"))
    );
}

/// A gateway callback for a dossier withdrawn meanwhile is not credited.
#[tokio::test]
async fn a_callback_for_a_withdrawn_dossier_is_not_credited() {
    let f = flow().await;
    let d = f.submitted().await;
    let p =
        f.t.data(Some(&f.citizen), CREATE_PAYMENT, json!({ "d": d["id"] }))
            .await["createPayment"]
            .clone();
    f.ok(&f.citizen, "withdrawDossier", &d, "").await;
    let (status, body) = callback(
        &f.t,
        &secret(&f.t),
        &success(&p["reference"], "GW-W1", 150_000),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::CONFLICT, Some("NOTHING_OWED"))
    );
    assert_eq!(fees(&f, &d).await["fees"]["paidVnd"], 0);
}

/// At the counter, fees due BEFORE_RECEPTION are taken in the
/// registration's operation: without them nothing is registered.
#[tokio::test]
async fn a_counter_dossier_due_before_reception_is_registered_only_paid() {
    let f = flow_paying("BEFORE_RECEPTION").await;
    let q = "mutation($i: IntakeInput!, $p: CounterPaymentInput) { registerCounterDossier(input: $i, feePayment: $p) { id status } }";
    let input = |fee: Value| json!({ "i": { "procedureId": f.procedure["id"], "agencyId": f.department, "formData": f.form, "applicant": { "name": "Lê Văn Quầy" } }, "p": fee });
    let count = || async {
        f.t.data(
            Some(&f.reception),
            "{ dossiers(first: 100) { totalCount } }",
            json!({}),
        )
        .await["dossiers"]["totalCount"]
            .as_i64()
            .unwrap()
    };
    let before = count().await;
    let v = f.t.gql(Some(&f.reception), q, input(Value::Null)).await;
    assert_eq!(error_code(&v), "INVALID_TRANSITION", "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("1500000"),
        "{v}"
    );
    assert_eq!(count().await, before, "nothing registered");
    let fee = json!({ "method": "COUNTER", "amountVnd": 1_500_000 });
    let d = f.t.data(Some(&f.reception), q, input(fee)).await["registerCounterDossier"].clone();
    assert_eq!(d["status"], "RECEIVED");
    let paid =
        f.t.data(Some(&f.reception), FEES, json!({ "id": d["id"] }))
            .await;
    assert_eq!(paid["dossier"]["fees"]["status"], "PAID");
}
