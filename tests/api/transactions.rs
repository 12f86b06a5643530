//! One API operation, one transaction: idempotent creation on every
//! channel, keys that belong to one dossier, and concurrent writers on the
//! single SQLite writer.

use serde_json::{json, Value};

use crate::fixtures::{flow, form_for, ward, Flow, Ward};
use crate::helpers::{error_code, error_field};

const FIELDS: &str = "id code version status channel";

fn intake(f: &Flow) -> Value {
    json!({
        "procedureId": f.procedure["id"], "agencyId": f.department, "formData": f.form,
        "applicant": { "name": "Phạm Thị Hoa", "idNumber": "051185000777", "phone": "0912000777" }
    })
}

async fn create(f: &Flow, token: &str, key: &str) -> Value {
    let q = format!("mutation($i: CreateDossierInput!, $k: String) {{ createDossier(input: $i, idempotencyKey: $k) {{ {FIELDS} }} }}");
    let input =
        json!({ "procedureId": f.procedure["id"], "agencyId": f.department, "formData": f.form });
    f.t.gql(Some(token), &q, json!({ "i": input, "k": key }))
        .await
}

async fn register(f: &Flow, token: &str, mutation: &str, extra: &str, key: &str) -> Value {
    let q = format!(
        "mutation($i: IntakeInput!, $k: String) {{ {mutation}(input: $i, idempotencyKey: $k{extra}) {{ {FIELDS} }} }}"
    );
    f.t.gql(Some(token), &q, json!({ "i": intake(f), "k": key }))
        .await
}

async fn count_mine(f: &Flow) -> i64 {
    f.t.data(Some(&f.citizen), "{ myDossiers { totalCount } }", json!({}))
        .await["myDossiers"]["totalCount"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_retried_creation_answers_the_dossier_it_created() {
    let f = flow().await;
    let first = create(&f, &f.citizen, "draft-1").await;
    let again = create(&f, &f.citizen, "draft-1").await;
    assert_eq!(first["data"], again["data"], "{again}");
    assert_eq!(count_mine(&f).await, 1);

    let counter = register(&f, &f.reception, "registerCounterDossier", "", "desk-1").await;
    let counter_again = register(&f, &f.reception, "registerCounterDossier", "", "desk-1").await;
    assert_eq!(
        counter["data"]["registerCounterDossier"]["status"],
        "RECEIVED"
    );
    // The retry gets the same dossier, code and all: not a second one.
    assert_eq!(counter["data"], counter_again["data"], "{counter_again}");

    let postal = f.t.login_demo("buudien@demo.motcua.vn").await;
    let by_post = register(&f, &postal, "registerPostalDossier", "", "post-1").await;
    let by_post_again = register(&f, &postal, "registerPostalDossier", "", "post-1").await;
    assert_eq!(
        by_post["data"]["registerPostalDossier"]["status"],
        "SUBMITTED"
    );
    assert_eq!(by_post["data"], by_post_again["data"], "{by_post_again}");

    let q = "{ dossiers(first: 100) { totalCount } }";
    let all = f.t.data(Some(&f.reception), q, json!({})).await;
    assert_eq!(
        all["dossiers"]["totalCount"], 2,
        "one counter and one postal dossier"
    );
}

/// A key reused by mistake for someone else's dossier is refused, not
/// answered with the first dossier as if it were the retry (adversary
/// findings, issue 16): a retry asks the same (procedure, agency,
/// applicant, fee, immediate return), whatever the spacing of its texts.
#[tokio::test]
async fn a_key_reused_for_another_applicant_or_procedure_is_refused() {
    let f = flow().await;
    let q = format!(
        "mutation($i: IntakeInput!, $k: String) {{ registerCounterDossier(input: $i, idempotencyKey: $k) {{ {FIELDS} }} }}"
    );
    let first =
        f.t.gql(
            Some(&f.reception),
            &q,
            json!({ "i": intake(&f), "k": "desk-9" }),
        )
        .await;
    assert!(first.get("errors").is_none(), "{first}");
    // The same applicant typed with spaces around, the phone written
    // otherwise: the same dossier.
    let mut same = intake(&f);
    same["applicant"]["name"] = json!("  Phạm Thị Hoa ");
    same["applicant"]["phone"] = json!("+84 912 000 777");
    let again =
        f.t.gql(Some(&f.reception), &q, json!({ "i": same, "k": "desk-9" }))
            .await;
    assert_eq!(first["data"], again["data"], "{again}");
    for (path, value) in [
        ("name", json!("Lê Văn Nam")),
        ("idNumber", json!("051185000888")),
    ] {
        let mut other = intake(&f);
        other["applicant"][path] = value;
        let v =
            f.t.gql(Some(&f.reception), &q, json!({ "i": other, "k": "desk-9" }))
                .await;
        assert_eq!(
            (error_code(&v), error_field(&v)),
            ("BAD_USER_INPUT", "idempotencyKey"),
            "{path}: {v}"
        );
    }
    // A retry that adds a fee or an immediate return is another request:
    // answering the first dossier would tell the officer the fee was taken.
    for extra in [
        ", feePayment: { method: COUNTER, amountVnd: 150000 }",
        ", returnImmediately: true",
    ] {
        let v = register(&f, &f.reception, "registerCounterDossier", extra, "desk-9").await;
        assert_eq!(
            (error_code(&v), error_field(&v)),
            ("BAD_USER_INPUT", "idempotencyKey"),
            "{extra}: {v}"
        );
    }
    // A citizen's draft key reused for a dossier at another agency (the key
    // is checked first: the agency need not exist).
    assert!(create(&f, &f.citizen, "draft-9")
        .await
        .get("errors")
        .is_none());
    let input =
        json!({ "procedureId": f.procedure["id"], "agencyId": "999999", "formData": f.form });
    let v = f
        .t
        .gql(
            Some(&f.citizen),
            &format!("mutation($i: CreateDossierInput!, $k: String) {{ createDossier(input: $i, idempotencyKey: $k) {{ {FIELDS} }} }}"),
            json!({ "i": input, "k": "draft-9" }),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "idempotencyKey"),
        "{v}"
    );
    let all =
        f.t.data(Some(&f.reception), "{ dossiers { totalCount } }", json!({}))
            .await;
    assert_eq!(
        all["dossiers"]["totalCount"], 1,
        "only the first counter dossier"
    );
}

#[tokio::test]
async fn a_key_used_for_another_dossier_is_refused() {
    let f = flow().await;
    // Creation keys belong to one dossier, whoever used them first.
    assert!(create(&f, &f.citizen, "shared")
        .await
        .get("errors")
        .is_none());
    for v in [
        register(&f, &f.reception, "registerCounterDossier", "", "shared").await,
        register(
            &f,
            &f.t.login_demo("buudien@demo.motcua.vn").await,
            "registerPostalDossier",
            "",
            "shared",
        )
        .await,
    ] {
        assert_eq!(
            (error_code(&v), error_field(&v)),
            ("BAD_USER_INPUT", "idempotencyKey"),
            "{v}"
        );
    }
    assert_eq!(count_mine(&f).await, 1);

    // A submission key used for one dossier cannot submit another
    // (PostgreSQL reports the constraint by name, SQLite by its columns).
    let a = f.draft().await;
    let b = f.draft().await;
    f.ok(
        &f.citizen,
        "submitDossier",
        &a,
        ", idempotencyKey: \"same\"",
    )
    .await;
    let v = f
        .act(
            &f.citizen,
            "submitDossier",
            &b,
            ", idempotencyKey: \"same\"",
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "idempotencyKey"),
        "{v}"
    );
    // Nothing of the refused submission was written.
    let q = "query($id: ID!) { dossier(id: $id) { status version } }";
    let after =
        f.t.data(Some(&f.citizen), q, json!({ "id": b["id"] }))
            .await;
    assert_eq!(after["dossier"], json!({ "status": "DRAFT", "version": 1 }));
}

#[tokio::test]
async fn an_immediate_return_retried_answers_the_returned_dossier() {
    let f = flow().await;
    f.t.to_working_hours().await;
    let w = ward(&f).await;
    let Ward {
        ward,
        desk,
        immediate,
        ..
    } = &w;
    let q = format!("mutation($i: IntakeInput!, $p: CounterPaymentInput) {{ registerCounterDossier(input: $i, returnImmediately: true, feePayment: $p, idempotencyKey: \"now-1\") {{ {FIELDS} }} }}");
    let input = json!({ "i": { "procedureId": immediate["id"], "agencyId": ward, "formData": form_for(immediate), "applicant": { "name": "Đỗ Văn Chứng", "phone": "0905777888" } }, "p": w.fee_at_counter() });
    let first = f.t.data(Some(desk), &q, input.clone()).await;
    let again = f.t.data(Some(desk), &q, input).await;
    assert_eq!(first["registerCounterDossier"]["status"], "RETURNED");
    assert_eq!(first, again);
    let q = "{ dossiers(first: 100) { totalCount } }";
    assert_eq!(
        f.t.data(Some(desk), q, json!({})).await["dossiers"]["totalCount"],
        1
    );
}

#[tokio::test]
async fn sixteen_concurrent_receptions_each_get_their_own_code() {
    let f = flow().await;
    let mut submitted = Vec::new();
    for _ in 0..16 {
        submitted.push(f.submitted().await);
    }
    let receptions = submitted
        .iter()
        .map(|d| f.act(&f.reception, "receiveDossier", d, ""));
    let answers = futures_util::future::join_all(receptions).await;
    let mut codes: Vec<String> = answers
        .iter()
        .map(|v| {
            assert!(v.get("errors").is_none(), "{v}");
            v["data"]["receiveDossier"]["code"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 16, "distinct codes: {codes:?}");
}
