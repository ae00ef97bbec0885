/// One input, read whole and inflated: what the validator checks and the batches are cut from.
struct NDJSONInput: Sendable {
    /// The path as given, or `stdin`.
    let name: String
    /// The ndjson bytes (inflated when the input was gzip'd).
    let bytes: [UInt8]
    /// Whether the input was gzip'd (told by its magic bytes, not its name).
    let wasGzipped: Bool
}
