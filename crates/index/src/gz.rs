use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

/// Open a file for line reading, transparently decompressing gzip (sniffed
/// from the magic bytes `1f 8b`, not the file name). Concatenated gzip members
/// (as written by log shippers) are read in full.
pub fn open_maybe_gzip(path: &Path) -> io::Result<Box<dyn BufRead>> {
    let mut reader = BufReader::with_capacity(256 * 1024, File::open(path)?);
    let is_gzip = {
        let head = reader.fill_buf()?;
        head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b
    };
    if is_gzip {
        let decoder = flate2::bufread::MultiGzDecoder::new(reader);
        Ok(Box::new(BufReader::with_capacity(256 * 1024, decoder)))
    } else {
        Ok(Box::new(reader))
    }
}

/// A line reader over an object already in memory, decompressing gzip (sniffed
/// from the magic bytes) like [`open_maybe_gzip`].
pub fn maybe_gzip_bytes(bytes: bytes::Bytes) -> Box<dyn BufRead + Send> {
    let is_gzip = bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
    let cursor = io::Cursor::new(bytes);
    if is_gzip {
        let decoder = flate2::bufread::MultiGzDecoder::new(cursor);
        Box::new(BufReader::with_capacity(256 * 1024, decoder))
    } else {
        Box::new(cursor)
    }
}

/// Read one line (up to and excluding `\n`, and a trailing `\r`) into `buf`.
/// Returns `Ok(false)` at end of input.
pub(crate) fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<bool> {
    buf.clear();
    if reader.read_until(b'\n', buf)? == 0 {
        return Ok(false);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(true)
}

/// Feed every non-blank line of `reader` to `f(line_number, line, report)`,
/// counting lines in `report` and recording a read failure (a truncated gzip
/// member, an I/O error) there instead of failing: what was read stays read.
pub(crate) fn for_each_line(
    mut reader: impl BufRead,
    report: &mut crate::ParseReport,
    mut f: impl FnMut(u64, &[u8], &mut crate::ParseReport),
) {
    let mut buf = Vec::with_capacity(4096);
    loop {
        match read_line(&mut reader, &mut buf) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                report.read_failed(report.lines, &e);
                break;
            }
        }
        report.lines += 1;
        if buf.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        f(report.lines, &buf, report);
    }
}

/// [`for_each_line`] for JSON Lines: a line that is not JSON is recorded as
/// malformed (by category, never its text) and skipped.
pub(crate) fn for_each_json_line(
    reader: impl BufRead,
    report: &mut crate::ParseReport,
    mut f: impl FnMut(u64, &[u8], serde_json::Value, &mut crate::ParseReport),
) {
    for_each_line(
        reader,
        report,
        |n, line, report| match serde_json::from_slice(line) {
            Ok(v) => f(n, line, v, report),
            Err(e) => report.malformed(n, crate::event::json_reason(&e)),
        },
    );
}
