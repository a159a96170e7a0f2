//! A text file read in blocks: decoded ([`BlockDecoder`]), split into lines ([`Splitter`])
//! and judged ([`Table`]) as each block comes, so that what is held at once is a block and
//! the line it ends in, not the file (a 50 MB CSV is mostly 4,000-character hashes).

use std::io::{Read, Seek, SeekFrom};

use super::decode::{BlockDecoder, ENCODING_SNIFF_BYTES};
use super::report::{Check, Finding};
use super::table::Table;
use super::text::{self, Splitter};
use super::validate::Keep;
use super::{Format, Ingested, Limits, ReadError};

/// Bytes read at a time: small enough to stay in the CPU's cache while it is decoded, split
/// and checked right after being read; large enough to hold the first lines the delimiter is
/// chosen from (20 lines of hashes are about 110 KB).
pub const BLOCK: usize = 256 * 1024;

/// How much of a text is looked at for the NUL bytes that mark a binary file.
const BINARY_SNIFF_BYTES: usize = 8_000;

/// Reads a delimited text from its start. A text found not to be UTF-8 (without a mark saying
/// what it is) is read again from its start as Windows-1252.
pub fn read_text(
    input: &mut (impl Read + Seek),
    limits: &Limits,
    keep: Keep,
) -> Result<Ingested, ReadError> {
    read_in_blocks_of(BLOCK, input, limits, keep)
}

fn read_in_blocks_of(
    size: usize,
    input: &mut (impl Read + Seek),
    limits: &Limits,
    keep: Keep,
) -> Result<Ingested, ReadError> {
    let mut blocks = Blocks { input, size };
    let start = blocks.start()?;
    match read_from(&mut blocks, start, limits, keep)? {
        Some(ingested) => Ok(ingested),
        None => {
            let start = blocks.restart_as_windows_1252()?;
            Ok(
                read_from(&mut blocks, start, limits, keep)?
                    .expect("Windows-1252 reads every byte"),
            )
        }
    }
}

/// Where a reading starts: the first block, how many of its bytes are a byte-order mark,
/// whether it is also the last, and the decoder the text is read with.
struct Start {
    block: Vec<u8>,
    skip: usize,
    last: bool,
    decoder: BlockDecoder,
}

/// The input, a block at a time.
struct Blocks<'r, R> {
    input: &'r mut R,
    size: usize,
}

impl<R: Read + Seek> Blocks<'_, R> {
    /// The first block, with the decoder its start says (a byte-order mark, or UTF-8 until
    /// shown otherwise).
    fn start(&mut self) -> Result<Start, ReadError> {
        let (block, last) = self.first()?;
        let (decoder, skip) = BlockDecoder::for_start(&block);
        Ok(Start {
            block,
            skip,
            last,
            decoder,
        })
    }

    /// The first block again, to be read as Windows-1252.
    fn restart_as_windows_1252(&mut self) -> Result<Start, ReadError> {
        self.input.seek(SeekFrom::Start(0)).map_err(unreadable)?;
        let (block, last) = self.first()?;
        Ok(Start {
            block,
            skip: 0,
            last,
            decoder: BlockDecoder::windows_1252(),
        })
    }
}

impl<R: Read> Blocks<'_, R> {
    /// The first block: at least the first kilobyte, which says the encoding.
    fn first(&mut self) -> Result<(Vec<u8>, bool), ReadError> {
        let size = self.size.max(ENCODING_SNIFF_BYTES);
        self.read(Vec::with_capacity(size), size)
    }

    /// The next block, read into `block` (emptied first); true at the end of the input.
    fn next(&mut self, block: Vec<u8>) -> Result<(Vec<u8>, bool), ReadError> {
        self.read(block, self.size)
    }

    fn read(&mut self, mut block: Vec<u8>, size: usize) -> Result<(Vec<u8>, bool), ReadError> {
        block.clear();
        let want = size as u64;
        let read = self
            .input
            .by_ref()
            .take(want)
            .read_to_end(&mut block)
            .map_err(unreadable)?;
        Ok((block, (read as u64) < want))
    }
}

/// Reads the text from its `start` on. `None` when the bytes turned out not to be UTF-8.
fn read_from<R: Read>(
    blocks: &mut Blocks<'_, R>,
    start: Start,
    limits: &Limits,
    keep: Keep,
) -> Result<Option<Ingested>, ReadError> {
    let Start {
        mut block,
        skip,
        mut last,
        mut decoder,
    } = start;
    let mut table = Table::new(limits.max_rows, keep);
    // What is decoded and not yet split into lines.
    let mut text = String::new();
    let mut delimiter = None;
    let mut sample = text::Sample::default();
    let mut line = 1;
    let mut only_whitespace = true;
    let mut from = skip;
    loop {
        only_whitespace = only_whitespace && block.iter().all(u8::is_ascii_whitespace);
        if decoder.decode(&block[from..], &mut text, last).is_err() {
            return Ok(None);
        }
        from = 0;
        if delimiter.is_none()
            && (last || (text.len() >= BINARY_SNIFF_BYTES && sample.is_whole(&text)))
        {
            // A NUL near the start is what binary files have and text never does (git's
            // test). One further in lands in a cell, where the rules report it as a control
            // character.
            let start = &text.as_bytes()[..text.len().min(BINARY_SNIFF_BYTES)];
            if memchr::memchr(0, start).is_some() {
                return Err(ReadError::NotADeviceList("a binary file"));
            }
            delimiter = Some(text::detect_delimiter(&text));
        }
        if let Some(delimiter) = delimiter {
            let mut lines = Splitter::resume(&text, delimiter, line, last);
            for next in lines.by_ref() {
                table.push(next)?;
            }
            let (split, next_line) = lines.position();
            line = next_line;
            text.drain(..split);
        }
        if last {
            break;
        }
        (block, last) = blocks.next(block)?;
    }
    if only_whitespace {
        return Err(ReadError::Empty);
    }
    let mut ingested = table.finish(Format::Text)?;
    ingested.encoding = Some(decoder.encoding.to_string());
    ingested.delimiter = Some(
        match delimiter {
            Some(b'\t') => "tab",
            Some(b';') => "semicolon",
            _ => "comma",
        }
        .to_string(),
    );
    if decoder.guessed {
        ingested.findings.insert(
            0,
            Finding::warning(
                None,
                None,
                Check::EncodingGuessed,
                format!(
                    "The file does not say its encoding; it was read as {}. If accented letters \
                     look wrong below, save it as “CSV UTF-8” and upload it again.",
                    decoder.encoding
                ),
            ),
        );
    }
    Ok(Some(ingested))
}

fn unreadable(error: std::io::Error) -> ReadError {
    ReadError::Unreadable(error.to_string())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn hash(n: u8) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(vec![n; 150])
    }

    /// Texts of every kind the reader tells apart, each read in blocks of every size here
    /// gives what it gives read whole.
    #[test]
    fn a_text_read_in_blocks_of_any_size_is_judged_as_read_whole() {
        let header = "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\r\n";
        let mut csv = format!("Autopilot devices\r\n\r\n{header}");
        for n in 0..40u8 {
            let tag = if n % 3 == 0 { "Kiosk" } else { "" };
            csv.push_str(&format!("\"SN,{n}\",,{},{tag}\r\n", hash(n % 37)));
        }
        csv.push_str("\"multi\nline\",,,\r\n,,\r\nbare-serial\rlast,,QUJD");
        let utf16 = |text: &str, bom: &[u8]| {
            let mut bytes = bom.to_vec();
            bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            bytes
        };
        let mut late_1252 = csv.clone().into_bytes();
        late_1252.extend(b"\r\nM\xFCller,,,\r\n");
        let mut nul_late = csv.clone().into_bytes();
        nul_late.extend(b"\r\nNUL\x00,,,\r\n");
        let texts: Vec<(&str, Vec<u8>)> = vec![
            ("utf-8", csv.clone().into_bytes()),
            (
                "utf-8 with a mark",
                [b"\xEF\xBB\xBF".as_slice(), csv.as_bytes()].concat(),
            ),
            ("utf-16 with a mark", utf16(&csv, &[0xFF, 0xFE])),
            ("utf-16 without", utf16(&csv, &[])),
            ("not utf-8 near its end", late_1252),
            ("semicolons", csv.replace(',', ";").into_bytes()),
            ("a NUL far in", nul_late),
            ("binary", b"Serial\x00\x01\x02,Hash\n".to_vec()),
            ("blank", b" \r\n\t\r\n".to_vec()),
            ("empty", Vec::new()),
            (
                "no header",
                "just,some\nwords,here\n".repeat(15).into_bytes(),
            ),
            ("header only", header.as_bytes().to_vec()),
        ];
        let limits = Limits::default();
        for (name, bytes) in texts {
            for keep in [Keep::Devices, Keep::FindingsOnly] {
                let whole = read_in_blocks_of(BLOCK, &mut Cursor::new(&bytes), &limits, keep);
                for size in [1, 2, 3, 5, 64, 1000] {
                    let read = read_in_blocks_of(size, &mut Cursor::new(&bytes), &limits, keep);
                    assert_eq!(read, whole, "{name} in blocks of {size} bytes");
                }
            }
        }
        let limits = Limits {
            max_rows: 10,
            ..Limits::default()
        };
        let too_many = read_in_blocks_of(
            7,
            &mut Cursor::new(csv.as_bytes()),
            &limits,
            Keep::FindingsOnly,
        );
        assert_eq!(too_many, Err(ReadError::TooManyRows { limit: 10 }));
    }

    #[test]
    fn only_the_findings_are_kept_when_asked() {
        let csv = format!("Hardware Hash\n{}\n{}\n", hash(1), hash(1));
        let limits = Limits::default();
        let read =
            |keep| read_in_blocks_of(8, &mut Cursor::new(csv.as_bytes()), &limits, keep).unwrap();
        let (kept, judged) = (read(Keep::Devices), read(Keep::FindingsOnly));
        assert_eq!((kept.rows, kept.devices.len()), (2, 2));
        assert_eq!((judged.rows, judged.devices.len()), (2, 0));
        assert_eq!(judged.findings, kept.findings);
        assert!(judged
            .findings
            .iter()
            .any(|f| f.check == Check::DuplicateInUpload));
    }
}
