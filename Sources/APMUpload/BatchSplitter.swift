/// Cuts validated lines into batches that each start with the metadata line in force: at most
/// `maxEvents` events and, unless one event alone is larger, at most `maxBytes` of ndjson.
/// A metadata line later in the input ends the batch before it and is the metadata of the
/// batches after it. Pure, so the arithmetic is tested directly.
struct BatchSplitter: Sendable {
    static let defaultMaxEvents = 500
    /// Uncompressed; APM Server reads a request as a stream, this only keeps requests short.
    static let defaultMaxBytes = 4 << 20

    let maxEvents: Int
    /// 0: no limit.
    let maxBytes: Int

    init(maxEvents: Int = defaultMaxEvents, maxBytes: Int = defaultMaxBytes) {
        precondition(maxEvents > 0 && maxBytes >= 0, "batch limits must be positive")
        self.maxEvents = maxEvents
        self.maxBytes = maxBytes
    }

    /// - Precondition: `lines` is what `NDJSONValidator` returned: non-empty, metadata first.
    func split(_ lines: [NDJSONLine]) -> [BatchPlan] {
        precondition(lines.first?.kind == .metadata, "a validated input starts with metadata")
        var plans: [BatchPlan] = []
        var metadata = 0
        var firstEvent = 1
        var bytes = lines[0].range.count + 1
        var sectionHasBatch = false

        func emit(upTo end: Int) {
            plans.append(BatchPlan(metadata: metadata, events: firstEvent..<end, uncompressedBytes: bytes))
            sectionHasBatch = true
        }

        for index in lines.indices.dropFirst() {
            let size = lines[index].range.count + 1
            if lines[index].kind == .metadata {
                // Even a metadata line with no events is sent: replaying input as it was.
                if firstEvent < index || !sectionHasBatch { emit(upTo: index) }
                metadata = index
                firstEvent = index + 1
                bytes = size
                sectionHasBatch = false
                continue
            }
            let count = index - firstEvent
            if count > 0, count >= maxEvents || (maxBytes > 0 && bytes + size > maxBytes) {
                emit(upTo: index)
                firstEvent = index
                bytes = lines[metadata].range.count + 1
            }
            bytes += size
        }
        if firstEvent < lines.count || !sectionHasBatch { emit(upTo: lines.count) }
        return plans
    }
}
