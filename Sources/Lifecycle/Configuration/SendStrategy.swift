/// When buffered data is shipped relative to the invocation.
package enum SendStrategy: String, Sendable {
    /// Flush everything before telling Lambda the invocation is done: nothing waits in a frozen sandbox.
    case syncFlush = "syncflush"
    /// Tell Lambda at once and ship during the next invocation: the lowest added latency.
    case background
}
