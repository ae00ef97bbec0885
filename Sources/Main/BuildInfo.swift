/// How this binary was built. A plain `swift build` keeps these values; `scripts/build_layer.sh`
/// rewrites this file in its own copy of the sources (never in the work tree) with the git commit
/// of the packaged layer and that commit's time.
enum BuildInfo {
    static let commit = "unknown"
    static let date = "unknown"
    static let kind = "development build"
}
