//! Delivering notifications: the senders (e-mail over SMTP, SMS; a log
//! sink for each by default) and the worker that drains the delivery
//! outbox with retries and backoff.
//!
//! At least once: a delivery is claimed with a lease, sent, then marked
//! SENT. A worker that dies between sending and marking leaves the lease to
//! expire and the delivery is sent again, under the same message id
//! (`<delivery-ID@motcua>`), by which the receiving side deduplicates.

pub mod worker;

use anyhow::Context;
use secrecy::ExposeSecret;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};

use crate::config::{ConfigError, NotifyConfig};
use crate::domain::notification::Channel;

/// One message on its way out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Stable across retries: the receiving side deduplicates by it.
    pub id: String,
    pub channel: Channel,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// A send in progress; its error (with its causes) is logged and kept as
/// the delivery's `last_error`.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// Something that delivers messages of one channel. An error is retried.
pub trait Sender: Send + Sync {
    fn send<'a>(&'a self, message: &'a Outgoing) -> SendFuture<'a>;
}

/// The senders of every channel.
#[derive(Clone)]
pub struct Senders {
    pub email: Arc<dyn Sender>,
    pub sms: Arc<dyn Sender>,
}

impl Senders {
    /// E-mail over SMTP when MOTCUA_SMTP_URL is set, else logged; SMS is
    /// logged (a gateway plugs in as another `Sender`).
    pub fn from_config(c: &NotifyConfig) -> Result<Senders, ConfigError> {
        let email: Arc<dyn Sender> = match &c.smtp_url {
            Some(url) => Arc::new(Smtp::new(url.expose_secret(), &c.mail_from)?),
            None => Arc::new(LogSender),
        };
        Ok(Senders {
            email,
            sms: Arc::new(LogSender),
        })
    }

    pub fn of(&self, channel: Channel) -> &dyn Sender {
        match channel {
            Channel::Email => self.email.as_ref(),
            Channel::Sms => self.sms.as_ref(),
        }
    }
}

/// Writes that a message went out to the log: the demo's e-mail and SMS.
/// The address is masked and the body left out (logs are not a place for
/// personal data); the message itself is in `myNotifications`.
pub struct LogSender;

impl Sender for LogSender {
    fn send<'a>(&'a self, m: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            let to = match m.channel {
                Channel::Email => crate::domain::masking::mask_email(&m.to),
                Channel::Sms => crate::domain::masking::mask_tail(&m.to, 3),
            };
            tracing::info!(
                id = %m.id,
                channel = m.channel.as_str(),
                to = %to,
                subject = %m.subject,
                "notification (log sink)"
            );
            Ok(())
        })
    }
}

/// E-mail over SMTP.
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    pub fn new(url: &str, from: &str) -> Result<Smtp, ConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| ConfigError {
                var: "MOTCUA_SMTP_URL",
                reason: e.to_string(),
            })?
            .build();
        let from = from
            .parse()
            .map_err(|e: lettre::address::AddressError| ConfigError {
                var: "MOTCUA_MAIL_FROM",
                reason: e.to_string(),
            })?;
        Ok(Smtp { transport, from })
    }
}

impl Sender for Smtp {
    fn send<'a>(&'a self, m: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            let to: Mailbox = m.to.parse().context("bad address")?;
            let message = Message::builder()
                .message_id(Some(format!("<{}@motcua>", m.id)))
                .from(self.from.clone())
                .to(to)
                .subject(m.subject.clone())
                .body(m.body.clone())
                .context("cannot build the e-mail")?;
            self.transport
                .send(message)
                .await
                .map(|_| ())
                .context("SMTP send failed")
        })
    }
}
