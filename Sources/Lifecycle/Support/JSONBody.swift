import JSON

/// A small JSON object to send as a request body.
struct JSONBody: ExpressibleByDictionaryLiteral {
    let object: JSONObject

    init(dictionaryLiteral elements: (String, JSONValue)...) {
        object = JSONObject(elements.map { (key: $0.0, value: $0.1) })
    }

    var bytes: [UInt8] { JSONValue.object(object).serializedBytes }
}
