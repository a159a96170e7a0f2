//! The XLSX export, written by `rust_xlsxwriter` in its constant-memory mode: each row goes
//! to a temporary file as it is written, and the finished workbook is zipped straight into
//! the response (its zip writer streams, needing no seek), so memory holds a page of rows
//! and a zip buffer whatever the export's size. The writer is synchronous: it runs on a
//! blocking thread, fed a page at a time through a channel of two.

use axum::body::Bytes;
use futures::{Stream, StreamExt};
use rust_xlsxwriter::{Format as CellFormat, Workbook, XlsxError};
use tokio::sync::mpsc;

use super::{header, ExportRow};
use crate::model::AppError;
use crate::server::spreadsheet_cells::defused;

/// Pages of rows waiting for the writer, and pieces of the file waiting for the browser.
const QUEUED: usize = 2;

/// The workbook's bytes, as they are zipped.
pub fn write(
    rows: impl Stream<Item = Result<Vec<ExportRow>, AppError>> + Send + 'static,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let (pages_tx, pages_rx) = mpsc::channel::<Vec<ExportRow>>(QUEUED);
    let (bytes_tx, bytes_rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(QUEUED);
    // Reads Partner Center's pages and hands them to the writer; a failure ends the file.
    let failed = bytes_tx.clone();
    tokio::spawn(async move {
        let mut rows = std::pin::pin!(rows);
        while let Some(page) = rows.next().await {
            match page {
                Ok(page) => {
                    if pages_tx.send(page).await.is_err() {
                        return; // the writer stopped: the browser went away
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "an export stopped: Partner Center or the database failed");
                    let _ = failed
                        .send(Err(std::io::Error::other(error.to_string())))
                        .await;
                    return;
                }
            }
        }
    });
    tokio::task::spawn_blocking(move || {
        if let Err(error) = workbook(pages_rx, &bytes_tx) {
            tracing::warn!(%error, "an export could not be written");
            let _ = bytes_tx.blocking_send(Err(std::io::Error::other(error.to_string())));
        }
    });
    futures::stream::unfold(bytes_rx, |mut rx| async move {
        let piece = rx.recv().await?;
        Some((piece, rx))
    })
}

/// Writes the sheet as the pages come, then zips the workbook into `out`.
fn workbook(
    mut pages: mpsc::Receiver<Vec<ExportRow>>,
    out: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), XlsxError> {
    let mut workbook = Workbook::new();
    let bold = CellFormat::new().set_bold();
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name("Devices")?;
    for (column, name) in header().into_iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, name, &bold)?;
    }
    let mut row: u32 = 1;
    while let Some(page) = pages.blocking_recv() {
        if out.is_closed() {
            // The browser went away: stop reading Partner Center for it.
            return Ok(());
        }
        for device in page {
            for (column, value) in device.0.iter().enumerate() {
                if !value.is_empty() {
                    sheet.write_string(row, column as u16, defused(value))?;
                }
            }
            row += 1;
        }
    }
    if out.is_closed() {
        return Ok(());
    }
    workbook.save_to_writer(Pieces {
        out,
        buffer: Vec::with_capacity(PIECE),
    })
}

/// The size of the pieces the file is sent in.
const PIECE: usize = 64 * 1024;

/// A writer that sends what it is given to the response, a piece at a time.
struct Pieces<'a> {
    out: &'a mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

impl Pieces<'_> {
    fn send(&mut self) -> std::io::Result<()> {
        let piece = std::mem::replace(&mut self.buffer, Vec::with_capacity(PIECE));
        self.out.blocking_send(Ok(Bytes::from(piece))).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the browser went away")
        })
    }
}

impl std::io::Write for Pieces<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= PIECE {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buffer.is_empty() {
            self.send()?;
        }
        Ok(())
    }
}

impl Drop for Pieces<'_> {
    /// The zip writer's last bytes, should it not flush them itself.
    fn drop(&mut self) {
        if !self.buffer.is_empty() {
            let _ = self.send();
        }
    }
}
