//! The Python handler's hot path in Rust: `cpu_work`, the same 32-bit FNV-1a style mix as every
//! runtime's handler (functions/README.md), exposed to Python as `battle_native.cpu_work` through
//! PyO3 when built with the `python` feature (maturin does).
#![deny(clippy::all)]

/// `iterations` rounds of the mix; returns the final hash.
pub fn cpu_work(iterations: u64) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for i in 0..iterations {
        h ^= (i & 0xff) as u32;
        h = h.wrapping_mul(0x0100_0193);
        h ^= h >> 13;
    }
    h
}

#[cfg(feature = "python")]
#[pyo3::pymodule]
mod battle_native {
    use pyo3::prelude::*;

    /// cpu_work(iterations) -> int: the hash after `iterations` rounds. The GIL is released
    /// while it runs, as a Rust hot path in a Python service would.
    #[pyfunction]
    fn cpu_work(py: Python<'_>, iterations: u64) -> u32 {
        py.detach(|| super::cpu_work(iterations))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From the Node.js handler's cpuWork (functions/nodejs/handler.ts).
    #[test]
    fn cpu_work_matches_the_node_handler() {
        for (iterations, want) in [
            (0, 2166136261),
            (1, 84702589),
            (10, 2800307176),
            (2000, 2082985886),
        ] {
            assert_eq!(cpu_work(iterations), want, "cpu_work({iterations})");
        }
    }
}
