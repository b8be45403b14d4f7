//! The one error of the service's operations. Each presenter words it its
//! own way: the API as a status and a JSON error (`From<Error> for
//! ApiError`), the pages as an error page, the command line as a line on
//! standard error naming its own flags.

use anju_core::input::InputError;
use anju_store::StoreError;

/// Why an operation did not happen.
#[derive(Debug)]
pub enum Error {
    /// Input that cannot be taken: the field as the caller named it, and why.
    Invalid {
        /// `values[2].period`, `filter.from`, `as_of` …
        field: String,
        /// Why, in words for people.
        message: String,
    },
    /// The permission table said no (its words).
    Forbidden(String),
    /// Nothing of that name or id.
    NotFound(String),
    /// Two records where one may be (why).
    Duplicate(String),
    /// A change the state of things does not allow (why).
    Conflict(String),
    /// A file that cannot be read at all.
    File(FileProblem, String),
    /// Bad rows of a file, every one named (lines of a sheet are its own
    /// rows), and the sheet's name for a workbook.
    Rows(Vec<InputError>, Option<String>),
    /// A decomposition whose sums do not add up: every place named.
    Unbalanced(Vec<InputError>),
    /// No unit named, and the user has none of their own.
    NoUnit,
    /// A month whose figures are not complete, not published without
    /// `force`: what is missing.
    Incomplete(Box<super::publications::Completeness>),
    /// Figures with warnings submitted without confirming them: which, and why.
    Warned(Vec<super::figures::Warned>),
    /// The store refused or failed.
    Store(StoreError),
    /// The server's own failure (a task that did not finish, a renderer).
    Internal(String),
}

/// What is wrong with a file as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileProblem {
    /// An old .xls (a compound document, not a zip).
    OldExcel,
    /// A workbook that cannot be read.
    Unreadable,
    /// No figure in it.
    Empty,
}

impl Error {
    /// Input that cannot be taken.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The server's own failure, worded for people.
    pub fn internal() -> Error {
        Error::Internal("服务器内部错误,请稍后重试".into())
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        Error::Store(e)
    }
}

impl From<anju_core::access::Denied> for Error {
    fn from(d: anju_core::access::Denied) -> Error {
        Error::Forbidden(d.0)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Invalid { field, message } => write!(f, "{field}: {message}"),
            Error::Forbidden(m)
            | Error::NotFound(m)
            | Error::Duplicate(m)
            | Error::Conflict(m)
            | Error::File(_, m)
            | Error::Internal(m) => f.write_str(m),
            Error::Rows(rows, _) => write!(f, "文件有 {} 处错误", rows.len()),
            Error::Unbalanced(rows) => {
                write!(f, "分解后有 {} 处合计不符或分解不全,未下达", rows.len())
            }
            Error::NoUnit => f.write_str("请指定单位"),
            Error::Incomplete(c) => f.write_str(&c.summary()),
            Error::Warned(w) => write!(f, "有 {} 项数据有提示,请核对后确认提交", w.len()),
            Error::Store(e) => write!(f, "{e}"),
        }
    }
}
