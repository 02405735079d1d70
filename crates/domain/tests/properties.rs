//! Property tests of the value objects: for any input, parsing never panics, accepts
//! exactly what the rule says, and what it accepts reads back the same.

use domain::blog::{CommentContent, PostContent, PostTitle};
use domain::concurrency::{ETag, IfMatch, precondition_holds};
use domain::employee::FullName;
use domain::money::Money;
use domain::pagination::{Cursor, KeyValue, MAX_LIMIT, PageRequest};
use domain::product::{Description, ProductName, Quantity, StockDelta, StockReason};
use domain::user::{Email, Password, UserName};
use proptest::prelude::*;
use uuid::Uuid;

/// Text that often sits near the rules' edges: blanks around, control characters, letters
/// outside ASCII, and lengths on both sides of every bound.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,4}",
        "[ \t]{0,2}[a-zA-Zé€😀 ]{0,260}[ \n]{0,2}",
        "[a-z]{0,3}[\u{0}-\u{1f}][a-z]{0,3}",
    ]
}

/// What a bounded name accepts: `min..=max` characters after trimming, none a control.
fn name_rule(raw: &str, min: usize, max: usize) -> bool {
    let t = raw.trim();
    (min..=max).contains(&t.chars().count()) && !t.chars().any(char::is_control)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn money_prints_what_it_parses(cents in 0..=Money::MAX_CENTS) {
        let money = Money::from_cents(cents).unwrap();
        let text = money.to_string();
        prop_assert_eq!(Money::parse(&text).unwrap(), money);
        prop_assert!(text.split_once('.').is_some_and(|(_, f)| f.len() == 2));
    }

    #[test]
    fn money_parses_units_and_cents_exactly(units in 0i64..=99_999_999, cents in 0i64..100, pad in "0{0,3}") {
        let text = format!("{units}.{cents:02}{pad}");
        prop_assert_eq!(Money::parse(&text).unwrap().cents(), units * 100 + cents);
        // A third significant decimal is refused, never rounded.
        let finer = format!("{units}.{cents:02}1");
        prop_assert!(Money::parse(&finer).is_err());
    }

    #[test]
    fn money_from_any_text_is_in_range_or_refused(raw in "[ 0-9.,+e-]{0,16}") {
        if let Ok(money) = Money::parse(&raw) {
            prop_assert!((0..=Money::MAX_CENTS).contains(&money.cents()));
        }
    }

    // The property above only checks what is accepted; this one makes sure well-formed
    // amounts (blanks, leading zeros, 0 to 2 decimals) are accepted at all.
    #[test]
    fn money_in_any_valid_form_is_accepted(
        units in "[0-9]{1,8}",
        frac in "(\\.[0-9]{1,2})?",
        pad in ("[ ]{0,2}", "[ ]{0,2}"),
    ) {
        let raw = format!("{}{units}{frac}{}", pad.0, pad.1);
        let cents_text = format!("{:0<2}", frac.trim_start_matches('.'));
        let expected = units.parse::<i64>().unwrap() * 100 + cents_text.parse::<i64>().unwrap();
        let parsed = Money::parse(&raw);
        prop_assert!(parsed.is_ok(), "{:?} refused: {:?}", raw, parsed);
        prop_assert_eq!(parsed.unwrap().cents(), expected);
    }

    #[test]
    fn money_cents_out_of_range_are_refused(cents in prop_oneof![i64::MIN..0, Money::MAX_CENTS + 1..=i64::MAX]) {
        prop_assert!(Money::from_cents(cents).is_err());
    }

    #[test]
    fn emails_are_normalised_and_stable(raw in prop_oneof![
        "[ ]{0,2}[A-Za-z0-9._%+-]{1,20}@[A-Za-z0-9-]{1,20}\\.[A-Za-z]{2,6}[ ]{0,2}",
        text(),
    ]) {
        if let Ok(email) = Email::parse(&raw) {
            let s = email.as_str();
            prop_assert_eq!(s, raw.trim().to_lowercase());
            prop_assert!(s.len() <= Email::MAX_LEN && s.contains('@'));
            prop_assert_eq!(Email::parse(s).unwrap(), email.clone());
            prop_assert!(!email.local_part().contains('@'));
        }
    }

    // The property above only checks what is accepted; addresses valid by construction
    // must be accepted, whatever their case and surrounding blanks.
    #[test]
    fn valid_emails_are_accepted(
        raw in "[ ]{0,2}[A-Za-z0-9]{1,10}([._+-][A-Za-z0-9]{1,10}){0,2}@[A-Za-z0-9]{1,10}(-[A-Za-z0-9]{1,10})?\\.[A-Za-z]{2,6}[ ]{0,2}",
    ) {
        let email = Email::parse(&raw);
        prop_assert!(email.is_ok(), "{:?} refused: {:?}", raw, email);
        let lowered = raw.trim().to_lowercase();
        let email = email.unwrap();
        prop_assert_eq!(email.as_str(), lowered.as_str());
    }

    #[test]
    fn passwords_are_counted_in_bytes(raw in "[a-zé😀 ]{0,80}") {
        let ok = (Password::MIN_BYTES..=Password::MAX_BYTES).contains(&raw.len());
        prop_assert_eq!(Password::new(&raw).is_ok(), ok, "{} bytes", raw.len());
        if let Ok(p) = Password::new(&raw) {
            prop_assert_eq!(p.expose(), raw.as_str(), "kept as given, spaces included");
        }
    }

    #[test]
    fn names_accept_exactly_their_bounds_trimmed(raw in text()) {
        let checks: [(Option<String>, bool); 6] = [
            (UserName::new(&raw).ok().map(|n| n.as_str().to_owned()), name_rule(&raw, 1, UserName::MAX_CHARS)),
            (ProductName::new(&raw).ok().map(|n| n.as_str().to_owned()), name_rule(&raw, 2, 200)),
            (FullName::new(&raw).ok().map(|n| n.as_str().to_owned()), name_rule(&raw, 1, 200)),
            (PostTitle::new(&raw).ok().map(|n| n.as_str().to_owned()), name_rule(&raw, 1, 200)),
            (PostContent::new(&raw).ok().map(|n| n.as_str().to_owned()), (1..=20_000).contains(&raw.trim().chars().count())),
            (CommentContent::new(&raw).ok().map(|n| n.as_str().to_owned()), (1..=5000).contains(&raw.trim().chars().count())),
        ];
        for (kept, allowed) in checks {
            prop_assert_eq!(kept.is_some(), allowed, "{:?}", raw);
            if let Some(kept) = kept {
                prop_assert_eq!(kept, raw.trim());
            }
        }
    }

    #[test]
    fn optional_texts_are_none_when_blank(raw in text()) {
        let t = raw.trim();
        match Description::new(&raw) {
            Ok(d) => prop_assert_eq!(d.map(|d| d.as_str().to_owned()), (!t.is_empty()).then(|| t.to_owned())),
            Err(_) => prop_assert!(t.chars().count() > Description::MAX_CHARS),
        }
        match StockReason::new(&raw) {
            Ok(r) => prop_assert_eq!(r.map(|r| r.as_str().to_owned()), (!t.is_empty()).then(|| t.to_owned())),
            Err(_) => prop_assert!(t.chars().count() > 200),
        }
    }

    #[test]
    fn quantities_and_deltas_hold_their_ranges(n in any::<i64>()) {
        prop_assert_eq!(Quantity::new(n).is_ok(), (0..=Quantity::MAX).contains(&n));
        prop_assert_eq!(StockDelta::new(n).is_ok(), n != 0 && n.unsigned_abs() <= Quantity::MAX as u64);
    }

    #[test]
    fn pages_are_valid_exactly_in_range(limit in proptest::option::of(-5i64..110), offset in proptest::option::of(-5i64..1_000_000)) {
        let limit_ok = limit.is_none_or(|l| (1..=MAX_LIMIT as i64).contains(&l));
        let offset_ok = offset.is_none_or(|o| o >= 0);
        match PageRequest::new(limit, offset) {
            Ok(page) => {
                prop_assert!(limit_ok && offset_ok);
                prop_assert_eq!(page.limit() as i64, limit.unwrap_or(20));
                prop_assert_eq!(page.offset() as i64, offset.unwrap_or(0));
                prop_assert_eq!(page.fetch(), page.limit() + 1);
            }
            Err(e) => {
                let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
                prop_assert_eq!(fields.contains(&"limit"), !limit_ok);
                prop_assert_eq!(fields.contains(&"offset"), !offset_ok);
            }
        }
    }

    #[test]
    fn split_keeps_at_most_a_page_and_points_after_it(n in 0usize..30, limit in 1i64..10, offset in 0i64..100) {
        let page = PageRequest::new(Some(limit), Some(offset)).unwrap();
        let rows: Vec<i64> = (0..n as i64).collect();
        let (items, next) = page.split(rows, |r| vec![KeyValue::Int(*r)]);
        prop_assert_eq!(items.len(), n.min(limit as usize));
        match next {
            Some(Cursor { position, key }) => {
                prop_assert!(n > limit as usize);
                prop_assert_eq!(position, (offset + limit) as u64);
                prop_assert_eq!(key, vec![KeyValue::Int(limit - 1)]);
            }
            None => prop_assert!(n <= limit as usize),
        }
    }

    #[test]
    fn if_match_finds_its_own_tags(micros in proptest::collection::vec(0i64..4_000_000_000_000_000, 1..4), pick in any::<prop::sample::Index>()) {
        let id = Uuid::nil();
        let tags: Vec<ETag> = micros
            .iter()
            .map(|m| ETag::for_version(id, chrono::DateTime::from_timestamp_micros(*m).unwrap()))
            .collect();
        let header = tags.iter().map(ETag::as_str).collect::<Vec<_>>().join(", ");
        let parsed = IfMatch::parse(&header).unwrap();
        let current = pick.get(&tags);
        prop_assert!(parsed.matches(current));
        prop_assert!(precondition_holds(Some(&parsed), current));
        prop_assert!(precondition_holds(Some(&IfMatch::Any), current));
        let other = ETag::for_version(Uuid::max(), chrono::DateTime::from_timestamp_micros(0).unwrap());
        prop_assert!(!parsed.matches(&other));
        // A weak tag never satisfies If-Match (RFC 9110).
        let weak = IfMatch::parse(&format!("W/{}", current.as_str())).unwrap();
        prop_assert!(!weak.matches(current));
    }

    #[test]
    fn if_match_parsing_never_panics(raw in "[ \"*,W/a-z0-9-]{0,40}") {
        if let Some(IfMatch::Tags(tags)) = IfMatch::parse(&raw) {
            for tag in tags {
                prop_assert!(tag.as_str().starts_with('"') && tag.as_str().ends_with('"'));
            }
        }
    }

    // The property above only checks what is parsed; a well-formed header must parse, to
    // its strong tags in order, weak ones left out.
    #[test]
    fn well_formed_if_match_headers_are_accepted(
        parts in proptest::collection::vec((any::<bool>(), "[a-z0-9-]{0,12}"), 0..5),
        blanks in "[ ]{0,2}",
    ) {
        let header = parts
            .iter()
            .map(|(weak, opaque)| format!("{blanks}{}\"{opaque}\"", if *weak { "W/" } else { "" }))
            .collect::<Vec<_>>()
            .join(",");
        let strong: Vec<String> = parts
            .iter()
            .filter(|(weak, _)| !weak)
            .map(|(_, opaque)| format!("\"{opaque}\""))
            .collect();
        match IfMatch::parse(&header) {
            Some(IfMatch::Tags(tags)) => {
                let got: Vec<&str> = tags.iter().map(ETag::as_str).collect();
                prop_assert_eq!(got, strong.iter().map(String::as_str).collect::<Vec<_>>(), "{:?}", header);
            }
            other => prop_assert!(false, "{:?} parsed as {:?}", header, other),
        }
        prop_assert_eq!(IfMatch::parse(&format!("{blanks}*{blanks}")), Some(IfMatch::Any));
    }
}
