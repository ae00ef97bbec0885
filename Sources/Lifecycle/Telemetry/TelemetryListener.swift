package import HTTPServer
package import Logging
import NIOConcurrencyHelpers
package import NIOCore
import Synchronization

/// Receives the Telemetry (or Logs) API's batches, answers at once, and hands the events on.
/// A malformed batch gets 400 and is counted; it changes nothing else. A batch Lambda delivers
/// again (it retries when an answer was slow) is answered and skipped, so no metric or log line
/// is emitted twice.
package final class TelemetryListener: Sendable {
    private let onEvents: @Sendable ([TelemetryEvent]) async -> Void
    private let logger: Logger
    private let malformed = Atomic<Int>(0)
    private let recentBatches = NIOLockedValueBox(RecentDigests(capacity: 64))

    package var malformedBatches: Int { malformed.load(ordering: .relaxed) }
    package var duplicateBatches: Int { recentBatches.withLockedValue { $0.duplicates } }

    package init(logger: Logger, onEvents: @escaping @Sendable ([TelemetryEvent]) async -> Void) {
        self.logger = logger
        self.onEvents = onEvents
    }

    /// Binds the listener and starts serving until the server's `stop()`.
    package func serve(host: String, group: any EventLoopGroup) async throws -> HTTPServer {
        try await HTTPServer.start(
            host: host, port: 0, maxBodyBytes: 4 << 20, requestTimeout: .seconds(5), group: group, logger: logger
        ) { [self] request in .respond(await self.handle(request)) }
    }

    func handle(_ request: ServerRequest) async -> ServerResponse {
        guard request.method == "POST" else { return .error(405, "POST telemetry batches here") }
        guard recentBatches.withLockedValue({ $0.insert(request.body) }) else {
            logger.debug("duplicate telemetry batch skipped")
            return ServerResponse(status: 200)
        }
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

/// Digests of the last `capacity` bodies seen, to recognise one delivered again.
struct RecentDigests {
    private var order: [Int] = []
    private var seen: Set<Int> = []
    private let capacity: Int
    private(set) var duplicates = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Records `body`; false when it was seen recently.
    mutating func insert(_ body: [UInt8]) -> Bool {
        var hasher = Hasher()
        hasher.combine(body.count)
        body.withUnsafeBytes { hasher.combine(bytes: $0) }
        let digest = hasher.finalize()
        guard seen.insert(digest).inserted else {
            duplicates += 1
            return false
        }
        order.append(digest)
        if order.count > capacity { seen.remove(order.removeFirst()) }
        return true
    }
}
