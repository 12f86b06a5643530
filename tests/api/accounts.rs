//! Registration, login, sessions, throttling, first-login password change,
//! and role and agency scoping.

use serde_json::{json, Value};

use crate::helpers::{error_code, error_field, TestApp, DEMO_PASSWORD};

const REGISTER: &str = "mutation($i: RegisterCitizenInput!) { registerCitizen(input: $i) { id fullName citizenId phone email kind roles { role } } }";
const ME: &str =
    "{ me { fullName email mustChangePassword roles { role roleLabel agency { code } } } }";

fn citizen(id: &str, email: &str, password: &str) -> Value {
    json!({ "i": { "fullName": "Trần Thị Bình", "citizenId": id, "phone": "+84 905 111 222", "email": email, "password": password } })
}

#[tokio::test]
async fn a_citizen_registers_and_signs_in_with_id_number_or_email() {
    let t = TestApp::spawn_empty().await;
    let d = t
        .data(
            None,
            REGISTER,
            citizen("051195004321", "Binh@Example.vn", "mat-khau-1"),
        )
        .await;
    let a = &d["registerCitizen"];
    assert_eq!(a["citizenId"], "051195004321");
    assert_eq!(a["phone"], "0905111222");
    assert_eq!(a["email"], "binh@example.vn");
    assert_eq!(a["kind"], "CITIZEN");
    assert_eq!(a["roles"][0]["role"], "CITIZEN");

    for identifier in ["051195004321", "binh@example.vn"] {
        let token = t.login(identifier, "mat-khau-1").await;
        let me = t.data(Some(&token), ME, json!({})).await;
        assert_eq!(me["me"]["fullName"], "Trần Thị Bình");
    }
}

#[tokio::test]
async fn bad_registrations_name_the_field_and_store_nothing() {
    let t = TestApp::spawn_empty().await;
    let cases = [
        (citizen("05119500432", "a@x.vn", "mat-khau-1"), "citizenId"),
        (citizen("003195004321", "a@x.vn", "mat-khau-1"), "citizenId"),
        (citizen("051195004321", "a@x.vn", "short"), "password"),
        (
            citizen("051195004321", "not-an-email", "mat-khau-1"),
            "email",
        ),
        // A name is one line: it is copied onto every dossier's applicant.
        (
            {
                let mut v = citizen("051195004321", "a@x.vn", "mat-khau-1");
                v["i"]["fullName"] = json!("Lê Văn\r\n=HYPERLINK(\"http://x\")");
                v
            },
            "fullName",
        ),
    ];
    for (vars, field) in cases {
        let v = t.gql(None, REGISTER, vars).await;
        assert_eq!(error_code(&v), "BAD_USER_INPUT", "{v:#}");
        assert_eq!(error_field(&v), field);
        assert!(v["data"].is_null());
    }
    // Nothing was stored: the same ID number and e-mail are still free.
    t.data(
        None,
        REGISTER,
        citizen("051195004321", "a@x.vn", "mat-khau-1"),
    )
    .await;
}

#[tokio::test]
async fn duplicate_id_numbers_and_emails_are_refused() {
    let t = TestApp::spawn_empty().await;
    t.data(
        None,
        REGISTER,
        citizen("051195004321", "a@x.vn", "mat-khau-1"),
    )
    .await;
    let v = t
        .gql(
            None,
            REGISTER,
            citizen("051195004321", "b@x.vn", "mat-khau-1"),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "citizenId")
    );
    let v = t
        .gql(
            None,
            REGISTER,
            citizen("051195009999", "A@X.VN", "mat-khau-1"),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "email")
    );
}

#[tokio::test]
async fn organisations_register_with_a_valid_tax_code() {
    let t = TestApp::spawn_empty().await;
    let q = "mutation($i: RegisterOrganisationInput!) { registerOrganisation(input: $i) { kind taxCode } }";
    let input = |tax: &str| json!({ "i": { "name": "Công ty TNHH Sông Trà", "taxCode": tax, "phone": "0255 3822 999", "email": "st@x.vn", "password": "mat-khau-1" } });
    let v = t.gql(None, q, input("4300123457")).await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "taxCode")
    );
    let d = t.data(None, q, input("4300123458")).await;
    assert_eq!(
        d["registerOrganisation"],
        json!({ "kind": "ORGANISATION", "taxCode": "4300123458" })
    );
    t.login("4300123458", "mat-khau-1").await;
}

#[tokio::test]
async fn a_wrong_password_or_unknown_account_is_unauthenticated() {
    let t = TestApp::spawn().await;
    let q = "mutation($i: String!, $p: String!) { login(identifier: $i, password: $p) { token } }";
    let v = t
        .gql(
            None,
            q,
            json!({ "i": "congdan@demo.motcua.vn", "p": "wrong-password" }),
        )
        .await;
    assert_eq!(error_code(&v), "UNAUTHENTICATED");
    let v = t
        .gql(
            None,
            q,
            json!({ "i": "nobody@demo.motcua.vn", "p": "wrong-password" }),
        )
        .await;
    assert_eq!(error_code(&v), "UNAUTHENTICATED");
}

#[tokio::test]
async fn logout_revokes_the_token() {
    let t = TestApp::spawn().await;
    let token = t.login_demo("congdan@demo.motcua.vn").await;
    assert!(token.len() >= 43, "256-bit token");
    t.data(Some(&token), ME, json!({})).await;
    t.data(Some(&token), "mutation { logout }", json!({})).await;
    let v = t.gql(Some(&token), ME, json!({})).await;
    assert_eq!(error_code(&v), "UNAUTHENTICATED");
    // Even a public query with a revoked token is refused: the client must drop it.
    let v = t.gql(Some(&token), "{ sectors { code } }", json!({})).await;
    assert_eq!(error_code(&v), "UNAUTHENTICATED");
}

#[tokio::test]
async fn sessions_expire_when_idle_and_at_their_absolute_limit() {
    let t = TestApp::spawn().await;
    let idle = t.login_demo("congdan@demo.motcua.vn").await;
    t.app.state.clock.advance(chrono::Duration::minutes(121));
    assert_eq!(
        error_code(&t.gql(Some(&idle), ME, json!({})).await),
        "UNAUTHENTICATED"
    );

    let busy = t.login_demo("congdan@demo.motcua.vn").await;
    // Used every 100 minutes it never idles out, but ends after 24 hours.
    for _ in 0..14 {
        t.app.state.clock.advance(chrono::Duration::minutes(100));
        t.data(Some(&busy), ME, json!({})).await;
    }
    t.app.state.clock.advance(chrono::Duration::minutes(100));
    assert_eq!(
        error_code(&t.gql(Some(&busy), ME, json!({})).await),
        "UNAUTHENTICATED"
    );
}

async fn login_from(t: &TestApp, addr: &str, password: &str) -> Value {
    t.gql_with(
        None,
        "mutation($i: String!, $p: String!) { login(identifier: $i, password: $p) { token } }",
        json!({ "i": "congdan@demo.motcua.vn", "p": password }),
        &[("x-forwarded-for", addr)],
    )
    .await
}

#[tokio::test]
async fn failed_logins_are_throttled_without_locking_the_owner_out() {
    let t = TestApp::spawn().await;
    for _ in 0..5 {
        assert_eq!(
            error_code(&login_from(&t, "203.0.113.7", "guess-1234").await),
            "UNAUTHENTICATED"
        );
    }
    // The guesser is slowed down, even with the right password…
    let v = login_from(&t, "203.0.113.7", DEMO_PASSWORD).await;
    assert_eq!(error_code(&v), "RATE_LIMITED");
    assert!(
        v["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap()
            > 0
    );
    // …while the owner, elsewhere, still signs in.
    let v = login_from(&t, "198.51.100.20", DEMO_PASSWORD).await;
    assert!(v["data"]["login"]["token"].is_string(), "{v:#}");
    // And the block ends by itself.
    t.app.state.clock.advance(chrono::Duration::minutes(16));
    let v = login_from(&t, "203.0.113.7", DEMO_PASSWORD).await;
    assert!(v["data"]["login"]["token"].is_string(), "{v:#}");
}

const CREATE_OFFICIAL: &str = "mutation($i: CreateOfficialInput!) { createOfficial(input: $i) { oneTimePassword account { id mustChangePassword roles { role agency { code } } } } }";

#[tokio::test]
async fn officials_must_change_their_one_time_password_first() {
    let t = TestApp::spawn().await;
    let admin = t.login_demo("quantri@demo.motcua.vn").await;
    let justice = t
        .agency_id(motcua::services::demo::DEMO_DEPARTMENT_CODE)
        .await;
    let d = t
        .data(
            Some(&admin),
            CREATE_OFFICIAL,
            json!({ "i": { "fullName": "Ngô Văn Mới", "email": "moi@demo.motcua.vn", "roles": [{ "role": "SPECIALIST", "agencyId": justice }] } }),
        )
        .await;
    let otp = d["createOfficial"]["oneTimePassword"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(d["createOfficial"]["account"]["mustChangePassword"], true);

    let first = t.login("moi@demo.motcua.vn", &otp).await;
    let other = t.login("moi@demo.motcua.vn", &otp).await;
    let v = t.gql(Some(&first), "{ sectors { code } }", json!({})).await;
    assert_eq!(error_code(&v), "PASSWORD_CHANGE_REQUIRED");
    assert!(v["data"].is_null());
    assert_eq!(
        t.data(Some(&first), ME, json!({})).await["me"]["mustChangePassword"],
        true
    );

    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    let v = t
        .gql(Some(&first), change, json!({ "c": otp, "n": "short" }))
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "newPassword")
    );
    let v = t
        .gql(
            Some(&first),
            change,
            json!({ "c": "wrong-one-1", "n": "mat-khau-moi" }),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "currentPassword")
    );
    t.data(
        Some(&first),
        change,
        json!({ "c": otp, "n": "mat-khau-moi" }),
    )
    .await;

    t.data(Some(&first), "{ sectors { code } }", json!({}))
        .await;
    // The account's other sessions ended with the change.
    assert_eq!(
        error_code(&t.gql(Some(&other), ME, json!({})).await),
        "UNAUTHENTICATED"
    );
    t.login("moi@demo.motcua.vn", "mat-khau-moi").await;
}

#[tokio::test]
async fn only_admins_create_officials_and_roles_are_checked() {
    let t = TestApp::spawn().await;
    let input = |roles: Value| json!({ "i": { "fullName": "Ngô Văn Mới", "email": "moi@demo.motcua.vn", "roles": roles } });
    let v = t
        .gql(None, CREATE_OFFICIAL, input(json!([{ "role": "ADMIN" }])))
        .await;
    assert_eq!(error_code(&v), "UNAUTHENTICATED");
    let leader = t.login_demo("lanhdao@demo.motcua.vn").await;
    let v = t
        .gql(
            Some(&leader),
            CREATE_OFFICIAL,
            input(json!([{ "role": "ADMIN" }])),
        )
        .await;
    assert_eq!(error_code(&v), "FORBIDDEN");

    let admin = t.login_demo("quantri@demo.motcua.vn").await;
    let v = t
        .gql(
            Some(&admin),
            CREATE_OFFICIAL,
            input(json!([{ "role": "SPECIALIST" }])),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "roles.0.agencyId")
    );
    let v = t
        .gql(
            Some(&admin),
            CREATE_OFFICIAL,
            input(json!([{ "role": "SPECIALIST", "agencyId": "999999" }])),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "roles.0.agencyId")
    );
    let v = t
        .gql(
            Some(&admin),
            CREATE_OFFICIAL,
            input(json!([{ "role": "CITIZEN" }])),
        )
        .await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "roles.0.role")
    );
    let v = t.gql(Some(&admin), CREATE_OFFICIAL, input(json!([]))).await;
    assert_eq!(
        (error_code(&v), error_field(&v)),
        ("BAD_USER_INPUT", "roles")
    );
}

#[tokio::test]
async fn agency_staff_is_scoped_to_the_leaders_own_agency_tree() {
    let t = TestApp::spawn().await;
    let justice = t
        .agency_id(motcua::services::demo::DEMO_DEPARTMENT_CODE)
        .await;
    let centre = t.agency_id(motcua::services::demo::CENTRE_CODE).await;
    let q = "query($a: ID!) { agencyStaff(agencyId: $a) { email roles { role } } }";

    let leader = t.login_demo("lanhdao@demo.motcua.vn").await;
    let d = t.data(Some(&leader), q, json!({ "a": justice })).await;
    let emails: Vec<&str> = d["agencyStaff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert!(
        emails.contains(&"chuyenvien@demo.motcua.vn") && emails.contains(&"lanhdao@demo.motcua.vn")
    );
    assert_eq!(
        error_code(&t.gql(Some(&leader), q, json!({ "a": centre })).await),
        "FORBIDDEN"
    );

    let specialist = t.login_demo("chuyenvien@demo.motcua.vn").await;
    assert_eq!(
        error_code(&t.gql(Some(&specialist), q, json!({ "a": justice })).await),
        "FORBIDDEN"
    );
    let citizen = t.login_demo("congdan@demo.motcua.vn").await;
    assert_eq!(
        error_code(&t.gql(Some(&citizen), q, json!({ "a": justice })).await),
        "FORBIDDEN"
    );
    let supervisor = t.login_demo("giamsat@demo.motcua.vn").await;
    t.data(Some(&supervisor), q, json!({ "a": centre })).await;
    assert_eq!(
        error_code(&t.gql(None, q, json!({ "a": centre })).await),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn every_role_has_a_demo_account() {
    let t = TestApp::spawn().await;
    let mut roles = Vec::new();
    for email in [
        "quantri@demo.motcua.vn",
        "motcua@demo.motcua.vn",
        "buudien@demo.motcua.vn",
        "chuyenvien@demo.motcua.vn",
        "lanhdao@demo.motcua.vn",
        "kiemsoat@demo.motcua.vn",
        "giamsat@demo.motcua.vn",
        "phantich@demo.motcua.vn",
        "congdan@demo.motcua.vn",
    ] {
        let token = t.login_demo(email).await;
        let me = t.data(Some(&token), ME, json!({})).await;
        roles.push(me["me"]["roles"][0]["role"].as_str().unwrap().to_owned());
    }
    roles.sort();
    assert_eq!(
        roles,
        [
            "ADMIN",
            "AGENCY_LEADER",
            "ANALYST",
            "CITIZEN",
            "POSTAL_STAFF",
            "PROVINCE_SUPERVISOR",
            "RECEPTION_OFFICER",
            "SPECIALIST",
            "TTHC_CONTROLLER"
        ]
    );
}
