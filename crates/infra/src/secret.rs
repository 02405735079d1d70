//! Random secrets, and the development signing secret kept in a file.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::rngs::OsRng;
use rand::{RngCore, TryRngCore};
use std::path::Path;

/// `n` random bytes straight from the operating system's generator, base64url without
/// padding. (An OS that cannot give random bytes cannot run this service safely: it
/// panics, as `rand`'s own generators do.)
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    OsRng.unwrap_err().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The secret stored at `path`, or a new one written there when the file is missing or
/// holds fewer than 32 characters. The file is created owner-only (`0600` on Unix) and
/// exclusively: it is never readable by others, not even for a moment, and of two
/// processes starting at once the second reads the first one's secret.
pub fn load_or_create(path: &Path) -> std::io::Result<String> {
    if let Some(existing) = read_long_enough(path)? {
        return Ok(existing);
    }
    if path.exists() {
        std::fs::remove_file(path)?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let secret = random_token(48);
    match options.open(path) {
        Ok(mut file) => {
            use std::io::Write;
            file.write_all(secret.as_bytes())?;
            file.sync_all()?;
            Ok(secret)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_long_enough(path)?
            .ok_or_else(|| std::io::Error::other("another process is writing the secret")),
        Err(e) => Err(e),
    }
}

fn read_long_enough(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(existing) if existing.trim().len() >= 32 => Ok(Some(existing.trim().to_owned())),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_secret_file_is_owner_only_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/jwt_secret");
        let first = load_or_create(&path).unwrap();
        assert!(first.len() >= 32);
        assert_eq!(load_or_create(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
        }
    }

    #[test]
    fn a_short_secret_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jwt_secret");
        std::fs::write(&path, "short").unwrap();
        let secret = load_or_create(&path).unwrap();
        assert!(secret.len() >= 32);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), secret);
    }
}
