//! Throughput of the S3 access-log parser on synthetic lines held in memory.
//!
//! `cargo run --release -p lakewarden-index --example s3_throughput [LINES]`

use std::time::Instant;

use lakewarden_index::parse_s3_access_log;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let mut data = String::with_capacity(n * 420);
    for i in 0..n {
        data.push_str(&format!(
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be corp-lake \
             [06/Feb/2019:00:{:02}:{:02} +0000] 192.0.2.{} \
             arn:aws:sts::123456789012:assumed-role/etl-spark/i-0abc{i} {i:016X} REST.GET.OBJECT \
             raw/customers/region%3Deu/part-{i:05}.parquet \
             \"GET /raw/customers/region%3Deu/part-{i:05}.parquet HTTP/1.1\" 200 - 4823 4823 12 10 \
             \"-\" \"aws-sdk-java/1.12.261 Linux/5.10.184 OpenJDK_64-Bit_Server_VM/11.0.20+8\" - \
             s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 \
             ECDHE-RSA-AES128-GCM-SHA256 AuthHeader corp-lake.s3.eu-west-1.amazonaws.com TLSv1.2 - -\n",
            (i / 60) % 60,
            i % 60,
            i % 250
        ));
    }
    let start = Instant::now();
    let mut bytes = 0i64;
    let report = parse_s3_access_log(data.as_bytes(), "bench", &mut |e| {
        bytes += e.bytes.unwrap_or(0)
    });
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(report.events as usize, n);
    println!(
        "{n} lines, {:.1} MB in {secs:.3} s: {:.0} lines/s, {:.0} MB/s (checksum {bytes})",
        data.len() as f64 / 1e6,
        n as f64 / secs,
        data.len() as f64 / 1e6 / secs
    );
}
