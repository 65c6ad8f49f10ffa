//! `cargo run --release -p battle-ingest --example scan -- FILE`: the native line reader alone
//! over a file, three times, in 4 MiB reads (the size `deno task ingest` reads), with its time.
use battle_ingest::*;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let b = std::fs::read(path).unwrap();
    let cap = 1 << 15;
    let mut kinds = vec![0u8; cap];
    let mut offs = vec![0i32; cap * OFFS];
    let mut hashes = vec![0i32; cap];
    let mut nums = vec![0f64; cap * NUMS];
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let mut from = 0;
        let mut lines = 0;
        while from < b.len() {
            let to = (from + (4 << 20)).min(b.len());
            let (n, used) = scan_into(
                &b[from..to],
                to == b.len(),
                &mut kinds,
                &mut offs,
                &mut hashes,
                &mut nums,
            );
            lines += n;
            from += used;
        }
        println!("{lines} lines in {:?}", t.elapsed());
    }
}
