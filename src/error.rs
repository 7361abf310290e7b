//! One error type for the whole engine. Every failure a user can cause is a value of this type and
//! reaches Python as an exception whose message names the file, key, node or edge involved.

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened, created, read or renamed.
    #[error("{path}: {message}")]
    File { path: String, message: String },
    /// HDF5 refused an operation on an object inside a file.
    #[error("{path}: HDF5 error at '{object}': {message}")]
    Hdf5 {
        path: String,
        object: String,
        message: String,
    },
    /// The content of a file is not what the format requires.
    #[error("{path}: {message}")]
    Format { path: String, message: String },
    /// A value given through the API is not acceptable.
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn file(path: &Path, message: impl std::fmt::Display) -> Self {
        Error::File {
            path: path.display().to_string(),
            message: message.to_string(),
        }
    }

    pub fn hdf5(path: &Path, object: &str, err: impl std::fmt::Display) -> Self {
        Error::Hdf5 {
            path: path.display().to_string(),
            object: object.to_string(),
            message: err.to_string(),
        }
    }

    pub fn format(path: &Path, message: impl std::fmt::Display) -> Self {
        Error::Format {
            path: path.display().to_string(),
            message: message.to_string(),
        }
    }

    pub fn invalid(message: impl std::fmt::Display) -> Self {
        Error::Invalid(message.to_string())
    }
}
