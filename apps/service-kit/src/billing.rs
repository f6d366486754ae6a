//! The billing message contract: the JSON object posted to the gateway,
//! e.g. `{"user_id":"3","number_of_items":"5","total_amount":"180"}`,
//! numeric fields as JSON strings or JSON numbers.
//!
//! Rules (identical in producer and consumer):
//! - `user_id`: a non-blank string (or an integer), at most 255 characters;
//! - `number_of_items`: an integer in `1..=2^31-1`;
//! - `total_amount`: a non-negative decimal with at most 2 fraction digits
//!   and at most 15 integer digits (stored as `NUMERIC(17,2)`).
//!
//! Unknown extra fields are ignored (forward compatibility).

use serde_json::Value;
use std::fmt;

/// A validated billing order. The only way to build one is [`BillingOrder::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingOrder {
    user_id: String,
    number_of_items: i64,
    total_amount: String,
}

/// Why a billing body is refused: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidOrder {
    /// the offending field (`body` when it is the whole document)
    pub field: &'static str,
    /// human explanation
    pub reason: String,
}

impl fmt::Display for InvalidOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for InvalidOrder {}

fn invalid(field: &'static str, reason: impl Into<String>) -> InvalidOrder {
    InvalidOrder {
        field,
        reason: reason.into(),
    }
}

/// The longest accepted `user_id`.
pub const MAX_USER_ID_LEN: usize = 255;
const MAX_INT_DIGITS: usize = 15;
const MAX_FRACTION_DIGITS: usize = 2;

impl BillingOrder {
    /// Parses raw bytes (must be a JSON object).
    pub fn parse_bytes(body: &[u8]) -> Result<Self, InvalidOrder> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| invalid("body", format!("not valid JSON: {e}")))?;
        Self::parse(&value)
    }

    /// Validates a JSON value.
    pub fn parse(value: &Value) -> Result<Self, InvalidOrder> {
        let obj = value
            .as_object()
            .ok_or_else(|| invalid("body", "must be a JSON object"))?;
        let user_id = match obj.get("user_id") {
            None | Some(Value::Null) => return Err(invalid("user_id", "is required")),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) if n.is_u64() || n.is_i64() => n.to_string(),
            Some(_) => return Err(invalid("user_id", "must be a string")),
        };
        if user_id.trim().is_empty() {
            return Err(invalid("user_id", "must not be empty"));
        }
        if user_id.chars().count() > MAX_USER_ID_LEN {
            return Err(invalid(
                "user_id",
                format!("must be at most {MAX_USER_ID_LEN} characters"),
            ));
        }
        if user_id.chars().any(|c| c == '\0') {
            return Err(invalid("user_id", "must not contain NUL characters"));
        }
        let number_of_items = match obj.get("number_of_items") {
            None | Some(Value::Null) => return Err(invalid("number_of_items", "is required")),
            Some(Value::String(s)) => parse_count(s.trim())?,
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => check_count(i)?,
                None => {
                    return Err(invalid("number_of_items", "must be a positive integer"));
                }
            },
            Some(_) => {
                return Err(invalid(
                    "number_of_items",
                    "must be a positive integer (number or string)",
                ));
            }
        };
        let total_amount = match obj.get("total_amount") {
            None | Some(Value::Null) => return Err(invalid("total_amount", "is required")),
            Some(Value::String(s)) => parse_amount(s.trim())?,
            Some(Value::Number(n)) => parse_amount(&n.to_string())?,
            Some(_) => {
                return Err(invalid(
                    "total_amount",
                    "must be a non-negative decimal (number or string)",
                ));
            }
        };
        Ok(Self {
            user_id,
            number_of_items,
            total_amount,
        })
    }

    /// The user id, as given.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The number of items, `>= 1`.
    pub fn number_of_items(&self) -> i64 {
        self.number_of_items
    }

    /// The total amount as a canonical decimal string (`"180"`, `"12.5"`),
    /// suitable for a `::numeric` cast.
    pub fn total_amount(&self) -> &str {
        &self.total_amount
    }
}

fn check_count(i: i64) -> Result<i64, InvalidOrder> {
    if (1..=i64::from(i32::MAX)).contains(&i) {
        Ok(i)
    } else {
        Err(invalid(
            "number_of_items",
            format!("must be an integer between 1 and {}", i32::MAX),
        ))
    }
}

fn parse_count(s: &str) -> Result<i64, InvalidOrder> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 12 {
        return Err(invalid("number_of_items", "must be a positive integer"));
    }
    let i: i64 = s
        .parse()
        .map_err(|_| invalid("number_of_items", "must be a positive integer"))?;
    check_count(i)
}

/// Validates a decimal and returns it canonicalised (no leading zeros,
/// no trailing fraction zeros). Accepts `"180"`, `"180.5"`, `"0.99"`;
/// refuses signs, exponents and a dot without digits on both sides.
fn parse_amount(s: &str) -> Result<String, InvalidOrder> {
    let bad = || {
        invalid(
            "total_amount",
            format!(
                "must be a non-negative decimal with at most {MAX_INT_DIGITS} integer and {MAX_FRACTION_DIGITS} fraction digits"
            ),
        )
    };
    let (int_part, frac_part) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int_part.is_empty()
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
        || (s.contains('.') && frac_part.is_empty())
    {
        return Err(bad());
    }
    let int_part = int_part.trim_start_matches('0');
    let frac_part = frac_part.trim_end_matches('0');
    if int_part.len() > MAX_INT_DIGITS || frac_part.len() > MAX_FRACTION_DIGITS {
        return Err(bad());
    }
    let int_part = if int_part.is_empty() { "0" } else { int_part };
    Ok(if frac_part.is_empty() {
        int_part.to_string()
    } else {
        format!("{int_part}.{frac_part}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_strings_and_numbers() {
        let a =
            BillingOrder::parse(&json!({"user_id":"3","number_of_items":"5","total_amount":"180"}))
                .unwrap();
        let b = BillingOrder::parse(&json!({"user_id":3,"number_of_items":5,"total_amount":180}))
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.total_amount(), "180");
        let c =
            BillingOrder::parse(&json!({"user_id":"u","number_of_items":1,"total_amount":12.50}))
                .unwrap();
        assert_eq!(c.total_amount(), "12.5");
        let d = BillingOrder::parse(
            &json!({"user_id":"u","number_of_items":" 7 ","total_amount":"007.10"}),
        )
        .unwrap();
        assert_eq!((d.number_of_items(), d.total_amount()), (7, "7.1"));
    }

    #[test]
    fn refuses_garbage() {
        for body in [
            json!([]),
            json!("x"),
            json!({}),
            json!({"user_id":"","number_of_items":"5","total_amount":"1"}),
            json!({"user_id":"  ","number_of_items":"5","total_amount":"1"}),
            json!({"user_id":{},"number_of_items":"5","total_amount":"1"}),
            json!({"user_id":"3","number_of_items":"-5","total_amount":"1"}),
            json!({"user_id":"3","number_of_items":-5,"total_amount":"1"}),
            json!({"user_id":"3","number_of_items":0,"total_amount":"1"}),
            json!({"user_id":"3","number_of_items":"five","total_amount":"1"}),
            json!({"user_id":"3","number_of_items":5.5,"total_amount":"1"}),
            json!({"user_id":"3","number_of_items":"5.0","total_amount":"1"}),
            json!({"user_id":"3","number_of_items":99999999999i64,"total_amount":"1"}),
            json!({"user_id":"3","number_of_items":"5","total_amount":"-1"}),
            json!({"user_id":"3","number_of_items":"5","total_amount":-1}),
            json!({"user_id":"3","number_of_items":"5","total_amount":"abc"}),
            json!({"user_id":"3","number_of_items":"5","total_amount":"1.234"}),
            json!({"user_id":"3","number_of_items":"5","total_amount":"1e3"}),
            json!({"user_id":"3","number_of_items":"5","total_amount":"NaN"}),
            json!({"user_id":"3","number_of_items":"5","total_amount":"."}),
            json!({"user_id":"3","number_of_items":"5","total_amount":"1."}),
            json!({"user_id":"3","number_of_items":"5","total_amount":"1234567890123456"}),
            json!({"user_id":"3","number_of_items":"5","total_amount":true}),
            json!({"user_id":"3","number_of_items":"5"}),
            json!({"user_id":"x".repeat(256),"number_of_items":"5","total_amount":"1"}),
        ] {
            assert!(BillingOrder::parse(&body).is_err(), "accepted {body}");
        }
        assert!(BillingOrder::parse_bytes(b"{not json").is_err());
    }
}
