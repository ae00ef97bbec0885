/// Everything one simulation observed: the extension's conversation with the platform, what
/// reached the APM Server, and the figures it is measured by. Times are milliseconds since the
/// simulation started.
public struct SimulationReport: Codable, Sendable {
    public var registered: Bool
    /// The `Lambda-Extension-Name` it registered with.
    public var extensionName: String?
    public var initErrors: [RecordedError]
    public var exitErrors: [RecordedError]
    public var invocations: [InvocationReport]
    /// Every request that reached the APM Server sink, in arrival order.
    public var sinkRequests: [SinkRequest]
    /// `telemetry`, `logs`, or nil when the extension did not subscribe.
    public var telemetrySubscription: String?
    /// The subscription's buffering and types, when there was one.
    public var telemetryTypes: [String]
    /// The batches the platform POSTed to the extension's listener.
    public var telemetryDeliveries: [TelemetryDelivery]
    /// When a SnapStart copy was restored (the extension continued), if the scenario had one.
    public var restoredAtMs: Double?
    /// The agent's requests during the function's init (SnapStart: before the snapshot).
    public var initAgentRequests: [AgentRequest] = []
    /// Invocations overlapped and reached the extension through telemetry only (Managed Instances).
    public var overlappingInvocations = false
    /// Every `/event/next` call.
    public var nextCallsAtMs: [Double]
    /// The SHUTDOWN that was sent, if one was.
    public var shutdownReason: ShutdownReason?
    public var shutdownAtMs: Double?
    /// The exit status; negative: killed by that signal; nil: it never exited.
    public var exitCode: Int32?
    /// When the process exited, if it did.
    public var exitedAtMs: Double?
    /// When `/extension/register` was refused (a scenario's `registrationFailure`).
    public var failedRegistrationsAtMs: [Double] = []
    /// Whether it exited within the 2 s Lambda gives extensions after SHUTDOWN.
    public var exitedWithinShutdownBudget: Bool
    /// From process start to `/extension/register`.
    public var initStartToRegisterMs: Double?
    /// From `/extension/register` to the first `/event/next`.
    public var registerToFirstNextMs: Double?
    /// The extension's peak resident set (`VmHWM`), in KiB.
    public var peakRSSKB: Int?
    /// Resident set and descriptors after the first invocation, every `resourceSampleEvery`, and the last.
    public var resourceSamples: [ResourceSample] = []
    /// Where the extension's stdout and stderr went.
    public var extensionLogPath: String
    /// What the extension did that Lambda would not accept; empty when it behaved.
    public var problems: [String]

    /// Sink event lines whose single key is `type` (`transaction`, `span`, `metricset`, `log`,
    /// `error`, `metadata`), in arrival order.
    public func events(ofType type: String) -> [String] {
        sinkRequests.flatMap { request in zip(request.events, request.eventTypes).filter { $0.1 == type }.map(\.0) }
    }

    /// Whether the extension did something Lambda would not accept.
    public var extensionMisbehaved: Bool { !problems.isEmpty }

    /// p50 and p99 of `addedLatencyMs` over the invocations that have one.
    public var addedLatency: LatencyFigures? { LatencyFigures(invocations.compactMap(\.addedLatencyMs)) }

    /// Event lines received by the sink, metadata lines excluded.
    public var eventsReceived: Int { sinkRequests.reduce(0) { $0 + $1.eventTypes.filter { $0 != "metadata" }.count } }
}
