/// What `apm-upload` exits with: scripts tell a refusal from a broken network by it.
enum ExitStatus: Int32, Sendable {
    /// Every batch accepted (or, with `--validate-only`, the input is valid).
    case accepted = 0
    /// APM Server answered, and not with 2xx: its `errors` array is printed.
    case rejected = 1
    /// Bad arguments, unreadable input, or input that is not intake v2 ndjson.
    case usage = 2
    /// No HTTP answer: name resolution, connection, TLS, timeout.
    case network = 3
}
