//! Feedback and petitions in GraphQL: citizens send and follow theirs,
//! officers enter, assign, answer, transfer, reject and publish, the
//! public reads the published answers.

use super::input::{Chars, Items, Moment, SearchText};
use super::time::Time;
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use entity::feedback::Model;

use super::catalogue::{connection, Agency, CountedConnection, Procedure};
use super::context::{page_request, parse_id, parse_opt_id, ContextExt};
use super::enums::{FeedbackChannel, FeedbackKind, FeedbackStatus};
use super::loaders::{AgencyId, ProcedureId};
use crate::domain::feedback as df;
use crate::domain::masking::{mask_email, mask_name, mask_tail};
use crate::error::{stored_enum, AppError};
use crate::services::feedback as svc;

fn kind(m: &Model) -> Result<df::FeedbackKind, AppError> {
    stored_enum::<df::FeedbackKind>(&m.kind)
}

fn channel(m: &Model) -> Result<df::FeedbackChannel, AppError> {
    stored_enum::<df::FeedbackChannel>(&m.channel)
}

fn status(m: &Model) -> Result<df::FeedbackStatus, AppError> {
    stored_enum::<df::FeedbackStatus>(&m.status)
}

async fn agency(ctx: &Context<'_>, id: i64) -> Result<Option<Agency>> {
    Ok(ctx.loaders()?.load_one(AgencyId(id)).await?.map(Agency))
}

async fn procedure(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Procedure>> {
    let Some(id) = id else { return Ok(None) };
    Ok(ctx
        .loaders()?
        .load_one(ProcedureId(id))
        .await?
        .map(Procedure))
}

/// Who sent it; masked for analysts.
#[derive(SimpleObject)]
pub struct FeedbackSender {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

/// Phản ánh, kiến nghị.
pub struct Feedback(pub Model);

#[Object]
impl Feedback {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn kind(&self) -> Result<FeedbackKind> {
        Ok(kind(&self.0)?.into())
    }
    async fn kind_label(&self, ctx: &Context<'_>) -> Result<&'static str> {
        let k = kind(&self.0)?;
        Ok(ctx.label(k.label_vi(), k.label_en()))
    }
    /// How it arrived.
    async fn channel(&self) -> Result<FeedbackChannel> {
        Ok(channel(&self.0)?.into())
    }
    async fn channel_label(&self, ctx: &Context<'_>) -> Result<&'static str> {
        let c = channel(&self.0)?;
        Ok(ctx.label(c.label_vi(), c.label_en()))
    }
    /// The sender's words; for analysts only the published version, if any.
    async fn title(&self, ctx: &Context<'_>) -> Option<&str> {
        if ctx.masked() {
            return self.0.public_title.as_deref();
        }
        Some(&self.0.title)
    }
    async fn content(&self, ctx: &Context<'_>) -> Option<&str> {
        if ctx.masked() {
            return self.0.public_content.as_deref();
        }
        Some(&self.0.content)
    }
    async fn sender(&self, ctx: &Context<'_>) -> FeedbackSender {
        let f = &self.0;
        if ctx.masked() {
            return FeedbackSender {
                name: mask_name(&f.sender_name),
                phone: f.sender_phone.as_deref().map(|v| mask_tail(v, 3)),
                email: f.sender_email.as_deref().map(mask_email),
                address: f.sender_address.as_ref().map(|_| "***".to_owned()),
            };
        }
        FeedbackSender {
            name: f.sender_name.clone(),
            phone: f.sender_phone.clone(),
            email: f.sender_email.clone(),
            address: f.sender_address.clone(),
        }
    }
    /// The agency handling it now.
    async fn agency(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        agency(ctx, self.0.agency_id).await
    }
    async fn procedure(&self, ctx: &Context<'_>) -> Result<Option<Procedure>> {
        procedure(ctx, self.0.procedure_id).await
    }
    async fn dossier_id(&self) -> Option<ID> {
        self.0.dossier_id.map(ID::from)
    }
    async fn status(&self) -> Result<FeedbackStatus> {
        Ok(status(&self.0)?.into())
    }
    async fn status_label(&self, ctx: &Context<'_>) -> Result<&'static str> {
        let s = status(&self.0)?;
        Ok(ctx.label(s.label_vi(), s.label_en()))
    }
    /// Pass it as expectedVersion to act on it.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn handler_account_id(&self) -> Option<ID> {
        self.0.handler_account_id.map(ID::from)
    }
    /// When it reached the agency; the deadline counts from it.
    async fn arrived_at(&self) -> Time {
        self.0.arrived_at.into()
    }
    /// When it was entered into the system.
    async fn entered_at(&self) -> Time {
        self.0.entered_at.into()
    }
    /// Working hours between arrival and entry.
    async fn entry_working_hours(&self) -> f64 {
        self.0.entry_seconds as f64 / 3600.0
    }
    /// Entered more than 8 working hours after it arrived.
    async fn late_entry(&self) -> bool {
        self.0.late_entry
    }
    /// The configured working days (13 by default) after arrival.
    async fn due_at(&self) -> Time {
        self.0.due_at.into()
    }
    /// Still unanswered past the due date.
    async fn overdue(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(status(&self.0)?.is_open() && self.0.due_at < ctx.state()?.clock.now())
    }
    /// Answered or rejected by the due date; null while open.
    async fn closed_on_time(&self) -> Option<bool> {
        self.0.closed_at.map(|c| df::on_time(self.0.due_at, c))
    }
    /// Withheld from analysts unless published.
    async fn answer(&self, ctx: &Context<'_>) -> Option<&str> {
        match self.0.published_at {
            Some(_) => self.0.answer.as_deref(),
            None => ctx.free_text(self.0.answer.as_deref()),
        }
    }
    async fn answered_at(&self) -> Option<Time> {
        self.0.answered_at.map(Time)
    }
    async fn reject_reason(&self, ctx: &Context<'_>) -> Option<&str> {
        ctx.free_text(self.0.reject_reason.as_deref())
    }
    /// The agency it was transferred from.
    async fn transferred_from(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        match self.0.transferred_from_agency_id {
            Some(id) => agency(ctx, id).await,
            None => Ok(None),
        }
    }
    async fn transfer_reason(&self, ctx: &Context<'_>) -> Option<&str> {
        ctx.free_text(self.0.transfer_reason.as_deref())
    }
    async fn transferred_at(&self) -> Option<Time> {
        self.0.transferred_at.map(Time)
    }
    async fn published_at(&self) -> Option<Time> {
        self.0.published_at.map(Time)
    }
}

/// A published question and its answer; nothing about the sender.
pub struct PublicFeedback(pub Model);

#[Object]
impl PublicFeedback {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn kind(&self) -> Result<FeedbackKind> {
        Ok(kind(&self.0)?.into())
    }
    async fn title(&self) -> &str {
        self.0.public_title.as_deref().unwrap_or_default()
    }
    async fn content(&self) -> &str {
        self.0.public_content.as_deref().unwrap_or_default()
    }
    async fn answer(&self) -> &str {
        self.0.answer.as_deref().unwrap_or_default()
    }
    /// The agency that answered.
    async fn agency(&self, ctx: &Context<'_>) -> Result<Option<Agency>> {
        agency(ctx, self.0.agency_id).await
    }
    async fn procedure(&self, ctx: &Context<'_>) -> Result<Option<Procedure>> {
        procedure(ctx, self.0.procedure_id).await
    }
    async fn arrived_at(&self) -> Time {
        self.0.arrived_at.into()
    }
    async fn answered_at(&self) -> Option<Time> {
        self.0.answered_at.map(Time)
    }
    async fn published_at(&self) -> Option<Time> {
        self.0.published_at.map(Time)
    }
}

/// What feedback is about; each optional. Without an agency it goes to the
/// dossier's settling agency, the procedure's first implementing agency, or
/// the province's people's committee.
#[derive(InputObject, Default)]
pub struct FeedbackLinks {
    pub agency_id: Option<ID>,
    pub procedure_id: Option<ID>,
    /// One of the sender's own dossiers.
    pub dossier_id: Option<ID>,
}

impl FeedbackLinks {
    fn into_service(self) -> Result<svc::Links, AppError> {
        Ok(svc::Links {
            agency_id: parse_opt_id("links.agencyId", self.agency_id.as_ref())?,
            procedure_id: parse_opt_id("links.procedureId", self.procedure_id.as_ref())?,
            dossier_id: parse_opt_id("links.dossierId", self.dossier_id.as_ref())?,
        })
    }
}

#[derive(InputObject)]
pub struct SubmitFeedbackInput {
    pub kind: FeedbackKind,
    /// At most 300 characters.
    #[graphql(validator(custom = "Chars::new(\"title\", 300)"))]
    pub title: String,
    /// At most 4000 characters.
    #[graphql(validator(custom = "Chars::new(\"content\", 4000)"))]
    pub content: String,
    pub links: Option<FeedbackLinks>,
}

#[derive(InputObject)]
pub struct FeedbackSenderInput {
    /// At most 300 characters.
    #[graphql(validator(custom = "Chars::new(\"name\", 300)"))]
    pub name: String,
    /// At most 20 characters.
    #[graphql(validator(custom = "Chars::new(\"phone\", 20)"))]
    pub phone: Option<String>,
    /// At most 254 characters.
    #[graphql(validator(custom = "Chars::new(\"email\", 254)"))]
    pub email: Option<String>,
    /// At most 500 characters.
    #[graphql(validator(custom = "Chars::new(\"address\", 500)"))]
    pub address: Option<String>,
}

#[derive(InputObject)]
pub struct RecordFeedbackInput {
    pub kind: FeedbackKind,
    /// EMAIL, HOTLINE, POST or IN_PERSON.
    pub channel: FeedbackChannel,
    /// When it reached the agency.
    /// Between the years 1900 and 2200.
    #[graphql(validator(custom = "Moment(\"arrivedAt\")"))]
    pub arrived_at: Time,
    pub sender: FeedbackSenderInput,
    /// At most 300 characters.
    #[graphql(validator(custom = "Chars::new(\"title\", 300)"))]
    pub title: String,
    /// At most 4000 characters.
    #[graphql(validator(custom = "Chars::new(\"content\", 4000)"))]
    pub content: String,
    /// Without links it is addressed to the officer's own agency.
    pub links: Option<FeedbackLinks>,
}

#[derive(InputObject, Default)]
pub struct FeedbackFilter {
    /// At most 100 items.
    #[graphql(validator(custom = "Items(\"statuses\", 100)"))]
    pub statuses: Option<Vec<FeedbackStatus>>,
    pub kind: Option<FeedbackKind>,
    pub channel: Option<FeedbackChannel>,
    /// This agency and every agency below it.
    pub agency_id: Option<ID>,
    /// true: open and past the due date; false: open and not yet due.
    pub overdue: Option<bool>,
    /// Entered more than 8 working hours after arrival.
    pub late_entry: Option<bool>,
    pub handler_account_id: Option<ID>,
}

/// Whether a connection's selection shows the senders' details.
fn shows_sender(ctx: &Context<'_>) -> bool {
    let node = ctx.look_ahead().field("edges").field("node");
    node.field("sender").exists() || node.field("content").exists()
}

#[derive(Default)]
pub struct FeedbackQuery;

#[Object]
impl FeedbackQuery {
    /// One feedback: its sender's, or an official's whose agency handles it.
    async fn feedback(&self, ctx: &Context<'_>, id: ID) -> Result<Feedback> {
        let id = parse_id("id", &id)?;
        Ok(Feedback(svc::get(ctx.state()?, &ctx.caller()?, id).await?))
    }

    /// A citizen's own feedback; an official's agencies' feedback; all of it
    /// for province-wide roles (analysts masked).
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn feedbacks(
        &self,
        ctx: &Context<'_>,
        filter: Option<FeedbackFilter>,
        first: Option<i32>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"after\", 100)")
        )]
        after: Option<String>,
    ) -> Result<CountedConnection<Feedback>> {
        let req = page_request(&ctx.state()?.config.graphql, first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = svc::FeedbackFilter {
            statuses: f
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            kind: f.kind.map(Into::into),
            channel: f.channel.map(Into::into),
            agency_id: parse_opt_id("filter.agencyId", f.agency_id.as_ref())?,
            overdue: f.overdue,
            late_entry: f.late_entry,
            handler_account_id: parse_opt_id(
                "filter.handlerAccountId",
                f.handler_account_id.as_ref(),
            )?,
        };
        let personal = shows_sender(ctx);
        let page = svc::list(ctx.state()?, &ctx.caller()?, filter, req, personal).await?;
        Ok(connection(page, |f| f.id, Feedback))
    }

    /// Public: published answers, searchable (every word, diacritics
    /// ignored), for an agency and below.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn public_feedbacks(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "At most 200 characters and 10 words.",
            validator(custom = "SearchText(\"search\")")
        )]
        search: Option<String>,
        agency_id: Option<ID>,
        first: Option<i32>,
        #[graphql(
            desc = "At most 100 characters.",
            validator(custom = "Chars::new(\"after\", 100)")
        )]
        after: Option<String>,
    ) -> Result<CountedConnection<PublicFeedback>> {
        let req = page_request(&ctx.state()?.config.graphql, first, after.as_deref())?;
        let agency_id = parse_opt_id("agencyId", agency_id.as_ref())?;
        let page = svc::published(ctx.state()?, search.as_deref(), agency_id, req).await?;
        Ok(connection(page, |f| f.id, PublicFeedback))
    }
}

#[derive(Default)]
pub struct FeedbackMutation;

impl FeedbackMutation {
    async fn act(
        ctx: &Context<'_>,
        id: &ID,
        expected_version: i32,
        cmd: svc::Command,
    ) -> Result<Feedback> {
        let id = parse_id("id", id)?;
        Ok(Feedback(
            svc::act(ctx.state()?, &ctx.caller()?, id, expected_version, cmd).await?,
        ))
    }
}

#[Object]
impl FeedbackMutation {
    /// A signed-in citizen or organisation sends feedback or a petition.
    async fn submit_feedback(
        &self,
        ctx: &Context<'_>,
        input: SubmitFeedbackInput,
    ) -> Result<Feedback> {
        let saved = svc::submit(
            ctx.state()?,
            &ctx.caller()?,
            svc::SubmitInput {
                kind: input.kind.into(),
                title: input.title,
                content: input.content,
                links: input.links.unwrap_or_default().into_service()?,
            },
        )
        .await?;
        Ok(Feedback(saved))
    }

    /// A reception officer or procedure controller enters feedback that
    /// arrived by e-mail, hotline, post or in person (within 8 working hours
    /// of its arrival, or it is flagged).
    async fn record_feedback(
        &self,
        ctx: &Context<'_>,
        input: RecordFeedbackInput,
    ) -> Result<Feedback> {
        let saved = svc::record(
            ctx.state()?,
            &ctx.caller()?,
            svc::RecordInput {
                kind: input.kind.into(),
                channel: input.channel.into(),
                arrived_at: input.arrived_at.0,
                sender_name: input.sender.name,
                sender_phone: input.sender.phone,
                sender_email: input.sender.email,
                sender_address: input.sender.address,
                title: input.title,
                content: input.content,
                links: input.links.unwrap_or_default().into_service()?,
            },
        )
        .await?;
        Ok(Feedback(saved))
    }

    /// A leader or controller of the agency assigns an official of it (or
    /// below it) to handle the feedback.
    async fn assign_feedback(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        handler_account_id: ID,
    ) -> Result<Feedback> {
        let handler_account_id = parse_id("handlerAccountId", &handler_account_id)?;
        Self::act(
            ctx,
            &id,
            expected_version,
            svc::Command::Assign { handler_account_id },
        )
        .await
    }

    /// The assigned handler, or a leader or controller, answers.
    async fn answer_feedback(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"answer\", 4000)")
        )]
        answer: String,
    ) -> Result<Feedback> {
        Self::act(ctx, &id, expected_version, svc::Command::Answer { answer }).await
    }

    /// Sends it to the competent agency, which then handles it.
    async fn transfer_feedback(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        agency_id: ID,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"reason\", 4000)")
        )]
        reason: String,
    ) -> Result<Feedback> {
        let agency_id = parse_id("agencyId", &agency_id)?;
        Self::act(
            ctx,
            &id,
            expected_version,
            svc::Command::Transfer { agency_id, reason },
        )
        .await
    }

    /// Declines it as out of scope, with the reason.
    async fn reject_feedback(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"reason\", 4000)")
        )]
        reason: String,
    ) -> Result<Feedback> {
        Self::act(ctx, &id, expected_version, svc::Command::Reject { reason }).await
    }

    /// Publishes an answered question and its answer; the question may be
    /// rewritten to leave out personal data.
    async fn publish_feedback(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        #[graphql(
            desc = "At most 500 characters.",
            validator(custom = "Chars::new(\"publicTitle\", 500)")
        )]
        public_title: Option<String>,
        #[graphql(
            desc = "At most 4000 characters.",
            validator(custom = "Chars::new(\"publicContent\", 4000)")
        )]
        public_content: Option<String>,
    ) -> Result<Feedback> {
        Self::act(
            ctx,
            &id,
            expected_version,
            svc::Command::Publish {
                public_title,
                public_content,
            },
        )
        .await
    }
}
