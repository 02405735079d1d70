//! Field-level validation results, so a client learns about every bad field at once.

use std::fmt;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A value object rejected its input; the caller names the field with [`Invalid::at`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    pub fn at(self, field: &str) -> FieldError {
        FieldError::new(field, self.0)
    }
}

/// `raw` trimmed at both ends, `min` to `max` characters (not bytes).
pub fn bounded_text(raw: &str, min: usize, max: usize) -> Result<String, Invalid> {
    let text = raw.trim();
    let chars = text.chars().count();
    if (min..=max).contains(&chars) {
        Ok(text.to_owned())
    } else if min <= 1 && chars == 0 {
        Err(Invalid::new("must not be empty"))
    } else if min <= 1 {
        Err(Invalid::new(format!("must be at most {max} characters")))
    } else {
        Err(Invalid::new(format!("must be {min} to {max} characters")))
    }
}

/// A name or title: [`bounded_text`] on one line, without control characters.
pub fn bounded_name(raw: &str, min: usize, max: usize) -> Result<String, Invalid> {
    let name = bounded_text(raw, min, max)?;
    if name.chars().any(char::is_control) {
        return Err(Invalid::new("must not contain control characters"));
    }
    Ok(name)
}

/// Optional text: blank means none, else at most `max` characters after trimming.
pub fn optional_text(raw: &str, max: usize) -> Result<Option<String>, Invalid> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    bounded_text(raw, 1, max).map(Some)
}

/// A search term as sent (`q`): trimmed; blank means no search.
pub fn search_text(raw: Option<String>) -> Option<String> {
    raw.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty())
}

/// A value object holding checked text: `new` runs `check(raw, min, max)`, `as_str` reads.
macro_rules! text_value {
    ($(#[$meta:meta])* $name:ident, $check:ident, $min:expr, $max:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub fn new(raw: &str) -> Result<Self, $crate::validation::Invalid> {
                $crate::validation::$check(raw, $min, $max).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}
pub(crate) use text_value;

/// A closed set of values, each with the one name clients write: `ALL` in the order given,
/// `as_str`, `Display`, and `FromStr` that accepts exactly those names and otherwise says
/// which it would (`must be one of: a, b`).
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::validation::Invalid;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| {
                    let names = Self::ALL.map(Self::as_str).join(", ");
                    $crate::validation::Invalid::new(format!("must be one of: {names}"))
                })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use named_enum;

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Every invalid field of one request (never empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", invalid_fields(.0))]
pub struct ValidationError(pub Vec<FieldError>);

/// `password: must be at least 8 bytes; email: ...`, for logs and the command line.
fn invalid_fields(errors: &[FieldError]) -> String {
    let each: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect();
    format!("invalid {}", each.join("; "))
}

impl ValidationError {
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, message)])
    }
}

impl From<FieldError> for ValidationError {
    fn from(e: FieldError) -> Self {
        Self(vec![e])
    }
}

/// Collects field errors while values are parsed one by one.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the value, or records the error under `field`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, Invalid>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(e.at(field));
                None
            }
        }
    }

    /// Like [`Validator::check`] for an optional input: `None` stays `None`.
    pub fn check_opt<T, I>(
        &mut self,
        field: &str,
        input: Option<I>,
        parse: impl FnOnce(I) -> Result<T, Invalid>,
    ) -> Option<Option<T>> {
        match input {
            None => Some(None),
            Some(i) => self.check(field, parse(i)).map(Some),
        }
    }

    /// A required input: absent is recorded as "is required", present is parsed.
    pub fn require<T, I>(
        &mut self,
        field: &str,
        input: Option<I>,
        parse: impl FnOnce(I) -> Result<T, Invalid>,
    ) -> Option<T> {
        match input {
            Some(i) => self.check(field, parse(i)),
            None => {
                self.push(field, "is required");
                None
            }
        }
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// `Ok` only when nothing was recorded.
    pub fn finish(self) -> Result<(), ValidationError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationError(self.errors))
        }
    }
}

/// Turns the `Option`s a [`Validator`] handed out into values once `finish` succeeded.
/// A `None` here means a check was skipped by mistake, reported as a validation error.
pub fn required<T>(value: Option<T>, field: &str) -> Result<T, ValidationError> {
    value.ok_or_else(|| ValidationError::single(field, "is invalid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    named_enum! {
        pub enum Shade {
            Light = "light",
            Dark = "-dark",
        }
    }

    #[test]
    fn named_values_read_back_their_own_names_only() {
        assert_eq!(Shade::ALL, [Shade::Light, Shade::Dark]);
        for shade in Shade::ALL {
            assert_eq!(shade.as_str().parse::<Shade>(), Ok(shade));
            assert_eq!(shade.to_string(), shade.as_str());
        }
        for bad in ["", "Light", "dark", " light"] {
            assert_eq!(
                bad.parse::<Shade>(),
                Err(Invalid::new("must be one of: light, -dark"))
            );
        }
    }

    #[test]
    fn search_terms_are_trimmed_and_blank_is_none() {
        assert_eq!(search_text(Some("  lamp ".into())), Some("lamp".into()));
        assert_eq!(search_text(Some(" \t ".into())), None);
        assert_eq!(search_text(None), None);
    }

    #[test]
    fn collects_every_failing_field() {
        let mut v = Validator::new();
        let a: Option<u8> = v.check("a", Err(Invalid::new("bad a")));
        let b = v.check("b", Ok(2u8));
        v.push("c", "bad c");
        assert_eq!(a, None);
        assert_eq!(b, Some(2));
        let err = v.finish().unwrap_err();
        assert_eq!(
            err.0,
            vec![FieldError::new("a", "bad a"), FieldError::new("c", "bad c")]
        );
    }

    #[test]
    fn required_inputs_must_be_present() {
        let mut v = Validator::new();
        let absent: Option<u8> = v.require("a", None::<&str>, |_| Ok(1));
        let present = v.require("b", Some("7"), |s| {
            s.parse::<u8>().map_err(|_| Invalid::new("nan"))
        });
        assert_eq!((absent, present), (None, Some(7)));
        assert_eq!(
            v.finish().unwrap_err().0,
            vec![FieldError::new("a", "is required")]
        );
    }

    #[test]
    fn optional_inputs_pass_through_when_absent() {
        let mut v = Validator::new();
        let absent = v.check_opt("x", None::<&str>, |_| Err::<u8, _>(Invalid::new("no")));
        let present = v.check_opt("y", Some("7"), |s| {
            s.parse::<u8>().map_err(|_| Invalid::new("nan"))
        });
        assert_eq!(absent, Some(None));
        assert_eq!(present, Some(Some(7)));
        assert!(v.finish().is_ok());
    }
}
