//! Prints how many bcrypt checks per second this machine can do at `BCRYPT_COST` (default
//! 12) on all its cores: the ceiling of the login endpoint, for `make bench`.

use std::time::Instant;

fn main() {
    let cost: u32 = std::env::var("BCRYPT_COST")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(12);
    let hash = bcrypt::hash("password123", cost).expect("bcrypt hash");
    let rounds = 6;
    let started = Instant::now();
    for _ in 0..rounds {
        assert!(bcrypt::verify("password123", &hash).expect("bcrypt verify"));
    }
    let one = started.elapsed().as_secs_f64() / f64::from(rounds);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("{:.2}", cores as f64 / one);
}
