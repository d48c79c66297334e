//! The TLS layer: which roots a `wss://` task trusts and the one crypto provider (ring) every
//! `rustls::ClientConfig` of this crate is built with.
//!
//! Certificate and host-name verification are always on. The only way to change what is
//! verified is to hand in a whole `ClientConfig`, which needs the off-by-default
//! `dangerous-client-config` feature.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

/// What `wss://` tasks trust. The default is the Mozilla root program (`webpki-roots`).
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
    /// The caller's roots (a private CA).
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
