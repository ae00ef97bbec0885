/// One request's worth of an input: a metadata line and the events that follow it.
struct BatchPlan: Sendable, Equatable {
    /// The metadata line's index in the validated lines.
    let metadata: Int
    /// The events' indices in the validated lines (empty for a metadata line with no events).
    let events: Range<Int>
    /// The ndjson body's size before compression, line breaks included.
    let uncompressedBytes: Int
}
