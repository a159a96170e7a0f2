//! Encryption of tokens at rest (ChaCha20-Poly1305). Each value is bound to the row it
//! belongs to (associated data), so a ciphertext copied to another row does not open.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, OsRng, Payload};
use chacha20poly1305::{AeadCore, ChaCha20Poly1305, Key, Nonce};

#[derive(Clone)]
pub struct TokenCipher {
    cipher: ChaCha20Poly1305,
}

impl TokenCipher {
    /// `key` is 32 bytes.
    pub fn new(key: &[u8; 32]) -> Self {
        TokenCipher {
            cipher: ChaCha20Poly1305::new(Key::from_slice(key)),
        }
    }

    /// base64(nonce ‖ ciphertext).
    pub fn seal(&self, plaintext: &str, bound_to: &str) -> String {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: bound_to.as_bytes(),
                },
            )
            .expect("encrypting in memory cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        STANDARD.encode(out)
    }

    /// `None` when the value was not sealed by this key for this row.
    pub fn open(&self, sealed: &str, bound_to: &str) -> Option<String> {
        let bytes = STANDARD.decode(sealed).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: bound_to.as_bytes(),
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_tokens_open_only_with_the_same_key_and_row() {
        let cipher = TokenCipher::new(&[7; 32]);
        let sealed = cipher.seal("secret-token", "row-1");
        assert!(!sealed.contains("secret-token"));
        assert_eq!(
            cipher.open(&sealed, "row-1").as_deref(),
            Some("secret-token")
        );
        assert_eq!(cipher.open(&sealed, "row-2"), None);
        assert_eq!(TokenCipher::new(&[8; 32]).open(&sealed, "row-1"), None);
        assert_ne!(
            cipher.seal("secret-token", "row-1"),
            sealed,
            "a fresh nonce each time"
        );
    }
}
