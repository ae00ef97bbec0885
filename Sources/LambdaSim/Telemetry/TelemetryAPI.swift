/// Which subscription API delivered the events.
enum TelemetryAPI: String, Sendable {
    case telemetry, logs
}
