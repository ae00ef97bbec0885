import Lifecycle
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The process environment, without Foundation.
func readEnvironment() -> [String: String] {
    var environment: [String: String] = [:]
    var entry = environ
    while let pointer = entry.pointee {
        let pair = String(cString: pointer)
        if let equals = pair.firstIndex(of: "=") {
            environment[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        entry += 1
    }
    return environment
}

let environment = readEnvironment()
let arguments = CommandLine.arguments
if arguments.count > 1, arguments[1] == "--version" {
    // The version is the one in the User-Agent (`ExtensionProcess.userAgent`).
    print("elastic-apm-lambda-extension \(ExtensionProcess.version) (commit \(BuildInfo.commit), built \(BuildInfo.date), \(BuildInfo.kind))")
    exit(0)
}
// Lambda registers an extension under its file name.
let name = arguments.first.map { String($0.split(separator: "/").last ?? Substring($0)) } ?? "elastic-apm-lambda-extension"
let logLevel = environment[Configuration.Variable.logLevel].map(Configuration.logLevel(named:)) ?? .level(.info)
LoggingSystem.bootstrap { label in
    switch logLevel {
    case .off: SwiftLogNoOpLogHandler()
    case .level(let level): ECSLogHandler(label: label, level: level)
    case .unknown: ECSLogHandler(label: label, level: .info)
    }
}
let logger = Logger(label: "apm-aws-lambda")
// Not an async `main`: that ends the main thread with `dispatch_main()`, i.e. `pthread_exit`, whose
// forced unwind makes a static executable's unwinder sort every unwind entry of the binary first
// (about 200 million instructions at each cold start). The main thread runs the extension instead.
ExtensionProcess.runOnCurrentThread(environment: environment, name: name, logger: logger)
