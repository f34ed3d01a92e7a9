//! Heap bytes per activation of one embedded API-key template, counted by a counting global
//! allocator over the activation of 1,000,000 users (`CREDGATE_BENCH_USERS` for fewer).
//!
//! A binary of its own so that the counting allocator's atomics on every allocation stay
//! out of the timings of `benches/registry.rs`.

mod registry_setup;

use std::alloc::System;

use registry_setup::{empty_registry, large_users, populate};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// What the issue allows per activation.
const TARGET_BYTES: isize = 1024;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and then one small
    // run shows the binary works.
    let users = if std::env::args().any(|a| a == "--bench") {
        large_users()
    } else {
        1_000
    };
    // The empty registry (its shards) is counted apart: it does not grow with the users.
    let region = Region::new(GLOBAL);
    let registry = empty_registry();
    let empty = region.change();
    println!(
        "memory: the empty registry holds {} heap bytes",
        empty.bytes_allocated as isize - empty.bytes_deallocated as isize + empty.bytes_reallocated,
    );
    let region = Region::new(GLOBAL);
    populate(&registry, 0..users);
    let change = region.change();
    let net = change.bytes_allocated as isize - change.bytes_deallocated as isize
        + change.bytes_reallocated;
    let blocks = change.allocations as isize - change.deallocations as isize;
    let per_activation = net / users as isize;
    println!(
        "memory: {users} activations hold {net} heap bytes in {blocks} blocks: {per_activation} bytes in {:.1} blocks per activation (target under {TARGET_BYTES}: {})",
        blocks as f64 / users as f64,
        if per_activation < TARGET_BYTES {
            "met"
        } else {
            "NOT met"
        },
    );
    drop(registry);
}
