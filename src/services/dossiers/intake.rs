//! Dossiers coming in: an applicant's draft (createDossier), a dossier
//! handed in at the counter (registerCounterDossier) and one sent by post
//! (registerPostalDossier). Each is one transaction, and each takes an
//! idempotency key: a retry with the key answers the dossier it created.

use chrono::{DateTime, Utc};
use entity::{account, agency, dossier};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::super::{calendar, catalogue, Caller, WriteTxn};
use super::transitions::{apply_in, find, record, EventRecord};
use crate::domain::applicant::{Applicant, ADDRESS_MAX};
use crate::domain::authz::{AccountKind, Grant, Role};
use crate::domain::catalogue::{AgencyKind, ProcedureContent, ProcedureStatus};
use crate::domain::identity::{is_applicants_account, optional_line, required_text, Email, Phone};
use crate::domain::lifecycle::{Channel, DossierAction, DossierStatus, ReturnMethod};
use crate::domain::payment::{PaymentDue, PaymentMethod};
use crate::domain::text::dossier_search_text;
use crate::domain::transition::{Command, IDEMPOTENCY_KEY_MAX};
use crate::domain::Problem;
use crate::error::{AppError, AppResult, AtField, Missing};
use crate::state::AppState;
use crate::store;

/// An applicant's new draft.
pub struct DraftInput {
    pub procedure_id: i64,
    /// The settling agency: one of the procedure's implementing agencies.
    pub agency_id: i64,
    pub form_data: Value,
    pub address: Option<String>,
    /// A retry with the same key answers the same draft.
    pub idempotency_key: Option<String>,
}

/// A dossier an official enters on the applicant's behalf.
pub struct IntakeInput {
    pub procedure_id: i64,
    pub agency_id: i64,
    pub applicant: Applicant,
    /// The applicant's account, when they have one (their dossier then shows
    /// in myDossiers): linked only when its verified identity is the
    /// applicant's ID number or tax code.
    pub applicant_account_id: Option<i64>,
    pub form_data: Value,
    /// A retry with the same key answers the same dossier.
    pub idempotency_key: Option<String>,
}

/// A citizen or organisation starts a dossier; the applicant's details are
/// copied from the account. FORBIDDEN for officials; BAD_USER_INPUT on
/// `procedureId`, `agencyId`, `formData`, `address` or `idempotencyKey`
/// (a key this account used for another dossier, or another account used).
pub async fn create_draft(
    st: &AppState,
    caller: &Caller<'_>,
    input: DraftInput,
) -> AppResult<dossier::Model> {
    let actor = caller.signed_in()?;
    if actor.kind == AccountKind::Official {
        return Err(AppError::Forbidden);
    }
    let txn = WriteTxn::begin(st).await?;
    let asked = json!({
        "procedureId": input.procedure_id,
        "agencyId": input.agency_id,
        "formData": input.form_data,
        "address": tidy(input.address.as_deref()),
    });
    let key = Key::parse(
        input.idempotency_key.as_deref(),
        Channel::Online,
        actor.account_id,
        &asked,
    )?;
    if let Some(d) = key.retried(&*txn, caller).await? {
        return Ok(d);
    }
    let (p, content) = procedure_for(&*txn, input.procedure_id, input.agency_id).await?;
    content.check_form(&input.form_data, &[], false)?;
    let me = account::Entity::find_by_id(actor.account_id)
        .one(&*txn)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let receiving = receiving_unit_for(&*txn, input.agency_id).await?;
    let applicant = Applicant {
        name: me.full_name.clone(),
        id_number: me.citizen_id.clone().or(me.tax_code.clone()),
        phone: me.phone.clone(),
        email: me.email.clone(),
        address: optional_line(input.address.as_deref(), ADDRESS_MAX).at("address")?,
    };
    let d = insert(
        &*txn,
        st,
        caller,
        NewDossier {
            procedure: &p,
            applicant_account_id: Some(me.id),
            applicant,
            channel: Channel::Online,
            status: DossierStatus::Draft,
            receiving_agency_id: receiving,
            settling_agency_id: input.agency_id,
            form_data: input.form_data,
            acting_as: None,
            creation: key.kept(),
            at: st.clock.now(),
            action: DossierAction::Create,
            operation: DossierAction::Create.operation(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(d)
}

/// The officer's grant of a role, for intake at their own unit.
fn grant_of(caller: &Caller<'_>, role: Role) -> AppResult<Grant> {
    let actor = caller.signed_in()?;
    actor
        .grants
        .iter()
        .find(|g| g.role == role && g.agency_id.is_some())
        .copied()
        .ok_or(AppError::Forbidden)
}

/// A reception officer registers a dossier handed in at the counter: it is
/// received at once, at the officer's one-stop unit (Decree 118/2025: any of
/// the province's units receives, whatever the boundary). Registration,
/// reception (code, due date, receipt), the fee taken with it (`payment`)
/// and, with `return_immediately`, the immediate return are one
/// transaction. Fees due before the reception, or an immediate return with
/// fees due before it (the default), unpaid: INVALID_TRANSITION, and
/// nothing is registered; the payment's errors are `payments::record`'s,
/// on `feePayment.*`.
pub async fn register_counter(
    st: &AppState,
    caller: &Caller<'_>,
    input: IntakeInput,
    return_immediately: bool,
    payment: Option<CounterPayment>,
) -> AppResult<dossier::Model> {
    let grant = grant_of(caller, Role::ReceptionOfficer)?;
    let unit = grant.agency_id.ok_or(AppError::Forbidden)?;
    let txn = WriteTxn::begin(st).await?;
    let officer = caller.signed_in()?.account_id;
    let asked = json!({
        "input": asked_of(&input),
        "returnImmediately": return_immediately,
        "feePayment": payment.as_ref().map(|p| json!({
            "method": p.method.as_str(),
            "amountVnd": p.amount_vnd,
            "reference": tidy(p.reference.as_deref()),
        })),
    });
    let key = Key::parse(
        input.idempotency_key.as_deref(),
        Channel::Direct,
        officer,
        &asked,
    )?;
    if let Some(d) = key.retried(&*txn, caller).await? {
        return Ok(d);
    }
    let (_, content) = procedure_for(&*txn, input.procedure_id, input.agency_id).await?;
    if return_immediately && content.processing_time.working_hours() != 0 {
        return Err(AppError::bad_input(
            "returnImmediately",
            Problem::Invalid {
                vi: "Chỉ thủ tục trả ngay (thời hạn 0) mới trả kết quả ngay tại quầy".into(),
                en: "Only procedures with no processing time are returned at once".into(),
            },
        ));
    }
    // One operation, one instant: registration, reception and the return
    // share it, so a 0-hour procedure is never late by the seconds the
    // operation itself took.
    let now = st.clock.now();
    let intake = Intake {
        channel: Channel::Direct,
        receiving: unit,
        grant,
        creation: key.kept(),
        at: now,
    };
    let d = intake.insert(&*txn, st, caller, input).await?;
    // The fee is taken with the dossier, before its reception: a procedure
    // whose fees are due BEFORE_RECEPTION is not received unpaid.
    if let Some(p) = &payment {
        let reference = p.reference.as_deref();
        super::super::payments::record_in(
            &*txn,
            st,
            caller,
            &d,
            p.method,
            p.amount_vnd,
            reference,
            now,
        )
        .await
        .map_err(|e| e.under("feePayment"))?;
    }
    let received = apply_in(&*txn, st, caller, d.id, d.version, &Command::Receive, now).await?;
    let done = if return_immediately {
        let owed = super::super::payments::fees_of(&*txn, &received)
            .await?
            .outstanding_vnd;
        if let Some((vi, en)) = PaymentDue::unpaid(content.payment_due, false, owed) {
            return Err(AppError::InvalidTransition { vi, en });
        }
        settle_at_counter(&*txn, st, caller, grant, received, now).await?
    } else {
        received
    };
    txn.commit().await?;
    Ok(done)
}

/// A fee an officer takes at the counter with the dossier.
#[derive(Debug, Clone)]
pub struct CounterPayment {
    /// COUNTER, BANK_TRANSFER or POSTAL.
    pub method: PaymentMethod,
    /// Exactly what is owed, in VND.
    pub amount_vnd: i64,
    /// The slip or transfer reference (required for a bank transfer).
    pub reference: Option<String>,
}

/// Postal staff register a dossier sent by post; it waits for reception at
/// the unit that receives for the settling agency.
pub async fn register_postal(
    st: &AppState,
    caller: &Caller<'_>,
    input: IntakeInput,
) -> AppResult<dossier::Model> {
    let grant = grant_of(caller, Role::PostalStaff)?;
    let txn = WriteTxn::begin(st).await?;
    let staff = caller.signed_in()?.account_id;
    let key = Key::parse(
        input.idempotency_key.as_deref(),
        Channel::Postal,
        staff,
        &json!({ "input": asked_of(&input) }),
    )?;
    if let Some(d) = key.retried(&*txn, caller).await? {
        return Ok(d);
    }
    let intake = Intake {
        channel: Channel::Postal,
        receiving: receiving_unit_for(&*txn, input.agency_id).await?,
        grant,
        creation: key.kept(),
        at: st.clock.now(),
    };
    let d = intake.insert(&*txn, st, caller, input).await?;
    txn.commit().await?;
    Ok(d)
}

/// A creation's idempotency key, whose it is, and what the creation asks
/// for (`request`: see `fingerprint`).
struct Key {
    value: Option<String>,
    channel: Channel,
    /// The applicant (online) or the registering official.
    creator: i64,
    request: String,
}

impl Key {
    fn parse(key: Option<&str>, channel: Channel, creator: i64, asked: &Value) -> AppResult<Key> {
        let value = match key {
            Some(k) => Some(required_text(k, IDEMPOTENCY_KEY_MAX).at("idempotencyKey")?),
            None => None,
        };
        Ok(Key {
            value,
            channel,
            creator,
            request: fingerprint(channel, asked),
        })
    }

    /// The key and the request's fingerprint, as the new dossier keeps
    /// them (none without a key).
    fn kept(&self) -> Option<(String, String)> {
        self.value.clone().map(|k| (k, self.request.clone()))
    }

    /// The dossier this key already created, when the same creator retries
    /// the same operation with the same arguments; BAD_USER_INPUT on
    /// `idempotencyKey` when the key belongs to another dossier, or was
    /// used with other arguments (another applicant, procedure, fee or
    /// immediate return: a key reused by mistake must not answer another
    /// dossier as if it were this one's).
    async fn retried(
        &self,
        db: &impl ConnectionTrait,
        caller: &Caller<'_>,
    ) -> AppResult<Option<dossier::Model>> {
        let Some(key) = &self.value else {
            return Ok(None);
        };
        // Concurrent retries with one key wait for the first to commit,
        // then find its dossier.
        store::lock(db, "dossier-creation-key", key).await?;
        let Some(d) = dossier::Entity::find()
            .filter(dossier::Column::CreationKey.eq(key.as_str()))
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let creator = match self.channel {
            Channel::Online => d.applicant_account_id,
            Channel::Direct | Channel::Postal => d.registered_by_account_id,
        };
        let taken = || AppError::bad_input("idempotencyKey", Problem::AlreadyTaken);
        if creator != Some(self.creator) || d.channel != self.channel.as_str() {
            return Err(taken());
        }
        if d.creation_request
            .as_ref()
            .is_some_and(|r| *r != self.request)
        {
            return Err(AppError::bad_input(
                "idempotencyKey",
                Problem::Invalid {
                    vi: "Khóa này đã dùng cho một yêu cầu khác (thủ tục, người nộp, lệ phí hoặc cách trả khác): dùng khóa mới cho hồ sơ mới".into(),
                    en: "This key was used with other arguments (another procedure, applicant, fee or return): use a new key for a new dossier".into(),
                },
            ));
        }
        // A retry never shows what the caller may no longer read (an
        // officer moved to another unit since).
        match super::visible_with_lineages(db, caller, d.id).await {
            Ok((d, _)) => Ok(Some(d)),
            Err(AppError::NotFound(_)) => Err(taken()),
            Err(e) => Err(e),
        }
    }
}

/// The fingerprint of a creation: SHA-256 (hex) of the channel and the
/// arguments, as JSON with every object's keys sorted (a client may send
/// them in any order).
fn fingerprint(channel: Channel, asked: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&map[k])))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    let text = format!("{}\n{}", channel.as_str(), sorted(asked));
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// An official's intake as its fingerprint takes it: the applicant's
/// texts as they are stored — trimmed (blank ones none), the phone and
/// e-mail normalised when they are valid (`0905 123 456` and
/// `+84905123456` are `0905123456`).
fn asked_of(input: &IntakeInput) -> Value {
    let a = &input.applicant;
    let phone = Phone::parse_optional(a.phone.as_deref())
        .ok()
        .flatten()
        .map(|p| p.as_str().to_owned())
        .or_else(|| tidy(a.phone.as_deref()).map(str::to_owned));
    let email = Email::parse_optional(a.email.as_deref())
        .ok()
        .flatten()
        .map(|e| e.as_str().to_owned())
        .or_else(|| tidy(a.email.as_deref()).map(str::to_owned));
    json!({
        "procedureId": input.procedure_id,
        "agencyId": input.agency_id,
        "applicant": {
            "name": a.name.trim(),
            "idNumber": tidy(a.id_number.as_deref()),
            "phone": phone,
            "email": email,
            "address": tidy(a.address.as_deref()),
        },
        "applicantAccountId": input.applicant_account_id,
        "formData": input.form_data,
    })
}

/// A text as stored: trimmed, none when blank.
fn tidy(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// Where an official's intake goes, and under which grant.
struct Intake {
    channel: Channel,
    receiving: i64,
    grant: Grant,
    /// The creation's key and the fingerprint of its request.
    creation: Option<(String, String)>,
    /// The operation's instant.
    at: DateTime<Utc>,
}

impl Intake {
    /// Checks the procedure, the complete e-form, the applicant and the
    /// linked account, and inserts the SUBMITTED dossier.
    async fn insert(
        self,
        txn: &impl ConnectionTrait,
        st: &AppState,
        caller: &Caller<'_>,
        input: IntakeInput,
    ) -> AppResult<dossier::Model> {
        let (p, content) = procedure_for(txn, input.procedure_id, input.agency_id).await?;
        // Handed in at the counter: no file is filed yet, the e-form names
        // what the officer took.
        content.check_form(&input.form_data, &[], true)?;
        let year = chrono::Datelike::year(&self.at);
        let applicant = input.applicant.clean(year)?;
        if let Some(a) = input.applicant_account_id {
            check_applicant_account(txn, a, applicant.id_number.as_deref()).await?;
        }
        insert(
            txn,
            st,
            caller,
            NewDossier {
                procedure: &p,
                applicant_account_id: input.applicant_account_id,
                applicant,
                channel: self.channel,
                status: DossierStatus::Submitted,
                receiving_agency_id: self.receiving,
                settling_agency_id: input.agency_id,
                form_data: input.form_data,
                acting_as: Some(self.grant),
                creation: self.creation,
                at: self.at,
                action: DossierAction::Submit,
                operation: match self.channel {
                    Channel::Postal => "registerPostalDossier",
                    _ => "registerCounterDossier",
                },
            },
        )
        .await
    }
}

/// "Trả ngay": an immediate procedure goes from reception to RETURNED in one
/// counter operation, and the history still shows every step (Đắk Lắk
/// 04/2024 on immediate-return procedures).
async fn settle_at_counter(
    txn: &impl ConnectionTrait,
    st: &AppState,
    caller: &Caller<'_>,
    grant: Grant,
    d: dossier::Model,
    now: DateTime<Utc>,
) -> AppResult<dossier::Model> {
    use DossierStatus as S;
    let due = d.legal_due_at.unwrap_or(now);
    let timeliness =
        calendar::with_calendar(st, txn, due.min(now), |c| c.classify(due, now)).await?;
    let steps = [
        (DossierAction::Transfer, S::Received, S::Processing),
        (DossierAction::Approve, S::Processing, S::ResultReady),
        (DossierAction::ReturnResult, S::ResultReady, S::Returned),
    ];
    let mut current = d;
    for (action, from, to) in steps {
        let mut row = dossier::ActiveModel {
            status: Set(to.as_str().into()),
            version: Set(current.version + 1),
            updated_at: Set(now),
            ..Default::default()
        };
        let data = match action {
            DossierAction::Transfer => {
                row.transferred_at = Set(Some(now));
                row.transfer_seconds = Set(Some(0));
                json!({ "transferWorkingSeconds": 0, "transferWithinLimit": true })
            }
            DossierAction::Approve => {
                row.settled_at = Set(Some(now));
                row.timeliness = Set(Some(timeliness.as_str().into()));
                json!({ "timeliness": timeliness.as_str() })
            }
            _ => {
                row.returned_at = Set(Some(now));
                row.return_method = Set(Some(ReturnMethod::Counter.as_str().into()));
                json!({ "method": ReturnMethod::Counter.as_str(), "immediate": true })
            }
        };
        let res = dossier::Entity::update_many()
            .set(row)
            .filter(dossier::Column::Id.eq(current.id))
            .filter(dossier::Column::Version.eq(current.version))
            .exec(txn)
            .await?;
        if res.rows_affected != 1 {
            return Err(AppError::VersionConflict);
        }
        current = find(txn, current.id).await?;
        let event = EventRecord {
            action,
            from: Some(from),
            to,
            grant: Some(grant),
            note: None,
            data,
        };
        let operation = "registerCounterDossier";
        record(txn, st, caller, now, &current, &event, operation).await?;
    }
    Ok(current)
}

/// An account may be linked to a dossier entered on someone's behalf only
/// when it is the applicant's own (`identity::is_applicants_account`):
/// otherwise a stranger's dossier (name, ID number, phone, address, e-form)
/// would show in that account's myDossiers, and it could withdraw it. An id
/// that names no account answers the same, so that the check tells nothing
/// about which accounts exist.
async fn check_applicant_account(
    db: &impl ConnectionTrait,
    account_id: i64,
    applicant_id_number: Option<&str>,
) -> AppResult<()> {
    let account = account::Entity::find_by_id(account_id).one(db).await?;
    let own = account.is_some_and(|a| {
        AccountKind::parse(&a.kind).is_some_and(|kind| {
            is_applicants_account(
                kind,
                a.citizen_id.as_deref(),
                a.tax_code.as_deref(),
                applicant_id_number,
            )
        })
    });
    if own {
        return Ok(());
    }
    Err(AppError::bad_input(
        "applicantAccountId",
        Problem::Invalid {
            vi: "Không có tài khoản nào mang số định danh (mã số thuế) của người nộp hồ sơ với mã tài khoản này".into(),
            en: "No account with this id carries the applicant's ID number (or tax code)".into(),
        },
    ))
}

/// The one-stop unit that receives dossiers for an agency: its own one-stop
/// child, or the nearest ancestor's (the provincial centre for departments).
async fn receiving_unit_for(db: &impl ConnectionTrait, agency_id: i64) -> AppResult<i64> {
    let lineage = store::agencies::lineage(db, agency_id).await?;
    if let Some(own) = lineage.first() {
        let own = agency::Entity::find_by_id(*own)
            .one(db)
            .await?
            .ok_or(AppError::NotFound(Missing::Agency))?;
        if own.kind == AgencyKind::OneStopUnit.as_str() {
            return Ok(own.id);
        }
    }
    for ancestor in &lineage {
        let unit = agency::Entity::find()
            .filter(agency::Column::ParentId.eq(*ancestor))
            .filter(agency::Column::Kind.eq(AgencyKind::OneStopUnit.as_str()))
            .filter(agency::Column::Active.eq(true))
            .order_by_asc(agency::Column::Id)
            .one(db)
            .await?;
        if let Some(u) = unit {
            return Ok(u.id);
        }
    }
    Err(AppError::bad_input(
        "agencyId",
        Problem::Invalid {
            vi: "Không có Bộ phận Một cửa tiếp nhận hồ sơ cho cơ quan này".into(),
            en: "No one-stop unit receives dossiers for this agency".into(),
        },
    ))
}

/// The procedure (in force) and its current content; the settling agency
/// must implement it.
async fn procedure_for(
    db: &impl ConnectionTrait,
    procedure_id: i64,
    agency_id: i64,
) -> AppResult<(entity::procedure::Model, ProcedureContent)> {
    let p = catalogue::procedure(db, catalogue::Lookup::Id(procedure_id))
        .await
        .map_err(|_| AppError::bad_input("procedureId", Problem::UnknownReference))?;
    if p.status != ProcedureStatus::Active.as_str() {
        return Err(AppError::bad_input(
            "procedureId",
            Problem::Invalid {
                vi: "Thủ tục không còn được áp dụng".into(),
                en: "The procedure is not in force".into(),
            },
        ));
    }
    let content = catalogue::current_content(db, &p).await?;
    if !content.agency_ids.contains(&agency_id) {
        return Err(AppError::bad_input(
            "agencyId",
            Problem::Invalid {
                vi: "Cơ quan này không thực hiện thủ tục đã chọn".into(),
                en: "This agency does not implement the procedure".into(),
            },
        ));
    }
    Ok((p, content))
}

struct NewDossier<'a> {
    procedure: &'a entity::procedure::Model,
    applicant_account_id: Option<i64>,
    applicant: Applicant,
    channel: Channel,
    status: DossierStatus,
    receiving_agency_id: i64,
    settling_agency_id: i64,
    form_data: Value,
    acting_as: Option<Grant>,
    /// The creation's key and the fingerprint of its request.
    creation: Option<(String, String)>,
    /// The operation's instant.
    at: DateTime<Utc>,
    action: DossierAction,
    /// The API operation, for the audit log.
    operation: &'static str,
}

/// Inserts a dossier with its first history event, audit and outbox rows.
async fn insert(
    txn: &impl ConnectionTrait,
    st: &AppState,
    caller: &Caller<'_>,
    n: NewDossier<'_>,
) -> AppResult<dossier::Model> {
    let now = n.at;
    // Who entered it for the applicant: the acting official, if any.
    let registrar = n.acting_as.and(caller.actor.map(|a| a.account_id));
    let search_text = dossier_search_text(
        None,
        &n.applicant.name,
        n.applicant.phone.as_deref(),
        n.applicant.email.as_deref(),
    );
    let d = dossier::ActiveModel {
        search_text: Set(search_text),
        registered_by_account_id: Set(registrar),
        code: Set(None),
        procedure_id: Set(n.procedure.id),
        procedure_version: Set(n.procedure.current_version),
        applicant_account_id: Set(n.applicant_account_id),
        applicant_name: Set(n.applicant.name),
        applicant_id_number: Set(n.applicant.id_number),
        applicant_phone: Set(n.applicant.phone),
        applicant_email: Set(n.applicant.email),
        applicant_address: Set(n.applicant.address),
        channel: Set(n.channel.as_str().into()),
        status: Set(n.status.as_str().into()),
        pause_kind: Set(None),
        version: Set(1),
        receiving_agency_id: Set(n.receiving_agency_id),
        settling_agency_id: Set(n.settling_agency_id),
        handler_account_id: Set(None),
        form_data: Set(n.form_data.to_string()),
        idempotency_key: Set(None),
        creation_key: Set(n.creation.as_ref().map(|(k, _)| k.clone())),
        creation_request: Set(n.creation.map(|(_, r)| r)),
        submitted_at: Set((n.status == DossierStatus::Submitted).then_some(now)),
        paused_seconds: Set(0),
        supplement_requests: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|e| store::unique_violation(e, &[(store::DOSSIER_CREATION_KEY, "idempotencyKey")]))?;
    let event = EventRecord {
        action: n.action,
        from: None,
        to: n.status,
        grant: n.acting_as,
        note: None,
        data: json!({ "channel": n.channel.as_str() }),
    };
    record(txn, st, caller, now, &d, &event, n.operation).await?;
    Ok(d)
}
