import FuzzSupport
import LifecycleTesting
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// The agent receiver's request handling, whole HTTP/1.1 requests as bytes on the wire: NIO's
/// request decoder (as in the receiver's pipeline), then routing, content decoding, validation and
/// the forwarder. The APM Server it would proxy to is not listening, and proxied paths are skipped:
/// they wait on the network, which is not what is fuzzed here.
nonisolated(unsafe) var receiver: ReceiverUnderTest?
/// Agent intake, transaction registration and the OTLP exports: what the receiver takes itself.
let handledHere: Set = ["/intake/v2/events", "/register/transaction", "/v1/traces", "/v1/metrics", "/v1/logs"]

@_cdecl("FuzzReceiver_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    receiver = try! ReceiverUnderTest()
    return runFuzzer(argc, argv) { data, size in
        let requests = decode(bytes(data, size))
        let receiver = receiver!
        for request in requests where handledHere.contains(String(request.path)) {
            blocking {
                let status = await receiver.handle(method: request.method, uri: request.uri, headers: request.headers, body: request.body)
                precondition((200..<600).contains(status), "status out of range")
            }
        }
        return 0
    }
}

/// The complete requests NIO's decoder finds in `input` (a malformed one ends the connection, as
/// in the receiver, where the pipeline answers 400 and closes).
func decode(_ input: [UInt8]) -> [Request] {
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

/// One whole request as NIO's decoder found it.
struct Request {
    var method: String
    var uri: String
    var headers: [(String, String)]
    var body: [UInt8]

    var path: Substring { uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
}

final class RequestCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart

    private(set) var requests: [Request] = []
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
            let headers = head.headers.map { ($0.name, $0.value) }
            requests.append(Request(method: head.method.rawValue, uri: head.uri, headers: headers, body: body))
            self.head = nil
        }
    }
}
