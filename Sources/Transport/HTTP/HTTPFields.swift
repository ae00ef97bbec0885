/// Header fields in order, looked up case-insensitively.
public struct HTTPFields: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name: name, value: value) }
    }

    public mutating func add(name: String, value: String) {
        fields.append((name, value))
    }

    /// Replaces every field of this name with one.
    public mutating func replace(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    public mutating func remove(name: String) {
        fields.removeAll { $0.name.lowercased() == name.lowercased() }
    }

    /// The first value of the field, if any.
    public subscript(name: String) -> String? {
        let wanted = name.lowercased()
        return fields.first { $0.name.lowercased() == wanted }?.value
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    /// Parses the raw header block of one response (status line first, then "Name: value" lines),
    /// byte by byte: splitting the text by characters cost 5 % of a whole invocation's
    /// instructions (Benchmarks/ANALYSIS.md).
    init(rawResponseHeaders raw: String) {
        var raw = raw
        raw.withUTF8 { bytes in
            var lineStart = 0
            var isStatusLine = true
            while lineStart < bytes.count {
                let lineEnd = bytes[lineStart...].firstIndex(of: 0x0A) ?? bytes.count
                defer { lineStart = lineEnd + 1 }
                guard !isStatusLine else {
                    isStatusLine = false
                    continue
                }
                let line = bytes[lineStart..<lineEnd]
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
                add(name: Self.text(line[..<colon]), value: Self.text(line[(colon + 1)...]))
            }
        }
    }

    /// The bytes as text, without the spaces, tabs and line ends around them.
    private static func text(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
