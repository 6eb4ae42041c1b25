//! Files on this machine, for the console and `ask`: a file typed as a path
//! read for AWS (only regular files, never system or process places, never
//! past AWS's size limit), and a file of an AWS case saved whole.

use std::path::Path;

use crate::error::UserError;

/// Places on this machine that are not files a person sends to AWS: the
/// kernel's and processes' views (`/proc`, `/sys`: this process's own
/// environment holds its credentials), devices and run-time state.
const NOT_FOR_AWS: [&str; 4] = ["/proc", "/sys", "/dev", "/run"];

/// A local file's bytes, read no further than one byte past AWS's size
/// limit (a file may claim any size, or none, and grow while read), and the
/// size it claims: only a regular file, outside [`NOT_FOR_AWS`] once its
/// links are followed.
pub async fn read(path: &Path) -> Result<(Vec<u8>, u64), UserError> {
    use tokio::io::AsyncReadExt;
    let unreadable =
        |error: std::io::Error| UserError::BadFile(format!("I could not read `{}`: {error}.", path.display()));
    let real = tokio::fs::canonicalize(path).await.map_err(unreadable)?;
    if NOT_FOR_AWS.iter().any(|place| real.starts_with(place)) {
        return Err(UserError::BadFile(format!(
            "`{}` is not a file to send to AWS (system and process information is never sent).",
            path.display()
        )));
    }
    let metadata = tokio::fs::metadata(&real).await.map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(UserError::BadFile(format!("`{}` is not a file.", path.display())));
    }
    let file = tokio::fs::File::open(&real).await.map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(crate::service::tickets::MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(unreadable)?;
    Ok((bytes, metadata.len()))
}

/// Whether a file was saved at `path` before: a regular file there (a link
/// is never followed, and is replaced by [`save_whole`]).
pub async fn is_saved(path: &Path) -> bool {
    tokio::fs::symlink_metadata(path)
        .await
        .is_ok_and(|m| m.file_type().is_file())
}

/// Saves `bytes` as `dir/name`: written whole under another name, then
/// renamed over the final one, so that an interrupted save leaves no partial
/// file under it and a link there is replaced, not followed.
pub async fn save_whole(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    tokio::fs::create_dir_all(dir).await?;
    let partial = dir.join(format!(".{name}.{}.partial", std::process::id()));
    let _ = tokio::fs::remove_file(&partial).await;
    let mut out = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .await?;
    out.write_all(bytes).await?;
    out.sync_all().await?;
    tokio::fs::rename(&partial, dir.join(name)).await
}
