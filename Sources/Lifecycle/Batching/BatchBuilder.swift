public import Transport

/// A finished, compressed intake body waiting to be sent.
public struct EncodedBatch: Sendable {
    /// The gzip-compressed ndjson body.
    public var body: [UInt8]
    /// Events in the body, the metadata line not counted.
    public var eventCount: Int
    /// Agent payloads whose events are inside: they leave the agent buffer when this is delivered.
    public var agentPayloads: Int
}

/// Builds one intake body at a time: the metadata line, then events, deflated as they are added so
/// that sealing only writes the stream's tail. The zlib state is reused from batch to batch.
///
/// Public so that the benchmarks package can drive it; the extension itself uses it only through
/// the `Forwarder`.
public final class BatchBuilder {
    private var gzip: GzipStream
    private(set) var metadata: [UInt8]?
    /// Events added since the last seal.
    public private(set) var eventCount = 0
    private(set) var agentPayloads = 0
    /// Monotonic milliseconds when the first event went in.
    private(set) var firstEventAt: UInt64?

    /// A builder with its own level-1 gzip stream.
    public init() throws(TransportError) {
        gzip = try GzipStream(level: 1)
    }

    /// True while no event has been added since the last seal.
    public var isEmpty: Bool { eventCount == 0 }

    /// Starts the batch under `metadata` (one JSON line, without newline) if none is open.
    public func open(metadata line: [UInt8]) throws(TransportError) {
        precondition(metadata == nil, "a batch is already open")
        try gzip.write(line)
        try gzip.write([0x0A])
        metadata = line
    }

    /// Adds ndjson event lines (each ending in a newline).
    public func add(events: [UInt8], count: Int, fromAgentPayload: Bool) throws(TransportError) {
        precondition(metadata != nil, "open the batch first")
        try gzip.write(events)
        if firstEventAt == nil { firstEventAt = Deadline.now.monotonicMilliseconds }
        eventCount += count
        if fromAgentPayload { agentPayloads += 1 }
    }

    /// Finishes the stream and starts over; nil when the batch holds no event.
    public func seal() throws(TransportError) -> EncodedBatch? {
        defer {
            metadata = nil
            eventCount = 0
            agentPayloads = 0
            firstEventAt = nil
        }
        guard metadata != nil else { return nil }
        guard eventCount > 0 else {
            try gzip.reset()
            return nil
        }
        try gzip.finish()
        let batch = EncodedBatch(body: gzip.output, eventCount: eventCount, agentPayloads: agentPayloads)
        try gzip.reset()
        return batch
    }
}
