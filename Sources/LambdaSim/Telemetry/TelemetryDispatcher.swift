import JSON
import Transport

/// Plays Lambda's telemetry delivery: keeps every event from the start of the environment (so
/// a late subscriber still gets `platform.initStart`), and once subscribed POSTs JSON arrays of
/// the subscribed types to the destination, a batch when `timeoutMs` has passed since the first
/// waiting event or at once when `maxItems` are waiting. One batch is in flight at a time, so
/// batches arrive in order.
actor TelemetryDispatcher {
    private let client: HTTPClient
    private let clock: SimulationClock
    private(set) var subscription: TelemetrySubscription?
    private var backlog: [PlatformTelemetryEvent] = []
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
        backlog.append(event)
        schedule()
    }

    func subscribe(_ subscription: TelemetrySubscription) {
        self.subscription = subscription
        // Lambda keeps what happened before the subscription, but only of the asked-for types.
        backlog.removeAll { !subscription.types.contains($0.category) || $0.json(for: subscription.api) == nil }
        schedule()
    }

    /// Sends everything waiting now (at SHUTDOWN, as Lambda does) and returns when it is sent.
    func drain() async {
        timer?.cancel()
        timer = nil
        while sending { await withCheckedContinuation { idleWaiters.append($0) } }
        guard subscription != nil, !backlog.isEmpty else { return }
        sending = true
        await sendAll()
    }

    // MARK: Batching

    private func schedule() {
        guard let subscription, !backlog.isEmpty, !sending else { return }
        if backlog.count >= subscription.maxItems {
            timer?.cancel()
            timer = nil
            sending = true
            Task { await self.sendAll() }
        } else if timer == nil {
            let delay = subscription.timeoutMs
            timer = Task {
                try? await Task.sleep(for: .milliseconds(delay))
                guard !Task.isCancelled else { return }
                self.timerFired()
            }
        }
    }

    private func timerFired() {
        timer = nil
        guard !sending, !backlog.isEmpty else { return }
        sending = true
        Task { await self.sendAll() }
    }

    /// Sends batches until the backlog is empty; `sending` is true while it runs.
    private func sendAll() async {
        while let subscription, !backlog.isEmpty {
            let batch = takeBatch(subscription)
            await post(batch, to: subscription)
        }
        sending = false
        let waiters = idleWaiters
        idleWaiters = []
        for waiter in waiters { waiter.resume() }
        schedule()
    }

    private func takeBatch(_ subscription: TelemetrySubscription) -> [JSONValue] {
        var batch: [JSONValue] = []
        var bytes = 2
        while !backlog.isEmpty, batch.count < subscription.maxItems {
            guard let json = backlog[0].json(for: subscription.api) else {
                backlog.removeFirst()
                continue
            }
            var writer = JSONWriter()
            writer.write(json)
            if !batch.isEmpty, bytes + writer.bytes.count + 1 > subscription.maxBytes { break }
            bytes += writer.bytes.count + 1
            batch.append(json)
            backlog.removeFirst()
        }
        return batch
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
        deliveries.append(delivery)
    }
}
