import JSON

/// APM Server's refusal as a person reads it: each entry of its `{"errors":[{message, document}]}`
/// on a line, or the body as it came when it is not that shape.
enum ServerErrors {
    static let maxBodyExcerpt = 4000

    static func describe(_ body: [UInt8]) -> String {
        guard let value = try? JSONParser.parse(body), let errors = value["errors"]?.arrayValue else {
            let text = String(decoding: body.prefix(maxBodyExcerpt), as: UTF8.self)
            return text.isEmpty ? "(empty body)" : "body: " + text
        }
        guard !errors.isEmpty else { return "errors: []" }
        var lines = ["errors:"]
        for error in errors {
            lines.append("  - " + (error["message"]?.stringValue ?? error.serialized))
            if let document = error["document"] {
                let text = document.stringValue ?? document.serialized
                lines.append("    document: " + (text.count > 500 ? text.prefix(500) + "…" : text))
            }
        }
        return lines.joined(separator: "\n")
    }
}
