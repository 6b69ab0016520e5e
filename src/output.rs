//! Placeholder: the only place that writes result files.
