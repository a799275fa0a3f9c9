//! Offline generation: sampling a performance with the real-time engine's own sampling code,
//! and writing it out.

mod performance;

pub use performance::{Performance, PlayedNote};
