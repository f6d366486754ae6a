//! TLS to PostgreSQL per `PGSSLMODE` (libpq semantics) on rustls/ring:
//! `prefer`/`require` encrypt without verifying the certificate (what libpq
//! does); `verify-ca` checks the chain, `verify-full` the chain and the host
//! name, against `PGSSLROOTCERT` or, when it is unset, the Amazon RDS root
//! CAs embedded from `certs/rds-ca-bundle.pem` (the services' databases on
//! AWS are RDS, whose certificates no public root store carries).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::config::{PgSettings, SslMode};

/// The Amazon RDS root CAs (provenance in the file's header).
pub const RDS_CA_BUNDLE: &[u8] = include_bytes!("../certs/rds-ca-bundle.pem");

pub(crate) fn tls_config(
    mode: SslMode,
    settings: &PgSettings,
) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let config = match mode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
            .with_no_client_auth(),
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let roots = Arc::new(root_store(settings.ssl_root_cert.as_deref())?);
            let webpki =
                rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider)
                    .build()
                    .map_err(|e| e.to_string())?;
            if mode == SslMode::VerifyFull {
                builder.with_webpki_verifier(webpki).with_no_client_auth()
            } else {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
                    .with_no_client_auth()
            }
        }
    };
    Ok(config)
}

fn root_store(path: Option<&str>) -> Result<RootCertStore, String> {
    let (pem, source) = match path {
        None => (RDS_CA_BUNDLE.to_vec(), "the embedded Amazon RDS CA bundle"),
        Some(path) => (
            std::fs::read(path).map_err(|e| format!("PGSSLROOTCERT {path}: {e}"))?,
            path,
        ),
    };
    let mut store = RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        let cert = cert.map_err(|e| format!("PGSSLROOTCERT {source}: {e}"))?;
        store
            .add(cert)
            .map_err(|e| format!("PGSSLROOTCERT {source}: {e}"))?;
    }
    if store.is_empty() {
        return Err(format!("PGSSLROOTCERT {source}: no PEM certificate found"));
    }
    Ok(store)
}

/// libpq `require`: encrypt, accept any certificate (signatures still checked).
#[derive(Debug)]
struct NoVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// libpq `verify-ca`: the chain must verify, the host name need not match.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_bundle_holds_only_the_rds_roots() {
        let store = root_store(None).unwrap();
        // 27 regions × RSA2048, RSA4096, ECC384
        assert_eq!(store.len(), 81);
        let text = std::str::from_utf8(RDS_CA_BUNDLE).unwrap();
        for region in ["eu-west-3", "us-east-1", "eu-central-1"] {
            for kind in ["RSA2048", "RSA4096", "ECC384"] {
                let cn = format!("# Amazon RDS {region} Root CA {kind} G1");
                assert!(text.contains(&cn), "{cn} missing");
            }
        }
    }

    #[test]
    fn a_root_file_without_certificates_is_a_config_error() {
        let path = std::env::temp_dir().join(format!("no-certs-{}.pem", uuid::Uuid::new_v4()));
        std::fs::write(&path, "not a certificate\n").unwrap();
        let err = root_store(path.to_str()).unwrap_err();
        std::fs::remove_file(&path).ok();
        assert!(
            err.to_string().contains("no PEM certificate found"),
            "{err}"
        );
        let err = root_store(Some("/nonexistent.pem")).unwrap_err();
        assert!(
            err.to_string().contains("PGSSLROOTCERT /nonexistent.pem"),
            "{err}"
        );
    }
}
