/// Lambda Managed Instances, as AWS's runtime interface emulator plays them: one environment
/// serves up to `concurrency` invocations at once and is never frozen; the runtime runs
/// `agentProcesses` workers, each with its own APM agent (its own metadata). Extensions get no
/// INVOKE (registering for it is refused with 403 `Extension.InvalidEventType`), the Telemetry API
/// takes schema `2025-01-29` and a `sandbox.localdomain` destination only, and an invocation ends
/// with `platform.report` (there is no `platform.runtimeDone`).
public struct ManagedInstances: Codable, Sendable, Equatable {
    /// Invocations running at once (`AWS_LAMBDA_MAX_CONCURRENCY`, which only the runtime sees).
    public var concurrency: Int
    /// Worker processes, each with an agent of its own; invocation i runs on worker i mod this.
    public var agentProcesses: Int

    public init(concurrency: Int = 8, agentProcesses: Int = 4) {
        self.concurrency = concurrency
        self.agentProcesses = agentProcesses
    }

    /// The only Telemetry API schema version these environments accept.
    static let telemetrySchema = "2025-01-29"

    enum CodingKeys: String, CodingKey { case concurrency, agentProcesses }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        concurrency = try container.decodeIfPresent(Int.self, forKey: .concurrency) ?? 8
        agentProcesses = try container.decodeIfPresent(Int.self, forKey: .agentProcesses) ?? 4
    }
}
