import JSON

/// Checks an input line by line, as APM Server's intake v2 would: every non-blank line is a JSON
/// object with exactly one key out of metadata, transaction, span, error, metricset, log, whose
/// value is an object, and the first is metadata. A later metadata line starts a new stream (an
/// input concatenated from several agent requests).
enum NDJSONValidator {
    static let excerptLength = 120

    static func validate(_ bytes: [UInt8]) throws(NDJSONProblem) -> [NDJSONLine] {
        var lines: [NDJSONLine] = []
        var number = 0
        var start = 0
        // A UTF-8 byte order mark is not JSON; editors add it, so skip it rather than report line 1.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        let result: Result<Void, NDJSONProblem> = bytes.withUnsafeBytes { raw in
            while start < raw.count {
                number += 1
                let newline = raw[start...].firstIndex(of: UInt8(ascii: "\n")) ?? raw.count
                var end = newline
                if end > start, raw[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let range = start..<end
                start = newline + 1
                if raw[range].allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                do throws(NDJSONProblem) {
                    let kind = try check(UnsafeRawBufferPointer(rebasing: raw[range]), number: number, isFirst: lines.isEmpty)
                    lines.append(NDJSONLine(number: number, kind: kind, range: range))
                } catch {
                    return .failure(error)
                }
            }
            return .success(())
        }
        try result.get()
        guard !lines.isEmpty else {
            throw NDJSONProblem(lineNumber: 0, reason: "no events: the input is empty", excerpt: "")
        }
        return lines
    }

    private static func check(_ line: UnsafeRawBufferPointer, number: Int, isFirst: Bool) throws(NDJSONProblem) -> EventKind {
        func problem(_ reason: String) -> NDJSONProblem {
            NDJSONProblem(lineNumber: number, reason: reason, excerpt: excerpt(line))
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(line)
        } catch {
            throw problem("not valid JSON: \(error.reason) (at column \(error.offset + 1))")
        }
        guard case .object(let object) = value else {
            throw problem("not a JSON object but \(kindName(value))")
        }
        guard object.members.count == 1 else {
            let keys = object.keys.prefix(6).map { "\"\($0)\"" }.joined(separator: ", ")
            throw problem(object.members.isEmpty
                ? "an empty object; a line has exactly one key (\(EventKind.namesForMessages))"
                : "\(object.members.count) keys (\(keys)); a line has exactly one")
        }
        let (key, body) = object.members[0]
        guard let kind = EventKind(rawValue: key) else {
            throw problem("unknown event type \"\(key)\" (expected one of \(EventKind.namesForMessages))")
        }
        guard case .object = body else {
            throw problem("the value of \"\(key)\" is \(kindName(body)), not an object")
        }
        if isFirst, kind != .metadata {
            throw problem("the first line must be metadata, not \(key)")
        }
        return kind
    }

    private static func excerpt(_ line: UnsafeRawBufferPointer) -> String {
        let text = String(decoding: line.prefix(excerptLength), as: UTF8.self)
        return line.count > excerptLength ? text + "…" : text
    }

    private static func kindName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
