/// An error the extension reported on `/extension/init/error` or `/extension/exit/error`.
public struct RecordedError: Codable, Sendable, Equatable {
    /// The `Lambda-Extension-Function-Error-Type` header (e.g. `Extension.ConfigError`).
    public var type: String?
    /// The `Lambda-Extension-Identifier` it carried; nil for an init error from an unregistered extension.
    public var identifier: String?
    public var body: String
    /// Milliseconds since the simulation started.
    public var atMs: Double
}
