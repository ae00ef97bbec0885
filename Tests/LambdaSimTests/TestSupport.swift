import HTTPServer
import Foundation
import JSON
@testable import LambdaSim
import Transport

/// The package's root directory (for `scenarios/` and `scripts/`).
let packageRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

func parseJSON(_ bytes: [UInt8]) throws -> JSONValue { try JSONParser.parse(bytes) }

/// The simulated platform without a process: the test plays the extension.
struct PlatformHarness {
    /// The dispatcher's clock: its deliveries' `atMs` are on it.
    let clock: SimulationClock
    let client: HTTPClient
    let state: ExtensionsAPIState
    let dispatcher: TelemetryDispatcher
    let server: HTTPServer

    var baseURL: String { "http://127.0.0.1:\(server.port)" }
    var events: TelemetryEventFactory { TelemetryEventFactory(scenario: Scenario(functionName: "harness")) }

    static func start(
        telemetry: TelemetryAvailability = .telemetry, refusal: SubscriptionRefusal = .notFound, managedInstances: Bool = false
    ) async throws -> PlatformHarness {
        let clock = SimulationClock()
        let client = try HTTPClient()
        let state = ExtensionsAPIState(clock: clock)
        let dispatcher = TelemetryDispatcher(client: client, clock: clock)
        let router = ExtensionsAPIRouter(
            state: state, dispatcher: dispatcher, functionName: "harness", telemetry: telemetry, refusal: refusal,
            managedInstances: managedInstances)
        let server = try await HTTPServer.start { await router.handle($0) }
        return PlatformHarness(clock: clock, client: client, state: state, dispatcher: dispatcher, server: server)
    }

    func stop() async {
        await state.abandon()
        await server.stop()
    }

    func request(
        _ method: String, _ path: String, identifier: String? = nil, headers extra: [(String, String)] = [], body: String = ""
    ) async throws -> HTTPResponse {
        var request = HTTPRequest(method: method, url: baseURL + path, body: Array(body.utf8), timeout: .seconds(10))
        if let identifier { request.headers.add(name: "Lambda-Extension-Identifier", value: identifier) }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        return try await client.execute(request)
    }

    /// Registers and returns the identifier.
    func register(name: String = "test-extension", events: String = #"["INVOKE","SHUTDOWN"]"#) async throws -> String {
        let response = try await request(
            "POST", "/2020-01-01/extension/register", headers: [("Lambda-Extension-Name", name)],
            body: #"{"events":\#(events)}"#)
        return response.headers["Lambda-Extension-Identifier"] ?? ""
    }

    func subscriptionBody(
        schema: String = "2022-12-13", types: [String] = ["platform", "function"], maxItems: Int = 1000,
        timeoutMs: Int = 25, uri: String
    ) -> String {
        let typeList = types.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"schemaVersion":"\#(schema)","types":[\#(typeList)],"buffering":{"maxItems":\#(maxItems),"maxBytes":262144,"timeoutMs":\#(timeoutMs)},"destination":{"protocol":"HTTP","URI":"\#(uri)"}}"#
    }
}

/// A telemetry listener as an extension runs one: collects the JSON arrays POSTed to it.
final class TelemetryCollector: Sendable {
    let server: HTTPServer
    let batches: AsyncStream<[JSONValue]>

    var uri: String { "http://127.0.0.1:\(server.port)" }

    init() async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: [JSONValue].self)
        batches = stream
        server = try await HTTPServer.start { request in
            let batch = (try? JSONParser.parse(request.body))?.arrayValue ?? []
            continuation.yield(batch)
            return .respond(ServerResponse(status: 200))
        }
    }

    /// Collects batches until `done` says the events so far are enough.
    func collect(until done: ([JSONValue]) -> Bool) async -> [JSONValue] {
        var events: [JSONValue] = []
        for await batch in batches {
            events += batch
            if done(events) { break }
        }
        return events
    }

    func stop() async { await server.stop() }
}

extension JSONValue {
    var type: String? { self["type"]?.stringValue }
}
