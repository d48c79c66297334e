//! `onOpen`'s headers read from the response lines as received (helper H6, issue 13): the
//! format of `Headers` after the client stopped rewriting the block, against RFC 9112:
//!
//! - `field-line = field-name ":" OWS field-value OWS` (§5), lines ending in CRLF or, as
//!   recipients may accept, a bare LF (§2.2); the value is read without the OWS around it and
//!   without the line's CR;
//! - `obs-fold = OWS CRLF RWS` (§5.2): "A user agent that receives an obs-fold in a response
//!   message [...] MUST replace each received obs-fold with one or more SP octets prior to
//!   interpreting the field value": a folded value reads as one, the fold as spaces;
//! - the header section ends at the first empty line (§2.1); the status line is no field;
//! - a copy through `Headers::as_bytes` reads the same (how a transport keeps the headers),
//!   and `Headers::new` takes any bytes without a panic.

mod support;

use proptest::prelude::*;
use sockettask::{Event, Headers};
use support::*;

/// A client that sent its request, and its key.
fn connect() -> (TestClient, sockettask::Handle, String) {
    sent_request(0x6)
}

/// The response `head` (with `{accept}` replaced by the right accept), delivered whole:
/// `onOpen`'s headers as owned pairs, and a copy of their bytes.
fn open_with(head: &str) -> (Vec<(String, Vec<u8>)>, Vec<u8>) {
    let (mut client, h, key) = connect();
    let wire = head.replace("{accept}", &accept_for(&key));
    assert_eq!(client.handle_input(START, h, wire.as_bytes()), wire.len());
    match client.poll_event() {
        Some((_, Event::Open(open))) => {
            let copy = open.header.as_bytes().to_vec();
            assert_eq!(Headers::new(&copy), open.header, "a copy reads the same");
            let pairs = open.header.iter().map(|(n, v)| (n.to_owned(), v.to_vec())).collect();
            (pairs, copy)
        }
        other => panic!("expected onOpen for {head:?}, got {other:?}"),
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    list.iter().map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec())).collect()
}

#[test]
fn crlf_and_lf_lines_read_the_same_without_ows() {
    // §5: OWS around the value is no part of it; §2.2: a bare LF may end a line.
    let head = "HTTP/1.1 101 Switching Protocols\r\n\
                Upgrade:  websocket \t\r\n\
                Connection:Upgrade\n\
                Sec-WebSocket-Accept:\t{accept}\r\n\
                X-Empty:   \r\n\
                X-Inner: a \t b\n\
                \r\n";
    let (got, copy) = open_with(head);
    let want = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", "ACCEPT"),
        ("X-Empty", ""),
        ("X-Inner", "a \t b"),
    ];
    assert_eq!(got.len(), want.len(), "{got:?}");
    for ((name, value), (want_name, want_value)) in got.iter().zip(want) {
        assert_eq!(name, want_name);
        if want_value == "ACCEPT" {
            // Base64 of a SHA-1: 28 bytes, without the tab before it.
            assert!(value.len() == 28 && value.ends_with(b"="), "{name}: {value:?}");
        } else {
            assert_eq!(value, want_value.as_bytes(), "{name}");
        }
    }
    // The bytes are the lines as received, the status line and the empty line left out.
    assert!(copy.starts_with(b"Upgrade:  websocket \t\r\nConnection:Upgrade\n"), "{copy:?}");
    assert!(copy.ends_with(b"X-Inner: a \t b\n"), "{copy:?}");
}

#[test]
fn folded_values_read_as_one_with_spaces() {
    // §5.2: each obs-fold (OWS CRLF RWS, or with a bare LF) becomes as many spaces.
    let head = "HTTP/1.1 101 Switching Protocols\r\n\
                Upgrade: websocket\r\n\
                Connection: keep-alive,\r\n\tUpgrade\r\n\
                Sec-WebSocket-Accept:\r\n {accept}\r\n\
                X-Long: a\r\n b\n\t c\r\n\
                X-Trail: z \r\n \r\n\
                \r\n";
    let (got, copy) = open_with(head);
    let got: Vec<(String, Vec<u8>)> = got.into_iter().filter(|(n, _)| n != "Sec-WebSocket-Accept").collect();
    assert_eq!(
        got,
        pairs(&[
            ("Upgrade", "websocket"),
            ("Connection", "keep-alive,   Upgrade"),
            ("X-Long", "a   b   c"),
            ("X-Trail", "z"),
        ])
    );
    // No line break is left inside a field: one line per field.
    assert_eq!(copy.iter().filter(|&&b| b == b'\n').count(), 5, "{:?}", String::from_utf8_lossy(&copy));
}

#[test]
fn the_status_line_is_no_header_even_with_a_colon() {
    let head = "HTTP/1.1 101 Switching: Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                Sec-WebSocket-Accept: {accept}\r\n\r\n";
    let (got, copy) = open_with(head);
    assert_eq!(got.first().map(|(n, _)| n.as_str()), Some("Upgrade"), "{got:?}");
    assert!(copy.starts_with(b"Upgrade: websocket\r\n"));
    // An empty line before the status line (which httparse skips; two would end the block)
    // changes nothing.
    for before in ["\r\n", "\n"] {
        let (again, copy) = open_with(&format!("{before}{head}"));
        assert_eq!(again, got);
        assert!(copy.starts_with(b"Upgrade: websocket\r\n"));
    }
}

#[test]
fn the_headers_end_at_the_first_empty_line() {
    assert_eq!(Headers::new(b"A: 1\r\nB: 2\r\n\r\nC: 3\r\n").as_bytes(), b"A: 1\r\nB: 2\r\n");
    assert_eq!(Headers::new(b"A: 1\nB: 2\n\nC: 3\n").as_bytes(), b"A: 1\nB: 2\n");
    assert_eq!(Headers::new(b"A: 1\r\n\nC: 3\r\n").as_bytes(), b"A: 1\r\n");
    assert_eq!(Headers::new(b"\r\nA: 1\r\n").as_bytes(), b"");
    assert_eq!(Headers::new(b"\nA: 1\n").as_bytes(), b"");
    // A block that reaches the end of the bytes: all of it, its last line unterminated.
    let headers = Headers::new(b"A: 1\r\nB:\t2 ");
    assert_eq!(headers.as_bytes(), b"A: 1\r\nB:\t2 ");
    assert_eq!(headers.iter().collect::<Vec<_>>(), [("A", &b"1"[..]), ("B", &b"2"[..])]);
    assert_eq!(headers.get("b"), Some(&b"2"[..]));
}

/// A header line as RFC 9112 writes it: a token name, OWS, a value of visible bytes and inner
/// spaces, OWS, CRLF or LF.
fn field_line() -> impl Strategy<Value = (String, Vec<u8>, Vec<u8>)> {
    let name = "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}";
    let ows = prop::collection::vec(prop_oneof![Just(b' '), Just(b'\t')], 0..3);
    let word = prop::collection::vec(prop_oneof![0x21u8..=0x7E, 0x80u8..=0xFF], 1..6);
    let value = prop::collection::vec(
        (word, prop::collection::vec(prop_oneof![Just(b' '), Just(b'\t')], 1..3)),
        0..3,
    )
    .prop_map(|words| {
        let mut value = Vec::new();
        for (i, (word, gap)) in words.iter().enumerate() {
            if i > 0 {
                value.extend_from_slice(gap);
            }
            value.extend_from_slice(word);
        }
        value
    });
    let eol = prop_oneof![Just(&b"\r\n"[..]), Just(&b"\n"[..])];
    (name, ows.clone(), value, ows, eol).prop_map(|(name, lead, value, trail, eol)| {
        let mut line = name.clone().into_bytes();
        line.push(b':');
        line.extend_from_slice(&lead);
        line.extend_from_slice(&value);
        line.extend_from_slice(&trail);
        line.extend_from_slice(eol);
        (name, value, line)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Lines of any fields, then an empty line and more: each field reads back as its name
    /// and its value without the OWS around it, and a copy reads the same.
    #[test]
    fn any_field_lines_read_back(fields in prop::collection::vec(field_line(), 0..6), crlf in any::<bool>()) {
        let mut bytes: Vec<u8> = fields.iter().flat_map(|(_, _, line)| line.clone()).collect();
        let lines = bytes.len();
        bytes.extend_from_slice(if crlf { b"\r\nAfter: x\r\n" } else { b"\nAfter: x\n" });
        let headers = Headers::new(&bytes);
        prop_assert_eq!(headers.as_bytes(), &bytes[..lines]);
        let want: Vec<(&str, &[u8])> = fields.iter().map(|(n, v, _)| (n.as_str(), v.as_slice())).collect();
        prop_assert_eq!(headers.iter().collect::<Vec<_>>(), want);
        let copy = headers.as_bytes().to_vec();
        prop_assert_eq!(Headers::new(&copy), headers);
    }

    /// Any bytes at all: no panic, and the headers are a prefix whose copy reads the same.
    #[test]
    fn any_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let headers = Headers::new(&bytes);
        prop_assert!(bytes.starts_with(headers.as_bytes()));
        let all: Vec<_> = headers.iter().collect();
        let _ = headers.get("a");
        let _ = format!("{headers:?}");
        prop_assert_eq!(Headers::new(headers.as_bytes()).iter().collect::<Vec<_>>(), all);
    }

    /// Real handshakes whose extra fields fold anywhere (and lines end in CRLF or LF): the
    /// value `onOpen` shows is the parts joined by spaces, trimmed.
    #[test]
    fn folded_fields_in_a_real_response(
        parts in prop::collection::vec("[a-z0-9,;=]{1,6}", 1..4),
        folds in prop::collection::vec((prop_oneof![Just("\r\n"), Just("\n")], "[ \t]{1,2}", "[ \t]{0,2}"), 3),
        lead_fold in any::<bool>(),
    ) {
        let mut raw = String::new();
        let mut want = String::new();
        if lead_fold {
            raw.push_str("\r\n ");
        }
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                let (eol, rws, ows) = &folds[i - 1];
                raw.push_str(&format!("{ows}{eol}{rws}"));
                want.push_str(&" ".repeat(ows.len() + eol.len() + rws.len()));
            }
            raw.push_str(part);
            want.push_str(part);
        }
        let head = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nX-Folded:{raw}\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Accept: {{accept}}\r\n\r\n"
        );
        let (got, _) = open_with(&head);
        let folded = got.iter().find(|(n, _)| n == "X-Folded").map(|(_, v)| v.clone());
        prop_assert_eq!(folded, Some(want.into_bytes()), "{:?}", head);
        prop_assert_eq!(got.len(), 4);
    }
}
