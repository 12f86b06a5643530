//! Fees and payments: what a dossier owes, online payments through the
//! gateway, payments recorded by officers, refunds and receipts.

use super::input::Chars;
use super::time::Time;
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};

use super::catalogue::FeeLine;
use super::context::{parse_id, ContextExt};
use super::enums::{FeeStatus, PaymentDue, PaymentMethod, PaymentStatus};
use super::loaders::{PaymentsOf, VersionKey};
use crate::domain::payment as dp;
use crate::error::{stored_enum, AppError};
use crate::services::payments as svc;

pub struct Payment(pub entity::payment::Model);

#[Object]
impl Payment {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn dossier_id(&self) -> ID {
        self.0.dossier_id.into()
    }
    /// What the gateway is given, and calls back with.
    async fn reference(&self) -> &str {
        &self.0.reference
    }
    async fn method(&self) -> Result<PaymentMethod> {
        Ok(stored_enum::<dp::PaymentMethod>(&self.0.method)?.into())
    }
    async fn amount_vnd(&self) -> i64 {
        self.0.amount_vnd
    }
    async fn status(&self) -> Result<PaymentStatus> {
        Ok(stored_enum::<dp::PaymentStatus>(&self.0.status)?.into())
    }
    /// Biên lai: set when paid.
    async fn receipt_number(&self) -> Option<&str> {
        self.0.receipt_number.as_deref()
    }
    async fn gateway_transaction_id(&self) -> Option<&str> {
        self.0.gateway_txn_id.as_deref()
    }
    /// The counter slip, bank transfer or postal reference.
    async fn external_reference(&self) -> Option<&str> {
        self.0.external_ref.as_deref()
    }
    async fn created_at(&self) -> Time {
        self.0.created_at.into()
    }
    async fn paid_at(&self) -> Option<Time> {
        self.0.paid_at.map(Time)
    }
    async fn refunded_at(&self) -> Option<Time> {
        self.0.refunded_at.map(Time)
    }
    async fn refund_reason(&self, ctx: &Context<'_>) -> Option<&str> {
        ctx.free_text(self.0.refund_reason.as_deref())
    }
}

/// A dossier's fees against its payments.
#[derive(SimpleObject)]
pub struct DossierFees {
    /// The lines of the procedure version the dossier was submitted under.
    pub lines: Vec<FeeLine>,
    pub total_vnd: i64,
    pub paid_vnd: i64,
    pub refunded_vnd: i64,
    pub outstanding_vnd: i64,
    pub status: FeeStatus,
    /// When the fees are due (BEFORE_RETURN unless the procedure says
    /// otherwise); null without fees.
    pub payment_due: Option<PaymentDue>,
}

/// A dossier's payments, batched across the dossiers of a response.
pub async fn payments_of(
    ctx: &Context<'_>,
    dossier_id: i64,
) -> Result<Vec<entity::payment::Model>> {
    Ok(ctx
        .loaders()?
        .load_one(PaymentsOf(dossier_id))
        .await?
        .unwrap_or_default())
}

/// A dossier's fees: its procedure version's lines against its payments.
pub async fn fees_of(ctx: &Context<'_>, d: &entity::dossier::Model) -> Result<DossierFees> {
    let version = ctx
        .loaders()?
        .load_one(VersionKey(d.procedure_id, d.procedure_version))
        .await?
        .ok_or_else(|| AppError::internal("dossier without its procedure version"))?;
    let content = &version.content;
    let f = svc::fees(content, &payments_of(ctx, d.id).await?);
    Ok(DossierFees {
        lines: content.fees.iter().cloned().map(Into::into).collect(),
        total_vnd: f.total_vnd,
        paid_vnd: f.paid_vnd,
        refunded_vnd: f.refunded_vnd,
        outstanding_vnd: f.outstanding_vnd,
        status: f.status.into(),
        payment_due: content.fees_due().map(Into::into),
    })
}

#[derive(Default)]
pub struct PaymentQuery;

#[Object]
impl PaymentQuery {
    /// A receipt (biên lai) by its number, for whoever may read its dossier.
    async fn payment_receipt(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"number\", 100)")
        )]
        number: String,
    ) -> Result<Payment> {
        Ok(Payment(
            svc::receipt(ctx.state()?, &ctx.caller()?, &number).await?,
        ))
    }
}

#[derive(InputObject)]
pub struct RecordPaymentInput {
    pub dossier_id: ID,
    /// COUNTER, BANK_TRANSFER or POSTAL.
    pub method: PaymentMethod,
    /// Exactly what is owed.
    pub amount_vnd: i64,
    /// The counter slip, transfer or postal reference (required for a
    /// bank transfer).
    /// At most 100 characters.
    #[graphql(validator(custom = "Chars::new(\"reference\", 100)"))]
    pub reference: Option<String>,
}

#[derive(Default)]
pub struct PaymentMutation;

#[Object]
impl PaymentMutation {
    /// Applicant: pay online. Returns the reference and amount for the
    /// gateway; the payment is PAID when the gateway's signed callback
    /// arrives at POST /payments/callback.
    async fn create_payment(&self, ctx: &Context<'_>, dossier_id: ID) -> Result<Payment> {
        let id = parse_id("dossierId", &dossier_id)?;
        Ok(Payment(
            svc::create(ctx.state()?, &ctx.caller()?, id).await?,
        ))
    }

    /// Reception officer: a payment taken at the counter, by bank transfer
    /// or by post.
    async fn record_payment(
        &self,
        ctx: &Context<'_>,
        input: RecordPaymentInput,
    ) -> Result<Payment> {
        let id = parse_id("input.dossierId", &input.dossier_id)?;
        Ok(Payment(
            svc::record(
                ctx.state()?,
                &ctx.caller()?,
                id,
                input.method.into(),
                input.amount_vnd,
                input.reference.as_deref(),
            )
            .await?,
        ))
    }

    /// Reception officer or agency leader: refund a paid fee when the
    /// agency could not deliver (REFUSED or NOT_ELIGIBLE).
    async fn refund_payment(
        &self,
        ctx: &Context<'_>,
        payment_id: ID,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"reason\", 4000)")
        )]
        reason: String,
    ) -> Result<Payment> {
        let id = parse_id("paymentId", &payment_id)?;
        Ok(Payment(
            svc::refund(ctx.state()?, &ctx.caller()?, id, &reason).await?,
        ))
    }
}
