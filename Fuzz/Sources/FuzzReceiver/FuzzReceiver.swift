import FuzzSupport
import JSON
import Lifecycle
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Transport

/// The agent receiver's request handling, whole HTTP/1.1 requests as bytes on the wire: NIO's
/// request decoder (as in the receiver's pipeline), then routing, content decoding, validation and
/// the forwarder. The APM Server it would proxy to is not listening, and proxied paths are skipped:
/// they wait on the network, which is not what is fuzzed here.
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
        let requests = decode(bytes(data, size))
        let receiver = receiver!
        for request in requests where request.path == "/intake/v2/events" || request.path == "/register/transaction" {
            blocking {
                let response = await receiver.handle(request)
                precondition((200..<600).contains(response.status), "status out of range")
            }
        }
        return 0
    }
}

/// The complete requests NIO's decoder finds in `input` (a malformed one ends the connection, as
/// in the receiver, where the pipeline answers 400 and closes).
func decode(_ input: [UInt8]) -> [ServerRequest] {
    let collector = RequestCollector()
    let channel = EmbeddedChannel()
    defer { _ = try? channel.finish() }
    do {
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
        try channel.pipeline.syncOperations.addHandler(collector)
        try channel.writeInbound(ByteBuffer(bytes: input))
    } catch {
        // Malformed HTTP: what was complete before it still counts.
    }
    return collector.requests
}

final class RequestCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart

    private(set) var requests: [ServerRequest] = []
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(let buffer):
            body += buffer.readableBytesView
        case .end:
            guard let head else { return }
            var headers = HTTPFields()
            for (name, value) in head.headers { headers.add(name: name, value: value) }
            requests.append(ServerRequest(method: head.method.rawValue, uri: head.uri, headers: headers, body: body))
            self.head = nil
        }
    }
}
