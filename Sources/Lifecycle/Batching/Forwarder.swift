import HTTPServer
package import Logging
package import Transport

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Owns everything between "data arrived" and "APM Server accepted it": the open batch, the
/// outbox of sealed batches, the server's health, and the bound on agent data held.
///
/// Data that could not be sent stays in the outbox (bounded: the oldest batch goes first, and is
/// counted) and is sent again once the grace period is over.
package actor Forwarder {
    /// Counters a test or a log line can read.
    package struct Statistics: Sendable, Equatable {
        package var agentPayloadsAccepted = 0
        /// Agent payloads refused because `agentDataBufferSize` were already waiting.
        package var agentPayloadsDropped = 0
        package var eventsSent = 0
        /// Events in batches dropped: refused by the server as invalid, or pushed out of a full outbox.
        package var eventsDropped = 0
        package var batchesSent = 0
        package var sendFailures = 0
        /// OTLP exports delivered, and dropped (refused as invalid, pushed out of a full outbox, or
        /// not taken because the agent buffer was full).
        package var otlpExportsSent = 0
        package var otlpExportsDropped = 0
    }

    package struct Limits: Sendable {
        /// Agent payloads that may wait to be delivered: those in sealed batches not yet accepted by
        /// APM Server. The batch being filled does not count: it ships at the next flush anyway.
        package var agentDataBufferSize = 100
        /// Compressed bytes the outbox may hold; past it the oldest batch is dropped.
        package var maxOutboxBytes = 4 << 20
        /// Extension-made events that may wait for metadata.
        package var maxEventsWaitingForMetadata = 1000
        package var batch = BatchPolicy()

        package init(agentDataBufferSize: Int = 100) {
            self.agentDataBufferSize = agentDataBufferSize
        }
    }

    private let client: APMServerClient
    private let forwarderTimeout: Duration
    private let limits: Limits
    private let logger: Logger
    private let synthesizedMetadata: [UInt8]?

    private let builder: BatchBuilder
    /// Compresses OTLP exports, one at a time (its zlib state is reused).
    private var otlpGzip: GzipStream
    private var outbox: [EncodedBatch] = []
    private var outboxBytes = 0
    private var health = ServerHealth()
    private var agentPayloadsWaiting = 0
    /// Extension-made events (ndjson lines) waiting for the agent's metadata.
    private var eventsWaitingForMetadata: [[UInt8]] = []
    private var agentMetadata: [UInt8]?
    private var agentUserAgent: String?
    /// Seals the open batch when its first event is old enough; cancelled by `stop()`.
    private var ageTimer: Task<Void, Never>?
    /// The one task that sends the outbox, in order, while it runs: a batch sealed meanwhile goes
    /// with it, and a failed one keeps its place at the front.
    private var sender: Task<Void, Never>?
    /// Whether the outbox is being sent, by `sender` or by a flush.
    private var isSending = false
    /// Until when the sender may start sends: the latest deadline asked for.
    private var sendUntil = Deadline.now
    /// One send may go inside the grace period (SHUTDOWN's last chance): nothing comes after it.
    private var lastChanceRequested = false
    private let senderIdle = DeadlineGate(open: true)
    /// Sends wait for `releaseSends()` (SnapStart: nothing may go out on a connection that the
    /// snapshot will kill; what init buffered ships once a restored copy runs).
    private var sendsHeld = false
    /// The reason of the last failed send, so that a persisting failure is logged once.
    private var lastFailureReason: String?
    package private(set) var statistics = Statistics()

    /// - Parameter synthesizedMetadata: the metadata line used for extension-made events when no
    ///   agent has reported by the time they must ship.
    package init(
        client: APMServerClient, forwarderTimeout: Duration, limits: Limits, synthesizedMetadata: [UInt8]?, logger: Logger
    ) throws(TransportError) {
        self.client = client
        self.forwarderTimeout = forwarderTimeout
        self.limits = limits
        self.synthesizedMetadata = synthesizedMetadata
        self.logger = logger
        builder = try BatchBuilder()
        otlpGzip = try GzipStream(level: 1)
    }

    // MARK: - Adding data

    /// Takes one agent payload (already validated) unless the agent buffer is full.
    /// - Returns: false when the payload was dropped.
    @discardableResult
    package func addAgentPayload(metadata: [UInt8], events: [UInt8], eventCount: Int, userAgent: String?) -> Bool {
        guard agentPayloadsWaiting < limits.agentDataBufferSize else {
            statistics.agentPayloadsDropped += 1
            logger.warning(
                "agent data buffer full: payload dropped",
                metadata: [
                    "buffer.size": "\(limits.agentDataBufferSize)", "dropped.total": "\(statistics.agentPayloadsDropped)",
                ])
            return false
        }
        statistics.agentPayloadsAccepted += 1
        if let userAgent { agentUserAgent = userAgent }
        if agentMetadata == nil {
            agentMetadata = metadata
        }
        do {
            try openBatch(metadata: metadata)
            if eventCount > 0 {
                try builder.add(events: events, count: eventCount, fromAgentPayload: true)
            }
            try addEventsWaitingForMetadata()
        } catch {
            logger.error("could not compress agent data", metadata: ["error": "\(error)"])
        }
        afterAdd()
        return true
    }

    /// Adds an event the extension made (metrics, logs, proxy transactions): one JSON line.
    package func addExtensionEvent(_ line: [UInt8]) {
        if builder.metadata == nil, agentMetadata == nil {
            if eventsWaitingForMetadata.count >= limits.maxEventsWaitingForMetadata {
                eventsWaitingForMetadata.removeFirst()
                statistics.eventsDropped += 1
            }
            eventsWaitingForMetadata.append(line)
            return
        }
        do {
            if builder.metadata == nil, let agentMetadata { try builder.open(metadata: agentMetadata) }
            try builder.add(events: line + [0x0A], count: 1, fromAgentPayload: false)
        } catch {
            logger.error("could not compress an event", metadata: ["error": "\(error)"])
        }
        afterAdd()
    }

    /// Takes one OTLP export (the protobuf body as the SDK encoded it, never decoded here) unless
    /// the agent buffer is full: it counts as one agent payload there and in the outbox's bound.
    /// An export is already a batch (the SDK made it), so it goes into the outbox at once and
    /// starts a send, like an intake batch that reached its threshold; what cannot be sent yet
    /// stays for the next flush, the grace period's end, or the last chance at SHUTDOWN.
    /// - Returns: false when the export was dropped.
    @discardableResult
    package func addOTLPExport(_ signal: OTLPSignal, protobuf: [UInt8], userAgent: String?) -> Bool {
        guard agentPayloadsWaiting < limits.agentDataBufferSize else {
            statistics.otlpExportsDropped += 1
            logger.warning(
                "agent data buffer full: OTLP export dropped",
                metadata: ["otlp.signal": "\(signal.rawValue)", "buffer.size": "\(limits.agentDataBufferSize)"])
            return false
        }
        let body: [UInt8]
        do {
            try otlpGzip.reset()
            try otlpGzip.write(protobuf)
            try otlpGzip.finish()
            body = otlpGzip.output
        } catch {
            logger.error("could not compress an OTLP export", metadata: ["error": "\(error)"])
            return false
        }
        enqueue(EncodedBatch(body: body, eventCount: 0, agentPayloads: 1, destination: .otlp(signal, senderUserAgent: userAgent)))
        startSending(until: .after(forwarderTimeout))
        return true
    }

    /// Whether an agent has sent metadata yet.
    package var hasAgentMetadata: Bool { agentMetadata != nil }

    private func openBatch(metadata: [UInt8]) throws(TransportError) {
        if let open = builder.metadata {
            if open == metadata { return }
            seal() // another metadata (a new agent, or synthesized before): its own batch
        }
        try builder.open(metadata: metadata)
    }

    private func addEventsWaitingForMetadata() throws(TransportError) {
        guard !eventsWaitingForMetadata.isEmpty, builder.metadata != nil else { return }
        for line in eventsWaitingForMetadata {
            try builder.add(events: line + [0x0A], count: 1, fromAgentPayload: false)
        }
        eventsWaitingForMetadata.removeAll()
    }

    /// Seals and ships the open batch if it is due; else makes sure a timer wakes when it will be
    /// by age. While sends are held only a full batch is sealed: ages are looked at again when
    /// sends are released (after a SnapStart restore, on a clock without the time frozen).
    private func afterAdd() {
        let now = Deadline.now.monotonicMilliseconds
        if limits.batch.isDue(eventCount: builder.eventCount, firstEventAt: sendsHeld ? nil : builder.firstEventAt, now: now) {
            seal()
            startSending(until: .after(forwarderTimeout))
        } else if let firstEventAt = builder.firstEventAt, ageTimer == nil, !sendsHeld {
            // What is left of the batch's age (a timer that slept through a freeze wakes early),
            // never more than the whole age.
            let dueAt = firstEventAt + limits.batch.maxAgeMilliseconds
            let wait = min(limits.batch.maxAgeMilliseconds, dueAt - min(now, dueAt))
            // A strong capture: `stop()` ends the timer, and weak references read as leaks to
            // LeakSanitizer (their side table hides behind refcount bits).
            ageTimer = Task.inheritingExecutor {
                guard (try? await EventLoopExecutor.sleep(for: .milliseconds(max(1, wait)))) != nil else { return }
                await self.batchAgeTimerFired()
            }
        }
    }

    private func batchAgeTimerFired() {
        ageTimer = nil
        if builder.firstEventAt != nil { afterAdd() }
    }

    // MARK: - Sealing and sending

    /// Moves the open batch into the outbox.
    private func seal() {
        do {
            guard let batch = try builder.seal() else { return }
            enqueue(batch)
        } catch {
            logger.error("could not finish a batch", metadata: ["error": "\(error)"])
        }
    }

    /// Appends to the outbox, dropping the oldest batches past the outbox's bound.
    private func enqueue(_ batch: EncodedBatch) {
        outbox.append(batch)
        outboxBytes += batch.body.count
        agentPayloadsWaiting += batch.agentPayloads
        while outboxBytes > limits.maxOutboxBytes, outbox.count > 1 {
            let dropped = outbox.removeFirst()
            outboxBytes -= dropped.body.count
            statistics.eventsDropped += dropped.eventCount
            if dropped.destination != .intake { statistics.otlpExportsDropped += 1 }
            agentPayloadsWaiting -= dropped.agentPayloads
            logger.warning(
                "outbox full while APM Server is unavailable: oldest batch dropped",
                metadata: ["events": "\(dropped.eventCount)", "dropped.total": "\(statistics.eventsDropped)"])
        }
    }

    /// Ships everything buffered, waiting at most until `deadline`: seals the open batch (with
    /// synthesized metadata for extension events when no agent reported), and waits while the
    /// sender sends the outbox (until the server fails or the deadline passes).
    /// - Parameters:
    ///   - lastChance: at SHUTDOWN, try even inside the grace period: nothing comes after.
    ///   - followUp: what the caller sends next (the run loop's `/event/next`): the transport sends
    ///     it itself once the outbox's last batch is accepted, if this call sends that batch.
    package func flush(until deadline: Deadline, lastChance: Bool = false, then followUp: PreparedRequest? = nil) async {
        sealForShipping()
        if lastChance { lastChanceRequested = true }
        guard !isSending else {
            // The sender takes what was just sealed along: wait for it, at most until `deadline`.
            sendUntil = max(sendUntil, deadline)
            await senderIdle.wait(until: deadline)
            return
        }
        guard !outbox.isEmpty, !sendsHeld else { return }
        // Nothing is being sent: this caller sends, with no task to hand over to and wait for
        // (a flush is on the invocation's way to `/event/next`).
        isSending = true
        sendUntil = deadline
        senderIdle.close()
        await sendOutbox(then: followUp)
    }

    /// Starts shipping what is buffered and returns at once: the sender goes on until `deadline`
    /// (`background` ships the last invocation's data while the next one runs).
    package func ship(until deadline: Deadline) {
        sealForShipping()
        if !outbox.isEmpty { startSending(until: deadline) }
    }

    /// An invocation ended where nothing waits for the extension (Lambda Managed Instances: no
    /// freeze, invocations overlap): what is buffered ships now, without waiting for any other
    /// invocation.
    package func invocationEnded() {
        ship(until: .after(forwarderTimeout))
    }

    /// Holds every send until `releaseSends()`: what is buffered stays buffered.
    package func holdSends() {
        sendsHeld = true
    }

    /// Lets sends go again, and starts shipping what waited: the outbox, and the open batch once
    /// it is due by age.
    package func releaseSends() {
        sendsHeld = false
        if !outbox.isEmpty { startSending(until: .after(forwarderTimeout)) }
        if builder.firstEventAt != nil { afterAdd() }
    }

    /// Ends the forwarder's tasks (the batch-age timer, the sender) and waits for them: the
    /// process exits next. What they had not shipped by then is counted in `eventsHeld`.
    package func stop() async {
        ageTimer?.cancel()
        ageTimer = nil
        let sender = sender
        sender?.cancel()
        await sender?.value
    }

    /// Seals the open batch, giving extension events that still wait for an agent's metadata the
    /// synthesized one: they must not wait past a flush.
    private func sealForShipping() {
        if builder.metadata == nil, !eventsWaitingForMetadata.isEmpty, let synthesizedMetadata {
            do {
                try builder.open(metadata: synthesizedMetadata)
                try addEventsWaitingForMetadata()
            } catch {
                logger.error("could not compress extension events", metadata: ["error": "\(error)"])
            }
        }
        seal()
    }

    /// Starts the sender unless it runs; a running one takes what was sealed since along, and
    /// goes on until the later deadline.
    private func startSending(until deadline: Deadline) {
        guard !sendsHeld else { return }
        guard !isSending else {
            sendUntil = max(sendUntil, deadline)
            return
        }
        isSending = true
        sendUntil = deadline
        senderIdle.close()
        sender = Task.inheritingExecutor { await self.sendOutbox() }
    }

    /// The sender: outbox batches one by one, oldest first, until it is empty, `sendUntil`
    /// passes, the server fails or the task is cancelled. `followUp` goes with the last batch.
    private func sendOutbox(then followUp: PreparedRequest? = nil) async {
        defer {
            sender = nil
            isSending = false
            lastChanceRequested = false
            senderIdle.open()
        }
        while !outbox.isEmpty, !Task.isCancelled {
            let now = Deadline.now
            let deadline = sendUntil
            guard now < deadline else { return }
            guard health.maySend(atMilliseconds: now.monotonicMilliseconds) || lastChanceRequested else {
                logger.debug("APM Server in its grace period: data kept for later", metadata: ["batches": "\(outbox.count)"])
                return
            }
            lastChanceRequested = false // one try; its outcome decides the rest
            let batch = outbox.removeFirst()
            outboxBytes -= batch.body.count
            let remaining = Duration.milliseconds(max(1, deadline.remainingMilliseconds))
            let last = outbox.isEmpty ? followUp : nil
            let outcome: SendOutcome
            switch batch.destination {
            case .intake:
                outcome = await client.sendEvents(
                    gzippedBody: batch.body, agentUserAgent: agentUserAgent, timeout: min(forwarderTimeout, remaining),
                    deadline: deadline, then: last)
            case .otlp(let signal, let senderUserAgent):
                outcome = await client.sendOTLP(
                    signal, gzippedBody: batch.body, senderUserAgent: senderUserAgent, timeout: min(forwarderTimeout, remaining),
                    deadline: deadline, then: last)
            }
            health.record(outcome, atMilliseconds: Deadline.now.monotonicMilliseconds, random: Jitter.draw())
            // Put back for later, unless a last chance was asked for while it was being sent.
            if handle(outcome, of: batch), !lastChanceRequested { return }
        }
    }

    /// Books the outcome of sending `batch`; returns whether it was put back to try later.
    private func handle(_ outcome: SendOutcome, of batch: EncodedBatch) -> Bool {
        switch outcome {
        case .accepted:
            lastFailureReason = nil
            statistics.batchesSent += 1
            statistics.eventsSent += batch.eventCount
            if batch.destination != .intake { statistics.otlpExportsSent += 1 }
            agentPayloadsWaiting -= batch.agentPayloads
            return false
        case .clientFailure(let reason):
            // Sending the same bytes again would be refused again.
            statistics.eventsDropped += batch.eventCount
            if batch.destination != .intake { statistics.otlpExportsDropped += 1 }
            agentPayloadsWaiting -= batch.agentPayloads
            logger.error("APM Server refused a batch; dropped", metadata: ["reason": "\(reason)", "events": "\(batch.eventCount)"])
            return false
        case .rateLimited:
            logger.warning("APM Server is rate-limiting: data kept for the next flush")
        case .serverFailure(let reason):
            statistics.sendFailures += 1
            let metadata: Logger.Metadata = ["reason": "\(reason)", "health": "\(health.state)"]
            if reason == lastFailureReason {
                // The same failure again (an untrusted certificate, a closed port) is no news.
                logger.debug("sending to APM Server failed again: data kept", metadata: metadata)
            } else if reason.hasPrefix("tls:") {
                logger.error(
                    "TLS with APM Server failed: trust its CA (ELASTIC_APM_SERVER_CA_CERT_FILE, ELASTIC_APM_LAMBDA_SERVER_CA_CERT_PEM, ELASTIC_APM_SERVER_CA_CERT_ACM_ID) or set ELASTIC_APM_LAMBDA_VERIFY_SERVER_CERT=false; data kept",
                    metadata: metadata)
            } else {
                logger.warning("sending to APM Server failed: data kept, retried after the grace period", metadata: metadata)
            }
            lastFailureReason = reason
        }
        outbox.insert(batch, at: 0)
        outboxBytes += batch.body.count
        return true
    }

    /// Events held and not yet delivered (open batch, outbox, waiting for metadata).
    package var eventsHeld: Int {
        builder.eventCount + outbox.reduce(0) { $0 + $1.eventCount } + eventsWaitingForMetadata.count
    }

    /// OTLP exports in the outbox, not yet delivered.
    package var otlpExportsHeld: Int { outbox.filter { $0.destination != .intake }.count }
}
