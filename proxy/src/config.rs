//! `LOCAL` / `REMOTE` (and the optional `PROXY_BUFFER_BYTES`) from the environment,
//! validated before any socket is opened.

use std::fmt;
use std::net::SocketAddr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Address to listen on; port 0 asks the OS for one (the bound port is logged).
    pub local: SocketAddr,
    pub remote: Remote,
    /// Bytes read per call in each direction of each connection (`PROXY_BUFFER_BYTES`,
    /// default [`crate::relay::BUFFER_SIZE`]); a tuning knob, measured by `harness bench`.
    pub buffer_bytes: usize,
}

/// Bounds for `PROXY_BUFFER_BYTES`: below a few hundred bytes the relay is all system
/// calls; above 16 MiB each connection costs more memory than any socket buffer holds.
pub const BUFFER_BYTES_RANGE: std::ops::RangeInclusive<usize> = 512..=16 * 1024 * 1024;

/// Upstream `host:port`. The host may be a name: it is resolved per connection so
/// that an upstream which moves or comes back up later is still reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub host: String,
    pub port: u16,
}

impl fmt::Display for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let local = required(
            &lookup,
            "LOCAL",
            "the address to listen on, e.g. 127.0.0.1:8000",
        )?;
        let remote = required(
            &lookup,
            "REMOTE",
            "the upstream host:port, e.g. localhost:9000",
        )?;
        let buffer_bytes = match lookup("PROXY_BUFFER_BYTES") {
            Some(value) if !value.trim().is_empty() => parse_buffer_bytes(value.trim())?,
            _ => crate::relay::BUFFER_SIZE,
        };
        Ok(Config {
            local: parse_local(&local)?,
            remote: parse_remote(&remote)?,
            buffer_bytes,
        })
    }
}

pub fn parse_buffer_bytes(value: &str) -> Result<usize, ConfigError> {
    match value.parse::<usize>() {
        Ok(n) if BUFFER_BYTES_RANGE.contains(&n) => Ok(n),
        _ => Err(ConfigError(format!(
            "PROXY_BUFFER_BYTES={value:?} is not a byte count from {} to {}",
            BUFFER_BYTES_RANGE.start(),
            BUFFER_BYTES_RANGE.end()
        ))),
    }
}

fn required(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    meaning: &str,
) -> Result<String, ConfigError> {
    match lookup(name) {
        Some(value) if !value.trim().is_empty() => Ok(value.trim().to_string()),
        _ => Err(ConfigError(format!(
            "{name} is not set: expected {meaning}"
        ))),
    }
}

pub fn parse_local(value: &str) -> Result<SocketAddr, ConfigError> {
    value.parse().map_err(|_| {
        ConfigError(format!(
            "LOCAL={value:?} is not an IP address and port, e.g. 127.0.0.1:8000 or [::1]:8000"
        ))
    })
}

pub fn parse_remote(value: &str) -> Result<Remote, ConfigError> {
    let bad = |why: &str| ConfigError(format!("REMOTE={value:?} {why}: expected host:port"));
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Ok(Remote {
            host: addr.ip().to_string(),
            port: addr.port(),
        });
    }
    let (host, port) = value.rsplit_once(':').ok_or_else(|| bad("has no port"))?;
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    if host.contains(':') || host.contains('[') || host.contains(']') || host.contains(' ') {
        return Err(bad("has an invalid host"));
    }
    let port: u16 = port.parse().map_err(|_| bad("has an invalid port"))?;
    if port == 0 {
        return Err(bad("has port 0"));
    }
    Ok(Remote {
        host: host.to_string(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn accepts_ip_local_and_named_remote() {
        let config = Config::from_lookup(env(&[
            ("LOCAL", "127.0.0.1:0"),
            ("REMOTE", "localhost:9000"),
        ]))
        .unwrap();
        assert_eq!(config.local, "127.0.0.1:0".parse().unwrap());
        assert_eq!(config.remote.host, "localhost");
        assert_eq!(config.remote.port, 9000);
        assert_eq!(config.remote.to_string(), "localhost:9000");
        assert_eq!(config.buffer_bytes, crate::relay::BUFFER_SIZE);
    }

    #[test]
    fn buffer_size_is_optional_and_bounded() {
        let base = [("LOCAL", "127.0.0.1:0"), ("REMOTE", "localhost:9000")];
        let with = |value: &'static str| {
            let mut pairs = base.to_vec();
            pairs.push(("PROXY_BUFFER_BYTES", value));
            Config::from_lookup(env(&pairs)).map(|c| c.buffer_bytes)
        };
        assert_eq!(with("262144"), Ok(262_144));
        assert_eq!(with(" "), Ok(crate::relay::BUFFER_SIZE));
        for bad in ["0", "100", "64k", "-1", "99999999999"] {
            let err = with(bad).unwrap_err();
            assert!(err.0.starts_with("PROXY_BUFFER_BYTES="), "{err}");
        }
    }

    #[test]
    fn accepts_ipv6_on_both_sides() {
        let config =
            Config::from_lookup(env(&[("LOCAL", "[::1]:8000"), ("REMOTE", "[::1]:9000")])).unwrap();
        assert_eq!(config.remote.host, "::1");
        assert_eq!(config.remote.to_string(), "[::1]:9000");
    }

    #[test]
    fn missing_variables_name_the_variable() {
        let err = Config::from_lookup(env(&[("REMOTE", "localhost:1")])).unwrap_err();
        assert!(err.0.starts_with("LOCAL is not set"), "{err}");
        let err =
            Config::from_lookup(env(&[("LOCAL", "127.0.0.1:1"), ("REMOTE", " ")])).unwrap_err();
        assert!(err.0.starts_with("REMOTE is not set"), "{err}");
    }

    #[test]
    fn rejects_malformed_addresses() {
        for local in [
            "localhost:80",
            "127.0.0.1",
            "127.0.0.1:99999",
            "::1:80",
            "x",
        ] {
            assert!(parse_local(local).is_err(), "{local}");
        }
        for remote in [
            "localhost",
            ":80",
            "host:",
            "host:http",
            "host:0",
            "a b:1",
            "::1:80",
        ] {
            assert!(parse_remote(remote).is_err(), "{remote}");
        }
    }
}
