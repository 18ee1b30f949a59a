//! Validated input newtypes, parsed once by one constructor that the server and the
//! browser forms both use. Each error names the field and says what is wrong.
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ValidationError {
    pub field: String,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// Trims `value` and checks it is present and at most `max` characters long.
pub fn required_text(
    field: &str,
    label: &str,
    value: &str,
    max: usize,
) -> Result<String, ValidationError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ValidationError::new(field, format!("{label} is required.")));
    }
    check_length(field, label, value, max)?;
    Ok(value.to_string())
}

/// Like [`required_text`] but an empty value is `None`.
pub fn optional_text(
    field: &str,
    label: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, ValidationError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => {
            check_length(field, label, v, max)?;
            Ok(Some(v.to_string()))
        }
    }
}

/// A decision's words: required (named `label`) to reject or to ask, otherwise an optional
/// note; at most 500 characters either way.
pub fn decision_reason(
    field: &str,
    label: &str,
    value: Option<&str>,
    required: bool,
) -> Result<(), ValidationError> {
    if required {
        required_text(field, label, value.unwrap_or(""), 500).map(|_| ())
    } else {
        optional_text(field, "Note", value, 500).map(|_| ())
    }
}

fn check_length(field: &str, label: &str, value: &str, max: usize) -> Result<(), ValidationError> {
    let len = value.chars().count();
    if len > max {
        return Err(ValidationError::new(
            field,
            format!("{label} is too long ({len} characters; at most {max})."),
        ));
    }
    Ok(())
}

/// A sign-in name: 3 to 64 of lowercase letters, digits, `.`, `_`, `-`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Username(String);

impl Username {
    pub const MAX: usize = 64;

    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let value = required_text("username", "Username", value, Self::MAX)?.to_lowercase();
        if value.chars().count() < 3 {
            return Err(ValidationError::new(
                "username",
                "Username must be at least 3 characters.",
            ));
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(ValidationError::new(
                "username",
                "Username may contain only letters, digits, '.', '_' and '-'.",
            ));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 8 to 256 characters. (Sign-in only checks presence and the upper bound.)
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN: usize = 8;
    pub const MAX: usize = 256;

    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let len = value.chars().count();
        if len < Self::MIN {
            return Err(ValidationError::new(
                "password",
                format!("Password must be at least {} characters.", Self::MIN),
            ));
        }
        check_length("password", "Password", value, Self::MAX)?;
        Ok(Self(value.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A whole quantity, at least `min`, at most one billion.
pub fn quantity(field: &str, label: &str, value: i64, min: i64) -> Result<i64, ValidationError> {
    const MAX: i64 = 1_000_000_000;
    if value < min {
        return Err(ValidationError::new(
            field,
            format!("{label} must be at least {min}."),
        ));
    }
    if value > MAX {
        return Err(ValidationError::new(
            field,
            format!("{label} must be at most {MAX}."),
        ));
    }
    Ok(value)
}

/// Item SKU: `ITM-` followed by six uppercase hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sku(String);

impl Sku {
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let value = value.trim().to_uppercase();
        let ok = value.len() == 10
            && value.starts_with("ITM-")
            && value[4..].chars().all(|c| c.is_ascii_hexdigit());
        if !ok {
            return Err(ValidationError::new(
                "sku",
                "SKU must be ITM- followed by 6 hexadecimal digits.",
            ));
        }
        Ok(Self(value))
    }

    /// Builds a SKU from the low 24 bits of `n` (the server feeds it random bits).
    pub fn from_bits(n: u32) -> Self {
        Self(format!("ITM-{:06X}", n & 0x00FF_FFFF))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Optional barcode: up to 64 letters, digits or dashes.
pub fn barcode(value: Option<&str>) -> Result<Option<String>, ValidationError> {
    let value = optional_text("barcode", "Barcode", value, 64)?;
    if let Some(v) = &value {
        if !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(ValidationError::new(
                "barcode",
                "Barcode may contain only letters, digits and '-'.",
            ));
        }
    }
    Ok(value)
}

/// A calendar date in `YYYY-MM-DD` form.
pub fn date(field: &str, label: &str, value: &str) -> Result<chrono::NaiveDate, ValidationError> {
    chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        ValidationError::new(field, format!("{label} must be a date like 2026-11-22."))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_trims_and_bounds() {
        assert_eq!(
            required_text("n", "Name", "  Kingston  ", 20).unwrap(),
            "Kingston"
        );
        let err = required_text("n", "Name", "   ", 20).unwrap_err();
        assert_eq!(err.field, "n");
        assert_eq!(err.message, "Name is required.");
        let err = required_text("n", "Name", &"x".repeat(21), 20).unwrap_err();
        assert!(err.message.contains("at most 20"), "{}", err.message);
    }

    #[test]
    fn usernames() {
        assert_eq!(Username::parse(" Admin ").unwrap().as_str(), "admin");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("has space").is_err());
        assert!(Username::parse(&"a".repeat(65)).is_err());
        assert!(Username::parse("field.officer-2_b").is_ok());
    }

    #[test]
    fn passwords() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("long enough").is_ok());
        assert!(NewPassword::parse(&"p".repeat(257)).is_err());
    }

    #[test]
    fn skus() {
        assert_eq!(Sku::parse("itm-00ab3f").unwrap().as_str(), "ITM-00AB3F");
        assert!(Sku::parse("ITM-00AB3").is_err());
        assert!(Sku::parse("ITX-00AB3F").is_err());
        assert!(Sku::parse("ITM-00AG3F").is_err());
        assert_eq!(Sku::from_bits(0xFFAB_CDEF).as_str(), "ITM-ABCDEF");
    }

    #[test]
    fn quantities_and_barcodes_and_dates() {
        assert!(quantity("q", "Quantity", 0, 1).is_err());
        assert_eq!(quantity("q", "Quantity", 5, 1).unwrap(), 5);
        assert!(quantity("q", "Quantity", 2_000_000_000, 1).is_err());
        assert_eq!(barcode(Some("  ")).unwrap(), None);
        assert!(barcode(Some("12 34")).is_err());
        assert!(date("d", "Start", "2026-02-30").is_err());
        assert!(date("d", "Start", "2026-02-28").is_ok());
    }
}

/// A stored UTC timestamp for people: "2026-11-22T03:18:18.131Z" -> "2026-11-22 03:18 UTC".
/// Anything that is not RFC 3339 is shown as it is.
pub fn display_time(ts: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(ts)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        })
        .unwrap_or_else(|_| ts.to_string())
}

#[cfg(test)]
mod time_tests {
    #[test]
    fn times_are_shown_to_the_minute_in_utc() {
        assert_eq!(
            super::display_time("2026-11-22T03:18:18.131Z"),
            "2026-11-22 03:18 UTC"
        );
        assert_eq!(
            super::display_time("2026-11-22T10:00:00-05:00"),
            "2026-11-22 15:00 UTC"
        );
        assert_eq!(super::display_time("never"), "never");
    }
}
