//! Money as integer cents: exact, the same on every database, never a float.

use crate::validation::Invalid;
use std::fmt;

/// A price from 0.00 to 99 999 999.99.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    pub const MAX_CENTS: i64 = 9_999_999_999;

    pub fn from_cents(cents: i64) -> Result<Self, Invalid> {
        if (0..=Self::MAX_CENTS).contains(&cents) {
            Ok(Self(cents))
        } else {
            Err(Invalid::new("must be between 0 and 99999999.99"))
        }
    }

    /// Parses a decimal such as `"9.99"`, `"10"` or `"0.5"`: at most two decimal places,
    /// no sign, no exponent.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bad = || Invalid::new("must be a decimal with at most 2 decimal places, e.g. \"9.99\"");
        let raw = raw.trim();
        let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        if raw.contains('.') && frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        // Trailing zeros beyond the cents are harmless ("9.990" is 9.99).
        let frac = frac.trim_end_matches('0');
        if frac.len() > 2 {
            return Err(Invalid::new("must have at most 2 decimal places"));
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 8 {
            return Err(Invalid::new("must be between 0 and 99999999.99"));
        }
        let units: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let cents: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        Self::from_cents(units * 100 + cents)
    }

    pub fn cents(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_decimals() {
        for (raw, cents) in [
            ("9.99", 999),
            ("10", 1000),
            ("0.5", 50),
            ("0", 0),
            ("007.10", 710),
            ("9.990", 999),
            ("99999999.99", 9_999_999_999),
        ] {
            assert_eq!(Money::parse(raw).unwrap().cents(), cents, "{raw}");
        }
    }

    #[test]
    fn refuses_anything_else() {
        for raw in [
            "",
            "-1",
            "+1",
            "1.999",
            "1e3",
            "abc",
            ".5",
            "5.",
            "1,5",
            "100000000",
            "NaN",
            "1 000",
        ] {
            assert!(Money::parse(raw).is_err(), "{raw:?} accepted");
        }
        assert!(Money::from_cents(-1).is_err());
        assert!(Money::from_cents(Money::MAX_CENTS + 1).is_err());
    }

    #[test]
    fn prints_two_decimals() {
        assert_eq!(Money::parse("9.9").unwrap().to_string(), "9.90");
        assert_eq!(Money::parse("0").unwrap().to_string(), "0.00");
        assert_eq!(Money::from_cents(123456).unwrap().to_string(), "1234.56");
    }
}
