//! A feed's bytes in the encoding its readers take them in: UTF-16 made UTF-8, and the encoding
//! only its answer's `Content-Type` names.
//!
//! A feed made on Windows may come in UTF-16 with a byte order mark. Everything that reads a
//! body looks for ASCII in it — its root element ([`super::prologue`]), the symbols its items
//! name ([`super::tickers`]) — and finds none among two-byte characters, and feed-rs decodes
//! it again in the UTF-16 its declaration names, little-endian whatever the mark says. Such a
//! body is made UTF-8 first, its declaration (naming UTF-16, no longer true) dropped.
//!
//! feed-rs reads a body in the encoding its byte order mark or XML declaration names, and as
//! UTF-8 when neither does (XML's default). A feed of a German portal declared nothing and
//! served as `text/xml; charset=ISO-8859-1` is then unreadable as a whole at its first umlaut.
//! Such a body is decoded from the header's charset before it is parsed — only when the body
//! itself names no encoding and is not UTF-8: a server's default charset in the header is
//! wrong more often than a document's own declaration, and a body that is valid UTF-8 is UTF-8.

use std::borrow::Cow;

/// `body` in UTF-8: from UTF-16 when it starts with UTF-16's byte order mark (without its XML
/// declaration), or from the encoding `charset` (the `Content-Type`'s parameter) names when it
/// names no encoding of its own and is not UTF-8; otherwise `body` as it is.
pub(super) fn decoded<'a>(body: &'a [u8], charset: Option<&str>) -> Cow<'a, [u8]> {
    if let Some(text) = from_utf16(body) {
        return Cow::Owned(text);
    }
    let Some(encoding) = charset.and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()))
    else {
        return Cow::Borrowed(body);
    };
    if encoding == encoding_rs::UTF_8
        || names_its_encoding(body)
        || std::str::from_utf8(body).is_ok()
    {
        return Cow::Borrowed(body);
    }
    let (text, _) = encoding.decode_without_bom_handling(body);
    match text {
        Cow::Owned(text) => Cow::Owned(text.into_bytes()),
        Cow::Borrowed(_) => Cow::Borrowed(body),
    }
}

/// `body` in UTF-8 without its XML declaration, when it is in UTF-16 with a byte order mark
/// (the mark says which byte order, whatever the declaration says); none for any other body.
fn from_utf16(body: &[u8]) -> Option<Vec<u8>> {
    let (encoding, mark) = encoding_rs::Encoding::for_bom(body)?;
    if encoding != encoding_rs::UTF_16LE && encoding != encoding_rs::UTF_16BE {
        return None;
    }
    let (text, _) = encoding.decode_without_bom_handling(&body[mark..]);
    let text = text.as_bytes();
    Some(match super::prologue::read(text).declaration {
        Some(declaration) => {
            // Where the declaration stands in the text it was read from.
            let start = declaration.as_ptr() as usize - text.as_ptr() as usize;
            [&text[..start], &text[start + declaration.len()..]].concat()
        }
        None => text.to_vec(),
    })
}

/// Whether `body` says its encoding itself: a byte order mark, or an XML declaration with an
/// `encoding` — wherever in its prologue ([`super::prologue::read`]) the declaration stands,
/// since feed-rs decodes the body in the encoding it names.
fn names_its_encoding(body: &[u8]) -> bool {
    encoding_rs::Encoding::for_bom(body).is_some()
        || super::prologue::read(body)
            .declaration
            .is_some_and(|declaration| declaration.windows(8).any(|w| w == b"encoding"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LATIN: &[u8] =
        b"<?xml version=\"1.0\"?><rss><title>B\xf6rse \x84f\xe4llt\x93</title></rss>";

    #[test]
    fn a_body_naming_no_encoding_is_read_in_the_headers_charset() {
        let text = decoded(LATIN, Some("ISO-8859-1"));
        assert_eq!(
            std::str::from_utf8(&text).unwrap(),
            "<?xml version=\"1.0\"?><rss><title>B\u{f6}rse \u{201e}f\u{e4}llt\u{201c}</title></rss>"
        );
        // Without a declaration at all, and under the label's other spellings.
        for charset in ["iso-8859-1", "latin1", "windows-1252", " Windows-1252 "] {
            let text = decoded(&LATIN[21..], Some(charset));
            assert!(std::str::from_utf8(&text).is_ok(), "{charset}");
        }
    }

    #[test]
    fn a_body_in_utf16_with_a_byte_order_mark_is_utf8_without_its_declaration() {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<rss>B\u{f6}rse</rss>";
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        for (body, charset) in [(&le, None), (&be, Some("UTF-16")), (&be, Some("UTF-8"))] {
            assert_eq!(
                std::str::from_utf8(&decoded(body, charset)).unwrap(),
                "\n<rss>B\u{f6}rse</rss>",
                "{charset:?}"
            );
        }
        // Without a declaration.
        let bare: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<feed/>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(&*decoded(&bare, None), b"<feed/>");
    }

    #[test]
    fn a_body_naming_its_encoding_or_in_utf8_or_without_a_known_charset_is_left_as_it_is() {
        let declared = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss>B\xf6rse</rss>";
        let utf8 = "<?xml version=\"1.0\"?><rss>B\u{f6}rse</rss>".as_bytes();
        let bom = b"\xef\xbb\xbf<rss>B\xc3\xb6rse</rss>";
        // Whitespace before the declaration, as PHP scripts send it.
        let declared_late =
            b"\n <?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss>B\xf6rse</rss>";
        for (body, charset) in [
            (&declared[..], Some("windows-1252")),
            (&declared_late[..], Some("ISO-8859-1")),
            (utf8, Some("ISO-8859-1")),
            (&bom[..], Some("ISO-8859-1")),
            (LATIN, None),
            (LATIN, Some("utf-8")),
            (LATIN, Some("no-such-charset")),
        ] {
            assert!(
                matches!(decoded(body, charset), Cow::Borrowed(b) if b == body),
                "{charset:?}: {}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
