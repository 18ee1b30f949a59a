//! What a client says about an operation but the server cannot know: the device and the time
//! it was recorded. Both are checked for shape; the device recorded is the authenticated one
//! (the batch's, which the session vouches for), never the operation's own claim.
use app::ops::Operation;

/// Device ids the server itself writes (no-JS forms, online confirmations).
const RESERVED: [&str; 2] = ["web-form", "confirmation"];
pub const DEVICE_MAX: usize = 100;
const TIME_MAX: usize = 40;

/// A device id: 1-100 of `A-Z a-z 0-9 . _ : -`, and none of the server's own.
pub fn check_device(device: &str) -> Result<(), String> {
    let shaped = !device.is_empty()
        && device.len() <= DEVICE_MAX
        && device
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c));
    if !shaped {
        return Err(format!(
            "device_id must be 1-{DEVICE_MAX} letters, digits, '.', '_', ':' or '-'."
        ));
    }
    if RESERVED.contains(&device.to_ascii_lowercase().as_str()) {
        return Err(format!("device_id '{device}' is reserved for the server."));
    }
    Ok(())
}

/// Checks the operation's claims and records `device` (the authenticated one) on it.
pub fn settle(op: &mut Operation, device: &str) -> Result<(), String> {
    check_device(&op.device_id).map_err(|e| format!("The operation's {e}"))?;
    let time_ok = op.created_at.len() <= TIME_MAX
        && chrono::DateTime::parse_from_rfc3339(&op.created_at).is_ok();
    if !time_ok {
        return Err("created_at must be an RFC 3339 time (2026-11-30T10:00:00Z).".into());
    }
    op.device_id = device.to_string();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_device;

    #[test]
    fn device_ids_are_shaped_and_not_the_servers() {
        assert!(check_device("3f2a9c1e-laptop_01").is_ok());
        for bad in [
            "",
            "web-form",
            "Confirmation",
            "a b",
            "x\n",
            "é",
            &"d".repeat(101),
        ] {
            assert!(check_device(bad).is_err(), "{bad:?}");
        }
    }
}
