//! Bytes of a text file → text, whatever Windows tool wrote them.
//!
//! Byte-order marks decide first (UTF-8, and the UTF-16 that Windows PowerShell 5.1's
//! `Out-File` writes); then UTF-16 without a mark, recognised by its zero bytes; then UTF-8
//! if the bytes are valid UTF-8; else Windows-1252, which Excel's "CSV" uses on Western
//! Windows and which accepts every byte. The text comes block by block ([`BlockDecoder`]), so
//! a file is never held whole; whether it is UTF-8 is known only at its end, so a file found
//! not to be is read again from its start as Windows-1252.

use encoding_rs::{CoderResult, Decoder, Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// How much of a text's start says its encoding: a byte-order mark, or the zero bytes of
/// UTF-16 without one.
pub const ENCODING_SNIFF_BYTES: usize = 1024;

/// Turns a text's bytes into text block by block, in the encoding its first block says.
pub struct BlockDecoder {
    decoding: Decoding,
    /// The encoding's name, for the report.
    pub encoding: &'static str,
    /// Set when the encoding was a guess the user may want to check.
    pub guessed: bool,
}

enum Decoding {
    /// UTF-8 without a mark, checked as it comes, with the bytes of a character that the
    /// block's end cut in two.
    Utf8 { pending: Vec<u8> },
    /// A byte-order mark's encoding, UTF-16 without one, or Windows-1252: what cannot be
    /// decoded becomes U+FFFD.
    Decoder(Decoder),
}

/// The bytes were not UTF-8 after all: the text is read again as Windows-1252.
#[derive(Debug)]
pub struct NotUtf8;

impl BlockDecoder {
    /// Chooses from the text's first block (at least its first kilobyte, when it has one);
    /// also says how many of its bytes are a byte-order mark, which is not text.
    pub fn for_start(first: &[u8]) -> (Self, usize) {
        if let Some((encoding, bom_length)) = Encoding::for_bom(first) {
            let decoder = BlockDecoder {
                decoding: Decoding::Decoder(encoding.new_decoder_without_bom_handling()),
                encoding: label(encoding, true),
                guessed: false,
            };
            return (decoder, bom_length);
        }
        if let Some(encoding) = utf16_without_bom(first) {
            let decoder = BlockDecoder {
                decoding: Decoding::Decoder(encoding.new_decoder_without_bom_handling()),
                encoding: label(encoding, false),
                guessed: true,
            };
            return (decoder, 0);
        }
        let decoder = BlockDecoder {
            decoding: Decoding::Utf8 {
                pending: Vec::new(),
            },
            encoding: "UTF-8",
            guessed: false,
        };
        (decoder, 0)
    }

    /// For a text whose bytes turned out not to be UTF-8: Windows-1252, which Excel's "CSV"
    /// uses on Western Windows and which accepts every byte.
    pub fn windows_1252() -> Self {
        BlockDecoder {
            decoding: Decoding::Decoder(WINDOWS_1252.new_decoder_without_bom_handling()),
            encoding: "Windows-1252",
            guessed: true,
        }
    }

    /// Appends the text of the next `bytes` to `text`; `last` when no more follow.
    pub fn decode(&mut self, bytes: &[u8], text: &mut String, last: bool) -> Result<(), NotUtf8> {
        match &mut self.decoding {
            Decoding::Utf8 { pending } => {
                let mut bytes = bytes;
                if !pending.is_empty() {
                    // The character the last block ended in: completed from this one's first
                    // bytes, not by copying this block behind it.
                    let width = utf8_width(pending[0]);
                    let take = (width - pending.len()).min(bytes.len());
                    pending.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    if pending.len() < width {
                        // Still cut (a block of a byte or two): complete it from the next.
                        return if last { Err(NotUtf8) } else { Ok(()) };
                    }
                    text.push_str(std::str::from_utf8(pending).map_err(|_| NotUtf8)?);
                    pending.clear();
                }
                // simdutf8 says yes or no several times faster than the standard library.
                match simdutf8::compat::from_utf8(bytes) {
                    Ok(valid) => text.push_str(valid),
                    Err(error) if error.error_len().is_none() && !last => {
                        let (valid, cut) = bytes.split_at(error.valid_up_to());
                        // SAFETY: simdutf8 has just found these bytes to be UTF-8.
                        text.push_str(unsafe { std::str::from_utf8_unchecked(valid) });
                        pending.extend_from_slice(cut);
                    }
                    Err(_) => return Err(NotUtf8),
                }
            }
            Decoding::Decoder(decoder) => {
                let mut from = 0;
                loop {
                    let room = decoder
                        .max_utf8_buffer_length(bytes.len() - from)
                        .unwrap_or(bytes.len() - from);
                    text.reserve(room);
                    let (result, read, _) = decoder.decode_to_string(&bytes[from..], text, last);
                    from += read;
                    if result == CoderResult::InputEmpty {
                        break;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The bytes of the UTF-8 character `lead` starts (1 for a byte that starts none, which then
/// fails the check).
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 1,
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
    let sample = &bytes[..bytes.len().min(ENCODING_SNIFF_BYTES) & !1];
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

    /// The text of `bytes` given in blocks of `block` bytes; `None` when it is not UTF-8.
    fn decode(bytes: &[u8], block: usize) -> (Option<String>, &'static str, bool) {
        let (mut decoder, bom) = BlockDecoder::for_start(bytes);
        let mut text = String::new();
        let blocks: Vec<&[u8]> = bytes[bom..].chunks(block.max(1)).collect();
        for (i, part) in blocks.iter().enumerate() {
            if decoder
                .decode(part, &mut text, i + 1 == blocks.len())
                .is_err()
            {
                return (None, decoder.encoding, decoder.guessed);
            }
        }
        (Some(text), decoder.encoding, decoder.guessed)
    }

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut bytes = if bom { vec![0xFF, 0xFE] } else { vec![] };
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    }

    #[test]
    fn a_character_cut_by_the_end_of_a_block_is_read_whole() {
        let text = "Seriennummer,Müller,€,😀\n";
        for block in 1..text.len() {
            assert_eq!(
                decode(text.as_bytes(), block).0.as_deref(),
                Some(text),
                "{block}"
            );
        }
        let utf16 = utf16le(text, true);
        for block in 1..utf16.len() {
            assert_eq!(decode(&utf16, block).0.as_deref(), Some(text), "{block}");
        }
    }

    #[test]
    fn a_utf8_bom_is_removed() {
        let (text, encoding, _) = decode(b"\xEF\xBB\xBFDevice Serial Number\r\n", 1024);
        assert_eq!(text.as_deref(), Some("Device Serial Number\r\n"));
        assert_eq!(encoding, "UTF-8 with BOM");
    }

    #[test]
    fn windows_powershell_utf16_with_bom_is_read() {
        let bytes = utf16le("Device Serial Number,Hardware Hash\r\nÄ1,QUJD\r\n", true);
        let (text, encoding, _) = decode(&bytes, 1024);
        assert_eq!(
            text.as_deref(),
            Some("Device Serial Number,Hardware Hash\r\nÄ1,QUJD\r\n")
        );
        assert_eq!(encoding, "UTF-16 LE with BOM");
        let mut be = vec![0xFE, 0xFF];
        be.extend("Serial".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&be, 1024).0.as_deref(), Some("Serial"));
    }

    #[test]
    fn utf16_without_bom_is_recognised_and_marked_as_a_guess() {
        let bytes = utf16le("Device Serial Number,Hardware Hash\r\n", false);
        let (text, encoding, guessed) = decode(&bytes, 1024);
        assert_eq!(
            text.as_deref(),
            Some("Device Serial Number,Hardware Hash\r\n")
        );
        assert_eq!(encoding, "UTF-16 LE");
        assert!(guessed);
    }

    #[test]
    fn invalid_utf8_is_said_wherever_it_is_and_windows_1252_reads_it() {
        // "Müller" and "€" as Excel writes them on a Western-European Windows.
        let bytes = b"M\xFCller;\x80\r\n";
        for block in 1..bytes.len() {
            assert_eq!(decode(bytes, block).0, None, "{block}");
        }
        let mut decoder = BlockDecoder::windows_1252();
        let mut text = String::new();
        decoder.decode(bytes, &mut text, true).unwrap();
        assert_eq!(text, "Müller;€\r\n");
        assert_eq!(decoder.encoding, "Windows-1252");
        assert!(decoder.guessed);
        // A character cut off by the end of the file is not UTF-8 either.
        assert_eq!(decode("ü".as_bytes().split_at(1).0, 1024).0, None);
    }
}
