import FuzzSupport
import JSON
import Lifecycle
import Logging
import Transport

/// The agent receiver's request handling, whole requests: the input's first line is
/// `METHOD URI`, then header lines, a blank line, and the body. The APM Server it would proxy to
/// is not listening, so the fuzzer exercises routing, decoding, validation and the forwarder.
nonisolated(unsafe) var receiver: AgentReceiver?

@_cdecl("FuzzReceiver_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    let logger = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }
    let http = try! HTTPClient()
    let apmServer = APMServerClient(serverURL: "http://127.0.0.1:9", authorization: nil, userAgent: "fuzz", http: http)
    let forwarder = try! Forwarder(
        client: apmServer, forwarderTimeout: .milliseconds(50), limits: Forwarder.Limits(agentDataBufferSize: 10),
        synthesizedMetadata: nil, logger: logger)
    receiver = try! AgentReceiver(
        forwarder: forwarder, apmServer: apmServer, forwarderTimeout: .milliseconds(50),
        events: .init(agentFlushed: {}, transactionRegistered: { _, _, _ in }, transactionsReported: { _ in }), logger: logger)
    return runFuzzer(argc, argv) { data, size in
        let input = bytes(data, size)
        let request = parse(input)
        // Keep the proxy path out: it waits on the network, which is not what is fuzzed here.
        guard request.path == "/intake/v2/events" || request.path == "/register/transaction" else { return 0 }
        let receiver = receiver!
        blocking {
            let response = await receiver.handle(request)
            precondition((200..<600).contains(response.status), "status out of range")
        }
        return 0
    }
}

func parse(_ input: [UInt8]) -> ServerRequest {
    var lines = input.split(separator: 0x0A, maxSplits: 32, omittingEmptySubsequences: false)
    let requestLine = String(decoding: lines.isEmpty ? [] : lines.removeFirst(), as: UTF8.self).split(separator: " ")
    var headers = HTTPFields()
    var bodyStart = input.count
    var offset = requestLine.isEmpty ? 0 : (input.firstIndex(of: 0x0A).map { $0 + 1 } ?? input.count)
    for line in lines {
        offset += line.count + 1
        if line.isEmpty {
            bodyStart = min(offset, input.count)
            break
        }
        let text = String(decoding: line, as: UTF8.self)
        if let colon = text.firstIndex(of: ":") {
            headers.add(name: String(text[..<colon]), value: String(text[text.index(after: colon)...]).trimmingPrefix(" ").description)
        }
    }
    let method = requestLine.first.map(String.init) ?? "POST"
    let uri = requestLine.dropFirst().first.map(String.init) ?? "/intake/v2/events"
    return ServerRequest(method: method, uri: uri, headers: headers, body: Array(input[min(bodyStart, input.count)...]))
}
