public import JSON

/// One line the function logs: text, or an object when the function logs JSON (the Telemetry
/// API then delivers the record as an object).
public enum FunctionLogLine: Codable, Sendable, Equatable {
    case text(String)
    case json(JSONValue)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
            return
        }
        let value = try container.decode(CodableJSON.self).value
        guard case .object = value else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "a log line is a string or an object")
        }
        self = .json(value)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .json(let value): try container.encode(CodableJSON(value))
        }
    }

    /// The record as the Telemetry API carries it.
    var record: JSONValue {
        switch self {
        case .text(let text): .string(text)
        case .json(let value): value
        }
    }

    /// The record as the Logs API carries it (always a string).
    var text: String {
        guard case .json(let value) = self else { return record.stringValue ?? "" }
        var writer = JSONWriter()
        writer.write(value)
        return writer.text
    }
}
