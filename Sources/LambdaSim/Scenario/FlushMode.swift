/// When the agent posts `/intake/v2/events?flushed=true`.
public enum FlushMode: String, Codable, Sendable {
    /// The last events go with `?flushed=true`.
    case withEvents = "with-events"
    /// Events first, then an empty `?flushed=true`.
    case separate
    /// Events, then an empty `?flushed=true` only after runtimeDone (a slow agent).
    case late
    /// Events, never a flush: the extension must rely on runtimeDone or its deadline.
    case none
}
