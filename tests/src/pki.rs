//! A certificate authority and a leaf for `127.0.0.1` / `localhost`, generated at start-up:
//! PEM files for the Python and Node peers, a rustls configuration for the Rust peer, and
//! the root the client trusts (`Tls::root_der`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use sockettask_mio::Tls;
use sockettask_mio::rustls::ServerConfig;
use sockettask_mio::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A CA, a leaf it signed, and both written as PEM into a directory removed on drop.
#[derive(Debug)]
pub struct Pki {
    ca: CertificateDer<'static>,
    leaf: CertificateDer<'static>,
    key: Vec<u8>,
    dir: PathBuf,
}

impl Pki {
    /// Generates the CA and a leaf valid for `127.0.0.1` and `localhost`, and writes
    /// `cert.pem` (leaf, then CA) and `key.pem` into a fresh temporary directory.
    pub fn new() -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, "sockettask interop CA");
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA");
        let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
        let key = KeyPair::generate().expect("key");
        let leaf = CertificateParams::new(names).expect("leaf params").signed_by(&key, &ca).expect("leaf");
        let dir = temp_dir();
        std::fs::write(dir.join("cert.pem"), format!("{}{}", leaf.pem(), ca.pem())).expect("write cert");
        std::fs::write(dir.join("key.pem"), key.serialize_pem()).expect("write key");
        Pki { ca: ca.der().clone(), leaf: leaf.der().clone(), key: key.serialize_der(), dir }
    }

    /// What the client trusts: exactly this CA.
    pub fn tls(&self) -> Tls {
        Tls::root_der(self.ca.clone()).expect("CA certificate")
    }

    /// The leaf and CA, PEM (for `--cert`).
    pub fn cert_pem(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    /// The leaf's private key, PEM (for `--key`).
    pub fn key_pem(&self) -> PathBuf {
        self.dir.join("key.pem")
    }

    /// A rustls server configuration with the leaf (ring provider, safe defaults).
    pub fn server_config(&self) -> Arc<ServerConfig> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()));
        let provider = Arc::new(sockettask_mio::rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![self.leaf.clone(), self.ca.clone()], key)
            .expect("server certificate");
        Arc::new(config)
    }

    /// The directory holding the PEM files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Default for Pki {
    fn default() -> Self {
        Pki::new()
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn temp_dir() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("sockettask-pki-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temporary directory");
    dir
}
