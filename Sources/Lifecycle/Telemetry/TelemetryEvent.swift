package import JSON

/// One event of a Telemetry API (or Logs API) batch, reduced to what the extension uses.
package enum TelemetryEvent: Sendable, Equatable {
    case start(requestID: String)
    /// The runtime finished the invocation; `metrics` only with the Telemetry API.
    case runtimeDone(requestID: String, status: String, timeMicroseconds: Int64?)
    case report(Report)
    /// A line the function logged: `record` is a string, or an object for JSON-format logs.
    case function(timeMicroseconds: Int64?, record: JSONValue)
    /// Any other type (initStart, restore…), by name.
    case other(type: String)

    /// What the report carries: on Lambda Managed Instances only `durationMs` among the metrics.
    package struct Report: Sendable, Equatable {
        package var requestID: String
        package var status: String?
        package var durationMilliseconds: Double
        package var billedDurationMilliseconds: Double?
        package var memorySizeMB: Double?
        package var maxMemoryUsedMB: Double?
        package var initDurationMilliseconds: Double?
        package var restoreDurationMilliseconds: Double? = nil
        package var timeMicroseconds: Int64?
    }

    package var isReport: Bool {
        if case .report = self { return true }
        return false
    }

    package struct Malformed: Error, Sendable, CustomStringConvertible {
        package let reason: String
        package var description: String { reason }
    }

    /// Parses a batch: a JSON array of `{time, type, record}`.
    package static func parseBatch(_ body: [UInt8]) throws(Malformed) -> [TelemetryEvent] {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw Malformed(reason: "\(error)")
        }
        guard let elements = value.arrayValue else { throw Malformed(reason: "a batch must be a JSON array") }
        var events: [TelemetryEvent] = []
        events.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard let type = element["type"]?.stringValue else {
                throw Malformed(reason: "event \(index) has no type")
            }
            events.append(try TelemetryEvent(type: type, time: element["time"]?.stringValue, record: element["record"], index: index))
        }
        return events
    }

    init(type: String, time: String?, record: JSONValue?, index: Int) throws(Malformed) {
        let micros = time.flatMap(WallClock.parseISO8601)
        func requestID() throws(Malformed) -> String {
            guard let id = record?["requestId"]?.stringValue, !id.isEmpty else {
                throw Malformed(reason: "event \(index) (\(type)) has no record.requestId")
            }
            return id
        }
        switch type {
        case "platform.start":
            self = .start(requestID: try requestID())
        case "platform.runtimeDone":
            self = .runtimeDone(requestID: try requestID(), status: record?["status"]?.stringValue ?? "success", timeMicroseconds: micros)
        case "platform.report":
            let metrics = record?["metrics"]
            guard let duration = metrics?["durationMs"]?.doubleValue else {
                throw Malformed(reason: "event \(index) (platform.report) has no metrics.durationMs")
            }
            self = .report(Report(
                requestID: try requestID(), status: record?["status"]?.stringValue,
                durationMilliseconds: duration,
                billedDurationMilliseconds: metrics?["billedDurationMs"]?.doubleValue,
                memorySizeMB: metrics?["memorySizeMB"]?.doubleValue,
                maxMemoryUsedMB: metrics?["maxMemoryUsedMB"]?.doubleValue,
                initDurationMilliseconds: metrics?["initDurationMs"]?.doubleValue,
                restoreDurationMilliseconds: metrics?["restoreDurationMs"]?.doubleValue,
                timeMicroseconds: micros))
        case "function":
            guard let record, record.stringValue != nil || record.objectValue != nil else {
                throw Malformed(reason: "event \(index) (function) has no string or object record")
            }
            self = .function(timeMicroseconds: micros, record: record)
        default:
            self = .other(type: type)
        }
    }
}
