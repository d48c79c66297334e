//! The TLS layer: which roots a `wss://` task trusts and the one crypto provider (ring) every
//! `rustls::ClientConfig` of this crate is built with.
//!
//! Certificate and host-name verification are always on. The only way to change what is
//! verified is to hand in a whole `ClientConfig`, which needs the off-by-default
//! `dangerous-client-config` feature.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::{self, PemObject};
use rustls::{ClientConfig, RootCertStore};

/// What `wss://` tasks trust. The default is the Mozilla root program (`webpki-roots`).
///
/// A private CA is trusted instead with [`Tls::roots`] (a `RootCertStore`),
/// [`Tls::root_der`] (one DER certificate), [`Tls::roots_pem`] (PEM text) or
/// [`Tls::roots_pem_file`] (a PEM file); with the `native-roots` feature,
/// `Tls::native_roots` trusts the operating system's store.
///
/// ```
/// use sockettask_mio::Tls;
/// use sockettask_mio::rustls::RootCertStore;
///
/// // A private CA: trust only the roots in this store.
/// let tls = Tls::roots(RootCertStore::empty());
/// # let _ = tls;
/// ```
#[derive(Clone, Debug, Default)]
pub struct Tls {
    trust: Trust,
}

#[derive(Clone, Debug, Default)]
enum Trust {
    /// `webpki_roots::TLS_SERVER_ROOTS`.
    #[default]
    WebPki,
    /// The caller's roots (a private CA, or the operating system's store).
    Roots(Arc<RootCertStore>),
    /// The caller's whole client configuration.
    #[cfg(feature = "dangerous-client-config")]
    Config(Arc<ClientConfig>),
}

impl Tls {
    /// Trusts the Mozilla root program as shipped by `webpki-roots` (the default).
    pub fn webpki_roots() -> Self {
        Tls { trust: Trust::WebPki }
    }

    /// Trusts exactly the roots in `roots` (e.g. a private CA), instead of `webpki-roots`.
    pub fn roots(roots: RootCertStore) -> Self {
        Tls { trust: Trust::Roots(Arc::new(roots)) }
    }

    /// Trusts exactly one root certificate, given in DER (e.g. a private CA).
    pub fn root_der(root: CertificateDer<'_>) -> Result<Self, rustls::Error> {
        let mut roots = RootCertStore::empty();
        roots.add(root)?;
        Ok(Tls::roots(roots))
    }

    /// Trusts exactly the certificates of a PEM text (a private CA, or a bundle of them),
    /// instead of `webpki-roots`.
    ///
    /// Every `-----BEGIN CERTIFICATE-----` section becomes a root; other sections (a private
    /// key, say) and text outside sections are skipped. The PEM is read by `rustls-pki-types`.
    ///
    /// Fails with [`RootsError::Pem`] when a section is malformed, [`RootsError::NoCertificate`]
    /// when there is no certificate at all, and [`RootsError::Rejected`] when rustls refuses a
    /// certificate as a root.
    ///
    /// ```
    /// use sockettask_mio::{RootsError, Tls};
    ///
    /// // Nothing to trust: an empty text, or a key where a certificate belongs.
    /// assert!(matches!(Tls::roots_pem(""), Err(RootsError::NoCertificate)));
    /// let key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    /// assert!(matches!(Tls::roots_pem(key), Err(RootsError::NoCertificate)));
    /// // A section that never ends.
    /// let cut = "-----BEGIN CERTIFICATE-----\nAAAA\n";
    /// assert!(matches!(Tls::roots_pem(cut), Err(RootsError::Pem(_))));
    /// // Well-formed PEM around three zero bytes: not a certificate rustls takes as a root.
    /// let zeros = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    /// assert!(matches!(Tls::roots_pem(zeros), Err(RootsError::Rejected { index: 0, .. })));
    ///
    /// # fn run(ca_pem: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// // `ca_pem`: "-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----\n"
    /// let options = sockettask_mio::Options { tls: Tls::roots_pem(ca_pem)?, ..Default::default() };
    /// # let _ = options; Ok(()) }
    /// ```
    pub fn roots_pem(pem: impl AsRef<[u8]>) -> Result<Self, RootsError> {
        roots_from(CertificateDer::pem_slice_iter(pem.as_ref()).map(|cert| cert.map_err(RootsError::Pem)))
    }

    /// Trusts exactly the certificates of a PEM file (a private CA, or a bundle of them),
    /// instead of `webpki-roots`. The file is read now, once.
    ///
    /// As [`Tls::roots_pem`], and fails with [`RootsError::Read`] when the file cannot be
    /// opened or read.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use sockettask_mio::{Client, Options, Tls};
    ///
    /// let tls = Tls::roots_pem_file("/etc/my-app/ca.pem")?;
    /// let client = Client::new(Options { tls, ..Options::default() })?;
    /// # let _ = client; Ok(()) }
    /// ```
    pub fn roots_pem_file(path: impl AsRef<Path>) -> Result<Self, RootsError> {
        let path = path.as_ref();
        let file_error = |error| match error {
            pem::Error::Io(error) => RootsError::Read { path: path.to_owned(), error },
            error => RootsError::Pem(error),
        };
        let certs = CertificateDer::pem_file_iter(path).map_err(file_error)?;
        roots_from(certs.map(|cert| cert.map_err(file_error)))
    }

    /// Trusts the operating system's store instead of `webpki-roots`: the roots an
    /// administrator installed, enterprise CAs included. The store is read now, once, by
    /// `rustls-native-certs` (`SSL_CERT_FILE` / `SSL_CERT_DIR` when set, else the system
    /// bundle on Linux and BSDs, the keychain's trust settings on macOS, the system store on
    /// Windows); verification stays rustls' own (webpki), with the same errors as every other
    /// root choice. Only with the `native-roots` feature.
    ///
    /// Entries the store cannot read or rustls cannot parse are skipped as long as one root
    /// loads; a store with no usable root fails with [`RootsError::NoSystemRoots`] rather than
    /// trusting nothing.
    ///
    /// Why `rustls-native-certs` and not `rustls-platform-verifier` (which the rustls project
    /// suggests in general): the platform verifier calls the operating system inside every
    /// handshake, and on macOS and Windows that call may block on the network (revocation,
    /// missing intermediates), stalling every socket of the `mio` loop, which this crate
    /// otherwise never blocks (DNS runs on a helper thread for the same reason). Loading the
    /// roots once keeps verification in-process and non-blocking. The cost: no OS revocation
    /// checks or platform policy on macOS and Windows, and no support for Android or iOS
    /// (where the store is usually not found: [`RootsError::NoSystemRoots`]); on Linux both
    /// crates do the same thing.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use sockettask_mio::{Client, Options, Tls};
    ///
    /// let client = Client::new(Options { tls: Tls::native_roots()?, ..Options::default() })?;
    /// # let _ = client; Ok(()) }
    /// ```
    #[cfg(feature = "native-roots")]
    pub fn native_roots() -> Result<Self, RootsError> {
        let loaded = rustls_native_certs::load_native_certs();
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(loaded.certs);
        if roots.is_empty() {
            let errors = loaded.errors.into_iter().map(|e| Box::new(e) as _).collect();
            return Err(RootsError::NoSystemRoots { errors });
        }
        Ok(Tls::roots(roots))
    }

    /// Uses `config` as it is for every `wss://` task: whatever it verifies, or does not.
    ///
    /// Only with the `dangerous-client-config` feature: a hand-built configuration can switch
    /// certificate verification off.
    #[cfg(feature = "dangerous-client-config")]
    pub fn dangerous_client_config(config: Arc<ClientConfig>) -> Self {
        Tls { trust: Trust::Config(config) }
    }

    /// The client configuration: ring, the safe default protocol versions, these roots, no
    /// client certificate.
    pub(crate) fn client_config(&self) -> Result<Arc<ClientConfig>, rustls::Error> {
        let roots = match &self.trust {
            Trust::WebPki => webpki_roots::TLS_SERVER_ROOTS.iter().cloned().collect(),
            Trust::Roots(roots) => RootCertStore::clone(roots),
            #[cfg(feature = "dangerous-client-config")]
            Trust::Config(config) => return Ok(Arc::clone(config)),
        };
        // The provider is set explicitly, so no process-level default is needed (or panics).
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(config))
    }
}

/// A root store of every certificate `certs` yields; refuses an error, an empty list, or a
/// certificate rustls does not take as a root.
fn roots_from(
    certs: impl Iterator<Item = Result<CertificateDer<'static>, RootsError>>,
) -> Result<Tls, RootsError> {
    let mut roots = RootCertStore::empty();
    for (index, cert) in certs.enumerate() {
        roots.add(cert?).map_err(|error| RootsError::Rejected { index, error })?;
    }
    if roots.is_empty() {
        return Err(RootsError::NoCertificate);
    }
    Ok(Tls::roots(roots))
}

/// Why roots given as PEM, or the operating system's store, could not be trusted.
///
/// Each variant says whose input was wrong: the file system ([`RootsError::Read`]), the PEM
/// text ([`RootsError::Pem`], [`RootsError::NoCertificate`]), a certificate in it
/// ([`RootsError::Rejected`]), or the machine's store ([`RootsError::NoSystemRoots`]).
///
/// ```
/// use std::io::ErrorKind;
/// use sockettask_mio::{RootsError, Tls};
///
/// let error = Tls::roots_pem_file("/nonexistent/ca.pem").unwrap_err();
/// assert!(matches!(&error, RootsError::Read { error, .. } if error.kind() == ErrorKind::NotFound));
/// assert!(error.to_string().starts_with("could not read /nonexistent/ca.pem: "));
/// ```
#[derive(Debug)]
pub enum RootsError {
    /// The PEM file could not be opened or read.
    Read {
        /// The file, as given.
        path: PathBuf,
        /// What the operating system said.
        error: io::Error,
    },
    /// The PEM is malformed: a section with no end line, a bad start line, or bad base64.
    Pem(pem::Error),
    /// The PEM holds no `CERTIFICATE` section: it is empty, or holds only keys or other
    /// sections.
    NoCertificate,
    /// rustls refused a certificate as a root (it is not a well-formed X.509 certificate).
    Rejected {
        /// Which certificate of the PEM, counting from 0 in the order they appear.
        index: usize,
        /// Why rustls refused it.
        error: rustls::Error,
    },
    /// The operating system's store has no usable root (`Tls::native_roots`, `native-roots`
    /// feature): on Linux, install the `ca-certificates` package or set `SSL_CERT_FILE`.
    NoSystemRoots {
        /// What went wrong while reading the store, in the order met (may be empty).
        errors: Vec<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl fmt::Display for RootsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RootsError::Read { path, error } => write!(f, "could not read {}: {error}", path.display()),
            RootsError::Pem(e) => write!(f, "malformed PEM: {e}"),
            RootsError::NoCertificate => f.write_str("the PEM holds no CERTIFICATE section"),
            RootsError::Rejected { index, error } => {
                write!(f, "certificate {index} (counting from 0) is not usable as a root: {error}")
            }
            RootsError::NoSystemRoots { errors } => {
                write!(f, "the operating system's trust store holds no usable root certificate")?;
                match errors.first() {
                    Some(first) => {
                        write!(f, " (errors while reading it: {}; the first: {first})", errors.len())
                    }
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for RootsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RootsError::Read { error, .. } => Some(error),
            RootsError::Pem(e) => Some(e),
            RootsError::NoCertificate => None,
            RootsError::Rejected { error, .. } => Some(error),
            RootsError::NoSystemRoots { errors } => errors.first().map(|e| &**e as _),
        }
    }
}

/// What a rustls failure means for the task's `onError` (the full error stays in the log).
pub(crate) fn tls_failure(error: &rustls::Error) -> sockettask::TransportError {
    use rustls::CertificateError as Cert;
    use sockettask::TlsError;
    let kind = match error {
        rustls::Error::InvalidCertificate(cert) => match cert {
            Cert::UnknownIssuer => TlsError::UnknownIssuer,
            Cert::Expired
            | Cert::ExpiredContext { .. }
            | Cert::NotValidYet
            | Cert::NotValidYetContext { .. } => TlsError::Expired,
            Cert::NotValidForName | Cert::NotValidForNameContext { .. } => TlsError::WrongHost,
            _ => TlsError::BadCertificate,
        },
        rustls::Error::AlertReceived(_) => TlsError::AlertReceived,
        _ => TlsError::Other,
    };
    sockettask::TransportError::Tls(kind)
}
