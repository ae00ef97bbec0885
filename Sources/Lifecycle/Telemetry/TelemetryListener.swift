public import Logging
public import NIOCore
import Synchronization

/// Receives the Telemetry (or Logs) API's batches, answers at once, and hands the events on.
/// A malformed batch gets 400 and is counted; it changes nothing else.
public final class TelemetryListener: Sendable {
    private let onEvents: @Sendable ([TelemetryEvent]) async -> Void
    private let logger: Logger
    private let malformed = Atomic<Int>(0)

    public var malformedBatches: Int { malformed.load(ordering: .relaxed) }

    public init(logger: Logger, onEvents: @escaping @Sendable ([TelemetryEvent]) async -> Void) {
        self.logger = logger
        self.onEvents = onEvents
    }

    public func bind(host: String, group: any EventLoopGroup) async throws -> HTTPServer {
        try await HTTPServer(
            host: host, port: 0, maxBodyBytes: 4 << 20, requestTimeout: .seconds(5), group: group, logger: logger
        ) { [self] request in await self.handle(request) }
    }

    func handle(_ request: ServerRequest) async -> ServerResponse {
        guard request.method == "POST" else { return .error(405, "POST telemetry batches here") }
        let events: [TelemetryEvent]
        do {
            events = try TelemetryEvent.parseBatch(request.body)
        } catch {
            let count = malformed.wrappingAdd(1, ordering: .relaxed).newValue
            logger.warning("malformed telemetry batch refused", metadata: ["reason": "\(error)", "malformed.total": "\(count)"])
            return .error(400, "malformed telemetry batch: \(error)")
        }
        await onEvents(events)
        return ServerResponse(status: 200)
    }
}
