//! The sandbox's token signing key (RS256), its JWKS, and token verification for the
//! Partner Center side.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A freshly generated RSA key. A new one at every start: nothing outside the running sandbox
/// should trust it.
pub struct SigningKey {
    kid: String,
    modulus: String,
    exponent: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl SigningKey {
    pub fn generate() -> SigningKey {
        let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
            .expect("generating an RSA key with the OS random source cannot fail");
        let der = private
            .to_pkcs1_der()
            .expect("a freshly generated RSA key encodes as PKCS#1");
        let modulus = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
        let exponent = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(modulus.as_bytes())[..12]);
        let decoding = DecodingKey::from_rsa_components(&modulus, &exponent)
            .expect("components of a valid RSA key decode");
        SigningKey {
            kid,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            decoding,
            modulus,
            exponent,
        }
    }

    /// The JWKS document served at `/{tenant}/discovery/v2.0/keys`.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "RSA",
                "use": "sig",
                "alg": "RS256",
                "kid": self.kid,
                "n": self.modulus,
                "e": self.exponent,
            }]
        })
    }

    pub fn sign<C: Serialize>(&self, claims: &C) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".to_string());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .expect("signing serialisable claims with an RSA key cannot fail")
    }

    /// Verifies signature, `kid`, issuer, audience, `exp` and `nbf`, with one second of leeway
    /// (Microsoft allows more; a short one keeps expiry testable with short token lifetimes).
    pub fn verify<C: DeserializeOwned>(
        &self,
        token: &str,
        issuer: &str,
        audience: &str,
    ) -> Result<C, jsonwebtoken::errors::Error> {
        let header = jsonwebtoken::decode_header(token)?;
        if header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(jsonwebtoken::errors::ErrorKind::InvalidSignature.into());
        }
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 1;
        validation.validate_nbf = true;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud"]);
        jsonwebtoken::decode::<C>(token, &self.decoding, &validation).map(|data| data.claims)
    }
}
