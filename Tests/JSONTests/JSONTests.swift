import JSON
import Testing

@Suite("JSON")
struct JSONTests {
    @Test("parses every kind of value and keeps member order")
    func parsesValues() throws {
        let value = try JSONParser.parse(#" {"b":1,"a":[true,false,null,-1.5e2,"x\u00e9\ud83d\ude00\n"],"c":{}} "#)
        let object = try #require(value.objectValue)
        #expect(object.keys == ["b", "a", "c"])
        #expect(value["b"]?.int64Value == 1)
        #expect(value["a"] == .array([.bool(true), .bool(false), .null, .number(-150), .string("xé😀\n")]))
        #expect(value["c"] == .object([:]))
    }

    @Test("writes compact JSON that parses back to the same value")
    func roundTrips() throws {
        let text = #"{"s":"quote \" backslash \\ tab \t ctl \u0001","n":1700000000000000,"f":0.25,"a":[1,{"k":null}]}"#
        let value = try JSONParser.parse(text)
        #expect(value.serialized == text)
        #expect(try JSONParser.parse(value.serialized) == value)
        // Escapes first and last, next to each other, and beside text that is not ASCII.
        let edges = #"{"\"k\n":"\\é😀\u001f","":"","\r\t":"plain"}"#
        #expect(try JSONParser.parse(edges).serialized == edges)
    }

    @Test(
        "rejects malformed input with the offset of the problem",
        arguments: [
            "", " ", "{", "}", "[1,]", "{\"a\":}", "{\"a\" 1}", "{a:1}", "01", "1.", "1e", "-", "tru", "nul",
            "\"unterminated", "\"bad \\x escape\"", "\"\\ud800\"", "\"\\udc00\"", "\"ctl \u{01}\"", "[1] 2",
            "{\"a\":1,}", "NaN", "1e999", "\"\\u12\"",
        ])
    func rejectsMalformed(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test("rejects invalid UTF-8 inside strings")
    func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0x5C, 0x6E, 0xC3, 0x22]) }
    }

    /// The parser checks UTF-8 itself (the standard library's generic check was slow); it must take
    /// exactly what the standard library takes, and give the same text: every sequence of two
    /// bytes, and three- and four-byte ones around each boundary of RFC 3629, with and without an
    /// escape in the string (which takes the other path).
    @Test("takes exactly the UTF-8 the standard library takes")
    func utf8AsTheStandardLibrary() {
        let edges: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
        var sequences: [[UInt8]] = []
        for first in 0...255 { for second in 0...255 { sequences.append([UInt8(first), UInt8(second)]) } }
        for first in edges { for second in edges { for third in edges { sequences.append([first, second, third]) } } }
        for first: UInt8 in [0xF0, 0xF1, 0xF4, 0xF5] { for second in edges { for third in edges { for fourth in edges { sequences.append([first, second, third, fourth]) } } } }
        var mismatches: [[UInt8]] = []
        for bytes in sequences where !bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            let expected = bytes.withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) }
            for escaped in [false, true] {
                let document = [0x22] + (escaped ? [0x5C, 0x6E] : []) + bytes + [0x22]
                let parsed = (try? JSONParser.parse(document))?.stringValue
                if parsed != expected.map({ (escaped ? "\n" : "") + $0 }) { mismatches.append(bytes) }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    @Test("hostile nesting is refused, not a stack overflow")
    func nestingLimit() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = try #require(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        #expect(error.reason.contains("nested"))
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try JSONParser.parse(fine) }
    }

    @Test("object subscripts replace the last member of a name and append new ones")
    func objectEditing() {
        var object: JSONObject = ["a": .number(1)]
        object["a"] = .string("x")
        object["b"] = .bool(true)
        object["a"] = nil
        #expect(JSONValue.object(object).serialized == #"{"b":true}"#)
    }
}

/// `scanObject` checks exactly what `parse` does, without building values.
@Suite("JSON scan")
struct JSONScanTests {
    /// Both agree: the same error for the same input, and the same object shape otherwise.
    private func expectAgreement(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        let parsed = Result { () throws(JSONParseError) in try JSONParser.parse(bytes) }
        let scanned = bytes.withUnsafeBufferPointer { buffer in Result { () throws(JSONParseError) in try JSONParser.scanObject(buffer) } }
        switch (parsed, scanned) {
        case (.failure(let expected), .failure(let found)):
            #expect(found == expected, "\(bytes)", sourceLocation: sourceLocation)
        case (.success(let value), .success(let object)):
            let members = value.objectValue?.members
            #expect(object?.memberCount == members?.count, "\(bytes)", sourceLocation: sourceLocation)
            #expect(object?.firstKey == members?.first?.key, "\(bytes)", sourceLocation: sourceLocation)
            if let object, let first = members?.first {
                #expect(object.firstValueIsObject == (first.value.objectValue != nil), sourceLocation: sourceLocation)
                #expect((try? JSONParser.parse(Array(bytes[object.firstValue]))) == first.value, sourceLocation: sourceLocation)
            }
            // A member asked for is the one the object's subscript reads (the last of its name).
            for name in (members ?? []).map(\.key) + ["absent"] {
                let found = bytes.withUnsafeBufferPointer { buffer in (try? JSONParser.scanObject(buffer, member: name))?.memberValue }
                let foundValue = found.flatMap { try? JSONParser.parse(Array(bytes[$0])) }
                #expect(foundValue == value.objectValue?[name], "\(name) in \(bytes)", sourceLocation: sourceLocation)
                let string = bytes.withUnsafeBufferPointer { JSONParser.stringMember(name, of: $0) }
                #expect(string == value.objectValue?[name]?.stringValue, sourceLocation: sourceLocation)
            }
        default:
            Issue.record("parse \(parsed) but scan \(scanned) for \(bytes)", sourceLocation: sourceLocation)
        }
    }

    @Test("documents valid and not, escapes, surrogates, UTF-8, numbers, nesting")
    func agreesWithParse() {
        let documents: [String] = [
            #"{"span":{"id":"a","n":1.5e3,"ok":true,"x":null,"list":[1,{"b":"c"}]}}"#, "{}", "[]", "1", #""text""#,
            #"{"a":1,"b":2}"#, #"{"a":"\u00e9\n\"\\\/\b\f\r\t"}"#, #"{"a":"\ud83d\ude00"}"#, #"{"a":"\ud83d"}"#, #"{"a":"\ude00"}"#,
            #"{"a":"\x"}"#, #"{"a":"\u12"}"#, #"{"a":1e400}"#, #"{"a":-0.5E-2}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a" 1}"#,
            #"{"a":1,}"#, #"{"a":[1,]}"#, #"{a:1}"#, #"{"a":1} x"#, #"{"a":tru}"#, "{\"a\":\"\u{1}\"}", #"{"a":"é"}"#, "",
            String(repeating: "[", count: 200) + String(repeating: "]", count: 200),
            "{\"a\":" + String(repeating: "{\"b\":", count: 130) + "1" + String(repeating: "}", count: 131),
            // Magnitudes either side of the largest double, which the scan decides without converting.
            #"{"a":1e308}"#, #"{"a":1.8e308}"#, #"{"a":-1e309}"#, #"{"a":0.1e309}"#, #"{"a":1e-400}"#, #"{"a":0e999}"#,
            #"{"a":9E+307}"#, #"{"a":1e99999999999999999999}"#, #"{"a":1e-99999999999999999999}"#,
            "{\"a\":" + String(repeating: "9", count: 308) + "}", "{\"a\":" + String(repeating: "9", count: 309) + "}",
            "{\"a\":" + String(repeating: "9", count: 400) + "e-100}", "{\"a\":" + String(repeating: "9", count: 400) + ".5e-90}",
            // Names repeated, and written with escapes, also in a nested object.
            #"{"id":"a","n":1,"i\u0064":"b"}"#, #"{"\u0069d":{"x":1},"id2":"c"}"#, #"{"id":1}"#,
            #"{"a":{"x":1,"id":"q","id":"r"},"b":2}"#, #"{"a":{"i\u0064":"e","n":[1]}}"#, #"{"a":{"id":{"id":"x"}}}"#,
            #"{"\u0061":{"id":"z"}}"#, #"{"a":{"id":"q",}}"#, #"{"a":{"id":"q"}"#, #"{"b":{"id":"q"},"a":{"id":"r"}}"#,
            // Strings longer than a word, with what ends a plain run at each place in it.
            #"{"abcdefghijklmnop":"0123456789abcdef\"x","b":"0123456789\u0041bcdef"}"#, #"{"a":"0123456789abcdefé0123"}"#,
            "{\"a\":\"0123456\u{7}89abcdef\"}", #"{"a":"01234567"}"#, #"{"a":"0123456"#,
        ]
        for document in documents { expectAgreement(Array(document.utf8)) }
        // Bytes that are not UTF-8, in a string and as a name: lone continuation, overlong, surrogate, past U+10FFFF, truncated.
        for bad: [UInt8] in [[0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xF0, 0x9F, 0x98]] {
            expectAgreement(Array(#"{"a":""#.utf8) + bad + Array(#""}"#.utf8))
            expectAgreement(Array(#"{""#.utf8) + bad + Array(#"":1}"#.utf8))
        }
    }

    @Test("every single-byte change of an intake line: both agree")
    func mutations() {
        let line = Array(#"{"transaction":{"id":"7a00000000000001","name":"é","duration":1.25,"span_count":{"started":2},"tags":["x"]}}"#.utf8)
        for position in line.indices {
            for replacement: UInt8 in [0x00, 0x22, 0x2C, 0x3A, 0x5C, 0x7B, 0x7D, 0x5D, 0x31, 0x80, 0xC3, 0xFF] {
                var mutated = line
                mutated[position] = replacement
                expectAgreement(mutated)
            }
        }
    }
}
