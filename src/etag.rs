//! Strong ETags for response bodies: a 64-bit FNV-1a hash of the exact
//! bytes, quoted. Any change to a body changes its ETag; equal bodies share
//! one, which is what `If-None-Match` and `If-Match` need.

/// The quoted ETag of `bytes`, e.g. `"8f3a0c2b9d4e6f10"`.
#[must_use]
pub fn strong(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("\"{hash:016x}\"")
}

#[cfg(test)]
mod tests {
    #[test]
    fn etag_is_quoted_and_content_dependent() {
        let a = super::strong(b"{}");
        assert_ne!(a, super::strong(b"{ }"));
        assert_eq!(a, super::strong(b"{}"));
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 18);
    }
}
