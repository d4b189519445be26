//! Rows: the one model of what the CLI writes as tables. `table` holds
//! the columns and batches, `record` the declaration of a kind of row
//! ([`record!`](record::record)), `write` the JSON lines and CSV writers
//! (`parquet` with the feature of that name); then the records: `call` (a
//! call attempt), `message` (a SIP message) and `stream` (an RTP stream). A record's declaration
//! drives JSON lines, CSV, the Parquet schema and `export --columns`.

pub mod table;
pub mod record;
pub mod write;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod call;
pub mod message;
pub mod stream;
