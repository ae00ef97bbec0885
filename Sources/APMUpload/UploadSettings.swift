import Transport

/// The connection options resolved against the environment: everything a session needs.
struct UploadSettings: Sendable {
    /// Without a trailing slash.
    let serverURL: String
    let authorization: APMServerClient.Authorization?
    let tls: TLSConfiguration
    /// Bounds each attempt.
    let timeout: Duration
    let retry: RetryPolicy
    let verbose: Bool
}
