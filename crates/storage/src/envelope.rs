//! The on-disk form of a document: one header line, then the body.
//!
//! `MUSEDOC 1 <schema> <crc32 of body, 8 hex> <body length>\n<body>`
//!
//! A torn or bit-flipped file fails the length or checksum test and is
//! never mistaken for a good one.

use crate::store::Document;

const MAGIC: &str = "MUSEDOC";
const FORMAT: u32 = 1;

/// The bytes written for `document`.
pub(crate) fn encode(document: &Document) -> Vec<u8> {
    let header = format!(
        "{MAGIC} {FORMAT} {} {:08x} {}\n",
        document.schema,
        crc32fast::hash(&document.body),
        document.body.len()
    );
    let mut bytes = Vec::with_capacity(header.len() + document.body.len());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&document.body);
    bytes
}

/// The document in `bytes`, or why they are not one.
pub(crate) fn decode(bytes: &[u8]) -> Result<Document, String> {
    let newline = bytes.iter().position(|b| *b == b'\n').ok_or("no header line")?;
    let header = std::str::from_utf8(&bytes[..newline]).map_err(|_| "header is not text")?;
    let body = &bytes[newline + 1..];
    let fields: Vec<&str> = header.split(' ').collect();
    let [magic, format, schema, checksum, length] = fields[..] else {
        return Err(format!("header has {} fields, not 5", fields.len()));
    };
    if magic != MAGIC {
        return Err("not a Muse document".to_owned());
    }
    if format.parse::<u32>().ok() != Some(FORMAT) {
        return Err(format!("unknown format {format}"));
    }
    let schema: u32 = schema.parse().map_err(|_| "bad schema version")?;
    let length: usize = length.parse().map_err(|_| "bad length")?;
    if body.len() != length {
        return Err(format!("body is {} bytes, header says {length}", body.len()));
    }
    let expected = u32::from_str_radix(checksum, 16).map_err(|_| "bad checksum field")?;
    if crc32fast::hash(body) != expected {
        return Err("checksum mismatch".to_owned());
    }
    Ok(Document { schema, body: body.to_vec() })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn round_trips_and_catches_damage() {
        let document = Document::new(3, b"{\"persona\":\"sweet\"}".to_vec());
        let bytes = encode(&document);
        assert_eq!(decode(&bytes).unwrap(), document);
        assert!(decode(&bytes[..bytes.len() - 1]).is_err(), "torn");
        let mut flipped = bytes.clone();
        let last = flipped.len() - 2;
        flipped[last] ^= 1;
        assert!(decode(&flipped).is_err(), "bit flip");
        assert!(decode(b"").is_err());
    }

    proptest! {
        #[test]
        fn any_body_round_trips_and_no_prefix_decodes(body in proptest::collection::vec(any::<u8>(), 0..300), schema: u32) {
            let document = Document::new(schema, body);
            let bytes = encode(&document);
            prop_assert_eq!(decode(&bytes).unwrap(), document);
            for cut in 0..bytes.len() {
                prop_assert!(decode(&bytes[..cut]).is_err());
            }
        }
    }
}
