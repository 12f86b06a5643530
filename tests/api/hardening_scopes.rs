//! Issue 11 (hardening), items 2, 7 and 8: who may be linked to a dossier
//! entered on someone's behalf, scopes no wider than DOMAIN.md's role
//! table, and no existence oracle on any id-taking dossier operation.

use serde_json::{json, Value};

use crate::dossiers::{flow, register_other_citizen, Flow};
use crate::helpers::{error_code, error_field, TestApp};

const INTAKE: &str =
    "mutation($i: IntakeInput!) { registerCounterDossier(input: $i) { id version status } }";
const POSTAL_INTAKE: &str =
    "mutation($i: IntakeInput!) { registerPostalDossier(input: $i) { id version status } }";

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
