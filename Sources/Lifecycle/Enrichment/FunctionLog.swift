package import JSON

/// Turns a line the function logged into a `log` event. Pure.
package enum FunctionLog {
    /// - Parameter record: a string, or an object when the function logs JSON (its `message` is
    ///   kept, and its level and logger when present).
    package static func event(
        record: JSONValue, timestampMicroseconds: Int64, functionARN: String?, requestID: String?
    ) -> JSONValue {
        var log: JSONObject = ["@timestamp": .number(Double(timestampMicroseconds))]
        switch jsonLine(record) ?? record {
        case .string(let line):
            log["message"] = .string(line.trimmingTrailingNewlines)
        case .object(let object):
            let original = record.stringValue?.trimmingTrailingNewlines ?? record.serialized
            log["message"] = .string(object["message"]?.stringValue ?? object["msg"]?.stringValue ?? original)
            if let level = (object["level"] ?? object["log.level"])?.stringValue { log["log.level"] = .string(level) }
            if let logger = object["logger"]?.stringValue { log["log.logger"] = .string(logger) }
        default:
            log["message"] = .string(record.serialized)
        }
        var faas: JSONObject = [:]
        if let functionARN, !functionARN.isEmpty { faas["id"] = .string(functionARN) }
        if let requestID { faas["execution"] = .string(requestID) }
        if !faas.members.isEmpty { log["faas"] = .object(faas) }
        return .object(["log": .object(log)])
    }

    /// The request id a JSON-format log line names itself, if any.
    package static func requestID(in record: JSONValue) -> String? {
        guard let object = (jsonLine(record) ?? record).objectValue else { return nil }
        return (object["requestId"] ?? object["AWSRequestId"] ?? object["awsRequestId"])?.stringValue
    }

    /// A string record that is itself a JSON object: Lambda Managed Instances deliver each line of
    /// a JSON-format log as a string.
    static func jsonLine(_ record: JSONValue) -> JSONValue? {
        guard case .string(let line) = record, line.utf8.first == UInt8(ascii: "{"),
            let parsed = try? JSONParser.parse(Array(line.utf8)), parsed.objectValue != nil
        else { return nil }
        return parsed
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var text = Substring(self)
        while let last = text.last, last == "\n" || last == "\r" { text.removeLast() }
        return String(text)
    }
}
