import HTTPServer
import JSON
import Lifecycle
import Logging
import Transport

// The extension's API is `package`: only this package's modules see it. The fuzz targets (`Fuzz/`)
// and the benchmarks (`Benchmarks/`) are packages of their own (they build with other flags and
// other dependencies), so what they drive is here, in a library that is no part of the extension.

/// One entry point per parser of untrusted input; each checks what it accepted is consistent and
/// traps (a fuzzer finding) when it is not.
public enum FuzzEntryPoints {
    /// The ndjson scanner of agent intake data.
    public static func intake(_ bytes: [UInt8]) {
        if let payload = try? IntakePayload(ndjson: bytes) {
            precondition(payload.eventCount == payload.events.split(separator: 0x0A).count, "event count mismatch")
            // As the receiver takes the agent's next request, its metadata line checked before.
            precondition((try? IntakePayload(ndjson: bytes, checkedMetadata: payload.metadata)) == payload, "checked metadata changed the payload")
        }
        // What checks each line stands in for the parser: both must say the same of every line.
        scanAgreesWithParse(bytes)
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) { scanAgreesWithParse(Array(line)) }
    }

    /// `JSONParser.scanObject` against `JSONParser.parse`: the same error for a document that is not
    /// JSON; for one that is, the same object shape (member count, first name, first value).
    public static func scanAgreesWithParse(_ bytes: [UInt8]) {
        let parsed = Result { () throws(JSONParseError) in try JSONParser.parse(bytes) }
        let scanned = bytes.withUnsafeBufferPointer { buffer in Result { () throws(JSONParseError) in try JSONParser.scanObject(buffer) } }
        switch (parsed, scanned) {
        case (.failure(let expected), .failure(let found)):
            precondition(found == expected, "scan and parse disagree: \(found) against \(expected)")
        case (.success(let value), .success(let object)):
            let members = value.objectValue?.members
            precondition(object?.memberCount == members?.count && object?.firstKey == members?.first?.key, "scan and parse disagree on the members")
            if let object, let first = members?.first {
                precondition(object.firstValueIsObject == (first.value.objectValue != nil), "scan and parse disagree on the first value's kind")
                precondition((try? JSONParser.parse(Array(bytes[object.firstValue]))) == first.value, "the scan's first value is not the parser's")
            }
        default:
            preconditionFailure("scan and parse disagree on whether the document is JSON")
        }
    }

    /// The `/register/transaction` body parser.
    public static func registerTransaction(_ bytes: [UInt8]) {
        if let registration = try? TransactionRegistration(ndjson: bytes) {
            precondition(!registration.transaction.id.isEmpty, "accepted a transaction without id")
            precondition(registration.transaction.object?["id"]?.stringValue == registration.transaction.id, "the id is not the transaction's")
        }
    }

    /// The telemetry batch parser (Telemetry API and Logs API shapes) and the Lambda event parser.
    public static func telemetry(_ bytes: [UInt8]) {
        _ = try? TelemetryEvent.parseBatch(bytes)
        _ = try? LambdaEvent(json: bytes)
    }

    /// Configuration from the environment, and the Go duration syntax on its own.
    public static func configuration(_ environment: [String: String], duration: String) {
        _ = GoDuration.parse(duration)
        if let configuration = try? Configuration(environment: environment) {
            precondition(configuration.forwarderTimeout >= .zero && configuration.receiverTimeout >= .zero, "negative timeout")
            precondition((1...65535).contains(configuration.receiverPort), "port out of range")
        }
    }
}

/// The agent receiver with a forwarder behind it, whose APM Server does not listen: requests go
/// through routing, content decoding, validation and the forwarder, as in the extension.
public final class ReceiverUnderTest: Sendable {
    private let receiver: AgentReceiver

    public init() throws {
        let logger = Logger(label: "receiver-under-test") { _ in SwiftLogNoOpLogHandler() }
        let apmServer = APMServerClient(serverURL: "http://127.0.0.1:9", authorization: nil, userAgent: "test", http: try HTTPClient())
        let forwarder = try Forwarder(
            client: apmServer, forwarderTimeout: .milliseconds(50), limits: Forwarder.Limits(agentDataBufferSize: 10),
            synthesizedMetadata: nil, logger: logger)
        receiver = try AgentReceiver(
            forwarder: forwarder, apmServer: apmServer, forwarderTimeout: .milliseconds(50),
            events: .init(agentFlushed: {}, transactionRegistered: { _, _, _ in }, transactionsReported: { _ in }), logger: logger)
    }

    /// The answer's status to one whole request.
    public func handle(method: String, uri: String, headers: [(String, String)], body: [UInt8]) async -> Int {
        var fields = HTTPFields()
        for (name, value) in headers { fields.add(name: name, value: value) }
        return await receiver.handle(ServerRequest(method: method, uri: uri, headers: fields, body: body)).status
    }
}

/// The forwarder's batch: events deflated as they are added, then sealed.
public final class BatchUnderTest {
    private let builder: BatchBuilder

    public init() throws {
        builder = try BatchBuilder()
    }

    public func open(metadata: [UInt8]) throws {
        try builder.open(metadata: metadata)
    }

    /// Adds `count` events (ndjson lines) an agent sent.
    public func add(events: [UInt8], count: Int) throws {
        try builder.add(events: events, count: count, fromAgentPayload: true)
    }

    /// Ends the batch; returns its compressed size.
    public func seal() throws -> Int {
        try builder.seal()?.body.count ?? 0
    }
}
