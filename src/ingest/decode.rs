//! Bytes of a text file → text, whatever Windows tool wrote them.
//!
//! Byte-order marks decide first (UTF-8, and the UTF-16 that Windows PowerShell 5.1's
//! `Out-File` writes); then UTF-16 without a mark, recognised by its zero bytes; then UTF-8
//! if the bytes are valid UTF-8; else Windows-1252, which Excel's "CSV" uses on Western
//! Windows and which accepts every byte.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// Text and the name of the encoding it was read in, for the report.
#[derive(Debug, PartialEq)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: &'static str,
    /// Set when the encoding was a guess the user may want to check.
    pub guessed: bool,
}

pub fn decode(bytes: &[u8]) -> Decoded<'_> {
    if let Some((encoding, bom_length)) = Encoding::for_bom(bytes) {
        let body = &bytes[bom_length..];
        let (text, _) = encoding.decode_without_bom_handling(body);
        return Decoded {
            text,
            encoding: label(encoding, true),
            guessed: false,
        };
    }
    if let Some(encoding) = utf16_without_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        return Decoded {
            text,
            encoding: label(encoding, false),
            guessed: true,
        };
    }
    // simdutf8 says yes or no several times faster than the standard library, and a no
    // falls back to Windows-1252 anyway.
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Decoded {
            text: Cow::Borrowed(text),
            encoding: "UTF-8",
            guessed: false,
        },
        Err(_) => {
            let (text, _) = WINDOWS_1252.decode_without_bom_handling(bytes);
            Decoded {
                text,
                encoding: "Windows-1252",
                guessed: true,
            }
        }
    }
}

fn label(encoding: &'static Encoding, bom: bool) -> &'static str {
    match (
        encoding == UTF_8,
        encoding == UTF_16LE,
        encoding == UTF_16BE,
        bom,
    ) {
        (true, _, _, true) => "UTF-8 with BOM",
        (_, true, _, true) => "UTF-16 LE with BOM",
        (_, _, true, true) => "UTF-16 BE with BOM",
        (_, true, _, false) => "UTF-16 LE",
        (_, _, true, false) => "UTF-16 BE",
        _ => "UTF-8",
    }
}

/// ASCII text in UTF-16 has a zero byte in every other position: more than a third of the
/// even (big-endian) or odd (little-endian) bytes of the first kilobyte being zero, and
/// almost none of the others, is not something a real text file in another encoding does.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(1024) & !1];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let zeros_at = |offset: usize| {
        sample
            .iter()
            .skip(offset)
            .step_by(2)
            .filter(|b| **b == 0)
            .count()
    };
    let (even, odd) = (zeros_at(0), zeros_at(1));
    if odd * 3 > pairs && even * 20 < pairs {
        Some(UTF_16LE)
    } else if even * 3 > pairs && odd * 20 < pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut bytes = if bom { vec![0xFF, 0xFE] } else { vec![] };
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    }

    #[test]
    fn plain_utf8_is_borrowed_not_copied() {
        let decoded = decode("Serial,Model\n".as_bytes());
        assert!(matches!(decoded.text, Cow::Borrowed(_)));
        assert_eq!(decoded.encoding, "UTF-8");
    }

    #[test]
    fn a_utf8_bom_is_removed() {
        let decoded = decode(b"\xEF\xBB\xBFDevice Serial Number\r\n");
        assert_eq!(decoded.text, "Device Serial Number\r\n");
        assert_eq!(decoded.encoding, "UTF-8 with BOM");
    }

    #[test]
    fn windows_powershell_utf16_with_bom_is_read() {
        let bytes = utf16le("Device Serial Number,Hardware Hash\r\nÄ1,QUJD\r\n", true);
        let decoded = decode(&bytes);
        assert_eq!(
            decoded.text,
            "Device Serial Number,Hardware Hash\r\nÄ1,QUJD\r\n"
        );
        assert_eq!(decoded.encoding, "UTF-16 LE with BOM");
        let mut be = vec![0xFE, 0xFF];
        be.extend("Serial".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&be).text, "Serial");
    }

    #[test]
    fn utf16_without_bom_is_recognised_and_marked_as_a_guess() {
        let bytes = utf16le("Device Serial Number,Hardware Hash\r\n", false);
        let decoded = decode(&bytes);
        assert_eq!(decoded.text, "Device Serial Number,Hardware Hash\r\n");
        assert_eq!(decoded.encoding, "UTF-16 LE");
        assert!(decoded.guessed);
    }

    #[test]
    fn invalid_utf8_falls_back_to_windows_1252() {
        // "Müller" and "€" as Excel writes them on a Western-European Windows.
        let decoded = decode(b"M\xFCller;\x80\r\n");
        assert_eq!(decoded.text, "Müller;€\r\n");
        assert_eq!(decoded.encoding, "Windows-1252");
        assert!(decoded.guessed);
    }
}
