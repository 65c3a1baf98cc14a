//! Runs the bench: finds which runtime x guest pairs relay, starts every target, then
//! takes each measurement several times with the targets taking turns (so load from
//! elsewhere on the machine spreads over all of them), and measures each optimisation
//! before and after the same way.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::model::*;
use super::precompile::{self, Compile};
use super::targets::{self, Running, Target};
use super::traffic::{self, BenchUpstream, Direction};
use super::{goals, stats};
use crate::guest::Guest;
use crate::matrix::RuntimeChoice;
use crate::progress::Progress;
use crate::runtime::{self, Installed};
use crate::scenarios::Launch;

pub struct BenchOptions {
    pub quick: bool,
    pub runtimes: Vec<RuntimeChoice>,
    pub guests: Vec<Guest>,
    pub startup_timeout: Duration,
    /// Relay buffer sizes to compare (the default is always among them).
    pub buffer_sizes: Vec<usize>,
}

/// The sizes of one run; `quick` only proves every path works end to end.
pub struct Plan {
    pub repetitions: usize,
    pub warmup: Duration,
    pub measure: Duration,
    pub streams: usize,
    pub latency_bytes: usize,
    pub latency_warmup: usize,
    /// Timed round trips per repetition (fewer if `measure` runs out first).
    pub latency_rounds: usize,
    pub rate_clients: usize,
    pub held: usize,
    pub held_rounds: usize,
    pub startup_runs: usize,
}

impl Plan {
    pub fn new(quick: bool) -> Plan {
        if quick {
            Plan {
                repetitions: 1,
                warmup: Duration::from_millis(100),
                measure: Duration::from_millis(250),
                streams: 8,
                latency_bytes: 64,
                latency_warmup: 20,
                latency_rounds: 300,
                rate_clients: 2,
                held: 100,
                held_rounds: 2,
                startup_runs: 1,
            }
        } else {
            // Many short turns rather than a few long ones: a burst of load from elsewhere
            // then lands on one turn of one target, and the median sets it aside.
            Plan {
                repetitions: 5,
                warmup: Duration::from_millis(200),
                measure: Duration::from_millis(600),
                streams: 8,
                latency_bytes: 64,
                latency_warmup: 200,
                latency_rounds: 3_000,
                rate_clients: 4,
                held: 1000,
                held_rounds: 3,
                startup_runs: 5,
            }
        }
    }
}

/// What to measure on a target.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Suite {
    Full,
    /// Only startup: the steady state is the same code as another target's.
    StartupOnly,
}

/// A target in the run: its process while it serves, and what was measured so far.
struct Live {
    target: Target,
    suite: Suite,
    running: Option<Running>,
    result: TargetResult,
    /// Could not be prepared: nothing is measured.
    broken: bool,
}

impl Live {
    /// The target's address, starting it (again) if needed: a proxy that died is noted
    /// and restarted, so one crash costs one measurement, not the rest.
    fn serving(
        &mut self,
        upstream: &BenchUpstream,
        timeout: Duration,
    ) -> Result<SocketAddr, String> {
        if let Some(current) = self.running.as_mut() {
            match current.exited() {
                None => return Ok(current.addr),
                Some(why) => self.result.errors.push(why),
            }
        }
        self.running = None;
        let started = self.target.start(upstream.addr(), timeout)?;
        let addr = started.addr;
        self.running = Some(started);
        Ok(addr)
    }
}

/// `order[rep]`: the targets in turn, rotated each repetition so none is always first.
fn turns(count: usize, rep: usize) -> impl Iterator<Item = usize> {
    (0..count).map(move |i| (i + rep) % count.max(1))
}

pub fn run(options: &BenchOptions) -> anyhow::Result<BenchReport> {
    let began = Instant::now();
    let plan = Plan::new(options.quick);
    let nofile = raise_nofile();
    let machine = machine();
    let upstream = BenchUpstream::start()?;
    let timeout = options.startup_timeout;
    let (relaying, not_relaying) = discover(options, &upstream);

    // The targets, baselines first.
    let mut lives: Vec<Live> = Vec::new();
    let mut add = |target: Target, suite: Suite, error: Option<String>| {
        let mut result = blank_result(&target);
        result.errors.extend(error.iter().cloned());
        lives.push(Live {
            target,
            suite,
            running: None,
            result,
            broken: error.is_some(),
        });
    };
    add(Target::direct(), Suite::Full, nofile);
    add(Target::socat(None), Suite::Full, None);
    add(
        Target::socat(Some(targets::SOCAT_TUNED_BUFFER)),
        Suite::Full,
        None,
    );
    add(Target::native(), Suite::Full, None);
    let mut best_compiled = Vec::new();
    for (installed, guest) in &relaying {
        let runtime = installed.adapter.name();
        let ways: &[Compile] = if precompile::has_ahead(runtime) {
            &[Compile::Cold, Compile::Ahead]
        } else {
            &[Compile::Cold]
        };
        for &compile in ways {
            // Only WasmEdge runs different code cold (its interpreter); elsewhere a cold
            // start compiles to the same machine code, so only its startup differs. A
            // runtime with no known artefact is measured fully the one way it runs.
            let suite = if compile == Compile::Ahead
                || runtime == "wasmedge"
                || !precompile::has_ahead(runtime)
            {
                Suite::Full
            } else {
                Suite::StartupOnly
            };
            match precompile::prepare(installed, guest, compile) {
                Ok(prepared) => {
                    let target = Target::wasm(installed, guest, compile, prepared);
                    if compile == Compile::Ahead {
                        best_compiled.push(target.clone());
                    }
                    add(target, suite, None);
                }
                Err(why) => {
                    let target = Target::wasm(installed, guest, compile, Default::default());
                    add(target, suite, Some(format!("cannot prepare: {why}")));
                }
            }
        }
    }
    // A note on `direct` is only a note; it is measured all the same.
    lives[0].broken = false;

    let mut sizes = options.buffer_sizes.clone();
    if !sizes.contains(&proxy_default_buffer()) {
        sizes.push(proxy_default_buffer());
    }
    sizes.sort_unstable();
    sizes.dedup();
    let mut variants: Vec<Live> = std::iter::once(Target::native())
        .chain(best_compiled.iter().cloned())
        .flat_map(|target| sizes.iter().map(move |&size| target.with_buffer(size)))
        .map(|target| Live {
            result: blank_result(&target),
            target,
            suite: Suite::Full,
            running: None,
            broken: false,
        })
        .collect();

    let full: Vec<usize> = (0..lives.len())
        .filter(|&i| lives[i].suite == Suite::Full && !lives[i].broken)
        .collect();
    let starting: Vec<usize> = (0..lives.len())
        .filter(|&i| !lives[i].broken && lives[i].target.id != "direct")
        .collect();
    let reps = plan.repetitions;
    let steps = full.len() * reps * (6 + 2)
        + full.len()
        + starting.len() * (plan.startup_runs + 1)
        + variants.len() * reps;
    let progress = Progress::new(steps as u64);

    // Throughput: every shape, each repetition a turn for every target.
    let mut slices: HashMap<(usize, usize, Direction), Vec<Result<f64, String>>> = HashMap::new();
    for streams in [1, plan.streams] {
        for direction in Direction::ALL {
            for rep in 0..reps {
                for i in turns(full.len(), rep).map(|k| full[k]) {
                    let live = &mut lives[i];
                    let step = format!(
                        "{}: {streams} stream(s) {} [{}/{reps}]",
                        live.target.label,
                        direction.label(),
                        rep + 1
                    );
                    progress.start(&step);
                    let measured = live.serving(&upstream, timeout).and_then(|addr| {
                        traffic::throughput(
                            addr,
                            &upstream,
                            streams,
                            direction,
                            plan.warmup,
                            plan.measure,
                        )
                    });
                    progress.finish(
                        &step,
                        &match &measured {
                            Ok(rate) => format!("{:.2} Gbit/s", rate.gbit_per_s),
                            Err(e) => format!("ERROR {e}"),
                        },
                    );
                    slices
                        .entry((i, streams, direction))
                        .or_default()
                        .push(measured.map(|r| r.gbit_per_s));
                    // Let the last connections' teardown finish before the next turn.
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }
    for &i in &full {
        for streams in [1, plan.streams] {
            for direction in Direction::ALL {
                let taken = slices.remove(&(i, streams, direction)).unwrap_or_default();
                lives[i]
                    .result
                    .throughput
                    .push(throughput_of(streams, direction, taken));
            }
        }
    }

    // Latency: one ping-pong connection per turn; percentiles over all round trips.
    let mut round_trips: HashMap<usize, (Vec<f64>, Option<String>)> = HashMap::new();
    for rep in 0..reps {
        for i in turns(full.len(), rep).map(|k| full[k]) {
            let live = &mut lives[i];
            let step = format!(
                "{}: {}-byte ping-pong [{}/{reps}]",
                live.target.label,
                plan.latency_bytes,
                rep + 1
            );
            progress.start(&step);
            let taken = live.serving(&upstream, timeout).and_then(|addr| {
                traffic::ping_pong(
                    addr,
                    plan.latency_bytes,
                    plan.latency_warmup,
                    plan.latency_rounds,
                    plan.measure,
                )
            });
            let entry = round_trips.entry(i).or_default();
            match taken {
                Ok(samples) => {
                    progress.finish(
                        &step,
                        &format!("p50 {:.1} us", stats::median(&samples).unwrap_or(0.0)),
                    );
                    entry.0.extend(samples);
                }
                Err(e) => {
                    progress.finish(&step, &format!("ERROR {e}"));
                    entry.1.get_or_insert(e);
                }
            }
        }
    }
    for (i, (samples, error)) in round_trips {
        lives[i].result.latency = Some(Latency {
            rounds: samples.len(),
            p50_us: stats::percentile(&samples, 50.0),
            p99_us: stats::percentile(&samples, 99.0),
            mean_us: stats::mean(&samples),
            error,
        });
    }

    // Connection rate: connect, 1-byte round trip, close, in turns.
    let mut rates: HashMap<usize, (u64, u64, Duration, Option<String>)> = HashMap::new();
    for rep in 0..reps {
        for i in turns(full.len(), rep).map(|k| full[k]) {
            let live = &mut lives[i];
            let step = format!(
                "{}: connection rate [{}/{reps}]",
                live.target.label,
                rep + 1
            );
            progress.start(&step);
            let entry = rates.entry(i).or_default();
            match live.serving(&upstream, timeout) {
                Ok(addr) => {
                    let started = Instant::now();
                    let rate = traffic::connection_rate(addr, plan.rate_clients, plan.measure);
                    progress.finish(
                        &step,
                        &format!("{:.0}/s, {} errors", rate.per_second, rate.errors),
                    );
                    entry.0 += rate.completed;
                    entry.1 += rate.errors;
                    entry.2 += started.elapsed();
                    if let Some(e) = rate.first_error {
                        entry.3.get_or_insert(e);
                    }
                }
                Err(e) => {
                    progress.finish(&step, &format!("ERROR {e}"));
                    entry.1 += 1;
                    entry.3.get_or_insert(e);
                }
            }
            // Connections close behind the loop; let them before the next turn.
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    for (i, (completed, errors, elapsed, first_error)) in rates {
        lives[i].result.connection_rate = Some(ConnectionRate {
            completed,
            errors,
            per_second: stats::per_second(completed, elapsed),
            first_error,
        });
    }

    // Held connections: one target at a time (each needs thousands of descriptors).
    for &i in &full {
        let live = &mut lives[i];
        let step = format!("{}: {} connections held", live.target.label, plan.held);
        progress.start(&step);
        let held = match live.serving(&upstream, timeout) {
            Ok(addr) => {
                let running = &live.running;
                let (held, rss_kib) =
                    traffic::hold_open(addr, plan.held, plan.held_rounds, 8, || {
                        running.as_ref().and_then(Running::group_rss_kib)
                    });
                let survived = live.running.as_mut().is_none_or(|r| r.exited().is_none());
                Held {
                    requested: held.requested,
                    opened: held.opened,
                    echoed: held.echoed,
                    errors: held.errors,
                    open_ms: held.open_ms,
                    round_ms: held.round_ms,
                    first_error: held.first_error,
                    survived,
                    rss_kib,
                }
            }
            Err(e) => Held {
                requested: plan.held,
                opened: 0,
                echoed: 0,
                errors: plan.held,
                open_ms: 0.0,
                round_ms: 0.0,
                first_error: Some(e),
                survived: false,
                rss_kib: None,
            },
        };
        progress.finish(
            &step,
            &if held.clean(plan.held_rounds) {
                format!(
                    "all echoed; opening took {:.0} ms, a round {:.0} ms",
                    held.open_ms, held.round_ms
                )
            } else {
                format!(
                    "ERRORS: {} opened, {} echoes, {} errors, first: {}",
                    held.opened,
                    held.echoed,
                    held.errors,
                    held.first_error
                        .clone()
                        .unwrap_or_else(|| "the proxy died".into())
                )
            },
        );
        live.result.held = Some(held);
        // Stop it: the held connections' teardown must not weigh on the next target.
        live.running = None;
    }
    for live in &mut lives {
        live.running = None;
    }

    // Startup, in turns; run 0 is untimed (it warms the page cache, and Wasmer's cache
    // for the target that wants it warm).
    let mut startups: HashMap<usize, (Vec<f64>, Option<String>)> = HashMap::new();
    for run in 0..=plan.startup_runs {
        for i in turns(starting.len(), run).map(|k| starting[k]) {
            let live = &lives[i];
            let step = format!(
                "{}: startup to first relayed byte [{run}/{}]",
                live.target.label, plan.startup_runs
            );
            progress.start(&step);
            let entry = startups.entry(i).or_default();
            if entry.1.is_some() {
                progress.finish(&step, "skipped after an error");
                continue;
            }
            match startup_once(&live.target, &upstream, timeout) {
                Ok(ms) => {
                    progress.finish(
                        &step,
                        &format!("{ms:.1} ms{}", if run == 0 { " (untimed)" } else { "" }),
                    );
                    if run > 0 {
                        entry.0.push(ms);
                    }
                }
                Err(e) => {
                    progress.finish(&step, &format!("ERROR {e}"));
                    entry.1 = Some(e);
                }
            }
        }
    }
    for (i, (samples, error)) in startups {
        lives[i].result.startup = Some(Startup {
            median_ms: stats::median(&samples),
            min_ms: samples.iter().copied().reduce(f64::min),
            samples_ms: samples,
            error,
        });
    }

    // Relay buffer sizes: every variant started, single stream up and down, in turns.
    let mut by_variant: HashMap<(usize, Direction), Vec<Result<f64, String>>> = HashMap::new();
    for rep in 0..reps {
        for i in turns(variants.len(), rep) {
            let live = &mut variants[i];
            let step = format!(
                "{}: 1 stream up, down [{}/{reps}]",
                live.target.label,
                rep + 1
            );
            progress.start(&step);
            let mut said = Vec::new();
            for direction in [Direction::Up, Direction::Down] {
                let measured = live.serving(&upstream, timeout).and_then(|addr| {
                    traffic::throughput(addr, &upstream, 1, direction, plan.warmup, plan.measure)
                });
                said.push(match &measured {
                    Ok(rate) => format!("{} {:.2} Gbit/s", direction.label(), rate.gbit_per_s),
                    Err(e) => format!("{} ERROR {e}", direction.label()),
                });
                by_variant
                    .entry((i, direction))
                    .or_default()
                    .push(measured.map(|r| r.gbit_per_s));
                std::thread::sleep(Duration::from_millis(50));
            }
            progress.finish(&step, &said.join(", "));
        }
    }
    for (i, live) in variants.iter_mut().enumerate() {
        live.running = None;
        for direction in [Direction::Up, Direction::Down] {
            let taken = by_variant.remove(&(i, direction)).unwrap_or_default();
            live.result
                .throughput
                .push(throughput_of(1, direction, taken));
        }
    }
    progress.done();

    let mut buffer_rows = Vec::new();
    for chunk in variants.chunks(sizes.len()) {
        let default = chunk
            .iter()
            .find(|v| v.target.buffer_bytes == Some(proxy_default_buffer()));
        let label = chunk[0]
            .target
            .label
            .split(" [buffer")
            .next()
            .unwrap_or_default()
            .to_string();
        for variant in chunk
            .iter()
            .filter(|v| v.target.buffer_bytes != Some(proxy_default_buffer()))
        {
            for (metric, direction) in [
                ("1-stream up Gbit/s", Direction::Up),
                ("1-stream down Gbit/s", Direction::Down),
            ] {
                buffer_rows.push(row(
                    &label,
                    metric,
                    "higher",
                    (
                        &targets::human_bytes(proxy_default_buffer()),
                        default.and_then(|d| d.result.rate(1, direction)),
                    ),
                    (
                        &targets::human_bytes(variant.target.buffer_bytes.unwrap_or_default()),
                        variant.result.rate(1, direction),
                    ),
                ));
            }
        }
    }
    let results: Vec<TargetResult> = lives.into_iter().map(|live| live.result).collect();
    let mut experiments = vec![Experiment {
        name: "relay buffer size".into(),
        about: format!(
            "PROXY_BUFFER_BYTES, single stream one way, the default {} vs each other size (median of {reps})",
            targets::human_bytes(proxy_default_buffer())
        ),
        rows: buffer_rows,
    }];
    experiments.extend(compile_experiments(&results));
    let goals = goals::evaluate(&results, plan.held_rounds);
    Ok(BenchReport {
        schema_version: BENCH_SCHEMA_VERSION,
        harness_version: env!("CARGO_PKG_VERSION").into(),
        generated_unix: crate::model::unix_now(),
        quick: options.quick,
        machine,
        settings: Settings {
            repetitions: reps,
            warmup_ms: plan.warmup.as_millis() as u64,
            measure_ms: plan.measure.as_millis() as u64,
            parallel_streams: plan.streams,
            latency_message_bytes: plan.latency_bytes,
            latency_rounds: plan.latency_rounds * reps,
            connection_rate_clients: plan.rate_clients,
            connection_rate_ms: plan.measure.as_millis() as u64 * reps as u64,
            held_connections: plan.held,
            held_rounds: plan.held_rounds,
            startup_runs: plan.startup_runs,
            buffer_sizes: sizes,
            default_buffer_bytes: proxy_default_buffer(),
        },
        targets: results,
        experiments,
        goals,
        not_relaying,
        duration_s: began.elapsed().as_secs_f64(),
    })
}

/// The relay buffer the proxy uses when PROXY_BUFFER_BYTES is not set (proxy/src/relay.rs).
pub fn proxy_default_buffer() -> usize {
    256 * 1024
}

/// Which runtime x guest pairs relay: one echo through each, started the way the
/// matrix starts it. The rest are listed with the reason.
fn discover(
    options: &BenchOptions,
    upstream: &BenchUpstream,
) -> (Vec<(Installed, Guest)>, Vec<NotRelaying>) {
    let progress = Progress::new((options.runtimes.len() * options.guests.len()) as u64);
    let (mut relaying, mut not_relaying) = (Vec::new(), Vec::new());
    for choice in &options.runtimes {
        let installed = match runtime::probe(choice.adapter, choice.binary.clone()) {
            Ok(installed) => installed,
            Err(why) => {
                for guest in &options.guests {
                    progress.finish(
                        &format!("{} / {}", choice.adapter.name(), guest.info.name),
                        "not installed",
                    );
                    not_relaying.push(NotRelaying {
                        runtime: choice.adapter.name().into(),
                        guest: guest.info.name.clone(),
                        why: why.to_string(),
                    });
                }
                continue;
            }
        };
        for guest in &options.guests {
            let step = format!(
                "{} {} / {}: echo check",
                installed.adapter.name(),
                installed.version,
                guest.info.name
            );
            progress.start(&step);
            match echo_check(&installed, guest, upstream.addr(), options.startup_timeout) {
                Ok(()) => {
                    progress.finish(&step, "relays");
                    relaying.push((installed.clone(), guest.clone()));
                }
                Err(why) => {
                    progress.finish(&step, &format!("left out: {why}"));
                    not_relaying.push(NotRelaying {
                        runtime: installed.adapter.name().into(),
                        guest: guest.info.name.clone(),
                        why,
                    });
                }
            }
        }
    }
    progress.done();
    (relaying, not_relaying)
}

fn echo_check(
    installed: &Installed,
    guest: &Guest,
    upstream: SocketAddr,
    timeout: Duration,
) -> Result<(), String> {
    let launch = Launch::new(installed, guest, timeout);
    let mut proxy = launch
        .start(&upstream.to_string())
        .map_err(|outcome| outcome.summary())?;
    traffic::first_echo(proxy.addr, Duration::from_secs(10))
        .map(|_| ())
        .map_err(|e| proxy.failed(e).summary())
}

fn blank_result(target: &Target) -> TargetResult {
    let (kind, runtime, version, guest, compile, compile_ms) = match &target.kind {
        targets::Kind::Wasm {
            installed,
            guest,
            compile,
            prepared,
        } => (
            "wasm",
            Some(installed.adapter.name().to_string()),
            Some(installed.version.clone()),
            Some(guest.info.name.clone()),
            Some(*compile),
            prepared.compile_ms,
        ),
        targets::Kind::Native => ("native", None, None, None, None, None),
        _ => ("baseline", None, None, None, None, None),
    };
    TargetResult {
        id: target.id.clone(),
        label: target.label.clone(),
        kind: kind.into(),
        runtime,
        runtime_version: version,
        guest,
        compile,
        buffer_bytes: target.buffer_bytes,
        compile_ms,
        throughput: Vec::new(),
        latency: None,
        connection_rate: None,
        held: None,
        startup: None,
        errors: Vec::new(),
    }
}

/// The median of the repetitions that worked, and the first failure if any.
fn throughput_of(
    streams: usize,
    direction: Direction,
    taken: Vec<Result<f64, String>>,
) -> Throughput {
    let samples: Vec<f64> = taken
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    Throughput {
        streams,
        direction,
        gbit_per_s: stats::median(&samples),
        samples_gbit_per_s: samples,
        error: taken.into_iter().find_map(Result::err),
    }
}

/// Process start to the first echoed byte, in milliseconds.
fn startup_once(
    target: &Target,
    upstream: &BenchUpstream,
    timeout: Duration,
) -> Result<f64, String> {
    let started = Instant::now();
    let running = target.start(upstream.addr(), timeout)?;
    let echoed = traffic::first_echo(running.addr, timeout)?;
    Ok(echoed.duration_since(started).as_secs_f64() * 1e3)
}

fn row(
    target: &str,
    metric: &str,
    better: &str,
    (before_label, before): (&str, Option<f64>),
    (after_label, after): (&str, Option<f64>),
) -> ExperimentRow {
    ExperimentRow {
        target: target.into(),
        metric: metric.into(),
        better: better.into(),
        before_label: before_label.into(),
        before,
        after_label: after_label.into(),
        after,
        ratio: stats::ratio(after, before),
    }
}

/// Cold vs ahead-of-time for each runtime x guest, from the targets measured above.
fn compile_experiments(results: &[TargetResult]) -> Vec<Experiment> {
    let mut rows = Vec::new();
    for ahead in results.iter().filter(|r| r.compile == Some(Compile::Ahead)) {
        let Some(cold) = results.iter().find(|r| {
            r.compile == Some(Compile::Cold) && r.runtime == ahead.runtime && r.guest == ahead.guest
        }) else {
            continue;
        };
        let runtime = ahead.runtime.clone().unwrap_or_default();
        let name = format!("{runtime} ({})", ahead.guest.clone().unwrap_or_default());
        let before = precompile::label(&runtime, Compile::Cold);
        let after = precompile::label(&runtime, Compile::Ahead);
        let startup = |r: &TargetResult| r.startup.as_ref().and_then(|s| s.median_ms);
        rows.push(row(
            &name,
            "startup to first byte, ms",
            "lower",
            (before, startup(cold)),
            (after, startup(ahead)),
        ));
        if !cold.throughput.is_empty() {
            rows.push(row(
                &name,
                "1-stream one-way Gbit/s",
                "higher",
                (before, cold.one_way(1)),
                (after, ahead.one_way(1)),
            ));
            let p50 = |r: &TargetResult| r.latency.as_ref().and_then(|l| l.p50_us);
            rows.push(row(
                &name,
                "p50 round trip, us",
                "lower",
                (before, p50(cold)),
                (after, p50(ahead)),
            ));
            let rate = |r: &TargetResult| r.connection_rate.as_ref().map(|c| c.per_second);
            rows.push(row(
                &name,
                "connections/s",
                "higher",
                (before, rate(cold)),
                (after, rate(ahead)),
            ));
        }
    }
    vec![Experiment {
        name: "ahead-of-time compilation".into(),
        about: "each runtime's cold start vs its precompiled artefact (WasmEdge AOT, wasmtime .cwasm, Wasmer's warm cache)".into(),
        rows,
    }]
}

/// Raises the open-file limit to the hard limit (1000 held connections need ~2000 fds
/// here and as many in the proxy, which inherits the limit). Returns a note if it stays
/// too low.
fn raise_nofile() -> Option<String> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit write/read only the struct we pass.
    let raised = unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Some("cannot read RLIMIT_NOFILE".into());
        }
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0
    };
    match (raised, limit.rlim_cur) {
        (true, n) if n >= 4096 => None,
        (_, n) => Some(format!(
            "RLIMIT_NOFILE is {n}: too low for 1000 held connections"
        )),
    }
}

fn machine() -> Machine {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpu_model = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split(':').nth(1))
        })
        .map(|m| m.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    Machine {
        nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model,
        kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
        host: crate::model::host(),
        load_average: read("/proc/loadavg").trim().to_string(),
        socat_version: targets::socat_version().ok(),
    }
}
