//! [`record!`]: a kind of row declared once, its columns, their types
//! (from the values' types) and where each value comes from.

use super::table::{Field, Row, Type};

/// A value a cell takes: the type of its column, and how it goes into a
/// row. [`record!`] derives each column's type from its value's.
pub trait Value {
    /// The column's type.
    const TYPE: Type;
    /// Puts the value in the row's next column.
    fn put(self, row: Row<'_>) -> Row<'_>;
}

impl Value for Option<&str> {
    const TYPE: Type = Type::Str;
    #[inline]
    fn put(self, row: Row<'_>) -> Row<'_> {
        row.str(self)
    }
}

/// Bytes as text, invalid UTF-8 replaced by U+FFFD.
#[derive(Clone, Copy, Debug, Default)]
pub struct Lossy<'a>(pub Option<&'a [u8]>);

impl Value for Lossy<'_> {
    const TYPE: Type = Type::Str;
    #[inline]
    fn put(self, row: Row<'_>) -> Row<'_> {
        row.lossy(self.0)
    }
}

/// A capture time in seconds, stored in microseconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Seconds(pub Option<f64>);

impl Value for Seconds {
    const TYPE: Type = Type::Timestamp;
    #[inline]
    fn put(self, row: Row<'_>) -> Row<'_> {
        row.seconds(self.0)
    }
}

impl Value for Option<i32> {
    const TYPE: Type = Type::Int32;
    #[inline]
    fn put(self, row: Row<'_>) -> Row<'_> {
        row.i32(self)
    }
}

impl Value for Option<i64> {
    const TYPE: Type = Type::Int64;
    #[inline]
    fn put(self, row: Row<'_>) -> Row<'_> {
        row.i64(self)
    }
}

impl Value for Option<f64> {
    const TYPE: Type = Type::Float64;
    #[inline]
    fn put(self, row: Row<'_>) -> Row<'_> {
        row.f64(self)
    }
}

impl Value for Option<bool> {
    const TYPE: Type = Type::Bool;
    #[inline]
    fn put(self, row: Row<'_>) -> Row<'_> {
        row.bool(self)
    }
}

/// Declares a kind of row once: a struct with one field per column, in
/// column order, each with its value type (which gives the column's type)
/// and its Parquet hints (`plain`, `dict`: few distinct values, `req`:
/// every row has one, `req_dict`). It gets `FIELDS` (the schema that JSON
/// lines, CSV, Parquet and `--columns` read), `column(name)` and `put`
/// (the row into a batch; columns past the batch's schema are left out).
macro_rules! record {
    (
        $(#[$meta:meta])*
        pub struct $name:ident<$lt:lifetime> {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $kind:ident ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name<$lt> {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl<$lt> $name<$lt> {
            /// The columns, in order.
            pub const FIELDS: &'static [$crate::rows::table::Field] = &[
                $( $crate::rows::table::Field::of(
                    stringify!($field),
                    <$ty as $crate::rows::record::Value>::TYPE,
                    $crate::rows::record::Hint::$kind,
                ), )*
            ];

            /// Where the column `name` is (`usize::MAX` when there is none).
            #[allow(dead_code)]
            pub const fn column(name: &str) -> usize {
                $crate::rows::record::position(Self::FIELDS, name)
            }

            /// Adds the row to `batch`.
            #[inline]
            #[allow(dead_code)]
            pub fn put(self, batch: &mut $crate::rows::table::Batch) {
                self.cells(batch.row()).end();
            }

            /// Fills this record's columns of `row`, from its next column
            /// on (a wider row adds its own after them).
            #[inline]
            pub fn cells(self, row: $crate::rows::table::Row<'_>) -> $crate::rows::table::Row<'_> {
                $( let row = $crate::rows::record::Value::put(self.$field, row); )*
                row
            }
        }
    };
}
pub(crate) use record;

/// How a column is stored, besides its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum Hint {
    /// Nullable, plain encoding.
    plain,
    /// Nullable, few distinct values: Parquet dictionary-encodes it.
    dict,
    /// Every row has a value.
    req,
    /// Every row has a value, and there are few distinct ones.
    req_dict,
}

impl Field {
    /// A column of a [`record!`].
    pub const fn of(name: &'static str, ty: Type, hint: Hint) -> Field {
        Field {
            name,
            ty,
            dict: matches!(hint, Hint::dict | Hint::req_dict),
            required: matches!(hint, Hint::req | Hint::req_dict),
        }
    }
}

/// `fields` and then `extra`: the schema of a record with columns added
/// after its own (`N` must be one more than `fields` has; a wrong `N`
/// fails to compile where the constant is evaluated).
pub const fn and_then<const N: usize>(fields: &[Field], extra: Field) -> [Field; N] {
    let mut all = [extra; N];
    assert!(fields.len() + 1 == N, "N is the columns and one more");
    let mut i = 0;
    while i < fields.len() {
        all[i] = fields[i];
        i += 1;
    }
    all
}

/// The index of the column `name` in `fields` (`usize::MAX`: none).
pub const fn position(fields: &[Field], name: &str) -> usize {
    let mut i = 0;
    while i < fields.len() {
        let (a, b) = (fields[i].name.as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i;
            }
        }
        i += 1;
    }
    usize::MAX
}
