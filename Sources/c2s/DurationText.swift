import Foundation

/// A duration for people: "42s", "4m05s", "2h07m" (coarser as it grows, since a log reader
/// wants the scale, not the second); "?" when it is unknown (not finite or negative).
func durationText(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
    return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
}
