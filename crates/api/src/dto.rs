//! Request-body helpers shared by the DTOs: exact decimal prices, and telling an absent
//! field from an explicit `null`.

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
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
