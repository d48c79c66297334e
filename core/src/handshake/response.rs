//! The response layer of the opening handshake: finding the end of the server's header block,
//! validating it (S8, RFC 6455 §4.1 "the client MUST validate the server's response"), and
//! handing its headers to the `onOpen` event.
//!
//! The response may arrive in any number of pieces, appended to one buffer. When the buffer
//! holds a whole block from the start, httparse's parse of it ([`parse_whole`]) finds its end;
//! otherwise the caller calls [`find_end`] with how far the previous search got, and once it
//! returns the end, the bytes before it go to [`validate_in`]. The bytes after the end are the
//! first frames.
//!
//! One parser reads the block: httparse, once. Every check reads the fields where httparse
//! found them, after each obs-fold was turned into spaces in place ([`judge`]); the lines stay
//! where they were received, and [`Headers`] reads them: what the checks judged is exactly
//! what `onOpen` shows.

use core::fmt;
use core::mem::MaybeUninit;
use core::ops::Range;

use crate::error::HandshakeError;
use crate::handshake::Accept;
use crate::handshake::extension::{ExtensionError, Negotiated, Negotiation, PerMessageDeflate};
use crate::socket::fast_paths;

/// How many response headers are parsed at most.
pub const MAX_RESPONSE_HEADERS: usize = 32;

/// How the "no subprotocol chosen" case is judged (S5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProtocolCheck {
    /// Offered protocols and none chosen fails the handshake (browsers, the seed).
    #[default]
    Strict,
    /// RFC 6455 alone: none chosen is accepted.
    Lenient,
}

/// Index just past the empty line ending the header block, searching `buf` from `from`
/// (the caller passes how far a previous search got; overlap is handled here).
///
/// The block ends where httparse ends it: at the first line break (`\r\n`, or a bare `\n`,
/// which httparse also accepts) that directly follows another one, so at the first `\n\n`
/// or `\n\r\n`. Ending it anywhere else would let lines between the two ends escape
/// validation. (An obs-fold, a line break followed by a space or tab, is never an empty
/// line.) Scanning starts 2 bytes before `from`, so an ending split across two reads is
/// found; `from` past the end of `buf` finds nothing.
///
/// Each `\n` is found by [`find_newline`] and looked at once.
pub(crate) fn find_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut at = from.saturating_sub(2);
    loop {
        let newline = find_newline(buf, at)?;
        match buf.get(newline + 1..) {
            Some([b'\n', ..]) => return Some(newline + 2),
            Some([b'\r', b'\n', ..]) => return Some(newline + 3),
            _ => at = newline + 1,
        }
    }
}

/// The index of the first `\n` in `bytes` at or after `from`.
///
/// Bare-metal targets search a byte at a time ([`find_newline_by_bytes`]): the word-at-a-time
/// search costs 160 B more flash on a Cortex-M, which issue 13 counts first. Hosted targets
/// search a word at a time ([`find_newline_by_words`]): some 440 instructions less per
/// handshake. (The same split as [`move_within`]'s.)
///
/// [`move_within`]: crate::buffers::move_within
pub(crate) fn find_newline(bytes: &[u8], from: usize) -> Option<usize> {
    if cfg!(target_os = "none") {
        find_newline_by_bytes(bytes, from)
    } else {
        find_newline_by_words(bytes, from)
    }
}

/// [`find_newline`] a byte at a time (a loop: 74 B less flash on a Cortex-M than
/// `position`, which each caller would otherwise inline whole).
fn find_newline_by_bytes(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        match bytes.get(at) {
            Some(b'\n') => return Some(at),
            Some(_) => at += 1,
            None => return None,
        }
    }
}

/// [`find_newline`] a machine word at a time (8 bytes, or 4 on a 32-bit target): a header
/// line is some 20 to 40 bytes, and the response passes here at least twice (the end of the
/// block, then the headers of `onOpen`). A word holds a `\n` when one of its bytes XOR `\n`
/// is zero, found with the usual zero-byte test: the lowest flagged byte is exact, so it is
/// the first `\n` (the word is read little-endian: byte `i` is bits `8 i ..`). The last bytes
/// short of a word are searched one by one.
fn find_newline_by_words(bytes: &[u8], from: usize) -> Option<usize> {
    const WORD: usize = size_of::<usize>();
    const ONES: usize = usize::from_le_bytes([0x01; WORD]);
    const HIGHS: usize = usize::from_le_bytes([0x80; WORD]);
    const NEWLINES: usize = usize::from_le_bytes([b'\n'; WORD]);
    let mut words = bytes.get(from..)?.chunks_exact(WORD);
    let mut at = from;
    for word in &mut words {
        let word = usize::from_le_bytes(word.try_into().ok()?) ^ NEWLINES;
        let flags = word.wrapping_sub(ONES) & !word & HIGHS;
        if flags != 0 {
            return Some(at + (flags.trailing_zeros() / 8) as usize);
        }
        at += WORD;
    }
    Some(at + words.remainder().iter().position(|&b| b == b'\n')?)
}

/// Why [`validate_block`] refused a response: one of RFC 6455 §4.1's checks, or the
/// `permessage-deflate` negotiation (RFC 7692 §7.1). A response that names an extension not
/// offered is always [`HandshakeError::UnofferedExtension`], as it was before extensions
/// could be offered (S8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// An RFC 6455 check failed, or an extension was not offered.
    Handshake(HandshakeError),
    /// The server's `permessage-deflate` answer breaks RFC 7692 §5 or §7.
    Extension(ExtensionError),
}

impl From<HandshakeError> for Rejection {
    fn from(error: HandshakeError) -> Self {
        Rejection::Handshake(error)
    }
}

impl From<ExtensionError> for Rejection {
    fn from(error: ExtensionError) -> Self {
        match error {
            ExtensionError::Unoffered => Rejection::Handshake(HandshakeError::UnofferedExtension),
            other => Rejection::Extension(other),
        }
    }
}

/// [`validate_block`] without an extension offer: any extension in the response fails it with
/// [`HandshakeError::UnofferedExtension`] (S8). Returns the byte range of the chosen protocol
/// inside `block`. For the tests; tasks call [`validate_in`].
#[cfg(test)]
pub(crate) fn validate(
    block: &mut [u8],
    accept: &Accept,
    offered: &str,
    check: ProtocolCheck,
) -> Result<Option<Range<usize>>, HandshakeError> {
    match validate_with(block, accept, offered, check, None) {
        Ok((protocol, _)) => Ok(protocol),
        Err(Rejection::Handshake(error)) => Err(error),
        // Without an offer, `negotiate` fails only with `Unoffered`, which is a
        // `Rejection::Handshake`; the same error stands for anything else.
        Err(Rejection::Extension(_)) => Err(HandshakeError::UnofferedExtension),
    }
}

/// Where the fields of a block lie, as httparse found them: filled by [`parse_whole`] or
/// [`validate_in`], then read by [`judge`]. The caller's, so that the list is never copied.
pub(crate) type Fields = heapless::Vec<Field, MAX_RESPONSE_HEADERS>;

/// What [`parse`] found besides the fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// Where the block ends.
    pub(crate) end: usize,
    /// Whether [`unfold`] must run: the block may hold an obs-fold (it was parsed with them
    /// allowed), or it starts with empty lines.
    folded: bool,
}

/// [`validate_in`] with a list of its own. For the tests and the fuzz targets.
#[cfg(any(test, fuzzing))]
pub(crate) fn validate_block(
    block: &mut [u8],
    accept: &Accept,
    offered: &str,
    check: ProtocolCheck,
    deflate: Option<&PerMessageDeflate>,
) -> Result<Accepted, Rejection> {
    validate_in(block, &mut Fields::new(), accept, offered, check, deflate)
}

/// Validates a complete header block, in place. `block` is exactly the bytes [`find_end`]
/// delimited; `fields` is scratch room for where its fields lie; `offered` is the protocol
/// list as sent (`"a, b"`, empty when none); `deflate` is the `permessage-deflate` offer as
/// sent (`None` when none was). What it returns: see [`judge`].
///
/// httparse parses the block once, with obs-fold allowed ([`parse`]); [`judge`] does the
/// rest. Checks, in order: httparse's syntax ([`HandshakeError::Malformed`]), HTTP/1.1
/// ([`HandshakeError::Version`]), status 101, `Upgrade`, `Connection`,
/// `Sec-WebSocket-Accept`, `Sec-WebSocket-Extensions` (every line, against `deflate`:
/// [`Negotiation`]), then the subprotocol (S5). A block httparse finds incomplete, or
/// complete before its end (it must end at the first empty line, as [`find_end`] ends it), is
/// `Malformed(httparse::Error::NewLine)`.
///
/// A line starting with a space or tab right after the status line is no fold (there is no
/// field to continue) and is refused as `Malformed(httparse::Error::HeaderName)`. RFC 9112
/// §2.2: "A recipient that receives whitespace between the start-line and the first header
/// field MUST either reject the message as invalid or consume each whitespace-preceded line
/// without further processing of it"; this client rejects, since ignoring lines would hide
/// them from the checks.
pub(crate) fn validate_in(
    block: &mut [u8],
    fields: &mut Fields,
    accept: &Accept,
    offered: &str,
    check: ProtocolCheck,
    deflate: Option<&PerMessageDeflate>,
) -> Result<Accepted, Rejection> {
    let parsed = parse(block, true, fields)?;
    judge(block, fields, parsed, accept, offered, check, deflate)
}

/// The end of the header block at the start of `buffered`, when httparse reads a whole one
/// there, a well-formed HTTP/1.1 101 (its fields then in `fields`, for [`judge`]): the end
/// [`find_end`] would find, without a search of its own. `None` otherwise (incomplete,
/// malformed, another status or version): then the caller searches with [`find_end`] and
/// validates with [`validate_in`], which report all of those as before.
///
/// httparse ends a block it completes at its first empty line, the one [`find_end`] ends it
/// at (no `\n\n` or `\n\r\n` can come earlier in a block it completes), except that it skips
/// empty lines before the status line: so only a buffer whose first byte is the status
/// line's `H` is read here.
pub(crate) fn parse_whole(buffered: &[u8], fields: &mut Fields) -> Option<Parsed> {
    if buffered.first() != Some(&b'H') {
        return None;
    }
    parse(buffered, false, fields).ok()
}

/// The checks after httparse's parse of the block (`fields`, where [`parse`] found them), and
/// the headers left for `onOpen`: every obs-fold in the block is turned into spaces, in
/// place (RFC 9112 §5.2, "A user agent that receives an obs-fold in a response message that
/// is not within a "message/http" container MUST replace each received obs-fold with one or
/// more SP octets prior to interpreting the field value", [`unfold`]), which keeps the
/// block's length and every field where httparse found it, and so are empty lines before the
/// status line (httparse skips them), which the status line then starts with. The lines are
/// otherwise left as received, for [`Headers`] to read. After `Err`, obs-folds may have
/// been replaced.
///
/// Returns the byte range of the chosen protocol inside `block`, the negotiated
/// `permessage-deflate` parameters when the server accepted the offer, and where the header
/// lines end (the start of the empty line): `Headers::from_lines(&block[..lines])` are the
/// headers of `onOpen`.
///
/// One pass over the fields notes what the checks need of each (the five names the checks
/// read are told apart by their length first); the checks then judge those notes in their
/// order, so the first failing check is the one reported, whatever the order of the lines.
pub(crate) fn judge(
    block: &mut [u8],
    fields: &Fields,
    parsed: Parsed,
    accept: &Accept,
    offered: &str,
    check: ProtocolCheck,
    deflate: Option<&PerMessageDeflate>,
) -> Result<Accepted, Rejection> {
    if parsed.folded {
        unfold(block);
    }
    let mut seen = Seen::new(deflate);
    for field in fields {
        seen.field(block, field, accept);
    }
    let (protocol, negotiated) = seen.judge(block, offered.as_bytes(), check)?;
    Ok(Accepted { protocol, negotiated, lines: lines_end(block) })
}

/// Where the lines of a block that ends in its empty line end: the start of that empty line
/// (`\r\n`, or a bare `\n`). The block ends in `\n\r\n` or `\n\n` (wrapping: any other
/// bytes give some index, which is then read through `get`).
fn lines_end(block: &[u8]) -> usize {
    let len = block.len();
    let cr = block.get(len.wrapping_sub(2)) == Some(&b'\r');
    len.wrapping_sub(1).wrapping_sub(usize::from(cr))
}

/// What [`judge`] found in a response it accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Accepted {
    /// The chosen protocol's byte range inside the block.
    pub(crate) protocol: Option<Range<usize>>,
    /// The `permessage-deflate` parameters, when the server accepted the offer.
    pub(crate) negotiated: Option<Negotiated>,
    /// Where the header lines end (the start of the empty line): `onOpen`'s headers are
    /// `Headers::from_lines(&block[..lines])`.
    pub(crate) lines: usize,
}

/// [`validate_block`] without where the lines end. For the tests.
#[cfg(test)]
pub(crate) fn validate_with(
    block: &mut [u8],
    accept: &Accept,
    offered: &str,
    check: ProtocolCheck,
    deflate: Option<&PerMessageDeflate>,
) -> Result<(Option<Range<usize>>, Option<Negotiated>), Rejection> {
    validate_block(block, accept, offered, check, deflate).map(|a| (a.protocol, a.negotiated))
}

/// Where one header field's name and value lie in the block, as httparse found them.
#[derive(Clone, Debug)]
pub(crate) struct Field {
    name: Range<usize>,
    value: Range<usize>,
}

/// httparse's parse of `bytes`: the status line's checks, and where each field lies (into
/// `fields`, the caller's: returned, the list would be copied). Returns where the block ends;
/// `exact`: it must end at the end of `bytes` (a block [`find_end`] delimited), or it is
/// `Malformed(NewLine)`, as an incomplete one is.
///
/// Obs-folds are allowed (RFC 9112 §5.2), but almost no server sends one: on hosted targets
/// ([`fast_paths`]) the block is parsed without them first, and only when that fails again
/// with them allowed, which then gives the result (the error, or the parse with folds). A
/// parse without folds that succeeds is the one with them allowed (httparse reads a block
/// without a line break followed by a space or tab the same either way, and without folds
/// allowed such a line break fails the parse), and tells [`judge`] that the block holds no
/// fold to replace: no search for one. Bare metal parses once, with folds allowed, and
/// [`judge`] searches (the second parse is flash).
fn parse(bytes: &[u8], exact: bool, fields: &mut Fields) -> Result<Parsed, HandshakeError> {
    if fast_paths()
        && let Ok(end) = parse_with(bytes, exact, false, fields)
    {
        // Empty lines before the status line (rare) are made spaces with the folds.
        let folded = matches!(bytes.first(), Some(b'\r' | b'\n'));
        return Ok(Parsed { end, folded });
    }
    parse_with(bytes, exact, true, fields).map(|end| Parsed { end, folded: true })
}

/// One httparse parse for [`parse`], with obs-folds allowed or not. Out of line on hosted
/// targets, where [`parse`] calls it twice.
#[cfg_attr(not(target_os = "none"), inline(never))]
fn parse_with(bytes: &[u8], exact: bool, folds: bool, fields: &mut Fields) -> Result<usize, HandshakeError> {
    fields.clear();
    let mut storage = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_RESPONSE_HEADERS];
    let mut response = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default()
        .allow_obsolete_multiline_headers_in_responses(folds)
        .parse_response_with_uninit_headers(&mut response, bytes, &mut storage);
    let end = match parsed {
        // The block must be exactly what httparse read: `find_end` ends it at the same empty
        // line, so a shorter parse means a block that did not come from `find_end`.
        Ok(httparse::Status::Complete(n)) if n == bytes.len() || !exact => n,
        Ok(_) => return Err(HandshakeError::Malformed(httparse::Error::NewLine)),
        Err(e) => return Err(HandshakeError::Malformed(e)),
    };
    if response.version != Some(1) {
        return Err(HandshakeError::Version);
    }
    // RFC 6455 §4.1: "If the status code received from the server is not 101, the client
    // handles the response per HTTP procedures" — for this client, a failed handshake (S2).
    match response.code {
        Some(101) => {}
        code => return Err(HandshakeError::Status(code.unwrap_or(0))),
    }
    for header in response.headers.iter() {
        let field = Field { name: offset(bytes, header.name.as_bytes()), value: offset(bytes, header.value) };
        // Never full: httparse parses at most `MAX_RESPONSE_HEADERS` fields (into `storage`).
        let _ = fields.push(field);
    }
    Ok(end)
}

/// Replaces each obs-fold in `block` with spaces, in place (RFC 9112 §5.2, `obs-fold = OWS
/// CRLF RWS`): a line break (`\r\n`, or a bare `\n`) followed by a space or tab, with the
/// spaces and tabs around it, becomes as many SP octets, so a folded field reads as one line,
/// and nothing moves. In a block httparse accepted (obs-fold allowed), a line break followed
/// by a space or tab is always a fold: the status line is never followed by one (httparse
/// refuses a space before the first field), and a CR comes only before an LF.
///
/// Each line break is found by [`find_newline`] and the byte after it looked at; only a block
/// parsed with folds allowed is searched ([`parse`]).
fn unfold(block: &mut [u8]) {
    // httparse skips empty lines before the status line: made spaces, they are part of it,
    // and the status line is the block's first line ([`Headers::from_lines`]). (Before the
    // status line, httparse accepts only CR and LF: the only bytes up to `\r`.)
    for byte in block.iter_mut() {
        if *byte > b'\r' {
            break;
        }
        *byte = b' ';
    }
    let mut at = 0;
    while let Some(newline) = find_newline(block, at) {
        at = newline.wrapping_add(1);
        if let Some(b' ' | b'\t') = block.get(at) {
            // The fold: its line break, and the spaces, tabs and CR before it, made spaces
            // back to the field's last other byte (a fold before it is spaces by then; no
            // line break but a fold's comes between two bytes of a field)...
            let mut back = newline;
            while let Some(byte @ (b' ' | b'\t' | b'\r' | b'\n')) = block.get_mut(back) {
                *byte = b' ';
                back = back.wrapping_sub(1);
            }
            // ...and the spaces and tabs after it.
            while let Some(byte @ (b' ' | b'\t')) = block.get_mut(at) {
                *byte = b' ';
                at = at.wrapping_add(1);
            }
        }
    }
}

/// The response headers the checks read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Checked {
    Upgrade,
    Connection,
    Accept,
    Extensions,
    Protocol,
}

impl Checked {
    /// Which checked header `name` is (ASCII case-insensitive), if any.
    fn of(name: &[u8]) -> Option<Checked> {
        let (expected, checked): (&[u8], _) = match name.len() {
            7 => (b"upgrade", Checked::Upgrade),
            10 => (b"connection", Checked::Connection),
            20 => (b"sec-websocket-accept", Checked::Accept),
            22 => (b"sec-websocket-protocol", Checked::Protocol),
            24 => (b"sec-websocket-extensions", Checked::Extensions),
            _ => return None,
        };
        eq_folded(name, expected).then_some(checked)
    }
}

/// Whether `bytes` is `lower` in any ASCII case, where `lower` holds lower-case letters and
/// `-` only (a header name or a keyword the checks look for).
///
/// A byte `b` matches a letter `l` when `b | 0x20 == l`: exactly `l` and its upper case.
/// For `-` (0x2D) that test also lets CR (0x0D) through, so `bytes` is a header name (an HTTP
/// token: never CR) or a value checked against letters only (`websocket`, `upgrade`). A word
/// at a time (`eq_ignore_ascii_case` goes byte by byte, folding both sides): the names the
/// checks read are 7 to 24 bytes long, and every response line's name passes here. Four
/// bytes at a time on bare metal ([`eq_folded_by_4`], the least flash), eight elsewhere
/// ([`eq_folded_by_8`]).
pub(crate) fn eq_folded(bytes: &[u8], lower: &[u8]) -> bool {
    if bytes.len() != lower.len() {
        return false;
    }
    if cfg!(target_os = "none") { eq_folded_by_4(bytes, lower) } else { eq_folded_by_8(bytes, lower) }
}

/// [`eq_folded`] of two slices of one length, four bytes at a time, the rest one by one.
fn eq_folded_by_4(bytes: &[u8], lower: &[u8]) -> bool {
    const FOLD: u32 = u32::from_ne_bytes([0x20; 4]);
    let (mut bytes, mut lower) = (bytes, lower);
    while let (Some((word, rest)), Some((expected, expected_rest))) =
        (bytes.split_first_chunk::<4>(), lower.split_first_chunk::<4>())
    {
        if u32::from_ne_bytes(*word) | FOLD != u32::from_ne_bytes(*expected) {
            return false;
        }
        (bytes, lower) = (rest, expected_rest);
    }
    bytes.iter().zip(lower).all(|(&b, &l)| b | 0x20 == l)
}

/// [`eq_folded`] of two slices of one length, eight bytes at a time, the last eight (or,
/// shorter than that, four) overlapping the word before: a byte compared twice is judged
/// the same twice, and no byte is left to compare one by one.
#[inline(always)]
fn eq_folded_by_8(bytes: &[u8], lower: &[u8]) -> bool {
    const FOLD_8: u64 = u64::from_ne_bytes([0x20; 8]);
    const FOLD_4: u32 = u32::from_ne_bytes([0x20; 4]);
    // The word at `at` (never short: `at` is at most the length less the word's).
    let u64_at =
        |s: &[u8], at: usize| s.get(at..).and_then(|s| s.first_chunk()).map_or(0, |w| u64::from_ne_bytes(*w));
    let u32_at =
        |s: &[u8], at: usize| s.get(at..).and_then(|s| s.first_chunk()).map_or(0, |w| u32::from_ne_bytes(*w));
    let len = bytes.len();
    match len.checked_sub(8) {
        Some(last) => {
            let mut at = 0;
            while at < last {
                if u64_at(bytes, at) | FOLD_8 != u64_at(lower, at) {
                    return false;
                }
                at += 8;
            }
            u64_at(bytes, last) | FOLD_8 == u64_at(lower, last)
        }
        None => match len.checked_sub(4) {
            Some(last) => {
                u32_at(bytes, 0) | FOLD_4 == u32_at(lower, 0)
                    && u32_at(bytes, last) | FOLD_4 == u32_at(lower, last)
            }
            None => bytes.iter().zip(lower).all(|(&b, &l)| b | 0x20 == l),
        },
    }
}

/// What the checks need to know of the response's lines, noted in one pass. The counts are
/// of at most [`MAX_RESPONSE_HEADERS`] lines: a `u8` holds them (`+= 1` never overflows).
struct Seen<'o> {
    /// `Upgrade` lines, and whether the first is `websocket`.
    upgrades: u8,
    upgrade_ok: bool,
    /// Whether there is a `Connection` line, and whether one holds the token `upgrade`.
    connection: bool,
    connection_ok: bool,
    /// `Sec-WebSocket-Accept` lines, and whether the first is the expected value.
    accepts: u8,
    accept_ok: bool,
    /// Every `Sec-WebSocket-Extensions` line, read against the offer.
    extensions: Negotiation<'o>,
    /// `Sec-WebSocket-Protocol` lines, and where the first one's value lies.
    protocols: u8,
    protocol: Range<usize>,
}

impl<'o> Seen<'o> {
    fn new(deflate: Option<&'o PerMessageDeflate>) -> Self {
        Seen {
            upgrades: 0,
            upgrade_ok: false,
            connection: false,
            connection_ok: false,
            accepts: 0,
            accept_ok: false,
            extensions: Negotiation::new(deflate),
            protocols: 0,
            protocol: 0..0,
        }
    }

    /// Notes the field whose name and value lie in `block` where `field` says.
    fn field(&mut self, block: &[u8], field: &Field, accept: &Accept) {
        let Some(checked) = Checked::of(block.get(field.name.clone()).unwrap_or_default()) else { return };
        let value = field.value.clone();
        let bytes = block.get(value.clone()).unwrap_or_default();
        match checked {
            Checked::Upgrade => {
                self.upgrade_ok |= self.upgrades == 0 && eq_folded(bytes, b"websocket");
                self.upgrades += 1;
            }
            Checked::Connection => {
                self.connection = true;
                self.connection_ok |= list_holds(bytes, b"upgrade", true);
            }
            Checked::Accept => {
                self.accept_ok |= self.accepts == 0 && same(bytes, accept.as_bytes());
                self.accepts += 1;
            }
            Checked::Extensions => self.extensions.line(bytes),
            Checked::Protocol => {
                if self.protocols == 0 {
                    self.protocol = value;
                }
                self.protocols += 1;
            }
        }
    }

    /// The checks, in their order, on what was noted.
    fn judge(
        self,
        block: &[u8],
        offered: &[u8],
        check: ProtocolCheck,
    ) -> Result<(Option<Range<usize>>, Option<Negotiated>), Rejection> {
        // RFC 6455 §4.1, client rule 2: "If the response lacks an |Upgrade| header field or
        // the |Upgrade| header field contains a value that is not an ASCII case-insensitive
        // match for the value "websocket", the client MUST _Fail the WebSocket Connection_."
        //
        // So the value is `websocket` alone, not a list holding it (S8: `Upgrade: websocket,
        // foo` fails). A second `Upgrade` line fails too: lines of one field make one
        // comma-separated value (RFC 9110 §5.3), which is then no match either.
        match (self.upgrades, self.upgrade_ok) {
            (0, _) => return Err(HandshakeError::MissingUpgrade.into()),
            (1, true) => {}
            _ => return Err(HandshakeError::InvalidUpgrade.into()),
        }
        // Rule 3: "If the response lacks a |Connection| header field or the |Connection|
        // header field doesn't contain a token that is an ASCII case-insensitive match for
        // the value "Upgrade", the client MUST _Fail the WebSocket Connection_."
        //
        // `Connection` is a comma-separated list of tokens (RFC 9110 §7.6.1), and several
        // lines make one list (§5.3): `keep-alive, Upgrade` holds the token, `keep-alive
        // upgrade` does not.
        match (self.connection, self.connection_ok) {
            (_, true) => {}
            (true, false) => return Err(HandshakeError::InvalidConnection.into()),
            (false, false) => return Err(HandshakeError::MissingConnection.into()),
        }
        // "If the response lacks a |Sec-WebSocket-Accept| header field or the
        // |Sec-WebSocket-Accept| contains a value other than the base64-encoded SHA-1 of the
        // concatenation of the |Sec-WebSocket-Key| (as a string, not base64-decoded) with the
        // string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" but ignoring any leading and trailing
        // whitespace, the client MUST _Fail the WebSocket Connection_." More than one is
        // refused too (RFC 6455 §11.3.3: it "MUST NOT appear more than once in an HTTP
        // response"). The value is already trimmed ([`Headers`]).
        match (self.accepts, self.accept_ok) {
            (0, _) => return Err(HandshakeError::MissingAccept.into()),
            (1, true) => {}
            (1, false) => return Err(HandshakeError::WrongAccept.into()),
            _ => return Err(HandshakeError::DuplicateAccept.into()),
        }
        // "If the response includes a |Sec-WebSocket-Extensions| header field and this header
        // field indicates the use of an extension that was not present in the client's
        // handshake (the server has indicated an extension not requested by the client), the
        // client MUST _Fail the WebSocket Connection_." Without an offer, any non-empty value
        // fails; with one, RFC 7692's rules decide.
        let negotiated = self.extensions.finish()?;
        // "If the response includes a |Sec-WebSocket-Protocol| header field and this header
        // field indicates the use of a subprotocol that was not present in the client's
        // handshake (the server has indicated a subprotocol not requested by the client), the
        // client MUST _Fail the WebSocket Connection_." The server selects "one or none"
        // (§4.2.2), so more than one is refused; none when some were offered is refused in
        // strict mode (S5).
        //
        // A header present with an empty value counts as choosing `""`, which is never
        // offered. Protocol names compare case-sensitively (§4.1 asks for the client's
        // "exact" values).
        if self.protocols == 0 {
            // The list as sent (`"a, b"`) names a protocol when it has anything but commas
            // and spaces.
            let any_offered = offered.iter().any(|&b| b != b',' && b != b' ');
            return match (any_offered, check) {
                (true, ProtocolCheck::Strict) => Err(HandshakeError::MissingProtocol.into()),
                _ => Ok((None, negotiated)),
            };
        }
        let value = block.get(self.protocol.clone()).unwrap_or_default();
        if self.protocols > 1 || has_comma(value) {
            return Err(HandshakeError::MultipleProtocols.into());
        }
        // The protocols of the list as sent (split on `,`, spaces trimmed; tokens, so never a
        // tab), empties left out.
        if value.is_empty() || !list_holds(offered, value, false) {
            return Err(HandshakeError::UnofferedProtocol.into());
        }
        Ok((Some(self.protocol), negotiated))
    }
}

/// Strips optional whitespace (RFC 9110 §5.6.3 `OWS`: spaces and tabs) from both ends.
fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Whether `bytes` holds a `,`.
// Not `contains`: for bytes that is a specialised search, 186 B of flash on a
// microcontroller, where this loop is a few instructions (values here are short).
#[allow(clippy::manual_contains)]
fn has_comma(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| b == b',')
}

/// Whether `a` and `b` are the same bytes: the accept value, protocol names.
///
/// On bare-metal targets a loop, not `==`: for bytes that is a call to `memcmp`, 116 B of
/// flash on a Cortex-M for the few short strings the handshake compares; out of line there
/// (flash). Hosted targets have the C library's `memcmp` anyway, the faster of the two, and
/// call it inline: a call to a function that only calls `memcmp` is code to fetch.
#[cfg_attr(target_os = "none", inline(never))]
#[cfg_attr(not(target_os = "none"), inline)]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    if cfg!(target_os = "none") { same_by_bytes(a, b) } else { a == b }
}

/// [`same`] a byte at a time.
fn same_by_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Whether the comma-separated `list` holds `item`, each element with optional whitespace
/// around it ([`trim_ows`]): byte for byte, or with `fold` in any ASCII case (then `item` is
/// as [`eq_folded`] wants it). One loop for both lists the checks read (`Connection`, the
/// protocols offered), instead of a split iterator monomorphized for each.
fn list_holds(list: &[u8], item: &[u8], fold: bool) -> bool {
    let mut rest = list;
    loop {
        let end = rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
        let (element, tail) = rest.split_at_checked(end).unwrap_or_default();
        let element = trim_ows(element);
        let found = if fold { eq_folded(element, item) } else { same(element, item) };
        if found {
            return true;
        }
        match tail.split_first() {
            Some((_comma, tail)) => rest = tail,
            None => return false,
        }
    }
}

/// Where `part`, a slice httparse found in `block`, lies inside it: computed from the
/// addresses alone (no `unsafe`), and without a check, which is flash in the loop over the
/// fields and never fails for httparse's slices (it reads `block` and borrows from it).
///
/// Whatever `part` is, the range is harmless: every use of a field's range goes through
/// `get` (or [`find_newline`], which finds nothing past the end), which reads nothing for a
/// range outside `block`. An empty `part` (an empty value, which may point anywhere) gives an
/// empty range, so nothing is read for it.
fn offset(block: &[u8], part: &[u8]) -> Range<usize> {
    let start = part.as_ptr().addr().wrapping_sub(block.as_ptr().addr());
    start..start.wrapping_add(part.len())
}

/// The response headers of an accepted handshake, as the `onOpen` event hands them out (S10).
///
/// # Format
///
/// The header lines of the response as they were received, read where they lie in the
/// receive buffer: the client's validation only replaces each obs-fold with as many spaces
/// (RFC 9112 §5.2), in place, so that reading them needs no HTTP parsing and nothing moves.
///
/// - one line per header field, in the order received: the name, `:`, the value, and a line
///   end, `\r\n` or a bare `\n` (`Upgrade: websocket\r\n`); the status line is not part of
///   them;
/// - the name: the bytes before the line's first `:` (as received, an HTTP token: no `:`,
///   space or line break);
/// - the value: the bytes after that `:`, without the spaces, tabs and CRs at either end (the
///   optional whitespace around a field value, RFC 9112 §5, and the CR of a `\r\n`). As the
///   validation leaves it, it holds no line break (each obs-fold became spaces: a folded
///   value reads as one, `a\r\n b` as `a   b`), no CR, NUL or other control byte but tab;
///   bytes 0x80 and above pass as received;
/// - the lines end at the first empty line (a `\n` or `\r\n` where a line would start) or at
///   the end of the bytes; what follows is not part of the headers.
///
/// [`Headers::as_bytes`] gives exactly the lines, and [`Headers::new`] over those bytes gives
/// the same headers: that is how a transport copies an event's headers out of the receive
/// buffer. `new` accepts any bytes and never panics: a line without `:` or with a name that
/// is not UTF-8 is skipped. Lines written as `name:value\n` (this type's format before the
/// lines were read in place) read as they always did.
///
/// ```
/// use sockettask::Headers;
///
/// let headers = Headers::new(b"Upgrade: websocket\r\nX-Long: a   b \r\n\r\nnot a header: x\r\n");
/// assert_eq!(headers.get("x-long"), Some(&b"a   b"[..]));
/// assert_eq!(headers.iter().map(|(name, _)| name).collect::<Vec<_>>(), ["Upgrade", "X-Long"]);
/// // A copy survives the buffer it came from.
/// let copy = headers.as_bytes().to_vec();
/// assert_eq!(copy, b"Upgrade: websocket\r\nX-Long: a   b \r\n");
/// assert_eq!(Headers::new(&copy), headers);
/// // Bare line feeds, and no whitespace around the values, read the same.
/// let bare = Headers::new(b"Upgrade:websocket\nX-Long:a   b\n\n\n\n");
/// assert_eq!(bare.iter().collect::<Vec<_>>(), headers.iter().collect::<Vec<_>>());
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Headers<'a> {
    lines: &'a [u8],
}

impl<'a> Headers<'a> {
    /// The headers in `bytes`, in the format above: up to the first empty line, or all of
    /// them. Safe on any bytes.
    ///
    /// ```
    /// use sockettask::Headers;
    ///
    /// assert_eq!(Headers::new(b"A:1\n\nB:2\n").as_bytes(), b"A:1\n");
    /// assert_eq!(Headers::new(b"A: 1\r\n\r\nB: 2\r\n").as_bytes(), b"A: 1\r\n");
    /// assert_eq!(Headers::new(b"\nA:1\n").iter().count(), 0);
    /// assert_eq!(Headers::new(b"\r\nA:1\n").iter().count(), 0);
    /// assert_eq!(Headers::new(b"no colon\n\xff:x\nA:1").iter().collect::<Vec<_>>(), [("A", &b"1"[..])]);
    /// ```
    pub fn new(bytes: &'a [u8]) -> Self {
        let end = match bytes {
            // An empty first line: no headers.
            [b'\n', ..] | [b'\r', b'\n', ..] => 0,
            // Up to the empty line after the first `\n` followed by one (`\n\n`, `\n\r\n`).
            _ => match find_end(bytes, 0) {
                Some(end) => lines_end(bytes.get(..end).unwrap_or_default()),
                None => bytes.len(),
            },
        };
        Headers { lines: bytes.get(..end).unwrap_or_default() }
    }

    /// The headers of a block [`judge`] accepted, up to where it says its lines end
    /// (`block` is the block up to there): the lines after the first, the status line
    /// ([`judge`] made any empty lines before it part of it), without scanning for the end
    /// again.
    ///
    /// A block that starts with its status line (`HTTP/1.1 101`, at least 12 bytes) has the
    /// line break that ends it at offset 12 at the earliest: on hosted targets
    /// ([`fast_paths`]) the search starts there. Any bytes give some headers, never a panic.
    pub(crate) fn from_lines(block: &'a [u8]) -> Self {
        const SHORTEST_STATUS_LINE: usize = b"HTTP/1.1 101".len();
        let from = if fast_paths() && block.first() == Some(&b'H') { SHORTEST_STATUS_LINE } else { 0 };
        let lines = find_newline(block, from).and_then(|newline| block.get(newline.wrapping_add(1)..));
        Headers { lines: lines.unwrap_or_default() }
    }

    /// The header lines themselves, without the empty line or anything after it: the bytes to
    /// copy to keep these headers ([`Headers::new`] reads them back).
    ///
    /// ```
    /// use sockettask::Headers;
    ///
    /// let headers = Headers::new(b"Upgrade: websocket\r\n\r\n\x81\x00");
    /// assert_eq!(headers.as_bytes(), b"Upgrade: websocket\r\n");
    /// ```
    pub fn as_bytes(&self) -> &'a [u8] {
        self.lines
    }

    /// The value of the first header called `name` (ASCII case-insensitive).
    ///
    /// ```
    /// use sockettask::Headers;
    ///
    /// let headers = Headers::new(b"Set-Cookie: a=1\r\nset-cookie: b=2\r\n");
    /// assert_eq!(headers.get("SET-COOKIE"), Some(&b"a=1"[..]));
    /// assert_eq!(headers.get("server"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// Every header as `(name, value)`, in the order received.
    ///
    /// ```
    /// use sockettask::Headers;
    ///
    /// let all: Vec<_> = Headers::new(b"A: 1\r\nB:\r\nC:\t3 \n").iter().collect();
    /// assert_eq!(all, [("A", &b"1"[..]), ("B", &b""[..]), ("C", &b"3"[..])]);
    /// ```
    pub fn iter(&self) -> HeaderIter<'a> {
        HeaderIter { rest: self.lines }
    }
}

impl fmt::Debug for Headers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter().map(|(name, value)| (name, Value(value)))).finish()
    }
}

/// A header value in `Debug` output: as text when it is UTF-8, as bytes otherwise.
struct Value<'a>(&'a [u8]);

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match core::str::from_utf8(self.0) {
            Ok(text) => text.fmt(f),
            Err(_) => self.0.fmt(f),
        }
    }
}

/// Iterator over the `(name, value)` pairs of a [`Headers`], in order.
#[derive(Clone, Debug)]
pub struct HeaderIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = (&'a str, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        while let rest @ [_, ..] = self.rest {
            let (line, next) = match find_newline(rest, 0) {
                Some(newline) => (rest.get(..newline), rest.get(newline.wrapping_add(1)..)),
                None => (Some(rest), None),
            };
            self.rest = next.unwrap_or_default();
            let line = line.unwrap_or_default();
            let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
            let (name, value) = line.split_at_checked(colon).unwrap_or_default();
            let Ok(name) = core::str::from_utf8(name) else { continue };
            return Some((name, trim_value(value.get(1..).unwrap_or_default())));
        }
        None
    }
}

impl core::iter::FusedIterator for HeaderIter<'_> {}

/// A value as [`Headers`] reads it: without the spaces, tabs and CRs at either end.
fn trim_value(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\r', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = value {
        value = rest;
    }
    value
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::string::{String, ToString};
    use std::vec::Vec;
    use std::{format, vec};

    use super::*;
    use crate::handshake::Key;
    #[cfg(feature = "deflate")]
    use crate::handshake::extension::ExtensionError;
    use crate::handshake::extension::{Negotiated, PerMessageDeflate};

    /// The accept of RFC 6455 §1.3's key.
    fn accept() -> Accept {
        Key::from_nonce(b"the sample nonce").accept()
    }

    const OK_HEAD: &str = "HTTP/1.1 101 Switching Protocols\r\n\
        Upgrade: websocket\r\n\
        Connection: Upgrade\r\n\
        Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";

    /// A valid response head plus `extra` header lines, closed by the blank line.
    fn with(extra: &str) -> String {
        format!("{OK_HEAD}{extra}\r\n")
    }

    /// `validate` over a copy of `block` with the given offer and check, answering the chosen
    /// protocol as text, read from the validated copy.
    fn run(block: &str, offered: &str, check: ProtocolCheck) -> Result<Option<String>, HandshakeError> {
        let mut copy = block.as_bytes().to_vec();
        let range = validate(&mut copy, &accept(), offered, check)?;
        Ok(range.map(|r| String::from_utf8_lossy(&copy[r]).into_owned()))
    }

    /// `validate` (strict, nothing offered) over a copy of a block it must accept; the
    /// headers `onOpen` shows for it, owned.
    fn headers_of(block: &str) -> Vec<(String, String)> {
        let mut copy = block.as_bytes().to_vec();
        let lines = accepted_lines(&mut copy, "");
        assert_eq!(copy.len(), block.len(), "the block keeps its length");
        let headers = Headers::from_lines(&copy[..lines]);
        headers.iter().map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v).into_owned())).collect()
    }

    /// `validate_block` (strict, `offered`) over a block it must accept: where it says the
    /// header lines end, checked against where the block's final empty line starts.
    fn accepted_lines(block: &mut [u8], offered: &str) -> usize {
        let accepted = validate_block(block, &accept(), offered, ProtocolCheck::Strict, None);
        let lines = accepted
            .map(|a| a.lines)
            .unwrap_or_else(|e| panic!("{e:?}: {:?}", String::from_utf8_lossy(block)));
        let empty_line = if block.ends_with(b"\r\n") { 2 } else { 1 };
        assert_eq!(lines, block.len() - empty_line, "the lines end where the empty line starts");
        lines
    }

    fn owned(chosen: Option<&str>) -> Option<String> {
        chosen.map(String::from)
    }

    /// One-line wire samples: `valid!(block)`, `valid!(block, offered => chosen)`,
    /// `invalid!(block => Error)`, `invalid!(block, offered => Error)`.
    macro_rules! valid {
        ($block:expr) => {
            valid!($block, "" => None)
        };
        ($block:expr, $offered:expr => $chosen:expr) => {
            assert_eq!(run(&$block, $offered, ProtocolCheck::Strict), Ok(owned($chosen)), "{:?}", $block)
        };
    }

    macro_rules! invalid {
        ($block:expr => $err:expr) => {
            invalid!($block, "" => $err)
        };
        ($block:expr, $offered:expr => $err:expr) => {
            assert_eq!(run(&$block, $offered, ProtocolCheck::Strict), Err($err), "{:?}", $block)
        };
    }

    // --- where a field lies ---

    #[test]
    fn offset_is_where_a_sub_slice_lies() {
        let block = *b"Upgrade: websocket\r\n\r\n";
        assert_eq!(offset(&block, &block[9..18]), 9..18);
        assert_eq!(offset(&block, &block[..]), 0..block.len());
        assert_eq!(offset(&block, &block[19..19]), 19..19);
        // An empty slice from elsewhere (an empty value may point anywhere) is empty.
        let elsewhere = [0u8; 40];
        assert!(offset(&block, &elsewhere[3..3]).is_empty());
    }

    #[test]
    fn find_newline_reads_whole_words_and_the_rest() {
        // Both searches, whichever this target uses: the bare-metal one is tested here too.
        for find_newline in [find_newline, find_newline_by_bytes, find_newline_by_words] {
            // A `\n` at every offset of a 64-byte run of bytes one bit from `\n` (`\x0b`,
            // `\x8a`, `\x0e`), which a word test must not mistake for it; from every start.
            for fill in [b'\x0b', b'\x8a', b'\x0e', b'a'] {
                for at in 0..64 {
                    let mut bytes = [fill; 64];
                    bytes[at] = b'\n';
                    for from in 0..=64 {
                        let expected = (from <= at).then_some(at);
                        assert_eq!(
                            find_newline(&bytes, from),
                            expected,
                            "fill {fill:#x} at {at} from {from}"
                        );
                    }
                }
                assert_eq!(find_newline(&[fill; 64], 0), None);
            }
            // Two in one word: the first.
            assert_eq!(find_newline(b"ab\ncd\nef", 0), Some(2));
            assert_eq!(find_newline(b"ab\ncd\nef", 3), Some(5));
            assert_eq!(find_newline(b"\n\n\n\n\n\n\n\n\n", 7), Some(7));
            // Past the end: nothing.
            assert_eq!(find_newline(b"\n", 2), None);
        }
    }

    #[test]
    fn same_compares_every_byte_and_the_length() {
        // The bare-metal comparison, which this target may not use, and the one it does.
        for same in [same, same_by_bytes] {
            let accept = b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
            assert!(same(accept, accept));
            assert!(same(b"", b""));
            for at in 0..accept.len() {
                let mut other = *accept;
                other[at] ^= 0x20;
                assert!(!same(&other, accept), "byte {at}");
                assert!(!same(&accept[..at], accept), "prefix of {at}");
            }
            assert!(!same(b"chat", b"chat2"));
        }
    }

    // --- the happy path ---

    #[test]
    fn rfc6455_section_1_3_response() {
        valid!(with(""));
        let rfc = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n";
        valid!(rfc, "chat, superchat" => Some("chat"));
    }

    #[test]
    fn values_are_case_insensitive_with_optional_whitespace() {
        let head =
            "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
        for pair in [
            "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n",
            "upgrade: WebSocket\r\nconnection: upgrade\r\n",
            "UPGRADE: WEBSOCKET\r\nCONNECTION: UPGRADE\r\n",
            "Upgrade:websocket\r\nConnection:Upgrade\r\n",
            "Upgrade: \t websocket \t\r\nConnection:   keep-alive ,\tUpgrade  \r\n",
            "Upgrade: websocket\r\nConnection: Upgrade,close\r\n",
            "Upgrade: websocket\r\nConnection: close\r\nConnection: upgrade\r\n",
        ] {
            valid!(format!("{head}{pair}\r\n"));
        }
    }

    #[test]
    fn accept_value_is_trimmed() {
        let head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
        valid!(format!("{head}Sec-WebSocket-Accept:   s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\t \r\n\r\n"));
        valid!(format!("{head}sec-websocket-accept:s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"));
    }

    #[test]
    fn empty_extensions_header_is_no_extension() {
        valid!(with("Sec-WebSocket-Extensions:\r\n"));
        valid!(with("Sec-WebSocket-Extensions:   \r\n"));
    }

    // --- every HandshakeError variant ---

    #[test]
    fn malformed_responses() {
        use httparse::Error as E;
        invalid!("garbage\r\n\r\n" => HandshakeError::Malformed(E::Version));
        invalid!("HTTP/2 101 Switching Protocols\r\n\r\n" => HandshakeError::Malformed(E::Version));
        invalid!("HTTP/1.1 1O1 Switching\r\n\r\n" => HandshakeError::Malformed(E::Status));
        invalid!("HTTP/1.1 101 Switching Protocols\r\nbad name: x\r\n\r\n" => HandshakeError::Malformed(E::HeaderName));
        invalid!(OK_HEAD => HandshakeError::Malformed(E::NewLine));
        invalid!("" => HandshakeError::Malformed(E::NewLine));
        let too_many = with(&"X: y\r\n".repeat(MAX_RESPONSE_HEADERS));
        invalid!(too_many => HandshakeError::Malformed(E::TooManyHeaders));
        let just_fits = with(&"X: y\r\n".repeat(MAX_RESPONSE_HEADERS - 3));
        valid!(just_fits);
    }

    #[test]
    fn version_and_status() {
        invalid!(OK_HEAD.replace("HTTP/1.1", "HTTP/1.0") + "\r\n" => HandshakeError::Version);
        invalid!(with("").replace("101 Switching Protocols", "404 Not Found") => HandshakeError::Status(404));
        invalid!(with("").replace("101 Switching Protocols", "200 OK") => HandshakeError::Status(200));
        invalid!("HTTP/1.1 301 Moved\r\nLocation: /x\r\n\r\n" => HandshakeError::Status(301));
    }

    #[test]
    fn upgrade_and_connection() {
        let status = "HTTP/1.1 101 Switching Protocols\r\n";
        let accept = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
        let case = |lines: &str| format!("{status}{lines}{accept}\r\n");
        invalid!(case("Connection: Upgrade\r\n") => HandshakeError::MissingUpgrade);
        invalid!(case("Upgrade: h2c\r\nConnection: Upgrade\r\n") => HandshakeError::InvalidUpgrade);
        invalid!(case("Upgrade: websockets\r\nConnection: Upgrade\r\n") => HandshakeError::InvalidUpgrade);
        invalid!(case("Upgrade:\r\nConnection: Upgrade\r\n") => HandshakeError::InvalidUpgrade);
        invalid!(case("Upgrade: websocket\r\n") => HandshakeError::MissingConnection);
        invalid!(case("Upgrade: websocket\r\nConnection: keep-alive\r\n") => HandshakeError::InvalidConnection);
        invalid!(case("Upgrade: websocket\r\nConnection: keep-alive upgrade\r\n") => HandshakeError::InvalidConnection);
    }

    /// RFC 6455 §4.1 client rule 2: the value must match "websocket", so a list holding it
    /// (S8: `Upgrade: websocket, foo`) or a second `Upgrade` line fails.
    #[test]
    fn upgrade_is_exactly_one_websocket() {
        let status = "HTTP/1.1 101 Switching Protocols\r\n";
        let rest = "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
        let case = |upgrade: &str| format!("{status}{upgrade}{rest}");
        for upgrade in [
            "Upgrade: websocket, foo\r\n",
            "Upgrade: h2c, websocket\r\n",
            "Upgrade: websocket,\r\n",
            "Upgrade: ,websocket\r\n",
            "Upgrade: websocket websocket\r\n",
            "Upgrade: websocket/13\r\n",
            "Upgrade: h2c\r\nUpgrade: websocket\r\n",
            "Upgrade: websocket\r\nUpgrade: websocket\r\n",
            "Upgrade: websocket\r\nUpgrade:\r\n",
            "Upgrade:\r\n",
            "Upgrade: \t \r\n",
        ] {
            invalid!(case(upgrade) => HandshakeError::InvalidUpgrade);
        }
        for upgrade in ["Upgrade: websocket\r\n", "upgrade:WEBSOCKET\r\n", "Upgrade: \t WebSocket \t\r\n"] {
            valid!(case(upgrade));
        }
    }

    /// RFC 6455 §4.1 client rule 3: `Connection` must contain the token; it is a list, and
    /// several lines make one list.
    #[test]
    fn connection_is_a_token_list_over_every_line() {
        let status = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n";
        let accept = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
        let case = |connection: &str| format!("{status}{connection}{accept}");
        for connection in [
            "Connection: keep-alive, Upgrade\r\n",
            "Connection: Upgrade, keep-alive\r\n",
            "Connection: ,, upgrade ,\r\n",
            "Connection: keep-alive\r\nConnection: Upgrade\r\n",
            "Connection: Upgrade\r\nConnection: close\r\n",
            "Connection:\r\nConnection: upgrade\r\n",
        ] {
            valid!(case(connection));
        }
        for connection in [
            "Connection:\r\n",
            "Connection: keep-alive\r\nConnection: close\r\n",
            "Connection: upgraded\r\n",
            "Connection: \"upgrade\"\r\n",
        ] {
            invalid!(case(connection) => HandshakeError::InvalidConnection);
        }
    }

    #[test]
    fn accept_checks() {
        let head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
        invalid!(format!("{head}\r\n") => HandshakeError::MissingAccept);
        invalid!(with("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") => HandshakeError::DuplicateAccept);
        invalid!(with("sec-websocket-accept: other\r\n") => HandshakeError::DuplicateAccept);
        invalid!(format!("{head}Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo\r\n\r\n") => HandshakeError::WrongAccept);
        invalid!(format!("{head}Sec-WebSocket-Accept: S3PPLMBITXAQ9KYGZZHZRBK+XOO=\r\n\r\n") => HandshakeError::WrongAccept);
        invalid!(format!("{head}Sec-WebSocket-Accept:\r\n\r\n") => HandshakeError::WrongAccept);
    }

    #[test]
    fn extensions_are_never_accepted() {
        invalid!(with("Sec-WebSocket-Extensions: permessage-deflate\r\n") => HandshakeError::UnofferedExtension);
        invalid!(with("Sec-WebSocket-Extensions:\r\nsec-websocket-extensions: x\r\n") => HandshakeError::UnofferedExtension);
    }

    // --- permessage-deflate (RFC 7692 §7.1), through validate_with ---

    /// `validate_with` over a copy of `block`, offering `deflate` and the protocols `offered`:
    /// the chosen protocol as text and what was negotiated.
    fn run_with(
        block: &str,
        offered: &str,
        deflate: Option<PerMessageDeflate>,
    ) -> Result<(Option<String>, Option<Negotiated>), Rejection> {
        let mut copy = block.as_bytes().to_vec();
        let (range, negotiated) =
            validate_with(&mut copy, &accept(), offered, ProtocolCheck::Strict, deflate.as_ref())?;
        Ok((range.map(|r| String::from_utf8_lossy(&copy[r]).into_owned()), negotiated))
    }

    const PLAIN: Option<PerMessageDeflate> = Some(PerMessageDeflate::new());

    #[cfg(feature = "deflate")]
    fn negotiated(server_nct: bool, server_bits: u8) -> Negotiated {
        Negotiated {
            server_no_context_takeover: server_nct,
            client_no_context_takeover: false,
            server_max_window_bits: server_bits,
            client_max_window_bits: 15,
        }
    }

    /// RFC 7692 §5: the server accepts by naming the extension; §7.1 says what its parameters
    /// mean. The protocol is chosen as before.
    #[cfg(feature = "deflate")]
    #[test]
    fn deflate_accepted() {
        let block = with("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n");
        let offer = Some(PerMessageDeflate { server_max_window_bits: Some(10), ..PerMessageDeflate::new() });
        assert_eq!(run_with(&block, "", offer), Ok((None, Some(negotiated(false, 10)))));
        let block = with("Sec-WebSocket-Protocol: chat\r\nsec-websocket-extensions: permessage-deflate\r\n");
        assert_eq!(run_with(&block, "chat", PLAIN), Ok((Some("chat".into()), Some(negotiated(false, 15)))));
    }

    /// RFC 7692 §5: an answer without the extension declines it; the handshake still succeeds.
    #[test]
    fn deflate_declined() {
        assert_eq!(run_with(&with(""), "", PLAIN), Ok((None, None)));
        assert_eq!(run_with(&with("Sec-WebSocket-Extensions:\r\n"), "", PLAIN), Ok((None, None)));
    }

    /// RFC 9110 §5.3: the lines of the header are one list; RFC 9112 §5.2: an obs-fold inside
    /// it is read as spaces.
    #[cfg(feature = "deflate")]
    #[test]
    fn deflate_answer_over_lines_and_folds() {
        let block = with(
            "Sec-WebSocket-Extensions: \r\nSec-WebSocket-Extensions: permessage-deflate;\r\n \
             server_no_context_takeover\r\n",
        );
        assert_eq!(run_with(&block, "", PLAIN), Ok((None, Some(negotiated(true, 15)))));
        let block = with(
            "Sec-WebSocket-Extensions: permessage-deflate\r\nSec-WebSocket-Extensions: permessage-deflate\r\n",
        );
        assert_eq!(
            run_with(&block, "", PLAIN),
            Err(Rejection::Extension(ExtensionError::DuplicateExtension))
        );
    }

    /// RFC 7692 §7: a broken answer fails the handshake with what was wrong. An extension that
    /// was not offered stays `UnofferedExtension` (RFC 6455 §4.1, S8).
    #[cfg(feature = "deflate")]
    #[test]
    fn deflate_refusals() {
        use crate::handshake::extension::DeflateParameter;
        let asked = Some(PerMessageDeflate { server_no_context_takeover: true, ..PerMessageDeflate::new() });
        for (line, offer, want) in [
            ("x-custom", PLAIN, Rejection::Handshake(HandshakeError::UnofferedExtension)),
            ("permessage-deflate, x-custom", PLAIN, Rejection::Handshake(HandshakeError::UnofferedExtension)),
            ("permessage-deflate", None, Rejection::Handshake(HandshakeError::UnofferedExtension)),
            ("permessage-deflate; x=1", PLAIN, Rejection::Extension(ExtensionError::UnknownParameter)),
            ("permessage-deflate;", PLAIN, Rejection::Extension(ExtensionError::Malformed)),
            (
                "permessage-deflate",
                asked,
                Rejection::Extension(ExtensionError::MissingParameter(
                    DeflateParameter::ServerNoContextTakeover,
                )),
            ),
        ] {
            let block = with(&format!("Sec-WebSocket-Extensions: {line}\r\n"));
            assert_eq!(run_with(&block, "", offer), Err(want), "{line}");
        }
    }

    /// The checks keep their order: `Sec-WebSocket-Accept` before the extensions, the
    /// extensions before the subprotocol.
    #[cfg(feature = "deflate")]
    #[test]
    fn deflate_checks_keep_their_place() {
        let head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
        let block = format!(
            "{head}Sec-WebSocket-Accept: wrong\r\nSec-WebSocket-Extensions: permessage-deflate;\r\n\r\n"
        );
        assert_eq!(run_with(&block, "", PLAIN), Err(Rejection::Handshake(HandshakeError::WrongAccept)));
        let block =
            with("Sec-WebSocket-Extensions: permessage-deflate;\r\nSec-WebSocket-Protocol: other\r\n");
        assert_eq!(run_with(&block, "chat", PLAIN), Err(Rejection::Extension(ExtensionError::Malformed)));
    }

    /// `validate` is `validate_with` without an offer, as the task calls it today.
    #[test]
    fn validate_is_validate_with_no_offer() {
        for extra in
            ["", "Sec-WebSocket-Extensions: permessage-deflate\r\n", "Sec-WebSocket-Extensions: ,\r\n"]
        {
            let block = with(extra);
            let old = run(&block, "", ProtocolCheck::Strict);
            let new = run_with(&block, "", None).map(|(protocol, negotiated)| {
                assert_eq!(negotiated, None);
                protocol
            });
            assert_eq!(old.map_err(Rejection::Handshake), new, "{extra:?}");
        }
    }

    // --- subprotocols (S5) ---

    #[test]
    fn protocol_chosen_from_the_offer() {
        valid!(with("Sec-WebSocket-Protocol: chat\r\n"), "superchat, chat" => Some("chat"));
        valid!(with("Sec-WebSocket-Protocol:  v2.chat \r\n"), "chat,v2.chat" => Some("v2.chat"));
        valid!(with("sec-websocket-protocol: chat\r\n"), " chat " => Some("chat"));
    }

    #[test]
    fn protocol_errors() {
        invalid!(with("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n"), "chat" => HandshakeError::MultipleProtocols);
        invalid!(with("Sec-WebSocket-Protocol: a, b\r\n"), "a, b" => HandshakeError::MultipleProtocols);
        invalid!(with("Sec-WebSocket-Protocol: other\r\n"), "chat" => HandshakeError::UnofferedProtocol);
        invalid!(with("Sec-WebSocket-Protocol: Chat\r\n"), "chat" => HandshakeError::UnofferedProtocol);
        invalid!(with("Sec-WebSocket-Protocol: chat\r\n") => HandshakeError::UnofferedProtocol);
        invalid!(with("Sec-WebSocket-Protocol:\r\n"), "chat" => HandshakeError::UnofferedProtocol);
        invalid!(with("Sec-WebSocket-Protocol:\r\n") => HandshakeError::UnofferedProtocol);
        invalid!(with("Sec-WebSocket-Protocol:\r\n"), "a,,b" => HandshakeError::UnofferedProtocol);
        invalid!(with(""), "chat" => HandshakeError::MissingProtocol);
    }

    #[test]
    fn bare_line_feeds_end_the_block_where_httparse_does() {
        // Found by the handshake_response fuzz target: `\r\n\n` ended the block for httparse
        // while the search waited for `\r\n\r\n`, so a second Accept between the two was
        // never validated. Now both end the block at the first empty line.
        let wire = format!("{OK_HEAD}\nSec-WebSocket-Accept: wrong\r\n\r\n");
        let end = find_end(wire.as_bytes(), 0).unwrap();
        assert_eq!(&wire[..end], format!("{OK_HEAD}\n"));
        valid!(&wire[..end]);
        // A block longer than what httparse reads did not come from find_end: refused.
        invalid!(wire => HandshakeError::Malformed(httparse::Error::NewLine));
        // A response with bare line feeds throughout is read as httparse reads it.
        valid!(OK_HEAD.replace("\r\n", "\n") + "\n");
    }

    #[test]
    fn lenient_mode_accepts_no_choice_only() {
        assert_eq!(run(&with(""), "chat", ProtocolCheck::Lenient), Ok(None));
        assert_eq!(run(&with(""), "", ProtocolCheck::Lenient), Ok(None));
        let unoffered = with("Sec-WebSocket-Protocol: x\r\n");
        assert_eq!(run(&unoffered, "chat", ProtocolCheck::Lenient), Err(HandshakeError::UnofferedProtocol));
        let chosen = with("Sec-WebSocket-Protocol: chat\r\n");
        assert_eq!(run(&chosen, "chat", ProtocolCheck::Lenient), Ok(owned(Some("chat"))));
    }

    #[test]
    fn checks_run_in_order() {
        // A 404 with every other problem reports the status.
        invalid!("HTTP/1.1 404 Not Found\r\nSec-WebSocket-Extensions: x\r\n\r\n" => HandshakeError::Status(404));
        // A wrong accept is reported before an unoffered extension or protocol.
        let head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
        let block = format!(
            "{head}Sec-WebSocket-Accept: x\r\nSec-WebSocket-Extensions: y\r\nSec-WebSocket-Protocol: z\r\n\r\n"
        );
        invalid!(block => HandshakeError::WrongAccept);
        // Upgrade before Connection.
        let block = "HTTP/1.1 101 OK\r\nUpgrade: websocket, x\r\nSec-WebSocket-Accept: x\r\n\r\n";
        invalid!(block => HandshakeError::InvalidUpgrade);
    }

    // --- obs-fold (RFC 9112 §5.2) ---

    /// Each fold (`OWS CRLF RWS`, or a bare LF) becomes as many spaces; the value's ends
    /// are trimmed; whitespace that is no fold stays as it was.
    #[test]
    fn obs_fold_is_unfolded_into_spaces() {
        let got = headers_of(&with(
            "X-Long: a\r\n b\r\n\
             X-Tabs: a \t\r\n\t  b\r\n\
             X-Twice: a\r\n b\r\n c\r\n\
             X-Lf: a\n b\r\n\
             X-First:\r\n a\r\n\
             X-Last: a\r\n \r\n\
             X-Only:\r\n \r\n\t\r\n\
             X-Inner: a \t b\r\n",
        ));
        let values: Vec<(&str, &str)> = got.iter().skip(3).map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(
            values,
            [
                ("X-Long", "a   b"),
                ("X-Tabs", "a       b"),
                ("X-Twice", "a   b   c"),
                ("X-Lf", "a  b"),
                ("X-First", "a"),
                ("X-Last", "a"),
                ("X-Only", ""),
                ("X-Inner", "a \t b"),
            ]
        );
    }

    /// The checks read the unfolded values: a fold inside a checked header is whitespace
    /// inside its value, and a folded line is never a header of its own.
    #[test]
    fn obs_fold_in_checked_headers() {
        let status = "HTTP/1.1 101 Switching Protocols\r\n";
        let accept = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
        valid!(format!("{status}Upgrade:\r\n websocket\r\nConnection: Upgrade\r\n{accept}\r\n"));
        valid!(format!("{status}Upgrade: \r\n\twebsocket \r\n \r\nConnection: Upgrade\r\n{accept}\r\n"));
        invalid!(format!("{status}Upgrade: websocket\r\n foo\r\nConnection: Upgrade\r\n{accept}\r\n") => HandshakeError::InvalidUpgrade);
        invalid!(format!("{status}Upgrade: websocket,\r\n foo\r\nConnection: Upgrade\r\n{accept}\r\n") => HandshakeError::InvalidUpgrade);
        valid!(format!("{status}Upgrade: websocket\r\nConnection: keep-alive,\r\n Upgrade\r\n{accept}\r\n"));
        invalid!(format!("{status}Upgrade: websocket\r\nConnection: keep-alive\r\n Upgrade\r\n{accept}\r\n") => HandshakeError::InvalidConnection);
        valid!(format!(
            "{status}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept:\r\n s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
        ));
        invalid!(format!(
            "{status}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYG\r\n zzhZRbK+xOo=\r\n\r\n"
        ) => HandshakeError::WrongAccept);
        valid!(with("Sec-WebSocket-Protocol:\r\n chat\r\n"), "chat" => Some("chat"));
        valid!(with("Sec-WebSocket-Protocol:\n\tchat \r\n"), "chat" => Some("chat"));
        invalid!(with("Sec-WebSocket-Protocol: chat,\r\n superchat\r\n"), "chat, superchat" => HandshakeError::MultipleProtocols);
        invalid!(with("Sec-WebSocket-Protocol: chat\r\n superchat\r\n"), "chat, superchat" => HandshakeError::UnofferedProtocol);
        invalid!(with("Sec-WebSocket-Extensions:\r\n permessage-deflate\r\n") => HandshakeError::UnofferedExtension);
        // Folded into X-Long: a value, not a second Accept, Extensions or Protocol.
        valid!(with("X-Long: a\r\n Sec-WebSocket-Accept: wrong\r\n Sec-WebSocket-Extensions: x\r\n"));
        invalid!(with("X-Long: a\r\n Sec-WebSocket-Protocol: chat\r\n"), "chat" => HandshakeError::MissingProtocol);
    }

    /// RFC 9112 §2.2: whitespace between the start line and the first header field is
    /// rejected (not ignored, not folded into the status line).
    #[test]
    fn whitespace_line_after_the_status_line_is_refused() {
        let malformed = HandshakeError::Malformed(httparse::Error::HeaderName);
        for first in [" X-Fold: a\r\n", "\tX-Fold: a\r\n", " \r\n", " Upgrade: websocket\r\n"] {
            invalid!(OK_HEAD.replacen("\r\n", &format!("\r\n{first}"), 1) + "\r\n" => malformed);
        }
        invalid!("HTTP/1.1 101 OK\n Upgrade: websocket\nConnection: Upgrade\n\n" => malformed);
    }

    // --- the block as validated: in place, only obs-folds replaced ---

    #[test]
    fn validate_leaves_the_lines_in_place_with_folds_as_spaces() {
        let block = "HTTP/1.1 101 Switching Protocols\r\n\
                     upgrade:  WebSocket \r\n\
                     Connection: keep-alive,\r\n\t Upgrade\r\n\
                     Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
                     X-Empty:\r\n\
                     Sec-WebSocket-Protocol:\r\n chat \r\n\
                     \r\n";
        let mut bytes = block.as_bytes().to_vec();
        let chosen = validate(&mut bytes, &accept(), "chat", ProtocolCheck::Strict).unwrap();
        // Each fold (its CR LF and the whitespace around it) became as many spaces; nothing
        // else changed or moved.
        let unfolded = block.replace(",\r\n\t Upgrade", ",    Upgrade").replace(":\r\n chat ", ":   chat ");
        assert_eq!(String::from_utf8_lossy(&bytes), unfolded);
        let lines = accepted_lines(&mut block.as_bytes().to_vec(), "chat");
        let headers = Headers::from_lines(&bytes[..lines]);
        let status = "HTTP/1.1 101 Switching Protocols\r\n".len();
        assert_eq!(headers.as_bytes(), &unfolded.as_bytes()[status..unfolded.len() - 2]);
        assert_eq!(
            headers.iter().collect::<Vec<_>>(),
            [
                ("upgrade", &b"WebSocket"[..]),
                ("Connection", b"keep-alive,    Upgrade"),
                ("Sec-WebSocket-Accept", b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
                ("X-Empty", b""),
                ("Sec-WebSocket-Protocol", b"chat"),
            ]
        );
        let chosen = chosen.unwrap();
        assert_eq!(&bytes[chosen.clone()], b"chat");
        assert_eq!(chosen.start, unfolded.find("chat").unwrap(), "the range points into the block");
    }

    #[test]
    fn the_shortest_blocks_read_back_too() {
        // The status line takes the least room httparse allows, and lines end in bare LFs:
        // the headers are the lines after it, up to the empty line.
        for (block, lines) in [
            (
                "HTTP/1.1 101\nUpgrade:websocket\nConnection:upgrade\nSec-WebSocket-Accept:s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n\n",
                "Upgrade:websocket\nConnection:upgrade\nSec-WebSocket-Accept:s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n",
            ),
            (
                "HTTP/1.1 101\r\nUpgrade:websocket\r\nConnection:upgrade\r\nSec-WebSocket-Accept:s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
                "Upgrade:websocket\r\nConnection:upgrade\r\nSec-WebSocket-Accept:s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
            ),
        ] {
            let mut bytes = block.as_bytes().to_vec();
            let end = accepted_lines(&mut bytes, "");
            assert_eq!(Headers::from_lines(&bytes[..end]).as_bytes(), lines.as_bytes(), "{block:?}");
        }
        // No header lines at all: none; a status line with a `:` is no header.
        assert_eq!(Headers::from_lines(b"HTTP/1.1 101\n").as_bytes(), b"");
        assert_eq!(Headers::from_lines(b"HTTP/1.1 101").as_bytes(), b"");
        assert_eq!(
            Headers::from_lines(b"HTTP/1.1 101 a: b\nA: 1\n").iter().collect::<Vec<_>>(),
            [("A", &b"1"[..])]
        );
        // Empty lines before the status line, which httparse skips: accepted, and made part
        // of the status line, so that the headers are the lines after it.
        let mut bytes = format!("\r\n\n{}", with("A: 1\r\n")).into_bytes();
        let lines = accepted_lines(&mut bytes, "");
        assert_eq!(&bytes[..3], b"   ");
        let headers = Headers::from_lines(&bytes[..lines]);
        assert_eq!(
            headers.as_bytes(),
            &OK_HEAD.as_bytes()[OK_HEAD.find('\n').unwrap() + 1..]
                .iter()
                .chain(b"A: 1\r\n")
                .copied()
                .collect::<Vec<_>>()[..]
        );
        assert_eq!(headers.get("a"), Some(&b"1"[..]));
    }

    // --- Headers ---

    #[test]
    fn headers_iterate_in_order() {
        let block = with("X-Empty:\r\nX-Spaced:  a b \t\r\n");
        let mut bytes = block.into_bytes();
        let lines = accepted_lines(&mut bytes, "");
        let headers = Headers::from_lines(&bytes[..lines]);
        let all: Vec<(&str, &[u8])> = headers.iter().collect();
        assert_eq!(
            all,
            [
                ("Upgrade", &b"websocket"[..]),
                ("Connection", b"Upgrade"),
                ("Sec-WebSocket-Accept", b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
                ("X-Empty", b""),
                ("X-Spaced", b"a b"),
            ]
        );
        assert_eq!(headers.get("connection"), Some(&b"Upgrade"[..]));
        assert_eq!(headers.get("SEC-WEBSOCKET-ACCEPT"), Some(&b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="[..]));
        assert_eq!(headers.get("missing"), None);
        assert_eq!(
            format!("{headers:?}"),
            "{\"Upgrade\": \"websocket\", \"Connection\": \"Upgrade\", \
             \"Sec-WebSocket-Accept\": \"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\", \"X-Empty\": \"\", \"X-Spaced\": \"a b\"}"
        );
    }

    #[test]
    fn headers_get_returns_the_first_value_and_stops_at_the_empty_line() {
        let headers = Headers::new(b"A:1\na:2\n\nB:after\n");
        assert_eq!(headers.get("A"), Some(&b"1"[..]));
        assert_eq!(headers.get("B"), None);
        assert_eq!(headers.iter().count(), 2);
        assert_eq!(headers.as_bytes(), b"A:1\na:2\n");
        assert_eq!(Headers::default().iter().count(), 0);
    }

    #[test]
    fn headers_round_trip_through_as_bytes() {
        for bytes in [
            &b""[..],
            b"\n",
            b"A:1\n",
            b"A:1\n\n\n",
            b"A:1",
            b"A:1\nB:x: y\nno colon\n\xff:v\n\nC:3",
            b":\n:v\n",
        ] {
            let headers = Headers::new(bytes);
            let copy = headers.as_bytes().to_vec();
            let again = Headers::new(&copy);
            assert_eq!(again, headers, "{bytes:?}");
            assert_eq!(again.iter().collect::<Vec<_>>(), headers.iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn headers_survive_any_bytes() {
        for block in [
            &b""[..],
            b"HTTP/1.1 101",
            b"\r\n",
            b"status\r\nno colon\r\n\xff\xfe: bad name\r\nok: 1\r\nunterminated: 2",
            b"status\r\n:\r\n: v\r\n\r",
        ] {
            let headers = Headers::new(block);
            let _ = headers.iter().count();
            let _ = headers.get("ok");
        }
        let headers = Headers::new(b"no colon\n\xff:x\nok:1\nlast:2");
        assert_eq!(headers.iter().collect::<Vec<_>>(), [("ok", &b"1"[..]), ("last", &b"2"[..])]);
        assert_eq!(Headers::new(b":v\n").iter().collect::<Vec<_>>(), [("", &b"v"[..])]);
        assert_eq!(Headers::new(b"a:b:c\n").get("a"), Some(&b"b:c"[..]));
    }

    // --- RFC 6455 §4.1, the client's checks of the response, as one table ---

    macro_rules! status {
        () => {
            "HTTP/1.1 101 Switching Protocols\r\n"
        };
    }
    macro_rules! upgrade {
        () => {
            "Upgrade: websocket\r\n"
        };
    }
    macro_rules! connection {
        () => {
            "Connection: Upgrade\r\n"
        };
    }
    macro_rules! accept {
        () => {
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        };
    }
    /// The 101 status line, `lines`, then the empty line.
    macro_rules! block {
        ($($line:expr),*) => {
            concat!(status!(), $($line,)* "\r\n")
        };
    }
    /// The 101 status line, `Upgrade`, `Connection`, `Sec-WebSocket-Accept`, `lines`, then
    /// the empty line.
    macro_rules! ok_with {
        ($($line:expr),*) => {
            block!(upgrade!(), connection!(), accept!() $(, $line)*)
        };
    }

    /// One row: what it shows, the header block the server sent, the protocols the client
    /// offered, and what RFC 6455 §4.1 (and S5, S8) ask for: the chosen protocol or the error.
    type Row = (&'static str, &'static str, &'static str, Result<Option<&'static str>, HandshakeError>);

    /// The table's rows, one a line: `name: block, offered => expected;`.
    macro_rules! rows {
        ($($name:literal: $block:expr, $offered:literal => $expected:expr;)*) => {
            &[$(($name, $block, $offered, $expected)),*]
        };
    }

    const RULES: &[Row] = {
        use HandshakeError::*;
        use httparse::Error::HeaderName;
        rows! {
            "101 with the three headers": ok_with!(), "" => Ok(None);
            // "If the status code received from the server is not 101, ..."
            "status 200":
                concat!("HTTP/1.1 200 OK\r\n", upgrade!(), connection!(), accept!(), "\r\n"),
                "" => Err(Status(200));
            "status 301":
                "HTTP/1.1 301 Moved Permanently\r\nLocation: wss://example.com/\r\n\r\n",
                "" => Err(Status(301));
            "status 404": "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", "" => Err(Status(404));
            "HTTP/1.0":
                concat!("HTTP/1.0 101 Switching Protocols\r\n", upgrade!(), connection!(), accept!(), "\r\n"),
                "" => Err(Version);
            // Rule 2: Upgrade is "websocket", ASCII case-insensitively.
            "Upgrade missing": block!(connection!(), accept!()), "" => Err(MissingUpgrade);
            "Upgrade another protocol":
                block!("Upgrade: h2c\r\n", connection!(), accept!()), "" => Err(InvalidUpgrade);
            "Upgrade listed, websocket first":
                block!("Upgrade: websocket, foo\r\n", connection!(), accept!()), "" => Err(InvalidUpgrade);
            "Upgrade listed, websocket last":
                block!("Upgrade: h2c, websocket\r\n", connection!(), accept!()), "" => Err(InvalidUpgrade);
            "Upgrade duplicated":
                block!(upgrade!(), upgrade!(), connection!(), accept!()), "" => Err(InvalidUpgrade);
            "Upgrade on two lines":
                block!("Upgrade: h2c\r\n", upgrade!(), connection!(), accept!()), "" => Err(InvalidUpgrade);
            "Upgrade empty": block!("Upgrade:\r\n", connection!(), accept!()), "" => Err(InvalidUpgrade);
            "Upgrade a longer word":
                block!("Upgrade: websockets\r\n", connection!(), accept!()), "" => Err(InvalidUpgrade);
            "Upgrade in any case, with OWS":
                block!("upgrade: \t WebSocket \t\r\n", connection!(), accept!()), "" => Ok(None);
            // Rule 3: Connection holds the token "Upgrade".
            "Connection missing": block!(upgrade!(), accept!()), "" => Err(MissingConnection);
            "Connection without upgrade":
                block!(upgrade!(), "Connection: keep-alive\r\n", accept!()), "" => Err(InvalidConnection);
            "Connection empty":
                block!(upgrade!(), "Connection:\r\n", accept!()), "" => Err(InvalidConnection);
            "Connection as a token list":
                block!(upgrade!(), "Connection: keep-alive, Upgrade\r\n", accept!()), "" => Ok(None);
            "Connection list in any case, with OWS":
                block!(upgrade!(), "connection: close ,\tUPGRADE \r\n", accept!()), "" => Ok(None);
            "Connection on several lines":
                block!(upgrade!(), "Connection: keep-alive\r\nConnection: upgrade\r\n", accept!()),
                "" => Ok(None);
            "Connection upgrade not a token":
                block!(upgrade!(), "Connection: keep-alive upgrade\r\n", accept!()),
                "" => Err(InvalidConnection);
            // Rule 4: one Sec-WebSocket-Accept, the key's digest, surrounding whitespace ignored.
            "Accept missing": block!(upgrade!(), connection!()), "" => Err(MissingAccept);
            "Accept of another key":
                block!(upgrade!(), connection!(), "Sec-WebSocket-Accept: HSmrc0sMlYUkAGmm5OPpG2HaGWk=\r\n"),
                "" => Err(WrongAccept);
            "Accept in another case":
                block!(upgrade!(), connection!(), "Sec-WebSocket-Accept: S3PPLMBITXAQ9KYGZZHZRBK+XOO=\r\n"),
                "" => Err(WrongAccept);
            "Accept duplicated": ok_with!(accept!()), "" => Err(DuplicateAccept);
            "Accept trimmed":
                block!(upgrade!(), connection!(), "Sec-WebSocket-Accept:", " \t s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \t\r\n"),
                "" => Ok(None);
            // Rule 5: no extension the client did not offer (it offers none).
            "an unoffered extension":
                ok_with!("Sec-WebSocket-Extensions: permessage-deflate\r\n"), "" => Err(UnofferedExtension);
            // Rule 6 and S5: one offered protocol, compared exactly; none only when lenient.
            "protocol missing (strict)": ok_with!(), "chat" => Err(MissingProtocol);
            "protocol unoffered":
                ok_with!("Sec-WebSocket-Protocol: other\r\n"), "chat" => Err(UnofferedProtocol);
            "protocol when none offered":
                ok_with!("Sec-WebSocket-Protocol: chat\r\n"), "" => Err(UnofferedProtocol);
            "protocols, two in a line":
                ok_with!("Sec-WebSocket-Protocol: chat, superchat\r\n"),
                "chat, superchat" => Err(MultipleProtocols);
            "protocols, two lines":
                ok_with!("Sec-WebSocket-Protocol: chat\r\n", "Sec-WebSocket-Protocol: superchat\r\n"),
                "chat, superchat" => Err(MultipleProtocols);
            "protocol empty": ok_with!("Sec-WebSocket-Protocol:\r\n"), "chat" => Err(UnofferedProtocol);
            "protocol chosen from the offer":
                ok_with!("Sec-WebSocket-Protocol: chat\r\n"), "superchat, chat" => Ok(Some("chat"));
            "protocol compared case-sensitively":
                ok_with!("Sec-WebSocket-Protocol: Chat\r\n"), "chat" => Err(UnofferedProtocol);
            // RFC 9112 §5.2: obs-fold is replaced with spaces before the value is interpreted.
            "obs-fold in an unrelated header": ok_with!("X-Long: a\r\n b\r\n"), "" => Ok(None);
            "obs-fold with tabs, twice": ok_with!("X-Long: a\r\n\tb\r\n \t c\r\n"), "" => Ok(None);
            "obs-fold of a blank line": ok_with!("X-Long: a\r\n \r\n"), "" => Ok(None);
            "obs-fold inside Sec-WebSocket-Protocol":
                ok_with!("Sec-WebSocket-Protocol:\r\n chat\r\n"), "chat" => Ok(Some("chat"));
            "obs-fold joining two protocols":
                ok_with!("Sec-WebSocket-Protocol: chat,\r\n superchat\r\n"),
                "chat, superchat" => Err(MultipleProtocols);
            "obs-fold inside Upgrade's value":
                block!("Upgrade:\r\n websocket\r\n", connection!(), accept!()), "" => Ok(None);
            "obs-fold adding a word to Upgrade":
                block!("Upgrade: websocket\r\n foo\r\n", connection!(), accept!()), "" => Err(InvalidUpgrade);
            "obs-fold inside Connection's list":
                block!(upgrade!(), "Connection: keep-alive,\r\n Upgrade\r\n", accept!()), "" => Ok(None);
            "obs-fold inside Sec-WebSocket-Accept":
                block!(upgrade!(), connection!(), "Sec-WebSocket-Accept:", "\r\n s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
                "" => Ok(None);
            "obs-fold hiding nothing":
                ok_with!("X-Long: a\r\n Sec-WebSocket-Accept: wrong\r\n"), "" => Ok(None);
            "obs-fold after a bare LF": ok_with!("X-Long: a\n b\r\n"), "" => Ok(None);
            // RFC 9112 §2.2: whitespace after the start line: reject (the choice made here).
            "whitespace line after the status line":
                block!(" X-Fold: a\r\n", upgrade!(), connection!(), accept!()),
                "" => Err(Malformed(HeaderName));
            "Upgrade indented after the status line":
                block!("\tUpgrade: websocket\r\n", connection!(), accept!()),
                "" => Err(Malformed(HeaderName));
            // RFC 9112 §2.2: "a recipient MAY recognize a single LF as a line terminator".
            "bare LF line ends":
                "HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\n\
                 Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n\n",
                "" => Ok(None);
            "bare LF with a protocol":
                "HTTP/1.1 101 OK\nUpgrade: websocket\nConnection: Upgrade\n\
                 Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\nSec-WebSocket-Protocol: chat\n\n",
                "chat" => Ok(Some("chat"));
            "bare LF and CRLF mixed":
                "HTTP/1.1 101 OK\r\nUpgrade: websocket\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n\r\n",
                "" => Ok(None);
        }
    };

    /// Every row is checked, and every wrong row reported at once.
    #[test]
    fn rfc6455_section_4_1_response_rules() {
        let mut wrong = vec![];
        for &(name, block, offered, expected) in RULES {
            assert_eq!(find_end(block.as_bytes(), 0), Some(block.len()), "{name}: one whole header block");
            let got = run(block, offered, ProtocolCheck::Strict);
            let expected = expected.map(owned);
            if got != expected {
                wrong.push(format!("{name}: got {got:?}, expected {expected:?}"));
            }
        }
        assert!(wrong.is_empty(), "{} of {} rows wrong:\n{}", wrong.len(), RULES.len(), wrong.join("\n"));
    }

    // --- find_end ---

    #[test]
    fn find_end_over_every_split_point() {
        let block = with("Sec-WebSocket-Protocol: chat\r\n");
        let wire = format!("{block}\u{81}\u{2}hi");
        let wire = wire.as_bytes();
        let mut searched = 0;
        let mut found = Vec::new();
        for n in 0..=wire.len() {
            match find_end(&wire[..n], searched) {
                Some(end) => {
                    found.push((n, end));
                    break;
                }
                None => searched = n,
            }
        }
        assert_eq!(found, [(block.len(), block.len())], "found once, as soon as the terminator is whole");
        // `from` is how far a search got without a match: anything short of the end.
        for from in 0..block.len() {
            assert_eq!(find_end(wire, from), Some(block.len()), "resuming from {from}");
        }
    }

    #[test]
    fn find_end_edge_cases() {
        assert_eq!(find_end(b"", 0), None);
        assert_eq!(find_end(b"\r\n\r\n", 0), Some(4));
        assert_eq!(find_end(b"\r\n\r\n", 3), Some(4));
        assert_eq!(find_end(b"\r\n\r", 0), None);
        assert_eq!(find_end(b"a\r\n\r\n", 100), None);
        assert_eq!(find_end(b"a\r\n\r\nb\r\n\r\n", 0), Some(5), "the first terminator ends the block");
        assert_eq!(find_end(b"a\r\n\r\n", usize::MAX), None);
        // Bare line feeds end the block where httparse ends it.
        assert_eq!(find_end(b"a\n\nb", 0), Some(3));
        assert_eq!(find_end(b"a\r\n\nb", 0), Some(4));
        assert_eq!(find_end(b"a\n\r\nb", 0), Some(4));
        assert_eq!(find_end(b"a\r\n\n", 3), Some(4), "resumed two bytes back");
        assert_eq!(find_end(b"a\r\rb", 0), None);
        // An obs-fold is no empty line, not even a blank one.
        assert_eq!(find_end(b"a\r\n \r\n\r\n", 0), Some(8));
        assert_eq!(find_end(b"a\n\t\n\n", 0), Some(5));
    }

    // --- properties ---

    /// `validate_with` as it was before it became one pass over the fields (flash and time,
    /// issue 13), kept word for word as the reference the new one must agree with.
    mod reference {
        use core::ops::Range;

        use super::super::{Headers, MAX_RESPONSE_HEADERS, ProtocolCheck, Rejection};
        use crate::error::HandshakeError;
        use crate::handshake::Accept;
        use crate::handshake::extension::{Negotiated, PerMessageDeflate, negotiate};

        pub(super) fn validate_with(
            block: &mut [u8],
            accept: &Accept,
            offered: &str,
            check: ProtocolCheck,
            deflate: Option<&PerMessageDeflate>,
        ) -> Result<(Option<Range<usize>>, Option<Negotiated>), Rejection> {
            let fields = parse(block)?;
            rewrite(block, &fields);
            let block: &[u8] = block;
            let headers = Headers::new(block);
            check_upgrade(headers)?;
            check_connection(headers)?;
            check_accept(headers, accept)?;
            // RFC 6455 §4.1: "If the response includes a |Sec-WebSocket-Extensions| header field and
            // this header field indicates the use of an extension that was not present in the
            // client's handshake (the server has indicated an extension not requested by the
            // client), the client MUST _Fail the WebSocket Connection_." Without an offer, any
            // non-empty value fails; with one, RFC 7692's rules decide.
            let negotiated = negotiate(named(headers, "sec-websocket-extensions"), deflate)?;
            let chosen = chosen_protocol(headers, offered, check)?;
            Ok((chosen.map(|value| range_in(block, value)).transpose()?, negotiated))
        }

        /// Where one header field's name and value lie in the block, as httparse found them.
        #[derive(Clone, Debug)]
        struct Field {
            name: Range<usize>,
            value: Range<usize>,
        }

        /// httparse's one parse of `block`: the status line's checks, and where each field lies.
        fn parse(block: &[u8]) -> Result<heapless::Vec<Field, MAX_RESPONSE_HEADERS>, HandshakeError> {
            let mut storage = [httparse::EMPTY_HEADER; MAX_RESPONSE_HEADERS];
            let mut response = httparse::Response::new(&mut storage);
            let parsed = httparse::ParserConfig::default()
                .allow_obsolete_multiline_headers_in_responses(true)
                .parse_response(&mut response, block);
            match parsed {
                // The block must be exactly what httparse read: `find_end` ends it at the same empty
                // line, so a shorter parse means a block that did not come from `find_end`.
                Ok(httparse::Status::Complete(n)) if n == block.len() => {}
                Ok(_) => return Err(HandshakeError::Malformed(httparse::Error::NewLine)),
                Err(e) => return Err(HandshakeError::Malformed(e)),
            }
            if response.version != Some(1) {
                return Err(HandshakeError::Version);
            }
            // RFC 6455 §4.1: "If the status code received from the server is not 101, the client
            // handles the response per HTTP procedures" — for this client, a failed handshake (S2).
            match response.code {
                Some(101) => {}
                code => return Err(HandshakeError::Status(code.unwrap_or(0))),
            }
            let mut fields = heapless::Vec::new();
            for header in response.headers.iter() {
                let field = Field {
                    name: range_in(block, header.name.as_bytes())?,
                    value: range_in(block, header.value)?,
                };
                // Never full: httparse parses at most `MAX_RESPONSE_HEADERS` fields (into `storage`).
                let _ = fields.push(field);
            }
            Ok(fields)
        }

        /// Writes `fields` over `block` as [`Headers`] lines, `name:value\n` each with the value
        /// unfolded, then the empty line that ends them (a `\n`). (Before issue 13's last flash
        /// round it filled the rest of the block with `\n`: only the first of those is read.)
        ///
        /// Every byte is read before it is overwritten: the lines are written front to back from
        /// offset 0, and the write position never passes the start of the field being copied. The
        /// first field comes after the status line; each `name:value\n` is at most as long as the
        /// original from its name to its line break (the `:` stays, the spaces around the value go,
        /// the value keeps its length, a `\r\n` becomes `\n`). So each copy only moves bytes towards
        /// the front, and the block's last byte, part of its final empty line, always becomes `\n`.
        fn rewrite(block: &mut [u8], fields: &[Field]) {
            let mut at = 0;
            for field in fields {
                at = move_to(block, field.name.clone(), at);
                at = put(block, at, b':');
                let value = at;
                at = move_to(block, field.value.clone(), at);
                unfold(block.get_mut(value..at).unwrap_or_default());
                at = put(block, at, b'\n');
            }
            put(block, at, b'\n');
        }

        /// Copies `block[from]` to `block[to..]` (`to` at or before `from.start`); returns where the
        /// copy ends. Out-of-bounds ranges, impossible for httparse's fields, copy nothing.
        fn move_to(block: &mut [u8], from: Range<usize>, to: usize) -> usize {
            let end = to.saturating_add(from.len());
            if from.start <= from.end && from.end <= block.len() && end <= block.len() {
                block.copy_within(from, to);
            }
            end
        }

        /// Writes `byte` at `at`; returns the next position.
        fn put(block: &mut [u8], at: usize, byte: u8) -> usize {
            if let Some(slot) = block.get_mut(at) {
                *slot = byte;
            }
            at.saturating_add(1)
        }

        /// Replaces each obs-fold in `value` with spaces, in place (RFC 9112 §5.2, `obs-fold = OWS
        /// CRLF RWS`): every run of spaces, tabs, CRs and LFs that holds a line break becomes as
        /// many SP octets. httparse leaves a line break inside a value only where a fold continued
        /// it, and trims the value's ends; runs without a line break (`a \t b`) are left alone.
        fn unfold(value: &mut [u8]) {
            let (mut run, mut folded) = (0, false);
            for i in 0..=value.len() {
                match value.get(i) {
                    Some(b' ' | b'\t') => {}
                    Some(b'\r' | b'\n') => folded = true,
                    _ => {
                        if folded {
                            value.get_mut(run..i).unwrap_or_default().fill(b' ');
                        }
                        (run, folded) = (i + 1, false);
                    }
                }
            }
        }

        /// RFC 6455 §4.1, client rule 2: "If the response lacks an |Upgrade| header field or the
        /// |Upgrade| header field contains a value that is not an ASCII case-insensitive match for
        /// the value "websocket", the client MUST _Fail the WebSocket Connection_."
        ///
        /// So the value is `websocket` alone, not a list holding it (S8: `Upgrade: websocket, foo`
        /// fails). A second `Upgrade` line fails too: lines of one field make one comma-separated
        /// value (RFC 9110 §5.3), which is then no match either.
        fn check_upgrade(headers: Headers<'_>) -> Result<(), HandshakeError> {
            let mut values = named(headers, "upgrade");
            let value = values.next().ok_or(HandshakeError::MissingUpgrade)?;
            match (value.eq_ignore_ascii_case(b"websocket"), values.next()) {
                (true, None) => Ok(()),
                _ => Err(HandshakeError::InvalidUpgrade),
            }
        }

        /// RFC 6455 §4.1, client rule 3: "If the response lacks a |Connection| header field or the
        /// |Connection| header field doesn't contain a token that is an ASCII case-insensitive match
        /// for the value "Upgrade", the client MUST _Fail the WebSocket Connection_."
        ///
        /// `Connection` is a comma-separated list of tokens (RFC 9110 §7.6.1), and several lines
        /// make one list (§5.3): `keep-alive, Upgrade` holds the token, `keep-alive upgrade` does not.
        fn check_connection(headers: Headers<'_>) -> Result<(), HandshakeError> {
            let mut present = false;
            for value in named(headers, "connection") {
                present = true;
                if value.split(|&b| b == b',').any(|t| trim_ows(t).eq_ignore_ascii_case(b"upgrade")) {
                    return Ok(());
                }
            }
            Err(if present { HandshakeError::InvalidConnection } else { HandshakeError::MissingConnection })
        }

        /// RFC 6455 §4.1: "If the response lacks a |Sec-WebSocket-Accept| header field or the
        /// |Sec-WebSocket-Accept| contains a value other than the base64-encoded SHA-1 of the
        /// concatenation of the |Sec-WebSocket-Key| (as a string, not base64-decoded) with the
        /// string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" but ignoring any leading and trailing
        /// whitespace, the client MUST _Fail the WebSocket Connection_." More than one is refused
        /// too (RFC 6455 §11.3.3: it "MUST NOT appear more than once in an HTTP response"). The
        /// value is already trimmed ([`Headers`]).
        fn check_accept(headers: Headers<'_>, accept: &Accept) -> Result<(), HandshakeError> {
            let mut values = named(headers, "sec-websocket-accept");
            let value = values.next().ok_or(HandshakeError::MissingAccept)?;
            if values.next().is_some() {
                return Err(HandshakeError::DuplicateAccept);
            }
            if value != accept.as_bytes() {
                return Err(HandshakeError::WrongAccept);
            }
            Ok(())
        }

        /// RFC 6455 §4.1: "If the response includes a |Sec-WebSocket-Protocol| header field and this
        /// header field indicates the use of a subprotocol that was not present in the client's
        /// handshake (the server has indicated a subprotocol not requested by the client), the client
        /// MUST _Fail the WebSocket Connection_." The server selects "one or none" (§4.2.2), so more
        /// than one is refused; none when some were offered is refused in strict mode (S5).
        ///
        /// A header present with an empty value counts as choosing `""`, which is never offered.
        /// Protocol names compare case-sensitively (§4.1 asks for the client's "exact" values).
        fn chosen_protocol<'a>(
            headers: Headers<'a>,
            offered: &str,
            check: ProtocolCheck,
        ) -> Result<Option<&'a [u8]>, HandshakeError> {
            let mut values = named(headers, "sec-websocket-protocol");
            let Some(value) = values.next() else {
                return match (offered_list(offered).next().is_some(), check) {
                    (true, ProtocolCheck::Strict) => Err(HandshakeError::MissingProtocol),
                    _ => Ok(None),
                };
            };
            if values.next().is_some() || value.contains(&b',') {
                return Err(HandshakeError::MultipleProtocols);
            }
            if !offered_list(offered).any(|p| p.as_bytes() == value) {
                return Err(HandshakeError::UnofferedProtocol);
            }
            Ok(Some(value))
        }

        /// The protocols of the list as sent (`"a, b"`): split on `,`, spaces trimmed, empties left
        /// out.
        fn offered_list(offered: &str) -> impl Iterator<Item = &str> {
            offered.split(',').map(|p| p.trim_matches(' ')).filter(|p| !p.is_empty())
        }

        /// The values of every header called `name` (ASCII case-insensitive), in order.
        fn named<'a>(headers: Headers<'a>, name: &str) -> impl Iterator<Item = &'a [u8]> {
            headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
        }

        /// Strips optional whitespace (RFC 9110 §5.6.3 `OWS`: spaces and tabs) from both ends.
        fn trim_ows(mut s: &[u8]) -> &[u8] {
            while let [b' ' | b'\t', rest @ ..] = s {
                s = rest;
            }
            while let [rest @ .., b' ' | b'\t'] = s {
                s = rest;
            }
            s
        }

        /// Where `part`, a sub-slice of `block`, lies inside it (computed from addresses; no
        /// `unsafe`). An empty part is `0..0`, wherever it points: there is nothing to find. A slice
        /// from elsewhere is reported as a malformed value, never a panic.
        fn range_in(block: &[u8], part: &[u8]) -> Result<Range<usize>, HandshakeError> {
            if part.is_empty() {
                return Ok(0..0);
            }
            let start = part.as_ptr().addr().wrapping_sub(block.as_ptr().addr());
            let end = start.checked_add(part.len()).filter(|&end| end <= block.len());
            match end {
                Some(end) if block.get(start..end) == Some(part) => Ok(start..end),
                _ => Err(HandshakeError::Malformed(httparse::Error::HeaderValue)),
            }
        }
    }

    /// `validate_block` and the reference on a copy of `block` each: the same result (the
    /// chosen protocol compared by its bytes), and after `Ok` the same headers, read from the
    /// block in place as the reference read its rewritten one.
    fn agrees_with_reference(
        block: &[u8],
        offered: &str,
        check: ProtocolCheck,
        deflate: Option<PerMessageDeflate>,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let (mut new, mut old) = (block.to_vec(), block.to_vec());
        let got = validate_block(&mut new, &accept(), offered, check, deflate.as_ref());
        let want = reference::validate_with(&mut old, &accept(), offered, check, deflate.as_ref());
        // The reference rewrote the block (`name:value\n` lines); this one leaves it in place:
        // the chosen protocols compare by their bytes, the headers by what they read as.
        let chosen = |result: &Result<(Option<Range<usize>>, Option<Negotiated>), Rejection>,
                      bytes: &[u8]| {
            result.clone().map(|(protocol, negotiated)| (protocol.map(|r| bytes[r].to_vec()), negotiated))
        };
        let got_pair = got.clone().map(|a| (a.protocol, a.negotiated));
        proptest::prop_assert_eq!(
            chosen(&got_pair, &new),
            chosen(&want, &old),
            "{:?}",
            String::from_utf8_lossy(block)
        );
        if std::env::var_os("REF_STATS").is_some() {
            std::eprintln!("REF {}", if got.is_ok() { "ok" } else { "err" });
        }
        if let Ok(accepted) = got {
            let headers = Headers::from_lines(&new[..accepted.lines]);
            let reference = Headers::new(&old);
            proptest::prop_assert_eq!(
                headers.iter().collect::<Vec<_>>(),
                reference.iter().collect::<Vec<_>>(),
                "{:?}",
                String::from_utf8_lossy(block)
            );
            // A copy of the lines reads the same.
            proptest::prop_assert_eq!(Headers::new(headers.as_bytes()), headers);
            // The block keeps its length and every byte but the folds'.
            proptest::prop_assert_eq!(new.len(), block.len());
            for (i, (&now, &was)) in new.iter().zip(block).enumerate() {
                proptest::prop_assert!(
                    now == was || now == b' ' && b" \t\r\n".contains(&was),
                    "byte {} of {:?}",
                    i,
                    String::from_utf8_lossy(block)
                );
            }
        }
        Ok(())
    }

    /// A response as the reference comparison draws it: a status line, then lines made of
    /// the names and values the checks read (in any case, with folds, spaces, bare `\n`s).
    fn response_strategy() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let status = proptest::sample::select(
            &[
                "HTTP/1.1 101 Switching Protocols",
                "HTTP/1.1 101 Switching Protocols",
                "HTTP/1.1 101 ",
                "HTTP/1.1 101",
                "HTTP/1.1 101 Switching Protocols",
                "HTTP/1.0 101 OK",
                "HTTP/1.1 200 OK",
            ][..],
        );
        let name = proptest::sample::select(
            &[
                "Upgrade",
                "upgrade",
                "UPGRADE",
                "Connection",
                "connection",
                "Sec-WebSocket-Accept",
                "sec-websocket-accept",
                "Sec-WebSocket-Protocol",
                "sec-websocket-protocol",
                "Sec-WebSocket-Extensions",
                "sec-websocket-extensions",
                "Server",
                "X-Upgrade",
                "Upgrades",
                "",
                " Upgrade",
            ][..],
        );
        let value = proptest::sample::select(
            &[
                "websocket",
                "WebSocket",
                "websocket, x",
                "Upgrade",
                "keep-alive, Upgrade",
                "keep-alive upgrade",
                "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
                " s3pPLMBiTxaQ9kYGzzhZRbK+xOo= ",
                "wrong",
                "chat",
                "superchat",
                "chat, superchat",
                "",
                " ",
                "permessage-deflate",
                "permessage-deflate; server_max_window_bits=10",
                "permessage-deflate;",
                "x-custom",
                ",",
                "a\r\n b",
                "a\n\tb",
                "\r\n websocket",
                "caf\u{e9}",
            ][..],
        );
        let sep = proptest::sample::select(&[": ", ":", ":\t", " : "][..]);
        let eol = proptest::sample::select(&["\r\n", "\r\n", "\n"][..]);
        let line = (name, sep, value, eol.clone()).prop_map(|(n, s, v, e)| format!("{n}{s}{v}{e}"));
        let eol = proptest::sample::select(&["\r\n", "\r\n", "\r\n", "\n"][..]);
        // Mostly the three lines a 101 needs, among the others, in any order.
        let needed = proptest::collection::vec(proptest::bool::weighted(0.9), 3).prop_map(|keep| {
            [
                "Upgrade: websocket\r\n",
                "Connection: Upgrade\r\n",
                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
            ]
            .into_iter()
            .zip(keep)
            .filter(|&(_, keep)| keep)
            .map(|(line, _)| line.to_string())
            .collect::<Vec<_>>()
        });
        let lines = (needed, proptest::collection::vec(line, 0..5))
            .prop_map(|(mut needed, others)| {
                needed.extend(others);
                needed
            })
            .prop_shuffle();
        (status, eol.clone(), lines, eol)
            .prop_map(|(status, e1, lines, e2)| format!("{status}{e1}{}{e2}", lines.concat()).into_bytes())
    }

    /// `find_end` as it was before it read the line breaks of a word where it reads the word
    /// (a call of `find_newline` per line): the reference it must agree with.
    fn find_end_reference(buf: &[u8], from: usize) -> Option<usize> {
        let mut at = from.saturating_sub(2);
        loop {
            let newline = find_newline(buf, at)?;
            match (buf.get(newline + 1), buf.get(newline + 2)) {
                (Some(b'\n'), _) => return Some(newline + 2),
                (Some(b'\r'), Some(b'\n')) => return Some(newline + 3),
                _ => at = newline + 1,
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(4096))]

        /// Line breaks of every kind at every offset of a word, with `\x0b` (the byte the
        /// word-wise zero-byte test may flag just above a `\n`) and every resume point.
        #[test]
        fn find_end_agrees_with_the_reference(
            buf in proptest::collection::vec(proptest::sample::select(&[b'\r', b'\n', b'\x0b', b' ', b'a'][..]), 0..40),
            from in 0usize..44,
        ) {
            proptest::prop_assert_eq!(find_end(&buf, from), find_end_reference(&buf, from), "{:?} from {}", buf, from);
        }

        #[test]
        fn validate_agrees_with_the_reference(
            block in response_strategy(),
            offered in proptest::sample::select(&["", "chat", "chat, superchat", " , ", "superchat,chat"][..]),
            lenient in proptest::bool::ANY,
            deflate in proptest::option::of(proptest::option::of(8u8..=16)),
        ) {
            let check = if lenient { ProtocolCheck::Lenient } else { ProtocolCheck::Strict };
            let deflate = deflate.map(|bits| PerMessageDeflate { server_max_window_bits: bits, ..PerMessageDeflate::new() });
            // Without the `deflate` feature no offer is ever sent: compare without one.
            let deflate = deflate.filter(|_| cfg!(feature = "deflate"));
            // The block as `find_end` ends it, and any block at all.
            if let Some(end) = find_end(&block, 0) {
                agrees_with_reference(&block[..end], offered, check, deflate)?;
            }
            agrees_with_reference(&block, offered, check, deflate)?;
        }

        #[test]
        fn validate_agrees_with_the_reference_on_any_bytes(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256),
            offered in "[a-z, ]{0,12}",
        ) {
            let mut block = b"HTTP/1.1 101 Switching Protocols\r\n".to_vec();
            block.extend_from_slice(&bytes);
            agrees_with_reference(&block, &offered, ProtocolCheck::Strict, None)?;
        }

        #[test]
        fn find_newline_is_a_plain_search(bytes in proptest::collection::vec(proptest::sample::select(&b"\na\x0b\x8a\t"[..]), 0..40), from in 0usize..44) {
            let plain = bytes.get(from..).and_then(|rest| rest.iter().position(|&b| b == b'\n')).map(|i| from + i);
            proptest::prop_assert_eq!(find_newline(&bytes, from), plain);
        }

        #[test]
        fn headers_end_where_the_plain_search_ends_them(bytes in proptest::collection::vec(proptest::sample::select(&b"\na:"[..]), 0..24)) {
            let end = match bytes.first() {
                Some(b'\n') => 0,
                _ => bytes.windows(2).position(|w| w == b"\n\n").map_or(bytes.len(), |i| i + 1),
            };
            proptest::prop_assert_eq!(Headers::new(&bytes).as_bytes(), &bytes[..end]);
        }

        /// The same with CR LF line ends among bare LFs: the lines end at the first line that
        /// is empty (`\n` or `\r\n` where a line starts), and a copy reads the same.
        #[test]
        fn headers_end_at_the_first_empty_line(bytes in proptest::collection::vec(proptest::sample::select(&b"\r\na: "[..]), 0..24)) {
            let empty_at = |i: usize| bytes[i..].starts_with(b"\n") || bytes[i..].starts_with(b"\r\n");
            let end = if empty_at(0) {
                0
            } else {
                (0..bytes.len()).find(|&i| bytes[i] == b'\n' && empty_at(i + 1)).map_or(bytes.len(), |i| i + 1)
            };
            let headers = Headers::new(&bytes);
            proptest::prop_assert_eq!(headers.as_bytes(), &bytes[..end]);
            proptest::prop_assert_eq!(Headers::new(headers.as_bytes()), headers);
            for (_, value) in headers.iter() {
                let trimmed = |b: Option<&u8>| b.is_some_and(|b| b" \t\r".contains(b));
                proptest::prop_assert!(!trimmed(value.first()) && !trimmed(value.last()) && !value.contains(&b'\n'));
            }
        }

        /// httparse completes a buffer that starts with its status line exactly where
        /// `find_end` ends the block: `parse_whole` may stand for the search.
        #[test]
        fn parse_whole_ends_the_block_where_find_end_does(
            block in response_strategy(),
            tail in proptest::collection::vec(proptest::sample::select(&b"\r\n :aH"[..]), 0..8),
            cut in 0usize..200,
        ) {
            let mut buffered = block.clone();
            buffered.extend_from_slice(&tail);
            let buffered = &buffered[..cut.min(buffered.len())];
            let mut fields = Fields::new();
            if let Some(parsed) = parse_whole(buffered, &mut fields) {
                proptest::prop_assert_eq!(Some(parsed.end), find_end(buffered, 0));
                // And the block validates as it would once `find_end` delimited it.
                let mut whole = buffered[..parsed.end].to_vec();
                let mut again = whole.clone();
                let fast = judge(&mut whole, &fields, parsed, &accept(), "", ProtocolCheck::Lenient, None);
                let slow = validate_block(&mut again, &accept(), "", ProtocolCheck::Lenient, None);
                proptest::prop_assert_eq!(fast, slow);
                proptest::prop_assert_eq!(whole, again);
            }
        }

        #[test]
        fn validate_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512), offered in "[a-z, ]{0,12}") {
            let mut block = bytes.clone();
            let result = validate(&mut block, &accept(), &offered, ProtocolCheck::Strict);
            proptest::prop_assert_eq!(block.len(), bytes.len());
            if let Ok(Some(range)) = result {
                proptest::prop_assert!(block.get(range).is_some());
            }
            let _ = find_end(&bytes, bytes.len() / 2);
            let _ = Headers::new(&bytes).iter().count();
        }

        /// Near-valid responses with folds anywhere: whatever `validate` accepts, its headers
        /// read back with no line break in a value, and the chosen protocol is the header's.
        #[test]
        fn validate_reads_back_what_it_accepts(
            extra in "([A-Za-z-]{1,8}:[ \t]{0,2}[a-z,]{0,8}(\r?\n[ \t][ a-z,]{0,4})?\r?\n){0,4}",
            offered in "[a-z, ]{0,8}",
        ) {
            let block = with(&extra);
            let mut bytes = block.clone().into_bytes();
            if let Ok(accepted) = validate_block(&mut bytes, &accept(), &offered, ProtocolCheck::Lenient, None) {
                let chosen = accepted.protocol;
                let headers = Headers::from_lines(&bytes[..accepted.lines]);
                proptest::prop_assert!(headers.iter().count() >= 3);
                for (name, value) in headers.iter() {
                    proptest::prop_assert!(!name.is_empty() && !value.contains(&b'\n') && !value.contains(&b'\r'));
                    proptest::prop_assert_eq!(value.first().is_some_and(|b| b" \t".contains(b)), false);
                    proptest::prop_assert_eq!(value.last().is_some_and(|b| b" \t".contains(b)), false);
                }
                let protocol = headers.get("sec-websocket-protocol");
                proptest::prop_assert_eq!(chosen.map(|r| &bytes[r]), protocol);
                // The lines end where the block's empty line starts, and read back the same.
                proptest::prop_assert_eq!(&bytes[accepted.lines..], b"\r\n");
                proptest::prop_assert_eq!(Headers::new(headers.as_bytes()), headers);
            }
        }

        #[test]
        fn find_end_agrees_with_a_plain_search_near_newlines(bytes in proptest::collection::vec(proptest::sample::select(&b"\r\n\x0b\x0e\x8a\x8d\x0a\x0d\x00\xffa"[..]), 0..80)) {
            let lf_lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
            let lf_crlf = bytes.windows(3).position(|w| w == b"\n\r\n").map(|i| i + 3);
            let plain = match (lf_lf, lf_crlf) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            proptest::prop_assert_eq!(find_end(&bytes, 0), plain);
        }

        #[test]
        fn eq_folded_is_eq_ignore_ascii_case_for_tokens_and_letters(
            bytes in "[!#$%&'*+.^_`|~0-9A-Za-z-]{0,26}",
            which in 0usize..7,
            case in proptest::num::u32::ANY,
        ) {
            let lower: &[u8] = [
                &b"upgrade"[..], b"connection", b"sec-websocket-accept", b"sec-websocket-protocol",
                b"sec-websocket-extensions", b"websocket", b"",
            ][which];
            proptest::prop_assert_eq!(eq_folded(bytes.as_bytes(), lower), bytes.as_bytes().eq_ignore_ascii_case(lower));
            // The same name in a random case matches.
            let mixed: Vec<u8> = lower
                .iter()
                .enumerate()
                .map(|(i, &l)| if case >> (i % 32) & 1 == 1 { l.to_ascii_uppercase() } else { l })
                .collect();
            proptest::prop_assert!(eq_folded(&mixed, lower));
        }

        #[test]
        fn eq_folded_is_eq_ignore_ascii_case_on_near_misses(
            which in 0usize..6,
            at in 0usize..24,
            byte in "[!#$%&'*+.^_`|~0-9A-Za-z-]",
        ) {
            // A checked name or keyword with one byte replaced by any token byte: as
            // `eq_ignore_ascii_case` judges it.
            let lower: &[u8] = [
                &b"upgrade"[..], b"connection", b"sec-websocket-accept", b"sec-websocket-protocol",
                b"sec-websocket-extensions", b"websocket",
            ][which];
            let mut name = lower.to_vec();
            name[at % lower.len()] = byte.as_bytes()[0];
            proptest::prop_assert_eq!(eq_folded(&name, lower), name.eq_ignore_ascii_case(lower));
        }

        #[test]
        fn eq_folded_is_eq_ignore_ascii_case_for_letter_keywords_and_any_bytes(
            which in 0usize..2,
            mut value in proptest::collection::vec(proptest::num::u8::ANY, 7..=9),
            case in proptest::num::u32::ANY,
        ) {
            // A value checked against `upgrade` or `websocket`: any bytes, often the keyword
            // in some case with a byte changed.
            let lower: &[u8] = [&b"upgrade"[..], b"websocket"][which];
            if case & 1 == 1 {
                let keep = value.len().min(lower.len());
                for (i, (v, &l)) in value.iter_mut().zip(lower).enumerate().take(keep) {
                    if case >> (i % 31 + 1) & 1 == 1 || i != (case as usize >> 8) % keep {
                        *v = if case >> (i % 16 + 16) & 1 == 1 { l.to_ascii_uppercase() } else { l };
                    }
                }
            }
            proptest::prop_assert_eq!(eq_folded(&value, lower), value.eq_ignore_ascii_case(lower));
        }

        #[test]
        fn find_end_agrees_with_a_plain_search(bytes in proptest::collection::vec(proptest::sample::select(&b"\r\na"[..]), 0..64), from in 0usize..70) {
            let lf_lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
            let lf_crlf = bytes.windows(3).position(|w| w == b"\n\r\n").map(|i| i + 3);
            let plain = match (lf_lf, lf_crlf) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let resumed = find_end(&bytes, from);
            match plain {
                // `from` promises no terminator ended within `bytes[..from]`.
                Some(end) if end > from || from <= 2 => proptest::prop_assert_eq!(resumed, Some(end)),
                _ => proptest::prop_assert!(resumed.is_none() || resumed >= plain),
            }
        }
    }

    // --- the examples of the docs, from before the codec was private ---

    #[test]
    fn response_example() {
        use crate::handshake::response::{find_end, validate};
        use crate::handshake::{Headers, Key, ProtocolCheck};

        let accept = Key::from_nonce(b"the sample nonce").accept();
        let mut wire = *b"HTTP/1.1 101 Switching Protocols\r\n\
            Upgrade: websocket\r\n\
            Connection: Upgrade\r\n\
            Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
            Sec-WebSocket-Protocol: chat\r\n\
            \r\n\x81\x02hi";
        let end = find_end(&wire, 0).unwrap();
        let (block, frames) = wire.split_at_mut(end);
        assert_eq!(frames, [0x81, 0x02, b'h', b'i']);
        let chosen = validate(block, &accept, "superchat, chat", ProtocolCheck::Strict).unwrap();
        assert_eq!(chosen.map(|r| &block[r]), Some(&b"chat"[..]));
        // The header lines: after the status line, up to the empty line.
        let headers = Headers::from_lines(&block[..end - 2]);
        assert_eq!(headers.get("sec-websocket-protocol"), Some(&b"chat"[..]));
    }

    #[test]
    fn find_end_example() {
        use crate::handshake::response::find_end;

        let wire = b"HTTP/1.1 101 OK\r\n\r\nframes";
        assert_eq!(find_end(&wire[..18], 0), None);
        assert_eq!(find_end(wire, 18), Some(19));
        assert_eq!(find_end(b"HTTP/1.1 101 OK\n\nframes", 0), Some(17));
    }

    #[test]
    fn validate_example() {
        use crate::handshake::response::validate;
        use crate::handshake::{Headers, Key, ProtocolCheck};

        let accept = Key::from_nonce(b"the sample nonce").accept();
        let mut block = *b"HTTP/1.1 101 Switching Protocols\r\n\
            Upgrade:\r\n websocket\r\n\
            Connection: keep-alive,\r\n\tUpgrade\r\n\
            Sec-WebSocket-Accept:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \r\n\
            \r\n";
        assert_eq!(validate(&mut block, &accept, "", ProtocolCheck::Strict), Ok(None));
        // The lines stay where they were, each fold made spaces.
        let lines = b"Upgrade:   websocket\r\n\
            Connection: keep-alive,   Upgrade\r\n\
            Sec-WebSocket-Accept:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \r\n";
        let status = b"HTTP/1.1 101 Switching Protocols\r\n".len();
        assert_eq!(block[status..status + lines.len()], lines[..]);
        let headers = Headers::from_lines(&block[..status + lines.len()]);
        assert_eq!(headers.as_bytes(), lines);
        assert_eq!(headers.get("connection"), Some(&b"keep-alive,   Upgrade"[..]));
        assert_eq!(headers.get("upgrade"), Some(&b"websocket"[..]));
    }
}
