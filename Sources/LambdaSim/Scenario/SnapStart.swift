/// Lambda SnapStart, as the simulator plays it: after init (the extension's first `/event/next`)
/// the environment is snapshotted and later restored. The extension is stopped (SIGSTOP), every
/// connection it had open to the APM Server sink goes silently dead (a request on it is read and
/// never answered, as on a connection whose peer vanished), `pauseMs` pass, the extension
/// continues (SIGCONT), and the platform sends `platform.restoreStart`,
/// `platform.restoreRuntimeDone` and `platform.restoreReport`; the first `platform.report` after
/// it carries `restoreDurationMs`.
public struct SnapStart: Codable, Sendable, Equatable {
    /// How long the snapshot sits before the restore.
    public var pauseMs: Int
    /// What `platform.restoreReport` and the next `platform.report` say the restore took.
    public var restoreDurationMs: Double

    public init(pauseMs: Int = 500, restoreDurationMs: Double = 180) {
        self.pauseMs = pauseMs
        self.restoreDurationMs = restoreDurationMs
    }

    enum CodingKeys: String, CodingKey { case pauseMs, restoreDurationMs }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        pauseMs = try container.decodeIfPresent(Int.self, forKey: .pauseMs) ?? 500
        restoreDurationMs = try container.decodeIfPresent(Double.self, forKey: .restoreDurationMs) ?? 180
    }
}
