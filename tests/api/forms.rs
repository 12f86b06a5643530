//! The printable forms of Circular 03/2025/TT-VPCP (issue 16, item 13):
//! `GET /dossiers/{id}/forms/{01…06}.pdf`, read back as text.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::fixtures::{flow, register_other_citizen, Flow};
use crate::helpers::error_code;

fn form_request(token: &str, d: &Value, form: &str) -> Request<Body> {
    let id = d["id"].as_str().unwrap();
    Request::get(format!("/dossiers/{id}/forms/{form}.pdf"))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

/// The form as PDF, its text extracted (whitespace collapsed: a wrapped
/// line reads as one).
async fn form_text(f: &Flow, token: &str, d: &Value, form: &str) -> String {
    let resp =
        f.t.app
            .router()
            .oneshot(form_request(token, d, form))
            .await
            .unwrap();
    let status = resp.status();
    let content_type = resp.headers().get(header::CONTENT_TYPE).cloned();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(content_type.unwrap(), "application/pdf");
    assert!(bytes.starts_with(b"%PDF-"));
    // The fonts are embedded as subsets: not their 1.4 MB (750 KB
    // compressed) on every page.
    assert!(bytes.len() < 200_000, "{} bytes", bytes.len());
    let text = pdf_extract::extract_text_from_mem(&bytes).unwrap();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The status and error code of a refused form.
async fn refused(f: &Flow, token: &str, d: &Value, form: &str) -> (StatusCode, String) {
    let (status, body) = f.t.send(form_request(token, d, form)).await;
    (status, error_code(&body).to_string())
}

/// One field of `dossier(id)` as the reception officer reads it.
async fn dossier_field(f: &Flow, d: &Value, selection: &str) -> Value {
    let q = format!("query($id: ID!) {{ dossier(id: $id) {{ {selection} }} }}");
    let v =
        f.t.data(Some(&f.reception), &q, json!({ "id": d["id"] }))
            .await;
    let name = selection.split_whitespace().next().unwrap();
    v["dossier"][name].clone()
}

fn has(text: &str, wanted: &str) {
    assert!(text.contains(wanted), "{wanted:?} not in {text:?}");
}

/// What every form prints: the header, the applicant with diacritics,
/// and the code with the tracking link under its QR code — or, before
/// reception (02 and 03 of an online dossier), that it has no code yet.
fn common(text: &str, d: &Value) {
    has(text, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
    has(text, "Độc lập - Tự do - Hạnh phúc");
    has(text, d["applicant"]["name"].as_str().unwrap());
    match d["code"].as_str() {
        Some(code) => {
            has(text, code);
            has(text, &format!("http://localhost:3000/tra-cuu?ma={code}"));
        }
        None => {
            has(text, "Mã hồ sơ: chưa cấp");
            assert!(!text.contains("tra-cuu"), "{text}");
        }
    }
}

#[tokio::test]
async fn the_receipt_prints_the_code_the_applicant_the_components_and_the_due_date() {
    let f = flow().await;
    let d = f.processing().await;
    let text = form_text(&f, &f.citizen, &d, "01").await;
    common(&text, &d);
    has(&text, "Mẫu số 01");
    has(&text, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ");
    has(&text, "ỦY BAN NHÂN DÂN TỈNH");
    let receipt = dossier_field(&f, &d, "receipt { components dueAt }").await;
    let components = receipt["components"].as_array().unwrap();
    assert!(!components.is_empty());
    for c in components {
        has(&text, c.as_str().unwrap());
    }
    // dd/mm/yyyy HH:MM in the province's zone, as the API's dueAt says.
    let due = chrono::DateTime::parse_from_rfc3339(receipt["dueAt"].as_str().unwrap()).unwrap();
    has(&text, &due.format("%d/%m/%Y %H:%M").to_string());
    // The officials who may read it print it too.
    let by_desk = form_text(&f, &f.reception, &d, "01").await;
    has(&by_desk, d["code"].as_str().unwrap());
}

#[tokio::test]
async fn the_supplement_request_lists_every_item_with_its_reason() {
    let f = flow().await;
    let d = f.submitted().await;
    let items = ", items: [{ component: \"Bản vẽ thiết kế\", reason: \"Thiếu chữ ký\" }, { component: \"Đơn đề nghị\", reason: \"Sai mẫu\" }]";
    let d = f.ok(&f.reception, "requestSupplement", &d, items).await;
    let text = form_text(&f, &f.citizen, &d, "02").await;
    common(&text, &d);
    has(&text, "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ");
    has(&text, "Bản vẽ thiết kế: Thiếu chữ ký");
    has(&text, "Đơn đề nghị: Sai mẫu");
}

#[tokio::test]
async fn the_refusal_and_the_stop_notice_print_their_reasons() {
    let f = flow().await;
    let d = f.submitted().await;
    let reason = ", reason: \"Không thuộc thẩm quyền\"";
    let d = f.ok(&f.reception, "refuseDossier", &d, reason).await;
    let text = form_text(&f, &f.citizen, &d, "03").await;
    common(&text, &d);
    has(&text, "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ");
    has(&text, "Lý do: Không thuộc thẩm quyền");

    let p = f.processing().await;
    let reason = ", reason: \"Người nộp đề nghị dừng\"";
    let p = f.ok(&f.leader, "stopDossier", &p, reason).await;
    let text = form_text(&f, &f.citizen, &p, "05").await;
    common(&text, &p);
    has(&text, "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ");
    has(&text, "Lý do: Người nộp đề nghị dừng");
}

#[tokio::test]
async fn the_apology_prints_the_reason_and_the_new_due_date() {
    let f = flow().await;
    let d = f.processing().await;
    let due = chrono::DateTime::parse_from_rfc3339(d["dueAt"].as_str().unwrap()).unwrap();
    let later = due + chrono::Duration::days(5);
    let args = format!(
        ", reason: \"Cần xác minh thực địa\", newDueAt: \"{}\"",
        later.to_rfc3339()
    );
    let d = f.ok(&f.leader, "issueApology", &d, &args).await;
    let text = form_text(&f, &f.citizen, &d, "04").await;
    common(&text, &d);
    has(&text, "Lý do: Cần xác minh thực địa");
    has(
        &text,
        &format!(
            "Ngày hẹn trả kết quả mới: {}",
            later.format("%d/%m/%Y %H:%M")
        ),
    );
    has(
        &text,
        &format!("Ngày hẹn trước đây: {}", due.format("%d/%m/%Y %H:%M")),
    );
}

#[tokio::test]
async fn the_control_sheet_prints_a_row_per_step() {
    let f = flow().await;
    let d = f.processing().await;
    let d = f.approved(&d).await;
    f.paid(&d).await;
    let d = f
        .ok(&f.reception, "returnResult", &d, ", method: COUNTER")
        .await;
    let text = form_text(&f, &f.reception, &d, "06").await;
    common(&text, &d);
    has(&text, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ");
    let rows = dossier_field(&f, &d, "controlSheet { steps finishedAt }").await;
    let rows = rows.as_array().unwrap();
    assert!(rows.len() > 1);
    for r in rows {
        // A step's first words (a long name wraps inside its cell).
        let first = r["steps"][0].as_str().unwrap();
        let words: Vec<&str> = first.split_whitespace().take(2).collect();
        has(&text, &words.join(" "));
        let done = chrono::DateTime::parse_from_rfc3339(r["finishedAt"].as_str().unwrap()).unwrap();
        has(&text, &done.format("%d/%m/%Y").to_string());
    }
}

#[tokio::test]
async fn forms_are_refused_to_other_citizens_analysts_postal_staff_and_before_issue() {
    let f = flow().await;
    let d = f.processing().await;
    let other = register_other_citizen(&f.t).await;
    assert_eq!(
        refused(&f, &other, &d, "01").await,
        (StatusCode::NOT_FOUND, "NOT_FOUND".into())
    );
    // Analysts read masked data only: no personal form, as no file.
    let analyst = f.t.login_demo("phantich@demo.motcua.vn").await;
    assert_eq!(
        refused(&f, &analyst, &d, "01").await,
        (StatusCode::FORBIDDEN, "FORBIDDEN".into())
    );
    // Postal staff see the dossiers they registered with what delivery
    // needs, which is no personal form either.
    let postal = f.t.login_demo("buudien@demo.motcua.vn").await;
    let q = "mutation($i: IntakeInput!) { registerPostalDossier(input: $i) { id version } }";
    let input = json!({
        "procedureId": f.procedure["id"], "agencyId": f.department, "formData": f.form,
        "applicant": { "name": "Phạm Thị Hoa", "idNumber": "051185000777", "phone": "0912 000 777" }
    });
    let p =
        f.t.data(Some(&postal), q, json!({ "i": input })).await["registerPostalDossier"].clone();
    let p = f.ok(&f.reception, "receiveDossier", &p, "").await;
    assert_eq!(
        refused(&f, &postal, &p, "01").await,
        (StatusCode::FORBIDDEN, "FORBIDDEN".into())
    );
    // The desk prints the postal applicant's receipt.
    has(&form_text(&f, &f.reception, &p, "01").await, "Phạm Thị Hoa");
    // Never refused, never asked for a supplement, no apology, not stopped.
    for form in ["02", "03", "04", "05"] {
        let (status, body) = f.t.send(form_request(&f.citizen, &d, form)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{form}");
        assert_eq!(error_code(&body), "NOT_FOUND");
        assert!(body.to_string().contains("biểu mẫu"), "{body}");
    }
    // A submitted dossier has no receipt yet; 07 is no form.
    let s = f.submitted().await;
    assert_eq!(
        refused(&f, &f.citizen, &s, "01").await,
        (StatusCode::NOT_FOUND, "NOT_FOUND".into())
    );
    assert_eq!(
        refused(&f, &f.citizen, &d, "07").await,
        (StatusCode::NOT_FOUND, "NOT_FOUND".into())
    );
    // Without a session.
    let id = d["id"].as_str().unwrap();
    let (status, _) =
        f.t.send(
            Request::get(format!("/dossiers/{id}/forms/01.pdf"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_officials_print_is_audited_as_a_read_of_the_dossier() {
    let f = flow().await;
    let d = f.processing().await;
    let before = audited_reads(&f, &d).await;
    form_text(&f, &f.reception, &d, "01").await;
    assert_eq!(audited_reads(&f, &d).await, before + 1);
}

/// readDossier entries in the audit log for `d`.
async fn audited_reads(f: &Flow, d: &Value) -> i64 {
    let admin = f.t.login_demo("quantri@demo.motcua.vn").await;
    let q = "query($f: AuditFilter) { auditLog(filter: $f, first: 1) { totalCount } }";
    let filter = json!({ "operation": "readDossier", "targetId": d["id"] });
    f.t.data(Some(&admin), q, json!({ "f": filter })).await["auditLog"]["totalCount"]
        .as_i64()
        .unwrap()
}
