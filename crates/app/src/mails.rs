//! Every e-mail the service sends, as text and HTML. Plain `format!` in one module rather
//! than a template engine: a forker edits the words here, the compiler checks every
//! placeholder, and no template files have to ship beside the binary.

use domain::job::OutgoingMail;

/// Where the links in the mails point, and what they say about how long a link lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// The public origin of the service (`APP_URL`), never a request's `Host`.
    pub app_url: String,
    pub reset_minutes: u32,
    pub verification_hours: u32,
}

impl MailSettings {
    pub fn verify_link(&self, token: &str) -> String {
        format!(
            "{}/verify-email?token={token}",
            self.app_url.trim_end_matches('/')
        )
    }

    pub fn reset_link(&self, token: &str) -> String {
        format!(
            "{}/reset-password?token={token}",
            self.app_url.trim_end_matches('/')
        )
    }
}

/// The welcome e-mail, with the verification link when there is one.
pub fn welcome(
    settings: &MailSettings,
    email: &str,
    name: &str,
    token: Option<&str>,
) -> OutgoingMail {
    let mut text = format!(
        "Hello {name},\n\n\
         your account {email} is ready. Sign in with this address and the password you chose.\n"
    );
    let mut html = format!(
        "<p>Hello {},</p><p>your account {} is ready. Sign in with this address and the \
         password you chose.</p>",
        escape(name),
        escape(email)
    );
    if let Some(token) = token {
        let link = settings.verify_link(token);
        let hours = settings.verification_hours;
        text.push_str(&format!(
            "\nPlease confirm that this address is yours (the link works for {hours} hours):\n\n\
             {link}\n"
        ));
        html.push_str(&format!(
            "<p>Please confirm that this address is yours (the link works for {hours} \
             hours):</p><p><a href=\"{0}\">{0}</a></p>",
            escape(&link)
        ));
    }
    text.push_str("\nIf you did not register, you can ignore this message.\n");
    html.push_str("<p>If you did not register, you can ignore this message.</p>");
    mail(email, name, format!("Welcome, {name}!"), text, html)
}

/// A new verification link, asked for by the signed-in user.
pub fn verification(settings: &MailSettings, email: &str, name: &str, token: &str) -> OutgoingMail {
    let link = settings.verify_link(token);
    let hours = settings.verification_hours;
    let text = format!(
        "Hello {name},\n\n\
         please confirm that {email} is your address (the link works for {hours} hours):\n\n\
         {link}\n\n\
         Earlier verification links no longer work. If you did not ask for this, ignore it.\n"
    );
    let html = format!(
        "<p>Hello {},</p><p>please confirm that {} is your address (the link works for {hours} \
         hours):</p><p><a href=\"{2}\">{2}</a></p><p>Earlier verification links no longer \
         work. If you did not ask for this, ignore it.</p>",
        escape(name),
        escape(email),
        escape(&link)
    );
    mail(
        email,
        name,
        "Confirm your e-mail address".into(),
        text,
        html,
    )
}

/// The password-reset link.
pub fn password_reset(
    settings: &MailSettings,
    email: &str,
    name: &str,
    token: &str,
) -> OutgoingMail {
    let link = settings.reset_link(token);
    let minutes = settings.reset_minutes;
    let text = format!(
        "Hello {name},\n\n\
         someone (we hope you) asked to reset the password of {email}. To choose a new one,\n\
         open this link within {minutes} minutes; it works once:\n\n\
         {link}\n\n\
         If you did not ask for this, ignore this message: your password stays as it is.\n"
    );
    let html = format!(
        "<p>Hello {},</p><p>someone (we hope you) asked to reset the password of {}. To choose \
         a new one, open this link within {minutes} minutes; it works once:</p>\
         <p><a href=\"{2}\">{2}</a></p><p>If you did not ask for this, ignore this message: \
         your password stays as it is.</p>",
        escape(name),
        escape(email),
        escape(&link)
    );
    mail(email, name, "Reset your password".into(), text, html)
}

/// The notice after a reset, so an owner who did not ask learns of it.
pub fn password_changed(email: &str, name: &str) -> OutgoingMail {
    let text = format!(
        "Hello {name},\n\n\
         the password of {email} was just changed through a reset link, and every session\n\
         of the account was signed out. If this was not you, reset your password again at once.\n"
    );
    let html = format!(
        "<p>Hello {},</p><p>the password of {} was just changed through a reset link, and \
         every session of the account was signed out. If this was not you, reset your \
         password again at once.</p>",
        escape(name),
        escape(email)
    );
    mail(email, name, "Your password was changed".into(), text, html)
}

fn mail(email: &str, name: &str, subject: String, text: String, html: String) -> OutgoingMail {
    OutgoingMail {
        to: email.to_owned(),
        to_name: name.to_owned(),
        subject,
        body: text,
        html: Some(format!("<!doctype html><html><body>{html}</body></html>")),
    }
}

/// A user's name or address inside HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> MailSettings {
        MailSettings {
            app_url: "https://app.example.com/".into(),
            reset_minutes: 30,
            verification_hours: 48,
        }
    }

    #[test]
    fn links_are_built_from_the_configured_origin() {
        let m = password_reset(&settings(), "a@b.co", "Ann", "tok-1");
        assert!(
            m.body
                .contains("https://app.example.com/reset-password?token=tok-1"),
            "{}",
            m.body
        );
        assert!(m.body.contains("30 minutes"));
        let w = welcome(&settings(), "a@b.co", "Ann", Some("tok-2"));
        assert!(
            w.body
                .contains("https://app.example.com/verify-email?token=tok-2")
        );
        assert!(
            w.html
                .unwrap()
                .contains("href=\"https://app.example.com/verify-email?token=tok-2\"")
        );
        let old = welcome(&settings(), "a@b.co", "Ann", None);
        assert!(!old.body.contains("verify-email"));
    }

    #[test]
    fn names_are_escaped_in_html_only() {
        let m = password_changed("a@b.co", "<b>Ann</b> & co");
        assert!(m.body.contains("<b>Ann</b> & co"));
        let html = m.html.unwrap();
        assert!(html.contains("&lt;b&gt;Ann&lt;/b&gt; &amp; co"), "{html}");
        assert!(!html.contains("<b>Ann"));
    }
}
