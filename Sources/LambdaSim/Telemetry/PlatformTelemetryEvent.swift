import JSON

/// One platform or function event, in both the shapes the platform can deliver it in: the
/// Telemetry API's (schema 2022-12-13) and the Logs API's (schema 2021-03-18).
struct PlatformTelemetryEvent: Sendable {
    /// `2026-11-30T19:40:00.123Z`
    let time: String
    /// `platform.start`, `function`, …
    let type: String
    let telemetryRecord: JSONValue
    /// nil: the Logs API has no such event.
    let logsRecord: JSONValue?

    /// The subscription category (`platform`, `function`, `extension`) the type belongs to.
    var category: String {
        if type.hasPrefix("platform.") { return "platform" }
        return type
    }

    func json(for api: TelemetryAPI) -> JSONValue? {
        let record = api == .telemetry ? telemetryRecord : logsRecord
        guard let record else { return nil }
        return .object(["time": .string(time), "type": .string(type), "record": record])
    }
}
