//! Fees and payments (Hà Nam 30/2019 Art. 10.2.c–d): online through the
//! gateway with a signed callback, or recorded by an officer; refunded only
//! when the agency could not deliver.

use chrono::{DateTime, Utc};
use entity::{dossier, payment};
use sea_orm::prelude::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Deserialize;
use serde_json::json;

use super::audit::{self, Entry};
use super::notifications::{self, About};
use super::rollup;
use super::{catalogue, dossiers, Caller};
use crate::domain::authz::{covers, AgencyScope, Role};
use crate::domain::catalogue::ProcedureContent;
use crate::domain::identity::{optional_text, required_text};
use crate::domain::lifecycle::DossierStatus;
use crate::domain::notification::Template;
use crate::domain::payment::{payable, refundable, Fees, Paid, PaymentMethod, PaymentStatus};
use crate::domain::Problem;
use crate::error::{AppError, AppResult, AtField, Missing};
use crate::state::AppState;
use crate::store;

/// The payments of several dossiers, oldest first, in one query.
pub async fn of_dossiers(db: &impl ConnectionTrait, ids: &[i64]) -> AppResult<Vec<payment::Model>> {
    Ok(payment::Entity::find()
        .filter(payment::Column::DossierId.is_in(ids.iter().copied()))
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?)
}

/// How a dossier's fees stand against its payments: the stored payments
/// read for `domain::payment::Fees::for_procedure`, which decides.
pub fn fees(content: &ProcedureContent, payments: &[payment::Model]) -> Fees {
    let paid: Vec<Paid> = payments
        .iter()
        .filter_map(|p| {
            Some(Paid {
                status: PaymentStatus::parse(&p.status)?,
                amount_vnd: p.amount_vnd,
            })
        })
        .collect();
    Fees::for_procedure(&content.fees, &paid)
}

/// The fees of a dossier now.
pub async fn fees_of(db: &impl ConnectionTrait, d: &dossier::Model) -> AppResult<Fees> {
    let content = catalogue::version_content(db, d.procedure_id, d.procedure_version).await?;
    Ok(fees(&content, &of_dossiers(db, &[d.id]).await?))
}

fn not_payable(status: DossierStatus) -> AppError {
    AppError::InvalidTransition {
        vi: format!(
            "Không thể nộp phí, lệ phí khi hồ sơ ở trạng thái «{}»",
            status.label_vi()
        ),
        en: format!(
            "Fees cannot be paid while the dossier is {}",
            status.label_en().to_lowercase()
        ),
    }
}

fn nothing_owed() -> AppError {
    AppError::InvalidTransition {
        vi: "Hồ sơ không còn khoản phí, lệ phí nào phải nộp".into(),
        en: "Nothing is owed on this dossier".into(),
    }
}

/// Applicant: starts an online payment of what is owed. Returns the
/// payment whose reference and amount go to the gateway (the same pending
/// one when asked again).
pub async fn create(
    st: &AppState,
    caller: &Caller<'_>,
    dossier_id: i64,
) -> AppResult<payment::Model> {
    let actor = caller.signed_in()?;
    let d = dossiers::visible(st, caller, dossier_id).await?;
    if d.applicant_account_id != Some(actor.account_id) {
        return Err(AppError::Forbidden);
    }
    let status = dossiers::status_of(&d)?;
    if !payable(status) {
        return Err(not_payable(status));
    }
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    // Read and written in one transaction, one per dossier at a time.
    store::lock(&txn, "dossier-payment", &d.id.to_string()).await?;
    let payments = of_dossiers(&txn, &[d.id]).await?;
    let content = catalogue::version_content(&txn, d.procedure_id, d.procedure_version).await?;
    let owed = fees(&content, &payments).outstanding_vnd;
    if owed == 0 {
        return Err(nothing_owed());
    }
    if let Some(p) = payments.iter().find(|p| {
        p.status == PaymentStatus::Pending.as_str()
            && p.method == PaymentMethod::OnlineGateway.as_str()
            && p.amount_vnd == owed
    }) {
        return Ok(p.clone());
    }
    let saved = payment::ActiveModel {
        dossier_id: Set(d.id),
        reference: Set(new_reference()),
        method: Set(PaymentMethod::OnlineGateway.as_str().into()),
        amount_vnd: Set(owed),
        status: Set(PaymentStatus::Pending.as_str().into()),
        created_by: Set(Some(actor.account_id)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let summary =
        json!({ "after": { "dossierId": d.id, "reference": saved.reference, "amountVnd": owed } });
    audit::commit(
        txn,
        caller,
        now,
        Entry::new("createPayment", "payment", saved.id, summary),
    )
    .await?;
    Ok(saved)
}

/// What the gateway posts to /payments/callback (signed as sent).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Callback {
    pub reference: String,
    pub transaction_id: String,
    pub amount_vnd: i64,
    /// SUCCESS credits the payment; anything else is acknowledged only.
    pub status: String,
}

/// How a callback was handled; each maps to one HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    Credited(payment::Model),
    /// The same transaction again: nothing changes.
    AlreadyRecorded(payment::Model),
    /// The gateway reports a failure: nothing changes.
    NotSuccessful,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CallbackError {
    #[error("BAD_SIGNATURE")]
    BadSignature,
    #[error("BAD_REQUEST")]
    Malformed(String),
    #[error("UNKNOWN_REFERENCE")]
    UnknownReference,
    #[error("AMOUNT_MISMATCH")]
    AmountMismatch { expected: i64, got: i64 },
    /// Paid already under another transaction, or refunded: never credited
    /// twice.
    #[error("ALREADY_PAID")]
    AlreadyPaid,
    /// The dossier owes nothing any more (paid otherwise meanwhile, e.g.
    /// at the counter) or takes no payment in its status (withdrawn,
    /// refused…): not credited, so the gateway reverses the charge rather
    /// than the dossier being paid twice.
    #[error("NOTHING_OWED")]
    NothingOwed,
    /// A fault of ours; holds the cause chain (`a: b: c`) for the log.
    #[error("INTERNAL")]
    Internal(String),
}

impl From<AppError> for CallbackError {
    fn from(e: AppError) -> Self {
        CallbackError::Internal(format!("{:#}", e.into_cause()))
    }
}

impl From<sea_orm::DbErr> for CallbackError {
    fn from(e: sea_orm::DbErr) -> Self {
        CallbackError::Internal(format!("{:#}", anyhow::Error::new(e)))
    }
}

/// The gateway's callback: signature first, then idempotency on the
/// transaction id, then the amount; a credit and its notification commit
/// together.
pub async fn callback(
    st: &AppState,
    secret: &[u8],
    body: &[u8],
    signature: Option<&str>,
) -> Result<CallbackOutcome, CallbackError> {
    let signed = signature.is_some_and(|s| crate::domain::payment::verify(secret, body, s));
    if !signed {
        return Err(CallbackError::BadSignature);
    }
    let cb: Callback =
        serde_json::from_slice(body).map_err(|e| CallbackError::Malformed(e.to_string()))?;
    let txn_id = cb.transaction_id.trim();
    if txn_id.is_empty() || txn_id.len() > 100 {
        return Err(CallbackError::Malformed("transactionId".into()));
    }
    let p = payment::Entity::find()
        .filter(payment::Column::Reference.eq(cb.reference.trim()))
        .one(&st.db)
        .await?
        .ok_or(CallbackError::UnknownReference)?;
    if p.gateway_txn_id.as_deref() == Some(txn_id) {
        return Ok(CallbackOutcome::AlreadyRecorded(p));
    }
    if p.status != PaymentStatus::Pending.as_str() {
        return Err(CallbackError::AlreadyPaid);
    }
    if cb.status != "SUCCESS" {
        tracing::info!(reference = %p.reference, status = %cb.status, "payment not successful");
        return Ok(CallbackOutcome::NotSuccessful);
    }
    if cb.amount_vnd != p.amount_vnd {
        return Err(CallbackError::AmountMismatch {
            expected: p.amount_vnd,
            got: cb.amount_vnd,
        });
    }
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    // What the dossier owes now, under the lock every recording of its
    // fees takes: a fee taken at the counter meanwhile is not paid again.
    store::lock(&txn, "dossier-payment", &p.dossier_id.to_string()).await?;
    let d = entity::dossier::Entity::find_by_id(p.dossier_id)
        .one(&txn)
        .await?
        .ok_or(CallbackError::UnknownReference)?;
    let status = super::dossiers::status_of(&d)?;
    if !payable(status) || fees_of(&txn, &d).await?.outstanding_vnd < p.amount_vnd {
        return Err(CallbackError::NothingOwed);
    }
    let credited = payment::Entity::update_many()
        .col_expr(
            payment::Column::Status,
            Expr::value(PaymentStatus::Paid.as_str()),
        )
        .col_expr(payment::Column::GatewayTxnId, Expr::value(Some(txn_id)))
        .col_expr(payment::Column::PaidAt, Expr::value(Some(now)))
        .col_expr(
            payment::Column::ReceiptNumber,
            Expr::value(Some(receipt_number(p.id))),
        )
        .filter(payment::Column::Id.eq(p.id))
        .filter(payment::Column::Status.eq(PaymentStatus::Pending.as_str()))
        .exec(&txn)
        .await
        .map_err(|e| {
            match store::unique_violation(e, &[(store::PAYMENT_GATEWAY_TXN, "transactionId")]) {
                AppError::BadInput { .. } => CallbackError::AlreadyPaid,
                other => other.into(),
            }
        })?;
    if credited.rows_affected != 1 {
        // Another callback got there first.
        drop(txn);
        let again = payment::Entity::find_by_id(p.id)
            .one(&st.db)
            .await?
            .ok_or(CallbackError::UnknownReference)?;
        return if again.gateway_txn_id.as_deref() == Some(txn_id) {
            Ok(CallbackOutcome::AlreadyRecorded(again))
        } else {
            Err(CallbackError::AlreadyPaid)
        };
    }
    let paid = payment::Entity::find_by_id(p.id)
        .one(&txn)
        .await?
        .ok_or(CallbackError::UnknownReference)?;
    after_payment(&txn, st, &Caller::SYSTEM, now, &paid, "paymentCallback").await?;
    super::commit(st, txn).await?;
    Ok(CallbackOutcome::Credited(paid))
}

/// A payment's reference: unguessable, short enough for a bank's memo.
fn new_reference() -> String {
    format!(
        "TT{}",
        uuid::Uuid::new_v4().simple().to_string()[..16].to_uppercase()
    )
}

fn receipt_number(payment_id: i64) -> String {
    format!("BL-{payment_id:08}")
}

/// The audit record and the applicant's notification of a payment received.
async fn after_payment(
    txn: &impl ConnectionTrait,
    st: &AppState,
    caller: &Caller<'_>,
    now: DateTime<Utc>,
    p: &payment::Model,
    operation: &str,
) -> AppResult<()> {
    let summary = json!({ "after": { "dossierId": p.dossier_id, "status": p.status, "method": p.method, "amountVnd": p.amount_vnd, "receiptNumber": p.receipt_number, "gatewayTransactionId": p.gateway_txn_id } });
    audit::record(
        txn,
        caller,
        now,
        Entry::new(operation, "payment", p.id, summary),
    )
    .await?;
    let d = dossier::Entity::find_by_id(p.dossier_id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound(Missing::Dossier))?;
    let online = p.method == PaymentMethod::OnlineGateway.as_str();
    rollup::add(txn, st, &d, now, crate::domain::rollup::payment(online)).await?;
    let (mut facts, to) = notifications::dossier_facts(txn, st, &d).await?;
    facts.amount_vnd = Some(p.amount_vnd);
    facts.receipt_number = p.receipt_number.clone();
    let about = About {
        dossier_id: Some(d.id),
        feedback_id: None,
    };
    notifications::enqueue(txn, now, Template::PaymentReceived, &facts, &to, about).await
}

/// An officer's grant over one of the dossier's agencies: the receiving
/// unit's reception officers take money at the counter and by post; they
/// and the settling agency's leaders record refunds.
async fn officer_of(
    st: &AppState,
    caller: &Caller<'_>,
    d: &dossier::Model,
    leaders_too: bool,
) -> AppResult<()> {
    let actor = caller.signed_in()?;
    let receiving = store::agencies::lineage(&st.db, d.receiving_agency_id).await?;
    let settling = store::agencies::lineage(&st.db, d.settling_agency_id).await?;
    let ok = actor.grants.iter().any(|g| match g.role {
        Role::ReceptionOfficer => covers(
            g,
            AgencyScope {
                lineage: &receiving,
            },
        ),
        Role::AgencyLeader if leaders_too => covers(g, AgencyScope { lineage: &settling }),
        _ => false,
    });
    if ok {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Reception officer: a payment taken at the counter, by bank transfer or
/// by post (Hà Nam 30/2019 Art. 10.2.c). Errors: FORBIDDEN outside the
/// officer's units; BAD_USER_INPUT on `method` (the gateway's),
/// `reference` (a bank transfer's, at most 100 characters) or `amountVnd`
/// (not what is owed); INVALID_TRANSITION when nothing is owed or the
/// dossier takes no payment in its status.
pub async fn record(
    st: &AppState,
    caller: &Caller<'_>,
    dossier_id: i64,
    method: PaymentMethod,
    amount_vnd: i64,
    reference: Option<&str>,
) -> AppResult<payment::Model> {
    let d = dossiers::visible(st, caller, dossier_id).await?;
    officer_of(st, caller, &d, false).await?;
    let txn = store::write_txn(&st.db).await?;
    let saved = record_in(
        &txn,
        st,
        caller,
        &d,
        method,
        amount_vnd,
        reference,
        st.clock.now(),
    )
    .await?;
    super::commit(st, txn).await?;
    Ok(saved)
}

/// Records, inside `txn`, a payment an officer took for `d` at `now`
/// (see [`record`]; the caller has checked the officer may). Used by
/// `record` and by a counter registration that takes the fee with the
/// dossier.
#[allow(clippy::too_many_arguments)]
pub async fn record_in(
    txn: &impl ConnectionTrait,
    st: &AppState,
    caller: &Caller<'_>,
    d: &dossier::Model,
    method: PaymentMethod,
    amount_vnd: i64,
    reference: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<payment::Model> {
    if method == PaymentMethod::OnlineGateway {
        return Err(AppError::bad_input(
            "method",
            Problem::Invalid {
                vi: "Thanh toán trực tuyến chỉ được ghi nhận qua cổng thanh toán".into(),
                en: "Online payments are recorded by the gateway's callback only".into(),
            },
        ));
    }
    let external = optional_text(reference, 100).at("reference")?;
    if method == PaymentMethod::BankTransfer && external.is_none() {
        return Err(AppError::bad_input("reference", Problem::Required));
    }
    let status = dossiers::status_of(d)?;
    if !payable(status) {
        return Err(not_payable(status));
    }
    // What is owed, read inside the transaction that records the payment,
    // one recording per dossier at a time: concurrent recordings of one
    // fee record it once.
    store::lock(txn, "dossier-payment", &d.id.to_string()).await?;
    let owed = fees_of(txn, d).await?.outstanding_vnd;
    if owed == 0 {
        return Err(nothing_owed());
    }
    if amount_vnd != owed {
        return Err(AppError::bad_input(
            "amountVnd",
            Problem::Invalid {
                vi: format!("Số tiền phải nộp là {owed} đồng"),
                en: format!("The amount owed is {owed} VND"),
            },
        ));
    }
    let saved = payment::ActiveModel {
        dossier_id: Set(d.id),
        reference: Set(new_reference()),
        method: Set(method.as_str().into()),
        amount_vnd: Set(amount_vnd),
        status: Set(PaymentStatus::Paid.as_str().into()),
        external_ref: Set(external),
        created_by: Set(caller.actor.map(|a| a.account_id)),
        recorded_by: Set(caller.actor.map(|a| a.account_id)),
        created_at: Set(now),
        paid_at: Set(Some(now)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let mut row: payment::ActiveModel = saved.into();
    row.receipt_number = Set(Some(receipt_number(*row.id.as_ref())));
    let saved = row.update(txn).await?;
    after_payment(txn, st, caller, now, &saved, "recordPayment").await?;
    Ok(saved)
}

/// Officer: refunds a paid fee because the agency could not deliver
/// (refused at reception, or not eligible). Never for a result the
/// applicant did not collect.
pub async fn refund(
    st: &AppState,
    caller: &Caller<'_>,
    payment_id: i64,
    reason: &str,
) -> AppResult<payment::Model> {
    caller.signed_in()?;
    let p = payment::Entity::find_by_id(payment_id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound(Missing::Payment))?;
    // The payment of a dossier the caller may not read does not exist.
    let d = dossiers::visible(st, caller, p.dossier_id)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::NotFound(Missing::Payment),
            other => other,
        })?;
    officer_of(st, caller, &d, true).await?;
    let reason = required_text(reason, 2_000).at("reason")?;
    if p.status != PaymentStatus::Paid.as_str() {
        return Err(AppError::InvalidTransition {
            vi: "Chỉ hoàn trả khoản đã thanh toán".into(),
            en: "Only a paid payment can be refunded".into(),
        });
    }
    let status = dossiers::status_of(&d)?;
    if !refundable(status) {
        return Err(AppError::InvalidTransition {
            vi: format!(
                "Chỉ hoàn trả phí, lệ phí khi cơ quan không thực hiện được dịch vụ (hồ sơ đang «{}»)",
                status.label_vi()
            ),
            en: format!(
                "Fees are refunded only when the agency cannot deliver (the dossier is {})",
                status.label_en().to_lowercase()
            ),
        });
    }
    let now = st.clock.now();
    let txn = store::write_txn(&st.db).await?;
    let done = payment::Entity::update_many()
        .col_expr(
            payment::Column::Status,
            Expr::value(PaymentStatus::Refunded.as_str()),
        )
        .col_expr(payment::Column::RefundedAt, Expr::value(Some(now)))
        .col_expr(
            payment::Column::RefundReason,
            Expr::value(Some(reason.clone())),
        )
        .col_expr(
            payment::Column::RefundedBy,
            Expr::value(caller.actor.map(|a| a.account_id)),
        )
        .filter(payment::Column::Id.eq(p.id))
        .filter(payment::Column::Status.eq(PaymentStatus::Paid.as_str()))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(AppError::VersionConflict);
    }
    let summary = json!({ "before": { "status": p.status }, "after": { "status": PaymentStatus::Refunded.as_str(), "amountVnd": p.amount_vnd, "reason": reason } });
    audit::record(
        &txn,
        caller,
        now,
        Entry::new("refundPayment", "payment", p.id, summary),
    )
    .await?;
    let refunded = payment::Entity::find_by_id(p.id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound(Missing::Payment))?;
    txn.commit().await?;
    Ok(refunded)
}

/// A receipt, for whoever may read its dossier.
pub async fn receipt(
    st: &AppState,
    caller: &Caller<'_>,
    number: &str,
) -> AppResult<payment::Model> {
    caller.signed_in()?;
    let p = payment::Entity::find()
        .filter(payment::Column::ReceiptNumber.eq(number.trim()))
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound(Missing::Payment))?;
    dossiers::get(st, caller, p.dossier_id)
        .await
        .map_err(|_| AppError::NotFound(Missing::Payment))?;
    Ok(p)
}
