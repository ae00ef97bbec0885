package import JSON

/// Turns a line the function logged into a `log` event. Pure.
package enum FunctionLog {
    /// - Parameter record: a string, or an object when the function logs JSON (its `message` is
    ///   kept, and its level and logger when present).
    /// - Returns: the event's JSON, written straight into bytes as the platform metricset is.
    package static func event(
        record: JSONValue, timestampMicroseconds: Int64, functionARN: String?, requestID: String?
    ) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 256)
        writer.writeRaw(#"{"log":{"@timestamp":"#)
        writer.write(number: Double(timestampMicroseconds))
        writer.writeRaw(#","message":"#)
        switch jsonLine(record) ?? record {
        case .string(let line):
            writer.write(string: line.trimmingTrailingNewlines)
        case .object(let object):
            writer.write(string: object["message"]?.stringValue ?? object["msg"]?.stringValue
                ?? record.stringValue?.trimmingTrailingNewlines ?? record.serialized)
            if let level = (object["level"] ?? object["log.level"])?.stringValue {
                writer.writeRaw(#","log.level":"#)
                writer.write(string: level)
            }
            if let logger = object["logger"]?.stringValue {
                writer.writeRaw(#","log.logger":"#)
                writer.write(string: logger)
            }
        default:
            writer.write(string: record.serialized)
        }
        let id = functionARN.flatMap { $0.isEmpty ? nil : $0 }
        if id != nil || requestID != nil {
            writer.writeRaw(#","faas":{"#)
            if let id {
                writer.writeRaw(#""id":"#)
                writer.write(string: id)
            }
            if let requestID {
                writer.writeRaw(id == nil ? #""execution":"# : #","execution":"#)
                writer.write(string: requestID)
            }
            writer.writeRaw("}")
        }
        writer.writeRaw("}}")
        return writer.bytes
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
