import HTTPServer
import JSON
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Transport

#if canImport(Glibc)
import Glibc
#endif

/// The protocol floor (`Benchmarks/floor/protocol_floor.c`) on the extension's own building
/// blocks: the same messages, through the extension's `HTTPServer` (SwiftNIO) and `HTTPClient`
/// (libcurl on its transport thread), with every task on the event loop as the extension runs
/// them (`EventLoopExecutor`), and none of the extension's work (no parsing, batching, gzip,
/// metrics or logs). What it costs beside the C floor is what those blocks cost by themselves
/// (Benchmarks/ANALYSIS.md). With `STACK_FLOOR_GZIP=1` it also does what the contract makes
/// unavoidable for an extension's data (`ContractCodec`): a compressed agent body is inflated (an
/// extension checks each one whole), and each flush's data goes out gzipped (one gzip'd request
/// per batch). A measuring stick, not an extension: it has no error handling worth the name.
@main
enum StackFloor {
    static func main() {
        MultiThreadedEventLoopGroup.withCurrentThreadAsEventLoop { eventLoop in
            Task(executorPreference: EventLoopExecutor(eventLoop)) {
                exit(await run(eventLoop: eventLoop))
            }
        }
        fatalError("the event loop stopped before the floor exited")
    }

    static func run(eventLoop: any EventLoop) async -> Int32 {
        guard let api = variable("AWS_LAMBDA_RUNTIME_API"), let server = variable("ELASTIC_APM_LAMBDA_APM_SERVER") else {
            return 2
        }
        let agentPort = variable("ELASTIC_APM_DATA_RECEIVER_SERVER_PORT").flatMap { Int($0) } ?? 8200
        let codec = variable("STACK_FLOOR_GZIP") == "1" ? try? ContractCodec() : nil
        let base = "http://\(api)"
        // Lambda knows an extension by its file name.
        let name = String(CommandLine.arguments[0].split(separator: "/").last ?? "elastic-apm-stack-floor")
        do {
            let http = try HTTPClient()
            let registration = try await http.execute(HTTPRequest(
                method: "POST", url: base + "/2020-01-01/extension/register",
                headers: ["Lambda-Extension-Name": name, "Content-Type": "application/json"],
                body: Array(#"{"events":["INVOKE","SHUTDOWN"]}"#.utf8)))
            guard let identifier = registration.headers["lambda-extension-identifier"] else { return 1 }

            // The agent's intake is kept as it came (inflated, with the codec); each flush hands it
            // to the loop below.
            let pending = NIOLockedValueBox<(encoding: String?, body: [UInt8])>((nil, []))
            let (flushes, flushed) = AsyncStream.makeStream(of: (encoding: String?, body: [UInt8]).self)
            _ = try await HTTPServer.start(port: agentPort, group: eventLoop) { request in
                if request.path == "/intake/v2/events" {
                    let encoding = request.headers["content-encoding"]
                    let body = codec.map { $0.inflated(request.body, encoding: encoding) } ?? request.body
                    pending.withLockedValue { kept in
                        if kept.body.isEmpty, codec == nil { kept.encoding = encoding }
                        kept.body += body
                    }
                    if request.queryValue("flushed") == "true" {
                        flushed.yield(pending.withLockedValue { kept in
                            defer { kept = (nil, []) }
                            return kept
                        })
                    }
                }
                return .respond(ServerResponse(status: 202))
            }
            let telemetry = try await HTTPServer.start(group: eventLoop) { _ in .respond(ServerResponse(status: 200)) }
            _ = try await http.execute(HTTPRequest(
                method: "PUT", url: base + "/2022-07-01/telemetry",
                headers: ["Lambda-Extension-Identifier": identifier, "Content-Type": "application/json"],
                body: Array("""
                    {"schemaVersion":"2022-12-13","types":["platform","function"],\
                    "buffering":{"maxItems":1000,"maxBytes":262144,"timeoutMs":25},\
                    "destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:\(telemetry.port)"}}
                    """.utf8)))

            var invocationsEnded = flushes.makeAsyncIterator()
            let nextEvent = HTTPRequest(
                url: base + "/2020-01-01/extension/event/next", headers: ["Lambda-Extension-Identifier": identifier],
                timeout: .zero)
            // As the extension does: the flush's batch carries `/event/next` (sent by the transport
            // thread as soon as the batch is accepted).
            var preparedNext: PreparedRequest?
            while true {
                let event = try await http.execute(preparedNext ?? http.prepare(nextEvent))
                preparedNext = nil
                if (try? JSONParser.parse(event.body))?["eventType"]?.stringValue == "SHUTDOWN" { return 0 }
                guard let data = await invocationsEnded.next() else { return 1 }
                if data.body.isEmpty { continue }
                var headers: HTTPFields = ["Content-Type": "application/x-ndjson"]
                var body = data.body
                if let encoding = data.encoding { headers.add(name: "Content-Encoding", value: encoding) }
                if let codec {
                    body = try codec.gzipped(body)
                    headers.add(name: "Content-Encoding", value: "gzip")
                }
                preparedNext = try http.prepare(nextEvent)
                _ = try await http.execute(
                    HTTPRequest(method: "POST", url: server + "/intake/v2/events", headers: headers, body: body), then: preparedNext)
            }
        } catch {
            print("stack floor: \(error)")
            return 1
        }
    }

    private static func variable(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

/// Inflates compressed agent bodies and gzips each flush's data (zlib level 1, one stream started
/// over for each flush), with one zlib state for each as the extension keeps them.
private final class ContractCodec: @unchecked Sendable {
    // Every use of the zlib states is under `lock` (the agent's handler and the flush loop).
    private let lock = NIOLock()
    private var inflater: Inflater
    private var stream: GzipStream

    init() throws(TransportError) {
        inflater = try Inflater()
        stream = try GzipStream(level: 1)
    }

    /// The body as plain ndjson; empty when it does not inflate (an extension would refuse it).
    func inflated(_ body: [UInt8], encoding: String?) -> [UInt8] {
        guard encoding != nil else { return body }
        return lock.withLock { (try? inflater.inflate(body, format: .automatic, maxOutputBytes: 64 << 20)) ?? [] }
    }

    func gzipped(_ body: [UInt8]) throws -> [UInt8] {
        try lock.withLock {
            try stream.reset()
            try stream.write(body)
            try stream.finish()
            return stream.output
        }
    }
}
