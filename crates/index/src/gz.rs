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
