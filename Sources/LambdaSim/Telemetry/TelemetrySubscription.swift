import JSON

/// A subscription as the extension asked for it in `PUT /2022-07-01/telemetry` or
/// `PUT /2020-08-15/logs`.
struct TelemetrySubscription: Sendable, Equatable {
    let api: TelemetryAPI
    let schemaVersion: String
    /// Categories: `platform`, `function`, `extension`.
    let types: Set<String>
    let maxItems: Int
    let maxBytes: Int
    let timeoutMs: Int
    let destinationURI: String

    static let telemetrySchemas: Set<String> = ["2022-07-01", "2022-12-13"]
    static let logsSchemas: Set<String> = ["2020-08-15", "2021-03-18"]

    /// Parses and checks the body as Lambda does; the error text goes into a 400 answer.
    /// - Parameter managedInstances: check it as Lambda Managed Instances do: one schema version,
    ///   and a destination that names `sandbox.localdomain`.
    static func parse(_ body: [UInt8], api: TelemetryAPI, managedInstances: Bool = false) -> Result<TelemetrySubscription, SubscriptionRejection> {
        guard let value = try? JSONParser.parse(body), case .object(let object) = value else {
            return .failure(SubscriptionRejection("the body is not a JSON object"))
        }
        let schema = object["schemaVersion"]?.stringValue ?? (api == .telemetry ? "2022-07-01" : "2020-08-15")
        let known = managedInstances ? [ManagedInstances.telemetrySchema] : api == .telemetry ? telemetrySchemas : logsSchemas
        guard known.contains(schema) else {
            return .failure(SubscriptionRejection("unsupported schemaVersion \(schema)"))
        }
        guard let typeValues = object["types"]?.arrayValue, !typeValues.isEmpty else {
            return .failure(SubscriptionRejection("types is missing or empty"))
        }
        var types: Set<String> = []
        for value in typeValues {
            guard let type = value.stringValue, ["platform", "function", "extension"].contains(type) else {
                return .failure(SubscriptionRejection("unknown type \(value)"))
            }
            types.insert(type)
        }
        let buffering = object["buffering"]
        let maxItems = buffering?["maxItems"]?.int64Value.map(Int.init) ?? 10000
        let maxBytes = buffering?["maxBytes"]?.int64Value.map(Int.init) ?? 262_144
        let timeoutMs = buffering?["timeoutMs"]?.int64Value.map(Int.init) ?? 1000
        guard (1000...10000).contains(maxItems) else { return .failure(SubscriptionRejection("buffering.maxItems \(maxItems) outside 1000...10000")) }
        guard (262_144...1_048_576).contains(maxBytes) else {
            return .failure(SubscriptionRejection("buffering.maxBytes \(maxBytes) outside 262144...1048576"))
        }
        guard (25...30000).contains(timeoutMs) else { return .failure(SubscriptionRejection("buffering.timeoutMs \(timeoutMs) outside 25...30000")) }
        let destination = object["destination"]
        guard destination?["protocol"]?.stringValue == "HTTP", let uri = destination?["URI"]?.stringValue,
            uri.hasPrefix("http://")
        else {
            return .failure(SubscriptionRejection("destination must be {\"protocol\":\"HTTP\",\"URI\":\"http://…\"}"))
        }
        if managedInstances, !uri.dropFirst("http://".count).hasPrefix("sandbox.localdomain:") {
            return .failure(SubscriptionRejection("destination.URI must name sandbox.localdomain, got \(uri)"))
        }
        return .success(TelemetrySubscription(
            api: api, schemaVersion: schema, types: types, maxItems: maxItems, maxBytes: maxBytes, timeoutMs: timeoutMs,
            destinationURI: uri))
    }
}
