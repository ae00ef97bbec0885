/// What one invocation (or a group of `repeat` equal ones) does: the function, its agent, and the
/// APM Server's behaviour meanwhile.
public struct InvocationPlan: Codable, Sendable, Equatable {
    /// How many invocations this step stands for.
    public var `repeat`: Int
    /// How long the handler runs (a `timeout` outcome runs until the deadline instead).
    public var durationMs: Double
    /// Each invocation of the step runs `durationMs` plus up to this much more or less, drawn
    /// evenly and the same in every run (seeded by the invocation's index): real invocations
    /// are not all equal, and equal ones fall into step with the platform's telemetry timer.
    public var durationSpreadMs: Double
    public var outcome: InvocationOutcome
    /// Whether the agent posts `/register/transaction` when the handler starts.
    public var registerTransaction: Bool
    /// How many spans the transaction has.
    public var spans: Int
    /// Whether the agent also sends one metricset.
    public var metricset: Bool
    /// How the agent compresses its intake bodies.
    public var compression: AgentCompression
    /// Whether and when the agent says it has flushed.
    public var flush: FlushMode
    /// Lines the function logs while it runs (text, or objects when it logs JSON).
    public var logs: [FunctionLogLine]
    /// The APM Server sink's behaviour from this invocation's INVOKE on.
    public var sink: SinkBehaviour
    /// Whether the function has an APM agent at all (false: only the platform's telemetry).
    public var agent: Bool
    /// Extra intake payloads (metadata and one span each) the agent posts all at once, besides its own.
    public var concurrentPosts: Int
    /// Hostile or unusual requests the agent sends before its own data.
    public var probes: [AgentProbe]
    /// The function is also (or, with `agent: false`, only) instrumented with the OpenTelemetry
    /// SDK, which exports this over OTLP/HTTP; nil: no OpenTelemetry.
    public var otel: OTelPlan?

    public init(
        repeat count: Int = 1, durationMs: Double = 50, durationSpreadMs: Double = 0, outcome: InvocationOutcome = .success,
        registerTransaction: Bool = true, spans: Int = 2, metricset: Bool = false,
        compression: AgentCompression = .none, flush: FlushMode = .separate,
        logs: [FunctionLogLine] = [.text("handling the request")], sink: SinkBehaviour = .ok,
        agent: Bool = true, concurrentPosts: Int = 0, probes: [AgentProbe] = [], otel: OTelPlan? = nil
    ) {
        self.repeat = count
        self.durationMs = durationMs
        self.durationSpreadMs = durationSpreadMs
        self.outcome = outcome
        self.registerTransaction = registerTransaction
        self.spans = spans
        self.metricset = metricset
        self.compression = compression
        self.flush = flush
        self.logs = logs
        self.sink = sink
        self.agent = agent
        self.concurrentPosts = concurrentPosts
        self.probes = probes
        self.otel = otel
    }

    enum CodingKeys: String, CodingKey {
        case `repeat`, durationMs, durationSpreadMs, outcome, registerTransaction, spans, metricset, compression, flush, logs, sink
        case agent, concurrentPosts, probes, otel
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = InvocationPlan()
        self.repeat = try container.decodeIfPresent(Int.self, forKey: .repeat) ?? defaults.repeat
        durationMs = try container.decodeIfPresent(Double.self, forKey: .durationMs) ?? defaults.durationMs
        durationSpreadMs = try container.decodeIfPresent(Double.self, forKey: .durationSpreadMs) ?? defaults.durationSpreadMs
        outcome = try container.decodeIfPresent(InvocationOutcome.self, forKey: .outcome) ?? defaults.outcome
        registerTransaction =
            try container.decodeIfPresent(Bool.self, forKey: .registerTransaction) ?? defaults.registerTransaction
        spans = try container.decodeIfPresent(Int.self, forKey: .spans) ?? defaults.spans
        metricset = try container.decodeIfPresent(Bool.self, forKey: .metricset) ?? defaults.metricset
        compression = try container.decodeIfPresent(AgentCompression.self, forKey: .compression) ?? defaults.compression
        flush = try container.decodeIfPresent(FlushMode.self, forKey: .flush) ?? defaults.flush
        logs = try container.decodeIfPresent([FunctionLogLine].self, forKey: .logs) ?? defaults.logs
        sink = try container.decodeIfPresent(SinkBehaviour.self, forKey: .sink) ?? defaults.sink
        agent = try container.decodeIfPresent(Bool.self, forKey: .agent) ?? defaults.agent
        concurrentPosts = try container.decodeIfPresent(Int.self, forKey: .concurrentPosts) ?? defaults.concurrentPosts
        probes = try container.decodeIfPresent([AgentProbe].self, forKey: .probes) ?? defaults.probes
        otel = try container.decodeIfPresent(OTelPlan.self, forKey: .otel)
    }

    /// How long invocation `index` of the whole scenario runs: `durationMs`, moved by a draw in
    /// ±`durationSpreadMs` from a SplitMix64 step of the index (no state, same in every run).
    func durationMs(invocation index: Int) -> Double {
        guard durationSpreadMs > 0 else { return durationMs }
        var z = UInt64(truncatingIfNeeded: index) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let unit = Double(z >> 11) / Double(1 << 53)
        return max(0, durationMs + durationSpreadMs * (2 * unit - 1))
    }
}
