/// What `JSONParser.scanObject` found in a valid document that is an object.
public struct ScannedObject: Sendable, Equatable {
    public var memberCount: Int
    /// The first member's name and the byte range of its value (nil for `{}`).
    public var firstKey: String?
    public var firstValue: Range<Int>
    /// Whether the first member's value is an object.
    public var firstValueIsObject: Bool
    /// The byte range of the value of the member asked for (the last of that name, as
    /// `JSONObject`'s subscript reads it); nil when there is none or none was asked for.
    public var memberValue: Range<Int>?
}

extension JSONParser {
    /// Checks a whole document as strictly as `parse` (same errors) without building any value:
    /// what the receiver needs of each intake line is its syntax, how many members it has and
    /// which, and parsing a line into values cost most of the receiver's time.
    /// - Returns: nil when the document is valid JSON but not an object.
    /// - Parameter member: a top-level member whose value's place to report (`memberValue`).
    public static func scanObject(_ buffer: UnsafeBufferPointer<UInt8>, member: String? = nil) throws(JSONParseError) -> ScannedObject? {
        var parser = JSONParser(bytes: buffer)
        parser.skipWhitespace()
        var scanned: ScannedObject?
        if parser.current == UInt8(ascii: "{") {
            scanned = try parser.skipObject(depth: 0, scanning: true, member: member)
        } else {
            _ = try parser.skipValue(depth: 0)
        }
        parser.skipWhitespace()
        guard parser.position == buffer.count else { throw parser.failure("unexpected data after the value") }
        return scanned
    }

    /// A top-level string member of an object document, without building the rest; nil when the
    /// document is not a valid object, or the member is missing or not a string.
    public static func stringMember(_ name: String, of buffer: UnsafeBufferPointer<UInt8>) -> String? {
        guard let range = (try? scanObject(buffer, member: name))?.memberValue else { return nil }
        return (try? parse(UnsafeBufferPointer(rebasing: buffer[range])))?.stringValue
    }

    /// Skips one value, checking it; returns whether it was an object.
    private mutating func skipValue(depth: Int) throws(JSONParseError) -> Bool {
        guard depth < Self.maxDepth else { throw failure("nested deeper than \(Self.maxDepth)") }
        guard let byte = current else { throw failure("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"):
            _ = try skipObject(depth: depth, scanning: false)
            return true
        case UInt8(ascii: "["): try skipArray(depth: depth)
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try skipNumber()
        default: throw failure("unexpected character")
        }
        return false
    }

    /// With `scanning`, also says what the object holds (its first member's name is the one
    /// string made, and `member`'s name the one compared).
    private mutating func skipObject(depth: Int, scanning: Bool, member: String? = nil) throws(JSONParseError) -> ScannedObject {
        position += 1
        var scanned = ScannedObject(memberCount: 0, firstKey: nil, firstValue: 0..<0, firstValueIsObject: false)
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return scanned
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let nameStart = position
            if scanning, scanned.memberCount == 0 { scanned.firstKey = try parseString() } else { try skipString() }
            let isMember = if let member { try nameIs(member, at: nameStart..<position) } else { false }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw failure("expected ':'") }
            position += 1
            skipWhitespace()
            let start = position
            let isObject = try skipValue(depth: depth + 1)
            if scanned.memberCount == 0 {
                scanned.firstValue = start..<position
                scanned.firstValueIsObject = isObject
            }
            if isMember { scanned.memberValue = start..<position }
            scanned.memberCount += 1
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return scanned
            case nil: throw failure("unexpected end of input")
            default: throw failure("expected ',' or '}'")
            }
        }
    }

    private mutating func skipArray(depth: Int) throws(JSONParseError) {
        position += 1
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            _ = try skipValue(depth: depth + 1)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"): position += 1; return
            case nil: throw failure("unexpected end of input")
            default: throw failure("expected ',' or ']'")
            }
        }
    }

    /// Whether the (checked) string at `range`, quotes included, is `name`: its bytes compared
    /// as they are, unless it has an escape.
    private func nameIs(_ name: String, at range: Range<Int>) throws(JSONParseError) -> Bool {
        let inner = UnsafeBufferPointer(rebasing: bytes[(range.lowerBound + 1)..<(range.upperBound - 1)])
        guard inner.contains(UInt8(ascii: "\\")) else { return inner.elementsEqual(name.utf8) }
        var decoder = JSONParser(bytes: bytes)
        decoder.position = range.lowerBound
        return try decoder.parseString() == name
    }

    /// A number checked as `parseNumber` checks it (same errors), without converting it when its
    /// magnitude shows it is finite: below 10^308 whatever its digits (converting cost a tenth of
    /// the receiver's time).
    private mutating func skipNumber() throws(JSONParseError) {
        let start = position
        if try scanNumberSyntax() <= 307 { return }
        position = start
        _ = try parseNumber()
    }

    /// A string's syntax, escapes and UTF-8, checked as `parseString` checks them (same errors):
    /// without allocating when the string has no escape, through `parseString` when it has.
    private mutating func skipString() throws(JSONParseError) {
        let quote = position
        position += 1
        let start = position
        let isASCII = skipPlainRun()
        if current == UInt8(ascii: "\"") {
            guard isASCII || Self.isValidUTF8(UnsafeBufferPointer(rebasing: bytes[start..<position])) else {
                throw JSONParseError(offset: start, reason: "invalid UTF-8 in string")
            }
            position += 1
            return
        }
        position = quote
        _ = try parseString()
    }

    /// Moves past a string's bytes up to the first quote, backslash or control character (or the
    /// end), eight at a time, and says whether they were all ASCII (then they need no UTF-8
    /// check): most of an intake line is strings, and this is most of what checking one costs.
    @inline(__always)
    mutating func skipPlainRun() -> Bool {
        // The plain bytes ORed together: one test of their high bits at the end, no branch per word.
        var words: UInt64 = 0
        if let base = bytes.baseAddress {
            while position + 8 <= bytes.count {
                let word = UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self)
                let ends = Self.runEnds(word)
                guard ends == 0 else {
                    words |= word & ((1 << UInt64(ends.trailingZeroBitCount & ~7)) &- 1)
                    position += ends.trailingZeroBitCount / 8
                    break
                }
                words |= word
                position += 8
            }
        }
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte >= 0x20 {
            words |= UInt64(byte)
            position += 1
        }
        return words & Self.highBits == 0
    }

    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The high bit of each byte of the word (little-endian: the first byte is the lowest) that
    /// is a quote, a backslash or a control character. The classic "has a zero byte" test:
    /// exact for the lowest byte it marks, which is all that is read of it.
    @inline(__always)
    static func runEnds(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        func zeroBytes(_ value: UInt64) -> UInt64 { (value &- ones) & ~value & highBits }
        let below0x20 = (word &- ones &* 0x20) & ~word & highBits
        return below0x20 | zeroBytes(word ^ (ones &* 0x22)) | zeroBytes(word ^ (ones &* 0x5C))
    }

    /// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return false
            }
            guard index + length <= bytes.count, (low...high).contains(bytes[index + 1]) else { return false }
            for offset in 2..<max(2, length) where !(0x80...0xBF).contains(bytes[index + offset]) { return false }
            index += length
        }
        return true
    }
}
