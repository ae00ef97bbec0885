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
        fields.removeAll { Self.isSameName($0.name, name) }
    }

    /// The first value of the field, if any.
    public subscript(name: String) -> String? {
        fields.first { Self.isSameName($0.name, name) }?.value
    }

    /// Whether two field names are the same, ignoring ASCII case (field names are ASCII tokens,
    /// RFC 9110 5.1). Byte by byte, without allocating: lowercasing both names made two strings per
    /// field per lookup, ~1 % of an invocation's instructions (Benchmarks/ANALYSIS.md).
    package static func isSameName(_ name: String, _ other: String) -> Bool {
        guard name.utf8.count == other.utf8.count else { return false }
        var name = name
        var other = other
        return name.withUTF8 { name in
            other.withUTF8 { other in
                for index in 0..<name.count where name[index] != other[index] {
                    let lower = name[index] | 0x20
                    guard lower == other[index] | 0x20, lower &- 0x61 < 26 else { return false }
                }
                return true
            }
        }
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
