//! Shared arrange steps of the API tests: a demo province with its people
//! signed in (`Flow`), dossiers at each stage, another citizen, officials
//! created by the admin. Tests assert; fixtures only set things up.

use serde_json::{json, Value};

use crate::helpers::TestApp;
use motcua::services::demo::DEMO_DEPARTMENT_CODE;

pub const CREATE_OFFICIAL: &str =
    "mutation($i: CreateOfficialInput!) { createOfficial(input: $i) { oneTimePassword } }";
pub const CHANGE_PASSWORD: &str =
    "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";

pub const FIELDS: &str = "id code version status statusLabel nationalStatusCode channel dueAt legalDueAt receivedAt submittedAt
  timeliness receptionWithinLimit transferWithinLimit supplementRequests pausedWorkingHours
  receivingAgency { code } settlingAgency { code } applicant { name idNumber phone }";

/// A demo province with its people signed in and a department procedure.
pub struct Flow {
    pub t: TestApp,
    pub citizen: String,
    pub reception: String,
    pub specialist: String,
    pub leader: String,
    pub procedure: Value,
    pub department: String,
    pub form: Value,
}

pub async fn flow() -> Flow {
    flow_with(crate::helpers::Options::default()).await
}

pub async fn flow_with(options: crate::helpers::Options) -> Flow {
    flow_on(TestApp::spawn_with(options).await).await
}

/// The flow's accounts and procedure on an app with the demo loaded.
pub async fn flow_on(t: TestApp) -> Flow {
    let department = t.agency_id(DEMO_DEPARTMENT_CODE).await;
    let d = t
        .data(
            None,
            "query($a: ID) { procedures(filter: { agencyId: $a }, first: 1) { edges { node { id processingHours current { components { name required } } } } } }",
            json!({ "a": department }),
        )
        .await;
    let procedure = d["procedures"]["edges"][0]["node"].clone();
    let form = form_for(&procedure);
    Flow {
        citizen: t.login_demo("congdan@demo.motcua.vn").await,
        reception: t.login_demo("motcua@demo.motcua.vn").await,
        specialist: t.login_demo("chuyenvien@demo.motcua.vn").await,
        leader: t.login_demo("lanhdao@demo.motcua.vn").await,
        t,
        procedure,
        department,
        form,
    }
}

/// Form data naming every required component.
pub fn form_for(procedure: &Value) -> Value {
    let names: Vec<Value> = procedure["current"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["required"] == true)
        .map(|c| json!({ "name": c["name"] }))
        .collect();
    json!({ "components": names, "ghiChu": "Hồ sơ thử" })
}

/// The demo ward, its desk officer signed in, and two of its procedures:
/// one with no processing time (chứng thực …) and one with some.
pub struct Ward {
    pub ward: String,
    pub desk: String,
    pub immediate: Value,
    pub timed: Value,
}

pub async fn ward(f: &Flow) -> Ward {
    let ward = f.t.agency_id(motcua::services::demo::DEMO_WARD_CODE).await;
    let desk = f.t.login_demo("motcua.phuong@demo.motcua.vn").await;
    let d = f
        .t
        .data(None, "query($a: ID) { procedures(filter: { agencyId: $a }, first: 100) { edges { node { id processingHours current { totalFeeVnd components { name required } } } } } }", json!({ "a": ward }))
        .await;
    let nodes: Vec<Value> = d["procedures"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let hours = |n: &Value| n["processingHours"].as_i64().unwrap();
    Ward {
        immediate: nodes.iter().find(|n| hours(n) == 0).unwrap().clone(),
        timed: nodes.iter().find(|n| hours(n) > 0).unwrap().clone(),
        ward,
        desk,
    }
}

impl Ward {
    /// The immediate procedure's fee taken at the counter with the dossier
    /// (a `feePayment` of registerCounterDossier).
    pub fn fee_at_counter(&self) -> Value {
        json!({ "method": "COUNTER", "amountVnd": self.immediate["current"]["totalFeeVnd"] })
    }
}

impl Flow {
    /// Signs everybody in again (after the clock moved past their sessions).
    pub async fn relogin(self) -> Flow {
        Flow {
            citizen: self.t.login_demo("congdan@demo.motcua.vn").await,
            reception: self.t.login_demo("motcua@demo.motcua.vn").await,
            specialist: self.t.login_demo("chuyenvien@demo.motcua.vn").await,
            leader: self.t.login_demo("lanhdao@demo.motcua.vn").await,
            ..self
        }
    }

    pub async fn draft(&self) -> Value {
        self.draft_as(&self.citizen).await
    }

    pub async fn draft_as(&self, token: &str) -> Value {
        let q = format!(
            "mutation($i: CreateDossierInput!) {{ createDossier(input: $i) {{ {FIELDS} }} }}"
        );
        let input = json!({ "procedureId": self.procedure["id"], "agencyId": self.department, "formData": self.form });
        self.t.data(Some(token), &q, json!({ "i": input })).await["createDossier"].clone()
    }

    /// Runs a transition mutation `name(id, expectedVersion, …args)`.
    pub async fn act(&self, token: &str, name: &str, d: &Value, args: &str) -> Value {
        let q = format!(
            "mutation($id: ID!, $v: Int!) {{ {name}(id: $id, expectedVersion: $v{args}) {{ {FIELDS} }} }}"
        );
        self.t
            .gql(Some(token), &q, json!({ "id": d["id"], "v": d["version"] }))
            .await
    }

    /// Like `act`, failing on errors, returning the dossier.
    pub async fn ok(&self, token: &str, name: &str, d: &Value, args: &str) -> Value {
        let v = self.act(token, name, d, args).await;
        assert!(v.get("errors").is_none(), "{name}: {v:#}");
        v["data"][name].clone()
    }

    pub async fn submitted(&self) -> Value {
        let d = self.draft().await;
        self.ok(&self.citizen, "submitDossier", &d, "").await
    }

    pub async fn processing(&self) -> Value {
        let d = self.submitted().await;
        let d = self.ok(&self.reception, "receiveDossier", &d, "").await;
        self.ok(&self.reception, "transferDossier", &d, "").await
    }

    /// Proposed by the specialist and approved by the leader: RESULT_READY.
    pub async fn approved(&self, d: &Value) -> Value {
        let d = self.ok(&self.specialist, "submitForApproval", d, "").await;
        self.ok(&self.leader, "approveDossier", &d, "").await
    }

    /// The reception officer takes what `d` owes at the counter (fees are
    /// due before the return unless the procedure says otherwise). The
    /// dossier's version is unchanged.
    pub async fn paid(&self, d: &Value) {
        let owed = self
            .t
            .data(
                Some(&self.reception),
                "query($id: ID!) { dossier(id: $id) { fees { outstandingVnd } } }",
                json!({ "id": d["id"] }),
            )
            .await["dossier"]["fees"]["outstandingVnd"]
            .as_i64()
            .unwrap();
        if owed > 0 {
            self.t
                .data(
                    Some(&self.reception),
                    "mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { status } }",
                    json!({ "i": { "dossierId": d["id"], "method": "COUNTER", "amountVnd": owed } }),
                )
                .await;
        }
    }

    pub async fn history(&self, token: &str, d: &Value, after: i64) -> Vec<Value> {
        let q = "query($id: ID!, $a: Int) { dossierEvents(dossierId: $id, afterSequence: $a) { seq action fromStatus toStatus actorRole note data } }";
        let v = self
            .t
            .data(Some(token), q, json!({ "id": d["id"], "a": after }))
            .await;
        v["dossierEvents"].as_array().unwrap().clone()
    }
}

pub async fn register_other_citizen(t: &TestApp) -> String {
    t.data(
        None,
        "mutation { registerCitizen(input: { fullName: \"Võ Thị Khác\", citizenId: \"051199000888\", phone: \"0905888999\", email: \"khac@x.vn\", password: \"mat-khau-thu-hai\" }) { id } }",
        json!({}),
    )
    .await;
    t.login("khac@x.vn", "mat-khau-thu-hai").await
}

/// The admin creates an official at an agency; returns the one-time password.
pub async fn create_official(t: &TestApp, email: &str, role: &str, agency_id: &str) -> String {
    let admin = t.login_demo("quantri@demo.motcua.vn").await;
    let d = t
        .data(
            Some(&admin),
            CREATE_OFFICIAL,
            json!({ "i": { "fullName": "Ngô Văn Mới", "email": email, "roles": [{ "role": role, "agencyId": agency_id }] } }),
        )
        .await;
    d["createOfficial"]["oneTimePassword"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A second specialist of the demo department (created by the admin, with
/// the one-time password changed), signed in.
pub async fn second_specialist(f: &Flow) -> String {
    let otp = create_official(
        &f.t,
        "chuyenvien2@demo.motcua.vn",
        "SPECIALIST",
        &f.department,
    )
    .await;
    let first = f.t.login("chuyenvien2@demo.motcua.vn", &otp).await;
    f.t.data(
        Some(&first),
        CHANGE_PASSWORD,
        json!({ "c": otp, "n": "bien-ban-giao-nhan-2026" }),
    )
    .await;
    f.t.login("chuyenvien2@demo.motcua.vn", "bien-ban-giao-nhan-2026")
        .await
}
