//! Officers find dossiers (issue 16, item 10): `dossiers(filter: { search })`
//! looks for a phrase of the code, the applicant's name, phone or e-mail,
//! without diacritics, within the caller's scope; audited, not for analysts.

use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::fixtures::{flow, form_for, register_other_citizen, ward, Flow};
use crate::helpers::{error_code, error_field};

const SEARCH: &str = "query($s: String) { dossiers(filter: { search: $s }, first: 50) { totalCount edges { node { id code applicant { name } } } } }";

/// The ids `token` finds with `search`.
async fn found(f: &Flow, token: &str, search: &str) -> Vec<String> {
    let v = f.t.data(Some(token), SEARCH, json!({ "s": search })).await;
    let ids: Vec<String> = v["dossiers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(v["dossiers"]["totalCount"], ids.len(), "{v}");
    ids
}

#[tokio::test]
async fn an_officer_finds_a_dossier_by_the_applicants_name_without_diacritics() {
    let f = flow().await;
    let d = f.submitted().await;
    for typed in ["nguyen van an", "NGUYỄN văn  An", "van an", "Nguyen Van"] {
        assert_eq!(
            found(&f, &f.reception, typed).await,
            [d["id"].as_str().unwrap()],
            "{typed}"
        );
    }
    assert!(found(&f, &f.reception, "nguyen van binh").await.is_empty());
    assert!(found(&f, &f.reception, "an nguyen").await.is_empty());
}

#[tokio::test]
async fn an_officer_finds_a_dossier_by_a_phone_fragment_typed_with_spaces_or_dots() {
    // The demo citizen's phone is 0905123456.
    let f = flow().await;
    let d = f.submitted().await;
    for typed in ["0905 123 456", "0905.123", "123456", "512 34"] {
        assert_eq!(
            found(&f, &f.reception, typed).await,
            [d["id"].as_str().unwrap()],
            "{typed}"
        );
    }
    assert!(found(&f, &f.reception, "0905 999").await.is_empty());
}

#[tokio::test]
async fn an_officer_finds_a_dossier_by_a_fragment_of_its_code_once_received() {
    let f = flow().await;
    let d = f.submitted().await;
    let other = f.submitted().await;
    let d = f.ok(&f.reception, "receiveDossier", &d, "").await;
    let code = d["code"].as_str().unwrap();
    let fragment = &code[code.len() - 9..];
    assert_eq!(
        found(&f, &f.reception, fragment).await,
        [d["id"].as_str().unwrap()]
    );
    assert_eq!(found(&f, &f.reception, &code.to_lowercase()).await.len(), 1);
    // Both are the citizen's: the name finds both.
    let both = found(&f, &f.reception, "nguyen van an").await;
    assert!(
        both.contains(&other["id"].as_str().unwrap().to_owned()),
        "{both:?}"
    );
    assert_eq!(both.len(), 2);
}

#[tokio::test]
async fn free_text_finds_a_counter_dossier_by_any_part_of_its_applicant() {
    let f = flow().await;
    let w = ward(&f).await;
    let q = "mutation($i: IntakeInput!) { registerCounterDossier(input: $i) { id } }";
    let input = json!({ "i": { "procedureId": w.timed["id"], "agencyId": w.ward, "formData": form_for(&w.timed), "applicant": { "name": "Đỗ Văn Chứng", "phone": "0905777888", "email": "Chung.Do@Example.vn" } } });
    let d = f.t.data(Some(&w.desk), q, input).await;
    let id = d["registerCounterDossier"]["id"].as_str().unwrap();
    for typed in ["do van chung", "Chứng", "chung.do@example", "0905 777 888"] {
        assert_eq!(found(&f, &w.desk, typed).await, [id], "{typed}");
    }
}

#[tokio::test]
async fn the_search_keeps_to_the_callers_scope() {
    let f = flow().await;
    let d = f.submitted().await;
    // The ward's desk has no part in the department's dossier.
    let w = ward(&f).await;
    assert!(found(&f, &w.desk, "nguyen van an").await.is_empty());
    // A citizen finds their own dossiers only.
    assert_eq!(
        found(&f, &f.citizen, "nguyen van an").await,
        [d["id"].as_str().unwrap()]
    );
    let other = register_other_citizen(&f.t).await;
    assert!(found(&f, &other, "nguyen van an").await.is_empty());
    // A province-wide supervisor finds it.
    let supervisor = f.t.login_demo("giamsat@demo.motcua.vn").await;
    assert_eq!(found(&f, &supervisor, "0905123456").await.len(), 1);
}

#[tokio::test]
async fn analysts_may_not_search_dossiers() {
    let f = flow().await;
    f.submitted().await;
    let analyst = f.t.login_demo("phantich@demo.motcua.vn").await;
    let v =
        f.t.gql(Some(&analyst), SEARCH, json!({ "s": "nguyen van an" }))
            .await;
    assert_eq!(error_code(&v), "FORBIDDEN", "{v}");
    assert!(v["data"].is_null(), "{v}");
}

#[tokio::test]
async fn an_officers_search_is_audited_with_its_phrase() {
    let f = flow().await;
    f.submitted().await;
    // No applicant in the selection: the search alone is audited.
    let q = "query($s: String) { dossiers(filter: { search: $s }) { totalCount } }";
    f.t.data(Some(&f.reception), q, json!({ "s": "Nguyễn Văn" }))
        .await;
    let admin = f.t.login_demo("quantri@demo.motcua.vn").await;
    let log = f
        .t
        .data(Some(&admin), "{ auditLog(filter: { targetType: \"dossier\" }, first: 100) { edges { node { operation actorRole summary } } } }", json!({}))
        .await;
    let searches: Vec<&Value> = log["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .filter(|n| n["operation"] == "searchDossiers")
        .collect();
    assert_eq!(searches.len(), 1, "{log}");
    assert!(
        searches[0]["summary"].to_string().contains("nguyen van"),
        "{log}"
    );
}

#[tokio::test]
async fn a_search_too_short_or_too_long_is_refused_naming_the_field() {
    let f = flow().await;
    for typed in ["an", " Ă ", "1 2"] {
        let v =
            f.t.gql(Some(&f.reception), SEARCH, json!({ "s": typed }))
                .await;
        assert_eq!(error_code(&v), "BAD_USER_INPUT", "{v}");
        assert_eq!(error_field(&v), "filter.search", "{v}");
    }
    let v =
        f.t.gql(Some(&f.reception), SEARCH, json!({ "s": "a".repeat(201) }))
            .await;
    assert_eq!(error_code(&v), "BAD_USER_INPUT", "{v}");
    assert_eq!(error_field(&v), "filter.search", "{v}");
}

#[tokio::test]
async fn dossiers_from_before_the_search_become_searchable_at_start() {
    let f = flow().await;
    let d = f.submitted().await;
    let db = &f.t.app.state.db;
    // As an upgraded database has them: no search text.
    db.execute_unprepared("UPDATE dossier SET search_text = ''")
        .await
        .unwrap();
    assert!(found(&f, &f.reception, "nguyen van an").await.is_empty());
    let filled = motcua::services::dossiers::search::backfill(db)
        .await
        .unwrap();
    assert_eq!(filled, 1);
    assert_eq!(
        found(&f, &f.reception, "nguyen van an").await,
        [d["id"].as_str().unwrap()]
    );
}
