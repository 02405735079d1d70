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
/// fraction digits as needed). chrono's serializer hands the JSON writer one character at
/// a time, each checked for escaping (a sixth of a product list page's instructions,
/// callgrind); its `to_rfc3339_opts` goes through `fmt` into a new `String` (9.6 % of a
/// list page's CPU, `perf` on the `profiling` build). The digits are written into a stack
/// buffer instead; years outside 0-9999 and leap seconds, which chrono writes its own
/// way, still go through chrono. For `serialize_with`.
pub fn rfc3339<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; RFC3339_MAX];
    match write_rfc3339(at, &mut buf) {
        Some(text) => s.serialize_str(text),
        None => s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, the longest form.
const RFC3339_MAX: usize = 30;

/// `at` in chrono's `AutoSi` form, written into `buf`; `None` where chrono's form differs
/// from four-digit years and at most 999,999,999 ns.
fn write_rfc3339<'b>(at: &DateTime<Utc>, buf: &'b mut [u8; RFC3339_MAX]) -> Option<&'b str> {
    use chrono::{Datelike, Timelike};
    let year = u32::try_from(at.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = at.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    let mut len = 0;
    let mut put = |value: u32, digits: u32, after: u8| {
        for i in (0..digits).rev() {
            // `value / 10^i % 10` is one digit: always ASCII.
            buf[len] = b'0' + (value / 10u32.pow(i) % 10) as u8;
            len += 1;
        }
        buf[len] = after;
        len += 1;
    };
    put(year, 4, b'-');
    put(at.month(), 2, b'-');
    put(at.day(), 2, b'T');
    put(at.hour(), 2, b':');
    put(at.minute(), 2, b':');
    let (fraction, digits) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    if digits == 0 {
        put(at.second(), 2, b'Z');
    } else {
        put(at.second(), 2, b'.');
        put(fraction, digits, b'Z');
    }
    std::str::from_utf8(&buf[..len]).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::{Just, Strategy};

    #[derive(serde::Serialize)]
    struct Ours(#[serde(serialize_with = "rfc3339")] DateTime<Utc>);

    proptest::proptest! {
        #[test]
        fn any_timestamp_is_written_as_chrono_writes_it(
            secs in -62_167_219_200i64..253_402_300_800 + 86_400,
            nanos in proptest::prop_oneof![
                Just(0u32),
                (0u32..1000).prop_map(|ms| ms * 1_000_000),
                (0u32..1_000_000).prop_map(|us| us * 1_000),
                0u32..2_000_000_000,
            ],
        ) {
            // Past 999,999,999 ns is a leap second, which chrono only allows at :59.
            let Some(at) = DateTime::<Utc>::from_timestamp(secs, nanos) else {
                return Ok(());
            };
            let chrono_json = serde_json::to_string(&at).expect("serializes");
            proptest::prop_assert_eq!(
                serde_json::to_string(&Ours(at)).expect("serializes"),
                chrono_json
            );
        }
    }

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
