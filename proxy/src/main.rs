use proxy::config::Config;
use proxy::net::SocketLayer;
use proxy::{serve, Layer, EXIT_CONFIG};

fn main() {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("proxy: {e}");
            std::process::exit(EXIT_CONFIG);
        }
    };
    match Layer::run(serve::serve::<Layer>(config)) {
        Ok(status) => std::process::exit(status),
        Err(e) => {
            eprintln!("proxy: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    }
}
