//! Tillbook's storage layer, below every domain module: one SQLite file in WAL
//! mode behind [`db::Db`] (opening and checking it, migrations, the FIFO writer
//! gate and the one `BEGIN IMMEDIATE` write path, online backups), the
//! [`error::Error`] every command returns with its stable codes, the clocks,
//! and the startup configuration. It knows nothing of shops, sales or users, so
//! it depends on nothing of Tillbook's.
#![deny(clippy::float_arithmetic, clippy::float_cmp)]

pub mod clock;
pub mod config;
pub mod db;
pub mod error;

pub use error::{Error, ErrorCode, Result};

/// An enum whose variants each have one stable name: on the wire (serde), in
/// SQL and messages (`as_str`), and listed once in `ALL`. Written once per
/// variant, so the three can't drift apart when a variant is added.
#[macro_export]
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[doc = $doc:literal])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[doc = $doc])* #[serde(rename = $text)] $variant, )*
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$($text),*].len()] = [$($name::$variant),*];

            /// The variant's stable name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )*
                }
            }
        }
    };
}
