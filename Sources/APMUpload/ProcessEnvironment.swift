#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// The environment `apm-upload` falls back to, so that it can be run with a function's
/// configuration as it is (the variables are the extension's, `Configuration.Variable`).
struct ProcessEnvironment: Sendable {
    private let lookup: @Sendable (String) -> String?

    /// The process's own environment.
    init() {
        lookup = { name in getenv(name).map { String(cString: $0) } }
    }

    /// A fixed environment (tests).
    init(_ values: [String: String]) {
        lookup = { values[$0] }
    }

    /// The variable's value; an empty one counts as unset.
    subscript(name: String) -> String? {
        guard let value = lookup(name), !value.isEmpty else { return nil }
        return value
    }
}
