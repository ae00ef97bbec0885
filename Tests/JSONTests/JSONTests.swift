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
