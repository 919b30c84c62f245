//! What comes before a feed's root element, read once for all who need it.
//!
//! A body may open with a UTF-8 byte order mark, whitespace (a PHP script's stray line break),
//! the XML declaration, comments, processing instructions (a stylesheet) and a document type,
//! in any of the orders servers send. Whether the body is a feed is told by the element after
//! them ([`Prologue::root`]); whether it names its encoding by its declaration
//! ([`Prologue::declaration`]) — feed-rs decodes a body in the encoding any declaration names,
//! wherever in the prologue it stands.

/// How far into a body its prologue is read.
const WITHIN: usize = 2048;

/// The parts of a body's prologue its readers look at.
pub(super) struct Prologue<'a> {
    /// The XML declaration, `<?xml` to `?>`, when the prologue holds one.
    pub declaration: Option<&'a [u8]>,
    /// The body from the end of the prologue on, where its root element should start; none
    /// when something the prologue opens does not end within the part read.
    pub root: Option<&'a [u8]>,
}

/// The prologue of `body`: past a byte order mark, whitespace, processing instructions (the
/// XML declaration among them), comments and a document type.
pub(super) fn read(body: &[u8]) -> Prologue<'_> {
    let head = &body[..body.len().min(WITHIN)];
    let mut rest = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let mut declaration = None;
    loop {
        rest = rest.trim_ascii_start();
        // Skipped up to the end of what they open.
        let closing: &[u8] = if rest.starts_with(b"<?") {
            b"?>"
        } else if rest.starts_with(b"<!--") {
            b"-->"
        } else if rest.starts_with(b"<!") {
            b">"
        } else {
            break;
        };
        let Some(end) = rest.windows(closing.len()).position(|w| w == closing) else {
            return Prologue {
                declaration,
                root: None,
            };
        };
        let (part, after) = rest.split_at(end + closing.len());
        // `<?xml version=…`, not `<?xml-stylesheet …`.
        if declaration.is_none()
            && part.starts_with(b"<?xml")
            && part
                .get(5)
                .is_some_and(|b| b.is_ascii_whitespace() || *b == b'?')
        {
            declaration = Some(part);
        }
        rest = after;
    }
    Prologue {
        declaration,
        root: Some(rest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declaration_is_found_past_what_may_precede_it() {
        let declaration = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>";
        for before in [
            &b""[..],
            b"\n",
            b" \r\n\t",
            b"\xef\xbb\xbf",
            b"\xef\xbb\xbf\n",
            b"<!-- generated -->\n",
        ] {
            let body = [before, declaration, b"\n<rss>"].concat();
            let prologue = read(&body);
            assert_eq!(
                prologue.declaration,
                Some(&declaration[..]),
                "{}",
                String::from_utf8_lossy(before)
            );
            assert_eq!(prologue.root, Some(&b"<rss>"[..]));
        }
    }

    #[test]
    fn a_stylesheet_or_an_unterminated_declaration_is_no_declaration() {
        let styled = read(b"<?xml-stylesheet href=\"s.xsl\"?><rss>");
        assert_eq!(styled.declaration, None);
        assert_eq!(styled.root, Some(&b"<rss>"[..]));
        let unterminated = read(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"<rss>");
        assert_eq!(unterminated.declaration, None);
        assert_eq!(unterminated.root, None);
    }
}
