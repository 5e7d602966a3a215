//! What an uploaded workbook may cost before calamine opens it. An xlsx file is a zip of XML
//! parts; a few kilobytes of zip can declare gigabytes of XML, and calamine trusts what the parts
//! say (`uniqueCount` reserves the shared-strings table, every `<xf>` clones its font). So the
//! central directory and the two parts calamine reads whole at opening (shared strings, styles)
//! are checked here first, each against a cap, without inflating anything beyond those caps.
//!
//! Why the caps hold: the zip crate refuses to inflate an entry past the uncompressed size its
//! central directory declares (`Crc32Reader`'s size limit), so checking the declared sizes bounds
//! what calamine can ever inflate; a lying entry fails as a broken zip
//! (`a_lying_entry_size_fails_as_a_broken_zip_not_as_a_large_one`).
//!
//! The per-parse memory these caps allow is about 2 × [`SHEET_XML_BYTES`] (quick-xml gathers a
//! text run into one buffer, which may double while growing) + 4 × [`SHARED_STRINGS_BYTES`] +
//! [`STYLE_BUDGET_BYTES`] + the rows kept; `app` runs at most [`crate::app::PARSE_SLOTS`] parses
//! at once.

use super::CellError;
use std::io::{BufReader, Cursor, Read};

/// Most entries (parts) a workbook may have; Excel writes a dozen or two.
pub const MAX_ENTRIES: usize = 1_000;
/// Largest declared size of one worksheet's XML: a 200,000-row 楼盘表 takes about 70 MB.
pub const SHEET_XML_BYTES: u64 = 128 * 1024 * 1024;
/// Largest declared size of the shared-strings part.
pub const SHARED_STRINGS_BYTES: u64 = 32 * 1024 * 1024;
/// Most shared strings a workbook may announce (calamine reserves that many up front).
pub const MAX_SHARED_STRINGS: u64 = 1_000_000;
/// Largest declared size of any other part (workbook, styles, relationships, theme, …).
pub const OTHER_PART_BYTES: u64 = 8 * 1024 * 1024;
/// Most cell formats (`<xf>` of `cellXfs`) a workbook may have: Excel's own limit.
pub const MAX_CELL_FORMATS: u64 = 65_490;
/// What calamine's style table may take: each cell format holds its own copy of its font, fill,
/// border and number format.
pub const STYLE_BUDGET_BYTES: u64 = 96 * 1024 * 1024;
/// Largest inflate ratio of a part above 1 MiB (Apache POI's zip-bomb rule uses 100 too):
/// spreadsheet XML compresses about ten to one.
pub const MAX_INFLATE_RATIO: u64 = 100;

fn refusal(code: &str, message: String) -> Vec<CellError> {
    vec![CellError {
        sheet: None,
        row: None,
        column: None,
        header: None,
        code: code.into(),
        message,
    }]
}

fn not_xlsx(message: String) -> Vec<CellError> {
    refusal("not_xlsx", message)
}

fn too_large(message: String) -> Vec<CellError> {
    refusal("workbook_too_large", message)
}

/// The number of entries the end-of-central-directory record announces, read before the zip
/// crate allocates one record per entry.
fn announced_entries(bytes: &[u8]) -> Result<u64, Vec<CellError>> {
    const EOCD: &[u8; 4] = b"PK\x05\x06";
    // The record is 22 bytes plus a comment of at most 65,535.
    let from = bytes.len().saturating_sub(22 + 65_535);
    let at = bytes[from..]
        .windows(4)
        .rposition(|w| w == EOCD)
        .map(|i| from + i)
        .filter(|&i| i + 22 <= bytes.len())
        .ok_or_else(|| not_xlsx("the file is not an xlsx workbook (no zip directory)".into()))?;
    let entries = u16::from_le_bytes([bytes[at + 10], bytes[at + 11]]);
    if entries == u16::MAX {
        // Zip64: only needed past 65,535 entries or 4 GiB, neither of which a workbook here is.
        return Err(too_large(
            "the workbook uses a zip64 directory; save it again from Excel".into(),
        ));
    }
    Ok(u64::from(entries))
}

/// The cap of a part by its name.
fn cap_of(name: &str) -> u64 {
    let lower = name.to_ascii_lowercase();
    if lower.contains("worksheets/") {
        SHEET_XML_BYTES
    } else if lower.ends_with("sharedstrings.xml") {
        SHARED_STRINGS_BYTES
    } else {
        OTHER_PART_BYTES
    }
}

/// Checks a workbook's zip before calamine opens it: entry count, each part's declared size and
/// inflate ratio, the shared strings it announces and what its style table would take.
pub fn check(bytes: &[u8]) -> Result<(), Vec<CellError>> {
    let announced = announced_entries(bytes)?;
    if announced > MAX_ENTRIES as u64 {
        return Err(too_large(format!(
            "the workbook has {announced} parts; at most {MAX_ENTRIES} are accepted"
        )));
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| not_xlsx(format!("the file is not an xlsx workbook: {e}")))?;
    if zip.len() > MAX_ENTRIES {
        return Err(too_large(format!(
            "the workbook has {} parts; at most {MAX_ENTRIES} are accepted",
            zip.len()
        )));
    }
    let mut shared = None;
    let mut styles = None;
    for i in 0..zip.len() {
        let f = zip
            .by_index_raw(i)
            .map_err(|e| not_xlsx(format!("the workbook's zip is broken: {e}")))?;
        let name = f
            .name()
            .map_err(|e| not_xlsx(format!("the workbook's zip is broken: {e}")))?
            .to_string();
        let (size, packed) = (f.size(), f.compressed_size());
        let cap = cap_of(&name);
        if size > cap {
            return Err(too_large(format!(
                "part {name} unpacks to {size} bytes; at most {cap} are accepted"
            )));
        }
        if size > 1024 * 1024 && size / packed.max(1) > MAX_INFLATE_RATIO {
            return Err(too_large(format!(
                "part {name} unpacks {} times its packed size; at most {MAX_INFLATE_RATIO} times is accepted",
                size / packed.max(1)
            )));
        }
        let lower = name.to_ascii_lowercase();
        if lower.ends_with("sharedstrings.xml") {
            shared = Some((i, size));
        } else if lower.ends_with("styles.xml") {
            styles = Some(i);
        }
    }
    if let Some((i, size)) = shared {
        let part = zip
            .by_index(i)
            .map_err(|e| not_xlsx(format!("the workbook's zip is broken: {e}")))?;
        check_shared_strings(part, size)?;
    }
    if let Some(i) = styles {
        let part = zip
            .by_index(i)
            .map_err(|e| not_xlsx(format!("the workbook's zip is broken: {e}")))?;
        check_styles(part)?;
    }
    Ok(())
}

fn xml<R: Read>(part: R) -> quick_xml::Reader<BufReader<R>> {
    let mut r = quick_xml::Reader::from_reader(BufReader::new(part));
    r.config_mut().check_end_names = false;
    r
}

fn broken(part: &str, e: impl std::fmt::Display) -> Vec<CellError> {
    not_xlsx(format!("the workbook's {part} cannot be read: {e}"))
}

/// `<sst uniqueCount="n">`: calamine reserves `n` strings before reading one. Each string takes
/// at least `<si/>`, five bytes.
fn check_shared_strings<R: Read>(part: R, size: u64) -> Result<(), Vec<CellError>> {
    use quick_xml::events::Event;
    let mut r = xml(part);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match r
            .read_event_into(&mut buf)
            .map_err(|e| broken("shared strings", e))?
        {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sst" => {
                let announced = e
                    .try_get_attribute("uniqueCount")
                    .map_err(|e| broken("shared strings", e))?
                    .and_then(|a| a.value.trim().parse::<u64>().ok())
                    .unwrap_or(0);
                let most = MAX_SHARED_STRINGS.min(size / 5 + 1);
                if announced > most {
                    return Err(too_large(format!(
                        "the workbook announces {announced} shared strings; at most {most} are accepted"
                    )));
                }
                return Ok(());
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// The style table calamine builds: one entry per cell format, each holding a copy of its font,
/// fill, border and number format. Bounded by the count of formats times the largest of each.
fn check_styles<R: Read>(part: R) -> Result<(), Vec<CellError>> {
    use quick_xml::events::Event;
    // A style entry without its strings: the struct, its font, fill and border records.
    const ENTRY_BYTES: u64 = 1024;
    let mut r = xml(part);
    let mut buf = Vec::new();
    let (mut in_xfs, mut formats) = (false, 0u64);
    // Largest font, fill, border (element spans) and number format (attribute) seen.
    let mut largest = [0u64; 4];
    let mut open: Option<(usize, u64)> = None;
    loop {
        buf.clear();
        let before = r.buffer_position();
        let ev = r
            .read_event_into(&mut buf)
            .map_err(|e| broken("styles", e))?;
        let slot = |name: &str| match name {
            "font" => Some(0),
            "fill" => Some(1),
            "border" => Some(2),
            _ => None,
        };
        match ev {
            Event::Start(e) => match e.local_name().as_ref() {
                "cellXfs" => in_xfs = true,
                "xf" if in_xfs => formats += 1,
                n => {
                    if let (Some(k), None) = (slot(n), open) {
                        open = Some((k, before));
                    }
                }
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "xf" if in_xfs => formats += 1,
                "numFmt" => {
                    let code = e
                        .try_get_attribute("formatCode")
                        .map_err(|e| broken("styles", e))?
                        .map_or(0, |a| a.value.len() as u64);
                    largest[3] = largest[3].max(code);
                }
                n => {
                    if let Some(k) = slot(n) {
                        largest[k] = largest[k].max(r.buffer_position() - before);
                    }
                }
            },
            Event::End(e) => match e.local_name().as_ref() {
                "cellXfs" => in_xfs = false,
                n => {
                    if let Some((k, start)) = open
                        && slot(n) == Some(k)
                    {
                        largest[k] = largest[k].max(r.buffer_position() - start);
                        open = None;
                    }
                }
            },
            Event::Eof => break,
            _ => {}
        }
        if formats > MAX_CELL_FORMATS {
            return Err(too_large(format!(
                "the workbook has more than {MAX_CELL_FORMATS} cell formats, Excel's own limit"
            )));
        }
    }
    let each = ENTRY_BYTES + largest.iter().sum::<u64>();
    if formats.saturating_mul(each) > STYLE_BUDGET_BYTES {
        return Err(too_large(format!(
            "the workbook's {formats} cell formats of up to {each} bytes each exceed {STYLE_BUDGET_BYTES} bytes"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    /// A zip of the given parts, deflated.
    pub(crate) fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in parts {
            w.start_file(*name, opts).unwrap();
            w.write_all(body).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn code(r: Result<(), Vec<CellError>>) -> String {
        r.map(|_| "ok".to_string())
            .unwrap_or_else(|e| e[0].code.clone())
    }

    #[test]
    fn a_workbook_of_the_template_passes() {
        let book = crate::excel::unit_list::unit_list_template();
        assert_eq!(code(check(&book)), "ok");
    }

    #[test]
    fn a_zip_bomb_part_is_refused_before_it_is_inflated() {
        let blank = vec![b' '; 200 * 1024 * 1024];
        let bomb = zip_of(&[("xl/worksheets/sheet1.xml", &blank)]);
        assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
        assert_eq!(code(check(&bomb)), "workbook_too_large");
        let ratio = zip_of(&[("xl/worksheets/sheet1.xml", &blank[..8 * 1024 * 1024])]);
        assert_eq!(code(check(&ratio)), "workbook_too_large");
    }

    #[test]
    fn announced_shared_strings_and_style_copies_are_bounded() {
        let sst = br#"<?xml version="1.0"?><sst xmlns="x" count="1" uniqueCount="4000000000"><si><t>a</t></si></sst>"#;
        assert_eq!(
            code(check(&zip_of(&[("xl/sharedStrings.xml", sst)]))),
            "workbook_too_large"
        );
        // One font with a 1 MB name copied into each of 200 formats: 200 MB of style table.
        let mut styles = format!(
            r#"<styleSheet><fonts count="1"><font><name val="{}"/></font></fonts><cellXfs count="200">"#,
            "x".repeat(1024 * 1024)
        );
        styles.push_str(&r#"<xf fontId="0"/>"#.repeat(200));
        styles.push_str("</cellXfs></styleSheet>");
        assert_eq!(
            code(check(&zip_of(&[("xl/styles.xml", styles.as_bytes())]))),
            "workbook_too_large"
        );
    }

    #[test]
    fn too_many_parts_are_refused_from_the_directory_record() {
        let names: Vec<String> = (0..=MAX_ENTRIES).map(|i| format!("p{i}")).collect();
        let parts: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
        assert_eq!(code(check(&zip_of(&parts))), "workbook_too_large");
    }

    /// The guarantee the caps rest on: an entry that inflates past its declared size is an error
    /// of the zip crate, so a small declared size cannot hide a large part.
    #[test]
    fn a_lying_entry_size_fails_as_a_broken_zip_not_as_a_large_one() {
        let body = vec![b' '; 4 * 1024 * 1024];
        let mut z = zip_of(&[("xl/worksheets/sheet1.xml", &body)]);
        let declared = (body.len() as u32).to_le_bytes();
        let small = 100u32.to_le_bytes();
        // Rewrite the declared size in the local header (offset 22) and the central directory
        // record (offset 24).
        for (sig, off) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
            let at = z.windows(4).position(|w| w == sig).unwrap() + off;
            assert_eq!(z[at..at + 4], declared);
            z[at..at + 4].copy_from_slice(&small);
        }
        assert_eq!(code(check(&z)), "ok", "it declares 100 bytes");
        let mut zip = zip::ZipArchive::new(Cursor::new(&z[..])).unwrap();
        let mut out = Vec::new();
        let r = zip.by_index(0).unwrap().read_to_end(&mut out);
        assert!(r.is_err(), "inflating past the declared size must fail");
        assert!(out.len() <= 101, "{} bytes came out", out.len());
    }
}
