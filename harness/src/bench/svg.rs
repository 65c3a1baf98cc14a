//! A chart of the bench a person can read at a glance: one panel per measure, one bar
//! per target, the baselines drawn as reference lines. Hand-written SVG with system
//! fonts only, so it renders offline and in any viewer.

use std::fmt::Write;

use super::model::{BenchReport, TargetResult};
use super::stats;

const WIDTH: f64 = 1000.0;
const LABEL_RIGHT: f64 = 360.0;
const BAR_LEFT: f64 = 370.0;
const BAR_MAX: f64 = 520.0;
const ROW: f64 = 22.0;
const BAR: f64 = 15.0;
const TITLE: f64 = 46.0;
const FONT: &str = "DejaVu Sans, Verdana, Arial, sans-serif";

/// One bar.
pub struct Bar {
    pub label: String,
    pub value: Option<f64>,
    pub colour: &'static str,
}

/// One panel: a title, its bars, and vertical reference lines (label, value).
pub struct Panel {
    pub title: String,
    pub unit: &'static str,
    pub decimals: usize,
    pub bars: Vec<Bar>,
    pub references: Vec<(String, f64)>,
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn colour(target: &TargetResult) -> &'static str {
    match (target.kind.as_str(), target.runtime.as_deref()) {
        ("native", _) => "#3b6fb6",
        ("wasm", Some("wasmedge")) => "#e07b28",
        ("wasm", Some("wasmtime")) => "#7b4fc2",
        ("wasm", Some("wasmer")) => "#2f9e6a",
        ("wasm", _) => "#b0417a",
        _ => "#8c8c8c",
    }
}

/// Draws `panels` one under the other.
pub fn draw(title: &str, subtitle: &str, panels: &[Panel]) -> String {
    let mut body = String::new();
    let mut y = 84.0;
    for panel in panels {
        y = draw_panel(&mut body, panel, y) + 18.0;
    }
    let height = y + 10.0;
    let mut svg = String::new();
    // The xmlns value is the SVG namespace's name, which viewers require to treat the
    // file as SVG; it is an identifier, never fetched.
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="{FONT}" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r##"<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        svg,
        r##"<text x="16" y="26" font-size="18" font-weight="bold" fill="#222">{}</text>"##,
        escape(title)
    );
    let _ = writeln!(
        svg,
        r##"<text x="16" y="46" font-size="11" fill="#555">{}</text>"##,
        escape(subtitle)
    );
    // The colour key: one swatch per kind of target.
    let mut x = 16.0;
    for (name, fill) in [
        ("baselines", "#8c8c8c"),
        ("native proxy", "#3b6fb6"),
        ("WasmEdge", "#e07b28"),
        ("wasmtime", "#7b4fc2"),
        ("Wasmer", "#2f9e6a"),
        ("other runtimes", "#b0417a"),
    ] {
        let _ = writeln!(
            svg,
            r##"<rect x="{x}" y="56" width="12" height="12" fill="{fill}"/><text x="{}" y="66" font-size="11" fill="#333">{name}</text>"##,
            x + 16.0
        );
        x += 28.0 + 7.0 * name.len() as f64;
    }
    svg.push_str(&body);
    svg.push_str("</svg>\n");
    svg
}

fn draw_panel(out: &mut String, panel: &Panel, top: f64) -> f64 {
    let _ = writeln!(
        out,
        r##"<text x="16" y="{}" font-size="14" font-weight="bold" fill="#222">{}</text>"##,
        top + 16.0,
        escape(&panel.title)
    );
    let scale_max = panel
        .bars
        .iter()
        .filter_map(|b| b.value)
        .chain(panel.references.iter().map(|(_, v)| *v))
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let x_of = |value: f64| {
        if scale_max > 0.0 {
            BAR_LEFT + BAR_MAX * (value.max(0.0) / scale_max)
        } else {
            BAR_LEFT
        }
    };
    let first_row = top + TITLE;
    for (i, bar) in panel.bars.iter().enumerate() {
        let y = first_row + i as f64 * ROW;
        let _ = writeln!(
            out,
            r##"<text x="{LABEL_RIGHT}" y="{}" text-anchor="end" fill="#222">{}</text>"##,
            y + BAR - 3.0,
            escape(&bar.label)
        );
        match bar.value.filter(|v| v.is_finite()) {
            Some(value) => {
                let width = (x_of(value) - BAR_LEFT).max(1.0);
                let _ = writeln!(
                    out,
                    r#"<rect x="{BAR_LEFT}" y="{y}" width="{width:.1}" height="{BAR}" fill="{}"/>"#,
                    bar.colour
                );
                let _ = writeln!(
                    out,
                    r##"<text x="{:.1}" y="{}" fill="#222">{:.*}{}</text>"##,
                    BAR_LEFT + width + 5.0,
                    y + BAR - 3.0,
                    panel.decimals,
                    value,
                    panel.unit
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    r##"<text x="{}" y="{}" fill="#999" font-style="italic">not measured</text>"##,
                    BAR_LEFT + 4.0,
                    y + BAR - 3.0
                );
            }
        }
    }
    let bottom = first_row + panel.bars.len() as f64 * ROW;
    // Reference lines, labelled above the bars, staggered so close ones stay readable.
    for (i, (label, value)) in panel.references.iter().enumerate() {
        if !value.is_finite() {
            continue;
        }
        let x = x_of(*value);
        let _ = writeln!(
            out,
            r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{bottom}" stroke="#444" stroke-width="1" stroke-dasharray="4 3"/>"##,
            first_row - 4.0 - (i % 2) as f64 * 11.0
        );
        let _ = writeln!(
            out,
            r##"<text x="{x:.1}" y="{}" font-size="10" text-anchor="middle" fill="#444">{}</text>"##,
            first_row - 6.0 - (i % 2) as f64 * 11.0,
            escape(label)
        );
    }
    let _ = writeln!(
        out,
        r##"<line x1="{BAR_LEFT}" y1="{}" x2="{BAR_LEFT}" y2="{bottom}" stroke="#222" stroke-width="1"/>"##,
        first_row - 2.0
    );
    bottom
}

/// The bench's chart: throughput (one and many streams), added latency, connection
/// rate and startup, for every target at its default settings.
pub fn render(report: &BenchReport) -> String {
    let s = &report.settings;
    let shown: Vec<&TargetResult> = report
        .targets
        .iter()
        .filter(|t| t.buffer_bytes.is_none())
        .collect();
    let find = |id: &str| report.targets.iter().find(|t| t.id == id);
    let one_way = |t: Option<&TargetResult>, n| t.and_then(|t| t.one_way(n));
    let p50 = |t: Option<&TargetResult>| t.and_then(|t| t.latency.as_ref()).and_then(|l| l.p50_us);
    let direct = find("direct");
    let references = |n: usize| {
        [
            ("direct", "direct"),
            ("socat", "socat"),
            ("socat-tuned", "socat -b 131072"),
        ]
        .iter()
        .filter_map(|(id, label)| Some((label.to_string(), one_way(find(id), n)?)))
        .collect::<Vec<_>>()
    };
    let steady = |t: &TargetResult| !t.throughput.is_empty();
    let bars = |keep: &dyn Fn(&TargetResult) -> bool,
                value: &dyn Fn(&TargetResult) -> Option<f64>| {
        shown
            .iter()
            .filter(|t| keep(t))
            .map(|t| Bar {
                label: t.label.clone(),
                value: value(t),
                colour: colour(t),
            })
            .collect::<Vec<_>>()
    };
    let panels = vec![
        Panel {
            title: "Single-stream throughput, Gbit/s (mean of up and down) — higher is better"
                .into(),
            unit: "",
            decimals: 2,
            bars: bars(&steady, &|t| t.one_way(1)),
            references: references(1),
        },
        Panel {
            title: format!(
                "{} parallel streams, Gbit/s (mean of up and down) — higher is better",
                s.parallel_streams
            ),
            unit: "",
            decimals: 2,
            bars: bars(&steady, &|t| t.one_way(s.parallel_streams)),
            references: references(s.parallel_streams),
        },
        Panel {
            title: format!(
                "{}-byte round trip, p50 µs added over direct — lower is better",
                s.latency_message_bytes
            ),
            unit: " µs",
            decimals: 1,
            bars: bars(&|t| steady(t) && t.id != "direct", &|t| {
                stats::added(p50(Some(t)), p50(direct))
            }),
            references: Vec::new(),
        },
        Panel {
            title: "Connections per second (connect, 1-byte round trip, close) — higher is better"
                .into(),
            unit: "",
            decimals: 0,
            bars: bars(&steady, &|t| {
                t.connection_rate.as_ref().map(|c| c.per_second)
            }),
            references: Vec::new(),
        },
        Panel {
            title: "Startup: process start to first relayed byte, ms (median) — lower is better"
                .into(),
            unit: " ms",
            decimals: 1,
            bars: bars(&|t| t.startup.is_some(), &|t| {
                t.startup.as_ref().and_then(|st| st.median_ms)
            }),
            references: Vec::new(),
        },
    ];
    let m = &report.machine;
    let subtitle = format!(
        "{} · {} × {} · Linux {} · loopback{}",
        super::render::utc(report.generated_unix),
        m.nproc,
        m.cpu_model,
        m.kernel,
        if report.quick {
            " · QUICK run (rough numbers)"
        } else {
            ""
        }
    );
    draw(
        "WASI TCP proxy: throughput, latency, connections, startup",
        &subtitle,
        &panels,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel(values: &[Option<f64>]) -> Panel {
        Panel {
            title: "t".into(),
            unit: "",
            decimals: 1,
            bars: values
                .iter()
                .enumerate()
                .map(|(i, v)| Bar {
                    label: format!("bar {i} <&>"),
                    value: *v,
                    colour: "#000",
                })
                .collect(),
            references: vec![("ref".into(), 2.0)],
        }
    }

    fn widths(svg: &str) -> Vec<f64> {
        svg.lines()
            .filter(|l| l.starts_with("<rect x=\"370\""))
            .filter_map(|l| l.split("width=\"").nth(1)?.split('"').next()?.parse().ok())
            .collect()
    }

    #[test]
    fn bars_are_proportional_to_the_largest_value() {
        let svg = draw("title", "sub", &[panel(&[Some(4.0), Some(1.0), None])]);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(widths(&svg), vec![BAR_MAX, BAR_MAX / 4.0]);
        assert!(svg.contains("not measured"), "a missing value says so");
        assert!(svg.contains(">4.0<") && svg.contains(">1.0<"));
    }

    #[test]
    fn a_reference_line_can_set_the_scale() {
        let svg = draw("t", "s", &[panel(&[Some(1.0)])]);
        // The reference (2.0) is the largest value: the bar takes half the width.
        assert_eq!(widths(&svg), vec![BAR_MAX / 2.0]);
        assert!(svg.contains("stroke-dasharray") && svg.contains(">ref<"));
    }

    #[test]
    fn text_is_escaped_and_nothing_is_nan() {
        let svg = draw("a & b", "<sub>", &[panel(&[Some(f64::NAN), Some(0.0)])]);
        assert!(svg.contains("a &amp; b") && svg.contains("&lt;sub&gt;"));
        assert!(svg.contains("bar 0 &lt;&amp;&gt;"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        // No network fonts: only a font-family list, no @import or url(.
        assert!(!svg.contains("@import") && !svg.contains("url("));
    }

    #[test]
    fn an_empty_panel_still_draws() {
        let svg = draw("t", "s", &[panel(&[])]);
        assert!(svg.contains("</svg>"));
        assert!(widths(&svg).is_empty());
    }
}
