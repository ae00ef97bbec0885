// swift-tools-version:6.1
// libFuzzer targets for every parser and endpoint of untrusted input. Built and run by `make fuzz`
// (never by the main package's build): each target is compiled with -sanitize=fuzzer,address.
import PackageDescription

let targets = ["FuzzIntake", "FuzzRegisterTransaction", "FuzzTelemetry", "FuzzInflate", "FuzzEnvironment", "FuzzReceiver"]

let package = Package(
    name: "Fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "elastic-apm-lambda-extension", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .target(name: "FuzzSupport", path: "Sources/FuzzSupport")
    ]
        + targets.map { name in
            .executableTarget(
                name: name,
                dependencies: [
                    "FuzzSupport",
                    .product(name: "LifecycleTesting", package: "elastic-apm-lambda-extension"),
                    .product(name: "Transport", package: "elastic-apm-lambda-extension"),
                    .product(name: "JSON", package: "elastic-apm-lambda-extension"),
                    .product(name: "Logging", package: "swift-log"),
                    .product(name: "NIOCore", package: "swift-nio"),
                    .product(name: "NIOEmbedded", package: "swift-nio"),
                    .product(name: "NIOHTTP1", package: "swift-nio"),
                ],
                path: "Sources/\(name)",
                swiftSettings: [.unsafeFlags(["-parse-as-library"])]
            )
        }
)
