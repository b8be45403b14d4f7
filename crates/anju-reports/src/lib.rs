//! Renderers: data in, bytes out. What the service, the pages and the
//! command line show or hand over is written here from the core's typed
//! rows — the JSON view of an evaluation row and its fast writer
//! ([`view`]), the .xlsx a unit fills in, the evaluation workbook and the
//! reading of a filled-in workbook ([`sheets`]), the SVG charts of the pages
//! ([`chart`]), the terminal table of the command line ([`table`]) and an
//! evaluation written whole as JSON, CSV or tables ([`evaluation`]), and CSV
//! cells safe to open ([`csv`]). No I/O, no clock, no database: a renderer
//! takes what it draws as arguments.

pub mod chart;
pub mod csv;
pub mod evaluation;
pub mod photo;
pub mod sheets;
pub mod table;
pub mod timeline;
pub mod view;
