//! A round-robin TCP load balancer on 127.0.0.1, for putting several bot
//! instances behind one webhook URL. Each connection goes to the next
//! backend; one that refuses the connection is skipped (as nginx's
//! `proxy_next_upstream error` does).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A running balancer. Dropping it stops accepting connections.
#[derive(Debug)]
pub struct RoundRobin {
    addr: SocketAddr,
    served: Arc<Vec<AtomicU64>>,
    _stop: oneshot::Sender<()>,
}

impl RoundRobin {
    /// Listens on a free port and spreads connections over `backends`.
    pub async fn spawn(backends: Vec<SocketAddr>) -> anyhow::Result<RoundRobin> {
        anyhow::ensure!(!backends.is_empty(), "a balancer needs a backend");
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let served: Arc<Vec<AtomicU64>> = Arc::new(backends.iter().map(|_| AtomicU64::new(0)).collect());
        let (stop, mut stopped) = oneshot::channel::<()>();
        let (counts, next) = (served.clone(), Arc::new(AtomicUsize::new(0)));
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = &mut stopped => return,
                    accepted = listener.accept() => accepted,
                };
                let Ok((client, _)) = accepted else { continue };
                let (backends, counts) = (backends.clone(), counts.clone());
                let first = next.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    for offset in 0..backends.len() {
                        let index = (first + offset) % backends.len();
                        if let Ok(backend) = TcpStream::connect(backends[index]).await {
                            counts[index].fetch_add(1, Ordering::Relaxed);
                            let (mut client, mut backend) = (client, backend);
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut backend).await;
                            return;
                        }
                    }
                });
            }
        });
        Ok(RoundRobin { addr, served, _stop: stop })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections each backend took, in the order given.
    pub fn served(&self) -> Vec<u64> {
        self.served.iter().map(|count| count.load(Ordering::Relaxed)).collect()
    }
}
