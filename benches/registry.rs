//! Registry at scale: one embedded API-key template with up to 1,000,000 activated end
//! users.
//!
//! Before the criterion benchmarks it prints the heap bytes per activation (counted by a
//! counting global allocator), the resolution latency percentiles while another thread
//! activates 100,000 users one by one, and how resolution scales from one to two threads
//! (by the wall clock, and per CPU second of each thread, which a busy machine does not
//! skew). The benchmarks time resolution of a user's connection with 1,000 active users
//! among 1,000 and among 1,000,000, with 65,536 among 1,000,000 (mostly cache misses), and
//! from one and two threads (time per resolution at the aggregate rate).
//!
//! `CREDGATE_BENCH_USERS=100000 cargo bench --bench registry` runs it with fewer users.

use std::alloc::System;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use credgate::{Activation, ConnectionTemplate, Credential, EndUser, Registry};
use criterion::{BenchmarkId, Criterion};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const ENVIRONMENT: &str = "production";
const TEMPLATE: &str = "crm";

fn template() -> ConnectionTemplate {
    serde_json::from_str(
        r#"{"name": "crm", "connectionTemplateId": "01KKBR67D0484X7WG7KB3DZFS2", "dynamic": true,
            "templateBaseUrl": "https://api.crm.example/v1",
            "authSchemeConfigs": [{"type": "api-key", "apiKey": {"id": "token",
                "name": "Authorization", "in": "header", "valueTemplate": "Bearer {key}"}}]}"#,
    )
    .expect("the template parses")
}

fn user(i: usize) -> String {
    format!("user-{i:08}")
}

fn activate(registry: &Registry, template: &ConnectionTemplate, i: usize) {
    let connection = template
        .connect(vec![Credential::api_key(format!(
            "key-{i:08}-0123456789abcdef"
        ))])
        .expect("the credential fits");
    registry
        .activate(Activation::new(
            ENVIRONMENT,
            EndUser::new(user(i)),
            vec![connection],
        ))
        .expect("the activation is accepted");
}

/// A registry with users `0..n`, activated from two threads.
fn populate(registry: &Registry, range: std::ops::Range<usize>) {
    let template = template();
    let middle = range.start + (range.end - range.start) / 2;
    std::thread::scope(|scope| {
        let template = &template;
        for part in [range.start..middle, middle..range.end] {
            scope.spawn(move || part.for_each(|i| activate(registry, template, i)));
        }
    });
}

fn empty_registry() -> Registry {
    let registry = Registry::new();
    registry
        .add_environment(ENVIRONMENT)
        .expect("new environment");
    registry
        .add_template(ENVIRONMENT, template())
        .expect("new template");
    registry
}

/// `len` users drawn by a fixed pseudo-random walk over `0..n`.
fn walk(n: usize, len: usize, seed: u64) -> Vec<String> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ seed;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            user((state % n as u64) as usize)
        })
        .collect()
}

fn resolve_all(registry: &Registry, users: &[String], iters: u64) {
    for user in users.iter().cycle().take(iters as usize) {
        black_box(
            registry
                .resolve(ENVIRONMENT, TEMPLATE, Some(user))
                .expect("the user is activated"),
        );
    }
}

fn report_memory(registry: &Registry, users: usize) {
    let region = Region::new(GLOBAL);
    populate(registry, 0..users);
    let change = region.change();
    let net = change.bytes_allocated as isize - change.bytes_deallocated as isize
        + change.bytes_reallocated;
    let blocks = change.allocations as isize - change.deallocations as isize;
    println!(
        "memory: {users} activations hold {net} heap bytes in {blocks} blocks: {} bytes in {:.1} blocks per activation",
        net / users as isize,
        blocks as f64 / users as f64,
    );
}

fn report_latency_under_load(registry: &Registry, resolvable: usize) {
    const NEW_USERS: usize = 100_000;
    let done = AtomicBool::new(false);
    let users = walk(resolvable, 1 << 16, 0);
    let (latencies, errors) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut latencies = Vec::with_capacity(1 << 22);
            let mut errors = 0_usize;
            let mut i = 0;
            while !done.load(Ordering::Relaxed) {
                let user = &users[i % users.len()];
                i += 1;
                let start = Instant::now();
                let outcome = registry.resolve(ENVIRONMENT, TEMPLATE, Some(user));
                latencies.push(start.elapsed());
                errors += usize::from(outcome.is_err());
            }
            (latencies, errors)
        });
        populate_one_by_one(registry, resolvable..resolvable + NEW_USERS);
        done.store(true, Ordering::Relaxed);
        reader.join().expect("the reader does not panic")
    });
    let mut sorted = latencies;
    sorted.sort_unstable();
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize];
    println!(
        "under load: {} resolutions while {NEW_USERS} users were activated one by one: {errors} errors, p50 {:?}, p99 {:?}, p99.9 {:?}, max {:?}",
        sorted.len(),
        at(0.5),
        at(0.99),
        at(0.999),
        at(1.0),
    );
}

/// The calling thread's time on a CPU so far (Linux), to tell contention between the
/// threads apart from other processes taking the cores.
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Resolutions per second from `threads` threads, by the wall clock and summed per CPU
/// second of each thread.
fn resolution_rates(registry: &Registry, users: usize, threads: u64) -> (f64, Option<f64>) {
    const PER_THREAD: u64 = 1_000_000;
    let walks: Vec<Vec<String>> = (0..threads).map(|t| walk(users, 1_000, 10 + t)).collect();
    let start = Instant::now();
    let cpu_times: Vec<Option<Duration>> = std::thread::scope(|scope| {
        let handles: Vec<_> = walks
            .iter()
            .map(|walk| {
                scope.spawn(move || {
                    let before = thread_cpu_time();
                    resolve_all(registry, walk, PER_THREAD);
                    Some(thread_cpu_time()? - before?)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("the thread does not panic"))
            .collect()
    });
    let wall = (threads * PER_THREAD) as f64 / start.elapsed().as_secs_f64();
    let per_cpu = cpu_times
        .iter()
        .map(|cpu| cpu.map(|cpu| PER_THREAD as f64 / cpu.as_secs_f64()))
        .sum();
    (wall, per_cpu)
}

/// How resolution scales from one to two threads: the best of five alternating runs, by the
/// wall clock and per CPU second of each thread (what two free cores would give).
fn report_scaling(registry: &Registry, users: usize) {
    let best = |a: f64, b: f64| a.max(b);
    let (mut wall, mut cpu) = ([0.0_f64; 2], [0.0_f64; 2]);
    for _ in 0..5 {
        for (i, threads) in [1, 2].into_iter().enumerate() {
            let (w, c) = resolution_rates(registry, users, threads);
            wall[i] = best(wall[i], w);
            cpu[i] = best(cpu[i], c.unwrap_or(0.0));
        }
    }
    println!(
        "scaling: 2 threads resolve {:.2}x as fast as 1 by the wall clock ({:.2} vs {:.2} M/s), {:.2}x per CPU second ({:.0} ns of CPU per resolution on one thread)",
        wall[1] / wall[0],
        wall[1] / 1e6,
        wall[0] / 1e6,
        cpu[1] / cpu[0],
        1e9 / cpu[0],
    );
}

fn populate_one_by_one(registry: &Registry, range: std::ops::Range<usize>) {
    let template = template();
    range.for_each(|i| activate(registry, &template, i));
}

/// Resolution with a working set of 1,000 users (as a server with that many active users at
/// a time would see) drawn from 1,000 and from all users, and with 65,536 users drawn from
/// all (most lookups then miss every cache); then from one and two threads.
fn bench_resolve(c: &mut Criterion, small: &Registry, large: &Registry, large_users: usize) {
    let mut group = c.benchmark_group("resolve");
    let cases = [
        ("users", small, 1_000, walk(1_000, 1_000, 1)),
        ("users", large, large_users, walk(large_users, 1_000, 1)),
        (
            "cold_users",
            large,
            large_users,
            walk(large_users, 1 << 16, 1),
        ),
    ];
    for (name, registry, users, walk) in &cases {
        group.bench_with_input(BenchmarkId::new(*name, users), walk, |b, walk| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                resolve_all(registry, walk, iters);
                start.elapsed()
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("resolve_threads");
    let walks = [walk(large_users, 1_000, 2), walk(large_users, 1_000, 3)];
    for threads in [1_u32, 2] {
        group.bench_function(BenchmarkId::from_parameter(threads), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                std::thread::scope(|scope| {
                    for walk in &walks[..threads as usize] {
                        scope.spawn(move || resolve_all(large, walk, iters));
                    }
                });
                start.elapsed() / threads
            });
        });
    }
    group.finish();
}

fn main() {
    let large_users = std::env::var("CREDGATE_BENCH_USERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let small = empty_registry();
    populate(&small, 0..1_000);
    let large = empty_registry();
    let start = Instant::now();
    report_memory(&large, large_users);
    println!("setup: {large_users} activations in {:?}", start.elapsed());
    report_latency_under_load(&large, large_users);
    report_scaling(&large, large_users);

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench_resolve(&mut c, &small, &large, large_users);
    c.final_summary();
}
