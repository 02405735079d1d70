//! Mailers: SMTP (`SMTP_URL`) through lettre's pooled async transport, or the log.

use async_trait::async_trait;
use domain::BoxError;
use domain::job::{Mailer, OutgoingMail};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

/// A send that takes longer than this fails and is retried later.
const SEND_TIMEOUT: Duration = Duration::from_secs(15);

/// Whether lettre understands `url`, without connecting (or needing a runtime).
pub fn check_url(url: &str) -> Result<(), String> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map(drop)
        .map_err(|e| e.to_string())
}

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// `url` as lettre reads it: `smtp://host:port` (plain), `smtp://host?tls=required`
    /// (STARTTLS) or `smtps://host` (TLS), with optional `user:password@`.
    pub fn new(url: &str, from: &str) -> Result<Self, BoxError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        Ok(Self {
            transport,
            from: from.parse()?,
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), BoxError> {
        let to = Mailbox::new(Some(mail.to_name.clone()), mail.to.parse()?);
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone());
        let message = match &mail.html {
            // Text first: a client shows the last part it can render.
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                mail.body.clone(),
                html.clone(),
            ))?,
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(mail.body.clone())?,
        };
        self.transport.send(message).await?;
        Ok(())
    }
}

/// Without `SMTP_URL`: the message goes to the log, and counts as sent.
pub struct LogMailer;

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), BoxError> {
        tracing::info!(
            to = %mail.to,
            subject = %mail.subject,
            "e-mail not sent (no SMTP_URL):\n{}",
            mail.body
        );
        Ok(())
    }
}
