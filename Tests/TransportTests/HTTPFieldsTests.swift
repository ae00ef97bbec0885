import Testing
import Transport

@Suite("HTTP fields")
struct HTTPFieldsTests {
    @Test("names match whatever their ASCII letters' case, and nothing else")
    func namesIgnoreCaseOnly() {
        var fields: HTTPFields = ["Content-Type": "application/x-ndjson", "X-Elastic-Header": "one"]
        #expect(fields["content-type"] == "application/x-ndjson")
        #expect(fields["CONTENT-TYPE"] == "application/x-ndjson")
        #expect(fields["Content-Typ"] == nil)
        #expect(fields["Content_Type"] == nil)
        // '@' and '`' (and '[' and '{') differ only in the bit that makes a letter lower case.
        #expect(!HTTPFields.isSameName("a@", "a`"))
        #expect(!HTTPFields.isSameName("[x", "{x"))
        #expect(HTTPFields.isSameName("x-elastic-HEADER", "X-Elastic-Header"))
        fields.remove(name: "x-elastic-header")
        #expect(fields["X-Elastic-Header"] == nil)
        fields.replace(name: "CONTENT-type", value: "text/plain")
        #expect(Array(fields.map(\.name)) == ["CONTENT-type"])
        #expect(fields["content-type"] == "text/plain")
    }
}
