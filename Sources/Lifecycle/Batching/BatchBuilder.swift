package import Transport

/// A finished, compressed body waiting in the outbox: an intake batch, or one OTLP export.
package struct EncodedBatch: Sendable {
    /// Where a body goes and what it is.
    package enum Destination: Sendable, Equatable {
        /// ndjson to APM Server's `/intake/v2/events`.
        case intake
        /// An OTLP/HTTP export (protobuf) to its signal's path under the OTLP destination, with
        /// the User-Agent of the SDK that sent it.
        case otlp(OTLPSignal, senderUserAgent: String?)
    }

    /// The gzip-compressed body.
    package var body: [UInt8]
    /// Events in the body, the metadata line not counted (0 for an OTLP export, which is not decoded).
    package var eventCount: Int
    /// Agent payloads whose events are inside: they leave the agent buffer when this is delivered.
    package var agentPayloads: Int
    package var destination: Destination = .intake
}

/// Builds one intake body at a time: the metadata line, then events, deflated as they are added
/// (zlib writes a block whenever its buffer fills, so sealing a big batch writes little more than
/// the stream's tail; a small batch's one block, Huffman trees and all, is written when it is
/// sealed). The zlib state is reused from batch to batch.
///
/// The extension uses it only through the `Forwarder`; the benchmarks through `LifecycleTesting`.
package final class BatchBuilder {
    private var gzip: GzipStream
    private(set) var metadata: [UInt8]?
    /// Events added since the last seal.
    package private(set) var eventCount = 0
    private(set) var agentPayloads = 0
    /// Monotonic milliseconds when the first event went in.
    private(set) var firstEventAt: UInt64?
    /// The stream holds a sealed (or abandoned) batch and must be reset before the next one.
    private var streamUsed = false

    /// A builder with its own level-1 gzip stream.
    package init() throws(TransportError) {
        gzip = try GzipStream(level: 1)
    }

    /// True while no event has been added since the last seal.
    package var isEmpty: Bool { eventCount == 0 }

    /// Starts the batch under `metadata` (one JSON line, without newline) if none is open.
    package func open(metadata line: [UInt8]) throws(TransportError) {
        precondition(metadata == nil, "a batch is already open")
        if streamUsed {
            // Not at seal: resetting clears zlib's 64 KB hash table, work for the next batch's
            // first data rather than for an invocation's way out.
            try gzip.reset()
            streamUsed = false
        }
        try gzip.write(line)
        try gzip.write([0x0A])
        metadata = line
    }

    /// Adds ndjson event lines (each ending in a newline).
    package func add(events: [UInt8], count: Int, fromAgentPayload: Bool) throws(TransportError) {
        precondition(metadata != nil, "open the batch first")
        try gzip.write(events)
        if firstEventAt == nil { firstEventAt = Deadline.now.monotonicMilliseconds }
        eventCount += count
        if fromAgentPayload { agentPayloads += 1 }
    }

    /// Finishes the stream and starts over; nil when the batch holds no event.
    package func seal() throws(TransportError) -> EncodedBatch? {
        defer {
            metadata = nil
            eventCount = 0
            agentPayloads = 0
            firstEventAt = nil
        }
        guard metadata != nil else { return nil }
        streamUsed = true
        guard eventCount > 0 else { return nil }
        try gzip.finish()
        return EncodedBatch(body: gzip.output, eventCount: eventCount, agentPayloads: agentPayloads)
    }
}
