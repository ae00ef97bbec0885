import APMFixtures
import Benchmark
import CRawZlib
import Foundation
import LambdaSim
import Transport

// Transport benchmarks: the streaming gzip encoder against raw zlib, and HTTP requests to a local
// APM Server sink over one kept-alive connection versus a new connection per request.
//
// Names carry what one iteration processes ("gzip stream 1 KB x1024": 1024 buffers of 1 KB), so
// `scripts/bench_report.py` can turn wall-clock medians into MB/s.

let benchmarks: @Sendable () -> Void = {
    gzipBenchmarks()
    httpBenchmarks()
}

// MARK: gzip

/// The input sizes, and how many buffers one iteration compresses (about 1 MB per iteration at least).
let gzipSizes: [(label: String, bytes: Int, repeats: Int)] = [
    ("1 KB", 1 << 10, 1024), ("64 KB", 64 << 10, 16), ("1 MB", 1 << 20, 1), ("10 MB", 10 << 20, 1),
]

func gzipBenchmarks() {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 2,
        maxDuration: .seconds(1),
        maxIterations: 100
    )
    for size in gzipSizes {
        let input = APMFixtures.ndjson(bytes: size.bytes)
        // Line boundaries, to write event by event as the agent receiver hands payloads over.
        var lines: [Range<Int>] = []
        var start = 0
        for (index, byte) in input.enumerated() where byte == 0x0A {
            lines.append(start..<(index + 1))
            start = index + 1
        }
        if start < input.count { lines.append(start..<input.count) }

        // Allocated (and touched) once, as the stream's output buffer is reused from run to run.
        let rawOutput = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: raw_zlib_gzip_bound(input.count))
        rawOutput.initialize(repeating: 0)
        Benchmark("gzip raw zlib level 1 \(size.label) x\(size.repeats)", configuration: configuration) { benchmark in
            let capacity = rawOutput.count
            benchmark.startMeasurement()
            for _ in 0..<size.repeats {
                let produced = input.withUnsafeBufferPointer { source in
                    raw_zlib_gzip_level1(source.baseAddress!, source.count, rawOutput.baseAddress!, capacity)
                }
                precondition(produced > 0, "zlib failed")
                blackHole(produced)
            }
            benchmark.stopMeasurement()
        }

        Benchmark("gzip stream one write \(size.label) x\(size.repeats)", configuration: configuration) { benchmark in
            var gzip = try GzipStream(level: 1)
            benchmark.startMeasurement()
            for _ in 0..<size.repeats {
                try input.withUnsafeBytes { try gzip.write($0) }
                try gzip.finish()
                blackHole(gzip.withOutput { $0.count })
                try gzip.reset()
            }
            benchmark.stopMeasurement()
        }

        Benchmark("gzip stream per event \(size.label) x\(size.repeats)", configuration: configuration) { benchmark in
            var gzip = try GzipStream(level: 1)
            benchmark.startMeasurement()
            for _ in 0..<size.repeats {
                try input.withUnsafeBytes { bytes in
                    for line in lines { try gzip.write(UnsafeRawBufferPointer(rebasing: bytes[line])) }
                }
                try gzip.finish()
                blackHole(gzip.withOutput { $0.count })
                try gzip.reset()
            }
            benchmark.stopMeasurement()
        }
    }
}

// MARK: HTTP

/// What the HTTP benchmarks share: the sinks (plain and TLS), a client per sink, the request body.
final class HTTPFixture: @unchecked Sendable {
    var sink: APMServerSink?
    var client: HTTPClient?
    var certificateDirectory: String?

    func start(tls: Bool) async throws {
        var sinkTLS: SinkTLS?
        var tlsConfiguration = TLSConfiguration()
        if tls {
            let directory = NSTemporaryDirectory() + "eapm-bench-tls-\(getpid())"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let certificate = directory + "/cert.pem", key = directory + "/key.pem"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            precondition(process.terminationStatus == 0, "openssl req failed")
            sinkTLS = SinkTLS(certificatePath: certificate, privateKeyPath: key)
            // Verify the chain, as the extension does, trusting the test certificate.
            tlsConfiguration = TLSConfiguration(extraCAPEM: try String(contentsOfFile: certificate, encoding: .utf8))
            certificateDirectory = directory
        }
        sink = try await APMServerSink.start(tls: sinkTLS)
        client = try HTTPClient(tls: tlsConfiguration, maxConnections: 1)
    }

    func stop() async {
        client = nil
        await sink?.stop()
        sink = nil
        if let certificateDirectory { try? FileManager.default.removeItem(atPath: certificateDirectory) }
    }

    /// One intake request: a gzip body of the metadata line and 8 events (about 1 KB compressed).
    static let body: [UInt8] = {
        var gzip = try! GzipStream(level: 1)
        try! gzip.write(APMFixtures.metadata + [0x0A])
        for event in APMFixtures.events(count: 8) { try! gzip.write(event) }
        try! gzip.finish()
        return gzip.output
    }()

    func request(newConnection: Bool) -> HTTPRequest {
        var headers: HTTPFields = ["content-type": "application/x-ndjson", "content-encoding": "gzip"]
        // The sink then answers `Connection: close` and closes, so libcurl cannot reuse it.
        if newConnection { headers.add(name: "connection", value: "close") }
        return HTTPRequest(method: "POST", url: sink!.url + "/intake/v2/events", headers: headers, body: Self.body)
    }
}

func httpBenchmarks() {
    let configuration = Benchmark.Configuration(
        // libcurl's timings, each from the start of the transfer.
        metrics: [.wallClock, .throughput, .custom("connect us"), .custom("tls handshake us"), .custom("first byte us")],
        warmupIterations: 20,
        maxDuration: .seconds(2),
        maxIterations: 3000
    )
    for tls in [false, true] {
        for newConnection in [false, true] {
            let fixture = HTTPFixture()
            let name = "http \(tls ? "tls" : "plain") \(newConnection ? "new connection per request" : "kept-alive connection")"
            Benchmark(
                name, configuration: configuration,
                closure: { benchmark in
                    let request = fixture.request(newConnection: newConnection)
                    for _ in benchmark.scaledIterations {
                        do {
                            let response = try await fixture.client!.execute(request)
                            precondition(response.status == 202, "sink answered \(response.status)")
                            if newConnection { precondition(!response.timings.reusedConnection, "a connection was reused") }
                            // Where the time goes, from libcurl's own timings (microseconds).
                            let timings = response.timings
                            benchmark.measurement(.custom("connect us"), microseconds(timings.connect))
                            benchmark.measurement(.custom("tls handshake us"), microseconds(timings.tlsHandshake))
                            benchmark.measurement(.custom("first byte us"), microseconds(timings.firstByte))
                            blackHole(response)
                        } catch {
                            fatalError("request failed: \(error)")
                        }
                    }
                },
                setup: { try await fixture.start(tls: tls) },
                teardown: { await fixture.stop() }
            )
        }
    }
}

func microseconds(_ duration: Duration) -> Int {
    Int(duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
}
