//! Accounts and sessions: registration, officials, login with throttling,
//! logout, password change, and turning a bearer token into an `Actor`.

use base64::Engine;
use chrono::{DateTime, Datelike, Utc};
use entity::{account, account_role, agency, session};
use rand::RngCore;
use sea_orm::prelude::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use sha2::{Digest, Sha256};

use super::audit::{self, Entry};
use super::{password, Caller};
use crate::domain::authz::{authorize, AccountKind, Action, Actor, AgencyScope, Grant, Role};
use crate::domain::identity::{
    one_line, AccountIdentifiers, CitizenId, Email, NewPassword, Phone, TaxCode,
};
use crate::domain::{throttle, Problem};
use crate::error::{stored_enum, AppError, AppResult, AtField, Missing};
use crate::state::AppState;
use crate::store;
use serde_json::json;

const NAME_MAX: usize = 200;

/// Unique columns of `account` and the input fields they come from.
const ACCOUNT_UNIQUES: &[(store::Unique, &str)] = &[
    (store::ACCOUNT_CITIZEN_ID, "citizenId"),
    (store::ACCOUNT_TAX_CODE, "taxCode"),
    (store::ACCOUNT_EMAIL, "email"),
    (store::ACCOUNT_EXTERNAL_ID, "externalId"),
];

pub struct CitizenRegistration {
    pub full_name: String,
    pub citizen_id: String,
    pub phone: String,
    pub email: Option<String>,
    pub password: String,
}

pub struct OrganisationRegistration {
    pub name: String,
    pub tax_code: String,
    pub phone: String,
    pub email: String,
    pub password: String,
}

pub struct OfficialInput {
    pub full_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub grants: Vec<Grant>,
}

/// An account with its roles.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub account: account::Model,
    pub grants: Vec<Grant>,
}

pub struct LoginOutcome {
    /// The bearer token; shown once, stored only as its SHA-256.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub account: AccountView,
}

pub async fn register_citizen(
    st: &AppState,
    caller: &Caller<'_>,
    input: CitizenRegistration,
) -> AppResult<AccountView> {
    throttle_registration(st, caller).await?;
    let now = st.clock.now();
    let full_name = one_line(&input.full_name, NAME_MAX).at("fullName")?;
    let citizen_id = CitizenId::parse(&input.citizen_id, now.year()).at("citizenId")?;
    let phone = Phone::parse(&input.phone).at("phone")?;
    let email = Email::parse_optional(input.email.as_deref()).at("email")?;
    let own = AccountIdentifiers {
        name: Some(&full_name),
        email: email.as_ref().map(Email::as_str),
        phone: Some(phone.as_str()),
        citizen_id: Some(citizen_id.as_str()),
        tax_code: None,
    };
    let password = password::check_new(&input.password, own, "password").await?;
    insert_account(
        st,
        caller,
        "registerCitizen",
        NewAccount {
            kind: AccountKind::Citizen,
            full_name,
            citizen_id: Some(citizen_id.as_str().into()),
            tax_code: None,
            phone: Some(phone.as_str().into()),
            email: email.map(|e| e.as_str().to_owned()),
            password,
            must_change_password: false,
        },
        vec![CITIZEN_GRANT],
    )
    .await
}

const CITIZEN_GRANT: Grant = Grant {
    role: Role::Citizen,
    agency_id: None,
};

pub async fn register_organisation(
    st: &AppState,
    caller: &Caller<'_>,
    input: OrganisationRegistration,
) -> AppResult<AccountView> {
    throttle_registration(st, caller).await?;
    let name = one_line(&input.name, NAME_MAX).at("name")?;
    let tax_code = TaxCode::parse(&input.tax_code).at("taxCode")?;
    let phone = Phone::parse(&input.phone).at("phone")?;
    let email = Email::parse(&input.email).at("email")?;
    let own = AccountIdentifiers {
        name: Some(&name),
        email: Some(email.as_str()),
        phone: Some(phone.as_str()),
        citizen_id: None,
        tax_code: Some(tax_code.as_str()),
    };
    let password = password::check_new(&input.password, own, "password").await?;
    insert_account(
        st,
        caller,
        "registerOrganisation",
        NewAccount {
            kind: AccountKind::Organisation,
            full_name: name,
            citizen_id: None,
            tax_code: Some(tax_code.as_str().into()),
            phone: Some(phone.as_str().into()),
            email: Some(email.as_str().into()),
            password,
            must_change_password: false,
        },
        vec![CITIZEN_GRANT],
    )
    .await
}

/// The password an official starts with.
#[derive(Debug, Clone, Copy)]
pub enum StartingPassword<'a> {
    /// Random (96 bits, 16 characters), returned once, to be changed at
    /// first sign-in (`createOfficial`, `motcua create-admin`).
    OneTime,
    /// The demo accounts' password, published in the README and kept:
    /// checked for length only (`NewPassword::published`).
    Published(&'a str),
}

/// ADMIN (or the system, for `create-admin`) creates an official with a
/// random one-time password, returned once.
pub async fn create_official(
    st: &AppState,
    caller: &Caller<'_>,
    input: OfficialInput,
) -> AppResult<(AccountView, String)> {
    insert_official(st, caller, input, StartingPassword::OneTime).await
}

/// Creates an official and returns it with its starting password. Errors:
/// BAD_USER_INPUT on `fullName`, `email`, `phone`, `roles…`, or `password`
/// for a published one too short or long.
pub async fn insert_official(
    st: &AppState,
    caller: &Caller<'_>,
    input: OfficialInput,
    starting: StartingPassword<'_>,
) -> AppResult<(AccountView, String)> {
    caller.authorize(Action::ManageAccounts)?;
    let full_name = one_line(&input.full_name, NAME_MAX).at("fullName")?;
    let email = Email::parse(&input.email).at("email")?;
    let phone = Phone::parse_optional(input.phone.as_deref()).at("phone")?;
    let own = AccountIdentifiers {
        name: Some(&full_name),
        email: Some(email.as_str()),
        phone: phone.as_ref().map(Phone::as_str),
        citizen_id: None,
        tax_code: None,
    };
    let (password, must_change_password) = match starting {
        StartingPassword::Published(p) => (NewPassword::published(p).at("password")?, false),
        StartingPassword::OneTime => (one_time_password(own).await?, true),
    };
    let shown = password.expose().to_owned();
    check_grants(st, &input.grants).await?;
    insert_account(
        st,
        caller,
        "createOfficial",
        NewAccount {
            kind: AccountKind::Official,
            full_name,
            citizen_id: None,
            tax_code: None,
            phone: phone.map(|p| p.as_str().to_owned()),
            email: Some(email.as_str().into()),
            password,
            must_change_password,
        },
        input.grants,
    )
    .await
    .map(|view| (view, shown))
}

/// An official's roles: at least one; agency-bound roles name an existing
/// agency, the others none; never CITIZEN.
pub(super) async fn check_grants(st: &AppState, grants: &[Grant]) -> AppResult<()> {
    if grants.is_empty() {
        return Err(AppError::bad_input("roles", Problem::Required));
    }
    for (i, g) in grants.iter().enumerate() {
        let at = format!("roles.{i}");
        if g.role == Role::Citizen {
            return Err(AppError::bad_input(
                format!("{at}.role"),
                Problem::UnknownValue,
            ));
        }
        match (g.role.is_agency_bound(), g.agency_id) {
            (true, None) => {
                return Err(AppError::bad_input(
                    format!("{at}.agencyId"),
                    Problem::Required,
                ))
            }
            (true, Some(id)) => {
                if agency::Entity::find_by_id(id).one(&st.db).await?.is_none() {
                    return Err(AppError::bad_input(
                        format!("{at}.agencyId"),
                        Problem::UnknownReference,
                    ));
                }
            }
            (false, Some(_)) => {
                return Err(AppError::bad_input(
                    format!("{at}.agencyId"),
                    Problem::Invalid {
                        vi: "Vai trò này không gắn với cơ quan".into(),
                        en: "This role is not bound to an agency".into(),
                    },
                ))
            }
            (false, None) => {}
        }
    }
    Ok(())
}

/// Inserts the account and its roles in one transaction.
/// A validated account about to be stored.
struct NewAccount {
    kind: AccountKind,
    full_name: String,
    citizen_id: Option<String>,
    tax_code: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    password: NewPassword,
    must_change_password: bool,
}

/// Hashes the password, then inserts the account and its roles in one
/// transaction.
async fn insert_account(
    st: &AppState,
    caller: &Caller<'_>,
    operation: &str,
    new: NewAccount,
    grants: Vec<Grant>,
) -> AppResult<AccountView> {
    let hash = password::hash(new.password.expose().to_owned()).await?;
    let now = st.clock.now();
    let row = account::ActiveModel {
        kind: Set(new.kind.as_str().into()),
        full_name: Set(new.full_name),
        citizen_id: Set(new.citizen_id),
        tax_code: Set(new.tax_code),
        phone: Set(new.phone),
        email: Set(new.email),
        external_id: Set(None),
        password_hash: Set(hash),
        must_change_password: Set(new.must_change_password),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let txn = store::write_txn(&st.db).await?;
    let account = row
        .insert(&txn)
        .await
        .map_err(|e| store::unique_violation(e, ACCOUNT_UNIQUES))?;
    for g in &grants {
        account_role::ActiveModel {
            account_id: Set(account.id),
            role: Set(g.role.as_str().into()),
            agency_id: Set(g.agency_id),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    // No personal data in the log: the account id leads to it.
    let roles: Vec<_> = grants
        .iter()
        .map(|g| json!({ "role": g.role.as_str(), "agencyId": g.agency_id }))
        .collect();
    let summary = json!({ "after": { "kind": account.kind, "roles": roles, "mustChangePassword": account.must_change_password } });
    audit::commit(
        txn,
        caller,
        now,
        Entry::new(operation, "account", account.id, summary),
    )
    .await?;
    Ok(AccountView { account, grants })
}

/// A random one-time password (96 bits as 16 URL-safe base64 characters)
/// that the policy accepts for this account: a random string may, once in
/// about a million, happen to contain a four-letter piece of the name.
async fn one_time_password(own: AccountIdentifiers<'_>) -> AppResult<NewPassword> {
    for _ in 0..16 {
        let mut bytes = [0u8; 12];
        rand::rng().fill_bytes(&mut bytes);
        let candidate = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        match password::check_new(&candidate, own, "password").await {
            Ok(p) => return Ok(p),
            Err(AppError::BadInput { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(AppError::internal("no random password passed the policy"))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Finds the account an identifier names: an e-mail address, a 12-digit
/// citizen ID number, or a tax code.
async fn find_by_identifier(st: &AppState, identifier: &str) -> AppResult<Option<account::Model>> {
    let id = identifier.trim();
    let column = if id.contains('@') {
        account::Column::Email
    } else if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        account::Column::CitizenId
    } else {
        account::Column::TaxCode
    };
    let value = match column {
        account::Column::Email => id.to_lowercase(),
        account::Column::TaxCode => TaxCode::parse(id)
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        _ => id.to_owned(),
    };
    if value.is_empty() {
        return Ok(None);
    }
    Ok(account::Entity::find()
        .filter(column.eq(value))
        .one(&st.db)
        .await?)
}

/// Signs in. Failed attempts are throttled per (account, address), per
/// account and per address; a blocked key answers `RATE_LIMITED` without
/// looking at the password.
pub async fn login(
    st: &AppState,
    caller: &Caller<'_>,
    identifier: &str,
    password: &str,
) -> AppResult<LoginOutcome> {
    let client_addr = caller.client_addr;
    let bucket = crate::store::throttle::address_key(client_addr);
    let now = st.clock.now();
    let account = find_by_identifier(st, identifier).await?;
    let mut keys = vec![(format!("addr:{bucket}"), throttle::PER_ADDRESS)];
    if let Some(a) = &account {
        keys.push((format!("account:{}", a.id), throttle::PER_ACCOUNT));
        keys.push((
            format!("account:{}:{bucket}", a.id),
            throttle::PER_ACCOUNT_AND_ADDRESS,
        ));
    }
    // Every attempt is counted before the password is looked at, so that
    // concurrent guesses cannot all slip past one check.
    for (key, rule) in &keys {
        st.throttle.hit(key, rule, now).await?;
    }
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let ok = password::verify(password.to_owned(), stored).await?;
    let account = match account {
        Some(a) if ok && a.active => a,
        _ => return Err(AppError::Unauthenticated),
    };
    // A success is no failure: it gives its attempt back to the account and
    // the address, and clears this account's failures from this address
    // only (the other counters keep protecting against guessing elsewhere).
    for (key, rule) in &keys {
        if rule == &throttle::PER_ACCOUNT_AND_ADDRESS {
            st.throttle.clear(key, rule, now).await;
        } else {
            st.throttle.refund(key, rule, now).await;
        }
    }
    let token = new_token();
    let expires_at = now + st.config.sessions.absolute;
    let txn = store::write_txn(&st.db).await?;
    let session = session::ActiveModel {
        account_id: Set(account.id),
        token_hash: Set(token_hash(&token)),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        client_addr: Set(Some(client_addr.to_owned())),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let grants = grants_of(&txn, account.id).await?;
    let signed_in = Actor {
        account_id: account.id,
        session_id: session.id,
        kind: stored_enum::<AccountKind>(&account.kind)?,
        grants: grants.clone(),
        must_change_password: account.must_change_password,
    };
    let as_caller = Caller::new(Some(&signed_in), caller.request_id, client_addr);
    let summary = json!({ "after": { "sessionId": session.id, "clientAddr": client_addr } });
    audit::commit(
        txn,
        &as_caller,
        now,
        Entry::new("login", "account", account.id, summary),
    )
    .await?;
    Ok(LoginOutcome {
        token,
        expires_at,
        account: AccountView { account, grants },
    })
}

/// Counts a public dossier lookup against the client's address, the code
/// and the identifier as it is matched (hashed; a phone normalised by the
/// caller), whatever the lookup finds:
/// RATE_LIMITED once any budget is spent.
pub async fn throttle_lookup(
    st: &AppState,
    client_addr: &str,
    code: &str,
    identifier: &str,
) -> AppResult<()> {
    use crate::store::throttle::{address_key, hashed};
    let now = st.clock.now();
    let keys = [
        (
            format!("lookup:{}", address_key(client_addr)),
            throttle::LOOKUP_PER_ADDRESS,
        ),
        (hashed("lookup-code", code), throttle::LOOKUP_PER_CODE),
        (
            hashed("lookup-id", identifier),
            throttle::LOOKUP_PER_IDENTIFIER,
        ),
    ];
    for (key, rule) in &keys {
        st.throttle.hit(key, rule, now).await?;
    }
    Ok(())
}

/// Counts a registration from the client's address.
async fn throttle_registration(st: &AppState, caller: &Caller<'_>) -> AppResult<()> {
    let key = format!(
        "register:{}",
        crate::store::throttle::address_key(caller.client_addr)
    );
    st.throttle
        .hit(&key, &throttle::REGISTRATION_PER_ADDRESS, st.clock.now())
        .await
}

/// The roles an account holds, in the order they were granted. Errors:
/// INTERNAL for a stored role name this build does not know.
pub async fn grants_of(db: &impl ConnectionTrait, account_id: i64) -> AppResult<Vec<Grant>> {
    account_role::Entity::find()
        .filter(account_role::Column::AccountId.eq(account_id))
        .order_by_asc(account_role::Column::Id)
        .all(db)
        .await?
        .iter()
        .map(grant_of)
        .collect()
}

/// A stored role grant.
fn grant_of(r: &account_role::Model) -> AppResult<Grant> {
    stored_grant(&r.role, r.agency_id)
}

/// A grant from its stored role and agency.
fn stored_grant(role: &str, agency_id: Option<i64>) -> AppResult<Grant> {
    Ok(Grant {
        role: stored_enum::<Role>(role)?,
        agency_id,
    })
}

/// Resolves a bearer token to the actor, or `UNAUTHENTICATED` when it is
/// unknown, revoked, idle too long or past its absolute expiry, or its
/// account is deactivated.
pub async fn authenticate(st: &AppState, token: &str) -> AppResult<Actor> {
    let now = st.clock.now();
    let live = live_session(st, token).await?;
    let session = &live.session;
    // Refresh the idle clock at most once a minute: one write per minute of
    // activity, not one per request.
    if now - session.last_seen_at > chrono::Duration::minutes(1) {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .filter(session::Column::Id.eq(session.id))
            .exec(&st.db)
            .await?;
    }
    actor_of(live)
}

/// The actor of a live session and when its session must be looked at
/// again (its expiry, or the end of its idle time), without counting as
/// activity: a subscription's check must not keep an idle session alive.
/// Errors: UNAUTHENTICATED when the session is not live.
pub async fn session_actor(st: &AppState, token: &str) -> AppResult<(Actor, DateTime<Utc>)> {
    let live = live_session(st, token).await?;
    let until = live
        .session
        .expires_at
        .min(live.session.last_seen_at + st.config.sessions.idle);
    Ok((actor_of(live)?, until))
}

fn actor_of(live: LiveSession) -> AppResult<Actor> {
    Ok(Actor {
        account_id: live.account.id,
        session_id: live.session.id,
        kind: stored_enum::<AccountKind>(&live.account.kind)?,
        grants: live.grants,
        must_change_password: live.account.must_change_password,
    })
}

/// A live session, its account and the account's grants.
struct LiveSession {
    session: session::Model,
    account: account::Model,
    grants: Vec<Grant>,
}

/// The session a token names, its account and its grants, when both are
/// live: one statement (session ⋈ account ⟕ account_role, a row per
/// grant), run by every signed-in request (issue 15).
async fn live_session(st: &AppState, token: &str) -> AppResult<LiveSession> {
    use sea_orm::{FromQueryResult, JoinType, QueryTrait};
    let now = st.clock.now();
    let of_session = session::Entity::belongs_to(account::Entity)
        .from(session::Column::AccountId)
        .to(account::Column::Id)
        .into();
    let grants = account::Entity::belongs_to(account_role::Entity)
        .from(account::Column::Id)
        .to(account_role::Column::AccountId)
        .into();
    let stmt = session::Entity::find()
        .select_also(account::Entity)
        .join(JoinType::InnerJoin, of_session)
        .join(JoinType::LeftJoin, grants)
        .column_as(account_role::Column::Role, "grant_role")
        .column_as(account_role::Column::AgencyId, "grant_agency_id")
        .filter(session::Column::TokenHash.eq(token_hash(token)))
        .order_by_asc(account_role::Column::Id)
        .build(st.db.get_database_backend());
    let rows = st.db.query_all_raw(stmt).await?;
    let first = rows.first().ok_or(AppError::Unauthenticated)?;
    let session = session::Model::from_query_result(first, "A_")?;
    let account = account::Model::from_query_result(first, "B_")?;
    let live = session.revoked_at.is_none()
        && session.expires_at > now
        && session.last_seen_at + st.config.sessions.idle > now;
    if !live || !account.active {
        return Err(AppError::Unauthenticated);
    }
    let mut grants = Vec::new();
    for r in &rows {
        if let Some(role) = r.try_get::<Option<String>>("", "grant_role")? {
            grants.push(stored_grant(&role, r.try_get("", "grant_agency_id")?)?);
        }
    }
    Ok(LiveSession {
        session,
        account,
        grants,
    })
}

/// Revokes the caller's session.
pub async fn logout(st: &AppState, caller: &Caller<'_>) -> AppResult<()> {
    let actor = caller.actor.ok_or(AppError::Unauthenticated)?;
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::Id.eq(actor.session_id))
        .exec(&txn)
        .await?;
    crate::events::record_control(
        &txn,
        now,
        &crate::events::Control::AccountChanged {
            account_id: actor.account_id,
        },
    )
    .await?;
    let summary = json!({ "after": { "sessionId": actor.session_id, "revoked": true } });
    audit::commit(
        txn,
        caller,
        now,
        Entry::new("logout", "account", actor.account_id, summary),
    )
    .await?;
    st.outbox_committed();
    Ok(())
}

/// Changes the caller's password (allowed while a change is required) and
/// revokes every other session of the account.
pub async fn change_password(
    st: &AppState,
    caller: &Caller<'_>,
    current: &str,
    new: &str,
) -> AppResult<()> {
    let actor = caller.actor.ok_or(AppError::Unauthenticated)?;
    let account = account::Entity::find_by_id(actor.account_id)
        .one(&st.db)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let own = AccountIdentifiers {
        name: Some(&account.full_name),
        email: account.email.as_deref(),
        phone: account.phone.as_deref(),
        citizen_id: account.citizen_id.as_deref(),
        tax_code: account.tax_code.as_deref(),
    };
    let new = password::check_new(new, own, "newPassword").await?;
    if !password::verify(current.to_owned(), Some(account.password_hash.clone())).await? {
        return Err(AppError::bad_input(
            "currentPassword",
            Problem::Invalid {
                vi: "Mật khẩu hiện tại không đúng".into(),
                en: "The current password is wrong".into(),
            },
        ));
    }
    if new.expose() == current {
        return Err(AppError::bad_input("newPassword", Problem::PasswordReused));
    }
    let hash = password::hash(new.expose().to_owned()).await?;
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(hash))
        .col_expr(account::Column::MustChangePassword, Expr::value(false))
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(account.id))
        .exec(&txn)
        .await?;
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::AccountId.eq(account.id))
        .filter(session::Column::Id.ne(actor.session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    crate::events::record_control(
        &txn,
        now,
        &crate::events::Control::AccountChanged {
            account_id: account.id,
        },
    )
    .await?;
    let summary = json!({ "after": { "passwordChanged": true, "otherSessionsRevoked": true } });
    audit::commit(
        txn,
        caller,
        now,
        Entry::new("changePassword", "account", account.id, summary),
    )
    .await?;
    st.outbox_committed();
    Ok(())
}

pub async fn me(st: &AppState, actor: Option<&Actor>) -> AppResult<AccountView> {
    let actor = actor.ok_or(AppError::Unauthenticated)?;
    let account = account::Entity::find_by_id(actor.account_id)
        .one(&st.db)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(AccountView {
        account,
        grants: actor.grants.clone(),
    })
}

/// The officials holding a role at an agency.
pub async fn agency_staff(
    st: &AppState,
    actor: Option<&Actor>,
    agency_id: i64,
) -> AppResult<Vec<AccountView>> {
    let lineage = store::agencies::lineage(&st.db, agency_id).await?;
    if lineage.is_empty() {
        return Err(AppError::NotFound(Missing::Agency));
    }
    authorize(
        actor,
        Action::ReadAgencyStaff(AgencyScope { lineage: &lineage }),
    )?;
    let roles = account_role::Entity::find()
        .filter(account_role::Column::AgencyId.eq(agency_id))
        .order_by_asc(account_role::Column::AccountId)
        .all(&st.db)
        .await?;
    let ids: Vec<i64> = roles.iter().map(|r| r.account_id).collect();
    let accounts = account::Entity::find()
        .filter(account::Column::Id.is_in(ids))
        .order_by_asc(account::Column::Id)
        .all(&st.db)
        .await?;
    let all_roles = account_role::Entity::find()
        .filter(account_role::Column::AccountId.is_in(accounts.iter().map(|a| a.id)))
        .order_by_asc(account_role::Column::Id)
        .all(&st.db)
        .await?;
    accounts
        .into_iter()
        .map(|account| {
            let grants = all_roles
                .iter()
                .filter(|r| r.account_id == account.id)
                .map(grant_of)
                .collect::<AppResult<_>>()?;
            Ok(AccountView { account, grants })
        })
        .collect()
}
