//! A device's identifiers as the dashboard compares them with devices it already knows (the
//! device index, the preview's checks): the same on both databases, because the dashboard,
//! not SQL, turns them into keys.

use base64::Engine;
use sha2::{Digest, Sha256};

/// A serial number, lowercased (serials are compared without regard to case).
pub fn serial_key(serial: &str) -> String {
    serial.trim().to_lowercase()
}

/// A product key, uppercased (Partner Center's product keys are digits and capitals).
pub fn product_key(key: &str) -> String {
    key.trim().to_uppercase()
}

/// A hardware hash as compared: the SHA-256 (hex) of its decoded bytes, so the padding,
/// spaces and line breaks of a pasted hash do not matter, and only a digest is kept. `None`
/// for text that is not base64.
pub fn hash_digest(hash: &str) -> Option<String> {
    let compact: String = hash.chars().filter(|c| !c.is_whitespace()).collect();
    let unpadded = compact.trim_end_matches('=');
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(unpadded)
        .ok()?;
    Some(
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

/// What a row is looked up by among devices already known, worked out once per row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowKeys {
    pub row: u32,
    pub serial: Option<String>,
    pub product_key: Option<String>,
    /// Only for a row known by its hash alone: a row with a serial number or product key is
    /// looked up by those, and decoding and digesting thousands of 4 KB hashes would cost the
    /// preview more than it finds.
    pub hash_digest: Option<String>,
    /// Manufacturer and model as [`maker_key`] makes them, when the row has both: with the
    /// serial number, Partner Center's own key for a device without a hash.
    pub maker: Option<String>,
}

/// A manufacturer and model, compared without regard to case or surrounding spaces.
pub fn maker_key(manufacturer: &str, model: &str) -> String {
    format!(
        "{}\u{1f}{}",
        manufacturer.trim().to_lowercase(),
        model.trim().to_lowercase()
    )
}

impl RowKeys {
    pub fn of(device: &super::DeviceRow) -> RowKeys {
        let serial = device.serial_number.as_deref().map(serial_key);
        let product_key = device.product_key.as_deref().map(product_key);
        let hash_digest = match (&serial, &product_key) {
            (None, None) => device.hardware_hash.as_deref().and_then(hash_digest),
            _ => None,
        };
        let maker = match (&device.manufacturer, &device.model) {
            (Some(manufacturer), Some(model)) => Some(maker_key(manufacturer, model)),
            _ => None,
        };
        RowKeys {
            row: device.row,
            serial,
            product_key,
            hash_digest,
            maker,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_the_same_whatever_its_padding_and_line_breaks() {
        let hash = base64::engine::general_purpose::STANDARD.encode([7u8; 100]);
        let broken = format!("{}\r\n{}", &hash[..40], &hash[40..]);
        assert_eq!(hash_digest(&hash), hash_digest(&broken));
        assert_eq!(hash_digest(&hash), hash_digest(hash.trim_end_matches('=')));
        assert!(hash_digest(&hash).is_some());
        assert_eq!(hash_digest("not base64 at all!"), None);
    }

    #[test]
    fn serials_and_product_keys_compare_without_regard_to_case() {
        assert_eq!(serial_key(" PF3abc12 "), "pf3abc12");
        assert_eq!(serial_key("ÄBC"), "äbc");
        assert_eq!(product_key(" 00329-aa606 "), "00329-AA606");
    }
}
