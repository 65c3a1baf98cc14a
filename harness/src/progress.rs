//! Progress for long runs: a bar on a terminal, plain lines in CI logs.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(total: u64) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar
        });
        Progress { bar }
    }

    /// Announces the step about to run.
    pub fn start(&self, step: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(step.to_string()),
            None => eprintln!("... {step}"),
        }
    }

    /// Records a finished step with its result.
    pub fn finish(&self, step: &str, result: &str) {
        match &self.bar {
            Some(bar) => {
                bar.println(format!("{step}: {result}"));
                bar.inc(1);
            }
            None => eprintln!("{step}: {result}"),
        }
    }

    pub fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
