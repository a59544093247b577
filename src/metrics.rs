//! Counters for `GET /metrics`, in the Prometheus text format.
//!
//! Each instance counts its own requests; a Prometheus server scrapes every
//! instance and adds them up.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Upper bounds of the latency histogram's buckets, in seconds.
const LATENCY_BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Debug, Default, Clone)]
struct Latency {
    count: u64,
    sum_seconds: f64,
    /// Requests at or under each bound of [`LATENCY_BUCKETS`], not cumulative.
    buckets: [u64; LATENCY_BUCKETS.len()],
}

/// The metrics of one running instance.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests by (method, route pattern, status).
    requests: Mutex<HashMap<(String, String, u16), u64>>,
    /// Latency by (method, route pattern).
    latency: Mutex<HashMap<(String, String), Latency>>,
    /// Consumption requests by outcome.
    consumption: Mutex<HashMap<&'static str, u64>>,
    password_checks: AtomicU64,
    throttled_sign_ins: AtomicU64,
    pool_waiting: AtomicI64,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Metrics {
    /// Records one answered request. `route` is the route pattern, so ids in
    /// paths do not create new series.
    pub fn record_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        *lock(&self.requests)
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let mut latency = lock(&self.latency);
        let entry = latency
            .entry((method.to_owned(), route.to_owned()))
            .or_default();
        entry.count += 1;
        entry.sum_seconds += seconds;
        if let Some(bucket) = LATENCY_BUCKETS.iter().position(|bound| seconds <= *bound) {
            entry.buckets[bucket] += 1;
        }
    }

    /// Records the outcome of a consumption request, such as `accepted`.
    pub fn record_consumption(&self, outcome: &'static str) {
        *lock(&self.consumption).entry(outcome).or_default() += 1;
    }

    /// Counts one bcrypt password check.
    pub fn record_password_check(&self) {
        self.password_checks.fetch_add(1, Ordering::Relaxed);
    }

    pub fn password_checks(&self) -> u64 {
        self.password_checks.load(Ordering::Relaxed)
    }

    /// Counts one sign-in answered with 429.
    pub fn record_throttled_sign_in(&self) {
        self.throttled_sign_ins.fetch_add(1, Ordering::Relaxed);
    }

    /// Marks a request that starts or stops waiting for a pooled connection.
    pub fn pool_wait(&self, waiting: bool) {
        self.pool_waiting
            .fetch_add(if waiting { 1 } else { -1 }, Ordering::Relaxed);
    }

    /// Renders every metric. `pool` is (connections in use, idle connections).
    pub fn render(&self, pool: (u32, u32)) -> String {
        let mut out = String::new();
        let _ = self.write_to(&mut out, pool);
        out
    }

    fn write_to(&self, out: &mut String, (in_use, idle): (u32, u32)) -> std::fmt::Result {
        writeln!(
            out,
            "# HELP subaccounts_http_requests_total HTTP requests answered, by method, route and status."
        )?;
        writeln!(out, "# TYPE subaccounts_http_requests_total counter")?;
        let mut requests: Vec<_> = lock(&self.requests).clone().into_iter().collect();
        requests.sort();
        for ((method, route, status), count) in requests {
            writeln!(
                out,
                "subaccounts_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}",
                escape(&route)
            )?;
        }

        writeln!(
            out,
            "# HELP subaccounts_http_request_duration_seconds Time to answer HTTP requests, by method and route."
        )?;
        writeln!(
            out,
            "# TYPE subaccounts_http_request_duration_seconds histogram"
        )?;
        let mut latencies: Vec<_> = lock(&self.latency).clone().into_iter().collect();
        latencies.sort_by(|a, b| a.0.cmp(&b.0));
        for ((method, route), latency) in latencies {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(&route));
            let mut cumulative = 0;
            for (bound, count) in LATENCY_BUCKETS.iter().zip(latency.buckets) {
                cumulative += count;
                writeln!(
                    out,
                    "subaccounts_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                )?;
            }
            writeln!(
                out,
                "subaccounts_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                latency.count
            )?;
            writeln!(
                out,
                "subaccounts_http_request_duration_seconds_sum{{{labels}}} {}",
                latency.sum_seconds
            )?;
            writeln!(
                out,
                "subaccounts_http_request_duration_seconds_count{{{labels}}} {}",
                latency.count
            )?;
        }

        writeln!(
            out,
            "# HELP subaccounts_consumption_requests_total Task consumption requests, by outcome."
        )?;
        writeln!(out, "# TYPE subaccounts_consumption_requests_total counter")?;
        let mut consumption: Vec<_> = lock(&self.consumption).clone().into_iter().collect();
        consumption.sort();
        for (outcome, count) in consumption {
            writeln!(
                out,
                "subaccounts_consumption_requests_total{{outcome=\"{outcome}\"}} {count}"
            )?;
        }

        writeln!(
            out,
            "# HELP subaccounts_db_pool_connections Pooled database connections, by state."
        )?;
        writeln!(out, "# TYPE subaccounts_db_pool_connections gauge")?;
        writeln!(
            out,
            "subaccounts_db_pool_connections{{state=\"in_use\"}} {in_use}"
        )?;
        writeln!(
            out,
            "subaccounts_db_pool_connections{{state=\"idle\"}} {idle}"
        )?;
        writeln!(
            out,
            "# HELP subaccounts_db_pool_waiting Requests waiting for a pooled connection."
        )?;
        writeln!(out, "# TYPE subaccounts_db_pool_waiting gauge")?;
        writeln!(
            out,
            "subaccounts_db_pool_waiting {}",
            self.pool_waiting.load(Ordering::Relaxed).max(0)
        )?;

        writeln!(
            out,
            "# HELP subaccounts_billing_period_rollovers_total Billing periods closed by this instance."
        )?;
        writeln!(
            out,
            "# TYPE subaccounts_billing_period_rollovers_total counter"
        )?;
        writeln!(
            out,
            "subaccounts_billing_period_rollovers_total {}",
            crate::db::periods::rollovers()
        )?;
        writeln!(
            out,
            "# HELP subaccounts_password_checks_total bcrypt password checks at sign-in."
        )?;
        writeln!(out, "# TYPE subaccounts_password_checks_total counter")?;
        writeln!(
            out,
            "subaccounts_password_checks_total {}",
            self.password_checks.load(Ordering::Relaxed)
        )?;
        writeln!(
            out,
            "# HELP subaccounts_sign_ins_throttled_total Sign-ins answered with 429."
        )?;
        writeln!(out, "# TYPE subaccounts_sign_ins_throttled_total counter")?;
        writeln!(
            out,
            "subaccounts_sign_ins_throttled_total {}",
            self.throttled_sign_ins.load(Ordering::Relaxed)
        )?;
        Ok(())
    }
}

/// Escapes a label value: backslash, double quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_render_counters_and_histogram() {
        let metrics = Metrics::default();
        metrics.record_request("GET", "/healthz", 200, 0.002);
        metrics.record_request("GET", "/healthz", 200, 0.2);
        metrics.record_consumption("accepted");
        let text = metrics.render((1, 3));
        assert!(text.contains("subaccounts_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"), "{text}");
        assert!(text.contains("subaccounts_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"0.0025\"} 1"), "{text}");
        assert!(text.contains("subaccounts_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"0.25\"} 2"), "{text}");
        assert!(text.contains("subaccounts_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"} 2"), "{text}");
        assert!(
            text.contains("subaccounts_consumption_requests_total{outcome=\"accepted\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("subaccounts_db_pool_connections{state=\"idle\"} 3"),
            "{text}"
        );
    }
}
