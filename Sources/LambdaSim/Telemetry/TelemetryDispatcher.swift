import JSON
import Transport

/// Plays Lambda's telemetry delivery: keeps every event from the start of the environment (so
/// a late subscriber still gets `platform.initStart`), and once subscribed POSTs JSON arrays of
/// the subscribed types to the destination, a batch when `timeoutMs` has passed since the first
/// waiting event or at once when a full batch (`maxItems` or `maxBytes`) is waiting. One batch is
/// in flight at a time, so batches arrive in order; what arrives meanwhile waits its own
/// `timeoutMs` (from its first event) like any other batch, not just for the answer.
actor TelemetryDispatcher {
    private let client: HTTPClient
    private let clock: SimulationClock
    private(set) var subscription: TelemetrySubscription?
    /// Waiting events with the simulation time each arrived at (the batch's timer runs from the first).
    private var backlog: [(event: PlatformTelemetryEvent, arrivedAtMs: Double)] = []
    private var timer: Task<Void, Never>?
    private var sending = false
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private(set) var deliveries: [TelemetryDelivery] = []
    private let faults: [TelemetryFault]

    init(client: HTTPClient, clock: SimulationClock, faults: [TelemetryFault] = []) {
        self.client = client
        self.clock = clock
        self.faults = faults
    }

    func emit(_ event: PlatformTelemetryEvent) {
        if let subscription, !subscription.types.contains(event.category) { return }
        backlog.append((event, clock.elapsedMs()))
        schedule()
    }

    func subscribe(_ subscription: TelemetrySubscription) {
        self.subscription = subscription
        // Lambda keeps what happened before the subscription, but only of the asked-for types.
        backlog.removeAll { !subscription.types.contains($0.event.category) || $0.event.json(for: subscription.api) == nil }
        schedule()
    }

    /// Sends everything waiting now (at SHUTDOWN, as Lambda does) and returns when it is sent.
    func drain() async {
        timer?.cancel()
        timer = nil
        while sending { await withCheckedContinuation { idleWaiters.append($0) } }
        guard subscription != nil, !backlog.isEmpty else { return }
        sending = true
        await send(untilEmpty: true)
    }

    // MARK: Batching

    private func schedule() {
        guard let subscription, let first = backlog.first, !sending else { return }
        if backlog.count >= subscription.maxItems {
            timer?.cancel()
            timer = nil
            sending = true
            Task { await self.send(untilEmpty: false) }
        } else if timer == nil {
            let delay = first.arrivedAtMs + Double(subscription.timeoutMs) - clock.elapsedMs()
            timer = Task {
                if delay > 0 { try? await Task.sleep(for: .microseconds(Int64(delay * 1000))) }
                guard !Task.isCancelled else { return }
                self.timerFired()
            }
        }
    }

    private func timerFired() {
        timer = nil
        guard !sending, !backlog.isEmpty else { return }
        sending = true
        Task { await self.send(untilEmpty: false) }
    }

    /// Sends a batch, and more while what is left would fill one (or, `untilEmpty`, until
    /// nothing is left); `sending` is true while it runs.
    private func send(untilEmpty: Bool) async {
        while let subscription, !backlog.isEmpty {
            let (batch, full) = takeBatch(subscription)
            await post(batch, to: subscription)
            if !untilEmpty, !full { break }
        }
        sending = false
        let waiters = idleWaiters
        idleWaiters = []
        for waiter in waiters { waiter.resume() }
        schedule()
    }

    /// The next batch, and whether it was cut at `maxItems` or `maxBytes` with more waiting.
    private func takeBatch(_ subscription: TelemetrySubscription) -> (batch: [JSONValue], full: Bool) {
        var batch: [JSONValue] = []
        var bytes = 2
        while !backlog.isEmpty {
            if batch.count == subscription.maxItems { return (batch, true) }
            guard let json = backlog[0].event.json(for: subscription.api) else {
                backlog.removeFirst()
                continue
            }
            var writer = JSONWriter()
            writer.write(json)
            if !batch.isEmpty, bytes + writer.bytes.count + 1 > subscription.maxBytes { return (batch, true) }
            bytes += writer.bytes.count + 1
            batch.append(json)
            backlog.removeFirst()
        }
        return (batch, false)
    }

    private func post(_ batch: [JSONValue], to subscription: TelemetrySubscription) async {
        guard !batch.isEmpty else { return }
        var writer = JSONWriter()
        writer.write(.array(batch))
        let types = batch.compactMap { $0["type"]?.stringValue }
        if faults.contains(.malformed) {
            await post(body: Array(writer.bytes.prefix(writer.bytes.count / 2)), types: ["malformed"], to: subscription)
        }
        await post(body: writer.bytes, types: types, to: subscription)
        if faults.contains(.duplicate) {
            await post(body: writer.bytes, types: types, to: subscription)
        }
    }

    private func post(body: [UInt8], types: [String], to subscription: TelemetrySubscription) async {
        // Outside Lambda `sandbox.localdomain` does not resolve; it is this host.
        let url = subscription.destinationURI.replacingOccurrences(of: "sandbox.localdomain", with: "127.0.0.1")
        let request = HTTPRequest(
            method: "POST", url: url, headers: ["Content-Type": "application/json"], body: body,
            timeout: .seconds(2))
        let sentAt = clock.elapsedMs()
        var delivery = TelemetryDelivery(atMs: sentAt, types: types, status: nil, error: nil)
        do {
            delivery.status = try await client.execute(request).status
        } catch {
            delivery.error = error.description
        }
        delivery.answeredAtMs = clock.elapsedMs()
        deliveries.append(delivery)
    }
}
