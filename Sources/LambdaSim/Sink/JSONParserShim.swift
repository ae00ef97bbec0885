import JSON

/// Lets public report types parse lines without exposing the JSON module in their signatures.
enum JSONParserShim {
    static func parse(_ text: String) throws -> JSONValue {
        try JSONParser.parse(text)
    }
}
