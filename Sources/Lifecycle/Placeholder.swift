// The run loop arrives with its issue.
enum LifecyclePlaceholder {}
