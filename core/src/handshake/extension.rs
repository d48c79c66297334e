//! The extension layer of the opening handshake: the `permessage-deflate` offer the client
//! puts in `Sec-WebSocket-Extensions` (RFC 7692 §7.1), and the negotiation of the server's
//! answer (RFC 7692 §5, §7, §7.1; RFC 6455 §4.1, §9.1).
//!
//! Nothing here compresses: this layer only decides which parameters a connection runs with.
//! The answer is read in place with the grammar of RFC 6455 §9.1, without allocating:
//!
//! ```text
//! extension-list = 1#extension
//! extension      = extension-token *( ";" extension-param )
//! extension-param = token [ "=" (token | quoted-string) ]
//! ```
//!
//! with optional whitespace around `,`, `;` and `=` (the implied `*LWS` of RFC 2616 §2.1, which
//! RFC 6455 uses), empty list elements ignored (RFC 9110 §5.6.1), and the lines of a repeated
//! header read as one list (RFC 9110 §5.3). Names compare exactly: neither RFC calls the
//! extension name or its parameter names case-insensitive, while RFC 6455 says so wherever it
//! means it (`Upgrade`, `Connection`).
//!
//! The public types are not re-exported from the crate root yet; their examples are written
//! for the day they are (`use sockettask::PerMessageDeflate`), and marked `ignore` until then.

use core::fmt;

use crate::error::Words;

#[cfg(feature = "deflate")]
use crate::handshake::request::is_tchar;
use crate::socket::fast_paths;

/// The extension's registered name (RFC 7692 §7).
#[cfg(feature = "deflate")]
pub(crate) const PERMESSAGE_DEFLATE: &str = "permessage-deflate";
/// Smallest LZ77 window a `*_max_window_bits` parameter may name: 2⁸ = 256 bytes (RFC 7692
/// §7.1.2).
pub(crate) const MIN_WINDOW_BITS: u8 = 8;
/// Largest LZ77 window, and the one used when no parameter limits it: 2¹⁵ = 32 KiB (RFC 7692
/// §7.1.2, RFC 1951).
pub(crate) const MAX_WINDOW_BITS: u8 = 15;

/// The `permessage-deflate` offer (RFC 7692 §7), named after the mini-program's
/// `perMessageDeflate` option: which parameters the client asks for when it offers
/// compression. It goes into [`ConnectOptions::per_message_deflate`](crate::ConnectOptions).
///
/// The [`Default`] (and [`PerMessageDeflate::new`]) asks for nothing and offers what the
/// browsers offer, `permessage-deflate; client_max_window_bits`: the server keeps its context
/// between messages and may use a window of up to 32 KiB, which the client then needs to
/// inflate. A device short of memory sets `server_max_window_bits` (9 or 10: a 512 B or 1 KiB
/// window) and perhaps `server_no_context_takeover`.
///
/// The window sizes must be 8 to 15; [`PerMessageDeflate::validate`] says whether they are,
/// and a connect with an offer it refuses fails before anything is sent.
///
/// ```
/// use sockettask::{ConnectOptions, PerMessageDeflate};
///
/// // A 1 KiB window for what the server sends, and no context kept between its messages.
/// let offer = PerMessageDeflate {
///     server_no_context_takeover: true,
///     server_max_window_bits: Some(10),
///     ..PerMessageDeflate::new()
/// };
/// assert_eq!(offer.validate(), Ok(()));
/// let options = ConnectOptions::new("wss://example.com/chat").per_message_deflate(offer);
/// // The request then carries:
/// // Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits
/// # let _ = options;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PerMessageDeflate {
    /// Ask the server to start every message with an empty window (RFC 7692 §7.1.1.1), so the
    /// client need not keep the server's window between messages. A server that accepts must
    /// answer with it.
    pub server_no_context_takeover: bool,
    /// Tell the server the client starts every message it compresses with an empty window
    /// (RFC 7692 §7.1.1.2), so the server need not keep one for the client.
    pub client_no_context_takeover: bool,
    /// The largest window the server may compress with, as a base-2 logarithm, 8 to 15
    /// (RFC 7692 §7.1.2.1): the window the client needs to inflate. A server that accepts
    /// must answer with this value or a smaller one. `None` leaves it to the server (up to 15).
    pub server_max_window_bits: Option<u8>,
    /// The largest window the client will compress with, as a base-2 logarithm, 8 to 15
    /// (RFC 7692 §7.1.2.2). The client always offers `client_max_window_bits`, so that a
    /// server may answer with a smaller window instead of declining; `None` offers it
    /// without a value (no limit of the client's own), `Some(bits)` with one.
    pub client_max_window_bits: Option<u8>,
}

impl PerMessageDeflate {
    /// The offer that asks for nothing: the same as [`Default`].
    ///
    /// ```
    /// use sockettask::PerMessageDeflate;
    ///
    /// const OFFER: PerMessageDeflate = PerMessageDeflate::new();
    /// assert_eq!(OFFER, PerMessageDeflate::default());
    /// assert_eq!(OFFER.server_max_window_bits, None);
    /// ```
    pub const fn new() -> Self {
        PerMessageDeflate {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: None,
            client_max_window_bits: None,
        }
    }

    /// Whether the window sizes are ones RFC 7692 §7.1.2 allows: "a decimal integer value
    /// without leading zeroes between 8 to 15, inclusive". The server's window is checked
    /// first.
    ///
    /// ```
    /// use sockettask::{DeflateOfferError, PerMessageDeflate};
    ///
    /// let offer = PerMessageDeflate { server_max_window_bits: Some(16), ..PerMessageDeflate::new() };
    /// assert_eq!(offer.validate(), Err(DeflateOfferError::ServerMaxWindowBits(16)));
    /// let offer = PerMessageDeflate { client_max_window_bits: Some(8), ..PerMessageDeflate::new() };
    /// assert_eq!(offer.validate(), Ok(()));
    /// ```
    pub const fn validate(&self) -> Result<(), DeflateOfferError> {
        if let Some(bits) = self.server_max_window_bits
            && !is_window_bits(bits)
        {
            return Err(DeflateOfferError::ServerMaxWindowBits(bits));
        }
        if let Some(bits) = self.client_max_window_bits
            && !is_window_bits(bits)
        {
            return Err(DeflateOfferError::ClientMaxWindowBits(bits));
        }
        Ok(())
    }

    /// Whether [`PerMessageDeflate::validate`] accepts the offer: only such an offer is sent,
    /// and only against a sent offer is an answer accepted.
    #[cfg(feature = "deflate")]
    pub(crate) const fn is_valid(&self) -> bool {
        self.validate().is_ok()
    }
}

/// Whether `bits` is a window size RFC 7692 §7.1.2 allows.
const fn is_window_bits(bits: u8) -> bool {
    MIN_WINDOW_BITS <= bits && bits <= MAX_WINDOW_BITS
}

/// Why a [`PerMessageDeflate`] offer cannot be sent: a window size outside 8 to 15 (RFC 7692
/// §7.1.2). The caller's mistake, found at connect time, before anything is sent.
///
/// ```
/// use sockettask::{DeflateOfferError, PerMessageDeflate};
///
/// let offer = PerMessageDeflate { client_max_window_bits: Some(7), ..PerMessageDeflate::new() };
/// let error = offer.validate().unwrap_err();
/// assert_eq!(error, DeflateOfferError::ClientMaxWindowBits(7));
/// assert_eq!(error.to_string(), "perMessageDeflate client_max_window_bits 7 is not between 8 and 15");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DeflateOfferError {
    /// `server_max_window_bits` is not 8 to 15; the value given.
    ServerMaxWindowBits(u8),
    /// `client_max_window_bits` is not 8 to 15; the value given.
    ClientMaxWindowBits(u8),
    /// The core was built without its `deflate` feature: it could not inflate what the
    /// server compresses, so it offers nothing.
    NotBuilt,
}

impl fmt::Display for DeflateOfferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (parameter, bits) = match *self {
            DeflateOfferError::ServerMaxWindowBits(bits) => (DeflateParameter::ServerMaxWindowBits, bits),
            DeflateOfferError::ClientMaxWindowBits(bits) => (DeflateParameter::ClientMaxWindowBits, bits),
            DeflateOfferError::NotBuilt => {
                return f.write_str("perMessageDeflate needs the sockettask deflate feature");
            }
        };
        write!(
            f,
            "perMessageDeflate {parameter} {bits} is not between {MIN_WINDOW_BITS} and {MAX_WINDOW_BITS}"
        )
    }
}

impl core::error::Error for DeflateOfferError {}

/// One of the four parameters of `permessage-deflate` (RFC 7692 §7), as errors name them.
///
/// ```
/// use sockettask::DeflateParameter;
///
/// assert_eq!(DeflateParameter::ServerMaxWindowBits.name(), "server_max_window_bits");
/// assert_eq!(DeflateParameter::ClientNoContextTakeover.to_string(), "client_no_context_takeover");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DeflateParameter {
    /// `server_no_context_takeover` (§7.1.1.1).
    ServerNoContextTakeover,
    /// `client_no_context_takeover` (§7.1.1.2).
    ClientNoContextTakeover,
    /// `server_max_window_bits` (§7.1.2.1).
    ServerMaxWindowBits,
    /// `client_max_window_bits` (§7.1.2.2).
    ClientMaxWindowBits,
}

impl DeflateParameter {
    /// Every parameter, in the order RFC 7692 §7 lists them.
    #[cfg(feature = "deflate")]
    const ALL: [DeflateParameter; 4] = [
        DeflateParameter::ServerNoContextTakeover,
        DeflateParameter::ClientNoContextTakeover,
        DeflateParameter::ServerMaxWindowBits,
        DeflateParameter::ClientMaxWindowBits,
    ];

    /// The parameter's name on the wire.
    pub const fn name(self) -> &'static str {
        match self {
            DeflateParameter::ServerNoContextTakeover => "server_no_context_takeover",
            DeflateParameter::ClientNoContextTakeover => "client_no_context_takeover",
            DeflateParameter::ServerMaxWindowBits => "server_max_window_bits",
            DeflateParameter::ClientMaxWindowBits => "client_max_window_bits",
        }
    }

    /// The parameter called exactly `name`, if any.
    #[cfg(feature = "deflate")]
    fn from_name(name: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name().as_bytes() == name)
    }
}

impl fmt::Display for DeflateParameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the server accepted: the `permessage-deflate` parameters a connection runs with, after
/// the offer and the answer are put together (RFC 7692 §7.1).
///
/// Each window is a base-2 logarithm, 8 to 15; 15 where nothing limits it. "Server" is the
/// direction the client inflates, "client" the one it may compress.
///
/// ```
/// use sockettask::Negotiated;
///
/// // `permessage-deflate; server_max_window_bits=10` in answer to an offer of 10:
/// let negotiated = Negotiated {
///     server_no_context_takeover: false,
///     client_no_context_takeover: false,
///     server_max_window_bits: 10,
///     client_max_window_bits: 15,
/// };
/// assert_eq!(1 << negotiated.server_max_window_bits, 1024); // the window to inflate with
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Negotiated {
    /// The server starts each message with an empty window: the client need not keep the
    /// server's window between messages (§7.1.1.1). Set when the answer holds the parameter,
    /// which it may even when it was not asked for.
    pub server_no_context_takeover: bool,
    /// The client must start each message it compresses with an empty window (§7.1.1.2). Set
    /// when the answer holds the parameter, or when the offer did: the offer's parameter is
    /// the client's promise.
    pub client_no_context_takeover: bool,
    /// The largest window the server compresses with: the window the client inflates with
    /// (§7.1.2.1). The answer's value, or 15 when it has none.
    pub server_max_window_bits: u8,
    /// The largest window the client may compress with (§7.1.2.2): the smaller of the offer's
    /// value and the answer's, or 15 when neither has one.
    pub client_max_window_bits: u8,
}

/// Why the server's `Sec-WebSocket-Extensions` answer fails the handshake (RFC 6455 §4.1,
/// §9.1; RFC 7692 §5, §7, §7.1): the peer's fault.
///
/// ```
/// use sockettask::{DeflateParameter, ExtensionError};
///
/// let error = ExtensionError::DuplicateParameter(DeflateParameter::ServerMaxWindowBits);
/// assert_eq!(error.to_string(), "permessage-deflate answer repeats server_max_window_bits");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ExtensionError {
    /// The header is not an extension list (RFC 6455 §9.1): a stray character, a `;` or `=`
    /// with nothing after it, an unterminated quoted string, a quoted value that is not a
    /// token once unescaped.
    Malformed,
    /// The answer names an extension the client did not offer: any extension when no offer
    /// was made, else one other than `permessage-deflate` (RFC 6455 §4.1).
    Unoffered,
    /// `permessage-deflate` is accepted twice (RFC 7692 §5: the second would claim RSV1 too).
    DuplicateExtension,
    /// A parameter RFC 7692 §7 does not define for an answer.
    UnknownParameter,
    /// A parameter appears twice in the answer (RFC 7692 §7).
    DuplicateParameter(DeflateParameter),
    /// A parameter has an invalid value (RFC 7692 §7): a value on a `*_no_context_takeover`,
    /// or a window size that is missing, not 8 to 15, or written with a leading zero.
    InvalidValue(DeflateParameter),
    /// A value the offer does not allow: a `server_max_window_bits` above the offered one
    /// (RFC 7692 §7.1.2.1).
    ValueNotOffered(DeflateParameter),
    /// A parameter the offer requires in an answer is missing: `server_no_context_takeover`
    /// or `server_max_window_bits` when offered (RFC 7692 §7.1.1.1, §7.1.2.1).
    MissingParameter(DeflateParameter),
}

impl ExtensionError {
    /// The words of `Display`, without `core::fmt` (for `ErrMsg::text`).
    pub(crate) fn words(&self, w: &mut impl Words) {
        let (before, parameter, after) = match self {
            ExtensionError::Malformed => return w.str("Sec-WebSocket-Extensions is not an extension list"),
            ExtensionError::Unoffered => return w.str("server selected an extension that was not offered"),
            ExtensionError::DuplicateExtension => return w.str("server accepted permessage-deflate twice"),
            ExtensionError::UnknownParameter => {
                return w.str("permessage-deflate answer has a parameter RFC 7692 does not define");
            }
            ExtensionError::DuplicateParameter(p) => ("permessage-deflate answer repeats ", p, ""),
            ExtensionError::InvalidValue(p) => ("permessage-deflate answer has an invalid ", p, ""),
            ExtensionError::ValueNotOffered(p) => {
                ("permessage-deflate answer has a ", p, " larger than offered")
            }
            ExtensionError::MissingParameter(p) => {
                ("permessage-deflate answer lacks the ", p, " the offer requires")
            }
        };
        w.str(before);
        w.str(parameter.name());
        w.str(after);
    }
}

impl fmt::Display for ExtensionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::error::text_display(f, |w| self.words(w))
    }
}

impl core::error::Error for ExtensionError {}

/// Negotiates `permessage-deflate` from the values of every `Sec-WebSocket-Extensions` line of
/// the response, fed in order with [`Negotiation::line`], against the offer sent (`None` when
/// none was); [`Negotiation::finish`] says what came of it.
///
/// - No offer: any non-empty value fails with [`ExtensionError::Unoffered`] (RFC 6455 §4.1,
///   S8), as before extensions existed.
/// - An offer, and no extension in the answer: `Ok(None)`, the server declined (RFC 7692 §5).
/// - An offer, and `permessage-deflate` once, with parameters the rules of RFC 7692 §7.1
///   allow: `Ok(Some(negotiated))`.
///
/// An offer that [`PerMessageDeflate::validate`] refuses is never sent, so it counts as none.
/// Without the `deflate` feature no offer is ever sent (`connect_socket` refuses one), so the
/// answer's parser is not built at all: only the first rule is left.
#[derive(Debug)]
pub(crate) struct Negotiation<'o> {
    /// The offer sent, when valid.
    #[cfg(feature = "deflate")]
    offer: Option<&'o PerMessageDeflate>,
    /// `permessage-deflate` as the server answered it, once read.
    #[cfg(feature = "deflate")]
    answer: Option<Answer>,
    #[cfg(not(feature = "deflate"))]
    offer: core::marker::PhantomData<&'o PerMessageDeflate>,
    /// The first error: the lines after it are not read.
    error: Option<ExtensionError>,
}

impl<'o> Negotiation<'o> {
    /// Before the first line, against `offer`.
    pub(crate) fn new(offer: Option<&'o PerMessageDeflate>) -> Self {
        #[cfg(feature = "deflate")]
        return Negotiation { offer: offer.filter(|offer| offer.is_valid()), answer: None, error: None };
        #[cfg(not(feature = "deflate"))]
        {
            let _ = offer;
            Negotiation { offer: core::marker::PhantomData, error: None }
        }
    }

    /// Reads the value of one `Sec-WebSocket-Extensions` line (RFC 9110 §5.3: the lines make
    /// one list).
    pub(crate) fn line(&mut self, value: &[u8]) {
        if self.error.is_some() {
            return;
        }
        #[cfg(feature = "deflate")]
        if self.offer.is_some() {
            self.error = read_list(&mut Cursor { rest: value }, &mut self.answer).err();
            return;
        }
        // RFC 6455 §4.1: "If the response includes a |Sec-WebSocket-Extensions| header field
        // and this header field indicates the use of an extension that was not present in the
        // client's handshake [...], the client MUST _Fail the WebSocket Connection_."
        if !trim_ows(value).is_empty() {
            self.error = Some(ExtensionError::Unoffered);
        }
    }

    /// What the lines read come to. On hosts ([`fast_paths`]) the common case, no error and
    /// no answer, is inline in its one caller and the rest out of line
    /// ([`Negotiation::conclude`]); bare metal takes the one way (flash).
    #[cfg_attr(not(target_os = "none"), inline)]
    pub(crate) fn finish(self) -> Result<Option<Negotiated>, ExtensionError> {
        #[cfg(feature = "deflate")]
        let answered = self.answer.is_some();
        #[cfg(not(feature = "deflate"))]
        let answered = false;
        if fast_paths() && self.error.is_none() && !answered {
            return Ok(None);
        }
        self.conclude()
    }

    /// [`Negotiation::finish`]: the error, or what the answer comes to.
    #[cfg_attr(not(target_os = "none"), inline(never))]
    fn conclude(self) -> Result<Option<Negotiated>, ExtensionError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        #[cfg(feature = "deflate")]
        if let (Some(offer), Some(answer)) = (self.offer, self.answer) {
            return answer.against(offer).map(Some);
        }
        Ok(None)
    }
}

/// [`Negotiation`] over every line at once.
#[cfg(test)]
pub(crate) fn negotiate<'v>(
    values: impl IntoIterator<Item = &'v [u8]>,
    offer: Option<&PerMessageDeflate>,
) -> Result<Option<Negotiated>, ExtensionError> {
    let mut negotiation = Negotiation::new(offer);
    for value in values {
        negotiation.line(value);
    }
    negotiation.finish()
}

/// Reads one header value's list into `answer`: `permessage-deflate` at most once over every
/// line, no other extension.
#[cfg(feature = "deflate")]
fn read_list(cursor: &mut Cursor<'_>, answer: &mut Option<Answer>) -> Result<(), ExtensionError> {
    loop {
        if let Some(name) = cursor.token() {
            if name != PERMESSAGE_DEFLATE.as_bytes() {
                return Err(ExtensionError::Unoffered);
            }
            // RFC 7692 §5: "A client that received a response accepting a PMCE extension
            // negotiation offer together with such an extension [one that conflicts on the
            // use of RSV1] MUST _Fail the WebSocket Connection_."
            if answer.is_some() {
                return Err(ExtensionError::DuplicateExtension);
            }
            *answer = Some(Answer::read(cursor)?);
        }
        if cursor.is_done() {
            return Ok(());
        }
        if !cursor.eat(b',') {
            return Err(ExtensionError::Malformed);
        }
    }
}

/// The parameters of the server's `permessage-deflate` element, as written.
#[cfg(feature = "deflate")]
#[derive(Clone, Copy, Debug, Default)]
struct Answer {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    client_max_window_bits: Option<u8>,
}

#[cfg(feature = "deflate")]
impl Answer {
    /// Reads `*( ";" extension-param )` after the extension's name.
    ///
    /// RFC 7692 §7: "A client MUST _Fail the WebSocket Connection_ if the peer server accepted
    /// an extension negotiation offer for this extension with an extension negotiation
    /// response meeting any of the following conditions: The negotiation response contains an
    /// extension parameter not defined for use in a response. The negotiation response
    /// contains an extension parameter with an invalid value. The negotiation response
    /// contains multiple extension parameters with the same name. The client does not support
    /// the configuration that the response represents." The first three are checked here, the
    /// last by [`Answer::against`].
    fn read(cursor: &mut Cursor<'_>) -> Result<Answer, ExtensionError> {
        let mut answer = Answer::default();
        while cursor.eat(b';') {
            let name = cursor.token().ok_or(ExtensionError::Malformed)?;
            let value = if cursor.eat(b'=') { Some(cursor.value()?) } else { None };
            let parameter = DeflateParameter::from_name(name).ok_or(ExtensionError::UnknownParameter)?;
            answer.set(parameter, value)?;
        }
        Ok(answer)
    }

    /// Records one parameter: each at most once, with a valid value.
    fn set(&mut self, parameter: DeflateParameter, value: Option<&[u8]>) -> Result<(), ExtensionError> {
        match parameter {
            DeflateParameter::ServerNoContextTakeover => {
                set_flag(&mut self.server_no_context_takeover, parameter, value)
            }
            DeflateParameter::ClientNoContextTakeover => {
                set_flag(&mut self.client_no_context_takeover, parameter, value)
            }
            DeflateParameter::ServerMaxWindowBits => {
                set_bits(&mut self.server_max_window_bits, parameter, value)
            }
            DeflateParameter::ClientMaxWindowBits => {
                set_bits(&mut self.client_max_window_bits, parameter, value)
            }
        }
    }

    /// Puts the answer together with the offer: the configuration it represents, if the
    /// client supports it (RFC 7692 §7, last condition).
    fn against(self, offer: &PerMessageDeflate) -> Result<Negotiated, ExtensionError> {
        // §7.1.1.1: "A server accepts an extension negotiation offer that includes the
        // "server_no_context_takeover" extension parameter MUST include the
        // "server_no_context_takeover" extension parameter in the corresponding extension
        // negotiation response to send back to the client." It "MAY include" it unasked.
        if offer.server_no_context_takeover && !self.server_no_context_takeover {
            return Err(ExtensionError::MissingParameter(DeflateParameter::ServerNoContextTakeover));
        }
        Ok(Negotiated {
            server_no_context_takeover: self.server_no_context_takeover,
            // §7.1.1.2: with the parameter in its offer, "a client informs the peer server of
            // a hint that even if the server doesn't include the "client_no_context_takeover"
            // extension parameter in the corresponding extension negotiation response to the
            // offer, the client is not going to use context takeover."
            client_no_context_takeover: self.client_no_context_takeover || offer.client_no_context_takeover,
            server_max_window_bits: self.server_window(offer.server_max_window_bits)?,
            client_max_window_bits: self.client_window(offer.client_max_window_bits),
        })
    }

    /// §7.1.2.1: "A server accepts an extension negotiation offer with this parameter by
    /// including the "server_max_window_bits" extension parameter in the extension
    /// negotiation response to send back to the client with the same or smaller value as the
    /// offer", and it "MAY include" the parameter when the offer did not.
    fn server_window(&self, offered: Option<u8>) -> Result<u8, ExtensionError> {
        let parameter = DeflateParameter::ServerMaxWindowBits;
        match (offered, self.server_max_window_bits) {
            (Some(_), None) => Err(ExtensionError::MissingParameter(parameter)),
            (Some(offered), Some(bits)) if bits > offered => Err(ExtensionError::ValueNotOffered(parameter)),
            (_, bits) => Ok(bits.unwrap_or(MAX_WINDOW_BITS)),
        }
    }

    /// §7.1.2.2: "If a received extension negotiation offer doesn't have the
    /// "client_max_window_bits" extension parameter, the corresponding extension negotiation
    /// response to the offer MUST NOT include" it; this client's offer always has it, so the
    /// answer may always hold it. The offer's value is a promise: "the client is not going to
    /// use an LZ77 sliding window size greater than the size specified by the value in the
    /// extension negotiation offer", whatever the answer says or leaves out. So the smaller
    /// value wins, and a larger answer is no error: the server merely allows more.
    fn client_window(&self, offered: Option<u8>) -> u8 {
        match (offered, self.client_max_window_bits) {
            (Some(offered), Some(bits)) => offered.min(bits),
            (offered, bits) => offered.or(bits).unwrap_or(MAX_WINDOW_BITS),
        }
    }
}

/// Records a parameter without a value. §7.1.1.1 and §7.1.1.2: "This extension parameter has
/// no value."
#[cfg(feature = "deflate")]
fn set_flag(
    slot: &mut bool,
    parameter: DeflateParameter,
    value: Option<&[u8]>,
) -> Result<(), ExtensionError> {
    if *slot {
        return Err(ExtensionError::DuplicateParameter(parameter));
    }
    if value.is_some() {
        return Err(ExtensionError::InvalidValue(parameter));
    }
    *slot = true;
    Ok(())
}

/// Records a window size. A value is required: the bare `client_max_window_bits` is defined for
/// an offer only (§7.1.2.2, "A client MAY include the "client_max_window_bits" extension
/// parameter in an extension negotiation offer. This parameter has no value or [...]"), and
/// `server_max_window_bits` always has one (§7.1.2.1).
#[cfg(feature = "deflate")]
fn set_bits(
    slot: &mut Option<u8>,
    parameter: DeflateParameter,
    value: Option<&[u8]>,
) -> Result<(), ExtensionError> {
    if slot.is_some() {
        return Err(ExtensionError::DuplicateParameter(parameter));
    }
    *slot = Some(value.and_then(window_bits).ok_or(ExtensionError::InvalidValue(parameter))?);
    Ok(())
}

/// A window size as RFC 7692 §7.1.2.1 writes it: "a decimal integer value without leading
/// zeroes between 8 to 15, inclusive", read from the raw value (unescaped on the way, for a
/// quoted string).
#[cfg(feature = "deflate")]
fn window_bits(raw: &[u8]) -> Option<u8> {
    let mut digits = unescape(raw);
    match (digits.next()?, digits.next(), digits.next()) {
        (digit @ b'8'..=b'9', None, None) => Some(digit - b'0'),
        (b'1', Some(digit @ b'0'..=b'5'), None) => Some(10 + digit - b'0'),
        _ => None,
    }
}

/// The bytes of a value with each `quoted-pair` (RFC 9110 §5.6.4, `"\" ( HTAB / SP / VCHAR /
/// obs-text )`) replaced by its second byte. A token holds no `\`, so it comes out as is.
#[cfg(feature = "deflate")]
fn unescape(raw: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let mut bytes = raw.iter().copied();
    core::iter::from_fn(move || match bytes.next()? {
        b'\\' => bytes.next(),
        byte => Some(byte),
    })
}

/// Reads RFC 6455 §9.1's grammar from one header value, skipping optional whitespace before
/// each element.
#[cfg(feature = "deflate")]
struct Cursor<'a> {
    rest: &'a [u8],
}

#[cfg(feature = "deflate")]
impl<'a> Cursor<'a> {
    /// Consumes `byte` (after optional whitespace) if it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        self.rest = trim_ows(self.rest);
        match self.rest {
            [first, rest @ ..] if *first == byte => {
                self.rest = rest;
                true
            }
            _ => false,
        }
    }

    /// Whether only whitespace is left.
    fn is_done(&mut self) -> bool {
        self.rest = trim_ows(self.rest);
        self.rest.is_empty()
    }

    /// The `token` that comes next (after optional whitespace), if one does.
    fn token(&mut self) -> Option<&'a [u8]> {
        self.rest = trim_ows(self.rest);
        let len = self.rest.iter().take_while(|&&b| is_tchar(b)).count();
        let (token, rest) = self.rest.split_at_checked(len)?;
        self.rest = rest;
        (!token.is_empty()).then_some(token)
    }

    /// A parameter's value: `token | quoted-string`, raw (a quoted string without its quotes,
    /// escapes kept). RFC 6455 §9.1: "When using the quoted-string syntax variant, the value
    /// after quoted-string unescaping MUST conform to the 'token' ABNF."
    fn value(&mut self) -> Result<&'a [u8], ExtensionError> {
        if let Some(token) = self.token() {
            return Ok(token);
        }
        let raw = self.quoted().ok_or(ExtensionError::Malformed)?;
        let mut unescaped = unescape(raw).peekable();
        match unescaped.peek().is_some() && unescaped.all(is_tchar) {
            true => Ok(raw),
            false => Err(ExtensionError::Malformed),
        }
    }

    /// A `quoted-string` (RFC 9110 §5.6.4) that comes next: its contents between the quotes.
    fn quoted(&mut self) -> Option<&'a [u8]> {
        let [b'"', body @ ..] = self.rest else { return None };
        let mut i = 0;
        loop {
            match (body.get(i)?, body.get(i + 1)) {
                (b'"', _) => break,
                (b'\\', Some(&next)) if is_qdtext(next) || next == b'"' || next == b'\\' => i += 2,
                (&byte, _) if is_qdtext(byte) => i += 1,
                _ => return None,
            }
        }
        let (contents, rest) = body.split_at_checked(i)?;
        self.rest = rest.get(1..)?;
        Some(contents)
    }
}

/// RFC 9110 §5.6.4 `qdtext`: `HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text` (every
/// visible byte but `"` and `\`, and obs-text). With `"` and `\` this is also the byte a
/// `quoted-pair` may escape.
#[cfg(feature = "deflate")]
fn is_qdtext(byte: u8) -> bool {
    matches!(byte, b'\t' | b' ' | 0x21 | 0x23..=0x5B | 0x5D..=0x7E | 0x80..=0xFF)
}

/// Strips optional whitespace (RFC 9110 §5.6.3 `OWS`: spaces and tabs) from the front.
fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::vec::Vec;

    use super::*;
    #[cfg(feature = "deflate")]
    use DeflateParameter::ClientNoContextTakeover;
    use DeflateParameter::{ClientMaxWindowBits, ServerMaxWindowBits, ServerNoContextTakeover};
    use ExtensionError::*;

    /// The offer that asks for nothing: `permessage-deflate; client_max_window_bits`.
    const PLAIN: PerMessageDeflate = PerMessageDeflate::new();

    /// `negotiate` over the given header lines, against `offer`.
    fn run(lines: &[&str], offer: Option<PerMessageDeflate>) -> Result<Option<Negotiated>, ExtensionError> {
        negotiate(lines.iter().map(|line| line.as_bytes()), offer.as_ref())
    }

    #[cfg(feature = "deflate")]
    /// What the connection runs with: (server, client) no-context-takeover and window bits.
    fn deal(server_nct: bool, client_nct: bool, server_bits: u8, client_bits: u8) -> Negotiated {
        Negotiated {
            server_no_context_takeover: server_nct,
            client_no_context_takeover: client_nct,
            server_max_window_bits: server_bits,
            client_max_window_bits: client_bits,
        }
    }

    #[cfg(feature = "deflate")]
    /// The answer accepted as plain `permessage-deflate` would be: nothing set, 15-bit windows.
    const DEFAULTS: Negotiated = Negotiated {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        server_max_window_bits: 15,
        client_max_window_bits: 15,
    };

    #[cfg(feature = "deflate")]
    /// One-line samples against an offer: `accepts!(offer, line => negotiated)`,
    /// `refuses!(offer, line => error)`.
    macro_rules! accepts {
        ($offer:expr, $line:expr => $negotiated:expr) => {
            assert_eq!(run(&[$line], Some($offer)), Ok(Some($negotiated)), "{:?}", $line)
        };
    }

    #[cfg(feature = "deflate")]
    macro_rules! refuses {
        ($offer:expr, $line:expr => $error:expr) => {
            assert_eq!(run(&[$line], Some($offer)), Err($error), "{:?}", $line)
        };
    }

    // --- no offer: S8, as before extensions could be offered ---

    /// RFC 6455 §4.1: an extension "that was not present in the client's handshake" fails the
    /// connection; with no offer, every non-empty value is one.
    #[test]
    fn without_an_offer_any_extension_fails() {
        assert_eq!(run(&[], None), Ok(None));
        assert_eq!(run(&["", " \t"], None), Ok(None), "empty lines name nothing");
        for line in ["permessage-deflate", "x-webkit-deflate-frame", ",", "garbage;;=", "\"q\""] {
            assert_eq!(run(&["", line], None), Err(Unoffered), "{line:?}");
        }
    }

    /// An offer `validate` refuses is never sent (the request leaves it out), so an answer
    /// to it answers nothing that was offered.
    #[test]
    fn an_invalid_offer_counts_as_none() {
        let invalid = PerMessageDeflate { server_max_window_bits: Some(16), ..PLAIN };
        assert_eq!(run(&["permessage-deflate"], Some(invalid)), Err(Unoffered));
        let invalid = PerMessageDeflate { client_max_window_bits: Some(7), ..PLAIN };
        assert_eq!(run(&["permessage-deflate"], Some(invalid)), Err(Unoffered));
        assert_eq!(run(&[], Some(invalid)), Ok(None));
    }

    // --- an offer: declined or accepted (RFC 7692 §5) ---

    /// RFC 7692 §5: a server accepts by including the extension's name; without it, the offer
    /// is declined and the connection runs uncompressed. RFC 9110 §5.6.1: empty list
    /// elements are ignored.
    #[cfg(feature = "deflate")]
    #[test]
    fn no_extension_in_the_answer_declines_the_offer() {
        assert_eq!(run(&[], Some(PLAIN)), Ok(None));
        assert_eq!(run(&[""], Some(PLAIN)), Ok(None));
        assert_eq!(run(&[" , ,\t,", ","], Some(PLAIN)), Ok(None));
    }

    /// RFC 7692 §7.1: with no parameter in the answer, each side may keep its context and use
    /// a 15-bit window (RFC 7692 §7.1.2.1, §7.1.2.2: the parameters only ever limit).
    #[cfg(feature = "deflate")]
    #[test]
    fn plain_acceptance_means_the_defaults() {
        accepts!(PLAIN, "permessage-deflate" => DEFAULTS);
        accepts!(PLAIN, " permessage-deflate \t" => DEFAULTS);
    }

    // --- the grammar of RFC 6455 §9.1 ---

    /// RFC 6455 §9.1 with RFC 2616's implied *LWS: whitespace may surround `,`, `;` and `=`;
    /// RFC 9110 §5.3: several lines are one list; §5.6.1: empty elements are ignored.
    #[cfg(feature = "deflate")]
    #[test]
    fn whitespace_lists_and_lines() {
        let want = deal(true, false, 10, 15);
        accepts!(PLAIN, "permessage-deflate;server_no_context_takeover;server_max_window_bits=10" => want);
        accepts!(PLAIN, "permessage-deflate ; server_no_context_takeover ;\tserver_max_window_bits = 10" => want);
        accepts!(PLAIN, ", ,permessage-deflate; server_max_window_bits=10; server_no_context_takeover ,," => want);
        assert_eq!(run(&["", " , ", "permessage-deflate", ""], Some(PLAIN)), Ok(Some(DEFAULTS)));
    }

    /// RFC 6455 §9.1: `extension-param = token [ "=" (token | quoted-string) ]`, "the value
    /// after quoted-string unescaping MUST conform to the 'token' ABNF" (RFC 9110 §5.6.4
    /// quoted-pair: `\` escapes one byte).
    #[cfg(feature = "deflate")]
    #[test]
    fn quoted_values_are_unescaped() {
        accepts!(PLAIN, "permessage-deflate; server_max_window_bits=\"10\"" => deal(false, false, 10, 15));
        accepts!(PLAIN, "permessage-deflate; server_max_window_bits=\"1\\0\"" => deal(false, false, 10, 15));
        accepts!(PLAIN, "permessage-deflate; client_max_window_bits=\"\\9\"" => deal(false, false, 15, 9));
        accepts!(PLAIN, "permessage-deflate; client_max_window_bits = \"12\" , " => deal(false, false, 15, 12));
        // A quoted value that is a token, but not a window size.
        refuses!(PLAIN, "permessage-deflate; server_max_window_bits=\"010\"" => InvalidValue(ServerMaxWindowBits));
        // A quoted value on a parameter that takes none.
        refuses!(PLAIN, "permessage-deflate; server_no_context_takeover=\"x\"" => InvalidValue(ServerNoContextTakeover));
    }

    /// RFC 6455 §9.1: anything the grammar does not produce fails the connection.
    #[cfg(feature = "deflate")]
    #[test]
    fn malformed_lists() {
        for line in [
            "permessage-deflate;",
            "permessage-deflate; ",
            "permessage-deflate;;server_no_context_takeover",
            "permessage-deflate; =10",
            "permessage-deflate; server_max_window_bits=",
            "permessage-deflate; server_max_window_bits=;",
            "permessage-deflate; server_max_window_bits==10",
            "permessage-deflate; server_max_window_bits=10=10",
            "permessage-deflate server_no_context_takeover",
            "permessage-deflate; server_max_window_bits=10 1",
            "permessage-deflate; server_max_window_bits=\"10",
            "permessage-deflate; server_max_window_bits=\"\"",
            "permessage-deflate; server_max_window_bits=\"1 0\"",
            "permessage-deflate; server_max_window_bits=\"10\\\"",
            "permessage-deflate; server_max_window_bits=\"10\"0",
            "permessage-deflate; server_max_window_bits=\"\u{1}\"",
            "permessage-deflate, ;",
            "; permessage-deflate",
            "\"permessage-deflate\"",
            "@",
            "permessage-deflate;\u{e9}",
        ] {
            refuses!(PLAIN, line => Malformed);
        }
    }

    // --- which extensions (RFC 6455 §4.1, RFC 7692 §5) ---

    /// RFC 6455 §4.1: the answer may only name offered extensions; this client offers one.
    /// Names compare exactly: neither RFC makes them case-insensitive.
    #[cfg(feature = "deflate")]
    #[test]
    fn other_extensions_are_unoffered() {
        for line in [
            "x-webkit-deflate-frame",
            "permessage-deflate, x-custom",
            "x-custom; a=1, permessage-deflate",
            "Permessage-Deflate",
            "PERMESSAGE-DEFLATE",
            "permessage-deflat",
            "permessage-deflate-x",
        ] {
            refuses!(PLAIN, line => Unoffered);
        }
    }

    /// RFC 7692 §5: a client that receives a PMCE accepted "together with such an extension"
    /// (one that also uses RSV1) MUST fail; a second permessage-deflate is one, in the same
    /// line or another.
    #[cfg(feature = "deflate")]
    #[test]
    fn permessage_deflate_twice_fails() {
        refuses!(PLAIN, "permessage-deflate, permessage-deflate" => DuplicateExtension);
        refuses!(PLAIN, "permessage-deflate; server_no_context_takeover, permessage-deflate" => DuplicateExtension);
        let lines = ["permessage-deflate", "permessage-deflate; client_max_window_bits=10"];
        assert_eq!(run(&lines, Some(PLAIN)), Err(DuplicateExtension));
    }

    // --- parameters (RFC 7692 §7) ---

    /// RFC 7692 §7: "The negotiation response contains an extension parameter not defined for
    /// use in a response." Names compare exactly.
    #[cfg(feature = "deflate")]
    #[test]
    fn unknown_parameters_fail() {
        for line in [
            "permessage-deflate; foo",
            "permessage-deflate; foo=1",
            "permessage-deflate; server_max_window_bits=10; x=\"y\"",
            "permessage-deflate; Server_No_Context_Takeover",
            "permessage-deflate; SERVER_MAX_WINDOW_BITS=10",
            "permessage-deflate; server_max_window",
            "permessage-deflate; server-no-context-takeover",
        ] {
            refuses!(PLAIN, line => UnknownParameter);
        }
    }

    /// RFC 7692 §7: "The negotiation response contains multiple extension parameters with the
    /// same name."
    #[cfg(feature = "deflate")]
    #[test]
    fn duplicate_parameters_fail() {
        for (line, parameter) in [
            (
                "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                ServerNoContextTakeover,
            ),
            (
                "permessage-deflate; client_no_context_takeover;client_no_context_takeover",
                ClientNoContextTakeover,
            ),
            ("permessage-deflate; server_max_window_bits=10; server_max_window_bits=10", ServerMaxWindowBits),
            (
                "permessage-deflate; client_max_window_bits=9; server_no_context_takeover; client_max_window_bits=10",
                ClientMaxWindowBits,
            ),
            ("permessage-deflate; server_max_window_bits=10; server_max_window_bits", ServerMaxWindowBits),
        ] {
            refuses!(PLAIN, line => DuplicateParameter(parameter));
        }
    }

    /// RFC 7692 §7: "The negotiation response contains an extension parameter with an invalid
    /// value." §7.1.1.1, §7.1.1.2: the no-context-takeover parameters have "no value".
    #[cfg(feature = "deflate")]
    #[test]
    fn no_context_takeover_takes_no_value() {
        refuses!(PLAIN, "permessage-deflate; server_no_context_takeover=1" => InvalidValue(ServerNoContextTakeover));
        refuses!(PLAIN, "permessage-deflate; server_no_context_takeover=true" => InvalidValue(ServerNoContextTakeover));
        refuses!(PLAIN, "permessage-deflate; client_no_context_takeover=\"on\"" => InvalidValue(ClientNoContextTakeover));
    }

    /// RFC 7692 §7.1.2.1 and §7.1.2.2: "a decimal integer value without leading zeroes between
    /// 8 to 15, inclusive". In an answer both window parameters need a value: the bare
    /// `client_max_window_bits` is defined for an offer only.
    #[cfg(feature = "deflate")]
    #[test]
    fn window_bits_are_8_to_15_without_leading_zeros() {
        for bits in 8..=15u8 {
            accepts!(PLAIN, &std::format!("permessage-deflate; server_max_window_bits={bits}") => deal(false, false, bits, 15));
            accepts!(PLAIN, &std::format!("permessage-deflate; client_max_window_bits={bits}") => deal(false, false, 15, bits));
        }
        for parameter in [ServerMaxWindowBits, ClientMaxWindowBits] {
            let name = parameter.name();
            refuses!(PLAIN, &std::format!("permessage-deflate; {name}") => InvalidValue(parameter));
            for value in [
                "0",
                "1",
                "7",
                "16",
                "99",
                "010",
                "08",
                "015",
                "9a",
                "a",
                "-9",
                "+9",
                "1e1",
                "0x9",
                "255",
                "265",
                "99999999999999999999",
            ] {
                refuses!(PLAIN, &std::format!("permessage-deflate; {name}={value}") => InvalidValue(parameter));
            }
        }
    }

    // --- the answer against the offer (RFC 7692 §7.1) ---

    /// RFC 7692 §7.1.1.1: a server that accepts an offer with `server_no_context_takeover`
    /// "MUST include" it in the answer, and "MAY include" it unasked.
    #[cfg(feature = "deflate")]
    #[test]
    fn server_no_context_takeover() {
        let asked = PerMessageDeflate { server_no_context_takeover: true, ..PLAIN };
        refuses!(asked, "permessage-deflate" => MissingParameter(ServerNoContextTakeover));
        refuses!(asked, "permessage-deflate; client_no_context_takeover" => MissingParameter(ServerNoContextTakeover));
        accepts!(asked, "permessage-deflate; server_no_context_takeover" => deal(true, false, 15, 15));
        accepts!(PLAIN, "permessage-deflate; server_no_context_takeover" => deal(true, false, 15, 15));
        accepts!(PLAIN, "permessage-deflate" => deal(false, false, 15, 15));
    }

    /// RFC 7692 §7.1.1.2: the server "MAY include" `client_no_context_takeover`; with it in
    /// the offer, "the client is not going to use context takeover" even if the answer leaves
    /// it out.
    #[cfg(feature = "deflate")]
    #[test]
    fn client_no_context_takeover() {
        let promised = PerMessageDeflate { client_no_context_takeover: true, ..PLAIN };
        accepts!(promised, "permessage-deflate" => deal(false, true, 15, 15));
        accepts!(promised, "permessage-deflate; client_no_context_takeover" => deal(false, true, 15, 15));
        accepts!(PLAIN, "permessage-deflate; client_no_context_takeover" => deal(false, true, 15, 15));
    }

    /// RFC 7692 §7.1.2.1: a server accepts an offer of `server_max_window_bits` "by including
    /// the "server_max_window_bits" extension parameter in the extension negotiation response
    /// [...] with the same or smaller value as the offer", and "MAY include" it unasked.
    #[cfg(feature = "deflate")]
    #[test]
    fn server_max_window_bits() {
        let asked = PerMessageDeflate { server_max_window_bits: Some(10), ..PLAIN };
        refuses!(asked, "permessage-deflate" => MissingParameter(ServerMaxWindowBits));
        refuses!(asked, "permessage-deflate; server_max_window_bits=11" => ValueNotOffered(ServerMaxWindowBits));
        refuses!(asked, "permessage-deflate; server_max_window_bits=15" => ValueNotOffered(ServerMaxWindowBits));
        accepts!(asked, "permessage-deflate; server_max_window_bits=10" => deal(false, false, 10, 15));
        accepts!(asked, "permessage-deflate; server_max_window_bits=8" => deal(false, false, 8, 15));
        let smallest = PerMessageDeflate { server_max_window_bits: Some(8), ..PLAIN };
        refuses!(smallest, "permessage-deflate; server_max_window_bits=9" => ValueNotOffered(ServerMaxWindowBits));
        accepts!(PLAIN, "permessage-deflate; server_max_window_bits=9" => deal(false, false, 9, 15));
    }

    /// RFC 7692 §7.1.2.2: offered bare, the parameter says the client supports it in an answer;
    /// offered with a value, the client "is not going to use an LZ77 sliding window size
    /// greater than" that value, whatever the answer says. So the smaller value wins, and an
    /// answer above the offer merely allows more than the client uses.
    #[cfg(feature = "deflate")]
    #[test]
    fn client_max_window_bits() {
        accepts!(PLAIN, "permessage-deflate" => deal(false, false, 15, 15));
        accepts!(PLAIN, "permessage-deflate; client_max_window_bits=9" => deal(false, false, 15, 9));
        let hinted = PerMessageDeflate { client_max_window_bits: Some(10), ..PLAIN };
        accepts!(hinted, "permessage-deflate" => deal(false, false, 15, 10));
        accepts!(hinted, "permessage-deflate; client_max_window_bits=9" => deal(false, false, 15, 9));
        accepts!(hinted, "permessage-deflate; client_max_window_bits=10" => deal(false, false, 15, 10));
        accepts!(hinted, "permessage-deflate; client_max_window_bits=12" => deal(false, false, 15, 10));
    }

    /// Everything at once, in any order (RFC 7692 §7: the parameters are a set).
    #[cfg(feature = "deflate")]
    #[test]
    fn every_parameter_together() {
        let offer = PerMessageDeflate {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: Some(12),
            client_max_window_bits: Some(11),
        };
        accepts!(offer, "permessage-deflate; client_max_window_bits=9; server_max_window_bits=12; \
                         client_no_context_takeover; server_no_context_takeover" => deal(true, true, 12, 9));
        accepts!(offer, "permessage-deflate; server_no_context_takeover; server_max_window_bits=\"9\"" => deal(true, true, 9, 11));
    }

    /// The first failure found, reading left to right, is the one reported.
    #[cfg(feature = "deflate")]
    #[test]
    fn the_first_failure_is_reported() {
        refuses!(PLAIN, "permessage-deflate; foo; server_max_window_bits=99" => UnknownParameter);
        refuses!(PLAIN, "permessage-deflate; server_max_window_bits=99; foo" => InvalidValue(ServerMaxWindowBits));
        refuses!(PLAIN, "permessage-deflate; foo, x-other" => UnknownParameter);
        // A value is judged before what follows it is read.
        refuses!(PLAIN, "permessage-deflate; server_max_window_bits=1 0" => InvalidValue(ServerMaxWindowBits));
        refuses!(PLAIN, "x-other; ;;, permessage-deflate" => Unoffered);
        let asked = PerMessageDeflate { server_no_context_takeover: true, ..PLAIN };
        refuses!(asked, "permessage-deflate, permessage-deflate" => DuplicateExtension);
    }

    // --- the offer ---

    /// RFC 7692 §7.1.2: window sizes are 8 to 15; the server's is checked first.
    #[test]
    fn offer_validation() {
        assert_eq!(PLAIN.validate(), Ok(()));
        assert_eq!(PLAIN, PerMessageDeflate::default());
        for bits in 8..=15 {
            let offer = PerMessageDeflate {
                server_max_window_bits: Some(bits),
                client_max_window_bits: Some(bits),
                ..PLAIN
            };
            assert_eq!(offer.validate(), Ok(()));
        }
        for bits in [0, 7, 16, 255] {
            let offer = PerMessageDeflate { server_max_window_bits: Some(bits), ..PLAIN };
            assert_eq!(offer.validate(), Err(DeflateOfferError::ServerMaxWindowBits(bits)));
            let offer = PerMessageDeflate { client_max_window_bits: Some(bits), ..PLAIN };
            assert_eq!(offer.validate(), Err(DeflateOfferError::ClientMaxWindowBits(bits)));
        }
        let both =
            PerMessageDeflate { server_max_window_bits: Some(16), client_max_window_bits: Some(7), ..PLAIN };
        assert_eq!(both.validate(), Err(DeflateOfferError::ServerMaxWindowBits(16)));
    }

    #[test]
    fn errors_say_what_happened() {
        use std::string::ToString;
        assert_eq!(
            DeflateOfferError::ServerMaxWindowBits(16).to_string(),
            "perMessageDeflate server_max_window_bits 16 is not between 8 and 15"
        );
        assert_eq!(
            DuplicateParameter(ServerMaxWindowBits).to_string(),
            "permessage-deflate answer repeats server_max_window_bits"
        );
        assert_eq!(
            MissingParameter(ServerNoContextTakeover).to_string(),
            "permessage-deflate answer lacks the server_no_context_takeover the offer requires"
        );
        assert_eq!(Unoffered.to_string(), "server selected an extension that was not offered");
        for error in [
            Malformed,
            Unoffered,
            DuplicateExtension,
            UnknownParameter,
            InvalidValue(ClientMaxWindowBits),
            ValueNotOffered(ServerMaxWindowBits),
        ] {
            assert!(!error.to_string().is_empty());
        }
    }

    // --- properties ---

    #[cfg(feature = "deflate")]
    /// An answer the RFC allows for a given offer: what a conforming server may send.
    fn conforming_answer(offer: &PerMessageDeflate, picks: [u8; 4]) -> (std::string::String, Negotiated) {
        let mut line = std::string::String::from("permessage-deflate");
        let server_nct = offer.server_no_context_takeover || picks[0] % 2 == 1;
        let client_nct_answered = picks[1] % 2 == 1;
        if server_nct {
            line.push_str("; server_no_context_takeover");
        }
        if client_nct_answered {
            line.push_str(";client_no_context_takeover");
        }
        let ceiling = offer.server_max_window_bits.unwrap_or(15);
        let server_bits = match (offer.server_max_window_bits, picks[2] % 9) {
            (None, 0) => None,
            (_, pick) => Some((8 + pick % 8).min(ceiling)),
        };
        if let Some(bits) = server_bits {
            line.push_str(&std::format!(" ; server_max_window_bits={bits}"));
        }
        let client_bits = match picks[3] % 9 {
            0 => None,
            pick => Some(7 + pick),
        };
        if let Some(bits) = client_bits {
            line.push_str(&std::format!("; client_max_window_bits=\"{bits}\""));
        }
        let client_window = match (offer.client_max_window_bits, client_bits) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(15),
        };
        let negotiated = deal(
            server_nct,
            offer.client_no_context_takeover || client_nct_answered,
            server_bits.unwrap_or(15),
            client_window,
        );
        (line, negotiated)
    }

    proptest::proptest! {
        #[test]
        fn negotiate_never_panics(
            lines in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..48), 0..3),
            words in proptest::collection::vec(proptest::sample::select(&[
                "permessage-deflate", ";", ",", "=", " ", "\"", "\\", "server_max_window_bits", "client_max_window_bits",
                "server_no_context_takeover", "client_no_context_takeover", "10", "8", "x",
            ][..]), 0..12),
            offered in proptest::option::of((proptest::bool::ANY, proptest::bool::ANY, proptest::option::of(0u8..20), proptest::option::of(0u8..20))),
        ) {
            let offer = offered.map(|(s, c, sb, cb)| PerMessageDeflate {
                server_no_context_takeover: s, client_no_context_takeover: c, server_max_window_bits: sb, client_max_window_bits: cb,
            });
            let joined: std::string::String = words.concat();
            let mut all: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
            all.push(joined.as_bytes());
            if let Ok(Some(n)) = negotiate(all.iter().copied(), offer.as_ref()) {
                proptest::prop_assert!((8..=15).contains(&n.server_max_window_bits));
                proptest::prop_assert!((8..=15).contains(&n.client_max_window_bits));
            }
        }

        /// Every answer a conforming server may give is accepted, with the configuration
        /// RFC 7692 §7.1 says it stands for.
        #[cfg(feature = "deflate")]
        #[test]
        fn conforming_answers_are_accepted(
            server_nct in proptest::bool::ANY,
            client_nct in proptest::bool::ANY,
            server_bits in proptest::option::of(8u8..=15),
            client_bits in proptest::option::of(8u8..=15),
            picks in proptest::array::uniform4(proptest::num::u8::ANY),
        ) {
            let offer = PerMessageDeflate {
                server_no_context_takeover: server_nct,
                client_no_context_takeover: client_nct,
                server_max_window_bits: server_bits,
                client_max_window_bits: client_bits,
            };
            let (line, negotiated) = conforming_answer(&offer, picks);
            proptest::prop_assert_eq!(run(&[line.as_str()], Some(offer)), Ok(Some(negotiated)), "{}", line);
        }
    }
}
