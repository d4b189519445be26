//! Rows: the one model of what the CLI writes as tables. `table` holds
//! the columns, the batches and the writers (JSON lines, CSV; `parquet`
//! with the feature of that name); each kind of record declares its
//! columns once ([`record!`](table::record)): `call` (a call attempt) and
//! `message` (a SIP message). That declaration drives JSON lines, CSV,
//! the Parquet schema and `export --columns`.

pub mod table;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod call;
pub mod message;
