//! Answers more than one module renders (`blog`, `notifications`: the routes and the
//! socket both; this tree imports neither), and the helpers every DTO shares: exact decimal
//! prices and telling an absent field from an explicit `null` in request bodies;
//! timestamps in responses.

pub mod blog;
pub mod notifications;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::{Deserialize, Serializer};
use std::fmt;

/// A price as sent: a JSON string `"9.99"` or number `9.99`, kept as its decimal text so
/// it is parsed exactly (a number's shortest form is its exact decimal up to 15 digits).
#[derive(Debug, Clone)]
pub struct Price(pub String);

impl<'de> Deserialize<'de> for Price {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct PriceVisitor;
        impl Visitor<'_> for PriceVisitor {
            type Value = Price;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal as a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Price, E> {
                Ok(Price(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Price, E> {
                Ok(Price(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Price, E> {
                Ok(Price(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Price, E> {
                Ok(Price(v.to_string()))
            }
        }
        d.deserialize_any(PriceVisitor)
    }
}

/// `true` when the field is present at all, whatever its value.
pub fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(d)?;
    Ok(true)
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A response timestamp, as chrono's own serializer writes it (RFC 3339, `Z`, as many
/// fraction digits as needed) but formatted into one string first: chrono's serializer
/// hands the JSON writer one character at a time, each checked for escaping, which was a
/// sixth of a product list page's instructions (callgrind). For `serialize_with`.
pub fn rfc3339<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[derive(serde::Serialize)]
    struct Ours(#[serde(serialize_with = "rfc3339")] DateTime<Utc>);

    #[test]
    fn timestamps_are_written_as_chrono_writes_them() {
        let second = Utc
            .with_ymd_and_hms(2026, 12, 3, 14, 5, 9)
            .single()
            .expect("valid");
        for nanos in [0, 120_000_000, 123_456_000, 123_456_789, 1_000] {
            let at = second + chrono::Duration::nanoseconds(nanos);
            let chrono_json = serde_json::to_string(&at).expect("serializes");
            assert_eq!(
                serde_json::to_string(&Ours(at)).expect("serializes"),
                chrono_json
            );
        }
    }
}
